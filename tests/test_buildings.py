"""Existing bedrijfsverzamelgebouwen: detection (N and N-1, homes never), per-building figures,
the site criterion and the reach of hexagons; and one run on the demo register."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from almere_gis._errors import InputError, SchemaError
from almere_gis.analysis.buildings import (
    building_notes,
    buildings_within,
    distance_to_buildings,
    find_buildings,
)
from almere_gis.analysis.classify import classify_businesses
from almere_gis.analysis.privacy import public_areas
from almere_gis.analysis.themes import theme_flags
from almere_gis.settings import load_settings

SETTINGS = load_settings()


def register(groups: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Establishments by address: each group gives ``n`` establishments at ``(x, y)``.

    Optional per group: ``sbi`` (one code or a list of n), ``jobs``, ``home`` (bool or list),
    ``buurt`` (one code or a list), ``address_id``. Index labels start at 1000.
    """
    rows: list[dict[str, Any]] = []
    for g in groups:
        n = g["n"]

        def each(key: str, default: Any, n: int = n, g: dict[str, Any] = g) -> list[Any]:
            value = g.get(key, default)
            return list(value) if isinstance(value, list) else [value] * n

        for sbi, jobs, home, buurt in zip(
            each("sbi", "6201"),
            each("jobs", 1),
            each("home", False),
            each("buurt", "BU00010101"),
            strict=True,
        ):
            rows.append(
                {
                    "sbi": sbi,
                    "jobs": jobs,
                    "home_based": home,
                    "buurt_code": buurt,
                    "x": g["x"],
                    "y": g.get("y", 0.0),
                    "address_id": g.get("address_id"),
                }
            )
    frame = pd.DataFrame(
        rows, columns=["sbi", "jobs", "home_based", "buurt_code", "x", "y", "address_id"]
    )
    frame["wijk_code"] = "WK" + frame["buurt_code"].str[2:8]
    if frame["address_id"].isna().all():
        frame = frame.drop(columns="address_id")
    gdf = gpd.GeoDataFrame(
        frame.drop(columns=["x", "y"]).set_axis(pd.RangeIndex(1000, 1000 + len(frame))),
        geometry=shapely.points(frame["x"].to_numpy(float), frame["y"].to_numpy(float)),
        crs="EPSG:28992",
    )
    return classify_businesses(gdf, settings=SETTINGS.classification)


def test_exactly_n_at_one_address_is_a_building_and_n_minus_1_is_not() -> None:
    b = register([{"n": 5, "x": 0}, {"n": 4, "x": 500}, {"n": 1, "x": 900}])
    found = find_buildings(b, SETTINGS)
    assert len(found) == 1
    assert found["n_establishments"].tolist() == [5]
    assert shapely.equals(found.geometry.iloc[0], shapely.Point(0, 0))
    # the threshold is a setting: at N = 4 the second address is one too
    lower = SETTINGS.replace("themes", building_min_establishments=4)
    assert sorted(find_buildings(b, lower)["n_establishments"].tolist()) == [4, 5]


def test_a_home_with_many_registrations_of_one_household_is_not_a_building() -> None:
    b = register(
        [
            {"n": 7, "x": 0, "home": True, "sbi": "6420"},  # one household's holdings at home
            {"n": 6, "x": 300, "home": [False] * 5 + [True]},  # a home among them: a home
            {"n": 5, "x": 600},  # a real building
        ]
    )
    found = find_buildings(b, SETTINGS)
    assert found["n_establishments"].tolist() == [5]
    assert shapely.equals(found.geometry.iloc[0], shapely.Point(600, 0))
    assert found.attrs["homes_left_out"] == 2
    assert not found.geometry.intersects(shapely.MultiPoint([(0, 0), (300, 0)])).any()


def test_bag_id_groups_points_and_splits_shared_coordinates() -> None:
    b = register(
        [
            # one verblijfsobject, its tenants' points a few metres apart
            *({"n": 1, "x": float(i), "address_id": "0034010000000001"} for i in range(5)),
            # five verblijfsobjecten on one point: five addresses of one establishment each
            *({"n": 1, "x": 900, "address_id": f"003401000000010{i}"} for i in range(5)),
        ]
    )
    found = find_buildings(b, SETTINGS)
    assert len(found) == 1 and found["n_establishments"].tolist() == [5]
    assert shapely.equals(found.geometry.iloc[0], shapely.Point(2, 0))  # mean of 0..4
    assert found.attrs["address_method"] == "bag_id"
    assert "0034010000000001" not in found["building_id"].tolist()


def test_figures_per_building() -> None:
    b = register(
        [
            {
                "n": 6,
                "x": 100,
                "sbi": ["1071", "1071", "3212", "6201", "6920", "4120"],
                "jobs": [2, 3, 1, 12, 1, 4],
                "buurt": ["BU00010102"] * 4 + ["BU00010101"] * 2,  # on a boundary: majority
            },
            {"n": 8, "x": 0, "buurt": "BU00010102"},
            {"n": 5, "x": 50, "buurt": "BU00010101"},
        ]
    )
    found = find_buildings(b, SETTINGS)
    # sorted by buurt, then largest first; ids are numbers, not addresses
    assert found["buurt_code"].tolist() == ["BU00010101", "BU00010102", "BU00010102"]
    assert found["n_establishments"].tolist() == [5, 8, 6]
    assert found["building_id"].tolist() == ["BVG0001", "BVG0002", "BVG0003"]
    mixed = found.iloc[2]
    assert mixed["jobs"] == 23
    assert mixed["n_small_scale"] == 5 and mixed["share_n_small_scale"] == pytest.approx(5 / 6)
    assert mixed["n_maker"] == 3 and mixed["share_n_maker"] == pytest.approx(0.5)
    assert mixed["n_maakindustrie"] == 3 and mixed["n_ict_creatief"] == 1
    assert mixed["n_bouw"] == 1 and mixed["n_zakelijk"] == 1
    sectors = [
        c
        for c in found.columns
        if c.startswith("n_") and c not in ("n_establishments", "n_small_scale", "n_maker")
    ]
    assert (found[sectors].sum(axis=1) == found["n_establishments"]).all()  # the full mix
    assert mixed["wijk_code"] == "WK000101"
    assert found.crs.equals("EPSG:28992")


def test_counts_follow_the_min_count_rule() -> None:
    b = register([{"n": 3, "x": 0}, {"n": 6, "x": 800}])
    three = SETTINGS.replace("themes", building_min_establishments=3)
    found = find_buildings(b, three)
    assert found["n_establishments"].tolist() == [6, 3]
    assert found["suppressed"].tolist() == [False, True]
    small = found[found["n_establishments"] == 3].iloc[0]
    assert small["suppressed"]
    public = public_areas(found, min_count=SETTINGS.privacy.min_count)
    row = found.index[found["n_establishments"] == 3][0]
    assert public.is_hidden("n_establishments")[row] and public.is_hidden("jobs")[row]
    assert np.isnan(public.data.loc[row, "share_n_maker"])
    # the site criterion never points at a building that may not be published
    site = gpd.GeoDataFrame(geometry=[shapely.Point(10, 0)], crs="EPSG:28992")
    near = distance_to_buildings(site, found)
    assert near["building_distance_m"].tolist() == [790.0]
    assert near["nearest_building_n_establishments"].tolist() == [6]


def test_degenerate_registers() -> None:
    empty = find_buildings(register([]), SETTINGS)
    assert len(empty) == 0 and "n_establishments" in empty.columns
    assert empty.crs.equals("EPSG:28992")
    one = find_buildings(register([{"n": 1, "x": 0}]), SETTINGS)
    assert len(one) == 0
    everyone_at_home = register([{"n": 9, "x": 0, "home": True}])
    assert len(find_buildings(everyone_at_home, SETTINGS)) == 0


def test_refuses_what_would_hide_homes_or_miss_a_join() -> None:
    b = register([{"n": 5, "x": 0}])
    with pytest.raises(SchemaError, match="home_based"):
        find_buildings(b.drop(columns="home_based"), SETTINGS)
    with pytest.raises(InputError, match="EPSG:28992"):
        find_buildings(b.to_crs(4326), SETTINGS)


def test_building_notes_state_the_rule() -> None:
    found = find_buildings(register([{"n": 5, "x": 0}]), SETTINGS)
    nl = building_notes(found, "nl")
    assert nl[0].startswith("Een bedrijfsverzamelgebouw is een adres met minstens 5 vestigingen")
    assert nl[1] == "Hetzelfde adres: dezelfde coördinaat (het register heeft geen BAG-id)."


# --- the site criterion and the reach of hexagons ------------------------------------------


def two_buildings() -> gpd.GeoDataFrame:
    return find_buildings(register([{"n": 5, "x": 0}, {"n": 7, "x": 1000}]), SETTINGS)


def test_distance_to_the_nearest_building() -> None:
    buildings = two_buildings()
    sites = gpd.GeoDataFrame(
        {"site_id": ["a", "b", "c", "d", "e"]},
        geometry=[
            shapely.Point(3, 4),  # 5 m from the first
            shapely.Point(500, 0),  # exactly between: the lowest building_id wins
            shapely.box(900, -10, 1100, 10),  # a polygon holding the second: 0 m
            shapely.Point(1000, -300),
            None,  # no geometry: no distance
        ],
        crs="EPSG:28992",
        index=[11, 12, 13, 14, 15],
    )
    out = distance_to_buildings(sites, buildings)
    assert list(out.index) == [11, 12, 13, 14, 15]
    assert out["building_distance_m"].iloc[:4].tolist() == [5.0, 500.0, 0.0, 300.0]
    assert np.isnan(out["building_distance_m"].iloc[4])
    # same buurt, so the larger building comes first: BVG0001 is the one at x = 1000
    assert buildings["n_establishments"].tolist() == [7, 5]
    assert out["nearest_building_id"].tolist()[:4] == ["BVG0002", "BVG0001", "BVG0001", "BVG0001"]
    assert out["nearest_building_id"].isna().tolist()[4]
    assert out["nearest_building_n_establishments"].tolist()[:4] == [5, 7, 7, 7]


def test_without_buildings_every_distance_is_missing() -> None:
    none = find_buildings(register([{"n": 2, "x": 0}]), SETTINGS)
    sites = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs="EPSG:28992")
    out = distance_to_buildings(sites, none)
    assert np.isnan(out["building_distance_m"].iloc[0])
    assert out["nearest_building_id"].isna().all()
    hexes = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 10, 10)], crs="EPSG:28992")
    assert buildings_within(hexes, none, 800.0)["no_building_within"].tolist() == [True]


def test_buildings_within_reach_of_hexagons() -> None:
    buildings = two_buildings()
    hexes = gpd.GeoDataFrame(
        geometry=[
            shapely.box(-100, -100, 100, 100),  # holds the first
            shapely.box(200, -100, 400, 100),  # 200 m from the first, 600 from the second
            shapely.box(750, -100, 900, 100),  # 100 m from the second, 750 from the first
            shapely.box(-100, 350, 100, 450),  # exactly 350 m from the first: not nearer
            shapely.box(3000, 3000, 3100, 3100),
        ],
        crs="EPSG:28992",
        index=list("abcde"),
    )
    out = buildings_within(hexes, buildings, 250.0)
    assert list(out.index) == list("abcde")
    assert out["n_buildings_within"].tolist() == [1, 1, 1, 0, 0]
    assert out["no_building_within"].tolist() == [False, False, False, True, True]
    wide = buildings_within(hexes, buildings, 800.0)
    assert wide["n_buildings_within"].tolist() == [1, 2, 2, 1, 0]
    assert buildings_within(hexes, buildings, 350.0)["n_buildings_within"].tolist()[3] == 0


# --- the demo register ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The demo register as the run joins it, with the two columns INPUTS will map."""
    from almere_gis.analysis.join import join_businesses
    from almere_gis.pipeline.inputs import read_inputs

    inputs = read_inputs(SETTINGS)
    classified = classify_businesses(inputs.businesses, settings=SETTINGS.classification)
    joined = join_businesses(
        classified, inputs.buurten, rejects=inputs.rejects, n_input=inputs.n_input
    ).joined
    raw = pd.read_csv(SETTINGS.paths.businesses, dtype=str, keep_default_na=False)
    rows = joined["source_row"].to_numpy() - 1
    joined["sbi_secondary"] = raw["sbi_neven"].to_numpy()[rows]
    joined["address_id"] = raw["bag_vbo_id"].to_numpy()[rows]
    return joined, raw


def test_demo_register_buildings_and_themes(demo: tuple[gpd.GeoDataFrame, pd.DataFrame]) -> None:
    joined, raw = demo
    found = find_buildings(joined, SETTINGS)
    # counted independently on the raw file: verblijfsobjecten with 5 or more registrations
    per_vbo = raw.groupby("bag_vbo_id")["aan_huis"].agg(["size", lambda s: (s == "1").any()])
    per_vbo.columns = ["size", "home"]
    expected = per_vbo[(per_vbo["size"] >= 5) & ~per_vbo["home"]]
    assert len(found) == len(expected) == 42  # the demo README's 42 buildings
    assert sorted(found["n_establishments"]) == sorted(expected["size"])
    assert found["n_establishments"].sum() == 486
    assert found.attrs["homes_left_out"] == 3  # the README's three household homes
    assert found.attrs["address_method"] == "bag_id"
    # no building point is the point of a home-based establishment
    homes = joined[joined["home_based"].to_numpy(dtype=bool)]
    home_xy = set(zip(homes.geometry.x, homes.geometry.y, strict=True))
    assert not home_xy & set(zip(found.geometry.x, found.geometry.y, strict=True))
    assert found["buurt_code"].notna().all() and not found["suppressed"].any()

    flags, notes = theme_flags(joined, SETTINGS)
    assert notes["mixed_retail"] == "secondary_sbi" and notes["social_enterprise"] == "register"
    shops = raw["sbi"].str.startswith("47").to_numpy()[joined["source_row"].to_numpy() - 1]
    share = flags["mixed_retail"].to_numpy()[shops].mean()
    assert 0.20 < share < 0.28  # the README: 24 % of shops carry a mixed activity
    assert flags.loc[flags["maker"], :].index.isin(joined.index[joined["small_scale"]]).all()
    assert flags["social_enterprise"].sum() == (raw["sociale_onderneming"] == "1").sum()
