"""A real ``almere-gis run`` interrupted or killed at several moments, and two runs at once.

After every interruption ``out/`` must hold either exactly the previous set (same files, same
bytes, same manifest) or exactly a new complete set (its manifest lists every file it holds);
leftovers beside ``out/`` (a staging folder of a killed run) are cleaned up by the next run.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import small_inputs as si

import almere_gis as ag

pytestmark = pytest.mark.slow

# The published set of a demo run (every file must be there in a new set).
_CORE = {
    "publicatie/kaart.html",
    "publicatie/almere_gis.gpkg",
    "publicatie/almere_gis.qgs",
    "publicatie/buurten_indicatoren.csv",
    "publicatie/candidates_scored.csv",
    "intern/verantwoording.csv",
    "intern/almere_gis_intern.gpkg",
}


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """``almere-gis run`` in a subprocess, its output lines (both streams) read as they come."""

    def __init__(self, out: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "almere_gis.cli", "run", "--out", str(out), "--lang", "en"]
            + list(extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # A child inherits an ignored SIGINT (a test runner started in the background has
            # one) and Python then keeps ignoring it; Ctrl-C in a terminal is not ignored.
            preexec_fn=_default_sigint,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, fragment: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.05)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if fragment in line:
                return
        raise AssertionError(f"never saw {fragment!r}; saw {self.seen}")

    def finish(self, timeout: float = 180) -> tuple[int, list[str]]:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)  # it ends at the end of the pipe
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code, self.seen


def _check(out: Path, before: dict[str, Any]) -> str:
    """'before' or 'new' for a folder in one of the two allowed states; fails otherwise."""
    now = si.folder_state(out)
    if now == before:
        return "before"
    assert si.manifest_matches_files(out), sorted(now)
    assert _CORE <= set(now), sorted(_CORE - set(now))
    return "new"


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("interrupt") / "out"
    ag.run(ag.load_settings(), out_dir=out)
    return out


# (signal, wait for this progress line, then wait this many seconds)
MOMENTS = [
    (signal.SIGINT, "step 1/9", 0.0),  # reading the inputs
    (signal.SIGINT, "step 5/9", 0.0),  # computing
    (signal.SIGINT, "step 8/9", 0.5),  # writing into the staging folder
    (signal.SIGINT, "step 9/9", 0.0),  # at the swap
    (signal.SIGINT, "Map: ", 0.0),  # printing the summary, after the swap
    (signal.SIGKILL, "step 7/9", 0.2),
    (signal.SIGKILL, "step 8/9", 0.8),
    (signal.SIGKILL, "step 9/9", 0.0),
]


@pytest.mark.parametrize(("sig", "after", "delay"), MOMENTS)
def test_killed_at_any_moment_out_is_before_or_new(
    previous: Path, sig: signal.Signals, after: str, delay: float
) -> None:
    before = si.folder_state(previous)
    run = Run(previous)
    run.wait_for(after)
    time.sleep(delay)
    run.proc.send_signal(sig)
    code, lines = run.finish()
    state = _check(previous, before)
    if sig == signal.SIGINT and code == 130:
        sentence = (
            f"interrupted: the previous outputs in {previous} are unchanged (nothing was half "
            "written)."
            if state == "before"
            else f"interrupted after the new outputs were complete in {previous}."
        )
        assert lines[-1] == sentence
    elif sig == signal.SIGINT:
        assert code == 0 and state == "new"  # the signal came after the run had ended
    else:
        assert code == -signal.SIGKILL
    assert not any("Traceback" in line for line in lines)


def test_the_next_run_cleans_up_after_a_killed_one(previous: Path) -> None:
    run = Run(previous)
    run.wait_for("step 8/9")
    time.sleep(0.5)
    run.proc.kill()
    run.finish()
    code, _ = Run(previous).finish()
    assert code == 0
    assert _check(previous, {}) == "new"
    beside = sorted(p.name for p in previous.parent.iterdir() if p.name != previous.name)
    assert beside == [f".{previous.name}.lock"]


def test_two_runs_at_once_the_second_is_refused(previous: Path) -> None:
    first = Run(previous)
    first.wait_for("step 1/9")  # the lock is held from before the first step
    second = Run(previous)
    code, lines = second.finish()
    assert code == 2
    assert lines[-1] == (
        f"error: {previous}: another almere-gis run is writing this output folder. Fix: wait "
        "until it has finished, or choose another folder with --out."
    )
    code, _ = first.finish()
    assert code == 0
    assert _check(previous, {}) == "new"


def test_a_rerun_without_candidates_leaves_no_candidate_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    settings = ag.load_settings()
    first = ag.run(settings, out_dir=out, steps={"sites"})
    assert (out / "publicatie" / "candidates_scored.csv").is_file()
    assert first.candidates is not None
    cfg = si.write_settings(tmp_path, {"candidates": ""})
    ag.run(ag.load_settings(cfg), out_dir=out, steps={"sites"})
    files = set(si.folder_state(out))
    assert not {f for f in files if "candidates" in f or "search_zones" in f}
    assert si.manifest_matches_files(out)
