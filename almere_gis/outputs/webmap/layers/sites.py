"""Candidate sites: the top k as numbered markers above every other layer, the rest as dots.

The popup of a site gives its score, how stable its place in the top k is (``stability``:
always, sometimes or never in the top k across the weight draws), and per criterion a bar of
the normalised value, the raw value with its unit, and the normalised weight the score used
(``weight_<criterion>``). ``page.js`` spreads the numbered markers so that none overlap at the
current zoom, with a thin line to the true location.
"""

from __future__ import annotations

__all__ = ["criteria_of", "site_layer", "stability_text", "weights_used"]

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd

from ...style import SITE_EXCLUDED, SITE_OTHER, SITE_TOP
from ..geometry import display_geometry, feature_collection
from ..markup import bar, esc, legend_block
from ..model import Context, Layer
from ..names import criterion_text, site_type_name
from .common import Columns, numbers


def criteria_of(frame: pd.DataFrame) -> list[str]:
    """The criteria scored in ``frame`` (those with a ``<criterion>_norm`` column)."""
    return [str(c)[: -len("_norm")] for c in frame.columns if str(c).endswith("_norm")]


def weights_used(frame: pd.DataFrame | None, ctx: Context) -> tuple[dict[str, float], float]:
    """The normalised weight per criterion and the sum of the configured weights.

    The weights are the ``weight_<criterion>`` columns the scoring wrote, else the configured
    ones rescaled to sum to 1; criteria are those scored in ``frame`` (all configured ones
    when there is no frame).
    """
    configured = {
        f.name: float(getattr(ctx.settings.sites.weights, f.name))
        for f in dataclasses.fields(ctx.settings.sites.weights)
    }
    total = sum(configured.values())
    if frame is None or not criteria_of(frame):
        return {c: w / (total or 1.0) for c, w in configured.items()}, total
    out = {}
    for c in criteria_of(frame):
        given = numbers(frame, f"weight_{c}")
        finite = given[np.isfinite(given)]
        out[c] = float(finite[0]) if finite.size else configured.get(c, 0.0) / (total or 1.0)
    return out, total


def stability_text(cols: Columns, i: int, ctx: Context) -> str:
    """How stable site ``i``'s place in the top k is, in words ("" when unknown)."""
    k = ctx.settings.sites.top_k
    p = cols.num("p_top_k")[i]
    share = ctx.percent(p) if np.isfinite(p) else ""
    kind = cols.text("stability")[i]
    if kind in ("always", "sometimes", "never"):
        return ctx.t(f"stability.{kind}", k=k, p=share)
    return ctx.t("stability.chance", k=k, p=share) if share else ""


def _raw_text(cols: Columns, crit: str, i: int, ctx: Context) -> str:
    column = f"{crit}_raw"
    value = cols.num(column)[i]
    unit = criterion_text(crit, "unit", ctx.language)
    if cols.is_hidden(column)[i]:
        shown = ctx.count(value, hidden=True)
    elif crit.startswith("demand_") and ctx.settings.sites.demand_measure == "count":
        shown = ctx.count(value)  # a count of establishments: "< 5" below the threshold
    elif not np.isfinite(value):
        return ctx.t("site.raw_missing")
    else:
        magnitude = abs(value)
        shown = ctx.number(value, 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2)
    return f"{shown} {unit}".strip()


def _criteria_table(cols: Columns, i: int, ctx: Context, weights: dict[str, float]) -> str:
    rows = []
    for crit, w in weights.items():
        norm = cols.num(f"{crit}_norm")[i]
        name = esc(criterion_text(crit, "name", ctx.language))
        raw = esc(_raw_text(cols, crit, i, ctx))
        # The measured value sits under the name, beside its bar: it fits a phone's popup.
        rows.append(
            f'<tr><th>{name}<div class="ag-raw">{raw}</div></th>'
            f'<td title="{esc(ctx.number(norm, 2))}">{bar(norm)}</td>'
            f"<td>{esc(ctx.percent(w))}</td></tr>"
        )
    head = (
        f"<tr><th>{esc(ctx.t('site.col_value'))}</th><th>{esc(ctx.t('site.col_score'))}</th>"
        f"<th>{esc(ctx.t('site.col_weight'))}</th></tr>"
    )
    return f'<table class="ag-bars">{head}{"".join(rows)}</table>'


def _popup(cols: Columns, i: int, ctx: Context, weights: dict[str, float], rank: float) -> str:
    name = esc(cols.text("name")[i] or cols.text("site_id")[i])
    head = f"#{int(rank)} · {name}" if np.isfinite(rank) else name
    parts = [f'<div class="ag-pop-title">{head}</div>']
    meta = [esc(site_type_name(t, ctx.language)) for t in [cols.text("site_type")[i]] if t]
    area = cols.num("floor_area_m2")[i]
    if np.isfinite(area):
        meta.append(esc(ctx.area_m2(area)))
    if meta:
        parts.append(f'<div class="ag-pop-meta">{" · ".join(meta)}</div>')
    if cols.flag("excluded")[i]:
        reason = esc(cols.text("exclusion_reason")[i])
        parts.append(f'<div class="ag-excluded">{esc(ctx.t("site.excluded"))}: {reason}</div>')
    else:
        score = ctx.number(cols.num("score")[i], 2)
        line = f"<b>{esc(ctx.t('site.score', score=score))}</b>"
        stability = stability_text(cols, i, ctx)
        parts.append(f"<div>{line}</div>")
        if stability:
            parts.append(f'<div class="ag-stability">{esc(stability)}</div>')
    if weights:
        parts.append(f'<div class="ag-pop-sub">{esc(ctx.t("site.criteria"))}</div>')
        parts.append(_criteria_table(cols, i, ctx, weights))
    explanation = esc(cols.text("explanation")[i])
    if explanation:
        parts.append(f'<p class="ag-expl">{explanation}</p>')
    return f'<div class="ag-pop">{"".join(parts)}</div>'


def _legend(ctx: Context, any_excluded: bool, total: float) -> str:
    k = ctx.settings.sites.top_k

    def row(colour: str, size: int, label: str, css: str = "ag-dot") -> str:
        return (
            f'<div class="ag-row"><span class="{css}" style="background:{colour};'
            f'width:{size}px;height:{size}px"></span>{esc(label)}</div>'
        )

    rows = [
        row(SITE_TOP, 18, ctx.t("site.legend_top", k=k), "ag-dot ag-dot-top"),
        row(SITE_OTHER, 10, ctx.t("site.legend_other")),
    ]
    if any_excluded:
        rows.append(row(SITE_EXCLUDED, 10, ctx.t("site.legend_excluded")))
    note = ctx.t("site.legend_note")
    if abs(total - 1.0) > 1e-6:
        rows.append(
            f'<div class="ag-warn">{esc(ctx.t("site.weights_rescaled", total=ctx.percent(total)))}'
            "</div>"
        )
    return legend_block("sites", esc(ctx.t("layer.sites", k=k)), "", rows, esc(note))


def site_layer(candidates: gpd.GeoDataFrame, hidden: pd.DataFrame, ctx: Context) -> Layer:
    """The candidate sites layer (every site, with its popup) and its legend."""
    k = ctx.settings.sites.top_k
    cols = Columns(candidates, hidden)
    excluded = cols.flag("excluded")
    rank = np.where(excluded, np.nan, cols.num("rank"))
    weights, total = weights_used(candidates, ctx)
    points = candidates.copy()
    points["geometry"] = candidates.geometry.representative_point()
    geoms = display_geometry(gpd.GeoDataFrame(points, crs=candidates.crs), "candidates")
    names = cols.text("name")
    props = []
    for i in range(len(candidates)):
        r = rank[i]
        is_top = bool(np.isfinite(r) and r <= k)
        head = f"#{int(r)} · {names[i]}" if np.isfinite(r) else names[i]
        props.append(
            {
                "popup": _popup(cols, i, ctx, weights, r),
                "tip": esc(head),
                "name": names[i],
                "rank": int(r) if np.isfinite(r) else None,
                "top": is_top,
                "colour": SITE_EXCLUDED if excluded[i] else SITE_TOP if is_top else SITE_OTHER,
            }
        )
    spec = {
        "id": "sites",
        "name": ctx.t("layer.sites", k=k),
        "kind": "sites",
        "pane": "ag-sites",
        "show": True,
        "data": feature_collection(geoms, props),
    }
    return Layer(spec, _legend(ctx, bool(excluded.any()), total))
