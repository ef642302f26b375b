"""Density surfaces as Cloud-Optimized GeoTIFFs: Float32, EPSG:28992, nodata -9999, empty
outside the study area and wherever the privacy rule hides a cell.

:func:`write_density_rasters` writes the surfaces of a run, each once, from the
:class:`~almere_gis.analysis.density.DensitySurface` objects (values, transform, the ``shown``
mask, units, the display range), with the sidecar ``.qml`` style QGIS applies when it opens the
file; nothing is read back. :func:`write_geotiff` writes one bare grid.
"""

from __future__ import annotations

__all__ = ["write_density_geotiff", "write_density_rasters", "write_geotiff"]

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputError
from .._schema import CRS_RD
from ..analysis.density import NODATA, DensityGrid, DensitySurface
from ..io import atomic
from ..io.crs import to_rd
from ..settings import Settings
from .qgis.raster_style import density_description, density_unit, write_raster_style


def _has_cog_driver() -> bool:
    import rasterio

    with rasterio.Env() as env:
        return "COG" in env.drivers()


def _mask_shape(grid: DensityGrid, mask_geometry: Any) -> np.ndarray:
    """True for cells outside the study area (cells touched by the area are kept)."""
    import shapely
    from rasterio.features import geometry_mask

    geom = mask_geometry
    if hasattr(geom, "crs") and hasattr(geom, "geometry"):
        geoms = to_rd(geom, "mask_geometry", None)  # refuses a frame without a CRS
        geom = shapely.union_all(np.asarray(geoms.geometry.array))
    if geom is None or shapely.is_empty(geom):
        raise InputError(
            "mask_geometry", "the study area is empty", "pass the study area polygon(s)"
        )
    return geometry_mask([geom], out_shape=grid.shape, transform=grid.transform, all_touched=True)


def write_geotiff(
    grid: DensityGrid,
    path: str | os.PathLike[str],
    *,
    mask_geometry: Any = None,
    description: str = "",
    units: str = "",
    suppress: np.ndarray | None = None,
    tags: dict[str, str] | None = None,
) -> Path:
    """Write a density grid as a Cloud-Optimized GeoTIFF, atomically (``io.atomic``).

    Float32, EPSG:28992, nodata -9999, DEFLATE, 256 x 256 tiles and internal overviews
    (average resampling). Uses GDAL's COG driver when present, else a tiled GTiff with its
    overviews copied in front of the data.

    Parameters
    ----------
    grid : DensityGrid
        The surface.
    path : path-like
        Output ``.tif``; its folder must exist.
    mask_geometry : shapely geometry, GeoSeries or GeoDataFrame, optional
        Study area; cells it does not touch are written as nodata.
    description : str
        Band description (e.g. ``"Small-scale establishments, quartic kernel r = 400 m"``).
    units : str
        Band unit; default the grid's ``units``.
    suppress : boolean array of the grid's shape, optional
        Cells written as nodata for privacy (e.g. fewer than 5 establishments within the
        kernel radius, so that no single home stands out as a peak).
    tags : dict of str to str, optional
        Extra dataset tags (e.g. the surface's subset, weight and display range).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"{path.parent}: output folder does not exist. Fix: create it first"
        )
    units = units or grid.units
    data = _masked_values(grid, mask_geometry, suppress)
    all_tags = {
        **(tags or {}),
        **_grid_tags(grid),
        "description": description,
        "units": units,
        "suppressed_cells": str(int(suppress.sum()) if suppress is not None else 0),
    }
    band = _Band(data, all_tags, description, units)
    with atomic.atomic_path(path) as tmp:
        if _has_cog_driver():
            _write_cog(tmp, band, _profile(grid))
        else:
            _write_gtiff_cog_layout(tmp, band, _profile(grid))
    return path


@dataclass(frozen=True)
class _Band:
    """What goes into the file's one band: values, tags, description and unit."""

    data: np.ndarray
    tags: dict[str, str]
    description: str
    units: str


def _masked_values(
    grid: DensityGrid, mask_geometry: Any, suppress: np.ndarray | None
) -> np.ndarray:
    """Float32 values with nodata outside the study area and in the suppressed cells."""
    data = grid.values.astype(np.float32)
    if mask_geometry is not None:
        data[_mask_shape(grid, mask_geometry)] = NODATA
    if suppress is not None:
        if suppress.shape != grid.shape:
            raise ValueError(f"suppress has shape {suppress.shape}, the grid {grid.shape}")
        data[suppress] = NODATA
    return data


def _grid_tags(grid: DensityGrid) -> dict[str, str]:
    return {
        "kernel": grid.kernel,
        "output": grid.output,
        "radius_m": f"{grid.radius_m:g}",
        "cell_size_m": f"{grid.cell_size_m:g}",
        "n_points": str(grid.n_points),
        "total_weight": f"{grid.total_weight:.6g}",
    }


def _profile(grid: DensityGrid) -> dict[str, Any]:
    rows, cols = grid.shape
    return {
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": "float32",
        "crs": CRS_RD,
        "transform": grid.transform,
        "nodata": NODATA,
    }


def _write_cog(path: Path, band: _Band, profile: dict[str, Any]) -> None:
    import rasterio

    with rasterio.open(
        path,
        "w",
        driver="COG",
        compress="DEFLATE",
        predictor=3,
        blocksize=256,
        overview_resampling="AVERAGE",
        resampling="AVERAGE",
        **profile,
    ) as dst:
        _fill(dst, band)


def _fill(dst: Any, band: _Band) -> None:
    dst.write(band.data, 1)
    dst.set_band_description(1, band.description)
    dst.set_band_unit(1, band.units)
    dst.update_tags(**band.tags)
    dst.update_tags(1, units=band.units, description=band.description)


def _write_gtiff_cog_layout(path: Path, band: _Band, profile: dict[str, Any]) -> None:
    """GTiff fallback: tiled file with overviews, then copied so overviews come first."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.shutil import copy as rio_copy

    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        staged = Path(scratch) / "staged.tif"
        with rasterio.open(
            staged, "w", driver="GTiff", tiled=True, blockxsize=256, blockysize=256, **profile
        ) as dst:
            _fill(dst, band)
            factors = []
            size = max(band.data.shape)
            factor = 2
            while size / factor >= 128:
                factors.append(factor)
                factor *= 2
            if factors:
                dst.build_overviews(factors, Resampling.average)
        rio_copy(
            staged,
            path,
            driver="GTiff",
            TILED="YES",
            BLOCKXSIZE=256,
            BLOCKYSIZE=256,
            COMPRESS="DEFLATE",
            PREDICTOR=3,
            COPY_SRC_OVERVIEWS="YES",
        )


def write_density_geotiff(
    surface: DensitySurface, path: str | os.PathLike[str], *, description: str, units: str
) -> Path:
    """Write one density surface: the cells it may not show (``~surface.shown``) as nodata.

    The surface's subset, weight and display range go into the file's tags, so that a reader
    of the file alone knows what it holds and how the map colours it.

    Returns
    -------
    pathlib.Path
        The written ``.tif``.
    """
    vmin, vmax = surface.display_range
    return write_geotiff(
        surface.grid,
        path,
        description=description,
        units=units,
        suppress=~surface.shown,
        tags={
            "subset": surface.subset,
            "weight": surface.weight,
            "display_min": f"{vmin:.6g}",
            "display_max": f"{vmax:.6g}",
        },
    )


def write_density_rasters(
    surfaces: dict[str, DensitySurface], folder: str | os.PathLike[str], *, settings: Settings
) -> dict[str, Path]:
    """Write every published density surface as ``kde_<key>.tif`` with its ``kde_<key>.qml``.

    Parameters
    ----------
    surfaces : dict of str to DensitySurface
        The Publication's surfaces, by key (``small_scale_count``, ...).
    folder : path-like
        The public output folder (must exist).
    settings : Settings
        Language of the descriptions and legends; the privacy threshold they state.

    Returns
    -------
    dict of str to pathlib.Path
        ``density:<key>`` -> the GeoTIFF and ``style:kde_<key>`` -> its QGIS style.
    """
    lang = settings.map.language
    files: dict[str, Path] = {}
    for key, surface in surfaces.items():
        tif = write_density_geotiff(
            surface,
            Path(folder) / f"kde_{key}.tif",
            description=density_description(surface, settings),
            units=density_unit(surface, lang),
        )
        files[f"density:{key}"] = tif
        files[f"style:{tif.stem}"] = write_raster_style(
            surface, tif, language=lang, min_count=settings.privacy.min_count
        )
    return files
