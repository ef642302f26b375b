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

from . import _io
from .classify import classify_businesses
from .indicators import area_indicators, area_typology, city_indicators
from .join import join_businesses
from .load import load_buurten, load_businesses, load_wijken, wijken_from_buurten
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
    )
    n_input = len(businesses) + len(rejects)

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
    )
    written = result.outputs
    written.append(_io.write_csv(buurt_ind.drop(columns="geometry"), out / "buurten_indicatoren.csv"))
    written.append(_io.write_csv(wijk_ind.drop(columns="geometry"), out / "wijken_indicatoren.csv"))
    written.append(_io.write_csv(city, out / "stad_indicatoren.csv"))
    written.append(_io.write_csv(joined.accounting, out / "verantwoording.csv"))

    _later_steps(result, out, wanted, on_step)
    log.info("run finished on %s; outputs in %s", date.today().isoformat(), out)
    return result


def _later_steps(
    result: RunResult, out: Path, wanted: set[str], on_step: Callable[[str], None]
) -> None:
    """Density, hot spots, sites, map and QGIS package (filled in as the modules land)."""
    return None
