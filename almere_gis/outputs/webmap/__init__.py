"""The planner's map: one HTML file that works offline, on a phone and on a wide screen.

The page is Leaflet (inlined: see :mod:`.assets`), the page's own ``page.css`` and
``page.js``, a side panel (:mod:`.panel`) and one JSON document with every layer, legend,
search entry and table. Python builds the data, one builder per layer (:mod:`.layers`); the
page draws it. Every text comes from ``texts/map.toml`` in one language.

Layers: the buurt choropleth (classes shared with QGIS), density surfaces, Gi* hot and cold
spots, search zones, wijk outlines and labels, the study area's outline, and the candidate
sites with the top k numbered above everything else.

Privacy
    The map is made from public data only (a ``Publication``): areas, hexagons, density
    surfaces and candidate sites, never a business point. Hidden cells show as "< 5", areas
    with too few establishments are grey, and hexagons whose class is hidden are not drawn.

Safety
    Data strings are HTML-escaped in Python and reach the page inside a JSON document whose
    ``<`` is written as ``\\u003c``, so no data string can close the script or run as code.
"""

from __future__ import annotations

__all__ = [
    "Choropleth",
    "MapData",
    "MapOptions",
    "MapResult",
    "MapSource",
    "choropleth_classes",
    "make_map",
]

import json
import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ...io import atomic
from ...settings import Settings
from ..style import Choropleth, choropleth_classes
from .assets import CDN, leaflet, page_file
from .geometry import display_geometry
from .layers import PANES, build_layers
from .markup import esc
from .model import Context, Layer, MapData, MapOptions, MapResult, MapSource
from .panel import panel_html
from .tables import buurt_table, search_index, site_table

log = logging.getLogger("almere_gis")

NETHERLANDS = [[50.75, 3.36], [53.55, 7.23]]  # the opening view when there are no buurten
# (key, tile URL, attribution after the text ``map.attribution.<key>``, min and max zoom)
BASEMAPS = (
    (
        "pdok",
        "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/grijs/EPSG:3857/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.kadaster.nl">Kadaster</a>',
        6,
        19,
    ),
    (
        "osm",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
        0,
        19,
    ),
)
_UI_KEYS = (
    "basemap_offline",
    "leaflet_online",
    "search.none",
    "search.more",
    "table.download",
    "table.sort",
    "panel.toggle",
    "panel.show",
    "panel.hide",
    "base.none",
    "base.pdok",
    "base.osm",
)


def _bounds(source: MapSource) -> list[list[float]]:
    frame = source.buurten.data
    if not len(frame):
        return NETHERLANDS
    west, south, east, north = display_geometry(frame, "buurten").total_bounds
    if not np.all(np.isfinite([west, south, east, north])):
        return NETHERLANDS
    return [[float(south), float(west)], [float(north), float(east)]]


def _place(source: MapSource, ctx: Context) -> str:
    frame = source.buurten.data
    if "gemeente_name" in frame and frame["gemeente_name"].notna().any():
        return str(frame["gemeente_name"].dropna().mode().iloc[0])
    return ctx.t("place_default")


def _document(
    source: MapSource,
    layers: list[Layer],
    ctx: Context,
    tables: list[dict[str, Any]],
    notes: list[str],
) -> dict[str, Any]:
    return {
        "lang": ctx.language,
        "ui": {key: ctx.t(key) for key in _UI_KEYS},
        "bounds": _bounds(source),
        "basemaps": [
            {
                "id": key,
                "name": ctx.t(f"base.{key}"),
                "url": url,
                "attribution": f"{esc(ctx.t(f'attribution.{key}'))} {attr}",
                "minZoom": lo,
                "maxZoom": hi,
            }
            for key, url, attr, lo, hi in BASEMAPS
        ],
        "panes": PANES,
        "layers": [layer.spec for layer in layers],
        "search": search_index(layers, ctx),
        "tables": tables,
        "notes": notes,
        "topK": ctx.settings.sites.top_k,
    }


def _json_for_script(document: dict[str, Any]) -> str:
    """JSON that is safe inside <script>: no "<" (so no "</script>"), no line separators."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _render(
    title: str, panel: str, document: dict[str, Any], lib_js: str, lib_css: str, language: str
) -> str:
    if lib_js:
        head_lib = f"<style>{lib_css}</style>"
        body_lib = f"<script>{lib_js}</script>"
    else:
        head_lib = f'<link rel="stylesheet" href="{CDN}/leaflet.css">'
        body_lib = f'<script src="{CDN}/leaflet.js"></script>'
    fields = {
        "lang": language,
        "title": esc(title),
        "leaflet_css": head_lib,
        "page_css": page_file("page.css"),
        "panel": panel,
        "data": _json_for_script(document),
        "leaflet_js": body_lib,
        "page_js": page_file("page.js").replace("</script", "<\\/script"),
    }
    # One pass, so that nothing inserted can be taken for a placeholder.
    return re.sub(r"\{\{(\w+)\}\}", lambda m: fields[m.group(1)], page_file("page.html"))


def make_map(
    source: MapSource, settings: Settings, out_path: str | Path, options: MapOptions | None = None
) -> MapResult:
    """Write the planner's HTML map of ``source`` and return its path and notes.

    Parameters
    ----------
    source
        The public data: a run's ``Publication``, or :meth:`MapData.of` on frames.
    settings
        The run's settings (``map``, ``privacy``, ``sites``, ``density``, ... sections).
    out_path
        Where to write the HTML (written atomically; folders are created).
    options
        Language, date, offline requirement, density surfaces: see :class:`MapOptions`.

    Returns
    -------
    MapResult
        The path, and one note per thing the run should tell (e.g. that the map needs
        network because no local Leaflet was found, with the fix).

    Raises
    ------
    ConfigError
        Unknown language or indicator.
    InputError
        A self-contained map without a local Leaflet; a layer without a CRS.
    """
    options = options or MapOptions()
    ctx = Context.make(settings, options.language)
    required = bool(
        settings.map.self_contained if options.self_contained is None else options.self_contained
    )
    lib = leaflet(
        required=required,
        assets_dir=options.assets_dir,
        note=ctx.t("note.online"),
        fix=ctx.t("note.fix"),
    )
    layers, choropleth = build_layers(source, ctx, options)
    tables = [buurt_table(source.buurten.data, source.buurten.hidden, choropleth, ctx)]
    if source.candidates is not None and len(source.candidates.data):
        tables.insert(0, site_table(source.candidates.data, source.candidates.hidden, ctx))
    notes = [lib.note] if lib.note else []
    title = ctx.t("title", place=_place(source, ctx))
    day = options.generated or date.today()
    panel = panel_html(source, layers, ctx, options, title=title, day=day)
    page = _render(
        title, panel, _document(source, layers, ctx, tables, notes), lib.js, lib.css, ctx.language
    )
    out = atomic.write_text(page, Path(out_path))
    size = out.stat().st_size
    log.info("map written to %s (%.1f MB, Leaflet from %s)", out, size / 1e6, lib.origin)
    for note in notes:
        log.warning("%s", note)
    return MapResult(path=out, notes=tuple(notes), size_bytes=size)
