"""almere_gis: where a city's small-scale economy lives, and where to give it room.

One flat public API, so a notebook needs only ``import almere_gis as ag``::

    settings = ag.load_settings()
    result = ag.run(settings, out_dir="out")

Names are imported from their modules on first use, which keeps ``almere-gis --help`` fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # settings and the main job
    "Settings": "settings",
    "load_settings": "settings",
    "default_settings_text": "settings",
    "ColumnSettings": "settings",
    "run": "pipeline",
    "RunResult": "pipeline",
    # errors
    "InputError": "_errors",
    "ConfigError": "_errors",
    "AccountingError": "_errors",
    "FetchError": "_errors",
    "ValidationReport": "_errors",
    # loading and validation
    "load_buurten": "load",
    "load_wijken": "load",
    "wijken_from_buurten": "load",
    "load_businesses": "load",
    "validate_businesses": "load",
    "read_table": "load",
    "BUSINESS_PRESETS": "load",
    # classification, join, indicators
    "classify_businesses": "classify",
    "sector_labels": "classify",
    "join_businesses": "join",
    "assign_areas": "join",
    "JoinResult": "join",
    "area_typology": "indicators",
    "area_indicators": "indicators",
    "city_indicators": "indicators",
    # density and hot spots
    "kde": "density",
    "write_geotiff": "density",
    "DensityGrid": "density",
    "hex_grid": "hexgrid",
    "hex_counts": "hexgrid",
    "getis_ord": "hotspots",
    # candidate sites
    "load_candidates": "sites",
    "load_stations": "sites",
    "score_sites": "sites",
    "rank_stability": "sites",
    "search_zones": "sites",
    "criteria_table": "sites",
    "CRITERIA": "sites",
    # outputs
    "make_map": "webmap",
    "export_qgis_package": "export",
    "write_geopackage": "export",
    "write_qgis_project": "export",
    "write_raster_style": "export",
    # data
    "generate_demo_data": "demo",
    "fetch_cbs": "fetch",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'almere_gis' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
