"""The QGIS package: one GeoPackage with styled layers, styled GeoTIFFs and a QGIS project.

GIS staff open ``almere_gis.qgs`` with one double-click and get every layer of the analysis in
RD New, in a sensible order and styled with the same classes and colours as the HTML map
(:mod:`almere_gis._style`). The pieces also stand alone:

- the GeoPackage carries a default style per spatial layer in its ``layer_styles`` table, so a
  layer dragged into any QGIS project opens styled;
- every density GeoTIFF has a sidecar ``<name>.qml`` that QGIS applies when it opens the file;
- the project embeds the same styles, because QGIS does not apply a GeoPackage's default style
  to layers it reads from a project file.

The GeoPackage is written with pyogrio (GeoPackage 1.3, which the GDAL shipped with QGIS 3.22
reads without warnings); the ``layer_styles`` table and the descriptions are added with sqlite3.
Every file is written to a temporary file in the target folder and renamed onto the target, so a
failed run never leaves a half-written package behind.
"""

from __future__ import annotations

__all__ = [
    "FIELD_TABLE",
    "LAYER_NAMES",
    "STYLE_TABLE",
    "QgisPackage",
    "describe_fields",
    "export_qgis_package",
    "qml_categorized",
    "qml_graduated",
    "qml_ranked_points",
    "qml_raster_pseudocolor",
    "write_geopackage",
    "write_qgis_project",
    "write_raster_style",
]

import logging
import os
import re
import sqlite3
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .._errors import InputError
from .._schema import CRS_RD
from ..io import atomic as _io
from ..settings import Settings
from .style import (
    DENSITY_RAMP,
    HOTSPOT_CLASSES,
    HOTSPOT_COLOURS,
    HOTSPOT_LABELS,
    SEARCH_ZONE,
    SITE_EXCLUDED,
    SITE_OTHER,
    SITE_TOP,
    WIJK_OUTLINE,
)

log = logging.getLogger("almere_gis")

# GeoPackage layer names, keyed by the pipeline's name for each frame.
LAYER_NAMES: dict[str, str] = {
    "businesses": "vestigingen_vertrouwelijk",
    "candidates": "kandidaatlocaties",
    "search_zones": "zoekgebieden",
    "hexagons": "hexagonen",
    "wijken": "wijken",
    "buurten": "buurten",
    "accounting": "verantwoording",
    "rejects": "afgewezen",
}
FIELD_TABLE = "veldbeschrijvingen"
STYLE_TABLE = "layer_styles"

# Top of the layer panel first: points over polygons, fine polygons over coarse ones,
# the density surface at the bottom.
_DEFAULT_ORDER = [
    LAYER_NAMES["businesses"],
    LAYER_NAMES["candidates"],
    LAYER_NAMES["search_zones"],
    LAYER_NAMES["hexagons"],
    LAYER_NAMES["wijken"],
    LAYER_NAMES["buurten"],
]
# Switched on when the project opens, as on the HTML map; the rest is loaded but hidden
# (hexagons and the density surface would cover the buurten; the points are confidential).
_DEFAULT_VISIBLE = {
    LAYER_NAMES["candidates"],
    LAYER_NAMES["search_zones"],
    LAYER_NAMES["wijken"],
    LAYER_NAMES["buurten"],
}

_QGIS_VERSION = "3.22.0"
_GPKG_VERSION = "1.3"  # GDAL 3.6 (QGIS 3.22 on Debian 12) warns on GeoPackage 1.4 files
_GEOMETRY_CODES = {"point": 0, "line": 1, "polygon": 2}
_GEOMETRY_NAMES = {0: "Point", 1: "Line", 2: "Polygon"}
_EMPTY_GEOMETRY_TYPE = {0: "Point", 1: "MultiLineString", 2: "MultiPolygon"}
_RD_PROJ4 = (
    "+proj=sterea +lat_0=52.1561605555556 +lon_0=5.38763888888889 +k=0.9999079 "
    "+x_0=155000 +y_0=463000 +ellps=bessel +units=m +no_defs"
)
_OUTLINE = "#8c8c8c"

# Qualitative ColorBrewer Paired scheme for sector groups of the (internal) points layer;
# the HTML map never shows points, so no shared palette exists for them.
_SECTOR_PALETTE = [
    "#1f78b4",
    "#33a02c",
    "#e31a1c",
    "#ff7f00",
    "#6a3d9a",
    "#b15928",
    "#a6cee3",
    "#b2df8a",
    "#fb9a99",
    "#fdbf6f",
    "#cab2d6",
    "#ffff99",
]
_OTHER_SECTOR_COLOUR = "#bdbdbd"


@dataclass(frozen=True)
class QgisPackage:
    """Paths written by :func:`export_qgis_package`."""

    gpkg: Path
    qgs: Path
    raster_styles: tuple[Path, ...]


# --------------------------------------------------------------------------------------------
# QML: symbols and renderers
# --------------------------------------------------------------------------------------------


def _rgba(colour: str, alpha: float = 1.0) -> str:
    """``"#rrggbb"`` (and opacity 0-1) as QGIS's ``"r,g,b,a"``."""
    text = colour.lstrip("#")
    if len(text) != 6 or not re.fullmatch(r"[0-9a-fA-F]{6}", text):
        raise ValueError(f"colour {colour!r} is not '#rrggbb'. Fix: give a 6-digit hex colour.")
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(255 * float(np.clip(alpha, 0.0, 1.0)))}"


def _geometry_code(geometry_type: int | str) -> int:
    """0 point, 1 line, 2 polygon, from that code or a name such as ``"MultiPolygon"``."""
    if isinstance(geometry_type, int | np.integer) and int(geometry_type) in _GEOMETRY_NAMES:
        return int(geometry_type)
    name = str(geometry_type).lower()
    for key, code in _GEOMETRY_CODES.items():
        if key in name:
            return code
    if "curve" in name:
        return 1
    raise ValueError(
        f"geometry type {geometry_type!r} is not a point, line or polygon type. "
        "Fix: pass 0 (point), 1 (line), 2 (polygon) or a name such as 'MultiPolygon'."
    )


def _symbol_layer(element: ET.Element, cls: str, props: Mapping[str, str]) -> None:
    """A symbol layer with its properties written both ways QGIS 3.22 reads them."""
    layer = ET.SubElement(element, "layer", {"class": cls, "enabled": "1", "locked": "0"})
    layer.set("pass", "0")
    options = ET.SubElement(layer, "Option", type="Map")
    for key in sorted(props):
        ET.SubElement(options, "Option", type="QString", name=key, value=props[key])
    for key in sorted(props):
        ET.SubElement(layer, "prop", k=key, v=props[key])


def _symbol(
    name: str,
    geometry_code: int,
    colour: str,
    *,
    alpha: float = 1.0,
    outline: str = _OUTLINE,
    outline_width_mm: float = 0.26,
    size_mm: float = 2.4,
) -> ET.Element:
    """A QGIS symbol element: a circle marker, a line or a filled polygon."""
    kind = {0: "marker", 1: "line", 2: "fill"}[geometry_code]
    symbol = ET.Element(
        "symbol",
        {"type": kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    if geometry_code == 0:
        _symbol_layer(
            symbol,
            "SimpleMarker",
            {
                "name": "circle",
                "color": _rgba(colour, alpha),
                "outline_color": _rgba(outline),
                "outline_style": "solid",
                "outline_width": f"{outline_width_mm:g}",
                "outline_width_unit": "MM",
                "size": f"{size_mm:g}",
                "size_unit": "MM",
                "scale_method": "diameter",
                "joinstyle": "bevel",
                "angle": "0",
            },
        )
    elif geometry_code == 1:
        _symbol_layer(
            symbol,
            "SimpleLine",
            {
                "line_color": _rgba(colour, alpha),
                "line_style": "solid",
                "line_width": f"{max(outline_width_mm, 0.5):g}",
                "line_width_unit": "MM",
                "capstyle": "square",
                "joinstyle": "bevel",
            },
        )
    else:
        _symbol_layer(
            symbol,
            "SimpleFill",
            {
                "color": _rgba(colour, alpha),
                "style": "solid",
                "outline_color": _rgba(outline),
                "outline_style": "solid",
                "outline_width": f"{outline_width_mm:g}",
                "outline_width_unit": "MM",
                "joinstyle": "bevel",
            },
        )
    return symbol


def _qml_document(
    renderer: ET.Element,
    geometry_code: int,
    *,
    opacity: float = 1.0,
) -> str:
    root = ET.Element("qgis", version=_QGIS_VERSION, styleCategories="Symbology")
    root.append(renderer)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = f"{opacity:g}"
    ET.SubElement(root, "layerGeometryType").text = str(geometry_code)
    return _serialise(root)


def _serialise(root: ET.Element) -> str:
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def _number(value: float) -> str:
    """Shortest text that reads back as exactly ``value`` (class bounds must not drift)."""
    return repr(float(value))


def _label_number(value: float, precision: int) -> str:
    text = f"{value:,.{precision}f}".replace(",", " ")
    return text.rstrip("0").rstrip(".") if "." in text else text


def qml_graduated(
    field: str,
    breaks: Sequence[float],
    colours: Sequence[str],
    geometry_type: int | str,
    *,
    minimum: float | None = None,
    labels: Sequence[str] | None = None,
    precision: int = 1,
    outline: str = _OUTLINE,
    outline_width_mm: float = 0.15,
    alpha: float = 1.0,
) -> str:
    """A graduated (classed) style as QML text, one colour per class.

    Classes are those of :func:`almere_gis._style.class_breaks`: ``breaks`` are the upper
    bounds, class ``i`` holds ``breaks[i-1] < value <= breaks[i]`` and the first class starts
    at ``minimum``. Features with a missing value are not drawn (QGIS has no class for NULL).

    Parameters
    ----------
    field
        Attribute (or QGIS expression) to class.
    breaks
        Upper class bounds, ascending.
    colours
        One ``"#rrggbb"`` colour per class, e.g. :func:`almere_gis._style.choropleth_colours`.
    geometry_type
        0 point, 1 line, 2 polygon (or a geometry type name); written as ``layerGeometryType``,
        which QGIS checks against the layer.
    minimum
        Lower bound of the first class; default 0, or the first break if that is negative.
    labels
        Legend labels, one per class; default ``"lower - upper"``.
    precision
        Decimals in the default labels.
    outline, outline_width_mm, alpha
        Outline colour and width of polygons and markers, fill opacity (0-1).

    Returns
    -------
    str
        QML document with a ``graduatedSymbol`` renderer.

    Examples
    --------
    >>> qml = qml_graduated("jobs_per_km2", [10.0, 50.0], ["#ffeda0", "#f03b20"], 2)
    >>> 'type="graduatedSymbol"' in qml and "<layerGeometryType>2<" in qml
    True
    """
    breaks = [float(b) for b in breaks]
    if len(colours) != len(breaks):
        raise ValueError(
            f"qml_graduated: {len(breaks)} class bounds but {len(colours)} colours. "
            "Fix: give one colour per class (choropleth_colours(len(breaks)))."
        )
    if any(b2 < b1 for b1, b2 in zip(breaks, breaks[1:], strict=False)):
        raise ValueError(f"qml_graduated: class bounds {breaks} are not ascending. Fix: sort them.")
    if labels is not None and len(labels) != len(breaks):
        raise ValueError("qml_graduated: give one label per class.")
    code = _geometry_code(geometry_type)
    if minimum is None:
        minimum = min(0.0, breaks[0]) if breaks else 0.0
    renderer = ET.Element(
        "renderer-v2",
        {
            "type": "graduatedSymbol",
            "attr": field,
            "graduatedMethod": "GraduatedColor",
            "symbollevels": "0",
            "enableorderby": "0",
            "forceraster": "0",
            "referencescale": "-1",
        },
    )
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    lowers = [float(minimum), *breaks[:-1]]
    for i, (lower, upper, colour) in enumerate(zip(lowers, breaks, colours, strict=True)):
        label = (
            labels[i]
            if labels is not None
            else f"{_label_number(lower, precision)} - {_label_number(upper, precision)}"
        )
        ET.SubElement(
            ranges,
            "range",
            lower=_number(lower),
            upper=_number(upper),
            symbol=str(i),
            label=label,
            render="true",
        )
        symbols.append(
            _symbol(
                str(i),
                code,
                colour,
                alpha=alpha,
                outline=outline,
                outline_width_mm=outline_width_mm,
            )
        )
    source = ET.SubElement(renderer, "source-symbol")
    source.append(_symbol("0", code, colours[-1] if colours else _OUTLINE, outline=outline))
    method = ET.SubElement(renderer, "classificationMethod", id="Custom")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(
        method,
        "labelFormat",
        format="%1 - %2",
        labelprecision=str(precision),
        trimtrailingzeroes="1",
    )
    ET.SubElement(ET.SubElement(method, "parameters"), "Option")
    ET.SubElement(method, "extraInformation")
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return _qml_document(renderer, code)


def qml_categorized(
    field: str,
    categories: Sequence[tuple[object, str, str]],
    geometry_type: int | str,
    *,
    outline: str = _OUTLINE,
    outline_width_mm: float = 0.15,
    alpha: float = 1.0,
    alphas: Mapping[str, float] | None = None,
    size_mm: float = 2.4,
) -> str:
    """A categorized style as QML text: one symbol per value.

    Parameters
    ----------
    field
        Attribute, or a QGIS expression returning the category value.
    categories
        ``(value, "#rrggbb", label)`` per category, in legend order.
    geometry_type
        0 point, 1 line, 2 polygon (or a geometry type name).
    outline, outline_width_mm, alpha, size_mm
        Outline colour and width, fill opacity (0-1), marker size.
    alphas
        Fill opacity per category value, overriding ``alpha`` (0 = outline only).

    Returns
    -------
    str
        QML document with a ``categorizedSymbol`` renderer.

    Examples
    --------
    >>> from almere_gis._style import HOTSPOT_CLASSES, HOTSPOT_COLOURS
    >>> cats = [(c, HOTSPOT_COLOURS[c], c) for c in HOTSPOT_CLASSES]
    >>> 'value="hot_99"' in qml_categorized("gi_class", cats, "Polygon")
    True
    """
    code = _geometry_code(geometry_type)
    values = [str(value) for value, _, _ in categories]
    if len(set(values)) != len(values):
        raise ValueError(f"qml_categorized: duplicate category values in {values}.")
    renderer = ET.Element(
        "renderer-v2",
        {
            "type": "categorizedSymbol",
            "attr": field,
            "symbollevels": "0",
            "enableorderby": "0",
            "forceraster": "0",
            "referencescale": "-1",
        },
    )
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, colour, label) in enumerate(categories):
        ET.SubElement(cats, "category", value=str(value), symbol=str(i), label=label, render="true")
        symbols.append(
            _symbol(
                str(i),
                code,
                colour,
                alpha=(alphas or {}).get(str(value), alpha),
                outline=outline,
                outline_width_mm=outline_width_mm,
                size_mm=size_mm,
            )
        )
    source = ET.SubElement(renderer, "source-symbol")
    source.append(_symbol("0", code, _OUTLINE, outline=outline))
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return _qml_document(renderer, code)


def qml_ranked_points(
    geometry_type: int | str = 0,
    *,
    rank_field: str = "rank",
    excluded_field: str | None = "excluded",
    top_k: int = 10,
    language: str = "nl",
    size_mm: float = 4.0,
) -> str:
    """Candidate sites as QML: the top ``top_k`` highlighted, the others muted, excluded grey.

    The categories come from a QGIS expression on ``rank_field`` (1 = best) and
    ``excluded_field``, with the colours ``SITE_TOP``, ``SITE_OTHER`` and ``SITE_EXCLUDED`` of
    the HTML map.

    Examples
    --------
    >>> import xml.etree.ElementTree as ET
    >>> renderer = ET.fromstring(qml_ranked_points(0, top_k=5)).find("renderer-v2")
    >>> renderer.get("type"), '"rank" <= 5' in renderer.get("attr")
    ('categorizedSymbol', True)
    """
    if top_k < 1:
        raise ValueError(f"qml_ranked_points: top_k must be at least 1, got {top_k}.")
    text = {
        "nl": (f"Top {top_k}", "Overige kandidaten", "Uitgesloten"),
        "en": (f"Top {top_k}", "Other candidates", "Excluded"),
    }[language]
    rank = _quote_field(rank_field)
    excluded_case = (
        f"WHEN coalesce({_quote_field(excluded_field)}, false) THEN 'excluded' "
        if excluded_field
        else ""
    )
    expression = (
        f"CASE {excluded_case}WHEN {rank} IS NOT NULL AND {rank} <= {int(top_k)} THEN 'top' "
        "ELSE 'other' END"
    )
    categories = [("top", SITE_TOP, text[0]), ("other", SITE_OTHER, text[1])]
    if excluded_field:
        categories.append(("excluded", SITE_EXCLUDED, text[2]))
    return qml_categorized(
        expression,
        categories,
        geometry_type,
        outline="#ffffff" if _geometry_code(geometry_type) == 0 else WIJK_OUTLINE,
        outline_width_mm=0.4,
        size_mm=size_mm,
    )


def _quote_field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qml_raster_pseudocolor(
    ramp: Sequence[tuple[float, str]] = tuple(DENSITY_RAMP),
    vmin: float = 0.0,
    vmax: float = 1.0,
    *,
    band: int = 1,
    units: str = "",
    precision: int = 1,
    opacity: float = 1.0,
) -> str:
    """A single-band pseudocolor raster style (QML) with an interpolated colour ramp.

    Parameters
    ----------
    ramp
        ``(fraction, "#rrggbb")`` stops, fractions 0-1 of the range ``vmin``-``vmax``
        (default :data:`almere_gis._style.DENSITY_RAMP`, the HTML map's density ramp).
    vmin, vmax
        Values at fraction 0 and 1.
    band
        Band to colour.
    units
        Appended to the legend labels, e.g. ``"per km²"``.
    precision
        Decimals in the labels.
    opacity
        Layer opacity 0-1.

    Returns
    -------
    str
        QML document with a ``singlebandpseudocolor`` renderer.

    Examples
    --------
    >>> qml = qml_raster_pseudocolor(vmin=0.0, vmax=100.0)
    >>> 'colorRampType="INTERPOLATED"' in qml and 'value="100.0"' in qml
    True
    """
    if not np.isfinite(vmin) or not np.isfinite(vmax) or vmax < vmin:
        raise ValueError(f"qml_raster_pseudocolor: need finite vmin <= vmax, got {vmin}, {vmax}.")
    fractions = [float(f) for f, _ in ramp]
    if not ramp or any(b <= a for a, b in zip(fractions, fractions[1:], strict=False)):
        raise ValueError("qml_raster_pseudocolor: ramp stops must be ascending fractions 0-1.")
    root = ET.Element("qgis", version=_QGIS_VERSION, styleCategories="Symbology")
    pipe = ET.SubElement(root, "pipe")
    renderer = ET.SubElement(
        pipe,
        "rasterrenderer",
        {
            "type": "singlebandpseudocolor",
            "band": str(band),
            "opacity": f"{opacity:g}",
            "alphaBand": "-1",
            "classificationMin": _number(vmin),
            "classificationMax": _number(vmax),
            "nodataColor": "",
        },
    )
    ET.SubElement(renderer, "rasterTransparency")
    origin = ET.SubElement(renderer, "minMaxOrigin")
    for tag, value in [
        ("limits", "None"),
        ("extent", "WholeRaster"),
        ("statAccuracy", "Estimated"),
        ("cumulativeCutLower", "0.02"),
        ("cumulativeCutUpper", "0.98"),
        ("stdDevFactor", "2"),
    ]:
        ET.SubElement(origin, tag).text = value
    shader = ET.SubElement(ET.SubElement(renderer, "rastershader"), "colorrampshader")
    shader.attrib.update(
        {
            "colorRampType": "INTERPOLATED",
            "classificationMode": "1",
            "clip": "0",
            "minimumValue": _number(vmin),
            "maximumValue": _number(vmax),
            "labelPrecision": str(precision),
        }
    )
    suffix = f" {units}" if units else ""
    for fraction, colour in ramp:
        stop = vmin + float(fraction) * (vmax - vmin)
        ET.SubElement(
            shader,
            "item",
            value=_number(stop),
            color=colour.lower(),
            alpha="255",
            label=_label_number(stop, precision) + suffix,
        )
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(
        pipe,
        "huesaturation",
        saturation="0",
        grayscaleMode="0",
        invertColors="0",
        colorizeOn="0",
        colorizeRed="255",
        colorizeGreen="128",
        colorizeBlue="128",
        colorizeStrength="100",
    )
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(root, "blendMode").text = "0"
    return _serialise(root)


def _raster_info(tif_path: Path) -> tuple[str | None, tuple[float, float, float, float], float]:
    """CRS (``"EPSG:nnnn"`` or WKT), bounds and the largest valid value of band 1."""
    import rasterio

    with rasterio.open(tif_path) as src:
        crs = src.crs
        authority = crs.to_authority() if crs is not None else None
        crs_text = (
            f"{authority[0]}:{authority[1]}" if authority else (crs.to_wkt() if crs else None)
        )
        data = src.read(1, masked=True)
        bounds = tuple(float(b) for b in src.bounds)
    values = np.ma.filled(data.astype(float), np.nan)
    finite = values[np.isfinite(values)]
    vmax = float(finite.max()) if finite.size else 0.0
    return crs_text, bounds, vmax  # type: ignore[return-value]


def write_raster_style(
    tif_path: str | Path,
    *,
    ramp: Sequence[tuple[float, str]] = tuple(DENSITY_RAMP),
    vmin: float = 0.0,
    vmax: float | None = None,
    units: str = "",
    precision: int = 1,
) -> Path:
    """Write ``<name>.qml`` beside a GeoTIFF: a pseudocolor style QGIS applies on opening it.

    Parameters
    ----------
    tif_path
        Single-band GeoTIFF in EPSG:28992 (e.g. a KDE surface).
    ramp
        Colour stops as fractions of ``vmin``-``vmax``; default the HTML map's density ramp.
    vmin, vmax
        Value range of the ramp; ``vmax`` defaults to the raster's largest valid value (the
        HTML map scales its density overlay the same way).
    units, precision
        Legend label units and decimals.

    Returns
    -------
    Path
        The ``.qml`` file.

    Raises
    ------
    InputError
        If the raster is not in EPSG:28992.
    """
    tif_path = Path(tif_path)
    crs, _, data_max = _raster_info(tif_path)
    if crs != CRS_RD:
        raise InputError(
            tif_path,
            f"the raster's CRS is {crs or 'missing'}, not {CRS_RD} (RD New)",
            "write the density surface in EPSG:28992 (or warp it with gdalwarp -t_srs EPSG:28992)",
        )
    top = data_max if vmax is None else float(vmax)
    if top <= vmin:
        top = vmin + 1.0  # an all-zero surface still needs a valid ramp
    qml = qml_raster_pseudocolor(ramp, vmin, top, units=units, precision=precision)
    return _io.write_text(qml, tif_path.with_suffix(".qml"))


# --------------------------------------------------------------------------------------------
# Field descriptions
# --------------------------------------------------------------------------------------------

_BASE_FIELDS: dict[str, tuple[str, str]] = {
    # areas
    "buurt_code": ("CBS-buurtcode (BU + 8 cijfers)", ""),
    "buurt_name": ("Buurtnaam (CBS)", ""),
    "wijk_code": ("CBS-wijkcode (WK + 6 cijfers); in Almere een stadsdeel", ""),
    "wijk_name": ("Wijknaam (CBS); in Almere een stadsdeel", ""),
    "gemeente_code": ("CBS-gemeentecode (GM + 4 cijfers)", ""),
    "gemeente_name": ("Gemeentenaam (CBS)", ""),
    "inhabitants": ("Aantal inwoners (CBS, afgerond op 5)", "inwoners"),
    "households": ("Aantal huishoudens (CBS)", "huishoudens"),
    "homes": ("Aantal woningen (CBS)", "woningen"),
    "area_total_ha": ("Totale oppervlakte (CBS)", "ha"),
    "area_land_ha": ("Landoppervlakte (CBS)", "ha"),
    "area_water_ha": ("Wateroppervlakte (CBS)", "ha"),
    "dist_train_km": ("Gemiddelde afstand over de weg tot een treinstation (CBS)", "km"),
    "cbs_establishments": ("Aantal bedrijfsvestigingen volgens CBS", "vestigingen"),
    "share_social_minimum": ("Huishoudens rond het sociaal minimum (CBS)", "%"),
    "area_type": ("Gebiedstype: wonen, centrum, bedrijventerrein of buitengebied", ""),
    "suppressed": (
        "Onderdrukt: gebouwd op minder vestigingen dan de privacydrempel; niet publiceren",
        "ja/nee",
    ),
    # businesses
    "business_id": ("Vestigingsnummer", ""),
    "name": ("Naam (handelsnaam of locatienaam)", ""),
    "sbi": ("SBI 2008-code van de hoofdactiviteit", ""),
    "sbi_division": ("SBI-afdeling (eerste twee cijfers)", ""),
    "sector_group": ("Sectorgroep (uit de instellingen; 'overig' als geen groep past)", ""),
    "jobs_fulltime": ("Werkzame personen voltijd (12 uur of meer per week)", "personen"),
    "jobs_parttime": ("Werkzame personen deeltijd", "personen"),
    "home_based": ("Bedrijf aan huis (woonfunctie in het verblijfsobject)", "ja/nee"),
    "zzp": ("Zzp: precies één werkzame persoon", "ja/nee"),
    "small_scale": ("Kleinschalig: hoogstens de drempel aan werkzame personen", "ja/nee"),
    "start_year": ("Startjaar van de vestiging", "jaar"),
    "social_enterprise": ("Sociale onderneming", "ja/nee"),
    "source_row": ("Regelnummer in het invoerbestand (1 = eerste dataregel)", ""),
    "reason": ("Reden van afwijzing", ""),
    # hexagons and hot spots
    "hex_id": ("Hexagoncode", ""),
    "count_all": ("Aantal vestigingen", "vestigingen"),
    "count_small_scale": ("Aantal kleinschalige vestigingen", "vestigingen"),
    "count_home_based": ("Aantal bedrijven aan huis", "vestigingen"),
    "count_zzp": ("Aantal zzp-vestigingen", "vestigingen"),
    "jobs_all": ("Werkzame personen, alle vestigingen", "personen"),
    "gi_z": ("Getis-Ord Gi*: z-score", ""),
    "gi_p": ("Getis-Ord Gi*: p-waarde (analytisch, tweezijdig)", ""),
    "gi_p_sim": ("Getis-Ord Gi*: p-waarde uit permutaties", ""),
    "gi_q": ("Getis-Ord Gi*: p-waarde na Benjamini-Hochberg (FDR)", ""),
    "gi_class": ("Hot/cold spot-klasse (hot_99 ... ns ... cold_99)", ""),
    # candidate sites
    "site_id": ("Code van de kandidaatlocatie", ""),
    "site_type": ("Soort locatie (leeg kantoor, voormalige school, ...)", ""),
    "floor_area_m2": ("Vloeroppervlakte", "m²"),
    "vacant_since": ("Leeg sinds", "jaar"),
    "vacancy_share": ("Aandeel leegstand", "fractie 0-1"),
    "ownership": ("Eigendom", ""),
    "excluded": ("Uitgesloten van de rangorde", "ja/nee"),
    "exclusion_reason": ("Reden van uitsluiting", ""),
    "score": ("Totaalscore (gewogen som van de criteria)", "0-1"),
    "rank": ("Rang (1 = beste; leeg als uitgesloten)", ""),
    "explanation": ("Toelichting op de score", ""),
    "p_top_k": ("Kans om in de top k te staan bij gevarieerde gewichten", "fractie 0-1"),
    "rank_median": ("Mediane rang bij gevarieerde gewichten", ""),
    "rank_p05": ("5e percentiel van de rang bij gevarieerde gewichten", ""),
    "rank_p95": ("95e percentiel van de rang bij gevarieerde gewichten", ""),
    "robust": ("Robuust: kans op de top k boven de drempel", "ja/nee"),
    # the field-descriptions table itself
    "layer": ("Laag in deze GeoPackage", ""),
    "field": ("Veldnaam", ""),
    "description": ("Beschrijving", ""),
    "unit": ("Eenheid", ""),
}

_MEASURES: dict[str, str] = {
    "n_establishments": "aantal vestigingen",
    "jobs": "werkzame personen",
    "n_small_scale": "aantal kleinschalige vestigingen",
    "jobs_small_scale": "werkzame personen in kleinschalige vestigingen",
    "n_home_based": "aantal bedrijven aan huis",
    "jobs_home_based": "werkzame personen in bedrijven aan huis",
    "n_zzp": "aantal zzp-vestigingen",
    "jobs_zzp": "werkzame personen in zzp-vestigingen",
    "n_social_enterprise": "aantal sociale ondernemingen",
    "jobs_social_enterprise": "werkzame personen in sociale ondernemingen",
}
_MEASURE_UNITS = {"n": "vestigingen", "jobs": "personen"}

_CRITERIA: dict[str, str] = {
    "demand_walk": "vraag binnen loopafstand",
    "demand_cycle": "vraag binnen fietsafstand",
    "cluster": "nabijheid van een hot spot",
    "accessibility": "bereikbaarheid",
    "fit": "passende vloeroppervlakte",
    "mix": "menging van sectoren",
    "social": "sociale opgave",
}


def _describe(field: str, sectors: Mapping[str, str]) -> tuple[str, str]:
    """Description and unit of one field name (Dutch), ``("", "")`` if unknown."""
    if field in _BASE_FIELDS:
        return _BASE_FIELDS[field]
    if field in _MEASURES:
        return _MEASURES[field].capitalize(), _MEASURE_UNITS[
            "jobs" if field.startswith("j") else "n"
        ]
    for suffix, text, unit in [
        ("_per_km2", "{} per km² land", "per km²"),
        ("_per_1000_inhabitants", "{} per 1.000 inwoners", "per 1.000 inwoners"),
        ("_per_1000_homes", "{} per 1.000 woningen", "per 1.000 woningen"),
    ]:
        if field.endswith(suffix):
            base = field[: -len(suffix)]
            if base in _MEASURES:
                return text.format(_MEASURES[base].capitalize()), unit
    if field.startswith("share_") and field[6:] in _MEASURES:
        return f"Aandeel in het stadstotaal: {_MEASURES[field[6:]]}", "fractie 0-1"
    for suffix, text, unit in [
        ("_raw", "Criterium {}: gemeten waarde", ""),
        ("_norm", "Criterium {}: genormaliseerd", "0-1"),
        ("_contrib", "Criterium {}: bijdrage aan de score (gewicht × genormaliseerd)", "0-1"),
    ]:
        if field.endswith(suffix) and field[: -len(suffix)] in _CRITERIA:
            return text.format(_CRITERIA[field[: -len(suffix)]]), unit
    for prefix, text, unit in [
        ("n_", "Aantal vestigingen in sector {}", "vestigingen"),
        ("count_", "Aantal vestigingen in sector {}", "vestigingen"),
        ("jobs_", "Werkzame personen in sector {}", "personen"),
        ("lq_", "Locatiequotiënt banen sector {} (1 = stadsgemiddelde)", ""),
    ]:
        if field.startswith(prefix) and field[len(prefix) :] in sectors:
            return text.format(sectors[field[len(prefix) :]]), unit
    return "", ""


def describe_fields(
    layers: Mapping[str, pd.DataFrame],
    *,
    sector_labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Dutch description and unit of every attribute of every layer.

    Parameters
    ----------
    layers
        Layer name to frame; the geometry column is left out.
    sector_labels
        Sector group key to label, so that ``n_<key>``, ``jobs_<key>`` and ``lq_<key>`` are
        described; without it only ``overig`` is known.

    Returns
    -------
    DataFrame
        Columns ``layer``, ``field``, ``description``, ``unit``: one row per attribute, in
        layer and column order. Fields the package does not know get ``"(geen beschrijving)"``.

    Examples
    --------
    >>> import pandas as pd
    >>> describe_fields({"buurten": pd.DataFrame(columns=["jobs_zzp_per_km2"])}).iloc[0, 2]
    'Werkzame personen in zzp-vestigingen per km² land'
    """
    sectors = {"overig": "overig", **dict(sector_labels or {})}
    rows = []
    for layer, frame in layers.items():
        geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
        for column in frame.columns:
            if column == geometry:
                continue
            text, unit = _describe(str(column), sectors)
            rows.append((layer, str(column), text or "(geen beschrijving)", unit))
    return pd.DataFrame(rows, columns=["layer", "field", "description", "unit"])


# --------------------------------------------------------------------------------------------
# GeoPackage
# --------------------------------------------------------------------------------------------


def _qml_geometry_code(qml: str) -> int | None:
    match = re.search(r"<layerGeometryType>\s*(\d)\s*</layerGeometryType>", qml)
    return int(match.group(1)) if match else None


def _dimensions(frame: gpd.GeoDataFrame) -> np.ndarray:
    """The distinct dimensions (0 point, 1 line, 2 polygon) of the non-empty geometries."""
    geoms = np.asarray(frame.geometry.array, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return np.unique(shapely.get_dimensions(geoms[present]))


def _layer_geometry_code(frame: gpd.GeoDataFrame, name: str, path: Path) -> int | None:
    """0/1/2 for a layer of one geometry dimension, None if empty; refuse mixed layers."""
    dims = _dimensions(frame)
    if dims.size == 0:
        return None
    if dims.size > 1:
        raise InputError(
            path,
            f"layer '{name}' mixes points, lines and polygons, which QGIS cannot style as one "
            "layer",
            "split it into one layer per geometry type, or use representative points",
        )
    return int(dims[0])


def _check_layer(name: str, frame: pd.DataFrame, path: Path) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name.lower().startswith("gpkg_"):
        raise InputError(
            path,
            f"layer name '{name}' is not a plain identifier",
            "use letters, digits and underscores, not starting with a digit or 'gpkg_'",
        )
    if name in (STYLE_TABLE, FIELD_TABLE):
        raise InputError(path, f"layer name '{name}' is reserved", "choose another name")
    if isinstance(frame, gpd.GeoDataFrame):
        crs = frame.crs
        if crs is None or crs.to_epsg() != 28992:
            raise InputError(
                path,
                f"layer '{name}' is in {crs.to_string() if crs else 'no CRS'}, not {CRS_RD} "
                "(RD New)",
                "reproject it first with frame.to_crs('EPSG:28992')",
            )
    lowered = [str(c).lower() for c in frame.columns]
    duplicates = sorted({c for c in lowered if lowered.count(c) > 1})
    if duplicates or "fid" in lowered:
        raise InputError(
            path,
            f"layer '{name}' has column names GeoPackage cannot hold: "
            f"{duplicates or ['fid']} (duplicates ignoring case, or the reserved 'fid')",
            "rename those columns",
        )


def _plain_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame pyogrio writes as a GeoPackage attribute table (0..n-1 index, no geometry)."""
    return pd.DataFrame(frame).reset_index(drop=True)


_STYLE_TABLE_SQL = f"""
CREATE TABLE "{STYLE_TABLE}" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "f_table_catalog" TEXT(256),
  "f_table_schema" TEXT(256),
  "f_table_name" TEXT(256),
  "f_geometry_column" TEXT(256),
  "styleName" TEXT(30),
  "styleQML" TEXT,
  "styleSLD" TEXT,
  "useAsDefault" BOOLEAN,
  "description" TEXT,
  "owner" TEXT(30),
  "ui" TEXT(30),
  "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""


def _add_styles_and_descriptions(
    path: Path,
    *,
    styles: Mapping[str, str],
    descriptions: Mapping[str, str],
) -> None:
    """Add ``layer_styles`` and the layer descriptions with plain SQL (GDAL has no API)."""
    con = sqlite3.connect(path)
    try:
        with con:
            geometry_columns = dict(
                con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
            )
            for name, text in descriptions.items():
                con.execute(
                    "UPDATE gpkg_contents SET description = ? WHERE table_name = ?", (text, name)
                )
            con.execute(_STYLE_TABLE_SQL)
            rows = [
                (
                    "",
                    "",
                    name,
                    geometry_columns[name],
                    f"{name} (almere_gis)",
                    qml,
                    "",
                    1,
                    f"Standaardstijl van {name}, dezelfde klassen en kleuren als de kaart",
                    "almere_gis",
                )
                for name, qml in styles.items()
            ]
            con.executemany(
                f'INSERT INTO "{STYLE_TABLE}" (f_table_catalog, f_table_schema, f_table_name, '
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
                "last_change, srs_id) VALUES (?, 'attributes', ?, ?, "
                "strftime('%Y-%m-%dT%H:%M:%fZ','now'), 0)",
                (STYLE_TABLE, STYLE_TABLE, "QGIS-stijlen van de lagen (standaardstijl per laag)"),
            )
            has_counts = con.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'gpkg_ogr_contents'"
            ).fetchone()
            if has_counts:
                # Keep GDAL's cached feature count right, as GDAL does for its own tables.
                con.execute(
                    "INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES (?, ?)",
                    (STYLE_TABLE, len(rows)),
                )
                for event, change in (("insert", "+ 1"), ("delete", "- 1")):
                    con.execute(
                        f'CREATE TRIGGER "trigger_{event}_feature_count_{STYLE_TABLE}" '
                        f'AFTER {event.upper()} ON "{STYLE_TABLE}" BEGIN UPDATE '
                        f"gpkg_ogr_contents SET feature_count = feature_count {change} "
                        f"WHERE lower(table_name) = lower('{STYLE_TABLE}'); END"
                    )
    finally:
        con.close()


def write_geopackage(
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    path: str | Path,
    *,
    styles: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    field_descriptions: pd.DataFrame | None = None,
) -> Path:
    """Write layers, default styles and documentation into one GeoPackage, atomically.

    Parameters
    ----------
    layers
        Layer name to frame. GeoDataFrames become spatial layers and must be in EPSG:28992,
        with one geometry dimension each; plain DataFrames (accounting, rejects) become
        attribute tables. The frames are not modified.
    path
        Target ``.gpkg``; replaced only once the new file is complete.
    styles
        Layer name to QML (see :func:`qml_graduated` and friends), stored in ``layer_styles``
        as that layer's default style (``useAsDefault`` = 1, ``f_table_schema`` = ``''``).
        The QML's ``layerGeometryType`` must match the layer. Spatial layers without a style
        get none (QGIS then draws a single symbol).
    descriptions
        Layer name to description, stored in ``gpkg_contents.description`` (shown by QGIS
        and ``ogrinfo``).
    field_descriptions
        Table ``layer, field, description, unit`` stored as ``veldbeschrijvingen``; default
        :func:`describe_fields` of ``layers``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        For a layer not in EPSG:28992, a layer mixing geometry types, an unusable layer or
        column name, or a style whose geometry type does not match its layer.
    """
    path = Path(path)
    styles = dict(styles or {})
    descriptions = dict(descriptions or {})
    unknown = sorted((set(styles) | set(descriptions)) - set(layers))
    if unknown:
        raise InputError(
            path, f"styles or descriptions given for missing layers {unknown}", "check the names"
        )
    codes: dict[str, int | None] = {}
    for name, frame in layers.items():
        _check_layer(name, frame, path)
        if isinstance(frame, gpd.GeoDataFrame):
            codes[name] = _layer_geometry_code(frame, name, path)
        elif name in styles:
            raise InputError(path, f"table '{name}' has no geometry to style", "drop its style")
    for name, qml in styles.items():
        expected = _qml_geometry_code(qml)
        actual = codes[name]
        if expected is not None and actual is not None and expected != actual:
            raise InputError(
                path,
                f"the style of layer '{name}' is for {_GEOMETRY_NAMES[expected].lower()}s but "
                f"the layer holds {_GEOMETRY_NAMES[actual].lower()}s",
                "build the style with the layer's geometry type",
            )
        if actual is None:
            codes[name] = expected
    if field_descriptions is None:
        field_descriptions = describe_fields(layers)
    missing = {"layer", "field", "description", "unit"} - set(field_descriptions.columns)
    if missing:
        raise InputError(
            path,
            f"the field descriptions lack the columns {sorted(missing)}",
            "give a table with columns layer, field, description, unit",
        )

    with _io.atomic_path(path) as tmp:
        try:
            for name, frame in layers.items():
                options: dict[str, object] = {}
                if isinstance(frame, gpd.GeoDataFrame):
                    data = frame.reset_index(drop=True)
                    if codes[name] is not None and len(data) == 0:
                        options["geometry_type"] = _EMPTY_GEOMETRY_TYPE[int(codes[name])]  # type: ignore[arg-type]
                    elif codes[name] == 2:
                        options["promote_to_multi"] = True
                else:
                    data = _plain_table(frame)
                pyogrio.write_dataframe(
                    data,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    append=tmp.exists(),
                    dataset_options=None if tmp.exists() else {"VERSION": _GPKG_VERSION},
                    **options,
                )
            pyogrio.write_dataframe(
                _plain_table(field_descriptions[["layer", "field", "description", "unit"]]),
                tmp,
                layer=FIELD_TABLE,
                driver="GPKG",
                append=tmp.exists(),
                dataset_options=None if tmp.exists() else {"VERSION": _GPKG_VERSION},
            )
            _add_styles_and_descriptions(
                tmp,
                styles=styles,
                descriptions={
                    **descriptions,
                    FIELD_TABLE: "Beschrijving en eenheid van elk veld van elke laag",
                },
            )
        except BaseException:
            for extra in (tmp.with_name(tmp.name + "-journal"), tmp.with_name(tmp.name + "-wal")):
                extra.unlink(missing_ok=True)
            raise
    log.info("GeoPackage written: %s (%d layers)", path, len(layers))
    return path


# --------------------------------------------------------------------------------------------
# QGIS project
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ProjectLayer:
    name: str
    kind: str  # "vector", "table" or "raster"
    source: str  # relative to the project folder
    provider: str
    geometry: str  # "Point", "Line", "Polygon", "No geometry" (vectors)
    wkb_type: str
    extent: tuple[float, float, float, float] | None
    style: str | None  # QML
    abstract: str


def _layer_id(name: str) -> str:
    # Stable ids keep repeated runs byte-identical apart from the data.
    return f"{name}_{uuid.uuid5(uuid.NAMESPACE_URL, 'almere_gis/' + name).hex}"


def _relative(target: Path, base: Path) -> str:
    rel = Path(os.path.relpath(target.resolve(), base.resolve())).as_posix()
    return rel if rel.startswith("../") else f"./{rel}"


_WKB_NAMES = {
    "POINT": "Point",
    "MULTIPOINT": "MultiPoint",
    "LINESTRING": "LineString",
    "MULTILINESTRING": "MultiLineString",
    "POLYGON": "Polygon",
    "MULTIPOLYGON": "MultiPolygon",
}


def _gpkg_layers(gpkg: Path, base: Path) -> list[_ProjectLayer]:
    """The data layers of a GeoPackage, with their default styles, read with sqlite3."""
    con = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    try:
        contents = con.execute(
            "SELECT table_name, data_type, coalesce(description, ''), min_x, min_y, max_x, max_y "
            "FROM gpkg_contents"
        ).fetchall()
        geometry = {
            t: g
            for t, g in con.execute(
                "SELECT table_name, geometry_type_name FROM gpkg_geometry_columns"
            )
        }
        has_styles = con.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (STYLE_TABLE,)
        ).fetchone()
        styles: dict[str, str] = {}
        if has_styles:
            for table, qml in con.execute(
                f'SELECT f_table_name, styleQML FROM "{STYLE_TABLE}" WHERE useAsDefault ORDER BY id'
            ):
                styles.setdefault(table, qml)
    finally:
        con.close()
    out = []
    source = _relative(gpkg, base)
    for table, data_type, description, *box in contents:
        if table == STYLE_TABLE or data_type not in ("features", "attributes"):
            continue
        if data_type == "features":
            type_name = str(geometry.get(table, "GEOMETRY")).upper()
            qml = styles.get(table)
            code = _qml_geometry_code(qml) if qml else None
            if code is None:
                code = _geometry_code(type_name) if type_name in _WKB_NAMES else 2
            out.append(
                _ProjectLayer(
                    name=table,
                    kind="vector",
                    source=f"{source}|layername={table}",
                    provider="ogr",
                    geometry=_GEOMETRY_NAMES[code],
                    wkb_type=_WKB_NAMES.get(type_name, "Unknown"),
                    extent=tuple(box) if None not in box else None,
                    style=qml,
                    abstract=description,
                )
            )
        else:
            out.append(
                _ProjectLayer(
                    name=table,
                    kind="table",
                    source=f"{source}|layername={table}",
                    provider="ogr",
                    geometry="No geometry",
                    wkb_type="NoGeometry",
                    extent=None,
                    style=None,
                    abstract=description,
                )
            )
    return out


def _raster_layer(tif: Path, base: Path) -> _ProjectLayer:
    crs, bounds, vmax = _raster_info(tif)
    if crs != CRS_RD:
        raise InputError(
            tif,
            f"the raster's CRS is {crs or 'missing'}, not {CRS_RD} (RD New)",
            "write it in EPSG:28992",
        )
    sidecar = tif.with_suffix(".qml")
    qml = (
        sidecar.read_text(encoding="utf-8")
        if sidecar.is_file()
        else qml_raster_pseudocolor(DENSITY_RAMP, 0.0, vmax if vmax > 0 else 1.0)
    )
    return _ProjectLayer(
        name=tif.stem,
        kind="raster",
        source=_relative(tif, base),
        provider="gdal",
        geometry="",
        wkb_type="",
        extent=bounds,
        style=qml,
        abstract="Dichtheidsoppervlak (kernel density estimation)",
    )


def _spatialrefsys(parent: ET.Element) -> None:
    srs = ET.SubElement(parent, "spatialrefsys")
    for tag, text in [
        ("proj4", _RD_PROJ4),
        ("srsid", "2517"),
        ("srid", "28992"),
        ("authid", CRS_RD),
        ("description", "Amersfoort / RD New"),
        ("projectionacronym", "sterea"),
        ("ellipsoidacronym", "EPSG:7004"),
        ("geographicflag", "false"),
    ]:
        ET.SubElement(srs, tag).text = text


def _extent(
    parent: ET.Element, box: tuple[float, float, float, float], tag: str = "extent"
) -> None:
    element = ET.SubElement(parent, tag)
    for key, value in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True):
        ET.SubElement(element, key).text = _number(value)


def _maplayer(layer: _ProjectLayer) -> ET.Element:
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
        attrs.update(
            {
                "geometry": layer.geometry,
                "wkbType": layer.wkb_type,
                "readOnly": "0",
                "labelsEnabled": "0",
            }
        )
    element = ET.Element("maplayer", attrs)
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
        # The same elements as the QML file, directly inside <maplayer>.
        style_root = ET.fromstring(layer.style)
        for child in style_root:
            element.append(child)
    return element


def _tree_layer(parent: ET.Element, layer: _ProjectLayer, visible: bool) -> None:
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


def write_qgis_project(
    path: str | Path,
    *,
    gpkg_path: str | Path,
    rasters: Sequence[str | Path] = (),
    layer_order: Sequence[str] | None = None,
    visible: Iterable[str] | None = None,
    title: str = "Almere: kleinschalige economie en broedplaatsen",
) -> Path:
    """Write a QGIS project (``.qgs``, QGIS 3.22 or later) that opens the package styled.

    The project references the GeoPackage's layers and the rasters by paths relative to the
    project file, so the folder can be moved or shared as a whole. Project CRS is EPSG:28992;
    there is no basemap, so it opens offline. Each layer carries its style inside the project
    (the GeoPackage's default style from ``layer_styles``, a raster's sidecar ``.qml``).

    Parameters
    ----------
    path
        Target ``.qgs`` file.
    gpkg_path
        GeoPackage written by :func:`write_geopackage`.
    rasters
        GeoTIFFs to add at the bottom (EPSG:28992), styled from their sidecar ``.qml``.
    layer_order
        Spatial layer names from top to bottom; unlisted spatial layers follow in the
        GeoPackage's order. Default: points, candidates, search zones, hexagons, wijken,
        buurten. Rasters always come below the vector layers; attribute tables sit in a
        group ``Tabellen`` at the end.
    visible
        Layers switched on when the project opens; default candidates, search zones and
        buurten (the filled polygon layers would hide each other).
    title
        Project title.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    base = path.parent.resolve()
    found = _gpkg_layers(Path(gpkg_path), base)
    spatial = {layer.name: layer for layer in found if layer.kind == "vector"}
    tables = [layer for layer in found if layer.kind == "table"]
    order = list(layer_order) if layer_order is not None else _DEFAULT_ORDER
    unknown = [name for name in order if name not in spatial]
    if layer_order is not None and unknown:
        raise InputError(
            gpkg_path, f"layer_order names layers it does not hold: {unknown}", "check the names"
        )
    ordered = [spatial[n] for n in order if n in spatial]
    ordered += [layer for name, layer in spatial.items() if name not in order]
    raster_layers = [_raster_layer(Path(r), base) for r in rasters]
    shown = set(visible) if visible is not None else _DEFAULT_VISIBLE
    drawn = ordered + raster_layers

    root = ET.Element("qgis", projectname=title, version=_QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    _spatialrefsys(ET.SubElement(root, "projectCrs"))

    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    for layer in drawn:
        _tree_layer(tree, layer, layer.name in shown)
    if tables:
        group = ET.SubElement(
            tree, "layer-tree-group", name="Tabellen", checked="Qt::Checked", expanded="0"
        )
        ET.SubElement(group, "customproperties")
        for layer in tables:
            _tree_layer(group, layer, True)
    custom = ET.SubElement(tree, "custom-order", enabled="0")
    for layer in [*drawn, *tables]:
        ET.SubElement(custom, "item").text = _layer_id(layer.name)

    boxes = [layer.extent for layer in drawn if layer.extent is not None]
    full = (
        (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        if boxes
        else (140_000.0, 470_000.0, 160_000.0, 495_000.0)  # Almere
    )
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    ET.SubElement(canvas, "units").text = "meters"
    _extent(canvas, full)
    ET.SubElement(canvas, "rotation").text = "0"
    _spatialrefsys(ET.SubElement(canvas, "destinationsrs"))
    ET.SubElement(canvas, "rendermaptile").text = "0"

    projectlayers = ET.SubElement(root, "projectlayers")
    for layer in [*drawn, *tables]:
        projectlayers.append(_maplayer(layer))
    layerorder = ET.SubElement(root, "layerorder")
    for layer in [*drawn, *tables]:
        ET.SubElement(layerorder, "layer", id=_layer_id(layer.name))

    properties = ET.SubElement(root, "properties")
    paths = ET.SubElement(properties, "Paths")
    ET.SubElement(paths, "Absolute", type="bool").text = "false"
    srs = ET.SubElement(properties, "SpatialRefSys")
    ET.SubElement(srs, "ProjectionsEnabled", type="int").text = "1"
    view = ET.SubElement(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
    ET.SubElement(view, "Scales")
    default_view = ET.SubElement(
        view,
        "DefaultViewExtent",
        xmin=_number(full[0]),
        ymin=_number(full[1]),
        xmax=_number(full[2]),
        ymax=_number(full[3]),
    )
    _spatialrefsys(default_view)
    _io.write_text(_serialise(root), path)
    log.info("QGIS project written: %s", path)
    return path


# --------------------------------------------------------------------------------------------
# The whole package
# --------------------------------------------------------------------------------------------


def _buurt_choropleth_qml(buurten: gpd.GeoDataFrame, settings: Settings) -> tuple[str, str]:
    """The buurt choropleth exactly as the HTML map classes it, as QML; and the column.

    The map (``webmap``) resolves ``settings.map.indicator``, leaves areas below the privacy
    threshold out of the class computation, shows shares in per cent and gives values beyond
    the end classes the colour of the nearest class. Its choropleth_classes is used here so both
    always agree. In QGIS (internal use) the suppressed buurten keep their colour by value.
    """
    from .webmap import choropleth_classes

    c = choropleth_classes(buurten, settings, language=settings.map.language)
    column, breaks, scale = c.column, c.breaks, c.scale
    bounds = [b / scale for b in breaks]
    precision = 2 if c.kind == "lq" else 1
    suffix = " %" if c.kind == "share" else ""
    labels = []
    if breaks:
        low = float(np.nanmin(c.values[c.shown]))
        for j, upper in enumerate(breaks):
            lower = low if j == 0 else breaks[j - 1]
            labels.append(
                f"{_label_number(lower, precision)} - {_label_number(upper, precision)}{suffix}"
            )
        finite = c.values[np.isfinite(c.values)] / scale
        # The map gives values beyond the end classes the end colours: stretch the end bounds.
        bounds[-1] = max(bounds[-1], float(finite.max()))
        minimum = min(0.0, float(finite.min()))
    else:
        minimum = 0.0
    qml = qml_graduated(
        column,
        bounds,
        c.colours,
        _layer_code_or(buurten, 2),
        minimum=minimum,
        labels=labels,
        outline="#ffffff",
        outline_width_mm=0.2,
    )
    log.debug("QGIS buurt style: %s (%s) in %d classes", column, c.unit, len(breaks))
    return qml, column


def _wijk_qml(wijken: gpd.GeoDataFrame, *, language: str) -> str:
    """Wijk outlines as on the map: one category from a constant expression, no fill."""
    label = "Wijk (stadsdeel)" if language == "nl" else "District (stadsdeel)"
    return qml_categorized(
        "'wijk'",
        [("wijk", WIJK_OUTLINE, label)],
        _layer_code_or(wijken, 2),
        outline=WIJK_OUTLINE,
        outline_width_mm=0.6,
        alpha=0.0,
    )


def _layer_code_or(frame: gpd.GeoDataFrame, default: int) -> int:
    dims = _dimensions(frame)
    return int(dims[0]) if dims.size == 1 else default


def _hexagon_qml(hexagons: gpd.GeoDataFrame, *, language: str) -> str:
    """Gi* classes as on the map (70 % opaque); "not significant" only as a faint outline."""
    if "gi_class" not in hexagons.columns:
        raise InputError(
            "hexagons",
            "there is no 'gi_class' column",
            "merge the result of almere_gis.getis_ord(...) into the hexagons first",
        )
    labels = HOTSPOT_LABELS.get(language, HOTSPOT_LABELS["nl"])
    categories = [(c, HOTSPOT_COLOURS[c], labels[c]) for c in HOTSPOT_CLASSES]
    return qml_categorized(
        "gi_class",
        categories,
        2,
        outline="#666666",
        outline_width_mm=0.1,
        alpha=0.7,
        alphas={"ns": 0.0},
    )


def _points_qml(businesses: gpd.GeoDataFrame, settings: Settings) -> str:
    language = settings.map.language
    labels = {
        g.key: (g.label_nl if language == "nl" else g.label_en)
        for g in settings.classification.sector_groups
    }
    present = (
        businesses["sector_group"].dropna().astype(str).unique().tolist()
        if "sector_group" in businesses.columns
        else []
    )
    keys = list(labels) + sorted(set(present) - set(labels) - {"overig"}) + ["overig"]
    categories = [
        (
            key,
            _OTHER_SECTOR_COLOUR if key == "overig" else _SECTOR_PALETTE[i % len(_SECTOR_PALETTE)],
            labels.get(key, "Overig" if key == "overig" else key),
        )
        for i, key in enumerate(keys)
    ]
    return qml_categorized(
        "sector_group", categories, 0, outline="#ffffff", outline_width_mm=0.1, size_mm=1.6
    )


def _search_zone_qml(zones: gpd.GeoDataFrame, *, distance_m: float, language: str) -> str:
    label = (
        f"Zoekgebied: hot spot zonder kandidaat binnen {distance_m:g} m"
        if language == "nl"
        else f"Search zone: hot spot without a candidate within {distance_m:g} m"
    )
    # One category from a constant expression: a single legend entry, drawn in SEARCH_ZONE.
    return qml_categorized(
        "'zoekgebied'",
        [("zoekgebied", SEARCH_ZONE, label)],
        _layer_code_or(zones, 2),
        outline=SEARCH_ZONE,
        outline_width_mm=0.6,
        alpha=0.12,
    )


def _single_dimension(candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Candidates mixing points and polygons as points (QGIS styles one geometry type)."""
    if _dimensions(candidates).size <= 1:
        return candidates
    log.info("QGIS package: candidate sites mix points and polygons; exported as points")
    return candidates.set_geometry(candidates.geometry.representative_point())


def export_qgis_package(
    out_dir: str | Path,
    *,
    buurten: gpd.GeoDataFrame,
    wijken: gpd.GeoDataFrame,
    settings: Settings,
    hexagons: gpd.GeoDataFrame | None = None,
    candidates_scored: gpd.GeoDataFrame | None = None,
    search_zones: gpd.GeoDataFrame | None = None,
    accounting: pd.DataFrame | None = None,
    rejects: pd.DataFrame | None = None,
    businesses: gpd.GeoDataFrame | None = None,
    rasters: Sequence[str | Path] = (),
) -> QgisPackage:
    """Write the whole QGIS package into ``out_dir``: GeoPackage, raster styles and project.

    Layers (see :data:`LAYER_NAMES`), styled as on the HTML map: buurten with their indicators
    (graduated on ``settings.map.indicator`` with the map's classes and colours), wijken with
    their indicators (outlines), hexagons (categorized on the Gi* class), candidate sites (top
    ``settings.sites.top_k`` highlighted), search zones, the accounting and rejects tables,
    and, when ``settings.export.include_points`` is true and ``businesses`` is given, the joined
    business points, marked confidential.

    Parameters
    ----------
    out_dir
        Output folder; file names come from ``settings.export.gpkg`` and ``.qgs``.
    buurten, wijken
        Area indicator frames (EPSG:28992).
    settings
        The run's settings.
    hexagons, candidates_scored, search_zones, accounting, rejects, businesses
        Optional frames; a missing one is left out.
    rasters
        Density GeoTIFFs; each gets a sidecar ``.qml`` and a place at the bottom of the project.

    Returns
    -------
    QgisPackage
        Paths of the GeoPackage, the project and the raster styles.

    Raises
    ------
    ConfigError
        If ``settings.map.indicator`` is not a column of ``buurten`` (as for the map).
    InputError
        If the hexagons lack ``gi_class``, or from :func:`write_geopackage`.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    language = settings.map.language
    names = LAYER_NAMES
    layers: dict[str, pd.DataFrame] = {}
    styles: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    privacy = settings.privacy.min_count

    if businesses is not None and settings.export.include_points:
        layers[names["businesses"]] = businesses
        styles[names["businesses"]] = _points_qml(businesses, settings)
        descriptions[names["businesses"]] = (
            "VERTROUWELIJK — vestigingslocaties per bedrijf, ook van bedrijven aan huis: een "
            "punt kan een woonadres zijn (persoonsgegevens). Alleen voor intern gebruik; niet "
            "publiceren of delen, ook niet als kaartbeeld."
        )
    if candidates_scored is not None:
        candidates = _single_dimension(candidates_scored)
        layers[names["candidates"]] = candidates
        styles[names["candidates"]] = qml_ranked_points(
            _layer_code_or(candidates, 0),
            excluded_field="excluded" if "excluded" in candidates.columns else None,
            top_k=settings.sites.top_k,
            language=language,
        )
        descriptions[names["candidates"]] = (
            "Kandidaatlocaties voor broedplaatsen met score, rang, criteria en "
            f"rangstabiliteit; de top {settings.sites.top_k} is gemarkeerd"
        )
    if search_zones is not None:
        layers[names["search_zones"]] = search_zones
        styles[names["search_zones"]] = _search_zone_qml(
            search_zones, distance_m=settings.sites.search_zone_distance_m, language=language
        )
        descriptions[names["search_zones"]] = (
            "Zoekgebieden: hot spots van kleinschalige bedrijvigheid zonder kandidaatlocatie "
            f"binnen {settings.sites.search_zone_distance_m:g} m"
        )
    if hexagons is not None:
        layers[names["hexagons"]] = hexagons
        styles[names["hexagons"]] = _hexagon_qml(hexagons, language=language)
        descriptions[names["hexagons"]] = (
            f"Hexagonen van {settings.hexgrid.size_m:g} m met aantallen, banen en Getis-Ord "
            f"Gi* hot/cold spots; 'suppressed' = minder dan {privacy} vestigingen"
        )
    layers[names["wijken"]] = wijken
    styles[names["wijken"]] = _wijk_qml(wijken, language=language)
    descriptions[names["wijken"]] = (
        "Wijken (CBS; in Almere de stadsdelen) met alle indicatoren; 'suppressed' = minder "
        f"dan {privacy} vestigingen (niet publiceren)"
    )
    layers[names["buurten"]] = buurten
    styles[names["buurten"]], indicator = _buurt_choropleth_qml(buurten, settings)
    descriptions[names["buurten"]] = (
        f"Buurten (CBS) met alle indicatoren; kleuren: {indicator} ({settings.map.scheme}, "
        f"{settings.map.classes} klassen, als op de kaart); 'suppressed' = minder dan {privacy} "
        "vestigingen (niet publiceren)"
    )
    if accounting is not None:
        layers[names["accounting"]] = accounting
        descriptions[names["accounting"]] = (
            "Verantwoording: elke invoerregel gekoppeld, buiten het gebied of afgewezen"
        )
    if rejects is not None:
        layers[names["rejects"]] = rejects
        descriptions[names["rejects"]] = "Afgewezen invoerregels met regelnummer en reden"

    sector_labels = {
        g.key: (g.label_nl if language == "nl" else g.label_en)
        for g in settings.classification.sector_groups
    }
    gpkg = write_geopackage(
        layers,
        out_dir / settings.export.gpkg,
        styles=styles,
        descriptions=descriptions,
        field_descriptions=describe_fields(layers, sector_labels=sector_labels),
    )
    unit = "per km²" if settings.density.output == "scaled" else ""
    raster_styles = tuple(write_raster_style(Path(r), units=unit) for r in rasters)
    qgs = write_qgis_project(out_dir / settings.export.qgs, gpkg_path=gpkg, rasters=rasters)
    return QgisPackage(gpkg=gpkg, qgs=qgs, raster_styles=raster_styles)
