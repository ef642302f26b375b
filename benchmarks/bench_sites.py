"""Benchmark: scoring candidate sites and their rank stability on the embedded demo data.

Scores the demo candidate sites against the demo business register (criteria from ~20,000
business points, demand counted with KD-trees, the building criterion from the register's
bedrijfsverzamelgebouwen), then times 1,000 Dirichlet weight draws over about 200 sites (the
demo sites, repeated with small perturbations up to ``--sites``).

Reproduce with::

    .venv/bin/python benchmarks/bench_sites.py [--sites 200] [--draws 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import almere_gis as ag
from almere_gis.analysis.buildings import find_buildings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()

    settings = ag.load_settings()
    t0 = time.perf_counter()
    result = ag.run(settings, out_dir="out/bench", steps={"hotspots"})
    t_prep = time.perf_counter() - t0
    candidates, _ = ag.load_candidates(settings.paths.candidates)
    buildings = find_buildings(result.businesses, settings)

    t0 = time.perf_counter()
    scored = ag.score_sites(
        candidates,
        result.businesses,
        hexagons=result.hexagons,
        buurten=result.buurten,
        settings=settings,
        buildings=buildings,
    )
    t_score = time.perf_counter() - t0

    # Grow to the requested number of sites: copies with jittered normalised criteria.
    rng = np.random.default_rng(1)
    reps = -(-args.sites // len(scored))
    big = pd.concat([scored] * reps, ignore_index=True).iloc[: args.sites].copy()
    big["site_id"] = [f"S{i:04d}" for i in range(len(big))]
    norm_cols = [c for c in big.columns if c.endswith("_norm")]
    jitter = rng.uniform(-0.02, 0.02, (len(big), len(norm_cols)))
    big[norm_cols] = np.clip(big[norm_cols].to_numpy(dtype=float) + jitter, 0, 1)

    ag.rank_stability(big, settings=settings, draws=10)  # warm up
    t0 = time.perf_counter()
    table = ag.rank_stability(big, settings=settings, draws=args.draws)
    t_stab = time.perf_counter() - t0

    print(f"analysis up to hot spots (load, join, hexagons, Gi*): {t_prep:6.2f} s")
    print(
        f"score {len(scored)} sites against {len(result.businesses):,} businesses and "
        f"{len(buildings)} buildings: {t_score:6.3f} s"
    )
    print(
        f"rank stability, {args.draws:,} draws x {len(big)} sites: {t_stab:6.3f} s "
        f"({int(table['robust'].sum())} robust)"
    )
    print(
        f"reproduce: .venv/bin/python benchmarks/bench_sites.py --sites {args.sites} "
        f"--draws {args.draws}"
    )


if __name__ == "__main__":
    main()
