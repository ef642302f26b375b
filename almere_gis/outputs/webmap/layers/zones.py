"""Search zones: hot spots of small-scale work without a candidate site within reach."""

from __future__ import annotations

__all__ = ["zone_layer"]

import geopandas as gpd

from ...style import SEARCH_ZONE
from ..geometry import display_geometry, feature_collection
from ..markup import esc, kv_table, legend_block, swatch_row
from ..model import Context, Layer


def zone_layer(zones: gpd.GeoDataFrame, ctx: Context) -> Layer:
    """The search zones with their area, dashed green."""
    distance = ctx.distance(ctx.settings.sites.search_zone_distance_m)
    geoms = display_geometry(zones, "search zones", simplify_m=ctx.settings.map.simplify_m)
    area_ha = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs("EPSG:28992").area / 10_000.0
    style = {
        "color": SEARCH_ZONE,
        "weight": 2.5,
        "dashArray": "6 4",
        "fillColor": SEARCH_ZONE,
        "fillOpacity": 0.12,
    }
    props = []
    for area in area_ha.to_numpy():
        rows = [(esc(ctx.t("zone.area")), esc(f"{ctx.number(area, 1)} ha"))]
        card = (
            f'<div class="ag-tip-title">{esc(ctx.t("zone.title"))}</div>'
            f"<div>{esc(ctx.t('zone.text', d=distance))}</div>" + kv_table(rows)
        )
        props.append({"tip": card, "style": style})
    spec = {
        "id": "zones",
        "name": ctx.t("layer.zones"),
        "kind": "areas",
        "pane": "ag-zones",
        "show": True,
        "data": feature_collection(geoms, props),
    }
    legend_rows = [
        swatch_row(
            esc(ctx.t("zone.legend", d=distance)),
            fill=f"{SEARCH_ZONE}22",
            css="ag-sw ag-zone",
            border=SEARCH_ZONE,
        )
    ]
    return Layer(spec, legend_block("zones", esc(ctx.t("layer.zones")), "", legend_rows))
