"""Scoring: hard constraints, normalisation, weights, the score, the rank and the explanation."""

from __future__ import annotations

__all__ = ["resolve_weights", "score_sites"]

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats

from ..._errors import ConfigError
from ...io.crs import require_rd
from ...settings import SiteSettings
from .criteria import CRITERIA, raw_criteria, site_settings
from .explain import TEXT, explain_sites

log = logging.getLogger("almere_gis")


def resolve_weights(weights: object) -> dict[str, float]:
    """The criterion weights, checked and normalised to sum to 1.

    Parameters
    ----------
    weights
        A ``SiteWeights`` object (``[sites.weights]``) or a mapping criterion -> weight.

    Returns
    -------
    dict
        Weight per criterion of :data:`CRITERIA`, in that order, summing to 1.

    Raises
    ------
    ConfigError
        For a negative or non-finite weight, all weights zero, or an unknown criterion.

    Examples
    --------
    >>> resolve_weights({"demand_walk": 2, "fit": 2})["fit"]
    0.5
    """
    if isinstance(weights, Mapping):
        given = dict(weights)
    else:
        given = {key: getattr(weights, key) for key in CRITERIA if hasattr(weights, key)}
    unknown = sorted(set(given) - set(CRITERIA))
    if unknown:
        raise ConfigError(
            f"sites.weights: unknown criterion '{unknown[0]}'. Fix: use one of {list(CRITERIA)}."
        )
    values = {key: float(given.get(key, 0.0)) for key in CRITERIA}
    bad = [k for k, v in values.items() if not np.isfinite(v) or v < 0]
    if bad:
        raise ConfigError(
            f"sites.weights.{bad[0]} = {values[bad[0]]} is not allowed: weights must be zero or "
            "positive. Fix: set it to 0 to switch the criterion off."
        )
    total = sum(values.values())
    if total <= 0:
        raise ConfigError(
            "sites.weights are all zero: nothing to score on. Fix: give at least one criterion "
            "a positive weight."
        )
    if not np.isclose(total, 1.0, rtol=0, atol=1e-9):
        log.info("sites.weights sum to %g, not 1: normalised to sum to 1", total)
    return {key: v / total for key, v in values.items()}


def _normalise(values: np.ndarray, method: str, direction: str) -> np.ndarray:
    """Values scaled to 0-1 (1 = best) over the finite entries; NaN stays NaN."""
    out = np.full(values.shape, np.nan)
    ok = np.isfinite(values)
    x = values[ok]
    if x.size == 0:
        return out
    if method == "percentile":
        scaled = (stats.rankdata(x, method="average") - 1) / (x.size - 1) if x.size > 1 else None
    else:
        lo, hi = x.min(), x.max()
        scaled = (x - lo) / (hi - lo) if hi > lo else None
    if scaled is None:
        out[ok] = 0.5  # all equal: the criterion does not separate the sites
        return out
    out[ok] = scaled if direction == "higher" else 1.0 - scaled
    return out


def _exclusions(
    candidates: gpd.GeoDataFrame,
    raw: pd.DataFrame,
    active: list[str],
    s: SiteSettings,
    language: str,
) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """Per site its exclusion reasons, the floor area, and the missing-value mask."""
    text = TEXT[language]
    n = len(candidates)
    reasons: list[list[str]] = [[] for _ in range(n)]
    geoms = candidates.geometry.to_numpy()
    no_geom = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(no_geom).tolist():
        reasons[i].append(text["no_geometry"])
    area = (
        pd.to_numeric(candidates["floor_area_m2"], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        if "floor_area_m2" in candidates.columns
        else np.full(n, np.nan)
    )
    for i in np.flatnonzero(area < s.min_floor_area_m2).tolist():
        reasons[i].append(text["min_area"].format(v=area[i], m=s.min_floor_area_m2))
    missing = raw[active].isna().to_numpy()
    for key in active:
        if raw[key].isna().all() and n:
            log.warning("criterion %s is missing for every site (policy: %s)", key, s.missing)
    if s.missing == "exclude":
        # a site without geometry misses every location criterion: one reason says it all
        for i, j in zip(*np.nonzero(missing & ~no_geom[:, None]), strict=True):
            reasons[i].append(text["missing"].format(label=CRITERIA[active[j]].label(language)))
    return reasons, area, missing


def _weighted(
    raw: pd.DataFrame,
    excluded: np.ndarray,
    weights: Mapping[str, float],
    s: SiteSettings,
    new: dict[str, object],
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, bool]]:
    """The score, the normalised values and whether each criterion separates the sites.

    Adds ``<criterion>_raw``, ``_norm`` and ``_contrib`` to ``new``.
    """
    n = len(raw)
    score = np.zeros(n)
    norm_all: dict[str, np.ndarray] = {}
    separates: dict[str, bool] = {}
    eligible = ~excluded
    for key, crit in CRITERIA.items():
        values = raw[key].to_numpy(dtype=float)
        norm = np.full(n, np.nan)
        norm[eligible] = _normalise(values[eligible], s.normalisation, crit.direction)
        if weights[key] > 0:
            norm[eligible & np.isnan(norm)] = 0.5  # missing = neutral (policy "neutral")
        contrib = np.where(eligible, np.nan_to_num(norm, nan=0.0) * weights[key], np.nan)
        score = score + np.nan_to_num(contrib, nan=0.0)
        norm_all[key] = norm
        finite = values[eligible & np.isfinite(values)]
        separates[key] = finite.size > 1 and bool(finite.min() < finite.max())
        new[f"{key}_raw"] = values
        new[f"{key}_norm"] = norm
        new[f"{key}_contrib"] = contrib
    return np.where(excluded, np.nan, score), norm_all, separates


def score_sites(
    candidates: gpd.GeoDataFrame,
    businesses: gpd.GeoDataFrame,
    *,
    hexagons: gpd.GeoDataFrame | None,
    buurten: gpd.GeoDataFrame | None,
    settings: object,
    stations: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Score candidate sites on the criteria of :data:`CRITERIA`, with an explanation per site.

    See the module docstring for the definition of every criterion, the normalisation, the
    hard constraint and the missing-value policy.

    Parameters
    ----------
    candidates
        From :func:`load_candidates` (``site_id`` and geometry are required; other attributes
        are optional), EPSG:28992.
    businesses
        Classified businesses (``small_scale``, ``home_based``, ``jobs``, ``sector_group``),
        EPSG:28992.
    hexagons
        Hexagons with ``gi_class`` (Gi* classes), or None (cluster criterion then missing).
    buurten
        Buurten with ``buurt_code``, ``dist_train_km``, ``area_type`` and, for the social
        criterion, ``share_social_minimum``; or None.
    settings
        The Settings object (or its ``sites`` section).
    stations
        Optional train station points; replaces the buurt's CBS station distance.

    Returns
    -------
    GeoDataFrame
        A copy of ``candidates`` (same index) plus ``buurt_code``, ``excluded`` (bool),
        ``exclusion_reason`` (str, "" when not excluded), for every criterion ``c``:
        ``c_raw`` (unit of the criterion, NaN when missing), ``c_norm`` (0-1, 1 = best),
        ``c_contrib`` (weight x norm); the components ``demand_walk_count``,
        ``demand_walk_jobs``, ``demand_cycle_count``, ``demand_cycle_jobs``,
        ``cluster_distance_m``, ``accessibility_station_km``, ``accessibility_centre_km``,
        ``fit_floor``, ``fit_vacancy``; then ``score`` (0-1, NaN if excluded), ``rank``
        (Int64, 1 = best, <NA> if excluded; ties share the best rank) and ``explanation``.

    Raises
    ------
    ConfigError
        For negative or all-zero weights.
    InputError
        For an input not in EPSG:28992 or businesses that were not classified.
    """
    s = site_settings(settings)
    language = s.language if s.language in TEXT else "nl"
    weights = resolve_weights(s.weights)
    active = [k for k, w in weights.items() if w > 0]
    require_rd(candidates, "candidates")
    require_rd(businesses, "businesses")

    raw, extra, notes = raw_criteria(candidates, businesses, hexagons, buurten, stations, s)
    reasons, area, missing = _exclusions(candidates, raw, active, s, language)
    excluded = np.array([bool(r) for r in reasons], dtype=bool)
    new: dict[str, object] = {}
    if "buurt_code" in extra.columns:
        new["buurt_code"] = extra["buurt_code"].array
    new["excluded"] = excluded
    new["exclusion_reason"] = pd.array(["; ".join(r) for r in reasons], dtype="string")
    score, norm, separates = _weighted(raw, excluded, weights, s, new)
    for col in extra.columns:
        if col != "buurt_code":
            new[col] = extra[col].to_numpy()
    new["score"] = score
    ranks = pd.Series(score, index=candidates.index).rank(method="min", ascending=False)
    new["rank"] = ranks.round().astype("Int64").array
    records = extra.drop(columns="buurt_code", errors="ignore").to_dict("records")
    new["explanation"] = pd.array(
        explain_sites(
            reasons=reasons,
            missing=missing,
            raw={key: raw[key].to_numpy(dtype=float) for key in CRITERIA},
            norm=norm,
            separates=separates,
            weights=weights,
            extras=[{**r, "floor_area_m2": a} for r, a in zip(records, area, strict=True)],
            s=s,
            language=language,
            notes=notes,
        ),
        dtype="string",
    )
    # one concat instead of ~40 column insertions (each copies the column index)
    kept = candidates.drop(columns=[c for c in new if c in candidates.columns])
    added = pd.DataFrame(new, index=candidates.index)
    return gpd.GeoDataFrame(
        pd.concat([pd.DataFrame(kept), added], axis=1),
        geometry=candidates.geometry.name,
        crs=candidates.crs,
    )
