"""The QGIS package from hand-built frames: GeoPackage, layer styles, raster styles, project.

Small frames (columns as agreed between the rooms) are written once per module; the tests read
the result back with sqlite3, pyogrio, GDAL's command-line tools and QGIS itself.
"""

from __future__ import annotations

import shutil
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from qgis_helpers import (
    INDICATOR,
    X0,
    Y0,
    make_businesses,
    make_buurten,
    make_candidates,
    make_hexagons,
    make_search_zones,
    make_surface,
    make_tables,
    make_wijken,
    ogrinfo_output,
    renderer_type,
    run_qgis_check,
    styles_of,
)
from shapely.geometry import box

from almere_gis._errors import ConfigError, InputError
from almere_gis.analysis.privacy import PublicFrame, public_areas
from almere_gis.outputs import qgis as export
from almere_gis.outputs.qgis import gpkg as gpkg_module
from almere_gis.outputs.rasters import write_density_rasters
from almere_gis.outputs.style import (
    HOTSPOT_CLASSES,
    HOTSPOT_COLOURS,
    SITE_EXCLUDED,
    SITE_OTHER,
    SITE_TOP,
    WIJK_OUTLINE,
    choropleth_colours,
    class_breaks,
)
from almere_gis.settings import load_settings

# mapclassify's Fisher-Jenks warns that it runs without numba; harmless for these sizes.
pytestmark = pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning")

N = export.LAYER_NAMES
SPATIAL = [
    N[k] for k in ("businesses", "candidates", "search_zones", "hexagons", "wijken", "buurten")
]
TABLES = [N["accounting"], N["rejects"], export.FIELD_TABLE]
RASTER = "kde_small_scale_count"


def _rgba_to_hex(rgba: str) -> str:
    r, g, b, _ = (int(v) for v in rgba.split(","))
    return f"#{r:02x}{g:02x}{b:02x}"


def make_frames() -> dict[str, object]:
    buurten = make_buurten()
    accounting, rejects = make_tables()
    return {
        "buurten": buurten,
        "wijken": make_wijken(buurten),
        "hexagons": make_hexagons(),
        "candidates": make_candidates(),
        "search_zones": make_search_zones(),
        "accounting": accounting,
        "rejects": rejects,
        "businesses": make_businesses(),
    }


@pytest.fixture(scope="module")
def settings():
    # The shipped defaults name the indicator INDICATOR (old spelling accepted too).
    return load_settings()


@pytest.fixture(scope="module")
def package(tmp_path_factory, settings):
    """The internal package of hand-built frames, with one density surface."""
    out = tmp_path_factory.mktemp("out")
    frames = make_frames()
    surfaces = {"small_scale_count": make_surface()}
    files = write_density_rasters(surfaces, out, settings=settings)
    rasters = {"small_scale_count": files["density:small_scale_count"]}
    result = export.write_internal_package(
        out, settings=settings, surfaces=surfaces, rasters=rasters, **frames
    )
    return {"out": out, "frames": frames, "result": result, "files": files, "surfaces": surfaces}


def _frame_of(package: dict, layer: str) -> pd.DataFrame:
    key = {v: k for k, v in N.items()}[layer]
    return package["frames"][key]


# ------------------------------------------------------------------------------------------
# GeoPackage
# ------------------------------------------------------------------------------------------


def test_layers_crs_and_counts(package):
    gpkg = package["result"].gpkg
    assert gpkg == package["out"] / "almere_gis_intern.gpkg"
    listed = {name: geom for name, geom in pyogrio.list_layers(gpkg)}
    assert set(listed) == set(SPATIAL) | set(TABLES) | {export.STYLE_TABLE}
    for layer in SPATIAL:
        info = pyogrio.read_info(gpkg, layer=layer)
        assert info["crs"] == "EPSG:28992", layer
        assert info["features"] == len(_frame_of(package, layer)), layer
    for layer in (N["accounting"], N["rejects"]):
        assert listed[layer] is None
        assert pyogrio.read_info(gpkg, layer=layer)["features"] == len(_frame_of(package, layer))
    assert listed[N["candidates"]] == "Point"
    assert listed[N["buurten"]] == "MultiPolygon"


def test_values_round_trip(package):
    gpkg = package["result"].gpkg
    buurten = pyogrio.read_dataframe(gpkg, layer=N["buurten"])
    source = package["frames"]["buurten"]
    np.testing.assert_allclose(buurten[INDICATOR], source[INDICATOR])
    assert buurten["suppressed"].tolist() == source["suppressed"].tolist()
    assert buurten["buurt_code"].tolist() == source["buurt_code"].tolist()
    rejects = pyogrio.read_dataframe(gpkg, layer=N["rejects"])
    assert rejects["reason"].tolist() == package["frames"]["rejects"]["reason"].tolist()
    assert rejects["business_id"].isna().tolist() == [False, True]
    # the input frames are untouched
    assert source.index.tolist() == list(range(6))
    assert "fid" not in source.columns


def test_layer_styles_table_as_qgis_makes_it(package):
    gpkg = package["result"].gpkg
    styles = styles_of(gpkg)
    assert set(styles) == set(SPATIAL)
    with sqlite3.connect(gpkg) as con:
        geometry_columns = dict(
            con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
        )
        registered = con.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
        info = con.execute("PRAGMA table_info(layer_styles)").fetchall()
    columns = {row[1]: (row[2], row[5]) for row in info}  # name: (type, primary key)
    assert registered == ("attributes",)
    assert [row[1] for row in info][:4] == [
        "id",
        "f_table_catalog",
        "f_table_schema",
        "f_table_name",
    ]
    assert columns["id"] == ("INTEGER", 1)
    assert columns["useAsDefault"][0] == "BOOLEAN"
    assert columns["update_time"][0] == "DATETIME"
    assert {"styleQML", "styleSLD", "styleName", "description", "owner", "ui"} <= set(columns)
    expected_type = {N["businesses"]: 0, N["candidates"]: 0}
    for layer, (schema, geometry_column, default, qml) in styles.items():
        assert schema == "", layer  # an empty string, not NULL: QGIS matches on ''
        assert geometry_column == geometry_columns[layer]
        assert default == 1
        root = ET.fromstring(qml)
        assert root.findtext("layerGeometryType") == str(expected_type.get(layer, 2)), layer
        want = "graduatedSymbol" if layer == N["buurten"] else "categorizedSymbol"
        assert renderer_type(qml) == want, layer


def test_geopackage_is_written_without_sql_or_reading_back(tmp_path, settings, monkeypatch):
    # One pass through GDAL: no sqlite patching, no reading a layer, a style or a raster back.
    def refuse(*args, **kwargs):
        raise AssertionError("the package writer read or patched a file it wrote")

    import rasterio

    monkeypatch.setattr(sqlite3, "connect", refuse)
    monkeypatch.setattr(rasterio, "open", refuse)
    for name in ("read_dataframe", "read_info", "list_layers", "read_arrow"):
        monkeypatch.setattr(pyogrio, name, refuse)
    surface = make_surface()
    frames = make_frames()
    rasters = {"small_scale_count": tmp_path / "kde_small_scale_count.tif"}  # never opened
    buurten = public_areas(frames["buurten"], min_count=5)
    result = export.write_public_package(
        tmp_path,
        buurten=buurten,
        wijken=public_areas(frames["wijken"], min_count=5),
        hexagons=public_areas(frames["hexagons"], min_count=5),
        settings=settings,
        surfaces={"small_scale_count": surface},
        rasters=rasters,
    )
    monkeypatch.undo()
    assert result.gpkg.is_file() and result.qgs.is_file()
    assert RASTER in result.qgs.read_text(encoding="utf-8")


def _colours(renderer: ET.Element) -> dict[str, str]:
    return {
        s.get("name"): _rgba_to_hex(s.find("layer/prop[@k='color']").get("v"))
        for s in renderer.findall("symbols/symbol")
    }


def _alphas(renderer: ET.Element) -> dict[str, int]:
    return {
        s.get("name"): int(s.find("layer/prop[@k='color']").get("v").split(",")[3])
        for s in renderer.findall("symbols/symbol")
    }


def _hidden_public(buurten: pd.DataFrame) -> PublicFrame:
    """The public view with the indicator of buurt 1 (4 small-scale) hidden, as PRIVACY does."""
    public = public_areas(buurten, min_count=5)
    hidden = public.hidden.copy()
    hidden.loc[1, INDICATOR] = True
    data = public.data.copy()
    data.loc[1, INDICATOR] = np.nan
    return PublicFrame(data=data, hidden=hidden)


def test_choropleth_uses_the_public_classes_in_both_packages(tmp_path, settings):
    frames = make_frames()
    buurten = frames["buurten"]
    public = _hidden_public(buurten)
    classes = export.buurt_classes(public, settings)
    values = buurten[INDICATOR].to_numpy(dtype=float)
    # Classed: the buurten whose value may be published (0, 2, 3 and 4).
    shown = np.isfinite(public.data[INDICATOR].to_numpy(dtype=float))
    assert shown.tolist() == [True, False, True, True, True, False]
    breaks = class_breaks(values[shown], scheme=settings.map.scheme, k=settings.map.classes)
    assert classes.breaks == breaks and classes.colours == choropleth_colours(len(breaks))

    pub = export.write_public_package(
        tmp_path / "pub",
        buurten=public,
        wijken=public_areas(frames["wijken"], min_count=5),
        settings=settings,
        classes=classes,
    )
    internal = export.write_internal_package(
        tmp_path / "int",
        buurten=buurten,
        wijken=frames["wijken"],
        settings=settings,
        classes=classes,
    )
    for result, top in ((pub, breaks[-1]), (internal, values[1])):
        qml = styles_of(result.gpkg)[N["buurten"]][3]
        renderer = ET.fromstring(qml).find("renderer-v2")
        assert renderer.get("attr") == INDICATOR
        ranges = renderer.findall("ranges/range")
        uppers = [float(r.get("upper")) for r in ranges]
        assert uppers[:-1] == breaks[:-1]
        # Internally the hidden buurt 1 lies beyond the last class: it takes the top colour.
        assert uppers[-1] == top
        assert float(ranges[0].get("lower")) == 0.0
        assert (
            ranges[0].get("label").startswith(f"{values[shown].min():.1f} tot ".replace(".", ","))
        )
        colours = _colours(renderer)
        assert [colours[r.get("symbol")] for r in ranges] == choropleth_colours(len(breaks))
    internal_ranges = ET.fromstring(styles_of(internal.gpkg)[N["buurten"]][3]).findall(".//range")
    assert internal_ranges[-1].get("label").endswith("of meer")
    public_ranges = ET.fromstring(styles_of(pub.gpkg)[N["buurten"]][3]).findall(".//range")
    assert " tot " in public_ranges[-1].get("label")


def test_hexagons_and_sites_use_the_map_colours(package, settings):
    styles = styles_of(package["result"].gpkg)
    renderer = ET.fromstring(styles[N["hexagons"]][3]).find("renderer-v2")
    assert renderer.get("attr") == "gi_class"
    categories = renderer.findall("categories/category")
    assert [c.get("value") for c in categories] == HOTSPOT_CLASSES  # internal: no hidden class
    colours, alphas = _colours(renderer), _alphas(renderer)
    assert {c.get("value"): colours[c.get("symbol")] for c in categories} == HOTSPOT_COLOURS
    # as on the map: significant classes 70 % opaque, "not significant" not filled
    assert {c.get("value"): alphas[c.get("symbol")] for c in categories} == {
        c: 0 if c == "ns" else 178 for c in HOTSPOT_CLASSES
    }
    sites = ET.fromstring(styles[N["candidates"]][3]).find("renderer-v2")
    assert f'"rank" <= {settings.sites.top_k}' in sites.get("attr")
    site_colours = _colours(sites)
    assert {
        c.get("value"): site_colours[c.get("symbol")] for c in sites.findall("categories/category")
    } == {"top": SITE_TOP, "other": SITE_OTHER, "excluded": SITE_EXCLUDED}


def test_wijken_are_outlines_as_on_the_map(package):
    renderer = ET.fromstring(styles_of(package["result"].gpkg)[N["wijken"]][3]).find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol"
    (symbol,) = renderer.findall("symbols/symbol")
    assert _alphas(renderer) == {"0": 0}
    outline = symbol.find("layer/prop[@k='outline_color']").get("v")
    assert _rgba_to_hex(outline) == WIJK_OUTLINE


def test_unknown_indicator_or_missing_gi_class_is_refused(tmp_path, settings):
    frames = make_frames()
    # A valid indicator name (settings accept it) that these frames do not hold.
    wrong = settings.replace("map", indicator="lq_overig")
    with pytest.raises(ConfigError, match="lq_overig"):
        export.write_internal_package(tmp_path, settings=wrong, **frames)
    frames["hexagons"] = frames["hexagons"].drop(columns="gi_class")
    with pytest.raises(InputError, match="gi_class"):
        export.write_internal_package(tmp_path, settings=settings, **frames)
    assert _folder(tmp_path) == []


def test_descriptions(package):
    gpkg = package["result"].gpkg
    with sqlite3.connect(gpkg) as con:
        descriptions = dict(con.execute("SELECT table_name, description FROM gpkg_contents"))
    assert descriptions[N["businesses"]].startswith("VERTROUWELIJK")
    assert descriptions[N["accounting"]].startswith("VERTROUWELIJK")
    assert "INTERN" in descriptions[N["buurten"]]
    for layer in (*SPATIAL, *TABLES, export.STYLE_TABLE):
        assert descriptions[layer], layer
    fields = pyogrio.read_dataframe(gpkg, layer=export.FIELD_TABLE)
    assert list(fields.columns) == ["layer", "field", "description", "unit"]
    expected = {
        (layer, column)
        for layer in SPATIAL + [N["accounting"], N["rejects"]]
        for column in _frame_of(package, layer).columns
        if column != "geometry"
    }
    assert set(zip(fields["layer"], fields["field"], strict=True)) == expected
    by_key = fields.set_index(["layer", "field"])
    assert by_key.loc[(N["buurten"], INDICATOR), "unit"] == "per km²"
    assert "Bouw" in by_key.loc[(N["buurten"], "lq_bouw"), "description"]
    assert by_key.loc[(N["candidates"], "demand_walk_contrib"), "description"].startswith(
        "Criterium"
    )
    assert by_key.loc[(N["candidates"], "weight_demand_walk"), "unit"] == "fractie 0-1"


def test_describe_fields_in_both_languages_and_unknown_fields():
    columns = ["jobs_zzp_per_1000_inhabitants", "share_n_zzp", "mystery"]
    nl = export.describe_fields({"x": pd.DataFrame(columns=columns)})
    assert nl["unit"].tolist() == ["per 1.000 inwoners", "fractie 0-1", ""]
    assert nl["description"].tolist()[2] == "(geen beschrijving)"
    en = export.describe_fields({"x": pd.DataFrame(columns=columns)}, language="en")
    assert en["description"].tolist() == [
        "Persons employed in zzp establishments per 1,000 inhabitants",
        "Share of the city total: number of zzp establishments",
        "(no description)",
    ]


def test_package_follows_the_map_language(tmp_path, settings):
    english = settings.replace("map", language="en")
    frames = make_frames()
    result = export.write_internal_package(tmp_path, settings=english, **frames)
    with sqlite3.connect(result.gpkg) as con:
        descriptions = dict(con.execute("SELECT table_name, description FROM gpkg_contents"))
    assert descriptions[N["businesses"]].startswith("CONFIDENTIAL")
    qml = styles_of(result.gpkg)[N["hexagons"]][3]
    assert 'label="Not significant"' in qml
    assert "Small-scale economy in Almere" in result.qgs.read_text(encoding="utf-8")
    assert 'name="Tables"' in result.qgs.read_text(encoding="utf-8")


def test_points_left_out_when_switched_off(tmp_path, settings):
    frames = make_frames()
    off = settings.replace("export", include_points=False, gpkg="eigen.gpkg", qgs="eigen.qgs")
    result = export.write_internal_package(tmp_path, settings=off, **frames)
    assert result.gpkg.name == "eigen_intern.gpkg" and result.qgs.name == "eigen_intern.qgs"
    names = {name for name, _ in pyogrio.list_layers(result.gpkg)}
    assert N["businesses"] not in names
    assert N["buurten"] in names
    fields = pyogrio.read_dataframe(result.gpkg, layer=export.FIELD_TABLE)
    assert N["businesses"] not in set(fields["layer"])
    assert N["businesses"] not in result.qgs.read_text(encoding="utf-8")


def test_mixed_candidates_become_points(tmp_path, settings):
    frames = make_frames()
    candidates = frames["candidates"].copy()
    candidates.loc[0, "geometry"] = box(X0, Y0, X0 + 40, Y0 + 40)
    frames["candidates"] = candidates
    result = export.write_internal_package(tmp_path, settings=settings, **frames)
    assert dict(pyogrio.list_layers(result.gpkg))[N["candidates"]] == "Point"
    back = pyogrio.read_dataframe(result.gpkg, layer=N["candidates"])
    assert back.geometry.iloc[0].within(box(X0, Y0, X0 + 40, Y0 + 40))
    assert candidates.geometry.iloc[0].geom_type == "Polygon"  # input unchanged


def test_deprecated_export_writes_the_internal_package(tmp_path, settings):
    frames = make_frames()
    frames["candidates_scored"] = frames.pop("candidates")
    with pytest.warns(DeprecationWarning, match="write_public_package"):
        result = export.export_qgis_package(tmp_path, settings=settings, **frames)
    assert N["candidates"] in {name for name, _ in pyogrio.list_layers(result.gpkg)}


def _folder(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def test_refuses_other_crs_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "pakket.gpkg"
    buurten = make_buurten()
    export.write_geopackage({"buurten": buurten}, target)
    before = target.read_bytes()
    wgs84 = buurten.to_crs("EPSG:4326")
    with pytest.raises(InputError, match=r"layer 'buurten' is in EPSG:4326.*to_crs"):
        export.write_geopackage({"buurten": wgs84}, target)
    no_crs = buurten.set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="no CRS"):
        export.write_geopackage({"buurten": no_crs}, target)
    assert target.read_bytes() == before
    assert _folder(tmp_path) == ["pakket.gpkg"]


def test_failure_midway_leaves_old_file_and_no_temp_files(tmp_path, monkeypatch):
    target = tmp_path / "pakket.gpkg"
    export.write_geopackage({"buurten": make_buurten()}, target)
    before = target.read_bytes()
    real = pyogrio.write_dataframe
    calls = []

    def flaky(*args, **kwargs):
        calls.append(kwargs.get("layer"))
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(gpkg_module.pyogrio, "write_dataframe", flaky)
    with pytest.raises(OSError, match="disk full"):
        export.write_geopackage({"buurten": make_buurten(), "hexagonen": make_hexagons()}, target)
    assert calls == ["buurten", "hexagonen"]
    assert target.read_bytes() == before
    assert _folder(tmp_path) == ["pakket.gpkg"]


def test_refuses_style_for_other_geometry_and_mixed_layers(tmp_path):
    polygon_style = export.qml_categorized("x", [("a", "#000000", "a")], "Polygon")
    points = make_candidates()
    with pytest.raises(InputError, match="style of layer 'sites' is for polygons"):
        export.write_geopackage(
            {"sites": points}, tmp_path / "a.gpkg", styles={"sites": polygon_style}
        )
    mixed = points.copy()
    mixed.loc[0, "geometry"] = box(X0, Y0, X0 + 10, Y0 + 10)
    with pytest.raises(InputError, match="mixes points, lines and polygons"):
        export.write_geopackage({"sites": mixed}, tmp_path / "b.gpkg")
    with pytest.raises(InputError, match="reserved"):
        export.write_geopackage({"layer_styles": points}, tmp_path / "c.gpkg")
    assert _folder(tmp_path) == []


def test_empty_layer_keeps_its_geometry_type(tmp_path):
    zones = make_search_zones().iloc[0:0]
    style = export.qml_categorized("'z'", [("z", "#33a02c", "zone")], 2)
    target = export.write_geopackage({"zones": zones}, tmp_path / "e.gpkg", styles={"zones": style})
    assert dict(pyogrio.list_layers(target)) == {
        "zones": "MultiPolygon",
        export.FIELD_TABLE: None,
        export.STYLE_TABLE: None,
    }


# ------------------------------------------------------------------------------------------
# QGIS project
# ------------------------------------------------------------------------------------------


def _canonical(element: ET.Element) -> str:
    return ET.canonicalize(ET.tostring(element, encoding="unicode"), strip_text=True)


def test_project_file(package):
    qgs = package["result"].qgs
    text = qgs.read_text(encoding="utf-8")
    assert str(package["out"]) not in text  # nothing absolute
    root = ET.fromstring(text)
    assert root.findtext("projectCrs/spatialrefsys/authid") == "EPSG:28992"
    assert root.findtext("properties/Paths/Absolute") == "false"
    assert root.findtext("title") == "Kleinschalige economie in Almere (intern, vertrouwelijk)"
    tree = [node.get("name") for node in root.findall("layer-tree-group/layer-tree-layer")]
    assert tree == [*SPATIAL, RASTER]  # points on top, raster at the bottom
    checked = {
        node.get("name"): node.get("checked") == "Qt::Checked"
        for node in root.findall("layer-tree-group/layer-tree-layer")
    }
    assert checked[N["buurten"]] and checked[N["candidates"]]
    assert not checked[N["businesses"]]  # confidential points load hidden
    tables = root.findall("layer-tree-group/layer-tree-group/layer-tree-layer")
    assert [node.get("name") for node in tables] == TABLES
    styles = styles_of(package["result"].gpkg)
    for layer in root.findall("projectlayers/maplayer"):
        name = layer.findtext("layername")
        source = layer.findtext("datasource")
        assert source.startswith("./"), source
        if name in styles:
            assert source == f"./almere_gis_intern.gpkg|layername={name}"
            embedded = layer.find("renderer-v2")
            stored = ET.fromstring(styles[name][3]).find("renderer-v2")
            assert _canonical(embedded) == _canonical(stored)
            assert layer.findtext("srs/spatialrefsys/authid") == "EPSG:28992"
        elif name == RASTER:
            assert source == f"./{RASTER}.tif"
            sidecar = ET.fromstring(package["files"][f"style:{RASTER}"].read_text("utf-8"))
            assert _canonical(layer.find("pipe")) == _canonical(sidecar.find("pipe"))
        else:
            assert name in TABLES
    ids = [node.get("id") for node in root.iter("layer-tree-layer")]
    assert sorted(ids) == sorted(layer.findtext("id") for layer in root.iter("maplayer"))


def test_project_extent_without_layers_is_the_netherlands(tmp_path):
    path = export.write_qgis_project(tmp_path / "leeg.qgs", [], title="Leeg")
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    box_ = [float(root.findtext(f"mapcanvas/extent/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")]
    assert box_ == [-7_000.0, 289_000.0, 300_000.0, 629_000.0]


# ------------------------------------------------------------------------------------------
# GDAL and QGIS themselves
# ------------------------------------------------------------------------------------------


@pytest.mark.qgis
def test_gdal_reads_without_warnings(package, gdal_tools):
    output = ogrinfo_output(package["result"].gpkg)
    assert "Warning" not in output and "ERROR" not in output, output
    assert "VERTROUWELIJK" in output


def _expected(package: dict) -> dict:
    styles = styles_of(package["result"].gpkg)
    layers = {}
    for layer in (*SPATIAL, N["accounting"], N["rejects"]):
        renderer = renderer_type(styles[layer][3]) if layer in styles else None
        layers[layer] = {"features": len(_frame_of(package, layer)), "renderer": renderer}
    n_fields = pyogrio.read_info(package["result"].gpkg, layer=export.FIELD_TABLE)["features"]
    layers[export.FIELD_TABLE] = {"features": n_fields, "renderer": None}
    layers[N["hexagons"]]["legend"] = ["Hot spot (99 %)", "Niet significant"]
    return {
        "layers": layers,
        "rasters": {RASTER: {"renderer": "singlebandpseudocolor", "legend": ["of meer"]}},
        "order": [*SPATIAL, RASTER],
    }


@pytest.mark.qgis
def test_qgis_opens_the_package_styled(package, qgis_python, tmp_path):
    # Move the package elsewhere first: the project must find its files by relative paths.
    moved = tmp_path / "elders"
    shutil.copytree(package["out"], moved)
    home = tmp_path / "home"
    expected = _expected(package)
    assert expected["layers"][N["buurten"]]["renderer"] == "graduatedSymbol"
    done = run_qgis_check(qgis_python, moved / "almere_gis_intern.qgs", expected, home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "QGIS CHECK OK" in done.stdout
    assert sorted(p.name for p in moved.iterdir()) == sorted(
        p.name for p in package["out"].iterdir()
    )
    assert list(home.iterdir()) == []


@pytest.mark.qgis
def test_qgis_check_catches_a_missing_default_style(package, qgis_python, tmp_path):
    broken = tmp_path / "kapot"
    shutil.copytree(package["out"], broken)
    with sqlite3.connect(broken / "almere_gis_intern.gpkg") as con:
        con.execute("UPDATE layer_styles SET f_table_schema = NULL WHERE f_table_name = 'buurten'")
    (broken / f"{RASTER}.qml").unlink()
    expected = _expected(package)
    expected["layers"][N["rejects"]]["features"] += 1
    expected["layers"][N["wijken"]]["legend"] = ["Geen wijk"]
    done = run_qgis_check(qgis_python, broken / "almere_gis_intern.qgs", expected, tmp_path / "h")
    assert done.returncode == 1, done.stdout + done.stderr
    report = done.stdout
    assert "fresh from GeoPackage: layer 'buurten' renderer is 'singleSymbol'" in report
    assert f"raster '{RASTER}' renderer is 'singlebandgray'" in report
    assert f"layer '{N['rejects']}' has 2 features, expected 3" in report
    assert "project: legend of 'wijken' lacks 'Geen wijk'" in report
    assert "project: layer 'buurten'" not in report  # the project embeds its own copy
