"""A hexagon grid over the study area, with counts and jobs per hexagon.

Hexagons are **flat-topped** (a horizontal edge at the top and the bottom). ``size_m`` is the
distance between opposite flat sides (top to bottom), so a hexagon's circumradius (centre to
corner) is ``size_m / sqrt(3)`` and its full area ``sqrt(3) / 2 * size_m^2`` (about 5.4 ha for
the default 250 m).

The lattice is anchored at the RD New origin: column ``q`` has its centres at
``x = 1.5 * R * q`` and row ``r`` at ``y = size_m * r``, shifted up by half a hexagon in odd
columns. ``hex_id`` is ``"H{q:04d}_{r:04d}"``, so the same hexagon gets the same id in every run
and in every study area that uses the same size. Hexagons are clipped to the study area; those
that only touch it are dropped.
"""

from __future__ import annotations

__all__ = ["hex_counts", "hex_grid"]

import logging
import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._schema import CRS_RD
from .join import assign_areas

log = logging.getLogger("almere_gis")

_SQRT3 = math.sqrt(3.0)
_FLAG_COLUMNS = ("small_scale", "home_based", "zzp")


def _study_geometry(study_area: Any) -> shapely.Geometry:
    """One (multi)polygon in EPSG:28992 from a GeoDataFrame, GeoSeries or shapely geometry."""
    if isinstance(study_area, gpd.GeoDataFrame | gpd.GeoSeries):
        if study_area.crs is None:
            raise ValueError("the study area has no CRS. Fix: set it, e.g. .set_crs('EPSG:28992')")
        if not study_area.crs.equals(CRS_RD):
            log.info("Reprojecting the study area from %s to %s", study_area.crs, CRS_RD)
            study_area = study_area.to_crs(CRS_RD)
        geom = shapely.union_all(np.asarray(study_area.geometry.array))
    elif isinstance(study_area, shapely.Geometry):
        geom = study_area
    else:
        raise TypeError(
            f"study_area must be a GeoDataFrame, GeoSeries or shapely geometry, "
            f"got {type(study_area).__name__}"
        )
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    if shapely.is_empty(geom) or shapely.area(geom) <= 0:
        raise ValueError("the study area is empty or has no area. Fix: pass polygons")
    return geom


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygon parts of each geometry (clipping can add lines and points)."""
    types = shapely.get_type_id(geoms)
    odd = np.flatnonzero(~np.isin(types, (3, 6)))  # not Polygon / MultiPolygon
    if odd.size == 0:
        return geoms
    parts, owner = shapely.get_parts(geoms[odd], return_index=True)
    is_poly = shapely.get_type_id(parts) == 3
    out = geoms.copy()
    fixed = np.full(odd.size, None, dtype=object)
    if is_poly.any():
        # multipolygons wants dense indices from 0: number the owners that have polygons
        present, dense = np.unique(owner[is_poly], return_inverse=True)
        fixed[present] = shapely.multipolygons(parts[is_poly], indices=dense)
    fixed[pd.isna(fixed)] = shapely.Polygon()
    out[odd] = fixed
    return out


def hex_grid(study_area: Any, *, size_m: float = 250.0) -> gpd.GeoDataFrame:
    """Flat-topped hexagons covering the study area, clipped to it.

    Parameters
    ----------
    study_area : GeoDataFrame, GeoSeries or shapely geometry
        The area to cover (for example the buurten); unioned. A shapely geometry is taken to be
        in EPSG:28992.
    size_m : float
        Distance between opposite flat sides in metres.

    Returns
    -------
    GeoDataFrame
        Columns ``hex_id`` (str, ``"H{col:04d}_{row:04d}"`` from the lattice indices) and
        ``geometry`` (Polygon or MultiPolygon), EPSG:28992, index 0..n-1, sorted by hex_id.

    Examples
    --------
    >>> import shapely
    >>> hexes = hex_grid(shapely.box(0, 0, 1000, 1000), size_m=250.0)
    >>> round(float(hexes.area.sum()), 6)
    1000000.0
    """
    size = float(size_m)
    if not (size > 0 and math.isfinite(size)):
        raise ValueError(f"size_m must be a positive number, got {size_m!r}")
    area = _study_geometry(study_area)
    radius = size / _SQRT3  # circumradius
    dx = 1.5 * radius
    xmin, ymin, xmax, ymax = shapely.bounds(area)
    q = np.arange(math.floor((xmin - radius) / dx), math.ceil((xmax + radius) / dx) + 1)
    r = np.arange(math.floor((ymin - size) / size), math.ceil((ymax + size) / size) + 1)
    qgrid, rgrid = np.meshgrid(q, r, indexing="ij")
    qq, rr = qgrid.ravel(), rgrid.ravel()
    cx = qq * dx
    cy = rr * size + (qq % 2) * (size / 2.0)
    angles = np.deg2rad(np.arange(0, 360, 60))
    ring_x = cx[:, None] + radius * np.cos(angles)[None, :]
    ring_y = cy[:, None] + radius * np.sin(angles)[None, :]
    coords = np.stack([ring_x, ring_y], axis=-1)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)  # close the rings
    cells = shapely.polygons(coords)

    tree = shapely.STRtree(cells)
    shapely.prepare(area)
    hits = np.sort(tree.query(area, predicate="intersects"))
    cells, qq, rr = cells[hits], qq[hits], rr[hits]
    inside = shapely.contains_properly(area, cells)
    clipped = cells.copy()
    edge = ~inside
    if edge.any():
        clipped[edge] = _polygonal(shapely.intersection(cells[edge], area))
    keep = ~shapely.is_empty(clipped) & (shapely.area(clipped) > 0)
    single = keep & (shapely.get_num_geometries(clipped) == 1) & (shapely.get_type_id(clipped) == 6)
    if single.any():
        clipped[single] = shapely.get_geometry(clipped[single], 0)
    ids = np.char.add(
        np.char.add("H", np.char.zfill(qq[keep].astype(str), 4)),
        np.char.add("_", np.char.zfill(rr[keep].astype(str), 4)),
    )
    out = gpd.GeoDataFrame({"hex_id": ids.astype(object)}, geometry=clipped[keep], crs=CRS_RD)
    out["hex_id"] = out["hex_id"].astype("str")
    out = out.sort_values("hex_id", kind="stable").reset_index(drop=True)
    out.attrs["hex_size_m"] = size
    return out


def hex_counts(
    hexes: gpd.GeoDataFrame,
    businesses: gpd.GeoDataFrame,
    *,
    min_count: int = 5,
    sector_groups: Iterable[Any] | None = None,
) -> gpd.GeoDataFrame:
    """Count establishments and jobs per hexagon, by category, with a privacy flag.

    Each business point goes to exactly one hexagon: the hexagons that cover it (a point on a
    shared edge is covered by two or three) are reduced to the one with the smallest
    ``hex_id``. Points outside every hexagon are not counted (logged, and their number is in
    ``result.attrs["outside"]``).

    Parameters
    ----------
    hexes : GeoDataFrame
        From :func:`hex_grid` (``hex_id``, geometry), EPSG:28992.
    businesses : GeoDataFrame
        Classified businesses (Point geometry, EPSG:28992) with ``jobs`` and the boolean
        ``small_scale``, ``home_based`` and ``zzp`` columns, and ``sector_group`` when
        ``sector_groups`` is given.
    min_count : int
        Hexagons with fewer establishments than this are flagged ``suppressed``.
    sector_groups : iterable of str or objects with a ``key``, optional
        Sector group keys for extra ``n_<key>`` columns (establishments per sector group).

    Returns
    -------
    GeoDataFrame
        Aligned to ``hexes.index``: ``hex_id``, ``count_all``, ``count_small_scale``,
        ``count_home_based``, ``count_zzp``, ``jobs_all``, ``jobs_small_scale``,
        ``jobs_home_based``, ``jobs_zzp``, ``n_<sector>`` for each sector group,
        ``suppressed`` (bool: ``count_all < min_count``) and ``geometry``.

    Raises
    ------
    ValueError
        For a missing column or CRS, a CRS other than EPSG:28992, or non-point geometry.
    """
    for name, frame in (("hexes", hexes), ("businesses", businesses)):
        if frame.crs is None or not frame.crs.equals(CRS_RD):
            raise ValueError(
                f"{name} are in {frame.crs}, not {CRS_RD}: a spatial join would silently miss. "
                f"Fix: {name}.to_crs('{CRS_RD}') (or set_crs if the CRS is missing)"
            )
    needed = ["jobs", *_FLAG_COLUMNS]
    keys = [getattr(g, "key", g) for g in (sector_groups or [])]
    if keys:
        needed.append("sector_group")
    missing = [c for c in needed if c not in businesses.columns]
    if missing:
        raise ValueError(
            f"businesses lack the column(s) {missing}. Fix: run classify_businesses() first"
        )
    if "hex_id" not in hexes.columns:
        raise ValueError("hexes lack the column 'hex_id'. Fix: build them with hex_grid()")
    points = np.asarray(businesses.geometry.array)
    not_point = (shapely.get_type_id(points) != 0) | shapely.is_empty(points)
    if not_point.any():
        raise ValueError(
            f"{int(not_point.sum())} business geometries are not points (first index labels: "
            f"{list(businesses.index[not_point][:5])}). Fix: keep point locations only"
        )

    # The shared point-to-area assignment: hexagons in hex_id order, so the lowest id wins.
    order = np.argsort(hexes["hex_id"].to_numpy(dtype=str), kind="stable")
    polys = np.asarray(hexes.geometry.array)[order]
    found = assign_areas(shapely.get_x(points), shapely.get_y(points), polys)
    pt_pos = np.flatnonzero(found >= 0)
    hex_pos = order[found[pt_pos]]
    n_hex = len(hexes)
    outside = len(businesses) - pt_pos.size
    if outside:
        log.info("%d businesses lie outside every hexagon and are not counted", outside)

    def tally(values: np.ndarray | None) -> np.ndarray:
        return np.bincount(hex_pos, weights=values, minlength=n_hex)

    jobs = pd.to_numeric(businesses["jobs"], errors="coerce").fillna(0).to_numpy(float)[pt_pos]
    data: dict[str, Any] = {"hex_id": hexes["hex_id"].to_numpy()}
    data["count_all"] = tally(None).astype(np.int64)
    flags = {
        c: businesses[c].astype("boolean").fillna(False).to_numpy(bool)[pt_pos]
        for c in _FLAG_COLUMNS
    }
    for c in _FLAG_COLUMNS:
        data[f"count_{c}"] = tally(flags[c].astype(float)).astype(np.int64)
    data["jobs_all"] = tally(jobs)
    for c in _FLAG_COLUMNS:
        data[f"jobs_{c}"] = tally(np.where(flags[c], jobs, 0.0))
    if keys:
        sector = businesses["sector_group"].astype("string").fillna("").to_numpy(object)[pt_pos]
        for key in keys:
            data[f"n_{key}"] = tally((sector == key).astype(float)).astype(np.int64)
    data["suppressed"] = data["count_all"] < int(min_count)
    out = gpd.GeoDataFrame(data, geometry=hexes.geometry.to_numpy(), crs=hexes.crs)
    out.index = hexes.index
    out.attrs["outside"] = int(outside)
    return out
