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
    "Inputs": "pipeline",
    "Analysis": "pipeline",
    "Publication": "pipeline",
    # errors
    "InputError": "_errors",
    "ConfigError": "_errors",
    "AccountingError": "_errors",
    "FetchError": "_errors",
    "ValidationReport": "_errors",
    "AlmereGisError": "_errors",
    "CRSError": "_errors",
    "FileFormatError": "_errors",
    "PrivacyError": "_errors",
    "RunLockedError": "_errors",
    "SchemaError": "_errors",
    "StudyAreaError": "_errors",
    # loading and validation
    "load_buurten": "io.areas",
    "load_wijken": "io.areas",
    "wijken_from_buurten": "io.areas",
    "load_businesses": "io.businesses",
    "validate_businesses": "io.businesses",
    "read_table": "io.read",
    "BUSINESS_PRESETS": "io.businesses",
    # classification, join, indicators
    "classify_businesses": "analysis.classify",
    "sector_labels": "analysis.classify",
    "join_businesses": "analysis.join",
    "assign_areas": "analysis.join",
    "JoinResult": "analysis.join",
    "area_typology": "analysis.typology",
    "area_indicators": "analysis.indicators",
    "city_indicators": "analysis.indicators",
    # density and hot spots
    "kde": "analysis.density",
    "write_geotiff": "outputs.rasters",
    "write_density_rasters": "outputs.rasters",
    "DensityGrid": "analysis.density",
    "DensitySurface": "analysis.density",
    "hex_grid": "analysis.hexgrid",
    "hex_counts": "analysis.hexgrid",
    "getis_ord": "analysis.hotspots",
    # candidate sites
    "load_candidates": "io.candidates",
    "load_stations": "io.candidates",
    "score_sites": "analysis.sites",
    "rank_stability": "analysis.sites",
    "search_zones": "analysis.sites",
    "criteria_table": "analysis.sites",
    "CRITERIA": "analysis.sites",
    # outputs
    "make_map": "outputs.webmap",
    "export_qgis_package": "outputs.qgis",
    "write_public_package": "outputs.qgis",
    "write_internal_package": "outputs.qgis",
    "write_geopackage": "outputs.qgis",
    "write_qgis_project": "outputs.qgis",
    "write_raster_style": "outputs.qgis",
    # data
    "generate_demo_data": "datasets.generate",
    "fetch_cbs": "io.fetch",
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
