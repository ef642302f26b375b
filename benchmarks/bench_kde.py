"""Benchmark: our binned FFT KDE against KDEpy's FFTKDE and exact per-point stamping (QGIS).

Points clustered like businesses in a city (half in 200 Gaussian clusters, half uniform) on a
1000 x 1000 grid (25 m cells, quartic kernel, r = 400 m = 16 cells), for 100k to 10M points.
``almere_gis`` is ``density.kde``; ``KDEpy`` is ``FFTKDE(kernel="biweight")`` (the quartic
kernel) with the same support, evaluated at the same cell centres and scaled to the same
units. Each runs in its own process (time after a warm-up, peak resident memory of the
process). Accuracy: the maximum error of both against the exact stamped surface (QGIS's
algorithm, a Python loop over points) of a random subsample, as a share of its maximum; the
stamping time is extrapolated from that subsample. ``--national`` adds one tiled surface over
the RD extent of the Netherlands (25 m cells, about 150 million cells).

Reproduce with (needs the ``bench`` extra: ``pip install -e '.[bench]'``)::

    .venv/bin/python benchmarks/bench_kde.py [--points 100000 1000000 10000000] \
        [--stamp-sample 20000] [--national 2500000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import measure, worker  # noqa: E402

from almere_gis._schema import RD_EXTENT  # noqa: E402
from almere_gis.analysis import _kde, density  # noqa: E402

CELL = 25.0
RADIUS = 400.0
SIDE = 1000  # cells per side
MARGIN = RADIUS + CELL
LO, HI = 150_000.0 + MARGIN, 150_000.0 + SIDE * CELL - MARGIN
DY = 330_000.0
# The extent is chosen so that, grown by r and one cell, the grid is exactly 1000 x 1000.
EXTENT = (LO, LO + DY, HI, HI + DY)


def _points(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(LO + 2000, HI - 2000, size=(200, 2))
    clustered = centres[rng.integers(0, 200, n // 2)] + rng.normal(0, 300, size=(n // 2, 2))
    uniform = rng.uniform(LO, HI, size=(n - n // 2, 2))
    xy = np.clip(np.vstack([clustered, uniform]), LO, HI)
    xy[:, 1] += DY
    return xy


def _ours(xy: np.ndarray) -> np.ndarray:
    return density.kde(xy, cell_size_m=CELL, radius_m=RADIUS, extent=EXTENT).values


def _kdepy(xy: np.ndarray) -> np.ndarray:
    from KDEpy import FFTKDE

    template = density.kde(xy[:1], cell_size_m=CELL, radius_m=RADIUS, extent=EXTENT)
    xs, ys = template.cell_centres()
    gx, gy = np.meshgrid(xs, ys[::-1], indexing="ij")  # KDEpy: sorted, first axis slowest
    support = FFTKDE._available_kernels["biweight"].support
    fitted = FFTKDE(kernel="biweight", bw=RADIUS / support, norm=2).fit(xy)
    values = fitted.evaluate(np.column_stack([gx.ravel(), gy.ravel()]))
    # A probability density per m2 -> establishments per km2, rows north to south.
    return values.reshape(len(xs), len(ys)).T[::-1] * (1e6 * len(xy))


def _national(xy: np.ndarray) -> np.ndarray:
    grid = density.kde(xy, cell_size_m=CELL, radius_m=RADIUS, extent=RD_EXTENT)
    return np.array([grid.values.shape[0], grid.values.shape[1], grid.integral()])


RUN = {"almere_gis": _ours, "KDEpy": _kdepy, "national": _national}


def _accuracy(xy: np.ndarray, sample: int, seed: int) -> list[str]:
    """Max error of both methods against exact stamping of a subsample, and the stamping time."""
    rng = np.random.default_rng(seed)
    pick = xy[rng.choice(len(xy), min(sample, len(xy)), replace=False)]
    ours = density.kde(pick, cell_size_m=CELL, radius_m=RADIUS, extent=EXTENT)
    t0 = time.perf_counter()
    exact = _kde.exact_surface(pick, None, ours)
    stamp_seconds = (time.perf_counter() - t0) * len(xy) / len(pick)
    peak = exact.max()
    lines = [f"  stamping (QGIS)  {stamp_seconds:8.1f} s  extrapolated from {len(pick):,} points"]
    for name, values in (("almere_gis", ours.values), ("KDEpy", _kdepy(pick))):
        err = 100 * np.abs(values - exact).max() / peak
        lines.append(f"  max error of {name:<10} against exact: {err:.3f} % of the maximum")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--stamp-sample", type=int, default=20_000)
    parser.add_argument("--national", type=int, default=0, help="points for the national run")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--worker", choices=list(RUN), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        xy = np.load(args.data / "xy.npy")
        fn = RUN[args.worker]
        worker(args.worker, lambda: fn(xy), lambda: fn(xy[:1000]), args.result)
        return

    print(f"KDE: {SIDE} x {SIDE} cells of {CELL:g} m, quartic r = {RADIUS:g} m; "
          f"median of {args.repeat} run(s), one process per method")  # fmt: skip
    all_met = True
    with tempfile.TemporaryDirectory(prefix="bench_kde_") as tmp:
        folder = Path(tmp)
        for n in args.points:
            xy = _points(n, args.seed)
            np.save(folder / "xy.npy", xy)
            run = {}
            for method in ("almere_gis", "KDEpy"):
                run[method] = measure(Path(__file__), method, ["--data", str(folder)],
                                      folder / f"{method}.npy", repeat=args.repeat)  # fmt: skip
            ours, peer = run["almere_gis"][0], run["KDEpy"][0]
            diff = np.abs(run["almere_gis"][1] - run["KDEpy"][1]).max() / run["KDEpy"][1].max()
            print(f"{n:,} points:")
            for m, _ in run.values():
                ratio = m.seconds / ours.seconds
                print(f"  {m.method:<10} {m.seconds:8.3f} s  {ratio:5.1f}x  peak {m.peak_mib:6.0f}"
                      f" MiB (before the call {m.before_mib:4.0f})")  # fmt: skip
            print(f"  largest difference between the two: {100 * diff:.3f} % of the maximum")
            print("\n".join(_accuracy(xy, args.stamp_sample, args.seed)))
            met = ours.seconds <= peer.seconds
            all_met &= met
            print(f"  target: at least as fast as KDEpy FFTKDE: {'met' if met else 'NOT MET'}")
        if args.national:
            rng = np.random.default_rng(args.seed)
            xmin, ymin, xmax, ymax = RD_EXTENT
            xy = np.column_stack([rng.uniform(xmin, xmax, args.national),
                                  rng.uniform(ymin, ymax, args.national)])  # fmt: skip
            np.save(folder / "xy.npy", xy)
            m, out = measure(Path(__file__), "national", ["--data", str(folder)],
                             folder / "national.npy", repeat=args.repeat)  # fmt: skip
            print(f"national extent, tiled: {args.national:,} points on {int(out[0]):,} x "
                  f"{int(out[1]):,} cells: {m.seconds:.2f} s, peak {m.peak_mib:.0f} MiB "
                  f"(the surface alone: {out[0] * out[1] * 8 / 2**20:.0f} MiB), "
                  f"mass {out[2]:,.1f}")  # fmt: skip
    print(f"all sizes at least as fast as KDEpy: {'met' if all_met else 'NOT MET'}")
    sizes = " ".join(str(n) for n in args.points)
    print(f"reproduce: .venv/bin/python benchmarks/bench_kde.py --points {sizes} "
          f"--stamp-sample {args.stamp_sample} --national {args.national} "
          f"--repeat {args.repeat} --seed {args.seed}")  # fmt: skip


if __name__ == "__main__":
    main()
