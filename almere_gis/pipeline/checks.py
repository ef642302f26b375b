"""Run-time checks: what the settings schema cannot know until the inputs are seen.

The settings are checked on their own when they are loaded (ranges, choices, cross-field
rules). What depends on the inputs is checked here, before the step that would fail:

- :func:`check_paths`: every input file named in ``[paths]`` exists, and none lies inside the
  output folder (which a run replaces as a whole); checked before anything is read.
- :func:`check_grid_memory`: the density grids and the hexagon grid, sized from the study
  area, fit in the memory this computer has free; checked right after the buurten are read,
  before anything is allocated. The refusal names the setting, the estimate and a value that
  fits.
- :func:`check_joined`: at least one business lies in a buurt; otherwise a
  :class:`~almere_gis._errors.StudyAreaError` says where the points are, where the buurten
  are, and whether that looks like a coordinate system mix-up.
"""

from __future__ import annotations

__all__ = [
    "available_memory",
    "check_grid_memory",
    "check_joined",
    "check_paths",
    "check_usable",
    "density_memory",
    "hexgrid_memory",
]

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from .._errors import ConfigError, InputError, StudyAreaError
from ..analysis._kde import _MIN_TILE_CELLS, _TILE_FINE_CELLS, oversample_for
from ..analysis.density import _grid_geometry
from ..settings import DensitySettings, Settings
from ..texts.format import number

Bounds = tuple[float, float, float, float]

# Measured peak of one kde() call per cell of the padded internal grid it convolves at once
# (binned grid, two FFT spectra, the inverse transform): 36-37 bytes on 5 to 17 million cells.
_KDE_BYTES_PER_FINE_CELL = 40
# Measured per hexagon of the lattice over the study area's bounding box: about 1.2 kB for the
# grid and its counts and 3.9 kB more for Gi* (k-nearest-neighbour weights, permutations).
_HEX_BYTES = 5_000
# A run may plan to use this share of the free memory; the rest is for the outputs (map,
# GeoPackage, GeoTIFFs) and for whatever else the computer is doing.
_MEMORY_SHARE = 0.5
_NICE_CELLS = (5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0)
_NICE_HEXES = (50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 400.0, 500.0, 1000.0, 2000.0, 5000.0)


def available_memory() -> int:
    """Bytes of memory this computer can give a process now without swapping (psutil)."""
    import psutil

    return int(psutil.virtual_memory().available)


def check_paths(settings: Settings, out_dir: Path) -> None:
    """Refuse a missing input file, or one inside the output folder, before reading anything.

    Raises
    ------
    InputError
        For an input named in ``[paths]`` that does not exist, naming the setting.
    ConfigError
        For an input file inside ``out_dir`` (a run replaces that folder).
    """
    p = settings.paths
    out = out_dir.absolute()
    given = {
        "buurten": p.buurten,
        "wijken": p.wijken,
        "businesses": p.businesses,
        "candidates": p.candidates,
        "stations": p.stations,
    }
    for key, path in given.items():
        if path is None:
            continue
        if not path.exists():
            skip = (
                f', or leave it empty ({key} = "") to run without it'
                if key in ("wijken", "candidates", "stations")
                else ""
            )
            raise InputError(
                path,
                f"file not found (set as [paths] {key} in {settings.source})",
                f"correct [paths] {key}{skip}",
            )
        if path.absolute().is_relative_to(out):
            raise ConfigError(
                f"{settings.source}: [paths] {key} = {path} lies inside the output folder "
                f"{out}, which a run replaces as a whole. Fix: move the input out of that "
                "folder or choose another output folder ([paths] out_dir or --out)."
            )


def _density_cells(bounds: Bounds, cell: float, radius: float) -> tuple[int, int]:
    _, _, rows, cols = _grid_geometry(np.empty((0, 2)), bounds, cell, radius)
    return rows, cols


def _piece_cells(rows: int, cols: int, m: int, pad: int) -> int:
    """Fine cells of the largest piece one kde() call convolves (the whole grid or a tile)."""
    whole = (rows * m + 2 * pad) * (cols * m + 2 * pad)
    if whole <= _TILE_FINE_CELLS:
        return whole
    side = max((math.isqrt(_TILE_FINE_CELLS) - 2 * pad) // m, _MIN_TILE_CELLS)
    return min(whole, (min(side, rows) * m + 2 * pad) * (min(side, cols) * m + 2 * pad))


def density_memory(bounds: Bounds, density: DensitySettings, *, cell_size_m: float = 0) -> int:
    """Bytes the density step needs at its peak for the study area ``bounds``.

    Every surface of the run is kept in memory (float64 values and a boolean mask per subset),
    and one :func:`~almere_gis.analysis.density.kde` call at a time adds its internal grid:
    the output grid refined by the oversampling the density module chooses for the radius,
    convolved whole or, when large, tile by tile.
    """
    cell = float(cell_size_m or density.cell_size_m)
    radius = density.radius_m
    rows, cols = _density_cells(bounds, cell, radius)
    cells = rows * cols
    peak = 0
    for kernel in ("uniform", density.kernel):  # the privacy mask uses a uniform kernel
        m = oversample_for(radius / cell, kernel, cells)
        pad = math.floor(radius / cell * m) + 2
        peak = max(peak, _piece_cells(rows, cols, m, pad) * _KDE_BYTES_PER_FINE_CELL)
    kept = len(density.subsets) * (len(density.weights) * 8 + 1) * cells
    return int(kept + peak + 8 * cells)


def hexgrid_memory(bounds: Bounds, size_m: float) -> int:
    """Bytes the hexagon grid, its counts and Gi* need for the study area ``bounds``."""
    width, height = bounds[2] - bounds[0], bounds[3] - bounds[1]
    radius = size_m / math.sqrt(3.0)
    columns = (width + 2 * radius) / (1.5 * radius) + 2
    rows = (height + 2 * size_m) / size_m + 2
    return int(columns * rows * _HEX_BYTES)


def _size(nbytes: float, language: str = "en") -> str:
    if nbytes >= 1e9:
        return f"{number(nbytes / 1e9, 1, language)} GB"
    return f"{number(nbytes / 1e6, 0, language)} MB"


def _first_fitting(
    options: Sequence[float], current: float, fits: Callable[[float], bool]
) -> float | None:
    """The smallest of ``options`` above ``current`` that ``fits``."""
    return next((v for v in options if v > current and fits(v)), None)


def check_grid_memory(
    settings: Settings, bounds: Bounds, *, wanted: frozenset[str], free: int | None = None
) -> None:
    """Refuse grid settings whose grids would not fit in memory, before allocating them.

    Parameters
    ----------
    settings
        The run's settings (``[density]`` and ``[hexgrid]``).
    bounds
        (xmin, ymin, xmax, ymax) of the study area in RD metres.
    wanted
        The run's later steps: density grids are checked when ``density`` is among them, the
        hexagon grid when ``hotspots`` or ``sites`` is.
    free
        Free memory in bytes; default :func:`available_memory`.

    Raises
    ------
    ConfigError
        Naming the setting, the estimate, the free memory and a value that fits.
    """
    budget = (available_memory() if free is None else free) * _MEMORY_SHARE
    d = settings.density
    if "density" in wanted and d.subsets and d.weights:
        need = density_memory(bounds, d)
        if need > budget:
            rows, cols = _density_cells(bounds, d.cell_size_m, d.radius_m)
            better = _first_fitting(
                _NICE_CELLS,
                d.cell_size_m,
                lambda c: density_memory(bounds, d, cell_size_m=c) <= budget,
            )
            usable = better is not None and better * 2 <= d.radius_m
            fix = (
                f"use [density] cell_size_m = {better:g} (about "
                f"{_size(density_memory(bounds, d, cell_size_m=better))})"
                if usable and better is not None
                else "use a larger [density] cell_size_m (and radius_m)"
            )
            raise ConfigError(
                f"{settings.source}: [density] cell_size_m = {d.cell_size_m:g} gives density "
                f"grids of {number(rows, 0, 'en')} x {number(cols, 0, 'en')} cells over the "
                f"study area, which need about {_size(need)} of memory for "
                f"{len(d.subsets) * len(d.weights)} surfaces, more than this computer can "
                f"spare ({_size(budget)} of {_size(budget / _MEMORY_SHARE)} free). Fix: {fix}, "
                "fewer [density] subsets or weights, or a smaller study area."
            )
    if wanted & {"hotspots", "sites"}:
        size = settings.hexgrid.size_m
        need = hexgrid_memory(bounds, size)
        if need > budget:
            better = _first_fitting(
                _NICE_HEXES, size, lambda s: hexgrid_memory(bounds, s) <= budget
            )
            fix = (
                f"use [hexgrid] size_m = {better:g} (about {_size(hexgrid_memory(bounds, better))})"
                if better is not None
                else "use a larger [hexgrid] size_m or a smaller study area"
            )
            n = hexgrid_memory(bounds, size) / _HEX_BYTES
            raise ConfigError(
                f"{settings.source}: [hexgrid] size_m = {size:g} gives about "
                f"{number(n, 0, 'en')} hexagons over the study area, which need about "
                f"{_size(need)} of memory for the grid and its hot spot test, more than this "
                f"computer can spare ({_size(budget)} of {_size(budget / _MEMORY_SHARE)} free). "
                f"Fix: {fix}."
            )


def _extent(x: np.ndarray, y: np.ndarray) -> str:
    return (
        f"x {number(np.min(x), 0, 'en')} to {number(np.max(x), 0, 'en')}, "
        f"y {number(np.min(y), 0, 'en')} to {number(np.max(y), 0, 'en')}"
    )


def _direction(dx: float, dy: float) -> str:
    names = ("east", "north-east", "north", "north-west", "west", "south-west", "south")
    angle = math.degrees(math.atan2(dy, dx)) % 360
    return (*names, "south-east")[round(angle / 45) % 8]


def _mix_up_hint(points: Bounds, areas: Bounds) -> tuple[str, str]:
    """The likely cause of two extents that do not overlap, and its fix."""
    # (x and y swapped cannot get here: a swapped RD pair lies outside the Netherlands, and
    # the loader rejects such rows with their coordinates.)
    px, py = (points[0] + points[2]) / 2, (points[1] + points[3]) / 2
    ax, ay = (areas[0] + areas[2]) / 2, (areas[1] + areas[3]) / 2
    dx, dy = px - ax, py - ay
    away = f"{number(math.hypot(dx, dy) / 1000, 0, 'en')} km {_direction(dx, dy)}"
    p_size = max(points[2] - points[0], points[3] - points[1], 1.0)
    a_size = max(areas[2] - areas[0], areas[3] - areas[1], 1.0)
    cause = f"; the points lie about {away} of the buurten"
    if 0.2 <= p_size / a_size <= 5:
        cause += (
            ", in an area of about the same size, as if the same place were shifted: that "
            "looks like a coordinate system mix-up (coordinates in another CRS read as RD New, "
            "or a false origin added or left out), or a register of another municipality"
        )
    return (
        cause,
        "check that both files cover the same municipality and that [businesses] crs (or the "
        "file's own CRS) matches the coordinates",
    )


def check_joined(
    businesses: pd.DataFrame, n_joined: int, buurten_bounds: Bounds, *, where: Sequence[str]
) -> None:
    """Refuse a run in which not one business lies in a buurt.

    Parameters
    ----------
    businesses
        The valid business points (GeoDataFrame in RD New).
    n_joined
        How many of them lie in a buurt.
    buurten_bounds
        Bounds of the buurten in RD New.
    where
        The business file and the buurten file, for the message.

    Raises
    ------
    StudyAreaError
        When ``n_joined`` is 0 while there are businesses.
    """
    if n_joined or not len(businesses):
        return
    geom = businesses.geometry.to_numpy()
    x, y = shapely.get_x(geom), shapely.get_y(geom)
    points: Bounds = (float(x.min()), float(y.min()), float(x.max()), float(y.max()))
    ax = np.array([buurten_bounds[0], buurten_bounds[2]])
    ay = np.array([buurten_bounds[1], buurten_bounds[3]])
    cause, fix = _mix_up_hint(points, buurten_bounds)
    raise StudyAreaError(
        where[0],
        f"none of the {number(len(businesses), 0, 'en')} valid businesses lies in a buurt of "
        f"{where[1]}: the points lie at RD {_extent(x, y)}, the buurten at RD "
        f"{_extent(ax, ay)}{cause}",
        fix,
    )


def check_usable(businesses: pd.DataFrame, rejects: pd.DataFrame, path: object) -> None:
    """Refuse a register in which every row was rejected, with the most common reason.

    Raises
    ------
    InputError
        When ``businesses`` is empty and ``rejects`` is not.
    """
    if len(businesses) or not len(rejects):
        return
    # Whole reasons (a row with several problems has them joined in one): a reason may itself
    # hold a "; ", as in "... outside the Netherlands ...; they look like longitude/latitude".
    top = rejects["reason"].astype("string").fillna("").value_counts()
    first, times = str(top.index[0]), int(top.iloc[0])
    raise InputError(
        path,
        f"none of the {number(len(rejects), 0, 'en')} rows is usable; the most common reason "
        f"({number(times, 0, 'en')} rows): {first}",
        f"run `almere-gis validate {path}` for every problem with its row, then correct the "
        "file or the column mapping ([businesses] preset and [businesses.columns])",
    )
