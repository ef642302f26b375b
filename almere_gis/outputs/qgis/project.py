"""The QGIS project (``.qgs``): every layer of a package, styled, in order, by relative path.

The project is written from what the package writer holds in memory (layer names, geometry,
extent, style, description): nothing is read back from the GeoPackage or the GeoTIFFs. Each
layer carries its style inside the project, because QGIS does not apply a GeoPackage's default
style to layers it reads from a project file.
"""

from __future__ import annotations

__all__ = ["ProjectLayer", "raster_layer", "table_layer", "vector_layer", "write_qgis_project"]

import logging
import os
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..._schema import CRS_RD, RD_EXTENT
from ...io import atomic
from .gpkg import LayerGeometry
from .symbols import QGIS_VERSION, serialise, xml_number

log = logging.getLogger("almere_gis")

_RD_PROJ4 = (
    "+proj=sterea +lat_0=52.1561605555556 +lon_0=5.38763888888889 +k=0.9999079 "
    "+x_0=155000 +y_0=463000 +ellps=bessel +units=m +no_defs"
)
_GEOMETRY_NAMES = {0: "Point", 1: "Line", 2: "Polygon"}

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ProjectLayer:
    """One layer of a project, as the package writer knows it."""

    name: str
    kind: str  # "vector", "table" or "raster"
    source: str  # relative to the project folder
    provider: str  # "ogr" or "gdal"
    geometry: str = ""  # "Point", "Line", "Polygon", "No geometry" (vectors and tables)
    wkb_type: str = ""
    extent: Box | None = None
    style: str | None = None  # QML
    abstract: str = ""


def _relative(target: Path, base: Path) -> str:
    rel = Path(os.path.relpath(target.resolve(), base.resolve())).as_posix()
    return rel if rel.startswith("../") else f"./{rel}"


def vector_layer(
    name: str, gpkg: Path, base: Path, geometry: LayerGeometry, *, style: str, abstract: str
) -> ProjectLayer:
    """A spatial layer of a GeoPackage (``base`` = the project's folder)."""
    return ProjectLayer(
        name=name,
        kind="vector",
        source=f"{_relative(gpkg, base)}|layername={name}",
        provider="ogr",
        geometry=_GEOMETRY_NAMES[geometry.code],
        wkb_type=geometry.wkb_type,
        extent=geometry.extent,
        style=style,
        abstract=abstract,
    )


def table_layer(name: str, gpkg: Path, base: Path, *, abstract: str) -> ProjectLayer:
    """An attribute table of a GeoPackage."""
    return ProjectLayer(
        name=name,
        kind="table",
        source=f"{_relative(gpkg, base)}|layername={name}",
        provider="ogr",
        geometry="No geometry",
        wkb_type="NoGeometry",
        abstract=abstract,
    )


def raster_layer(
    name: str, tif: Path, base: Path, *, extent: Box, style: str, abstract: str
) -> ProjectLayer:
    """A GeoTIFF in EPSG:28992."""
    return ProjectLayer(
        name=name,
        kind="raster",
        source=_relative(tif, base),
        provider="gdal",
        extent=extent,
        style=style,
        abstract=abstract,
    )


def _layer_id(name: str) -> str:
    # Stable ids keep repeated runs byte-identical apart from the data.
    return f"{name}_{uuid.uuid5(uuid.NAMESPACE_URL, 'almere_gis/' + name).hex}"


def _spatialrefsys(parent: ET.Element) -> None:
    srs = ET.SubElement(parent, "spatialrefsys")
    for tag, value in [
        ("proj4", _RD_PROJ4),
        ("srsid", "2517"),
        ("srid", "28992"),
        ("authid", CRS_RD),
        ("description", "Amersfoort / RD New"),
        ("projectionacronym", "sterea"),
        ("ellipsoidacronym", "EPSG:7004"),
        ("geographicflag", "false"),
    ]:
        ET.SubElement(srs, tag).text = value


def _extent(parent: ET.Element, box: Box, tag: str = "extent") -> None:
    element = ET.SubElement(parent, tag)
    for key, value in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True):
        ET.SubElement(element, key).text = xml_number(value)


def _maplayer_attributes(layer: ProjectLayer) -> dict[str, str]:
    attrs = {
        "type": "raster" if layer.kind == "raster" else "vector",
        "hasScaleBasedVisibilityFlag": "0",
        "minScale": "100000000",
        "maxScale": "0",
        "styleCategories": "AllStyleCategories",
        "autoRefreshEnabled": "0",
        "autoRefreshTime": "0",
        "refreshOnNotifyEnabled": "0",
        "refreshOnNotifyMessage": "",
        "legendPlaceholderImage": "",
    }
    if layer.kind != "raster":
        attrs |= {
            "geometry": layer.geometry,
            "wkbType": layer.wkb_type,
            "readOnly": "0",
            "labelsEnabled": "0",
        }
    return attrs


def _maplayer(layer: ProjectLayer) -> ET.Element:
    element = ET.Element("maplayer", _maplayer_attributes(layer))
    if layer.extent is not None:
        _extent(element, layer.extent)
    ET.SubElement(element, "id").text = _layer_id(layer.name)
    ET.SubElement(element, "datasource").text = layer.source
    ET.SubElement(ET.SubElement(element, "keywordList"), "value").text = ""
    ET.SubElement(element, "layername").text = layer.name
    if layer.kind != "table":
        _spatialrefsys(ET.SubElement(element, "srs"))
    meta = ET.SubElement(element, "resourceMetadata")
    ET.SubElement(meta, "identifier").text = layer.name
    ET.SubElement(meta, "title").text = layer.name
    ET.SubElement(meta, "abstract").text = layer.abstract
    provider = ET.SubElement(element, "provider")
    provider.text = layer.provider
    if layer.provider == "ogr":
        provider.set("encoding", "UTF-8")
    manager = ET.SubElement(element, "map-layer-style-manager", current="default")
    ET.SubElement(manager, "map-layer-style", name="default")
    if layer.style:
        # The same elements as the QML document, directly inside <maplayer>.
        for child in ET.fromstring(layer.style):
            element.append(child)
    return element


def _tree_layer(parent: ET.Element, layer: ProjectLayer, visible: bool) -> None:
    node = ET.SubElement(
        parent,
        "layer-tree-layer",
        {
            "id": _layer_id(layer.name),
            "name": layer.name,
            "source": layer.source,
            "providerKey": layer.provider,
            "checked": "Qt::Checked" if visible else "Qt::Unchecked",
            "expanded": "1" if layer.kind == "vector" else "0",
            "legend_exp": "",
            "patch_size": "-1,-1",
            "legend_split_behavior": "0",
        },
    )
    ET.SubElement(node, "customproperties")


def _layer_tree(
    root: ET.Element,
    drawn: Sequence[ProjectLayer],
    tables: Sequence[ProjectLayer],
    shown: set[str],
    tables_group: str,
) -> None:
    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    for layer in drawn:
        _tree_layer(tree, layer, layer.name in shown)
    if tables:
        group = ET.SubElement(
            tree, "layer-tree-group", name=tables_group, checked="Qt::Checked", expanded="0"
        )
        ET.SubElement(group, "customproperties")
        for layer in tables:
            _tree_layer(group, layer, True)
    custom = ET.SubElement(tree, "custom-order", enabled="0")
    for layer in [*drawn, *tables]:
        ET.SubElement(custom, "item").text = _layer_id(layer.name)


def full_extent(layers: Iterable[ProjectLayer]) -> Box:
    """The union of the layers' extents; the Netherlands when no layer has one."""
    boxes = [layer.extent for layer in layers if layer.extent is not None]
    if not boxes:
        return RD_EXTENT
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _canvas_and_view(root: ET.Element, full: Box) -> None:
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    ET.SubElement(canvas, "units").text = "meters"
    _extent(canvas, full)
    ET.SubElement(canvas, "rotation").text = "0"
    _spatialrefsys(ET.SubElement(canvas, "destinationsrs"))
    ET.SubElement(canvas, "rendermaptile").text = "0"


def _properties(root: ET.Element, full: Box) -> None:
    properties = ET.SubElement(root, "properties")
    paths = ET.SubElement(properties, "Paths")
    ET.SubElement(paths, "Absolute", type="bool").text = "false"
    srs = ET.SubElement(properties, "SpatialRefSys")
    ET.SubElement(srs, "ProjectionsEnabled", type="int").text = "1"
    view = ET.SubElement(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
    ET.SubElement(view, "Scales")
    keys = ("xmin", "ymin", "xmax", "ymax")
    default_view = ET.SubElement(
        view, "DefaultViewExtent", {k: xml_number(v) for k, v in zip(keys, full, strict=True)}
    )
    _spatialrefsys(default_view)


def write_qgis_project(
    path: str | Path,
    layers: Sequence[ProjectLayer],
    *,
    title: str,
    visible: Iterable[str] = (),
    tables_group: str = "Tabellen",
) -> Path:
    """Write a QGIS project (``.qgs``, QGIS 3.22 or later) that opens the package styled.

    Parameters
    ----------
    path : str or Path
        Target ``.qgs`` file.
    layers : sequence of ProjectLayer
        Drawn layers from top to bottom (vectors, then rasters), and attribute tables, which
        go into a group ``tables_group`` at the end (see :func:`vector_layer`,
        :func:`raster_layer`, :func:`table_layer`).
    title : str
        Project title.
    visible : iterable of str
        Layers switched on when the project opens; the others are loaded but hidden.
    tables_group : str
        Name of the group holding the attribute tables.

    Returns
    -------
    Path
        ``path``. The project CRS is EPSG:28992; there is no basemap, so it opens offline.
        Paths are relative, so the folder can be moved or shared as a whole.
    """
    drawn = [layer for layer in layers if layer.kind != "table"]
    tables = [layer for layer in layers if layer.kind == "table"]
    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    _spatialrefsys(ET.SubElement(root, "projectCrs"))
    _layer_tree(root, drawn, tables, set(visible), tables_group)
    full = full_extent(drawn)
    _canvas_and_view(root, full)
    projectlayers = ET.SubElement(root, "projectlayers")
    layerorder = ET.SubElement(root, "layerorder")
    for layer in [*drawn, *tables]:
        projectlayers.append(_maplayer(layer))
        ET.SubElement(layerorder, "layer", id=_layer_id(layer.name))
    _properties(root, full)
    atomic.write_text(serialise(root), path)
    log.info("QGIS project written: %s", path)
    return Path(path)
