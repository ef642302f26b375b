"""Benchmark: binned FFT KDE against exact per-point stamping (QGIS's algorithm).

1,000,000 points on a 1000 x 1000 grid (25 m cells, quartic kernel, r = 400 m = 16 cells).
Stamping loops over points in Python, adding the kernel over each point's block of cells; for
the full set that takes minutes, so it is timed on a random subsample and extrapolated
linearly (its cost is proportional to the number of points). The maximum error of our KDE is
measured against the exact stamped surface of that same subsample.

Run from the project folder:

    python benchmarks/bench_kde.py [--points 1000000] [--stamp-sample 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from almere_gis.analysis import _kde, density

CELL = 25.0
RADIUS = 400.0
SIDE = 1000  # cells per side


def _measure(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, float, Any]:
    """Best wall time of ``repeat`` runs and the peak traced memory (MiB) of one run."""
    result = fn()  # warm-up (imports, FFT plans, page faults)
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), peak / 2**20, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--stamp-sample", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    # The extent is chosen so that, grown by r and one cell, the grid is exactly 1000 x 1000.
    margin = RADIUS + CELL
    lo, hi = 150_000.0 + margin, 150_000.0 + SIDE * CELL - margin
    # Clustered like businesses in a city: half in 200 Gaussian clusters, half uniform.
    n = args.points
    centres = rng.uniform(lo + 2000, hi - 2000, size=(200, 2))
    clustered = centres[rng.integers(0, 200, n // 2)] + rng.normal(0, 300, size=(n // 2, 2))
    uniform = rng.uniform(lo, hi, size=(n - n // 2, 2))
    xy = np.clip(np.vstack([clustered, uniform]), lo, hi)
    xy[:, 1] += 330_000.0
    extent = (lo, lo + 330_000.0, hi, hi + 330_000.0)

    def ours(points: np.ndarray = xy) -> density.DensityGrid:
        return density.kde(points, cell_size_m=CELL, radius_m=RADIUS, extent=extent)

    t_ours, mem_ours, grid = _measure(ours, repeat=3)
    assert grid.shape == (SIDE, SIDE), grid.shape

    m = min(args.stamp_sample, n)
    sample = xy[rng.choice(n, m, replace=False)]
    template = ours(sample)

    def stamped() -> np.ndarray:
        return _kde.exact_surface(sample, None, template)

    t0 = time.perf_counter()
    tracemalloc.start()
    exact = stamped()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t_stamp_sample = time.perf_counter() - t0
    t_stamp = t_stamp_sample * n / m
    err = np.abs(template.values - exact).max()

    print(f"KDE benchmark: {n:,} points, {SIDE} x {SIDE} grid, cell {CELL:g} m, quartic r = "
          f"{RADIUS:g} m ({RADIUS / CELL:g} cells), oversample {grid.oversample}")  # fmt: skip
    print(f"  binned FFT (ours):  {t_ours:8.3f} s   peak traced memory {mem_ours:7.1f} MiB")
    label = "measured" if m == n else f"extrapolated from {m:,} points ({t_stamp_sample:.1f} s)"
    print(f"  per-point stamping: {t_stamp:8.1f} s   peak traced memory {peak / 2**20:7.1f} MiB"
          f"   [{label}]")  # fmt: skip
    print(f"  speed-up:           {t_stamp / t_ours:8.0f} x")
    share = 100 * err / exact.max()
    print(f"  max |ours - exact| on the {m:,}-point sample: {err:.4g} "
          f"= {share:.3f} % of the surface maximum ({exact.max():.4g})")  # fmt: skip
    print(f"  mass: integral {grid.integral():,.3f} for {n:,} points "
          f"(relative error {abs(grid.integral() - n) / n:.1e})")  # fmt: skip
    print("  memory: tracemalloc sees NumPy arrays, not the FFT library's internal buffers")
    cmd = f"python benchmarks/bench_kde.py --points {n} --stamp-sample {m} --seed {args.seed}"
    print(f"reproduce: {cmd}")


if __name__ == "__main__":
    main()
