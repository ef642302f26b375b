"""Small HTML pieces for tooltips, popups and legends, built from escaped text only.

Every string that comes from data (names, labels, explanations) goes through :func:`esc` before
it enters the page; the page then reaches the browser only inside JSON and is inserted by
``page.js`` as the markup built here, so a hostile name shows as text and never runs.
"""

from __future__ import annotations

__all__ = ["bar", "esc", "kv_table", "legend_block", "swatch_row"]

import html
import math
from typing import Any

import pandas as pd


def esc(value: Any) -> str:
    """HTML-escape a data string (missing values give ""); also ` and $ and backslashes.

    Examples
    --------
    >>> esc("<b>Haven & Stad</b>")
    '&lt;b&gt;Haven &amp; Stad&lt;/b&gt;'
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = html.escape(str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def kv_table(rows: list[tuple[str, str]], css: str = "ag-kv") -> str:
    """A two-column table; both cells must already be escaped."""
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="{css}">{body}</table>'


def bar(value: float) -> str:
    """A 0-1 bar; hatched when the value is missing."""
    if not math.isfinite(value):
        return '<span class="ag-bar ag-bar-na"></span>'
    width = round(min(max(value, 0.0), 1.0) * 100)
    return f'<span class="ag-bar"><span style="width:{width}%"></span></span>'


def swatch_row(label: str, *, fill: str, css: str = "ag-sw", border: str | None = None) -> str:
    """A legend row: a swatch and an (escaped) label."""
    style = f"background:{fill}" + (f";border-color:{border}" if border else "")
    return f'<div class="ag-row"><span class="{css}" style="{style}"></span>{label}</div>'


def legend_block(layer_id: str, title: str, unit: str, rows: list[str], note: str = "") -> str:
    """A legend for one layer; ``page.js`` shows it only while the layer is on."""
    unit_html = f'<div class="ag-unit">{unit}</div>' if unit else ""
    note_html = f'<div class="ag-note">{note}</div>' if note else ""
    return (
        f'<div class="ag-legend" data-layer="{esc(layer_id)}" hidden>'
        f"<h3>{title}</h3>{unit_html}{''.join(rows)}{note_html}</div>"
    )
