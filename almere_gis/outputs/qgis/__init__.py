"""The QGIS packages: a styled GeoPackage and a QGIS project, public and internal.

GIS staff open ``almere_gis.qgs`` (in ``publicatie/``) or ``almere_gis_intern.qgs`` (in
``intern/``) with one double-click and get every layer of the analysis in RD New, in a sensible
order and styled with the same classes and colours as the HTML map
(:mod:`almere_gis.outputs.style`). The pieces also stand alone:

- the GeoPackage carries a default style per spatial layer in its ``layer_styles`` table, so a
  layer dragged into any QGIS project opens styled;
- every density GeoTIFF has a sidecar ``<name>.qml`` that QGIS applies when it opens the file;
- the project embeds the same styles, because QGIS does not apply a GeoPackage's default style
  to layers it reads from a project file.

The room, one job per file:

============== =============================================================================
symbols        colours, geometry codes, symbols, the QML document
qml            vector renderers: graduated, categorized, ranked points, "too few to show"
raster_style   the density ramp over a surface's display range, the sidecar ``.qml``
choropleth     the buurt classes, computed once from the public view and shared
fields         the field catalogue (texts in ``texts/qgis.toml``)
layers         each frame as a named, described and styled layer
gpkg           the GeoPackage writer (one pass, from memory)
project        the ``.qgs`` writer (from the same layers in memory)
package        the public and the internal package
============== =============================================================================
"""

from __future__ import annotations

__all__ = [
    "FIELD_TABLE",
    "LAYER_NAMES",
    "STYLE_TABLE",
    "BuurtClasses",
    "ProjectLayer",
    "QgisPackage",
    "buurt_classes",
    "describe_fields",
    "export_qgis_package",
    "internal_names",
    "qml_categorized",
    "qml_graduated",
    "qml_ranked_points",
    "qml_raster_pseudocolor",
    "qml_single",
    "qml_too_few",
    "raster_style",
    "write_geopackage",
    "write_internal_package",
    "write_package",
    "write_public_package",
    "write_qgis_project",
    "write_raster_style",
]

import warnings
from pathlib import Path
from typing import Any

from .choropleth import BuurtClasses, buurt_classes
from .fields import describe_fields
from .gpkg import FIELD_TABLE, STYLE_TABLE, write_geopackage
from .layers import LAYER_NAMES
from .package import (
    QgisPackage,
    internal_names,
    write_internal_package,
    write_package,
    write_public_package,
)
from .project import ProjectLayer, write_qgis_project
from .qml import qml_categorized, qml_graduated, qml_ranked_points, qml_single, qml_too_few
from .raster_style import qml_raster_pseudocolor, raster_style, write_raster_style


def export_qgis_package(out_dir: str | Path, **frames: Any) -> QgisPackage:
    """Deprecated: use :func:`write_public_package` or :func:`write_internal_package`.

    Writes the internal package (``<gpkg>_intern.gpkg``), as this function always wrote every
    layer unsuppressed; ``candidates_scored`` is accepted for ``candidates``. Density rasters
    are no longer read from files: pass ``surfaces`` and ``rasters`` (same keys).
    """
    warnings.warn(
        "export_qgis_package is deprecated: use write_public_package (publicatie/) or "
        "write_internal_package (intern/)",
        DeprecationWarning,
        stacklevel=2,
    )
    if "candidates_scored" in frames:
        frames["candidates"] = frames.pop("candidates_scored")
    return write_internal_package(out_dir, **frames)
