"""Where the paths of a settings file point: relative to the file, or a shipped demo dataset.

Kept beside :mod:`almere_gis.settings`, which reads the files and checks the values.
"""

from __future__ import annotations

__all__ = ["resolve_demo_paths", "resolve_paths"]

from pathlib import Path
from typing import Any

from .datasets import DEMO_PREFIX, resolve_demo


def resolve_paths(raw: dict[str, Any], base_dir: Path | None) -> None:
    """Relative paths in ``[paths]`` are read against the folder of the file that sets them.

    ``demo:<name>`` stays as it is (:func:`resolve_demo_paths` finds it once the files are
    merged). With ``base_dir`` None (the shipped defaults) a relative path stays relative:
    ``out`` is then the folder ``out`` of the current folder.
    """
    for key, value in raw.items():
        if key.endswith(("_layer", "_crs")) or not isinstance(value, str) or not value:
            continue
        if value.startswith(DEMO_PREFIX) or base_dir is None or Path(value).is_absolute():
            continue
        raw[key] = str(base_dir / value)


def resolve_demo_paths(raw: dict[str, Any]) -> None:
    """``demo:<name>`` in ``[paths]`` as the path of that shipped demo dataset."""
    for key, value in raw.items():
        if not key.endswith(("_layer", "_crs")) and isinstance(value, str):
            raw[key] = resolve_demo(value)
