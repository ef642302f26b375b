"""Loading candidate sites: bad rows rejected with their reason, reprojection, CSV, file errors."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from almere_gis._errors import InputError
from almere_gis.io.candidates import load_candidates

RD = "EPSG:28992"
X0, Y0 = 140_000.0, 485_000.0


def _demo_file(tmp_path, rows: list[dict], *, crs: str | None = RD, name="kandidaten.gpkg"):
    frame = gpd.GeoDataFrame(
        {
            "site_id": [r.get("site_id") for r in rows],
            "naam": [r.get("naam", "x") for r in rows],
            "type": "kantoor_leeg",
            "vloer_m2": [r.get("vloer_m2", 800.0) for r in rows],
            "leeg_sinds": [r.get("leeg_sinds", 2019) for r in rows],
            "leegstand": [r.get("leegstand", 0.5) for r in rows],
            "eigendom": "gemeente",
        },
        geometry=[r["geometry"] for r in rows],
        crs=crs,
    )
    path = tmp_path / name
    frame.to_file(path)
    return path


def test_load_candidates_rejects_bad_rows(tmp_path):
    pt = shapely.Point(X0, Y0)
    path = _demo_file(
        tmp_path,
        [
            {"site_id": "K1", "geometry": pt},
            {"site_id": "K2", "geometry": shapely.box(X0, Y0, X0 + 50, Y0 + 40), "leeg_sinds": 0},
            {"site_id": "K3", "geometry": None},
            {"site_id": "K1", "geometry": pt},
            {"site_id": "K5", "geometry": pt, "vloer_m2": -10.0},
            {"site_id": "K6", "geometry": shapely.Point(5.2, 52.4)},  # lon/lat in an RD file
            {"site_id": "K7", "geometry": pt, "leegstand": 1.5},
            {"site_id": None, "geometry": pt},
        ],
    )
    candidates, rejects = load_candidates(path)
    assert candidates["site_id"].tolist() == ["K1", "K2"]
    assert candidates["source_row"].tolist() == [1, 2]
    assert candidates.crs.equals(RD)
    assert candidates["floor_area_m2"].tolist() == [800.0, 800.0]
    assert candidates["vacant_since"].tolist()[0] == 2019 and pd.isna(
        candidates["vacant_since"].iloc[1]
    )
    assert candidates["site_type"].tolist() == ["kantoor_leeg"] * 2
    assert candidates.geometry.geom_type.tolist() == ["Point", "Polygon"]
    reasons = dict(zip(rejects["source_row"], rejects["reason"], strict=True))
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert reasons[3] == "geen geometrie"
    assert reasons[4] == "site_id K1 komt al voor in rij 1"
    assert reasons[5].startswith("negatief vloeroppervlak")
    assert "buiten het RD-gebied" in reasons[6]
    assert "tussen 0 en 1" in reasons[7]
    assert reasons[8] == "site_id ontbreekt"
    assert len(candidates) + len(rejects) == 8


def test_load_candidates_reprojects_and_reads_csv(tmp_path):
    wgs = _demo_file(
        tmp_path, [{"site_id": 7, "geometry": shapely.Point(5.2, 52.37)}], crs="EPSG:4326"
    )
    candidates, rejects = load_candidates(wgs)
    assert rejects.empty and candidates["site_id"].tolist() == ["7"]
    x, y = candidates.geometry.x.iloc[0], candidates.geometry.y.iloc[0]
    assert 140_000 < x < 150_000 and 480_000 < y < 490_000
    csv = tmp_path / "kandidaten.csv"
    csv.write_text("site_id;naam;vloer_m2;x;y\nA;Loods;1250,5;140000;485000\n", encoding="utf-8")
    candidates, _ = load_candidates(csv)
    assert candidates["floor_area_m2"].tolist() == [1250.5]
    assert candidates.geometry.x.tolist() == [140_000.0]


def test_load_candidates_file_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_candidates(tmp_path / "nope.gpkg")
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(X0, Y0)], crs=RD)
    frame.to_file(tmp_path / "no_id.gpkg")
    with pytest.raises(InputError, match="required column 'site_id' is missing.*Fix: add"):
        load_candidates(tmp_path / "no_id.gpkg")
    # a Shapefile without .prj has no CRS (writing it makes pyogrio warn, as it should)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
        shp = _demo_file(
            tmp_path,
            [{"site_id": "A", "geometry": shapely.Point(X0, Y0)}],
            crs=None,
            name="no_crs.shp",
        )
    with pytest.raises(InputError, match="no coordinate reference system"):
        load_candidates(shp)
    candidates, _ = load_candidates(shp, crs=RD)
    assert candidates.crs.equals(RD)
    empty = tmp_path / "leeg.csv"
    empty.write_text("site_id;x;y\n", encoding="utf-8")
    with pytest.raises(InputError, match="no rows|empty"):
        load_candidates(empty)
