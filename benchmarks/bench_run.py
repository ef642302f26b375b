"""Benchmark: the whole run (``almere_gis.run``, as ``almere-gis run`` does it), profiled per step.

Each size runs in its own process, on an enlarged Almere: the embedded demo buurten, wijken
and candidate sites, and a LISA-style register of N establishments resampled from the demo
register (its 21,195 rows drawn with replacement, each point moved by a few tens of metres,
new ids; no BAG ids, so that copies do not pile up at one address). In the worker every step
of the pipeline is timed by wrapping the function that does it, and its peak resident memory
is read from the kernel (``VmHWM``, reset at every step boundary through
``/proc/self/clear_refs``), so a step's figures are its own: a step's time excludes the steps
it calls, and the run's peak is the largest of the steps' peaks. What no wrapper covers is
the line ``other``.

The growth exponent of a step is the log-log slope of its time between two sizes
(``log(t2 / t1) / log(n2 / n1)``): 1 is linear, above 1 grows faster than the register. Times
under 0.05 s give no exponent (noise).

Reproduce with::

    nice -n 10 .venv/bin/python benchmarks/bench_run.py [--sizes 100000 1000000 3000000]
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "shapefiles"

# (module, function, step): the function that does each step of a run.
WRAPPED = (
    ("almere_gis.io.businesses", "read_table", "reading"),
    ("almere_gis.io.areas", "read_table", "reading"),
    ("almere_gis.io.candidates", "read_table", "reading"),
    ("almere_gis.pipeline.runner", "read_inputs", "validation"),
    ("almere_gis.pipeline.analyse", "classify_businesses", "classify"),
    ("almere_gis.pipeline.analyse", "join_businesses", "join"),
    ("almere_gis.pipeline.analyse", "check_joined", "join"),
    ("almere_gis.pipeline.analyse", "area_indicators", "indicators"),
    ("almere_gis.pipeline.analyse", "wijk_indicators", "indicators"),
    ("almere_gis.pipeline.analyse", "city_indicators", "indicators"),
    ("almere_gis.pipeline.analyse", "_density", "KDE"),
    ("almere_gis.pipeline.analyse", "hex_grid", "hexagons"),
    ("almere_gis.pipeline.analyse", "hex_counts", "hexagons"),
    ("almere_gis.pipeline.analyse", "_gi", "Gi*"),
    ("almere_gis.pipeline.analyse", "_sites", "sites"),
    ("almere_gis.pipeline.runner", "analyse", "analysis, rest"),
    ("almere_gis.pipeline.runner", "make_publication", "publication"),
    ("almere_gis.pipeline.write", "_public_tables", "tables"),
    ("almere_gis.pipeline.write", "_internal_tables", "tables"),
    ("almere_gis.pipeline.write", "write_workbook", "tables"),
    ("almere_gis.pipeline.write", "write_summary", "report (PDF)"),
    ("almere_gis.pipeline.write", "write_density_rasters", "GeoTIFFs"),
    ("almere_gis.pipeline.write", "make_map", "map"),
    ("almere_gis.pipeline.write", "_qgis", "GeoPackage + QGIS"),
    ("almere_gis.pipeline.runner", "write_outputs", "writing, rest"),
)
ORDER = (
    "reading", "validation", "classify", "join", "indicators", "KDE", "hexagons", "Gi*",
    "sites", "analysis, rest", "publication", "tables", "report (PDF)", "GeoTIFFs", "map",
    "GeoPackage + QGIS", "writing, rest", "publishing", "other",
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# the profiler (in the worker)
# --------------------------------------------------------------------------------------------


def _hwm_mib() -> float:
    """Peak resident memory since the last reset, in MiB (VmHWM)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_hwm() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:  # not Linux: the peaks are then cumulative
        pass


@dataclass
class Profile:
    """Exclusive time and own peak memory per step; steps nest (a parent excludes its children)."""

    seconds: dict[str, float] = field(default_factory=dict)
    peak: dict[str, float] = field(default_factory=dict)
    stack: list[list[Any]] = field(default_factory=list)  # [step, start, children's seconds]

    def _mark(self) -> None:
        """The running step's peak so far; the counter starts again for what comes next."""
        if self.stack:
            step = self.stack[-1][0]
            self.peak[step] = max(self.peak.get(step, 0.0), _hwm_mib())
        _reset_hwm()

    def enter(self, step: str) -> None:
        self._mark()
        self.stack.append([step, time.perf_counter(), 0.0])

    def leave(self) -> None:
        self._mark()
        step, start, children = self.stack.pop()
        spent = time.perf_counter() - start
        self.seconds[step] = self.seconds.get(step, 0.0) + spent - children
        if self.stack:
            self.stack[-1][2] += spent

    def wrap(self, function: Callable[..., Any], step: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.enter(step)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        return timed


def install(profile: Profile) -> list[str]:
    """Wrap every function of WRAPPED; returns the ones not found (the pipeline changed)."""
    missing = []
    for module_name, name, step in WRAPPED:
        module = importlib.import_module(module_name)
        if not hasattr(module, name):
            missing.append(f"{module_name}.{name}")
            continue
        setattr(module, name, profile.wrap(getattr(module, name), step))
    return missing


def worker(config: Path, out: Path) -> dict[str, Any]:
    """One profiled run; the figures as a dict (printed as JSON by ``--worker``)."""
    import almere_gis as ag

    profile = Profile()
    missing = install(profile)
    settings = ag.load_settings(config)

    def on_step(key: str) -> None:
        print(f"{time.perf_counter() - t0:8.1f} s  {key}", file=sys.stderr, flush=True)
        if key == "publish":  # the staging folder is swapped in after this
            profile.enter("publishing")

    _reset_hwm()
    t0 = time.perf_counter()
    result = ag.run(settings, out_dir=out, on_step=on_step)
    profile.leave()  # publishing
    total = time.perf_counter() - t0
    seconds = dict(profile.seconds)
    seconds["other"] = total - sum(seconds.values())
    sizes = {key: path.stat().st_size for key, path in result.files.items() if path.is_file()}
    return {
        "seconds": seconds,
        "peak": profile.peak,
        "total": total,
        # clear_refs resets the kernel's peak for ru_maxrss too: the run's peak is the steps' top
        "max_peak": max([*profile.peak.values(), _hwm_mib()]),
        "missing": missing,
        "map_bytes": sizes.get("map", 0),
        "gpkg_bytes": sizes.get("gpkg", 0) + sizes.get("intern:gpkg", 0),
        "tif_bytes": sum(v for k, v in sizes.items() if k.startswith("density:")),
        "joined": len(result.businesses),
        "buurten": len(result.buurten),
    }


# --------------------------------------------------------------------------------------------
# the inputs (in the parent)
# --------------------------------------------------------------------------------------------


def write_register(path: Path, n: int, *, seed: int, xy: np.ndarray | None = None) -> Path:
    """A LISA-style CSV of ``n`` rows resampled from the demo register.

    ``xy`` gives the coordinates (n, 2); without it each drawn row keeps its demo point, moved
    by a normal offset of 30 m.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    demo = pd.read_csv(DEMO / "demo_vestigingen.csv", dtype=str, keep_default_na=False)
    demo = demo.drop(columns=["bag_vbo_id"], errors="ignore")
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(demo), n)
    columns = {c: demo[c].to_numpy(dtype=object)[rows] for c in demo.columns}
    if xy is None:
        x = demo["x"].astype(float).to_numpy()[rows] + rng.normal(0.0, 30.0, n)
        y = demo["y"].astype(float).to_numpy()[rows] + rng.normal(0.0, 30.0, n)
        xy = np.column_stack([x, y])
    columns["x"] = np.char.mod("%.1f", xy[:, 0])
    columns["y"] = np.char.mod("%.1f", xy[:, 1])
    columns["vestigingsnummer"] = np.char.mod("%012d", np.arange(1, n + 1))
    table = pa.table({c: pa.array(v, type=pa.string()) for c, v in columns.items()})
    pacsv.write_csv(table, path)
    return path


def write_settings(path: Path, paths: dict[str, Path | str]) -> Path:
    """A settings file that changes only ``[paths]`` (every other setting is the default)."""
    lines = ["[paths]", *(f"{key} = {json.dumps(str(value))}" for key, value in paths.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def almere_inputs(folder: Path, n: int, seed: int) -> Path:
    """Settings for an enlarged Almere of ``n`` establishments (files in ``folder``)."""
    register = write_register(folder / f"vestigingen_{n}.csv", n, seed=seed)
    return write_settings(
        folder / f"almere_{n}.toml",
        {
            "buurten": DEMO / "demo_buurten.shp",
            "wijken": DEMO / "demo_wijken.shp",
            "businesses": register,
            "candidates": DEMO / "demo_kandidaatlocaties.shp",
        },
    )


# --------------------------------------------------------------------------------------------
# running and printing
# --------------------------------------------------------------------------------------------


def measure(
    config: Path, out: Path, *, script: Path = Path(__file__), timeout: float | None = None
) -> dict[str, Any]:
    """One profiled run in a fresh process (stopped after ``timeout`` seconds)."""
    try:
        done = subprocess.run(
            [sys.executable, str(script), "--worker", str(config), "--out", str(out)],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else str(exc.stderr or "")
        raise RuntimeError(
            f"stopped after {timeout:g} s; the steps so far:\n{err[-4000:]}"
        ) from None
    if done.returncode != 0:
        raise RuntimeError(f"the run failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def slope(t1: float, t2: float, n1: int, n2: int) -> str:
    """The growth exponent between two sizes, or "-" when a time is too small to tell."""
    if min(t1, t2) < 0.05:
        return "-"
    return f"{math.log(t2 / t1) / math.log(n2 / n1):.2f}"


def table(sizes: Sequence[int], runs: Sequence[dict[str, Any]]) -> list[str]:
    """The profile as text: time and peak per step and size, and the exponents."""
    head = "".join(f"{f'{n:,}':>20}" for n in sizes)
    pairs = list(zip(sizes, sizes[1:], strict=False))
    exps = "".join(f"{f'{a // 1000:,}k-{b // 1000:,}k':>12}" for a, b in pairs)
    lines = [f"{'step':<20}{head}{exps}", f"{'':<20}" + f"{'s   peak MiB':>20}" * len(sizes)]
    for step in ORDER:
        cells = ""
        for run in runs:
            t = run["seconds"].get(step, 0.0)
            peak = run["peak"].get(step)
            cells += f"{t:>10.2f}{'' if peak is None else f'{peak:>10,.0f}':>10}"
        pairs = zip(runs, runs[1:], sizes, sizes[1:], strict=False)
        grow = "".join(
            f"{slope(a['seconds'].get(step, 0), b['seconds'].get(step, 0), m, n):>12}"
            for a, b, m, n in pairs
        )
        lines.append(f"{step:<20}{cells}{grow}")
    total = "".join(f"{r['total']:>10.1f}{r['max_peak']:>10,.0f}" for r in runs)
    grow = "".join(
        f"{slope(a['total'], b['total'], m, n):>12}"
        for a, b, m, n in zip(runs, runs[1:], sizes, sizes[1:], strict=False)
    )
    lines.append(f"{'whole run':<20}{total}{grow}")
    return lines


def _worker_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(worker(args.worker, args.out)), flush=True)


def main() -> None:
    if "--worker" in sys.argv:
        _worker_main(sys.argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 3_000_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp:
        for n in args.sizes:
            config = almere_inputs(Path(tmp), n, args.seed)
            run = measure(config, Path(tmp) / f"out_{n}")
            if run["missing"]:
                print(f"not profiled (the pipeline changed): {', '.join(run['missing'])}")
            print(f"{n:,} establishments ({run['joined']:,} joined into {run['buurten']} buurten): "
                  f"{run['total']:.1f} s, peak {run['max_peak']:,.0f} MiB", flush=True)  # fmt: skip
            runs.append(run)
            (Path(tmp) / f"vestigingen_{n}.csv").unlink()
    print("enlarged Almere (63 demo buurten, demo candidates); time (s) and own peak (MiB) per "
          "step, growth exponents between sizes:")  # fmt: skip
    print("\n".join(table(args.sizes, runs)))
    sizes = " ".join(str(n) for n in args.sizes)
    print(f"reproduce: nice -n 10 .venv/bin/python benchmarks/bench_run.py --sizes {sizes} "
          f"--seed {args.seed}")  # fmt: skip


if __name__ == "__main__":
    main()
