"""One test per kind of bad input: the message names the file, the rows and the fix."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from almere_gis._errors import InputError
from almere_gis._schema import CRS_RD
from almere_gis.io.areas import load_buurten
from almere_gis.io.businesses import load_businesses, validate_businesses

GOOD = {
    "vestigingsnummer": "000000000001",
    "handelsnaam": "Een",
    "sbi": "4711",
    "wp_voltijd": "1",
    "wp_deeltijd": "0",
    "x": "150000",
    "y": "480000",
}


def _write(tmp_path, changes: dict[int, dict[str, str]], n: int = 4, name: str = "reg.csv"):
    """``n`` good rows with unique ids; ``changes`` maps a 1-based row to overridden cells."""
    rows = []
    for i in range(1, n + 1):
        row = dict(GOOD, vestigingsnummer=f"{i:012d}")
        row.update(changes.get(i, {}))
        rows.append(row)
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _rejects(path, **kwargs) -> dict[int, str]:
    businesses, rejects = load_businesses(path, **kwargs)
    return dict(zip(rejects["source_row"], rejects["reason"], strict=True))


def _report_lines(path, **kwargs) -> list[str]:
    return validate_businesses(path, **kwargs).lines()


# --------------------------------------------------------------------------------------------
# Row problems: rejected with the reason, listed by validate with file, row and column
# --------------------------------------------------------------------------------------------


def test_missing_coordinates(tmp_path):
    path = _write(tmp_path, {2: {"x": ""}, 4: {"y": ""}})
    reasons = _rejects(path)
    assert sorted(reasons) == [2, 4]
    assert "missing coordinates" in reasons[2]
    lines = _report_lines(path)
    assert lines == [
        f"{path}: row 2, column 'x/y': missing coordinates (column 'x' or 'y' is empty)",
        f"{path}: row 4, column 'x/y': missing coordinates (column 'x' or 'y' is empty)",
    ]


def test_non_numeric_coordinates(tmp_path):
    path = _write(tmp_path, {3: {"x": "onbekend"}})
    assert _rejects(path) == {3: "non-numeric coordinate 'onbekend' in column 'x'"}
    assert _report_lines(path) == [
        f"{path}: row 3, column 'x': non-numeric coordinate 'onbekend' in column 'x'"
    ]


def test_outside_the_netherlands(tmp_path):
    path = _write(tmp_path, {1: {"x": "400000"}, 2: {"x": "5.2", "y": "52.4"}})
    reasons = _rejects(path)
    assert reasons[1] == "coordinates outside the Netherlands (RD x 400000, y 480000)"
    # degrees in RD columns: the fix is named
    assert reasons[2].startswith("coordinates outside the Netherlands (RD x 5.2, y 52.4)")
    assert "map them as lon/lat or set crs = 'EPSG:4326'" in reasons[2]


def test_swapped_lat_lon_rejected(tmp_path):
    frame = pd.DataFrame(
        {
            "vestigingsnummer": ["1", "2"],
            "sbi": ["4711", "4711"],
            "wp_voltijd": ["1", "1"],
            "lat": ["52.37", "5.21"],
            "lon": ["5.21", "52.37"],
        }
    )
    path = tmp_path / "latlon.csv"
    frame.to_csv(path, index=False)
    reasons = _rejects(path, swapped_latlon="reject")
    assert list(reasons) == [2]
    assert reasons[2] == (
        "latitude and longitude swapped (lat 5.21, lon 52.37); swap the columns or set "
        "swapped_latlon = 'fix'"
    )
    # under "fix" the row is kept, and validate still lists what was fixed
    assert _rejects(path, swapped_latlon="fix") == {}
    assert _report_lines(path) == [
        f"{path}: row 2, column 'lat/lon': latitude and longitude swapped "
        "(fixed by swapping them back)"
    ]


def test_duplicate_ids(tmp_path):
    path = _write(
        tmp_path,
        {3: {"vestigingsnummer": "000000000001"}, 4: {"vestigingsnummer": "000000000001"}},
    )
    reasons = _rejects(path)
    assert reasons == {
        3: "duplicate business id '000000000001' (first in row 1)",
        4: "duplicate business id '000000000001' (first in row 1)",
    }


def test_missing_id(tmp_path):
    path = _write(tmp_path, {2: {"vestigingsnummer": ""}})
    assert _rejects(path) == {2: "missing business id"}


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("47A1", "invalid SBI code '47A1': expected 2 to 5 digits"),
        ("4", "invalid SBI code '4': expected 2 to 5 digits"),
        ("471100", "invalid SBI code '471100': expected 2 to 5 digits"),
        ("4411", "invalid SBI code '4411': division 44 does not exist in SBI 2008"),
        ("00", "invalid SBI code '00': division 00 does not exist in SBI 2008"),
        ("", "missing SBI code"),
    ],
)
def test_invalid_sbi(tmp_path, code, reason):
    path = _write(tmp_path, {2: {"sbi": code}})
    assert _rejects(path) == {2: reason}


@pytest.mark.parametrize("code", ["01.11", "47 11", "99", "86912", "0111"])
def test_valid_sbi_spellings(tmp_path, code):
    path = _write(tmp_path, {2: {"sbi": code}})
    businesses, rejects = load_businesses(path)
    assert rejects.empty
    assert businesses["sbi"].iloc[1] == code.replace(".", "").replace(" ", "")


def test_negative_and_non_numeric_jobs(tmp_path):
    path = _write(tmp_path, {1: {"wp_voltijd": "-3"}, 3: {"wp_deeltijd": "veel"}})
    reasons = _rejects(path)
    assert reasons == {
        1: "negative jobs -3 in column 'wp_voltijd'",
        3: "non-numeric jobs 'veel' in column 'wp_deeltijd'",
    }


def test_all_problems_of_a_row_are_reported_together(tmp_path):
    path = _write(tmp_path, {2: {"sbi": "x", "wp_voltijd": "-1", "x": ""}})
    reasons = _rejects(path)
    assert list(reasons) == [2]
    assert reasons[2].split("; ") == [
        "invalid SBI code 'x': expected 2 to 5 digits",
        "negative jobs -1 in column 'wp_voltijd'",
        "missing coordinates (column 'x' or 'y' is empty)",
    ]
    assert len(_report_lines(path)) == 3


# --------------------------------------------------------------------------------------------
# File problems: InputError with one line naming the file, the problem and the fix
# --------------------------------------------------------------------------------------------


def _one_line(exc: pytest.ExceptionInfo, path) -> str:
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert ". Fix: " in message
    return message


def test_empty_file(tmp_path):
    path = tmp_path / "leeg.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError) as exc:
        load_businesses(path)
    message = _one_line(exc, path)
    assert "the file is empty" in message
    assert validate_businesses(path).lines() == [f"{path}: file: {exc.value.problem}. Fix: "
                                                 f"{exc.value.fix}"]  # fmt: skip


def test_header_without_rows(tmp_path):
    path = tmp_path / "kop.csv"
    path.write_text(",".join(GOOD) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_businesses(path)
    assert "header but no data rows" in _one_line(exc, path)


def test_required_columns_missing_suggests_the_preset_that_fits(tmp_path):
    frame = pd.DataFrame(
        {
            "vestigingsnummer": ["1"],
            "sbiCode": ["4711"],
            "voltijdWerkzamePersonen": ["1"],
            "rijksdriehoekX": ["150000"],
            "rijksdriehoekY": ["480000"],
        }
    )
    path = tmp_path / "kvk.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as exc:
        load_businesses(path, preset="lisa")
    message = _one_line(exc, path)
    assert "required columns missing for preset 'lisa'" in message
    assert "jobs (jobs_fulltime/jobs_parttime or jobs_total) [tried wp_voltijd" in message
    assert "columns found: vestigingsnummer, sbiCode, voltijdWerkzamePersonen" in message
    assert "Fix: use preset = 'kvk'" in message
    businesses, _ = load_businesses(path, preset="kvk")  # and the fix works
    assert len(businesses) == 1


def test_required_columns_missing_suggests_a_custom_mapping(tmp_path):
    path = tmp_path / "anders.csv"
    pd.DataFrame({"ID": ["1"], "Activiteit": ["4711"], "Oost": ["1"], "Noord": ["2"]}).to_csv(
        path, index=False
    )
    with pytest.raises(InputError) as exc:
        load_businesses(path)
    message = _one_line(exc, path)
    assert "id [tried vestigingsnummer" in message
    assert "coordinates (x/y, lat/lon or a point geometry)" in message
    assert "columns found: ID, Activiteit, Oost, Noord" in message
    assert "[businesses.columns] with preset = 'custom'" in message
    assert "id = '<column>'" in message and "x = '<column>'" in message


def test_column_setting_not_in_file(tmp_path):
    path = _write(tmp_path, {})
    with pytest.raises(InputError) as exc:
        load_businesses(path, columns={"sbi": "hoofd_sbi"})
    message = _one_line(exc, path)
    assert "sbi = 'hoofd_sbi' not found among the columns" in message
    assert "Fix: correct [businesses.columns]" in message


@pytest.mark.parametrize("name", ["kapot.gpkg", "kapot.parquet"])
def test_unreadable_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"this is not a real file format at all\x00\x01")
    with pytest.raises(InputError) as exc:
        load_businesses(path)
    message = _one_line(exc, path)
    assert "cannot be" in message
    report = validate_businesses(path)
    assert not report.ok and len(report.lines()) == 1


def test_bad_csv_quoting(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('a,b\n1,"2\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_businesses(path)
    assert "cannot be read as CSV" in _one_line(exc, path)


def test_unsupported_type_and_missing_file(tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError) as exc:
        load_businesses(path)
    assert "unsupported file type '.xlsx'" in _one_line(exc, path)
    missing = tmp_path / "nergens.csv"
    with pytest.raises(InputError) as exc:
        load_businesses(missing)
    assert "file not found" in _one_line(exc, missing)


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_business_geometry_without_crs(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"vestnr": ["1"], "sbi": ["4711"], "wp_voltijd": [1]},
        geometry=gpd.points_from_xy([150000], [480000]),
    )
    path = tmp_path / "punten.shp"
    gdf.to_file(path)
    with pytest.raises(InputError) as exc:
        load_businesses(path, columns={"id": "vestnr"})
    assert "has no CRS" in _one_line(exc, path)
    assert "crs = 'EPSG:28992'" in str(exc.value)
    businesses, _ = load_businesses(path, columns={"id": "vestnr"}, crs="EPSG:28992")
    assert businesses.geometry.x.tolist() == [150000]


def test_business_geometry_not_a_point(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"vestigingsnummer": ["1", "2"], "sbi": ["4711", "4711"], "wp_voltijd": [1, 1]},
        geometry=[box(150000, 480000, 150010, 480010), None],
        crs=CRS_RD,
    )
    path = tmp_path / "vlakken.gpkg"
    gdf.to_file(path)
    assert _rejects(path) == {
        1: "geometry is a Polygon, not a point",
        2: "missing coordinates (empty geometry)",
    }


# --------------------------------------------------------------------------------------------
# Area files
# --------------------------------------------------------------------------------------------


def _buurten(codes: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"BU_CODE": codes, "AANT_INW": [10] * len(codes)},
        geometry=[
            box(150000 + 100 * i, 480000, 150100 + 100 * i, 480100) for i in range(len(codes))
        ],
        crs=CRS_RD,
    )


def test_duplicate_buurt_codes(tmp_path):
    path = tmp_path / "dubbel.gpkg"
    _buurten(["BU00340101", "BU00340102", "BU00340101"]).to_file(path)
    with pytest.raises(InputError) as exc:
        load_buurten(path)
    message = _one_line(exc, path)
    assert "duplicate buurt codes BU00340101 (rows 1 and 3)" in message
    assert "remove the duplicate features" in message


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_areas_without_crs(tmp_path):
    path = tmp_path / "zonder.shp"
    _buurten(["BU00340101"]).set_crs(None, allow_override=True).to_file(path)
    with pytest.raises(InputError) as exc:
        load_buurten(path)
    message = _one_line(exc, path)
    assert "no CRS" in message and "crs='EPSG:28992'" in message and "areas_crs" in message


def test_not_a_buurten_layer(tmp_path):
    path = tmp_path / "iets.gpkg"
    gpd.GeoDataFrame({"naam": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=CRS_RD).to_file(path)
    with pytest.raises(InputError) as exc:
        load_buurten(path)
    message = _one_line(exc, path)
    assert "BU_CODE (old schema) or buurtcode (new schema)" in message
    assert "columns found: naam" in message


def test_geopackage_with_several_layers_needs_a_layer(tmp_path):
    path = tmp_path / "wijkenbuurten.gpkg"
    _buurten(["BU00340101"]).to_file(path, layer="buurten")
    _buurten(["BU00340101"]).rename(columns={"BU_CODE": "WK_CODE"}).to_file(path, layer="wijken")
    with pytest.raises(InputError) as exc:
        load_buurten(path)
    message = _one_line(exc, path)
    assert "2 layers (buurten, wijken)" in message and "name the layer" in message
    assert len(load_buurten(path, layer="buurten")) == 1
    with pytest.raises(InputError, match="layer 'gemeenten' not found"):
        load_buurten(path, layer="gemeenten")


# --------------------------------------------------------------------------------------------
# More input checks (issue 11.7): each with its complete message
# --------------------------------------------------------------------------------------------


def _message(path, load=load_businesses) -> str:
    with pytest.raises(InputError) as exc:
        load(path)
    return _one_line(exc, path)


def test_an_html_page_saved_as_csv(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("\n<!DOCTYPE html>\n<html><body>Inloggen</body></html>\n", encoding="utf-8")
    assert _message(path) == (
        f"{path}: is an HTML page (a web page, an error or login page), not a CSV file."
        " Fix: download the file itself again (not the page that links to it)"
    )
    geojson = tmp_path / "buurten.geojson"
    geojson.write_text("<html><head><title>404</title></head></html>", encoding="utf-8")
    assert _message(geojson, load_buurten) == (
        f"{geojson}: is an HTML page (a web page, an error or login page), not a GEOJSON"
        " file. Fix: download the file itself again (not the page that links to it)"
    )


def test_a_workbook_saved_as_csv(tmp_path):
    workbook = tmp_path / "echt.xlsx"
    pd.DataFrame([GOOD]).to_excel(workbook, index=False)
    path = tmp_path / "register.csv"
    path.write_bytes(workbook.read_bytes())
    assert _message(path) == (
        f"{path}: is an Excel workbook (XLSX), not a CSV file."
        " Fix: save it as CSV UTF-8 (or export CSV)"
    )
    old = tmp_path / "oud.csv"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    assert _message(old) == (
        f"{old}: is an Excel workbook (XLS), not a CSV file. Fix: save it as CSV UTF-8"
    )


def test_a_binary_file_saved_as_csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\x89\x00\x13binary\x00\x00\xff")
    assert _message(path) == (
        f"{path}: is a binary file, not a CSV file. Fix: give the data as text (CSV UTF-8)"
    )
    gpkg = tmp_path / "buurten.csv"
    _buurten(["BU00340101"]).to_file(tmp_path / "b.gpkg")
    gpkg.write_bytes((tmp_path / "b.gpkg").read_bytes())
    assert _message(gpkg, load_buurten) == (
        f"{gpkg}: is a GeoPackage (SQLite database), not a CSV file. Fix: rename it to .gpkg"
    )


def test_utf16_csv_is_read(tmp_path):
    path = tmp_path / "utf16.csv"
    pd.DataFrame([GOOD]).to_csv(path, index=False, encoding="utf-16")
    businesses, rejects = load_businesses(path)
    assert len(businesses) == 1 and rejects.empty


def test_rd_values_in_lat_lon_columns(tmp_path):
    good = {k: v for k, v in GOOD.items() if k not in ("x", "y")}
    rows = [dict(good, lat="487000", lon="142000"), dict(good, vestigingsnummer="2",
            lat="52.37", lon="5.21")]  # fmt: skip
    path = tmp_path / "latlon.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert _report_lines(path) == [
        f"{path}: row 1, column 'lon/lat': coordinates outside the Netherlands (RD x 142000,"
        " y 487000); these are RD New metres, not degrees, in the columns 'lon'/'lat': map"
        " them as x/y or set crs = 'EPSG:28992'"
    ]


def _wkt_csv(tmp_path):
    path = tmp_path / "buurten.csv"
    pd.DataFrame(
        {"BU_CODE": ["BU00340101", "BU00340102"],
         "WKT": [box(150000, 480000, 150100, 480100).wkt, box(150100, 480000, 150200, 480100).wkt]}
    ).to_csv(path, index=False)  # fmt: skip
    return path


def test_a_wkt_area_file_without_crs_gets_the_areas_crs_hint(tmp_path):
    path = _wkt_csv(tmp_path)
    assert _message(path, load_buurten) == (
        f"{path}: a CSV file with WKT polygons (column 'WKT') carries no CRS."
        " Fix: set [paths] areas_crs = 'EPSG:28992' (or the EPSG code of its coordinates)"
    )
    buurten = load_buurten(path, crs="EPSG:28992")
    assert buurten["buurt_code"].tolist() == ["BU00340101", "BU00340102"]
    assert buurten.geometry.area.tolist() == [10000.0, 10000.0]


def test_an_area_csv_without_wkt(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("BU_CODE\nBU00340101\n", encoding="utf-8")
    assert _message(path, load_buurten) == (
        f"{path}: the file has no geometry (no WKT column such as 'WKT' or 'geometry')."
        " Fix: give the CBS Wijk- en Buurtkaart as Shapefile, GeoPackage or GeoJSON"
    )


def test_a_geojson_in_rd_without_crs_member(tmp_path, caplog):
    path = tmp_path / "rd.geojson"
    ring = [[150000, 480000], [150100, 480000], [150100, 480100], [150000, 480100],
            [150000, 480000]]  # fmt: skip
    feature = {"type": "Feature", "properties": {"BU_CODE": "BU00340101"},
               "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
    )
    with caplog.at_level("WARNING", logger="almere_gis"):
        buurten = load_buurten(path)
    assert buurten.crs == CRS_RD
    assert buurten.total_bounds.tolist() == [150000, 480000, 150100, 480100]
    assert caplog.messages == [
        f"{path}: says WGS 84 (as every GeoJSON without a crs member) but its coordinates"
        " (x 150000-150100, y 480000-480100) are RD New metres: read as EPSG:28992"
    ]


def _overlapping(tmp_path, shift: float):
    gdf = _buurten(["BU00340101", "BU00340102", "BU00340103"])
    gdf.loc[1, "geometry"] = box(150100 - shift, 480000, 150200, 480100)
    path = tmp_path / f"overlap{shift}.gpkg"
    gdf.to_file(path)
    return path


def test_overlapping_buurten_are_noted(tmp_path, caplog):
    path = _overlapping(tmp_path, 0.5)  # 0.5 m x 100 m = 50 m2, 0.5 % of a buurt
    with caplog.at_level("WARNING", logger="almere_gis"):
        buurten = load_buurten(path)
    overlaps = buurten.attrs["overlaps"]
    assert overlaps[["code_a", "code_b"]].values.tolist() == [["BU00340101", "BU00340102"]]
    assert overlaps["overlap_m2"].round(6).tolist() == [50.0]
    assert caplog.messages == [
        f"{path}: 1 pair(s) of areas overlap, 50 m2 in all (largest: BU00340101 and"
        " BU00340102 overlap by 50 m2); a business there is assigned to one of them"
    ]


def test_overlapping_buurten_above_the_tolerance(tmp_path):
    path = _overlapping(tmp_path, 30)  # 3,000 m2: 30 % of a buurt
    assert _message(path, load_buurten) == (
        f"{path}: 1 pair(s) of areas overlap; BU00340101 and BU00340102 by 3000 m2 (30% of"
        " the smaller). Fix: give one layer of one CBS release: areas must not overlap (up"
        " to 1% of an area is accepted with a note)"
    )


def test_a_job_count_above_10000_is_flagged(tmp_path, caplog):
    path = _write(tmp_path, {3: {"wp_voltijd": "25000"}})
    assert _report_lines(path) == [
        f"{path}: row 3, column 'wp_voltijd/wp_deeltijd': implausible job count 25000 (more"
        " than 10,000 at one establishment): kept as given"
    ]
    with caplog.at_level("WARNING", logger="almere_gis"):
        businesses, rejects = load_businesses(path)
    assert rejects.empty and businesses["jobs"].tolist() == [1, 1, 25000, 1]
    assert caplog.messages[0] == (
        f"{path}: 1 establishment(s) with more than 10,000 werkzame personen (row 3): kept as"
        " given; check the register (a whole company's jobs at one address, or a typing error)"
    )


def test_a_point_geojson_in_rd_without_crs_member(tmp_path, caplog):
    path = tmp_path / "punten.geojson"
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [150000, 480000]},
               "properties": {"vestigingsnummer": "1", "sbi": "4711", "wp_voltijd": 1}}  # fmt: skip
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
    )
    with caplog.at_level("WARNING", logger="almere_gis"):
        businesses, rejects = load_businesses(path)
    assert rejects.empty
    assert businesses.geometry.x.tolist() == [150000] and businesses.geometry.y.tolist() == [480000]
    assert caplog.messages[0] == (
        f"{path}: says WGS 84 (as every GeoJSON without a crs member) but its coordinates"
        " (x 150000-150000, y 480000-480000) are RD New metres: read as EPSG:28992"
    )
