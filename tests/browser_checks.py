"""What a planner's browser must show, as checks shared by the map's browser tests (not a test
module). Pages are opened in Debian's headless Chromium with every request except the file
itself blocked; screenshots go to build/screenshots/ for a reviewer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"
VIEWPORTS = [(390, 844), (768, 1024), (1366, 768), (1920, 1080)]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BASEMAP_HOSTS = ("https://service.pdok.nl/", "https://tile.openstreetmap.org/")
LOCAL = ("file:", "data:", "blob:", "about:")


@dataclass
class Visit:
    """One page load: the page and what it did."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextmanager
def visit(browser: Any, path: Path, size: tuple[int, int], fragment: str = "") -> Iterator[Visit]:
    """Open ``path`` at viewport ``size`` with the network blocked."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
    seen = Visit(page)
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    def block(route: Any) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            seen.requested.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.goto(path.as_uri() + fragment, wait_until="load")
    page.wait_for_function("window.agMap !== undefined")
    page.wait_for_timeout(300)  # tile errors arrive; the basemap falls back
    try:
        yield seen
    finally:
        page.close()


def real_errors(seen: Visit) -> list[str]:
    """Console errors other than the blocked basemap tiles."""
    return [e for e in seen.errors if "ERR_FAILED" not in e and "net::" not in e]


def only_basemap_asked_the_network(seen: Visit) -> bool:
    """True when every blocked request was a basemap tile (nothing else needs network)."""
    return all(url.startswith(BASEMAP_HOSTS) for url in seen.requested)


_BOXES = """() => {
  const box = el => { const r = el.getBoundingClientRect();
    return {l: r.left, t: r.top, r: r.right, b: r.bottom, w: r.width, h: r.height}; };
  const map = document.getElementById('ag-map');
  return {map: box(map), panel: box(document.getElementById('ag-panel')),
    controls: [...map.querySelectorAll('.leaflet-control')].map(box).filter(b => b.w > 0)};
}"""


def boxes(page: Any) -> dict[str, Any]:
    """The map, the panel and the map's controls, in page pixels."""
    return page.evaluate(_BOXES)


def overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """The area two boxes share."""
    w = min(a["r"], b["r"]) - max(a["l"], b["l"])
    h = min(a["b"], b["b"]) - max(a["t"], b["t"])
    return w * h if w > 0 and h > 0 else 0.0


def clear_of_panel_and_controls(box: dict[str, float], page: Any) -> list[str]:
    """Why ``box`` is not fully visible in the map (empty when it is)."""
    b = boxes(page)
    problems = []
    m = b["map"]
    if (
        box["l"] < m["l"] - 1
        or box["t"] < m["t"] - 1
        or box["r"] > m["r"] + 1
        or box["b"] > m["b"] + 1
    ):
        problems.append(f"outside the map {box} vs {m}")
    if overlap(box, b["panel"]) > 0:
        problems.append("under the panel")
    problems += [f"under a control {c}" for c in b["controls"] if overlap(box, c) > 0]
    return problems


def element_box(locator: Any) -> dict[str, float]:
    r = locator.bounding_box()
    return {"l": r["x"], "t": r["y"], "r": r["x"] + r["width"], "b": r["y"] + r["height"]}


def opening_view_fits(page: Any) -> tuple[bool, str]:
    """The study area is wholly inside the map and fills most of its width or height."""
    fit = page.evaluate("""() => {
      const m = agMap.map, b = L.latLngBounds(JSON.parse(document.getElementById('ag-data')
        .textContent).bounds), nw = m.latLngToContainerPoint(b.getNorthWest()),
        se = m.latLngToContainerPoint(b.getSouthEast()), s = m.getSize();
      return {l: nw.x, t: nw.y, r: se.x, b: se.y, w: s.x, h: s.y};
    }""")
    inside = (
        fit["l"] >= -1 and fit["t"] >= -1 and fit["r"] <= fit["w"] + 1 and fit["b"] <= fit["h"] + 1
    )
    fill = max((fit["r"] - fit["l"]) / fit["w"], (fit["b"] - fit["t"]) / fit["h"])
    return inside and fill >= 0.8, f"{fit}, fill {fill:.2f}"


def top_marker_boxes(page: Any) -> list[dict[str, float]]:
    """The numbered top markers' touch areas (40 px), in page pixels."""
    return page.evaluate("""() => [...document.querySelectorAll('.ag-top')].map(el => {
      const r = el.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom};
    })""")


def collisions(page: Any) -> list[str]:
    """Pairs of top markers that overlap, and visible wijk labels on a top marker."""
    tops = top_marker_boxes(page)
    found = [f"{i + 1}/{j + 1}" for i in range(len(tops)) for j in range(i + 1, len(tops))
             if overlap(tops[i], tops[j]) > 0]  # fmt: skip
    labels = page.evaluate("""() => [...document.querySelectorAll('.ag-label:not(.ag-clash) span')]
      .map(el => { const r = el.getBoundingClientRect();
        return {l: r.left, t: r.top, r: r.right, b: r.bottom, text: el.textContent}; })""")
    marks = page.evaluate("""() => [...document.querySelectorAll('.ag-top .ag-rank')].map(el => {
      const r = el.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom};
    })""")
    found += [f"label {lab['text']}" for lab in labels for t in marks if overlap(lab, t) > 0]
    return found


_BUURT_POINTS = """inside => {
  const out = [], m = agMap.map, box = m.getContainer().getBoundingClientRect();
  Object.entries(agMap.layers.buurten.features).forEach(([id, l]) => {
    const p = m.latLngToContainerPoint(inside ? inside[id] : l.getCenter());
    if (p.x > 2 && p.y > 2 && p.x < box.width - 2 && p.y < box.height - 2)
      out.push([Number(id), box.left + p.x, box.top + p.y]);
  });
  return out;
}"""


def _hover(page: Any, points: list[list[float]], done: set[int]) -> list[str]:
    card = page.locator(".ag-hover")
    problems: list[str] = []
    for feature, x, y in points:
        if feature in done:
            continue
        page.mouse.move(x, y)
        page.mouse.move(x + 1, y + 1)
        if card.is_visible():
            done.add(int(feature))
            problems += clear_of_panel_and_controls(element_box(card), page)
    page.mouse.move(0, 0)
    return problems


def hover_every_buurt(page: Any, inside: list[list[float]] | None = None) -> tuple[int, list[str]]:
    """Hover every buurt: at the opening view, then zoomed to each one not yet seen there.

    ``inside`` gives a [lat, lon] inside each buurt (else Leaflet's centre of its polygon).
    Every card that opens must be inside the map and clear of the panel and the controls.
    Returns (buurten whose card was checked, problems).
    """
    done: set[int] = set()
    problems = _hover(page, page.evaluate(_BUURT_POINTS, inside), done)
    total = page.evaluate("() => Object.keys(agMap.layers.buurten.features).length")
    for feature in range(total):
        if feature in done:
            continue
        page.evaluate(
            "id => { agMap.map.fitBounds(agMap.layers.buurten.features[id].getBounds(),"
            " {animate: false, maxZoom: 16}); }",
            feature,
        )
        page.wait_for_timeout(50)
        points = [p for p in page.evaluate(_BUURT_POINTS, inside) if p[0] == feature]
        problems += _hover(page, points, done)
    page.evaluate("() => agMap.fitStudyArea()")
    page.wait_for_timeout(300)
    return len(done), problems


def popups_of_top_sites(page: Any, shot: Path | None = None) -> tuple[int, list[str]]:
    """Open the popup of every top site from the opening view; each must be clear."""
    ranks = page.evaluate("() => agMap.tops.map(m => m.agRank)")
    problems = []
    for rank in ranks:
        page.evaluate("() => { agMap.map.closePopup(); agMap.fitStudyArea(); }")
        page.wait_for_timeout(350)
        page.locator(f".ag-site-rank-{rank}").click()
        popup = page.locator(".leaflet-popup")
        popup.wait_for(state="visible")
        page.wait_for_timeout(450)  # the pan that brings it into view
        problems += [f"#{rank}: {p}" for p in clear_of_panel_and_controls(element_box(popup), page)]
        if shot is not None and rank == ranks[0]:
            page.screenshot(path=str(shot))
    page.evaluate("() => { agMap.map.closePopup(); agMap.fitStudyArea(); }")
    return len(ranks), problems


_TARGETS = """() => {
  const sel = ['#ag-toggle', '#ag-search', 'details > summary', '#ag-layers label',
    '.leaflet-control-zoom a', '.ag-download', '.ag-tabs button', '.ag-table th button',
    '.leaflet-popup-close-button', '.ag-results button', '.ag-top'];
  const out = [];
  sel.forEach(s => document.querySelectorAll(s).forEach(el => {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) out.push({sel: s, w: r.width, h: r.height});
  }));
  return out;
}"""


def small_touch_targets(page: Any) -> list[dict[str, Any]]:
    """Visible controls smaller than 40 x 40 px (labels: 40 px high)."""
    found = page.evaluate(_TARGETS)
    return [t for t in found if t["h"] < 40 - 0.5 or (t["w"] < 40 - 0.5)]


def open_panel(page: Any) -> None:
    if page.evaluate(
        "() => document.getElementById('ag-panel').classList.contains('ag-collapsed')"
    ):
        page.locator("#ag-toggle").click()
        page.wait_for_timeout(200)


def legends_follow_layers(page: Any) -> list[str]:
    """Toggle every overlay: its legend must show exactly while it is on."""
    open_panel(page)
    ids = page.evaluate(
        "() => JSON.parse(document.getElementById('ag-data').textContent).layers.map(l => l.id)"
    )
    boxes_ = page.locator("#ag-layers .leaflet-control-layers-overlays input")
    problems = []
    for k, layer_id in enumerate(ids):
        legend = page.locator(f'.ag-legend[data-layer="{layer_id}"]')
        for _ in range(2):
            on = boxes_.nth(k).is_checked()
            if legend.is_visible() != on:
                problems.append(f"{layer_id}: layer {'on' if on else 'off'}, legend disagrees")
            boxes_.nth(k).click()
    return problems


def search_and_show(page: Any, query: str) -> str:
    """Type ``query``, pick the first result, and return what the map then shows."""
    open_panel(page)
    page.locator("#ag-search").fill(query)
    page.locator(".ag-results button").first.click()
    page.wait_for_timeout(700)
    popup = page.locator(".leaflet-popup-content")
    if popup.count() and popup.is_visible():
        return popup.inner_text()
    card = page.locator(".ag-hover")
    return card.inner_text() if card.is_visible() else ""
