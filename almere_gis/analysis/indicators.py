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
]

import geopandas as gpd
import numpy as np
import pandas as pd

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


def _aggregate(businesses: pd.DataFrame, key: str, sectors: list[str]) -> pd.DataFrame:
    """Counts and jobs per area code, vectorised with one groupby."""
    b = businesses
    jobs = b["jobs"].to_numpy(dtype=float)
    cols: dict[str, np.ndarray] = {}
    for name, flag in _GROUPS:
        if flag is None:
            mask = np.ones(len(b), dtype=bool)
        elif flag in b:
            mask = b[flag].fillna(False).to_numpy(dtype=bool)
        else:
            continue
        count_name = "n_establishments" if name == "establishments" else f"n_{name}"
        jobs_name = "jobs" if name == "establishments" else f"jobs_{name}"
        cols[count_name] = mask.astype(float)
        cols[jobs_name] = np.where(mask, jobs, 0.0)
    sector = b["sector_group"].astype("string").to_numpy(dtype=object)
    for s in sectors:
        m = sector == s
        cols[f"n_{s}"] = m.astype(float)
        cols[f"jobs_{s}"] = np.where(m, jobs, 0.0)
    frame = pd.DataFrame(cols, index=b.index)
    frame[key] = b[key].to_numpy()
    return frame.groupby(key, sort=True).sum()


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
    sectors = [g.key for g in classification.sector_groups] + [OTHER_SECTOR]
    agg = _aggregate(businesses, key, sectors)
    out = areas.copy()
    counts = agg.reindex(out[key].to_numpy()).fillna(0.0)
    for col in agg.columns:
        out[col] = counts[col].to_numpy()
    city = agg.sum()
    _add_rates(out, city, sectors)
    out["suppressed"] = out["n_establishments"].to_numpy() < min_count
    return out


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
