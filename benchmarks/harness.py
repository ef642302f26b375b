"""Run each benchmark method in a fresh Python process and measure its time and peak memory.

tracemalloc does not see memory that native code (GEOS, DuckDB, FFT libraries) allocates, so
every method runs in its own process and reports the peak resident set size (``ru_maxrss``)
of that process, next to the resident size before the method started (Python, the imports
and the input arrays). The benchmark script calls itself with ``--worker METHOD``; the
worker loads the inputs from a folder the parent wrote, runs a small warm-up (imports, caches,
extension loading), then the timed call, and saves the method's result for the parent to
compare.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil


@dataclass(frozen=True)
class Measured:
    """Median wall time of the runs, and the largest peak memory of their processes."""

    method: str
    seconds: float
    peak_mib: float
    before_mib: float
    runs: int


def rss_mib() -> float:
    """Resident memory of this process now, in MiB."""
    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mib() -> float:
    """Largest resident memory this process has had, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(
    method: str,
    run: Callable[[], Any],
    warm_up: Callable[[], Any] | None,
    result_path: Path,
) -> None:
    """Time ``run`` once in this process and print one JSON line for the parent."""
    if warm_up is not None:
        warm_up()
    before = rss_mib()
    t0 = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - t0
    np.save(result_path, np.asarray(result), allow_pickle=False)
    report = {"method": method, "seconds": seconds, "peak": peak_rss_mib(), "before": before}
    print(json.dumps(report), flush=True)


def measure(
    script: Path, method: str, args: list[str], result_path: Path, *, repeat: int = 1
) -> tuple[Measured, np.ndarray]:
    """Run ``script --worker method ARGS`` ``repeat`` times; the median time and the result."""
    times, peaks, befores = [], [], []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, str(script), "--worker", method, "--result", str(result_path), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{method} failed:\n{done.stderr[-3000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        times.append(report["seconds"])
        peaks.append(report["peak"])
        befores.append(report["before"])
    measured = Measured(
        method=method,
        seconds=statistics.median(times),
        peak_mib=max(peaks),
        before_mib=statistics.median(befores),
        runs=repeat,
    )
    return measured, np.load(result_path, allow_pickle=False)


def duckdb_spatial() -> Any:
    """A DuckDB connection with the spatial extension of the ``duckdb-ext-spatial`` package."""
    import duckdb
    import duckdb_ext

    root = Path(next(iter(duckdb_ext.__path__)))
    found = sorted(root.glob(f"extensions/v{duckdb.__version__}/*/spatial.duckdb_extension"))
    if not found:
        raise RuntimeError(
            f"no spatial extension for DuckDB {duckdb.__version__} under {root}. "
            "Fix: pip install the duckdb-ext-spatial release that matches duckdb"
        )
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{found[0]}'")
    return con
