"""CBS StatLine "Kerncijfers wijken en buurten": establishment counts for any gemeente and year.

A StatLine CSV export (or the file :func:`almere_gis.io.fetch.fetch_kerncijfers` writes) has
one row per gemeente, wijk and buurt and one column per figure. Its quirks, handled here:

* semicolon-separated, UTF-8 with a byte-order mark, values padded with spaces
  (:func:`almere_gis.io.read.read_table` reads any delimiter and encoding);
* ``.`` or an empty cell is a secret or not (yet) published value: missing;
* column names are StatLine's OData keys, whose numeric suffix changes from year to year
  (``BedrijfsvestigingenTotaal_91`` for 2018-2022, ``_100`` for 2023, ``_95`` for 2024); in a
  stacked file a column is empty in the years it does not belong to. A figure is read from
  whichever column with its stable name part holds a value in that row; two filled columns
  for one figure in one row are an error.

:func:`read_kerncijfers` returns a tidy frame that
:func:`almere_gis.analysis.growth.growth_table` accepts (``total="n_establishments"``);
:func:`join_kerncijfers` joins it to area polygons by CBS code.
"""

from __future__ import annotations

__all__ = [
    "KERNCIJFERS_EXTRA",
    "KERNCIJFERS_SECTORS",
    "KerncijfersJoin",
    "join_kerncijfers",
    "kerncijfers_frame",
    "read_kerncijfers",
]

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputError, SchemaError
from .read import read_table

log = logging.getLogger("almere_gis")

TOTAL_STEM = "BedrijfsvestigingenTotaal"
KERNCIJFERS_SECTORS: dict[str, str] = {
    "A": "ALandbouwBosbouwEnVisserij",
    "B-F": "BFNijverheidEnEnergie",
    "G+I": "GIHandelEnHoreca",
    "H+J": "HJVervoerInformatieEnCommunicatie",
    "K+L": "KLFinancieleDienstenOnroerendGoed",
    "M+N": "MNZakelijkeDienstverlening",
    "O-Q": "OQOverheidOnderwijsEnZorg",
    "R-U": "RUCultuurRecreatieOverigeDiensten",
}
"""CBS's sector groups (column names of the tidy frame) and their StatLine key stems."""
KERNCIJFERS_EXTRA: dict[str, str] = {
    "inhabitants": "AantalInwoners",
    "homes": "Woningvoorraad",
    "address_density": "Omgevingsadressendichtheid",
    "urbanity": "MateVanStedelijkheid",
}
"""Further figures :func:`read_kerncijfers` can add on request (``extra=``)."""

_LEVELS = {"gemeente": "gemeente", "wijk": "wijk", "buurt": "buurt"}
_PREFIX_LEVEL = {"GM": "gemeente", "WK": "wijk", "BU": "buurt"}
_MISSING = {"", "."}
_FIX_EXPORT = "download 'Kerncijfers wijken en buurten' from CBS StatLine as CSV"


def _stem(column: str) -> str:
    """The stable part of a StatLine key: ``GIHandelEnHoreca_94`` -> ``GIHandelEnHoreca``."""
    return re.sub(r"_\d+$", "", column.strip())


def _columns_by_stem(columns: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for column in columns:
        out.setdefault(_stem(column), []).append(column)
    return out


def _cleaned(values: pd.Series) -> pd.Series:
    """Stripped text, ``.`` and blanks as missing."""
    text = values.astype("string").str.strip()
    return text.mask(text.isin(_MISSING))


def _figure(raw: pd.DataFrame, columns: list[str], source: str) -> pd.Series:
    """The one filled value per row among ``columns``, as float (NaN where none)."""
    cells = pd.DataFrame({c: _cleaned(raw[c]) for c in columns}, index=raw.index)
    filled = cells.notna()
    twice = filled.sum(axis=1) > 1
    if twice.any():
        row = int(np.flatnonzero(twice.to_numpy())[0])
        both = [c for c in columns if filled[c].iloc[row]]
        raise SchemaError(
            f"{source}, row {row + 2}",
            f"two columns hold the same figure: {', '.join(both)}",
            "keep one column per figure and year (export each year from StatLine unchanged)",
        )
    value = cells.bfill(axis=1).iloc[:, 0] if len(columns) > 1 else cells.iloc[:, 0]
    value = value.astype("string")
    number = pd.to_numeric(value.str.replace(",", ".", regex=False), errors="coerce")
    bad = value.notna() & number.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        column = next(c for c in columns if filled[c].iloc[row])
        raise SchemaError(
            f"{source}, row {row + 2}",
            f"{column} = {value.iloc[row]!r} is not a number",
            "export the table again from StatLine (values as numbers, '.' for secret)",
        )
    return number.astype("float64")


def _peildatum(raw: pd.DataFrame, source: str) -> pd.Series:
    text = _cleaned(raw["Peildatum"])
    day = pd.to_datetime(text, format="%d-%m-%Y", errors="coerce")
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    day = day.fillna(iso)
    bad = day.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(
            f"{source}, row {row + 2}",
            f"peildatum {text.iloc[row]!r} is not a date like 1-1-2024",
            _FIX_EXPORT,
        )
    return day.dt.normalize()


def _codes_and_levels(
    raw: pd.DataFrame, by_stem: dict[str, list[str]], source: str
) -> pd.DataFrame:
    code_cols = by_stem.get("Codering") or by_stem.get("WijkenEnBuurten") or []
    codes = _cleaned(raw[code_cols[0]]).str.upper()
    level_cols = by_stem.get("SoortRegio")
    if level_cols:
        level = _cleaned(raw[level_cols[0]]).str.lower().map(_LEVELS)
    else:
        level = codes.str[:2].map(_PREFIX_LEVEL)
    country = codes.str.startswith("NL").fillna(False)  # the Netherlands as a whole: left out
    level = level.mask(country, "land")
    known = codes.str[:2].isin(list(_PREFIX_LEVEL)).fillna(False)
    bad = (codes.isna() | level.isna() | ~known) & ~country
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(
            f"{source}, row {row + 2}",
            f"area code {codes.iloc[row]!r} is not a CBS code (GM..., WK... or BU...)",
            _FIX_EXPORT,
        )
    names = by_stem.get("Gemeentenaam")
    gemeente = _cleaned(raw[names[0]]) if names else pd.Series(pd.NA, index=raw.index)
    return pd.DataFrame(
        {"code": codes.astype(str), "level": level.astype(str), "gemeente_name": gemeente}
    )


def _selected(frame: pd.DataFrame, gemeente: str | None, years: Iterable[int] | None) -> pd.Series:
    keep = pd.Series(True, index=frame.index)
    if gemeente is not None:
        wanted = gemeente.strip()
        digits = re.sub(r"^GM", "", wanted.upper())
        if digits.isdigit():
            keep &= frame["code"].str[2:6] == digits.zfill(4)
        else:
            keep &= frame["gemeente_name"].str.casefold() == wanted.casefold()
    if years is not None:
        keep &= frame["peildatum"].dt.year.isin([int(y) for y in years])
    return keep


def kerncijfers_frame(
    raw: pd.DataFrame,
    *,
    source: str = "Kerncijfers",
    gemeente: str | None = None,
    years: Iterable[int] | None = None,
    extra: Iterable[str] = (),
) -> pd.DataFrame:
    """The tidy frame of a Kerncijfers table already read as text (see :func:`read_kerncijfers`).

    Parameters
    ----------
    raw : DataFrame
        One row per area, StatLine's column keys (any numeric suffix), cells as text.
    source : str
        Name of the file or download, for messages.
    gemeente, years, extra
        As in :func:`read_kerncijfers`.

    Returns
    -------
    DataFrame
        See :func:`read_kerncijfers`.
    """
    by_stem = _columns_by_stem(raw.columns)
    wanted = {"n_establishments": TOTAL_STEM, **KERNCIJFERS_SECTORS}
    unknown = sorted(set(extra) - set(KERNCIJFERS_EXTRA))
    if unknown:
        raise SchemaError(
            source, f"unknown extra figures {unknown}", f"use {list(KERNCIJFERS_EXTRA)}"
        )
    wanted |= {key: KERNCIJFERS_EXTRA[key] for key in extra}
    missing = [s for s in (TOTAL_STEM, "Peildatum") if s not in by_stem]
    if not ({"Codering", "WijkenEnBuurten"} & set(by_stem)):
        missing.append("Codering")
    if missing:
        raise SchemaError(
            source,
            f"not a Kerncijfers table with establishment counts (no column {', '.join(missing)})",
            _FIX_EXPORT + " with the columns Peildatum, Codering and Bedrijfsvestigingen",
        )
    frame = _codes_and_levels(raw, by_stem, source)
    frame.insert(2, "peildatum", _peildatum(raw, source))
    frame = frame[_selected(frame, gemeente, years) & (frame["level"] != "land")]
    sub = raw.loc[frame.index]
    for key, stem in wanted.items():
        cols = by_stem.get(stem)
        frame[key] = _figure(sub, cols, source) if cols else np.nan
    duplicated = frame.duplicated(["code", "peildatum"])
    if duplicated.any():
        first = frame.loc[duplicated].iloc[0]
        raise SchemaError(
            source,
            f"{first['code']} appears twice for peildatum {first['peildatum']:%d-%m-%Y}",
            "give one row per area and peildatum",
        )
    order = frame["level"].map({"gemeente": 0, "wijk": 1, "buurt": 2})
    frame = frame.assign(_o=order).sort_values(["peildatum", "_o", "code"], kind="stable")
    return frame.drop(columns="_o").reset_index(drop=True)


def read_kerncijfers(
    path: str | Path,
    *,
    gemeente: str | None = None,
    years: Iterable[int] | None = None,
    extra: Iterable[str] = (),
) -> pd.DataFrame:
    """Read a CBS StatLine "Kerncijfers wijken en buurten" CSV export as a tidy frame.

    Parameters
    ----------
    path : path-like
        The export: one or more years stacked, any gemeente(n); StatLine's OData keys as
        column names, whatever their numeric suffix.
    gemeente : str, optional
        Keep one gemeente: its code (``"GM0034"``, ``"0034"``, ``"34"``) or its name
        (``"Almere"``, case-insensitive). Default: every row.
    years : iterable of int, optional
        Keep these peildatum years. Default: every year in the file.
    extra : iterable of str
        Further figures to add, keys of :data:`KERNCIJFERS_EXTRA` (inhabitants, homes,
        address_density, urbanity).

    Returns
    -------
    DataFrame
        One row per area and peildatum, sorted by peildatum, level (gemeente first) and code:
        ``code`` (``GM0034``, ``WK003402``, ``BU00340201``), ``level`` (gemeente, wijk or
        buurt), ``gemeente_name``, ``peildatum`` (datetime64, the reference date),
        ``n_establishments`` and one column per sector group of
        :data:`KERNCIJFERS_SECTORS` (float, NaN where secret or not counted: O-Q before
        2020), then the extra figures.

    Raises
    ------
    InputError
        The file is missing or unreadable, lacks the code, peildatum or establishment columns,
        holds a value that is not a number, or an area twice for one peildatum.

    Examples
    --------
    >>> from almere_gis.analysis.growth import growth_table
    >>> counts = read_kerncijfers("cbs_kerncijfers.csv", gemeente="GM0034")  # doctest: +SKIP
    >>> growth_table(counts, 2021, 2022, total="n_establishments")  # doctest: +SKIP
    """
    raw = read_table(path)
    if not isinstance(raw, pd.DataFrame) or isinstance(raw, gpd.GeoDataFrame):
        raise InputError(path, "is not a table of figures", _FIX_EXPORT)
    frame = kerncijfers_frame(raw, source=str(path), gemeente=gemeente, years=years, extra=extra)
    if frame.empty:
        raise SchemaError(
            path,
            f"no rows for gemeente {gemeente!r} and years {list(years or [])}"
            if gemeente is not None or years is not None
            else "no rows",
            "check the gemeente code and the years (or export them from StatLine)",
        )
    return frame


@dataclass(frozen=True)
class KerncijfersJoin:
    """Kerncijfers joined to area polygons."""

    areas: gpd.GeoDataFrame
    """The polygons with the figures of one peildatum (NaN where the file has none)."""
    without_polygon: tuple[str, ...]
    """Codes of the file's rows of that level and peildatum that no polygon has."""
    without_figures: tuple[str, ...]
    """Codes of polygons without a row in the file."""


def join_kerncijfers(
    figures: pd.DataFrame,
    polygons: gpd.GeoDataFrame,
    *,
    peildatum: object,
    level: str = "buurt",
    code_column: str = "buurt_code",
    measures: Mapping[str, str] | None = None,
) -> KerncijfersJoin:
    """Join the figures of one peildatum and level to polygons by CBS code.

    Parameters
    ----------
    figures : DataFrame
        As returned by :func:`read_kerncijfers`.
    polygons : GeoDataFrame
        Areas with their CBS code in ``code_column``.
    peildatum
        The peildatum to join (a date, or a year).
    level : str
        ``buurt``, ``wijk`` or ``gemeente``.
    measures : mapping, optional
        Figure column -> name in the result; default every figure under its own name.

    Returns
    -------
    KerncijfersJoin
    """
    day = pd.Timestamp(f"{peildatum}-01-01" if isinstance(peildatum, int) else str(peildatum))
    rows = figures[(figures["level"] == level) & (figures["peildatum"] == day.normalize())]
    keys = {"code", "level", "gemeente_name", "peildatum"}
    names = dict(measures) if measures is not None else {
        c: c for c in figures.columns if c not in keys
    }  # fmt: skip
    table = rows.set_index("code")[list(names)].rename(columns=names)
    codes = polygons[code_column].astype(str)
    joined = polygons.join(table, on=code_column)
    lone = sorted(set(table.index) - set(codes))
    if lone:
        log.warning(
            "Kerncijfers %s: %d %s code(s) without a polygon: %s%s", f"{day:%d-%m-%Y}",
            len(lone), level, ", ".join(lone[:10]), " ..." if len(lone) > 10 else "",
        )  # fmt: skip
    return KerncijfersJoin(
        areas=joined,
        without_polygon=tuple(lone),
        without_figures=tuple(sorted(set(codes) - set(table.index))),
    )
