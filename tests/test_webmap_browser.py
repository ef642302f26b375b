"""The self-contained map in a real browser: Debian's headless Chromium driven by Playwright.

Every request other than the file itself is blocked, which proves the map needs no network.
Prints the load time and leaves a screenshot in the test's temporary folder.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from test_webmap import EVIL, build_inputs, map_inputs

from almere_gis.outputs.webmap import make_map
from almere_gis.settings import load_settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning"),
]

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "build" / "web" / "node_modules"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser(chromium_path: Path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def offline_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import require

    require(
        (ASSETS / "leaflet" / "dist" / "leaflet.js").is_file(),
        "Leaflet assets are not installed in build/web (run `make assets`)",
    )
    tmp = tmp_path_factory.mktemp("webmap_browser")
    return make_map(
        **map_inputs(build_inputs(tmp)),
        settings=load_settings(),
        out_path=tmp / "kaart.html",
        self_contained=True,
        generated=date(2025, 3, 4),
        assets_dir=ASSETS,
    )


def test_offline_map_in_chromium(browser, offline_map: Path, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    requested: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    def block(route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    page.route("**/*", block)

    start = time.perf_counter()
    page.goto(offline_map.as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-control-layers")
    page.wait_for_selector("path.ag-site-rank-1")
    load_s = time.perf_counter() - start
    size_kb = offline_map.stat().st_size / 1024
    print(f"\nself-contained test map: {size_kb:.0f} kB, loaded in {load_s:.2f} s")

    # Layer control lists the base layers and every overlay.
    bases = [
        s.strip() for s in page.locator(".leaflet-control-layers-base label").all_inner_texts()
    ]
    overlays = [
        s.strip() for s in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    ]
    assert bases == ["Lichte achtergrond (PDOK grijs)", "OpenStreetMap", "Geen achtergrond"]
    assert page.locator(".leaflet-control-layers-base input").nth(2).is_checked()
    assert overlays == [
        "Buurten: Banen in kleinschalige vestigingen per km² land",
        "Dichtheid (kernel 400 m): alle vestigingen",
        "Hot spots en cold spots (Gi*)",
        "Zoekgebieden",
        "Wijken (grenzen)",
        "Kandidaatlocaties (top 10 gemarkeerd)",
    ]

    # The buurten are drawn: one path per buurt in their pane, coloured.
    assert page.locator(".leaflet-ag_buurten-pane path").count() == 9
    # The density overlay shows when switched on.
    page.locator(".leaflet-control-layers-overlays label").nth(1).click()
    assert page.locator(".leaflet-ag_kde-pane img").count() == 1

    # Clicking the top candidate opens its popup; its hostile name is shown as text.
    page.locator("path.ag-site-rank-1").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    text = popup.inner_text()
    assert text.startswith(f"#1 · {EVIL}")
    assert "Score" in text and "Vraag op loopafstand" in text
    assert popup.locator("script").count() == 0

    # Hovering the buurt with the hostile name shows it literally in the tooltip.
    page.locator(".leaflet-popup-close-button").click()
    centre = page.evaluate(
        """() => {
            const map = Object.values(window).find(v => v instanceof L.Map);
            let found = null;
            map.eachLayer(l => {
                const p = l.feature && l.feature.properties;
                if (!found && p && p.tip && p.tip.includes('alert(1)') && l.getCenter) {
                    found = map.latLngToContainerPoint(l.getCenter());
                }
            });
            return found && [found.x, found.y];
        }"""
    )
    assert centre is not None
    box = page.locator(".leaflet-container").bounding_box()
    page.mouse.move(box["x"] + centre[0], box["y"] + centre[1])
    tooltip = page.locator(".leaflet-tooltip.ag-tip", has_text="BU00340001")
    tooltip.wait_for(state="visible")
    assert EVIL in tooltip.inner_text()

    page.screenshot(path=str(tmp_path / "kaart.png"))
    assert (tmp_path / "kaart.png").stat().st_size > 10_000
    assert dialogs == [], "a data string ran as script"
    assert requested == [], f"the offline map asked the network for {requested}"
    assert errors == []
    page.close()
