"""Theme flags, counts and growth on hand-built registers whose answers are worked out by hand."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from almere_gis._errors import ConfigError, SchemaError
from almere_gis.analysis.classify import classify_businesses
from almere_gis.analysis.themes import (
    THEMES,
    address_keys,
    proxy_growth,
    register_theme_counts,
    sum_by_area,
    sum_by_index,
    theme_area_counts,
    theme_city,
    theme_flags,
    theme_growth,
    theme_hexagon_counts,
    theme_masks,
    theme_notes,
    theme_wijk_counts,
    top_areas,
)
from almere_gis.datasets.generate.cbs import load_cbs_counts
from almere_gis.settings import load_settings

SETTINGS = load_settings()


def register(rows: list[dict[str, Any]], *, start_label: int = 100) -> gpd.GeoDataFrame:
    """A classified register; index labels start at ``start_label`` (not 0) to test alignment.

    Each row needs ``sbi`` and ``x``; defaults: 1 job, not home-based, y = 0, buurt BU00010101.
    """
    defaults = {"jobs": 1, "home_based": False, "y": 0.0, "buurt_code": "BU00010101"}
    columns = ["sbi", "x", *defaults]
    frame = pd.DataFrame([{**defaults, **r} for r in rows], columns=None if rows else columns)
    frame["wijk_code"] = "WK" + frame["buurt_code"].str[2:8]
    index = pd.RangeIndex(start_label, start_label + len(frame))
    gdf = gpd.GeoDataFrame(
        frame.drop(columns=["x", "y"]).set_axis(index),
        geometry=shapely.points(frame["x"].to_numpy(float), frame["y"].to_numpy(float)),
        crs="EPSG:28992",
    )
    return classify_businesses(gdf, settings=SETTINGS.classification)


# --- makers ---------------------------------------------------------------------------------


def test_makers_are_small_manufacturers_artists_and_repairers() -> None:
    b = register(
        [
            {"sbi": "1071", "x": 0, "jobs": 3},  # bakery: maker
            {"sbi": "1071", "x": 1, "jobs": 10},  # above small_scale_max_jobs = 9
            {"sbi": "9003", "x": 2},  # artist's studio (90)
            {"sbi": "9511", "x": 3},  # computer repair (95)
            {"sbi": "4332", "x": 4},  # carpenter on building sites: construction, not a maker
            {"sbi": "4711", "x": 5},  # shop
            {"sbi": "3299", "x": 6, "jobs": 9},  # exactly at the threshold: still small
        ]
    )
    flags, notes = theme_flags(b, SETTINGS)
    assert flags["maker"].tolist() == [True, False, True, True, False, False, True]
    assert notes["maker"] == "sbi"
    # the threshold is the classification's: raise it and the 10-person bakery is a maker
    wider = SETTINGS.replace("classification", small_scale_max_jobs=12)
    wider_flags, _ = theme_flags(classify_businesses(b, settings=wider.classification), wider)
    assert wider_flags["maker"].tolist()[:2] == [True, True]
    # the divisions are a setting: without 90 the studio is no maker
    narrow = SETTINGS.replace("themes", maker_divisions="10-33,95")
    assert theme_flags(b, narrow)[0]["maker"].tolist()[2] is False


# --- mixed retail ---------------------------------------------------------------------------


def test_mixed_retail_from_secondary_sbi_codes() -> None:
    b = register(
        [
            {"sbi": "4711", "x": 0, "sbi_secondary": "5610"},  # shop with a cafe
            {"sbi": "4711", "x": 1, "sbi_secondary": "4791"},  # web shop beside it: not mixed
            {"sbi": "4719", "x": 2, "sbi_secondary": "4791;9602"},  # and a hairdresser: mixed
            {"sbi": "4711", "x": 3, "sbi_secondary": ""},
            {"sbi": "4711", "x": 4, "sbi_secondary": " 95.29 "},  # dots and spaces are read
            {"sbi": "5610", "x": 5, "sbi_secondary": "4711"},  # a cafe that sells: horeca
            {"sbi": "4711", "x": 6, "sbi_secondary": "abc;1"},  # no valid code
            {"sbi": "4711", "x": 7, "sbi_secondary": None},
            {"sbi": "4711", "x": 8, "sbi_secondary": "8559"},  # courses in the shop
        ]
    )
    flags, notes = theme_flags(b, SETTINGS)
    assert flags["mixed_retail"].astype(int).tolist() == [1, 0, 1, 0, 1, 0, 0, 0, 1]
    assert notes["mixed_retail"] == "secondary_sbi" and "address" not in notes
    assert list(flags.index) == list(b.index)


def test_mixed_retail_falls_back_to_shared_addresses() -> None:
    b = register(
        [
            {"sbi": "4711", "x": 0},  # shop A ...
            {"sbi": "5610", "x": 0},  # ... with a cafe at its coordinate
            {"sbi": "4711", "x": 100},  # shop B alone
            {"sbi": "4711", "x": 200},  # shop C ...
            {"sbi": "4719", "x": 200},  # ... with only another shop
            {"sbi": "4711", "x": 300.001},  # shop D ...
            {"sbi": "9602", "x": 300.004},  # ... and a hairdresser on the same centimetre
            {"sbi": "4711", "x": 400.0},  # shop E ...
            {"sbi": "9602", "x": 400.1},  # ... and a hairdresser 10 cm away: another address
        ]
    )
    b["sbi_secondary"] = ""  # the column is there but empty: the register has no such codes
    flags, notes = theme_flags(b, SETTINGS)
    assert flags["mixed_retail"].astype(int).tolist() == [1, 0, 0, 0, 0, 1, 0, 0, 0]
    assert notes["mixed_retail"] == "shared_address" and notes["address"] == "coordinate"


def test_shared_address_by_bag_id_beats_the_coordinate() -> None:
    b = register(
        [
            {"sbi": "4711", "x": 0, "address_id": "0034010000000001"},
            {"sbi": "1071", "x": 50, "address_id": "0034010000000001"},  # same id, other point
            {"sbi": "4711", "x": 200, "address_id": "0034010000000002"},
            {"sbi": "5610", "x": 200, "address_id": "0034010000000003"},  # same point, other id
        ]
    )
    flags, notes = theme_flags(b, SETTINGS)
    assert flags["mixed_retail"].tolist() == [True, False, False, False]
    assert notes["address"] == "bag_id"


def test_address_keys_method_says_what_the_data_allowed() -> None:
    b = register([{"sbi": "4711", "x": 0}, {"sbi": "4711", "x": 0}, {"sbi": "4711", "x": 9}])
    assert address_keys(b).method == "coordinate"
    assert address_keys(b).codes.tolist() == [0, 0, 1]
    b["address_id"] = ["A", None, "  "]  # blank text counts as no id
    keys = address_keys(b)
    assert keys.method == "bag_id_and_coordinate" and keys.n == 3
    assert len(set(keys.codes.tolist())) == 3
    b["address_id"] = ["A", "B", "A"]
    keys = address_keys(b)
    assert keys.method == "bag_id" and keys.codes.tolist() == [0, 1, 0]


def test_mixed_divisions_are_a_setting() -> None:
    b = register([{"sbi": "4711", "x": 0, "sbi_secondary": "5610"}])
    no_horeca = SETTINGS.replace("themes", mixed_divisions="10-33,95-96")
    assert theme_flags(b, no_horeca)[0]["mixed_retail"].tolist() == [False]


# --- social enterprise ----------------------------------------------------------------------


def test_social_enterprise_is_the_flag_where_present_else_missing() -> None:
    b = register([{"sbi": "8899", "x": 0}, {"sbi": "8899", "x": 1}, {"sbi": "8899", "x": 2}])
    b["social_enterprise"] = pd.array([True, False, True], dtype="boolean")
    flags, notes = theme_flags(b, SETTINGS)
    assert flags["social_enterprise"].tolist() == [True, False, True]
    assert notes["social_enterprise"] == "register"

    b["social_enterprise"] = pd.array([True, pd.NA, False], dtype="boolean")
    flags, notes = theme_flags(b, SETTINGS)
    assert notes["social_enterprise"] == "register_partial"
    assert flags["social_enterprise"].isna().tolist() == [False, True, False]

    flags, notes = theme_flags(b.drop(columns="social_enterprise"), SETTINGS)
    assert notes["social_enterprise"] == "missing"
    assert flags["social_enterprise"].isna().all()  # unknown, never False
    assert not theme_masks(flags)["social_enterprise"].any()


def test_notes_state_the_method_and_the_source() -> None:
    named = SETTINGS.replace("themes", social_enterprise_source="Code Sociale Ondernemingen 2024")
    notes = {
        "maker": "sbi",
        "mixed_retail": "shared_address",
        "address": "bag_id",
        "social_enterprise": "register",
    }
    en = theme_notes(notes, named, "en")
    assert en[0] == (
        "Makers: establishments whose main activity is in SBI 10-33,90,95, with at most 9 "
        "werkzame personen."
    )
    assert "has no secondary SBI codes" in en[1] and "SBI 10-33,55-56,85,95-96" in en[1]
    assert en[2] == "The same address: the same BAG verblijfsobject."
    assert en[3] == "Social enterprises: as given by Code Sociale Ondernemingen 2024."
    nl = theme_notes({**notes, "social_enterprise": "missing"}, SETTINGS, "nl")
    assert "onbekend, niet nul" in nl[-1]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_small_registers_give_complete_flags(n: int) -> None:
    b = register([{"sbi": "4711", "x": float(i % 2)} for i in range(n)])
    flags, notes = theme_flags(b, SETTINGS)
    assert list(flags.columns) == list(THEMES) and len(flags) == n
    assert set(notes) == {"maker", "mixed_retail", "address", "social_enterprise"}


def test_unclassified_businesses_are_refused_with_the_fix() -> None:
    raw = gpd.GeoDataFrame({"sbi": ["4711"]}, geometry=shapely.points([0], [0]), crs=28992)
    with pytest.raises(SchemaError, match="classify_businesses"):
        theme_flags(raw, SETTINGS)


# --- counts ---------------------------------------------------------------------------------


def areas() -> gpd.GeoDataFrame:
    squares = [
        shapely.box(0, 0, 1000, 1000),
        shapely.box(1000, 0, 2000, 1000),
        shapely.box(0, 1000, 1000, 2000),
    ]
    return gpd.GeoDataFrame(
        {
            "buurt_code": ["BU00010101", "BU00010102", "BU00010201"],
            "buurt_name": ["Een", "Twee", "Drie"],
            "wijk_code": ["WK000101", "WK000101", "WK000102"],
            "area_land_ha": [50.0, 0.0, 100.0],
        },
        geometry=squares,
        crs="EPSG:28992",
        index=[7, 8, 9],
    )


def counted_register() -> gpd.GeoDataFrame:
    a, b_, c = "BU00010101", "BU00010102", "BU00010201"
    return register(
        [
            {"sbi": "1071", "x": 10, "jobs": 2, "buurt_code": a},
            {"sbi": "3212", "x": 20, "jobs": 1, "buurt_code": a},
            {"sbi": "4711", "x": 30, "jobs": 4, "buurt_code": a, "sbi_secondary": "5610"},
            {"sbi": "4711", "x": 40, "jobs": 6, "buurt_code": a, "sbi_secondary": ""},
            {"sbi": "4711", "x": 1010, "jobs": 3, "buurt_code": b_, "sbi_secondary": "9602"},
            {"sbi": "9003", "x": 1020, "jobs": 1, "buurt_code": b_},
            {"sbi": "6201", "x": 10, "y": 1010, "jobs": 1, "buurt_code": c},
            {"sbi": "1071", "x": 5000, "jobs": 5, "buurt_code": "BU99999999"},  # not an area
        ]
    )


def test_theme_counts_per_buurt_by_hand() -> None:
    b = counted_register()
    flags, _ = theme_flags(b, SETTINGS)
    t = theme_area_counts(areas(), b, flags, SETTINGS)
    assert list(t.index) == [7, 8, 9]
    assert t["n_establishments"].tolist() == [4, 2, 1]
    assert t["n_maker"].tolist() == [2, 1, 0] and t["jobs_maker"].tolist() == [3, 1, 0]
    assert t["n_retail"].tolist() == [2, 1, 0]
    assert t["n_mixed_retail"].tolist() == [1, 1, 0]
    assert t["jobs_mixed_retail"].tolist() == [4, 3, 0]
    # per km2 of land: 0.5 km2; no land area = NaN, never inf or 0
    assert t["n_maker_per_km2"].iloc[0] == pytest.approx(4.0)
    assert np.isnan(t["n_maker_per_km2"].iloc[1])
    assert t["share_n_mixed_retail_of_retail"].iloc[:2].tolist() == [0.5, 1.0]
    assert np.isnan(t["share_n_mixed_retail_of_retail"].iloc[2])  # no shops
    assert t["suppressed"].tolist() == [True, True, True]  # all below min_count 5
    # no social-enterprise flag in this register: unknown, not 0
    assert t["n_social_enterprise"].isna().all()
    assert t["buurt_name"].tolist() == ["Een", "Twee", "Drie"]


def test_wijk_counts_are_the_sums_of_their_buurten() -> None:
    b = counted_register()
    b["social_enterprise"] = pd.array([True] + [False] * (len(b) - 1), dtype="boolean")
    flags, _ = theme_flags(b, SETTINGS)
    buurten = theme_area_counts(areas(), b, flags, SETTINGS)
    wijken = areas().dissolve("wijk_code", aggfunc={"area_land_ha": "sum"}).reset_index()
    summed = theme_wijk_counts(wijken, buurten, SETTINGS)
    direct = theme_area_counts(wijken, b, flags, SETTINGS, key="wijk_code")
    pd.testing.assert_frame_equal(summed, direct)
    assert summed["n_maker"].tolist() == [3, 0]
    assert summed["n_social_enterprise"].tolist() == [1, 0]


def test_city_totals_and_the_share_of_mixed_retail() -> None:
    b = counted_register()
    flags, _ = theme_flags(b, SETTINGS)
    city = theme_city(theme_area_counts(areas(), b, flags, SETTINGS)).set_index("indicator")
    assert city.loc["n_maker", "value"] == 3  # the business outside every buurt is not counted
    assert city.loc["n_retail", "value"] == 3
    assert city.loc["share_n_mixed_retail_of_retail", "value"] == pytest.approx(2 / 3)
    assert np.isnan(city.loc["n_social_enterprise", "value"])


def test_top_areas_rank_by_value_then_code() -> None:
    table = pd.DataFrame(
        {
            "buurt_code": ["BU3", "BU1", "BU2", "BU4", "BU5", "BU6", "BU7"],
            "buurt_name": list("cabdefg"),
            "n_maker": [7, 7, 9, 0, np.nan, 3, 1],
            "suppressed": [False] * 7,
        }
    )
    top = top_areas(table, "n_maker", n=5)
    assert top["buurt_code"].tolist() == ["BU2", "BU1", "BU3", "BU6", "BU7"]
    assert top["rank"].tolist() == [1, 2, 3, 4, 5]
    assert top_areas(table, "n_maker", n=2)["buurt_code"].tolist() == ["BU2", "BU1"]
    assert top_areas(table.iloc[:0], "n_maker").empty


def test_hexagon_counts_per_theme_use_the_hexagon_rule() -> None:
    b = counted_register()
    flags, _ = theme_flags(b, SETTINGS)
    hexes = gpd.GeoDataFrame(
        {"hex_id": ["h1", "h0"]},
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
        crs="EPSG:28992",
        index=[5, 6],
    )
    out = theme_hexagon_counts(hexes, b, flags, min_count=5)
    assert list(out.index) == [5, 6]
    assert out["count_maker"].tolist() == [2, 1]
    assert out["jobs_maker"].tolist() == [3.0, 1.0]
    assert out["count_mixed_retail"].tolist() == [1, 1]
    assert out["count_social_enterprise"].isna().all()


def test_sum_by_index_and_by_area() -> None:
    out = sum_by_index([0, 2, -1, 2], 3, {"n": [1, 1, 1, 1], "w": [1.5, 2.0, 9.0, np.nan]})
    assert out["n"].tolist() == [1, 0, 2]
    assert out["w"].iloc[0] == 1.5 and out["w"].iloc[1] == 0 and np.isnan(out["w"].iloc[2])
    by_code = sum_by_area(["B", "A", None, "Z"], ["A", "B"], {"n": [1, 1, 1, 1]})
    assert by_code["n"].tolist() == [1, 1]
    assert sum_by_area([], ["A"], {"n": []})["n"].tolist() == [0]


# --- growth ---------------------------------------------------------------------------------


def growth_register() -> gpd.GeoDataFrame:
    b = register(
        [
            {"sbi": "1071", "x": 0, "start_year": 2015},
            {"sbi": "1071", "x": 1, "start_year": 2017},
            {"sbi": "4711", "x": 2, "start_year": 2017, "sbi_secondary": "5610"},
            {"sbi": "6201", "x": 3, "start_year": 2018},  # not yet there on 1-1-2018
            {"sbi": "6201", "x": 4, "start_year": None},
        ]
    )
    b["start_year"] = b["start_year"].astype("Int64")
    return b


def test_register_counts_on_the_first_of_january() -> None:
    b = growth_register()
    flags, _ = theme_flags(b, SETTINGS)
    counts, unknown = register_theme_counts(areas(), b, flags, [2016, 2018, 2019])
    city = counts.groupby("peildatum")[["total", "maker", "mixed_retail"]].sum()
    assert city["total"].tolist() == [1, 3, 4]
    assert city["maker"].tolist() == [1, 2, 2]
    assert city["mixed_retail"].tolist() == [0, 1, 1]
    assert unknown == 1
    assert len(counts) == 3 * 3  # every area in every year, also where there is nobody


def test_theme_growth_from_start_years_says_closures_are_unknown() -> None:
    b = growth_register()
    flags, _ = theme_flags(b, SETTINGS)
    g = theme_growth(areas(), b, flags, 2016, 2019)
    city = g.growth.table[g.growth.table["level"] == "gemeente"].iloc[0]
    assert city["maker_start"] == 1 and city["maker_end"] == 2
    assert city["maker_change_pct"] == pytest.approx(1.0)
    assert not city["method_break"]
    assert "social_enterprise_change" not in g.growth.table  # no flag: no growth claimed
    notes = g.notes("en")
    assert any("Closures are unknown" in n for n in notes)
    assert "1 establishments have no start year and are counted in no year." in notes
    with pytest.raises(ConfigError, match="start year 2019 is not before end year 2019"):
        theme_growth(areas(), b, flags, 2019, 2019)


def test_proxy_growth_from_the_cbs_groups() -> None:
    counts = load_cbs_counts()
    g = proxy_growth(counts, 2018, 2021, SETTINGS.themes)
    city = g.growth.table[g.growth.table["code"] == "GM0034"].iloc[0]
    cbs = counts[counts["code"] == "GM0034"].set_index("peildatum")
    first, last = cbs.index.min(), cbs.index.max()
    assert first.year == 2018 and last.year >= 2021
    start = cbs.loc[cbs.index == first].iloc[0]
    assert city["maker_start"] == start["B-F"] and city["mixed_retail_start"] == start["G+I"]
    assert city["method_break"]  # 2018-2021 crosses CBS's change of 1-1-2020
    notes = g.notes("en")
    assert any("CBS sector group B-F" in n for n in notes)
    assert any("social enterprises" in n for n in notes)
    assert any("for the first time" in n for n in notes)  # the CBS break, from growth.py
    with pytest.raises(SchemaError, match="cbs_proxy"):
        proxy_growth(counts.drop(columns="B-F"), 2018, 2021, SETTINGS.themes)


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('maker_divisions = "10-"', "themes.maker_divisions = '10-'"),
        ('mixed_divisions = "56-55"', "divisions '56-55' must be a range within 01-99"),
        ("building_min_establishments = 1", r"building_min_establishments = 1 is out of range"),
        ('building_direction = "near"', "is not one of cluster, avoid"),
        ('cbs_proxy_maker = "C"', "themes.cbs_proxy_maker = 'C' is not one of"),
    ],
)
def test_bad_theme_settings_are_explained(tmp_path: Any, line: str, message: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(f"[themes]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg)


def test_theme_defaults() -> None:
    t = SETTINGS.themes
    assert sorted(t.maker_set()) == [*range(10, 34), 90, 95]
    assert t.retail_set() == frozenset({47})
    assert t.building_min_establishments == 5 and t.building_direction == "cluster"


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_counts_and_growth_of_small_registers_are_complete(n: int) -> None:
    b = register([{"sbi": "1071", "x": 10.0 * i, "start_year": 2000 + i} for i in range(n)])
    b["start_year"] = b["start_year"].astype("Int64") if n else pd.Series(dtype="Int64")
    flags, _ = theme_flags(b, SETTINGS)
    land = areas().assign(area_land_ha=[np.nan, 50.0, 100.0])  # NULL land area
    t = theme_area_counts(land, b, flags, SETTINGS)
    assert t["n_maker"].tolist() == [n, 0, 0] and len(t) == 3
    assert np.isnan(t["n_maker_per_km2"].iloc[0])
    assert t["suppressed"].tolist() == [n < 5, True, True]
    city = theme_city(t).set_index("indicator")["value"]
    assert city["n_maker"] == n
    assert len(top_areas(t, "n_maker")) == (1 if n else 0)
    g = theme_growth(land, b, flags, 2001, 2010)
    city_growth = g.growth.table[g.growth.table["level"] == "gemeente"].iloc[0]
    assert city_growth["maker_start"] == min(n, 1)  # only the one started in 2000
    assert city_growth["maker_end"] == n


def test_addresses_need_an_id_or_a_point() -> None:
    plain = pd.DataFrame({"sbi_division": [47, 56], "small_scale": [True, True]})
    with pytest.raises(SchemaError, match="give an address_id column or point geometry"):
        theme_flags(plain, SETTINGS)
    flags, notes = theme_flags(plain.assign(address_id=["A", "A"]), SETTINGS)
    assert flags["mixed_retail"].tolist() == [True, False] and notes["address"] == "bag_id"
