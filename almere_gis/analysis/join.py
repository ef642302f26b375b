"""Join businesses to buurten (and so to wijken), with full accounting.

Every business gets exactly one buurt. A point on a shared boundary is covered by several buurten;
it goes to the one with the lowest buurt code, so the result never depends on file order.

How :func:`assign_areas` is fast at every scale, from one city to the whole country:

1. The polygons are burnt into a raster of area indices. Every cell that a polygon boundary
   meets (its closed extent, with a small tolerance) is marked from the boundary segments
   themselves: each crossing of a segment with a grid line marks the cells on both sides, so a
   cell left unmarked lies wholly inside one polygon or outside them all.
2. A point in an unmarked cell takes that cell's index directly (one array lookup).
3. The points in marked cells are tested exactly in one bulk query: an STRtree of the polygons
   gives the candidates by bounding box and ``shapely.intersects_xy`` on the prepared polygons
   decides (for a point the same as ``covered_by``); the lowest index among the hits wins.

The cell size adapts to the polygons and the points: a small cost model weighs the raster's
size against the share of points that will need the exact test (estimated from the boundary
length per area of the polygons that hold a sample of the points), within ``max_cells``. Where
no raster pays (few points), every point goes to the bulk query. See ``benchmarks/bench_join.py``
and ``benchmarks/bench_national.py`` for figures side by side with geopandas, shapely and DuckDB.
"""

from __future__ import annotations

__all__ = ["JoinResult", "accounting_table", "assign_areas", "join_businesses"]

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from .._errors import AccountingError
from ..io.crs import require_rd

OUTSIDE_REASON_NL = "buiten het studiegebied (in geen enkele buurt)"

# The cost model that picks the raster's cell size, in seconds per unit as measured on a 2-core
# machine (only the ratios matter): filling the indices, per cell; marking boundary cells, per
# crossing of a boundary segment with a grid line and per vertex (with extracting the rings);
# looking a point up; testing a point exactly (tree query and covers test).
_COST_CELL = 1.0e-8
_COST_CROSSING = 7.0e-8
_COST_VERTEX = 3.0e-7
_COST_LOOKUP = 5.0e-8
_COST_EXACT = 1.5e-6
# Measured: the marked band around a boundary is about 4/pi cells wide, half of it on each side,
# so the share of a polygon's area in marked cells is about 0.64 * cell * perimeter / area.
_BAND = 0.64
# Points sampled to estimate which polygons hold the points (and so their boundary density).
_SAMPLE = 2048
# Points handled at a time: bounds the temporary arrays to a few tens of MB at any input size.
_CHUNK = 1 << 20
# Tolerance in cells when marking boundary cells; far above the rounding of the cell coordinates
# (about 1e-12 cells) and far below anything that changes which cells are marked in practice.
_EPS = 1e-7
# Raster value of a marked cell (0 is outside every polygon, i + 1 is polygon i).
_MARKED = -1


@dataclass(frozen=True)
class _Grid:
    """A raster over the polygons: western edge, northern edge, cell size, rows, columns."""

    x0: float
    y0: float
    cell: float
    rows: int
    cols: int


def assign_areas(
    x: np.ndarray,
    y: np.ndarray,
    polygons: np.ndarray,
    *,
    max_cells: int = 64_000_000,
) -> np.ndarray:
    """Index into ``polygons`` of the polygon covering each point, or -1 for none.

    When several polygons cover a point (shared boundary, or an overlap) the lowest index wins,
    so sort ``polygons`` by code first for a code-based tie-break.

    Parameters
    ----------
    x, y
        Point coordinates in the polygons' CRS; non-finite coordinates give -1.
    polygons
        Array of (Multi)Polygons (missing or empty ones cover nothing).
    max_cells
        Upper bound on the size of the helper raster (about 6 bytes per cell while it is built).

    Returns
    -------
    numpy.ndarray
        int64 array of the points' shape.

    Examples
    --------
    >>> import shapely, numpy as np
    >>> sq = shapely.box([0, 10], [0, 0], [10, 20], [10, 10])
    >>> assign_areas(np.array([5.0, 10.0, 15.0, 25.0]), np.array([5.0, 5.0, 5.0, 5.0]), sq)
    array([ 0,  0,  1, -1])
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in shape: {x.shape} and {y.shape}")
    polygons = np.asarray(polygons, dtype=object)
    result = np.full(x.shape, -1, dtype=np.int64)
    present = ~(shapely.is_missing(polygons) | shapely.is_empty(polygons))
    if not present.any() or x.size == 0:
        return result
    if len(polygons) >= np.iinfo(np.int32).max:
        raise ValueError("too many polygons for the area raster")
    flat_x, flat_y, out = x.reshape(-1), y.reshape(-1), result.reshape(-1)
    tree = shapely.STRtree(polygons)
    shapely.prepare(polygons)
    grid = _choose_grid(polygons, flat_x, flat_y, tree, max_cells)
    raster = None
    if grid is not None:
        raster = _area_raster(len(polygons), _boundaries(polygons, present), grid)
    for start in range(0, flat_x.size, _CHUNK):
        cx, cy = flat_x[start : start + _CHUNK], flat_y[start : start + _CHUNK]
        if raster is None or grid is None:
            todo = np.flatnonzero(np.isfinite(cx) & np.isfinite(cy))
            part = np.full(cx.size, -1, dtype=np.int64)
        else:
            part, todo = _lookup(raster, grid, cx, cy)
        if todo.size:
            part[todo] = _exact(polygons, tree, cx[todo], cy[todo])
        out[start : start + _CHUNK] = part
    return result


@dataclass(frozen=True)
class _Boundaries:
    """Every boundary segment of the polygons: ends (k, 2), owner polygon, and whether to fill.

    Rings are oriented (exteriors counter-clockwise, holes clockwise), so that the signed
    crossings of a row with them count how many polygons hold a cell. Invalid polygons are not
    filled; every cell of their bounding box is marked instead.
    """

    start: np.ndarray
    end: np.ndarray
    owner: np.ndarray
    filled: np.ndarray
    invalid_bounds: np.ndarray


def _boundaries(polygons: np.ndarray, present: np.ndarray) -> _Boundaries:
    which = np.flatnonzero(present)
    valid = shapely.is_valid(polygons[which])
    oriented = shapely.orient_polygons(polygons[which], exterior_cw=False)
    if (shapely.get_type_id(oriented) == 3).all():  # no multipolygons: skip the copy of parts
        parts, part_of = oriented, np.arange(len(oriented))
    else:
        parts, part_of = shapely.get_parts(oriented, return_index=True)
    is_polygon = shapely.get_type_id(parts) == 3
    rings, ring_of = shapely.get_rings(parts[is_polygon], return_index=True)
    xy, vertex_of = shapely.get_coordinates(rings, return_index=True)
    same = vertex_of[1:] == vertex_of[:-1]  # consecutive vertices of one ring
    local = part_of[is_polygon][ring_of][vertex_of[:-1][same]]
    return _Boundaries(
        start=xy[:-1][same],
        end=xy[1:][same],
        owner=which[local],
        filled=valid[local],
        invalid_bounds=shapely.bounds(polygons[which[~valid]]),
    )


def _choose_grid(
    polygons: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    tree: shapely.STRtree,
    max_cells: int,
) -> _Grid | None:
    """The cheapest raster by the cost model, or None when testing every point is cheaper."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(polygons)
    width, height = xmax - xmin, ymax - ymin
    n = x.size
    if not (width > 0 and height > 0) or max_cells < 16:
        return None
    rho = _boundary_density(polygons, x, y, tree)
    # Sum of |dx| + |dy| over the boundaries: 4 / pi of their length for random directions.
    travel = 4.0 / math.pi * float(np.nansum(shapely.length(polygons)))
    vertices = int(shapely.get_num_coordinates(polygons).sum())
    smallest = math.sqrt(width * height / max_cells)
    cells = np.geomspace(max(smallest, 1e-9), max(width, height), 64)
    n_cells = (np.ceil(width / cells) + 2) * (np.ceil(height / cells) + 2)
    cells, n_cells = cells[n_cells <= max_cells], n_cells[n_cells <= max_cells]
    if cells.size == 0:
        return None
    cost = (
        _COST_CELL * n_cells
        + _COST_CROSSING * travel / cells
        + _COST_VERTEX * vertices
        + n * (_COST_LOOKUP + _COST_EXACT * np.minimum(1.0, _BAND * cells * rho))
    )
    best = int(np.argmin(cost))
    if cost[best] >= n * _COST_EXACT:
        return None
    cell = float(cells[best])
    cols = math.ceil(width / cell) + 2
    rows = math.ceil(height / cell) + 2
    return _Grid(x0=xmin - cell, y0=ymax + cell, cell=cell, rows=rows, cols=cols)


def _boundary_density(
    polygons: np.ndarray, x: np.ndarray, y: np.ndarray, tree: shapely.STRtree
) -> float:
    """Mean perimeter / area (1/m) of the polygons holding an even sample of the points.

    Points outside every polygon count as 0; a polygon without area counts as infinite.
    """
    finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if finite.size == 0:
        return 0.0
    pick = finite[np.linspace(0, finite.size - 1, min(_SAMPLE, finite.size)).astype(np.int64)]
    owner = _exact(polygons, tree, x[pick], y[pick])
    area = shapely.area(polygons)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(area > 0, shapely.length(polygons) / area, np.inf)
    return float(np.where(owner >= 0, ratio[np.clip(owner, 0, None)], 0.0).mean())


def _area_raster(n_polygons: int, edges: _Boundaries, grid: _Grid) -> np.ndarray:
    """Flat raster: 0 outside, i + 1 inside polygon i, ``_MARKED`` where a boundary passes."""
    ids, depth = _fill(edges, grid)
    odd = depth != 1  # outside (0), or inside several polygons (an overlap: tested exactly)
    ids[odd] = np.where(depth[odd] == 0, 0, _MARKED)
    del depth, odd
    for x0, y0, x1, y1 in edges.invalid_bounds:
        c0, c1 = _cell_range(x0, x1, grid.x0, grid.cell, grid.cols)
        r0, r1 = _cell_range(grid.y0 - y1, grid.y0 - y0, 0.0, grid.cell, grid.rows)
        ids.reshape(grid.rows, grid.cols)[r0:r1, c0:c1] = _MARKED
    step = 1 << 18
    for i in range(0, len(edges.start), step):  # in pieces: bounded memory at any length
        _mark_boundaries(ids, grid, edges.start[i : i + step], edges.end[i : i + step])
    if n_polygons < np.iinfo(np.int16).max:
        return ids.astype(np.int16)  # half the memory, and faster lookups
    return ids


def _cell_range(lo: float, hi: float, origin: float, cell: float, n: int) -> tuple[int, int]:
    """Cells (start, stop) that the interval [lo, hi] touches, one extra on each side."""
    first = max(math.floor((lo - origin) / cell) - 1, 0)
    return first, min(math.floor((hi - origin) / cell) + 2, n)


def _fill(edges: _Boundaries, grid: _Grid) -> tuple[np.ndarray, np.ndarray]:
    """Scanline fill at the cell centres: summed indices (+1) and the number of polygons there.

    Each crossing of an oriented ring with a row's centre line adds its direction (+1 or -1)
    times the polygon's index + 1 at the first cell centre to its right; the running sum
    along the row is then the index + 1 of the polygon holding the cell centre, and a second
    running sum of the directions alone counts the polygons holding it.
    """
    ids = np.zeros(grid.rows * grid.cols, dtype=np.int32)
    depth = np.zeros(grid.rows * grid.cols, dtype=np.int16)
    use = edges.filled
    u0 = (edges.start[use, 0] - grid.x0) / grid.cell
    u1 = (edges.end[use, 0] - grid.x0) / grid.cell
    v0 = (grid.y0 - edges.start[use, 1]) / grid.cell - 0.5  # row centres at integers
    v1 = (grid.y0 - edges.end[use, 1]) / grid.cell - 0.5
    value = edges.owner[use].astype(np.int32) + 1
    # A row r is crossed when min(v0, v1) <= r < max(v0, v1): half-open, so a vertex on a
    # centre line counts once.
    first = np.ceil(np.minimum(v0, v1))
    count = np.maximum(np.ceil(np.maximum(v0, v1)) - first, 0).astype(np.int64)
    seg = np.repeat(np.arange(count.size), count)
    row = first[seg] + (np.arange(seg.size) - (np.cumsum(count) - count)[seg])
    t = (row - v0[seg]) / (v1[seg] - v0[seg])
    col = np.floor(u0[seg] + t * (u1[seg] - u0[seg]) - 0.5) + 1  # first centre to the right
    keep = (col < grid.cols) & (row >= 0) & (row < grid.rows)
    at = (row[keep] * grid.cols + np.maximum(col[keep], 0)).astype(np.int64)
    direction = np.where(v1 > v0, 1, -1).astype(np.int16)[seg[keep]]
    np.add.at(depth, at, direction)
    np.add.at(ids, at, direction * value[seg[keep]])
    np.cumsum(ids.reshape(grid.rows, grid.cols), axis=1, out=ids.reshape(grid.rows, grid.cols))
    np.cumsum(depth.reshape(grid.rows, grid.cols), axis=1, out=depth.reshape(grid.rows, grid.cols))
    return ids, depth


def _mark_boundaries(ids: np.ndarray, grid: _Grid, start: np.ndarray, end: np.ndarray) -> None:
    """Mark every cell whose closed extent a segment meets (within ``_EPS`` cells).

    A segment that meets a cell either ends in it or crosses one of its edges; the ends are
    marked with every cell they touch, and each crossing with a grid line with the cells on
    both sides of it (the tolerance makes both sides sure at a corner).
    """
    u0, u1 = (start[:, 0] - grid.x0) / grid.cell, (end[:, 0] - grid.x0) / grid.cell
    v0, v1 = (grid.y0 - start[:, 1]) / grid.cell, (grid.y0 - end[:, 1]) / grid.cell
    _mark_points(ids, grid, u0, v0)  # rings are closed: every end is also a start
    for p0, p1, q0, q1, vertical in ((u0, u1, v0, v1, True), (v0, v1, u0, u1, False)):
        lo = np.ceil(np.minimum(p0, p1))
        count = np.where(p0 != p1, np.floor(np.maximum(p0, p1)) - lo + 1, 0).astype(np.int64)
        count = np.maximum(count, 0)
        seg = np.repeat(np.arange(count.size), count)
        first = np.cumsum(count) - count
        line = lo[seg] + (np.arange(seg.size) - first[seg])  # the grid line crossed
        t = (line - p0[seg]) / (p1[seg] - p0[seg])
        other = q0[seg] + t * (q1[seg] - q0[seg])
        if vertical:
            _mark_points(ids, grid, line, other)
        else:
            _mark_points(ids, grid, other, line)


def _mark_points(ids: np.ndarray, grid: _Grid, u: np.ndarray, v: np.ndarray) -> None:
    """Mark the cells holding (u, v) in cell units, each shifted by +-``_EPS`` on both axes.

    The points lie inside the raster (it has a margin of one cell), so truncation is floor;
    the clip only guards the margin, where an extra mark is harmless.
    """
    c0 = np.clip((u - _EPS).astype(np.int64), 0, grid.cols - 1)
    c1 = np.clip((u + _EPS).astype(np.int64), 0, grid.cols - 1)
    r0 = np.clip((v - _EPS).astype(np.int64), 0, grid.rows - 1) * grid.cols
    r1 = np.clip((v + _EPS).astype(np.int64), 0, grid.rows - 1) * grid.cols
    ids[r0 + c0] = _MARKED
    two_cols = c1 != c0  # near a vertical grid line (always, for a crossing of one)
    ids[r0[two_cols] + c1[two_cols]] = _MARKED
    two_rows = np.flatnonzero(r1 != r0)  # near a horizontal grid line
    ids[r1[two_rows] + c0[two_rows]] = _MARKED
    ids[r1[two_rows] + c1[two_rows]] = _MARKED


def _lookup(
    raster: np.ndarray, grid: _Grid, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Area index from the raster (-1 outside) and the positions that need the exact test."""
    col = np.floor((x - grid.x0) / grid.cell)
    row = np.floor((grid.y0 - y) / grid.cell)
    inside = (col >= 0) & (col < grid.cols) & (row >= 0) & (row < grid.rows)  # NaN: False
    flat = np.where(inside, row * grid.cols + col, 0.0).astype(np.int64)
    value = np.where(inside, raster[flat], 0).astype(np.int64)
    todo = np.flatnonzero(value == _MARKED)
    return value - 1, todo


def _exact(polygons: np.ndarray, tree: shapely.STRtree, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Lowest index of a polygon covering each point (-1 for none), by one bulk tree query."""
    found = np.full(x.size, -1, dtype=np.int64)
    if x.size == 0:
        return found
    point, poly = tree.query(shapely.points(x, y))
    hit = shapely.intersects_xy(polygons[poly], x[point], y[point])
    point, poly = point[hit], poly[hit]
    lowest = np.full(x.size, len(polygons), dtype=np.int64)
    np.minimum.at(lowest, point, poly)
    found[point] = lowest[point]
    return found


@dataclass(frozen=True)
class JoinResult:
    """Businesses with their buurt, those outside every buurt, and the per-row accounting.

    ``area_index`` gives, for each row of ``joined``, the row position of its buurt in the
    buurten frame that was passed in: an integer key for aggregation without matching codes.
    """

    joined: gpd.GeoDataFrame
    outside: pd.DataFrame
    accounting: pd.DataFrame
    area_index: np.ndarray | None = None


def join_businesses(
    businesses: gpd.GeoDataFrame,
    buurten: gpd.GeoDataFrame,
    *,
    rejects: pd.DataFrame | None = None,
    n_input: int | None = None,
) -> JoinResult:
    """Give every business exactly one buurt (and so one wijk), and account for every row.

    Parameters
    ----------
    businesses
        Valid businesses (internal schema, EPSG:28992, with ``source_row``).
    buurten
        Buurten (internal area schema, EPSG:28992).
    rejects
        Rows the loader rejected (``source_row``, ``business_id``, ``reason``).
    n_input
        Number of data rows in the input file; defaults to valid + rejected.

    Returns
    -------
    JoinResult
        ``joined`` (the businesses with ``buurt_code`` and ``wijk_code``; a new frame that
        shares the input's columns), ``outside`` (rows in no buurt, with reason),
        ``accounting`` (one row per input row: status joined / outside / rejected) and
        ``area_index`` (each joined row's buurt as a row position in ``buurten``).

    Raises
    ------
    AccountingError
        If input rows != joined + outside + rejected: the run must not go on with lost records.
    """
    require_rd(businesses, "businesses")
    require_rd(buurten, "buurten")
    order = np.argsort(buurten["buurt_code"].to_numpy(dtype=str), kind="stable")
    geoms = businesses.geometry.to_numpy()
    idx = assign_areas(
        shapely.get_x(geoms), shapely.get_y(geoms), buurten.geometry.to_numpy()[order]
    )
    found = idx >= 0
    if found.all():
        joined = businesses.copy(deep=False)  # copy-on-write: the columns are not copied
    else:
        joined = businesses.loc[found]
        idx = idx[found]
    position = order[idx]  # row in the buurten frame as given
    joined["buurt_code"] = _take_text(buurten["buurt_code"], position, "string")
    joined["wijk_code"] = _take_text(buurten["wijk_code"], position, "string")

    lost = ~found
    outside = pd.DataFrame(
        {
            "source_row": businesses["source_row"].to_numpy()[lost],
            "business_id": businesses["business_id"].to_numpy()[lost],
            "reason": OUTSIDE_REASON_NL,
        }
    )
    if rejects is None:
        rejects = pd.DataFrame({"source_row": [], "business_id": [], "reason": []})
    table = accounting_table(joined, outside, rejects, n_input=n_input)
    return JoinResult(joined=joined, outside=outside, accounting=table, area_index=position)


def _arrow_text(values: object) -> pa.Array:
    """Text values as one Arrow large-string array (missing stays missing)."""
    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed objects: let pandas make text
        arr = pa.array(pd.Series(values).astype("string"))
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    text = pa.large_string()
    chunks = [c if c.type == text else c.cast(text) for c in chunks]
    return pa.concat_arrays(chunks) if chunks else pa.array([], type=text)


def _take_text(
    values: object, positions: np.ndarray, dtype: str
) -> pd.api.extensions.ExtensionArray:
    """``values[positions]`` as a pandas text array, gathered in Arrow (no Python strings)."""
    taken = pc.take(_arrow_text(values), pa.array(positions, type=pa.int64()))
    return pd.array(taken, dtype=dtype)


def accounting_table(
    joined: pd.DataFrame,
    outside: pd.DataFrame,
    rejects: pd.DataFrame,
    *,
    n_input: int | None = None,
) -> pd.DataFrame:
    """One row per input row with its status and reason; checks the accounting identity.

    Columns ``source_row`` (int64, ascending), ``business_id``, ``status`` (``gekoppeld``,
    ``buiten`` or ``afgewezen``), ``buurt_code`` (missing unless joined) and ``reason``.

    Raises
    ------
    AccountingError
        When a row is missing, counted twice, or the totals do not add up to ``n_input``.
    """
    parts = (joined, outside, rejects)
    sizes = [len(p) for p in parts]
    rows = np.concatenate([p["source_row"].to_numpy(dtype=np.int64) for p in parts])
    # Each part is in file order already: a stable sort merges the three runs in linear time.
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    expected = sum(sizes) if n_input is None else n_input
    twice = np.flatnonzero(rows[1:] == rows[:-1]) + 1
    if rows.size != expected or twice.size:
        listed = np.unique(rows[twice])[:5].tolist()
        raise AccountingError(
            f"accounting broken: {expected} input rows but {sizes[0]} joined + "
            f"{sizes[1]} outside + {sizes[2]} rejected = {rows.size}"
            + (f"; rows counted twice: {listed}" if listed else "")
            + ". This is a bug: please report it with the input file."
        )
    status = pa.DictionaryArray.from_arrays(
        pa.array(np.repeat(np.arange(3, dtype=np.int8), sizes)),
        pa.array(["gekoppeld", "buiten", "afgewezen"], type=pa.large_string()),
    )
    no_code = pa.nulls(sizes[1] + sizes[2], type=pa.large_string())
    codes = pa.concat_arrays([_arrow_text(joined["buurt_code"]), no_code])
    reasons = pa.concat_arrays(
        [pa.repeat("", sizes[0]).cast(pa.large_string())]
        + [_arrow_text(p["reason"]) for p in parts[1:]]
    )
    ids = pa.concat_arrays([_arrow_text(p["business_id"]) for p in parts])
    take = pa.array(order, type=pa.int64())
    return pd.DataFrame(
        {
            "source_row": rows,
            "business_id": pd.array(pc.take(ids, take), dtype="str"),
            "status": pd.array(pc.take(status, take).cast(pa.large_string()), dtype="str"),
            "buurt_code": pd.array(pc.take(codes, take), dtype="str"),
            "reason": pd.array(pc.take(reasons, take), dtype="str"),
        }
    )
