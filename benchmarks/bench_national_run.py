"""Benchmark: ``almere-gis run`` on a whole synthetic country, profiled per step.

The country is the synthetic one of ``tests/synthetic_country.py`` (14,500 Voronoi buurten over
the RD New extent, 60 % of them in 60 "cities"), given what a CBS Wijk- en Buurtkaart has:
buurten grouped into gemeenten (nearest of 342 seeds drawn like the buurten, so cities are
split among several) and wijken (about 4.5 buurten each, nested in their gemeente), CBS-style
codes (``BU gggg ww bb``), inhabitants in proportion to the establishments a buurt gets, homes,
households and areas. The register is 2.5M LISA-style establishments spread the same way, with
attributes resampled from the demo register; 1,000 candidate sites are drawn likewise. The run
uses the shipped settings except ``[paths]`` (``--settings`` adds a file of changes).

The run is one process profiled as ``bench_run.py`` does it (own time and own peak memory per
step); the targets of the national run are checked: at most 120 s, a peak of at most 6 GiB,
a map under 10 MB.

Reproduce with::

    nice -n 10 .venv/bin/python benchmarks/bench_national_run.py [--establishments 2500000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the synthetic country lives with the tests
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_run import DEMO, ORDER, measure, write_register  # noqa: E402
from synthetic_country import N_BUURTEN, synthetic_buurten, synthetic_points  # noqa: E402

from almere_gis.analysis.join import assign_areas  # noqa: E402

N_GEMEENTEN = 342
BUURTEN_PER_WIJK = 4.5
MAX_SECONDS = 120.0
MAX_PEAK_MIB = 6 * 1024.0
MAX_MAP_BYTES = 10_000_000


def _wijk_numbers(gemeente: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wijk and buurt numbers within each gemeente: runs of about 4.5 buurten along a
    row-by-row walk over 2 km cells (at most 99 wijken per gemeente, 99 buurten per wijk)."""
    walk = (centres[:, 1] // 2_000) * 1e6 + centres[:, 0]
    order = np.lexsort((walk, gemeente))
    g = gemeente[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    size = np.diff(np.r_[start, len(g)])
    rank = np.arange(len(g)) - np.repeat(start, size)  # position within the gemeente
    per_wijk = np.maximum(BUURTEN_PER_WIJK, np.repeat(size, size) / 99.0)
    wijk = np.empty(len(g), dtype=np.int64)
    buurt = np.empty(len(g), dtype=np.int64)
    wijk[order] = (rank // per_wijk).astype(np.int64)
    first = np.r_[True, (g[1:] != g[:-1]) | (wijk[order][1:] != wijk[order][:-1])]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(g)), 0))
    buurt[order] = np.arange(len(g)) - group_start
    return wijk, buurt


def country_buurten(n: int, seed: int) -> gpd.GeoDataFrame:
    """The synthetic country's buurten in the old CBS schema (EPSG:28992)."""
    polygons = synthetic_buurten(n, seed=seed)
    centres = shapely.get_coordinates(shapely.point_on_surface(polygons))
    gx, gy = synthetic_points(N_GEMEENTEN, seed=seed + 99, country_seed=seed)
    _, nearest = cKDTree(np.column_stack([gx, gy])).query(centres)
    used, gemeente = np.unique(nearest, return_inverse=True)
    wijk, buurt = _wijk_numbers(gemeente, centres)
    # Inhabitants in proportion to the establishments a buurt gets (17.9M people in all).
    sx, sy = synthetic_points(1_000_000, seed=seed + 7, country_seed=seed)
    share = np.bincount(assign_areas(sx, sy, polygons) + 1, minlength=n + 1)[1:] / 1_000_000
    inhabitants = np.round(share * 17_900_000.0)
    area_ha = shapely.area(polygons) / 1e4
    gm = np.char.mod("%04d", gemeente + 1)
    wk = np.char.add(gm, np.char.mod("%02d", wijk))
    frame = pd.DataFrame(
        {
            "BU_CODE": np.char.add("BU", np.char.add(wk, np.char.mod("%02d", buurt))),
            "BU_NAAM": np.char.add("Buurt ", np.char.mod("%d", np.arange(1, n + 1))),
            "WK_CODE": np.char.add("WK", wk),
            "WK_NAAM": np.char.add("Wijk ", wk),
            "GM_CODE": np.char.add("GM", gm),
            "GM_NAAM": np.char.add("Gemeente ", gm),
            "AANT_INW": inhabitants,
            "AANTAL_HH": np.round(inhabitants / 2.1),
            "WONINGEN": np.round(inhabitants / 2.2),
            "OPP_TOT": np.round(area_ha),
            "OPP_LAND": np.round(area_ha * 0.9),
            "OPP_WATER": np.round(area_ha * 0.1),
        }
    )
    print(f"synthetic country: {n:,} buurten in {len(used)} gemeenten and "
          f"{frame['WK_CODE'].nunique():,} wijken")  # fmt: skip
    return gpd.GeoDataFrame(frame, geometry=polygons, crs="EPSG:28992")


def country_candidates(n: int, seed: int) -> gpd.GeoDataFrame:
    """``n`` candidate sites spread like the establishments, attributes from the demo sites."""
    demo = gpd.read_file(DEMO / "demo_kandidaatlocaties.shp")
    rng = np.random.default_rng(seed)
    sites = demo.iloc[rng.integers(0, len(demo), n)].reset_index(drop=True)
    sites["site_id"] = [f"K{i + 1:05d}" for i in range(n)]
    x, y = synthetic_points(n, seed=seed + 3)
    return sites.set_geometry(gpd.points_from_xy(x, y, crs="EPSG:28992"))


def country_inputs(folder: Path, n: int, seed: int, extra: Path | None) -> Path:
    """The country's files and a settings file that points at them."""
    buurten = folder / "buurten.gpkg"
    country_buurten(N_BUURTEN, seed).to_file(buurten, layer="buurten")
    sites = folder / "kandidaten.gpkg"
    country_candidates(1_000, seed).to_file(sites)
    x, y = synthetic_points(n, seed=seed + 1)
    register = write_register(folder / "vestigingen.csv", n, seed=seed, xy=np.column_stack([x, y]))
    lines = [
        "[paths]",
        f'buurten = "{buurten}"',
        'buurten_layer = "buurten"',
        f'businesses = "{register}"',
        f'candidates = "{sites}"',
    ]
    if extra is not None:
        lines.append(extra.read_text(encoding="utf-8"))
    config = folder / "land.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _line(label: str, met: bool, value: str) -> str:
    return f"  {label:<34} {'met' if met else 'NOT met':<8} ({value})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--establishments", type=int, default=2_500_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--settings", type=Path, help="a TOML file of setting changes")
    parser.add_argument("--keep", type=Path, help="keep inputs and outputs in this folder")
    parser.add_argument("--timeout", type=float, default=1800.0, help="stop the run after (s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_national_run_") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        config = country_inputs(folder, args.establishments, args.seed, args.settings)
        print(f"{args.establishments:,} establishments; running almere_gis.run ...", flush=True)
        script = ROOT / "benchmarks" / "bench_run.py"
        try:
            run = measure(config, folder / "out", script=script, timeout=args.timeout)
        except RuntimeError as exc:
            print(f"the national run did not finish: {exc}")
            print("targets of the national run: NOT met (no finished run)")
            return
    if run["missing"]:
        print(f"not profiled (the pipeline changed): {', '.join(run['missing'])}")
    print(f"{'step':<20}{'s':>10}{'peak MiB':>10}")
    for step in ORDER:
        peak = run["peak"].get(step)
        shown = "" if peak is None else f"{peak:,.0f}"
        print(f"{step:<20}{run['seconds'].get(step, 0.0):>10.2f}{shown:>10}")
    print(f"{'whole run':<20}{run['total']:>10.1f}{run['max_peak']:>10,.0f}")
    print(f"joined {run['joined']:,} establishments into {run['buurten']:,} buurten; map "
          f"{run['map_bytes'] / 1e6:.1f} MB, GeoPackages {run['gpkg_bytes'] / 1e6:.0f} MB, "
          f"GeoTIFFs {run['tif_bytes'] / 1e6:.0f} MB")  # fmt: skip
    print("targets of the national run:")
    print(_line(f"whole run <= {MAX_SECONDS:g} s", run["total"] <= MAX_SECONDS,
                f"{run['total']:.1f} s"))  # fmt: skip
    print(_line(f"peak <= {MAX_PEAK_MIB:,.0f} MiB", run["max_peak"] <= MAX_PEAK_MIB,
                f"{run['max_peak']:,.0f} MiB"))  # fmt: skip
    print(_line("map < 10 MB", 0 < run["map_bytes"] < MAX_MAP_BYTES,
                f"{run['map_bytes'] / 1e6:.1f} MB"))  # fmt: skip
    extra = f" --settings {args.settings}" if args.settings else ""
    print(f"reproduce: nice -n 10 .venv/bin/python benchmarks/bench_national_run.py "
          f"--establishments {args.establishments} --seed {args.seed}{extra}")  # fmt: skip


if __name__ == "__main__":
    main()
