"""Validators, one per kind of input: every problem is collected, with 1-based data row numbers.

A business row with a problem is rejected with its reason; nothing is dropped silently, so
``valid rows + rejected rows == input rows`` always holds. A file that cannot be used at all
(no data rows, required columns missing, no CRS) raises :class:`~almere_gis._errors.InputError`
with one line naming the file, the problem and the fix.

Row numbers count data rows: row 1 is the first record after a CSV header (line 2 of the file)
or the first feature of a layer.

Every check is a vectorised column operation; only the rejects table is assembled from the
(few) rows that failed.
"""

from __future__ import annotations

__all__ = [
    "BUSINESS_FIELDS",
    "BUSINESS_PRESETS",
    "SBI_DIVISIONS",
    "SENTINEL_MAX",
    "AREA_SCHEMAS",
    "MAX_JOBS_PER_ESTABLISHMENT",
    "BusinessCheck",
    "check_areas",
    "detect_area_schema",
    "check_businesses",
    "parse_bool",
    "resolve_business_columns",
    "rows_text",
    "to_number",
    "to_text",
]

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from .._errors import InputError
from .._schema import (
    AREA_NUMERIC_COLUMNS,
    AREA_TEXT_COLUMNS,
    CRS_RD,
    RD_EXTENT,
    WGS84_NL_LAT,
    WGS84_NL_LON,
)

log = logging.getLogger("almere_gis")

# CBS publishes missing, secret or not-applicable values as large negative numbers
# (-99999999 ... -99999996 in old releases, -99997/-99998 in newer ones).
SENTINEL_MAX = -99995.0


def _divisions(spec: str) -> frozenset[int]:
    out: set[int] = set()
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return frozenset(out)


# Two-digit divisions of SBI 2008 (= NACE Rev. 2); 04, 34, 40, 44, 48, 54, 57, 67, 76, 83, 89
# do not exist.
SBI_DIVISIONS = _divisions(
    "1-3,5-9,10-33,35,36-39,41-43,45-47,49-53,55-56,58-63,64-66,68,69-75,77-82,84,85,"
    "86-88,90-93,94-96,97-98,99"
)

# Internal business fields that a column mapping can name (the fields of
# ``settings.ColumnSettings``).
BUSINESS_FIELDS = (
    "id",
    "name",
    "sbi",
    "jobs_fulltime",
    "jobs_parttime",
    "jobs_total",
    "home_based",
    "gebruiksdoel",
    "start_year",
    "social_enterprise",
    "x",
    "y",
    "lat",
    "lon",
)

_COMMON_COORDS: dict[str, tuple[str, ...]] = {
    "x": ("x", "x_rd", "rd_x", "xcoord", "x_coord"),
    "y": ("y", "y_rd", "rd_y", "ycoord", "y_coord"),
    "lat": ("lat", "latitude", "breedtegraad"),
    "lon": ("lon", "lng", "longitude", "lengtegraad"),
}

# For each internal field, the source column names a preset accepts, tried in order and
# matched case-insensitively.
BUSINESS_PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    "lisa": {
        "id": ("vestigingsnummer", "vestigingsnr", "vestiging_id"),
        "name": ("handelsnaam", "naam"),
        "sbi": ("sbi", "sbi_code", "sbicode", "sbi2008"),
        "jobs_fulltime": ("wp_voltijd", "voltijd"),
        "jobs_parttime": ("wp_deeltijd", "deeltijd"),
        "jobs_total": ("wp_totaal", "werkzame_personen", "wp"),
        "home_based": ("aan_huis",),
        "gebruiksdoel": ("gebruiksdoel", "gebruiksdoelen"),
        "start_year": ("startjaar", "oprichtingsjaar"),
        "social_enterprise": ("sociale_onderneming",),
        **_COMMON_COORDS,
    },
    "kvk": {
        "id": ("vestigingsnummer",),
        "name": ("eersteHandelsnaam", "handelsnaam"),
        "sbi": ("sbiCode", "hoofdactiviteitSbi", "hoofdactiviteit_sbi"),
        "jobs_fulltime": ("voltijdWerkzamePersonen",),
        "jobs_parttime": ("deeltijdWerkzamePersonen",),
        "jobs_total": ("totaalWerkzamePersonen",),
        "home_based": ("aan_huis",),
        "gebruiksdoel": ("gebruiksdoel", "gebruiksdoelen"),
        "start_year": ("startjaar",),
        "social_enterprise": ("sociale_onderneming",),
        "x": ("rijksdriehoekX", *_COMMON_COORDS["x"]),
        "y": ("rijksdriehoekY", *_COMMON_COORDS["y"]),
        "lat": ("latitude", *_COMMON_COORDS["lat"]),
        "lon": ("longitude", *_COMMON_COORDS["lon"]),
    },
    "custom": {},
}

_TRUE = ("1", "true", "ja", "j", "y", "yes", "t", "waar")
_FALSE = ("0", "false", "nee", "n", "no", "f", "onwaar")
# "1.0" comes from a float column, "1,0" from a Dutch spreadsheet
_BOOL_MAP = {
    **dict.fromkeys((*_TRUE, "1.0", "1,0"), True),
    **dict.fromkeys((*_FALSE, "0.0", "0,0"), False),
}
_BOOL_HELP = "1/0, true/false, ja/nee, j/n or y/n"

_START_YEAR_RANGE = (1800, 2100)


# --------------------------------------------------------------------------------------------
# Value parsing (vectorised)
# --------------------------------------------------------------------------------------------


def to_text(values: pd.Series) -> pd.Series:
    """Cells as trimmed text (``str`` dtype), empty cells missing.

    Whole floats (``1234.0`` from a float column) become ``"1234"``, so ids and codes read
    from typed files compare equal to the same values read from a CSV.
    """
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.notna() & (values == np.floor(values))
        if whole.sum() == values.notna().sum():
            values = values.astype("Int64")
    elif pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype("Int64")
    text = values.astype("str").where(values.notna())
    text = text.str.strip()
    return text.where(text != "").astype("str")


def to_number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse cells as float64; accept a decimal comma and Dutch or English thousands marks.

    ``"155000,5"`` and ``"155.000,5"`` and ``"155,000.5"`` all give 155000.5. The convention
    is decided per column: when any cell has a comma after its last dot (``"1,5"``,
    ``"1.000,5"``) the whole column is read the Dutch way, so ``"146.000"`` there is 146000.

    Returns
    -------
    numbers : Series of float64 (NaN where empty or unparseable)
    bad : Series of bool, True where a cell holds text that is not a finite number
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64"), pd.Series(False, index=values.index)
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.astype("float64")
        bad = ~np.isfinite(numbers) & numbers.notna()
        return numbers.where(~bad), bad
    text = to_text(values)
    numbers = _plain_numbers(text)
    failed = (text.notna() & numbers.isna()).to_numpy()
    if failed.any():
        odd = text[failed].str.replace(r"[\s\u00a0']", "", regex=True)
        # One column follows one convention: if any cell has a comma after its last dot, the
        # column is Dutch (dots group thousands, the comma is the decimal mark), so "146.000"
        # in that column is 146000; otherwise commas group thousands.
        if bool(odd.str.contains(r",[^.]*$", regex=True).fillna(False).any()):
            redo = failed | text.str.contains(".", regex=False).fillna(False).to_numpy()
            fixed = (
                text[redo]
                .str.replace(r"[\s\u00a0'.]", "", regex=True)
                .str.replace(",", ".", regex=False)
            )
        else:
            redo = failed
            fixed = odd.str.replace(",", "", regex=False)
        numbers[redo] = pd.to_numeric(fixed, errors="coerce").astype("float64").to_numpy()
    numbers = numbers.where(np.isfinite(numbers))
    bad = text.notna() & numbers.isna()
    return numbers, bad.astype(bool)


def _plain_numbers(text: pd.Series) -> pd.Series:
    """float64 for cells that are plain numbers, NaN elsewhere (fast for clean columns)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        # one Arrow cast when every cell is a plain number (the common case at scale)
        cast = pc.cast(pa.array(text, from_pandas=True), pa.float64())
        return pd.Series(cast.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    except Exception:  # pyarrow missing, or some cell is not a plain number
        return pd.to_numeric(text, errors="coerce").astype("float64")


def parse_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse flags: 1/0, true/false, ja/nee, j/n, y/n (case-insensitive); empty = missing.

    Returns
    -------
    flags : Series of nullable ``boolean``
    bad : Series of bool, True where a non-empty cell is none of the accepted values
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean"), pd.Series(False, index=values.index)
    text = to_text(values).str.lower()
    flags = text.map(_BOOL_MAP).astype("boolean")
    bad = text.notna() & flags.isna()
    return flags, bad.astype(bool)


def rows_text(rows: np.ndarray | pd.Series | list[int], *, limit: int = 10) -> str:
    """``"rows 3, 7 and 9"`` / ``"rows 1, 2, ... and 40 more"`` for a message."""
    rows = [int(r) for r in np.asarray(rows)[: limit + 1]]
    total = len(rows) if len(rows) <= limit else None
    if len(rows) == 1:
        return f"row {rows[0]}"
    if total is not None:
        return "rows " + ", ".join(map(str, rows[:-1])) + f" and {rows[-1]}"
    return "rows " + ", ".join(map(str, rows[:limit])) + " and more"


def _fmt(numbers: pd.Series) -> pd.Series:
    """Numbers as short text for messages (vectorised)."""
    return numbers.round(6).astype(str).str.replace(r"\.0$", "", regex=True)


# --------------------------------------------------------------------------------------------
# Column mapping
# --------------------------------------------------------------------------------------------


def resolve_business_columns(
    columns: pd.Index | list[str],
    *,
    preset: str,
    overrides: Mapping[str, str] | None = None,
    path: object = "<table>",
) -> dict[str, str | None]:
    """Map each internal business field to a column of the file, or None when absent.

    A preset's candidates are matched case-insensitively; a non-empty override (from
    ``[businesses.columns]``) replaces the preset's candidates for its field and must exist.
    Shapefiles cut field names to 10 characters, so a 10-character column that starts a
    candidate name also matches (``vestigings`` for ``vestigingsnummer``) unless two fields
    would claim it.

    Raises
    ------
    InputError
        For an unknown preset or an override naming a column the file does not have.
    """
    if preset not in BUSINESS_PRESETS:
        raise InputError(
            path,
            f"unknown column preset '{preset}'",
            f"use one of {', '.join(sorted(BUSINESS_PRESETS))}",
        )
    overrides = {k: v.strip() for k, v in (overrides or {}).items() if v and v.strip()}
    unknown = sorted(set(overrides) - set(BUSINESS_FIELDS))
    if unknown:
        raise InputError(
            path,
            f"unknown column setting(s) {', '.join(unknown)}",
            f"use only {', '.join(BUSINESS_FIELDS)}",
        )
    by_lower: dict[str, str] = {}
    for column_name in map(str, columns):
        by_lower.setdefault(column_name.lower(), column_name)
    found: dict[str, str | None] = {}
    truncated: dict[str, str] = {}
    wrong: list[str] = []
    for name in BUSINESS_FIELDS:
        if name in overrides:
            col = by_lower.get(overrides[name].lower())
            if col is None:
                wrong.append(f"{name} = '{overrides[name]}'")
            found[name] = col
            continue
        candidates = BUSINESS_PRESETS[preset].get(name, ())
        col = next((by_lower[c.lower()] for c in candidates if c.lower() in by_lower), None)
        if col is None:
            col = next(
                (by_lower[c.lower()[:10]] for c in candidates if c.lower()[:10] in by_lower), None
            )
            if col is not None:
                truncated[name] = col
        found[name] = col
    if wrong:
        raise InputError(
            path,
            f"column setting(s) {', '.join(wrong)} not found among the columns "
            f"({', '.join(map(str, columns))})",
            "correct [businesses.columns] in your settings file",
        )
    # a truncated match that collides with another field's column is not a match
    used = pd.Series([c for c in found.values() if c is not None])
    taken_twice = set(used[used.duplicated()])
    for name, col in truncated.items():
        if col in taken_twice:
            found[name] = None
    return found


# Required groups of fields: (label in messages, fields that satisfy it, example setting).
_REQUIRED = (
    ("id", ("id",), "id"),
    ("sbi", ("sbi",), "sbi"),
    (
        "jobs (jobs_fulltime/jobs_parttime or jobs_total)",
        ("jobs_fulltime", "jobs_parttime", "jobs_total"),
        "jobs_total",
    ),
    ("coordinates (x/y, lat/lon or a point geometry)", ("x", "y", "lat", "lon"), "x"),
)


def _missing_required(
    found: Mapping[str, str | None], has_geometry: bool
) -> list[tuple[str, tuple[str, ...], str]]:
    has = {k: v is not None for k, v in found.items()}
    ok = {
        "id": has["id"],
        "sbi": has["sbi"],
        "jobs_total": has["jobs_fulltime"] or has["jobs_parttime"] or has["jobs_total"],
        "x": has_geometry or (has["x"] and has["y"]) or (has["lat"] and has["lon"]),
    }
    return [item for item in _REQUIRED if not ok[item[2]]]


def _required_columns_error(
    path: object,
    columns: pd.Index,
    preset: str,
    missing: list[tuple[str, tuple[str, ...], str]],
    has_geometry: bool,
) -> InputError:
    tried = []
    for label, keys, _ in missing:
        names = [n for k in keys for n in BUSINESS_PRESETS.get(preset, {}).get(k, ())[:3]]
        tried.append(label + (f" [tried {', '.join(names)}]" if names else ""))
    others = [
        p
        for p in BUSINESS_PRESETS
        if p not in (preset, "custom")
        and not _missing_required(
            resolve_business_columns(columns, preset=p, path=path), has_geometry
        )
    ]
    if others:
        fix = f"use preset = '{others[0]}' (all its required columns are present)"
    else:
        example = ", ".join(f"{setting} = '<column>'" for _, _, setting in missing)
        fix = (
            "name your columns in [businesses.columns] with preset = 'custom' "
            f"(e.g. {example}), or rename them in the file"
        )
    return InputError(
        path,
        f"required columns missing for preset '{preset}': {'; '.join(tried)}; "
        f"columns found: {', '.join(map(str, columns))}",
        fix,
    )


# --------------------------------------------------------------------------------------------
# Businesses
# --------------------------------------------------------------------------------------------


@dataclass
class BusinessCheck:
    """The result of :func:`check_businesses` for every input row (positional order).

    Attributes
    ----------
    values : DataFrame
        Internal business columns (``_schema.BUSINESS_COLUMNS``) plus ``x_rd``, ``y_rd`` (RD
        New metres) for every input row; meaningful only where ``rejected`` is False.
    rejected : ndarray of bool
    problems : DataFrame
        ``row`` (1-based), ``column``, ``reason``, ``rejects`` (False for a problem that was
        fixed, such as a swapped latitude/longitude under ``swapped_latlon="fix"``).
    fields : dict
        Internal field -> source column used (None if absent).
    coordinate_source : str
        ``"geometry"``, ``"xy"`` or ``"latlon"``.
    """

    values: pd.DataFrame
    rejected: np.ndarray
    problems: pd.DataFrame
    fields: dict[str, str | None]
    coordinate_source: str
    notes: list[str] = field(default_factory=list)

    def rejects_table(self) -> pd.DataFrame:
        """One row per rejected input row: ``source_row``, ``business_id``, ``reason``."""
        bad = self.problems[self.problems["rejects"]]
        if bad.empty:
            return pd.DataFrame(
                {
                    "source_row": pd.Series([], dtype="int64"),
                    "business_id": pd.Series([], dtype="str"),
                    "reason": pd.Series([], dtype="str"),
                }
            )
        reasons = bad.groupby("row", sort=True)["reason"].agg("; ".join)
        ids = self.values["business_id"].to_numpy()[reasons.index.to_numpy() - 1]
        return pd.DataFrame(
            {
                "source_row": reasons.index.to_numpy().astype("int64"),
                "business_id": pd.Series(ids, dtype="str"),
                "reason": reasons.to_numpy().astype(str),
            }
        ).astype({"business_id": "str", "reason": "str"})


class _Problems:
    """Collects (row, column, reason) for masked rows, in the order the checks run."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows
        self.parts: list[pd.DataFrame] = []

    def add(
        self,
        mask: pd.Series | np.ndarray,
        column: str,
        *parts: str | _Quoted | _Number | pd.Series | np.ndarray,
        rejects: bool = True,
    ) -> None:
        """Record a problem for the rows in ``mask``; the reason is the concatenation of
        ``parts``, built for those rows only (a check that finds nothing costs nothing)."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        text = pd.Series("", index=pd.RangeIndex(int(mask.sum())), dtype=object)
        for part in parts:
            text = text + _piece(part, mask)
        self.parts.append(
            pd.DataFrame(
                {
                    "row": self.rows[mask],
                    "column": column,
                    "reason": text,
                    "rejects": rejects,
                    "_order": len(self.parts),
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(
                {
                    "row": pd.Series([], dtype="int64"),
                    "column": pd.Series([], dtype="str"),
                    "reason": pd.Series([], dtype="str"),
                    "rejects": pd.Series([], dtype=bool),
                }
            )
        out = pd.concat(self.parts, ignore_index=True)
        out = out.sort_values(["row", "_order"], kind="stable").drop(columns="_order")
        return out.reset_index(drop=True).astype(
            {"row": "int64", "column": "str", "reason": "str", "rejects": bool}
        )


@dataclass(frozen=True)
class _Quoted:
    """A reason part: the cell's text in quotes (cut to 40 characters)."""

    values: pd.Series


@dataclass(frozen=True)
class _Number:
    """A reason part: a number, written short."""

    values: pd.Series | np.ndarray


def _piece(part: object, mask: np.ndarray) -> str | np.ndarray:
    if isinstance(part, str):
        return part
    if isinstance(part, _Quoted):
        text = pd.Series(part.values.to_numpy(dtype=object)[mask], dtype=object)
        return ("'" + text.fillna("").astype(str).str.slice(0, 40) + "'").to_numpy()
    if isinstance(part, _Number):
        chosen = pd.Series(np.asarray(part.values, dtype="float64")[mask])
        return _fmt(chosen).to_numpy(dtype=object)
    return pd.Series(np.asarray(part, dtype=object)[mask]).fillna("").astype(str).to_numpy()


def _check_count(
    problems: _Problems, table: pd.DataFrame, col: str | None, label: str
) -> pd.Series | None:
    """A whole non-negative number column (jobs); returns float64 with NaN where missing."""
    if col is None:
        return None
    numbers, bad = to_number(table[col])
    problems.add(bad, col, f"non-numeric {label} ", _Quoted(table[col]), f" in column '{col}'")
    negative = numbers < 0
    problems.add(negative, col, f"negative {label} ", _Number(numbers), f" in column '{col}'")
    fractional = (numbers >= 0) & (numbers != np.floor(numbers))
    problems.add(
        fractional,
        col,
        f"{label} ",
        _Number(numbers),
        f" in column '{col}' is not a whole number of persons",
    )
    return numbers.where(~(negative | fractional))


def _crs_or_error(crs: object, path: object, what: str) -> CRS:
    try:
        return CRS.from_user_input(crs)
    except Exception:  # pyproj raises CRSError, but be safe with odd input
        raise InputError(
            path,
            f"unknown CRS {crs!r} for {what}",
            "give an EPSG code such as 'EPSG:28992' (RD New) or 'EPSG:4326' (WGS 84)",
        ) from None


def check_businesses(
    table: pd.DataFrame,
    *,
    path: object = "<table>",
    preset: str = "lisa",
    columns: Mapping[str, str] | None = None,
    crs: str = "auto",
    swapped_latlon: str = "fix",
    home_gebruiksdoel: str = "woonfunctie",
) -> BusinessCheck:
    """Validate a business register table; collect every problem of every row.

    Parameters
    ----------
    table : DataFrame or GeoDataFrame
        As read by :func:`almere_gis.load.read_table` (CSV cells are text).
    path : path-like
        Named in messages.
    preset : {"lisa", "kvk", "custom"}
        Column name preset, see ``BUSINESS_PRESETS``.
    columns : mapping of internal field -> source column, optional
        Non-empty entries override the preset.
    crs : str
        CRS of the coordinates. ``"auto"``: x/y columns are RD New (EPSG:28992), lat/lon
        columns WGS 84 (EPSG:4326), a geometry uses the file's CRS. An explicit CRS applies to
        x/y columns and to a geometry whose file has no CRS.
    swapped_latlon : {"fix", "reject"}
        Geographic coordinates given the wrong way round (the latitude in the longitude column).
        The Netherlands lies at latitude 50.5-53.8 and longitude 3.0-7.5: these ranges do not
        overlap, so a pair whose "latitude" is a Dutch longitude and whose "longitude" is a
        Dutch latitude is certainly swapped (read as given it lies in the Indian Ocean). Only
        such unambiguous pairs are treated as swapped; ``"fix"`` swaps them back and reports
        the rows (logged, and listed as non-rejecting problems), ``"reject"`` rejects them.
        Any other pair outside the Netherlands is rejected as outside the RD extent.
    home_gebruiksdoel : str
        BAG gebruiksdoel that marks a home (``classification.home_gebruiksdoel``).

    Returns
    -------
    BusinessCheck

    Raises
    ------
    InputError
        When the table has no rows or lacks required columns (id, SBI code, jobs,
        coordinates), or a column setting names a column that does not exist.

    Notes
    -----
    Jobs are ``jobs_fulltime + jobs_parttime``; an empty cell in one of the two counts as 0
    when the other has a value. Only when neither column exists (or both cells are empty) is
    the total column used; ``jobs_fulltime`` and ``jobs_parttime`` are then missing (<NA>).
    An establishment with 0 werkzame personen is kept (LISA counts at least one per
    establishment, so the rows are logged as suspicious, but they are not wrong enough to
    lose): it counts as an establishment with 0 jobs, and is not a zzp.

    ``home_based`` is the explicit flag where it is set, else True when ``home_gebruiksdoel``
    is one of the ";"-separated gebruiksdoelen (case-insensitive), else False.
    """
    if swapped_latlon not in ("fix", "reject"):
        raise InputError(
            path, f"swapped_latlon = {swapped_latlon!r} is not allowed", "use 'fix' or 'reject'"
        )
    n = len(table)
    if n == 0:
        raise InputError(
            path,
            "the file has a header but no data rows",
            "export the register again with its rows (or check that you chose the right "
            "file and layer)",
        )
    geometry_ok = (
        isinstance(table, gpd.GeoDataFrame)
        and table._geometry_column_name in table.columns
        and table.geometry.notna().any()
    )
    found = resolve_business_columns(table.columns, preset=preset, overrides=columns, path=path)
    if geometry_ok:
        # the geometry's own column is not an attribute column
        found = {k: (None if v == table.geometry.name else v) for k, v in found.items()}
    missing = _missing_required(found, geometry_ok)
    if missing:
        raise _required_columns_error(path, table.columns, preset, missing, geometry_ok)

    rows = np.arange(1, n + 1, dtype="int64")
    index = pd.RangeIndex(n)
    table = table.reset_index(drop=True)
    problems = _Problems(rows)
    notes: list[str] = []

    # ---- id: present, unique --------------------------------------------------------------
    # the required fields are present (checked above)
    id_col = str(found["id"])
    ids = to_text(table[id_col])
    problems.add(ids.isna(), id_col, "missing business id")
    row_series = pd.Series(rows, index=index)
    first = row_series.groupby(ids, dropna=True).transform("min")
    dup = ids.duplicated(keep="first") & ids.notna()
    problems.add(
        dup,
        id_col,
        "duplicate business id '",
        ids,
        "' (first in row ",
        _Number(first),
        ")",
    )

    # ---- SBI ---------------------------------------------------------------------------------
    sbi_col = str(found["sbi"])
    if pd.api.types.is_numeric_dtype(table[sbi_col].dtype):
        log.warning(
            "%s: SBI codes in column '%s' are stored as numbers; leading zeros (e.g. 0111) "
            "may have been lost. Store SBI codes as text.",
            path,
            sbi_col,
        )
    sbi_raw = to_text(table[sbi_col])
    sbi = sbi_raw.str.replace(r"[.\s]", "", regex=True)
    problems.add(sbi.isna(), sbi_col, "missing SBI code")
    well_formed = sbi.str.fullmatch(r"\d{2,5}").fillna(False).astype(bool)
    problems.add(
        sbi.notna() & ~well_formed,
        sbi_col,
        "invalid SBI code ",
        _Quoted(sbi_raw),
        ": expected 2 to 5 digits",
    )
    division = pd.to_numeric(sbi.str.slice(0, 2).where(well_formed), errors="coerce")
    known = division.isin(list(SBI_DIVISIONS))
    problems.add(
        well_formed & ~known,
        sbi_col,
        "invalid SBI code ",
        _Quoted(sbi_raw),
        ": division ",
        sbi.str.slice(0, 2),
        " does not exist in SBI 2008",
    )

    # ---- jobs ----------------------------------------------------------------------------
    nan = pd.Series(np.nan, index=index)
    counts = {}
    present = {}
    for key in ("jobs_fulltime", "jobs_parttime", "jobs_total"):
        col = found[key]
        checked = _check_count(problems, table, col, "jobs")
        counts[key] = nan if checked is None else checked
        present[key] = pd.Series(False, index=index) if col is None else to_text(table[col]).notna()
    ft, pt = counts["jobs_fulltime"], counts["jobs_parttime"]
    has_split = present["jobs_fulltime"] | present["jobs_parttime"]
    # values that failed a check above are NaN here; their rows are rejected anyway
    jobs = (ft.fillna(0) + pt.fillna(0)).where(has_split, counts["jobs_total"])
    job_cols = [
        c for c in (found["jobs_fulltime"], found["jobs_parttime"], found["jobs_total"]) if c
    ]
    problems.add(
        ~has_split & ~present["jobs_total"],
        "/".join(job_cols),
        "missing jobs (werkzame personen)",
    )
    huge = (jobs > MAX_JOBS_PER_ESTABLISHMENT).fillna(False).to_numpy(dtype=bool)
    problems.add(
        huge,
        "/".join(job_cols),
        "implausible job count ",
        _Number(jobs.to_numpy()),
        f" (more than {MAX_JOBS_PER_ESTABLISHMENT:,} at one establishment): kept as given",
        rejects=False,
    )
    if huge.any():
        notes.append(
            f"{int(huge.sum())} establishment(s) with more than {MAX_JOBS_PER_ESTABLISHMENT:,} "
            f"werkzame personen ({rows_text(rows[huge])}): kept as given; check the register "
            "(a whole company's jobs at one address, or a typing error)"
        )
    # ---- coordinates -------------------------------------------------------------------
    x_rd, y_rd = _check_coordinates(
        problems,
        table,
        found,
        geometry_ok,
        path=path,
        crs=crs,
        swapped_latlon=swapped_latlon,
        notes=notes,
    )
    source = "geometry" if geometry_ok else ("xy" if found["x"] and found["y"] else "latlon")

    # ---- home-based --------------------------------------------------------------------
    def flag(field: str, what: str) -> pd.Series:
        """A yes/no column as nullable booleans; unrecognised values reject their rows."""
        col = found[field]
        if not col:
            return pd.Series(pd.NA, index=index, dtype="boolean")
        flags, bad = parse_bool(table[col])
        problems.add(
            bad,
            col,
            f"unrecognised {what} flag ",
            _Quoted(table[col]),
            f" in column '{col}' (use {_BOOL_HELP})",
        )
        return flags

    home = flag("home_based", "home-based")
    if found["gebruiksdoel"]:
        doel = to_text(table[found["gebruiksdoel"]])
        pattern = r"(?:^|;)\s*" + re.escape(home_gebruiksdoel.strip().lower()) + r"\s*(?:;|$)"
        derived = doel.str.lower().str.contains(pattern, regex=True).fillna(False).astype(bool)
        home = home.fillna(pd.Series(derived, index=index, dtype="boolean"))
    if not found["home_based"] and not found["gebruiksdoel"]:
        notes.append(
            "no home-based flag and no gebruiksdoel column: home_based is False for every "
            "business (map one with [businesses.columns] home_based or gebruiksdoel)"
        )
    home = home.fillna(False).astype(bool)

    # ---- optional fields ---------------------------------------------------------------
    start_year = pd.Series(pd.NA, index=index, dtype="Int64")
    if found["start_year"]:
        col = found["start_year"]
        years, bad = to_number(table[col])
        problems.add(bad, col, "non-numeric start year ", _Quoted(table[col]))
        lo, hi = _START_YEAR_RANGE
        odd = years.notna() & ((years != np.floor(years)) | (years < lo) | (years > hi))
        problems.add(odd, col, "implausible start year ", _Number(years), f" (expected {lo}-{hi})")
        start_year = years.where(~odd).round().astype("Int64")
    social = flag("social_enterprise", "social-enterprise")
    name = (
        to_text(table[found["name"]])
        if found["name"]
        else pd.Series(pd.NA, index=index, dtype="str")
    )

    frame = problems.frame()
    rejected = np.zeros(n, dtype=bool)
    rejected[frame.loc[frame["rejects"], "row"].to_numpy() - 1] = True

    zero = ((jobs == 0).to_numpy()) & ~rejected
    if zero.any():
        notes.append(
            f"{int(zero.sum())} establishment(s) have 0 werkzame personen "
            f"({rows_text(rows[zero])}); LISA counts at least 1 per establishment. "
            "They are kept with jobs = 0."
        )

    ok_jobs = jobs.where(~pd.Series(rejected, index=index))
    values = pd.DataFrame(
        {
            "business_id": ids,
            "name": name.astype("str"),
            "sbi": sbi.astype("str"),
            "jobs_fulltime": ft.fillna(0).where(has_split).round().astype("Int64"),
            "jobs_parttime": pt.fillna(0).where(has_split).round().astype("Int64"),
            "jobs": ok_jobs.fillna(0).round().astype("int64"),
            "home_based": home,
            "start_year": start_year,
            "social_enterprise": social,
            "source_row": rows,
            "x_rd": x_rd,
            "y_rd": y_rd,
        },
        index=index,
    )
    return BusinessCheck(
        values=values,
        rejected=rejected,
        problems=frame,
        fields=found,
        coordinate_source=source,
        notes=notes,
    )


# More werkzame personen than this at one establishment is implausible for one register row
# (more often a whole company's jobs, or a typing error): kept, but listed and noted.
MAX_JOBS_PER_ESTABLISHMENT = 10_000


def _rd_like(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pairs inside the RD New extent of the Netherlands (metres, far beyond any degree)."""
    xmin, ymin, xmax, ymax = RD_EXTENT
    with np.errstate(invalid="ignore"):
        return (x >= max(xmin, 1000.0)) & (x <= xmax) & (y >= ymin) & (y <= ymax)


def _check_coordinates(
    problems: _Problems,
    table: pd.DataFrame,
    found: Mapping[str, str | None],
    geometry_ok: bool,
    *,
    path: object,
    crs: str,
    swapped_latlon: str,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Collect coordinate problems; return RD New x, y (NaN where unusable)."""
    n = len(table)
    if geometry_ok:
        geom = table.geometry
        src = table.crs
        if src is None:
            if crs == "auto":
                raise InputError(
                    path,
                    "the layer has no CRS, so its coordinates cannot be placed",
                    "give the CRS with [businesses] crs = 'EPSG:28992' (or the file's EPSG code),"
                    " or add a .prj / CRS to the file",
                )
            src = _crs_or_error(crs, path, "the business geometry")
        values = geom.to_numpy()
        missing = shapely.is_missing(values) | shapely.is_empty(values)
        kind = shapely.get_type_id(values)
        not_point = ~missing & (kind != 0)
        problems.add(missing, geom.name, "missing coordinates (empty geometry)")
        problems.add(
            not_point,
            geom.name,
            "geometry is a ",
            geom.geom_type.to_numpy(),
            ", not a point",
        )
        usable = ~missing & ~not_point
        a = np.full(n, np.nan)
        b = np.full(n, np.nan)
        a[usable] = shapely.get_x(values[usable])
        b[usable] = shapely.get_y(values[usable])
        a_col = b_col = geom.name
        src_crs = CRS.from_user_input(src)
    else:
        use_xy = found["x"] is not None and found["y"] is not None
        a_col, b_col = (found["x"], found["y"]) if use_xy else (found["lon"], found["lat"])
        assert a_col is not None and b_col is not None
        a_s, a_bad = to_number(table[a_col])
        b_s, b_bad = to_number(table[b_col])
        a_missing = a_s.isna() & ~a_bad
        b_missing = b_s.isna() & ~b_bad
        problems.add(
            a_missing | b_missing,
            f"{a_col}/{b_col}",
            f"missing coordinates (column '{a_col}' or '{b_col}' is empty)",
        )
        for col, bad in ((a_col, a_bad), (b_col, b_bad)):
            problems.add(
                bad,
                col,
                "non-numeric coordinate ",
                _Quoted(table[col]),
                f" in column '{col}'",
            )
        a = a_s.to_numpy(dtype="float64", na_value=np.nan)
        b = b_s.to_numpy(dtype="float64", na_value=np.nan)
        if crs == "auto":
            src_crs = CRS.from_user_input(CRS_RD if use_xy else "EPSG:4326")
        else:
            src_crs = _crs_or_error(crs, path, "the business coordinates")

    finite = np.isfinite(a) & np.isfinite(b)
    swapped_rejected = np.zeros(n, dtype=bool)
    if src_crs.is_geographic:
        lon, lat = a, b
        with np.errstate(invalid="ignore"):
            swapped = (
                finite
                & (lat >= WGS84_NL_LON[0])
                & (lat <= WGS84_NL_LON[1])
                & (lon >= WGS84_NL_LAT[0])
                & (lon <= WGS84_NL_LAT[1])
            )
        if swapped.any():
            where = f"{b_col}/{a_col}" if a_col != b_col else a_col
            if swapped_latlon == "fix":
                a = np.where(swapped, b, a)
                b = np.where(swapped, lon, b)
                problems.add(
                    swapped,
                    where,
                    "latitude and longitude swapped (fixed by swapping them back)",
                    rejects=False,
                )
                notes.append(
                    f"latitude/longitude swapped in {int(swapped.sum())} row(s) "
                    f"({rows_text(problems.rows[swapped])}): fixed by swapping them back"
                )
            else:
                problems.add(
                    swapped,
                    where,
                    "latitude and longitude swapped (lat ",
                    _Number(lat),
                    ", lon ",
                    _Number(lon),
                    "); swap the columns or set swapped_latlon = 'fix'",
                )
                swapped_rejected = swapped

    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    if src_crs.equals(CRS.from_user_input(CRS_RD)):
        x, y = a.copy(), b.copy()
    elif finite.any():
        transformer = Transformer.from_crs(src_crs, CRS_RD, always_xy=True)
        tx, ty = transformer.transform(a[finite], b[finite], errcheck=False)
        x[finite] = tx
        y[finite] = ty
    xmin, ymin, xmax, ymax = RD_EXTENT
    with np.errstate(invalid="ignore"):
        inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    outside = finite & ~inside & ~swapped_rejected
    if outside.any():
        shown_x = np.round(np.where(np.isfinite(x), x, a), 1)
        shown_y = np.round(np.where(np.isfinite(y), y, b), 1)
        hint = np.full(n, "", dtype=object)
        if not src_crs.is_geographic:
            degrees = (np.abs(a) <= 180) & (np.abs(b) <= 90)
            hint[degrees] = (
                "; they look like longitude/latitude: map them as lon/lat or set crs = 'EPSG:4326'"
            )
        elif a_col != b_col:
            hint[_rd_like(a, b) | _rd_like(b, a)] = (
                f"; these are RD New metres, not degrees, in the columns '{a_col}'/'{b_col}':"
                " map them as x/y or set crs = 'EPSG:28992'"
            )
        problems.add(
            outside,
            f"{a_col}/{b_col}" if a_col != b_col else a_col,
            "coordinates outside the Netherlands (RD x ",
            _Number(shown_x),
            ", y ",
            _Number(shown_y),
            ")",
            hint,
        )
    x[~(finite & inside)] = np.nan
    y[~(finite & inside)] = np.nan
    return x, y


# --------------------------------------------------------------------------------------------
# Areas (CBS Wijk- en Buurtkaart)
# --------------------------------------------------------------------------------------------

# Internal area column -> accepted source names, for each CBS schema. Old releases use
# upper-case abbreviations, newer ones long lower-case names; names are matched
# case-insensitively and the schema is detected from the code columns, never from a year.
AREA_SCHEMAS: dict[str, dict[str, tuple[str, ...]]] = {
    "old": {
        "buurt_code": ("BU_CODE",),
        "buurt_name": ("BU_NAAM",),
        "wijk_code": ("WK_CODE",),
        "wijk_name": ("WK_NAAM",),
        "gemeente_code": ("GM_CODE",),
        "gemeente_name": ("GM_NAAM",),
        "inhabitants": ("AANT_INW",),
        "households": ("AANTAL_HH",),
        "homes": ("WONINGEN",),
        "area_total_ha": ("OPP_TOT",),
        "area_land_ha": ("OPP_LAND",),
        "area_water_ha": ("OPP_WATER",),
        "dist_train_km": ("AF_TREINST",),
        "cbs_establishments": ("A_BEDV",),
        "share_social_minimum": ("P_SOCMINH",),
    },
    "new": {
        "buurt_code": ("buurtcode",),
        "buurt_name": ("buurtnaam",),
        "wijk_code": ("wijkcode",),
        "wijk_name": ("wijknaam",),
        "gemeente_code": ("gemeentecode",),
        "gemeente_name": ("gemeentenaam",),
        "inhabitants": ("aantal_inwoners",),
        "households": ("aantal_huishoudens",),
        "homes": ("woningvoorraad", "aantal_woningen"),
        "area_total_ha": ("oppervlakte_totaal_in_ha",),
        "area_land_ha": ("oppervlakte_land_in_ha",),
        "area_water_ha": ("oppervlakte_water_in_ha",),
        "dist_train_km": ("treinstation_gemiddelde_afstand_in_km",),
        "cbs_establishments": ("aantal_bedrijfsvestigingen",),
        "share_social_minimum": (
            "percentage_huishoudens_onder_of_rond_sociaal_minimum",
            "huishoudens_tot_110_procent_van_sociaal_minimum",
            "huishoudens_tot_110_percent_van_sociaal_minimum",
        ),
    },
}

AREA_TEXT = AREA_TEXT_COLUMNS
AREA_NUMERIC = AREA_NUMERIC_COLUMNS


def detect_area_schema(columns: pd.Index | list[str]) -> tuple[str | None, str | None]:
    """``(schema, level)`` of a CBS area layer from its columns.

    schema is ``"old"`` (BU_CODE ...), ``"new"`` (buurtcode ...) or None; level is
    ``"buurt"``, ``"wijk"``, ``"gemeente"`` or None (the finest level with a code column).
    """
    lower = {str(c).lower() for c in columns}
    for schema, names in AREA_SCHEMAS.items():
        for level in ("buurt", "wijk", "gemeente"):
            if names[f"{level}_code"][0].lower() in lower:
                return schema, level
    return None, None


# Figures only the typology reads (pipeline.inputs drops them after it): source names in
# both CBS schemas, matched case-insensitively.
AREA_TYPOLOGY_COLUMNS: dict[str, tuple[str, ...]] = {
    "address_density": ("OAD", "omgevingsadressendichtheid"),
    "urbanity": ("STED", "stedelijkheid", "mate_van_stedelijkheid"),
    "water": ("WATER",),
}


def _typology_columns(
    table: pd.DataFrame, by_lower: Mapping[str, str], extra: Sequence[str]
) -> dict[str, pd.Series]:
    """The typology's figures the file has: address density, urbanity class (float), water."""
    out: dict[str, pd.Series] = {}
    for key in extra:
        col = next(
            (by_lower[c.lower()] for c in AREA_TYPOLOGY_COLUMNS[key] if c.lower() in by_lower), None
        )
        if col is None:
            continue
        if key == "water":
            flag = to_text(table[col]).str.strip().str.upper()
            out[key] = flag.map({"JA": True, "NEE": False}).astype("boolean")
        else:
            numbers, _ = to_number(table[col])
            out[key] = numbers.where(numbers > SENTINEL_MAX)
    return out


def check_areas(
    table: gpd.GeoDataFrame,
    *,
    path: object = "<layer>",
    level: str = "buurt",
    extra: Sequence[str] = (),
) -> tuple[gpd.GeoDataFrame, str]:
    """Validate a CBS area layer and map it to the internal area columns.

    Parameters
    ----------
    table : GeoDataFrame
        As read from the file (any CRS).
    level : {"buurt", "wijk"}
        The level the caller needs; a finer file is accepted for ``"wijk"`` only by
        :func:`almere_gis.load.load_wijken`, which dissolves it.
    extra : sequence of str
        Keys of :data:`AREA_TYPOLOGY_COLUMNS` to add after the internal columns where the
        file has them (``address_density``, ``urbanity``: float; ``water``: boolean).

    Returns
    -------
    areas : GeoDataFrame
        Internal columns for ``level`` (``_schema.AREA_COLUMNS`` without the buurt fields for
        wijken) and the geometry, index 0..n-1, CRS unchanged. Sentinels (<= -99995) and
        non-numeric cells are NaN (the latter logged); a missing wijk or gemeente code is
        derived from the finer code (CBS codes nest: BU gggg ww bb, WK gggg ww, GM gggg).
    schema : str
        ``"old"`` or ``"new"``.

    Raises
    ------
    InputError
        No rows; no CBS code column for ``level``; missing or duplicate codes; missing,
        empty or non-polygonal geometries.
    """
    columns = table.columns.drop(table.geometry.name) if len(table.columns) else table.columns
    if len(table) == 0:
        raise InputError(path, "the layer has no features", "check the file and the layer name")
    schema, file_level = detect_area_schema(columns)
    want = f"{level}_code"
    if schema is None or (level == "buurt" and file_level != "buurt"):
        found_level = f"a {file_level}-level layer" if file_level else "no CBS code column"
        raise InputError(
            path,
            f"expected CBS {level}en with a {AREA_SCHEMAS['old'][want][0]} (old schema) or "
            f"{AREA_SCHEMAS['new'][want][0]} (new schema) column, found {found_level}; "
            f"columns found: {', '.join(map(str, columns[:30]))}"
            + (" ..." if len(columns) > 30 else ""),
            f"give the CBS Wijk- en Buurtkaart {level}en layer (for a GeoPackage pass "
            "its layer name)",
        )
    if level == "wijk" and file_level not in ("buurt", "wijk"):
        raise InputError(
            path,
            f"expected CBS wijken, found a {file_level}-level layer",
            "give the wijken (or buurten) layer of the CBS Wijk- en Buurtkaart",
        )
    by_lower: dict[str, str] = {}
    for column_name in map(str, columns):
        by_lower.setdefault(column_name.lower(), column_name)
    names = AREA_SCHEMAS[schema]
    source = {
        key: next((by_lower[c.lower()] for c in cands if c.lower() in by_lower), None)
        for key, cands in names.items()
    }
    out_columns = [c for c in (*AREA_TEXT, *AREA_NUMERIC) if level == "buurt" or "buurt" not in c]
    table = table.reset_index(drop=True)
    rows = np.arange(1, len(table) + 1)
    data: dict[str, pd.Series] = {}
    for key in AREA_TEXT:
        col = source[key]
        if col is not None:
            data[key] = to_text(table[col])
    code = data[want]
    if code.isna().any():
        raise InputError(
            path,
            f"{int(code.isna().sum())} feature(s) without a {level} code "
            f"({rows_text(rows[code.isna().to_numpy()])})",
            f"fill in {source[want]} or remove those features",
        )
    dup = code.duplicated(keep=False).to_numpy()
    if dup.any():
        codes = sorted(set(code[dup]))
        raise InputError(
            path,
            f"duplicate {level} codes {', '.join(codes[:10])}"
            + (" ..." if len(codes) > 10 else "")
            + f" ({rows_text(rows[dup])})",
            "remove the duplicate features or dissolve them into one per code",
        )
    if level == "buurt" and "wijk_code" not in data:
        log.info("%s: no wijk code column; derived from the buurt codes (WK + digits 3-8)", path)
        data["wijk_code"] = ("WK" + code.str.slice(2, 8)).astype("str")
    if "gemeente_code" not in data:
        log.info("%s: no gemeente code column; derived from the %s codes", path, level)
        data["gemeente_code"] = ("GM" + code.str.slice(2, 6)).astype("str")
    for key in AREA_NUMERIC:
        col = source[key]
        if col is None:
            data[key] = pd.Series(np.nan, index=table.index)
            continue
        numbers, bad = to_number(table[col])
        if bad.any():
            log.warning(
                "%s: non-numeric values in column '%s' (%s) are treated as missing",
                path,
                col,
                rows_text(rows[bad.to_numpy()]),
            )
        data[key] = numbers.where(numbers > SENTINEL_MAX)
    derived = ("wijk_code", "gemeente_code")
    absent = [k for k in out_columns if source.get(k) is None and not (k in derived and k in data)]
    if absent:
        log.info("%s: no column for %s; left empty (NaN)", path, ", ".join(absent))
    frame = pd.DataFrame(
        {k: data.get(k, pd.Series(pd.NA, index=table.index, dtype="str")) for k in out_columns}
    )
    for key in AREA_TEXT:
        if key in frame:
            frame[key] = frame[key].astype("str")
    for key, values in _typology_columns(table, by_lower, extra).items():
        frame[key] = values.to_numpy()

    geom = table.geometry.to_numpy()
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    if missing.any():
        raise InputError(
            path,
            f"{level} {', '.join(code[missing].tolist()[:10])} without geometry",
            "repair or remove those features",
        )
    polygonal = np.isin(shapely.get_type_id(geom), (3, 6))
    if not polygonal.all():
        raise InputError(
            path,
            f"{level} {', '.join(code[~polygonal].tolist()[:10])} are not polygons",
            "give the polygon layer of the CBS Wijk- en Buurtkaart",
        )
    geometry = shapely.force_2d(geom)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=table.crs), schema
