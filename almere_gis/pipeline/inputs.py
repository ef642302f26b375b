"""Stage 1 of a run: read and validate every input, before anything is computed or written.

The order is chosen so that a run fails fast: first the paths (a missing file is named with its
setting at once), then the buurten, whose extent sizes the grids (settings that would not fit
in memory are refused before anything is allocated), then the small inputs (candidate sites,
stations), and the business register last. Facts the loaders report about what they read
(rows read, repaired polygons) are taken from them here, in one place, and handed on as
values of :class:`~.results.Inputs`.
"""

from __future__ import annotations

__all__ = ["read_inputs"]

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..analysis.typology import area_typology, typology_report, typology_warning
from ..io.areas import load_buurten, load_wijken, wijken_from_buurten
from ..io.businesses import load_businesses
from ..io.candidates import load_candidates, load_stations
from ..io.validate import AREA_TYPOLOGY_COLUMNS
from ..settings import Settings
from ..texts import text
from ..texts.format import number
from .checks import check_grid_memory, check_paths, check_usable
from .results import Inputs
from .steps import LATER_STEPS

log = logging.getLogger("almere_gis")


def read_inputs(
    settings: Settings, *, wanted: frozenset[str] = LATER_STEPS, out_dir: Path | None = None
) -> Inputs:
    """Every input of a run, read and validated; raises the package's errors on bad input.

    Parameters
    ----------
    settings
        The run's settings.
    wanted
        The later steps of the run (see :data:`~.steps.LATER_STEPS`): only the grids of the
        steps that run are checked against the free memory.
    out_dir
        The run's output folder (default ``[paths] out_dir``): no input may lie inside it.

    Raises
    ------
    almere_gis.InputError
        A missing, unreadable or unusable input (every business row rejected, an empty
        candidates file, a stations file without points, ...).
    almere_gis.ConfigError
        Grid settings that would not fit in memory, or an input inside the output folder.
    """
    check_paths(settings, out_dir or settings.paths.out_dir)
    p = settings.paths
    lang = settings.map.language
    extra = tuple(AREA_TYPOLOGY_COLUMNS)  # read for the typology only, dropped after it
    buurten = load_buurten(
        p.buurten, layer=p.buurten_layer or None, crs=p.areas_crs or None, extra=extra
    )
    check_grid_memory(settings, _bounds(buurten), wanted=wanted)
    if p.wijken is not None:
        wijken = load_wijken(p.wijken, layer=p.wijken_layer or None, crs=p.areas_crs or None)
    else:
        wijken = wijken_from_buurten(buurten)
    facts = _area_facts(buurten)
    notes: list[str] = []
    if facts["repaired"]:
        notes.append(text("run.note.repaired", lang, codes=", ".join(facts["repaired"])))
    notes.extend(_overlap_note(facts["overlaps"], lang))
    buurten = buurten.assign(area_type=area_typology(buurten, settings.typology))
    typology, warning = _typology(buurten, settings)
    buurten = buurten.drop(columns=[c for c in extra if c in buurten])
    if warning:
        notes.append(warning)

    candidates = candidate_rejects = stations = None
    if p.candidates is not None:
        candidates, candidate_rejects = load_candidates(
            p.candidates, language=settings.sites.language
        )
    if p.stations is not None:
        stations = load_stations(p.stations)

    b = settings.businesses
    businesses, rejects = load_businesses(
        p.businesses,
        preset=b.preset,
        columns=b.columns,
        crs=b.crs,
        swapped_latlon=b.swapped_latlon,
        home_gebruiksdoel=settings.classification.home_gebruiksdoel,
    )
    check_usable(businesses, rejects, p.businesses)
    return Inputs(
        settings=settings,
        buurten=_plain(buurten),
        wijken=_plain(wijken),
        businesses=_plain(businesses),
        rejects=rejects,
        n_input=_business_facts(businesses)["n_input_rows"],
        candidates=candidates,
        candidate_rejects=candidate_rejects,
        stations=stations,
        repaired_areas=tuple(facts["repaired"]),
        notes=tuple(notes),
        typology_report=typology,
    )


def _bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = (float(v) for v in frame.total_bounds)
    return xmin, ymin, xmax, ymax


# -- what the loaders report; the one place that reads their DataFrame.attrs ------------------
# (the loaders are moving to returning these as values; only these two functions change then)
def _area_facts(buurten: gpd.GeoDataFrame) -> dict[str, Any]:
    return {
        "repaired": [str(c) for c in buurten.attrs.get("repaired", [])],
        "overlaps": buurten.attrs.get("overlaps"),
    }


def _overlap_note(overlaps: pd.DataFrame | None, lang: str) -> list[str]:
    """The overlapping buurten (small enough to be accepted), as one note."""
    if overlaps is None or overlaps.empty:
        return []
    top = overlaps.iloc[0]
    return [
        text(
            "inputs.note.overlap",
            lang,
            n=len(overlaps),
            area=number(float(overlaps["overlap_m2"].sum()), 0, lang),
            a=top["code_a"],
            b=top["code_b"],
            largest=number(float(top["overlap_m2"]), 0, lang),
        )
    ]


def _business_facts(businesses: gpd.GeoDataFrame) -> dict[str, Any]:
    return {"n_input_rows": int(businesses.attrs["n_input_rows"])}


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` without the loader's attrs, so that no later step can lean on them."""
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def _typology(buurten: gpd.GeoDataFrame, settings: Settings) -> tuple[pd.DataFrame, str | None]:
    """How many buurten each typology rule classified, and a warning when one type has them all.

    The report has ``rule``, ``type``, ``n_areas`` and ``missing_data`` (what data a rule
    lacked).
    """
    lang = settings.map.language
    report = typology_report(buurten, settings.typology, lang)
    return report, typology_warning(report, lang)
