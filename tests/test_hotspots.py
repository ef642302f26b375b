"""Getis-Ord Gi*: planted clusters, complete spatial randomness, reproducibility, errors."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from almere_gis.analysis.hexgrid import hex_grid
from almere_gis.analysis.hotspots import _classes, getis_ord
from almere_gis.outputs.style import HOTSPOT_CLASSES


@pytest.fixture(scope="module")
def hexes() -> gpd.GeoDataFrame:
    return hex_grid(shapely.box(0, 0, 3500, 3500), size_m=250.0)  # about 250 hexagons


def _planted(hexes: gpd.GeoDataFrame, seed: int) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = hexes.geometry.centroid
    cluster = ((c.x - 1700) ** 2 + (c.y - 1700) ** 2 < 450**2).to_numpy()
    y = rng.poisson(3, len(hexes))
    y[cluster] += 12
    return hexes.assign(y=y), cluster


def test_finds_a_planted_cluster(hexes) -> None:
    gdf, cluster = _planted(hexes, 7)
    res = getis_ord(gdf, "y", permutations=999, seed=42)
    assert res.index.equals(gdf.index)
    assert list(res.columns) == ["gi_z", "gi_p", "gi_p_sim", "gi_q", "gi_class"]
    assert set(res["gi_class"]) <= set(HOTSPOT_CLASSES)
    hot = res["gi_class"].str.startswith("hot").to_numpy()
    assert hot[cluster].mean() >= 0.8  # most of the planted hexagons are found
    c = gdf.geometry.centroid
    far = ((c.x - 1700) ** 2 + (c.y - 1700) ** 2 > 900**2).to_numpy()
    assert not hot[far].any()  # and nothing hot far from it
    assert (res.loc[cluster, "gi_class"] == "hot_99").mean() >= 0.5
    assert res["gi_p_sim"].between(1 / 1000, 1).all()
    # Analytical two-sided p from z; q is BH-adjusted and never below p.
    from scipy import stats

    np.testing.assert_allclose(res["gi_p"], 2 * stats.norm.sf(res["gi_z"].abs()))
    assert (res["gi_q"] >= res["gi_p"] - 1e-15).all()


def test_planted_cold_spot_and_distance_band(hexes) -> None:
    rng = np.random.default_rng(3)
    c = hexes.geometry.centroid
    hole = ((c.x - 1000) ** 2 + (c.y - 2500) ** 2 < 500**2).to_numpy()
    y = rng.poisson(12, len(hexes))
    y[hole] = 0
    res = getis_ord(hexes.assign(y=y), "y", weights="distance", distance_band_m=300.0,
                    permutations=99, seed=1)  # fmt: skip
    cold = res["gi_class"].str.startswith("cold").to_numpy()
    assert cold[hole].mean() >= 0.6
    assert not res["gi_class"].str.startswith("hot").any()


def test_same_seed_same_result_and_global_rng_untouched(hexes) -> None:
    gdf, _ = _planted(hexes, 11)
    np.random.seed(123)  # noqa: NPY002 - checks that the legacy global state is restored
    expected_next = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    a = getis_ord(gdf, "y", permutations=199, seed=5)
    assert np.random.random() == expected_next  # noqa: NPY002
    b = getis_ord(gdf, "y", permutations=199, seed=5)
    pd.testing.assert_frame_equal(a, b)
    c = getis_ord(gdf, "y", permutations=199, seed=6)
    assert not np.array_equal(a["gi_p_sim"], c["gi_p_sim"])
    pd.testing.assert_series_equal(a["gi_z"], c["gi_z"])  # z does not depend on the seed


def test_complete_spatial_randomness_after_fdr(hexes) -> None:
    # Independent Poisson counts: no hot or cold spot exists. Under this complete null BH
    # bounds the chance of any call by its level: 1 % for the 99 % classes, 10 % for any class.
    # (Skewed counts make the normal approximation slightly anti-conservative: measured 3 %
    # and 14 % over these 100 seeds.) The classes use the analytical p-values, so the
    # permutations are skipped here to keep the test fast.
    n_seeds = 100
    any_class = any_99 = any_unadjusted = 0
    for seed in range(n_seeds):
        y = np.random.default_rng(seed).poisson(8, len(hexes))
        gdf = hexes.assign(y=y)
        res = getis_ord(gdf, "y", permutations=0, seed=seed)
        any_class += (res["gi_class"] != "ns").any()
        any_99 += res["gi_class"].isin(["hot_99", "cold_99"]).any()
        if seed < 20:
            raw = getis_ord(gdf, "y", permutations=0, seed=seed, fdr=False)
            any_unadjusted += (raw["gi_class"] != "ns").any()
    assert any_99 <= 0.05 * n_seeds  # nothing at 99 % in at least 95 % of the seeds
    assert any_class <= 0.20 * n_seeds  # nothing at all in at least 80 %
    assert any_unadjusted >= 18  # without FDR almost every random map shows "spots"


def test_works_on_polygons_with_any_index() -> None:
    cells = [shapely.box(x, y, x + 500, y + 400) for x in range(0, 4000, 500)
             for y in range(0, 3200, 400)]  # fmt: skip
    buurten = gpd.GeoDataFrame(
        {"v": np.arange(len(cells)) % 7}, geometry=cells, crs="EPSG:28992",
        index=[f"BU{i:08d}" for i in range(len(cells))],
    )  # fmt: skip
    res = getis_ord(buurten, "v", k=4, permutations=99, seed=1)
    assert res.index.equals(buurten.index)
    assert res["gi_z"].notna().all()


def test_degenerate_inputs(hexes, caplog) -> None:
    small = hexes.iloc[:5].assign(y=[1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="too few for 6 nearest neighbours"):
        getis_ord(small, "y")
    with pytest.raises(ValueError, match="missing or negative"):
        getis_ord(hexes.assign(y=[np.nan] + [1.0] * (len(hexes) - 1)), "y")
    with pytest.raises(ValueError, match="not found"):
        getis_ord(hexes, "nope")
    with caplog.at_level(logging.WARNING, logger="almere_gis"):
        flat = getis_ord(hexes.assign(y=3), "y", permutations=9)
    assert (flat["gi_class"] == "ns").all() and flat["gi_z"].isna().all()
    assert "same in every unit" in caplog.text
    # An isolated unit in a distance band does not crash.
    lonely = hexes.iloc[:1].set_geometry(hexes.iloc[:1].translate(50_000, 0))
    far = pd.concat([hexes.iloc[:20], lonely])
    far = far.reset_index(drop=True).assign(y=np.arange(21) % 4)
    res = getis_ord(far, "y", weights="distance", distance_band_m=300.0, permutations=9)
    assert len(res) == 21


def test_class_thresholds() -> None:
    z = np.array([3.0, 2.0, 1.0, 0.5, -1.0, -2.0, -3.0, 2.0])
    q = np.array([0.01, 0.05, 0.10, 0.5, 0.10, 0.05, 0.001, 0.1000001])
    assert _classes(z, q).tolist() == [
        "hot_99", "hot_95", "hot_90", "ns", "cold_90", "cold_95", "cold_99", "ns",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("weights", "options"),
    [("knn", {"k": 6}), ("knn", {"k": 3}), ("distance", {"distance_band_m": 600.0})],
)
def test_analytical_z_equals_esda_and_the_ord_getis_formula(hexes, weights, options) -> None:
    from esda.getisord import G_Local
    from libpysal.weights import KNN, DistanceBand, fill_diagonal

    from almere_gis.analysis.hotspots import sparse_weights

    gdf, _ = _planted(hexes, 5)
    y = gdf["y"].to_numpy(dtype=float)
    res = getis_ord(gdf, "y", weights=weights, **options)
    assert res["gi_p_sim"].isna().all()  # no permutations by default
    coords = shapely.get_coordinates(gdf.geometry.centroid.array)
    if weights == "knn":
        w = KNN(coords, k=options["k"], silence_warnings=True)
    else:
        w = DistanceBand(coords, threshold=600.0, binary=True, silence_warnings=True)
    w = fill_diagonal(w, 1.0)
    # The same neighbours as libpysal's.
    ours = sparse_weights(coords, weights=weights, **options)
    np.testing.assert_array_equal(ours.toarray(), w.sparse.toarray())
    esda_z = G_Local(y, w, transform="B", star=True, permutations=0).Zs
    np.testing.assert_allclose(res["gi_z"], esda_z, rtol=1e-10, atol=1e-12)
    # Ord & Getis (1995), eq. for Gi* with binary weights, written out for every unit.
    n, dense = len(y), w.sparse.toarray()
    mean, s = y.mean(), np.sqrt((y**2).mean() - y.mean() ** 2)
    wi = dense.sum(axis=1)
    by_hand = (dense @ y - mean * wi) / (s * np.sqrt((n * wi - wi**2) / (n - 1)))
    np.testing.assert_allclose(res["gi_z"], by_hand, rtol=1e-10)


def test_permutations_only_add_the_pseudo_p_value(hexes) -> None:
    gdf, _ = _planted(hexes, 9)
    fast = getis_ord(gdf, "y")
    slow = getis_ord(gdf, "y", permutations=99, seed=3)
    pd.testing.assert_frame_equal(fast.drop(columns="gi_p_sim"), slow.drop(columns="gi_p_sim"))
    p_sim = slow["gi_p_sim"].to_numpy()
    assert ((p_sim >= 1 / 100 - 1e-6) & (p_sim <= 1)).all()  # esda keeps float32
