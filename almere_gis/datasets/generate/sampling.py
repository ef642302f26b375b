"""Random points inside a polygon, on the demo's 1 m grid: uniform, around a centre, or along
synthetic streets. Candidates are rounded before they are tested, so every point returned lies
inside the polygon exactly as written to the files."""

from __future__ import annotations

__all__ = ["largest_remainder", "sample_cluster", "sample_streets", "sample_uniform"]

import numpy as np
import shapely


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total`` (ties by position).

    Examples
    --------
    >>> largest_remainder(np.array([1.0, 1.0, 2.0]), 5).tolist()
    [1, 1, 3]
    """
    weights = np.asarray(weights, dtype="float64")
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype="int64")
    exact = weights / weights.sum() * total
    base = np.floor(exact).astype("int64")
    rest = total - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return np.asarray(base, dtype="int64")


def _inside(poly: shapely.Geometry, cand: np.ndarray) -> np.ndarray:
    cand = np.round(cand)
    inside: np.ndarray = cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]
    return inside


def sample_uniform(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform points inside ``poly`` by bulk rejection sampling."""
    if n == 0:
        return np.empty((0, 2))
    x0, y0, x1, y1 = poly.bounds
    frac = max(poly.area / ((x1 - x0) * (y1 - y0)), 0.01)
    out = np.empty((0, 2))
    while len(out) < n:
        m = int((n - len(out)) / frac * 1.3) + 16
        cand = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        out = np.vstack([out, _inside(poly, cand)])
    return out[:n]


def sample_cluster(
    poly: shapely.Geometry, centre: np.ndarray, sd_m: float, n: int, rng: np.random.Generator
) -> np.ndarray:
    """``n`` points around ``centre`` (normal, sd ``sd_m``) inside ``poly``."""
    out = np.empty((0, 2))
    for _ in range(20):
        if len(out) >= n:
            break
        m = 2 * (n - len(out)) + 16
        out = np.vstack([out, _inside(poly, centre + rng.normal(0.0, sd_m, size=(m, 2)))])
    if len(out) < n:  # a thin polygon around the centre: top up uniformly
        out = np.vstack([out, sample_uniform(poly, n - len(out), rng)])
    return out[:n]


def _streets(
    poly: shapely.Geometry, n_streets: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Start and end points of short streets (60-160 m) on a grid turned per buurt."""
    angle = rng.uniform(0.0, np.pi / 2)
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    for _ in range(50):
        if sum(len(s) for s in starts) >= n_streets:
            break
        m = 2 * n_streets
        mid = sample_uniform(poly, m, rng)
        theta = angle + (np.pi / 2) * rng.integers(0, 2, m)
        half = rng.uniform(30.0, 80.0, m)[:, None]
        d = np.column_stack([np.cos(theta), np.sin(theta)]) * half
        a, b = mid - d, mid + d
        ok = shapely.contains_xy(poly, a[:, 0], a[:, 1]) & shapely.contains_xy(
            poly, b[:, 0], b[:, 1]
        )
        starts.append(a[ok])
        ends.append(b[ok])
    return np.vstack(starts)[:n_streets], np.vstack(ends)[:n_streets]


def sample_streets(
    poly: shapely.Geometry, n: int, rng: np.random.Generator, *, n_streets: int
) -> np.ndarray:
    """``n`` points along synthetic housing blocks: houses 8-15 m either side of short streets.

    Homes line streets, so home-based establishments cluster along lines instead of spreading
    uniformly over a buurt (their Clark-Evans ratio is well below 1).
    """
    if n == 0:
        return np.empty((0, 2))
    a, b = _streets(poly, n_streets, rng)
    if len(a) == 0:
        return sample_uniform(poly, n, rng)
    length = np.hypot(*(b - a).T)
    out = np.empty((0, 2))
    for _ in range(50):
        if len(out) >= n:
            break
        m = 2 * (n - len(out)) + 16
        k = rng.choice(len(a), size=m, p=length / length.sum())
        t = rng.uniform(0.0, 1.0, m)[:, None]
        along = (b[k] - a[k]) / length[k][:, None]
        normal = np.column_stack([-along[:, 1], along[:, 0]])
        side = np.where(rng.random(m) < 0.5, -1.0, 1.0)[:, None]
        offset = side * rng.uniform(8.0, 15.0, m)[:, None]
        cand = a[k] + t * (b[k] - a[k]) + normal * offset + rng.normal(0.0, 2.0, (m, 2))
        out = np.vstack([out, _inside(poly, cand)])
    if len(out) < n:
        out = np.vstack([out, sample_uniform(poly, n - len(out), rng)])
    return out[:n]
