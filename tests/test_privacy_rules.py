"""The privacy rules one by one: the exact density mask, small counts, Gi*, secondary suppression,
candidate sites, search zones and the floor of ``min_count``."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import almere_gis as ag
from almere_gis._errors import PrivacyError
from almere_gis.analysis.density import kde, privacy_mask
from almere_gis.analysis.privacy import (
    public_areas,
    public_candidates,
    public_city,
    public_zones,
    row_secondary_hide,
    secondary_hide,
    small_bases,
)


def _brute_counts(xy: np.ndarray, grid: ag.DensityGrid) -> np.ndarray:
    """Points within the radius (inclusive) of every cell centre, by brute force."""
    xs, ys = grid.cell_centres()
    cx, cy = np.meshgrid(xs, ys)
    d2 = (cx[..., None] - xy[:, 0]) ** 2 + (cy[..., None] - xy[:, 1]) ** 2
    return np.asarray((d2 <= grid.radius_m**2).sum(axis=-1))


@pytest.mark.parametrize("block", [1, 3, 16])
@pytest.mark.parametrize("min_count", [1, 5, 9])
def test_density_mask_is_exactly_the_rule_on_every_cell(block: int, min_count: int) -> None:
    rng = np.random.default_rng(block * 100 + min_count)
    # Clusters, scattered points, and points exactly one radius from a cell centre.
    centres = rng.uniform(1000, 3000, size=(6, 2))
    xy = np.vstack(
        [c + rng.normal(0, 60, size=(rng.integers(2, 12), 2)) for c in centres]
        + [rng.uniform(800, 3200, size=(40, 2))]
    )
    grid = kde(xy, cell_size_m=25.0, radius_m=200.0, extent=(1000, 1000, 3000, 3000))
    xs, ys = grid.cell_centres()
    rim = np.array([[xs[20] + 200.0, ys[30]]] * 5 + [[xs[50], ys[10] - 200.0]] * 4)
    xy = np.vstack([xy, rim])
    inside = np.ones(grid.shape, dtype=bool)
    inside[:, :7] = False  # a study area that does not cover the whole grid
    shown = privacy_mask(xy, grid, min_count=min_count, inside=inside, block=block)
    expected = inside & (_brute_counts(xy, grid) >= min_count)
    assert shown.shape == grid.shape
    np.testing.assert_array_equal(shown, expected)  # every shown and every hidden cell
    assert shown.any() and (~shown & inside).any()
    if min_count == 5:
        assert shown[30, 20]  # five points at exactly the radius count


def test_density_mask_in_chunks_equals_one_piece() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 2000, size=(500, 2))
    grid = kde(xy, cell_size_m=20.0, radius_m=100.0)
    one = privacy_mask(xy, grid, min_count=5)
    np.testing.assert_array_equal(privacy_mask(xy, grid, min_count=5, chunk=7, block=5), one)
    assert not privacy_mask(xy[:4], grid, min_count=5).any()


def _areas() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "wijk_code": ["W1", "W1", "W1", "W2", "W2"],
            "n_establishments": [50, 40, 3, 30, 20],
            "jobs": [120.0, 90.0, 4.0, 60.0, 30.0],
            "n_home_based": [10, 2, 1, 7, 6],
            "jobs_home_based": [12.0, 2.0, 1.0, 7.0, 6.0],
            "share_n_home_based": [0.38, 0.08, 0.04, 0.27, 0.23],
            "n_home_based_per_km2": [1.0, 2.0, 3.0, 4.0, 5.0],
            "share_social_minimum": [0.1, 0.2, 0.3, 0.4, 0.5],
            "gi_class": ["hot_99", "ns", "hot_95", "cold_90", "ns"],
            "gi_z": [3.1, 0.1, 2.2, -1.8, 0.0],
        }
    ).assign(suppressed=lambda f: f["n_establishments"] < 5)


def test_every_measure_hides_with_its_base_count() -> None:
    public = public_areas(_areas(), min_count=5, gi_base="n_home_based")
    h = public.hidden
    # Row 2 rests on 3 establishments: every measure hidden; a share that is no count of ours
    # (the CBS social minimum) only in such a row.
    assert h.loc[2].all() and not h.loc[[0, 1, 3, 4], "share_social_minimum"].any()
    # Row 1 has 40 establishments but 2 at home: the home-based measures only.
    for column in ("n_home_based", "jobs_home_based", "share_n_home_based", "n_home_based_per_km2"):
        assert h.loc[1, column] and pd.isna(public.data.loc[1, column])
    assert not h.loc[1, "n_establishments"] and public.data.loc[1, "jobs"] == 90.0
    # Gi* of units whose tested count is below min_count is not published.
    assert list(h["gi_class"]) == [False, True, True, False, False]
    assert public.data["gi_class"].isna().tolist() == [False, True, True, False, False]


def test_zero_is_a_small_count() -> None:
    frame = pd.DataFrame({"n_establishments": [0, 8], "jobs": [0.0, 9.0]})
    assert public_areas(frame, min_count=5).hidden["jobs"].tolist() == [True, False]


def test_secondary_suppression_hides_the_next_smallest_buurt() -> None:
    areas = _areas()
    primary = small_bases(areas, 5, None)
    final = secondary_hide(
        areas,
        primary,
        parent_of=np.array([0, 0, 0, 1, 1]),
        parent_shown={c: np.array([True, True]) for c in primary},
        min_count=5,
    )
    # W1: buurten 1 and 2 hold 2 + 1 = 3 home-based establishments (< 5): the next-smallest
    # visible buurt (10) is hidden as well. W2 has nothing hidden.
    assert final["n_home_based"].tolist() == [True, True, True, False, False]
    # n_establishments: only buurt 2 (3) is hidden in W1: one hidden cell is recoverable, so
    # the smaller of the other two (40) goes too.
    assert final["n_establishments"].tolist() == [False, True, True, False, False]
    # A parent whose own total is hidden gives nothing away: no secondary suppression.
    closed = secondary_hide(
        areas,
        primary,
        parent_of=np.array([0, 0, 0, 1, 1]),
        parent_shown={c: np.array([False, True]) for c in primary},
        min_count=5,
    )
    assert closed["n_establishments"].tolist() == [False, False, True, False, False]
    # What stays hidden can never be recovered from the wijk total.
    for column in final.columns:
        for wijk in (0, 1):
            rows = np.flatnonzero(np.array([0, 0, 0, 1, 1]) == wijk)
            hidden = final[column].to_numpy()[rows]
            held = areas[column].to_numpy()[rows][hidden].sum()
            assert hidden.sum() != 1 and not 0 < held < 5


def test_city_indicators_on_few_establishments_are_hidden() -> None:
    city = pd.DataFrame(
        {
            "indicator": ["vestigingen", "banen", "vestigingen_aan_huis", "banen_aan_huis", "zzp"],
            "value": [120.0, 300.0, 3.0, 4.0, 3.0],
        }
    )
    public = public_city(city, min_count=5)
    assert public.hidden["value"].tolist() == [False, False, True, True, True]
    assert public.data["value"].isna().tolist() == [False, False, True, True, True]


def test_candidate_demand_and_explanation() -> None:
    sites = pd.DataFrame(
        {
            "site_id": ["a", "b"],
            "demand_walk_count": [3, 12],
            "demand_walk_jobs": [4.0, 20.0],
            "demand_walk_raw": [3.0, 12.0],
            "demand_walk_norm": [0.0, 1.0],
            "demand_walk_contrib": [0.0, 0.3],
            "demand_cycle_count": [40, 90],
            "mix_raw": [0.5, 1.2],
            "explanation": [
                "sterk: vraag (3 vestigingen binnen 400 m); zwak: fiets (40 vestigingen binnen "
                "1.200 m)",
                "sterk: vraag (12 vestigingen binnen 400 m)",
            ],
        }
    )
    public = public_candidates(
        sites,
        min_count=5,
        distances={"walk": 400.0, "cycle": 1200.0},
        hidden_mark="< 5",
        noun="vestigingen",
        language="nl",
    )
    for column in ("demand_walk_count", "demand_walk_jobs", "demand_walk_raw", "mix_raw"):
        assert public.hidden[column].tolist() == [True, False]
    assert public.hidden["demand_cycle_count"].tolist() == [False, False]
    first = str(public.data["explanation"].iloc[0])
    assert "< 5 vestigingen binnen 400 m" in first and "3 vestigingen" not in first
    assert "40 vestigingen binnen 1.200 m" in first
    assert str(public.data["explanation"].iloc[1]) == sites["explanation"].iloc[1]


def test_search_zones_only_from_publishable_hexagons() -> None:
    hexes = gpd.GeoDataFrame(
        {
            "hex_id": ["h1", "h2", "h3"],
            "count_all": [30, 9, 2],
            "count_home_based": [12, 2, 1],
            "suppressed": [False, False, True],
            "gi_class": ["hot_99", "hot_95", "hot_90"],
        },
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)],
        crs="EPSG:28992",
    )
    public = public_areas(hexes, min_count=5, gi_base="count_home_based")
    zones = public_zones(hexes.copy(), public, min_count=5, gi_base="count_home_based")
    assert zones.data["hex_id"].tolist() == ["h1"]


@pytest.mark.parametrize(("value", "ack"), [(0, "true"), (-3, "true"), (0, "false"), (3, "false")])
def test_min_count_floor(tmp_path: Path, value: int, ack: str) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text(
        f"[privacy]\nmin_count = {value}\nallow_below_cbs_rule = {ack}\n", encoding="utf-8"
    )
    with pytest.raises(PrivacyError) as err:
        ag.load_settings(cfg)
    message = str(err.value)
    assert "CBS" in message and "allow_below_cbs_rule" in message and "min_count" in message
    assert "\n" not in message


def test_min_count_below_five_only_with_the_acknowledgement(tmp_path: Path) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text("[privacy]\nmin_count = 3\nallow_below_cbs_rule = true\n", encoding="utf-8")
    assert ag.load_settings(cfg).privacy.min_count == 3


def test_row_secondary_suppression_across_the_sectors() -> None:
    frame = pd.DataFrame(
        {
            "n_establishments": [30, 30, 3],
            "n_a": [20, 10, 1],
            "n_b": [8, 10, 1],
            "n_c": [2, 10, 1],
        }
    )
    primary = small_bases(frame, 5, None)
    out = row_secondary_hide(
        frame, primary, parts=["n_a", "n_b", "n_c"], total="n_establishments", min_count=5
    )
    # Row 0: n_c (2) alone would be 30 - 20 - 8: the smaller visible sector (8) goes too.
    assert [bool(out[c][0]) for c in ("n_a", "n_b", "n_c")] == [False, True, True]
    # Row 1: nothing hidden; row 2: the total itself is hidden, nothing to subtract from.
    assert not any(out[c][1] for c in ("n_a", "n_b", "n_c"))
    assert all(out[c][2] for c in ("n_establishments", "n_a", "n_b", "n_c"))
