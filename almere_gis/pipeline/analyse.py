"""Stage 2 of a run: every result computed in memory from the validated inputs; nothing written.

Each step is one call into :mod:`almere_gis.analysis`; this file only decides the order and
hands each step the results it needs.
"""

from __future__ import annotations

__all__ = ["LATER_STEPS", "analyse"]

import logging
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import ConfigError
from ..analysis.classify import classify_businesses
from ..analysis.density import DensitySurface, kde, study_area_mask
from ..analysis.hexgrid import hex_counts, hex_grid
from ..analysis.hotspots import getis_ord
from ..analysis.indicators import area_indicators, city_indicators, wijk_indicators
from ..analysis.join import join_businesses
from ..analysis.sites import rank_stability, score_sites, search_zones
from ..settings import Settings
from .results import Analysis, Inputs

log = logging.getLogger("almere_gis")

# Steps after the foundation (inputs, join, indicators), which always run.
LATER_STEPS = frozenset({"density", "hotspots", "sites", "map", "qgis"})

_SUBSET_LABELS = {
    "all": "alle vestigingen",
    "small_scale": "kleinschalige vestigingen",
    "home_based": "vestigingen aan huis",
    "zzp": "zzp'ers",
}


def analyse(
    inputs: Inputs, *, wanted: frozenset[str] = LATER_STEPS, on_step: Callable[[str], None]
) -> Analysis:
    """Join, indicators, density, hot spots and site scoring, in that order."""
    s = inputs.settings
    on_step("join")
    businesses = classify_businesses(inputs.businesses, settings=s.classification)
    joined = join_businesses(
        businesses, inputs.buurten, rejects=inputs.rejects, n_input=inputs.n_input
    )
    on_step("indicators")
    cls, min_count = s.classification, s.privacy.min_count
    buurten = area_indicators(
        inputs.buurten, joined.joined, key="buurt_code", classification=cls, min_count=min_count
    )
    # Wijk figures are sums of the buurt figures (exact for counts and jobs).
    wijken = wijk_indicators(inputs.wijken, buurten, classification=cls, min_count=min_count)
    city = city_indicators(buurten, n_outside=len(joined.outside), n_rejected=len(inputs.rejects))

    density: dict[str, DensitySurface] = {}
    on_step("density")
    if "density" in wanted:
        density = _density(joined.joined, buurten, s)
    hexagons = candidates = zones = None
    on_step("hotspots")
    if wanted & {"hotspots", "sites"}:
        hexagons, buurten = _hotspots(joined.joined, buurten, s)
    on_step("sites")
    if "sites" in wanted and inputs.candidates is not None and hexagons is not None:
        candidates, zones = _sites(inputs, joined.joined, hexagons, buurten)
    return Analysis(
        inputs=inputs,
        joined=joined,
        buurten=buurten,
        wijken=wijken,
        city=city,
        density=density,
        hexagons=hexagons,
        candidates=candidates,
        search_zones=zones,
    )


def _subset(businesses: gpd.GeoDataFrame, subset: str) -> gpd.GeoDataFrame:
    """Businesses of one density subset: all, a boolean class, or a sector group key."""
    if subset == "all":
        return businesses
    if subset in ("small_scale", "home_based", "zzp"):
        return businesses.loc[businesses[subset].to_numpy(dtype=bool)]
    return businesses.loc[(businesses["sector_group"] == subset).to_numpy(dtype=bool)]


def _density(
    businesses: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame, s: Settings
) -> dict[str, DensitySurface]:
    d = s.density
    sectors = {g.key for g in s.classification.sector_groups} | {"overig"}
    extent = tuple(buurten.total_bounds)
    area = shapely.union_all(buurten.geometry.to_numpy())
    inside: np.ndarray | None = None  # the study-area mask, computed once for every surface
    out: dict[str, DensitySurface] = {}
    for subset in d.subsets:
        if subset not in _SUBSET_LABELS and subset not in sectors:
            raise ConfigError(
                f"{s.source}: density.subsets has unknown subset {subset!r}. "
                f"Fix: use all, small_scale, home_based, zzp or a sector group key."
            )
        chosen = _subset(businesses, subset)
        # Privacy: a kernel around one isolated home peaks on that home. Cells with fewer than
        # min_count establishments of this subset within the radius are not shown.
        support = kde(
            chosen.geometry,
            cell_size_m=d.cell_size_m,
            radius_m=d.radius_m,
            kernel="uniform",
            output="raw",
            extent=extent,
        )
        if inside is None:
            inside = study_area_mask(support, area)
        shown = inside & ~(support.values < s.privacy.min_count - 1e-6)
        for weight in d.weights:
            per = "vestigingen" if weight == "count" else "banen"
            units = f"{per} per km2" if d.output == "scaled" else f"{per} (kernelsom, raw)"
            grid = kde(
                chosen.geometry,
                weights=None if weight == "count" else chosen["jobs"].to_numpy(dtype=float),
                cell_size_m=d.cell_size_m,
                radius_m=d.radius_m,
                kernel=d.kernel,
                output=d.output,
                extent=extent,
                units=units,
            )
            surface = DensitySurface(
                subset=subset,
                weight=weight,
                grid=grid,
                shown=shown,
                label=_SUBSET_LABELS.get(subset, subset),
            )
            out[surface.key] = surface
    return out


def _hotspots(
    businesses: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame, s: Settings
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Hexagon counts with Gi* classes, and the buurten with their own Gi* columns (a copy)."""
    h = s.hotspots
    hexes = hex_grid(buurten, size_m=s.hexgrid.size_m)
    hexagons = hex_counts(
        hexes,
        businesses,
        min_count=s.privacy.min_count,
        sector_groups=s.classification.sector_groups,
    )

    def gi(frame: gpd.GeoDataFrame, column: str) -> pd.DataFrame:
        return getis_ord(
            frame,
            column,
            weights=h.weights,
            k=h.k,
            distance_band_m=h.distance_band_m,
            permutations=h.permutations,
            seed=h.seed,
            fdr=h.fdr,
        )

    var = h.variable
    hex_col = f"count_{var}"
    buurt_col = "n_establishments" if var == "all" else f"n_{var}"
    if hex_col not in hexagons or buurt_col not in buurten:
        raise ConfigError(
            f"{s.source}: hotspots.variable = {var!r} is not a count we compute. "
            "Fix: use small_scale, home_based, zzp or all."
        )
    return hexagons.join(gi(hexagons, hex_col)), buurten.join(gi(buurten, buurt_col))


def _sites(
    inputs: Inputs,
    businesses: gpd.GeoDataFrame,
    hexagons: gpd.GeoDataFrame,
    buurten: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    s = inputs.settings
    assert inputs.candidates is not None
    scored = score_sites(
        inputs.candidates,
        businesses,
        hexagons=hexagons,
        buurten=buurten,
        settings=s,
        stations=inputs.stations,
    )
    scored = scored.join(rank_stability(scored, settings=s).drop(columns="site_id"))
    zones = search_zones(
        hexagons, scored, distance_m=s.sites.search_zone_distance_m, mask_suppressed=True
    )
    return scored, zones
