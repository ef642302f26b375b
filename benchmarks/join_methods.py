"""The point-in-buurt methods that the join benchmarks compare, and the loop that runs them.

Every method turns the same x/y arrays into counts per buurt (index order of the buurten):

* ``almere_gis``: ``assign_areas`` (adaptive raster + one bulk exact query) and ``np.bincount``;
* ``geopandas``: points from x/y, ``geopandas.sjoin(predicate="within")`` and ``groupby``;
* ``shapely``: points from x/y, ``STRtree(buurten).query(points, predicate="within")``;
* ``duckdb``: the x/y table and the buurten (WKB) into DuckDB spatial, points made with
  ``ST_Point``, then ``JOIN ... ON ST_Within`` (its R-tree spatial join) and ``GROUP BY``.

Each runs in its own process (see ``harness.py``); a point on a shared boundary would be
counted differently by the ``within`` methods, so the benchmarks use random coordinates.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from harness import Measured, duckdb_spatial, measure, worker

METHODS = ("almere_gis", "geopandas", "shapely", "duckdb")
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

    if not _DUCKDB:  # one connection per process, made (and the extension loaded) in warm-up
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


RUN: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "almere_gis": _ours,
    "geopandas": _geopandas,
    "shapely": _shapely,
    "duckdb": _duckdb,
}


def parse(parser: argparse.ArgumentParser, *, repeat: int) -> argparse.Namespace | None:
    """Add the options every join benchmark has, parse; in a worker, run it and give None."""
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    # The hidden options with which the script runs one method in a worker process.
    parser.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args)
        return None
    return args


def _load(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    polys = shapely.from_wkb(np.load(folder / "buurten.npy", allow_pickle=True))
    return np.load(folder / "x.npy"), np.load(folder / "y.npy"), polys


def run_worker(args: argparse.Namespace) -> None:
    """Worker process: load the inputs, warm up on 1,000 points, time the method once."""
    x, y, polys = _load(args.data)
    fn = RUN[args.worker]
    # The warm-up gets its own copy of the buurten: a shapely geometry stays prepared, and the
    # timed call must pay for preparing its own.
    spare = _load(args.data)[2]
    worker(args.worker, lambda: fn(x, y, polys), lambda: fn(x[:1000], y[:1000], spare), args.result)


def compare(
    script: Path,
    folder: Path,
    polys: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    methods: list[str],
    repeat: int,
) -> dict[str, Measured]:
    """Run every method on the same inputs; print one line each (time, ratio, peak, equality)."""
    np.save(folder / "buurten.npy", shapely.to_wkb(polys), allow_pickle=True)
    np.save(folder / "x.npy", x)
    np.save(folder / "y.npy", y)
    results: dict[str, Measured] = {}
    counts: dict[str, np.ndarray] = {}
    for method in ["almere_gis", *[m for m in methods if m != "almere_gis"]]:
        results[method], counts[method] = measure(
            script, method, ["--data", str(folder)], folder / f"{method}.npy", repeat=repeat
        )
    ours = results["almere_gis"]
    inside = int(counts["almere_gis"].sum())
    print(f"{x.size:,} points into {len(polys):,} buurten ({inside:,} inside):")
    for method, m in results.items():
        same = np.array_equal(counts[method], counts["almere_gis"])
        print(
            f"  {method:<11} {m.seconds:8.3f} s  {m.seconds / ours.seconds:6.1f}x  "
            f"peak {m.peak_mib:7.0f} MiB (before the call {m.before_mib:5.0f})  "
            f"counts identical: {'yes' if same else 'NO'}"
        )
    return results


def target_line(label: str, ok: bool, value: str) -> str:
    """One printed target: what, the measured value, met or not."""
    return f"  {label:<36} {value:>10}  {'met' if ok else 'NOT MET'}"
