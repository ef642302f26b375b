"""Classification and indicators on hand-built data with known answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from almere_gis.analysis.classify import classify_businesses
from almere_gis.analysis.indicators import (
    area_indicators,
    city_indicators,
    safe_rate,
    wijk_indicators,
)
from almere_gis.analysis.typology import area_typology
from almere_gis.settings import load_settings

S = load_settings()


def _areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "buurt_code": ["BU00010001", "BU00010071", "BU00010002"],
            "buurt_name": ["Oost", "Werkpark", "Leeg"],
            "wijk_code": ["WK000100", "WK000100", "WK000100"],
            "inhabitants": [2000.0, 0.0, np.nan],
            "homes": [1000.0, 0.0, 10.0],
            "area_land_ha": [100.0, 50.0, 0.0],
        },
        geometry=shapely.box([0, 1000, 2000], [0, 0, 0], [1000, 2000, 3000], [1000, 1000, 1000]),
        crs="EPSG:28992",
    )


def _businesses() -> gpd.GeoDataFrame:
    b = gpd.GeoDataFrame(
        {
            "sbi": ["6201", "4711", "2511", "9602", "1071"],
            "jobs": [1, 3, 120, 1, 12],
            "home_based": [True, False, False, True, False],
            "social_enterprise": pd.array([False, True, False, pd.NA, False], dtype="boolean"),
            "buurt_code": ["BU00010001", "BU00010001", "BU00010071", "BU00010001", "BU00010071"],
            "wijk_code": ["WK000100"] * 5,
        },
        geometry=shapely.points(np.arange(5.0), np.zeros(5)),
        crs="EPSG:28992",
    )
    return classify_businesses(b, settings=S.classification)


def test_classification() -> None:
    b = _businesses()
    assert b["sector_group"].tolist() == [
        "ict_creatief",
        "detailhandel",
        "maakindustrie",
        "persoonlijk",
        "maakindustrie",
    ]
    assert b["small_scale"].tolist() == [True, True, False, True, False]
    assert b["zzp"].tolist() == [True, False, False, True, False]


def test_threshold_is_a_setting() -> None:
    c = S.replace("classification", small_scale_max_jobs=12).classification
    out = classify_businesses(_businesses(), settings=c)
    assert out["small_scale"].tolist() == [True, True, False, True, True]


def test_business_services_otherwise_excludes_creative() -> None:
    b = _businesses().assign(sbi=["7311", "7022", "8211", "9001", "6420"])
    out = classify_businesses(b, settings=S.classification)
    assert out["sector_group"].tolist() == [
        "ict_creatief",
        "zakelijk",
        "zakelijk",
        "ict_creatief",
        "overig",
    ]


def test_area_indicators_known_values() -> None:
    out = area_indicators(
        _areas(), _businesses(), key="buurt_code", classification=S.classification, min_count=3
    )
    r = out.set_index("buurt_code")
    assert r.loc["BU00010001", "n_establishments"] == 3
    assert r.loc["BU00010001", "jobs"] == 5
    assert r.loc["BU00010001", "n_home_based"] == 2
    assert r.loc["BU00010001", "jobs_small_scale"] == 5
    assert r.loc["BU00010071", "jobs"] == 132
    assert r.loc["BU00010002", "n_establishments"] == 0
    # 5 jobs on 1 km2 of land; 3 establishments per 2,000 inhabitants.
    assert r.loc["BU00010001", "jobs_per_km2"] == pytest.approx(5.0)
    assert r.loc["BU00010001", "n_establishments_per_1000_inhabitants"] == pytest.approx(1.5)
    assert r.loc["BU00010001", "share_jobs"] == pytest.approx(5 / 137)
    # Denominators 0 or missing give NaN, never 0 or inf.
    assert np.isnan(r.loc["BU00010071", "n_establishments_per_1000_inhabitants"])
    assert np.isnan(r.loc["BU00010002", "jobs_per_km2"])
    assert np.isnan(r.loc["BU00010002", "n_establishments_per_1000_inhabitants"])
    numeric = out.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(numeric).any()
    # LQ of manufacturing jobs on the business park: (132/132) / (132/137).
    assert r.loc["BU00010071", "lq_maakindustrie"] == pytest.approx(137 / 132)
    assert r.loc["BU00010001", "n_social_enterprise"] == 1
    assert r["suppressed"].tolist() == [False, True, True]


def test_typology_and_residential_share() -> None:
    areas = _areas()
    areas["area_type"] = area_typology(areas, S.typology)
    assert areas["area_type"].tolist() == ["wonen", "bedrijventerrein", "wonen"]
    ind = area_indicators(
        areas, _businesses(), key="buurt_code", classification=S.classification, min_count=5
    )
    city = city_indicators(ind).set_index("indicator")["value"]
    assert city["aandeel_banen_in_woonbuurten"] == pytest.approx(5 / 137)
    assert city["banen"] == 137


def test_typology_without_code_convention() -> None:
    areas = pd.DataFrame(
        {
            "buurt_code": ["BU99990001", "BU99990002", "BU99990003"],
            "buurt_name": ["Industrieweg", "Polder", "Dorp"],
            "homes": [2.0, 30.0, np.nan],
            "area_land_ha": [40.0, 900.0, 50.0],
        }
    )
    assert area_typology(areas, S.typology).tolist() == [
        "bedrijventerrein",
        "buitengebied",
        "wonen",
    ]


def test_safe_rate() -> None:
    got = safe_rate([1.0, 1.0, 1.0, np.nan], [2.0, 0.0, np.nan, 1.0], 10)
    np.testing.assert_array_equal(got, [5.0, np.nan, np.nan, np.nan])


def _many(n: int, seed: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Random buurten in three wijken (one buurt without businesses) and ``n`` businesses."""
    rng = np.random.default_rng(seed)
    codes = [f"BU0001{i:04d}" for i in range(12)]
    wijk = [f"WK0001{i % 3:02d}" for i in range(12)]
    boxes = shapely.box(np.arange(12) * 100.0, 0, np.arange(12) * 100.0 + 100, 100)
    areas = gpd.GeoDataFrame(
        {"buurt_code": codes, "wijk_code": wijk, "inhabitants": rng.integers(0, 900, 12) * 1.0,
         "homes": rng.integers(0, 400, 12) * 1.0, "area_land_ha": rng.uniform(0, 80, 12)},
        geometry=boxes, crs="EPSG:28992", index=[f"r{i}" for i in range(12)],
    )  # fmt: skip
    wijken = gpd.GeoDataFrame(
        {"wijk_code": ["WK000102", "WK000100", "WK000101"], "inhabitants": [10.0, 0.0, np.nan],
         "homes": [5.0, 3.0, 1.0], "area_land_ha": [100.0, 0.0, 50.0]},
        geometry=shapely.box([0, 0, 0], 0, 1, 1), crs="EPSG:28992",
    )  # fmt: skip
    pick = rng.integers(0, 11, n)  # buurt 11 stays empty
    sbi = rng.choice(["6201", "4711", "2511", "9602", "1071", "7022", "6420", "4120"], n)
    b = gpd.GeoDataFrame(
        {"sbi": sbi, "jobs": rng.integers(1, 40, n), "home_based": rng.random(n) < 0.3,
         "social_enterprise": pd.array(rng.random(n) < 0.1, dtype="boolean"),
         "buurt_code": pd.array(np.array(codes)[pick], dtype="string"),
         "wijk_code": pd.array(np.array(wijk)[pick], dtype="string")},
        geometry=shapely.points(pick * 100.0 + 50, np.full(n, 50.0)), crs="EPSG:28992",
    )  # fmt: skip
    return areas, wijken, classify_businesses(b, settings=S.classification)


def test_counts_match_a_groupby_reference() -> None:
    areas, _, b = _many(5_000, 3)
    out = area_indicators(areas, b, key="buurt_code", classification=S.classification, min_count=5)
    assert out.index.equals(areas.index)
    groups = b.groupby("buurt_code")
    ref = pd.DataFrame({
        "n_establishments": groups.size(),
        "jobs": groups["jobs"].sum(),
        "n_home_based": groups["home_based"].sum(),
        "jobs_small_scale": b[b["small_scale"]].groupby("buurt_code")["jobs"].sum(),
        "n_maakindustrie": b[b["sector_group"] == "maakindustrie"].groupby("buurt_code").size(),
    }).reindex(areas["buurt_code"]).fillna(0.0)  # fmt: skip
    for col in ref.columns:
        np.testing.assert_array_equal(out[col].to_numpy(), ref[col].to_numpy(dtype=float))
    assert out.loc["r11", "n_establishments"] == 0
    share = out["jobs"] / b["jobs"].sum()
    np.testing.assert_allclose(out["share_jobs"], share)


def test_wijk_figures_are_sums_of_the_buurt_figures() -> None:
    areas, wijken, b = _many(3_000, 4)
    cls = S.classification
    buurten = area_indicators(areas, b, key="buurt_code", classification=cls, min_count=5)
    direct = area_indicators(wijken, b, key="wijk_code", classification=cls, min_count=5)
    summed = wijk_indicators(wijken, buurten, classification=cls, min_count=5)
    assert list(summed.columns) == list(direct.columns)
    pd.testing.assert_frame_equal(summed, direct, check_exact=False, rtol=1e-12)
    assert (summed["n_establishments"] > 0).all()


def test_codes_outside_the_areas_and_missing_codes_are_not_counted_per_area() -> None:
    areas, _, b = _many(500, 5)
    b["buurt_code"] = b["buurt_code"].astype(object)
    b.loc[b.index[:7], "buurt_code"] = "BU99999999"  # not among the areas
    b.loc[b.index[7:10], "buurt_code"] = None
    out = area_indicators(areas, b, key="buurt_code", classification=S.classification, min_count=5)
    assert out["n_establishments"].sum() == 490
    # The city total (the denominator of the shares) counts the unknown code, not the missing.
    assert out["share_n_establishments"].sum() == pytest.approx(490 / 497)
