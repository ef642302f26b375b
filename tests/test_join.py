"""Join of businesses to buurten: known answers, boundaries, accounting."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from almere_gis._errors import AccountingError, InputError
from almere_gis.analysis.join import accounting_table, assign_areas, join_businesses

# Four 100 m squares in a 2x2 block; codes deliberately not in file order.
SQUARES = gpd.GeoDataFrame(
    {
        "buurt_code": ["BU00000004", "BU00000001", "BU00000003", "BU00000002"],
        "wijk_code": ["WK000002", "WK000001", "WK000002", "WK000001"],
    },
    geometry=shapely.box(
        [100, 0, 100, 0], [100, 0, 0, 100], [200, 100, 200, 100], [200, 100, 100, 200]
    ),
    crs="EPSG:28992",
)
# In file order: (100..200, 100..200) BU4, (0..100, 0..100) BU1, (100..200, 0..100) BU3,
# (0..100, 100..200) BU2.


def _businesses(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    xs, ys = zip(*xy, strict=True) if xy else ((), ())
    return gpd.GeoDataFrame(
        {
            "business_id": [f"b{i}" for i in range(len(xy))],
            "source_row": np.arange(1, len(xy) + 1),
        },
        geometry=shapely.points(np.array(xs, dtype=float), np.array(ys, dtype=float)),
        crs="EPSG:28992",
    )


def test_interior_points_get_their_square() -> None:
    b = _businesses([(50, 50), (150, 50), (50, 150), (150, 150)])
    r = join_businesses(b, SQUARES)
    assert r.joined["buurt_code"].tolist() == [
        "BU00000001",
        "BU00000003",
        "BU00000002",
        "BU00000004",
    ]
    assert r.joined["wijk_code"].tolist() == ["WK000001", "WK000002", "WK000001", "WK000002"]


def test_boundary_points_go_to_lowest_code() -> None:
    # On the edge between BU1 and BU3, between BU3 and BU4, and the corner of all four.
    b = _businesses([(100, 50), (150, 100), (100, 100), (0, 0), (200, 200)])
    r = join_businesses(b, SQUARES)
    assert r.joined["buurt_code"].tolist() == [
        "BU00000001",
        "BU00000003",
        "BU00000001",
        "BU00000001",
        "BU00000004",
    ]


def test_outside_points_are_accounted() -> None:
    b = _businesses([(50, 50), (500, 500), (-1, 50)])
    rejects = pd.DataFrame({"source_row": [4], "business_id": ["x"], "reason": ["bad sbi"]})
    r = join_businesses(b, SQUARES, rejects=rejects, n_input=4)
    assert len(r.joined) == 1
    assert r.outside["source_row"].tolist() == [2, 3]
    assert r.accounting["status"].tolist() == ["gekoppeld", "buiten", "buiten", "afgewezen"]
    assert r.accounting["reason"].iloc[3] == "bad sbi"


def test_accounting_identity_is_enforced() -> None:
    b = _businesses([(50, 50)])
    with pytest.raises(AccountingError, match="2 input rows but 1 joined"):
        join_businesses(b, SQUARES, n_input=2)
    joined = b.assign(buurt_code="BU00000001")
    with pytest.raises(AccountingError, match="counted twice"):
        outside = joined.drop(columns="geometry").assign(reason="x")
        accounting_table(joined, outside, outside.iloc[:0])


def test_wrong_crs_is_refused() -> None:
    b = _businesses([(50, 50)]).set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(InputError, match="expected EPSG:28992"):
        join_businesses(b, SQUARES)


def test_matches_exact_covered_by_on_irregular_polygons() -> None:
    rng = np.random.default_rng(3)
    # A Voronoi tessellation: many boundary cells, irregular shapes.
    seeds = shapely.points(rng.uniform(0, 1000, (40, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds)))
    cells = shapely.intersection(cells, shapely.box(0, 0, 1000, 1000))
    x, y = rng.uniform(-50, 1050, (2, 20_000))
    got = assign_areas(x, y, cells, max_cells=2_000)
    tree = shapely.STRtree(cells)
    pt_idx, poly_idx = tree.query(shapely.points(x, y), predicate="covered_by")
    expected = np.full(x.size, -1)
    np.minimum.at(expected, pt_idx, -1)  # keep -1 default
    first = pd.Series(poly_idx).groupby(pt_idx).min()
    expected[first.index.to_numpy()] = first.to_numpy()
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=60, deadline=None)
@given(
    pts=st.lists(
        st.tuples(
            # Grid-aligned values hit edges and corners often.
            st.sampled_from([-10.0, 0.0, 25.0, 50.0, 100.0, 150.0, 199.5, 200.0, 210.0]),
            st.sampled_from([-10.0, 0.0, 25.0, 50.0, 100.0, 150.0, 199.5, 200.0, 210.0]),
        ),
        max_size=40,
    ),
    n_rejected=st.integers(0, 5),
)
def test_accounting_identity_property(pts: list[tuple[float, float]], n_rejected: int) -> None:
    b = _businesses(pts)
    rejects = pd.DataFrame(
        {
            "source_row": np.arange(len(pts) + 1, len(pts) + n_rejected + 1),
            "business_id": pd.array([pd.NA] * n_rejected, dtype="string"),
            "reason": "rejected",
        }
    )
    r = join_businesses(b, SQUARES, rejects=rejects, n_input=len(pts) + n_rejected)
    assert len(r.joined) + len(r.outside) + len(rejects) == len(pts) + n_rejected
    assert sorted(r.accounting["source_row"]) == list(range(1, len(pts) + n_rejected + 1))
    # Every point inside the 200 x 200 block (edges included) is joined to exactly one buurt.
    inside = [(0 <= px <= 200 and 0 <= py <= 200) for px, py in pts]
    assert len(r.joined) == sum(inside)
    for (px, py), code in zip(
        [p for p, i in zip(pts, inside, strict=True) if i], r.joined["buurt_code"], strict=True
    ):
        covering = SQUARES.loc[SQUARES.geometry.covers(shapely.Point(px, py)), "buurt_code"]
        assert code == covering.min()


def _reference(x: np.ndarray, y: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """The exact answer: the lowest index of the polygons that cover each point, else -1."""
    pt_idx, poly_idx = shapely.STRtree(polygons).query(shapely.points(x, y), predicate="covered_by")
    lowest = np.full(x.size, len(polygons))
    np.minimum.at(lowest, pt_idx, poly_idx)
    return np.where(lowest == len(polygons), -1, lowest)


@pytest.fixture(scope="module")
def country() -> np.ndarray:
    from synthetic_country import synthetic_buurten

    return synthetic_buurten()


@pytest.mark.parametrize("max_cells", [64_000_000, 250_000])
def test_matches_the_exact_reference_at_national_size(country, max_cells) -> None:
    from synthetic_country import RD_EXTENT, boundary_points, synthetic_points

    assert len(country) == 14_500
    rng = np.random.default_rng(5)
    xs, ys = synthetic_points(60_000, seed=4)
    xmin, ymin, xmax, ymax = RD_EXTENT
    # Some of these fall outside the country, a few far away.
    ux = rng.uniform(xmin - 5_000, xmax + 5_000, 5_000)
    uy = rng.uniform(ymin - 5_000, ymax + 5_000, 5_000)
    bx, by = boundary_points(country, 30_000, 5_000)
    x = np.concatenate([xs, ux, bx])
    y = np.concatenate([ys, uy, by])
    assert x.size == 100_000
    expected = _reference(x, y, country)
    got = assign_areas(x, y, country, max_cells=max_cells)
    np.testing.assert_array_equal(got, expected)
    # The sample really tests the tie-break: the corners lie in two or three buurten (the
    # points on edges lie within rounding of two buurten, the hardest case for a raster).
    pairs = shapely.STRtree(country).query(shapely.points(bx, by), predicate="covered_by")[0]
    assert (np.bincount(pairs, minlength=bx.size)[-5_000:] >= 2).mean() > 0.99
    assert (expected < 0).any()  # and some points are outside every buurt
    assert len(np.unique(expected[expected >= 0])) > 10_000  # spread over the whole country


def test_lowest_index_wins_where_polygons_overlap() -> None:
    big = shapely.box(0, 0, 1000, 1000)
    small = shapely.box(200, 200, 400, 400)
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-100, 1100, (2, 50_000))
    for polys in (np.array([big, small]), np.array([small, big])):
        got = assign_areas(x, y, polys)
        np.testing.assert_array_equal(got, _reference(x, y, polys))
    inner = (x > 200) & (x < 400) & (y > 200) & (y < 400)
    assert (assign_areas(x, y, np.array([small, big]))[inner] == 0).all()


def test_holes_multipolygons_invalid_and_missing_polygons() -> None:
    ring = shapely.box(0, 0, 900, 900).difference(shapely.box(300, 300, 600, 600))
    islands = shapely.MultiPolygon(
        [shapely.box(350, 350, 450, 450), shapely.box(1000, 0, 1100, 90)]
    )
    bowtie = shapely.Polygon([(0, 1000), (500, 1500), (500, 1000), (0, 1500)])  # invalid
    polys = np.array([ring, None, islands, shapely.Polygon(), bowtie], dtype=object)
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-50, 1200, (2, 80_000))
    x[:3], y[:3] = np.nan, [1.0, np.nan, np.inf]
    got = assign_areas(x, y, polys)
    assert (got[:3] == -1).all()
    valid = polys.copy()
    valid[[1, 3]] = shapely.Point(-1e9, -1e9).buffer(1)  # far away: covers nothing here
    np.testing.assert_array_equal(got[3:], _reference(x[3:], y[3:], valid))
    assert set(np.unique(got)) == {-1, 0, 2, 4}


def test_few_points_and_degenerate_inputs() -> None:
    sq = shapely.box([0, 10], [0, 0], [10, 20], [10, 10])
    assert assign_areas(np.array([]), np.array([]), sq).shape == (0,)
    assert assign_areas(np.array([5.0]), np.array([5.0]), np.array([None])).tolist() == [-1]
    grid_x, grid_y = np.meshgrid(np.arange(-1.0, 21.5, 0.5), np.arange(-1.0, 11.5, 0.5))
    got = assign_areas(grid_x, grid_y, sq)
    assert got.shape == grid_x.shape
    np.testing.assert_array_equal(got.ravel(), _reference(grid_x.ravel(), grid_y.ravel(), sq))
    with pytest.raises(ValueError, match="differ in shape"):
        assign_areas(np.zeros(2), np.zeros(3), sq)


def test_accounting_rows_keep_their_status_when_interleaved() -> None:
    b = _businesses([(50, 50), (500, 500), (150, 150), (-5, 0), (150, 50)])
    rejects = pd.DataFrame(
        {"source_row": [7, 6], "business_id": ["r7", pd.NA], "reason": ["bad sbi", "no x"]}
    )
    b["source_row"] = [5, 1, 3, 4, 2]
    r = join_businesses(b, SQUARES, rejects=rejects, n_input=7)
    acc = r.accounting
    assert acc["source_row"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert acc["status"].tolist() == [
        "buiten", "gekoppeld", "gekoppeld", "buiten", "gekoppeld", "afgewezen", "afgewezen",
    ]  # fmt: skip
    assert acc["business_id"].tolist()[:5] == ["b1", "b4", "b2", "b3", "b0"]
    assert acc["buurt_code"].isna().tolist() == [True, False, False, True, False, True, True]
    assert acc["buurt_code"].tolist()[1] == "BU00000003"
    assert acc["reason"].tolist()[5:] == ["no x", "bad sbi"]
    assert acc["business_id"].isna().tolist()[5] == True  # noqa: E712


def test_joined_keeps_the_index_and_gives_the_area_row() -> None:
    b = _businesses([(50, 50), (150, 150), (500, 500), (150, 50)])
    b.index = pd.Index(["w", "x", "y", "z"])
    r = join_businesses(b, SQUARES)
    assert r.joined.index.tolist() == ["w", "x", "z"]
    assert r.joined["buurt_code"].tolist() == ["BU00000001", "BU00000004", "BU00000003"]
    assert r.area_index is not None
    codes = SQUARES["buurt_code"].to_numpy()[r.area_index]
    assert codes.tolist() == r.joined["buurt_code"].tolist()
    assert "buurt_code" not in b.columns  # the input frame is not changed
    assert r.joined["buurt_code"].dtype == "string"
