"""Wijk outlines with their names as labels, and the outline of the whole study area.

Labels are placed at a point inside each wijk; ``page.js`` hides a label that would collide
with a top site or with another label.
"""

from __future__ import annotations

__all__ = ["outline_layer", "wijk_layer"]

import geopandas as gpd
import numpy as np

from ...style import WIJK_OUTLINE
from ..geometry import display_geometry, feature_collection, outline
from ..markup import esc, legend_block, swatch_row
from ..model import Context, Layer
from .common import strings

OUTLINE = "#555555"


def wijk_layer(wijken: gpd.GeoDataFrame, ctx: Context) -> Layer:
    """Wijk boundaries and labels (a wijk without a name is labelled with its code)."""
    geoms = display_geometry(
        wijken, "wijken", simplify_m=ctx.settings.map.simplify_m, coverage=True
    )
    codes = strings(wijken, "wijk_code")
    names = [n or c for n, c in zip(strings(wijken, "wijk_name"), codes, strict=True)]
    points = geoms.representative_point()
    lat = np.round(points.y.to_numpy(dtype=float), 5)
    lon = np.round(points.x.to_numpy(dtype=float), 5)
    label_at = [[float(a), float(b)] for a, b in zip(lat, lon, strict=True)]
    style = {"color": WIJK_OUTLINE, "weight": 2, "fill": False, "opacity": 0.9}
    props = [
        {"label": esc(n), "name": n, "label_at": at, "style": style}
        for n, at in zip(names, label_at, strict=True)
    ]
    spec = {
        "id": "wijken",
        "name": ctx.t("layer.wijken"),
        "kind": "lines",
        "pane": "ag-wijken",
        "show": True,
        "data": feature_collection(geoms, props),
    }
    rows = [
        swatch_row(esc(ctx.t("wijk_legend")), fill="none", css="ag-sw ag-line", border=WIJK_OUTLINE)
    ]
    return Layer(spec, legend_block("wijken", esc(ctx.t("layer.wijken")), "", rows))


def outline_layer(buurten: gpd.GeoDataFrame, ctx: Context) -> Layer:
    """The study area's outline: shows where the municipality ends when there is no basemap."""
    geoms = outline(buurten, ctx.settings.map.simplify_m)
    style = {"color": OUTLINE, "weight": 2.5, "fill": False, "opacity": 1}
    spec = {
        "id": "outline",
        "name": ctx.t("layer.outline"),
        "kind": "lines",
        "pane": "ag-outline",
        "show": True,
        "data": feature_collection(geoms, [{"style": style}]),
    }
    rows = [
        swatch_row(esc(ctx.t("outline_legend")), fill="none", css="ag-sw ag-line", border=OUTLINE)
    ]
    return Layer(spec, legend_block("outline", esc(ctx.t("layer.outline")), "", rows))
