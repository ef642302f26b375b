"""Vector styles as QML text: graduated, categorized, ranked points and "too few to show".

Every builder returns a complete QML document that QGIS applies as it is, from a GeoPackage's
``layer_styles`` table, from a ``.qml`` file or embedded in a project. None of them fails on
degenerate data: a classification without classes (nothing may be shown, every value missing,
an empty layer) gives a one-entry style whose legend says "too few to show".
"""

from __future__ import annotations

__all__ = [
    "qml_categorized",
    "qml_graduated",
    "qml_ranked_points",
    "qml_single",
    "qml_too_few",
]

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from ...texts import text
from ..style import SITE_EXCLUDED, SITE_OTHER, SITE_TOP, WIJK_OUTLINE
from .symbols import OUTLINE, geometry_code, legend_number, qml_document, symbol, xml_number

# Grey of the "too few to show" symbol: clearly not one of the classes' colours.
_TOO_FEW = "#bdbdbd"


def _renderer(kind: str, attr: str, **extra: str) -> ET.Element:
    return ET.Element(
        "renderer-v2",
        {
            "type": kind,
            "attr": attr,
            **extra,
            "symbollevels": "0",
            "enableorderby": "0",
            "forceraster": "0",
            "referencescale": "-1",
        },
    )


def _check_classes(
    breaks: Sequence[float], colours: Sequence[str], labels: Sequence[str] | None
) -> list[float]:
    bounds = [float(b) for b in breaks]
    if len(colours) != len(bounds):
        raise ValueError(
            f"qml_graduated: {len(bounds)} class bounds but {len(colours)} colours. "
            "Fix: give one colour per class (choropleth_colours(len(breaks)))."
        )
    if not all(math.isfinite(b) for b in bounds):
        raise ValueError(f"qml_graduated: class bounds {bounds} are not all finite numbers.")
    if any(b2 < b1 for b1, b2 in zip(bounds, bounds[1:], strict=False)):
        raise ValueError(f"qml_graduated: class bounds {bounds} are not ascending. Fix: sort them.")
    if labels is not None and len(labels) != len(bounds):
        raise ValueError("qml_graduated: give one label per class.")
    return bounds


def _classification_method(renderer: ET.Element, decimals: int) -> None:
    method = ET.SubElement(renderer, "classificationMethod", id="Custom")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(
        method,
        "labelFormat",
        format="%1 - %2",
        labelprecision=str(decimals),
        trimtrailingzeroes="1",
    )
    ET.SubElement(ET.SubElement(method, "parameters"), "Option")
    ET.SubElement(method, "extraInformation")


def qml_graduated(
    field: str,
    breaks: Sequence[float],
    colours: Sequence[str],
    geometry_type: int | str,
    *,
    minimum: float | None = None,
    labels: Sequence[str] | None = None,
    decimals: int = 1,
    language: str = "nl",
    empty_label: str | None = None,
    outline: str = OUTLINE,
    outline_width_mm: float = 0.15,
    alpha: float = 1.0,
) -> str:
    """A graduated (classed) style, one colour per class.

    Classes are those of :func:`almere_gis.outputs.style.class_breaks`: ``breaks`` are the
    upper bounds, class ``i`` holds ``breaks[i-1] < value <= breaks[i]`` and the first class
    starts at ``minimum``. Features with a missing value are not drawn (QGIS has no class for
    NULL). Without any break (nothing to class) the style is :func:`qml_too_few`.

    Parameters
    ----------
    field : str
        Attribute (or QGIS expression) to class.
    breaks : sequence of float
        Upper class bounds, ascending; may be empty.
    colours : sequence of str
        One ``"#rrggbb"`` colour per class, e.g. ``choropleth_colours(len(breaks))``.
    geometry_type : int or str
        0 point, 1 line, 2 polygon (or a geometry type name); written as
        ``layerGeometryType``, which QGIS checks against the layer.
    minimum : float, optional
        Lower bound of the first class; default 0, or the first break if that is negative.
    labels : sequence of str, optional
        Legend labels, one per class; default ``"lower to upper"`` in ``language``.
    decimals : int
        Decimals in the default labels.
    language : str
        Language of the default labels and of the "too few to show" legend.
    empty_label : str, optional
        Legend text when there is no class; default "Te weinig om te tonen".
    outline, outline_width_mm, alpha : str, float, float
        Outline colour and width of polygons and markers, fill opacity (0-1).

    Returns
    -------
    str
        QML document with a ``graduatedSymbol`` renderer (``categorizedSymbol`` without
        classes).

    Examples
    --------
    >>> qml = qml_graduated("jobs_per_km2", [10.0, 50.0], ["#ffeda0", "#f03b20"], 2)
    >>> 'type="graduatedSymbol"' in qml and "<layerGeometryType>2<" in qml
    True
    >>> "Too few to show" in qml_graduated("jobs_per_km2", [], [], 2, language="en")
    True
    """
    bounds = _check_classes(breaks, colours, labels)
    code = geometry_code(geometry_type)
    if not bounds:
        return qml_too_few(code, label=empty_label or text("qgis.legend.too_few", language))
    lower_first = min(0.0, bounds[0]) if minimum is None else float(minimum)
    renderer = _renderer("graduatedSymbol", field, graduatedMethod="GraduatedColor")
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    lowers = [lower_first, *bounds[:-1]]
    for i, (lower, upper, colour) in enumerate(zip(lowers, bounds, colours, strict=True)):
        label = (
            labels[i]
            if labels is not None
            else text(
                "qgis.legend.range",
                language,
                lower=legend_number(lower, decimals, language),
                upper=legend_number(upper, decimals, language),
            )
        )
        ET.SubElement(
            ranges,
            "range",
            lower=xml_number(lower),
            upper=xml_number(upper),
            symbol=str(i),
            label=label,
            render="true",
        )
        symbols.append(
            symbol(
                str(i),
                code,
                colour,
                alpha=alpha,
                outline=outline,
                outline_width_mm=outline_width_mm,
            )
        )
    source = ET.SubElement(renderer, "source-symbol")
    source.append(symbol("0", code, colours[-1], outline=outline))
    _classification_method(renderer, decimals)
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return qml_document(renderer, code)


def qml_categorized(
    field: str,
    categories: Sequence[tuple[object, str, str]],
    geometry_type: int | str,
    *,
    outline: str = OUTLINE,
    outline_width_mm: float = 0.15,
    alpha: float = 1.0,
    alphas: Mapping[str, float] | None = None,
    size_mm: float = 2.4,
) -> str:
    """A categorized style: one symbol per value.

    A category whose value is ``""`` is QGIS's "all other values": it also draws features
    whose value is missing (NULL).

    Parameters
    ----------
    field : str
        Attribute, or a QGIS expression returning the category value.
    categories : sequence of (value, colour, label)
        ``(value, "#rrggbb", label)`` per category, in legend order.
    geometry_type : int or str
        0 point, 1 line, 2 polygon (or a geometry type name).
    outline, outline_width_mm, alpha, size_mm : str, float, float, float
        Outline colour and width, fill opacity (0-1), marker size.
    alphas : mapping of str to float, optional
        Fill opacity per category value, overriding ``alpha`` (0 = outline only).

    Returns
    -------
    str
        QML document with a ``categorizedSymbol`` renderer.

    Examples
    --------
    >>> from almere_gis.outputs.style import HOTSPOT_CLASSES, HOTSPOT_COLOURS
    >>> cats = [(c, HOTSPOT_COLOURS[c], c) for c in HOTSPOT_CLASSES]
    >>> 'value="hot_99"' in qml_categorized("gi_class", cats, "Polygon")
    True
    """
    code = geometry_code(geometry_type)
    values = [str(value) for value, _, _ in categories]
    if len(set(values)) != len(values):
        raise ValueError(f"qml_categorized: duplicate category values in {values}.")
    renderer = _renderer("categorizedSymbol", field)
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, colour, label) in enumerate(categories):
        ET.SubElement(cats, "category", value=str(value), symbol=str(i), label=label, render="true")
        symbols.append(
            symbol(
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
    source.append(symbol("0", code, OUTLINE, outline=outline))
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")
    return qml_document(renderer, code)


def qml_single(
    key: str,
    colour: str,
    label: str,
    geometry_type: int | str,
    *,
    outline: str | None = None,
    outline_width_mm: float = 0.6,
    alpha: float = 1.0,
) -> str:
    """Every feature in one symbol, with ``label`` as its legend entry.

    Written as a category of a constant expression, so that the legend carries the label
    (a single-symbol renderer shows only the layer name).

    Examples
    --------
    >>> "'wijk'" in qml_single("wijk", "#333333", "Wijk", 2, alpha=0.0)
    True
    """
    return qml_categorized(
        "'" + key.replace("'", "''") + "'",
        [(key, colour, label)],
        geometry_type,
        outline=colour if outline is None else outline,
        outline_width_mm=outline_width_mm,
        alpha=alpha,
    )


def qml_too_few(geometry_type: int | str, *, label: str) -> str:
    """The style of a layer with nothing to show: every feature grey, the legend says why.

    Examples
    --------
    >>> "Te weinig om te tonen" in qml_too_few(2, label="Te weinig om te tonen")
    True
    """
    return qml_single(
        "too_few",
        _TOO_FEW,
        label,
        geometry_type,
        outline=OUTLINE,
        outline_width_mm=0.15,
        alpha=0.35,
    )


def _quote_field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qml_ranked_points(
    geometry_type: int | str = 0,
    *,
    rank_field: str = "rank",
    excluded_field: str | None = "excluded",
    top_k: int = 10,
    language: str = "nl",
    size_mm: float = 4.0,
) -> str:
    """Candidate sites: the top ``top_k`` highlighted, the others muted, excluded grey.

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
    categories = [
        ("top", SITE_TOP, text("qgis.legend.top", language, top_k=top_k)),
        ("other", SITE_OTHER, text("qgis.legend.other_candidates", language)),
    ]
    if excluded_field:
        categories.append(("excluded", SITE_EXCLUDED, text("qgis.legend.excluded", language)))
    code = geometry_code(geometry_type)
    return qml_categorized(
        expression,
        categories,
        code,
        outline="#ffffff" if code == 0 else WIJK_OUTLINE,
        outline_width_mm=0.4,
        size_mm=size_mm,
    )
