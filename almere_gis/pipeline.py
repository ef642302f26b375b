"""The main job: from input files to every output in ``out/``.

Each step is a public function of its module; this file only calls them in order and writes
the results. The CLI, the notebooks and the tests all go through :func:`run`.
"""

from __future__ import annotations

__all__ = ["RunResult", "STEPS", "run"]

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ._errors import ConfigError
from .analysis.classify import classify_businesses
from .analysis.indicators import area_indicators, city_indicators
from .analysis.join import join_businesses
from .analysis.typology import area_typology
from .io import atomic as _io
from .io.areas import load_buurten, load_wijken, wijken_from_buurten
from .io.businesses import load_businesses
from .settings import Settings

log = logging.getLogger("almere_gis")

STEPS = [
    "gebieden inlezen",
    "vestigingen inlezen en controleren",
    "indelen en koppelen aan buurten",
    "indicatoren",
    "dichtheid (KDE)",
    "hexagonen en hot spots",
    "kandidaatlocaties",
    "kaart",
    "QGIS-pakket",
]


@dataclass
class RunResult:
    """Everything a run produced, in memory and on disk."""

    settings: Settings
    buurten: gpd.GeoDataFrame
    wijken: gpd.GeoDataFrame
    businesses: gpd.GeoDataFrame
    accounting: pd.DataFrame
    rejects: pd.DataFrame
    city: pd.DataFrame
    density_paths: dict[str, Path] = field(default_factory=dict)
    hexagons: gpd.GeoDataFrame | None = None
    candidates: gpd.GeoDataFrame | None = None
    search_zones: gpd.GeoDataFrame | None = None
    candidate_rejects: pd.DataFrame | None = None
    repaired_areas: list[str] = field(default_factory=list)
    map_path: Path | None = None
    gpkg_path: Path | None = None
    qgs_path: Path | None = None
    outputs: list[Path] = field(default_factory=list)

    def city_value(self, key: str) -> float:
        """One value of the city indicator table, e.g. ``aandeel_banen_in_woonbuurten``."""
        return float(self.city.set_index("indicator").loc[key, "value"])


def _noop(step: str) -> None:
    return None


def run(
    settings: Settings,
    *,
    out_dir: str | Path | None = None,
    on_step: Callable[[str], None] = _noop,
    steps: set[str] | None = None,
) -> RunResult:
    """Run the analysis and write every output.

    Parameters
    ----------
    settings
        From :func:`almere_gis.load_settings`.
    out_dir
        Output folder; defaults to ``settings.paths.out_dir``.
    on_step
        Called with the name of each step as it starts (the CLI shows progress with it).
    steps
        Optional subset of the later steps to run (``density``, ``hotspots``, ``sites``, ``map``,
        ``qgis``); the foundation steps always run. ``None`` = all.
    """
    out = Path(out_dir) if out_dir is not None else settings.paths.out_dir
    out.mkdir(parents=True, exist_ok=True)
    wanted = steps if steps is not None else {"density", "hotspots", "sites", "map", "qgis"}
    p = settings.paths

    on_step(STEPS[0])
    buurten = load_buurten(p.buurten, layer=p.buurten_layer or None, crs=p.areas_crs or None)
    if p.wijken is not None:
        wijken = load_wijken(p.wijken, layer=p.wijken_layer or None, crs=p.areas_crs or None)
    else:
        wijken = wijken_from_buurten(buurten)
    buurten["area_type"] = area_typology(buurten, settings.typology)

    on_step(STEPS[1])
    b = settings.businesses
    businesses, rejects = load_businesses(
        p.businesses,
        preset=b.preset,
        columns=b.columns,
        crs=b.crs,
        swapped_latlon=b.swapped_latlon,
        home_gebruiksdoel=settings.classification.home_gebruiksdoel,
    )
    n_input = int(businesses.attrs["n_input_rows"])

    on_step(STEPS[2])
    businesses = classify_businesses(businesses, settings=settings.classification)
    joined = join_businesses(businesses, buurten, rejects=rejects, n_input=n_input)

    on_step(STEPS[3])
    cls = settings.classification
    min_count = settings.privacy.min_count
    buurt_ind = area_indicators(
        buurten, joined.joined, key="buurt_code", classification=cls, min_count=min_count
    )
    wijk_ind = area_indicators(
        wijken, joined.joined, key="wijk_code", classification=cls, min_count=min_count
    )
    city = city_indicators(buurt_ind, n_outside=len(joined.outside), n_rejected=len(rejects))
    result = RunResult(
        settings=settings,
        buurten=buurt_ind,
        wijken=wijk_ind,
        businesses=joined.joined,
        accounting=joined.accounting,
        rejects=rejects,
        city=city,
        repaired_areas=list(buurten.attrs.get("repaired", [])),
    )
    written = result.outputs
    written.append(
        _io.write_csv(buurt_ind.drop(columns="geometry"), out / "buurten_indicatoren.csv")
    )
    written.append(_io.write_csv(wijk_ind.drop(columns="geometry"), out / "wijken_indicatoren.csv"))
    written.append(_io.write_csv(city, out / "stad_indicatoren.csv"))
    written.append(_io.write_csv(joined.accounting, out / "verantwoording.csv"))

    _later_steps(result, out, wanted, on_step)
    log.info("run finished on %s; outputs in %s", date.today().isoformat(), out)
    return result


_SUBSET_LABELS = {
    "all": "alle vestigingen",
    "small_scale": "kleinschalige vestigingen",
    "home_based": "vestigingen aan huis",
    "zzp": "zzp'ers",
}


def _subset(businesses: gpd.GeoDataFrame, subset: str) -> gpd.GeoDataFrame:
    """Businesses of one density subset: all, a boolean class, or a sector group key."""
    if subset == "all":
        return businesses
    if subset in ("small_scale", "home_based", "zzp"):
        return businesses.loc[businesses[subset].to_numpy(dtype=bool)]
    return businesses.loc[(businesses["sector_group"] == subset).to_numpy(dtype=bool)]


def _density_step(result: RunResult, out: Path) -> None:
    from .analysis.density import kde
    from .outputs.rasters import write_geotiff

    d = result.settings.density
    sectors = {g.key for g in result.settings.classification.sector_groups} | {"overig"}
    study_area = result.buurten
    for subset in d.subsets:
        if subset not in _SUBSET_LABELS and subset not in sectors:
            raise ConfigError(
                f"{result.settings.source}: density.subsets has unknown subset {subset!r}. "
                f"Fix: use all, small_scale, home_based, zzp or a sector group key."
            )
        chosen = _subset(result.businesses, subset)
        # Privacy: a kernel around one isolated home peaks on that home. Cells with fewer than
        # min_count establishments of this subset within the radius are written as nodata.
        support = kde(
            chosen.geometry,
            cell_size_m=d.cell_size_m,
            radius_m=d.radius_m,
            kernel="uniform",
            output="raw",
            extent=tuple(study_area.total_bounds),
        )
        suppress = support.values < result.settings.privacy.min_count - 1e-6
        for weight in d.weights:
            if weight not in ("count", "jobs"):
                raise ConfigError(
                    f"{result.settings.source}: density.weights has {weight!r}. "
                    'Fix: use "count" and/or "jobs".'
                )
            per = "vestigingen" if weight == "count" else "banen"
            units = f"{per} per km2" if d.output == "scaled" else f"{per} (kernelsom, raw)"
            grid = kde(
                chosen.geometry,
                weights=None if weight == "count" else chosen["jobs"].to_numpy(dtype=float),
                cell_size_m=d.cell_size_m,
                radius_m=d.radius_m,
                kernel=d.kernel,
                output=d.output,
                extent=tuple(study_area.total_bounds),
                units=units,
            )
            label = _SUBSET_LABELS.get(subset, subset)
            path = write_geotiff(
                grid,
                out / f"kde_{subset}_{weight}.tif",
                mask_geometry=study_area,
                description=f"Dichtheid {label}, {d.kernel} kernel r = {d.radius_m:g} m ({units})",
                units=units,
                suppress=suppress,
            )
            result.density_paths[f"{subset}_{weight}"] = path
            result.outputs.append(path)


def _hotspot_step(result: RunResult, out: Path) -> None:
    from .analysis.hexgrid import hex_counts, hex_grid
    from .analysis.hotspots import getis_ord

    s = result.settings
    h = s.hotspots
    hexes = hex_grid(result.buurten, size_m=s.hexgrid.size_m)
    hexagons = hex_counts(
        hexes,
        result.businesses,
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
    if hex_col not in hexagons or buurt_col not in result.buurten:
        raise ConfigError(
            f"{s.source}: hotspots.variable = {var!r} is not a count we compute. "
            "Fix: use small_scale, home_based, zzp or all."
        )
    result.hexagons = hexagons.join(gi(hexagons, hex_col))
    result.buurten = result.buurten.join(gi(result.buurten, buurt_col))


def _sites_step(result: RunResult, out: Path) -> None:
    from .analysis.sites import rank_stability, score_sites, search_zones
    from .io.candidates import load_candidates, load_stations

    s = result.settings
    if s.paths.candidates is None:
        log.info("no candidate sites configured: skipping site scoring")
        return
    if result.hexagons is None:
        raise ConfigError("site scoring needs the hot spot step; run it too")
    candidates, cand_rejects = load_candidates(s.paths.candidates, language=s.sites.language)
    stations = None if s.paths.stations is None else load_stations(s.paths.stations)
    scored = score_sites(
        candidates,
        result.businesses,
        hexagons=result.hexagons,
        buurten=result.buurten,
        settings=s,
        stations=stations,
    )
    scored = scored.join(rank_stability(scored, settings=s).drop(columns="site_id"))
    zones = search_zones(
        result.hexagons,
        scored,
        distance_m=s.sites.search_zone_distance_m,
        mask_suppressed=True,
    )
    result.candidates = scored
    result.search_zones = zones
    result.candidate_rejects = cand_rejects
    result.outputs.append(
        _io.write_csv(scored.drop(columns="geometry"), out / "candidates_scored.csv")
    )
    result.outputs.append(_io.write_csv(zones.drop(columns="geometry"), out / "search_zones.csv"))
    if len(cand_rejects):
        result.outputs.append(_io.write_csv(cand_rejects, out / "kandidaten_afgewezen.csv"))


def _map_step(result: RunResult, out: Path) -> None:
    from .outputs.webmap import make_map

    s = result.settings
    paths = result.density_paths
    tif = paths.get("small_scale_count") or next(iter(paths.values()), None)
    result.map_path = make_map(
        buurten=result.buurten,
        wijken=result.wijken,
        hexagons=result.hexagons,
        density_tif=tif,
        candidates=result.candidates,
        search_zones=result.search_zones,
        settings=s,
        out_path=out / s.map.file,
    )
    result.outputs.append(result.map_path)


def _qgis_step(result: RunResult, out: Path) -> None:
    from .outputs.qgis import export_qgis_package

    s = result.settings
    rejects = result.rejects
    package = export_qgis_package(
        out,
        buurten=result.buurten,
        wijken=result.wijken,
        settings=s,
        hexagons=result.hexagons,
        candidates_scored=result.candidates,
        search_zones=result.search_zones,
        accounting=result.accounting,
        rejects=rejects,
        businesses=result.businesses if s.export.include_points else None,
        rasters=list(result.density_paths.values()),
    )
    result.gpkg_path = package.gpkg
    result.qgs_path = package.qgs
    result.outputs.extend([package.gpkg, package.qgs, *package.raster_styles])


def _later_steps(
    result: RunResult, out: Path, wanted: set[str], on_step: Callable[[str], None]
) -> None:
    """Density, hot spots, sites, map and QGIS package."""
    on_step(STEPS[4])
    if "density" in wanted:
        _density_step(result, out)
    on_step(STEPS[5])
    if "hotspots" in wanted or "sites" in wanted:
        _hotspot_step(result, out)
    on_step(STEPS[6])
    if "sites" in wanted:
        _sites_step(result, out)
    on_step(STEPS[7])
    if "map" in wanted:
        _map_step(result, out)
    on_step(STEPS[8])
    if "qgis" in wanted:
        _qgis_step(result, out)
