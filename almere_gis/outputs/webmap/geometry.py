"""Display geometry: simplified in metres, then in WGS 84 with rounded coordinates.

Coordinates are rounded to 5 decimals (about 1 m), plenty for a display simplified at
``settings.map.simplify_m``. Polygons that tile an area (buurten, wijken) are simplified as a
coverage, so shared boundaries stay shared.
"""

from __future__ import annotations

__all__ = ["display_geometry", "feature_collection", "outline", "simplify_coverage"]

import json
import logging
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from ..._errors import CRSError
from ...io.crs import to_rd

log = logging.getLogger("almere_gis")

COORD_DECIMALS = 5


def simplify_coverage(geoms: gpd.GeoSeries, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify polygons that tile an area, keeping shared boundaries shared."""
    if tolerance_m <= 0 or geoms.empty:
        return geoms
    try:
        valid = bool(geoms.is_valid_coverage())
    except Exception:  # GEOS refuses some inputs; then simplify polygon by polygon
        valid = False
    if valid:
        return geoms.simplify_coverage(tolerance_m)
    log.info("map: polygons do not form a valid coverage; simplifying them one by one")
    return geoms.simplify(tolerance_m, preserve_topology=True)


def _rd(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoSeries:
    if frame.crs is None:
        raise CRSError(what, "has no CRS", "set it, e.g. gdf.set_crs('EPSG:28992')")
    return to_rd(gpd.GeoDataFrame(geometry=frame.geometry, crs=frame.crs), what, None).geometry


def display_geometry(
    frame: gpd.GeoDataFrame, what: str, *, simplify_m: float = 0.0, coverage: bool = False
) -> gpd.GeoSeries:
    """``frame``'s geometry simplified (in RD metres) and in EPSG:4326, rounded for display."""
    geoms = _rd(frame, what)
    if simplify_m > 0:
        geoms = (
            simplify_coverage(geoms, simplify_m)
            if coverage
            else geoms.simplify(simplify_m, preserve_topology=True)
        )
    wgs = geoms.to_crs("EPSG:4326")
    rounded = shapely.transform(wgs.to_numpy(), lambda c: np.round(c, COORD_DECIMALS))
    return gpd.GeoSeries(rounded, index=frame.index, crs="EPSG:4326")


def outline(frame: gpd.GeoDataFrame, simplify_m: float) -> gpd.GeoSeries:
    """The boundary of the study area (the union of the buurten), for the map without basemap."""
    geoms = _rd(frame, "buurten")
    union = shapely.union_all(shapely.make_valid(geoms.to_numpy()))
    ring = gpd.GeoDataFrame(geometry=[shapely.boundary(union)], crs=geoms.crs)
    return display_geometry(ring, "buurten", simplify_m=simplify_m)


def feature_collection(geoms: gpd.GeoSeries, properties: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection; feature ``id`` is the position (for search and tables)."""
    shapes = shapely.to_geojson(geoms.to_numpy())
    features = [
        {"type": "Feature", "id": i, "properties": props, "geometry": json.loads(shape)}
        for i, (shape, props) in enumerate(zip(shapes, properties, strict=True))
    ]
    return {"type": "FeatureCollection", "features": features}
