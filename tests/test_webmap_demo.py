"""The map a run writes on the demo data, end to end: size, privacy and a real browser.

Runs the whole pipeline on the demo files under shapefiles/ (fewer permutations and draws than
the defaults, to stay fast) with the map step as a run does it, and checks the map the way a
planner's phone, tablet, laptop and wide screen would show it, with the network blocked. Prints
the file size and the load time; screenshots go to build/screenshots/demo_*.png.
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import pytest
from browser_checks import (
    CHROMIUM_ARGS,
    SCREENSHOTS,
    VIEWPORTS,
    collisions,
    hover_every_buurt,
    only_basemap_asked_the_network,
    opening_view_fits,
    popups_of_top_sites,
    real_errors,
    search_and_show,
    visit,
)
from test_webmap import coordinate_leaks

from almere_gis import pipeline
from almere_gis.settings import load_settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> pipeline.RunResult:
    settings = load_settings().replace("hotspots", permutations=99).replace("sites", draws=200)
    out = tmp_path_factory.mktemp("webmap_demo") / "out"
    return pipeline.run(settings, out_dir=out, steps={"density", "hotspots", "sites", "map"})


@pytest.fixture(scope="module")
def demo_map(demo: pipeline.RunResult) -> Path:
    path = demo.map_path
    assert path is not None
    return path if path.is_absolute() else demo.out_dir / path


def test_demo_map_size(demo_map: Path) -> None:
    size_mb = demo_map.stat().st_size / 1e6
    print(f"\ndemo map (default, works offline): {size_mb:.2f} MB")
    assert size_mb < 5.0
    assert "Leaflet 1.9.3" in demo_map.read_text(encoding="utf-8")


def test_demo_map_shows_no_home_based_or_zzp_location(
    demo: pipeline.RunResult, demo_map: Path
) -> None:
    b = demo.businesses
    private = b.loc[(b["home_based"] | b["zzp"]).to_numpy(dtype=bool)]
    assert len(private) > 1000
    leaks = coordinate_leaks(demo_map.read_text(encoding="utf-8"), gpd.GeoDataFrame(private))
    assert leaks == []


def inside_points(demo: pipeline.RunResult) -> list[list[float]]:
    """A [lat, lon] inside each buurt, for hovering it."""
    b = demo.publication.buurten.data
    points = gpd.GeoSeries(b.geometry.representative_point(), crs=b.crs).to_crs("EPSG:4326")
    return [[float(p.y), float(p.x)] for p in points]


@pytest.fixture(scope="module")
def browser(chromium_path: Path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.mark.browser
@pytest.mark.parametrize("size", VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
def test_demo_map_at_every_viewport(
    browser, demo: pipeline.RunResult, demo_map: Path, size: tuple[int, int]
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = f"demo_{size[0]}x{size[1]}"
    start = time.perf_counter()
    with visit(browser, demo_map, size) as seen:
        page = seen.page
        print(f"\ndemo map at {size}: loaded in {time.perf_counter() - start:.2f} s")
        n_buurten = len(demo.publication.buurten.data)
        assert page.locator(".leaflet-ag-buurten-pane path").count() == n_buurten
        fits, how = opening_view_fits(page)
        assert fits, how
        assert len(page.locator(".ag-top").all()) == demo.settings.sites.top_k
        assert collisions(page) == []
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        checked, problems = hover_every_buurt(page, inside_points(demo))
        assert checked >= 0.9 * n_buurten and problems == [], problems[:5]
        n, problems = popups_of_top_sites(page, SCREENSHOTS / f"{name}_popup.png")
        assert n == demo.settings.sites.top_k and problems == [], problems[:5]
        assert real_errors(seen) == []
        assert only_basemap_asked_the_network(seen), seen.requested[:3]


@pytest.mark.browser
def test_demo_search_finds_a_real_buurt_and_site(
    browser, demo: pipeline.RunResult, demo_map: Path
) -> None:
    buurt = str(demo.publication.buurten.data["buurt_name"].iloc[0])
    c = demo.publication.candidates
    assert c is not None
    site = str(c.data.loc[c.data["rank"] == 1, "name"].iloc[0])
    with visit(browser, demo_map, (1366, 768)) as seen:
        assert buurt in search_and_show(seen.page, buurt)
        assert site in search_and_show(seen.page, site)
        assert real_errors(seen) == []
