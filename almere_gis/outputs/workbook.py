"""The tables for planners: one Excel workbook, ``publicatie/tabellen.xlsx``.

One sheet per public table (buurten, wijken, the municipality, candidate sites, search zones,
and growth when given) with headers in the run's language, a sheet that says what every column
means, and numbers a spreadsheet can work with:

- counts are integers, rates, shares and scores are rounded to what their format shows, with an
  Excel number format per kind of column (``outputs/report/columns.py``), so Dutch Excel shows
  "1.234" and "43,0%" in its own locale;
- a cell hidden for privacy reads "< 5" (``texts.format.count(..., suppressed=True)``), a
  missing value a dash;
- no cell is a formula: text that a spreadsheet would read as one (a site name starting with
  ``=``) is written as text with a leading apostrophe (:func:`safe_text`);
- the header row is frozen and filterable.

Written from the :class:`~almere_gis.pipeline.results.Publication` only.
"""

from __future__ import annotations

__all__ = ["FORMULA_START", "safe_text", "write_workbook"]

import math
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..analysis.privacy import PublicFrame
from ..io.atomic import atomic_path
from ..settings import Settings
from ..texts import catalogue, text
from ..texts.format import DASH, count
from .report.columns import KINDS, TABLES_FILE, Column, describe_column, stability_word
from .report.growth import GrowthInput, public_growth
from .style import HOTSPOT_LABELS
from .tables import FORMULA_START, safe_text

if TYPE_CHECKING:
    from ..pipeline.results import Publication

_HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
_NAME_COLUMNS = ("buurt_name", "wijk_name", "name")
_TABLES = ("buurten", "wijken", "candidates", "search_zones")  # tables with columns


def _number(value: Any, decimals: int | None) -> float | int | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v):
        return None
    if decimals is None:
        return v
    return int(round(v)) if decimals == 0 else round(v, decimals)


def _text_cell(field: str, value: Any, language: str) -> str:
    word = str(value)
    if field == "gi_class":
        word = HOTSPOT_LABELS[language].get(word, word)
    elif field == "stability":
        word = stability_word(word, language) or word
    return safe_text(word)


def _cell(column: Column, value: Any, hidden: bool, language: str, min_count: int) -> Any:
    """The value of one cell as the workbook stores it."""
    if hidden:
        return count(None, min_count, language, suppressed=True)
    kind = column.kind
    if kind.name == "bool":
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return DASH
        return text("common.yes" if bool(value) else "common.no", language)
    if kind.name == "date":
        return value if isinstance(value, (date, datetime)) else DASH
    if kind.name == "text":
        return (
            DASH if value is None or pd.isna(value) else _text_cell(column.field, value, language)
        )
    number = _number(value, kind.decimals)
    return DASH if number is None else number


def _header_row(ws: Worksheet, headers: Iterable[str], row: int = 1) -> None:
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=col, value=safe_text(header))
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = 45


def _widths(ws: Worksheet, widths: list[float]) -> None:
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = max(8.0, min(width + 2.0, 50.0))


def _write_table(
    ws: Worksheet, frame: PublicFrame, columns: list[Column], language: str, min_count: int
) -> None:
    """One public table: header row, one row per area or site, formats per column."""
    _header_row(ws, (c.header for c in columns))
    right = Alignment(horizontal="right")
    widths = [min(len(c.header), 30) * 0.6 for c in columns]
    for j, column in enumerate(columns, start=1):
        values = frame.data[column.field].to_numpy(dtype=object)
        hidden = frame.is_hidden(column.field).to_numpy(dtype=bool)
        for i, (value, secret) in enumerate(zip(values, hidden, strict=True), start=2):
            stored = _cell(column, value, bool(secret), language, min_count)
            cell = ws.cell(row=i, column=j, value=stored)
            if isinstance(stored, str):
                cell.data_type = "s"  # never a formula, whatever the text
                if column.kind.number_format is not None:
                    cell.alignment = right
                widths[j - 1] = max(widths[j - 1], min(len(stored), 60))
            elif column.kind.number_format is not None:
                cell.number_format = column.kind.number_format
                widths[j - 1] = max(widths[j - 1], 10)
    _widths(ws, widths)
    fields = [c.field for c in columns]
    names = [i for i, f in enumerate(fields[:3]) if f in _NAME_COLUMNS]
    ws.freeze_panes = ws.cell(row=2, column=(names[0] + 2) if names else 2)
    if len(frame):
        ws.auto_filter.ref = ws.dimensions


def _columns(frame: pd.DataFrame, table: str, settings: Settings) -> list[Column]:
    """The columns of a sheet: every column of the table except geometry (in the GeoPackage)."""
    from geopandas.array import GeometryDtype

    keep = [c for c in frame.columns if not isinstance(frame[c].dtype, GeometryDtype)]
    return [describe_column(str(c), table, settings, settings.map.language) for c in keep]


def _write_city(ws: Worksheet, city: PublicFrame, settings: Settings) -> list[Column]:
    """The municipality: one row per indicator (label, value, note)."""
    lang, n = settings.map.language, settings.privacy.min_count
    c = settings.classification
    head = [text(f"tables.city.{k}", lang) for k in ("indicator", "value", "note")]
    _header_row(ws, head)
    hidden = city.is_hidden("value").to_numpy(dtype=bool)
    for i, (key, value, secret) in enumerate(
        zip(city.data["indicator"], city.data["value"], hidden, strict=True), start=2
    ):
        label, note = str(key), text("tables.undescribed", lang)
        if f"tables.city_row.{key}" in catalogue():
            label = text(f"tables.city_row.{key}", lang)
            note = text(
                f"tables.city_note.{key}", lang, small=c.small_scale_max_jobs, zzp=c.zzp_jobs
            )
        kind = KINDS["share" if str(key).startswith("aandeel_") else "count"]
        stored = _cell(Column("value", "", "", kind), value, bool(secret), lang, n)
        ws.cell(row=i, column=1, value=safe_text(label))
        cell = ws.cell(row=i, column=2, value=stored)
        if isinstance(stored, str):
            cell.data_type = "s"
            cell.alignment = Alignment(horizontal="right")
        else:
            cell.number_format = kind.number_format or "General"
        ws.cell(row=i, column=3, value=safe_text(note))
    _widths(ws, [44, 12, 80])
    ws.freeze_panes = "B2"
    describe = (text(f"tables.city_describe.{k}", lang) for k in ("indicator", "value", "note"))
    return [
        Column(k, h, d, KINDS["text"])
        for k, h, d in zip(("indicator", "value", "note"), head, describe, strict=True)
    ]


def _write_notes(ws: Worksheet, described: list[tuple[str, Column]], settings: Settings) -> None:
    """The sheet that says what every column of every other sheet means."""
    lang = settings.map.language
    intro = ws.cell(
        row=1, column=1, value=text("tables.columns.intro", lang, n=settings.privacy.min_count)
    )
    intro.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    ws.row_dimensions[1].height = 45
    keys = ("sheet", "header", "field", "description")
    _header_row(ws, (text(f"tables.columns.{k}", lang) for k in keys), row=2)
    for i, (sheet, column) in enumerate(described, start=3):
        row = (sheet, column.header, column.field, column.description)
        for j, value in enumerate(row, start=1):
            cell = ws.cell(row=i, column=j, value=safe_text(value))
            cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    _widths(ws, [18, 40, 36, 90])
    ws.freeze_panes = "A3"


def _sheets(
    publication: Publication, growth: GrowthInput, min_count: int
) -> list[tuple[str, PublicFrame]]:
    """(table key, public table) in the order of the sheets; absent tables left out."""
    out = [(key, getattr(publication, key)) for key in ("buurten", "wijken", "city")]
    out += [(key, getattr(publication, key)) for key in ("candidates", "search_zones")]
    out.append(("growth", public_growth(growth, min_count)))
    return [(key, frame) for key, frame in out if frame is not None]


def write_workbook(
    publication: Publication, settings: Settings, folder: Path, *, growth: GrowthInput = None
) -> Path:
    """Write ``tabellen.xlsx`` into ``folder``: every public table as a sheet, plus notes.

    Parameters
    ----------
    publication
        The run's public view; nothing else is read.
    settings
        The run's settings: language (``[map] language``), privacy threshold, and the values
        quoted in the column notes.
    folder
        The public output folder (``publicatie/`` in the staging folder).
    growth
        Optional growth figures (:class:`~almere_gis.analysis.growth.Growth` or its table):
        a sheet "Groei". Counts below the privacy threshold are shown as "< 5".

    Returns
    -------
    Path
        The workbook, written atomically.
    """
    lang, n = settings.map.language, settings.privacy.min_count
    wb = Workbook()
    wb.remove(wb.active)
    described: list[tuple[str, Column]] = []
    for key, frame in _sheets(publication, growth, n):
        ws = wb.create_sheet(text(f"tables.sheet.{key}", lang))
        if key == "city":
            columns = _write_city(ws, frame, settings)
        else:
            columns = _columns(frame.data, key, settings)
            _write_table(ws, frame, columns, lang, n)
        described += [(ws.title, c) for c in columns]
    _write_notes(wb.create_sheet(text("tables.sheet.columns", lang)), described, settings)
    wb.properties.creator = "almere_gis"
    path = Path(folder) / TABLES_FILE
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def undescribed_columns(publication: Publication, settings: Settings) -> list[str]:
    """Columns of the public tables that no rule of ``describe_column`` knows (should be none)."""
    out = []
    for key in _TABLES:
        frame = getattr(publication, key)
        if frame is None:
            continue
        out += [f"{key}.{c.field}" for c in _columns(frame.data, key, settings) if not c.described]
    return out
