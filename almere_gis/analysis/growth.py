"""Growth of establishment counts between two or more peildatums, per buurt, wijk and city.

Input is a tidy frame of counts: one row per area and peildatum, with the CBS area ``code``
(``BU...``, ``WK...``, ``GM...``), the ``peildatum`` (a date, or a year meaning 1 January) and
one numeric column per measure (a total and, say, one column per CBS sector group). The CBS
Kerncijfers give such a frame for every year; so do two business registers counted per buurt.

Two things in such series are not growth, and every table here says where they are:

* **Method breaks.** CBS's count of 1-1-2020 includes the group O-Q (government, education,
  care) for the first time and changed its source: Almere went from 17,440 to 23,020 (+32 %)
  in one year, against +6 to +11 % in the other years; without O-Q, +8.4 %. A span that
  crosses a break is flagged (``method_break``), and the total over the groups counted in both
  years is given beside the total (``<total>_comparable``).
* **Re-divisions.** When the buurt codes of the two years differ (Almere on 1-1-2022: 66-69
  buurten before, 238 after), only codes present in both years are compared and the others
  are listed (``Growth.unmatched``); with the polygons of both years the figures of the first
  year are carried to the second year's buurten by areal weighting (tobler's
  ``area_interpolate``) and marked as an estimate.

Pure functions: frames in, frames out, no file access.
"""

from __future__ import annotations

__all__ = [
    "CBS_METHOD_BREAKS",
    "Growth",
    "MethodBreak",
    "carry_over",
    "growth_notes",
    "growth_spans",
    "growth_table",
    "with_levels",
]

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import SchemaError
from ..texts import text
from ..texts.format import date_long, percent

LEVELS = ("buurt", "wijk", "gemeente")
_PREFIX = {"BU": "buurt", "WK": "wijk", "GM": "gemeente"}
_KEYS = ("code", "peildatum", "level", "source")
# A buurt of the later year that the earlier year's polygons cover less than this is not
# estimated: its missing part would pass for a decline.
MIN_COVERAGE = 0.95


@dataclass(frozen=True)
class MethodBreak:
    """A change of method between two consecutive peildatums of a source."""

    last_before: date
    """The last peildatum counted the old way."""
    first_after: date
    """The first peildatum counted the new way."""
    key: str
    """Text key (``growth.break.<key>``) that explains the break."""


CBS_METHOD_BREAKS: tuple[MethodBreak, ...] = (
    MethodBreak(date(2019, 1, 1), date(2020, 1, 1), "cbs_2020"),
)


@dataclass(frozen=True)
class Growth:
    """A growth table and what it rests on."""

    table: pd.DataFrame
    """One row per area and span: level, code, start, end; per measure ``<m>_start``,
    ``<m>_end``, ``<m>_change`` and ``<m>_change_pct`` (a share: 0.1 = +10 %); flags
    ``method_break``, ``redivision`` and ``estimate``."""
    unmatched: pd.DataFrame
    """Areas of one year without a partner in the other: level, code, peildatum, reason
    (``start_only``, ``end_only``, or ``no_polygon`` for figures that could not be carried
    over), and the span (start, end)."""
    breaks: tuple[MethodBreak, ...]
    """The method breaks the spans cross."""
    uncounted: tuple[str, ...]
    """Measures missing for every area in a year of a span (not counted then)."""


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, np.integer)):
        return date(int(value), 1, 1)
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    raise SchemaError("counts", f"peildatum {value!r} is not a date or a year", "use dates")


def _prepare(
    counts: pd.DataFrame, measures: Sequence[str] | None
) -> tuple[pd.DataFrame, list[str]]:
    """Counts with ``peildatum`` as dates and a ``level`` per row; the measure columns."""
    missing = {"code", "peildatum"} - set(counts.columns)
    if missing:
        raise SchemaError(
            "counts", f"columns {sorted(missing)} missing", "give code and peildatum columns"
        )
    out = counts.copy()
    out["peildatum"] = [_as_date(v) for v in out["peildatum"]]  # a few dates per area
    if "level" not in out.columns:
        out["level"] = out["code"].astype(str).str[:2].map(_PREFIX)
    unknown = out.loc[~out["level"].isin(LEVELS), "code"]
    if len(unknown):
        raise SchemaError(
            "counts",
            f"codes {sorted(unknown.astype(str))[:5]} are not CBS codes (BU, WK or GM)",
            "give a level column (buurt, wijk or gemeente)",
        )
    if "source" not in out.columns:
        out["source"] = "given"
    cols = list(measures) if measures is not None else [
        c for c in out.columns if c not in _KEYS and pd.api.types.is_numeric_dtype(out[c])
    ]  # fmt: skip
    out[cols] = out[cols].astype("float64")
    duplicated = out.duplicated(["level", "code", "peildatum"])
    if duplicated.any():
        first = out.loc[duplicated].iloc[0]
        raise SchemaError(
            "counts",
            f"{first['code']} appears twice for {first['peildatum']}",
            "give one row per area and peildatum",
        )
    return out[[*_KEYS, *cols]], cols


def _summed(rows: pd.DataFrame, parent: pd.Series, level: str, cols: list[str]) -> pd.DataFrame:
    """Rows of ``level`` as sums of finer rows; a sum with a missing part is missing."""
    grouped = rows.groupby([parent.rename("code"), rows["peildatum"]])
    sums = grouped[cols].sum(min_count=1)
    complete = rows[cols].notna().groupby([parent.rename("code"), rows["peildatum"]]).all()
    sums = sums.where(complete).reset_index()
    return sums.assign(level=level, source="summed")


def with_levels(counts: pd.DataFrame, measures: Sequence[str] | None = None) -> pd.DataFrame:
    """The counts with wijk and gemeente rows added where the frame has only buurten.

    A wijk (or gemeente) row the frame holds is kept as given: CBS rounds each published
    cell, so its own wijk total is better than a sum of rounded buurten. A missing one is
    the sum of its buurten (CBS codes nest: BU gggg ww bb, WK gggg ww, GM gggg), exact for
    counts from a register; a sum over a buurt with a missing value is missing.

    Returns
    -------
    DataFrame
        ``code``, ``peildatum`` (dates), ``level``, ``source`` (``given`` or ``summed``) and
        the measures (float); sorted by peildatum, level (gemeente first) and code.
    """
    frame, cols = _prepare(counts, measures)
    buurten = frame[frame["level"] == "buurt"]
    parts = [frame]
    for level, width in (("wijk", 8), ("gemeente", 6)):
        given = pd.MultiIndex.from_frame(frame.loc[frame["level"] == level, ["code", "peildatum"]])
        parent = ("WK" if level == "wijk" else "GM") + buurten["code"].astype(str).str[2:width]
        summed = _summed(buurten, parent, level, cols)
        parts.append(summed[~pd.MultiIndex.from_frame(summed[["code", "peildatum"]]).isin(given)])
    out = pd.concat(parts, ignore_index=True)
    order = out["level"].map({lv: i for i, lv in enumerate(reversed(LEVELS))})
    return out.assign(_o=order).sort_values(["peildatum", "_o", "code"]).drop(columns="_o")


def _uncounted(frame: pd.DataFrame, cols: list[str], days: Sequence[date]) -> tuple[str, ...]:
    """Measures with no value at all in one of ``days`` (not counted then)."""
    out = []
    for col in cols:
        if any(frame.loc[frame["peildatum"] == d, col].isna().all() for d in days):
            out.append(col)
    return tuple(out)


def _crossed(start: date, end: date, breaks: Sequence[MethodBreak]) -> tuple[MethodBreak, ...]:
    return tuple(b for b in breaks if start <= b.last_before and end >= b.first_after)


def _changes(merged: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Absolute and relative change per measure (relative missing where the start is 0)."""
    out = {}
    for col in cols:
        a, b = merged[f"{col}_start"], merged[f"{col}_end"]
        out[f"{col}_start"], out[f"{col}_end"] = a, b
        out[f"{col}_change"] = b - a
        out[f"{col}_change_pct"] = (b - a) / a.where(a != 0)
    return pd.DataFrame(out, index=merged.index)


def _comparable(frame: pd.DataFrame, total: str | None, uncounted: tuple[str, ...]) -> list[str]:
    """Add ``<total>_comparable``: the total without the groups not counted in both years.

    In a year that counts such a group it is subtracted (an area whose value is secret
    then has no comparable total); in a year that does not count it, there is nothing to
    subtract.
    """
    if total is None or total not in frame.columns:
        return []
    comparable = frame[total].copy()
    for group in (g for g in uncounted if g != total):
        counted = frame[group].notna().groupby(frame["peildatum"]).transform("any")
        comparable = comparable - frame[group].where(counted, 0.0)
    frame[f"{total}_comparable"] = comparable
    return [f"{total}_comparable"]


def _match(
    frame: pd.DataFrame, start: date, end: date, cols: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, bool]]:
    """Rows of both years per level joined on code; the codes of one year only."""
    a = frame[frame["peildatum"] == start]
    b = frame[frame["peildatum"] == end]
    keys = ["level", "code"]
    merged = a[[*keys, *cols]].merge(
        b[[*keys, *cols]], on=keys, how="outer", suffixes=("_start", "_end"), indicator=True
    )
    only = merged[merged["_merge"] != "both"]
    unmatched = pd.DataFrame(
        {
            "level": only["level"],
            "code": only["code"],
            "peildatum": only["_merge"].map({"left_only": start, "right_only": end}),
            "reason": only["_merge"].map({"left_only": "start_only", "right_only": "end_only"}),
        }
    )
    redivided = {lv: bool((only["level"] == lv).any()) for lv in LEVELS}
    return merged[merged["_merge"] == "both"].drop(columns="_merge"), unmatched, redivided


def growth_table(
    counts: pd.DataFrame,
    start: object,
    end: object,
    *,
    measures: Sequence[str] | None = None,
    total: str | None = "total",
    polygons: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None = None,
    code_column: str = "buurt_code",
    breaks: Sequence[MethodBreak] = CBS_METHOD_BREAKS,
) -> Growth:
    """Growth per buurt, wijk and city from ``start`` to ``end``.

    Parameters
    ----------
    counts : DataFrame
        ``code``, ``peildatum`` (date or year), optionally ``level``, and the measures.
        Wijk and gemeente rows missing from the frame are summed from its buurten
        (:func:`with_levels`).
    start, end
        Peildatums (dates, or years meaning 1 January).
    measures
        Measure columns; default: every numeric column.
    total
        The total among the measures: ``<total>_comparable`` leaves out the groups that are
        not counted in both years (``None``: no such column).
    polygons
        Buurt polygons of ``start`` and of ``end`` (``code_column`` holds the CBS code). When
        given and the buurt codes differ, the start figures are carried to the end buurten by
        areal weighting (:func:`carry_over`) and the buurt and wijk rows are estimates.
    breaks
        Method breaks of the source (default: CBS's of 1-1-2020).

    Returns
    -------
    Growth
    """
    start, end = _as_date(start), _as_date(end)
    frame = with_levels(counts, measures)
    cols = [c for c in frame.columns if c not in _KEYS]
    uncounted = _uncounted(frame, cols, (start, end))
    cols += _comparable(frame, total, uncounted)
    merged, unmatched, redivided = _match(frame, start, end, cols)
    estimate = np.zeros(len(merged), dtype=bool)
    if polygons is not None and redivided["buurt"]:
        merged, unmatched, estimate = _carried(frame, start, end, cols, polygons, code_column)
    table = pd.concat([merged[["level", "code"]], _changes(merged, cols)], axis=1)
    table.insert(2, "start", start)
    table.insert(3, "end", end)
    table["method_break"] = bool(_crossed(start, end, breaks))
    table["redivision"] = table["level"].map(redivided).astype(bool)
    table["estimate"] = estimate
    return Growth(
        table=table.reset_index(drop=True),
        unmatched=unmatched.assign(start=start, end=end).reset_index(drop=True),
        breaks=_crossed(start, end, breaks),
        uncounted=uncounted,
    )


def carry_over(
    figures: pd.DataFrame,
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    measures: Sequence[str],
    *,
    code_column: str = "buurt_code",
) -> pd.DataFrame:
    """Counts of ``source`` areas carried to ``target`` areas by areal weighting (tobler).

    Each source count is shared among the targets in proportion to the area they have in
    common (tobler's ``area_interpolate``, extensive variables). A target that touches a
    source with a missing value gets a missing value; a target that the sources cover less
    than ``MIN_COVERAGE`` too.

    Parameters
    ----------
    figures : DataFrame
        ``code`` and the measures of the source areas.
    source, target : GeoDataFrame
        Polygons with their CBS code in ``code_column``, in the same projected CRS.
    measures
        Count columns of ``figures``.

    Returns
    -------
    DataFrame
        ``code`` (the target's), the measures (estimates), ``covered_share``.
    """
    from tobler.area_weighted import area_interpolate

    src = source[[code_column, source.geometry.name]].merge(
        figures, left_on=code_column, right_on="code", how="inner"
    )
    values = src[list(measures)].astype("float64")
    flags = values.isna().astype("float64").add_suffix("__missing")
    src = gpd.GeoDataFrame(
        pd.concat([values.fillna(0.0), flags], axis=1), geometry=src.geometry.to_numpy(),
        crs=source.crs,
    )  # fmt: skip
    tgt = gpd.GeoDataFrame(geometry=target.geometry.to_numpy(), crs=target.crs)
    est = area_interpolate(src, tgt, extensive_variables=list(src.columns.drop("geometry")))
    covered = shapely.area(
        shapely.intersection(tgt.geometry.to_numpy(), shapely.union_all(src.geometry.to_numpy()))
    ) / shapely.area(tgt.geometry.to_numpy())
    out = pd.DataFrame({"code": target[code_column].to_numpy()})
    for m in measures:
        bad = (est[f"{m}__missing"].to_numpy() > 0) | (covered < MIN_COVERAGE)
        out[m] = np.where(bad, np.nan, est[m].to_numpy())
    out["covered_share"] = covered
    return out


def _carried(
    frame: pd.DataFrame,
    start: date,
    end: date,
    cols: list[str],
    polygons: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame],
    code_column: str,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Start figures on the end buurten (and their wijken), end figures as they are."""
    src, tgt = polygons
    a = frame[(frame["peildatum"] == start) & (frame["level"] == "buurt")]
    carried = carry_over(a, src, tgt, cols, code_column=code_column)
    carried = carried.drop(columns="covered_share").assign(
        level="buurt", peildatum=start, source="estimate"
    )
    wijk = "WK" + carried["code"].astype(str).str[2:8]
    wijken = _summed(carried, wijk, "wijk", cols).assign(source="estimate")
    keep = frame[(frame["peildatum"] != start) | (frame["level"] == "gemeente")]
    merged, unmatched, _ = _match(pd.concat([keep, carried, wijken]), start, end, cols)
    no_polygon = sorted(set(a["code"]) - set(src[code_column]))
    lost = pd.DataFrame({"level": "buurt", "code": no_polygon, "peildatum": start,
                         "reason": "no_polygon"})  # fmt: skip
    unmatched = pd.concat([unmatched, lost], ignore_index=True)
    return merged, unmatched, (merged["level"] != "gemeente").to_numpy()


def growth_spans(
    counts: pd.DataFrame,
    peildatums: Sequence[object] | None = None,
    **options: Any,
) -> Growth:
    """Growth over each pair of consecutive peildatums and from the first to the last.

    ``peildatums`` default to every peildatum in ``counts``; ``options`` go to
    :func:`growth_table`. The tables are stacked (their ``start`` and ``end`` columns tell
    the spans apart); breaks and uncounted measures are those of any span.
    """
    days = sorted({_as_date(v) for v in (peildatums or counts["peildatum"].tolist())})
    if len(days) < 2:
        raise SchemaError("counts", "fewer than two peildatums", "give counts of two years")
    spans = [*zip(days[:-1], days[1:], strict=True)]
    if len(days) > 2:
        spans.append((days[0], days[-1]))
    parts = [growth_table(counts, a, b, **options) for a, b in spans]
    return Growth(
        table=pd.concat([p.table for p in parts], ignore_index=True),
        unmatched=pd.concat([p.unmatched for p in parts], ignore_index=True),
        breaks=tuple(dict.fromkeys(b for p in parts for b in p.breaks)),
        uncounted=tuple(dict.fromkeys(u for p in parts for u in p.uncounted)),
    )


def _signed(share: float, language: str) -> str:
    return ("+" if share > 0 else "") + percent(share, 1, language)


def _comparable_note(span: pd.DataFrame, growth: Growth, language: str, **values: str) -> str:
    """The city's growth without the groups not counted in both years, or ``""``."""
    city = span[span["level"] == "gemeente"]
    columns = [c for c in span.columns if c.endswith("_comparable_change")]
    if len(city) != 1 or not columns:
        return ""
    comparable = city[columns[0]].iloc[0]
    if (
        not np.isfinite(comparable)
        or comparable == city[columns[0].replace("_comparable", "")].iloc[0]
    ):
        return ""
    total = columns[0].removesuffix("_comparable_change")
    return text(
        "growth.comparable",
        language,
        **values,
        groups=", ".join(g for g in growth.uncounted if g != total),
        change=_signed(city[f"{columns[0]}_pct"].iloc[0], language),
    )


def growth_notes(growth: Growth, language: str = "nl") -> list[str]:
    """One plain sentence per thing the growth figures rest on, for any output showing them.

    Examples
    --------
    >>> counts = pd.DataFrame({"code": ["GM0034", "GM0034"], "peildatum": [2019, 2020],
    ...                        "total": [17440, 23020], "O-Q": [np.nan, 4115]})
    >>> for line in growth_notes(growth_table(counts, 2019, 2020), "en"):
    ...     print(line)  # doctest: +ELLIPSIS
    CBS's count of 1 January 2020 includes government, education and care (O-Q) ...
    From 1 January 2019 to 1 January 2020 without O-Q (not counted in both years): +8.4 %.
    """
    notes = []
    table = growth.table
    for brk in growth.breaks:
        notes.append(text(f"growth.break.{brk.key}", language))
    for start, end in table[["start", "end"]].drop_duplicates().itertuples(index=False):
        span = table[(table["start"] == start) & (table["end"] == end)]
        values = {"start": date_long(start, language), "end": date_long(end, language)}
        notes.append(_comparable_note(span, growth, language, **values))
        lone = growth.unmatched
        lone = lone[
            (lone["start"] == start) & (lone["end"] == end) & (lone["reason"] != "no_polygon")
        ]
        if span["estimate"].any():
            notes.append(text("growth.estimate", language, **values))
        elif len(lone):
            notes.append(text("growth.redivision", language, **values, n=len(lone)))
    return [n for n in dict.fromkeys(notes) if n]
