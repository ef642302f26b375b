"""Loading CBS buurten and wijken: old and new schema, repairs, CRS handling."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from almere_gis._errors import InputError
from almere_gis._schema import AREA_COLUMNS, CRS_RD
from almere_gis.io.areas import WIJK_COLUMNS, load_buurten, load_wijken, wijken_from_buurten
from almere_gis.io.validate import AREA_SCHEMAS

# --------------------------------------------------------------------------------------------
# The real CBS file (old schema, WGS 84, one invalid polygon, sentinels)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(shared_cbs_path):
    return load_buurten(shared_cbs_path)


@pytest.fixture(scope="module")
def real_raw(shared_cbs_path):
    return gpd.read_file(shared_cbs_path)


@pytest.mark.shared_data
def test_real_file_schema_and_crs(real, real_raw):
    assert len(real) == 63
    assert list(real.columns) == [*AREA_COLUMNS, "geometry"]
    assert real.crs.equals(gpd.GeoSeries([], crs=CRS_RD).crs)
    assert list(real.index) == list(range(63))
    assert real["buurt_code"].is_unique
    assert (real["buurt_code"] == real_raw["BU_CODE"]).all()
    assert set(real["wijk_code"]) == {f"WK00340{i}" for i in range(1, 7)}
    assert (real["gemeente_name"] == "Almere").all()
    # the file has no WK_NAAM and no A_BEDV: left empty, not invented
    assert real["wijk_name"].isna().all()
    assert real["cbs_establishments"].isna().all()
    assert real.attrs["schema"] == "old"
    # RD New coordinates of Almere
    minx, miny, maxx, maxy = real.total_bounds
    assert 130_000 < minx < maxx < 170_000
    assert 470_000 < miny < maxy < 500_000


@pytest.mark.shared_data
def test_real_file_repairs_and_reports_the_invalid_polygon(shared_cbs_path, real_raw, caplog):
    assert (~real_raw.is_valid).sum() == 1  # the defect is in the file
    with caplog.at_level(logging.WARNING, logger="almere_gis"):
        buurten = load_buurten(shared_cbs_path)
    assert buurten.attrs["repaired"] == ["BU00340599"]
    assert "BU00340599" in caplog.text and "repaired" in caplog.text
    assert buurten.is_valid.all()
    assert set(buurten.geom_type) <= {"Polygon", "MultiPolygon"}
    raw_area = real_raw.to_crs(CRS_RD).area.to_numpy()
    # repairing a self-intersection must not lose a meaningful part of the buurt
    i = int(np.flatnonzero(buurten["buurt_code"] == "BU00340599")[0])
    assert buurten.area.iloc[i] == pytest.approx(raw_area[i], rel=0.01)


@pytest.mark.shared_data
def test_real_file_sentinels_become_nan(real, real_raw):
    numeric = {
        "inhabitants": "AANT_INW",
        "households": "AANTAL_HH",
        "homes": "WONINGEN",
        "area_total_ha": "OPP_TOT",
        "area_land_ha": "OPP_LAND",
        "area_water_ha": "OPP_WATER",
        "dist_train_km": "AF_TREINST",
        "share_social_minimum": "P_SOCMINH",
    }
    n_sentinels = 0
    for ours, theirs in numeric.items():
        raw = real_raw[theirs].astype(float)
        sentinel = raw <= -99995
        n_sentinels += int(sentinel.sum())
        assert real.loc[sentinel.to_numpy(), ours].isna().all(), ours
        pd.testing.assert_series_equal(
            real.loc[~sentinel.to_numpy(), ours].reset_index(drop=True),
            raw[~sentinel].reset_index(drop=True),
            check_names=False,
        )
        assert (real[ours].dropna() >= 0).all(), ours
    assert n_sentinels > 50  # the file really has sentinels (e.g. OPP_WATER, P_SOCMINH)
    # De Meenten: OPP_WATER -99999998 in the file
    assert np.isnan(real.set_index("buurt_code").loc["BU00340104", "area_water_ha"])
    # buurten with 0 inhabitants keep 0 (a real value), not NaN
    assert (real["inhabitants"] == 0).sum() >= 5


@pytest.mark.shared_data
def test_real_file_geometry_areas_against_cbs_hectares(real):
    """The polygons cover land and water: their area matches OPP_TOT, not OPP_LAND.

    Measured on this file: 57 of 63 buurten within 5 % of OPP_TOT (whole hectares, so small
    buurten deviate more), but only 37 within 5 % of OPP_LAND; buurten with much water
    (Noorderplassen, 272 of 546 ha) double the land figure.
    """
    geom_ha = real.area.to_numpy() / 1e4
    total = real["area_total_ha"].to_numpy()
    land = real["area_land_ha"].to_numpy()
    rel_total = np.abs(geom_ha / total - 1)
    rel_land = np.abs(geom_ha / land - 1)
    assert np.median(rel_total) < 0.02
    assert (rel_total < 0.05).mean() >= 0.85
    assert (rel_total < 0.15).all()
    # the whole city: within 0.2 % of the sum of OPP_TOT
    assert geom_ha.sum() == pytest.approx(total.sum(), rel=0.002)
    # land alone does not match where there is water; where water is ~0 it does
    assert (rel_land < 0.05).mean() < 0.7
    dry = (real["area_water_ha"].fillna(0) == 0).to_numpy()
    assert np.median(rel_land[dry]) < 0.05


@pytest.mark.shared_data
def test_real_file_wijken(real, shared_cbs_path):
    wijken = wijken_from_buurten(real)
    assert list(wijken["wijk_code"]) == [f"WK00340{i}" for i in range(1, 7)]
    assert list(wijken.columns) == [*WIJK_COLUMNS, "geometry"]
    # exact sums of the buurt counts (no sentinels in inhabitants)
    assert wijken["inhabitants"].sum() == real["inhabitants"].sum()
    by = real.groupby("wijk_code")["inhabitants"].sum()
    assert (wijken.set_index("wijk_code")["inhabitants"] == by).all()
    # wijk polygons cover their buurten
    assert wijken.area.sum() == pytest.approx(real.area.sum(), rel=1e-6)
    # water area of Almere-Haven has a buurt with a sentinel: no partial sum
    assert np.isnan(wijken.set_index("wijk_code").loc["WK003401", "area_water_ha"])
    assert wijken.attrs["repaired"] == ["BU00340599"]
    # load_wijken on a buurten file dissolves it the same way
    again = load_wijken(shared_cbs_path)
    pd.testing.assert_frame_equal(
        pd.DataFrame(again.drop(columns="geometry")),
        pd.DataFrame(wijken.drop(columns="geometry")),
    )


# --------------------------------------------------------------------------------------------
# A new-schema file built here (hand-made polygons, known answers)
# --------------------------------------------------------------------------------------------

X0, Y0 = 140_000.0, 480_000.0  # somewhere near Almere, RD New


def _square(i: int, j: int) -> Polygon:
    return box(X0 + 1000 * i, Y0 + 1000 * j, X0 + 1000 * (i + 1), Y0 + 1000 * (j + 1))


def _new_schema_buurten() -> gpd.GeoDataFrame:
    bowtie = Polygon(
        [(X0 + 1000, Y0 + 1000), (X0 + 2000, Y0 + 2000), (X0 + 2000, Y0 + 1000),
         (X0 + 1000, Y0 + 2000)]
    )  # fmt: skip
    return gpd.GeoDataFrame(
        {
            "buurtcode": ["BU99990101", "BU99990102", "BU99990201", "BU99990202"],
            "buurtnaam": ["Noord", "Zuid", "Oost", "Vlinder"],
            "wijkcode": ["WK999901", "WK999901", "WK999902", "WK999902"],
            "wijknaam": ["Wijk Een", "Wijk Een", "Wijk Twee", "Wijk Twee"],
            "gemeentecode": ["GM9999"] * 4,
            "gemeentenaam": ["Proefstad"] * 4,
            "water": ["NEE"] * 4,
            "aantal_inwoners": [1000, 0, -99997, 250],
            "aantal_huishoudens": [400, 0, -99997, 100],
            "woningvoorraad": [420, 0, 30, 110],
            "oppervlakte_totaal_in_ha": [100, 100, 100, 50],
            "oppervlakte_land_in_ha": [90, 100, 100, 50],
            "oppervlakte_water_in_ha": [10, 0, -99998, 0],
            "treinstation_gemiddelde_afstand_in_km": [1.5, -99997.0, 3.0, 2.5],
            "aantal_bedrijfsvestigingen": [55, 10, 5, -99997],
            "percentage_huishoudens_onder_of_rond_sociaal_minimum": [10, -99997, -99997, 20],
            "bevolkingsdichtheid_inwoners_per_km2": [1111, 0, -99997, 500],
        },
        geometry=[_square(0, 1), _square(0, 0), _square(1, 0), bowtie],
        crs=CRS_RD,
    )


@pytest.fixture(params=["gpkg", "geojson"])
def new_schema_path(request, tmp_path):
    gdf = _new_schema_buurten()
    if request.param == "gpkg":
        path = tmp_path / "wijkenbuurten.gpkg"
        gdf.to_file(path, layer="buurten")
    else:
        path = tmp_path / "buurten.geojson"
        gdf.to_crs("EPSG:4326").to_file(path)
    return path


def test_new_schema_mapped(new_schema_path):
    b = load_buurten(new_schema_path)
    assert b.attrs["schema"] == "new"
    assert list(b.columns) == [*AREA_COLUMNS, "geometry"]
    assert b.crs.equals(gpd.GeoSeries([], crs=CRS_RD).crs)
    assert list(b["buurt_code"]) == ["BU99990101", "BU99990102", "BU99990201", "BU99990202"]
    assert list(b["wijk_name"]) == ["Wijk Een", "Wijk Een", "Wijk Twee", "Wijk Twee"]
    np.testing.assert_array_equal(b["inhabitants"], [1000, 0, np.nan, 250])
    np.testing.assert_array_equal(b["homes"], [420, 0, 30, 110])
    np.testing.assert_array_equal(b["area_water_ha"], [10, 0, np.nan, 0])
    np.testing.assert_array_equal(b["dist_train_km"], [1.5, np.nan, 3.0, 2.5])
    np.testing.assert_array_equal(b["cbs_establishments"], [55, 10, 5, np.nan])
    np.testing.assert_array_equal(b["share_social_minimum"], [10, np.nan, np.nan, 20])
    # the bowtie is repaired into its two triangles (half the square) and reported
    assert b.attrs["repaired"] == ["BU99990202"]
    assert b.is_valid.all()
    np.testing.assert_allclose(b.area / 1e4, [100, 100, 100, 50], rtol=1e-4)


def test_new_schema_wijken_from_buurten(new_schema_path):
    w = wijken_from_buurten(load_buurten(new_schema_path))
    assert list(w.columns) == [*WIJK_COLUMNS, "geometry"]
    w = w.set_index("wijk_code")
    assert list(w.index) == ["WK999901", "WK999902"]
    assert w.loc["WK999901", "wijk_name"] == "Wijk Een"
    assert w.loc["WK999901", "inhabitants"] == 1000
    assert np.isnan(w.loc["WK999902", "inhabitants"])  # one buurt secret: no partial sum
    assert w.loc["WK999902", "homes"] == 140
    assert w.loc["WK999901", "area_land_ha"] == 190
    # inhabitant-weighted distance over buurten with inhabitants and a known distance
    assert w.loc["WK999901", "dist_train_km"] == pytest.approx(1.5)
    assert w.loc["WK999902", "dist_train_km"] == pytest.approx(2.5)
    assert w.loc["WK999902", "share_social_minimum"] == pytest.approx(20)
    np.testing.assert_allclose(w.area / 1e4, [200, 150], rtol=1e-4)


def test_wijk_level_file(tmp_path):
    gdf = _new_schema_buurten()
    wijken = gpd.GeoDataFrame(
        {
            "wijkcode": ["WK999901", "WK999902"],
            "wijknaam": ["Wijk Een", "Wijk Twee"],
            "gemeentecode": ["GM9999", "GM9999"],
            "gemeentenaam": ["Proefstad"] * 2,
            "aantal_inwoners": [1000, -99997],
            "oppervlakte_land_in_ha": [190, 150],
        },
        geometry=[gdf.geometry[:2].union_all(), box(X0 + 1000, Y0, X0 + 2000, Y0 + 2000)],
        crs=CRS_RD,
    )
    path = tmp_path / "wijken.gpkg"
    wijken.to_file(path)
    w = load_wijken(path)
    assert list(w.columns) == [*WIJK_COLUMNS, "geometry"]
    assert list(w["wijk_name"]) == ["Wijk Een", "Wijk Twee"]
    np.testing.assert_array_equal(w["inhabitants"], [1000, np.nan])
    assert w["homes"].isna().all()
    # the same file is not a buurten file
    with pytest.raises(InputError, match="wijk-level layer"):
        load_buurten(path)


def test_repair_keeps_only_polygonal_parts(tmp_path):
    # a ring with a spike: make_valid gives a polygon plus a dangling line
    spike = Polygon(
        [(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0 + 200, Y0 + 100),
         (X0 + 100, Y0 + 100), (X0, Y0 + 100)]
    )  # fmt: skip
    assert not spike.is_valid
    assert shapely.make_valid(spike).geom_type == "GeometryCollection"
    gdf = gpd.GeoDataFrame({"BU_CODE": ["BU99990101"]}, geometry=[spike], crs=CRS_RD)
    path = tmp_path / "spike.gpkg"
    gdf.to_file(path)
    b = load_buurten(path)
    assert b.attrs["repaired"] == ["BU99990101"]
    assert b.geom_type.iloc[0] == "Polygon"
    assert b.area.iloc[0] == pytest.approx(100 * 100)


def test_reprojection_is_logged(tmp_path, caplog):
    path = tmp_path / "b.gpkg"
    _new_schema_buurten().to_crs("EPSG:3857").to_file(path)
    with caplog.at_level(logging.INFO, logger="almere_gis"):
        b = load_buurten(path)
    assert "reprojected from EPSG:3857 to EPSG:28992" in caplog.text
    np.testing.assert_allclose(b.geometry.bounds["minx"].min(), X0, atol=0.01)


def _old_schema_buurten() -> gpd.GeoDataFrame:
    """The same buurten with the old upper-case names (fit a Shapefile's 10 characters)."""
    new, old = AREA_SCHEMAS["new"], AREA_SCHEMAS["old"]
    rename = {new[k][0]: old[k][0] for k in new}
    gdf = _new_schema_buurten().rename(columns=rename)
    return gdf[[c for c in gdf.columns if len(c) <= 10]]


def test_old_schema_shapefile_matches_new_schema_gpkg(tmp_path):
    _old_schema_buurten().to_file(tmp_path / "old.shp")
    _new_schema_buurten().to_file(tmp_path / "new.gpkg")
    old = load_buurten(tmp_path / "old.shp")
    new = load_buurten(tmp_path / "new.gpkg")
    assert old.attrs["schema"] == "old" and new.attrs["schema"] == "new"
    pd.testing.assert_frame_equal(
        pd.DataFrame(old.drop(columns="geometry")), pd.DataFrame(new.drop(columns="geometry"))
    )
    assert old.geom_equals(new.geometry).all()  # a Shapefile may reorder the rings


_NO_CRS = pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")


@_NO_CRS
def test_no_crs_is_an_error_unless_given(tmp_path):
    gdf = _old_schema_buurten().set_crs(None, allow_override=True)
    path = tmp_path / "nocrs.shp"
    gdf.to_file(path)
    assert gpd.read_file(path).crs is None
    with pytest.raises(InputError) as info:
        load_buurten(path)
    message = str(info.value)
    assert "nocrs.shp" in message and "no CRS" in message and "crs='EPSG:28992'" in message
    b = load_buurten(path, crs="EPSG:28992")
    assert b.crs.equals(gpd.GeoSeries([], crs=CRS_RD).crs)
    np.testing.assert_allclose(b.total_bounds, [X0, Y0, X0 + 2000, Y0 + 2000])


@_NO_CRS
def test_crs_given_for_a_file_without_one_can_be_geographic(tmp_path):
    gdf = _old_schema_buurten().to_crs("EPSG:4326").set_crs(None, allow_override=True)
    path = tmp_path / "nocrs_wgs84.shp"
    gdf.to_file(path)
    b = load_buurten(path, crs="EPSG:4326")
    np.testing.assert_allclose(b.total_bounds, [X0, Y0, X0 + 2000, Y0 + 2000], atol=0.01)


def test_file_crs_wins_over_given_crs(tmp_path, caplog):
    path = tmp_path / "rd.gpkg"
    _new_schema_buurten().to_file(path)
    with caplog.at_level(logging.WARNING, logger="almere_gis"):
        b = load_buurten(path, crs="EPSG:4326")
    assert "is ignored" in caplog.text
    np.testing.assert_allclose(b.total_bounds, [X0, Y0, X0 + 2000, Y0 + 2000])


def test_wijk_and_gemeente_codes_derived_from_buurt_codes(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"BU_CODE": ["BU00340101", "BU00340201"], "AANT_INW": [5, 10]},
        geometry=[_square(0, 0), _square(1, 0)],
        crs=CRS_RD,
    )
    path = tmp_path / "minimal.gpkg"
    gdf.to_file(path)
    b = load_buurten(path)
    assert list(b["wijk_code"]) == ["WK003401", "WK003402"]
    assert list(b["gemeente_code"]) == ["GM0034", "GM0034"]
    assert b["buurt_name"].isna().all()
