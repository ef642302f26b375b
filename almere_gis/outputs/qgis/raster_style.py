"""Raster styles: a density surface coloured as on the map, from the surface object itself.

The colour ramp is :data:`almere_gis.outputs.style.DENSITY_RAMP` stretched over the surface's
``display_range`` (the range the HTML map uses too), not over 0 to the maximum of a file read
back: cells above the range take the top colour, and the legend's top label says "or more".
"""

from __future__ import annotations

__all__ = [
    "density_description",
    "density_unit",
    "qml_raster_pseudocolor",
    "raster_style",
    "subset_label",
    "write_raster_style",
]

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...analysis.density import DensitySurface
from ...io import atomic
from ...settings import Settings
from ...texts import catalogue, text
from ...texts.format import distance
from ..style import DENSITY_RAMP
from .symbols import QGIS_VERSION, legend_number, serialise, xml_number


def _min_max_origin(renderer: ET.Element) -> None:
    # "None": the range is ours (the display range), QGIS must not recompute it from the data.
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


def _pipe_tail(pipe: ET.Element) -> None:
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


def _stops(
    ramp: Sequence[tuple[float, str]],
    vmin: float,
    vmax: float,
    *,
    suffix: str,
    decimals: int,
    language: str,
    open_top: bool,
) -> list[tuple[float, str, str]]:
    """(value, colour, label) per ramp stop; the top label says "or more" when open."""
    out = []
    for i, (fraction, colour) in enumerate(ramp):
        value = vmin + float(fraction) * (vmax - vmin)
        label = legend_number(value, decimals, language)
        if open_top and i == len(ramp) - 1:
            label = text("qgis.legend.at_least", language, value=label)
        out.append((value, colour.lower(), label + suffix))
    return out


def qml_raster_pseudocolor(
    ramp: Sequence[tuple[float, str]] = tuple(DENSITY_RAMP),
    vmin: float = 0.0,
    vmax: float = 1.0,
    *,
    band: int = 1,
    units: str = "",
    decimals: int = 1,
    language: str = "nl",
    open_top: bool = False,
    empty_label: str | None = None,
    opacity: float = 1.0,
) -> str:
    """A single-band pseudocolor raster style (QML) with an interpolated colour ramp.

    Parameters
    ----------
    ramp : sequence of (float, str)
        ``(fraction, "#rrggbb")`` stops, fractions 0-1 of the range ``vmin``-``vmax``
        (default the HTML map's density ramp).
    vmin, vmax : float
        Values at fraction 0 and 1. When ``vmax <= vmin`` there is nothing to colour: the
        style has one entry whose label is ``empty_label`` (default "Te weinig om te tonen").
    band : int
        Band to colour.
    units : str
        Appended to the legend labels, e.g. ``"per km²"``.
    decimals : int
        Decimals in the labels.
    language : str
        Language of the labels.
    open_top : bool
        True when values above ``vmax`` occur (they take the top colour; the label says so).
    empty_label : str, optional
        Legend text of a style without a range.
    opacity : float
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
    if not (math.isfinite(vmin) and math.isfinite(vmax)):
        raise ValueError(f"qml_raster_pseudocolor: need finite vmin and vmax, got {vmin}, {vmax}.")
    fractions = [float(f) for f, _ in ramp]
    if not ramp or any(b <= a for a, b in zip(fractions, fractions[1:], strict=False)):
        raise ValueError("qml_raster_pseudocolor: ramp stops must be ascending fractions 0-1.")
    suffix = f" {units}" if units else ""
    if vmax > vmin:
        items = _stops(
            ramp,
            vmin,
            vmax,
            suffix=suffix,
            decimals=decimals,
            language=language,
            open_top=open_top,
        )
    else:
        vmax = vmin
        items = [(vmin, ramp[0][1].lower(), empty_label or text("qgis.legend.too_few", language))]
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    pipe = ET.SubElement(root, "pipe")
    _renderer(pipe, band=band, opacity=opacity, vmin=vmin, vmax=vmax, decimals=decimals)
    shader = pipe.find("rasterrenderer/rastershader/colorrampshader")
    assert shader is not None
    for value, colour, label in items:
        ET.SubElement(
            shader, "item", value=xml_number(value), color=colour, alpha="255", label=label
        )
    _pipe_tail(pipe)
    ET.SubElement(root, "blendMode").text = "0"
    return serialise(root)


def _renderer(
    pipe: ET.Element, *, band: int, opacity: float, vmin: float, vmax: float, decimals: int
) -> None:
    """The pseudocolor renderer with an empty interpolated colour ramp shader."""
    renderer = ET.SubElement(
        pipe,
        "rasterrenderer",
        {
            "type": "singlebandpseudocolor",
            "band": str(band),
            "opacity": f"{opacity:g}",
            "alphaBand": "-1",
            "classificationMin": xml_number(vmin),
            "classificationMax": xml_number(vmax),
            "nodataColor": "",
        },
    )
    ET.SubElement(renderer, "rasterTransparency")
    _min_max_origin(renderer)
    shader = ET.SubElement(ET.SubElement(renderer, "rastershader"), "colorrampshader")
    shader.attrib.update(
        {
            "colorRampType": "INTERPOLATED",
            "classificationMode": "1",
            "clip": "0",
            "minimumValue": xml_number(vmin),
            "maximumValue": xml_number(vmax),
            "labelPrecision": str(decimals),
        }
    )


def density_unit(surface: DensitySurface, language: str) -> str:
    """What a value of the surface means, e.g. "vestigingen per km²"."""
    return text(f"qgis.density.unit.{surface.weight}_{surface.grid.output}", language)


def subset_label(surface: DensitySurface, settings: Settings) -> str:
    """What the surface counts, e.g. "kleinschalige vestigingen" or a sector group's name."""
    lang = settings.map.language
    key = f"qgis.density.subset.{surface.subset}"
    if key in catalogue():
        return text(key, lang)
    sectors = {
        g.key: (g.label_nl if lang == "nl" else g.label_en)
        for g in settings.classification.sector_groups
    }
    sector = sectors.get(surface.subset, surface.subset)
    return text("qgis.density.subset.sector", lang, sector=sector.lower())


def density_description(surface: DensitySurface, settings: Settings) -> str:
    """One line on the surface: subset, unit, kernel and radius, and the privacy rule."""
    lang = settings.map.language
    about = text(
        "qgis.layer.density",
        lang,
        subset=subset_label(surface, settings),
        unit=density_unit(surface, lang),
        kernel=surface.grid.kernel,
        radius=distance(surface.grid.radius_m, lang),
    )
    return f"{about} {text('qgis.layer.raster_note', lang, min_count=settings.privacy.min_count)}"


def _decimals(vmax: float) -> int:
    """Enough decimals to tell the ramp's stops apart (a fifth of the range)."""
    if vmax <= 0:
        return 1
    return int(np.clip(2 - math.floor(math.log10(vmax / 5.0)), 0, 3))


def raster_style(surface: DensitySurface, *, language: str, min_count: int) -> str:
    """The QML of a density surface: the map's ramp over its ``display_range``.

    A surface with no cell that may be shown gets a one-entry style saying "too few to show".

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> from almere_gis.analysis.density import DensityGrid, DensitySurface
    >>> grid = DensityGrid(values=np.zeros((2, 2)), transform=Affine(25, 0, 0, 0, -25, 50))
    >>> shown = np.zeros((2, 2), dtype=bool)
    >>> s = DensitySurface(subset="all", weight="count", grid=grid, shown=shown)
    >>> "Too few to show" in raster_style(s, language="en", min_count=5)
    True
    """
    vmin, vmax = (float(v) for v in surface.display_range)
    public = surface.public_values()
    finite = public[np.isfinite(public)]
    peak = float(finite.max()) if finite.size else vmin
    return qml_raster_pseudocolor(
        DENSITY_RAMP,
        vmin,
        vmax,
        units=density_unit(surface, language),
        decimals=_decimals(vmax),
        language=language,
        open_top=peak > vmax,
        empty_label=text("qgis.legend.too_few_cells", language, min_count=min_count),
    )


def write_raster_style(
    surface: DensitySurface, tif_path: str | Path, *, language: str, min_count: int
) -> Path:
    """Write ``<name>.qml`` beside the surface's GeoTIFF: the style QGIS applies on opening it.

    The style is built from ``surface`` (see :func:`raster_style`); the GeoTIFF is not read.

    Returns
    -------
    pathlib.Path
        The ``.qml`` file.
    """
    qml = raster_style(surface, language=language, min_count=min_count)
    return atomic.write_text(qml, Path(tif_path).with_suffix(".qml"))
