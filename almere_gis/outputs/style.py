"""Colours and classes shared by the HTML map and the QGIS styles, so both show the same.

Ramps are ColorBrewer sequential/diverging schemes (colour-blind safe for the class counts used).
"""

from __future__ import annotations

import numpy as np

# Buurt choropleth: ColorBrewer YlOrRd, 3 to 7 classes.
CHOROPLETH = {
    3: ["#ffeda0", "#feb24c", "#f03b20"],
    4: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
    5: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    6: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"],
    7: ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"],
}

# KDE surface: ColorBrewer PuBuGn-like sequential ramp, stops at 0..1 of the surface maximum.
DENSITY_RAMP = [
    (0.00, "#f6eff7"),
    (0.20, "#d0d1e6"),
    (0.40, "#a6bddb"),
    (0.60, "#67a9cf"),
    (0.80, "#1c9099"),
    (1.00, "#016c59"),
]

# Gi* classes: ColorBrewer RdBu diverging; "ns" is not significant.
HOTSPOT_CLASSES = ["hot_99", "hot_95", "hot_90", "ns", "cold_90", "cold_95", "cold_99"]
HOTSPOT_COLOURS = {
    "hot_99": "#b2182b",
    "hot_95": "#ef8a62",
    "hot_90": "#fddbc7",
    "ns": "#f7f7f7",
    "cold_90": "#d1e5f0",
    "cold_95": "#67a9cf",
    "cold_99": "#2166ac",
}
HOTSPOT_LABELS = {
    "nl": {
        "hot_99": "Hot spot (99 %)",
        "hot_95": "Hot spot (95 %)",
        "hot_90": "Hot spot (90 %)",
        "ns": "Niet significant",
        "cold_90": "Cold spot (90 %)",
        "cold_95": "Cold spot (95 %)",
        "cold_99": "Cold spot (99 %)",
    },
    "en": {
        "hot_99": "Hot spot (99 %)",
        "hot_95": "Hot spot (95 %)",
        "hot_90": "Hot spot (90 %)",
        "ns": "Not significant",
        "cold_90": "Cold spot (90 %)",
        "cold_95": "Cold spot (95 %)",
        "cold_99": "Cold spot (99 %)",
    },
}

# Candidate sites: top k highlighted, the rest muted; excluded sites grey.
SITE_TOP = "#6a3d9a"
SITE_OTHER = "#cab2d6"
SITE_EXCLUDED = "#9e9e9e"
SEARCH_ZONE = "#33a02c"
WIJK_OUTLINE = "#333333"


def class_breaks(values: np.ndarray, *, scheme: str = "FisherJenks", k: int = 5) -> list[float]:
    """Upper class bounds of ``values`` (NaN ignored) with a mapclassify scheme.

    Returns fewer than ``k`` bounds when there are fewer distinct values.
    """
    import warnings

    import mapclassify

    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if data.size == 0:
        return []
    distinct = np.unique(data)
    k = int(min(k, distinct.size))
    if k < 2:
        return [float(distinct.max())]
    with warnings.catch_warnings():
        # mapclassify suggests numba for speed; for tens of buurten it makes no difference.
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        classifier = getattr(mapclassify, scheme)(data, k=k)
    return [float(b) for b in classifier.bins]


def choropleth_colours(n_classes: int) -> list[str]:
    """The choropleth palette for ``n_classes`` (1 to 7)."""
    if n_classes <= 0:
        return []
    if n_classes < 3:
        return CHOROPLETH[3][-n_classes:]
    return CHOROPLETH[min(n_classes, 7)]
