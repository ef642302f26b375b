"""The default map in a real browser (Debian's headless Chromium via Playwright), offline.

Every request other than the file itself is blocked. At four viewports (phone, tablet, laptop,
wide screen) the map must render, open on the whole study area, keep its top-10 markers apart,
keep every hover card and popup clear of the panel and the controls, and offer touch targets of
at least 40 px. Screenshots of the whole city and of an open popup go to build/screenshots/.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from browser_checks import (
    CHROMIUM_ARGS,
    SCREENSHOTS,
    VIEWPORTS,
    collisions,
    hover_every_buurt,
    legends_follow_layers,
    only_basemap_asked_the_network,
    open_panel,
    opening_view_fits,
    popups_of_top_sites,
    real_errors,
    search_and_show,
    small_touch_targets,
    visit,
)
from webmap_data import EVIL_IMG, build_inputs, public_source

from almere_gis.outputs.webmap import MapOptions, make_map
from almere_gis.outputs.webmap import assets as _assets
from almere_gis.settings import load_settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning"),
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
def data() -> dict:
    return build_inputs()


@pytest.fixture(scope="module")
def default_map(data: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The map exactly as a run writes it: default options, nothing asked for offline."""
    out = tmp_path_factory.mktemp("webmap_browser") / "kaart.html"
    return make_map(
        public_source(data), load_settings(), out, MapOptions(generated=date(2025, 3, 4))
    ).path


@pytest.mark.parametrize("size", VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
def test_layout_at_every_viewport(browser, default_map: Path, size: tuple[int, int]) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = f"testkaart_{size[0]}x{size[1]}"
    with visit(browser, default_map, size) as seen:
        page = seen.page
        assert page.locator(".ag-buurten-pane path, .leaflet-ag-buurten-pane path").count() == 9
        assert "Achtergrondkaart niet beschikbaar" in page.locator("#ag-notices").inner_text()
        assert page.locator("#ag-notices").is_visible()
        fits, how = opening_view_fits(page)
        assert fits, how
        assert len(page.locator(".ag-top").all()) == 10
        assert collisions(page) == []
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        checked, problems = hover_every_buurt(page)
        assert checked == 9 and problems == []
        n, problems = popups_of_top_sites(page, SCREENSHOTS / f"{name}_popup.png")
        assert n == 10 and problems == []
        assert small_touch_targets(page) == []
        open_panel(page)
        assert small_touch_targets(page) == []
        assert real_errors(seen) == [] and seen.dialogs == []
        assert only_basemap_asked_the_network(seen), seen.requested


def test_layers_toggle_their_legends(browser, default_map: Path) -> None:
    with visit(browser, default_map, (1366, 768)) as seen:
        assert legends_follow_layers(seen.page) == []
        assert real_errors(seen) == []


def test_search_finds_a_buurt_a_wijk_and_a_site(browser, default_map: Path, data: dict) -> None:
    c = data["candidates"]
    site = str(c.loc[c["rank"] == 3, "name"].iloc[0])
    for size in [(1366, 768), (390, 844)]:
        with visit(browser, default_map, size) as seen:
            assert "Buurt 4" in search_and_show(seen.page, "buurt 4")
            assert f"#3 · {site}" in search_and_show(seen.page, site.lower())
            # A hostile name is found and shown as text, never run.
            assert f"#2 · {EVIL_IMG}" in search_and_show(seen.page, "<img")
            open_panel(seen.page)
            seen.page.locator("#ag-search").fill("Nergensland")
            assert seen.page.locator(".ag-results").inner_text() == "Niets gevonden"
            assert seen.dialogs == [] and real_errors(seen) == []


def test_view_is_in_the_url(browser, default_map: Path) -> None:
    with visit(browser, default_map, (1366, 768)) as seen:
        assert seen.page.evaluate("() => location.hash") == ""  # the opening view: no hash yet
        seen.page.evaluate("() => { agMap.map.setView([52.36, 5.2], 14.5); }")
        seen.page.wait_for_timeout(400)
        hash_ = seen.page.evaluate("() => location.hash")
        zoom, lat, lng = (float(v) for v in hash_.lstrip("#").split("/"))
        assert zoom == 14.5 and lat == pytest.approx(52.36, abs=1e-4)
        assert lng == pytest.approx(5.2, abs=1e-4)
    with visit(browser, default_map, (1366, 768), "#15/52.37000/5.21000") as seen:
        zoom, lat, lng = seen.page.evaluate(
            "() => [agMap.map.getZoom(), agMap.map.getCenter().lat, agMap.map.getCenter().lng]"
        )
        assert zoom == 15 and lat == pytest.approx(52.37, abs=1e-4)
        assert lng == pytest.approx(5.21, abs=1e-4)


def test_tables_sort_and_download(browser, default_map: Path, data: dict) -> None:
    with visit(browser, default_map, (1366, 768)) as seen:
        page = seen.page
        open_panel(page)
        page.locator("summary", has_text="Tabellen").click()
        rows = page.locator(".ag-table tbody tr")
        assert rows.count() == 11
        assert rows.first.locator("td").first.inner_text() == "1"
        page.locator(".ag-table th button", has_text="Rang").click()
        page.locator(".ag-table th button", has_text="Rang").click()
        assert rows.first.locator("td").first.inner_text() == "11"
        with page.expect_download() as info:
            page.locator(".ag-download").click()
        text = Path(info.value.path()).read_text(encoding="utf-8-sig")
        lines = text.strip().splitlines()
        assert lines[0].startswith("Rang;Naam;Soort;Score;Robuustheid")
        assert lines[1].startswith("11;") and len(lines) == 12
        page.locator(".ag-tabs button", has_text="Buurten").click()
        assert page.locator(".ag-table tbody tr").count() == 9
        assert "< 5" in page.locator(".ag-table tbody").inner_text()


def test_english_map_in_the_browser(browser, data: dict, tmp_path: Path) -> None:
    path = make_map(public_source(data), load_settings(), tmp_path / "map.html",
                    MapOptions(language="en")).path  # fmt: skip
    with visit(browser, path, (1366, 768)) as seen:
        page = seen.page
        assert "Basemap unavailable" in page.locator("#ag-notices").inner_text()
        labels = page.locator("#ag-layers label").all_inner_texts()
        assert "No basemap" in " ".join(labels)
        page.locator("#ag-layers label", has_text="Density").locator("input").click()
        assert (
            "establishments per km²"
            in page.locator('.ag-legend[data-layer="density-all_count"]').inner_text()
        )
        assert real_errors(seen) == []


def test_without_local_leaflet_the_page_says_why(
    browser, data: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_assets, "_xstatic_dir", lambda: None)
    monkeypatch.setattr(_assets, "NPM_DIR", tmp_path / "none")
    path = make_map(public_source(data), load_settings(), tmp_path / "m.html").path
    with visit_without_agmap(browser, path) as page:
        assert "XStatic-Leaflet" in page.locator(".ag-fatal").inner_text()
        assert "XStatic-Leaflet" in page.locator("#ag-notices").inner_text()


def visit_without_agmap(browser, path: Path):
    """A visit for a page whose map cannot start (no Leaflet offline)."""
    from contextlib import contextmanager

    @contextmanager
    def opened():
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        page.goto(path.as_uri(), wait_until="load")
        try:
            yield page
        finally:
            page.close()

    return opened()
