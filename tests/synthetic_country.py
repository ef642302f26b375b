"""A synthetic country for national-scale tests and benchmarks (generated, never stored).

``synthetic_buurten`` tiles the RD New extent of the Netherlands with Voronoi cells, about as
many as the country has buurten (14,500): 60 % of the seeds lie in 60 "cities" (Gaussian
clusters 2 to 8 km wide), the rest spread evenly, so buurten are small where the points are
dense, as in the real map. ``synthetic_points`` draws points the same way (60 % in the
cities); ``boundary_points`` puts points exactly on the buurt boundaries and at their corners,
where the tie-break between buurten matters.
"""

from __future__ import annotations

import numpy as np
import shapely

from almere_gis._schema import RD_EXTENT

N_BUURTEN = 14_500
_N_CITIES = 60
_CITY_SHARE = 0.6


def _cities(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """City centres (k, 2) and their spread (k,) in metres, fixed by the country's seed."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = RD_EXTENT
    margin = 10_000.0
    centres = np.column_stack(
        [
            rng.uniform(xmin + margin, xmax - margin, _N_CITIES),
            rng.uniform(ymin + margin, ymax - margin, _N_CITIES),
        ]
    )
    return centres, rng.uniform(2_000.0, 8_000.0, _N_CITIES)


def _draw(
    rng: np.random.Generator, n: int, seed: int, layout: str
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` locations inside the extent: uniform, or 60 % around the cities of ``seed``."""
    xmin, ymin, xmax, ymax = RD_EXTENT
    if layout == "uniform":
        return rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)
    if layout != "clustered":
        raise ValueError(f"layout must be 'clustered' or 'uniform', got {layout!r}")
    centres, spread = _cities(seed)
    n_city = int(n * _CITY_SHARE)
    k = rng.integers(0, _N_CITIES, n_city)
    x = np.concatenate(
        [
            centres[k, 0] + rng.normal(0.0, 1.0, n_city) * spread[k],
            rng.uniform(xmin, xmax, n - n_city),
        ]
    )
    y = np.concatenate(
        [
            centres[k, 1] + rng.normal(0.0, 1.0, n_city) * spread[k],
            rng.uniform(ymin, ymax, n - n_city),
        ]
    )
    # Inside the extent, so that every point lies in some buurt.
    return np.clip(x, xmin + 1.0, xmax - 1.0), np.clip(y, ymin + 1.0, ymax - 1.0)


def synthetic_buurten(
    n: int = N_BUURTEN, *, seed: int = 0, layout: str = "clustered"
) -> np.ndarray:
    """``n`` Voronoi polygons tiling ``RD_EXTENT`` (EPSG:28992); index i is buurt code i."""
    sx, sy = _draw(np.random.default_rng(seed + 1), n, seed, layout)
    box = shapely.box(*RD_EXTENT)
    seeds = shapely.multipoints(np.column_stack([sx, sy]))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box))
    return np.asarray(shapely.intersection(cells, box))


def synthetic_points(
    n: int, *, seed: int = 1, country_seed: int = 0, layout: str = "clustered"
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` point coordinates (x, y) spread like the buurten of ``country_seed``."""
    return _draw(np.random.default_rng(seed), n, country_seed, layout)


def boundary_points(
    polygons: np.ndarray, n_edge: int, n_corner: int, *, seed: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Points on the polygons' edges (``n_edge``) and on their vertices (``n_corner``)."""
    rng = np.random.default_rng(seed)
    rings = shapely.get_exterior_ring(polygons)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = np.flatnonzero(ring[1:] == ring[:-1])  # segment starts
    k = rng.choice(same, n_edge)
    t = rng.random(n_edge)[:, None]
    on_edge = xy[k] + t * (xy[k + 1] - xy[k])
    corner = xy[rng.choice(same, n_corner)]
    both = np.vstack([on_edge, corner])
    return both[:, 0], both[:, 1]
