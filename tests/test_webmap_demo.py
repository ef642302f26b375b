"""The map of the demo data, end to end: size, privacy and a real browser.

Runs the analysis on the demo files under shapefiles/ (with fewer permutations and draws than
the defaults, to stay fast), writes the self-contained map and checks it the way a planner's
laptop would see it. Prints the file size and the load time in headless Chromium.
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import pytest
from test_webmap import coordinate_leaks
from test_webmap_browser import CHROMIUM_ARGS

from almere_gis import pipeline
from almere_gis.outputs.webmap import make_map
from almere_gis.settings import load_settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning"),
]

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "build" / "web" / "node_modules"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[pipeline.RunResult, Path]:
    from conftest import require

    require(
        (ASSETS / "leaflet" / "dist" / "leaflet.js").is_file(),
        "Leaflet assets are not installed in build/web (run `make assets`)",
    )
    settings = (
        load_settings()
        .replace("density", subsets=("small_scale",), weights=("count",))
        .replace("hotspots", permutations=99)
        .replace("sites", draws=200)
    )
    out = tmp_path_factory.mktemp("webmap_demo")
    result = pipeline.run(settings, out_dir=out, steps={"density", "hotspots", "sites"})
    path = make_map(
        buurten=result.buurten,
        wijken=result.wijken,
        hexagons=result.hexagons,
        density_tif=result.density_paths["small_scale_count"],
        candidates=result.candidates,
        search_zones=result.search_zones,
        settings=settings,
        out_path=out / "kaart.html",
        self_contained=True,
        assets_dir=ASSETS,
    )
    return result, path


def test_demo_map_size(demo: tuple[pipeline.RunResult, Path]) -> None:
    _, path = demo
    size_mb = path.stat().st_size / 1e6
    print(f"\ndemo map (self-contained): {size_mb:.2f} MB")
    assert size_mb < 5.0


def test_demo_map_shows_no_home_based_or_zzp_location(
    demo: tuple[pipeline.RunResult, Path],
) -> None:
    result, path = demo
    b = result.businesses
    private = b.loc[(b["home_based"] | b["zzp"]).to_numpy(dtype=bool)]
    assert len(private) > 1000
    leaks = coordinate_leaks(path.read_text(encoding="utf-8"), gpd.GeoDataFrame(private))
    assert leaks == []


@pytest.mark.browser
def test_demo_map_loads_in_chromium(
    demo: tuple[pipeline.RunResult, Path], chromium_path: Path, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    _, path = demo
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file:") else route.abort()
            ),
        )
        start = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_selector("path.ag-site-rank-1")
        print(f"\ndemo map loaded in {time.perf_counter() - start:.2f} s (headless Chromium)")
        page.screenshot(path=str(tmp_path / "demo_kaart.png"))
        browser.close()
    assert errors == []
