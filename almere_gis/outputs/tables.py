"""Tables as files: formula-safe text and the one CSV writer of every table a run writes.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return) as a formula, so a business or site name such as ``=HYPERLINK(...)`` in a CSV could run
in a planner's Excel ("CSV injection", OWASP). Every text cell that starts so gets a leading
apostrophe (:func:`safe_text`): the CSV writer here and the workbook
(:mod:`almere_gis.outputs.workbook`) use the same function. Numbers are never changed: ``-3``
stays a number.

A public table is written from a :class:`~almere_gis.analysis.privacy.PublicFrame`: every cell
hidden for privacy reads as the one hidden mark, "< 5" (``texts.format.count(...,
suppressed=True)``, the number being ``min_count``); a cell missing for another reason is empty.
"""

from __future__ import annotations

__all__ = ["FORMULA_START", "safe_frame", "safe_text", "write_csv"]

from pathlib import Path

import pandas as pd

from ..io.atomic import atomic_path
from ..texts.format import count

# First characters that make a spreadsheet evaluate a cell (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula.

    Examples
    --------
    >>> safe_text("=1+1"), safe_text("+31 6"), safe_text("@SUM(A1)"), safe_text("Bakkerij")
    ("'=1+1", "'+31 6", "'@SUM(A1)", 'Bakkerij')
    """
    return "'" + value if value.startswith(FORMULA_START) else value


def _is_text(values: pd.Series) -> bool:
    return bool(
        pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)
    )


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`safe_text` applied to every text cell (vectorised).

    Column names are text cells too (the header row) and are neutralised the same way.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not _is_text(values):
            continue
        is_str = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        risky = values.astype("string").str.startswith(FORMULA_START).fillna(False)
        risky = risky.to_numpy(dtype=bool) & is_str
        if risky.any():
            values = values.astype(object)
            values[risky] = "'" + values[risky].astype(str)
            out[column] = values
    out.columns = [safe_text(str(c)) for c in out.columns]
    return out


def _with_hidden_mark(
    frame: pd.DataFrame, hidden: pd.DataFrame, min_count: int, language: str
) -> pd.DataFrame:
    out = frame.copy()
    mark = count(None, min_count, language, suppressed=True)
    for column in hidden.columns:
        if column not in out.columns:
            continue
        mask = hidden[column].reindex(out.index, fill_value=False).to_numpy(dtype=bool)
        if mask.any():
            values = out[column].astype(object)
            values[mask] = mark
            out[column] = values
    return out


def write_csv(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    hidden: pd.DataFrame | None = None,
    min_count: int | None = None,
    language: str = "nl",
) -> Path:
    """Write a table as UTF-8 CSV (with a BOM, for Excel), formula-safe, atomically.

    Parameters
    ----------
    frame : DataFrame
        The table (a ``geometry`` column is left out).
    path : str or Path
        Where to write it.
    hidden : DataFrame of booleans, optional
        The cells hidden for privacy (a PublicFrame's ``hidden``): written as "< 5".
    min_count : int, optional
        The privacy threshold, the number in the hidden mark; required with ``hidden``.
    language : {"nl", "en"}
        The language of the hidden mark.

    Returns
    -------
    Path
    """
    table = frame.drop(columns="geometry", errors="ignore")
    if hidden is not None and len(hidden.columns):
        if min_count is None:
            raise ValueError("write_csv: hidden cells need min_count for their mark")
        table = _with_hidden_mark(table, hidden, min_count, language)
    table = safe_frame(table)
    with atomic_path(path) as tmp:
        # CRLF as Excel writes it; it also makes the writer quote a cell holding a lone CR.
        table.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return Path(path)
