"""Degenerate and unusual inputs, through the whole pipeline and the command line.

Every case must end in one of two ways: a full output set (exit 0), or one clear error line
(exit 2) with ``out/`` exactly as it was. Never a traceback, never a mixed ``out/``.

Each case is run once (``outcomes``) and judged by three tests:

- ``test_never_a_traceback_or_a_mixed_folder``: whatever happened, nothing of a traceback
  reached the terminal and ``out/`` holds the earlier run's files or exactly the new set; a
  crash (exit 3) may only come from a room other than the run core (pipeline, cli, publish,
  summary, settings), which is where the traceback file points.
- ``test_outcome``: the case ends as expected (full set, or exit 2 with the message). Where it
  still fails inside another room, it is marked xfail(strict) with that room's name.
- ``test_pipeline_side``: for the cases that must succeed, the run without the map and the
  QGIS package (the run core's own steps) completes and accounts for every input row.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import small_inputs as si

import almere_gis as ag
from almere_gis.cli import main

RUN_CORE = (
    "almere_gis/pipeline/",
    "almere_gis/cli.py",
    "almere_gis/outputs/publish.py",
    "almere_gis/outputs/summary.py",
    "almere_gis/settings.py",
)
FULL_SET = {
    "publicatie/kaart.html",
    "publicatie/buurten_indicatoren.csv",
    "publicatie/wijken_indicatoren.csv",
    "publicatie/stad_indicatoren.csv",
    "publicatie/almere_gis.gpkg",
    "publicatie/almere_gis.qgs",
    "publicatie/kde_small_scale_count.tif",
    "publicatie/LEESMIJ.txt",
    "intern/verantwoording.csv",
    "intern/almere_gis_intern.gpkg",
    "intern/LEESMIJ.txt",
}


@dataclass(frozen=True)
class Case:
    """How to build a case's inputs, and how it must end."""

    build: Callable[[Path], Path]  # folder -> settings file
    error: str = ""  # "" = a full output set; else a fragment of the one error line
    candidates: bool = True


def _inputs(
    folder: Path,
    register: pd.DataFrame,
    *,
    n_buurten: int = 4,
    candidates: bool = True,
    buurten: dict[str, object] | None = None,
    paths: dict[str, Path | str] | None = None,
    **sections: dict[str, object],
) -> Path:
    given: dict[str, Path | str] = {
        "buurten": si.write_buurten(folder, n_buurten, **(buurten or {})),  # type: ignore[arg-type]
        "businesses": si.write_register(folder, register),
        "candidates": si.write_candidates(folder, 3, n_buurten=n_buurten) if candidates else "",
        **(paths or {}),
    }
    return si.write_settings(folder, given, **sections)


def _sized(n: int) -> Callable[[Path], Path]:
    return lambda folder: _inputs(folder, si.register(n, seed=n))


def _all_rows_bad(folder: Path) -> Path:
    register = si.register(5)
    register["sbi"] = "abc"
    return _inputs(folder, register)


def _outside(folder: Path) -> Path:
    return _inputs(folder, si.register(20, offset=(50_000.0, 0.0)))


def _xy_swapped(folder: Path) -> Path:
    register = si.register(20)
    register["x"], register["y"] = register["y"].copy(), register["x"].copy()
    return _inputs(folder, register)


def _latlon_as_rd(folder: Path) -> Path:
    register = si.register(20)
    register["x"], register["y"] = 5.21, 52.37  # Almere in degrees, in the RD columns
    return _inputs(folder, register)


def _one_class(folder: Path) -> Path:
    # Every buurt holds exactly 6 one-person businesses: every indicator has one value.
    centres = shapely.get_coordinates(shapely.centroid(si.buurt_boxes(4)))
    xy = np.repeat(centres, 6, axis=0) + np.tile(np.arange(6)[:, None] * 10.0, (4, 2))
    register = si.register(24, xy=xy, jobs=[1] * 24, home=[True] * 24)
    register["sbi"] = "6201"
    return _inputs(folder, register)


def _empty_layer(folder: Path, name: str) -> Path:
    path = folder / name
    gpd.GeoDataFrame({"site_id": []}, geometry=[], crs="EPSG:28992").to_file(path)
    return path


def _empty_candidates(folder: Path) -> Path:
    empty = _empty_layer(folder, "kandidaten_leeg.gpkg")
    return _inputs(folder, si.register(20), paths={"candidates": empty})


def _missing_candidates(folder: Path) -> Path:
    return _inputs(folder, si.register(20), paths={"candidates": folder / "bestaat_niet.gpkg"})


def _stations_without_points(folder: Path) -> Path:
    return _inputs(folder, si.register(20), paths={"stations": _empty_layer(folder, "st.gpkg")})


def _huge_area(**density: object) -> Callable[[Path], Path]:
    # Two buurten 300 km apart: at 5 m cells the density grids cannot fit in any memory.
    far = [shapely.box(0, 300_000, 1_000, 301_000), shapely.box(299_000, 610_000, 300_000, 611_000)]

    def build(folder: Path) -> Path:
        register = si.register(5, xy=np.array([[500.0, 300_500.0]] * 5))
        return _inputs(
            folder, register, n_buurten=2, buurten={"geometries": far}, candidates=False, **density
        )

    return build


def _bad(section: str, **values: object) -> Callable[[Path], Path]:
    return lambda folder: _inputs(folder, si.register(20), **{section: values})


CASES: dict[str, Case] = {
    "0 rows": Case(lambda f: _inputs(f, si.register(0)), error="no data rows"),
    "0 valid rows": Case(_all_rows_bad, error="none of the 5 rows is usable"),
    "1 business": Case(_sized(1)),
    "2 businesses": Case(_sized(2)),
    "3 businesses": Case(_sized(3)),
    "5 businesses": Case(_sized(5)),
    "all outside": Case(_outside, error="the points lie about 50 km east of the buurten"),
    "x and y swapped": Case(_xy_swapped, error="coordinates outside the Netherlands (RD x 4"),
    "lat/lon read as RD": Case(_latlon_as_rd, error="they look like longitude/latitude"),
    "one buurt": Case(lambda f: _inputs(f, si.register(30, n_buurten=1), n_buurten=1)),
    "no land area": Case(lambda f: _inputs(f, si.register(30), buurten={"land_area": False})),
    "new schema without homes": Case(
        lambda f: _inputs(f, si.register(30), buurten={"schema": "new", "homes": False})
    ),
    "one class": Case(_one_class),
    "nothing above the threshold": Case(
        lambda f: _inputs(f, si.register(12), privacy={"min_count": 10})
    ),
    "no candidates": Case(lambda f: _inputs(f, si.register(20), candidates=False)),
    "empty candidates file": Case(_empty_candidates, error="kandidaten_leeg.gpkg"),
    "missing candidates file": Case(
        _missing_candidates, error="file not found (set as [paths] candidates"
    ),
    "stations without points": Case(_stations_without_points, error="has no station points"),
    "k = 0": Case(_bad("hotspots", k=0), error="hotspots.k = 0 is out of range"),
    "radius 0": Case(_bad("density", radius_m=0), error="density.radius_m = 0 is out of range"),
    "cell size -25": Case(_bad("density", cell_size_m=-25), error="density.cell_size_m = -25"),
    "scheme typo": Case(_bad("map", scheme="FisherJenk"), error="did you mean 'FisherJenks'"),
    "min_count 0": Case(_bad("privacy", min_count=0), error="allow_below_cbs_rule"),
    "grid too large": Case(
        _huge_area(density={"cell_size_m": 5.0, "radius_m": 400.0}),
        error="[density] cell_size_m = 5 gives density grids of",
    ),
    "hexagons too many": Case(
        _huge_area(density={"subsets": []}, hexgrid={"size_m": 50.0}),
        error="[hexgrid] size_m = 50 gives about",
    ),
}

# Cases that still fail inside another room (the traceback file names the place); the owners
# are fixing them. Each reason names the room and what fails.
XFAIL: dict[str, str] = {}


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    before: dict[str, bytes]
    after: dict[str, bytes]
    out: Path


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    done: dict[str, Outcome] = {}
    for name, case in CASES.items():
        folder = tmp_path_factory.mktemp(re.sub(r"\W+", "_", name))
        settings = case.build(folder)
        out = folder / "out"
        before = si.fake_previous_run(out)
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["run", "--config", str(settings), "--out", str(out), "--lang", "en"])
        done[name] = Outcome(
            code, stdout.getvalue(), stderr.getvalue(), before, si.folder_state(out), out
        )
    return done


def _crash_site(stderr: str) -> str:
    """The deepest almere_gis frame of the traceback whose file the bug line names."""
    found = re.search(r"saved in (\S+\.txt)", stderr)
    assert found, stderr
    frames = re.findall(r'File "[^"]*/(almere_gis/[^"]+)"', Path(found[1]).read_text("utf-8"))
    return frames[-1] if frames else "?"


@pytest.mark.parametrize("name", list(CASES))
def test_never_a_traceback_or_a_mixed_folder(outcomes: dict[str, Outcome], name: str) -> None:
    o = outcomes[name]
    assert "Traceback" not in o.stdout + o.stderr
    assert o.code in (0, 2, 3), o.stderr
    if o.code == 0:
        assert si.manifest_matches_files(o.out)
        assert "publicatie/oud.csv" not in o.after  # nothing of the earlier run survives
    else:
        assert o.after == o.before, "out/ changed although the run failed"
    if o.code == 3:
        site = _crash_site(o.stderr)
        assert not site.startswith(RUN_CORE), f"the run core crashed in {site}"


def _outcome_params() -> list[object]:
    return [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=XFAIL[n])) if n in XFAIL else n
        for n in CASES
    ]


@pytest.mark.parametrize("name", _outcome_params())
def test_outcome(outcomes: dict[str, Outcome], name: str) -> None:
    o, case = outcomes[name], CASES[name]
    if case.error:
        assert o.code == 2, o.stderr
        lines = [ln for ln in o.stderr.splitlines() if ln.startswith("error: ")]
        assert len(lines) == 1, o.stderr
        assert case.error in lines[0]
        return
    assert o.code == 0, o.stderr
    expected = set(FULL_SET)
    if case.candidates and name != "no candidates":
        expected |= {"publicatie/candidates_scored.csv", "publicatie/search_zones.csv"}
    assert expected <= set(o.after)
    assert "Privacy threshold: " in o.stdout


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if not c.error])
def test_pipeline_side(tmp_path: Path, name: str) -> None:
    settings = ag.load_settings(CASES[name].build(tmp_path))
    result = ag.run(settings, out_dir=tmp_path / "out", steps={"density", "hotspots", "sites"})
    acc = result.accounting
    assert len(acc) == result.inputs.n_input
    assert acc["source_row"].is_unique
    joined = int((acc["status"] == "gekoppeld").sum())
    assert joined == len(result.businesses) == result.buurten["n_establishments"].sum()
    # The buurten table has the Gi* columns whether or not the test could run.
    assert {"gi_z", "gi_class"} <= set(result.buurten.columns)
