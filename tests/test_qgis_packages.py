"""Both QGIS packages of real runs, and degenerate styles, opened in GDAL and in QGIS itself.

Runs: the demo; the demo with the highest privacy threshold (1,000: two buurten and no density
cell reach it); a register of three zzp'ers (nothing reaches 5). Degenerate layers: no class,
every value missing, one value, all values equal, empty layers, one feature. Each package must
open in QGIS 3.22 with the expected feature counts and renderers, and its legends must say
"too few to show" where nothing may be shown.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from qgis_helpers import (
    INDICATOR,
    make_buurten,
    make_hexagons,
    make_search_zones,
    make_surface,
    make_wijken,
    ogrinfo_output,
    renderer_type,
    run_qgis_check,
    styles_of,
)

import almere_gis as ag
from almere_gis.analysis.privacy import public_areas
from almere_gis.outputs.qgis import FIELD_TABLE, LAYER_NAMES, write_public_package
from almere_gis.outputs.rasters import write_density_rasters

pytestmark = pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning")

N = LAYER_NAMES
TOO_FEW = "Te weinig om te tonen"
_PUBLIC_KEYS = ("candidates", "search_zones", "hexagons", "wijken", "buurten")


def _run(out: Path, **changes: dict) -> ag.RunResult:
    settings = ag.load_settings()
    for section, values in changes.items():
        settings = settings.replace(section, **values)
    return ag.run(settings, out_dir=out)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> ag.RunResult:
    return _run(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def suppressed(tmp_path_factory: pytest.TempPathFactory) -> ag.RunResult:
    # Two buurten (the centre and Muziekwijk Noord) and no density cell reach 1,000
    # establishments; only one of them has 1,000 small-scale ones (the base of the indicator).
    return _run(tmp_path_factory.mktemp("onderdrukt"), privacy={"min_count": 1000})


@pytest.fixture(scope="module")
def three_zzp(tmp_path_factory: pytest.TempPathFactory) -> ag.RunResult:
    folder = tmp_path_factory.mktemp("drie")
    register = pd.read_csv(ag.load_settings().paths.businesses, dtype=str)
    jobs = register["wp_voltijd"].astype(int) + register["wp_deeltijd"].astype(int)
    home = register["aan_huis"] == "1"
    register.loc[(jobs == 1) & home].head(3).to_csv(folder / "drie.csv", index=False)
    return _run(folder / "out", paths={"businesses": str(folder / "drie.csv")})


def _frames(result: ag.RunResult, part: str) -> dict[str, pd.DataFrame]:
    if part == "public":
        pub = result.publication
        return {
            key: getattr(pub, key).data for key in _PUBLIC_KEYS if getattr(pub, key) is not None
        }
    frames = {
        "businesses": result.businesses,
        "candidates": result.candidates,
        "search_zones": result.search_zones,
        "hexagons": result.hexagons,
        "wijken": result.wijken,
        "buurten": result.buurten,
        "accounting": result.accounting,
        "rejects": result.rejects,
    }
    return {key: frame for key, frame in frames.items() if frame is not None}


def _expected(result: ag.RunResult, part: str) -> dict:
    prefix = "" if part == "public" else "intern:"
    gpkg = result.files[f"{prefix}gpkg"]
    styles = styles_of(gpkg)
    layers: dict[str, dict] = {}
    for key, frame in _frames(result, part).items():
        name = N[key]
        qml = styles.get(name)
        layers[name] = {
            "features": len(frame),
            "renderer": renderer_type(qml[3]) if qml else None,
        }
    n_fields = pyogrio.read_info(gpkg, layer=FIELD_TABLE)["features"]
    layers[FIELD_TABLE] = {"features": n_fields, "renderer": None}
    rasters = {
        path.stem: {"renderer": "singlebandpseudocolor"} for path in result.density_paths.values()
    }
    return {"layers": layers, "rasters": rasters}


def _open_in_qgis(result: ag.RunResult, part: str, expected: dict, python: Path, home: Path):
    prefix = "" if part == "public" else "intern:"
    output = ogrinfo_output(result.files[f"{prefix}gpkg"])
    assert "Warning" not in output and "ERROR" not in output, output
    done = run_qgis_check(python, result.files[f"{prefix}qgs"], expected, home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "QGIS CHECK OK" in done.stdout


# ------------------------------------------------------------------------------------------
# The demo
# ------------------------------------------------------------------------------------------


def test_public_package_holds_no_points_and_no_business_ids(demo: ag.RunResult) -> None:
    gpkg = demo.files["gpkg"]
    names = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert names == {N[k] for k in _PUBLIC_KEYS} | {FIELD_TABLE, "layer_styles"}
    with sqlite3.connect(gpkg) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
        columns = {
            c[1] for t in tables for c in con.execute(f'PRAGMA table_info("{t}")').fetchall()
        }
        descriptions = " ".join(r[0] for r in con.execute("SELECT description FROM gpkg_contents"))
    assert "business_id" not in columns
    assert "VERTROUWELIJK" not in descriptions and "INTERN" not in descriptions
    assert "betekent < 5 vestigingen (privacy" in descriptions


def test_public_hidden_cells_stay_empty(demo: ag.RunResult) -> None:
    # Every cell the Publication hides is empty (NULL) in the GeoPackage; the others are kept.
    pub = demo.publication
    for key in ("buurten", "hexagons"):
        frame = getattr(pub, key)
        written = pyogrio.read_dataframe(demo.files["gpkg"], layer=N[key])
        hidden_any = False
        for column in frame.hidden.columns:
            hidden = frame.is_hidden(column).to_numpy()
            hidden_any |= bool(hidden.any())
            assert written[column].isna().to_numpy()[hidden].all(), (key, column)
            kept = written[column].to_numpy()[~hidden]
            source = frame.data[column].to_numpy()[~hidden]
            assert pd.isna(kept).tolist() == pd.isna(source).tolist(), (key, column)
        assert hidden_any or key == "buurten", key


def test_internal_project_shows_the_public_rasters(demo: ag.RunResult) -> None:
    text = demo.files["intern:qgs"].read_text(encoding="utf-8")
    for path in demo.density_paths.values():
        assert f"<datasource>../publicatie/{path.name}</datasource>" in text
    assert not list(demo.files["intern:qgs"].parent.glob("*.tif"))  # written once, in public


def test_both_styles_use_the_same_classes(demo: ag.RunResult) -> None:
    public = styles_of(demo.files["gpkg"])[N["buurten"]][3]
    internal = styles_of(demo.files["intern:gpkg"])[N["buurten"]][3]
    assert renderer_type(public) == renderer_type(internal) == "graduatedSymbol"
    bounds = [
        [line.split('upper="')[1].split('"')[0] for line in qml.splitlines() if "<range " in line]
        for qml in (public, internal)
    ]
    assert bounds[0][:-1] == bounds[1][:-1]


@pytest.mark.qgis
@pytest.mark.parametrize("part", ["public", "intern"])
def test_demo_packages_open_in_qgis(
    demo: ag.RunResult, part: str, qgis_python: Path, gdal_tools: None, tmp_path: Path
) -> None:
    expected = _expected(demo, part)
    expected["layers"][N["hexagons"]]["legend"] = ["Hot spot (99 %)"]
    if part == "public":
        expected["layers"][N["hexagons"]]["legend"].append("Niet getoond: < 5 vestigingen")
    for raster in expected["rasters"].values():
        raster["legend"] = ["of meer"]
    _open_in_qgis(demo, part, expected, qgis_python, tmp_path / "home")


# ------------------------------------------------------------------------------------------
# Degenerate runs
# ------------------------------------------------------------------------------------------


@pytest.mark.qgis
@pytest.mark.parametrize("part", ["public", "intern"])
def test_high_threshold_classes_the_few_buurten_left(
    suppressed: ag.RunResult, part: str, qgis_python: Path, gdal_tools: None, tmp_path: Path
) -> None:
    if part == "public":  # the indicator rests on the small-scale establishments
        base = suppressed.analysis.buurten["n_small_scale"]
        shown = suppressed.publication.buurten.data[INDICATOR].dropna()
    else:  # the internal style classes every buurt that is not suppressed itself
        buurten = suppressed.analysis.buurten
        base = buurten["n_establishments"]
        shown = buurten.loc[~buurten["suppressed"], INDICATOR]
    assert list(shown.index) == list(base.index[base >= 1000])
    assert len(shown) == (1 if part == "public" else 2)
    prefix = "" if part == "public" else "intern:"
    qml = styles_of(suppressed.files[f"{prefix}gpkg"])[N["buurten"]][3]
    uppers = [
        float(line.split('upper="')[1].split('"')[0])
        for line in qml.splitlines()
        if "<range " in line
    ]
    # One class: the public view shows one buurt; the internal style shares the public breaks
    # (classed once per run), its last class widened to the largest internal value.
    assert len(uppers) == 1
    assert uppers[0] == pytest.approx(shown.max())
    expected = _expected(suppressed, part)
    assert expected["layers"][N["buurten"]]["renderer"] == "graduatedSymbol"
    for raster in expected["rasters"].values():
        raster["legend"] = [f"{TOO_FEW}: geen cel met 1000 of meer vestigingen"]
    _open_in_qgis(suppressed, part, expected, qgis_python, tmp_path / "home")


@pytest.mark.qgis
@pytest.mark.parametrize("part", ["public", "intern"])
def test_three_zzp_open_in_qgis(
    three_zzp: ag.RunResult, part: str, qgis_python: Path, gdal_tools: None, tmp_path: Path
) -> None:
    assert len(three_zzp.businesses) == 3
    expected = _expected(three_zzp, part)
    expected["layers"][N["buurten"]]["legend"] = [TOO_FEW]
    for raster in expected["rasters"].values():
        raster["legend"] = [TOO_FEW]
    if part == "intern":
        assert expected["layers"][N["businesses"]]["features"] == 3
    _open_in_qgis(three_zzp, part, expected, qgis_python, tmp_path / "home")


@pytest.mark.qgis
def test_no_hexagons_no_candidates_no_rasters(
    tmp_path: Path, qgis_python: Path, gdal_tools: None
) -> None:
    result = ag.run(ag.load_settings(), out_dir=tmp_path / "out", steps={"qgis"})
    assert result.hexagons is None and result.candidates is None and not result.density_paths
    for part in ("public", "intern"):
        expected = _expected(result, part)
        assert N["hexagons"] not in expected["layers"] and expected["rasters"] == {}
        _open_in_qgis(result, part, expected, qgis_python, tmp_path / f"home_{part}")


# ------------------------------------------------------------------------------------------
# Degenerate layers, one package each
# ------------------------------------------------------------------------------------------


def _buurten_with(values: list[float] | None, n: int = 6) -> gpd.GeoDataFrame:
    buurten = make_buurten().iloc[:n].copy()
    if values is not None:
        buurten[INDICATOR] = values
    return buurten


_CASES = {
    # no buurt above the privacy threshold: every row suppressed
    "no_class": (lambda: _buurten_with(None).assign(suppressed=True), "categorizedSymbol", TOO_FEW),
    "all_missing": (lambda: _buurten_with([np.nan] * 6), "categorizedSymbol", TOO_FEW),
    "one_value": (
        lambda: _buurten_with([12.5] + [np.nan] * 5),
        "graduatedSymbol",
        "12,5 tot 12,5",
    ),
    "all_equal": (lambda: _buurten_with([7.0] * 6), "graduatedSymbol", "7 tot 7"),
    "one_feature": (lambda: _buurten_with([3.0], n=1), "graduatedSymbol", "3 tot 3"),
    "empty": (lambda: _buurten_with(None, n=0), "categorizedSymbol", TOO_FEW),
}


@pytest.mark.qgis
@pytest.mark.parametrize("case", list(_CASES))
def test_degenerate_layers_load_in_qgis(
    case: str, qgis_python: Path, gdal_tools: None, tmp_path: Path
) -> None:
    make, renderer, legend = _CASES[case]
    settings = ag.load_settings()
    buurten = make()
    empty = len(buurten) == 0
    hexagons = make_hexagons().iloc[:0] if empty else make_hexagons().iloc[:1]
    zones = make_search_zones().iloc[:0]
    surface = make_surface()
    if case in ("no_class", "empty"):  # nothing may be shown in the raster either
        surface = type(surface)("all", "count", surface.grid, np.zeros_like(surface.shown))
    files = write_density_rasters({"all_count": surface}, tmp_path, settings=settings)
    result = write_public_package(
        tmp_path,
        buurten=public_areas(buurten, min_count=5),
        wijken=public_areas(make_wijken(buurten) if not empty else buurten, min_count=5),
        hexagons=public_areas(hexagons, min_count=5),
        search_zones=public_areas(zones, min_count=5),
        settings=settings,
        surfaces={"all_count": surface},
        rasters={"all_count": files["density:all_count"]},
    )
    assert renderer_type(styles_of(result.gpkg)[N["buurten"]][3]) == renderer
    wijken = pyogrio.read_info(result.gpkg, layer=N["wijken"])["features"]
    raster_legend = [TOO_FEW] if case in ("no_class", "empty") else ["of meer"]
    expected = {
        "layers": {
            N["buurten"]: {"features": len(buurten), "renderer": renderer, "legend": [legend]},
            N["wijken"]: {"features": wijken, "renderer": "categorizedSymbol"},
            N["hexagons"]: {"features": len(hexagons), "renderer": "categorizedSymbol"},
            N["search_zones"]: {"features": 0, "renderer": "categorizedSymbol"},
            FIELD_TABLE: {
                "features": pyogrio.read_info(result.gpkg, layer=FIELD_TABLE)["features"],
                "renderer": None,
            },
        },
        "rasters": {
            "kde_all_count": {"renderer": "singlebandpseudocolor", "legend": raster_legend}
        },
    }
    output = ogrinfo_output(result.gpkg)
    assert "Warning" not in output and "ERROR" not in output, output
    done = run_qgis_check(qgis_python, result.qgs, expected, tmp_path / "home")
    assert done.returncode == 0, done.stdout + done.stderr
