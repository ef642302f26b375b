"""Benchmark: points into every buurt of a synthetic country, side by side with the peer tools.

The country is 14,500 Voronoi buurten over the RD New extent of the Netherlands (60 % of them
in 60 "cities", see ``tests/synthetic_country.py``); the points are spread the same way. For
each number of points almere_gis, geopandas, shapely and DuckDB spatial turn the same x/y
arrays into counts per buurt (see ``join_methods.py``), each in its own process: the median
time of ``--repeat`` runs, the ratio to almere_gis, the peak resident memory of the process
(input arrays included) and whether the counts are identical to almere_gis's. The targets of
the national join are checked at the largest size.

Reproduce with (needs the ``bench`` extra: ``pip install -e '.[bench]'``)::

    .venv/bin/python benchmarks/bench_national.py [--points 1000000 10000000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the synthetic country lives with the tests
sys.path.insert(0, str(ROOT / "benchmarks"))

from join_methods import compare, parse, target_line  # noqa: E402
from synthetic_country import N_BUURTEN, synthetic_buurten, synthetic_points  # noqa: E402

# The targets of the national join (14,500 buurten, 10M points, this 2-core machine).
MAX_SECONDS = 10.0
MIN_VS_DUCKDB = 2.0
MIN_VS_GEOPANDAS = 3.0
MAX_PEAK_MIB = 2048.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--buurten", type=int, default=N_BUURTEN)
    args = parse(parser, repeat=1)
    if args is None:
        return

    polys = synthetic_buurten(args.buurten)
    print(f"synthetic country: {len(polys):,} Voronoi buurten over the RD extent; "
          f"median of {args.repeat} run(s), one process per method")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench_national_") as tmp:
        for n in args.points:
            x, y = synthetic_points(n, seed=args.seed)
            results = compare(
                Path(__file__), Path(tmp), polys, x, y, methods=args.methods, repeat=args.repeat
            )
            del x, y
        ours = results["almere_gis"]
        print(f"targets at {max(args.points):,} points (the last size):")
        print(target_line(f"almere_gis <= {MAX_SECONDS:g} s", ours.seconds <= MAX_SECONDS,
                          f"{ours.seconds:.2f} s"))  # fmt: skip
        print(target_line(f"almere_gis peak <= {MAX_PEAK_MIB:,.0f} MiB",
                          ours.peak_mib <= MAX_PEAK_MIB, f"{ours.peak_mib:.0f} MiB"))  # fmt: skip
        for peer, factor in (("duckdb", MIN_VS_DUCKDB), ("geopandas", MIN_VS_GEOPANDAS)):
            if peer in results:
                ratio = results[peer].seconds / ours.seconds
                print(target_line(f">= {factor:g}x faster than {peer}", ratio >= factor,
                                  f"{ratio:.1f}x"))  # fmt: skip
    points = " ".join(str(n) for n in args.points)
    print(
        f"reproduce: .venv/bin/python benchmarks/bench_national.py --points {points} "
        f"--buurten {args.buurten} --repeat {args.repeat} --seed {args.seed}"
    )


if __name__ == "__main__":
    main()
