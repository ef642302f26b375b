"""Shared fixtures.

Tests that need something outside the repository (the real CBS file in ../shared/data,
Chromium, QGIS) skip with the reason when it is missing, as on a user's fresh machine.
Under CI=true they fail instead: .ci/run installs those things, so missing means broken.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_CBS = ROOT.parent / "shared" / "data" / "cbs_almere_buurten.geojson"
CHROMIUM = Path("/usr/bin/chromium")
SYSTEM_PYTHON = Path("/usr/bin/python3")
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip (fresh machine) or fail (CI) when an outside requirement is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}; .ci/run should have provided it")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_cbs_path() -> Path:
    where = SHARED_CBS.relative_to(ROOT.parent)
    require(SHARED_CBS.is_file(), f"the real CBS file is not at ../{where}")
    return SHARED_CBS


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    require(CHROMIUM.is_file(), "Debian's chromium is not installed (/usr/bin/chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def qgis_python() -> Path:
    import subprocess

    has_qgis = SYSTEM_PYTHON.is_file() and (
        subprocess.run(
            [str(SYSTEM_PYTHON), "-c", "import qgis.core"],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    require(has_qgis, "QGIS for Python is not installed (Debian package python3-qgis)")
    return SYSTEM_PYTHON


@pytest.fixture(scope="session")
def gdal_tools() -> None:
    require(shutil.which("ogrinfo") is not None, "GDAL command-line tools are missing (gdal-bin)")
