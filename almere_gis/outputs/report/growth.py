"""Growth figures as the summary and the workbook show them (:mod:`almere_gis.analysis.growth`).

Growth is an optional input of both writers: a :class:`~almere_gis.analysis.growth.Growth`
(table and what it rests on) or only its table. Its counts are shown as published by the
source (CBS rounds to multiples of 5); a count from 1 to ``min_count - 1`` (possible when the
counts come from a business register) is hidden, and so are the changes computed from it.
"""

from __future__ import annotations

__all__ = ["GrowthInput", "city_growth", "growth_measure", "growth_notes_for", "public_growth"]

from dataclasses import dataclass, replace
from datetime import date
from typing import TypeAlias

import numpy as np
import pandas as pd

from ...analysis.growth import Growth, growth_notes
from ...analysis.privacy import PublicFrame, public_table
from ...texts import text

GrowthInput: TypeAlias = Growth | pd.DataFrame | None
_PARTS = ("_start", "_end", "_change", "_change_pct")


def _table(growth: GrowthInput) -> pd.DataFrame | None:
    if growth is None:
        return None
    table = growth.table if isinstance(growth, Growth) else growth
    return table if len(table) else None


def _measures(table: pd.DataFrame) -> list[str]:
    return [c.removesuffix("_start") for c in table.columns if str(c).endswith("_start")]


def growth_measure(table: pd.DataFrame) -> str | None:
    """The measure the summary shows: ``total`` when present, else the first one."""
    measures = _measures(table)
    if not measures:
        return None
    return "total" if "total" in measures else measures[0]


def public_growth(growth: GrowthInput, min_count: int) -> PublicFrame | None:
    """The growth table with counts below ``min_count`` (and changes built on them) hidden."""
    table = _table(growth)
    if table is None:
        return None
    hide = pd.DataFrame(index=table.index)
    for m in _measures(table):
        small = np.zeros(len(table), dtype=bool)
        for part in ("_start", "_end"):
            v = pd.to_numeric(table.get(f"{m}{part}"), errors="coerce").to_numpy(dtype=float)
            small |= np.isfinite(v) & (v > 0) & (v < min_count)
        for part in _PARTS:
            if f"{m}{part}" in table:
                hide[f"{m}{part}"] = small
    return public_table(table, hide)


@dataclass(frozen=True)
class CitySpan:
    """One span of the municipality's growth, for the summary's small table."""

    start: date
    end: date
    value_start: float
    value_end: float
    change_pct: float
    hidden: bool
    method_break: bool


def city_growth(growth: GrowthInput, min_count: int) -> list[CitySpan]:
    """The municipality's spans of the shown measure: consecutive ones first, the longest last."""
    public = public_growth(growth, min_count)
    if public is None:
        return []
    table = public.data
    measure = growth_measure(table)
    if measure is None or "level" not in table:
        return []
    city = table["level"].to_numpy() == "gemeente"
    rows = []
    for i in np.flatnonzero(city):
        row = table.iloc[i]
        rows.append(
            CitySpan(
                start=row["start"],
                end=row["end"],
                value_start=float(row[f"{measure}_start"]),
                value_end=float(row[f"{measure}_end"]),
                change_pct=float(row[f"{measure}_change_pct"]),
                hidden=bool(public.is_hidden(f"{measure}_start").iloc[i]),
                method_break=bool(row.get("method_break", False)),
            )
        )
    longest = max((r.end - r.start for r in rows), default=None)
    return sorted(rows, key=lambda r: (len(rows) > 2 and r.end - r.start == longest, r.start))


def growth_notes_for(growth: GrowthInput, language: str) -> list[str]:
    """What the municipality's growth figures rest on (method breaks, comparable totals)."""
    if isinstance(growth, Growth):
        # Re-divisions of buurten and estimates concern the buurt and wijk rows, not the city.
        city = growth.table[growth.table["level"] == "gemeente"]
        return growth_notes(
            replace(growth, table=city, unmatched=growth.unmatched.iloc[0:0]), language
        )
    table = _table(growth)
    if table is not None and "method_break" in table and table["method_break"].any():
        return [text("report.growth.break", language)]
    return []
