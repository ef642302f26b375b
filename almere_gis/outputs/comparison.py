"""The comparison across gemeenten of ``almere-gis run-many``: its table files and its map.

Written from the comparison table alone (built from each gemeente's public city table, with
small counts left out): ``vergelijking.csv``, ``vergelijking.xlsx`` and ``vergelijking.html``,
a one-file Leaflet page of the gemeenten (dissolved buurten, simplified together so that no
gaps open between them) coloured by the share of jobs in residential buurten. Leaflet is the
webmap's offline copy (:mod:`almere_gis.outputs.webmap.assets`); colours and class breaks come
from :mod:`almere_gis.outputs.style`, as on every map of the package.
"""

from __future__ import annotations

__all__ = ["HEADLINE", "comparison_map", "comparison_table", "write_comparison"]

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..io import atomic
from ..settings import Settings
from ..texts import text
from ..texts.format import count, percent
from .style import NODATA_FILL, SUPPRESSED_FILL, choropleth_colours, class_breaks
from .tables import safe_frame, write_csv
from .webmap.assets import CDN, leaflet

if TYPE_CHECKING:
    from ..many import Outcome

# The headline indicator of the comparison map, a key of the city table.
HEADLINE = "aandeel_banen_in_woonbuurten"
# City-table counts in the comparison, and the shares with the count each rests on.
_COUNTS = (
    "vestigingen",
    "banen",
    "vestigingen_kleinschalig",
    "vestigingen_aan_huis",
    "zzp",
    "buiten_studiegebied",
    "afgewezen",
)
_SHARES = {
    "aandeel_banen_in_woonbuurten": "vestigingen",
    "aandeel_vestigingen_in_woonbuurten": "vestigingen",
}


_HIDDEN_COUNTS = ("vestigingen", "vestigingen_kleinschalig", "vestigingen_aan_huis", "zzp")


def comparison_table(outcomes: Sequence[Outcome], *, min_count: int) -> pd.DataFrame:
    """One row per gemeente: status, error line, the headline figures of its public city table.

    A count of fewer than ``min_count`` establishments is left out (missing), and so are the
    jobs and shares of a gemeente with fewer than ``min_count`` establishments in all
    (``suppressed``).
    """
    rows = []
    for o in outcomes:  # one row per gemeente
        figures = {key: o.figures.get(key, np.nan) for key in (*_COUNTS, *_SHARES)}
        rows.append(
            {
                "gemeente_code": o.code,
                "gemeente_name": o.name,
                "status": "ok" if o.ok else "fout",
                "n_buurten": o.n_buurten,
                **figures,
                "seconds": round(o.seconds, 2),
                "folder": Path(o.folder).name,
                "error": o.error,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    n = table["vestigingen"].to_numpy(dtype=float)
    small = np.isfinite(n) & (n < min_count)
    table.insert(3, "suppressed", small)
    for column in _HIDDEN_COUNTS:
        values = table[column].to_numpy(dtype=float)
        table[column] = np.where(values < min_count, np.nan, values)
    for column in ("banen", *_SHARES):
        table[column] = table[column].mask(small)
    return table


def _gemeente_polygons(
    buurten: gpd.GeoDataFrame, codes: Sequence[str], tolerance: float
) -> gpd.GeoDataFrame:
    """The chosen gemeenten as dissolved buurten, simplified together (no gaps), in WGS 84."""
    chosen = buurten.loc[
        buurten["gemeente_code"].astype(str).isin(codes), ["gemeente_code", "geometry"]
    ]
    dissolved = chosen.dissolve(by="gemeente_code", method="coverage").reset_index()
    simple = shapely.coverage_simplify(dissolved.geometry.to_numpy(), tolerance)
    frame = dissolved.set_geometry(gpd.GeoSeries(simple, crs=buurten.crs))
    return frame.to_crs(4326)


def _write_workbook(table: pd.DataFrame, path: Path) -> Path | None:
    try:
        with atomic.atomic_path(path) as tmp:
            safe_frame(table).to_excel(tmp, sheet_name="vergelijking", index=False)
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        return None
    return path


def write_comparison(
    table: pd.DataFrame, buurten: gpd.GeoDataFrame, out_dir: Path, settings: Settings
) -> dict[str, Path]:
    """``vergelijking.csv``, ``.xlsx`` and ``.html`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"table": write_csv(table, out_dir / "vergelijking.csv")}
    workbook = _write_workbook(table, out_dir / "vergelijking.xlsx")
    if workbook is not None:
        files["workbook"] = workbook
    if len(table):
        xmin, ymin, xmax, ymax = buurten.total_bounds
        tolerance = max(settings.map.simplify_m, float(np.hypot(xmax - xmin, ymax - ymin)) / 4000)
        shapes = _gemeente_polygons(buurten, list(table["gemeente_code"]), tolerance)
        page = comparison_map(table, shapes, settings)
        files["map"] = atomic.write_text(page, out_dir / "vergelijking.html")
    return files


_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{leaflet_css}
<style>html,body,#map{{height:100%;margin:0;font:14px/1.4 sans-serif}}
.legend{{background:#fff;padding:6px 8px;border-radius:4px;box-shadow:0 0 4px #0004}}
.legend i{{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:-2px}}
</style></head><body><div id="map"></div>{leaflet_js}
<script>
const data = {data};
const map = L.map("map", {{preferCanvas: true}});
const layer = L.geoJSON(data, {{
  style: f => ({{fillColor: f.properties.colour, fillOpacity: 0.8, color: "#555", weight: 0.6}}),
  onEachFeature: (f, l) => l.bindTooltip(f.properties.label, {{sticky: true}})
}}).addTo(map);
map.fitBounds(layer.getBounds());
const legend = L.control({{position: "bottomright"}});
legend.onAdd = () => {{
  const div = L.DomUtil.create("div", "legend");
  div.innerHTML = {legend};
  return div;
}};
legend.addTo(map);
</script></body></html>
"""


def _classes(shares: np.ndarray, settings: Settings) -> tuple[list[float], list[str]]:
    breaks = class_breaks(shares, scheme=settings.map.scheme, k=settings.map.classes)
    return breaks, choropleth_colours(len(breaks))


def _labels(table: pd.DataFrame, lang: str, min_count: int) -> list[str]:
    """The tooltip of each gemeente: name, code, headline share or why there is none."""
    out = []
    for row in table.itertuples(index=False):  # one per gemeente
        head = f"<b>{escape(str(row.gemeente_name))}</b> ({escape(str(row.gemeente_code))})"
        if row.status != "ok":
            body = text("cli.many.map_failed", lang, error=escape(str(row.error)))
        elif row.suppressed:
            body = text("cli.many.map_suppressed", lang, n=count(0, min_count, lang))
        else:
            share = percent(getattr(row, HEADLINE), 1, lang)
            n = count(row.vestigingen, min_count, lang)
            body = text("cli.many.map_share", lang, share=share, n=n)
        out.append(f"{head}<br>{body}")
    return out


def comparison_map(table: pd.DataFrame, shapes: gpd.GeoDataFrame, settings: Settings) -> str:
    """A one-file Leaflet page: the gemeenten coloured by the headline share (offline Leaflet)."""
    lang, n_min = settings.map.language, settings.privacy.min_count
    rows = table.set_index("gemeente_code").loc[shapes["gemeente_code"]].reset_index()
    shares = rows[HEADLINE].to_numpy(dtype=float)
    breaks, colours = _classes(shares, settings)
    which = np.searchsorted(np.asarray(breaks), shares, side="left").clip(
        0, max(len(breaks) - 1, 0)
    )
    fill = np.where(
        np.isfinite(shares), np.asarray(colours + [NODATA_FILL], dtype=object)[which], NODATA_FILL
    )
    fill = np.where(rows["suppressed"].to_numpy(dtype=bool), SUPPRESSED_FILL, fill)
    rounded = shapely.transform(shapes.geometry.to_numpy(), lambda c: np.round(c, 5))
    features = [
        {"type": "Feature", "geometry": json.loads(g), "properties": {"colour": c, "label": lab}}
        for g, c, lab in zip(
            shapely.to_geojson(rounded), fill, _labels(rows, lang, n_min), strict=True
        )
    ]
    lower = [float(np.nanmin(shares)) if np.isfinite(shares).any() else 0.0, *breaks[:-1]]
    items = [
        f'<i style="background:{c}"></i>{percent(lo, 0, lang)} - {percent(hi, 0, lang)}'
        for c, lo, hi in zip(colours, lower, breaks, strict=True)
    ]
    items.append(f'<i style="background:{NODATA_FILL}"></i>{text("cli.many.map_nodata", lang)}')
    legend = f"<b>{text('cli.many.map_legend', lang)}</b><br>" + "<br>".join(items)
    lib = leaflet(required=False, assets_dir=None, note="", fix="pip install XStatic-Leaflet")
    if lib.inline:
        css, js = f"<style>{lib.css}</style>", f"<script>{lib.js}</script>"
    else:
        css = f'<link rel="stylesheet" href="{CDN}/leaflet.css">'
        js = f'<script src="{CDN}/leaflet.js"></script>'

    data = json.dumps({"type": "FeatureCollection", "features": features}).replace("</", "<\\/")
    return _PAGE.format(
        lang=lang,
        title=text("cli.many.map_title", lang),
        leaflet_css=css,
        leaflet_js=js,
        data=data,
        legend=json.dumps(legend).replace("</", "<\\/"),
    )
