"""The package as users install it: a wheel in a fresh virtual environment, run in an empty folder.

Builds the wheel from this checkout, installs it into a new venv (its own site-packages only:
the dependencies come from the package index, the wheel from its file), then, far from the
checkout, runs ``almere-gis run`` on the demo data shipped inside the wheel, and
``init-config`` followed by ``run --config`` from another folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

OUTPUTS = (
    "almere_gis_run.json",
    "publicatie/kaart.html",
    "publicatie/samenvatting.pdf",
    "intern",
)


def _run(args: list[str | Path], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PYTHONNOUSERSITE"] = "1"
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        pytest.fail(f"{' '.join(map(str, args))} failed ({done.returncode}):\n{tail}")
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh venv with the wheel of this checkout installed."""
    base = tmp_path_factory.mktemp("install")
    wheels = base / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, ROOT], base)
    (wheel,) = wheels.glob("almere_gis-*.whl")
    _run([sys.executable, "-m", "venv", base / "venv"], base)
    bin_dir = base / "venv" / "bin"
    config = (base / "venv" / "pyvenv.cfg").read_text(encoding="utf-8")
    assert "include-system-site-packages = false" in config
    _run([bin_dir / "python", "-m", "pip", "install", "-q", wheel], base)
    return bin_dir


def _assert_outputs(out: Path) -> None:
    missing = [name for name in OUTPUTS if not (out / name).exists()]
    assert not missing, f"missing in {out}: {missing}"


def test_installed_package_is_its_own(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import almere_gis, almere_gis.datasets as d; "
        "print(almere_gis.__file__); print(d.get_path('demo_buurten'))"
    )
    done = _run([installed / "python", "-c", probe], tmp_path)
    package, buurten = done.stdout.split()
    venv = installed.parent.resolve()
    assert Path(package).resolve().is_relative_to(venv)
    assert Path(buurten).resolve().is_relative_to(venv)
    assert Path(buurten).with_suffix(".dbf").is_file()


def test_run_in_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    _run([installed / "almere-gis", "run"], folder)
    _assert_outputs(folder / "out")


def test_init_config_then_run_from_elsewhere(installed: Path, tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    _run([installed / "almere-gis", "init-config", "almere_gis.toml"], project)
    _run([installed / "almere-gis", "run", "--config", project / "almere_gis.toml"], elsewhere)
    _assert_outputs(project / "out")  # out_dir = "out" is read against the file's folder
    assert not (elsewhere / "out").exists()
