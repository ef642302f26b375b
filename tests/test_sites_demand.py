"""Demand counting with a KD-tree agrees with a plain distance check, for points and polygons."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from almere_gis.analysis.sites import score_sites
from almere_gis.settings import load_settings

RD = "EPSG:28992"
X0, Y0 = 140_000.0, 485_000.0


def test_demand_matches_a_brute_force_count_for_points_and_polygons() -> None:
    rng = np.random.default_rng(3)
    n_biz = 3000
    xy = rng.uniform(0, 6000, (n_biz, 2))
    businesses = gpd.GeoDataFrame(
        {
            "sector_group": pd.array(rng.choice(["bouw", "horeca", "ict"], n_biz), dtype="string"),
            "jobs": rng.integers(1, 9, n_biz),
            "small_scale": rng.random(n_biz) < 0.7,
            "home_based": rng.random(n_biz) < 0.2,
        },
        geometry=shapely.points(X0 + xy[:, 0], Y0 + xy[:, 1]),
        crs=RD,
    )
    centres = rng.uniform(500, 5500, (90, 2)) + [X0, Y0]
    geoms = [
        shapely.Point(x, y) if i % 3 else shapely.box(x, y, x + 40 + 3 * i, y + 25 + i)
        for i, (x, y) in enumerate(centres)
    ]
    geoms[4] = None  # a site without geometry has no demand
    sites = gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(len(geoms))], "floor_area_m2": 500.0},
        geometry=geoms,
        crs=RD,
    )
    settings = load_settings()
    out = score_sites(sites, businesses, hexagons=None, buurten=None, settings=settings)
    relevant = (businesses["small_scale"] | businesses["home_based"]).to_numpy()
    tree = shapely.STRtree(businesses.geometry.to_numpy()[relevant])
    jobs = businesses["jobs"].to_numpy(dtype=float)[relevant]
    for name, reach in (("walk", settings.sites.walk_m), ("cycle", settings.sites.cycle_m)):
        site, biz = tree.query(sites.geometry.to_numpy(), predicate="dwithin", distance=reach)
        count = np.bincount(site, minlength=len(sites))
        np.testing.assert_array_equal(out[f"demand_{name}_count"].to_numpy(), count)
        summed = np.bincount(site, weights=jobs[biz], minlength=len(sites))
        np.testing.assert_allclose(out[f"demand_{name}_jobs"].to_numpy(), summed)
    assert out["demand_walk_count"].iloc[::3].gt(0).any()  # polygons found businesses
    assert np.isnan(out["demand_walk_raw"].iloc[4])
