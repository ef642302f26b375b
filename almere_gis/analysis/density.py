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

A large surface (a national extent) is computed in tiles, each binning the points within one
kernel radius of it, so that memory stays bounded and the seams are exact (``tile_cells``).
The numerical engine lives in :mod:`._kde`.

Which cells may be published (:func:`privacy_mask`) is decided exactly, not from the binned
surface: a cell is shown if and only if at least ``min_count`` points lie within the kernel
radius of its centre (distance <= radius), counted with a KD-tree. To keep national grids
cheap, the cells are first taken in square blocks: a block's centre is within ``h`` (half its
diagonal) of each of its cell centres, so the count within ``radius + h`` of the block centre
bounds every cell's count from above and the count within ``radius - h`` from below. Blocks
whose upper bound is below ``min_count`` are hidden whole, blocks whose lower bound reaches it
are shown whole, and only the cells of the remaining blocks are counted one by one, in chunks.
"""

from __future__ import annotations

__all__ = [
    "KERNELS",
    "NODATA",
    "DensityGrid",
    "DensitySurface",
    "kde",
    "privacy_mask",
    "study_area_mask",
]

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from affine import Affine

from .._schema import CRS_RD
from ._kde import Plan, clean_noise, discrete_kernel, oversample_for, surface

log = logging.getLogger("almere_gis")

KERNELS = ("quartic", "triweight", "epanechnikov", "triangular", "uniform")
OUTPUTS = ("raw", "scaled")
NODATA = -9999.0


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
    tile_cells: int | None = None,
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
    tile_cells : int, optional
        Compute the surface in square tiles of this many output cells a side (each with a
        margin of one kernel radius, so the seams are exact) to bound the memory of the FFT.
        Default: one piece when its fine grid has at most about 16 million cells, else
        tiles of that size (for a national extent).

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
    w = _weights(weights, xy, index)
    if units is None:
        if output == "raw":
            units = "sum of kernel values (raw)"
        else:
            units = "establishments per km2" if weights is None else "weight per km2"

    x0, ytop, rows, cols = _grid_geometry(xy, extent, cell, radius)
    m = oversample_for(radius / cell, kernel, rows * cols) if oversample is None else oversample
    if int(m) != m or m < 1 or m % 2 == 0:
        raise ValueError(f"oversample must be a positive odd number, got {oversample!r}")
    kern = discrete_kernel(kernel, radius * m / cell, int(m), output, cell * cell / 1e6)
    plan = Plan(x0=x0, ytop=ytop, rows=rows, cols=cols, cell=cell, m=int(m), kern=kern)
    values, n_kept, weight_kept = surface(plan, xy, w, tile_cells)
    clean_noise(values)
    return DensityGrid(
        values=values,
        transform=Affine(cell, 0.0, x0, 0.0, -cell, ytop),
        crs=CRS_RD,
        units=units,
        kernel=kernel,
        output=output,
        radius_m=radius,
        cell_size_m=cell,
        n_points=n_kept,
        total_weight=weight_kept,
        oversample=int(m),
        metadata={"dropped_far_points": len(xy) - n_kept},
    )


def _weights(weights: Any, xy: np.ndarray, index: Any) -> np.ndarray | None:
    """The weights as float64 (None for unit weights), refused if not one per point or < 0."""
    if weights is None:
        return None
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
    return w


def study_area_mask(grid: DensityGrid, area: Any) -> np.ndarray:
    """True for the cells of ``grid`` that the study area touches (``area``: one geometry).

    Computed once per run and shared by every surface of that run.
    """
    from rasterio.features import geometry_mask

    return ~geometry_mask([area], out_shape=grid.shape, transform=grid.transform, all_touched=True)


def _ball_counts(tree: Any, centres: np.ndarray, radius: float, chunk: int) -> np.ndarray:
    """Number of tree points within ``radius`` (inclusive) of each centre, in chunks."""
    out = np.zeros(len(centres), dtype=np.int64)
    for start in range(0, len(centres), chunk):
        part = centres[start : start + chunk]
        out[start : start + len(part)] = tree.query_ball_point(part, radius, return_length=True)
    return out


def _cell_centres(grid: DensityGrid, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    xmin, _, _, ymax = grid.bounds
    c = grid.cell_size_m
    return np.column_stack([xmin + (cols + 0.5) * c, ymax - (rows + 0.5) * c])


def privacy_mask(
    points_xy: Any,
    grid: DensityGrid,
    *,
    min_count: int,
    inside: np.ndarray | None = None,
    block: int = 16,
    chunk: int = 1 << 18,
) -> np.ndarray:
    """Cells that may be published: at least ``min_count`` points within the kernel radius.

    Parameters
    ----------
    points_xy : (N, 2) array-like, GeoSeries or GeoDataFrame
        The points of the surface's subset (RD New).
    grid : DensityGrid
        The surface; its cell centres and ``radius_m`` are used.
    min_count : int
        The privacy threshold (``[privacy] min_count``).
    inside : boolean array of the grid's shape, optional
        Cells inside the study area; the others are never shown. Default: every cell.
    block, chunk : int
        Block size in cells for the exact bounds, and centres per KD-tree query (memory).

    Returns
    -------
    numpy.ndarray
        Boolean, the grid's shape: True exactly where the cell is inside and the number of
        points at a distance of at most ``radius_m`` from its centre is at least ``min_count``.

    Examples
    --------
    >>> g = kde([[1000.0, 2000.0]] * 5, cell_size_m=10.0, radius_m=50.0)
    >>> int(privacy_mask([[1000.0, 2000.0]] * 5, g, min_count=5).sum())  # cell centres within 50 m
    80
    >>> int(privacy_mask([[1000.0, 2000.0]] * 4, g, min_count=5).sum())
    0
    """
    from scipy.spatial import cKDTree

    xy, _ = _points_array(points_xy)
    rows, cols = grid.shape
    inside = np.ones(grid.shape, dtype=bool) if inside is None else np.asarray(inside, dtype=bool)
    if inside.shape != grid.shape:
        raise ValueError(f"inside has shape {inside.shape}, the grid {grid.shape}")
    shown = np.zeros(grid.shape, dtype=bool)
    if len(xy) < min_count or not inside.any():
        return shown
    tree = cKDTree(xy)
    r, c = float(grid.radius_m), float(grid.cell_size_m)
    # Blocks that hold an inside cell; their (nominal, full-size) centres and half diagonal.
    nbr, nbc = -(-rows // block), -(-cols // block)
    padded = np.zeros((nbr * block, nbc * block), dtype=bool)
    padded[:rows, :cols] = inside
    wanted = padded.reshape(nbr, block, nbc, block).any(axis=(1, 3))
    brow, bcol = np.nonzero(wanted)
    mid = (block - 1) / 2.0
    centres = _cell_centres(grid, brow * block + mid, bcol * block + mid)
    half = mid * c * math.sqrt(2.0)
    slack = 1e-6 * max(r, 1.0)  # guards the bounds against rounding of the distances
    upper = _ball_counts(tree, centres, r + half + slack, chunk)
    lower = (
        _ball_counts(tree, centres, r - half - slack, chunk)
        if r > half + slack
        else np.zeros(len(centres), dtype=np.int64)
    )
    state = np.zeros((nbr, nbc), dtype=np.int8)  # 0 hidden, 1 shown, 2 count each cell
    state[brow, bcol] = np.where(lower >= min_count, 1, np.where(upper >= min_count, 2, 0))
    cells = np.repeat(np.repeat(state, block, axis=0), block, axis=1)[:rows, :cols]
    shown[(cells == 1) & inside] = True
    todo_rows, todo_cols = np.nonzero((cells == 2) & inside)
    for start in range(0, len(todo_rows), chunk):
        rr, cc = todo_rows[start : start + chunk], todo_cols[start : start + chunk]
        counts = _ball_counts(tree, _cell_centres(grid, rr, cc), r, chunk)
        shown[rr, cc] = counts >= min_count
    return shown
