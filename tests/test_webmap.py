"""The HTML map: contents, languages, number format, escaping, privacy, self-contained mode.

Inputs are hand-built: a 3 x 3 grid of 1 km buurten near Almere in RD New, business points
counted into them, a small KDE GeoTIFF, hexagons with Gi* classes, scored candidate sites and
one search zone.
"""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import date
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from almere_gis._errors import ConfigError, InputError
from almere_gis.outputs import style as _style
from almere_gis.outputs.webmap import format_number, make_map
from almere_gis.settings import load_settings

pytestmark = pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning")

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "build" / "web" / "node_modules"
EVIL = "<script>alert(1)</script>"
EVIL_IMG = '<img src=x onerror="alert(2)">'
EVIL_TEMPLATE = "`${alert(3)}`"
CRITERIA = ["demand_walk", "demand_cycle", "cluster", "accessibility", "fit", "mix", "social"]
X0, Y0 = 141_000.0, 485_000.0  # south-west corner of the test grid (Almere Stad), RD New


def build_inputs(tmp: Path, *, seed: int = 7) -> dict:
    """Hand-made map inputs; returns them plus the business points they were built from."""
    rng = np.random.default_rng(seed)
    # 9 buurten of 1 km x 1 km; 3 wijken = the 3 columns.
    cells = [(i, j) for j in range(3) for i in range(3)]
    polys = [
        shapely.box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000)
        for i, j in cells
    ]
    # Business points: many in the centre buurt, few in the corner (0, 2) so it is suppressed.
    per_cell = [40, 25, 30, 20, 120, 35, 3, 15, 22]
    xs, ys, cell_of = [], [], []
    for k, ((i, j), n) in enumerate(zip(cells, per_cell, strict=True)):
        xs.append(X0 + i * 1000 + rng.uniform(37.3, 962.7, n))
        ys.append(Y0 + j * 1000 + rng.uniform(41.1, 958.9, n))
        cell_of.append(np.full(n, k))
    x, y, cell = np.concatenate(xs), np.concatenate(ys), np.concatenate(cell_of)
    home = rng.random(x.size) < 0.35
    small = home | (rng.random(x.size) < 0.5)
    zzp = home & (rng.random(x.size) < 0.6)
    jobs = np.where(small, rng.integers(1, 9, x.size), rng.integers(10, 80, x.size))
    businesses = gpd.GeoDataFrame(
        {"home_based": home, "small_scale": small, "zzp": zzp, "jobs": jobs, "cell": cell},
        geometry=gpd.points_from_xy(x, y),
        crs="EPSG:28992",
    )

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cell[mask], minlength=9).astype(float)

    def total(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cell[mask], weights=jobs[mask], minlength=9)

    everything = np.ones(x.size, dtype=bool)
    names = [f"Buurt {k}" for k in range(9)]
    names[1] = EVIL
    wijk_names = ["Stad West", EVIL_TEMPLATE, "Stad Oost"]
    buurten = gpd.GeoDataFrame(
        {
            "buurt_code": [f"BU0034{k:04d}" for k in range(9)],
            "buurt_name": names,
            "wijk_code": [f"WK0034{i:02d}" for i, _ in cells],
            "wijk_name": [wijk_names[i] for i, _ in cells],
            "gemeente_code": "GM0034",
            "gemeente_name": "Almere",
            "inhabitants": rng.integers(500, 5000, 9).astype(float),
            "area_land_ha": 100.0,
            "area_type": ["wonen"] * 4 + ["centrum"] + ["wonen"] * 3 + ["bedrijventerrein"],
            "n_establishments": count(everything),
            "jobs": total(everything),
            "n_small_scale": count(small),
            "jobs_small_scale": total(small),
            "n_home_based": count(home),
            "n_zzp": count(zzp),
        },
        geometry=polys,
        crs="EPSG:28992",
    )
    buurten["jobs_small_scale_per_km2"] = buurten["jobs_small_scale"] / 1.0  # 1 km2 of land
    buurten["suppressed"] = buurten["n_establishments"] < 5
    wijken = buurten.dissolve(by="wijk_code", as_index=False)[
        ["wijk_code", "wijk_name", "geometry"]
    ]

    # KDE surface: quartic kernel, 400 m, 50 m cells, nodata outside a 100 m margin ring.
    cell_m, r = 50.0, 400.0
    left, top = X0 - r, Y0 + 3000 + r
    ncol = nrow = int((3000 + 2 * r) / cell_m)
    cx = left + (np.arange(ncol) + 0.5) * cell_m
    cy = top - (np.arange(nrow) + 0.5) * cell_m
    gx, gy = np.meshgrid(cx, cy)
    dens = np.zeros_like(gx)
    for px, py in zip(x, y, strict=True):
        u2 = ((gx - px) ** 2 + (gy - py) ** 2) / r**2
        dens += np.where(u2 < 1, (1 - u2) ** 2, 0.0)
    dens *= 3 / (np.pi * r**2) * 1e6  # per km2
    dens[:2, :] = -9999.0  # a nodata strip along the north edge
    tif = tmp / "kde_all_count.tif"
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        width=ncol,
        height=nrow,
        count=1,
        dtype="float32",
        crs="EPSG:28992",
        transform=from_origin(left, top, cell_m, cell_m),
        nodata=-9999.0,
    ) as dst:
        dst.write(dens.astype("float32"), 1)
        dst.update_tags(1, units="vestigingen per km²")

    # Hexagons (flat-topped, 250 m across the flats) over the grid, with hand-set Gi* classes.
    a = 250.0 / np.sqrt(3.0)
    hexes, hx, hy = [], [], []
    for col in range(12):
        for row in range(14):
            cxh = X0 + col * 1.5 * a
            cyh = Y0 + row * 250.0 + (125.0 if col % 2 else 0.0)
            angles = np.deg2rad(np.arange(0, 360, 60))
            hexes.append(shapely.Polygon(np.c_[cxh + a * np.cos(angles), cyh + a * np.sin(angles)]))
            hx.append(cxh)
            hy.append(cyh)
    hexagons = gpd.GeoDataFrame(geometry=hexes, crs="EPSG:28992")
    hexagons["hex_id"] = np.arange(len(hexagons))
    inside = shapely.contains_xy(
        np.array(hexes)[:, None], x[None, :], y[None, :]
    )  # (n_hex, n_points)
    hexagons["count_all"] = inside.sum(axis=1)
    hexagons["count_small_scale"] = (inside & small[None, :]).sum(axis=1)
    hexagons["suppressed"] = hexagons["count_all"] < 5
    dist_centre = np.hypot(np.array(hx) - (X0 + 1500), np.array(hy) - (Y0 + 1500))
    hexagons["gi_z"] = 3.5 - dist_centre / 400.0
    hexagons["gi_class"] = np.select(
        [hexagons["gi_z"] > 2.58, hexagons["gi_z"] > 1.96, hexagons["gi_z"] < -2.58],
        ["hot_99", "hot_95", "cold_99"],
        "ns",
    )

    # 12 candidate sites: ranks 1..11 and one excluded; one with a hostile name.
    n = 12
    cand_x = X0 + 150 + rng.uniform(0, 2700, n)
    cand_y = Y0 + 150 + rng.uniform(0, 2700, n)
    norms = {f"{c}_norm": rng.uniform(0, 1, n) for c in CRITERIA}
    weights = load_settings().sites.weights
    score = sum(norms[f"{c}_norm"] * getattr(weights, c) for c in CRITERIA)
    excluded = np.zeros(n, dtype=bool)
    excluded[5] = True
    order = np.argsort(-np.where(excluded, -np.inf, score))
    rank = np.full(n, np.nan)
    rank[order[: n - 1]] = np.arange(1, n)
    site_names = [f"Locatie {k}" for k in range(n)]
    site_names[int(order[0])] = EVIL  # the top-ranked site carries the hostile name
    site_names[int(order[1])] = EVIL_IMG
    candidates = gpd.GeoDataFrame(
        {
            "site_id": [f"S{k:02d}" for k in range(n)],
            "name": site_names,
            "site_type": ["kantoor_leeg", "voormalige_school", "winkelruimte"] * 4,
            "floor_area_m2": rng.uniform(150, 4000, n).round(),
            "excluded": excluded,
            "exclusion_reason": ["" if not e else "kleiner dan 100 m²" for e in excluded],
            "score": score,
            "rank": rank,
            "explanation": [f"Veel kleinschalige bedrijven in de buurt {EVIL}." for _ in range(n)],
            "p_top_k": rng.uniform(0, 1, n),
            "robust": rng.random(n) < 0.5,
            **norms,
        },
        geometry=gpd.points_from_xy(cand_x, cand_y),
        crs="EPSG:28992",
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": [1]},
        geometry=[shapely.box(X0 + 1200, Y0 + 1200, X0 + 1800, Y0 + 1700)],
        crs="EPSG:28992",
    )
    return {
        "buurten": buurten,
        "wijken": wijken,
        "hexagons": hexagons,
        "density_tif": tif,
        "candidates": candidates,
        "search_zones": zones,
        "businesses": businesses,
    }


def map_inputs(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "businesses"}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return build_inputs(tmp_path_factory.mktemp("webmap_inputs"))


@pytest.fixture(scope="module")
def html_nl(data: dict, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("webmap_nl") / "kaart.html"
    make_map(**map_inputs(data), settings=load_settings(), out_path=out, generated=date(2025, 3, 4))
    return out.read_text(encoding="utf-8")


def in_page(text: str, page: str) -> bool:
    """``text`` in the page as HTML text or as a JSON string (how folium writes layer names)."""
    return text in page or json.dumps(text) in page


def geojson_payloads(page: str) -> list[dict]:
    """The GeoJSON collections folium embedded (``<layer>_add({...});``)."""
    found = re.findall(r"_add\((\{\"features\".*?\})\);\n", page)
    found += re.findall(r"_add\((\{\"type\": \"FeatureCollection\".*?\})\);\n", page)
    return [json.loads(f) for f in found]


# --------------------------------------------------------------------------------------------
# Number format
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "language", "expected"),
    [
        (1234.5, 1, "nl", "1.234,5"),
        (1234.5, 1, "en", "1,234.5"),
        (1234567.891, 2, "nl", "1.234.567,89"),
        (-1234.0, 0, "nl", "-1.234"),
        (0.5, 0, "nl", "0"),  # round half to even, as Python does
        (999.96, 1, "nl", "1.000,0"),
        (-0.04, 1, "nl", "0,0"),
        (12, 0, "nl", "12"),
        (float("nan"), 1, "nl", "–"),
        (None, 1, "en", "–"),
        ("abc", 1, "nl", "–"),
    ],
)
def test_format_number(value: object, decimals: int, language: str, expected: str) -> None:
    assert format_number(value, decimals=decimals, language=language) == expected


# --------------------------------------------------------------------------------------------
# Contents
# --------------------------------------------------------------------------------------------


def test_dutch_map_has_layers_legend_panel(html_nl: str, data: dict) -> None:
    for name in [
        "Lichte achtergrond (PDOK grijs)",
        "OpenStreetMap",
        "Geen achtergrond",
        "Buurten: Banen in kleinschalige vestigingen per km² land",
        "Wijken (grenzen)",
        "Dichtheid (kernel 400 m): alle vestigingen",
        "Hot spots en cold spots (Gi*)",
        "Kandidaatlocaties (top 10 gemarkeerd)",
        "Zoekgebieden",
    ]:
        assert in_page(name, html_nl), name
    assert "Kleinschalige economie in Almere" in html_nl
    assert "Kaart gemaakt op 4 maart 2025" in html_nl
    assert "Eenheid: banen in kleinschalige vestigingen per km² land" in html_nl
    assert "Eenheid: vestigingen per km²" in html_nl  # the GeoTIFF's units tag
    # Legend class bounds: mapclassify breaks of the unsuppressed buurten, in Dutch format.
    b = data["buurten"]
    shown = b.loc[b["n_small_scale"] >= 5, "jobs_small_scale_per_km2"].to_numpy()
    breaks = _style.class_breaks(shown, scheme="FisherJenks", k=5)
    assert len(breaks) == 5
    for upper in breaks:
        assert f"– {format_number(upper, language='nl')}" in html_nl
    for colour in _style.choropleth_colours(5):
        assert f"background:{colour}" in html_nl
    # No Bootstrap, jQuery or awesome-markers: only Leaflet is loaded.
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html_nl)
    assert scripts == ["https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"]
    # Online, the light PDOK basemap is the one shown on opening.
    tiles = re.findall(r"var (tile_layer_\w+) = L\.tileLayer\(\s*\"([^\"]+)\"", html_nl)
    shown = [url for var, url in tiles if f"{var}.addTo(" in html_nl]
    assert len(tiles) == 2 and len(shown) == 1 and "service.pdok.nl" in shown[0]


def test_choropleth_colours_follow_class_breaks(html_nl: str, data: dict) -> None:
    b = data["buurten"]
    payloads = geojson_payloads(html_nl)
    buurt_fc = next(
        p
        for p in payloads
        if len(p["features"]) == len(b) and "tip" in p["features"][0]["properties"]
    )
    shown = (b["n_small_scale"] >= 5).to_numpy()
    values = b["jobs_small_scale_per_km2"].to_numpy()
    breaks = np.array(_style.class_breaks(values[shown], k=5))
    colours = _style.choropleth_colours(5)
    for k, feature in enumerate(buurt_fc["features"]):
        fill = feature["properties"]["style"]["fillColor"]
        if shown[k]:
            assert fill == colours[int(np.searchsorted(breaks, values[k]))]
        else:
            assert fill not in colours
    assert len(payloads) == 5  # buurten, hexagons, search zones, wijken, candidates


def test_suppressed_buurt_shows_less_than_threshold(html_nl: str, data: dict) -> None:
    b = data["buurten"]
    k = int(np.flatnonzero(b["n_establishments"] < 5)[0])
    tip = next(
        f["properties"]["tip"]
        for p in geojson_payloads(html_nl)
        for f in p["features"]
        if b["buurt_code"].iloc[k] in f["properties"].get("tip", "")
    )
    assert "&lt; 5" in tip
    # Neither its count nor its jobs appear in its tooltip.
    assert f"<td>{int(b['n_establishments'].iloc[k])}</td>" not in tip
    assert format_number(b["jobs_small_scale_per_km2"].iloc[k], language="nl") not in tip
    # A buurt above the threshold shows its real count.
    big = int(np.argmax(b["n_establishments"].to_numpy()))
    big_tip = next(
        f["properties"]["tip"]
        for p in geojson_payloads(html_nl)
        for f in p["features"]
        if b["buurt_code"].iloc[big] in f["properties"].get("tip", "")
    )
    assert f"<td>{int(b['n_establishments'].iloc[big])}</td>" in big_tip


def test_only_significant_hexagons_with_suppressed_counts(html_nl: str, data: dict) -> None:
    h = data["hexagons"]
    significant = h[h["gi_class"] != "ns"]
    hex_fc = next(
        p
        for p in geojson_payloads(html_nl)
        if "Gi*-klasse" in p["features"][0]["properties"]["tip"]
    )
    assert len(hex_fc["features"]) == len(significant)
    fills = {f["properties"]["style"]["fillColor"] for f in hex_fc["features"]}
    assert fills == {_style.HOTSPOT_COLOURS[c] for c in set(significant["gi_class"])}
    n_less = sum("&lt; 5" in f["properties"]["tip"] for f in hex_fc["features"])
    expected = int((significant["suppressed"] | (significant["count_small_scale"] < 5)).sum())
    assert n_less == expected


def test_candidate_popup_score_bars_and_rank(html_nl: str, data: dict) -> None:
    c = data["candidates"]
    site_fc = next(
        p for p in geojson_payloads(html_nl) if "popup" in p["features"][0]["properties"]
    )
    feats = site_fc["features"]
    assert len(feats) == len(c)
    # Drawn best last; top 10 carry their rank as label and class name.
    assert feats[-1]["properties"]["style"]["className"] == "ag-site ag-site-rank-1"
    labels = [f["properties"]["label"] for f in feats if f["properties"]["label"]]
    assert sorted(int(v) for v in labels) == list(range(1, 11))
    top = c.loc[c["rank"] == 1].iloc[0]
    popup = feats[-1]["properties"]["popup"]
    assert f"Score {format_number(top['score'], decimals=2)}" in popup
    assert f"{format_number(top['p_top_k'] * 100)} %" in popup
    for crit in CRITERIA:
        width = round(top[f"{crit}_norm"] * 100)
        assert f'<span style="width:{width}%"></span>' in popup
    assert "Vraag op loopafstand" in popup and "25 %" in popup
    excluded = next(f for f in feats if "ag-site-excluded" in f["properties"]["style"]["className"])
    assert "Uitgesloten: kleiner dan 100 m²" in excluded["properties"]["popup"]
    assert excluded["properties"]["style"]["fillColor"] == _style.SITE_EXCLUDED


def test_english_labels(data: dict, tmp_path: Path) -> None:
    out = make_map(
        **map_inputs(data),
        settings=load_settings(),
        out_path=tmp_path / "map.html",
        language="en",
        generated="2025-03-04",
    )
    page = out.read_text(encoding="utf-8")
    for text in [
        "No basemap",
        "Neighbourhoods: Small-scale jobs per km² of land",
        "Districts (outlines)",
        "Candidate sites (top 10 highlighted)",
        "Map made on 4 March 2025",
        "Small-scale economy in Almere",
        "Demand within walking distance",
    ]:
        assert in_page(text, page), text
    for dutch in ["Geen achtergrond", "Kandidaatlocaties", "Legenda", "Kaart gemaakt op"]:
        assert dutch not in page, dutch
    # English number format: thousands with a comma, decimals with a point.
    b = data["buurten"]
    shown = b.loc[b["n_small_scale"] >= 5, "jobs_small_scale_per_km2"].to_numpy()
    for upper in _style.class_breaks(shown, k=5):
        assert f"– {format_number(upper, language='en')}" in page


def test_language_from_settings(data: dict, tmp_path: Path) -> None:
    settings = load_settings().replace("map", language="en")
    page = make_map(**map_inputs(data), settings=settings, out_path=tmp_path / "m.html").read_text(
        encoding="utf-8"
    )
    assert "No basemap" in page


def test_unknown_indicator_is_a_config_error(data: dict, tmp_path: Path) -> None:
    # Refused where the settings are made, before any map is drawn.
    with pytest.raises(ConfigError, match="jobs_per_hectare.*Fix"):
        settings = load_settings().replace("map", indicator="jobs_per_hectare")
        make_map(**map_inputs(data), settings=settings, out_path=tmp_path / "m.html")


def test_other_indicator_share_in_percent(data: dict, tmp_path: Path) -> None:
    b = data["buurten"].copy()
    b["share_n_home_based"] = b["n_home_based"] / b["n_home_based"].sum()
    settings = load_settings().replace("map", indicator="share_n_home_based", classes=3)
    inputs = map_inputs(data) | {"buurten": b}
    page = make_map(**inputs, settings=settings, out_path=tmp_path / "m.html").read_text(
        encoding="utf-8"
    )
    assert "Aandeel in stadstotaal: bedrijven aan huis" in page
    shown = (b["n_home_based"] >= 5).to_numpy()
    breaks = _style.class_breaks(b["share_n_home_based"].to_numpy()[shown] * 100, k=3)
    assert f"– {format_number(breaks[-1], decimals=1)} %" in page


# --------------------------------------------------------------------------------------------
# Safety
# --------------------------------------------------------------------------------------------


def test_data_strings_are_escaped(html_nl: str) -> None:
    for raw in [EVIL, EVIL_IMG, "${alert(3)}", "<img"]:
        assert raw not in html_nl, raw
    texts = [
        v
        for p in geojson_payloads(html_nl)
        for f in p["features"]
        for k, v in f["properties"].items()
        if isinstance(v, str)
    ]
    joined = "\n".join(texts)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in joined  # buurt tooltip, site popup
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in joined
    assert "&#96;&#36;{alert(3)}&#96;" in joined  # wijk label: no JS template injection
    for text in texts:
        # No tag in any property other than the ones the map builds itself.
        tags = set(re.findall(r"<\s*([a-zA-Z]+)", text))
        assert tags <= {"div", "span", "table", "tr", "th", "td", "b", "p"}, tags


def test_escaping_would_be_needed(data: dict, tmp_path: Path) -> None:
    """Folium's own tooltip pastes property values unescaped: the reason we build our own."""
    m = folium.Map()
    feature = {
        "type": "Feature",
        "properties": {"name": EVIL_IMG},
        "geometry": {"type": "Point", "coordinates": [5.2, 52.37]},
    }
    collection = {"type": "FeatureCollection", "features": [feature]}
    folium.GeoJson(collection, tooltip=folium.GeoJsonTooltip(["name"])).add_to(m)
    page = m.get_root().render()
    assert "div.innerHTML=table" in page.replace(" ", "")  # raw HTML into innerHTML


# --------------------------------------------------------------------------------------------
# Privacy
# --------------------------------------------------------------------------------------------


def _pairs(text: str) -> np.ndarray:
    """Every pair of numbers written as ``a, b`` (GeoJSON and Leaflet coordinates), both orders."""
    found = re.findall(r"(?=(?<![\d.])(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?))", text)
    pairs = np.array(found, dtype=float).reshape(-1, 2)
    return np.vstack([pairs, pairs[:, ::-1]])


def _near_sorted(sorted_values: np.ndarray, queries: np.ndarray, tol: float) -> np.ndarray:
    if sorted_values.size == 0:
        return np.zeros(queries.shape, dtype=bool)
    i = np.clip(np.searchsorted(sorted_values, queries), 1, sorted_values.size - 1)
    return (
        np.minimum(np.abs(sorted_values[i] - queries), np.abs(sorted_values[i - 1] - queries))
        <= tol
    )


def _ring_vertices(page: str) -> set[tuple[float, float]]:
    """Vertices of every (multi)polygon and line in the GeoJSON the page embeds."""
    out: set[tuple[float, float]] = set()
    for collection in geojson_payloads(page):
        for feature in collection["features"]:
            geometry = feature["geometry"]
            if geometry["type"] in ("Point", "MultiPoint"):
                continue
            flat = np.array(re.findall(r"-?\d+\.?\d*", json.dumps(geometry["coordinates"])))
            out.update(map(tuple, flat.astype(float).reshape(-1, 2)))
    return out


def coordinate_leaks(page: str, businesses: gpd.GeoDataFrame) -> list[int]:
    """Positions (0-based) of businesses whose location can be read from ``page``.

    A location leaks when its coordinates are written as a pair within 1 m: in WGS 84 (lat, lon
    or lon, lat, at 1e-5 degrees or finer; folium writes what it is given, the map rounds to
    1e-5) or in RD New; or when its RD x and y, rounded to 1 m, both appear anywhere as numbers.
    Embedded images (base64) are left out of the search, and so are the vertices of polygons and
    lines: with every coordinate on a 1e-5 degree grid, some hexagon corner lies within a metre of
    a few homes by chance (3 of about 8,000 in the demo data), and a hexagon corner or a buurt
    boundary tells nothing about a home. Points and markers are what could show a business.
    """
    from scipy.spatial import cKDTree

    text = re.sub(r"data:[a-z/+]+;base64,[A-Za-z0-9+/=]+", "", page)
    pairs = _pairs(text)
    vertices = _ring_vertices(page)
    vertices |= {(b, a) for a, b in vertices}
    pairs = np.array([p for p in pairs if tuple(p) not in vertices]).reshape(-1, 2)
    lonlat = businesses.to_crs("EPSG:4326").get_coordinates().to_numpy()
    rd = businesses.get_coordinates().to_numpy()
    leak = np.zeros(len(businesses), dtype=bool)
    if len(pairs):
        tree = cKDTree(pairs)
        # 1e-5 degrees is 1.1 m north-south and 0.7 m east-west at 52.4 degrees north.
        leak |= np.isfinite(tree.query(lonlat, distance_upper_bound=1e-5)[0])
        leak |= np.isfinite(tree.query(rd, distance_upper_bound=1.0)[0])
    numbers = np.sort(np.array(re.findall(r"(?<![\d.])-?\d+(?:\.\d+)?", text), dtype=float))
    leak |= _near_sorted(numbers, rd[:, 0], 0.5) & _near_sorted(numbers, rd[:, 1], 0.5)
    return np.flatnonzero(leak).tolist()


def test_no_home_based_business_location_in_html(html_nl: str, data: dict) -> None:
    homes = data["businesses"][data["businesses"]["home_based"]]
    assert len(homes) > 50
    assert coordinate_leaks(html_nl, homes) == []


def test_leak_scanner_finds_a_leak(html_nl: str, data: dict) -> None:
    """The scanner above can fail: a point drawn with folium, or written in RD, is caught."""
    homes = data["businesses"][data["businesses"]["home_based"]]
    lon, lat = homes.to_crs("EPSG:4326").get_coordinates().to_numpy()[3]
    m = folium.Map()
    folium.CircleMarker([lat, lon]).add_to(m)
    assert coordinate_leaks(m.get_root().render(), homes) == [3]
    x, y = homes.get_coordinates().to_numpy()[7]
    assert coordinate_leaks(html_nl + f"[{x:.2f}, {y:.2f}]", homes) == [7]
    lon, lat = homes.to_crs("EPSG:4326").get_coordinates().to_numpy()[11]
    assert coordinate_leaks(html_nl + f"[[{lon:.6f}, {lat:.6f}]]", homes) == [11]
    # A business drawn as a GeoJSON point, rounded to 1e-5 degrees as the map rounds.
    lon, lat = np.round(homes.to_crs("EPSG:4326").get_coordinates().to_numpy()[13], 5)
    m = folium.Map()
    point = {"type": "Point", "coordinates": [lon, lat]}
    folium.GeoJson(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": point}],
        }
    ).add_to(m)
    assert coordinate_leaks(m.get_root().render(), homes) == [13]


# --------------------------------------------------------------------------------------------
# Density overlay
# --------------------------------------------------------------------------------------------


def test_density_overlay_is_warped_and_coloured(html_nl: str, data: dict) -> None:
    pil = pytest.importorskip("PIL.Image")
    match = re.search(
        r'L\.imageOverlay\(\s*"data:image/png;base64,([^"]+)",\s*(\[\[.*?\]\])', html_nl, re.S
    )
    assert match, "no image overlay"
    image = np.asarray(pil.open(io.BytesIO(base64.b64decode(match.group(1)))).convert("RGBA"))
    (south, west), (north, east) = json.loads(match.group(2))
    with rasterio.open(data["density_tif"]) as src:
        from rasterio.warp import transform_bounds

        w, s, e, n = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    # Bounds in lat/lon match the GeoTIFF's extent (the Mercator grid adds at most a cell).
    assert south == pytest.approx(s, abs=1e-3) and north == pytest.approx(n, abs=1e-3)
    assert west == pytest.approx(w, abs=1e-3) and east == pytest.approx(e, abs=1e-3)
    alpha = image[..., 3]
    assert alpha[0, :].max() == 0  # the nodata strip along the north edge is transparent
    assert alpha.mean() > 100  # most of the surface is coloured
    # The densest pixel carries the ramp's top colour.
    top = _style.DENSITY_RAMP[-1][1]
    rgb = np.array([int(top[k : k + 2], 16) for k in (1, 3, 5)])
    distance = np.abs(image[..., :3].astype(int) - rgb).sum(axis=2)
    assert distance.min() <= 6


# --------------------------------------------------------------------------------------------
# Self-contained mode
# --------------------------------------------------------------------------------------------


def test_self_contained_without_assets_says_make_assets(data: dict, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="make assets"):
        make_map(
            **map_inputs(data),
            settings=load_settings(),
            out_path=tmp_path / "m.html",
            self_contained=True,
            assets_dir=tmp_path / "empty",
        )


@pytest.fixture(scope="session")
def leaflet_assets() -> Path:
    from conftest import require

    require(
        (ASSETS / "leaflet" / "dist" / "leaflet.js").is_file(),
        "Leaflet assets are not installed in build/web (run `make assets`)",
    )
    return ASSETS


def test_self_contained_inlines_leaflet(data: dict, tmp_path: Path, leaflet_assets: Path) -> None:
    out = make_map(
        **map_inputs(data),
        settings=load_settings().replace("map", self_contained=True),
        out_path=tmp_path / "m.html",
        assets_dir=leaflet_assets,
    )
    page = out.read_text(encoding="utf-8")
    assert not re.findall(r"<script[^>]+src=", page)
    assert not re.findall(r"<link[^>]+href=", page)
    assert "Leaflet 1.9.3" in page  # the inlined library's banner
    assert "url(images/" not in page  # stylesheet images inlined as data URIs
    assert "sourceMappingURL" not in page
    # "No basemap" is the base layer shown on opening: the tile layers are not added to the map.
    tile_vars = re.findall(r"var (tile_layer_\w+) = L\.tileLayer", page)
    assert len(tile_vars) == 2
    for var in tile_vars:
        assert f"{var}.addTo(" not in page


def test_html_size_small(html_nl: str) -> None:
    assert len(html_nl.encode("utf-8")) < 1_000_000
