"""Readable sites: stability in words, weight shares, the building criterion, notes, small counts.

Hand-built data in RD New metres around an origin in Almere, as in test_sites.py.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from almere_gis._errors import ConfigError
from almere_gis.analysis.sites import (
    CRITERIA,
    criteria_table,
    field_descriptions,
    rank_stability,
    score_sites,
    search_zones,
    site_notes,
    stability_key,
)
from almere_gis.settings import load_settings
from almere_gis.texts import text

RD = "EPSG:28992"
X0, Y0 = 140_000.0, 485_000.0
FAR = 10_000.0
ZERO = dict.fromkeys(CRITERIA, 0.0)
BASE = load_settings()  # privacy.min_count = 5


def _settings(*, weights=None, themes=None, **changes):
    s = BASE
    if weights is not None:
        changes["weights"] = {**ZERO, **weights}
    if themes:
        s = s.replace("themes", **themes)
    return s.replace("sites", **changes) if changes else s


def _sites(xs: list[float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "site_id": pd.array([f"S{i}" for i in range(len(xs))], dtype="string"),
            "floor_area_m2": 1000.0,
            "vacancy_share": 0.5,
        },
        geometry=shapely.points([X0 + x for x in xs], [Y0] * len(xs)),
        crs=RD,
    )


def _businesses(points: list[tuple[float, float]], **columns) -> gpd.GeoDataFrame:
    n = len(points)
    frame = pd.DataFrame(
        {
            "sector_group": pd.array(["bouw"] * n, dtype="string"),
            "jobs": columns.get("jobs", [2] * n),
            "small_scale": [True] * n,
            "home_based": [False] * n,
        }
    )
    geom = shapely.points([X0 + x for x, _ in points], [Y0 + y for _, y in points])
    return gpd.GeoDataFrame(frame, geometry=geom, crs=RD)


def _buildings(xs: list[float], suppressed: list[bool] | None = None) -> gpd.GeoDataFrame:
    n = len(xs)
    return gpd.GeoDataFrame(
        {
            "building_id": [f"BVG{i + 1:04d}" for i in range(n)],
            "n_establishments": [12] * n,
            "suppressed": suppressed or [False] * n,
        },
        geometry=shapely.points([X0 + x for x in xs], [Y0 + 5_000.0] * n),
        crs=RD,
    )


# -- stability in words ------------------------------------------------------------------------


def test_stability_key_thresholds() -> None:
    p = np.array([1.0, 0.95, 0.9499, 0.001, 0.0])
    assert stability_key(p, 0.95).tolist() == [
        "always",
        "always",
        "sometimes",
        "sometimes",
        "never",
    ]
    assert stability_key(p, 0.9).tolist()[2] == "always"


def test_rank_stability_says_always_sometimes_never() -> None:
    # s0 best on both criteria, s1 and s2 trade places, s3 worst on both, s4 excluded
    frame = pd.DataFrame({"site_id": [f"s{i}" for i in range(5)], "excluded": False})
    for key in CRITERIA:
        frame[f"{key}_norm"] = 0.0
    frame["demand_walk_norm"] = [1.0, 0.8, 0.2, 0.0, 1.0]
    frame["fit_norm"] = [1.0, 0.2, 0.8, 0.0, 1.0]
    frame.loc[4, "excluded"] = True
    s = _settings(weights={"demand_walk": 0.5, "fit": 0.5}, top_k=2)
    out = rank_stability(frame, settings=s)
    assert out["stability"].iloc[:4].tolist() == ["always", "sometimes", "sometimes", "never"]
    assert pd.isna(out["stability"].iloc[4])
    assert 0 < out["p_top_k"].iloc[1] < 1 and out["p_top_k"].iloc[3] == 0.0
    for lang, word in (("nl", "nooit in de top 2"), ("en", "never in the top 2")):
        assert text("sites.stability.never", lang, k=2) == word


# -- weights as the shares the score uses --------------------------------------------------------


def test_weight_columns_are_the_shares_the_score_uses() -> None:
    sites = _sites([0.0, FAR, 2 * FAR])
    businesses = _businesses([(10.0 * i, 0.0) for i in range(7)] + [(FAR, 100.0)])
    s = _settings(weights={"demand_walk": 3.0, "fit": 1.0})  # sum 4: rescaled
    out = score_sites(sites, businesses, hexagons=None, buurten=None, settings=s)
    shares = out[[f"weight_{k}" for k in CRITERIA]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert out["weight_demand_walk"].tolist() == [0.75] * 3
    assert out["weight_fit"].tolist() == [0.25] * 3
    recomputed = sum(out[f"{k}_norm"].fillna(0) * out[f"weight_{k}"] for k in CRITERIA)
    np.testing.assert_allclose(out["score"], recomputed)


def test_note_when_the_weights_do_not_sum_to_one() -> None:
    doubled = _settings(weights={"demand_walk": 1.0, "fit": 1.0})
    out = score_sites(_sites([0.0]), _businesses([]), hexagons=None, buurten=None, settings=doubled)
    notes = site_notes(out, doubled, "nl")
    assert len(notes) == 1 and "200 %" in notes[0] and "herschaald naar 100 %" in notes[0]
    assert "200 %" in site_notes(out, doubled, "en")[0]
    assert site_notes(out, _settings(weights={"demand_walk": 0.5, "fit": 0.5}), "nl") == []


# -- the building criterion ---------------------------------------------------------------------


def _building_case(direction: str, **kwargs):
    # one building 100 m west of S0, the sites in a row to the east of it
    sites = _sites([0.0, 300.0, 600.0, 3000.0])
    buildings = gpd.GeoDataFrame(
        {"building_id": ["BVG0001"], "n_establishments": [12], "suppressed": [False]},
        geometry=[shapely.Point(X0 - 100.0, Y0)],
        crs=RD,
    )
    s = _settings(
        weights={"fit": 0.5, "building": 0.5},
        themes={"building_direction": direction, "building_reach_m": 800.0},
    )
    return score_sites(
        sites, _businesses([]), hexagons=None, buurten=None, settings=s, buildings=buildings
    )


def test_building_criterion_cluster_prefers_a_near_building() -> None:
    out = _building_case("cluster")
    np.testing.assert_allclose(out["building_distance_m"], [100.0, 400.0, 700.0, 3100.0])
    np.testing.assert_allclose(out["building_raw"], [100.0, 400.0, 700.0, 800.0])  # capped
    np.testing.assert_allclose(out["building_norm"], [1.0, 4 / 7, 1 / 7, 0.0])
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert "100 m tot een bedrijfsverzamelgebouw" in out["explanation"].iloc[0]
    assert "geen bedrijfsverzamelgebouw binnen 800 m" in out["explanation"].iloc[3]


def test_building_criterion_avoid_prefers_no_building_nearby() -> None:
    out = _building_case("avoid")
    np.testing.assert_allclose(out["building_norm"], [0.0, 3 / 7, 6 / 7, 1.0])
    assert out["rank"].tolist() == [4, 3, 2, 1]


def test_suppressed_buildings_do_not_count() -> None:
    sites = _sites([0.0, 500.0])
    hidden = _buildings([0.0], suppressed=[True])
    s = _settings(weights={"demand_walk": 0.5, "building": 0.5})
    out = score_sites(
        sites, _businesses([]), hexagons=None, buurten=None, settings=s, buildings=hidden
    )
    assert out["building_raw"].isna().all() and out["weight_building"].eq(0).all()


def test_without_buildings_the_score_is_unchanged_and_said_so() -> None:
    sites = _sites([0.0, FAR, 2 * FAR])
    sites["floor_area_m2"] = [400.0, 1000.0, 5000.0]
    businesses = _businesses([(10.0 * i, 0.0) for i in range(6)] + [(FAR, 30.0)])
    without = _settings(weights={"demand_walk": 0.5, "fit": 0.5})
    with_weight = _settings(weights={"demand_walk": 0.45, "fit": 0.45, "building": 0.1})
    a = score_sites(sites, businesses, hexagons=None, buurten=None, settings=without)
    b = score_sites(sites, businesses, hexagons=None, buurten=None, settings=with_weight)
    np.testing.assert_allclose(b["score"], a["score"])
    assert b["weight_building"].eq(0).all() and b["weight_fit"].eq(0.5).all()
    assert b["building_norm"].isna().all() and b["building_raw"].isna().all()
    assert (
        b["explanation"]
        .str.endswith(
            "; bestaand bedrijfsverzamelgebouw telt niet mee: geen bestaande gebouwen bekend."
        )
        .all()
    )
    assert not a["explanation"].str.contains("bedrijfsverzamelgebouw").any()
    notes = site_notes(b, with_weight, "nl")
    assert any("Bestaand bedrijfsverzamelgebouw" in n for n in notes)
    assert site_notes(a, without, "nl") == []
    # an empty buildings frame is "no buildings" too
    c = score_sites(
        sites, businesses, hexagons=None, buurten=None, settings=with_weight,
        buildings=_buildings([]),
    )  # fmt: skip
    np.testing.assert_allclose(c["score"], a["score"])


def test_only_the_building_weight_without_buildings_is_refused() -> None:
    s = _settings(weights={"building": 1.0})
    with pytest.raises(ConfigError, match="Fix: give another criterion"):
        score_sites(_sites([0.0]), _businesses([]), hexagons=None, buurten=None, settings=s)


def test_search_zones_say_where_no_building_is_within_reach() -> None:
    r = 250.0 / np.sqrt(3)
    angles = np.radians(np.arange(0, 360, 60))
    hexes = gpd.GeoDataFrame(
        {"hex_id": [0, 1], "gi_class": ["hot_99", "hot_95"], "suppressed": False},
        geometry=[
            shapely.Polygon(
                np.column_stack([X0 + cx + r * np.cos(angles), Y0 + r * np.sin(angles)])
            )
            for cx in (0.0, 3000.0)
        ],
        crs=RD,
    )
    sites = _sites([FAR])
    building = gpd.GeoDataFrame(
        {"building_id": ["BVG0001"], "n_establishments": [9], "suppressed": [False]},
        geometry=[shapely.Point(X0 + 600.0, Y0)],
        crs=RD,
    )
    zones = search_zones(hexes, sites, distance_m=500.0, buildings=building, building_reach_m=800)
    assert zones["no_building_within"].tolist() == [False, True]
    unknown = search_zones(hexes, sites, distance_m=500.0)
    assert unknown["no_building_within"].isna().all()


# -- the small-count rule in explanations ---------------------------------------------------------


@pytest.mark.parametrize(
    ("n_near", "phrase"),
    [(3, "< 5 vestigingen binnen 800 m"), (1, "< 5 vestigingen binnen 800 m"),
     (0, "0 vestigingen binnen 800 m"), (7, "7 vestigingen binnen 800 m")],
)  # fmt: skip
def test_explanations_never_cite_a_count_below_min_count(n_near: int, phrase: str) -> None:
    # S0 has n_near establishments within walking distance, S1 has 9: demand decides
    points = [(10.0 * i, 0.0) for i in range(n_near)] + [(FAR + 10.0 * i, 0) for i in range(9)]
    s = _settings(weights={"demand_walk": 1.0})
    out = score_sites(
        _sites([0.0, FAR]), _businesses(points), hexagons=None, buurten=None, settings=s
    )
    assert f"({phrase})" in out["explanation"].iloc[0]
    assert "(9 vestigingen binnen 800 m)" in out["explanation"].iloc[1]


def test_jobs_resting_on_few_establishments_are_not_cited() -> None:
    points = [(10.0, 0.0), (20.0, 0.0)] + [(FAR + 10.0 * i, 0) for i in range(6)]
    s = _settings(weights={"demand_walk": 1.0}, demand_measure="jobs", language="en")
    businesses = _businesses(points, jobs=[40, 35] + [3] * 6)
    out = score_sites(_sites([0.0, FAR]), businesses, hexagons=None, buurten=None, settings=s)
    assert out["demand_walk_raw"].tolist() == [75.0, 18.0]
    assert "(< 5 establishments within 800 m)" in out["explanation"].iloc[0]
    assert "75" not in out["explanation"].iloc[0]
    assert "(18 jobs within 800 m)" in out["explanation"].iloc[1]


# -- one name per criterion ---------------------------------------------------------------------


def test_each_criterion_has_one_name_in_every_output() -> None:
    from almere_gis.outputs.report.columns import describe_column
    from almere_gis.outputs.webmap.names import criterion_text

    for lang in ("nl", "en"):
        table = criteria_table(lang, BASE).set_index("criterion")
        fields = field_descriptions(lang, BASE)
        for key, crit in CRITERIA.items():
            name = text(f"sites.criterion.{key}.name", lang)
            assert table.loc[key, "name"] == crit.name(lang) == name
            assert criterion_text(key, "name", lang) == name
            assert fields[f"{key}_raw"].startswith(f"{name}: ")
            header = describe_column(f"{key}_norm", "candidates", BASE, lang).header
            assert name.lower() in header.lower()
    avoid = _settings(themes={"building_direction": "avoid"})
    assert (
        criteria_table("nl", avoid).set_index("criterion").loc["building", "direction"] == "higher"
    )


def test_every_scored_column_is_described() -> None:
    sites = _sites([0.0, FAR])
    s = _settings()
    scored = score_sites(
        sites, _businesses([(5.0, 0.0)]), hexagons=None, buurten=None, settings=s,
        buildings=_buildings([0.0]),
    )  # fmt: skip
    scored = scored.join(rank_stability(scored, settings=s).drop(columns="site_id"))
    for lang in ("nl", "en"):
        fields = field_descriptions(lang, s)
        assert set(scored.columns) - {"geometry"} <= set(fields)


def test_the_terminal_table_says_always_sometimes_never() -> None:
    from rich.console import Console

    from almere_gis.analysis.sites import format_top

    sites = _sites([0.0, FAR, 2 * FAR])
    businesses = _businesses([(10.0 * i, 0.0) for i in range(8)] + [(FAR, 0.0)] * 6)
    s = _settings(weights={"demand_walk": 0.5, "fit": 0.5}, top_k=1)
    scored = score_sites(sites, businesses, hexagons=None, buurten=None, settings=s)
    scored = scored.join(rank_stability(scored, settings=s).drop(columns="site_id"))
    console = Console(record=True, width=250)
    console.print(format_top(scored, 3, "nl", s))
    shown = console.export_text()
    assert "altijd in de top 1 (100 %)" in shown and "nooit in de top 1 (0 %)" in shown
    assert "altijd = in minstens 95 % van 1.000 varianten" in shown
