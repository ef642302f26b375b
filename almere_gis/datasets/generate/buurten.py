"""The demo's buurten and wijken: the real CBS polygons of Almere, shipped with the package.

``scripts/extract_demo_buurten.py`` derives ``almere_gis/datasets/data/almere_buurten_cbs.geojson``
from the CBS Wijk- en Buurtkaart (RD New, 0.1 m, old upper-case CBS schema with CBS's
sentinels). Here it is read, dissolved into wijken with the package's own rule
(:func:`almere_gis.io.areas.wijken_from_buurten`), and prepared for placing points: the part of
each buurt where points may lie (inside, away from water) and a point for its centre.
"""

from __future__ import annotations

__all__ = [
    "BUURTEN_FILE",
    "CBS_MISSING",
    "buurt_points",
    "demo_areas",
    "land_parts",
    "load_demo_buurten",
    "to_old_schema",
]

from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...analysis.typology import area_typology
from ...io.areas import load_buurten
from ...io.validate import AREA_SCHEMAS
from ...settings import TypologySettings
from .calibration import INSET_M, WATER_MIN_SHARE

BUURTEN_FILE = "almere_buurten_cbs.geojson"
# The sentinel old CBS files use for a secret or missing figure.
CBS_MISSING = -99999997
GRID_M = 0.1


def _packaged(name: str) -> resources.abc.Traversable:
    return resources.files("almere_gis.datasets").joinpath(f"data/{name}")


def load_demo_buurten() -> gpd.GeoDataFrame:
    """The real CBS buurten of Almere as shipped: old upper-case CBS schema, EPSG:28992.

    Returns
    -------
    GeoDataFrame
        BU_CODE, BU_NAAM, WK_CODE, WK_NAAM, GM_CODE, GM_NAAM, AANT_INW, AANTAL_HH, WONINGEN,
        OPP_TOT, OPP_LAND, OPP_WATER, AF_TREINST as CBS publishes them (sentinels
        such as -99999998 included), Polygon/MultiPolygon geometry on a 0.1 m grid; sorted by
        BU_CODE. Source: CBS, Kadaster.

    Examples
    --------
    >>> buurten = load_demo_buurten()
    >>> len(buurten), int(buurten["AANT_INW"].sum()), buurten.crs.to_epsg()
    (63, 190665, 28992)
    """
    with resources.as_file(_packaged(BUURTEN_FILE)) as path:
        return gpd.read_file(path)


def demo_areas(typology: TypologySettings) -> gpd.GeoDataFrame:
    """The shipped buurten in the internal area schema, with their area type.

    Read with :func:`almere_gis.io.areas.load_buurten`, exactly as a run reads the demo
    files; ``area_type`` follows the ``[typology]`` rules, as the analysis assigns it.
    """
    with resources.as_file(_packaged(BUURTEN_FILE)) as path:
        areas = load_buurten(path)
    areas["area_type"] = area_typology(areas, typology).to_numpy(dtype=object)
    return areas


def to_old_schema(areas: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    """Internal area ``columns`` renamed to the old CBS schema, missing figures as the sentinel.

    Columns are kept in the schema's order; a column with no value at all is left out; the
    geometry is snapped to the 0.1 m grid.
    """
    names = AREA_SCHEMAS["old"]
    keep = [c for c in names if c in columns]
    out = pd.DataFrame({names[c][0]: areas[c].to_numpy() for c in keep})
    for col in keep:
        if not pd.api.types.is_numeric_dtype(areas[col]):
            continue
        values = areas[col].astype("float64")
        if values.isna().all():
            out = out.drop(columns=names[col][0])
            continue
        whole = bool(((values.dropna() % 1) == 0).all()) and col != "dist_train_km"
        filled = values.fillna(CBS_MISSING)
        out[names[col][0]] = filled.astype("int64") if whole else filled
    geoms = shapely.set_precision(areas.geometry.to_numpy(), GRID_M)
    geoms = shapely.from_wkb(shapely.to_wkb(geoms))  # drop GEOS's fixed precision model
    return gpd.GeoDataFrame(out, geometry=geoms, crs=areas.crs)


def _water_band(poly: shapely.Geometry, shared: shapely.Geometry, land_m2: float) -> float:
    """Distance from ``shared`` within which ``poly`` holds ``land_m2`` (bisection, 1 m)."""
    lo, hi = 0.0, float(np.sqrt(poly.area))
    while hi - lo > 1.0:
        mid = (lo + hi) / 2
        if shapely.intersection(poly, shapely.buffer(shared, mid, quad_segs=4)).area < land_m2:
            lo = mid
        else:
            hi = mid
    return hi


def land_parts(areas: gpd.GeoDataFrame) -> np.ndarray:
    """Per buurt, the part where demo points may lie: inside and away from water.

    Every part lies ``INSET_M`` inside its buurt. CBS gives the water area of a buurt
    (``area_total_ha - area_land_ha``) but not where it is. Where it is at least
    ``WATER_MIN_SHARE`` of the buurt, the part farthest from the neighbouring buurten, of the
    water's area, is left out: lakes such as the Noorderplassen lie inside a buurt, and a
    buurt on the Gooimeer has its water on the side away from its neighbours. A heuristic,
    stated in the demo README.

    Returns
    -------
    ndarray of shapely geometries, aligned with ``areas``.
    """
    geoms = areas.geometry.to_numpy()
    total = areas["area_total_ha"].to_numpy(dtype="float64")
    land = areas["area_land_ha"].to_numpy(dtype="float64")
    water = np.nan_to_num(1.0 - land / np.where(total > 0, total, np.nan), nan=0.0)
    out = np.asarray(shapely.buffer(geoms, -INSET_M))
    tree = shapely.STRtree(geoms)
    for i in np.flatnonzero(water >= WATER_MIN_SHARE):  # a few buurten, not businesses
        near = tree.query(geoms[i], predicate="intersects")
        others = shapely.union_all(geoms[near[near != i]])
        shared = shapely.intersection(shapely.boundary(geoms[i]), shapely.buffer(others, 1.0))
        if shared.is_empty:
            continue
        band = _water_band(geoms[i], shared, (1.0 - water[i]) * geoms[i].area)
        kept = shapely.intersection(geoms[i], shapely.buffer(shared, band, quad_segs=4))
        out[i] = shapely.buffer(kept, -INSET_M)
    return out


def buurt_points(parts: np.ndarray) -> np.ndarray:
    """A point per buurt for its centre, on the 1 m grid, inside its land part.

    The centroid where that lies inside, else the centre of the largest inscribed circle
    (ring-shaped and bent buurten), which always does.
    """
    xy = np.round(shapely.get_coordinates(shapely.centroid(parts)))
    outside = ~shapely.contains_xy(parts, xy[:, 0], xy[:, 1])
    if outside.any():
        circles = shapely.maximum_inscribed_circle(parts[outside], 1.0)
        xy[outside] = np.round(shapely.get_coordinates(shapely.get_point(circles, 0)))
    return np.asarray(xy, dtype="float64")
