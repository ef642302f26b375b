"""Density GeoTIFFs written from DensitySurface objects, with their QGIS style beside them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from qgis_helpers import X0, Y0, make_surface
from shapely.geometry import box

from almere_gis._errors import InputError
from almere_gis.analysis.density import NODATA, DensitySurface
from almere_gis.outputs.rasters import write_density_rasters, write_geotiff
from almere_gis.outputs.style import DENSITY_RAMP
from almere_gis.settings import load_settings


@pytest.fixture(scope="module")
def settings():
    return load_settings()


def test_surface_written_once_with_its_mask_and_range(tmp_path, settings) -> None:
    surface = make_surface()
    files = write_density_rasters({"small_scale_count": surface}, tmp_path, settings=settings)
    assert set(files) == {"density:small_scale_count", "style:kde_small_scale_count"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "kde_small_scale_count.qml",
        "kde_small_scale_count.tif",
    ]  # no temporary files left
    with rasterio.open(files["density:small_scale_count"]) as src:
        data = src.read(1)
        tags = src.tags()
        assert src.crs.to_epsg() == 28992
        assert src.transform.almost_equals(surface.grid.transform)
        assert src.nodata == NODATA
        assert src.units == ("vestigingen per km²",)
        description = src.descriptions[0]
    # Exactly the cells the surface may not show are nodata; the others hold its values.
    assert ((data == NODATA) == ~surface.shown).all()
    np.testing.assert_allclose(data[surface.shown], surface.grid.values[surface.shown], rtol=1e-6)
    low, high = surface.display_range
    assert tags["subset"] == "small_scale" and tags["weight"] == "count"
    assert float(tags["display_min"]) == pytest.approx(low)
    assert float(tags["display_max"]) == pytest.approx(high, rel=1e-5)
    assert tags["suppressed_cells"] == str(int((~surface.shown).sum()))
    assert description.startswith("Dichtheid van kleinschalige vestigingen (vestigingen per km²)")
    assert "minder dan 5 vestigingen" in description


def test_style_follows_the_display_range_not_the_maximum(tmp_path, settings) -> None:
    surface = make_surface(shown_all=True, scale=10.0)
    files = write_density_rasters({"k": surface}, tmp_path, settings=settings)
    shader = ET.parse(files["style:kde_k"]).find(".//colorrampshader")
    assert shader is not None
    low, high = surface.display_range
    # The 99th percentile of the positive shown cells (the map's range), not the maximum.
    assert (low, high) == (
        0.0,
        float(np.percentile(surface.grid.values[surface.grid.values > 0], 99)),
    )
    assert high < surface.grid.values.max()
    assert float(shader.get("minimumValue")) == low
    assert float(shader.get("maximumValue")) == high
    items = shader.findall("item")
    assert [float(i.get("value")) for i in items] == pytest.approx(
        [low + f * (high - low) for f, _ in DENSITY_RAMP]
    )
    assert [i.get("color") for i in items] == [c for _, c in DENSITY_RAMP]  # the map's ramp
    labels = [item.get("label") for item in items]
    assert labels[0] == "0 vestigingen per km²"
    assert labels[-1].endswith("of meer vestigingen per km²")


def test_nothing_to_show_gives_a_too_few_style(tmp_path, settings) -> None:
    full = make_surface()
    hidden = DensitySurface(
        subset="home_based",
        weight="jobs",
        grid=full.grid,
        shown=np.zeros(full.grid.shape, dtype=bool),
    )
    english = settings.replace("map", language="en")
    files = write_density_rasters({"home_based_jobs": hidden}, tmp_path, settings=english)
    with rasterio.open(files["density:home_based_jobs"]) as src:
        assert (src.read(1) == NODATA).all()
        assert src.units == ("jobs per km²",)
    items = ET.parse(files["style:kde_home_based_jobs"]).findall(".//item")
    assert [item.get("label") for item in items] == [
        "Too few to show: no cell with 5 or more establishments within the radius"
    ]


def test_sector_surfaces_are_named_after_their_group(tmp_path, settings) -> None:
    base = make_surface()
    sector = DensitySurface(subset="bouw", weight="count", grid=base.grid, shown=base.shown)
    files = write_density_rasters({"bouw_count": sector}, tmp_path, settings=settings)
    with rasterio.open(files["density:bouw_count"]) as src:
        assert src.descriptions[0].startswith("Dichtheid van vestigingen in de sector bouw")


def test_mask_geometry_needs_a_crs(tmp_path) -> None:
    grid = make_surface().grid
    area = gpd.GeoSeries([box(X0, Y0, X0 + 500, Y0 + 500)])
    with pytest.raises(InputError, match="mask_geometry: the layer has no CRS"):
        write_geotiff(grid, tmp_path / "k.tif", mask_geometry=area)
    with pytest.raises(InputError, match="the study area is empty"):
        write_geotiff(grid, tmp_path / "k.tif", mask_geometry=gpd.GeoSeries([], crs=28992))
    assert list(tmp_path.iterdir()) == []
