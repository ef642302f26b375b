"""The buurt choropleth: one indicator in classes, a hover card per buurt, and its legend.

A buurt whose indicator may not be shown (hidden for privacy, or resting on fewer than
``min_count`` establishments) is grey and says "< 5"; the legend says "too few to show" when
no buurt is left to class. Classes are computed once in :func:`..style.choropleth_classes`, the
same for QGIS.
"""

from __future__ import annotations

__all__ = ["KEY_FIGURES", "buurt_layer"]

import numpy as np
import pandas as pd

from ...style import NODATA_FILL, SUPPRESSED_FILL, Choropleth, choropleth_classes
from ..geometry import display_geometry, feature_collection
from ..markup import esc, kv_table, legend_block, swatch_row
from ..model import Context, Layer
from ..names import area_type_name
from .common import flags, numbers, strings

# Key figures in a buurt's card and table: (column, text key, decimals, is a count).
KEY_FIGURES = (
    ("n_establishments", "fig.n_establishments", 0, True),
    ("n_small_scale", "fig.n_small_scale", 0, True),
    ("n_home_based", "fig.n_home_based", 0, True),
    ("n_zzp", "fig.n_zzp", 0, True),
    ("jobs", "fig.jobs", 0, False),
    ("jobs_small_scale_per_km2", "fig.jobs_small_scale_per_km2", 0, False),
)


def decimals_for(values: np.ndarray, kind: str) -> int:
    """Decimals for a legend and its cards: fewer for larger values."""
    if kind == "lq":
        return 2
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    return 0 if top >= 100 else 1 if top >= 10 else 2


def value_text(c: Choropleth, i: int, ctx: Context, decimals: int) -> str:
    """Buurt ``i``'s indicator as shown: a number, "< 5", or "no data"."""
    if c.hidden[i]:
        return ctx.count(0, hidden=True) if c.kind == "count" else ctx.t("too_few_short")
    if not np.isfinite(c.values[i]):
        return ctx.t("nodata")
    return ctx.number(c.values[i], decimals) + (" %" if c.kind == "share" else "")


def figure_texts(frame: pd.DataFrame, hidden: pd.DataFrame, ctx: Context) -> dict[str, list[str]]:
    """Every key figure of every buurt as shown: counts below the threshold as "< 5"."""
    suppressed = flags(frame, "suppressed")
    out: dict[str, list[str]] = {}
    for column, _, decimals, is_count in KEY_FIGURES:
        if column not in frame:
            continue
        values = numbers(frame, column)
        hide = suppressed | (hidden[column].to_numpy(dtype=bool) if column in hidden else False)
        out[column] = [
            (ctx.count(v, hidden=True) if is_count else ctx.t("hidden_value"))
            if h
            else (ctx.count(v) if is_count else ctx.number(v, decimals))
            for v, h in zip(values, hide, strict=True)
        ]
    return out


def _cards(
    frame: pd.DataFrame, hidden: pd.DataFrame, c: Choropleth, ctx: Context, decimals: int
) -> list[str]:
    figures = figure_texts(frame, hidden, ctx)
    wijk = strings(frame, "wijk_name") if "wijk_name" in frame else None
    area = strings(frame, "area_type") if "area_type" in frame else None
    inhabitants = numbers(frame, "inhabitants") if "inhabitants" in frame else None
    names, codes = strings(frame, "buurt_name"), strings(frame, "buurt_code")
    labels = {column: esc(ctx.t(key)) for column, key, _, _ in KEY_FIGURES}
    cards = []
    for i in range(len(frame)):
        rows: list[tuple[str, str]] = []
        if wijk is not None:
            rows.append((esc(ctx.t("card.wijk")), esc(wijk[i])))
        if area is not None:
            rows.append((esc(ctx.t("card.area_type")), esc(area_type_name(area[i], ctx.language))))
        rows.append((f"<b>{esc(c.label)}</b>", f"<b>{esc(value_text(c, i, ctx, decimals))}</b>"))
        rows += [(labels[col], esc(texts[i])) for col, texts in figures.items() if col != c.column]
        if inhabitants is not None:
            rows.append((esc(ctx.t("fig.inhabitants")), esc(ctx.number(inhabitants[i]))))
        code = f'<span class="ag-code">{esc(codes[i])}</span>'
        title = f'<div class="ag-tip-title">{esc(names[i])} {code}</div>'
        cards.append(title + kv_table(rows))
    return cards


def _fill(c: Choropleth, i: int) -> dict[str, object]:
    if c.classes[i] >= 0:
        fill, opacity = c.colours[c.classes[i]], 0.75
    elif c.hidden[i]:
        fill, opacity = SUPPRESSED_FILL, 0.6
    else:
        fill, opacity = NODATA_FILL, 0.6
    return {"fillColor": fill, "fillOpacity": opacity, "color": "#ffffff", "weight": 0.8}


def _legend(c: Choropleth, ctx: Context, decimals: int) -> str:
    pct = " %" if c.kind == "share" else ""
    rows = []
    for j, upper in enumerate(c.breaks):
        low = c.low if j == 0 else c.breaks[j - 1]
        label = f"{ctx.number(low, decimals)} – {ctx.number(upper, decimals)}{pct}"
        rows.append(swatch_row(esc(label), fill=c.colours[j]))
    if not c.breaks:
        rows.append(f'<div class="ag-note ag-too-few">{esc(ctx.t("too_few"))}</div>')
    if c.hidden.any():
        text = ctx.t("suppressed", n=ctx.min_count)
        rows.append(swatch_row(esc(text), fill=SUPPRESSED_FILL))
    if (~c.hidden & ~np.isfinite(c.values)).any():
        rows.append(swatch_row(esc(ctx.t("nodata")), fill=NODATA_FILL))
    scheme = ctx.t("classes_of", n=len(c.breaks), scheme=ctx.t(f"scheme.{ctx.settings.map.scheme}"))
    unit = f"{esc(ctx.t('unit'))}: {esc(c.unit)} · {esc(scheme)}" if c.breaks else esc(c.unit)
    return legend_block("buurten", esc(c.label), unit, rows)


def buurt_layer(
    buurten: pd.DataFrame, hidden: pd.DataFrame, ctx: Context
) -> tuple[Layer, Choropleth]:
    """The choropleth layer of ``settings.map.indicator`` and the classing it used."""
    from ....analysis.privacy import PublicFrame

    c = choropleth_classes(PublicFrame(buurten, hidden), ctx.settings, language=ctx.language)
    decimals = decimals_for(c.values[c.shown], c.kind)
    geoms = display_geometry(
        buurten, "buurten", simplify_m=ctx.settings.map.simplify_m, coverage=True
    )
    names = strings(buurten, "buurt_name")
    cards = _cards(buurten, hidden, c, ctx, decimals)
    props = [{"tip": card, "style": _fill(c, i), "name": names[i]} for i, card in enumerate(cards)]
    spec = {
        "id": "buurten",
        "name": ctx.t("layer.buurten", label=c.label),
        "kind": "areas",
        "pane": "ag-buurten",
        "show": True,
        "data": feature_collection(geoms, props),
    }
    return Layer(spec, _legend(c, ctx, decimals)), c
