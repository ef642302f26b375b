"""The main job: from input files to every output in ``out/`` (see :mod:`.runner` for its order).

The CLI, the notebooks and the tests all go through :func:`run`.
"""

from __future__ import annotations

__all__ = ["STEPS", "Analysis", "Inputs", "Publication", "RunResult", "run"]

from .results import Analysis, Inputs, Publication, RunResult
from .runner import STEPS, run
