"""Indicators per buurt, per wijk and for the city.

Counts and jobs of all, small-scale, home-based and zzp establishments; densities per km2 of
land, per 1,000 inhabitants and per 1,000 homes; shares of the city total; sector mix and
location quotients; an area typology; and the city's share of jobs in residential buurten.

A rate whose denominator is 0 or missing is NaN: never 0 and never inf.
"""

from __future__ import annotations

__all__ = [
    "COUNT_MEASURES",
    "area_indicators",
    "city_indicators",
    "safe_rate",
    "wijk_indicators",
]

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._schema import RESIDENTIAL
from ..settings import ClassificationSettings
from .classify import OTHER_SECTOR

# (name, boolean business column or None for all): n_<name> and jobs_<name>.
_GROUPS: list[tuple[str, str | None]] = [
    ("establishments", None),
    ("small_scale", "small_scale"),
    ("home_based", "home_based"),
    ("zzp", "zzp"),
    ("social_enterprise", "social_enterprise"),
]
COUNT_MEASURES = [
    "n_establishments",
    "jobs",
    "n_small_scale",
    "jobs_small_scale",
    "n_home_based",
    "jobs_home_based",
    "n_zzp",
    "jobs_zzp",
    "n_social_enterprise",
    "jobs_social_enterprise",
]


def safe_rate(numerator: object, denominator: object, scale: float = 1.0) -> np.ndarray:
    """``scale * numerator / denominator``, NaN where the denominator is 0, negative or NaN."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.isfinite(den) & (den > 0) & np.isfinite(num)
    np.divide(num * scale, den, out=out, where=ok)
    return out


def _area_index(codes: object, area_codes: object) -> np.ndarray:
    """Position of each business's area code among ``area_codes`` (-1 when absent or missing).

    Matched in Arrow (one hash table of the area codes), not by grouping the text.
    """
    index = pc.index_in(_text(codes), value_set=_text(area_codes))
    found = pc.fill_null(index, -1).to_numpy(zero_copy_only=False)
    return np.asarray(found, dtype=np.int64)


def _text(values: object) -> pa.Array:
    arr = pa.array(pd.Series(values, copy=False).astype("string"))
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _aggregate(
    businesses: pd.DataFrame, area_codes: object, key: str, sectors: list[str]
) -> tuple[pd.DataFrame, pd.Series]:
    """Counts and jobs per area (in ``area_codes`` order) and for all businesses together.

    Each measure is one weighted ``np.bincount`` over the businesses' integer area index; the
    totals include businesses whose code is not among the areas, as the city's totals do.
    """
    b = businesses
    n_areas = len(pd.Index(area_codes))
    index = _area_index(b[key], area_codes)
    found = index >= 0
    coded = b[key].notna().to_numpy()  # the totals, like a groupby, leave out missing codes
    at = index[found]
    jobs = b["jobs"].to_numpy(dtype=float)
    masks: list[tuple[str, str, np.ndarray | None]] = []
    for name, flag in _GROUPS:
        count_name = "n_establishments" if name == "establishments" else f"n_{name}"
        jobs_name = "jobs" if name == "establishments" else f"jobs_{name}"
        if flag is None:
            masks.append((count_name, jobs_name, None))
        elif flag in b:
            masks.append((count_name, jobs_name, b[flag].fillna(False).to_numpy(dtype=bool)))
    sector = _area_index(b["sector_group"], sectors)
    for i, s in enumerate(sectors):
        masks.append((f"n_{s}", f"jobs_{s}", sector == i))
    per_area: dict[str, np.ndarray] = {}
    total: dict[str, float] = {}
    for count_name, jobs_name, mask in masks:
        ones = found if mask is None else (found & mask)
        per_area[count_name] = np.bincount(at, weights=ones[found], minlength=n_areas)
        per_area[jobs_name] = np.bincount(
            at, weights=np.where(ones, jobs, 0.0)[found], minlength=n_areas
        )
        counted = coded if mask is None else (coded & mask)
        total[count_name] = float(counted.sum())
        total[jobs_name] = float(jobs[counted].sum())
    return pd.DataFrame(per_area), pd.Series(total)


def _add_rates(out: pd.DataFrame, city: pd.Series, sectors: list[str]) -> None:
    land_km2 = out["area_land_ha"].to_numpy(dtype=float) / 100.0
    inhabitants = out["inhabitants"].to_numpy(dtype=float)
    homes = out["homes"].to_numpy(dtype=float)
    for m in COUNT_MEASURES:
        if m not in out:
            continue
        v = out[m].to_numpy(dtype=float)
        out[f"{m}_per_km2"] = safe_rate(v, land_km2)
        out[f"{m}_per_1000_inhabitants"] = safe_rate(v, inhabitants, 1000.0)
        out[f"{m}_per_1000_homes"] = safe_rate(v, homes, 1000.0)
        out[f"share_{m}"] = safe_rate(v, np.full(len(out), city[m]))
    # Location quotient on jobs: (area share of sector jobs) / (city share of sector jobs).
    area_jobs = out["jobs"].to_numpy(dtype=float)
    for s in sectors:
        local = safe_rate(out[f"jobs_{s}"], area_jobs)
        citywide = safe_rate(city[f"jobs_{s}"], city["jobs"])
        out[f"lq_{s}"] = safe_rate(local, np.full(len(out), citywide))
    # Residential share for each area of its own jobs is not meaningful; the city share is.


def area_indicators(
    areas: gpd.GeoDataFrame,
    businesses: pd.DataFrame,
    *,
    key: str,
    classification: ClassificationSettings,
    min_count: int,
) -> gpd.GeoDataFrame:
    """Indicators per area (``key`` = ``"buurt_code"`` or ``"wijk_code"``).

    Parameters
    ----------
    areas
        Buurten or wijken in the internal area schema.
    businesses
        Classified and joined businesses (with ``buurt_code``, ``wijk_code``).
    key
        The area code column shared by both.
    classification
        For the sector group keys.
    min_count
        Privacy threshold: ``suppressed`` marks areas with fewer establishments.

    Returns
    -------
    GeoDataFrame
        ``areas`` with the measures of ``COUNT_MEASURES``, sector counts/jobs, rates, shares,
        location quotients and ``suppressed``. Areas without businesses get 0 counts.
    """
    sectors = _sectors(classification)
    per_area, city = _aggregate(businesses, areas[key].to_numpy(), key, sectors)
    return _finish(areas, per_area, city, sectors, min_count)


def _sectors(classification: ClassificationSettings) -> list[str]:
    return [g.key for g in classification.sector_groups] + [OTHER_SECTOR]


def _finish(
    areas: gpd.GeoDataFrame,
    per_area: pd.DataFrame,
    city: pd.Series,
    sectors: list[str],
    min_count: int,
) -> gpd.GeoDataFrame:
    """``areas`` with the counts, rates, shares, location quotients and ``suppressed``."""
    out = areas.copy()
    for col in per_area.columns:
        out[col] = per_area[col].to_numpy()
    _add_rates(out, city, sectors)
    out["suppressed"] = out["n_establishments"].to_numpy() < min_count
    return out


def wijk_indicators(
    wijken: gpd.GeoDataFrame,
    buurten: pd.DataFrame,
    *,
    classification: ClassificationSettings,
    min_count: int,
) -> gpd.GeoDataFrame:
    """Wijk indicators from the buurt indicators: counts and jobs summed per ``wijk_code``.

    Exact, because a business's wijk is its buurt's wijk: the result equals
    ``area_indicators(wijken, businesses, key="wijk_code", ...)`` without going back to the
    businesses. The rates use the wijken's own land area, inhabitants and homes.

    Parameters
    ----------
    wijken
        Wijken in the internal area schema.
    buurten
        The result of :func:`area_indicators` for the buurten (with ``wijk_code``).
    classification
        For the sector group keys.
    min_count
        Privacy threshold: ``suppressed`` marks wijken with fewer establishments.

    Returns
    -------
    GeoDataFrame
        ``wijken`` with the same columns as :func:`area_indicators` gives them.
    """
    sectors = _sectors(classification)
    measures = [c for c in _count_columns(sectors) if c in buurten.columns]
    index = _area_index(buurten["wijk_code"], wijken["wijk_code"].to_numpy())
    found = index >= 0
    per_area = pd.DataFrame(
        {
            c: np.bincount(
                index[found],
                weights=buurten[c].to_numpy(dtype=float)[found],
                minlength=len(wijken),
            )
            for c in measures
        }
    )
    city = pd.Series({c: float(buurten[c].to_numpy(dtype=float).sum()) for c in measures})
    return _finish(wijken, per_area, city, sectors, min_count)


def _count_columns(sectors: list[str]) -> list[str]:
    """Every count and jobs column, in the order :func:`area_indicators` adds them."""
    cols = list(COUNT_MEASURES)
    for s in sectors:
        cols += [f"n_{s}", f"jobs_{s}"]
    return cols


def city_indicators(
    buurten: pd.DataFrame, *, n_outside: int = 0, n_rejected: int = 0
) -> pd.DataFrame:
    """City totals and the share of jobs in residential buurten (area type ``wonen``).

    Returns a two-column table (``indicator``, ``value``) with Dutch indicator keys.
    """
    residential = buurten["area_type"].astype("string").to_numpy() == RESIDENTIAL
    jobs = buurten["jobs"].to_numpy(dtype=float)
    n = buurten["n_establishments"].to_numpy(dtype=float)
    rows = {
        "vestigingen": n.sum(),
        "banen": jobs.sum(),
        "vestigingen_kleinschalig": buurten["n_small_scale"].sum(),
        "banen_kleinschalig": buurten["jobs_small_scale"].sum(),
        "vestigingen_aan_huis": buurten["n_home_based"].sum(),
        "banen_aan_huis": buurten["jobs_home_based"].sum(),
        "zzp": buurten["n_zzp"].sum(),
        "banen_in_woonbuurten": jobs[residential].sum(),
        "aandeel_banen_in_woonbuurten": float(safe_rate(jobs[residential].sum(), jobs.sum())),
        "vestigingen_in_woonbuurten": n[residential].sum(),
        "aandeel_vestigingen_in_woonbuurten": float(safe_rate(n[residential].sum(), n.sum())),
        "buiten_studiegebied": n_outside,
        "afgewezen": n_rejected,
    }
    return pd.DataFrame({"indicator": list(rows), "value": [float(v) for v in rows.values()]})
