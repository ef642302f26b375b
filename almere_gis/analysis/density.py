"""Kernel density surfaces of business locations, and their GeoTIFF output.

The surface follows the semantics of the QGIS Heatmap (kernel density estimation) algorithm:

* the radius ``r`` is the kernel's support in metres; a point adds nothing beyond it;
* kernels, with ``u = d / r`` and zero for ``u > 1``:

  ============  ================  ======================
  kernel        raw shape          scaled constant * r^2
  ============  ================  ======================
  quartic       (1 - u^2)^2        3 / pi
  triweight     (1 - u^2)^3        4 / pi
  epanechnikov  1 - u^2            2 / pi
  triangular    1 - u              3 / pi
  uniform       1                  1 / pi
  ============  ================  ======================

* ``output="raw"`` is the sum of the raw shapes over the points (times their weights): a point
  on a cell centre gives that cell the value 1 (or its weight);
* ``output="scaled"`` is a density that integrates to the number of points (or their total
  weight). We report it per km2: **establishments per km2** without weights, **jobs per km2**
  with jobs as weights;
* values are evaluated at cell centres, on a regular grid in EPSG:28992 whose extent is the
  points' extent (or the given one) grown by ``r``.

How it is computed: the points are spread over the four surrounding cell centres with bilinear
weights (linear binning; the weights sum to one, so no mass is created or lost), and the binned
grid is convolved once with the kernel sampled at the cell-centre offsets, using a real FFT. That
costs O(M log M) in the number of cells M instead of QGIS's O(N (r / cell)^2) stamping of every
point. Linear binning is second-order accurate in cell / r: when the radius spans fewer than
16 fine cells (64 for the kinked epanechnikov and triangular kernels) the points are binned on
a finer internal grid (an odd factor) and the surface is read back at the output cell centres,
so that the maximum error against exact evaluation stays within 1 % of the surface maximum for
every kernel but the uniform one from ``r >= 4`` cells. The discontinuous uniform kernel cannot
match an exact disk at the rim (cells near the rim can be off by a large fraction). For
``scaled`` the discrete kernel is normalised so that the grid's total equals the total weight
(to floating-point precision) as long as every kernel lies inside the grid, which the default
extent guarantees; the uniform
kernel's per-cell value then differs from ``1 / (pi r^2)`` by the ratio of the disk's area to
the number of cell centres inside it.
"""

from __future__ import annotations

__all__ = ["KERNELS", "NODATA", "DensityGrid", "DensitySurface", "kde", "study_area_mask"]

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from affine import Affine
from scipy import fft as sp_fft

from .._schema import CRS_RD

log = logging.getLogger("almere_gis")

KERNELS = ("quartic", "triweight", "epanechnikov", "triangular", "uniform")
OUTPUTS = ("raw", "scaled")
NODATA = -9999.0

# Integral of the raw shape over the unit disk is pi / _SCALE[k]; the scaled kernel is the raw
# shape times _SCALE[k] / (pi r^2) so that it integrates to one.
_SCALE = {"quartic": 3.0, "triweight": 4.0, "epanechnikov": 2.0, "triangular": 3.0, "uniform": 1.0}

# Oversample the binning grid until the radius spans at least this many (fine) cells: linear
# binning's error falls with (cell / r)^2 and is below 1 % of the maximum for the quartic
# kernel from about 12 cells (measured against exact evaluation).
_MIN_RADIUS_CELLS = 16.0
# The kinked kernels (epanechnikov at the rim, triangular at the centre and the rim) converge
# more slowly: measured against exact evaluation for a single point (the worst case), the
# error stays below 1 % of the maximum once the radius spans about 64 fine cells.
_MIN_RADIUS_CELLS_KINKED = 64.0
_KINKED = frozenset({"epanechnikov", "triangular"})
_MAX_OVERSAMPLE = 21
# Upper bound on the internal fine grid (float64 cells); beyond it the factor is lowered.
_MAX_FINE_CELLS = 60_000_000
# FFT round-off is about 1e-16 of the largest value; anything below this fraction of the
# maximum is noise (or a kernel tail too small to matter) and is set to exactly zero.
_NOISE = 1e-12


@dataclass(frozen=True)
class DensityGrid:
    """A density surface on a regular grid in EPSG:28992.

    Attributes
    ----------
    values : numpy.ndarray
        2-D float64 array (rows, columns); row 0 is the northern edge.
    transform : affine.Affine
        Maps (column, row) of a cell's upper-left corner to RD metres.
    crs : str
        Always ``"EPSG:28992"``.
    units : str
        What a value means, e.g. ``"establishments per km2"``.
    kernel, output : str
        Kernel name and ``"raw"`` or ``"scaled"``.
    radius_m, cell_size_m : float
        Kernel support and cell size in metres.
    n_points : int
        Points that contributed (inside the binning grid).
    total_weight : float
        Their summed weight (the number of points without weights).
    oversample : int
        Internal binning refinement used (1 = binned on the output grid).
    """

    values: np.ndarray
    transform: Affine
    crs: str = CRS_RD
    units: str = ""
    kernel: str = "quartic"
    output: str = "scaled"
    radius_m: float = 0.0
    cell_size_m: float = 0.0
    n_points: int = 0
    total_weight: float = 0.0
    oversample: int = 1
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return (int(self.values.shape[0]), int(self.values.shape[1]))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the grid's outer edges in metres."""
        rows, cols = self.shape
        xmin, ymax = self.transform.c, self.transform.f
        return (xmin, ymax - rows * self.cell_size_m, xmin + cols * self.cell_size_m, ymax)

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell in km2."""
        return self.cell_size_m**2 / 1e6

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x of the column centres (west to east) and y of the row centres (north to south)."""
        rows, cols = self.shape
        xmin, _, _, ymax = self.bounds
        xs = xmin + (np.arange(cols) + 0.5) * self.cell_size_m
        ys = ymax - (np.arange(rows) + 0.5) * self.cell_size_m
        return xs, ys

    def integral(self) -> float:
        """Sum of value x cell area: the total weight for a ``scaled`` surface."""
        if self.output != "scaled":
            raise ValueError("integral() is defined for output='scaled' surfaces only")
        return float(self.values.sum() * self.cell_area_km2)


@dataclass(frozen=True)
class DensitySurface:
    """One density layer of a run, handed as an object from the analysis to every output.

    The map, the GeoTIFF writer and the QGIS style all read this object, never a file back, so
    they show the same cells with the same colour range.

    Attributes
    ----------
    subset : str
        Which establishments: ``all``, ``small_scale``, ``home_based``, ``zzp`` or a sector key.
    weight : str
        ``count`` (establishments per km2) or ``jobs`` (jobs per km2).
    grid : DensityGrid
        The surface as computed (every cell, no mask).
    shown : numpy.ndarray
        Boolean, same shape as ``grid.values``: cells inside the study area that the privacy
        rule allows to publish. Every output leaves the other cells empty (nodata).
    label : str
        What the layer shows, for legends (e.g. "kleinschalige vestigingen").
    """

    subset: str
    weight: str
    grid: DensityGrid
    shown: np.ndarray
    label: str = ""

    @property
    def key(self) -> str:
        """``<subset>_<weight>``, e.g. ``small_scale_count`` (also the GeoTIFF's file stem)."""
        return f"{self.subset}_{self.weight}"

    def public_values(self) -> np.ndarray:
        """The values with NaN in every cell that is not :attr:`shown`."""
        return np.where(self.shown, self.grid.values, np.nan)

    @property
    def display_range(self) -> tuple[float, float]:
        """(0, 99th percentile of the positive shown values): the colour range of every output."""
        values = self.grid.values[self.shown]
        values = values[np.isfinite(values) & (values > 0)]
        if values.size == 0:
            return (0.0, 0.0)
        return (0.0, float(np.percentile(values, 99)))


def _kernel_shape(u2: np.ndarray, kernel: str) -> np.ndarray:
    """Raw kernel shape for squared relative distances ``u2 = (d / r)^2``; zero beyond 1."""
    inside = u2 <= 1.0
    u2c = np.minimum(u2, 1.0)
    if kernel == "quartic":
        shape = (1.0 - u2c) ** 2
    elif kernel == "triweight":
        shape = (1.0 - u2c) ** 3
    elif kernel == "epanechnikov":
        shape = 1.0 - u2c
    elif kernel == "triangular":
        shape = 1.0 - np.sqrt(u2c)
    elif kernel == "uniform":
        shape = np.ones_like(u2c)
    else:  # pragma: no cover - checked by the caller
        raise ValueError(f"unknown kernel {kernel!r}")
    return np.where(inside, shape, 0.0)


def _points_array(points_xy: Any) -> tuple[np.ndarray, Any]:
    """(N, 2) float64 RD coordinates from an array, GeoSeries or GeoDataFrame, and its index."""
    if hasattr(points_xy, "geometry") and hasattr(points_xy, "crs"):
        import geopandas as gpd
        import shapely

        geoms = points_xy.geometry if isinstance(points_xy, gpd.GeoDataFrame) else points_xy
        if geoms.crs is None:
            raise ValueError(
                "the points have no CRS. Fix: set it, e.g. points.set_crs('EPSG:28992')"
            )
        if not geoms.crs.equals(CRS_RD):
            log.info(
                "Reprojecting %d points from %s to %s for the KDE", len(geoms), geoms.crs, CRS_RD
            )
            geoms = geoms.to_crs(CRS_RD)
        arr = geoms.array
        bad = ~(shapely.get_type_id(arr) == 0) | shapely.is_empty(arr)
        if bad.any():
            labels = list(geoms.index[bad][:5])
            raise ValueError(
                f"{int(bad.sum())} geometries are not non-empty points (first index labels: "
                f"{labels}). Fix: pass point locations only, e.g. drop empty geometries"
            )
        xy = shapely.get_coordinates(arr)
        return xy.astype(np.float64, copy=False), geoms.index
    xy = np.asarray(points_xy, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(
            f"points_xy must have shape (N, 2), got {xy.shape}. Fix: pass x and y columns"
        )
    return xy, None


def _grid_geometry(
    xy: np.ndarray,
    extent: Sequence[float] | None,
    cell: float,
    radius: float,
) -> tuple[float, float, int, int]:
    """Western edge, northern edge, rows and columns of the output grid."""
    if extent is None:
        if len(xy) == 0:
            raise ValueError("no points and no extent: cannot place the grid. Fix: pass extent=")
        xmin, ymin = xy.min(axis=0)
        xmax, ymax = xy.max(axis=0)
    else:
        xmin, ymin, xmax, ymax = (float(v) for v in extent)
        if not (xmax >= xmin and ymax >= ymin):
            raise ValueError(f"extent {tuple(extent)} is not (xmin, ymin, xmax, ymax)")
    # Grow by r (as QGIS does) plus one cell, because linear binning may place a point's mass
    # up to one cell away from it; snap to multiples of the cell size so that surfaces of
    # different subsets line up cell for cell.
    x0 = (math.floor((xmin - radius) / cell) - 1) * cell
    y0 = (math.floor((ymin - radius) / cell) - 1) * cell
    x1 = (math.ceil((xmax + radius) / cell) + 1) * cell
    y1 = (math.ceil((ymax + radius) / cell) + 1) * cell
    cols = round((x1 - x0) / cell)
    rows = round((y1 - y0) / cell)
    return x0, y1, rows, cols


def _oversample_for(radius_cells: float, kernel: str = "quartic", n_cells: int = 0) -> int:
    """Smallest odd factor that makes the radius span enough fine cells for 1 % accuracy.

    Lowered (with a log note) when the fine grid would exceed ``_MAX_FINE_CELLS``.
    """
    need = _MIN_RADIUS_CELLS_KINKED if kernel in _KINKED else _MIN_RADIUS_CELLS
    if radius_cells >= need:
        return 1
    m = min(math.ceil(need / radius_cells), _MAX_OVERSAMPLE)
    m += 1 - m % 2  # odd, so that every output cell centre is also a fine cell centre
    while m > 1 and n_cells * m * m > _MAX_FINE_CELLS:
        m -= 2
    if m < need / radius_cells:
        log.info("kde: grid too large for full oversampling; accuracy may fall below 1 %%")
    return m


def _linear_bin(
    fx: np.ndarray, fy: np.ndarray, w: np.ndarray, rows: int, cols: int
) -> tuple[np.ndarray, np.ndarray]:
    """Spread weights at fractional cell-centre coordinates onto the four neighbouring centres.

    ``fx``/``fy`` are in units of cells with centre (i, j) at (i, j). Points whose four
    neighbours are not all inside the grid are dropped; returns the grid and the kept mask.
    """
    ix = np.floor(fx)
    iy = np.floor(fy)
    keep = (ix >= 0) & (iy >= 0) & (ix <= cols - 2) & (iy <= rows - 2)
    if not keep.all():
        fx, fy, w, ix, iy = fx[keep], fy[keep], w[keep], ix[keep], iy[keep]
    tx = fx - ix
    ty = fy - iy
    idx = iy.astype(np.int64) * cols + ix.astype(np.int64)
    n = rows * cols
    wy0 = w * (1.0 - ty)
    wy1 = w * ty
    grid = np.bincount(idx, wy0 * (1.0 - tx), minlength=n)
    grid += np.bincount(idx + 1, wy0 * tx, minlength=n)
    grid += np.bincount(idx + cols, wy1 * (1.0 - tx), minlength=n)
    grid += np.bincount(idx + cols + 1, wy1 * tx, minlength=n)
    return grid.reshape(rows, cols), keep


def _discrete_kernel(
    kernel: str, radius_fine: float, m: int, output: str, cell_area_km2: float
) -> np.ndarray:
    """The kernel sampled at fine cell-centre offsets (square, odd side)."""
    half = math.floor(radius_fine)
    off = np.arange(-half, half + 1, dtype=np.float64)
    u2 = (off[None, :] ** 2 + off[:, None] ** 2) / radius_fine**2
    k = _kernel_shape(u2, kernel)
    if output == "raw":
        return k
    # A bin whose fine index is p (mod m) reaches the output cell centres only through the taps
    # whose offset is congruent to a fixed value mod m: normalise each of these m x m
    # sub-lattices to sum one (per output cell area), so every bin hands out exactly its weight.
    phase = np.arange(-half, half + 1) % m
    sums = np.zeros((m, m))
    np.add.at(sums, (phase[:, None], phase[None, :]), k)
    if (sums <= 0).any():  # pragma: no cover - radius >= one cell guarantees a tap per phase
        raise ValueError("radius too small for the cell size. Fix: use radius_m >= cell_size_m")
    return k / sums[phase[:, None], phase[None, :]] / cell_area_km2


def _fft_convolve(grid: np.ndarray, kern: np.ndarray) -> np.ndarray:
    """Linear convolution, same size and alignment as ``grid`` (kernel centred), by real FFT."""
    half = kern.shape[0] // 2
    rows, cols = grid.shape
    # Circular convolution of this size equals the linear one on the rows/columns we keep.
    shape = (
        sp_fft.next_fast_len(rows + 2 * half, real=True),
        sp_fft.next_fast_len(cols + 2 * half, real=True),
    )
    spec = sp_fft.rfft2(grid, shape, workers=-1)
    spec *= sp_fft.rfft2(kern, shape, workers=-1)
    full = sp_fft.irfft2(spec, shape, workers=-1)
    return full[half : half + rows, half : half + cols]


def kde(
    points_xy: Any,
    *,
    weights: Any = None,
    cell_size_m: float = 25.0,
    radius_m: float = 400.0,
    kernel: str = "quartic",
    output: str = "scaled",
    extent: Sequence[float] | None = None,
    units: str | None = None,
    oversample: int | None = None,
) -> DensityGrid:
    """Kernel density surface of points on a regular RD New grid (QGIS Heatmap semantics).

    Parameters
    ----------
    points_xy : (N, 2) array-like, GeoSeries or GeoDataFrame
        Point locations. Arrays are RD New metres; a GeoSeries/GeoDataFrame must carry a CRS
        and is reprojected to EPSG:28992 if needed.
    weights : array-like of N non-negative numbers, optional
        Weight per point (for example jobs). Default: every point weighs 1.
    cell_size_m : float
        Grid cell size in metres.
    radius_m : float
        Kernel support in metres (at least one cell).
    kernel : {"quartic", "triweight", "epanechnikov", "triangular", "uniform"}
        Kernel shape; see the module docstring.
    output : {"scaled", "raw"}
        ``"scaled"``: density per km2 integrating to the total weight (establishments per km2
        without weights, jobs per km2 with jobs as weights). ``"raw"``: sum of kernel shapes.
    extent : (xmin, ymin, xmax, ymax), optional
        Area to cover, e.g. the study area's bounds; default the points' extent. Grown by the
        radius plus one cell and snapped to multiples of the cell size. Points outside it still
        contribute to cells within their radius.
    units : str, optional
        Text stored with the grid; by default derived from ``output`` and ``weights``.
    oversample : int, optional
        Odd internal binning refinement; default chosen from radius / cell (1 from 16 cells).

    Returns
    -------
    DensityGrid

    Raises
    ------
    ValueError
        For an unknown kernel/output, a radius below one cell, non-finite coordinates or
        weights, negative weights, or a weights length that differs from the points.

    Examples
    --------
    >>> g = kde([[1000.0, 2000.0]], cell_size_m=10.0, radius_m=50.0, output="raw")
    >>> round(float(g.values.max()), 2)  # exact: (1 - 50 / 2500) ** 2 = 0.9604
    0.96
    >>> g = kde([[1005.0, 2005.0]] * 3, cell_size_m=10.0, radius_m=50.0)
    >>> round(g.integral(), 6)
    3.0
    """
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}. Fix: use one of {', '.join(KERNELS)}")
    if output not in OUTPUTS:
        raise ValueError(f"unknown output {output!r}. Fix: use 'scaled' or 'raw'")
    cell = float(cell_size_m)
    radius = float(radius_m)
    if not (cell > 0 and math.isfinite(cell)):
        raise ValueError(f"cell_size_m must be a positive number, got {cell_size_m!r}")
    if not (radius >= cell and math.isfinite(radius)):
        raise ValueError(
            f"radius_m ({radius_m!r}) must be at least the cell size ({cell}). "
            "Fix: raise radius_m or lower cell_size_m"
        )
    xy, index = _points_array(points_xy)
    finite = np.isfinite(xy).all(axis=1)
    if not finite.all():
        where = list(index[~finite][:5]) if index is not None else np.flatnonzero(~finite)[:5]
        raise ValueError(
            f"{int((~finite).sum())} points have non-finite coordinates (first: {list(where)}). "
            "Fix: drop or repair them before the KDE"
        )
    if weights is None:
        w = np.ones(len(xy))
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.shape[0] != xy.shape[0]:
            raise ValueError(f"{w.shape[0]} weights for {xy.shape[0]} points. Fix: one per point")
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            first = list(index[bad][:5]) if index is not None else list(np.flatnonzero(bad)[:5])
            raise ValueError(
                f"{int(bad.sum())} weights are negative or missing (first: {first}). "
                "Fix: use non-negative numbers, e.g. fill missing jobs with 0"
            )
    if units is None:
        if output == "raw":
            units = "sum of kernel values (raw)"
        else:
            units = "establishments per km2" if weights is None else "weight per km2"

    x0, ytop, rows, cols = _grid_geometry(xy, extent, cell, radius)
    if oversample is None:
        m = _oversample_for(radius / cell, kernel, rows * cols)
    else:
        m = int(oversample)
    if m < 1 or m % 2 == 0:
        raise ValueError(f"oversample must be a positive odd number, got {oversample!r}")
    fine = cell / m
    radius_fine = radius / fine
    pad = math.floor(radius_fine) + 1
    frows, fcols = rows * m + 2 * pad, cols * m + 2 * pad
    # Fine cell centre (i, j) lies at (x0 + (j + 0.5 - pad) * fine, ytop - (i + 0.5 - pad) * fine).
    fx = (xy[:, 0] - x0) / fine + pad - 0.5
    fy = (ytop - xy[:, 1]) / fine + pad - 0.5
    binned, kept = _linear_bin(fx, fy, w, frows, fcols)
    cell_area_km2 = cell * cell / 1e6
    kern = _discrete_kernel(kernel, radius_fine, m, output, cell_area_km2)
    surface_fine = _fft_convolve(binned, kern)
    start = pad + (m - 1) // 2
    values = np.ascontiguousarray(
        surface_fine[start : start + rows * m : m, start : start + cols * m : m]
    )
    _clean_noise(values)
    total_weight = float(w[kept].sum())
    return DensityGrid(
        values=values,
        transform=Affine(cell, 0.0, x0, 0.0, -cell, ytop),
        crs=CRS_RD,
        units=units,
        kernel=kernel,
        output=output,
        radius_m=radius,
        cell_size_m=cell,
        n_points=int(kept.sum()),
        total_weight=total_weight,
        oversample=m,
        metadata={"dropped_far_points": int((~kept).sum())},
    )


def _clean_noise(values: np.ndarray) -> None:
    """Set FFT round-off (tiny values of either sign) to exactly 0, keeping the grid's total.

    Clipping only the negative noise would add its mass to the total; we zero everything below
    ``_NOISE`` x maximum and rescale by the ratio of the totals before and after, a relative
    change of at most (cells x 1e-12), far below the 1e-6 mass tolerance.
    """
    peak = float(values.max(initial=0.0))
    if peak <= 0.0:
        values[...] = 0.0
        return
    before = float(values.sum())
    values[values < _NOISE * peak] = 0.0
    after = float(values.sum())
    if after > 0.0 and before > 0.0:
        values *= before / after


def _stamp_reference(
    xy: np.ndarray, weights: np.ndarray | None, grid: DensityGrid, *, kernel: str
) -> np.ndarray:
    """Exact raw surface on ``grid``'s cells by stamping every point (QGIS's algorithm).

    O(N (r / cell)^2) with a Python loop over points: a reference for tests and benchmarks,
    not for production use.
    """
    rows, cols = grid.shape
    xs, ys = grid.cell_centres()
    cell, radius = grid.cell_size_m, grid.radius_m
    out = np.zeros((rows, cols))
    xmin, _, _, ymax = grid.bounds
    w = np.ones(len(xy)) if weights is None else np.asarray(weights, dtype=np.float64)
    for (px, py), wi in zip(xy, w, strict=True):
        c0 = max(int(math.floor((px - radius - xmin) / cell)), 0)
        c1 = min(int(math.ceil((px + radius - xmin) / cell)), cols)
        r0 = max(int(math.floor((ymax - py - radius) / cell)), 0)
        r1 = min(int(math.ceil((ymax - py + radius) / cell)), rows)
        if c0 >= c1 or r0 >= r1:
            continue
        dx2 = (xs[c0:c1] - px) ** 2
        dy2 = (ys[r0:r1] - py) ** 2
        out[r0:r1, c0:c1] += wi * _kernel_shape((dy2[:, None] + dx2[None, :]) / radius**2, kernel)
    return out


def _exact_surface(xy: np.ndarray, weights: np.ndarray | None, grid: DensityGrid) -> np.ndarray:
    """Exact evaluation at ``grid``'s cell centres in ``grid``'s output units (reference)."""
    raw = _stamp_reference(xy, weights, grid, kernel=grid.kernel)
    if grid.output == "raw":
        return raw
    return raw * _SCALE[grid.kernel] / (math.pi * grid.radius_m**2) * 1e6


def study_area_mask(grid: DensityGrid, area: Any) -> np.ndarray:
    """True for the cells of ``grid`` that the study area touches (``area``: one geometry).

    Computed once per run and shared by every surface of that run.
    """
    from rasterio.features import geometry_mask

    return ~geometry_mask([area], out_shape=grid.shape, transform=grid.transform, all_touched=True)
