"""The HTML map as written: contents, languages, privacy, escaping, offline Leaflet, edge cases.

Inputs are hand-built (tests/webmap_data.py): a 3 x 3 grid of 1 km buurten, hexagons, a density
surface, candidate sites and a search zone, published through the privacy rules. What the page
does in a browser is tested in test_webmap_browser.py.
"""

from __future__ import annotations

import ast
import base64
import io
import json
import re
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from webmap_data import CRITERIA, EVIL, EVIL_IMG, build_inputs, public_source

from almere_gis._errors import ConfigError, InputError
from almere_gis.analysis.privacy import PublicFrame, public_areas
from almere_gis.outputs import style as _style
from almere_gis.outputs.webmap import MapData, MapOptions, make_map
from almere_gis.outputs.webmap import assets as _assets
from almere_gis.settings import load_settings
from almere_gis.texts.format import number

pytestmark = pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning")

ROOT = Path(__file__).resolve().parent.parent
WEBMAP = ROOT / "almere_gis" / "outputs" / "webmap"
DAY = date(2025, 3, 4)


def page_data(page: str) -> dict:
    """The JSON document the page carries (layers, search, tables)."""
    match = re.search(r'<script type="application/json" id="ag-data">(.*?)</script>', page, re.S)
    assert match, "no data document in the page"
    return json.loads(match.group(1))


def layer(doc: dict, layer_id: str) -> dict:
    return next(spec for spec in doc["layers"] if spec["id"] == layer_id)


def write(tmp: Path, source: MapData, settings=None, **options) -> str:
    out = make_map(
        source,
        settings or load_settings(),
        tmp / "kaart.html",
        MapOptions(generated=DAY, **options),
    )
    return out.path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def data() -> dict:
    return build_inputs()


@pytest.fixture(scope="module")
def html_nl(data: dict, tmp_path_factory: pytest.TempPathFactory) -> str:
    return write(tmp_path_factory.mktemp("webmap_nl"), public_source(data))


@pytest.fixture(scope="module")
def doc(html_nl: str) -> dict:
    return page_data(html_nl)


# --------------------------------------------------------------------------------------------
# Contents
# --------------------------------------------------------------------------------------------


def test_dutch_map_has_layers_legends_and_panel(html_nl: str, doc: dict) -> None:
    names = [spec["name"] for spec in doc["layers"]]
    assert names == [
        "Buurten: Banen in kleinschalige vestigingen per km² land",
        "Dichtheid: alle vestigingen (vestigingen per km²)",
        "Hot spots en cold spots",
        "Zoekgebieden",
        "Wijken (grenzen en namen)",
        "Gemeentegrens",
        "Kandidaatlocaties (top 10 met nummer)",
    ]
    assert [b["name"] for b in doc["basemaps"]] == [
        "Lichte achtergrond (PDOK grijs)",
        "OpenStreetMap",
    ]
    assert "Kleinschalige economie in Almere" in html_nl
    assert "Kaart gemaakt op 4 maart 2025" in html_nl
    assert "Eenheid: banen in kleinschalige vestigingen per km² land" in html_nl
    assert "Eenheid: vestigingen per km²" in html_nl
    assert "Hoe lees ik deze kaart?" in html_nl
    # Every layer has a legend block, hidden until page.js shows it for a layer that is on.
    for spec in doc["layers"]:
        assert f'<div class="ag-legend" data-layer="{spec["id"]}" hidden>' in html_nl
    # Sources with the CBS attribution; no machine paths, only file names.
    assert "Bron: CBS, Kadaster" in html_nl
    assert "/shapefiles/" not in html_nl


def test_viewport_allows_zooming(html_nl: str) -> None:
    meta = re.search(r'<meta name="viewport" content="([^"]+)"', html_nl)
    assert meta and "user-scalable" not in meta.group(1) and "maximum-scale" not in meta.group(1)


def test_choropleth_colours_follow_class_breaks(doc: dict, data: dict) -> None:
    b = data["buurten"]
    features = layer(doc, "buurten")["data"]["features"]
    shown = (b["n_small_scale"] >= 5).to_numpy()
    values = b["jobs_small_scale_per_km2"].to_numpy()
    breaks = np.array(_style.class_breaks(values[shown], k=5))
    colours = _style.choropleth_colours(5)
    assert len(breaks) == 5
    for k, feature in enumerate(features):
        fill = feature["properties"]["style"]["fillColor"]
        if shown[k]:
            assert fill == colours[int(np.searchsorted(breaks, values[k]))]
        else:
            assert fill == _style.SUPPRESSED_FILL


def test_suppressed_buurt_shows_less_than_threshold(doc: dict, data: dict) -> None:
    b = data["buurten"]
    k = int(np.flatnonzero(b["n_establishments"] < 5)[0])
    tip = layer(doc, "buurten")["data"]["features"][k]["properties"]["tip"]
    assert "&lt; 5" in tip
    assert f"<td>{int(b['n_establishments'].iloc[k])}</td>" not in tip
    assert number(b["jobs_small_scale_per_km2"].iloc[k]) not in tip
    big = int(np.argmax(b["n_establishments"].to_numpy()))
    big_tip = layer(doc, "buurten")["data"]["features"][big]["properties"]["tip"]
    assert f"<td>{number(b['n_establishments'].iloc[big])}</td>" in big_tip


def test_hidden_cell_of_a_shown_buurt_is_less_than_threshold(data: dict, tmp_path: Path) -> None:
    """A PublicFrame can hide one cell (e.g. a small zzp count) of a buurt that is shown."""
    public = public_areas(data["buurten"], min_count=5)
    k = int(np.argmax(data["buurten"]["n_establishments"].to_numpy()))
    hidden = public.hidden.copy()
    hidden["n_zzp"] = False
    hidden.iloc[k, hidden.columns.get_loc("n_zzp")] = True
    frame = public.data.copy()
    frame["n_zzp"] = frame["n_zzp"].astype(float).mask(hidden["n_zzp"])
    source = MapData(buurten=PublicFrame(frame, hidden))
    tip = layer(page_data(write(tmp_path, source)), "buurten")["data"]["features"][k]
    assert "<th>Zzp&#x27;ers</th><td>&lt; 5</td>" in tip["properties"]["tip"]


def test_only_significant_publishable_hexagons(doc: dict, data: dict) -> None:
    h = data["hexagons"]
    public = public_areas(h, min_count=5)
    drawn = public.data["gi_class"].notna() & (public.data["gi_class"] != "ns")
    features = layer(doc, "hotspots")["data"]["features"]
    assert len(features) == int(drawn.sum()) > 0
    assert int(((h["gi_class"] != "ns") & h["suppressed"]).sum()) > 0  # some were left out
    fills = {f["properties"]["style"]["fillColor"] for f in features}
    assert fills == {_style.HOTSPOT_COLOURS[c] for c in set(public.data.loc[drawn, "gi_class"])}
    # A small count is hidden (missing, marked in ``hidden``) and drawn as "< 5".
    small = public.is_hidden("count_small_scale")[drawn]
    assert not (
        public.data.loc[drawn & ~public.is_hidden("count_small_scale"), "count_small_scale"] < 5
    ).any()
    n_less = sum("&lt; 5" in f["properties"]["tip"] for f in features)
    assert n_less == int(small.sum())


def _site(doc: dict, data: dict, rank: int) -> dict:
    c = data["candidates"]
    position = int(np.flatnonzero(c["rank"].to_numpy() == rank)[0])
    return layer(doc, "sites")["data"]["features"][position]["properties"]


def test_site_popup_score_stability_weights_and_raw_values(doc: dict, data: dict) -> None:
    c = data["candidates"]
    top = c.loc[c["rank"] == 1].iloc[0]
    props = _site(doc, data, 1)
    popup = props["popup"]
    assert props["top"] and props["rank"] == 1
    assert f"Score {number(top['score'], 2)} (van 0 tot 1)" in popup
    words = {"always": "Altijd in de top 10", "sometimes": "Soms in de top 10", "never": "Nooit"}
    assert words[top["stability"]] in popup
    assert "gevoelig voor de gewichten" not in popup
    for crit in CRITERIA:
        width = round(top[f"{crit}_norm"] * 100)
        assert f'<span style="width:{width}%"></span>' in popup
        assert f"<td>{number(top[f'weight_{crit}'] * 100)} %</td>" in popup
    # The weights shown are the normalised ones and add up to 100 %.
    shown = [int(v) for v in re.findall(r"<td>(\d+) %</td>", popup)]
    assert abs(sum(shown) - 100) <= len(CRITERIA) / 2
    # Raw values with their unit; a demand count below the threshold is "< 5".
    assert '<div class="ag-raw">&lt; 5 vestigingen</div>' in popup
    assert "Vraag op loopafstand" in popup and "m²" in popup and "m2" not in popup
    excluded = next(f["properties"] for f in layer(doc, "sites")["data"]["features"]
                    if f["properties"]["rank"] is None)  # fmt: skip
    assert "Uitgesloten: kleiner dan 100 m²" in excluded["popup"]
    assert excluded["colour"] == _style.SITE_EXCLUDED


def test_stability_words_follow_the_column(doc: dict, data: dict) -> None:
    c = data["candidates"]
    for _, row in c[c["rank"].notna()].iterrows():
        popup = _site(doc, data, int(row["rank"]))["popup"]
        expected = {"always": "Altijd in de top 10", "sometimes": "Soms in de top 10",
                    "never": "Nooit in de top 10"}[row["stability"]]  # fmt: skip
        assert expected in popup, (row["site_id"], row["stability"])


def test_weights_that_do_not_sum_to_one_are_rescaled_and_said(data: dict, tmp_path: Path) -> None:
    settings = load_settings()
    weights = settings.sites.weights
    doubled = settings.replace("sites", weights=type(weights)(**{
        c: getattr(weights, c) * 2 for c in CRITERIA}))  # fmt: skip
    page = write(tmp_path, public_source(data), doubled)
    total = number(sum(getattr(weights, c) for c in CRITERIA) * 200)
    assert f"De ingestelde gewichten tellen op tot {total} %" in page
    assert sum(getattr(weights, c) for c in CRITERIA) == pytest.approx(1.0)  # the defaults
    assert "De ingestelde gewichten tellen op tot" not in write(tmp_path, public_source(data))


def test_english_map(data: dict, tmp_path: Path) -> None:
    page = write(tmp_path, public_source(data), language="en")
    doc = page_data(page)
    assert layer(doc, "density-all_count")["name"] == (
        "Density: all establishments (establishments per km²)"
    )
    for text in ["Unit: establishments per km²", "Map made on 4 March 2025",
                 "Small-scale economy in Almere", "Demand within walking distance",
                 "How do I read this map?", "Source: CBS, Kadaster"]:  # fmt: skip
        assert text in page, text
    for dutch in ["Geen achtergrond", "Kandidaatlocaties", "vestigingen per km", "Legenda",
                  "Kaart gemaakt op", "Altijd in de top", "Bron: CBS"]:  # fmt: skip
        assert dutch not in page, dutch
    b = data["buurten"]
    shown = b.loc[b["n_small_scale"] >= 5, "jobs_small_scale_per_km2"].to_numpy()
    for upper in _style.class_breaks(shown, k=5):
        assert f"– {number(upper, 0, 'en')}" in page


def test_language_from_settings(data: dict, tmp_path: Path) -> None:
    settings = load_settings().replace("map", language="en")
    assert "No basemap" in write(tmp_path, public_source(data), settings)


def test_unknown_indicator_is_a_config_error(data: dict, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="jobs_per_hectare.*Fix"):
        settings = load_settings().replace("map", indicator="jobs_per_hectare")
        write(tmp_path, public_source(data), settings)


def test_share_indicator_in_percent(data: dict, tmp_path: Path) -> None:
    b = data["buurten"].copy()
    b["share_n_home_based"] = b["n_home_based"] / b["n_home_based"].sum()
    settings = load_settings().replace("map", indicator="share_n_home_based", classes=3)
    page = write(tmp_path, MapData.of(public_areas(b, min_count=5)), settings)
    assert "Aandeel in stadstotaal: bedrijven aan huis" in page
    shown = (b["n_home_based"] >= 5).to_numpy() & ~b["suppressed"].to_numpy()
    breaks = _style.class_breaks(b["share_n_home_based"].to_numpy()[shown] * 100, k=3)
    assert f"– {number(breaks[-1], 1)} %" in page


def test_tables_and_search_index(doc: dict, data: dict) -> None:
    sites, buurten = doc["tables"]
    c = data["candidates"]
    assert [r["cells"][0] for r in sites["rows"]] == [str(r) for r in range(1, 12)]
    assert len(buurten["rows"]) == len(data["buurten"])
    small = int(np.flatnonzero(data["buurten"]["n_establishments"] < 5)[0])
    assert "< 5" in buurten["rows"][small]["cells"]
    labels = {(e["label"], e["layer"]) for e in doc["search"]}
    assert ("Buurt 4", "buurten") in labels and ("Stad Oost", "wijken") in labels
    assert (c["name"].iloc[0], "sites") in labels


# --------------------------------------------------------------------------------------------
# Safety and privacy
# --------------------------------------------------------------------------------------------


def test_data_strings_are_escaped(html_nl: str, doc: dict) -> None:
    document = re.search(r'id="ag-data">(.*?)</script>', html_nl, re.S)
    assert document
    outside = html_nl.replace(document.group(1), "")
    for raw in [EVIL, EVIL_IMG, "${alert(3)}", "<img"]:
        assert raw not in outside, raw
    # Inside the data document names are JSON strings (set as text by page.js) and no "<"
    # can close the script.
    assert "<" not in document.group(1)
    # Only the page's own scripts: the data document, Leaflet and page.js.
    assert html_nl.count("<script") == 3 and html_nl.count("</script>") == 3
    markup = [
        v
        for spec in doc["layers"]
        if "data" in spec
        for f in spec["data"]["features"]
        for k, v in f["properties"].items()
        if isinstance(v, str) and k in ("tip", "popup", "label")
    ]
    joined = "\n".join(markup)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in joined
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in joined
    assert "&#96;&#36;{alert(3)}&#96;" in joined
    for text in markup:
        tags = set(re.findall(r"<\s*([a-zA-Z]+)", text))
        assert tags <= {"div", "span", "table", "tr", "th", "td", "b", "p"}, tags


def _pairs(text: str) -> np.ndarray:
    """Every pair of numbers written as ``a, b`` or ``[a,b]``, both orders."""
    found = re.findall(r"(?=(?<![\d.])(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?))", text)
    pairs = np.array(found, dtype=float).reshape(-1, 2)
    return np.vstack([pairs, pairs[:, ::-1]])


def _vertices(page: str) -> set[tuple[float, float]]:
    """Vertices of every polygon and line the page draws (hexagon corners, boundaries)."""
    out: set[tuple[float, float]] = set()
    match = re.search(r'<script type="application/json" id="ag-data">(.*?)</script>', page, re.S)
    if not match:
        return out
    for spec in json.loads(match.group(1))["layers"]:
        for feature in spec.get("data", {}).get("features", []):
            if feature["geometry"]["type"] in ("Point", "MultiPoint"):
                continue
            flat = re.findall(r"-?\d+\.?\d*", json.dumps(feature["geometry"]["coordinates"]))
            out.update(map(tuple, np.array(flat, dtype=float).reshape(-1, 2)))
    return out | {(b, a) for a, b in out}


def coordinate_leaks(page: str, businesses: gpd.GeoDataFrame) -> list[int]:
    """Positions (0-based) of businesses whose location can be read from ``page``.

    A location leaks when its coordinates appear as a pair within 1 m, in WGS 84 (either
    order) or RD New, or when its RD x and y (to 1 m) both appear as numbers. Images (base64)
    and the vertices of polygons and lines are left out: a hexagon corner within a metre of a
    home by chance tells nothing about it; points are what could show a business.
    """
    from scipy.spatial import cKDTree

    text = re.sub(r"data:[a-z/+]+;base64,[A-Za-z0-9+/=]+", "", page)
    vertices = _vertices(page)
    pairs = np.array([p for p in _pairs(text) if tuple(p) not in vertices]).reshape(-1, 2)
    lonlat = businesses.to_crs("EPSG:4326").get_coordinates().to_numpy()
    rd = businesses.get_coordinates().to_numpy()
    leak = np.zeros(len(businesses), dtype=bool)
    if len(pairs):
        tree = cKDTree(pairs)
        leak |= np.isfinite(tree.query(lonlat, distance_upper_bound=1e-5)[0])
        leak |= np.isfinite(tree.query(rd, distance_upper_bound=1.0)[0])
    numbers = np.sort(np.array(re.findall(r"(?<![\d.])-?\d+(?:\.\d+)?", text), dtype=float))

    def near(queries: np.ndarray) -> np.ndarray:
        i = np.clip(np.searchsorted(numbers, queries), 1, numbers.size - 1)
        return np.minimum(np.abs(numbers[i] - queries), np.abs(numbers[i - 1] - queries)) <= 0.5

    if numbers.size > 1:
        leak |= near(rd[:, 0]) & near(rd[:, 1])
    return np.flatnonzero(leak).tolist()


def test_no_home_based_business_location_in_html(html_nl: str, data: dict) -> None:
    homes = data["businesses"][data["businesses"]["home_based"]]
    assert len(homes) > 50
    assert coordinate_leaks(html_nl, homes) == []


def test_leak_scanner_finds_a_leak(html_nl: str, data: dict) -> None:
    """The scanner can fail: a point written in WGS 84, in RD or as a GeoJSON point is caught."""
    homes = data["businesses"][data["businesses"]["home_based"]]
    lonlat = homes.to_crs("EPSG:4326").get_coordinates().to_numpy()
    lon, lat = lonlat[3]
    assert coordinate_leaks(html_nl + f"L.circleMarker([{lat:.6f}, {lon:.6f}])", homes) == [3]
    x, y = homes.get_coordinates().to_numpy()[7]
    assert coordinate_leaks(html_nl + f"[{x:.2f}, {y:.2f}]", homes) == [7]
    lon, lat = np.round(lonlat[13], 5)
    point = json.dumps({"type": "Point", "coordinates": [lon, lat]})
    assert coordinate_leaks(html_nl + point, homes) == [13]


# --------------------------------------------------------------------------------------------
# Density overlay
# --------------------------------------------------------------------------------------------


def test_density_overlay_is_warped_masked_and_coloured(doc: dict, data: dict) -> None:
    pil = pytest.importorskip("PIL.Image")
    spec = layer(doc, "density-all_count")
    image = np.asarray(pil.open(io.BytesIO(base64.b64decode(spec["url"].split(",", 1)[1]))))
    (south, west), (north, east) = spec["bounds"]
    from rasterio.warp import transform_bounds

    grid = data["surface"].grid
    w, s, e, n = transform_bounds("EPSG:28992", "EPSG:4326", *grid.bounds)
    assert south == pytest.approx(s, abs=1e-3) and north == pytest.approx(n, abs=1e-3)
    assert west == pytest.approx(w, abs=1e-3) and east == pytest.approx(e, abs=1e-3)
    alpha = image[..., 3]
    assert alpha[0, :].max() == 0  # the strip the privacy mask hides is transparent
    assert alpha.mean() > 100
    # The display range is the surface's own (the same as QGIS): its top colour is present.
    top = _style.DENSITY_RAMP[-1][1]
    rgb = np.array([int(top[k : k + 2], 16) for k in (1, 3, 5)])
    assert np.abs(image[..., :3].astype(int) - rgb).sum(axis=2).min() <= 6


def test_density_legend_ticks_use_the_display_range(html_nl: str, data: dict) -> None:
    vmax = data["surface"].display_range[1]
    digits = 0 if vmax >= 100 else 1 if vmax >= 10 else 2
    assert f"<span>≥ {number(vmax, digits)}</span>" in html_nl
    assert f"<span>{number(vmax / 2, digits)}</span>" in html_nl


# --------------------------------------------------------------------------------------------
# Offline: Leaflet inlined by default
# --------------------------------------------------------------------------------------------


def test_leaflet_is_inlined_by_default(html_nl: str) -> None:
    assert not re.findall(r"<script[^>]+src=", html_nl)
    assert not re.findall(r"<link[^>]+href=", html_nl)
    assert "Leaflet 1.9.3" in html_nl
    assert "url(images/" not in html_nl
    assert "sourceMappingURL" not in html_nl


def test_without_local_leaflet_the_map_says_so(
    data: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_assets, "_xstatic_dir", lambda: None)
    monkeypatch.setattr(_assets, "NPM_DIR", tmp_path / "none")
    result = make_map(public_source(data), load_settings(), tmp_path / "m.html")
    assert len(result.notes) == 1 and "XStatic-Leaflet" in result.notes[0]
    page = result.path.read_text(encoding="utf-8")
    assert re.findall(r'<script src="https://cdn[^"]+/leaflet.js"', page)
    assert result.notes[0] in page_data(page)["notes"]
    with pytest.raises(InputError, match="Leaflet.*Fix: .*XStatic-Leaflet"):
        make_map(public_source(data), load_settings(), tmp_path / "m.html",
                 MapOptions(self_contained=True))  # fmt: skip


def test_npm_leaflet_is_used_when_the_package_is_missing(
    data: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import require

    npm = ROOT / "build" / "web" / "node_modules"
    require((npm / "leaflet" / "dist" / "leaflet.js").is_file(), "no `make assets` Leaflet")
    monkeypatch.setattr(_assets, "_xstatic_dir", lambda: None)
    result = make_map(public_source(data), load_settings(), tmp_path / "m.html",
                      MapOptions(assets_dir=npm))  # fmt: skip
    assert result.notes == ()
    assert "Leaflet 1.9.3" in result.path.read_text(encoding="utf-8")


def test_html_size_small(html_nl: str) -> None:
    assert len(html_nl.encode("utf-8")) < 1_000_000


# --------------------------------------------------------------------------------------------
# Degenerate inputs: never a crash, always an honest legend
# --------------------------------------------------------------------------------------------


def _buurten_only(frame: pd.DataFrame) -> MapData:
    return MapData.of(public_areas(frame, min_count=5))


def test_everything_suppressed_says_too_few(data: dict, tmp_path: Path) -> None:
    b = data["buurten"].copy()
    b["suppressed"] = True
    page = write(tmp_path, _buurten_only(b))
    assert "te weinig om te tonen" in page
    fills = {
        f["properties"]["style"]["fillColor"]
        for f in layer(page_data(page), "buurten")["data"]["features"]
    }
    assert fills == {_style.SUPPRESSED_FILL}
    assert "too few to show" in write(tmp_path, _buurten_only(b), language="en")


def test_one_class_layer(data: dict, tmp_path: Path) -> None:
    b = data["buurten"].copy()
    b["jobs_small_scale_per_km2"] = 42.0
    b["n_small_scale"] = 50.0
    b["suppressed"] = False
    doc = page_data(write(tmp_path, _buurten_only(b)))
    fills = {
        f["properties"]["style"]["fillColor"] for f in layer(doc, "buurten")["data"]["features"]
    }
    assert fills == {_style.choropleth_colours(1)[0]}


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_few_buurten_and_nothing_else(data: dict, tmp_path: Path, n: int) -> None:
    b = data["buurten"].iloc[:n]
    doc = page_data(write(tmp_path, _buurten_only(b)))
    assert len(layer(doc, "buurten")["data"]["features"]) == n
    assert [t["id"] for t in doc["tables"]] == ["buurten"]
    south, west = doc["bounds"][0]
    assert np.isfinite([south, west]).all()


def test_no_hexagons_candidates_or_zones(data: dict, tmp_path: Path) -> None:
    empty = data["candidates"].iloc[:0]
    source = MapData.of(public_areas(data["buurten"], min_count=5),
                        hexagons=data["hexagons"].assign(gi_class="ns"), candidates=empty,
                        search_zones=data["search_zones"].iloc[:0])  # fmt: skip
    ids = [spec["id"] for spec in page_data(write(tmp_path, source))["layers"]]
    assert ids == ["buurten", "outline"]


def test_density_surface_with_nothing_shown(data: dict, tmp_path: Path) -> None:
    from dataclasses import replace

    surface = replace(data["surface"], shown=np.zeros_like(data["surface"].shown))
    source = MapData.of(data["buurten"], density={"all_count": surface})
    page = write(tmp_path, source)
    assert 'data-layer="density-all_count"' in page and "te weinig om te tonen" in page


def test_null_land_area_and_inhabitants(data: dict, tmp_path: Path) -> None:
    b = data["buurten"].copy()
    b.loc[b.index[:3], ["inhabitants", "jobs_small_scale_per_km2"]] = np.nan
    doc = page_data(write(tmp_path, _buurten_only(b)))
    tips = [f["properties"]["tip"] for f in layer(doc, "buurten")["data"]["features"][:3]]
    assert all("geen gegevens" in t or "&lt; 5" in t for t in tips)


# --------------------------------------------------------------------------------------------
# The house rules: small files and functions, every text in the catalogue
# --------------------------------------------------------------------------------------------


def test_map_files_and_functions_are_small() -> None:
    for path in sorted(WEBMAP.rglob("*")):
        if path.suffix in (".py", ".js", ".css", ".html"):
            lines = path.read_text(encoding="utf-8").count("\n")
            assert lines <= 600, f"{path.name}: {lines} lines"
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    assert length <= 60, f"{path.name}:{node.name} has {length} lines"
