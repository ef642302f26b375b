"""The main job, in one order for every run: lock, check, compute, publish.

0. **Lock**: the output folder's lock is taken first and held to the end
   (:func:`~almere_gis.outputs.publish.output_lock`): a second run on the same folder is
   refused at once, and a folder that no run of almere_gis wrote is never replaced.
1. **Check**: the settings were validated when loaded; every input is read and validated,
   and the grids are checked against the free memory (:func:`~.inputs.read_inputs`).
   Nothing has been written yet, so a bad input ends the run with one clear error and leaves
   ``out/`` as it was.
2. **Compute**: every result in memory (:func:`~.analyse.analyse`), then its public view
   (:func:`~.publication.make_publication`).
3. **Publish**: every file is written into a staging folder beside ``out/``, which then
   replaces ``out/`` as a whole (:meth:`~almere_gis.outputs.publish.LockedOutput.staging`).
"""

from __future__ import annotations

__all__ = ["STEPS", "run"]

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from .._errors import ConfigError
from ..outputs.publish import output_lock
from ..settings import Settings
from .analyse import analyse
from .inputs import read_inputs
from .publication import make_publication
from .results import RunResult
from .steps import LATER_STEPS, STEPS
from .write import write_outputs

log = logging.getLogger("almere_gis")


def _noop(step: str) -> None:
    return None


def run(
    settings: Settings,
    *,
    out_dir: str | Path | None = None,
    on_step: Callable[[str], None] = _noop,
    steps: Iterable[str] | None = None,
) -> RunResult:
    """Run the analysis and publish every output at once.

    Parameters
    ----------
    settings
        From :func:`almere_gis.load_settings`.
    out_dir
        Output folder; defaults to ``settings.paths.out_dir``. It is replaced as a whole: it
        must be new, empty, or the output of an earlier run.
    on_step
        Called with the key of each step of :data:`STEPS` as it starts (for progress).
    steps
        Optional subset of the later steps (``density``, ``hotspots``, ``sites``, ``map``,
        ``qgis``); the foundation steps always run. ``None`` = all.

    Returns
    -------
    RunResult
        The stages in memory and the paths of the published files (inside ``out_dir``).

    Raises
    ------
    almere_gis.InputError, almere_gis.ConfigError, almere_gis.RunLockedError
        Before anything is written: ``out_dir`` is then left exactly as it was.

    Examples
    --------
    >>> import tempfile, almere_gis as ag
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     result = ag.run(ag.load_settings(), out_dir=f"{tmp}/out", steps=())
    ...     sorted(result.files)[:2]
    ['intern:accounting', 'readme:intern']
    """
    out = Path(out_dir) if out_dir is not None else settings.paths.out_dir
    wanted = LATER_STEPS if steps is None else frozenset(steps)
    unknown = wanted - LATER_STEPS
    if unknown:
        raise ConfigError(
            f"unknown step(s) {', '.join(sorted(unknown))}. "
            f"Fix: choose from {', '.join(sorted(LATER_STEPS))}."
        )
    with output_lock(out) as locked:
        on_step("inputs")
        inputs = read_inputs(settings, wanted=wanted, out_dir=locked.folder)
        analysis = analyse(inputs, wanted=wanted, on_step=on_step)
        publication = make_publication(analysis)
        with locked.staging() as staging:
            written = write_outputs(analysis, publication, staging, wanted=wanted, on_step=on_step)
            on_step("publish")
    files = {key: out / rel for key, rel in written.files.items()}
    log.info("run finished; outputs in %s", out)
    return RunResult(
        analysis=analysis, publication=publication, out_dir=out, files=files, notes=written.notes
    )
