"""Benchmark: points into every buurt of a synthetic country, side by side with the peer tools.

The country is 14,500 Voronoi buurten over the RD New extent of the Netherlands (60 % of them
in 60 "cities", see ``tests/synthetic_country.py``); the points are spread the same way. For
each number of points every method turns the same x/y arrays into counts per buurt:

* ``almere_gis``: ``assign_areas`` (adaptive raster + one bulk exact query) and ``np.bincount``;
* ``geopandas``: points from x/y, ``geopandas.sjoin(predicate="within")`` and ``groupby``;
* ``shapely``: points from x/y, ``STRtree(buurten).query(points, predicate="within")``;
* ``duckdb``: the x/y table and the buurten (WKB) into DuckDB spatial, points made with
  ``ST_Point``, then ``JOIN ... ON ST_Within`` (its R-tree spatial join) and ``GROUP BY``.

Each method runs in its own process (time of the call after a warm-up on 1,000 points; peak
resident memory of that process, which includes the input arrays), ``--repeat`` times, and
the median time is printed with the ratio to almere_gis and whether the counts per buurt are
identical to almere_gis's. The targets of the national join are checked for the largest size.

Reproduce with (needs the ``bench`` extra: ``pip install -e '.[bench]'``)::

    .venv/bin/python benchmarks/bench_national.py [--points 1000000 10000000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the synthetic country lives with the tests
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import Measured, duckdb_spatial, measure, worker  # noqa: E402
from synthetic_country import N_BUURTEN, synthetic_buurten, synthetic_points  # noqa: E402

METHODS = ("almere_gis", "geopandas", "shapely", "duckdb")
# The targets of the national join (14,500 buurten, 10M points, this 2-core machine).
MAX_SECONDS = 10.0
MIN_VS_DUCKDB = 2.0
MIN_VS_GEOPANDAS = 3.0
MAX_PEAK_MIB = 2048.0

_DUCKDB: list[Any] = []


def _ours(x: np.ndarray, y: np.ndarray, polys: np.ndarray) -> np.ndarray:
    from almere_gis.analysis.join import assign_areas

    idx = assign_areas(x, y, polys)
    return np.bincount(idx[idx >= 0], minlength=len(polys))


def _geopandas(x: np.ndarray, y: np.ndarray, polys: np.ndarray) -> np.ndarray:
    import geopandas as gpd

    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:28992")
    areas = gpd.GeoDataFrame({"code": np.arange(len(polys))}, geometry=polys, crs="EPSG:28992")
    joined = gpd.sjoin(points, areas, predicate="within")
    counts = joined.groupby("code").size()
    return counts.reindex(np.arange(len(polys)), fill_value=0).to_numpy()


def _shapely(x: np.ndarray, y: np.ndarray, polys: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(polys)
    _, area = tree.query(shapely.points(x, y), predicate="within")
    return np.bincount(area, minlength=len(polys))


def _duckdb(x: np.ndarray, y: np.ndarray, polys: np.ndarray) -> np.ndarray:
    import pyarrow as pa

    if not _DUCKDB:
        _DUCKDB.append(duckdb_spatial())
    con = _DUCKDB[0]
    con.register("points_in", pa.table({"x": x, "y": y}))
    con.register(
        "areas_in", pa.table({"code": np.arange(len(polys)), "wkb": shapely.to_wkb(polys)})
    )
    con.execute(
        "CREATE OR REPLACE TABLE a AS SELECT code, ST_GeomFromWKB(wkb) AS geom FROM areas_in"
    )
    con.execute("CREATE OR REPLACE TABLE p AS SELECT ST_Point(x, y) AS geom FROM points_in")
    rows = con.execute(
        "SELECT a.code, count(*) AS n FROM p JOIN a ON ST_Within(p.geom, a.geom) GROUP BY a.code"
    ).fetchnumpy()
    counts = np.zeros(len(polys), dtype=np.int64)
    counts[rows["code"]] = rows["n"]
    return counts


RUN = {"almere_gis": _ours, "geopandas": _geopandas, "shapely": _shapely, "duckdb": _duckdb}


def _load(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    polys = shapely.from_wkb(np.load(folder / "buurten.npy", allow_pickle=True))
    return np.load(folder / "x.npy"), np.load(folder / "y.npy"), polys


def _run_worker(args: argparse.Namespace) -> None:
    x, y, polys = _load(args.data)
    fn = RUN[args.worker]
    # The warm-up gets its own copy of the buurten: a shapely geometry stays prepared, and the
    # timed call must pay for preparing its own.
    spare = _load(args.data)[2]
    worker(args.worker, lambda: fn(x, y, polys), lambda: fn(x[:1000], y[:1000], spare), args.result)


def _row(m: Measured, ours: Measured, identical: bool) -> str:
    ratio = m.seconds / ours.seconds
    return (
        f"  {m.method:<11} {m.seconds:8.2f} s  {ratio:6.1f}x  peak {m.peak_mib:7.0f} MiB "
        f"(before the call {m.before_mib:5.0f})  counts identical: {'yes' if identical else 'NO'}"
    )


def _targets(results: dict[str, Measured], n: int) -> list[str]:
    ours = results["almere_gis"]
    lines = [f"targets at {n:,} points:"]
    checks = [
        (f"almere_gis <= {MAX_SECONDS:g} s", ours.seconds <= MAX_SECONDS, f"{ours.seconds:.2f} s")
    ]
    checks.append(
        (
            f"almere_gis peak <= {MAX_PEAK_MIB:,.0f} MiB",
            ours.peak_mib <= MAX_PEAK_MIB,
            f"{ours.peak_mib:.0f} MiB",
        )
    )
    for peer, factor in (("duckdb", MIN_VS_DUCKDB), ("geopandas", MIN_VS_GEOPANDAS)):
        if peer in results:
            ratio = results[peer].seconds / ours.seconds
            checks.append((f">= {factor:g}x faster than {peer}", ratio >= factor, f"{ratio:.1f}x"))
    for label, ok, value in checks:
        lines.append(f"  {label:<34} {value:>10}  {'met' if ok else 'NOT MET'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--buurten", type=int, default=N_BUURTEN)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _run_worker(args)
        return

    polys = synthetic_buurten(args.buurten)
    print(f"synthetic country: {len(polys):,} Voronoi buurten over the RD extent; "
          f"median of {args.repeat} run(s), one process per method")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench_national_") as tmp:
        folder = Path(tmp)
        np.save(folder / "buurten.npy", shapely.to_wkb(polys), allow_pickle=True)
        for n in args.points:
            x, y = synthetic_points(n, seed=args.seed)
            np.save(folder / "x.npy", x)
            np.save(folder / "y.npy", y)
            del x, y
            results: dict[str, Measured] = {}
            counts: dict[str, np.ndarray] = {}
            for method in ["almere_gis", *[m for m in args.methods if m != "almere_gis"]]:
                extra = ["--data", str(folder)]
                results[method], counts[method] = measure(
                    Path(__file__), method, extra, folder / f"{method}.npy", repeat=args.repeat
                )
            print(f"{n:,} points into {len(polys):,} buurten:")
            for method, m in results.items():
                same = np.array_equal(counts[method], counts["almere_gis"])
                print(_row(m, results["almere_gis"], same))
            if n == max(args.points):
                print("\n".join(_targets(results, n)))
    points = " ".join(str(n) for n in args.points)
    print(
        f"reproduce: .venv/bin/python benchmarks/bench_national.py --points {points} "
        f"--buurten {args.buurten} --repeat {args.repeat} --seed {args.seed}"
    )


if __name__ == "__main__":
    main()
