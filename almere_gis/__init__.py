"""almere_gis: where a city's small-scale economy lives, and where to give it room.

One flat public API, so a notebook needs only ``import almere_gis as ag``::

    settings = ag.load_settings()
    result = ag.run(settings, out_dir="out")

Names are imported from their modules on first use, which keeps ``almere-gis --help`` fast;
type checkers see the same names through the ``TYPE_CHECKING`` imports below, so ``ag.run``
has its real signature for mypy and in editors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # the same names, imported eagerly for type checkers only
    from ._errors import (
        AccountingError,
        AlmereGisError,
        ConfigError,
        CRSError,
        FetchError,
        FileFormatError,
        InputError,
        PrivacyError,
        RunLockedError,
        SchemaError,
        StudyAreaError,
        ValidationReport,
    )
    from .analysis.classify import classify_businesses, sector_labels
    from .analysis.density import DensityGrid, DensitySurface, kde
    from .analysis.hexgrid import hex_counts, hex_grid
    from .analysis.hotspots import getis_ord
    from .analysis.indicators import area_indicators, city_indicators
    from .analysis.join import JoinResult, assign_areas, join_businesses
    from .analysis.sites import CRITERIA, criteria_table, rank_stability, score_sites, search_zones
    from .analysis.typology import area_typology
    from .datasets.generate import generate_demo_data
    from .io.areas import load_buurten, load_wijken, wijken_from_buurten
    from .io.businesses import BUSINESS_PRESETS, load_businesses, validate_businesses
    from .io.candidates import load_candidates, load_stations
    from .io.fetch import fetch_cbs
    from .io.read import read_table
    from .outputs.qgis import (
        export_qgis_package,
        write_geopackage,
        write_qgis_project,
        write_raster_style,
    )
    from .outputs.rasters import write_geotiff
    from .outputs.webmap import make_map
    from .pipeline import Analysis, Inputs, Publication, RunResult
    from .pipeline.runner import run
    from .settings import ColumnSettings, Settings, default_settings_text, load_settings

# Written out (not computed from _EXPORTS) so that linters and type checkers can read it; a test
# checks that the two agree.
__all__ = [
    "AccountingError",
    "AlmereGisError",
    "Analysis",
    "BUSINESS_PRESETS",
    "CRITERIA",
    "CRSError",
    "ColumnSettings",
    "ConfigError",
    "DensityGrid",
    "DensitySurface",
    "FetchError",
    "FileFormatError",
    "InputError",
    "Inputs",
    "JoinResult",
    "PrivacyError",
    "Publication",
    "RunLockedError",
    "RunResult",
    "SchemaError",
    "Settings",
    "StudyAreaError",
    "ValidationReport",
    "area_indicators",
    "area_typology",
    "assign_areas",
    "city_indicators",
    "classify_businesses",
    "criteria_table",
    "default_settings_text",
    "export_qgis_package",
    "fetch_cbs",
    "generate_demo_data",
    "getis_ord",
    "hex_counts",
    "hex_grid",
    "join_businesses",
    "kde",
    "load_businesses",
    "load_buurten",
    "load_candidates",
    "load_settings",
    "load_stations",
    "load_wijken",
    "make_map",
    "rank_stability",
    "read_table",
    "run",
    "score_sites",
    "search_zones",
    "sector_labels",
    "validate_businesses",
    "wijken_from_buurten",
    "write_geopackage",
    "write_geotiff",
    "write_qgis_project",
    "write_raster_style",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """Import ``name`` from its module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'almere_gis' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Every public name, imported or not."""
    return sorted(set(globals()) | set(_EXPORTS))
