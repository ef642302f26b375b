"""The tables beside the map (top sites, buurten) and the search index, as data for page.js.

Each table row holds the cells as shown (already formatted for the language, "< 5" where a
count is hidden) and a sort key per cell (a number, or the text; None sorts last), plus the
layer and feature it belongs to, so a click on a row shows that place. The CSV download is
made in the browser from the same rows in their current order.
"""

from __future__ import annotations

__all__ = ["search_index", "site_table", "buurt_table"]

from typing import Any

import numpy as np
import pandas as pd

from ..style import Choropleth
from .layers.buurten import KEY_FIGURES, decimals_for, figure_texts, value_text
from .layers.common import Columns, strings
from .layers.sites import stability_text
from .model import Context, Layer
from .names import site_type_name


def _key(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def site_table(candidates: pd.DataFrame, hidden: pd.DataFrame, ctx: Context) -> dict[str, Any]:
    """Every ranked (not excluded) site by rank: rank, name, type, score, stability, m²."""
    cols = Columns(candidates, hidden)
    rank = np.where(cols.flag("excluded"), np.nan, cols.num("rank"))
    order = [int(i) for i in np.argsort(rank, kind="stable") if np.isfinite(rank[i])]
    score, area = cols.num("score"), cols.num("floor_area_m2")
    rows = []
    for i in order:
        name = cols.text("name")[i] or cols.text("site_id")[i]
        kind = site_type_name(cols.text("site_type")[i], ctx.language)
        stability = cols.text("stability")[i] or ""
        rows.append(
            {
                "cells": [
                    str(int(rank[i])),
                    name,
                    kind,
                    ctx.number(score[i], 2),
                    stability_text(cols, i, ctx),
                    ctx.area_m2(area[i]) if np.isfinite(area[i]) else "–",
                ],
                "sort": [
                    _key(rank[i]),
                    name.lower(),
                    kind,
                    _key(score[i]),
                    {"always": 0, "sometimes": 1, "never": 2}.get(stability),
                    _key(area[i]),
                ],
                "layer": "sites",
                "feature": i,
            }
        )
    columns = [
        ("rank", True),
        ("name", False),
        ("type", False),
        ("score", True),
        ("stability", False),
        ("floor_area", True),
    ]
    return {
        "id": "sites",
        "title": ctx.t("table.sites"),
        "columns": [{"label": ctx.t(f"table.col.{c}"), "numeric": n} for c, n in columns],
        "rows": rows,
        "file": ctx.t("table.sites_file"),
    }


def buurt_table(
    buurten: pd.DataFrame, hidden: pd.DataFrame, c: Choropleth, ctx: Context
) -> dict[str, Any]:
    """Every buurt: name, code, wijk, the map's indicator and the key counts."""
    decimals = decimals_for(c.values[c.shown], c.kind)
    figures = figure_texts(buurten, hidden, ctx)
    shown_figures = [
        (col, key) for col, key, _, _ in KEY_FIGURES if col in figures and col != c.column
    ]
    names, codes, wijken = (strings(buurten, k) for k in ("buurt_name", "buurt_code", "wijk_name"))
    counts = {
        col: pd.to_numeric(buurten[col], errors="coerce").to_numpy(float)
        for col, _ in shown_figures
    }
    rows = []
    for i in range(len(buurten)):
        value = c.values[i] if c.shown[i] else np.nan
        rows.append(
            {
                "cells": [names[i], codes[i], wijken[i], value_text(c, i, ctx, decimals)]
                + [figures[col][i] for col, _ in shown_figures],
                "sort": [names[i].lower(), codes[i], wijken[i].lower(), _key(value)]
                + [
                    None if figures[col][i].startswith("<") else _key(counts[col][i])
                    for col, _ in shown_figures
                ],
                "layer": "buurten",
                "feature": i,
            }
        )
    columns = [
        {"label": ctx.t("table.col.buurt"), "numeric": False},
        {"label": ctx.t("table.col.code"), "numeric": False},
        {"label": ctx.t("table.col.wijk"), "numeric": False},
        {"label": c.label, "numeric": True},
    ] + [{"label": ctx.t(key), "numeric": True} for _, key in shown_figures]
    return {
        "id": "buurten",
        "title": ctx.t("table.buurten"),
        "columns": columns,
        "rows": rows,
        "file": ctx.t("table.buurten_file"),
    }


def search_index(layers: list[Layer], ctx: Context) -> list[dict[str, Any]]:
    """Names to search for: buurten, wijken and sites, with the layer and feature to show."""
    kinds = {"buurten": "search.buurt", "wijken": "search.wijk", "sites": "search.site"}
    out = []
    for layer in layers:
        kind = kinds.get(layer.id)
        if kind is None:
            continue
        for feature in layer.spec["data"]["features"]:
            name = feature["properties"].get("name") or ""
            if name:
                out.append(
                    {
                        "label": name,
                        "kind": ctx.t(kind),
                        "layer": layer.id,
                        "feature": feature["id"],
                    }
                )
    return out
