"""Getis-Ord Gi* hot and cold spot hexagons: only significant ones, only publishable ones.

A hexagon whose class is missing (hidden for privacy: too few establishments) is not drawn.
Hexagons are drawn with a strong outline in their class colour and a light fill, so the
choropleth underneath stays readable and a hot spot does not drown in its reds.
"""

from __future__ import annotations

__all__ = ["hotspot_layer"]

import geopandas as gpd
import numpy as np
import pandas as pd

from ...style import HOTSPOT_CLASSES, HOTSPOT_COLOURS
from ..geometry import display_geometry, feature_collection
from ..markup import esc, kv_table, legend_block, swatch_row
from ..model import Context, Layer
from .common import flags, numbers

_OUTLINE = {
    "hot_99": "#67001f",
    "hot_95": "#b2182b",
    "hot_90": "#d6604d",
    "cold_90": "#4393c3",
    "cold_95": "#2166ac",
    "cold_99": "#053061",
}


def _cards(sig: pd.DataFrame, hidden: pd.DataFrame, classes: list[str], ctx: Context) -> list[str]:
    suppressed = flags(sig, "suppressed")
    columns = [c for c in ("count_all", "count_small_scale") if c in sig]
    values = {c: numbers(sig, c) for c in columns}
    hide = {
        c: suppressed | (hidden[c].to_numpy(dtype=bool) if c in hidden else False) for c in columns
    }
    z = numbers(sig, "gi_z")
    cards = []
    for i, cls in enumerate(classes):
        rows = [(esc(ctx.t("hex.class")), esc(ctx.t(f"hotspot.{cls}")))]
        for c in columns:
            rows.append((esc(ctx.t(f"hex.{c}")), esc(ctx.count(values[c][i], hidden=hide[c][i]))))
        if "gi_z" in sig and np.isfinite(z[i]):
            rows.append((esc(ctx.t("hex.gi_z")), esc(ctx.number(z[i], 1))))
        cards.append(kv_table(rows))
    return cards


def _legend(present: set[str], ctx: Context) -> str:
    rows = [
        swatch_row(
            esc(ctx.t(f"hotspot.{c}")),
            fill=HOTSPOT_COLOURS[c],
            css="ag-sw ag-hex",
            border=_OUTLINE[c],
        )
        for c in HOTSPOT_CLASSES
        if c in present
    ]
    unit = esc(
        ctx.t(
            "hex.unit",
            size=ctx.distance(ctx.settings.hexgrid.size_m),
            variable=ctx.t(f"subset.{ctx.settings.hotspots.variable}"),
        )
    )
    return legend_block(
        "hotspots",
        esc(ctx.t("layer.hotspots")),
        unit,
        rows,
        esc(ctx.t("hex.note", n=ctx.min_count)),
    )


def hotspot_layer(hexagons: gpd.GeoDataFrame, hidden: pd.DataFrame, ctx: Context) -> Layer | None:
    """The significant, publishable hexagons, or None when there are none to draw."""
    if "gi_class" not in hexagons:
        return None
    cls = hexagons["gi_class"].astype("string")
    keep = (cls.notna() & (cls != "ns") & cls.isin(HOTSPOT_CLASSES)).to_numpy()
    if "gi_class" in hidden:
        keep &= ~hidden["gi_class"].to_numpy(dtype=bool)
    if not keep.any():
        return None
    sig = hexagons.loc[keep]
    classes = [str(c) for c in cls[keep]]
    geoms = display_geometry(sig, "hexagons")
    cards = _cards(sig, hidden.loc[keep], classes, ctx)
    props = [
        {
            "tip": card,
            "style": {
                "fillColor": HOTSPOT_COLOURS[c],
                "fillOpacity": 0.35,
                "color": _OUTLINE[c],
                "weight": 2,
                "opacity": 0.9,
            },
        }
        for card, c in zip(cards, classes, strict=True)
    ]
    spec = {
        "id": "hotspots",
        "name": ctx.t("layer.hotspots"),
        "kind": "areas",
        "pane": "ag-hotspots",
        "show": False,
        "data": feature_collection(geoms, props),
    }
    return Layer(spec, _legend(set(classes), ctx))
