"""The privacy rules: what may be published, exactly.

A home-based business's location is someone's home, so nothing public may reveal a business
location or rest on fewer than ``min_count`` establishments (default 5, as CBS does).

The public view of a table is a :class:`PublicFrame`: the table with every hidden value missing,
and beside it a boolean frame saying which cells are hidden *for privacy* (as opposed to missing
for another reason, such as a rate without a denominator). Writers show a hidden cell as
"< 5" (``texts.format.count(..., suppressed=True)``) and a missing one as a dash.

The rules
---------
**Primary suppression.** Every measure of an area table rests on one count of establishments,
its *base* (:func:`base_column`): ``n_home_based``, ``jobs_home_based``,
``n_home_based_per_km2`` and ``share_n_home_based`` all rest on ``n_home_based``; ``jobs`` on
``n_establishments``; ``lq_<sector>`` on ``n_<sector>``; in hexagons ``jobs_zzp`` on
``count_zzp``. A measure is hidden where its base is below ``min_count`` (zero included: a
shown 0 would make the hidden cells beside it easier to recover), and every measure of a row
whose ``suppressed`` flag is set is hidden.

**Hot spots (``Gi*``).** A hexagon or buurt whose count of the tested variable is below
``min_count`` is never classified: its ``gi_*`` columns (class, z-score, p-values) are hidden,
so no public output draws it as a hot or cold spot.

**Secondary suppression** (:func:`secondary_hide`), as CBS does. A hidden buurt value could be
recovered by subtracting the visible buurten of its wijk from the wijk's published total (and a
wijk's from the city's). For every base count the rule keeps a small ledger per parent (wijk,
or the city for wijken): how many of its children are hidden and what they hold together.
While a parent whose own value is published has exactly one hidden child, or hidden children
that hold between 1 and ``min_count - 1`` establishments together, the visible child with the
smallest value is hidden too. Each round is one vectorised pass over all parents; there are at
most as many rounds as the largest parent has children. The measures resting on a base follow
it. Wijken are settled first (against the city), then buurten (against the wijken as they are
published). The same ledger runs across a row (:func:`row_secondary_hide`): the sector counts of
an area add up to its number of establishments, so a single hidden sector of an area whose total
is shown would be its total minus the other sectors; the smallest visible sector is hidden too.
Both passes are repeated until nothing changes.

**Candidate sites.** The counts and jobs within walking and cycling distance, the demand
criteria built on them (raw, normalised, contribution) and the sector mix are hidden where the
count is below ``min_count``; the explanation then says "< 5" instead of the number.

**Search zones** are the hot spot hexagons that may be published (the others are dropped),
with their small counts hidden as in the hexagon table.
"""

from __future__ import annotations

__all__ = [
    "PublicFrame",
    "area_hide",
    "base_column",
    "public_areas",
    "public_candidates",
    "public_city",
    "public_table",
    "public_zones",
    "row_secondary_hide",
    "secondary_hide",
    "small_bases",
]

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Columns of an area table that are aggregates of establishments (and so can be hidden).
_MEASURE_PREFIXES = ("n_", "count_", "jobs", "share_", "lq_", "gi_")
_RATE = re.compile(r"_per_(km2|1000_inhabitants|1000_homes)$")
# The base count of each city indicator (stad_indicatoren).
CITY_BASES: dict[str, str] = {
    "vestigingen": "vestigingen",
    "banen": "vestigingen",
    "vestigingen_kleinschalig": "vestigingen_kleinschalig",
    "banen_kleinschalig": "vestigingen_kleinschalig",
    "vestigingen_aan_huis": "vestigingen_aan_huis",
    "banen_aan_huis": "vestigingen_aan_huis",
    "zzp": "zzp",
    "banen_in_woonbuurten": "vestigingen_in_woonbuurten",
    "aandeel_banen_in_woonbuurten": "vestigingen_in_woonbuurten",
    "vestigingen_in_woonbuurten": "vestigingen_in_woonbuurten",
    "aandeel_vestigingen_in_woonbuurten": "vestigingen_in_woonbuurten",
    "buiten_studiegebied": "buiten_studiegebied",
    "afgewezen": "afgewezen",
}
# The area count each city count is the total of (for secondary suppression of wijken).
CITY_TOTALS: dict[str, str] = {
    "n_establishments": "vestigingen",
    "n_small_scale": "vestigingen_kleinschalig",
    "n_home_based": "vestigingen_aan_huis",
    "n_zzp": "zzp",
}


@dataclass(frozen=True)
class PublicFrame:
    """A table as it may be published.

    Attributes
    ----------
    data : DataFrame or GeoDataFrame
        The table; every hidden cell is missing (NaN or ``<NA>``).
    hidden : DataFrame
        Booleans, same index as ``data``, one column per column of ``data`` that can be
        hidden: True where the cell is hidden for privacy.
    """

    data: pd.DataFrame
    hidden: pd.DataFrame

    def is_hidden(self, column: str) -> pd.Series:
        """True where ``column`` is hidden for privacy (all False for a column never hidden)."""
        if column in self.hidden.columns:
            return self.hidden[column].astype(bool)
        return pd.Series(False, index=self.data.index)

    def __len__(self) -> int:
        return len(self.data)


def base_column(column: str, columns: Iterable[str]) -> str | None:
    """The count of establishments that ``column`` rests on, or None when it rests on none.

    Examples
    --------
    >>> cols = ["n_establishments", "n_zzp", "n_bouw", "count_zzp", "count_all"]
    >>> [base_column(c, cols) for c in ["jobs", "share_jobs_zzp", "n_zzp_per_km2", "lq_bouw"]]
    ['n_establishments', 'n_zzp', 'n_zzp', 'n_bouw']
    >>> base_column("jobs_zzp", ["count_zzp"]), base_column("jobs_all", ["count_all"])
    ('count_zzp', 'count_all')
    >>> base_column("share_social_minimum", cols) is None
    True
    """
    names = set(columns)
    name = _RATE.sub("", column.removeprefix("share_"))
    if name.startswith("lq_"):
        name = "n_" + name[3:]
    elif name in ("jobs", "jobs_all"):
        name = "n_establishments" if "n_establishments" in names else "count_all"
    elif name.startswith("jobs_"):
        tail = name[5:]
        name = f"n_{tail}" if f"n_{tail}" in names else f"count_{tail}"
    if name in names and name.startswith(("n_", "count_")):
        return name
    return None


def _measure_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if str(c).startswith(_MEASURE_PREFIXES)]


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    return np.asarray(values.to_numpy(dtype=float, na_value=np.nan), dtype=float)


def public_table(frame: pd.DataFrame, hide: pd.DataFrame) -> PublicFrame:
    """``frame`` with the cells marked in ``hide`` set to missing (a copy).

    A cell that was missing already (a rate without a denominator, a test that was not run)
    stays missing and is not marked hidden: there was nothing to hide.
    """
    data = frame.copy()
    marks = hide.astype(bool).copy()
    for column in hide.columns:
        mask = hide[column].to_numpy(dtype=bool) & data[column].notna().to_numpy(dtype=bool)
        marks[column] = mask
        if mask.any():
            values = data[column]
            if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_integer_dtype(
                values.dtype
            ):
                values = values.astype("Float64" if values.dtype != bool else "boolean")
            data[column] = values.mask(mask)
    return PublicFrame(data=data, hidden=marks)


def small_bases(
    frame: pd.DataFrame, min_count: int, extra: pd.DataFrame | None
) -> dict[str, np.ndarray]:
    """Per base count column (``n_*``, ``count_*``): True where it is hidden.

    Hidden: below ``min_count`` (or missing), in a ``suppressed`` row, or marked in ``extra``.
    """
    row = (
        frame["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if "suppressed" in frame
        else np.zeros(len(frame), dtype=bool)
    )
    bases = [c for c in frame.columns if str(c).startswith(("n_", "count_"))]
    out: dict[str, np.ndarray] = {}
    for b in bases:
        v = _numbers(frame, b)
        small = row | ~(v >= min_count)  # NaN counts are hidden too
        if extra is not None and b in extra.columns:
            small |= extra[b].to_numpy(dtype=bool)
        out[b] = small
    return out


def area_hide(
    frame: pd.DataFrame,
    *,
    min_count: int,
    columns: Iterable[str] | None = None,
    gi_base: str | None = None,
    extra: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Which measure cells of an area table are hidden (see the module docstring).

    ``extra`` marks base counts hidden beyond the primary rule (secondary suppression).
    """
    cols = list(columns) if columns is not None else _measure_columns(frame)
    row = (
        frame["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if "suppressed" in frame
        else np.zeros(len(frame), dtype=bool)
    )
    small = small_bases(frame, min_count, extra)
    hide: dict[str, np.ndarray] = {}
    for c in cols:
        if str(c).startswith("gi_"):
            base = gi_base if gi_base in frame.columns else None
        else:
            base = base_column(str(c), frame.columns)
        hide[c] = row.copy() if base is None else small[base]
    return pd.DataFrame(hide, index=frame.index)


def public_areas(
    frame: pd.DataFrame,
    *,
    min_count: int,
    columns: Iterable[str] | None = None,
    gi_base: str | None = None,
    extra: pd.DataFrame | None = None,
) -> PublicFrame:
    """An area table (buurten, wijken, hexagons) with every small measure hidden.

    Parameters
    ----------
    frame : DataFrame
        The table with its counts (``n_*`` or ``count_*``) and, optionally, ``suppressed``.
    min_count : int
        The privacy threshold.
    columns : iterable of str, optional
        The columns that can be hidden; default every measure (``n_*``, ``count_*``,
        ``jobs*``, ``share_*``, ``lq_*``, ``gi_*``).
    gi_base : str, optional
        The count the Gi* test ran on (``count_home_based``, ``n_establishments``): the
        ``gi_*`` columns are hidden where it is below ``min_count``. Without it, only in
        suppressed rows.
    extra : DataFrame of booleans, optional
        Base counts hidden by secondary suppression (:func:`secondary_hide`).

    Returns
    -------
    PublicFrame
    """
    hide = area_hide(frame, min_count=min_count, columns=columns, gi_base=gi_base, extra=extra)
    return public_table(frame, hide)


def _one_round(
    values: np.ndarray, hidden: np.ndarray, group: np.ndarray, open_: np.ndarray, n: int
) -> np.ndarray:
    """Rows to hide next: per open parent in need, its visible child with the smallest value."""
    m = len(open_)
    count = np.bincount(group, weights=hidden, minlength=m)
    held = np.bincount(group, weights=np.where(hidden, np.nan_to_num(values), 0.0), minlength=m)
    visible = np.bincount(group, weights=~hidden, minlength=m)
    need = open_ & (visible > 0) & ((count == 1) | ((held > 0) & (held < n)))
    rows = np.flatnonzero(~hidden & need[group])
    if rows.size == 0:
        return rows
    order = np.lexsort((rows, np.nan_to_num(values[rows]), group[rows]))
    rows = rows[order]
    _, first = np.unique(group[rows], return_index=True)
    return np.asarray(rows[first])


def secondary_hide(
    children: pd.DataFrame,
    hidden: Mapping[str, np.ndarray],
    *,
    parent_of: np.ndarray,
    parent_shown: Mapping[str, np.ndarray],
    min_count: int,
) -> pd.DataFrame:
    """Base counts to hide so that no hidden child can be recovered from its parent's total.

    Parameters
    ----------
    children : DataFrame
        The child table (buurten, or wijken), with its base counts.
    hidden : mapping of column to boolean array
        The children's hidden base counts after primary suppression.
    parent_of : integer array
        Each child's parent as a position (0 .. number of parents - 1); -1 for none.
    parent_shown : mapping of column to boolean array
        Per base count, True for the parents whose total of that count is published.
    min_count : int
        The privacy threshold.

    Returns
    -------
    DataFrame
        Booleans, the children's index, one column per base count: the final hidden cells
        (primary and secondary).
    """
    out: dict[str, np.ndarray] = {}
    has_parent = parent_of >= 0
    group = np.where(has_parent, parent_of, 0).astype(np.int64)
    for column, primary in hidden.items():
        h = np.asarray(primary, dtype=bool).copy()
        shown = parent_shown.get(column)
        if shown is None or not has_parent.any():
            out[column] = h
            continue
        values = np.where(has_parent, _numbers(children, column), np.nan)
        open_ = np.asarray(shown, dtype=bool)
        sub = np.flatnonzero(has_parent)
        for _ in range(int(np.bincount(group[sub]).max(initial=0))):
            extra = _one_round(values[sub], h[sub], group[sub], open_, min_count)
            if extra.size == 0:
                break
            h[sub[extra]] = True
        out[column] = h
    return pd.DataFrame(out, index=children.index)


def row_secondary_hide(
    frame: pd.DataFrame,
    hidden: Mapping[str, np.ndarray],
    *,
    parts: Iterable[str],
    total: str,
    min_count: int,
) -> dict[str, np.ndarray]:
    """Secondary suppression across a row: ``parts`` (sector counts) add up to ``total``.

    Returns ``hidden`` with, in every row whose ``total`` is shown and whose hidden parts could
    be recovered (one hidden part, or hidden parts holding 1 to ``min_count - 1`` together),
    the smallest visible parts hidden as well (vectorised over the rows).
    """
    cols = [c for c in parts if c in hidden and c in frame.columns]
    out = {c: np.asarray(v, dtype=bool).copy() for c, v in hidden.items()}
    if not cols or total not in out:
        return out
    values = np.column_stack([np.nan_to_num(_numbers(frame, c)) for c in cols])
    h = np.column_stack([out[c] for c in cols])
    open_ = ~out[total]
    for _ in range(len(cols)):
        count = h.sum(axis=1)
        held = np.where(h, values, 0.0).sum(axis=1)
        need = open_ & (~h).any(axis=1) & ((count == 1) | ((held > 0) & (held < min_count)))
        if not need.any():
            break
        pick = np.argmin(np.where(h, np.inf, values), axis=1)
        rows = np.flatnonzero(need)
        h[rows, pick[rows]] = True
    for j, c in enumerate(cols):
        out[c] = h[:, j]
    return out


def public_city(city: pd.DataFrame, *, min_count: int) -> PublicFrame:
    """The city table (``indicator``, ``value``) with every indicator on a small base hidden."""
    values = city.set_index("indicator")["value"]
    base_value = {
        key: float(values.get(base, np.nan)) for key, base in CITY_BASES.items() if key in values
    }
    small = np.array(
        [not (base_value.get(str(k), min_count) >= min_count) for k in city["indicator"]],
        dtype=bool,
    )
    return public_table(city, pd.DataFrame({"value": small}, index=city.index))


_NOUNS = "vestigingen|vestiging|establishments|establishment|banen|baan|jobs|job"


def _distance_text(metres: float, language: str) -> str:
    out = f"{metres:,.0f}"
    return out.replace(",", "_").replace(".", ",").replace("_", ".") if language == "nl" else out


def _explanations(
    explanation: pd.Series,
    small: Mapping[str, np.ndarray],
    distances: Mapping[str, float],
    *,
    hidden_mark: str,
    noun: str,
    language: str,
) -> pd.Series:
    """The explanations with "< 5 vestigingen" for every hidden count they quote."""
    out = explanation.astype("string").copy()
    for key, hide in small.items():
        where = _distance_text(distances[key], language)
        pattern = rf"\d[\d.,]* (?:{_NOUNS}) ((?:binnen|within) {re.escape(where)} m)"
        rows = np.flatnonzero(hide & out.notna().to_numpy())
        for i in rows:  # candidate sites: hundreds, never a path over all businesses
            value = str(out.iloc[i])
            out.iloc[i] = re.sub(pattern, lambda m: f"{hidden_mark} {noun} {m.group(1)}", value)
    return out


def public_candidates(
    candidates: pd.DataFrame,
    *,
    min_count: int,
    distances: Mapping[str, float],
    hidden_mark: str,
    noun: str,
    language: str,
) -> PublicFrame:
    """Scored candidate sites with every demand figure on fewer than ``min_count`` hidden.

    ``distances`` gives the walking and cycling distance (``walk``, ``cycle``) the
    explanations quote; ``hidden_mark`` and ``noun`` replace a hidden count there ("< 5",
    "vestigingen").
    """
    hide: dict[str, np.ndarray] = {}
    small: dict[str, np.ndarray] = {}
    for key in ("walk", "cycle"):
        column = f"demand_{key}_count"
        if column not in candidates:
            continue
        small[key] = ~(_numbers(candidates, column) >= min_count)
        for part in ("count", "jobs", "raw", "norm", "contrib"):
            if f"demand_{key}_{part}" in candidates:
                hide[f"demand_{key}_{part}"] = small[key]
    if "walk" in small:  # the sector mix of the establishments within walking distance
        for part in ("raw", "norm", "contrib"):
            if f"mix_{part}" in candidates:
                hide[f"mix_{part}"] = small["walk"]
    public = public_table(candidates, pd.DataFrame(hide, index=candidates.index))
    if "explanation" in candidates and small:
        data = public.data.copy()
        data["explanation"] = _explanations(
            candidates["explanation"],
            {k: v for k, v in small.items() if k in distances},
            distances,
            hidden_mark=hidden_mark,
            noun=noun,
            language=language,
        )
        public = PublicFrame(data=data, hidden=public.hidden)
    return public


def public_zones(
    zones: pd.DataFrame, hexagons: PublicFrame, *, min_count: int, gi_base: str | None
) -> PublicFrame:
    """Search zones built only from publishable hexagons, with their small counts hidden.

    A zone whose hexagon has its Gi* class hidden in ``hexagons`` (the public hexagons) is
    dropped: it would show a hot spot that rests on fewer than ``min_count`` establishments.
    """
    hidden_class = hexagons.is_hidden("gi_class")
    if "hex_id" in zones and "hex_id" in hexagons.data:
        secret = set(hexagons.data.loc[hidden_class.to_numpy(dtype=bool), "hex_id"])
        keep = ~zones["hex_id"].isin(secret).to_numpy(dtype=bool)
    else:
        keep = ~hidden_class.reindex(zones.index, fill_value=True).to_numpy(dtype=bool)
    if gi_base is not None and gi_base in zones:
        keep &= _numbers(zones, gi_base) >= min_count
    return public_areas(zones.loc[keep], min_count=min_count, gi_base=gi_base)
