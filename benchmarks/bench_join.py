"""Benchmark: join and count 1,000,000 points into the real CBS buurten of Almere.

almere_gis's join against geopandas ``sjoin`` + ``groupby``, shapely's STRtree and DuckDB
spatial on the same random points in the bounding box of the buurten (see
``join_methods.py``), each in its own process: median time of ``--repeat`` runs, ratio, peak
resident memory and whether the counts per buurt are identical. Target: at least 20x
geopandas.

Reproduce with (DuckDB needs the ``bench`` extra: ``pip install -e '.[bench]'``)::

    .venv/bin/python benchmarks/bench_join.py [--points 1000000] [--repeat 3] \
        [--cbs ../shared/data/cbs_almere_buurten.geojson]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from join_methods import compare, parse, target_line  # noqa: E402

MIN_VS_GEOPANDAS = 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument(
        "--cbs", type=Path, default=ROOT.parent / "shared" / "data" / "cbs_almere_buurten.geojson"
    )
    args = parse(parser, repeat=3)
    if args is None:
        return

    from almere_gis.io.areas import load_buurten

    buurten = load_buurten(args.cbs)
    order = np.argsort(buurten["buurt_code"].to_numpy(dtype=str), kind="stable")
    polys = buurten.geometry.to_numpy()[order]
    xmin, ymin, xmax, ymax = buurten.total_bounds
    rng = np.random.default_rng(args.seed)
    x = rng.uniform(xmin, xmax, args.points)
    y = rng.uniform(ymin, ymax, args.points)
    print(f"{args.cbs.name}: median of {args.repeat} run(s), one process per method")
    with tempfile.TemporaryDirectory(prefix="bench_join_") as tmp:
        results = compare(
            Path(__file__), Path(tmp), polys, x, y, methods=args.methods, repeat=args.repeat
        )
    if "geopandas" in results:
        ratio = results["geopandas"].seconds / results["almere_gis"].seconds
        label = f">= {MIN_VS_GEOPANDAS:g}x faster than geopandas"
        print(target_line(label, ratio >= MIN_VS_GEOPANDAS, f"{ratio:.1f}x"))
    print(f"reproduce: .venv/bin/python benchmarks/bench_join.py --points {args.points} "
          f"--repeat {args.repeat} --seed {args.seed}")  # fmt: skip


if __name__ == "__main__":
    main()
