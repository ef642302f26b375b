"""The criteria: what each one measures, in which unit, and its raw value per site.

See the package docstring (:mod:`almere_gis.analysis.sites`) for the definition of every
criterion. Raw values are in the unit of :data:`CRITERIA`; NaN where a criterion cannot be
computed for a site (never a silent 0).
"""

from __future__ import annotations

__all__ = [
    "CRITERIA",
    "Criterion",
    "criteria_table",
    "direction",
    "nearest_distance",
    "raw_criteria",
    "site_settings",
]

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..._errors import ConfigError, InputError
from ...io.crs import require_rd
from ...settings import SiteSettings
from ...texts import text
from ..buildings import distance_to_buildings

log = logging.getLogger("almere_gis")

# Demand takes sites in chunks: one KD-tree query for all sites at 2.5 km can make
# (sites x businesses nearby) pairs, too many for memory at a million businesses.
_SITE_CHUNK = 64


@dataclass(frozen=True)
class Criterion:
    """One scoring criterion: its key and which way is better.

    Its name, unit and description are in the text catalogue (``texts/sites.toml``:
    ``sites.criterion.<key>.name``, ``.unit``, ``.description``), the one place every output
    reads them from.
    """

    key: str
    direction: str  # "higher" or "lower" is better ("building": set by building_direction)

    def name(self, language: str) -> str:
        """The criterion's one name in ``language`` ("nl" or "en"), with a capital."""
        return text(f"sites.criterion.{self.key}.name", language)

    def label(self, language: str) -> str:
        """The name as it reads inside a sentence (first letter small)."""
        name = self.name(language)
        return name[:1].lower() + name[1:]

    def unit(self, language: str) -> str:
        """The unit of the raw value in ``language``."""
        return text(f"sites.criterion.{self.key}.unit", language)

    def description(self, language: str) -> str:
        """What the criterion measures, in ``language``."""
        return text(f"sites.criterion.{self.key}.description", language)


CRITERIA: Mapping[str, Criterion] = {
    c.key: c
    for c in (
        Criterion("demand_walk", "higher"),
        Criterion("demand_cycle", "higher"),
        Criterion("cluster", "higher"),
        Criterion("accessibility", "lower"),
        Criterion("fit", "higher"),
        Criterion("mix", "higher"),
        Criterion("social", "higher"),
        Criterion("building", "lower"),
    )
}


def direction(key: str, settings: object | None = None) -> str:
    """Which way criterion ``key`` is better: ``"higher"`` or ``"lower"``.

    The building criterion follows ``[themes] building_direction`` when ``settings`` (the whole
    Settings object) is given: ``"cluster"`` = nearer (lower) is better, ``"avoid"`` = farther.
    """
    themes = getattr(settings, "themes", None)
    if key == "building" and themes is not None:
        return "lower" if themes.building_direction == "cluster" else "higher"
    return CRITERIA[key].direction


def criteria_table(language: str = "nl", settings: object | None = None) -> pd.DataFrame:
    """The criteria as a table: key, name, unit, direction, description (for popups/exports).

    ``label`` is the name as it reads inside a sentence; ``direction`` of the building
    criterion follows ``settings`` when given (see :func:`direction`).

    Examples
    --------
    >>> criteria_table("en").set_index("criterion").loc["accessibility", "direction"]
    'lower'
    """
    return pd.DataFrame(
        {
            "criterion": list(CRITERIA),
            "name": [c.name(language) for c in CRITERIA.values()],
            "label": [c.label(language) for c in CRITERIA.values()],
            "unit": [c.unit(language) for c in CRITERIA.values()],
            "direction": [direction(k, settings) for k in CRITERIA],
            "description": [c.description(language) for c in CRITERIA.values()],
        }
    )


def site_settings(settings: object) -> SiteSettings:
    """The ``sites`` section of ``settings`` (the whole Settings object or the section), checked."""
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


def _bool_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        raise InputError(
            "businesses",
            f"column '{column}' is missing",
            "classify the businesses first (almere_gis.classify_businesses)",
        )
    return np.asarray(frame[column].astype("boolean").fillna(False), dtype=bool)


def _pairs_within(
    geoms: np.ndarray, xy: np.ndarray, reach: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (site, business) pair at most ``reach`` apart, with its distance (m).

    KD-trees of the sites and of the business points give every pair within ``reach`` of the
    centre of a site's bounding box, widened for polygon sites by the largest half diagonal
    (for a point site the centre is the point itself: that search is exact). Pairs of polygon
    sites are then measured from the outline (0 inside) and kept when at most ``reach`` away.
    Sites without geometry have no pairs.
    """
    empty = np.zeros(0, dtype=np.int64)
    ok = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if len(xy) == 0 or len(ok) == 0:
        return empty, empty, np.zeros(0)
    tree = cKDTree(xy)
    box = shapely.bounds(geoms[ok])
    centre = np.column_stack([(box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2])
    is_point = shapely.get_type_id(geoms[ok]) == 0
    half = np.hypot(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]) / 2
    widen = float(half[~is_point].max()) if (~is_point).any() else 0.0
    sites, businesses, distances = [], [], []
    for start in range(0, len(ok), _SITE_CHUNK):
        part = np.arange(start, min(start + _SITE_CHUNK, len(ok)))
        found = cKDTree(centre[part]).sparse_distance_matrix(
            tree, reach + widen, output_type="ndarray"
        )
        local = part[found["i"]]
        biz = found["j"].astype(np.int64)
        d = found["v"].astype(float)
        poly = ~is_point[local]
        if poly.any():
            d[poly] = shapely.distance(geoms[ok[local[poly]]], shapely.points(xy[biz[poly]]))
        keep = d <= reach
        sites.append(ok[local[keep]])
        businesses.append(biz[keep])
        distances.append(d[keep])
    return np.concatenate(sites), np.concatenate(businesses), np.concatenate(distances)


def _demand_and_mix(
    geoms: np.ndarray, businesses: gpd.GeoDataFrame, s: SiteSettings
) -> dict[str, np.ndarray]:
    """Counts and jobs of small-scale/home-based work within walk and cycle distance; mix."""
    n = len(geoms)
    small_all = _bool_column(businesses, "small_scale")
    relevant = small_all | _bool_column(businesses, "home_based")
    points = businesses.geometry.to_numpy()
    xy = np.column_stack([shapely.get_x(points), shapely.get_y(points)])
    relevant &= np.isfinite(xy).all(axis=1)
    small = small_all[relevant]
    jobs = pd.to_numeric(businesses["jobs"], errors="coerce").to_numpy(dtype=float)[relevant]
    jobs = np.nan_to_num(jobs, nan=0.0)
    if "sector_group" in businesses.columns:
        sector, _ = pd.factorize(businesses["sector_group"].astype("string").fillna("overig"))
        sector = np.asarray(sector)[relevant]
    else:
        sector = np.zeros(int(relevant.sum()), dtype=np.int64)
    n_sec = int(sector.max()) + 1 if sector.size else 1

    site, biz, dist = _pairs_within(geoms, xy[relevant], max(s.walk_m, s.cycle_m))
    walk = dist <= s.walk_m
    out = {
        "walk_count": np.bincount(site[walk], minlength=n).astype(np.int64),
        "walk_jobs": np.bincount(site[walk], weights=jobs[biz[walk]], minlength=n),
        "cycle_count": np.bincount(site, minlength=n).astype(np.int64),
        "cycle_jobs": np.bincount(site, weights=jobs[biz], minlength=n),
    }
    mixed = walk & small[biz]
    flat = np.bincount(site[mixed] * n_sec + sector[biz[mixed]], minlength=n * n_sec)
    counts = flat.reshape(n, n_sec).astype(float)
    total = counts.sum(axis=1, keepdims=True)
    p = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    logs = np.log(p, out=np.zeros_like(p), where=p > 0)
    out["mix"] = -(p * logs).sum(axis=1) + 0.0  # + 0.0 turns -0.0 into 0.0
    return out


def nearest_distance(geoms: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    from ..join import assign_areas

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


def _column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as floats (NaN where missing or not a number, all NaN when absent)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    values = pd.to_numeric(frame[column], errors="coerce")
    return np.asarray(values.to_numpy(dtype=float, na_value=np.nan), dtype=float)


def _cluster(
    geoms: np.ndarray, hexagons: gpd.GeoDataFrame | None, s: SiteSettings
) -> tuple[np.ndarray, np.ndarray]:
    """The cluster criterion (0-1) and the distance to the nearest hot spot hexagon (m)."""
    n = len(geoms)
    if hexagons is None:
        log.info("no hexagons given: the cluster criterion is missing for every site")
        return np.full(n, np.nan), np.full(n, np.nan)
    require_rd(hexagons, "hexagons")
    if "gi_class" not in hexagons.columns:
        raise InputError(
            "hexagons",
            "column 'gi_class' is missing",
            "add the Gi* classes (almere_gis getis_ord) to the hexagons first",
        )
    hot = hexagons["gi_class"].astype("string").str.startswith("hot_").fillna(False)
    dist, _ = nearest_distance(geoms, hexagons.geometry.to_numpy()[hot.to_numpy(dtype=bool)])
    if not hot.any():
        log.info("no Gi* hot spot hexagon: the cluster criterion is 0 for every site")
        cluster = np.zeros(n)
    elif s.hotspot_near_m > 0:
        cluster = np.clip(1.0 - dist / s.hotspot_near_m, 0.0, 1.0)
    else:
        cluster = (dist <= 0).astype(float)
    no_geom = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    return np.where(no_geom, np.nan, cluster), dist


def _buurt_of_sites(
    geoms: np.ndarray, buurten: gpd.GeoDataFrame | None, extra: dict[str, object]
) -> np.ndarray:
    """Row position of each site's buurt (-1 for none); adds ``buurt_code`` to ``extra``."""
    n = len(geoms)
    if buurten is None:
        return np.full(n, -1, dtype=np.int64)
    require_rd(buurten, "buurten")
    pos = _buurt_lookup(geoms, buurten) if len(buurten) else np.full(n, -1, dtype=np.int64)
    codes = buurten["buurt_code"].astype("string").to_numpy(dtype=object, na_value=None)
    extra["buurt_code"] = pd.array(
        np.where(pos >= 0, codes[np.clip(pos, 0, None)] if len(codes) else None, None),
        dtype="string",
    )
    return pos


def _accessibility(
    geoms: np.ndarray,
    buurten: gpd.GeoDataFrame | None,
    stations: gpd.GeoDataFrame | None,
    pos: np.ndarray,
    extra: dict[str, object],
    notes: dict[str, str],
) -> np.ndarray:
    """Mean distance (km) to a station and to a centre; the components go to ``extra``."""
    n = len(geoms)
    if stations is not None:
        require_rd(stations, "stations")
        station_m, _ = nearest_distance(geoms, stations.geometry.to_numpy())
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
        centre_m, _ = nearest_distance(geoms, centroids)
        centre_km = centre_m / 1000.0
    extra["accessibility_station_km"] = station_km
    extra["accessibility_centre_km"] = centre_km
    if len(centroids):
        notes["accessibility"] = "both"
        return np.asarray((station_km + centre_km) / 2.0, dtype=float)
    if buurten is not None:
        log.warning(
            "no buurt has area_type 'centrum': accessibility uses the station distance alone"
        )
    notes["accessibility"] = "station"
    return np.asarray(station_km, dtype=float)


def _fit(candidates: gpd.GeoDataFrame, s: SiteSettings, extra: dict[str, object]) -> np.ndarray:
    """Mean of the floor-area fit and the vacancy share; the components go to ``extra``."""
    area = _column(candidates, "floor_area_m2")
    share = _column(candidates, "vacancy_share")
    floor_fit = _floor_fit(area, s.target_floor_area_min_m2, s.target_floor_area_max_m2)
    extra["fit_floor"] = floor_fit
    extra["fit_vacancy"] = share
    return np.asarray((floor_fit + np.clip(share, 0.0, 1.0)) / 2.0, dtype=float)


def _building(
    candidates: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    reach_m: float,
    extra: dict[str, object],
    notes: dict[str, str],
) -> np.ndarray:
    """Distance (m) to the nearest published building, counted up to ``reach_m``.

    Beyond the reach every site is alike (no building within reach), so the distance is capped
    there. NaN for every site when no building is known (the criterion then does not count).
    """
    n = len(candidates)
    dist = np.full(n, np.nan)
    if buildings is not None:
        dist = distance_to_buildings(candidates, buildings)["building_distance_m"].to_numpy(
            dtype=float
        )
    known = buildings is not None and bool(np.isfinite(dist).any())
    notes["building"] = "known" if known else "none"
    extra["building_distance_m"] = dist
    if not known:
        return np.full(n, np.nan)
    return np.asarray(np.minimum(dist, reach_m), dtype=float)


def raw_criteria(
    candidates: gpd.GeoDataFrame,
    businesses: gpd.GeoDataFrame,
    hexagons: gpd.GeoDataFrame | None,
    buurten: gpd.GeoDataFrame | None,
    stations: gpd.GeoDataFrame | None,
    s: SiteSettings,
    buildings: gpd.GeoDataFrame | None = None,
    building_reach_m: float = 800.0,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Raw criterion values, their components, and notes for the explanation.

    Returns
    -------
    tuple
        The raw values (one column per criterion of :data:`CRITERIA`), their components
        (``demand_walk_count``, ..., ``buurt_code`` when buurten are given) and notes on how
        accessibility was measured (``{"station": "layer" | "cbs", "accessibility": ...}``)
        and whether buildings were known (``{"building": "known" | "none"}``).
    """
    geoms = candidates.geometry.to_numpy()
    no_geom = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    raw: dict[str, np.ndarray] = {}
    extra: dict[str, object] = {}
    notes: dict[str, str] = {}

    d = _demand_and_mix(geoms, businesses, s)
    for name in ("walk", "cycle"):
        extra[f"demand_{name}_count"] = d[f"{name}_count"]
        extra[f"demand_{name}_jobs"] = d[f"{name}_jobs"]
        raw[f"demand_{name}"] = d[f"{name}_{s.demand_measure}"]
    raw["mix"] = d["mix"]
    raw["cluster"], extra["cluster_distance_m"] = _cluster(geoms, hexagons, s)
    pos = _buurt_of_sites(geoms, buurten, extra)
    raw["accessibility"] = _accessibility(geoms, buurten, stations, pos, extra, notes)
    raw["fit"] = _fit(candidates, s, extra)
    raw["social"] = (
        _buurt_value(buurten, "share_social_minimum", pos)
        if buurten is not None
        else np.full(len(geoms), np.nan)
    )
    raw["building"] = _building(candidates, buildings, building_reach_m, extra, notes)
    for key in ("demand_walk", "demand_cycle", "mix"):
        raw[key] = np.where(no_geom, np.nan, raw[key]).astype(float)
    raw_frame = pd.DataFrame({key: raw[key] for key in CRITERIA}, index=candidates.index)
    return raw_frame, pd.DataFrame(extra, index=candidates.index), notes
