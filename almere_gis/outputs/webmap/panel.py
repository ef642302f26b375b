"""The side panel: title, search, layers with their legends, how to read the map, the tables,
the sources and the settings. ``page.js`` fills the layer list, the search results and the
tables, and folds the panel away on small screens.
"""

from __future__ import annotations

__all__ = ["panel_html", "sources"]

from datetime import date
from pathlib import Path

from ...texts import text
from ...texts.format import date_long
from .layers.sites import weights_used
from .markup import esc, kv_table
from .model import Context, Layer, MapOptions, MapSource
from .names import criterion_text

_HOWTO = ("density", "hotspot", "score", "robust", "privacy")


def sources(source: MapSource, ctx: Context, options: MapOptions) -> list[tuple[str, str]]:
    """(what, where from) lines: the CBS polygons, the register, the sites, the basemaps."""
    paths = ctx.settings.paths
    buurt_source = text("common.source_cbs", ctx.language)
    year = source.buurten.data.attrs.get("year") if hasattr(source.buurten.data, "attrs") else None
    if year:
        buurt_source += f" ({year})"
    lines = [
        (ctx.t("src.buurten"), f"{buurt_source}; {Path(paths.buurten).name}"),
        (ctx.t("src.businesses"), ctx.t("src.register", file=Path(paths.businesses).name)),
    ]
    if source.candidates is not None and paths.candidates is not None:
        lines.append((ctx.t("src.candidates"), Path(paths.candidates).name))
    lines += list(options.sources)
    lines.append((ctx.t("src.basemap_what"), ctx.t("src.basemap")))
    return lines


def _settings_rows(source: MapSource, ctx: Context) -> list[tuple[str, str]]:
    s = ctx.settings
    d, h, sites = s.density, s.hotspots, s.sites
    neighbours = (
        ctx.t("set.knn", k=h.k)
        if h.weights == "knn"
        else ctx.t("set.band", d=ctx.distance(h.distance_band_m))
    )
    fdr = ctx.t("set.fdr_on") if h.fdr else ctx.t("set.fdr_off")
    rows = [
        (
            ctx.t("set.classes"),
            ctx.t("classes_of", n=s.map.classes, scheme=ctx.t(f"scheme.{s.map.scheme}")),
        ),
        (ctx.t("set.privacy"), ctx.t("set.privacy_value", n=ctx.min_count)),
        (
            ctx.t("set.density"),
            ctx.t(
                "set.density_value",
                kernel=d.kernel,
                radius=ctx.distance(d.radius_m),
                cell=ctx.distance(d.cell_size_m),
            ),
        ),
        (ctx.t("set.hexagons"), ctx.distance(s.hexgrid.size_m)),
        (
            ctx.t("set.hotspots"),
            ctx.t(
                "set.hotspots_value",
                neighbours=neighbours,
                permutations=ctx.number(h.permutations),
                fdr=fdr,
            ),
        ),
        (
            ctx.t("set.sites"),
            ctx.t(
                "set.sites_value",
                k=sites.top_k,
                walk=ctx.distance(sites.walk_m),
                cycle=ctx.distance(sites.cycle_m),
            ),
        ),
    ]
    rows.append((ctx.t("set.weights"), _weights_text(source, ctx)))
    rows.append((ctx.t("set.file"), Path(s.source).name))
    return rows


def _weights_text(source: MapSource, ctx: Context) -> str:
    frame = source.candidates.data if source.candidates is not None else None
    weights, total = weights_used(frame, ctx)
    shares = ", ".join(
        f"{criterion_text(c, 'name', ctx.language).lower()} {ctx.percent(w)}"
        for c, w in weights.items()
        if w > 0
    )
    if abs(total - 1.0) > 1e-6:
        shares += " · " + ctx.t("site.weights_rescaled", total=ctx.percent(total))
    return shares


def _details(title: str, body: str, *, open_: bool = False, css: str = "") -> str:
    attrs = (" open" if open_ else "") + (f' class="{css}"' if css else "")
    return f"<details{attrs}><summary>{esc(title)}</summary>{body}</details>"


def _howto(ctx: Context) -> str:
    fields = {"n": ctx.min_count, "k": ctx.settings.sites.top_k}
    return "".join(
        f"<h3>{esc(ctx.t(f'howto.{key}.title', **fields))}</h3>"
        f"<p>{esc(ctx.t(f'howto.{key}.text', **fields))}</p>"
        for key in _HOWTO
    )


def _head(ctx: Context, title: str, day: date) -> str:
    made = ctx.t("made_on", date=date_long(day, ctx.language))
    toggle = esc(ctx.t("panel.toggle"))
    return (
        '<div class="ag-head">'
        '<button type="button" id="ag-toggle" class="ag-toggle" aria-expanded="true" '
        f'aria-controls="ag-body" title="{toggle}"><span aria-hidden="true"></span>'
        f'<span class="ag-sr">{toggle}</span></button>'
        f'<div class="ag-titles"><h1>{esc(title)}</h1><div class="ag-sub">{esc(made)}</div></div>'
        "</div>"
        '<div id="ag-notices" class="ag-notices" role="status"></div>'
    )


def _search(ctx: Context) -> str:
    placeholder = esc(ctx.t("search.placeholder"))
    return (
        '<div class="ag-search" role="search">'
        f'<label class="ag-sr" for="ag-search">{esc(ctx.t("search.label"))}</label>'
        f'<input id="ag-search" type="search" autocomplete="off" placeholder="{placeholder}">'
        '<ul id="ag-results" class="ag-results" role="listbox"></ul></div>'
    )


def panel_html(
    source: MapSource,
    layers: list[Layer],
    ctx: Context,
    options: MapOptions,
    *,
    title: str,
    day: date,
) -> str:
    """The panel's HTML (every text escaped)."""
    src = kv_table([(esc(k), esc(v)) for k, v in sources(source, ctx, options)])
    settings_rows = [(esc(k), esc(v)) for k, v in _settings_rows(source, ctx)]
    legends = "".join(layer.legend for layer in layers)
    body = (
        _search(ctx)
        + _details(
            ctx.t("panel.layers"),
            f'<div id="ag-layers"></div><div id="ag-legends">{legends}</div>',
            open_=True,
        )
        + _details(ctx.t("panel.howto"), _howto(ctx), css="ag-howto")
        + _details(ctx.t("panel.tables"), '<div id="ag-tables"></div>', css="ag-tables-box")
        + _details(ctx.t("panel.sources"), src)
        + _details(ctx.t("panel.settings"), kv_table(settings_rows, "ag-kv ag-settings"))
        + f'<p class="ag-note">{esc(ctx.t("privacy", n=ctx.min_count))}</p>'
    )
    label = esc(ctx.t("panel.label"))
    return (
        f'<aside id="ag-panel" class="ag-panel" aria-label="{label}">{_head(ctx, title, day)}'
        f'<div id="ag-body" class="ag-body">{body}</div></aside>'
    )
