"""Stage 2 of a run: every result computed in memory from the validated inputs; nothing written.

Each step is one call into :mod:`almere_gis.analysis`; this file only decides the order, hands
each step the results it needs (new objects: no step changes an earlier step's frame) and
records, as notes for the run summary, what could not be done and why: a hot spot test needs
more units than neighbours, a run without candidate sites scores none. Such a step is skipped
with a note instead of ending the run, and its columns are still there (empty), so that every
run's tables have the same columns.
"""

from __future__ import annotations

__all__ = ["GI_COLUMNS", "LATER_STEPS", "analyse"]

import logging
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..analysis.classify import classify_businesses
from ..analysis.density import DensitySurface, kde, privacy_mask, study_area_mask
from ..analysis.hexgrid import hex_counts, hex_grid
from ..analysis.hotspots import getis_ord
from ..analysis.indicators import area_indicators, city_indicators, wijk_indicators
from ..analysis.join import join_businesses
from ..analysis.sites import rank_stability, score_sites, search_zones
from ..settings import Settings
from ..texts import text
from ..texts.format import distance
from .checks import check_joined
from .results import Analysis, Inputs
from .steps import LATER_STEPS

log = logging.getLogger("almere_gis")

# The columns getis_ord adds; a skipped test leaves them empty.
GI_COLUMNS = ("gi_z", "gi_p", "gi_p_sim", "gi_q", "gi_class")
_FLAG_SUBSETS = ("small_scale", "home_based", "zzp")


def analyse(
    inputs: Inputs, *, wanted: frozenset[str] = LATER_STEPS, on_step: Callable[[str], None]
) -> Analysis:
    """Join, indicators, density, hot spots and site scoring, in that order.

    Raises
    ------
    almere_gis.StudyAreaError
        When not one business lies in a buurt (before anything else is computed).
    """
    s = inputs.settings
    notes = list(inputs.notes)
    on_step("join")
    businesses = classify_businesses(inputs.businesses, settings=s.classification)
    joined = join_businesses(
        businesses, inputs.buurten, rejects=inputs.rejects, n_input=inputs.n_input
    )
    check_joined(
        businesses,
        len(joined.joined),
        _bounds(inputs.buurten),
        where=(str(s.paths.businesses), str(s.paths.buurten)),
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
        hexagons, buurten = _hotspots(joined.joined, buurten, s, notes)
    else:
        buurten = _without_gi(buurten)
    on_step("sites")
    if "sites" in wanted and hexagons is not None:
        if inputs.candidates is None:
            notes.append(text("run.note.no_candidates", s.map.language))
        else:
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
        notes=tuple(notes),
    )


def _bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = (float(v) for v in frame.total_bounds)
    return xmin, ymin, xmax, ymax


def _subset(businesses: gpd.GeoDataFrame, subset: str) -> gpd.GeoDataFrame:
    """Businesses of one density subset: all, a boolean class, or a sector group key."""
    if subset == "all":
        return businesses
    if subset in _FLAG_SUBSETS:
        return businesses.loc[businesses[subset].to_numpy(dtype=bool)]
    return businesses.loc[(businesses["sector_group"] == subset).to_numpy(dtype=bool)]


def _subset_label(subset: str, s: Settings) -> str:
    lang = s.map.language
    if subset == "all" or subset in _FLAG_SUBSETS:
        return text(f"run.subset.{subset}", lang)
    for group in s.classification.sector_groups:
        if group.key == subset:
            return group.label_nl if lang == "nl" else group.label_en
    return text("run.subset.overig", lang)


def _density(
    businesses: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame, s: Settings
) -> dict[str, DensitySurface]:
    """One surface per subset and weight; the subsets were checked with the settings."""
    d = s.density
    extent = _bounds(buurten)
    area = shapely.union_all(buurten.geometry.to_numpy())
    inside: np.ndarray | None = None  # the study-area mask, computed once for every surface
    out: dict[str, DensitySurface] = {}
    for subset in d.subsets:
        chosen = _subset(businesses, subset)
        grids = {
            weight: kde(
                chosen.geometry,
                weights=None if weight == "count" else chosen["jobs"].to_numpy(dtype=float),
                cell_size_m=d.cell_size_m,
                radius_m=d.radius_m,
                kernel=d.kernel,
                output=d.output,
                extent=extent,
                units=text(f"run.units.{weight}_{d.output}", s.map.language),
            )
            for weight in d.weights
        }
        first = next(iter(grids.values()))
        if inside is None:
            inside = study_area_mask(first, area)
        # Privacy: a kernel around one isolated home peaks on that home. A cell is shown only
        # when at least min_count establishments of this subset lie within the radius of its
        # centre, counted exactly (analysis.density.privacy_mask).
        shown = privacy_mask(chosen.geometry, first, min_count=s.privacy.min_count, inside=inside)
        for weight, grid in grids.items():
            surface = DensitySurface(
                subset=subset,
                weight=weight,
                grid=grid,
                shown=shown,
                label=_subset_label(subset, s),
            )
            out[surface.key] = surface
    return out


def _without_gi(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` with empty Gi* columns: the test was not run (a copy)."""
    empty = pd.DataFrame(
        {c: np.nan for c in GI_COLUMNS if c != "gi_class"}, index=frame.index, dtype=float
    )
    empty["gi_class"] = pd.array([pd.NA] * len(frame), dtype="string")
    return frame.join(empty)


def _gi(
    frame: gpd.GeoDataFrame, column: str, s: Settings, unit: str, notes: list[str]
) -> gpd.GeoDataFrame:
    """``frame`` with Gi* of ``column``, or with empty Gi* columns and a note when untestable.

    Gi* compares each unit's neighbourhood (itself included) with the whole: a neighbourhood
    that holds every unit has no variance to test (esda divides 0 by 0). With k nearest
    neighbours that is so for fewer than k + 2 units; with a distance band, when the band
    spans the whole set.
    """
    h, lang = s.hotspots, s.map.language
    n = len(frame)
    units = text(f"run.unit.{unit}", lang)
    if h.weights == "knn" and n < h.k + 2:
        notes.append(text("run.note.gi_too_few_knn", lang, units=units, n=n, k=h.k, need=h.k + 2))
        return _without_gi(frame)
    if h.weights == "distance" and (n < 2 or _reaches_all(frame, h.distance_band_m)):
        band = distance(h.distance_band_m, lang)
        notes.append(text("run.note.gi_band_covers_all", lang, units=units, n=n, band=band))
        return _without_gi(frame)
    values = frame[column].to_numpy(dtype=float)
    if np.ptp(values) == 0:
        notes.append(text("run.note.gi_constant", lang, units=units))
    result = getis_ord(
        frame,
        column,
        weights=h.weights,
        k=h.k,
        distance_band_m=h.distance_band_m,
        permutations=h.permutations,
        seed=h.seed,
        fdr=h.fdr,
    )
    return frame.join(result[list(GI_COLUMNS)])


def _reaches_all(frame: gpd.GeoDataFrame, band_m: float) -> bool:
    """True when, from some unit, every unit lies within ``band_m`` (its Gi* is undefined).

    The unit farthest from any point is a vertex of the convex hull of the centroids, so the
    distances to the hull's vertices suffice (units x vertices, not units x units).
    """
    centres = shapely.centroid(frame.geometry.to_numpy())
    hull = shapely.get_coordinates(shapely.convex_hull(shapely.multipoints(centres)))
    xy = shapely.get_coordinates(centres)
    farthest = np.sqrt(((xy[:, None, :] - hull[None, :, :]) ** 2).sum(axis=2)).max(axis=1)
    return bool(farthest.min() <= band_m)


def _hotspots(
    businesses: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame, s: Settings, notes: list[str]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Hexagon counts with Gi* classes, and the buurten with their own Gi* columns (copies)."""
    hexes = hex_grid(buurten, size_m=s.hexgrid.size_m)
    hexagons = hex_counts(
        hexes,
        businesses,
        min_count=s.privacy.min_count,
        sector_groups=s.classification.sector_groups,
    )
    hexagons.attrs = {}  # values travel as columns and objects, never as attrs
    var = s.hotspots.variable
    hex_col = f"count_{var}"
    buurt_col = "n_establishments" if var == "all" else f"n_{var}"
    return (
        _gi(hexagons, hex_col, s, "hexagons", notes),
        _gi(buurten, buurt_col, s, "buurten", notes),
    )


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
