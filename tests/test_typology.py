"""The area typology on national CBS conventions: the real CBS buurten of Almere, and a
generated other municipality that follows none of Almere's numbering."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from almere_gis.analysis.typology import area_typology, typology_report, typology_warning
from almere_gis.io.areas import load_buurten
from almere_gis.settings import load_settings

RULES = load_settings().typology
EXTRA = ("address_density", "urbanity", "water")


@pytest.fixture(scope="module")
def almere(shared_cbs_path: Path) -> gpd.GeoDataFrame:
    buurten = load_buurten(shared_cbs_path, extra=EXTRA)
    return buurten.assign(area_type=area_typology(buurten, RULES))


def test_almere_follows_its_cbs_numbering(almere: gpd.GeoDataFrame) -> None:
    kind = almere.set_index("buurt_code")["area_type"]
    suffix = kind.index.str[-2:]
    # The CBS file's own convention (its README): 71-79 business parks, 99 scattered houses.
    assert (kind[suffix.isin([str(s) for s in range(71, 80)])] == "bedrijventerrein").all()
    assert (kind[suffix == "99"] == "buitengebied").all()
    names = almere.set_index("buurt_code")["buurt_name"].str.lower()
    assert (kind[names.str.startswith("centrum")] == "centrum").all()
    assert set(kind) == {"wonen", "centrum", "bedrijventerrein", "buitengebied"}
    assert kind["BU00340202"] == "wonen"  # Filmwijk: 4,175 homes


def test_almere_report_counts_every_buurt_once(almere: gpd.GeoDataFrame) -> None:
    report = typology_report(almere, RULES, "en")
    assert list(report.columns) == ["rule", "type", "n_areas", "missing_data", "missing_columns"]
    assert len(report) == len(RULES.rules) + 1
    assert report["n_areas"].sum() == len(almere) == 63
    by_type = report.groupby("type")["n_areas"].sum()
    assert by_type.to_dict() == almere["area_type"].value_counts().to_dict()
    assert (report["missing_data"] == "").all()  # the CBS file has water, OAD and homes
    assert report["rule"].iloc[4] == "5. GM0034; code ends in 71-79"
    assert report["rule"].iloc[-1] == "no rule (default)"
    assert typology_warning(report, "en") is None


def _square(i: int) -> shapely.Polygon:
    return shapely.box(200_000 + 1000 * i, 500_000, 200_999 + 1000 * i, 500_999)


def _other_municipality(tmp_path: Path, **drop: bool) -> Path:
    """Zwolle-like buurten (GM0193, new CBS schema) without Almere's numbering."""
    frame = pd.DataFrame(
        {
            "buurtcode": ["BU01930101", "BU01930102", "BU01930171", "BU01930201", "BU01930202",
                          "BU01930203", "BU01930299", "BU01930301"],
            "buurtnaam": ["Binnenstad", "Verspreide huizen Oost", "Assendorp", "Bedrijventerrein"
                          " Voorst", "Industrieterrein Hessenpoort", "Kamperpoort", "Aa-landen",
                          "Zwarte Water"],
            "gemeentecode": ["GM0193"] * 8,
            "woningvoorraad": [900, 60, 2500, 3, 0, 60, 800, 0],
            "oppervlakte_land_in_ha": [99, 400, 99, 99, 99, 99, 99, 1],
            "omgevingsadressendichtheid": [2400, 150, 2100, 900, 800, 300, 1900, -99999999],
            "water": ["NEE"] * 7 + ["JA"],
        }
    )  # fmt: skip
    frame = frame.drop(columns=[c for c, yes in drop.items() if yes])
    path = tmp_path / "zwolle.gpkg"
    geometry = [_square(i) for i in range(len(frame))]
    gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:28992").to_file(path)
    return path


def test_another_municipality_by_national_conventions(tmp_path: Path) -> None:
    buurten = load_buurten(_other_municipality(tmp_path), extra=EXTRA)
    kinds = area_typology(buurten, RULES).tolist()
    assert kinds == [
        "wonen",  # Binnenstad: many homes (no "centrum" in its name)
        "buitengebied",  # "Verspreide huizen" (not numbered 99)
        "wonen",  # numbered 71, but 71-79 is Almere's numbering only
        "bedrijventerrein",  # "Bedrijventerrein ..."
        "bedrijventerrein",  # "Industrieterrein ..."
        "buitengebied",  # 0.6 homes/ha, 300 addresses/km2: not urban
        "wonen",  # numbered 99 but 800 homes
        "buitengebied",  # CBS water buurt
    ]
    report = typology_report(buurten.assign(area_type=kinds), RULES, "nl")
    assert report["n_areas"].sum() == 8
    assert report.loc[0, "n_areas"] == 1 and report.loc[0, "type"] == "buitengebied"
    assert report.loc[3:4, "n_areas"].tolist() == [0, 0]  # Almere's example rules


def test_missing_figures_fail_their_condition_and_are_reported(tmp_path: Path) -> None:
    path = _other_municipality(tmp_path, water=True, omgevingsadressendichtheid=True)
    buurten = load_buurten(path, extra=EXTRA)
    assert "water" not in buurten and "address_density" not in buurten
    kinds = area_typology(buurten, RULES)
    assert kinds.iloc[7] == "wonen"  # the water buurt, unflagged: no rule holds
    assert kinds.iloc[5] == "wonen"  # without its address density, not found rural
    report = typology_report(buurten, RULES, "en")
    assert report.loc[0, "missing_data"] == "missing: water"
    assert report.loc[7, "missing_data"] == "missing: address_density"
    assert report.loc[7, "rule"] == "8. ≤ 1 homes/ha; ≤ 500 addresses/km²"
    assert report.loc[8, "missing_data"] == "missing: urbanity"
    assert report.loc[8, "rule"] == "9. ≤ 1 homes/ha; CBS urbanity class ≥ 5"


def test_the_urbanity_class_stands_in_for_the_address_density(tmp_path: Path) -> None:
    path = _other_municipality(tmp_path, omgevingsadressendichtheid=True)
    frame = gpd.read_file(path)
    frame["stedelijkheid"] = [1, 5, 1, 3, 3, 5, 2, 5]
    frame.to_file(path)
    buurten = load_buurten(path, extra=EXTRA)
    assert buurten["urbanity"].tolist() == [1, 5, 1, 3, 3, 5, 2, 5]
    kinds = area_typology(buurten, RULES)
    assert kinds.iloc[5] == "buitengebied"  # 0.6 homes/ha in a "niet stedelijk" surrounding
    report = typology_report(buurten, RULES, "en")
    assert report.loc[8, ["n_areas", "missing_data"]].tolist() == [1, ""]


def test_one_type_for_every_buurt_warns() -> None:
    areas = pd.DataFrame(
        {"buurt_code": [f"BU09990{i:03d}" for i in range(4)], "buurt_name": ["a", "b", "c", "d"],
         "homes": [np.nan] * 4, "area_land_ha": [50.0] * 4}
    )  # fmt: skip
    report = typology_report(areas, RULES, "en")
    assert report["n_areas"].iloc[-1] == 4
    assert typology_warning(report, "en") == (
        "All 4 buurten are 'residential': check the rules in [typology] for this municipality."
    )
    assert typology_warning(report.iloc[:0], "en") is None
