"""The numerical engine of the kernel density surfaces (see :mod:`.density` for the semantics).

Linear binning onto a (finer) grid, the kernel sampled at the cell-centre offsets, one real FFT
convolution per piece of the surface, and the tiling that bounds memory at a national extent.
Also the exact per-point stamping that tests and benchmarks compare against.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import fft as sp_fft

if TYPE_CHECKING:
    from .density import DensityGrid

log = logging.getLogger("almere_gis")

# Integral of the raw shape over the unit disk is pi / SCALE[k]; the scaled kernel is the raw
# shape times SCALE[k] / (pi r^2) so that it integrates to one.
SCALE = {"quartic": 3.0, "triweight": 4.0, "epanechnikov": 2.0, "triangular": 3.0, "uniform": 1.0}

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
# The largest fine grid computed in one piece (float64: about 134 MB, and as much again for the
# spectrum); a larger surface is computed in tiles. Tiles are never smaller than this a side.
_TILE_FINE_CELLS = 1 << 24
_MIN_TILE_CELLS = 256
# Points binned at a time: the slice's temporary arrays stay in the processor's cache.
_BIN_SLICE = 1 << 15
# FFT round-off is about 1e-16 of the largest value; anything below this fraction of the
# maximum is noise (or a kernel tail too small to matter) and is set to exactly zero.
_NOISE = 1e-12


def kernel_shape(u2: np.ndarray, kernel: str) -> np.ndarray:
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


def oversample_for(radius_cells: float, kernel: str = "quartic", n_cells: int = 0) -> int:
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


def linear_bin(
    xy: np.ndarray,
    w: np.ndarray | None,
    origin: tuple[float, float],
    fine: float,
    shape: tuple[int, int],
) -> tuple[np.ndarray, int, float]:
    """Spread each point's weight over the four surrounding fine cell centres (bilinear).

    ``origin`` is the (x, y) of fine cell centre (0, 0), the north-west one, and ``shape`` the
    fine grid's (rows, columns). A point whose four neighbours are not all inside the grid is
    dropped. Returns the grid and the number and weight of the points kept.

    The points go in slices that fit in the processor's cache: each slice's corner weights are
    added into the grid at once, which is several times faster than four full passes.
    """
    rows, cols = shape
    grid = np.zeros(rows * cols)
    kept, weight = 0, 0.0
    for i in range(0, len(xy), _BIN_SLICE):
        fx = (xy[i : i + _BIN_SLICE, 0] - origin[0]) / fine
        fy = (origin[1] - xy[i : i + _BIN_SLICE, 1]) / fine
        cw = None if w is None else w[i : i + _BIN_SLICE]
        keep = (fx >= 0) & (fy >= 0) & (fx < cols - 1) & (fy < rows - 1)
        if not keep.all():
            fx, fy = fx[keep], fy[keep]
            cw = None if cw is None else cw[keep]
        ix, iy = fx.astype(np.int64), fy.astype(np.int64)  # floor: both are >= 0 here
        tx, ty = fx - ix, fy - iy
        idx = iy * cols + ix
        south = ty if cw is None else cw * ty
        north = (1.0 - ty) if cw is None else cw - south
        east_n, east_s = north * tx, south * tx
        np.add.at(grid, idx, north - east_n)
        np.add.at(grid, idx + 1, east_n)
        np.add.at(grid, idx + cols, south - east_s)
        np.add.at(grid, idx + cols + 1, east_s)
        kept += int(idx.size)
        weight += float(idx.size if cw is None else cw.sum())
    return grid.reshape(rows, cols), kept, weight


def discrete_kernel(
    kernel: str, radius_fine: float, m: int, output: str, cell_area_km2: float
) -> np.ndarray:
    """The kernel sampled at fine cell-centre offsets (square, odd side)."""
    half = math.floor(radius_fine)
    off = np.arange(-half, half + 1, dtype=np.float64)
    u2 = (off[None, :] ** 2 + off[:, None] ** 2) / radius_fine**2
    k = kernel_shape(u2, kernel)
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


def fft_convolve(grid: np.ndarray, kern: np.ndarray) -> np.ndarray:
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


@dataclass(frozen=True)
class Plan:
    """The output grid (west and north edge, rows, columns, cell), oversampling and kernel."""

    x0: float
    ytop: float
    rows: int
    cols: int
    cell: float
    m: int
    kern: np.ndarray

    @property
    def pad(self) -> int:
        """Fine cells around a (tile's) fine grid: a kernel's reach plus the binning's one."""
        return int(self.kern.shape[0]) // 2 + 1


def surface(
    plan: Plan, xy: np.ndarray, w: np.ndarray | None, tile_cells: int | None
) -> tuple[np.ndarray, int, float]:
    """The surface on the output grid, in one piece or tile by tile; points and weight kept.

    A tile's value at a cell depends only on the points within one kernel radius of it, and
    every tile bins all of those (its fine grid reaches one radius and a cell beyond its own
    cells), so the tiles join without seams: they equal the untiled surface up to rounding.
    """
    m, pad = plan.m, plan.pad
    if tile_cells is None:
        side = math.isqrt(_TILE_FINE_CELLS) - 2 * pad
        whole = (plan.rows * m + 2 * pad) * (plan.cols * m + 2 * pad) <= _TILE_FINE_CELLS
        tile_cells = max(side // m, _MIN_TILE_CELLS) if not whole else max(plan.rows, plan.cols)
    if tile_cells < 1:
        raise ValueError(f"tile_cells must be at least 1, got {tile_cells}")
    if tile_cells >= max(plan.rows, plan.cols):
        return _tile(plan, xy, w, 0, 0, plan.rows, plan.cols)
    values = np.zeros((plan.rows, plan.cols))
    reach = pad * plan.cell / m + plan.cell  # metres beyond a tile whose points still count
    for r0 in range(0, plan.rows, tile_cells):
        r1 = min(r0 + tile_cells, plan.rows)
        north, south = plan.ytop - r0 * plan.cell, plan.ytop - r1 * plan.cell
        band = np.flatnonzero((xy[:, 1] <= north + reach) & (xy[:, 1] >= south - reach))
        for c0 in range(0, plan.cols, tile_cells):
            c1 = min(c0 + tile_cells, plan.cols)
            west, east = plan.x0 + c0 * plan.cell, plan.x0 + c1 * plan.cell
            bx = xy[band, 0]
            pick = band[(bx >= west - reach) & (bx <= east + reach)]
            part, _, _ = _tile(plan, xy[pick], None if w is None else w[pick], r0, c0, r1, c1)
            values[r0:r1, c0:c1] = part
    return values, *_kept(plan, xy, w)


def _kept(plan: Plan, xy: np.ndarray, w: np.ndarray | None) -> tuple[int, float]:
    """Points (and their weight) that the untiled binning grid keeps: its fine grid bounds."""
    fine = plan.cell / plan.m
    pad = plan.pad
    fx = (xy[:, 0] - plan.x0) / fine + pad - 0.5
    fy = (plan.ytop - xy[:, 1]) / fine + pad - 0.5
    keep = (fx >= 0) & (fy >= 0)
    keep &= (fx < plan.cols * plan.m + 2 * pad - 1) & (fy < plan.rows * plan.m + 2 * pad - 1)
    return int(keep.sum()), float(keep.sum() if w is None else w[keep].sum())


def _tile(
    plan: Plan, xy: np.ndarray, w: np.ndarray | None, r0: int, c0: int, r1: int, c1: int
) -> tuple[np.ndarray, int, float]:
    """Output rows r0:r1 and columns c0:c1: bin the points on their fine grid, convolve, read."""
    m, pad = plan.m, plan.pad
    fine = plan.cell / m
    rows, cols = r1 - r0, c1 - c0
    # Fine cell centre (0, 0) of this tile, padded on every side.
    origin = (plan.x0 + c0 * plan.cell + (0.5 - pad) * fine,
              plan.ytop - r0 * plan.cell - (0.5 - pad) * fine)  # fmt: skip
    binned, kept, weight = linear_bin(xy, w, origin, fine, (rows * m + 2 * pad, cols * m + 2 * pad))
    surface_fine = fft_convolve(binned, plan.kern)
    start = pad + (m - 1) // 2
    values = surface_fine[start : start + rows * m : m, start : start + cols * m : m]
    return np.ascontiguousarray(values), kept, weight


def clean_noise(values: np.ndarray) -> None:
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


def stamp_reference(
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
        out[r0:r1, c0:c1] += wi * kernel_shape((dy2[:, None] + dx2[None, :]) / radius**2, kernel)
    return out


def exact_surface(xy: np.ndarray, weights: np.ndarray | None, grid: DensityGrid) -> np.ndarray:
    """Exact evaluation at ``grid``'s cell centres in ``grid``'s output units (reference)."""
    raw = stamp_reference(xy, weights, grid, kernel=grid.kernel)
    if grid.output == "raw":
        return raw
    return raw * SCALE[grid.kernel] / (math.pi * grid.radius_m**2) * 1e6
