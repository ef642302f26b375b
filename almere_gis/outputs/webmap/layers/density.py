"""A density surface as an image overlay, coloured over its display range (the same as QGIS).

The surface arrives as a :class:`~almere_gis.analysis.density.DensitySurface`; only its public
values are drawn (cells the privacy rule hides stay transparent). Leaflet stretches an image
linearly between its corners in Web Mercator, so the grid is warped to a Web Mercator grid
first and placed by that grid's corners in lat/lon.
"""

from __future__ import annotations

__all__ = ["density_layer"]

import base64
import math
import warnings

import numpy as np

from ....analysis.density import DensitySurface
from ...style import DENSITY_RAMP
from ..markup import esc, legend_block
from ..model import Context, Layer
from ..names import subset_name

MAX_IMAGE_PIXELS = 2_500_000
_MERCATOR = "EPSG:3857"


def _warp(surface: DensitySurface) -> tuple[np.ndarray, list[list[float]]]:
    """The public values on a Web Mercator grid, and its bounds [[south, west], [north, east]]."""
    from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

    values = surface.public_values().astype("float64")
    rows, cols = values.shape
    t = surface.grid.transform
    bounds = (t.c, t.f + t.e * rows, t.c + t.a * cols, t.f)
    crs = surface.grid.crs
    transform, width, height = calculate_default_transform(crs, _MERCATOR, cols, rows, *bounds)
    scale = math.sqrt(width * height / MAX_IMAGE_PIXELS)
    if scale > 1:
        transform, width, height = calculate_default_transform(
            crs,
            _MERCATOR,
            cols,
            rows,
            *bounds,
            dst_width=int(width / scale),
            dst_height=int(height / scale),
        )
    warped = np.full((height, width), np.nan)
    reproject(
        values,
        warped,
        src_transform=t,
        src_crs=crs,
        src_nodata=np.nan,
        dst_transform=transform,
        dst_crs=_MERCATOR,
        dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )
    left, top = transform * (0, 0)
    right, bottom = transform * (width, height)
    west, south, east, north = transform_bounds(_MERCATOR, "EPSG:4326", left, bottom, right, top)
    return warped, [[south, west], [north, east]]


def colour(values: np.ndarray, vmax: float) -> np.ndarray:
    """RGBA (rows, cols, 4) uint8: the ramp from 0 to ``vmax``; missing and <= 0 transparent."""
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    shown = np.isfinite(values) & (values > 0)
    if vmax <= 0 or not shown.any():
        return rgba
    frac = np.clip(np.where(shown, values, 0.0) / vmax, 0.0, 1.0)
    stops = np.array([s for s, _ in DENSITY_RAMP])
    rgb = np.array([[int(c[k : k + 2], 16) for k in (1, 3, 5)] for _, c in DENSITY_RAMP])
    for channel in range(3):
        rgba[..., channel] = np.interp(frac, stops, rgb[:, channel]).round().astype(np.uint8)
    rgba[..., 3] = np.where(shown, 255, 0)
    return rgba


def png_data_uri(rgba: np.ndarray) -> str:
    """An RGBA array as a PNG data URI (written by GDAL's PNG driver through rasterio)."""
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.io import MemoryFile

    height, width = rgba.shape[:2]
    with warnings.catch_warnings():
        # A picture for the browser has no georeferencing; its bounds travel beside it.
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with MemoryFile() as memory:
            with memory.open(
                driver="PNG", width=width, height=height, count=4, dtype="uint8"
            ) as png:
                png.write(np.moveaxis(rgba, 2, 0))
            data = memory.read()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _legend(surface: DensitySurface, layer_id: str, name: str, ctx: Context) -> str:
    vmax = surface.display_range[1]
    values = surface.public_values()
    peak = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    unit = ctx.t(f"density.unit.{surface.weight}")
    if vmax <= 0:
        rows = [f'<div class="ag-note ag-too-few">{esc(ctx.t("too_few"))}</div>']
        return legend_block(layer_id, esc(name), esc(f"{ctx.t('unit')}: {unit}"), rows)
    decimals = 0 if vmax >= 100 else 1 if vmax >= 10 else 2
    ticks = [ctx.number(vmax * f, decimals) for f in (0.0, 0.5, 1.0)]
    if peak > vmax:
        ticks[-1] = "≥ " + ticks[-1]
    gradient = ", ".join(f"{c} {s * 100:.0f}%" for s, c in DENSITY_RAMP)
    rows = [
        f'<div class="ag-ramp" style="background:linear-gradient(to right, {gradient})"></div>',
        '<div class="ag-ticks">' + "".join(f"<span>{esc(t)}</span>" for t in ticks) + "</div>",
    ]
    note = ctx.t(
        "density.note",
        peak=ctx.number(peak, decimals),
        n=ctx.min_count,
        radius=ctx.distance(ctx.settings.density.radius_m),
    )
    return legend_block(layer_id, esc(name), esc(f"{ctx.t('unit')}: {unit}"), rows, esc(note))


def density_layer(surface: DensitySurface, ctx: Context, *, show: bool = False) -> Layer:
    """One density surface as a layer with its colour ramp legend (range = display_range)."""
    subset = subset_name(surface.subset, ctx.language, ctx.settings)
    unit = ctx.t(f"density.unit.{surface.weight}")
    name = ctx.t("layer.density", subset=subset, unit=unit)
    layer_id = f"density-{surface.key}"
    warped, bounds = _warp(surface)
    spec = {
        "id": layer_id,
        "name": name,
        "kind": "image",
        "pane": "ag-density",
        "show": show,
        "url": png_data_uri(colour(warped, surface.display_range[1])),
        "bounds": bounds,
        "opacity": 0.8,
    }
    return Layer(spec, _legend(surface, layer_id, name, ctx))
