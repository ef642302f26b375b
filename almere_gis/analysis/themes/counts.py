"""Theme counts per buurt, wijk, city and hexagon, and the areas with the most of a theme.

The sums are weighted ``np.bincount`` passes (:func:`sum_by_index`), the inner step of the
area indicators, so that one function can serve both.
"""

from __future__ import annotations

__all__ = [
    "sum_by_area",
    "sum_by_index",
    "theme_area_counts",
    "theme_city",
    "theme_hexagon_counts",
    "theme_wijk_counts",
    "top_areas",
]

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ...settings import Settings, ThemeSettings
from ..hexgrid import hex_counts
from ..indicators import _area_index, safe_rate
from .flags import CLASSIFY_FIRST, THEMES, require_columns, retail_flag, theme_masks


def sum_by_index(index: ArrayLike, n: int, columns: Mapping[str, ArrayLike]) -> pd.DataFrame:
    """Per unit ``0 .. n-1``: the sum of each column over the rows whose ``index`` is that unit.

    One weighted ``np.bincount`` per column; rows with ``index < 0`` are not counted. A NaN
    value makes its unit's sum NaN. This is the inner step of the area indicators
    (``indicators._aggregate`` and ``wijk_indicators`` do the same per measure and can call it).
    """
    where = np.asarray(index, dtype=np.int64)
    found = where >= 0
    at = where[found]
    sums = {
        name: np.bincount(at, weights=np.asarray(v, dtype=float)[found], minlength=n)
        for name, v in columns.items()
    }
    return pd.DataFrame(sums, index=pd.RangeIndex(n))


def sum_by_area(
    codes: ArrayLike, area_codes: ArrayLike, columns: Mapping[str, ArrayLike]
) -> pd.DataFrame:
    """:func:`sum_by_index` with each row's area found by its code among ``area_codes``.

    Returns one row per area, in ``area_codes`` order (a RangeIndex); a code not among the
    areas (or missing) is not counted.
    """
    index = _area_index(codes, area_codes)
    return sum_by_index(index, len(pd.Index(area_codes)), columns)


_SUMMED = (
    "n_establishments",
    *(f"{m}_{t}" for t in THEMES for m in ("n", "jobs")),
    "n_retail",
)


def _theme_columns(
    businesses: pd.DataFrame, flags: pd.DataFrame, themes: ThemeSettings
) -> dict[str, np.ndarray]:
    jobs = pd.to_numeric(businesses["jobs"], errors="coerce").fillna(0).to_numpy(dtype=float)
    masks = theme_masks(flags)
    cols: dict[str, np.ndarray] = {"n_establishments": np.ones(len(businesses))}
    for t in THEMES:
        cols[f"n_{t}"] = masks[t].astype(float)
        cols[f"jobs_{t}"] = np.where(masks[t], jobs, 0.0)
    if flags["social_enterprise"].isna().all():  # no flag at all: unknown, not 0
        cols["n_social_enterprise"] = cols["jobs_social_enterprise"] = np.full(len(jobs), np.nan)
    cols["n_retail"] = retail_flag(businesses, themes).astype(float)
    return cols


def _finish(areas: pd.DataFrame, sums: pd.DataFrame, key: str, min_count: int) -> pd.DataFrame:
    """The area codes (and names), the sums, densities per km2 land, the retail share."""
    keep = [c for c in (key, key.replace("_code", "_name"), "wijk_code") if c in areas.columns]
    out = areas[list(dict.fromkeys(keep))].copy()
    for col in sums.columns:
        out[col] = sums[col].to_numpy()
    km2 = (
        pd.to_numeric(areas["area_land_ha"], errors="coerce").to_numpy(dtype=float) / 100.0
        if "area_land_ha" in areas.columns
        else np.full(len(areas), np.nan)
    )
    for t in THEMES:
        out[f"n_{t}_per_km2"] = safe_rate(out[f"n_{t}"], km2)
        out[f"jobs_{t}_per_km2"] = safe_rate(out[f"jobs_{t}"], km2)
    out["share_n_mixed_retail_of_retail"] = safe_rate(out["n_mixed_retail"], out["n_retail"])
    out["suppressed"] = out["n_establishments"].to_numpy() < min_count
    return out


def theme_area_counts(
    areas: pd.DataFrame,
    businesses: pd.DataFrame,
    flags: pd.DataFrame,
    settings: Settings,
    *,
    key: str = "buurt_code",
) -> pd.DataFrame:
    """Counts, jobs and densities of each theme per area (buurten, or wijken by ``key``).

    Parameters
    ----------
    areas : DataFrame
        Buurten (or wijken) in the internal area schema.
    businesses : DataFrame
        Classified and joined businesses (``jobs``, ``sbi_division`` and ``key``).
    flags : DataFrame
        From :func:`theme_flags`, aligned to ``businesses``.
    settings : Settings
        ``[themes]`` (retail) and ``privacy.min_count``.
    key : str
        The area code column shared by both.

    Returns
    -------
    DataFrame
        Aligned to ``areas.index``: the code (and name, and ``wijk_code`` for buurten),
        ``n_establishments``, ``n_<theme>`` and ``jobs_<theme>`` per theme, ``n_retail``,
        ``n_<theme>_per_km2`` and ``jobs_<theme>_per_km2`` (land area; NaN without one),
        ``share_n_mixed_retail_of_retail`` (NaN without shops) and ``suppressed`` (fewer than
        ``min_count`` establishments: the privacy rules hide every measure of such a row).
        Social-enterprise columns are NaN when the register has no flag.
    """
    require_columns(businesses, ["jobs", key], CLASSIFY_FIRST)
    cols = _theme_columns(businesses, flags, settings.themes)
    sums = sum_by_area(businesses[key], areas[key], cols)
    return _finish(areas, sums, key, settings.privacy.min_count).set_axis(areas.index)


def theme_wijk_counts(
    wijken: pd.DataFrame, buurt_counts: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """The theme table of the wijken as sums of the buurt table.

    Exact, because a buurt lies in one wijk; densities use the wijken's own land area. Same
    columns as :func:`theme_area_counts` with ``key="wijk_code"``.
    """
    require_columns(buurt_counts, ["wijk_code"], "give the result of theme_area_counts for buurten")
    values = {c: buurt_counts[c].to_numpy(dtype=float) for c in _SUMMED}
    sums = sum_by_area(buurt_counts["wijk_code"], wijken["wijk_code"], values)
    for col, v in values.items():
        if len(v) and np.isnan(v).all():  # unknown in every buurt: unknown in every wijk
            sums[col] = np.nan
    out = _finish(wijken, sums, "wijk_code", settings.privacy.min_count)
    return out.set_axis(wijken.index)


def theme_city(buurt_counts: pd.DataFrame) -> pd.DataFrame:
    """City totals of the themes, summed from the buurt table, and the share of mixed retail.

    Returns a two-column table (``indicator``, ``value``): ``n_<theme>``, ``jobs_<theme>``,
    ``n_retail``, ``share_n_mixed_retail_of_retail`` (NaN without shops; the social-enterprise
    rows NaN when the register has no flag).
    """
    rows = {c: float(buurt_counts[c].to_numpy(dtype=float).sum()) for c in _SUMMED}
    rows["share_n_mixed_retail_of_retail"] = float(
        safe_rate(rows["n_mixed_retail"], rows["n_retail"])
    )
    return pd.DataFrame({"indicator": list(rows), "value": list(rows.values())})


def top_areas(table: pd.DataFrame, column: str = "n_maker", *, n: int = 5) -> pd.DataFrame:
    """The ``n`` areas with the highest ``column`` (e.g. the five buurten with most makers).

    Areas with 0 or a missing value are left out; ties are broken by the lowest area code, so
    the result is the same on every run. Returns the code, the name when present,
    ``column``, ``suppressed`` and ``rank`` (1 = highest). A writer shows a count below
    ``min_count`` as "< 5" (``texts.format.count``).
    """
    key = next(c for c in ("buurt_code", "wijk_code", "hex_id") if c in table.columns)
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(values) & (values > 0)
    chosen = table.loc[ok].assign(_value=values[ok])
    chosen = chosen.sort_values(["_value", key], ascending=[False, True], kind="stable").head(n)
    cols = [c for c in (key, key.replace("_code", "_name"), column, "suppressed") if c in table]
    out = chosen[list(dict.fromkeys(cols))].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def theme_hexagon_counts(
    hexes: gpd.GeoDataFrame,
    businesses: gpd.GeoDataFrame,
    flags: pd.DataFrame,
    *,
    min_count: int,
) -> pd.DataFrame:
    """``count_<theme>`` and ``jobs_<theme>`` per hexagon, for the theme's hot spots.

    Each theme's establishments are counted with :func:`.hexgrid.hex_counts` itself (the same
    point-to-hexagon rule as every other hexagon count). Aligned to ``hexes.index``; pass a
    column to :func:`.hotspots.getis_ord`. Social-enterprise columns are NaN when the register
    has no flag.
    """
    masks = theme_masks(flags)
    out = pd.DataFrame({"hex_id": hexes["hex_id"].to_numpy()}, index=hexes.index)
    for t in THEMES:
        counted = hex_counts(hexes, businesses.loc[masks[t]], min_count=min_count)
        out[f"count_{t}"] = counted["count_all"].to_numpy()
        out[f"jobs_{t}"] = counted["jobs_all"].to_numpy()
    if flags["social_enterprise"].isna().all():
        out["count_social_enterprise"] = out["jobs_social_enterprise"] = np.nan
    return out
