"""The embedded demo data and its generator.

:func:`get_path` finds a demo file wherever the package is: in a wheel install the files ship
inside the package (``almere_gis/datasets/demo/``, copied from ``shapefiles/`` when the wheel
is built), in a checkout they are the top-level ``shapefiles/`` folder. Settings refer to
them as ``demo:<name>`` (``demo:demo_buurten``).
"""

from __future__ import annotations

__all__ = ["DEMO_DATASETS", "DEMO_PREFIX", "get_path", "resolve_demo"]

from pathlib import Path

from .._errors import ConfigError

DEMO_PREFIX = "demo:"
DEMO_DATASETS: dict[str, str] = {
    "demo_buurten": "demo_buurten.shp",
    "demo_wijken": "demo_wijken.shp",
    "demo_vestigingen": "demo_vestigingen.csv",
    "demo_kandidaatlocaties": "demo_kandidaatlocaties.shp",
    "readme": "README.md",
}
"""Name -> file of every demo dataset (a Shapefile's .dbf, .shx, .prj and .cpg lie beside it)."""

_PACKAGED = Path(__file__).resolve().parent / "demo"
_CHECKOUT = Path(__file__).resolve().parent.parent.parent / "shapefiles"


def _folder() -> Path:
    """The folder holding the demo files: inside the package, else the checkout's."""
    for folder in (_PACKAGED, _CHECKOUT):
        if (folder / DEMO_DATASETS["demo_buurten"]).is_file():
            return folder
    raise ConfigError(
        f"{_PACKAGED}: the demo data is missing. Fix: reinstall almere-gis (the wheel ships "
        "it), or run `almere-gis demo-data` and give its files in [paths]."
    )


def get_path(name: str) -> Path:
    """The path of a demo dataset, wherever the package is installed.

    Parameters
    ----------
    name : str
        ``demo_buurten``, ``demo_wijken``, ``demo_vestigingen``, ``demo_kandidaatlocaties``
        or ``readme``; a ``demo:`` prefix and the file's extension are allowed.

    Returns
    -------
    Path
        Absolute path of the file (for a Shapefile: its ``.shp``).

    Raises
    ------
    ConfigError
        For an unknown name, or when the demo data is not installed.

    Examples
    --------
    >>> get_path("demo:demo_buurten").name
    'demo_buurten.shp'
    """
    key = name.removeprefix(DEMO_PREFIX).strip()
    key = next((k for k, f in DEMO_DATASETS.items() if key in (k, f)), key)
    if key not in DEMO_DATASETS:
        raise ConfigError(
            f"unknown demo dataset {name!r}. Fix: use one of "
            + ", ".join(f"'{DEMO_PREFIX}{k}'" for k in DEMO_DATASETS if k != "readme")
            + "."
        )
    return _folder() / DEMO_DATASETS[key]


def resolve_demo(value: str) -> str:
    """``demo:<name>`` as the demo file's path; any other value as it is."""
    if value.startswith(DEMO_PREFIX):
        return str(get_path(value))
    return value
