"""Loading business registers: every format, coordinate kind and column preset."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from almere_gis._schema import BUSINESS_COLUMNS, CRS_RD
from almere_gis.io.businesses import BUSINESS_PRESETS, load_businesses, validate_businesses
from almere_gis.io.read import read_table
from almere_gis.settings import ColumnSettings

TO_WGS84 = Transformer.from_crs(CRS_RD, "EPSG:4326", always_xy=True)

# Three establishments with answers that can be read off the table.
LISA = pd.DataFrame(
    {
        "vestigingsnummer": ["000012345678", "000012345679", "000099999999"],
        "handelsnaam": ["Bakkerij Één", "Studio Zon", "Kantoor BV"],
        "sbi": ["10.71", "6201", "69"],
        "wp_voltijd": ["2", "1", "10"],
        "wp_deeltijd": ["3", "", "5"],
        "aan_huis": ["", "", "ja"],
        "gebruiksdoel": ["winkelfunctie", "Woonfunctie;kantoorfunctie", "kantoorfunctie"],
        "startjaar": ["1999", "", "2020"],
        "sociale_onderneming": ["0", "", "1"],
        "x": ["145000.5", "146000", "147123.25"],
        "y": ["487000", "488000.75", "489000"],
    }
)
EXPECTED = {
    "business_id": ["000012345678", "000012345679", "000099999999"],
    "name": ["Bakkerij Één", "Studio Zon", "Kantoor BV"],
    "sbi": ["1071", "6201", "69"],
    "jobs_fulltime": [2, 1, 10],
    "jobs_parttime": [3, 0, 5],
    "jobs": [5, 1, 15],
    # row 2 from the gebruiksdoel, row 3 from the explicit flag
    "home_based": [False, True, True],
    "start_year": [1999, pd.NA, 2020],
    "social_enterprise": [False, pd.NA, True],
    "source_row": [1, 2, 3],
}
XY = np.array([[145000.5, 487000.0], [146000.0, 488000.75], [147123.25, 489000.0]])


def _check_expected(businesses: gpd.GeoDataFrame, *, xy_atol: float = 1e-6) -> None:
    assert list(businesses.columns) == [*BUSINESS_COLUMNS, "geometry"]
    assert businesses.crs.equals(gpd.GeoSeries([], crs=CRS_RD).crs)
    assert list(businesses.index) == [0, 1, 2]
    for col, values in EXPECTED.items():
        got = businesses[col].tolist()
        want = list(values)
        assert [None if pd.isna(v) else v for v in got] == [
            None if v is pd.NA else v for v in want
        ], col
    assert businesses["jobs"].dtype == np.int64
    assert businesses["home_based"].dtype == bool
    assert str(businesses["start_year"].dtype) == "Int64"
    assert str(businesses["social_enterprise"].dtype) == "boolean"
    got_xy = np.column_stack([businesses.geometry.x, businesses.geometry.y])
    np.testing.assert_allclose(got_xy, XY, atol=xy_atol)


def _to_dutch(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in ("x", "y"):
        out[col] = out[col].str.replace(".", ",", regex=False)
    return out


# --------------------------------------------------------------------------------------------
# CSV variants
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sep", "encoding", "dutch"),
    [
        (",", "utf-8", False),
        (";", "utf-8", True),  # Excel NL: semicolons and decimal commas
        (";", "utf-8-sig", True),  # with a byte-order mark
        (",", "utf-8-sig", False),
        (";", "cp1252", True),  # Windows code page
        ("\t", "utf-8", False),
    ],
)
def test_csv_variants(tmp_path, sep, encoding, dutch):
    frame = _to_dutch(LISA) if dutch else LISA
    path = tmp_path / "vestigingen.csv"
    frame.to_csv(path, sep=sep, index=False, encoding=encoding)
    if encoding == "cp1252":
        assert "Één".encode("cp1252") in path.read_bytes()  # really not UTF-8
    businesses, rejects = load_businesses(path)
    assert rejects.empty
    _check_expected(businesses)


def test_csv_decimal_comma_inside_quotes_with_comma_delimiter(tmp_path):
    path = tmp_path / "v.csv"
    _to_dutch(LISA).to_csv(path, index=False)  # pandas quotes "145000,5"
    assert '"145000,5"' in path.read_text(encoding="utf-8")
    businesses, rejects = load_businesses(path)
    assert rejects.empty
    _check_expected(businesses)


def test_csv_thousands_marks(tmp_path):
    frame = LISA.copy()
    frame["x"] = ["145.000,5", "146.000", "147.123,25"]  # Dutch: dots group thousands
    frame["y"] = ["487,000.0", "488,000.75", "489000"]  # English: commas group thousands
    path = tmp_path / "v.csv"
    frame.to_csv(path, sep=";", index=False)
    businesses, rejects = load_businesses(path)
    assert rejects.empty, rejects
    _check_expected(businesses)


# --------------------------------------------------------------------------------------------
# Vector and Parquet formats
# --------------------------------------------------------------------------------------------


def _as_points(frame: pd.DataFrame, *, crs: str = CRS_RD, keep_xy: bool = False):
    typed = frame.copy()
    typed["wp_voltijd"] = typed["wp_voltijd"].astype(int)
    typed["wp_deeltijd"] = pd.to_numeric(typed["wp_deeltijd"]).astype("Int64")
    typed["startjaar"] = pd.to_numeric(typed["startjaar"]).astype("Int64")
    gdf = gpd.GeoDataFrame(
        typed.drop(columns=[] if keep_xy else ["x", "y"]),
        geometry=gpd.points_from_xy(XY[:, 0], XY[:, 1]),
        crs=CRS_RD,
    )
    return gdf.to_crs(crs)


@pytest.mark.parametrize("crs", [CRS_RD, "EPSG:4326"])
def test_geopackage_geometry(tmp_path, crs):
    path = tmp_path / "vestigingen.gpkg"
    _as_points(LISA, crs=crs).to_file(path)
    businesses, rejects = load_businesses(path)
    assert rejects.empty
    _check_expected(businesses, xy_atol=1e-3)
    assert businesses.attrs["coordinate_source"] == "geometry"


@pytest.mark.filterwarnings("ignore:Column names longer than 10 characters:UserWarning")
@pytest.mark.filterwarnings("ignore:Normalized/laundered field name:RuntimeWarning")
def test_shapefile_with_truncated_field_names(tmp_path):
    path = tmp_path / "vestigingen.shp"
    _as_points(LISA).to_file(path, encoding="utf-8")
    assert "vestigings" in read_table(path).columns  # what a Shapefile makes of the names
    businesses, rejects = load_businesses(path)
    assert rejects.empty
    _check_expected(businesses)


def test_geoparquet(tmp_path):
    path = tmp_path / "vestigingen.parquet"
    _as_points(LISA).to_parquet(path)
    table = read_table(path)
    assert isinstance(table, gpd.GeoDataFrame)
    businesses, rejects = load_businesses(path)
    assert rejects.empty
    _check_expected(businesses)


def test_plain_parquet_with_xy_columns(tmp_path):
    path = tmp_path / "vestigingen.parquet"
    typed = LISA.copy()
    typed["x"] = XY[:, 0]
    typed["y"] = XY[:, 1]
    typed.to_parquet(path)
    assert not isinstance(read_table(path), gpd.GeoDataFrame)
    businesses, rejects = load_businesses(path)
    assert rejects.empty
    _check_expected(businesses)


def test_lat_lon_columns(tmp_path):
    lon, lat = TO_WGS84.transform(XY[:, 0], XY[:, 1])
    frame = LISA.drop(columns=["x", "y"]).assign(latitude=lat, longitude=lon)
    path = tmp_path / "v.csv"
    frame.to_csv(path, index=False, float_format="%.10f")
    businesses, rejects = load_businesses(path)
    assert rejects.empty
    assert businesses.attrs["coordinate_source"] == "latlon"
    _check_expected(businesses, xy_atol=0.01)


def test_xy_in_another_crs(tmp_path):
    lon, lat = TO_WGS84.transform(XY[:, 0], XY[:, 1])
    frame = LISA.assign(x=lon, y=lat)
    path = tmp_path / "v.csv"
    frame.to_csv(path, index=False, float_format="%.10f")
    businesses, rejects = load_businesses(path, crs="EPSG:4326")
    assert rejects.empty
    _check_expected(businesses, xy_atol=0.01)


@pytest.mark.parametrize("policy", ["fix", "reject"])
def test_swapped_lat_lon(tmp_path, policy, caplog):
    lon, lat = TO_WGS84.transform(XY[:, 0], XY[:, 1])
    lat, lon = lat.copy(), lon.copy()
    lat[1], lon[1] = lon[1], lat[1]  # row 2 given the wrong way round
    frame = LISA.drop(columns=["x", "y"]).assign(lat=lat, lon=lon)
    path = tmp_path / "v.csv"
    frame.to_csv(path, index=False, float_format="%.10f")
    with caplog.at_level(logging.WARNING, logger="almere_gis"):
        businesses, rejects = load_businesses(path, swapped_latlon=policy)
    if policy == "fix":
        assert rejects.empty
        _check_expected(businesses, xy_atol=0.01)
        assert "swapped in 1 row(s) (row 2)" in caplog.text
    else:
        assert list(rejects["source_row"]) == [2]
        assert "swapped" in rejects["reason"].iloc[0]
        assert list(businesses["source_row"]) == [1, 3]


# --------------------------------------------------------------------------------------------
# Presets and mappings
# --------------------------------------------------------------------------------------------

KVK = pd.DataFrame(
    {
        "vestigingsnummer": EXPECTED["business_id"],
        "kvkNummer": ["12345678", "23456789", "34567890"],
        "eersteHandelsnaam": EXPECTED["name"],
        "sbiCode": ["1071", "6201", "69"],
        "voltijdWerkzamePersonen": [2, 1, 10],
        "deeltijdWerkzamePersonen": [3, 0, 5],
        "totaalWerkzamePersonen": [5, 1, 15],
        "gebruiksdoel": ["winkelfunctie", "woonfunctie;kantoorfunctie", "woonfunctie"],
        "startjaar": [1999, None, 2020],
        "rijksdriehoekX": XY[:, 0],
        "rijksdriehoekY": XY[:, 1],
    }
)


def test_kvk_preset(tmp_path):
    path = tmp_path / "kvk.csv"
    KVK.to_csv(path, index=False)
    businesses, rejects = load_businesses(path, preset="kvk")
    assert rejects.empty
    assert businesses["business_id"].tolist() == EXPECTED["business_id"]
    assert businesses["jobs"].tolist() == [5, 1, 15]
    assert businesses["home_based"].tolist() == [False, True, True]
    assert businesses["social_enterprise"].isna().all()
    np.testing.assert_allclose(businesses.geometry.x, XY[:, 0])


def test_kvk_total_only(tmp_path):
    path = tmp_path / "kvk.csv"
    KVK.drop(columns=["voltijdWerkzamePersonen", "deeltijdWerkzamePersonen"]).to_csv(
        path, index=False
    )
    businesses, rejects = load_businesses(path, preset="kvk")
    assert rejects.empty
    assert businesses["jobs"].tolist() == [5, 1, 15]
    assert businesses["jobs_fulltime"].isna().all()


def test_kvk_lat_lon(tmp_path):
    lon, lat = TO_WGS84.transform(XY[:, 0], XY[:, 1])
    frame = KVK.drop(columns=["rijksdriehoekX", "rijksdriehoekY"]).assign(
        latitude=lat, longitude=lon
    )
    path = tmp_path / "kvk.csv"
    frame.to_csv(path, index=False, float_format="%.10f")
    businesses, _ = load_businesses(path, preset="kvk")
    np.testing.assert_allclose(
        np.column_stack([businesses.geometry.x, businesses.geometry.y]), XY, atol=0.01
    )


def test_presets_are_matched_case_insensitively(tmp_path):
    path = tmp_path / "upper.csv"
    LISA.rename(columns=str.upper).to_csv(path, index=False)
    businesses, rejects = load_businesses(path)
    assert rejects.empty
    _check_expected(businesses)


def test_custom_mapping(tmp_path):
    frame = LISA.rename(
        columns={
            "vestigingsnummer": "Vestiging",
            "handelsnaam": "Bedrijf",
            "sbi": "Activiteit",
            "wp_voltijd": "FT",
            "wp_deeltijd": "PT",
            "aan_huis": "Thuis",
            "gebruiksdoel": "BAG doel",
            "x": "X_RD_m",
            "y": "Y_RD_m",
        }
    )
    path = tmp_path / "eigen.csv"
    frame.to_csv(path, index=False)
    columns = ColumnSettings(
        id="Vestiging",
        name="Bedrijf",
        sbi="activiteit",  # case-insensitive too
        jobs_fulltime="FT",
        jobs_parttime="PT",
        home_based="Thuis",
        gebruiksdoel="BAG doel",
        x="X_RD_m",
        y="Y_RD_m",
    )
    businesses, rejects = load_businesses(path, preset="custom", columns=columns)
    assert rejects.empty
    # startjaar / sociale_onderneming are not mapped in a custom mapping: missing
    assert businesses["start_year"].isna().all()
    assert businesses["jobs"].tolist() == EXPECTED["jobs"]
    assert businesses["home_based"].tolist() == EXPECTED["home_based"]
    # a mapping entry overrides a preset's candidates, a dict works as well
    frame2 = LISA.rename(columns={"sbi": "hoofdactiviteit"})
    frame2.to_csv(path, index=False)
    businesses, _ = load_businesses(path, columns={"sbi": "hoofdactiviteit"})
    assert businesses["sbi"].tolist() == EXPECTED["sbi"]


def test_presets_cover_every_mappable_field():
    fields = {f for f in ColumnSettings.__dataclass_fields__}
    for name in ("lisa", "kvk"):
        assert set(BUSINESS_PRESETS[name]) == fields, name


@pytest.mark.parametrize(
    ("flag", "doel", "expected"),
    [
        ("1", "", True),
        ("0", "woonfunctie", False),  # the explicit flag wins where set
        ("ja", "", True),
        ("Nee", "", False),
        ("j", "", True),
        ("n", "woonfunctie", False),
        ("Y", "", True),
        ("true", "", True),
        ("FALSE", "", False),
        ("", "woonfunctie", True),
        ("", "kantoorfunctie; WOONFUNCTIE", True),
        ("", "woonfunctiesomething", False),  # whole values only
        ("", "", False),
    ],
)
def test_home_based(tmp_path, flag, doel, expected):
    frame = LISA.iloc[[0]].assign(aan_huis=flag, gebruiksdoel=doel)
    path = tmp_path / "v.csv"
    frame.to_csv(path, index=False)
    businesses, rejects = load_businesses(path)
    assert rejects.empty
    assert businesses["home_based"].tolist() == [expected]


def test_configured_home_gebruiksdoel(tmp_path):
    frame = LISA.assign(aan_huis="", gebruiksdoel=["wonen", "kantoor", "Wonen;winkel"])
    path = tmp_path / "v.csv"
    frame.to_csv(path, index=False)
    businesses, _ = load_businesses(path, home_gebruiksdoel="wonen")
    assert businesses["home_based"].tolist() == [True, False, True]


def test_zero_jobs_are_kept_and_logged(tmp_path, caplog):
    frame = LISA.assign(wp_voltijd=["0", "1", "0"], wp_deeltijd=["0", "", ""])
    path = tmp_path / "v.csv"
    frame.to_csv(path, index=False)
    with caplog.at_level(logging.WARNING, logger="almere_gis"):
        businesses, rejects = load_businesses(path)
    assert rejects.empty
    assert businesses["jobs"].tolist() == [0, 1, 0]
    assert "0 werkzame personen (rows 1 and 3)" in caplog.text


def test_validate_businesses_ok(tmp_path):
    path = tmp_path / "v.csv"
    LISA.to_csv(path, index=False)
    report = validate_businesses(path)
    assert report.ok and report.lines() == []


# --------------------------------------------------------------------------------------------
# Property: every input row ends up valid or rejected, never lost
# --------------------------------------------------------------------------------------------

_GOOD = {
    "vestigingsnummer": None,  # filled with a unique id unless the row duplicates one
    "sbi": "4711",
    "wp_voltijd": "1",
    "wp_deeltijd": "0",
    "x": "150000",
    "y": "480000",
}
_BAD = {
    "sbi": ["", "abc", "4411", "1", "123456"],
    "wp_voltijd": ["-1", "x", "1.5"],
    "wp_deeltijd": ["-2", "??"],
    "x": ["", "abc", "-50000", "999999"],
    "y": ["", "1e9", "y"],
}

_row = st.fixed_dictionaries(
    {
        "dup": st.booleans(),
        "missing_id": st.booleans(),
        **{col: st.one_of(st.none(), st.sampled_from(vals)) for col, vals in _BAD.items()},
    }
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(_row, min_size=1, max_size=25))
def test_accounting_property(tmp_path, rows):
    records = []
    for i, spec in enumerate(rows):
        rec = dict(_GOOD)
        rec["vestigingsnummer"] = (
            "" if spec["missing_id"] else ("D1" if spec["dup"] else f"V{i:06d}")
        )
        for col in _BAD:
            if spec[col] is not None:
                rec[col] = spec[col]
        records.append(rec)
    frame = pd.DataFrame(records)
    path = tmp_path / "prop.csv"
    frame.to_csv(path, index=False, sep=";")
    businesses, rejects = load_businesses(path)
    n = len(frame)
    assert len(businesses) + len(rejects) == n
    got = sorted([*businesses["source_row"], *rejects["source_row"]])
    assert got == list(range(1, n + 1))
    # a row is rejected exactly when it holds a bad value or a missing/repeated id
    dups = [i for i, s in enumerate(rows) if s["dup"] and not s["missing_id"]]
    expected_bad = {
        i + 1
        for i, s in enumerate(rows)
        if s["missing_id"] or any(s[c] is not None for c in _BAD) or (dups and i in dups[1:])
    }
    assert set(rejects["source_row"]) == expected_bad
    assert rejects["reason"].str.len().gt(0).all()
