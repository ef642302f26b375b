"""Publish a run's outputs all at once or not at all.

A run writes every file into a staging folder beside the output folder and, only when all of
them are written, swaps the staging folder in for the output folder in one step. Whatever
interrupts the run (an error, Ctrl-C, ``kill -9``, a power cut) the output folder holds either
the complete previous set or the complete new one, never a mix, and files of an earlier run
never survive a later one.

- **The swap.** On Linux the two folders are exchanged atomically (``renameat2`` with
  ``RENAME_EXCHANGE``); elsewhere the old folder is renamed aside and the new one renamed in
  (two renames; a crash between them leaves the old set aside, and the next run puts it back).
- **The lock.** A lock file beside the output folder (``.<name>.lock``, an OS file lock that
  dies with its process) refuses a second concurrent run on the same folder with
  :class:`~almere_gis._errors.RunLockedError`.
- **Our folders only.** A folder is replaced only when it is empty or holds the manifest
  (:data:`MANIFEST`) of an earlier run, so a mistyped ``--out`` never deletes a user's files.
- **Leftovers** of a killed run (a staging folder, an old set renamed aside) are cleaned up by
  the next run, under the lock.
"""

from __future__ import annotations

__all__ = ["MANIFEST", "staged_output"]

import contextlib
import ctypes
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from .._errors import ConfigError, RunLockedError

log = logging.getLogger("almere_gis")

# Written last into every published folder: what the run wrote, and proof that the folder is ours.
MANIFEST = "almere_gis_run.json"
_STAGING = ".{name}.staging-"
_ASIDE = ".{name}.previous-"


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: file system without exchange
        return False
    raise OSError(errno, os.strerror(errno), str(a))


def _is_ours(folder: Path) -> bool:
    """True for a folder we may replace: missing, empty, or holding our manifest."""
    if not folder.exists():
        return True
    if not folder.is_dir():
        return False
    return (folder / MANIFEST).is_file() or not any(folder.iterdir())


def _recover(out: Path) -> None:
    """Clean up what a killed run left beside ``out`` (called under the lock)."""
    parent = out.parent
    aside = sorted(parent.glob(_ASIDE.format(name=out.name) + "*"))
    if not out.exists() and aside:
        # killed between the two renames of the fallback swap: put the previous set back
        log.warning("%s: restoring the previous outputs after an interrupted run", out)
        os.rename(aside.pop(), out)
    for leftover in [*aside, *parent.glob(_STAGING.format(name=out.name) + "*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _write_manifest(staging: Path, started: datetime) -> None:
    files = sorted(
        str(p.relative_to(staging))
        for p in staging.rglob("*")
        if p.is_file() and p.name != MANIFEST
    )
    manifest = {
        "program": "almere_gis",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": files,
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _swap_in(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging)  # now holds the previous set
        return
    aside = Path(tempfile.mkdtemp(prefix=_ASIDE.format(name=out.name), dir=out.parent))
    aside.rmdir()
    os.rename(out, aside)
    os.rename(staging, out)
    shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Yield an empty staging folder; on success it replaces ``out_dir`` as a whole.

    On any exception (KeyboardInterrupt included) the staging folder is removed and
    ``out_dir`` is left exactly as it was.

    Raises
    ------
    RunLockedError
        When another run is publishing into ``out_dir``.
    ConfigError
        When ``out_dir`` exists and holds files that no run of almere_gis wrote.
    """
    out = Path(out_dir).absolute()
    if out.exists() and not _is_ours(out):
        raise ConfigError(
            f"{out}: the output folder holds files that almere-gis did not write, and a run "
            "replaces its output folder as a whole. Fix: choose a new or empty folder with "
            "--out (or [paths] out_dir)."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(out.parent / f".{out.name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RunLockedError(
            f"{out}: another almere-gis run is writing this output folder. Fix: wait until it "
            "has finished, or choose another folder with --out."
        ) from None
    try:
        _recover(out)
        started = datetime.now(UTC)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING.format(name=out.name), dir=out.parent))
        try:
            yield staging
            _write_manifest(staging, started)
            _swap_in(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        # The lock file stays: unlinking it on release would let two later runs lock two
        # different files of the same name at once.
        lock.release()
