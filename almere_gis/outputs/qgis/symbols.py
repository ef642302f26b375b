"""The building blocks of every QGIS style: colours, geometry codes, symbols and the document.

A QML document is XML with a ``<qgis>`` root. QGIS 3.22 reads a symbol layer's properties from
``<Option>`` elements and from the older ``<prop>`` elements; we write both, so the same QML
works in 3.22 and in later releases.
"""

from __future__ import annotations

__all__ = [
    "OUTLINE",
    "QGIS_VERSION",
    "geometry_code",
    "legend_number",
    "qml_document",
    "rgba",
    "serialise",
    "symbol",
    "xml_number",
]

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

import numpy as np

from ...texts.format import number

QGIS_VERSION = "3.22.0"
OUTLINE = "#8c8c8c"

_GEOMETRY_CODES = {"point": 0, "line": 1, "polygon": 2}
_KIND = {0: "marker", 1: "line", 2: "fill"}


def rgba(colour: str, alpha: float = 1.0) -> str:
    """``"#rrggbb"`` (and an opacity 0-1) as QGIS's ``"r,g,b,a"``.

    Examples
    --------
    >>> rgba("#ff8000", 0.5)
    '255,128,0,128'
    """
    hex_digits = colour.lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", hex_digits):
        raise ValueError(f"colour {colour!r} is not '#rrggbb'. Fix: give a 6-digit hex colour.")
    r, g, b = (int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(255 * float(np.clip(alpha, 0.0, 1.0)))}"


def geometry_code(geometry_type: int | str) -> int:
    """0 point, 1 line, 2 polygon, from that code or a name such as ``"MultiPolygon"``.

    Examples
    --------
    >>> geometry_code("MultiPolygon"), geometry_code(0)
    (2, 0)
    """
    if isinstance(geometry_type, int | np.integer) and int(geometry_type) in _KIND:
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


def xml_number(value: float) -> str:
    """Shortest text that reads back as exactly ``value`` (class bounds must not drift)."""
    return repr(float(value))


def legend_number(value: float, decimals: int, language: str) -> str:
    """A number for a legend label, in the reader's language (babel), trailing zeros dropped.

    Examples
    --------
    >>> legend_number(1234.50, 1, "nl"), legend_number(10.0, 1, "en")
    ('1.234,5', '10')
    """
    if not math.isfinite(value):
        return number(value, decimals, language)  # the dash for a missing value
    for shown in range(max(decimals, 0) + 1):
        if round(value, shown) == round(value, decimals):
            return number(value, shown, language)
    return number(value, decimals, language)


def _symbol_layer(element: ET.Element, cls: str, props: Mapping[str, str]) -> None:
    layer = ET.SubElement(element, "layer", {"class": cls, "enabled": "1", "locked": "0"})
    layer.set("pass", "0")
    options = ET.SubElement(layer, "Option", type="Map")
    for key in sorted(props):
        ET.SubElement(options, "Option", type="QString", name=key, value=props[key])
    for key in sorted(props):
        ET.SubElement(layer, "prop", k=key, v=props[key])


def _marker(colour: str, outline: str, width_mm: float, size_mm: float) -> dict[str, str]:
    return {
        "name": "circle",
        "color": colour,
        "outline_color": rgba(outline),
        "outline_style": "solid",
        "outline_width": f"{width_mm:g}",
        "outline_width_unit": "MM",
        "size": f"{size_mm:g}",
        "size_unit": "MM",
        "scale_method": "diameter",
        "joinstyle": "bevel",
        "angle": "0",
    }


def _line(colour: str, width_mm: float) -> dict[str, str]:
    return {
        "line_color": colour,
        "line_style": "solid",
        "line_width": f"{max(width_mm, 0.5):g}",
        "line_width_unit": "MM",
        "capstyle": "square",
        "joinstyle": "bevel",
    }


def _fill(colour: str, outline: str, width_mm: float) -> dict[str, str]:
    return {
        "color": colour,
        "style": "solid",
        "outline_color": rgba(outline),
        "outline_style": "solid",
        "outline_width": f"{width_mm:g}",
        "outline_width_unit": "MM",
        "joinstyle": "bevel",
    }


def symbol(
    name: str,
    code: int,
    colour: str,
    *,
    alpha: float = 1.0,
    outline: str = OUTLINE,
    outline_width_mm: float = 0.26,
    size_mm: float = 2.4,
) -> ET.Element:
    """A QGIS ``<symbol>``: a circle marker (0), a line (1) or a filled polygon (2)."""
    element = ET.Element(
        "symbol",
        {"type": _KIND[code], "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    fill = rgba(colour, alpha)
    if code == 0:
        _symbol_layer(element, "SimpleMarker", _marker(fill, outline, outline_width_mm, size_mm))
    elif code == 1:
        _symbol_layer(element, "SimpleLine", _line(fill, outline_width_mm))
    else:
        _symbol_layer(element, "SimpleFill", _fill(fill, outline, outline_width_mm))
    return element


def qml_document(renderer: ET.Element, code: int, *, opacity: float = 1.0) -> str:
    """A vector style document around ``renderer``, for a layer of geometry ``code``."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    root.append(renderer)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = f"{opacity:g}"
    ET.SubElement(root, "layerGeometryType").text = str(code)
    return serialise(root)


def serialise(root: ET.Element) -> str:
    """The element as a QGIS XML document (with its doctype), indented."""
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"
