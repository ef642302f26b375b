"""The QGIS package: GeoPackage, layer styles, raster sidecar styles and the project file.

Small hand-built frames (columns as agreed between the modules) are written once per module;
the tests read the result back with sqlite3, pyogrio, GDAL's command-line tools and QGIS.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import Point, box

from almere_gis._errors import ConfigError, InputError
from almere_gis._schema import AREA_COLUMNS
from almere_gis.outputs import qgis as export
from almere_gis.outputs.style import (
    DENSITY_RAMP,
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

X0, Y0 = 145_000.0, 485_000.0
N = export.LAYER_NAMES
SPATIAL = [
    N[k] for k in ("businesses", "candidates", "search_zones", "hexagons", "wijken", "buurten")
]
TABLES = [N["accounting"], N["rejects"], export.FIELD_TABLE]
INDICATOR = "jobs_small_scale_per_km2"
CHECK_SCRIPT = Path(__file__).resolve().parent / "qgis_check.py"


def _rgba_to_hex(rgba: str) -> str:
    r, g, b, _ = (int(v) for v in rgba.split(","))
    return f"#{r:02x}{g:02x}{b:02x}"


# ------------------------------------------------------------------------------------------
# hand-built inputs
# ------------------------------------------------------------------------------------------


def make_buurten() -> gpd.GeoDataFrame:
    n = 6
    codes = [f"BU0034{w:02d}{b:02d}" for w, b in [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]]
    frame = pd.DataFrame(
        {
            "buurt_code": codes,
            "buurt_name": [f"Buurt {i}" for i in range(n)],
            "wijk_code": ["WK003401"] * 3 + ["WK003402"] * 3,
            "wijk_name": ["Stad"] * 3 + ["Haven"] * 3,
            "gemeente_code": ["GM0034"] * n,
            "gemeente_name": ["Almere"] * n,
            "inhabitants": [1200.0, 800.0, 0.0, 2500.0, 600.0, 90.0],
            "households": [500.0, 350.0, 0.0, 1100.0, 250.0, 40.0],
            "homes": [520.0, 360.0, 0.0, 1150.0, 260.0, 45.0],
            "area_total_ha": [100.0] * n,
            "area_land_ha": [95.0, 100.0, 80.0, 100.0, 90.0, 100.0],
            "area_water_ha": [5.0, 0.0, 20.0, 0.0, 10.0, 0.0],
            "dist_train_km": [1.2, 2.5, np.nan, 0.8, 3.1, 4.0],
            "cbs_establishments": [40.0, 25.0, 110.0, 90.0, 15.0, 5.0],
            "share_social_minimum": [8.0, 12.0, np.nan, 6.0, 9.0, 3.0],
        }
    )
    assert list(frame.columns) == AREA_COLUMNS
    frame["area_type"] = ["wonen", "wonen", "bedrijventerrein", "centrum", "wonen", "buitengebied"]
    frame["n_establishments"] = [40, 25, 110, 90, 15, 3]
    frame["n_small_scale"] = [8, 4, 20, 15, 6, 1]
    # buurt 1 has the highest rate but rests on fewer than 5 small-scale establishments
    frame["jobs_small_scale"] = [60, 300, 150, 140, 20, 4]
    frame[INDICATOR] = frame["jobs_small_scale"] / (frame["area_land_ha"] / 100.0)
    frame.loc[5, INDICATOR] = np.nan  # a missing rate stays missing
    frame["share_jobs_small_scale"] = frame["jobs_small_scale"] / frame["jobs_small_scale"].sum()
    frame["n_bouw"] = [4, 2, 30, 5, 1, 0]
    frame["lq_bouw"] = [0.8, 0.6, 2.1, 0.4, 0.5, np.nan]
    frame["suppressed"] = frame["n_establishments"] < 5
    geometry = [box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(n)]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:28992")


def make_wijken(buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    sums = buurten.dissolve(
        by="wijk_code",
        aggfunc={"wijk_name": "first", "area_land_ha": "sum", "jobs_small_scale": "sum"},
    ).reset_index()
    sums[INDICATOR] = sums["jobs_small_scale"] / (sums["area_land_ha"] / 100.0)
    sums["suppressed"] = False
    return sums


def make_hexagons() -> gpd.GeoDataFrame:
    n = len(HOTSPOT_CLASSES) + 1
    return gpd.GeoDataFrame(
        {
            "hex_id": [f"H{i:03d}" for i in range(n)],
            "count_all": list(range(3, 3 + n)),
            "count_small_scale": list(range(n)),
            "jobs_all": [10 * i for i in range(n)],
            "suppressed": [i + 3 < 5 for i in range(n)],
            "gi_z": np.linspace(3.0, -3.0, n),
            "gi_q": np.linspace(0.001, 0.9, n),
            "gi_class": [*HOTSPOT_CLASSES, "ns"],
        },
        geometry=[box(X0 + 250 * i, Y0, X0 + 250 * (i + 1), Y0 + 250) for i in range(n)],
        crs="EPSG:28992",
    )


def make_candidates(n: int = 12) -> gpd.GeoDataFrame:
    excluded = np.zeros(n, dtype=bool)
    excluded[-1] = True
    score = np.linspace(0.9, 0.2, n)
    score[-1] = np.nan
    rank = pd.Series(np.arange(1, n + 1, dtype=float)).where(~excluded)
    return gpd.GeoDataFrame(
        {
            "site_id": [f"S{i:02d}" for i in range(n)],
            "name": [f"Pand {i}" for i in range(n)],
            "site_type": ["kantoor_leeg"] * (n - 1) + ["voormalige_school"],
            "floor_area_m2": np.linspace(150.0, 4000.0, n),
            "vacant_since": pd.array([2019] * (n - 1) + [None], dtype="Int64"),
            "vacancy_share": np.linspace(0.0, 1.0, n),
            "ownership": ["gemeente"] * n,
            "excluded": excluded,
            "exclusion_reason": ["" if not e else "te klein" for e in excluded],
            "demand_walk_raw": np.arange(n, dtype=float),
            "demand_walk_norm": np.linspace(0, 1, n),
            "demand_walk_contrib": np.linspace(0, 0.25, n),
            "score": score,
            "rank": rank.to_numpy(),
            "explanation": ["veel vraag"] * n,
            "p_top_k": np.linspace(1.0, 0.0, n),
            "robust": np.linspace(1.0, 0.0, n) > 0.8,
        },
        geometry=[Point(X0 + 300 * i + 50, Y0 + 500) for i in range(n)],
        crs="EPSG:28992",
    )


def make_search_zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"hex_id": ["H000", "H001"], "gi_class": ["hot_99", "hot_95"]},
        geometry=[box(X0, Y0, X0 + 250, Y0 + 250), box(X0 + 250, Y0, X0 + 500, Y0 + 250)],
        crs="EPSG:28992",
    )


def make_businesses() -> gpd.GeoDataFrame:
    n = 8
    return gpd.GeoDataFrame(
        {
            "business_id": [f"00000000000{i}" for i in range(n)],
            "name": [f"Bedrijf {i}" for i in range(n)],
            "sbi": ["4120", "5610", "4711", "6201", "4120", "9602", "0111", "8559"],
            "sbi_division": [41, 56, 47, 62, 41, 96, 1, 85],
            "sector_group": [
                "bouw",
                "horeca",
                "detailhandel",
                "ict_creatief",
                "bouw",
                "persoonlijk",
                "overig",
                "zorg_onderwijs",
            ],
            "jobs_fulltime": [1, 3, 0, 1, 12, 1, 2, 0],
            "jobs_parttime": [0, 4, 2, 0, 3, 0, 0, 1],
            "jobs": [1, 7, 2, 1, 15, 1, 2, 1],
            "home_based": [True, False, False, True, False, True, False, True],
            "zzp": [True, False, False, True, False, True, False, True],
            "small_scale": [True, True, True, True, False, True, True, True],
            "start_year": pd.array([2015, 2001, None, 2020, 1999, 2022, 2010, 2018], dtype="Int64"),
            "social_enterprise": pd.array([False, None, False, True, False, False, None, False]),
            "source_row": list(range(1, n + 1)),
            "buurt_code": ["BU00340101"] * n,
            "wijk_code": ["WK003401"] * n,
        },
        geometry=[Point(X0 + 100 * i + 10, Y0 + 100) for i in range(n)],
        crs="EPSG:28992",
    )


def make_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    accounting = pd.DataFrame(
        {"category": ["input", "joined", "outside", "rejected"], "rows": [11, 8, 1, 2]}
    )
    rejects = pd.DataFrame(
        {
            "source_row": [4, 9],
            "business_id": pd.array(["000000000099", None], dtype="string"),
            "reason": ["x/y missing", "SBI code 'abc' is not a number"],
        }
    )
    return accounting, rejects


def make_raster(path: Path, *, crs: str = "EPSG:28992") -> Path:
    values = np.arange(12 * 20, dtype="float32").reshape(12, 20) / 4.0  # max 59.75
    values[0, 0] = -9999.0  # nodata stays out of the ramp
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=20,
        height=12,
        count=1,
        dtype="float32",
        crs=crs,
        transform=from_origin(X0, Y0 + 1200, 100, 100),
        nodata=-9999.0,
    ) as dst:
        dst.write(values, 1)
    return path


def make_frames() -> dict[str, object]:
    buurten = make_buurten()
    accounting, rejects = make_tables()
    return {
        "buurten": buurten,
        "wijken": make_wijken(buurten),
        "hexagons": make_hexagons(),
        "candidates_scored": make_candidates(),
        "search_zones": make_search_zones(),
        "accounting": accounting,
        "rejects": rejects,
        "businesses": make_businesses(),
    }


@pytest.fixture(scope="module")
def settings():
    # The shipped defaults name the indicator "small_scale_jobs_per_km2"; like the map,
    # the export must resolve that to the column INDICATOR.
    return load_settings()


@pytest.fixture(scope="module")
def package(tmp_path_factory, settings):
    out = tmp_path_factory.mktemp("out")
    frames = make_frames()
    raster = make_raster(out / "kde_all_count.tif")
    result = export.export_qgis_package(out, settings=settings, rasters=[raster], **frames)
    return {"out": out, "frames": frames, "result": result, "raster": raster}


def _styles(gpkg: Path) -> dict[str, tuple]:
    with sqlite3.connect(gpkg) as con:
        rows = con.execute(
            "SELECT f_table_name, f_table_schema, f_geometry_column, useAsDefault, styleQML "
            "FROM layer_styles"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def _frame_of(package: dict, layer: str) -> pd.DataFrame:
    key = {v: k for k, v in N.items()}[layer]
    key = {"candidates": "candidates_scored"}.get(key, key)
    return package["frames"][key]


# ------------------------------------------------------------------------------------------
# GeoPackage
# ------------------------------------------------------------------------------------------


def test_layers_crs_and_counts(package):
    gpkg = package["result"].gpkg
    assert gpkg == package["out"] / "almere_gis.gpkg"
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


def test_layer_styles_table(package):
    gpkg = package["result"].gpkg
    styles = _styles(gpkg)
    assert set(styles) == set(SPATIAL)
    with sqlite3.connect(gpkg) as con:
        geometry_columns = dict(
            con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
        )
        registered = con.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
        columns = [row[1] for row in con.execute("PRAGMA table_info(layer_styles)")]
    assert registered == ("attributes",)
    assert columns[:4] == ["id", "f_table_catalog", "f_table_schema", "f_table_name"]
    assert {"styleQML", "styleSLD", "useAsDefault", "update_time"} <= set(columns)
    expected_type = {N["businesses"]: 0, N["candidates"]: 0}
    for layer, (schema, geometry_column, default, qml) in styles.items():
        assert schema == "", layer  # an empty string, not NULL: QGIS matches on ''
        assert geometry_column == geometry_columns[layer]
        assert default == 1
        root = ET.fromstring(qml)
        assert root.findtext("layerGeometryType") == str(expected_type.get(layer, 2)), layer
        renderer = root.find("renderer-v2")
        assert renderer is not None
        want = "graduatedSymbol" if layer == N["buurten"] else "categorizedSymbol"
        assert renderer.get("type") == want, layer


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


def test_choropleth_uses_the_map_classes_and_colours(package, settings):
    qml = _styles(package["result"].gpkg)[N["buurten"]][3]
    renderer = ET.fromstring(qml).find("renderer-v2")
    assert renderer.get("attr") == INDICATOR
    buurten = package["frames"]["buurten"]
    values = buurten[INDICATOR].to_numpy(dtype=float)
    # The map classes only buurten with at least min_count small-scale establishments
    # that are not suppressed: here buurten 0, 2, 3 and 4.
    shown = (buurten["n_small_scale"] >= 5) & ~buurten["suppressed"] & np.isfinite(values)
    assert shown.tolist() == [True, False, True, True, True, False]
    breaks = class_breaks(values[shown], scheme=settings.map.scheme, k=settings.map.classes)
    ranges = renderer.findall("ranges/range")
    uppers = [float(r.get("upper")) for r in ranges]
    assert uppers[:-1] == breaks[:-1]
    # Values beyond the last class (buurt 1, suppressed on the map) take the top colour.
    assert breaks[-1] == values[shown].max() < values[1] == uppers[-1]
    assert float(ranges[0].get("lower")) == 0.0
    assert ranges[0].get("label").startswith(f"{values[shown].min():.1f} - ")
    colours = _colours(renderer)
    assert [colours[r.get("symbol")] for r in ranges] == choropleth_colours(len(breaks))


def test_hexagons_and_sites_use_the_map_colours(package, settings):
    styles = _styles(package["result"].gpkg)
    renderer = ET.fromstring(styles[N["hexagons"]][3]).find("renderer-v2")
    assert renderer.get("attr") == "gi_class"
    categories = renderer.findall("categories/category")
    assert [c.get("value") for c in categories] == HOTSPOT_CLASSES
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
    renderer = ET.fromstring(_styles(package["result"].gpkg)[N["wijken"]][3]).find("renderer-v2")
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
        export.export_qgis_package(tmp_path, settings=wrong, **frames)
    frames["hexagons"] = frames["hexagons"].drop(columns="gi_class")
    with pytest.raises(InputError, match="gi_class"):
        export.export_qgis_package(tmp_path, settings=settings, **frames)
    assert _folder(tmp_path) == []


def test_descriptions(package):
    gpkg = package["result"].gpkg
    with sqlite3.connect(gpkg) as con:
        descriptions = dict(con.execute("SELECT table_name, description FROM gpkg_contents"))
    assert descriptions[N["businesses"]].startswith("VERTROUWELIJK")
    for layer in (*SPATIAL, *TABLES):
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


def test_describe_fields_marks_unknown_fields():
    table = export.describe_fields(
        {"x": pd.DataFrame(columns=["jobs_zzp_per_1000_inhabitants", "mystery"])}
    )
    assert table["field"].tolist() == ["jobs_zzp_per_1000_inhabitants", "mystery"]
    assert table["unit"].tolist() == ["per 1.000 inwoners", ""]
    assert table["description"].tolist()[1] == "(geen beschrijving)"


def test_points_left_out_when_switched_off(tmp_path, settings):
    frames = make_frames()
    off = settings.replace("export", include_points=False, gpkg="intern.gpkg", qgs="intern.qgs")
    result = export.export_qgis_package(tmp_path, settings=off, **frames)
    assert result.gpkg.name == "intern.gpkg" and result.qgs.name == "intern.qgs"
    names = {name for name, _ in pyogrio.list_layers(result.gpkg)}
    assert N["businesses"] not in names
    assert N["buurten"] in names
    fields = pyogrio.read_dataframe(result.gpkg, layer=export.FIELD_TABLE)
    assert N["businesses"] not in set(fields["layer"])
    assert N["businesses"] not in result.qgs.read_text(encoding="utf-8")


def test_mixed_candidates_become_points(tmp_path, settings):
    frames = make_frames()
    candidates = frames["candidates_scored"].copy()
    candidates.loc[0, "geometry"] = box(X0, Y0, X0 + 40, Y0 + 40)
    frames["candidates_scored"] = candidates
    result = export.export_qgis_package(tmp_path, settings=settings, **frames)
    assert dict(pyogrio.list_layers(result.gpkg))[N["candidates"]] == "Point"
    back = pyogrio.read_dataframe(result.gpkg, layer=N["candidates"])
    assert back.geometry.iloc[0].within(box(X0, Y0, X0 + 40, Y0 + 40))
    assert candidates.geometry.iloc[0].geom_type == "Polygon"  # input unchanged


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

    monkeypatch.setattr(export.pyogrio, "write_dataframe", flaky)
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
# QML builders
# ------------------------------------------------------------------------------------------


def test_qml_graduated_ranges():
    qml = export.qml_graduated(
        "v", [1.5, 10.0, 100.0], ["#ffeda0", "#feb24c", "#f03b20"], "MultiPolygon", minimum=0.5
    )
    root = ET.fromstring(qml)
    ranges = root.findall("renderer-v2/ranges/range")
    assert [(float(r.get("lower")), float(r.get("upper"))) for r in ranges] == [
        (0.5, 1.5),
        (1.5, 10.0),
        (10.0, 100.0),
    ]
    assert [r.get("label") for r in ranges] == ["0.5 - 1.5", "1.5 - 10", "10 - 100"]
    assert root.findtext("layerGeometryType") == "2"
    with pytest.raises(ValueError, match="one colour per class"):
        export.qml_graduated("v", [1.0, 2.0], ["#000000"], 2)
    with pytest.raises(ValueError, match="not ascending"):
        export.qml_graduated("v", [2.0, 1.0], ["#000000", "#ffffff"], 2)


def test_qml_categorized_and_ranked():
    point = ET.fromstring(export.qml_categorized("c", [(1, "#ff0000", "een")], 0))
    assert point.find("renderer-v2/symbols/symbol").get("type") == "marker"
    assert point.find("renderer-v2/categories/category").get("value") == "1"
    with pytest.raises(ValueError, match="duplicate"):
        export.qml_categorized("c", [("a", "#ff0000", "a"), ("a", "#00ff00", "b")], 0)
    with pytest.raises(ValueError, match="#rrggbb"):
        export.qml_categorized("c", [("a", "red", "a")], 0)
    ranked = ET.fromstring(export.qml_ranked_points(2, top_k=3, excluded_field=None))
    attr = ranked.find("renderer-v2").get("attr")
    assert '"rank" <= 3' in attr and "excluded" not in attr
    assert [c.get("value") for c in ranked.findall("renderer-v2/categories/category")] == [
        "top",
        "other",
    ]


def test_qml_raster_pseudocolor_stops():
    root = ET.fromstring(export.qml_raster_pseudocolor(DENSITY_RAMP, 10.0, 60.0, units="per km²"))
    renderer = root.find("pipe/rasterrenderer")
    assert renderer.get("type") == "singlebandpseudocolor"
    shader = renderer.find("rastershader/colorrampshader")
    assert shader.get("colorRampType") == "INTERPOLATED"
    items = shader.findall("item")
    assert [float(i.get("value")) for i in items] == pytest.approx(
        [10.0 + f * 50.0 for f, _ in DENSITY_RAMP]
    )
    assert [i.get("color") for i in items] == [c for _, c in DENSITY_RAMP]
    assert items[-1].get("label") == "60 per km²"
    with pytest.raises(ValueError, match="vmin <= vmax"):
        export.qml_raster_pseudocolor(DENSITY_RAMP, 5.0, 1.0)


def test_raster_sidecar_style(package, tmp_path):
    (style,) = package["result"].raster_styles
    assert style == package["raster"].with_suffix(".qml")
    items = ET.fromstring(style.read_text(encoding="utf-8")).findall(".//item")
    assert float(items[0].get("value")) == 0.0
    assert float(items[-1].get("value")) == 59.75  # the largest valid value, not nodata
    other = make_raster(tmp_path / "wgs.tif", crs="EPSG:4326")
    with pytest.raises(InputError, match="EPSG:4326"):
        export.write_raster_style(other)
    assert not other.with_suffix(".qml").exists()


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
    tree = [node.get("name") for node in root.findall("layer-tree-group/layer-tree-layer")]
    assert tree == [*SPATIAL, "kde_all_count"]  # points on top, raster at the bottom
    checked = {
        node.get("name"): node.get("checked") == "Qt::Checked"
        for node in root.findall("layer-tree-group/layer-tree-layer")
    }
    assert checked[N["buurten"]] and checked[N["candidates"]]
    assert not checked[N["businesses"]]  # confidential points load hidden
    tables = root.findall("layer-tree-group/layer-tree-group/layer-tree-layer")
    assert [node.get("name") for node in tables] == [
        N["accounting"],
        N["rejects"],
        export.FIELD_TABLE,
    ]
    styles = _styles(package["result"].gpkg)
    for layer in root.findall("projectlayers/maplayer"):
        name = layer.findtext("layername")
        source = layer.findtext("datasource")
        assert source.startswith("./"), source
        if name in styles:
            assert source == f"./almere_gis.gpkg|layername={name}"
            embedded = layer.find("renderer-v2")
            stored = ET.fromstring(styles[name][3]).find("renderer-v2")
            assert _canonical(embedded) == _canonical(stored)
            assert layer.findtext("srs/spatialrefsys/authid") == "EPSG:28992"
        elif name == "kde_all_count":
            assert source == "./kde_all_count.tif"
            assert layer.find("pipe/rasterrenderer").get("type") == "singlebandpseudocolor"
        else:
            assert name in TABLES
    ids = [node.get("id") for node in root.iter("layer-tree-layer")]
    assert sorted(ids) == sorted(layer.findtext("id") for layer in root.iter("maplayer"))


def test_project_rejects_unknown_layer_order(package, tmp_path):
    with pytest.raises(InputError, match="does not hold"):
        export.write_qgis_project(
            tmp_path / "p.qgs", gpkg_path=package["result"].gpkg, layer_order=["nope"]
        )
    assert not (tmp_path / "p.qgs").exists()


# ------------------------------------------------------------------------------------------
# GDAL and QGIS themselves
# ------------------------------------------------------------------------------------------


@pytest.mark.qgis
def test_gdal_reads_without_warnings(package, gdal_tools):
    for command in (
        ["ogrinfo", "-al", "-so", str(package["result"].gpkg)],
        ["gdalinfo", str(package["raster"])],
    ):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        assert "Warning" not in output and "ERROR" not in output, output
    assert (
        "VERTROUWELIJK"
        in subprocess.run(
            ["ogrinfo", "-so", str(package["result"].gpkg), N["businesses"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


def _expected(package: dict) -> dict:
    styles = _styles(package["result"].gpkg)
    layers = {}
    for layer in (*SPATIAL, N["accounting"], N["rejects"]):
        renderer = (
            ET.fromstring(styles[layer][3]).find("renderer-v2").get("type")
            if layer in styles
            else None
        )
        layers[layer] = {"features": len(_frame_of(package, layer)), "renderer": renderer}
    n_fields = pyogrio.read_info(package["result"].gpkg, layer=export.FIELD_TABLE)["features"]
    layers[export.FIELD_TABLE] = {"features": n_fields, "renderer": None}
    return {
        "layers": layers,
        "rasters": {"kde_all_count": {"renderer": "singlebandpseudocolor"}},
        "order": [*SPATIAL, "kde_all_count"],
    }


def _run_check(
    python: Path, project: Path, expected: dict, home: Path
) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
    }
    return subprocess.run(
        [str(python), str(CHECK_SCRIPT), str(project), json.dumps(expected)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.qgis
def test_qgis_opens_the_package_styled(package, qgis_python, tmp_path):
    # Move the package elsewhere first: the project must find its files by relative paths.
    moved = tmp_path / "elders"
    shutil.copytree(package["out"], moved)
    home = tmp_path / "home"
    home.mkdir()
    expected = _expected(package)
    assert expected["layers"][N["buurten"]]["renderer"] == "graduatedSymbol"
    done = _run_check(qgis_python, moved / "almere_gis.qgs", expected, home)
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
    with sqlite3.connect(broken / "almere_gis.gpkg") as con:
        con.execute("UPDATE layer_styles SET f_table_schema = NULL WHERE f_table_name = 'buurten'")
    (broken / "kde_all_count.qml").unlink()
    expected = _expected(package)
    expected["layers"][N["rejects"]]["features"] += 1
    done = _run_check(qgis_python, broken / "almere_gis.qgs", expected, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    report = done.stdout
    assert "fresh from GeoPackage: layer 'buurten' renderer is 'singleSymbol'" in report
    assert "raster 'kde_all_count' renderer is 'singlebandgray'" in report
    assert f"layer '{N['rejects']}' has 2 features, expected 3" in report
    assert "project: layer 'buurten'" not in report  # the project embeds its own copy
