"""Hexagon grid: tiling, ids, assignment of points, counts and suppression."""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from almere_gis.analysis.hexgrid import hex_counts, hex_grid

SIZE = 250.0
R = SIZE / math.sqrt(3)


def centre(q: int, r: int) -> tuple[float, float]:
    """Centre of lattice hexagon (q, r) by the documented layout."""
    return (1.5 * R * q, SIZE * r + (q % 2) * SIZE / 2)


@pytest.fixture
def area() -> shapely.Geometry:
    outer = shapely.Polygon([(140_010, 480_020), (143_300, 480_400), (142_700, 483_150),
                             (140_400, 482_600)])  # fmt: skip
    return outer.difference(shapely.Point(141_800, 481_700).buffer(400))


def test_hexagons_tile_the_study_area_without_gaps_or_overlaps(area) -> None:
    hexes = hex_grid(gpd.GeoDataFrame(geometry=[area], crs="EPSG:28992"), size_m=SIZE)
    assert hexes.crs.to_epsg() == 28992
    assert list(hexes.columns) == ["hex_id", "geometry"]
    assert hexes["hex_id"].is_unique
    assert all(re.fullmatch(r"H\d{4}_\d{4}", h) for h in hexes["hex_id"])
    total = hexes.area.sum()
    assert total == pytest.approx(area.area, rel=1e-6)  # no gaps (and nothing outside)
    union = shapely.union_all(hexes.geometry.array)
    assert union.area == pytest.approx(total, rel=1e-6)  # no overlaps
    assert shapely.symmetric_difference(union, area).area < 1e-6 * area.area
    full = math.sqrt(3) / 2 * SIZE**2
    assert (hexes.area <= full * (1 + 1e-9)).all()
    assert (hexes.area > 0).all()
    assert np.isclose(hexes.area, full).sum() > 50  # mostly whole hexagons


def test_a_whole_hexagon_has_the_documented_shape_and_id() -> None:
    hexes = hex_grid(shapely.box(0, 0, 2000, 2000), size_m=SIZE)
    cx, cy = centre(3, 4)
    row = hexes[hexes["hex_id"] == "H0003_0004"]
    assert len(row) == 1
    geom = row.geometry.iloc[0]
    assert geom.area == pytest.approx(math.sqrt(3) / 2 * SIZE**2)
    minx, miny, maxx, maxy = geom.bounds
    assert maxy - miny == pytest.approx(SIZE)  # flat sides top and bottom, size apart
    assert maxx - minx == pytest.approx(2 * R)
    assert geom.centroid.x == pytest.approx(cx) and geom.centroid.y == pytest.approx(cy)


def test_ids_are_stable_across_study_areas() -> None:
    a = hex_grid(shapely.box(0, 0, 2000, 2000), size_m=SIZE)
    b = hex_grid(shapely.box(1000, 1000, 3000, 3000), size_m=SIZE)
    merged = a.merge(b, on="hex_id", suffixes=("_a", "_b"))
    whole = np.isclose(merged["geometry_a"].area, math.sqrt(3) / 2 * SIZE**2) & np.isclose(
        gpd.GeoSeries(merged["geometry_b"]).area, math.sqrt(3) / 2 * SIZE**2
    )
    assert whole.sum() > 5
    diff = shapely.symmetric_difference(
        np.asarray(merged["geometry_a"])[whole], np.asarray(merged["geometry_b"])[whole]
    )
    assert (shapely.area(diff) < 1e-6).all()


def _businesses(xy: list[tuple[float, float]], **cols) -> gpd.GeoDataFrame:
    n = len(xy)
    data = {
        "jobs": cols.get("jobs", [1] * n),
        "small_scale": cols.get("small_scale", [True] * n),
        "home_based": cols.get("home_based", [False] * n),
        "zzp": cols.get("zzp", [False] * n),
        "sector_group": cols.get("sector_group", ["overig"] * n),
    }
    geom = gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy])
    return gpd.GeoDataFrame(data, geometry=geom, crs="EPSG:28992")


def test_every_point_lands_in_exactly_one_hexagon_even_on_edges_and_corners() -> None:
    hexes = hex_grid(shapely.box(0, 0, 2000, 2000), size_m=SIZE)
    rng = np.random.default_rng(2)
    pts = [tuple(p) for p in rng.uniform(1, 1999, size=(300, 2))]
    geoms = hexes.geometry.array
    # Vertices and edge midpoints shared by two or three hexagons.
    ring = np.asarray(shapely.get_coordinates(shapely.get_exterior_ring(geoms[40])))[:-1]
    shared = [tuple(v) for v in ring] + [tuple((ring[i] + ring[(i + 1) % 6]) / 2) for i in range(6)]
    pts += shared
    biz = _businesses(pts)
    counts = hex_counts(hexes, biz, min_count=1)
    assert counts["count_all"].sum() == len(pts)
    assert counts.attrs["outside"] == 0
    # Deterministic tie-break: a shared vertex goes to the smallest hex_id covering it.
    one = hex_counts(hexes, _businesses([shared[0]]), min_count=1)
    covering = hexes[hexes.geometry.covers(shapely.Point(shared[0]))]["hex_id"]
    assert len(covering) >= 2
    assert one.loc[one["count_all"] == 1, "hex_id"].tolist() == [min(covering)]


def test_counts_jobs_sectors_and_suppression_by_hand() -> None:
    hexes = hex_grid(shapely.box(0, 0, 2000, 2000), size_m=SIZE)
    hexes.index = hexes.index + 100  # results must follow the input index
    a = centre(2, 2)
    b = centre(5, 3)
    near = lambda c, i: (c[0] + 10 * i, c[1] - 7 * i)  # noqa: E731
    xy = [near(a, i) for i in range(6)] + [near(b, i) for i in range(2)] + [(5000.0, 5000.0)]
    biz = _businesses(
        xy,
        jobs=[1, 3, 12, 1, 2, 5, 40, 1, 7],
        small_scale=[True, True, False, True, True, True, False, True, True],
        home_based=[True, False, False, True, False, False, False, True, False],
        zzp=[True, False, False, True, False, False, False, True, False],
        sector_group=["bouw", "horeca", "bouw", None, "bouw", "overig", "horeca", "bouw", "bouw"],
    )
    before = biz.copy()
    out = hex_counts(hexes, biz, min_count=5, sector_groups=["bouw", "horeca"])
    pd.testing.assert_frame_equal(biz, before)  # input untouched
    assert out.index.equals(hexes.index)
    assert out.attrs["outside"] == 1
    ra = out.set_index("hex_id").loc["H0002_0002"]
    rb = out.set_index("hex_id").loc["H0005_0003"]
    assert (ra.count_all, ra.count_small_scale, ra.count_home_based, ra.count_zzp) == (6, 5, 2, 2)
    assert (ra.jobs_all, ra.jobs_small_scale, ra.jobs_home_based, ra.jobs_zzp) == (24, 12, 2, 2)
    assert (ra.n_bouw, ra.n_horeca) == (3, 1)
    assert not ra.suppressed
    assert (rb.count_all, rb.jobs_all, rb.n_horeca, rb.count_home_based) == (2, 41, 1, 1)
    assert rb.suppressed
    assert out["suppressed"].sum() == len(out) - 1  # empty hexagons are suppressed too
    assert out.crs.to_epsg() == 28992


def test_crs_mismatch_and_missing_columns_are_refused() -> None:
    hexes = hex_grid(shapely.box(0, 0, 1000, 1000), size_m=SIZE)
    biz = _businesses([(100.0, 100.0)])
    with pytest.raises(ValueError, match="to_crs"):
        hex_counts(hexes, biz.set_crs("EPSG:3857", allow_override=True))
    with pytest.raises(ValueError, match="classify_businesses"):
        hex_counts(hexes, biz.drop(columns="zzp"))
    with pytest.raises(ValueError, match="positive"):
        hex_grid(shapely.box(0, 0, 10, 10), size_m=0)


def test_counts_equal_the_covers_reference_with_points_on_corners(area) -> None:
    hexes = hex_grid(gpd.GeoDataFrame(geometry=[area], crs="EPSG:28992"), size_m=SIZE)
    rng = np.random.default_rng(6)
    xmin, ymin, xmax, ymax = area.bounds
    x, y = rng.uniform(xmin - 100, xmax + 100, (2, 30_000))
    corners = shapely.get_coordinates(hexes.geometry.array)  # on 1, 2 or 3 hexagons
    x[: len(corners)], y[: len(corners)] = corners[:, 0], corners[:, 1]
    biz = _businesses(list(zip(x, y, strict=True)))
    out = hex_counts(hexes, biz, min_count=1)
    # Reference: every covering hexagon, the lowest hex_id kept.
    pts, hx = shapely.STRtree(hexes.geometry.array).query(
        biz.geometry.array, predicate="covered_by"
    )
    pairs = pd.DataFrame({"pt": pts, "id": hexes["hex_id"].to_numpy()[hx]})
    winner = pairs.groupby("pt")["id"].min()
    expected = winner.value_counts().reindex(hexes["hex_id"], fill_value=0)
    np.testing.assert_array_equal(out["count_all"].to_numpy(), expected.to_numpy())
    assert out.attrs["outside"] == len(biz) - len(winner)
    assert (pairs.groupby("pt").size() > 1).sum() > 500  # the tie-break really is exercised
