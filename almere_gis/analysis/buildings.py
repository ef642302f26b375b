"""Existing bedrijfsverzamelgebouwen (multi-tenant business buildings) found in the register.

**The rule.** An address holding at least ``themes.building_min_establishments`` (N, default 5)
establishments is a bedrijfsverzamelgebouw, unless it is a home. An address is one BAG
verblijfsobject (or pand) id where the register gives one (``address_id``), else one
coordinate (:func:`.themes.address_keys`).

**Homes are never buildings.** An address at which *any* establishment is home-based
(``home_based``: the register's flag, or ``woonfunctie`` among the BAG gebruiksdoelen) is a
home, however many registrations it holds: a household with six holding companies at its home
address is a family, not a broedplaats, and a building layer must not point at anyone's home.
The rule is "any", not "most", because the two mistakes are not alike: a real building left out
because one tenant is wrongly flagged costs one point on the map, a home shown as a building
reveals a home. It also fits the BAG: every dwelling is a verblijfsobject of its own, so with
BAG ids a real bedrijfsverzamelgebouw never shares its id with a home; only a register without
ids (grouped by coordinate) can put a home and a building on one point, and then the home wins.

**Privacy.** Buildings are not homes, so their points may be published; their counts follow
the ``min_count`` rule: a building with fewer than ``privacy.min_count`` establishments (only
possible when N is set below it) is ``suppressed`` and stays out of every public layer and of
the site criterion (a distance to it would locate it). The measure columns are named as in the
area tables (``n_*``, ``jobs``, ``share_n_*``), so the privacy rules hide a small sector count
of a building as they do a buurt's.

Pure functions: frames in, frames out, no file access.
"""

from __future__ import annotations

__all__ = ["building_notes", "buildings_within", "distance_to_buildings", "find_buildings"]

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import SchemaError
from .._schema import CRS_RD
from ..io.crs import require_rd
from ..settings import Settings
from ..texts import text
from .classify import OTHER_SECTOR
from .indicators import safe_rate
from .themes import address_keys, maker_flag, sum_by_index

_NEEDED = ("jobs", "home_based", "small_scale", "sbi_division", "sector_group", "buurt_code")


def _require(frame: pd.DataFrame) -> None:
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        raise SchemaError(
            "businesses",
            f"the frame lacks the column(s) {missing}",
            "run classify_businesses and join_businesses first (home_based comes from the "
            "loader: without it homes cannot be told from buildings)",
        )


def _building_addresses(
    businesses: gpd.GeoDataFrame, min_establishments: int
) -> tuple[np.ndarray, int, str, int]:
    """Per establishment its building (0 ..) or -1, and facts about the buildings.

    Also returns the number of buildings, the address method, and the number of home
    addresses with at least ``min_establishments``.
    """
    keys = address_keys(businesses)
    per_address = np.bincount(keys.codes, minlength=keys.n)
    home = businesses["home_based"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    is_home = np.bincount(keys.codes[home], minlength=keys.n) > 0
    large = per_address >= min_establishments
    chosen = large & ~is_home
    number = np.full(keys.n, -1, dtype=np.int64)
    number[chosen] = np.arange(int(chosen.sum()))
    return number[keys.codes], int(chosen.sum()), keys.method, int((large & is_home).sum())


def _main_area(members: pd.DataFrame, building: np.ndarray) -> pd.DataFrame:
    """The buurt (and wijk) most of a building's establishments are in (ties: lowest code)."""
    cols = [c for c in ("buurt_code", "wijk_code") if c in members.columns]
    codes = members[cols].astype("string").fillna("")
    tally = codes.assign(_b=building).groupby(["_b", *cols], sort=True).size()
    tally = tally.rename("_n").reset_index()
    tally = tally.sort_values(["_b", "_n", *cols], ascending=[True, False, *[True] * len(cols)])
    best = tally.drop_duplicates("_b").set_index("_b")[cols]
    return best.replace("", pd.NA)


def _tallies(
    members: gpd.GeoDataFrame, building: np.ndarray, n: int, settings: Settings
) -> pd.DataFrame:
    """Counts, jobs, sector mix and coordinate sums per building."""
    points = np.asarray(members.geometry.array)
    sectors = [g.key for g in settings.classification.sector_groups] + [OTHER_SECTOR]
    group = members["sector_group"].astype("string").fillna(OTHER_SECTOR).to_numpy(dtype=object)
    columns = {
        "n_establishments": np.ones(len(members)),
        "jobs": pd.to_numeric(members["jobs"], errors="coerce").fillna(0).to_numpy(dtype=float),
        "n_small_scale": members["small_scale"].astype(bool).to_numpy(dtype=float),
        "n_maker": maker_flag(members, settings).astype(float),
        **{f"n_{s}": (group == s).astype(float) for s in sectors},
        "_x": shapely.get_x(points),
        "_y": shapely.get_y(points),
    }
    return sum_by_index(building, n, columns)


def find_buildings(businesses: gpd.GeoDataFrame, settings: Settings) -> gpd.GeoDataFrame:
    """The existing bedrijfsverzamelgebouwen of the register (see the module for the rule).

    Parameters
    ----------
    businesses : GeoDataFrame
        Classified and joined businesses (points in EPSG:28992, ``jobs``, ``home_based``,
        ``small_scale``, ``sbi_division``, ``sector_group``, ``buurt_code``), optionally with
        ``address_id`` (BAG verblijfsobject or pand id).
    settings : Settings
        ``themes.building_min_establishments`` (N), the maker divisions, the sector groups and
        ``privacy.min_count``.

    Returns
    -------
    GeoDataFrame
        One point per building (the mean of its establishments' points, which for one
        coordinate is that coordinate), EPSG:28992, sorted by buurt, size (largest first) and
        position: ``building_id`` (``BVG0001``, ...: a number, not derived from the address),
        ``buurt_code`` (and ``wijk_code``) where most of its establishments are,
        ``n_establishments``, ``jobs``, ``n_small_scale``, ``share_n_small_scale``,
        ``n_maker``, ``share_n_maker`` (shares of the building's establishments), ``n_<sector>``
        per sector group (the sector mix), ``suppressed`` (fewer than ``privacy.min_count``).
        ``attrs``: ``address_method`` (:class:`.themes.AddressKeys` method),
        ``min_establishments`` (N) and ``homes_left_out`` (home addresses with N or more
        registrations; a count of homes, for the confidential folder only).
    """
    require_rd(businesses, "businesses")
    _require(businesses)
    n_min = settings.themes.building_min_establishments
    building, n, method, homes = _building_addresses(businesses, n_min)
    inside = building >= 0
    members = businesses.loc[inside]
    sums = _tallies(members, building[inside], n, settings)
    area = _main_area(members, building[inside]).reindex(range(n))
    count = sums["n_establishments"].to_numpy()
    points = shapely.points(sums["_x"] / np.maximum(count, 1), sums["_y"] / np.maximum(count, 1))
    out = pd.DataFrame(area.to_numpy(), columns=area.columns).astype("string")
    for col in sums.columns.drop(["_x", "_y"]):
        out[col] = sums[col].to_numpy().round().astype(np.int64)
    for col in ("n_small_scale", "n_maker"):
        out.insert(out.columns.get_loc(col) + 1, f"share_{col}", safe_rate(out[col], count))
    out["suppressed"] = count < settings.privacy.min_count
    result = gpd.GeoDataFrame(out, geometry=points, crs=CRS_RD)
    order = np.lexsort(
        (
            shapely.get_y(points),
            shapely.get_x(points),
            -count,
            result["buurt_code"].fillna("").to_numpy(dtype=str),
        )
    )
    result = result.iloc[order].reset_index(drop=True)
    result.insert(0, "building_id", [f"BVG{i:04d}" for i in range(1, n + 1)])
    result.attrs.update(address_method=method, min_establishments=n_min, homes_left_out=homes)
    return result


def building_notes(buildings: gpd.GeoDataFrame, language: str = "nl") -> list[str]:
    """The rule the building layer rests on, and what an address is, as sentences."""
    method = buildings.attrs.get("address_method", "coordinate")
    n = buildings.attrs.get("min_establishments", 5)
    return [
        text("themes.building.rule", language, n=n),
        text(f"themes.method.address.{method}", language),
    ]


def _published(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    require_rd(buildings, "buildings")
    if "suppressed" not in buildings.columns:
        return buildings
    return buildings.loc[~buildings["suppressed"].astype(bool).to_numpy()]


def distance_to_buildings(sites: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per candidate site: the distance to the nearest existing building and its size.

    For the site criterion "distance to an existing bedrijfsverzamelgebouw": with
    ``themes.building_direction = "cluster"`` a smaller distance is better (extend a working
    cluster), with ``"avoid"`` a larger one (serve where none exists yet). Only buildings that
    may be published count (not ``suppressed``). Ties go to the lowest ``building_id`` (the
    first row).

    Parameters
    ----------
    sites : GeoDataFrame
        Candidate sites (points or polygons; a polygon's distance is from its outline, 0 for a
        building inside it), EPSG:28992.
    buildings : GeoDataFrame
        From :func:`find_buildings`.

    Returns
    -------
    DataFrame
        Aligned to ``sites.index``: ``building_distance_m`` (NaN without buildings or without
        a site geometry), ``nearest_building_id`` and ``nearest_building_n_establishments``
        (missing then).
    """
    require_rd(sites, "sites")
    shown = _published(buildings)
    geoms = np.asarray(sites.geometry.array)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    dist = np.full(len(sites), np.nan)
    which = np.full(len(sites), -1, dtype=np.int64)
    if len(shown) and ok.any():
        tree = shapely.STRtree(np.asarray(shown.geometry.array))
        (src, tgt), d = tree.query_nearest(geoms[ok], return_distance=True, all_matches=True)
        order = np.lexsort((tgt, src))  # among equal distances, the first building wins
        _, first = np.unique(src[order], return_index=True)
        pick = order[first]
        rows = np.flatnonzero(ok)[src[pick]]
        dist[rows], which[rows] = d[pick], tgt[pick]
    found = which >= 0
    ids = pd.array([pd.NA] * len(sites), dtype="string")
    sizes = pd.array([pd.NA] * len(sites), dtype="Int64")
    if found.any():
        ids[found] = shown["building_id"].to_numpy(dtype=str)[which[found]]
        sizes[found] = shown["n_establishments"].to_numpy(dtype=np.int64)[which[found]]
    return pd.DataFrame(
        {
            "building_distance_m": dist,
            "nearest_building_id": ids,
            "nearest_building_n_establishments": sizes,
        },
        index=sites.index,
    )


def buildings_within(
    hexagons: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, distance_m: float
) -> pd.DataFrame:
    """Which hexagons (e.g. search zones) have an existing building within reach.

    A building is within reach when it lies nearer than ``distance_m`` to the hexagon's
    outline (0 inside it), the distance rule of the search zones; only buildings that may be
    published count.

    Returns
    -------
    DataFrame
        Aligned to ``hexagons.index``: ``n_buildings_within`` (int) and
        ``no_building_within`` (True where small-scale demand has no building within reach).
    """
    require_rd(hexagons, "hexagons")
    shown = _published(buildings)
    geoms = np.asarray(hexagons.geometry.array)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    count = np.zeros(len(hexagons), dtype=np.int64)
    if len(shown) and ok.any():
        points = np.asarray(shown.geometry.array)
        tree = shapely.STRtree(points)
        src, tgt = tree.query(geoms[ok], predicate="dwithin", distance=distance_m)
        near = shapely.distance(geoms[ok][src], points[tgt]) < distance_m  # strictly nearer
        count[np.flatnonzero(ok)] = np.bincount(src[near], minlength=int(ok.sum()))
    return pd.DataFrame(
        {"n_buildings_within": count, "no_building_within": count == 0}, index=hexagons.index
    )
