"""Benchmark: Gi* on 10,000 to 50,000 hexagons, analytical z-scores against esda's permutations.

Hexagons of 250 m (``hex_grid``) over a square of the right size, with Poisson counts and a
planted cluster; 6 nearest neighbours. ``analytical`` is ``getis_ord(permutations=0)`` (our
sparse-matrix z-scores, the default); ``esda 999`` is ``getis_ord(permutations=999)``, which
adds esda's conditional permutations for ``gi_p_sim``. Both are timed in the same process
(median of ``--repeat``) and their z-scores and classes compared; the z-scores are also
compared with esda's own ``G_Local(...).Zs``.

Reproduce with::

    .venv/bin/python benchmarks/bench_gistar.py [--hexagons 10000 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from almere_gis.analysis.hexgrid import hex_grid
from almere_gis.analysis.hotspots import getis_ord, spatial_weights

SIZE = 250.0


def _hexagons(n: int, seed: int) -> gpd.GeoDataFrame:
    side = math.sqrt(n * math.sqrt(3) / 2) * SIZE  # a square holding about n hexagons
    hexes = hex_grid(shapely.box(0, 0, side, side), size_m=SIZE)
    rng = np.random.default_rng(seed)
    c = hexes.geometry.centroid
    y = rng.poisson(3, len(hexes))
    y[((c.x - side / 2) ** 2 + (c.y - side / 2) ** 2 < (side / 8) ** 2).to_numpy()] += 6
    return hexes.assign(y=y)


def _time(fn: Callable[[], pd.DataFrame], repeat: int) -> tuple[float, pd.DataFrame]:
    times = []
    result = fn()
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hexagons", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from esda.getisord import G_Local

    getis_ord(_hexagons(500, args.seed), "y")  # warm up imports
    for n in args.hexagons:
        gdf = _hexagons(n, args.seed)
        t_fast, fast = _time(lambda g=gdf: getis_ord(g, "y"), args.repeat)
        t_perm, slow = _time(
            lambda g=gdf: getis_ord(g, "y", permutations=args.permutations, seed=1), args.repeat
        )
        coords = shapely.get_coordinates(gdf.geometry.centroid.array)
        zs = G_Local(gdf["y"].to_numpy(float), spatial_weights(coords), transform="B",
                     star=True, permutations=0).Zs  # fmt: skip
        same_z = np.allclose(fast["gi_z"], zs, rtol=1e-10, atol=1e-12)
        same_class = (fast["gi_class"] == slow["gi_class"]).all()
        print(f"{len(gdf):,} hexagons, 6 nearest neighbours (median of {args.repeat}):")
        print(f"  analytical (default)      {t_fast:7.3f} s")
        print(f"  esda {args.permutations} permutations    {t_perm:7.3f} s   "
              f"{t_perm / t_fast:6.1f}x the analytical time")  # fmt: skip
        print(f"  z equal to esda's Zs: {'yes' if same_z else 'NO'}; classes identical: "
              f"{'yes' if same_class else 'NO'}; hot/cold units: "
              f"{int((fast['gi_class'] != 'ns').sum()):,}")  # fmt: skip
    sizes = " ".join(str(n) for n in args.hexagons)
    options = f"--permutations {args.permutations} --repeat {args.repeat} --seed {args.seed}"
    print(f"reproduce: .venv/bin/python benchmarks/bench_gistar.py --hexagons {sizes} {options}")


if __name__ == "__main__":
    main()
