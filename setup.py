"""Build step: the demo data of ``shapefiles/`` ships inside the wheel.

The repository keeps one copy of the demo files, in the top-level ``shapefiles/`` folder. When
a wheel is built, they are copied into ``almere_gis/datasets/demo/`` of the build, where
:func:`almere_gis.datasets.get_path` finds them after a plain ``pip install``. Everything else
is declared in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DEMO_SOURCE = Path(__file__).resolve().parent / "shapefiles"
DEMO_TARGET = Path("almere_gis") / "datasets" / "demo"
DEMO_SUFFIXES = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".csv", ".md"}


class BuildWithDemo(build_py):
    """``build_py`` that also copies the demo files into the package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install finds them in the checkout
            return
        files = sorted(p for p in DEMO_SOURCE.iterdir() if p.suffix.lower() in DEMO_SUFFIXES)
        if not any(p.name == "demo_buurten.shp" for p in files):
            raise SystemExit(f"{DEMO_SOURCE}: the demo data is missing; run `make demo`")
        target = Path(self.build_lib) / DEMO_TARGET
        target.mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.copy2(path, target / path.name)


setup(cmdclass={"build_py": BuildWithDemo})
