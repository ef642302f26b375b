"""The CRS policy, decided once: metric work happens in EPSG:28992 (RD New).

A layer without a CRS is an error unless the caller states one; a layer in another CRS is
reprojected explicitly, and the log says so.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np

from .._errors import CRSError, InputError
from .._schema import CRS_RD, RD_EXTENT

log = logging.getLogger("almere_gis")


def to_rd(gdf: gpd.GeoDataFrame, path: object, crs: str | None) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:28992; ``crs`` is assumed only when the file carries none."""
    if gdf.crs is None:
        if crs is None:
            raise CRSError(
                path,
                "the layer has no CRS: no coordinate reference system in the file",
                "pass crs='EPSG:28992' (or the file's EPSG code), set it in the settings "
                "([paths] areas_crs for areas), or add a .prj / CRS to the file",
            )
        log.info("%s: no CRS in the file; using the given %s", path, crs)
        gdf = gdf.set_crs(crs)
    elif crs is not None and not gdf.crs.equals(gpd.GeoSeries([], crs=crs).crs):
        log.warning("%s: the file says its CRS is %s; the given %s is ignored", path, gdf.crs, crs)
    if not gdf.crs.equals(CRS_RD):
        log.info("%s: reprojected from %s to %s", path, gdf.crs.to_string(), CRS_RD)
        gdf = gdf.to_crs(CRS_RD)
    return gdf


def require_rd(gdf: gpd.GeoDataFrame, what: str) -> None:
    """Refuse a frame that is not in EPSG:28992 (a CRS mismatch in a join only warns)."""
    if gdf.crs is None or not gdf.crs.equals(CRS_RD):
        raise InputError(
            what,
            f"CRS is {gdf.crs}, expected {CRS_RD}",
            "load it with the almere_gis loaders (which reproject) or call .to_crs('EPSG:28992')",
        )


def rd_by_range(gdf: gpd.GeoDataFrame, path: object, crs: str | None) -> gpd.GeoDataFrame:
    """A layer read as WGS 84 whose coordinates are RD New metres, marked as EPSG:28992.

    GeoJSON has no CRS member since RFC 7946, so GDAL reads every GeoJSON as WGS 84; a file
    written in RD New is then recognised by its coordinate range (metres far beyond any
    degree, inside the RD extent of the Netherlands) and logged. ``crs``, when given, wins.
    Any other layer is returned as it is.
    """
    if gdf.crs is None or not gdf.crs.is_geographic or len(gdf) == 0:
        return gdf
    xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
    if not np.isfinite([xmin, ymin, xmax, ymax]).all() or max(abs(xmax), abs(ymax)) <= 360:
        return gdf
    lo_x, lo_y, hi_x, hi_y = RD_EXTENT
    if not (xmin >= lo_x and xmax <= hi_x and ymin >= lo_y and ymax <= hi_y):
        return gdf
    use = crs or CRS_RD
    log.warning(
        "%s: says WGS 84 (as every GeoJSON without a crs member) but its coordinates "
        "(x %.0f-%.0f, y %.0f-%.0f) are RD New metres: read as %s",
        path, xmin, xmax, ymin, ymax, use,
    )  # fmt: skip
    return gdf.set_crs(use, allow_override=True)
