"""One builder per map layer; :func:`build_layers` puts them in the order of the layer list.

To add a layer (e.g. a theme of the register): write a builder that takes a public frame (data
and ``hidden``) and a :class:`~..model.Context` and returns a :class:`~..model.Layer` (its
page spec and its legend), give it a pane in ``PANES`` and call it here. ``page.js`` draws
any layer of a known ``kind`` and shows its legend while it is on.
"""

from __future__ import annotations

__all__ = ["PANES", "build_layers"]

from ...style import Choropleth
from ..model import Context, Layer, MapOptions, MapSource
from .buurten import buurt_layer
from .density import density_layer
from .hotspots import hotspot_layer
from .sites import site_layer
from .wijken import outline_layer, wijk_layer
from .zones import zone_layer

# Panes fix the drawing order whatever the order of switching layers on and off; the
# numbered top sites are drawn above everything but tooltips and popups.
PANES = {
    "ag-buurten": 410,
    "ag-density": 420,
    "ag-hotspots": 430,
    "ag-zones": 440,
    "ag-wijken": 450,
    "ag-outline": 455,
    "ag-labels": 460,
    "ag-sites": 620,
    "ag-sites-top": 640,
}


def _density_keys(source: MapSource, options: MapOptions) -> list[str]:
    if options.density_keys is None:
        # The small-scale surface first: it is what the map is about.
        return sorted(source.density, key=lambda k: k != "small_scale_count")
    return [k for k in options.density_keys if k in source.density]


def build_layers(
    source: MapSource, ctx: Context, options: MapOptions
) -> tuple[list[Layer], Choropleth]:
    """Every layer the source has data for, in the order of the layer list."""
    buurten = source.buurten
    layers: list[Layer] = []
    choropleth_layer, choropleth = buurt_layer(buurten.data, buurten.hidden, ctx)
    layers.append(choropleth_layer)
    for key in _density_keys(source, options):
        layers.append(density_layer(source.density[key], ctx))
    if source.hexagons is not None and len(source.hexagons.data):
        hot = hotspot_layer(source.hexagons.data, source.hexagons.hidden, ctx)
        if hot is not None:
            layers.append(hot)
    if source.search_zones is not None and len(source.search_zones.data):
        layers.append(zone_layer(source.search_zones.data, ctx))
    if source.wijken is not None and len(source.wijken.data):
        layers.append(wijk_layer(source.wijken.data, ctx))
    if len(buurten.data):
        layers.append(outline_layer(buurten.data, ctx))
    if source.candidates is not None and len(source.candidates.data):
        layers.append(site_layer(source.candidates.data, source.candidates.hidden, ctx))
    return layers, choropleth
