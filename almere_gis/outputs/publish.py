"""Publish a run's outputs all at once or not at all, one run at a time per output folder.

A run first takes the lock of its output folder (:func:`output_lock`), for the whole run, so
that a second run on the same folder is refused at once rather than after it has computed
everything. It then writes every file into a staging folder beside the output folder
(:meth:`LockedOutput.staging`) and, only when all of them are written, swaps the staging folder
in for the output folder in one step. Whatever interrupts the run (an error, Ctrl-C,
``kill -9``, a power cut) the output folder holds either the complete previous set or the
complete new one, never a mix, and files of an earlier run never survive a later one.

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
- **The manifest** (written last into the staging folder) names every file of the set and a
  unique run id, so a reader can tell which run a folder holds (:func:`read_manifest`).
"""

from __future__ import annotations

__all__ = ["MANIFEST", "LockedOutput", "output_lock", "read_manifest", "staged_output"]

import contextlib
import ctypes
import json
import logging
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .._errors import ConfigError, RunLockedError

log = logging.getLogger("almere_gis")

# Written last into every published folder: what the run wrote, and proof that the folder is ours.
MANIFEST = "almere_gis_run.json"
_STAGING = ".{name}.staging-"
_ASIDE = ".{name}.previous-"
# errno values for "this file system cannot exchange two names atomically"
_NO_EXCHANGE = (22, 38, 95)  # EINVAL, ENOSYS, EOPNOTSUPP


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
    if errno in _NO_EXCHANGE:
        return False
    raise OSError(errno, os.strerror(errno), str(a))


def _is_ours(folder: Path) -> bool:
    """True for a folder we may replace: missing, empty, or holding our manifest."""
    if not folder.exists():
        return True
    if not folder.is_dir():
        return False
    return (folder / MANIFEST).is_file() or not any(folder.iterdir())


def read_manifest(out_dir: str | Path) -> dict[str, Any] | None:
    """The manifest of the run whose outputs ``out_dir`` holds, or None (no run, or unreadable).

    Examples
    --------
    >>> read_manifest("a/folder/that/does/not/exist") is None
    True
    """
    try:
        data = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


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


def _write_manifest(staging: Path, started: datetime, run_id: str) -> None:
    from .. import __version__

    files = sorted(
        p.relative_to(staging).as_posix()
        for p in staging.rglob("*")
        if p.is_file() and p.name != MANIFEST
    )
    manifest = {
        "program": "almere_gis",
        "version": __version__,
        "run_id": run_id,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": files,
    }
    path = staging / MANIFEST
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps(manifest, indent=2) + "\n")
        f.flush()
        os.fsync(f.fileno())  # the set is complete on disk before it is swapped in


def _swap_in(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous set
        return
    aside = Path(tempfile.mkdtemp(prefix=_ASIDE.format(name=out.name), dir=out.parent))
    aside.rmdir()
    os.rename(out, aside)
    os.rename(staging, out)
    shutil.rmtree(aside, ignore_errors=True)


@dataclass(frozen=True)
class LockedOutput:
    """An output folder whose lock this process holds (from :func:`output_lock`).

    Attributes
    ----------
    folder : Path
        The output folder (absolute).
    """

    folder: Path

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """Yield an empty staging folder; on success it replaces :attr:`folder` as a whole.

        On any exception (KeyboardInterrupt included) the staging folder is removed and the
        output folder is left exactly as it was.
        """
        out = self.folder
        started = datetime.now(UTC)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING.format(name=out.name), dir=out.parent))
        try:
            yield staging
            _write_manifest(staging, started, uuid.uuid4().hex)
            _swap_in(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def _refuse_foreign(out: Path) -> None:
    if not _is_ours(out):
        raise ConfigError(
            f"{out}: the output folder holds files that almere-gis did not write, and a run "
            "replaces its output folder as a whole. Fix: choose a new or empty folder with "
            "--out (or [paths] out_dir)."
        )


@contextlib.contextmanager
def output_lock(out_dir: str | Path) -> Iterator[LockedOutput]:
    """Hold the lock of ``out_dir`` for a whole run; refuse a folder that is not ours.

    Raises
    ------
    RunLockedError
        When another run holds the lock of ``out_dir``.
    ConfigError
        When ``out_dir`` exists and holds files that no run of almere_gis wrote.
    """
    out = Path(out_dir).absolute()
    _refuse_foreign(out)
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
        _refuse_foreign(out)  # again, now that no other run can change it
        _recover(out)
        yield LockedOutput(out)
    finally:
        # The lock file stays: unlinking it on release would let two later runs lock two
        # different files of the same name at once.
        lock.release()


@contextlib.contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Lock ``out_dir`` and yield a staging folder that replaces it as a whole on success.

    The short form of :func:`output_lock` followed by :meth:`LockedOutput.staging`, for a
    caller that has nothing to compute while holding the lock.

    Raises
    ------
    RunLockedError, ConfigError
        As for :func:`output_lock`.
    """
    with output_lock(out_dir) as locked, locked.staging() as staging:
        yield staging
