"""Candidate broedplaats sites: explainable multi-criteria scoring, rank stability, search zones.

A planner must be able to defend a shortlist: why this site, what drives its score, and whether
the ranking survives reasonable disagreement about the weights. So every site carries, for every
criterion, its raw value (in the unit of :data:`CRITERIA`), its value normalised to 0-1 and its
weighted contribution to the score, plus a one-line explanation.

Distances
---------
All distances are Euclidean in RD New (EPSG:28992), in metres. Within a city the distances that
matter here are short (800 m walking, 2.5 km cycling), no street network data is needed, and the
KDE surfaces measure distance the same way, so the criteria and the maps agree. Euclidean distance
underestimates the real travel distance where water, a railway or a motorway lies between two
places without a crossing nearby; read scores of sites at such barriers with that in mind. The one
exception is the buurt's CBS distance to a train station, which CBS measures over the road network.

Criteria (see :data:`CRITERIA` for units and directions)
--------------------------------------------------------
demand_walk, demand_cycle
    Small-scale *or* home-based establishments within ``walk_m`` / ``cycle_m`` of the site
    (a polygon site measures from its outline; a business inside it is at distance 0).
    ``demand_measure = "count"`` (default) counts establishments: each is a potential tenant,
    and one 9-person firm does not need nine desks in a broedplaats more than nine zzp'ers do.
    ``"jobs"`` sums their werkzame personen instead. Both figures are always written
    (``demand_walk_count``, ``demand_walk_jobs``, ...). Computed from the business points, not
    from the KDE surface, so the value is an exact count a planner can check.
cluster
    1 when the site touches a Gi* hot spot hexagon (``gi_class`` ``hot_*``), falling linearly to
    0 at ``hotspot_near_m`` from the nearest hot spot hexagon, 0 further away
    (``cluster_distance_m`` holds the distance).
accessibility
    Mean of two distances in km, lower is better: to the nearest train station (the CBS
    ``dist_train_km`` of the buurt the site lies in, or the Euclidean distance to the nearest
    point of a stations layer when one is given) and to the nearest neighbourhood centre, defined
    as the centroid of the nearest buurt whose ``area_type`` is ``"centrum"``. (The centroid of
    the site's own buurt would say nothing about facilities nearby.) When no buurt is typed
    "centrum" the station distance is used alone, and the log says so.
fit
    Mean of a floor-area fit and the vacancy share. Floor-area fit: 1 within the target range
    [``target_floor_area_min_m2``, ``target_floor_area_max_m2``], ``area / min`` below it (0 at
    0 m2), ``max / area`` above it (0.5 at twice the maximum). Vacancy: the vacant share of the
    building (0-1): an empty building can be developed sooner.
mix
    Shannon diversity ``H = -sum p_i ln p_i`` (nats) of ``sector_group`` among the small-scale
    establishments within ``walk_m``. No small-scale establishment nearby gives H = 0 (no mix),
    which is a measured value, not a missing one.
social
    The buurt's CBS share of households at the social minimum (%), higher = more room for social
    entrepreneurship to make a difference. Off by default (weight 0).

Scoring
-------
Hard constraints are filters: a site below ``min_floor_area_m2`` is excluded and keeps its row
with ``excluded = True`` and ``exclusion_reason``. Criteria are normalised over the sites that
are not excluded: ``minmax`` (``(x - min) / (max - min)``) or ``percentile`` (average rank,
``(rank - 1) / (n - 1)``), flipped for lower-is-better criteria. When all sites have the same
value the criterion does not separate them and every site gets 0.5. The score is the weighted
sum of the normalised values with the ``[sites.weights]`` (normalised to sum to 1), so it lies
in 0-1; rank 1 is the best, ties share a rank.

The explanation names the strongest criterion (largest contribution) and the weakest one. The
weakest is the criterion that costs the site most points, ``weight x (1 - norm)``: taking the
smallest contribution instead would nearly always name the criterion with the smallest weight,
whatever the site. Criteria counted as neutral because their value is missing are not chosen
(the explanation lists them separately), nor are criteria on which all sites are equal.

Missing attributes: a criterion that cannot be computed for a site (floor area or vacancy
unknown, site outside every buurt, no hexagons given, ...) is NaN in ``<criterion>_raw``, never a
silent 0. The ``missing`` setting decides what follows: ``"neutral"`` counts it as 0.5 after
normalisation (and the explanation says so), ``"exclude"`` excludes the site with the reason.
Criteria with weight 0 never exclude a site. CBS publishes no station distance for buurten with
few inhabitants (business parks), so sites there miss that part of accessibility unless a
stations layer is given.

Rank stability and search zones
-------------------------------
:func:`rank_stability` re-scores the sites under 1,000 (``draws``) seeded Dirichlet perturbations
of the weights and reports per site the chance of a top-k place, the median rank and its 90 %
interval. :func:`search_zones` lists the Gi* hot spot hexagons with no candidate within
``search_zone_distance_m``: where the municipality should go looking for premises.
"""

from __future__ import annotations

__all__ = [
    "CRITERIA",
    "Criterion",
    "criteria_table",
    "field_descriptions",
    "format_top",
    "rank_stability",
    "resolve_weights",
    "score_sites",
    "search_zones",
]

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats

from .._errors import ConfigError, InputError
from ..io.crs import require_rd
from ..settings import SiteSettings

log = logging.getLogger("almere_gis")

# --------------------------------------------------------------------------------------------
# The criteria table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """One scoring criterion: what it measures, in which unit, and which way is better."""

    key: str
    label_nl: str
    label_en: str
    unit: str
    direction: str  # "higher" or "lower" is better
    description_nl: str
    description_en: str

    def label(self, language: str) -> str:
        """The display label in ``language`` ("nl" or "en")."""
        return self.label_nl if language == "nl" else self.label_en

    def description(self, language: str) -> str:
        """The description in ``language`` ("nl" or "en")."""
        return self.description_nl if language == "nl" else self.description_en


CRITERIA: Mapping[str, Criterion] = {
    c.key: c
    for c in (
        Criterion(
            "demand_walk",
            "vraag op loopafstand",
            "demand within walking distance",
            "vestigingen (of banen, zie demand_measure)",
            "higher",
            "Kleinschalige of aan-huis-vestigingen binnen loopafstand (walk_m, standaard 800 m, "
            "hemelsbreed).",
            "Small-scale or home-based establishments within walking distance (walk_m, default "
            "800 m, straight line).",
        ),
        Criterion(
            "demand_cycle",
            "vraag op fietsafstand",
            "demand within cycling distance",
            "vestigingen (of banen, zie demand_measure)",
            "higher",
            "Kleinschalige of aan-huis-vestigingen binnen fietsafstand (cycle_m, standaard "
            "2.500 m, hemelsbreed).",
            "Small-scale or home-based establishments within cycling distance (cycle_m, default "
            "2,500 m, straight line).",
        ),
        Criterion(
            "cluster",
            "nabijheid hot spot",
            "proximity to a hot spot",
            "0-1",
            "higher",
            "1 in een Gi*-hot-spot-hexagoon, lineair aflopend tot 0 op hotspot_near_m ervandaan.",
            "1 inside a Gi* hot spot hexagon, falling linearly to 0 at hotspot_near_m from one.",
        ),
        Criterion(
            "accessibility",
            "bereikbaarheid",
            "accessibility",
            "km",
            "lower",
            "Gemiddelde afstand tot het dichtstbijzijnde treinstation (CBS-afstand van de buurt "
            "of stationslaag) en tot het dichtstbijzijnde centrum (zwaartepunt van een "
            "centrumbuurt).",
            "Mean distance to the nearest train station (the buurt's CBS distance or a stations "
            "layer) and to the nearest centre (centroid of a centrum buurt).",
        ),
        Criterion(
            "fit",
            "geschiktheid gebouw",
            "building fit",
            "0-1",
            "higher",
            "Gemiddelde van de passendheid van het vloeroppervlak (1 binnen het doelbereik) en "
            "het leegstaande deel van het gebouw.",
            "Mean of the floor-area fit (1 within the target range) and the vacant share of the "
            "building.",
        ),
        Criterion(
            "mix",
            "sectormix",
            "sector mix",
            "Shannon-index (nats)",
            "higher",
            "Shannon-diversiteit van de sectoren van kleinschalige vestigingen op loopafstand.",
            "Shannon diversity of the sectors of small-scale establishments within walking "
            "distance.",
        ),
        Criterion(
            "social",
            "sociale opgave",
            "social need",
            "% huishoudens",
            "higher",
            "Aandeel huishoudens met een inkomen rond het sociaal minimum in de buurt (CBS).",
            "Share of households at the social minimum in the buurt (CBS).",
        ),
    )
}


_TEXT = {
    "nl": {
        "no_geometry": "geen geometrie",
        "geom_type": "geometrietype {t} wordt niet ondersteund (alleen punten en vlakken)",
        "no_id": "site_id ontbreekt",
        "duplicate": "site_id {id} komt al voor in rij {row}",
        "negative_area": "negatief vloeroppervlak ({v} m2)",
        "bad_number": "{col} is geen getal ({v!r})",
        "bad_share": "leegstand {v} ligt niet tussen 0 en 1",
        "outside": "ligt buiten het RD-gebied (verkeerd coördinatenstelsel?)",
        "min_area": "vloeroppervlak {v:.0f} m2 is kleiner dan het minimum van {m:.0f} m2",
        "missing": "{label} ontbreekt",
        "excluded": "Uitgesloten: {reason}.",
        "neutral": "ontbrekend, neutraal gerekend: {labels}",
        "explain": "Sterkst: {strong} ({strong_v}); zwakst: {weak} ({weak_v})",
        "only": "Eén bekend criterium: {strong} ({strong_v})",
        "none_strong": "Nergens sterk; zwakst: {weak} ({weak_v})",
        "none_weak": "Sterkst: {strong} ({strong_v}); nergens zwak",
    },
    "en": {
        "no_geometry": "no geometry",
        "geom_type": "geometry type {t} is not supported (points and polygons only)",
        "no_id": "site_id is missing",
        "duplicate": "site_id {id} already occurs in row {row}",
        "negative_area": "negative floor area ({v} m2)",
        "bad_number": "{col} is not a number ({v!r})",
        "bad_share": "vacancy share {v} is not between 0 and 1",
        "outside": "lies outside the RD extent (wrong coordinate system?)",
        "min_area": "floor area {v:.0f} m2 is below the minimum of {m:.0f} m2",
        "missing": "{label} is missing",
        "excluded": "Excluded: {reason}.",
        "neutral": "missing, counted as neutral: {labels}",
        "explain": "Strongest: {strong} ({strong_v}); weakest: {weak} ({weak_v})",
        "only": "One known criterion: {strong} ({strong_v})",
        "none_strong": "Strong on nothing; weakest: {weak} ({weak_v})",
        "none_weak": "Strongest: {strong} ({strong_v}); weak on nothing",
    },
}

# Demand needs sites in chunks: one STRtree query for all sites at 2.5 km can make
# (sites x businesses nearby) pairs, too many for memory at a million businesses.
_SITE_CHUNK = 64


def criteria_table(language: str = "nl") -> pd.DataFrame:
    """The criteria as a table: key, label, unit, direction, description (for popups/exports).

    Examples
    --------
    >>> criteria_table("en").set_index("criterion").loc["accessibility", "direction"]
    'lower'
    """
    return pd.DataFrame(
        {
            "criterion": list(CRITERIA),
            "label": [c.label(language) for c in CRITERIA.values()],
            "unit": [c.unit for c in CRITERIA.values()],
            "direction": [c.direction for c in CRITERIA.values()],
            "description": [c.description(language) for c in CRITERIA.values()],
        }
    )


def field_descriptions(language: str = "nl") -> dict[str, str]:
    """A description per output column of :func:`score_sites` and :func:`rank_stability`.

    Meant for GeoPackage field descriptions and map popups.
    """
    nl = language == "nl"
    out: dict[str, str] = {
        "site_id": "Locatie-id" if nl else "Site id",
        "name": "Naam" if nl else "Name",
        "site_type": "Type locatie" if nl else "Site type",
        "floor_area_m2": "Vloeroppervlak (m2)" if nl else "Floor area (m2)",
        "vacant_since": "Leeg sinds (jaar)" if nl else "Vacant since (year)",
        "vacancy_share": "Leegstaand deel (0-1)" if nl else "Vacant share (0-1)",
        "ownership": "Eigendom" if nl else "Ownership",
        "buurt_code": "CBS-buurtcode van de locatie" if nl else "CBS buurt code of the site",
        "excluded": "Uitgesloten door een harde eis of ontbrekende gegevens"
        if nl
        else "Excluded by a hard constraint or missing data",
        "exclusion_reason": "Reden van uitsluiting" if nl else "Reason for exclusion",
        "score": "Gewogen score (0-1, hoger is beter)"
        if nl
        else "Weighted score (0-1, higher is better)",
        "rank": "Rang (1 = beste)" if nl else "Rank (1 = best)",
        "explanation": "Toelichting" if nl else "Explanation",
        "p_top_k": "Kans op een plaats in de top k bij gevarieerde gewichten"
        if nl
        else "Probability of a top-k place under perturbed weights",
        "rank_median": "Mediane rang bij gevarieerde gewichten"
        if nl
        else "Median rank under perturbed weights",
        "rank_p05": "5e percentiel van de rang" if nl else "5th percentile of the rank",
        "rank_p95": "95e percentiel van de rang" if nl else "95th percentile of the rank",
        "robust": "Robuust in de top k" if nl else "Robustly in the top k",
    }
    distances = (
        [("walk", "loopafstand"), ("cycle", "fietsafstand")]
        if nl
        else [("walk", "walking"), ("cycle", "cycling")]
    )
    for key, dist in distances:
        out[f"demand_{key}_count"] = (
            f"Kleinschalige of aan-huis-vestigingen op {dist}"
            if nl
            else f"Small-scale or home-based establishments within {dist} distance"
        )
        out[f"demand_{key}_jobs"] = (
            f"Werkzame personen in die vestigingen op {dist}"
            if nl
            else f"Jobs in those establishments within {dist} distance"
        )
    out["cluster_distance_m"] = (
        "Afstand tot de dichtstbijzijnde hot-spot-hexagoon (m)"
        if nl
        else "Distance to the nearest hot spot hexagon (m)"
    )
    out["accessibility_station_km"] = (
        "Afstand tot een treinstation (km)" if nl else "Distance to a train station (km)"
    )
    out["accessibility_centre_km"] = (
        "Afstand tot het zwaartepunt van de dichtstbijzijnde centrumbuurt (km)"
        if nl
        else "Distance to the centroid of the nearest centrum buurt (km)"
    )
    out["fit_floor"] = (
        "Passendheid vloeroppervlak (0-1, 1 = binnen het doelbereik)"
        if nl
        else "Floor-area fit (0-1, 1 = within the target range)"
    )
    out["fit_vacancy"] = "Leegstaand deel (0-1)" if nl else "Vacant share (0-1)"
    out["source_row"] = "Rij in het invoerbestand" if nl else "Row in the input file"
    for key, c in CRITERIA.items():
        direction = (
            ("hoger is beter" if c.direction == "higher" else "lager is beter")
            if nl
            else f"{c.direction} is better"
        )
        out[f"{key}_raw"] = f"{c.label(language)}: {c.unit}, {direction}"
        out[f"{key}_norm"] = (
            f"{c.label(language)}: genormaliseerd 0-1 (1 = beste)"
            if nl
            else f"{c.label(language)}: normalised 0-1 (1 = best)"
        )
        out[f"{key}_contrib"] = (
            f"{c.label(language)}: bijdrage aan de score"
            if nl
            else f"{c.label(language)}: contribution to the score"
        )
    return out


def _fmt_number(value: float, digits: int, language: str) -> str:
    text = f"{value:,.{digits}f}"
    if language == "nl":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


# --------------------------------------------------------------------------------------------


def _site_settings(settings: object) -> SiteSettings:
    """Accept the whole Settings object or its ``sites`` section."""
    sites = getattr(settings, "sites", settings)
    if not isinstance(sites, SiteSettings):
        raise TypeError("settings must be a Settings object or its SiteSettings section")
    if sites.demand_measure not in ("count", "jobs"):
        raise ConfigError(
            f"sites.demand_measure = {sites.demand_measure!r} is not one of ['count', 'jobs']."
        )
    if sites.walk_m <= 0 or sites.cycle_m <= 0:
        raise ConfigError("sites.walk_m and sites.cycle_m must be positive distances in metres.")
    return sites


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


# --------------------------------------------------------------------------------------------
# Criteria
# --------------------------------------------------------------------------------------------


def _bool_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        raise InputError(
            "businesses",
            f"column '{column}' is missing",
            "classify the businesses first (almere_gis.classify_businesses)",
        )
    return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _demand_and_mix(
    geoms: np.ndarray, businesses: gpd.GeoDataFrame, s: SiteSettings
) -> dict[str, np.ndarray]:
    """Counts and jobs of small-scale/home-based work within walk and cycle distance; mix."""
    n = len(geoms)
    relevant = _bool_column(businesses, "small_scale") | _bool_column(businesses, "home_based")
    small = _bool_column(businesses, "small_scale")[relevant]
    points = businesses.geometry.to_numpy()[relevant]
    jobs = pd.to_numeric(businesses["jobs"], errors="coerce").to_numpy(dtype=float)[relevant]
    jobs = np.nan_to_num(jobs, nan=0.0)
    if "sector_group" in businesses.columns:
        sector, _ = pd.factorize(businesses["sector_group"].astype("string").fillna("overig"))
        sector = np.asarray(sector)[relevant]
    else:
        sector = np.zeros(int(relevant.sum()), dtype=np.int64)
    n_sec = int(sector.max()) + 1 if sector.size else 1

    out = {
        "walk_count": np.zeros(n, dtype=np.int64),
        "walk_jobs": np.zeros(n),
        "cycle_count": np.zeros(n, dtype=np.int64),
        "cycle_jobs": np.zeros(n),
    }
    sector_counts = np.zeros(n * n_sec)
    tree = shapely.STRtree(points)
    for start in range(0, n, _SITE_CHUNK):
        chunk = geoms[start : start + _SITE_CHUNK]
        for name, distance in (("walk", s.walk_m), ("cycle", s.cycle_m)):
            site, biz = tree.query(chunk, predicate="dwithin", distance=distance)
            site = site + start
            out[f"{name}_count"] += np.bincount(site, minlength=n)
            out[f"{name}_jobs"] += np.bincount(site, weights=jobs[biz], minlength=n)
            if name == "walk":
                keep = small[biz]
                sector_counts += np.bincount(
                    site[keep] * n_sec + sector[biz[keep]], minlength=n * n_sec
                )
    counts = sector_counts.reshape(n, n_sec)
    total = counts.sum(axis=1, keepdims=True)
    p = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    logs = np.log(p, out=np.zeros_like(p), where=p > 0)
    out["mix"] = -(p * logs).sum(axis=1) + 0.0  # + 0.0 turns -0.0 into 0.0
    return out


def _nearest_distance(geoms: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) from each geometry to the nearest target, and that target's index (-1)."""
    dist = np.full(len(geoms), np.nan)
    which = np.full(len(geoms), -1, dtype=np.int64)
    targets = targets[~(shapely.is_missing(targets) | shapely.is_empty(targets))]
    if len(targets) == 0 or len(geoms) == 0:
        return dist, which
    tree = shapely.STRtree(targets)
    (src, tgt), d = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    dist[src] = d
    which[src] = tgt
    return dist, which


def _buurt_lookup(geoms: np.ndarray, buurten: gpd.GeoDataFrame) -> np.ndarray:
    """Row position in ``buurten`` of the buurt holding each site (-1 for none)."""
    from .join import assign_areas

    codes = buurten["buurt_code"].astype("string").fillna("").to_numpy(dtype=str)
    order = np.argsort(codes, kind="stable")  # lowest code wins on shared boundaries
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    pts = np.full(len(geoms), None, dtype=object)
    pts[ok] = shapely.point_on_surface(geoms[ok])
    x = np.where(ok, shapely.get_x(pts), np.nan)
    y = np.where(ok, shapely.get_y(pts), np.nan)
    idx = assign_areas(x, y, buurten.geometry.to_numpy()[order])
    return np.where(idx >= 0, order[np.clip(idx, 0, None)], -1)


def _buurt_value(buurten: gpd.GeoDataFrame, column: str, pos: np.ndarray) -> np.ndarray:
    if column not in buurten.columns:
        return np.full(len(pos), np.nan)
    values = pd.to_numeric(buurten[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(pos >= 0, values[np.clip(pos, 0, None)], np.nan)


def _floor_fit(area: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """1 within [lo, hi], area / lo below (0 at 0), hi / area above; NaN stays NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        below = np.where(lo > 0, area / lo, 1.0)
        above = np.where(area > 0, hi / area, 1.0)
    fit = np.where(area < lo, below, np.where(area > hi, above, 1.0))
    return np.where(np.isnan(area), np.nan, np.clip(fit, 0.0, 1.0))


def _raw_criteria(
    candidates: gpd.GeoDataFrame,
    businesses: gpd.GeoDataFrame,
    hexagons: gpd.GeoDataFrame | None,
    buurten: gpd.GeoDataFrame | None,
    stations: gpd.GeoDataFrame | None,
    s: SiteSettings,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Raw criterion values, their components, and notes for the explanation."""
    geoms = candidates.geometry.to_numpy()
    n = len(geoms)
    no_geom = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    raw: dict[str, np.ndarray] = {}
    extra: dict[str, object] = {}
    notes: dict[str, str] = {}

    d = _demand_and_mix(geoms, businesses, s)
    measure = "count" if s.demand_measure == "count" else "jobs"
    for name in ("walk", "cycle"):
        extra[f"demand_{name}_count"] = d[f"{name}_count"]
        extra[f"demand_{name}_jobs"] = d[f"{name}_jobs"]
        raw[f"demand_{name}"] = d[f"{name}_{measure}"]
    raw["mix"] = d["mix"]

    if hexagons is None:
        log.info("no hexagons given: the cluster criterion is missing for every site")
        raw["cluster"] = np.full(n, np.nan)
        extra["cluster_distance_m"] = np.full(n, np.nan)
    else:
        require_rd(hexagons, "hexagons")
        if "gi_class" not in hexagons.columns:
            raise InputError(
                "hexagons",
                "column 'gi_class' is missing",
                "add the Gi* classes (almere_gis getis_ord) to the hexagons first",
            )
        hot = hexagons["gi_class"].astype("string").str.startswith("hot_").fillna(False)
        dist, _ = _nearest_distance(geoms, hexagons.geometry.to_numpy()[hot.to_numpy(dtype=bool)])
        if not hot.any():
            log.info("no Gi* hot spot hexagon: the cluster criterion is 0 for every site")
            cluster = np.zeros(n)
        elif s.hotspot_near_m > 0:
            cluster = np.clip(1.0 - dist / s.hotspot_near_m, 0.0, 1.0)
        else:
            cluster = (dist <= 0).astype(float)
        raw["cluster"] = np.where(no_geom, np.nan, cluster)
        extra["cluster_distance_m"] = dist

    pos = (
        _buurt_lookup(geoms, buurten)
        if buurten is not None and len(buurten)
        else np.full(n, -1, dtype=np.int64)
    )
    if buurten is not None:
        require_rd(buurten, "buurten")
        codes = buurten["buurt_code"].astype("string").to_numpy(dtype=object, na_value=None)
        extra["buurt_code"] = pd.array(
            np.where(pos >= 0, codes[np.clip(pos, 0, None)] if len(codes) else None, None),
            dtype="string",
        )
    if stations is not None:
        require_rd(stations, "stations")
        station_m, _ = _nearest_distance(geoms, stations.geometry.to_numpy())
        station_km = station_m / 1000.0
        notes["station"] = "layer"
    elif buurten is not None:
        station_km = _buurt_value(buurten, "dist_train_km", pos)
        notes["station"] = "cbs"
    else:
        station_km = np.full(n, np.nan)
    centre_km = np.full(n, np.nan)
    centroids = np.array([], dtype=object)
    if buurten is not None and "area_type" in buurten.columns:
        is_centre = (buurten["area_type"].astype("string") == "centrum").fillna(False)
        centroids = shapely.centroid(buurten.geometry.to_numpy()[is_centre.to_numpy(dtype=bool)])
        centre_m, _ = _nearest_distance(geoms, centroids)
        centre_km = centre_m / 1000.0
    if len(centroids):
        raw["accessibility"] = (station_km + centre_km) / 2.0
        notes["accessibility"] = "both"
    else:
        if buurten is not None:
            log.warning(
                "no buurt has area_type 'centrum': accessibility uses the station distance alone"
            )
        raw["accessibility"] = station_km
        notes["accessibility"] = "station"
    extra["accessibility_station_km"] = station_km
    extra["accessibility_centre_km"] = centre_km

    area = (
        pd.to_numeric(candidates["floor_area_m2"], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        if "floor_area_m2" in candidates.columns
        else np.full(n, np.nan)
    )
    share = (
        pd.to_numeric(candidates["vacancy_share"], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        if "vacancy_share" in candidates.columns
        else np.full(n, np.nan)
    )
    floor_fit = _floor_fit(area, s.target_floor_area_min_m2, s.target_floor_area_max_m2)
    raw["fit"] = (floor_fit + np.clip(share, 0.0, 1.0)) / 2.0
    extra["fit_floor"] = floor_fit
    extra["fit_vacancy"] = share

    raw["social"] = (
        _buurt_value(buurten, "share_social_minimum", pos)
        if buurten is not None
        else np.full(n, np.nan)
    )

    for key in ("demand_walk", "demand_cycle", "mix"):
        raw[key] = np.where(no_geom, np.nan, raw[key]).astype(float)
    raw_frame = pd.DataFrame({key: raw[key] for key in CRITERIA}, index=candidates.index)
    return raw_frame, pd.DataFrame(extra, index=candidates.index), notes


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


def _describe(
    key: str,
    raw: float,
    extra: Mapping[str, Any],
    s: SiteSettings,
    language: str,
    notes: dict[str, str],
) -> str:
    """The raw value of one criterion as a short phrase with its unit."""
    nl = language == "nl"
    if not np.isfinite(raw):
        return "onbekend, neutraal gerekend" if nl else "unknown, counted as neutral"
    num = _fmt_number
    if key in ("demand_walk", "demand_cycle"):
        dist = s.walk_m if key == "demand_walk" else s.cycle_m
        one = round(raw) == 1
        if s.demand_measure == "count":
            what = (
                ("vestiging" if one else "vestigingen") if nl else "establishment" + "s" * (not one)
            )
        else:
            what = ("baan" if one else "banen") if nl else "job" + "s" * (not one)
        within = "binnen" if nl else "within"
        return f"{num(raw, 0, language)} {what} {within} {num(dist, 0, language)} m"
    if key == "cluster":
        d = float(extra.get("cluster_distance_m", np.nan))
        if not np.isfinite(d) or raw <= 0:
            return "geen hot spot dichtbij" if nl else "no hot spot nearby"
        if d <= 0:
            return "in een hot spot" if nl else "in a hot spot"
        return f"{num(d, 0, language)} m {'van een hot spot' if nl else 'from a hot spot'}"
    if key == "accessibility":
        if notes.get("accessibility") == "both":
            tail = "gemiddeld tot station en centrum" if nl else "on average to station and centre"
        else:
            tail = "tot een station" if nl else "to a station"
        return f"{num(raw, 1, language)} km {tail}"
    if key == "fit":
        area = float(extra.get("floor_area_m2", np.nan))
        share = float(extra.get("fit_vacancy", np.nan))
        vacant = "leeg" if nl else "vacant"
        return f"{num(area, 0, language)} m2, {num(share * 100, 0, language)} % {vacant}"
    if key == "mix":
        return f"Shannon {num(raw, 2, language)}"
    if key == "social":
        tail = "op het sociaal minimum" if nl else "at the social minimum"
        return f"{num(raw, 1, language)} % {tail}"
    return num(raw, 2, language)


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


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
    s = _site_settings(settings)
    language = s.language if s.language in _TEXT else "nl"
    text = _TEXT[language]
    weights = resolve_weights(s.weights)
    active = [k for k, w in weights.items() if w > 0]
    require_rd(candidates, "candidates")
    require_rd(businesses, "businesses")

    raw, extra, notes = _raw_criteria(candidates, businesses, hexagons, buurten, stations, s)
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
    excluded = np.array([bool(r) for r in reasons], dtype=bool)

    new: dict[str, object] = {}
    if "buurt_code" in extra.columns:
        new["buurt_code"] = extra["buurt_code"].array
    new["excluded"] = excluded
    new["exclusion_reason"] = pd.array(["; ".join(r) for r in reasons], dtype="string")
    score = np.zeros(n)
    norm_all: dict[str, np.ndarray] = {}
    separates: dict[str, bool] = {}
    eligible = ~excluded
    for key, crit in CRITERIA.items():
        values = raw[key].to_numpy(dtype=float)
        norm = np.full(n, np.nan)
        norm[eligible] = _normalise(values[eligible], s.normalisation, crit.direction)
        if key in active:
            norm[eligible & np.isnan(norm)] = 0.5  # missing = neutral (policy "neutral")
        contrib = np.where(eligible, np.nan_to_num(norm, nan=0.0) * weights[key], np.nan)
        score = score + np.nan_to_num(contrib, nan=0.0)
        norm_all[key] = norm
        finite = values[eligible & np.isfinite(values)]
        separates[key] = finite.size > 1 and bool(finite.min() < finite.max())
        new[f"{key}_raw"] = values
        new[f"{key}_norm"] = norm
        new[f"{key}_contrib"] = contrib
    for col in extra.columns:
        if col != "buurt_code":
            new[col] = extra[col].to_numpy()
    score = np.where(excluded, np.nan, score)
    new["score"] = score
    ranks = pd.Series(score, index=candidates.index).rank(method="min", ascending=False)
    new["rank"] = ranks.round().astype("Int64").array
    records = extra.drop(columns="buurt_code", errors="ignore").to_dict("records")
    raw_values = {key: raw[key].to_numpy(dtype=float) for key in CRITERIA}
    explanations: list[str] = []
    # One short line per site: sites number in the hundreds, never a path over all businesses.
    for i in range(n):
        if excluded[i]:
            explanations.append(text["excluded"].format(reason="; ".join(reasons[i])))
            continue
        contrib = np.array([weights[k] * norm_all[k][i] for k in active])
        lost = np.array([weights[k] * (1.0 - norm_all[k][i]) for k in active])
        row_extra = {**records[i], "floor_area_m2": area[i]}

        def phrase(j: int, i: int = i, row_extra: dict = row_extra) -> str:
            key = active[j]
            return _describe(key, raw_values[key][i], row_extra, s, language, notes)

        # Imputed (neutral) criteria and criteria on which all sites are equal say nothing
        # about this site: choose among the others.
        known = np.flatnonzero(~missing[i])
        telling = known[[separates[active[j]] for j in known]] if len(known) else known
        if len(telling) >= 2:
            known = telling
        gaps = [CRITERIA[active[j]].label(language) for j in np.flatnonzero(missing[i])]
        parts = []
        if len(known) == 1:
            j = int(known[0])
            parts.append(
                text["only"].format(strong=CRITERIA[active[j]].label(language), strong_v=phrase(j))
            )
        elif len(known) > 1 and contrib[known].max() <= 0:
            weak = int(known[np.argmax(lost[known])])
            parts.append(
                text["none_strong"].format(
                    weak=CRITERIA[active[weak]].label(language), weak_v=phrase(weak)
                )
            )
        elif len(known) > 1:
            strong = int(known[np.argmax(contrib[known])])
            lost[strong] = -np.inf  # the weakest is another criterion than the strongest
            weak = int(known[np.argmax(lost[known])])
            strong_text = CRITERIA[active[strong]].label(language)
            if lost[weak] <= 0:
                parts.append(text["none_weak"].format(strong=strong_text, strong_v=phrase(strong)))
            else:
                parts.append(
                    text["explain"].format(
                        strong=strong_text,
                        strong_v=phrase(strong),
                        weak=CRITERIA[active[weak]].label(language),
                        weak_v=phrase(weak),
                    )
                )
        if gaps:
            parts.append(text["neutral"].format(labels=", ".join(gaps)))
        line = "; ".join(parts) + "."
        explanations.append(line)
    new["explanation"] = pd.array(explanations, dtype="string")
    # one concat instead of ~40 column insertions (each copies the column index)
    kept = candidates.drop(columns=[c for c in new if c in candidates.columns])
    added = pd.DataFrame(new, index=candidates.index)
    return gpd.GeoDataFrame(
        pd.concat([pd.DataFrame(kept), added], axis=1),
        geometry=candidates.geometry.name,
        crs=candidates.crs,
    )


# --------------------------------------------------------------------------------------------
# Rank stability
# --------------------------------------------------------------------------------------------


def rank_stability(
    scored: pd.DataFrame,
    *,
    settings: object,
    draws: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """How stable each site's rank is when planners disagree about the weights.

    Weight vectors are drawn from a Dirichlet distribution centred on the configured weights
    (``alpha = concentration * w`` for the criteria with a positive weight; a higher
    concentration means less disagreement). Every draw re-scores all eligible sites from their
    normalised criteria (one ``draws x sites`` matrix product) and ranks them.

    Parameters
    ----------
    scored
        Output of :func:`score_sites`.
    settings
        The Settings object (or its ``sites`` section): weights, ``top_k``, ``draws``,
        ``concentration``, ``seed``, ``robust_probability``.
    draws, seed
        Override the settings' number of draws and seed.

    Returns
    -------
    DataFrame
        Aligned to ``scored.index``: ``site_id``, ``p_top_k`` (share of draws with rank <=
        top_k), ``rank_median``, ``rank_p05``, ``rank_p95`` (the 90 % interval of the rank) and
        ``robust`` (``p_top_k >= robust_probability``). NaN and False for excluded sites.

    Examples
    --------
    The same seed gives the same table; see ``tests/test_sites.py``.
    """
    s = _site_settings(settings)
    weights = resolve_weights(s.weights)
    active = [k for k, w in weights.items() if w > 0]
    n_draws = int(draws if draws is not None else s.draws)
    rng = np.random.default_rng(s.seed if seed is None else seed)
    if n_draws < 1:
        raise ConfigError("sites.draws must be at least 1.")
    if s.concentration <= 0:
        raise ConfigError("sites.concentration must be positive.")

    eligible = ~scored["excluded"].astype(bool).to_numpy()
    norm = scored[[f"{k}_norm" for k in active]].to_numpy(dtype=float)[eligible]
    norm = np.nan_to_num(norm, nan=0.5)
    m = norm.shape[0]
    out = pd.DataFrame(
        {
            "site_id": scored["site_id"].to_numpy() if "site_id" in scored else scored.index,
            "p_top_k": np.nan,
            "rank_median": np.nan,
            "rank_p05": np.nan,
            "rank_p95": np.nan,
            "robust": False,
        },
        index=scored.index,
    )
    if m == 0:
        return out
    alpha = s.concentration * np.array([weights[k] for k in active])
    w = rng.dirichlet(alpha, size=n_draws) if len(active) > 1 else np.ones((n_draws, 1))
    scores = w @ norm.T  # draws x sites
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, m + 1)[None, :].repeat(n_draws, axis=0), axis=1)
    p_top = (ranks <= s.top_k).mean(axis=0)
    q05, q50, q95 = np.percentile(ranks, [5, 50, 95], axis=0)
    out.loc[eligible, "p_top_k"] = p_top
    out.loc[eligible, "rank_median"] = q50
    out.loc[eligible, "rank_p05"] = q05
    out.loc[eligible, "rank_p95"] = q95
    out.loc[eligible, "robust"] = p_top >= s.robust_probability
    out["robust"] = out["robust"].astype(bool)
    return out


# --------------------------------------------------------------------------------------------
# Search zones
# --------------------------------------------------------------------------------------------


def search_zones(
    hexagons: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    distance_m: float,
    class_columns: Sequence[str] | None = None,
    ignore_excluded: bool = True,
    mask_suppressed: bool = False,
) -> gpd.GeoDataFrame:
    """Hot spot hexagons with no candidate site within ``distance_m``: where to go looking.

    Parameters
    ----------
    hexagons
        Hexagons (``hex_id``, counts, ``suppressed``, geometry) with Gi* classes of small-scale
        or home-based work, EPSG:28992.
    candidates
        Candidate sites (loaded or scored), EPSG:28992.
    distance_m
        A hexagon with a candidate nearer than this (hexagon outline to site) is covered.
    class_columns
        Columns holding Gi* classes; a hexagon is a hot spot when any of them is ``hot_*``.
        Default: every column whose name starts with ``gi_class``.
    ignore_excluded
        Leave out candidates with ``excluded == True`` (too small to be premises).
    mask_suppressed
        Blank the ``count_*``/``jobs_*``/``n_*`` columns of suppressed hexagons (for sharing);
        the ``suppressed`` flag is always kept.

    Returns
    -------
    GeoDataFrame
        The qualifying hexagons (original index, all their columns) plus ``nearest_site_id``
        and ``nearest_candidate_m`` (NaN when there are no candidates).
    """
    require_rd(hexagons, "hexagons")
    require_rd(candidates, "candidates")
    if class_columns is None:
        class_columns = [c for c in hexagons.columns if str(c).startswith("gi_class")]
    if not class_columns:
        raise InputError(
            "hexagons",
            "no Gi* class column (gi_class)",
            "add the Gi* classes (almere_gis getis_ord) to the hexagons first",
        )
    hot = np.zeros(len(hexagons), dtype=bool)
    for col in class_columns:
        hot |= (
            hexagons[col].astype("string").str.startswith("hot_").fillna(False).to_numpy(dtype=bool)
        )
    sites = candidates
    if ignore_excluded and "excluded" in sites.columns:
        sites = sites.loc[~sites["excluded"].astype(bool).to_numpy()]
    dist, which = _nearest_distance(hexagons.geometry.to_numpy(), sites.geometry.to_numpy())
    covered = np.isfinite(dist) & (dist < distance_m)
    keep = hot & ~covered
    out = hexagons.loc[keep].copy()
    ids = (
        sites["site_id"].astype("string").to_numpy(dtype=object, na_value=None)
        if "site_id" in sites.columns
        else np.asarray(sites.index, dtype=object)
    )
    nearest = np.where(
        which[keep] >= 0, ids[np.clip(which[keep], 0, None)] if len(ids) else None, None
    )
    out["nearest_site_id"] = pd.array(nearest, dtype="string")
    out["nearest_candidate_m"] = dist[keep]
    if mask_suppressed and "suppressed" in out.columns:
        sup = out["suppressed"].astype(bool).to_numpy()
        for col in out.columns:
            if str(col).startswith(("count_", "jobs_", "n_")):
                out[col] = out[col].astype("Float64").mask(sup)
    return out


# --------------------------------------------------------------------------------------------
# CLI summary
# --------------------------------------------------------------------------------------------


def format_top(scored: pd.DataFrame, k: int, language: str = "nl") -> object:
    """The top ``k`` sites as a rich Table (what ``almere-gis run`` prints).

    Columns: rank, site id, name, score, and when present the rank stability (``p_top_k``,
    ``robust``), then the explanation. ``str(table)`` is not useful; print it with a rich
    Console, or use ``rich.console.Console().export_text()`` in tests.
    """
    from rich.table import Table

    nl = language == "nl"
    eligible = scored.loc[~scored["excluded"].astype(bool)].sort_values(
        ["rank", "site_id"], kind="stable"
    )
    top = eligible.head(int(k))
    n_excl = int(scored["excluded"].astype(bool).sum())
    title = (
        f"Top {len(top)} kandidaatlocaties ({len(eligible)} gescoord, {n_excl} uitgesloten)"
        if nl
        else f"Top {len(top)} candidate sites ({len(eligible)} scored, {n_excl} excluded)"
    )
    table = Table(title=title)
    table.add_column("#" if nl else "rank", justify="right")
    table.add_column("id")
    table.add_column("naam" if nl else "name")
    table.add_column("score", justify="right")
    stable = "p_top_k" in top.columns
    if stable:
        table.add_column("kans top k" if nl else "P(top k)", justify="right")
    table.add_column("toelichting" if nl else "explanation")
    for _, row in top.iterrows():
        cells = [
            str(row["rank"]),
            str(row["site_id"]),
            "" if pd.isna(row.get("name", pd.NA)) else str(row["name"]),
            _fmt_number(float(row["score"]), 2, language),
        ]
        if stable:
            p = float(row["p_top_k"])
            mark = " *" if bool(row.get("robust", False)) else ""
            cells.append(f"{_fmt_number(p * 100, 0, language)} %{mark}")
        cells.append(str(row["explanation"]))
        table.add_row(*cells)
    if stable:
        table.caption = (
            "* robuust: vaak in de top k bij gevarieerde gewichten"
            if nl
            else "* robust: often in the top k under perturbed weights"
        )
    return table
