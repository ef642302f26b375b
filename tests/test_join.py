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
