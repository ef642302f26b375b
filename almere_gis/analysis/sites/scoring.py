"""Scoring: hard constraints, normalisation, weights, the score, the rank and the explanation."""

from __future__ import annotations

__all__ = ["resolve_weights", "score_sites", "site_notes", "used_weights"]

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
from ...texts import text
from ...texts.format import number, percent
from .criteria import CRITERIA, direction, raw_criteria, site_settings
from .explain import explain_sites, full_settings

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


def used_weights(configured: Mapping[str, float], not_counted: list[str]) -> dict[str, float]:
    """The weights the score uses: ``configured`` without ``not_counted``, summing to 1.

    Raises
    ------
    ConfigError
        When only criteria that cannot be counted have a weight.
    """
    kept = {k: (0.0 if k in not_counted else w) for k, w in configured.items()}
    total = sum(kept.values())
    if total <= 0:
        raise ConfigError(
            f"sites.weights: only {', '.join(not_counted)} has a weight, and it cannot be "
            "counted in this run (no existing buildings known). Fix: give another criterion "
            "a positive weight."
        )
    return {k: w / total for k, w in kept.items()}


def _exclusions(
    candidates: gpd.GeoDataFrame,
    raw: pd.DataFrame,
    active: list[str],
    s: SiteSettings,
) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """Per site its exclusion reasons, the floor area, and the missing-value mask."""
    lang = s.language
    n = len(candidates)
    reasons: list[list[str]] = [[] for _ in range(n)]
    geoms = candidates.geometry.to_numpy()
    no_geom = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(no_geom).tolist():
        reasons[i].append(text("sites.reason.no_geometry", lang))
    area = (
        pd.to_numeric(candidates["floor_area_m2"], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        if "floor_area_m2" in candidates.columns
        else np.full(n, np.nan)
    )
    minimum = number(s.min_floor_area_m2, 0, lang)
    for i in np.flatnonzero(area < s.min_floor_area_m2).tolist():
        small = number(area[i], 0, lang)
        reasons[i].append(text("sites.reason.min_area", lang, area=small, minimum=minimum))
    missing = raw[active].isna().to_numpy()
    for key in active:
        if raw[key].isna().all() and n:
            log.warning("criterion %s is missing for every site (policy: %s)", key, s.missing)
    if s.missing == "exclude":
        # a site without geometry misses every location criterion: one reason says it all
        for i, j in zip(*np.nonzero(missing & ~no_geom[:, None]), strict=True):
            name = CRITERIA[active[j]].label(lang)
            reasons[i].append(text("sites.reason.missing", lang, name=name))
    return reasons, area, missing


def _weighted(
    raw: pd.DataFrame,
    excluded: np.ndarray,
    weights: Mapping[str, float],
    settings: object,
    new: dict[str, object],
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, bool]]:
    """The score, the normalised values and whether each criterion separates the sites.

    Adds ``<criterion>_raw``, ``_norm``, ``_contrib`` and ``weight_<criterion>`` to ``new``.
    """
    method = site_settings(settings).normalisation
    n = len(raw)
    score = np.zeros(n)
    norm_all: dict[str, np.ndarray] = {}
    separates: dict[str, bool] = {}
    eligible = ~excluded
    for key in CRITERIA:
        values = raw[key].to_numpy(dtype=float)
        norm = np.full(n, np.nan)
        norm[eligible] = _normalise(values[eligible], method, direction(key, settings))
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
    for key in CRITERIA:
        new[f"weight_{key}"] = np.full(n, weights[key])
    return np.where(excluded, np.nan, score), norm_all, separates


def site_notes(scored: pd.DataFrame, settings: object, language: str | None = None) -> list[str]:
    """Sentences for the run summary about the weights a scoring used.

    One when the configured ``[sites.weights]`` do not sum to 1 (the score uses them rescaled:
    the ``weight_<criterion>`` columns), one when the building criterion has a weight but was
    not counted because no existing building is known.

    Examples
    --------
    >>> from almere_gis import load_settings
    >>> s = load_settings()
    >>> site_notes(pd.DataFrame({"weight_building": [0.1]}), s)
    []
    """
    s = site_settings(settings)
    lang = language or s.language
    configured = {key: float(getattr(s.weights, key, 0.0)) for key in CRITERIA}
    total = sum(configured.values())
    out = []
    if not np.isclose(total, 1.0, rtol=0, atol=1e-9):
        out.append(text("sites.note.weights_rescaled", lang, total=percent(total, 0, lang)))
    used = scored["weight_building"] if "weight_building" in scored.columns else pd.Series()
    if configured["building"] > 0 and len(used) and bool((used == 0).all()):
        name = CRITERIA["building"].name(lang)
        out.append(text("sites.note.building_not_counted", lang, name=name))
    return out


def score_sites(
    candidates: gpd.GeoDataFrame,
    businesses: gpd.GeoDataFrame,
    *,
    hexagons: gpd.GeoDataFrame | None,
    buurten: gpd.GeoDataFrame | None,
    settings: object,
    stations: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
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
    buildings
        Existing bedrijfsverzamelgebouwen (:func:`almere_gis.analysis.buildings.find_buildings`)
        for the building criterion, or None: the criterion then does not count (its weight
        is left out and the others rescaled, so the score is the one without it) and every
        explanation says so.

    Returns
    -------
    GeoDataFrame
        A copy of ``candidates`` (same index) plus ``buurt_code``, ``excluded`` (bool),
        ``exclusion_reason`` (str, "" when not excluded), for every criterion ``c``:
        ``c_raw`` (unit of the criterion, NaN when missing), ``c_norm`` (0-1, 1 = best),
        ``c_contrib`` (weight x norm); the components ``demand_walk_count``,
        ``demand_walk_jobs``, ``demand_cycle_count``, ``demand_cycle_jobs``,
        ``cluster_distance_m``, ``accessibility_station_km``, ``accessibility_centre_km``,
        ``fit_floor``, ``fit_vacancy``, ``building_distance_m``; ``weight_<c>`` (the share of
        criterion ``c`` in the score, summing to 1 over the criteria); then ``score`` (0-1,
        NaN if excluded), ``rank`` (Int64, 1 = best, <NA> if excluded; ties share the best
        rank) and ``explanation``.

    Raises
    ------
    ConfigError
        For negative or all-zero weights.
    InputError
        For an input not in EPSG:28992 or businesses that were not classified.
    """
    s = site_settings(settings)
    configured = resolve_weights(s.weights)
    require_rd(candidates, "candidates")
    require_rd(businesses, "businesses")
    reach = full_settings(settings).themes.building_reach_m
    raw, extra, notes = raw_criteria(
        candidates, businesses, hexagons, buurten, stations, s, buildings, reach
    )
    not_counted = ["building"] if notes["building"] == "none" and configured["building"] else []
    weights = used_weights(configured, not_counted)
    active = [k for k, w in weights.items() if w > 0]
    reasons, area, missing = _exclusions(candidates, raw, active, s)
    excluded = np.array([bool(r) for r in reasons], dtype=bool)
    new: dict[str, object] = {}
    if "buurt_code" in extra.columns:
        new["buurt_code"] = extra["buurt_code"].array
    new["excluded"] = excluded
    new["exclusion_reason"] = pd.array(["; ".join(r) for r in reasons], dtype="string")
    score, norm, separates = _weighted(raw, excluded, weights, settings, new)
    for col in extra.columns.drop("buurt_code", errors="ignore"):
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
            settings=settings,
            notes=notes,
            not_counted=not_counted,
        ),
        dtype="string",
    )
    # one concat instead of ~50 column insertions (each copies the column index)
    kept = candidates.drop(columns=[c for c in new if c in candidates.columns])
    added = pd.DataFrame(new, index=candidates.index)
    return gpd.GeoDataFrame(
        pd.concat([pd.DataFrame(kept), added], axis=1),
        geometry=candidates.geometry.name,
        crs=candidates.crs,
    )
