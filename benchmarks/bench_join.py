"""Benchmark: join and count 1,000,000 points into the real CBS buurten of Almere.

Compares almere_gis's join (raster of buurt indices + exact tests in boundary cells) with
``geopandas.sjoin`` + ``groupby`` on the same points in the same run, and checks that the
counts per buurt are identical.

Reproduce with::

    .venv/bin/python benchmarks/bench_join.py [--points 1000000] \
        [--cbs ../shared/data/cbs_almere_buurten.geojson]

Peak memory is measured with tracemalloc (Python and NumPy allocations; memory that GEOS
allocates inside shapely is not seen by it).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from almere_gis.analysis.join import assign_areas
from almere_gis.io.areas import load_buurten

ROOT = Path(__file__).resolve().parent.parent


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, seconds, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument(
        "--cbs", type=Path, default=ROOT.parent / "shared" / "data" / "cbs_almere_buurten.geojson"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    buurten = load_buurten(args.cbs)
    codes = buurten["buurt_code"].to_numpy(dtype=str)
    order = np.argsort(codes, kind="stable")
    xmin, ymin, xmax, ymax = buurten.total_bounds
    rng = np.random.default_rng(args.seed)
    x = rng.uniform(xmin, xmax, args.points)
    y = rng.uniform(ymin, ymax, args.points)

    def ours() -> pd.Series:
        idx = assign_areas(x, y, buurten.geometry.to_numpy()[order])
        counts = np.bincount(idx[idx >= 0], minlength=len(order))
        return pd.Series(counts, index=codes[order])

    def geopandas_way() -> pd.Series:
        pts = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=buurten.crs)
        joined = gpd.sjoin(pts, buurten[["buurt_code", "geometry"]], predicate="within")
        counts = joined.groupby("buurt_code").size()
        return counts.reindex(codes[order], fill_value=0)

    ours(), geopandas_way()  # warm up imports and caches on the same data
    a, t_ours, m_ours = measure(ours)
    b, t_gpd, m_gpd = measure(geopandas_way)
    identical = bool((a.to_numpy() == b.to_numpy()).all())

    print(f"points: {args.points:,} into {len(buurten)} buurten (seed {args.seed})")
    print(f"almere_gis join + count : {t_ours:7.3f} s   peak {m_ours:8.1f} MiB")
    print(f"geopandas sjoin+groupby : {t_gpd:7.3f} s   peak {m_gpd:8.1f} MiB")
    print(f"speed-up                : {t_gpd / t_ours:7.1f} x")
    print(f"counts identical        : {identical} ({int(a.sum()):,} points inside)")
    print("reproduce: .venv/bin/python benchmarks/bench_join.py --points", args.points)


if __name__ == "__main__":
    main()
