"""The main job end to end on the embedded demo data, and the command line around it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import almere_gis as ag
from almere_gis.cli import main
from almere_gis.io.atomic import atomic_path


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> ag.RunResult:
    out = tmp_path_factory.mktemp("out")
    return ag.run(ag.load_settings(), out_dir=out)


def test_every_input_row_is_accounted(demo_run: ag.RunResult) -> None:
    n_rows = len(pd.read_csv(ag.load_settings().paths.businesses, usecols=[0]))
    acc = demo_run.accounting
    assert len(acc) == n_rows
    assert acc["source_row"].is_unique
    assert (acc["status"] == "gekoppeld").sum() == len(demo_run.businesses)


def test_headline_indicator(demo_run: ag.RunResult) -> None:
    # The demo register is calibrated on the report: ~79,000 jobs, ~43 % in residential buurten.
    assert demo_run.city_value("banen") == pytest.approx(79_000, rel=0.05)
    assert demo_run.city_value("aandeel_banen_in_woonbuurten") == pytest.approx(0.43, abs=0.03)
    # Buurt and wijk totals agree with the city.
    assert demo_run.buurten["jobs"].sum() == demo_run.city_value("banen")
    assert demo_run.wijken["jobs"].sum() == demo_run.city_value("banen")


def test_outputs_written(demo_run: ag.RunResult) -> None:
    names = {p.name for p in demo_run.outputs}
    for expected in [
        "buurten_indicatoren.csv",
        "wijken_indicatoren.csv",
        "stad_indicatoren.csv",
        "verantwoording.csv",
        "kde_small_scale_count.tif",
        "candidates_scored.csv",
        "search_zones.csv",
        "almere_gis.gpkg",
        "almere_gis.qgs",
    ]:
        assert expected in names
    for path in demo_run.outputs:
        assert path.is_file() and path.stat().st_size > 0
    # No temporary files left behind by the atomic writers.
    folder = demo_run.outputs[0].parent
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_hot_spots_and_sites(demo_run: ag.RunResult) -> None:
    hexes = demo_run.hexagons
    assert hexes is not None and hexes["gi_class"].str.startswith("hot").any()
    sites = demo_run.candidates
    assert sites is not None
    ranked = sites.loc[~sites["excluded"]]
    assert sorted(ranked["rank"].dropna().astype(int))[0] == 1
    assert ranked["p_top_k"].between(0, 1).all()
    # Excluded sites keep their row and say why.
    assert (sites.loc[sites["excluded"], "exclusion_reason"].str.len() > 0).all()


def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "result.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_cli_run_reports_bad_config_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text('[paths]\nbusinesses = "missing.csv"\n', encoding="utf-8")
    assert main(["run", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "missing.csv" in err and "Traceback" not in err


def test_cli_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "export.csv"
    bad.write_text(
        "vestigingsnummer;handelsnaam;sbi;wp_voltijd;wp_deeltijd;aan_huis;x;y\n"
        "000000000001;A;6201;1;0;1;145000;487000\n"
        "000000000002;B;0011;1;0;0;145000;487000\n"
        "000000000001;C;6201;-2;0;0;;487000\n",
        encoding="utf-8",
    )
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "row 2" in out and "row 3" in out
    good = tmp_path / "good.csv"
    good.write_text(
        "vestigingsnummer;handelsnaam;sbi;wp_voltijd;wp_deeltijd;aan_huis;x;y\n"
        "000000000001;A;6201;1;0;1;145000;487000\n",
        encoding="utf-8",
    )
    assert main(["validate", str(good)]) == 0


def test_public_api_resolves() -> None:
    for name in ag.__all__:
        assert getattr(ag, name) is not None


def test_run_on_the_real_cbs_buurten(shared_cbs_path: Path, tmp_path: Path) -> None:
    # The official polygons (old schema, one invalid polygon, sentinels) with the demo register:
    # the demo buurten are these polygons (rounded to 0.1 m, every point 2 m inside), so every
    # demo point joins, and every row is accounted for.
    cfg = tmp_path / "echt.toml"
    cfg.write_text(f'[paths]\nbuurten = "{shared_cbs_path.as_posix()}"\n', encoding="utf-8")
    settings = ag.load_settings(cfg)
    assert settings.paths.businesses.name == "demo_vestigingen.csv"
    result = ag.run(settings, out_dir=tmp_path / "out", steps={"hotspots", "sites"})
    assert len(result.buurten) == 63
    assert result.repaired_areas == ["BU00340599"]
    status = result.accounting["status"].value_counts()
    assert status.sum() == len(pd.read_csv(settings.paths.businesses, usecols=[0]))
    assert status.get("buiten", 0) == result.city_value("buiten_studiegebied") == 0
    share = result.city_value("aandeel_banen_in_woonbuurten")
    assert 0.3 < share < 0.6
    # Business parks without inhabitants: per-inhabitant rates are NaN, never inf or 0.
    parks = result.buurten.loc[result.buurten["inhabitants"] == 0]
    assert parks["jobs_per_1000_inhabitants"].isna().all()


_CONFIDENTIAL = ("businesses", "accounting", "rejects")


@pytest.mark.qgis
@pytest.mark.parametrize("part", ["public", "intern"])
def test_qgis_opens_the_demo_package(
    demo_run: ag.RunResult, qgis_python: Path, gdal_tools: None, tmp_path: Path, part: str
) -> None:
    import json
    import os
    import sqlite3
    import subprocess
    import xml.etree.ElementTree as ET

    from almere_gis.outputs.qgis import FIELD_TABLE, LAYER_NAMES

    prefix = "" if part == "public" else "intern:"
    gpkg, qgs = demo_run.files[f"{prefix}gpkg"], demo_run.files[f"{prefix}qgs"]
    info = subprocess.run(["ogrinfo", "-so", "-al", str(gpkg)], capture_output=True, text=True)
    assert info.returncode == 0 and "Warning" not in info.stderr + info.stdout

    with sqlite3.connect(gpkg) as con:
        styles = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())
        n_fields = con.execute(f"SELECT count(*) FROM {FIELD_TABLE}").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
    ours = {
        "businesses": demo_run.businesses,
        "candidates": demo_run.candidates,
        "search_zones": demo_run.search_zones,
        "hexagons": demo_run.hexagons,
        "wijken": demo_run.wijken,
        "buurten": demo_run.buurten,
        "accounting": demo_run.accounting,
        "rejects": demo_run.rejects,
    }
    if part == "public":
        # The public package never holds the business points or the business ids.
        assert not tables & {LAYER_NAMES[k] for k in _CONFIDENTIAL}
        ours = {k: v for k, v in ours.items() if k not in _CONFIDENTIAL}
    layers: dict[str, dict[str, object]] = {}
    for key, frame in ours.items():
        name = LAYER_NAMES[key]
        qml = styles.get(name)
        renderer = ET.fromstring(qml).find("renderer-v2").get("type") if qml else None
        layers[name] = {"features": len(frame), "renderer": renderer}
    layers[FIELD_TABLE] = {"features": n_fields, "renderer": None}
    assert layers[LAYER_NAMES["buurten"]]["renderer"] == "graduatedSymbol"
    assert layers[LAYER_NAMES["hexagons"]]["renderer"] == "categorizedSymbol"
    rasters = {
        p.stem: {"renderer": "singlebandpseudocolor"} for p in demo_run.density_paths.values()
    }
    expected = {"layers": layers, "rasters": rasters}
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(home)}
    check = Path(__file__).resolve().parent / "qgis_check.py"
    done = subprocess.run(
        [str(qgis_python), str(check), str(qgs), json.dumps(expected)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "QGIS CHECK OK" in done.stdout


def test_stations_layer_is_validated_and_used(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    lines = gpd.GeoDataFrame(
        {"naam": ["spoor"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs="EPSG:28992"
    )
    lines.to_file(tmp_path / "lijnen.gpkg")
    with pytest.raises(ag.InputError, match="stations must be points"):
        ag.load_stations(tmp_path / "lijnen.gpkg")

    # Almere Centrum station, in WGS 84: the loader reprojects it to RD New.
    station = gpd.GeoDataFrame(
        {"naam": ["Almere Centrum"]}, geometry=[shapely.Point(5.2187, 52.3750)], crs="EPSG:4326"
    )
    station.to_file(tmp_path / "stations.gpkg")
    loaded = ag.load_stations(tmp_path / "stations.gpkg")
    assert loaded.crs.equals("EPSG:28992")
    assert 140_000 < loaded.geometry.x.iloc[0] < 150_000

    cfg = tmp_path / "s.toml"
    cfg.write_text(f'[paths]\nstations = "{(tmp_path / "stations.gpkg").as_posix()}"\n')
    result = ag.run(ag.load_settings(cfg), out_dir=tmp_path / "out", steps={"sites"})
    sites = result.candidates
    assert sites is not None
    # With a stations layer every site has a station distance, business parks included.
    assert sites["accessibility_station_km"].notna().all()


# -- results as objects ----------------------------------------------------------------------


def test_the_tables_the_files_and_the_result_hold_the_same_columns(
    demo_run: ag.RunResult,
) -> None:
    import geopandas as gpd

    files = demo_run.files
    for name, layer, public in [
        ("buurten", "buurten", demo_run.publication.buurten),
        ("wijken", "wijken", demo_run.publication.wijken),
    ]:
        csv = pd.read_csv(files[f"table:{name}"], nrows=1)
        gpkg = gpd.read_file(files["gpkg"], layer=layer, rows=1)
        in_memory = [c for c in public.data.columns if c != "geometry"]
        assert list(csv.columns) == in_memory
        assert [c for c in gpkg.columns if c != "geometry"] == in_memory
    # The buurten table carries the Gi* columns of the buurten's own hot spot test.
    assert {"gi_z", "gi_p", "gi_q", "gi_class"} <= set(demo_run.buurten.columns)


def test_a_run_without_hot_spots_still_has_the_gi_columns(tmp_path: Path) -> None:
    result = ag.run(ag.load_settings(), out_dir=tmp_path / "out", steps=())
    csv = pd.read_csv(result.files["table:buurten"])
    assert {"gi_z", "gi_class"} <= set(csv.columns)
    assert csv["gi_class"].isna().all()


def test_no_stage_changes_an_earlier_stages_frames(tmp_path: Path) -> None:
    from almere_gis.outputs.publish import staged_output
    from almere_gis.pipeline.analyse import analyse
    from almere_gis.pipeline.inputs import read_inputs
    from almere_gis.pipeline.publication import make_publication
    from almere_gis.pipeline.steps import LATER_STEPS
    from almere_gis.pipeline.write import write_outputs

    def frames(obj: object, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
        return {n: getattr(obj, n).copy(deep=True) for n in names}

    def same(before: dict[str, pd.DataFrame], obj: object) -> None:
        for name, frame in before.items():
            pd.testing.assert_frame_equal(getattr(obj, name), frame, check_exact=True)

    inputs = read_inputs(ag.load_settings())
    kept_inputs = frames(inputs, ("buurten", "wijken", "businesses", "rejects", "candidates"))
    # Facts of the loaders travel as values, never as DataFrame.attrs.
    assert not any(getattr(inputs, n).attrs for n in kept_inputs)
    analysis = analyse(inputs, on_step=lambda step: None)
    same(kept_inputs, inputs)
    kept = frames(analysis, ("buurten", "wijken", "city", "hexagons", "candidates"))
    publication = make_publication(analysis)
    with staged_output(tmp_path / "out") as staging:
        write_outputs(analysis, publication, staging, wanted=LATER_STEPS, on_step=lambda s: None)
    same(kept_inputs, inputs)
    same(kept, analysis)


def test_grids_that_do_not_fit_are_refused_before_anything_is_allocated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracemalloc

    import almere_gis.pipeline.analyse as analyse_module
    import almere_gis.pipeline.inputs as inputs_module
    from almere_gis.pipeline import checks

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("called although the grid settings had been refused")

    # Refused right after the buurten are read: the register is never read, no grid is made.
    monkeypatch.setattr(inputs_module, "load_businesses", never)
    monkeypatch.setattr(analyse_module, "kde", never)
    monkeypatch.setattr(checks, "available_memory", lambda: 400_000_000)
    settings = ag.load_settings().replace("density", cell_size_m=5.0)
    tracemalloc.start()
    with pytest.raises(ag.ConfigError) as info:
        ag.run(settings, out_dir=tmp_path / "out")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100_000_000
    message = str(info.value)
    assert message.startswith("defaults.toml: [density] cell_size_m = 5 gives density grids of ")
    spare = "of memory for 6 surfaces, more than this computer can spare (200 MB of 400 MB free)"
    assert spare in message
    # The value it suggests fits, and the nice value below it does not.
    suggested = float(message.split("Fix: use [density] cell_size_m = ")[1].split(" ")[0])
    bounds = tuple(ag.load_buurten(settings.paths.buurten).total_bounds)
    fits = checks.density_memory(bounds, settings.density, cell_size_m=suggested)
    assert fits <= 200_000_000
    smaller = max(c for c in checks._NICE_CELLS if c < suggested)
    assert checks.density_memory(bounds, settings.density, cell_size_m=smaller) > 200_000_000
    assert not (tmp_path / "out").exists()
