"""KDE: hand-computed values, agreement with exact evaluation, mass, GeoTIFF output."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from almere_gis.analysis import _kde, density
from almere_gis.analysis.density import KERNELS, kde
from almere_gis.outputs import rasters
from almere_gis.outputs.rasters import write_geotiff

# Kernel shapes written out independently of the module, u = d / r <= 1.
SHAPE = {
    "quartic": lambda u: (1 - u**2) ** 2,
    "triweight": lambda u: (1 - u**2) ** 3,
    "epanechnikov": lambda u: 1 - u**2,
    "triangular": lambda u: 1 - u,
    "uniform": lambda u: 1.0,
}
SCALE = {"quartic": 3, "triweight": 4, "epanechnikov": 2, "triangular": 3, "uniform": 1}


def value_at(grid: density.DensityGrid, x: float, y: float) -> float:
    col, row = ~grid.transform * (x, y)
    return float(grid.values[int(math.floor(row)), int(math.floor(col))])


@pytest.mark.parametrize("kernel", KERNELS)
def test_raw_single_point_on_a_cell_centre_matches_hand_values(kernel: str) -> None:
    # Cell 10 m, r = 40 m: the point sits on a cell centre, cells at 10, 20*sqrt(2), 30 m...
    p = (1005.0, 2005.0)
    g = kde([p], cell_size_m=10.0, radius_m=40.0, kernel=kernel, output="raw")
    assert value_at(g, *p) == pytest.approx(1.0, abs=1e-9)
    for dx, dy in [(10, 0), (0, -20), (20, 20), (30, 10), (0, 40), (40, 10), (50, 0)]:
        d = math.hypot(dx, dy)
        expected = SHAPE[kernel](d / 40.0) if d <= 40.0 else 0.0
        got = value_at(g, p[0] + dx, p[1] + dy)
        assert got == pytest.approx(expected, abs=1e-9), (dx, dy)


@pytest.mark.parametrize("kernel", KERNELS)
def test_raw_three_weighted_points_superpose(kernel: str) -> None:
    pts = [(1005.0, 2005.0), (1035.0, 2005.0), (1005.0, 1985.0)]
    w = [2.0, 3.0, 0.5]
    g = kde(pts, weights=w, cell_size_m=10.0, radius_m=40.0, kernel=kernel, output="raw")
    for cx, cy in [(1015.0, 2005.0), (1005.0, 1995.0), (1025.0, 1985.0)]:
        expected = sum(
            wi * SHAPE[kernel](math.hypot(cx - px, cy - py) / 40.0)
            for (px, py), wi in zip(pts, w, strict=True)
            if math.hypot(cx - px, cy - py) <= 40.0
        )
        assert value_at(g, cx, cy) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("kernel", ["quartic", "triweight", "epanechnikov", "triangular"])
def test_scaled_single_point_matches_the_analytic_density(kernel: str) -> None:
    # r = 16 cells: the discrete kernel's normalisation is within 1 % of the analytic one.
    p = (100_005.0, 400_005.0)
    g = kde([p], cell_size_m=10.0, radius_m=160.0, kernel=kernel, output="scaled")
    per_m2 = SCALE[kernel] / (math.pi * 160.0**2)
    assert value_at(g, *p) == pytest.approx(per_m2 * 1e6, rel=1e-2)
    d = math.hypot(50, 30)
    assert value_at(g, p[0] + 50, p[1] + 30) == pytest.approx(
        per_m2 * 1e6 * SHAPE[kernel](d / 160.0), rel=1e-2
    )
    assert g.units == "establishments per km2"
    assert g.integral() == pytest.approx(1.0, rel=1e-9)


def test_scaled_uniform_spreads_the_count_over_the_cells_in_the_disk() -> None:
    # Uniform kernel, point on a cell centre: every cell centre within r gets 1 / (n cells).
    r_cells = 16
    n_in = sum(
        1
        for i in range(-r_cells, r_cells + 1)
        for j in range(-r_cells, r_cells + 1)
        if i * i + j * j <= r_cells**2
    )
    p = (5.0, 5.0)
    g = kde([p, p], cell_size_m=10.0, radius_m=160.0, kernel="uniform", output="scaled")
    assert value_at(g, *p) == pytest.approx(2 / (n_in * 1e-4), rel=1e-9)
    assert value_at(g, p[0] + 150, p[1] + 50) == pytest.approx(2 / (n_in * 1e-4), rel=1e-9)
    assert value_at(g, p[0] + 160, p[1] + 10) == 0.0
    assert int((g.values > 0).sum()) == n_in


def test_grid_extent_is_grown_by_the_radius_and_snapped() -> None:
    pts = np.array([[1003.0, 2017.0], [1252.0, 2101.0]])
    g = kde(pts, cell_size_m=25.0, radius_m=100.0)
    xmin, ymin, xmax, ymax = g.bounds
    for edge in g.bounds:
        assert edge % 25.0 == pytest.approx(0.0, abs=1e-9)
    assert xmin <= 1003.0 - 100.0 and ymin <= 2017.0 - 100.0
    assert xmax >= 1252.0 + 100.0 and ymax >= 2101.0 + 100.0
    assert g.values.shape == (round((ymax - ymin) / 25), round((xmax - xmin) / 25))
    assert g.transform.e == -25.0  # row 0 is north
    # A point near the top lights up the top rows, not the bottom ones.
    top = kde([[1000.0, 5000.0]], extent=(1000, 3000, 1000, 5000), cell_size_m=25.0, radius_m=100)
    assert top.values[:10].sum() > 0 and top.values[-10:].sum() == 0


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 60),
    radius_cells=st.floats(4.0, 24.0),
    kernel=st.sampled_from(["quartic", "triweight", "epanechnikov", "triangular"]),
    output=st.sampled_from(["raw", "scaled"]),
    weighted=st.booleans(),
)
def test_kde_matches_exact_evaluation_within_one_percent(
    seed: int, n: int, radius_cells: float, kernel: str, output: str, weighted: bool
) -> None:
    rng = np.random.default_rng(seed)
    cell = 25.0
    xy = rng.uniform(0, 40 * cell, size=(n, 2)) + [150_000.0, 480_000.0]
    w = rng.integers(1, 12, n).astype(float) if weighted else None
    g = kde(xy, weights=w, cell_size_m=cell, radius_m=radius_cells * cell, kernel=kernel,
            output=output)  # fmt: skip
    exact = _kde.exact_surface(xy, w, g)
    assert np.abs(g.values - exact).max() <= 0.01 * exact.max()
    if output == "scaled":
        total = n if w is None else w.sum()
        assert g.integral() == pytest.approx(total, rel=1e-6)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 200),
    radius_cells=st.floats(1.0, 30.0),
    kernel=st.sampled_from(KERNELS),
)
def test_scaled_mass_equals_the_total_weight(
    seed: int, n: int, radius_cells: float, kernel: str
) -> None:
    rng = np.random.default_rng(seed)
    xy = rng.normal(0, 300, size=(n, 2)) + [140_000.0, 490_000.0]
    w = rng.exponential(3.0, n)
    g = kde(xy, weights=w, cell_size_m=20.0, radius_m=radius_cells * 20.0, kernel=kernel)
    assert g.integral() == pytest.approx(w.sum(), rel=1e-6)
    assert (g.values >= 0).all()
    assert g.total_weight == pytest.approx(w.sum())


def test_accepts_a_geoseries_and_reprojects_it() -> None:
    pts_rd = gpd.GeoSeries(gpd.points_from_xy([145_003.0, 146_011.0], [487_007.0, 487_513.0]),
                           crs="EPSG:28992")  # fmt: skip
    a = kde(pts_rd, cell_size_m=25.0, radius_m=200.0)
    b = kde(pts_rd.to_crs("EPSG:4326"), cell_size_m=25.0, radius_m=200.0)
    assert a.shape == b.shape
    # the round trip through WGS 84 moves points by millimetres
    np.testing.assert_allclose(a.values, b.values, atol=1e-3 * a.values.max())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kernel": "gaussian"}, "unknown kernel"),
        ({"output": "density"}, "unknown output"),
        ({"radius_m": 10.0, "cell_size_m": 25.0}, "at least the cell size"),
        ({"weights": [1.0, -2.0]}, "negative or missing"),
        ({"weights": [1.0]}, "1 weights for 2 points"),
    ],
)
def test_bad_arguments_are_refused_with_a_fix(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        kde([[0.0, 0.0], [10.0, 10.0]], **kwargs)


def test_points_without_crs_are_refused() -> None:
    with pytest.raises(ValueError, match="no CRS"):
        kde(gpd.GeoSeries(gpd.points_from_xy([1.0], [2.0])))


# --------------------------------------------------------------------------- GeoTIFF


def _grid_for_tiff() -> tuple[density.DensityGrid, shapely.Polygon]:
    rng = np.random.default_rng(4)
    xy = rng.uniform(150_000, 156_000, size=(400, 2)) - [0, 150_000 - 480_000]
    g = kde(xy, cell_size_m=10.0, radius_m=200.0, units="jobs per km2")
    xmin, ymin, xmax, ymax = g.bounds
    area = shapely.Point((xmin + xmax) / 2, (ymin + ymax) / 2).buffer((xmax - xmin) / 3)
    return g, area


@pytest.mark.parametrize("cog_driver", [True, False], ids=["COG", "GTiff-fallback"])
def test_geotiff_layout_and_mask(tmp_path, monkeypatch, cog_driver: bool) -> None:
    if not cog_driver:
        monkeypatch.setattr(rasters, "_has_cog_driver", lambda: False)
    g, area = _grid_for_tiff()
    assert min(g.shape) > 512  # big enough for overviews
    out = write_geotiff(
        g,
        tmp_path / "kde_all_jobs.tif",
        mask_geometry=gpd.GeoSeries([area], crs="EPSG:28992"),
        description="All establishments, jobs",
        units="jobs per km2",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kde_all_jobs.tif"]  # no temp left
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 28992
        assert src.transform.almost_equals(g.transform)
        assert src.nodata == -9999.0
        assert src.dtypes == ("float32",)
        assert src.block_shapes == [(256, 256)]
        assert src.compression.name.upper() == "DEFLATE"
        assert src.overviews(1)[:2] == [2, 4]
        assert src.descriptions == ("All establishments, jobs",)
        assert src.units == ("jobs per km2",)
        assert src.tags()["units"] == "jobs per km2"
        assert src.tags(1)["description"] == "All establishments, jobs"
        data = src.read(1)
    rows, cols = g.shape
    assert data[0, 0] == -9999.0 and data[-1, -1] == -9999.0  # corners: outside the circle
    centre = data[rows // 2, cols // 2]
    assert centre == pytest.approx(g.values[rows // 2, cols // 2], rel=1e-6)
    # Exactly the cells the circle does not touch are nodata.
    from rasterio.features import geometry_mask

    outside = geometry_mask([area], out_shape=g.shape, transform=g.transform, all_touched=True)
    assert ((data == -9999.0) == outside).all()


def test_geotiff_overwrites_atomically(tmp_path) -> None:
    g, _ = _grid_for_tiff()
    target = tmp_path / "k.tif"
    target.write_bytes(b"old")
    write_geotiff(g, target)
    with rasterio.open(target) as src:
        assert src.read(1).shape == g.shape
        assert src.units == (g.units,)
    with pytest.raises(FileNotFoundError, match="output folder does not exist"):
        write_geotiff(g, tmp_path / "missing" / "k.tif")


@pytest.mark.parametrize("kernel", ["quartic", "epanechnikov"])
@pytest.mark.parametrize("weighted", [False, True])
def test_tiles_join_without_seams(kernel: str, weighted: bool) -> None:
    rng = np.random.default_rng(8)
    # Clusters on tile corners and edges: the seams carry most of the mass.
    xy = np.vstack([rng.normal([150_000 + 64 * 20 * k, 480_000], 150, (400, 2)) for k in range(4)])
    w = rng.exponential(2.0, len(xy)) if weighted else None
    whole = kde(xy, weights=w, cell_size_m=20.0, radius_m=300.0, kernel=kernel)
    tiled = kde(xy, weights=w, cell_size_m=20.0, radius_m=300.0, kernel=kernel, tile_cells=64)
    assert max(whole.shape) > 3 * 64  # really several tiles in both directions
    np.testing.assert_allclose(tiled.values, whole.values, rtol=0, atol=1e-9 * whole.values.max())
    assert tiled.n_points == whole.n_points == len(xy)
    assert tiled.total_weight == pytest.approx(whole.total_weight, rel=1e-12)
    assert tiled.integral() == pytest.approx(whole.integral(), rel=1e-9)


def test_tiles_count_far_points_like_the_whole_grid() -> None:
    xy = np.array([[1000.0, 2000.0], [1500.0, 2600.0], [9000.0, 9000.0]])
    extent = (900.0, 1900.0, 1600.0, 2700.0)
    whole = kde(xy, cell_size_m=10.0, radius_m=50.0, extent=extent)
    tiled = kde(xy, cell_size_m=10.0, radius_m=50.0, extent=extent, tile_cells=16)
    assert whole.n_points == tiled.n_points == 2
    assert whole.metadata == tiled.metadata == {"dropped_far_points": 1}
    np.testing.assert_allclose(tiled.values, whole.values, atol=1e-9 * whole.values.max())
    with pytest.raises(ValueError, match="tile_cells"):
        kde(xy, cell_size_m=10.0, radius_m=50.0, tile_cells=0)
