"""The planner's map: one interactive HTML file (Leaflet through folium).

Layers (each can be switched on and off in the layer control):

- buurt choropleth of ``settings.map.indicator`` with mapclassify class breaks, tooltips with key
  indicators per buurt;
- wijk outlines with labels;
- the KDE density surface, drawn from the analysis GeoTIFF (warped to Web Mercator, coloured
  with :data:`almere_gis._style.DENSITY_RAMP`), so the map shows the same numbers as the analysis;
- Getis-Ord Gi* hot and cold spot hexagons (significant ones only);
- candidate sites as ranked markers (top k highlighted) with a popup: score, criteria as bars,
  explanation;
- search zones.

A side panel holds the title, the legends (with units), the data sources, the date the map was made
and a summary of the settings.

Base maps: PDOK's BRT-Achtergrondkaart in grey (Kadaster; open data, no API key, covers the
Netherlands) by default, OpenStreetMap, and "no basemap", which needs no network. CARTO's basemaps
were considered, but they now ask for an API key.

Privacy
    No layer is built from business points: the map only receives areas, hexagons, a density raster
    and candidate sites. Every aggregate built from fewer than ``settings.privacy.min_count``
    establishments is shown as "< 5" in tooltips, and suppressed buurten get a neutral grey in the
    choropleth instead of a class colour. Class breaks are computed from unsuppressed buurten only,
    since Fisher-Jenks bounds are data values.

Safety
    Every string that comes from data (names, labels, explanations) is HTML-escaped in Python before
    it enters the page, and reaches the page only inside JSON (which folium writes with ``<``, ``>``
    and ``&`` escaped). Tooltips and popups are bound from that prebuilt HTML; folium's
    ``GeoJsonTooltip`` is not used because it pastes raw property values into ``innerHTML``.

Self-contained mode (``self_contained=True``)
    folium loads its JavaScript and CSS from CDNs and has no offline mode. This map uses Leaflet
    only (no jQuery, Bootstrap or awesome-markers: popups and tooltips are bound in plain Leaflet),
    so only one package is needed: ``leaflet`` from the npm registry, at exactly the version folium
    references (1.9.3 for folium 0.20). ``make assets`` installs it into ``build/web/node_modules``
    (``npm install --prefix build/web --no-save leaflet@1.9.3``); nothing third-party is copied into
    the repository. In this mode the script, the stylesheet and the stylesheet's images are inlined,
    and "no basemap" is the base layer shown on opening, so the map renders with no network.
"""

from __future__ import annotations

__all__ = ["Choropleth", "choropleth_classes", "format_number", "make_map"]

import base64
import html
import json
import logging
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from jinja2 import Template

from .._errors import ConfigError, InputError
from ..io import atomic as _io
from ..settings import PROJECT_ROOT, Settings
from . import style as _style

log = logging.getLogger("almere_gis")

LEAFLET_VERSION = "1.9.3"
_ASSETS_DIR = PROJECT_ROOT / "build" / "web" / "node_modules"
_COORD_DECIMALS = 5  # about 1 m in latitude: plenty for a display simplified at 10 m
_MAX_IMAGE_PIXELS = 2_500_000
_SUPPRESSED_FILL = "#bdbdbd"
_NODATA_FILL = "#f0f0f0"

_TILES = {
    "pdok": (
        "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/grijs/EPSG:3857/{z}/{x}/{y}.png",
        'Kaartgegevens &copy; <a href="https://www.kadaster.nl">Kadaster</a>',
    ),
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    ),
}

# --------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------

_T: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Kleinschalige economie in {place}",
        "place_default": "de gemeente",
        "made_on": "Kaart gemaakt op {date}",
        "base_light": "Lichte achtergrond (PDOK grijs)",
        "base_osm": "OpenStreetMap",
        "base_none": "Geen achtergrond",
        "layer_buurten": "Buurten: {label}",
        "layer_wijken": "Wijken (grenzen)",
        "layer_kde": "Dichtheid (kernel {radius} m)",
        "layer_hot": "Hot spots en cold spots (Gi*)",
        "layer_sites": "Kandidaatlocaties (top {k} gemarkeerd)",
        "layer_zones": "Zoekgebieden",
        "legend": "Legenda",
        "sources": "Bronnen",
        "settings": "Instellingen",
        "unit": "Eenheid",
        "suppressed": "minder dan {n} vestigingen (niet getoond)",
        "nodata": "geen gegevens",
        "kde_note": "Hoogste waarde {peak}. Waarden onder 1 % daarvan zijn niet gekleurd.",
        "site_top": "Top {k} (nummer = rang)",
        "site_other": "Overige kandidaten",
        "site_excluded": "Uitgesloten",
        "zone_legend": "Hot spot zonder kandidaat binnen {d}",
        "wijk_legend": "Wijkgrens",
        "buurt": "Buurt",
        "wijk": "Wijk",
        "area_type": "Gebiedstype",
        "n_establishments": "Vestigingen",
        "jobs": "Banen",
        "n_small_scale": "Kleinschalige vestigingen",
        "n_home_based": "Bedrijven aan huis",
        "n_zzp": "Zzp'ers",
        "jobs_small_scale_per_km2": "Banen kleinschalig per km² land",
        "inhabitants": "Inwoners",
        "hex_class": "Gi*-klasse",
        "hex_count_all": "Vestigingen in zeshoek",
        "hex_count_small": "Kleinschalige vestigingen",
        "gi_z": "z-score",
        "rank": "Rang",
        "score": "Score",
        "p_top_k": "Kans op top {k}",
        "robust": "robuust",
        "not_robust": "gevoelig voor de gewichten",
        "excluded": "Uitgesloten",
        "floor_area": "Vloeroppervlak",
        "criteria": "Criteria (0-1, gewicht)",
        "zone": "Zoekgebied",
        "zone_text": "Hot spot zonder kandidaatlocatie binnen {d}.",
        "zone_area": "Oppervlakte",
        "privacy": (
            "Privacy: de kaart toont geen locaties van bedrijven, alleen aantallen per gebied en "
            "een dichtheidsoppervlak. Aantallen onder {n} worden als \u201c&lt; {n}\u201d getoond."
        ),
        "src_buurten": "Buurt- en wijkgrenzen",
        "src_businesses": "Vestigingen",
        "src_candidates": "Kandidaatlocaties",
        "src_cbs": "CBS Wijk- en Buurtkaart",
        "src_register": "vestigingenregister (alleen als aggregaat)",
        "src_basemap": "Achtergrond: Kadaster (BRT-Achtergrondkaart), OpenStreetMap-bijdragers",
        "set_indicator": "Indicator",
        "set_classes": "Klassen",
        "set_privacy": "Drempel privacy",
        "set_kde": "Dichtheid",
        "set_hex": "Zeshoeken",
        "set_gi": "Hot spots",
        "set_sites": "Locaties",
        "set_weights": "Gewichten",
        "set_source": "Instellingenbestand",
        "fdr_on": "met FDR-correctie",
        "fdr_off": "zonder FDR-correctie",
        "permutations": "permutaties",
        "walk": "lopen",
        "cycle": "fietsen",
        "classes_of": "{n} klassen, {scheme}",
        "n_units": "{n} vestigingen",
    },
    "en": {
        "title": "Small-scale economy in {place}",
        "place_default": "the municipality",
        "made_on": "Map made on {date}",
        "base_light": "Light basemap (PDOK grey)",
        "base_osm": "OpenStreetMap",
        "base_none": "No basemap",
        "layer_buurten": "Neighbourhoods: {label}",
        "layer_wijken": "Districts (outlines)",
        "layer_kde": "Density (kernel {radius} m)",
        "layer_hot": "Hot spots and cold spots (Gi*)",
        "layer_sites": "Candidate sites (top {k} highlighted)",
        "layer_zones": "Search zones",
        "legend": "Legend",
        "sources": "Sources",
        "settings": "Settings",
        "unit": "Unit",
        "suppressed": "fewer than {n} establishments (not shown)",
        "nodata": "no data",
        "kde_note": "Highest value {peak}. Values below 1 % of it are not coloured.",
        "site_top": "Top {k} (number = rank)",
        "site_other": "Other candidates",
        "site_excluded": "Excluded",
        "zone_legend": "Hot spot without a candidate within {d}",
        "wijk_legend": "District boundary",
        "buurt": "Neighbourhood",
        "wijk": "District",
        "area_type": "Area type",
        "n_establishments": "Establishments",
        "jobs": "Jobs",
        "n_small_scale": "Small-scale establishments",
        "n_home_based": "Home-based businesses",
        "n_zzp": "Self-employed (zzp)",
        "jobs_small_scale_per_km2": "Small-scale jobs per km² of land",
        "inhabitants": "Inhabitants",
        "hex_class": "Gi* class",
        "hex_count_all": "Establishments in hexagon",
        "hex_count_small": "Small-scale establishments",
        "gi_z": "z-score",
        "rank": "Rank",
        "score": "Score",
        "p_top_k": "Chance of top {k}",
        "robust": "robust",
        "not_robust": "sensitive to the weights",
        "excluded": "Excluded",
        "floor_area": "Floor area",
        "criteria": "Criteria (0-1, weight)",
        "zone": "Search zone",
        "zone_text": "Hot spot without a candidate site within {d}.",
        "zone_area": "Area",
        "privacy": (
            "Privacy: the map shows no business locations, only counts per area and a density "
            "surface. Counts below {n} are shown as \u201c&lt; {n}\u201d."
        ),
        "src_buurten": "Neighbourhood and district boundaries",
        "src_businesses": "Establishments",
        "src_candidates": "Candidate sites",
        "src_cbs": "CBS Wijk- en Buurtkaart",
        "src_register": "business register (aggregates only)",
        "src_basemap": "Basemaps: Kadaster (BRT-Achtergrondkaart), OpenStreetMap contributors",
        "set_indicator": "Indicator",
        "set_classes": "Classes",
        "set_privacy": "Privacy threshold",
        "set_kde": "Density",
        "set_hex": "Hexagons",
        "set_gi": "Hot spots",
        "set_sites": "Sites",
        "set_weights": "Weights",
        "set_source": "Settings file",
        "fdr_on": "with FDR correction",
        "fdr_off": "without FDR correction",
        "permutations": "permutations",
        "walk": "walking",
        "cycle": "cycling",
        "classes_of": "{n} classes, {scheme}",
        "n_units": "{n} establishments",
    },
}

_MONTHS = {
    "nl": "januari februari maart april mei juni juli augustus september oktober november "
    "december".split(),
    "en": "January February March April May June July August September October November "
    "December".split(),
}

# Measure -> (nl noun, en noun, base count column for the privacy threshold).
_MEASURES: dict[str, tuple[str, str, str]] = {
    "n_establishments": ("vestigingen", "establishments", "n_establishments"),
    "jobs": ("banen", "jobs", "n_establishments"),
    "n_small_scale": ("kleinschalige vestigingen", "small-scale establishments", "n_small_scale"),
    "jobs_small_scale": ("banen in kleinschalige vestigingen", "small-scale jobs", "n_small_scale"),
    "n_home_based": ("bedrijven aan huis", "home-based businesses", "n_home_based"),
    "jobs_home_based": ("banen in bedrijven aan huis", "home-based jobs", "n_home_based"),
    "n_zzp": ("zzp'ers", "self-employed (zzp)", "n_zzp"),
    "jobs_zzp": ("banen van zzp'ers", "self-employed jobs", "n_zzp"),
    "n_social_enterprise": ("sociale ondernemingen", "social enterprises", "n_social_enterprise"),
    "jobs_social_enterprise": (
        "banen in sociale ondernemingen",
        "jobs in social enterprises",
        "n_social_enterprise",
    ),
}
_RATES: dict[str, tuple[str, str]] = {
    "_per_km2": ("per km² land", "per km² of land"),
    "_per_1000_inhabitants": ("per 1.000 inwoners", "per 1,000 inhabitants"),
    "_per_1000_homes": ("per 1.000 woningen", "per 1,000 homes"),
}
# Older spellings of indicator names -> the column names of indicators.py.
_INDICATOR_ALIASES = {"small_scale_jobs_per_km2": "jobs_small_scale_per_km2"}

_AREA_TYPES = {
    "nl": {
        "wonen": "wonen",
        "centrum": "centrum",
        "bedrijventerrein": "bedrijventerrein",
        "buitengebied": "buitengebied",
    },
    "en": {
        "wonen": "residential",
        "centrum": "centre",
        "bedrijventerrein": "business park",
        "buitengebied": "rural",
    },
}
_SITE_TYPES = {
    "nl": {
        "kantoor_leeg": "leeg kantoor",
        "voormalige_school": "voormalige school",
        "winkelruimte": "winkelruimte",
        "bedrijfsverzamelgebouw": "bedrijfsverzamelgebouw",
        "gemeentelijk_vastgoed": "gemeentelijk vastgoed",
    },
    "en": {
        "kantoor_leeg": "vacant office",
        "voormalige_school": "former school",
        "winkelruimte": "retail unit",
        "bedrijfsverzamelgebouw": "multi-tenant business building",
        "gemeentelijk_vastgoed": "municipal property",
    },
}
_CRITERIA = {
    "nl": {
        "demand_walk": "Vraag op loopafstand",
        "demand_cycle": "Vraag op fietsafstand",
        "cluster": "Nabij hot spot",
        "accessibility": "Bereikbaarheid",
        "fit": "Passende omvang",
        "mix": "Mix van sectoren",
        "social": "Sociale opgave",
    },
    "en": {
        "demand_walk": "Demand within walking distance",
        "demand_cycle": "Demand within cycling distance",
        "cluster": "Near a hot spot",
        "accessibility": "Accessibility",
        "fit": "Suitable size",
        "mix": "Sector mix",
        "social": "Social need",
    },
}
_KDE_SUBSETS = {
    "nl": {
        "all": "alle vestigingen",
        "small_scale": "kleinschalige vestigingen",
        "home_based": "bedrijven aan huis",
        "zzp": "zzp'ers",
    },
    "en": {
        "all": "all establishments",
        "small_scale": "small-scale establishments",
        "home_based": "home-based businesses",
        "zzp": "self-employed (zzp)",
    },
}
_KDE_UNITS = {
    "nl": {"count": "vestigingen per km²", "jobs": "banen per km²"},
    "en": {"count": "establishments per km²", "jobs": "jobs per km²"},
}

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def format_number(value: Any, *, decimals: int = 0, language: str = "nl") -> str:
    """Format a number with thousands separators, Dutch (``1.234,5``) or English (``1,234.5``).

    Independent of the machine's locale. Missing or non-finite values give an en dash.

    Examples
    --------
    >>> format_number(1234.5, decimals=1)
    '1.234,5'
    >>> format_number(-1234567, language="en")
    '-1,234,567'
    >>> format_number(float("nan"))
    '–'
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(x):
        return "–"
    text = f"{x:,.{max(decimals, 0)}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no "-0,0"
    if language == "nl":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _esc(value: Any) -> str:
    """HTML-escape a data string; also neutralise characters special in JS template literals."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    text = html.escape(str(value), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def _format_date(day: date, language: str) -> str:
    return f"{day.day} {_MONTHS[language][day.month - 1]} {day.year}"


def _format_distance(metres: float, language: str) -> str:
    if metres >= 1000:
        return f"{format_number(metres / 1000, decimals=1, language=language)} km"
    return f"{format_number(metres, language=language)} m"


def _decimals_for(values: np.ndarray) -> int:
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return 0
    top = float(finite.max())
    if top >= 100:
        return 0
    if top >= 10:
        return 1
    return 2


def _is_true(series: pd.Series) -> np.ndarray:
    return series.astype("boolean").fillna(False).to_numpy(dtype=bool)


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _texts(frame: pd.DataFrame, column: str) -> list[str]:
    """A column as Python strings, missing values as ""; all "" when the column is absent."""
    if column not in frame:
        return [""] * len(frame)
    return [str(v) for v in frame[column].astype("string").fillna("").to_list()]


def _to_display(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoSeries:
    """Geometry in EPSG:4326 with coordinates rounded for display."""
    if gdf.crs is None:
        raise InputError(what, "has no CRS", "set it, e.g. gdf.set_crs('EPSG:28992')")
    geo = gdf.geometry.to_crs("EPSG:4326")
    rounded = shapely.transform(geo.to_numpy(), lambda c: np.round(c, _COORD_DECIMALS))
    return gpd.GeoSeries(rounded, index=gdf.index, crs="EPSG:4326")


def _simplify_coverage(geoms: gpd.GeoSeries, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify polygons that tile an area, keeping shared boundaries shared."""
    if tolerance_m <= 0 or geoms.empty:
        return geoms
    try:
        valid = bool(geoms.is_valid_coverage())
    except Exception:  # GEOS refuses some inputs; then simplify polygon by polygon
        valid = False
    if valid:
        return geoms.simplify_coverage(tolerance_m)
    log.info("map: polygons do not form a valid coverage; simplifying them one by one")
    return geoms.simplify(tolerance_m, preserve_topology=True)


def _feature_collection(geoms: gpd.GeoSeries, properties: list[dict[str, Any]]) -> dict[str, Any]:
    shapes = shapely.to_geojson(geoms.to_numpy())
    features = [
        {"type": "Feature", "id": i, "properties": props, "geometry": json.loads(shape)}
        for i, (shape, props) in enumerate(zip(shapes, properties, strict=True))
    ]
    return {"type": "FeatureCollection", "features": features}


def _table(rows: list[tuple[str, str]]) -> str:
    """Two-column HTML table; both cells must already be escaped."""
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="ag-kv">{body}</table>'


# --------------------------------------------------------------------------------------------
# Indicators
# --------------------------------------------------------------------------------------------


def _indicator_info(column: str, language: str, settings: Settings) -> tuple[str, str, str, str]:
    """(label, unit, base count column, kind) for an indicator column.

    kind is "count", "rate", "share" or "lq".
    """
    en = language == "en"
    sectors = {
        g.key: (g.label_en if en else g.label_nl) for g in settings.classification.sector_groups
    }
    sectors.setdefault("overig", "other" if en else "overig")
    if column.startswith("lq_") and column[3:] in sectors:
        label = f"{'Location quotient' if en else 'Locatiequotiënt'} {sectors[column[3:]].lower()}"
        unit = "1 = city average" if en else "1 = stadsgemiddelde"
        return label, unit, f"n_{column[3:]}", "lq"
    share = column.startswith("share_")
    stem = column[6:] if share else column
    suffix = next((s for s in _RATES if stem.endswith(s)), "")
    measure = stem[: -len(suffix)] if suffix else stem
    if measure in _MEASURES:
        noun_nl, noun_en, base = _MEASURES[measure]
    elif measure.startswith(("n_", "jobs_")) and measure.split("_", 1)[1] in sectors:
        key = measure.split("_", 1)[1]
        kind_en = "establishments" if measure.startswith("n_") else "jobs"
        kind_nl = "vestigingen" if measure.startswith("n_") else "banen"
        noun_en = f"{kind_en}: {sectors[key].lower()}"
        noun_nl = f"{kind_nl}: {sectors[key].lower()}"
        base = f"n_{key}"
    else:
        return column, "", "n_establishments", "rate"
    noun = noun_en if en else noun_nl
    if share:
        label = f"{'Share of city total' if en else 'Aandeel in stadstotaal'}: {noun}"
        return label, "%", base, "share"
    if suffix:
        unit = f"{noun} {_RATES[suffix][1 if en else 0]}"
        return unit[0].upper() + unit[1:], unit, base, "rate"
    return noun[0].upper() + noun[1:], noun, base, "count"


def _resolve_indicator(buurten: pd.DataFrame, name: str) -> str:
    if name in buurten:
        return name
    alias = _INDICATOR_ALIASES.get(name)
    if alias and alias in buurten:
        return alias
    examples = ", ".join([c for c in buurten.columns if c.endswith("_per_km2")][:4])
    raise ConfigError(
        f"map.indicator = {name!r} is not a column of the buurt indicators. "
        f"Fix: choose one of the indicator columns, e.g. {examples or 'jobs_per_km2'}."
    )


def _below_threshold(frame: pd.DataFrame, base: str, min_count: int) -> np.ndarray:
    """True where an aggregate rests on fewer than ``min_count`` establishments."""
    out = np.zeros(len(frame), dtype=bool)
    if base in frame:
        counts = _numeric(frame, base)
        out |= ~(counts >= min_count)  # NaN counts are suppressed too
    elif "n_establishments" in frame:
        out |= ~(_numeric(frame, "n_establishments") >= min_count)
    if "suppressed" in frame:
        out |= _is_true(frame["suppressed"])
    return out


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------

_BIND_TOOLTIP = folium.JsCode(
    "function(feature, layer) {"
    " layer.bindTooltip(feature.properties.tip, {sticky: true, className: 'ag-tip'}); }"
)
_BIND_LABEL = folium.JsCode(
    "function(feature, layer) {"
    " if (feature.properties.label) { layer.bindTooltip(feature.properties.label,"
    " {permanent: true, direction: 'center', className: 'ag-wijk-label'}); } }"
)
_BIND_SITE = folium.JsCode(
    "function(feature, layer) {"
    " var p = feature.properties;"
    " layer.bindPopup(p.popup, {maxWidth: 360, minWidth: 260, className: 'ag-popup',"
    " autoPanPaddingTopLeft: [330, 230]});"
    " if (p.label) { layer.bindTooltip(p.label, {permanent: true, direction: 'center',"
    " className: 'ag-rank-label', interactive: false}); }"
    " else { layer.bindTooltip(p.tip, {direction: 'top', className: 'ag-tip'}); } }"
)


class _MetricScale(MacroElement):
    """A scale bar in metres only (folium's ``control_scale`` adds miles too)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


def _style_from_properties(feature: dict[str, Any]) -> dict[str, Any]:
    return feature["properties"]["style"]


@dataclass(frozen=True)
class Choropleth:
    """How the buurt choropleth is classed: shared by the HTML map and the QGIS style.

    ``values`` are on the display scale (shares in per cent); ``hidden`` marks buurten whose
    value rests on fewer establishments than the privacy threshold (left out of the class
    computation and greyed on the map); ``classes`` is the class index per buurt, -1 for none.
    """

    column: str
    label: str
    unit: str
    kind: str
    scale: float
    values: np.ndarray
    hidden: np.ndarray
    shown: np.ndarray
    breaks: list[float]
    colours: list[str]
    classes: np.ndarray


def choropleth_classes(buurten: pd.DataFrame, settings: Settings, *, language: str) -> Choropleth:
    """Class the buurten on ``settings.map.indicator`` with the map's scheme and colours.

    Raises
    ------
    ConfigError
        When the indicator is not a column of ``buurten``.
    """
    column = _resolve_indicator(buurten, settings.map.indicator)
    label, unit, base, kind = _indicator_info(column, language, settings)
    scale = 100.0 if kind == "share" else 1.0
    values = _numeric(buurten, column) * scale
    hidden = _below_threshold(buurten, base, settings.privacy.min_count)
    shown = ~hidden & np.isfinite(values)
    with warnings.catch_warnings():
        # mapclassify falls back to pure Python without numba and says so; the result is the same.
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        breaks = _style.class_breaks(
            values[shown], scheme=settings.map.scheme, k=settings.map.classes
        )
    classes = np.full(len(buurten), -1)
    if breaks:
        classes[shown] = np.minimum(
            np.searchsorted(np.asarray(breaks), values[shown], side="left"), len(breaks) - 1
        )
    return Choropleth(
        column=column,
        label=label,
        unit=unit,
        kind=kind,
        scale=scale,
        values=values,
        hidden=hidden,
        shown=shown,
        breaks=breaks,
        colours=_style.choropleth_colours(len(breaks)),
        classes=classes,
    )


def _buurt_layer(
    buurten: gpd.GeoDataFrame,
    geoms: gpd.GeoSeries,
    *,
    settings: Settings,
    language: str,
    t: Mapping[str, str],
) -> tuple[folium.GeoJson, str]:
    """The choropleth layer and its legend HTML."""
    min_count = settings.privacy.min_count
    c = choropleth_classes(buurten, settings, language=language)
    column, label, unit, kind = c.column, c.label, c.unit, c.kind
    values, hidden, shown, breaks, colours, classes = (
        c.values,
        c.hidden,
        c.shown,
        c.breaks,
        c.colours,
        c.classes,
    )
    decimals = 2 if kind == "lq" else _decimals_for(values[shown])

    def fmt(x: float, d: int = decimals) -> str:
        return format_number(x, decimals=d, language=language)

    less = f"&lt; {min_count}"
    pct = " %" if kind == "share" else ""
    # Key indicators in the tooltip: (column, base count column, decimals).
    extra = []
    for key, count_base, d in (
        ("n_establishments", "n_establishments", 0),
        ("n_small_scale", "n_small_scale", 0),
        ("n_home_based", "n_home_based", 0),
        ("n_zzp", "n_zzp", 0),
        ("jobs", "n_establishments", 0),
        ("jobs_small_scale_per_km2", "n_small_scale", 1),
    ):
        if key in buurten and key != column:
            v = _numeric(buurten, key)
            below = _below_threshold(buurten, count_base, min_count)
            extra.append((_esc(t[key]), v, below, d, key.startswith("n_")))
    inhabitants = _numeric(buurten, "inhabitants") if "inhabitants" in buurten else None
    names, codes = _texts(buurten, "buurt_name"), _texts(buurten, "buurt_code")
    wijk_names = _texts(buurten, "wijk_name") if "wijk_name" in buurten else None
    area_types = _texts(buurten, "area_type") if "area_type" in buurten else None
    properties = []
    for i in range(len(buurten)):
        if classes[i] >= 0:
            fill, opacity = colours[classes[i]], 0.75
        elif hidden[i]:
            fill, opacity = _SUPPRESSED_FILL, 0.6
        else:
            fill, opacity = _NODATA_FILL, 0.6
        style = {"fillColor": fill, "fillOpacity": opacity, "color": "#ffffff", "weight": 0.8}
        rows: list[tuple[str, str]] = []
        if wijk_names is not None:
            rows.append((_esc(t["wijk"]), _esc(wijk_names[i])))
        if area_types is not None:
            a = area_types[i]
            rows.append((_esc(t["area_type"]), _esc(_AREA_TYPES[language].get(a, a))))
        if hidden[i]:
            main = less if kind == "count" else _esc(t["suppressed"].format(n=min_count))
        elif np.isfinite(values[i]):
            main = fmt(values[i]) + pct
        else:
            main = _esc(t["nodata"])
        rows.append((f"<b>{_esc(label)}</b>", f"<b>{main}</b>"))
        for key_label, v, below, d, is_count in extra:
            if below[i]:
                text = less if is_count else "–"
            else:
                text = fmt(v[i], d)
            rows.append((key_label, text))
        if inhabitants is not None:
            rows.append((_esc(t["inhabitants"]), fmt(inhabitants[i], 0)))
        tip = (
            f'<div class="ag-tip-title">{_esc(names[i])} '
            f'<span class="ag-code">{_esc(codes[i])}</span></div>'
        )
        properties.append({"tip": tip + _table(rows), "style": style})

    data = _feature_collection(geoms, properties)
    layer = folium.GeoJson(
        data,
        name=t["layer_buurten"].format(label=label),
        style_function=_style_from_properties,
        highlight_function=lambda f: {"weight": 3, "color": "#222222"},
        on_each_feature=_BIND_TOOLTIP,
        pane="ag_buurten",
    )

    # Legend: class ranges, lower bound of the first class is the smallest shown value.
    items = []
    low = float(np.nanmin(values[shown])) if shown.any() else float("nan")
    for j, upper in enumerate(breaks):
        lo = low if j == 0 else breaks[j - 1]
        items.append(
            f'<div class="ag-row"><span class="ag-sw" style="background:{colours[j]}"></span>'
            f"{fmt(lo)} – {fmt(upper)}{pct}</div>"
        )
    if hidden.any():
        items.append(
            f'<div class="ag-row"><span class="ag-sw" style="background:{_SUPPRESSED_FILL}">'
            f"</span>{_esc(t['suppressed'].format(n=min_count))}</div>"
        )
    if (~hidden & ~np.isfinite(values)).any():
        items.append(
            f'<div class="ag-row"><span class="ag-sw" style="background:{_NODATA_FILL}">'
            f"</span>{_esc(t['nodata'])}</div>"
        )
    scheme = _esc(t["classes_of"].format(n=len(breaks), scheme=settings.map.scheme))
    legend = (
        f'<div class="ag-legend" id="ag-legend-buurten"><h3>{_esc(label)}</h3>'
        f'<div class="ag-unit">{_esc(t["unit"])}: {_esc(unit)} · {scheme}</div>'
        + "".join(items)
        + "</div>"
    )
    return layer, legend


def _wijk_layer(
    wijken: gpd.GeoDataFrame, geoms: gpd.GeoSeries, *, t: Mapping[str, str]
) -> tuple[folium.GeoJson, str]:
    # A wijk without a name (older CBS files have no WK_NAAM) is labelled with its code.
    codes = _texts(wijken, "wijk_code")
    names = [n or c for n, c in zip(_texts(wijken, "wijk_name"), codes, strict=True)]
    properties = [
        {
            "label": _esc(n),
            "style": {"color": _style.WIJK_OUTLINE, "weight": 2, "fill": False, "opacity": 0.9},
        }
        for n in names
    ]
    layer = folium.GeoJson(
        _feature_collection(geoms, properties),
        name=t["layer_wijken"],
        style_function=_style_from_properties,
        on_each_feature=_BIND_LABEL,
        interactive=False,
        pane="ag_wijken",
    )
    legend = (
        '<div class="ag-row"><span class="ag-sw ag-line" '
        f'style="border-color:{_style.WIJK_OUTLINE}"></span>{_esc(t["wijk_legend"])}</div>'
    )
    return layer, legend


def _hexagon_layer(
    hexagons: gpd.GeoDataFrame, *, settings: Settings, language: str, t: Mapping[str, str]
) -> tuple[folium.GeoJson, str] | None:
    if "gi_class" not in hexagons:
        raise InputError(
            "hexagons",
            "there is no 'gi_class' column",
            "merge the result of almere_gis.getis_ord(...) into the hexagons first",
        )
    cls = hexagons["gi_class"].astype("string").fillna("ns")
    keep = (cls != "ns").to_numpy()
    if not keep.any():
        return None
    sig = hexagons.loc[keep]
    cls = cls[keep]
    geoms = _to_display(sig, "hexagons")
    min_count = settings.privacy.min_count
    less = f"&lt; {min_count}"
    labels = _style.HOTSPOT_LABELS[language]
    suppressed = (
        _is_true(sig["suppressed"])
        if "suppressed" in sig
        else ~(_numeric(sig, "count_all") >= min_count)
    )
    count_all = _numeric(sig, "count_all")
    count_small = _numeric(sig, "count_small_scale")
    gi_z = _numeric(sig, "gi_z")
    properties = []
    for i, c in enumerate(cls.to_numpy()):
        rows = [(_esc(t["hex_class"]), _esc(labels.get(c, c)))]
        if "count_all" in sig:
            rows.append(
                (
                    _esc(t["hex_count_all"]),
                    less if suppressed[i] else format_number(count_all[i], language=language),
                )
            )
        if "count_small_scale" in sig:
            small_hidden = suppressed[i] or not (count_small[i] >= min_count)
            rows.append(
                (
                    _esc(t["hex_count_small"]),
                    less if small_hidden else format_number(count_small[i], language=language),
                )
            )
        if "gi_z" in sig:
            rows.append((_esc(t["gi_z"]), format_number(gi_z[i], decimals=2, language=language)))
        properties.append(
            {
                "tip": _table(rows),
                "style": {
                    "fillColor": _style.HOTSPOT_COLOURS.get(c, "#f7f7f7"),
                    "fillOpacity": 0.7,
                    "color": "#666666",
                    "weight": 0.4,
                },
            }
        )
    layer = folium.GeoJson(
        _feature_collection(geoms, properties),
        name=t["layer_hot"],
        style_function=_style_from_properties,
        on_each_feature=_BIND_TOOLTIP,
        pane="ag_hexagons",
        show=False,
    )
    present = set(cls.to_numpy())
    rows_html = "".join(
        f'<div class="ag-row"><span class="ag-sw" style="background:'
        f'{_style.HOTSPOT_COLOURS[c]}"></span>{_esc(labels[c])}</div>'
        for c in _style.HOTSPOT_CLASSES
        if c in present
    )
    legend = f'<div class="ag-legend"><h3>{_esc(t["layer_hot"])}</h3>{rows_html}</div>'
    return layer, legend


def _kde_layer(
    path: Path, *, settings: Settings, language: str, t: Mapping[str, str]
) -> tuple[folium.raster_layers.ImageOverlay, str]:
    """Warp the density GeoTIFF to Web Mercator, colour it, and place it by its lat/lon bounds.

    Leaflet stretches an image overlay linearly between its corner coordinates in the display
    projection (Web Mercator), so the raster must be on a Web Mercator grid; its bounds are then
    given in lat/lon, which map to that grid's corners exactly.
    """
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "density GeoTIFF not found", "run the density step first")
    with rasterio.open(path) as src:
        if src.crs is None:
            raise InputError(path, "the GeoTIFF has no CRS", "write it with a CRS (EPSG:28992)")
        band = src.read(1, masked=True).astype("float64").filled(np.nan)
        units = (src.units[0] if src.units else "") or src.tags(1).get("units", "")
        units = units or src.tags().get("units", "")
        dst_crs = "EPSG:3857"
        transform, width, height = calculate_default_transform(
            src.crs, dst_crs, src.width, src.height, *src.bounds
        )
        scale = math.sqrt(width * height / _MAX_IMAGE_PIXELS)
        if scale > 1:
            transform, width, height = calculate_default_transform(
                src.crs,
                dst_crs,
                src.width,
                src.height,
                *src.bounds,
                dst_width=int(width / scale),
                dst_height=int(height / scale),
            )
        warped = np.full((height, width), np.nan)
        reproject(
            band,
            warped,
            src_transform=src.transform,
            src_crs=src.crs,
            src_nodata=np.nan,
            dst_transform=transform,
            dst_crs=dst_crs,
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
    left, top = transform * (0, 0)
    right, bottom = transform * (width, height)
    west, south, east, north = transform_bounds(dst_crs, "EPSG:4326", left, bottom, right, top)

    # The ramp runs from 0 to the 99th percentile of the coloured cells, so that a few peaks
    # do not wash out the rest; cells above it take the top colour, and the legend says so.
    finite = np.isfinite(warped)
    peak = float(np.nanmax(warped)) if finite.any() else 0.0
    coloured = finite & (warped >= 0.01 * peak) & (warped > 0)
    vmax = float(np.percentile(warped[coloured], 99)) if coloured.any() else 0.0
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    if vmax > 0:
        frac = np.clip(np.where(finite, warped, 0.0) / vmax, 0.0, 1.0)
        stops = np.array([s for s, _ in _style.DENSITY_RAMP])
        rgb = np.array([[int(c[k : k + 2], 16) for k in (1, 3, 5)] for _, c in _style.DENSITY_RAMP])
        for ch in range(3):
            rgba[..., ch] = np.interp(frac, stops, rgb[:, ch]).round().astype(np.uint8)
        rgba[..., 3] = np.where(coloured, 255, 0)

    # Subset and weight from the file name kde_<subset>_<count|jobs>.tif, as the pipeline writes.
    stem = path.stem.removeprefix("kde_")
    weight = "jobs" if stem.endswith("_jobs") else "count" if stem.endswith("_count") else ""
    subset = stem.removesuffix(f"_{weight}") if weight else stem
    sectors = {
        g.key: (g.label_en if language == "en" else g.label_nl).lower()
        for g in settings.classification.sector_groups
    }
    subset_label = _KDE_SUBSETS[language].get(subset) or sectors.get(subset, subset)
    unit = units or _KDE_UNITS[language].get(weight, "per km²")
    name = t["layer_kde"].format(radius=format_number(settings.density.radius_m, language=language))
    layer = folium.raster_layers.ImageOverlay(
        image=rgba,
        bounds=[[south, west], [north, east]],
        name=f"{name}: {subset_label}",
        opacity=0.8,
        pixelated=False,
        interactive=False,
        pane="ag_kde",
        show=False,
    )
    gradient = ", ".join(f"{c} {s * 100:.0f}%" for s, c in _style.DENSITY_RAMP)
    d = _decimals_for(np.array([vmax]))
    labels = [format_number(vmax * f, decimals=d, language=language) for f in (0.0, 0.5, 1.0)]
    if vmax < peak:
        labels[-1] = "&ge; " + labels[-1]
    ticks = "".join(f"<span>{v}</span>" for v in labels)
    note = t["kde_note"].format(peak=format_number(peak, decimals=d, language=language))
    legend = (
        f'<div class="ag-legend" id="ag-legend-kde"><h3>{_esc(name)}: {_esc(subset_label)}</h3>'
        f'<div class="ag-unit">{_esc(t["unit"])}: {_esc(unit)}</div>'
        f'<div class="ag-ramp" style="background:linear-gradient(to right, {gradient})"></div>'
        f'<div class="ag-ticks">{ticks}</div>'
        f'<div class="ag-note">{_esc(note)}</div></div>'
    )
    return layer, legend


def _bar(value: float) -> str:
    if not np.isfinite(value):
        return '<span class="ag-bar ag-bar-na"></span>'
    width = round(min(max(value, 0.0), 1.0) * 100)
    return f'<span class="ag-bar"><span style="width:{width}%"></span></span>'


def _site_layer(
    candidates: gpd.GeoDataFrame, *, settings: Settings, language: str, t: Mapping[str, str]
) -> tuple[folium.GeoJson, str]:
    top_k = settings.sites.top_k
    rank = _numeric(candidates, "rank")
    excluded = (
        _is_true(candidates["excluded"])
        if "excluded" in candidates
        else np.zeros(len(candidates), dtype=bool)
    )
    rank = np.where(excluded, np.nan, rank)
    score = _numeric(candidates, "score")
    p_top = _numeric(candidates, "p_top_k")
    area = _numeric(candidates, "floor_area_m2")
    weights = {
        name: float(getattr(settings.sites.weights, name))
        for name in settings.sites.weights.__dataclass_fields__
    }
    # Excluded first, then the worst ranks, so the best sites are drawn on top.
    order = np.lexsort((-np.nan_to_num(rank, nan=np.inf), ~excluded))
    ordered = candidates.iloc[order]
    points = ordered.geometry.representative_point()
    geoms = _to_display(gpd.GeoDataFrame(geometry=points, crs=candidates.crs), "candidates")
    fmt = format_number
    names, ids = _texts(candidates, "name"), _texts(candidates, "site_id")
    types, reasons = _texts(candidates, "site_type"), _texts(candidates, "exclusion_reason")
    explanations = _texts(candidates, "explanation")
    robust = (
        candidates["robust"].astype("boolean").to_numpy(dtype=object, na_value=None)
        if "robust" in candidates
        else [None] * len(candidates)
    )
    norms = {c: _numeric(candidates, f"{c}_norm") for c in weights if f"{c}_norm" in candidates}
    properties = []
    for i in order:
        name = _esc(names[i]) or _esc(ids[i])
        stype = types[i]
        stype_label = _esc(_SITE_TYPES[language].get(stype, stype.replace("_", " ")))
        r = rank[i]
        is_top = np.isfinite(r) and r <= top_k
        head = f"#{int(r)} · {name}" if np.isfinite(r) else name
        parts = [f'<div class="ag-pop-title">{head}</div>']
        meta = [stype_label] if stype_label else []
        if np.isfinite(area[i]):
            meta.append(f"{fmt(area[i], language=language)} m²")
        if meta:
            parts.append(f'<div class="ag-pop-meta">{" · ".join(meta)}</div>')
        if excluded[i]:
            reason = _esc(reasons[i])
            parts.append(f'<div class="ag-excluded">{_esc(t["excluded"])}: {reason}</div>')
        else:
            line = f"<b>{_esc(t['score'])} {fmt(score[i], decimals=2, language=language)}</b>"
            if np.isfinite(p_top[i]):
                line += (
                    f" · {_esc(t['p_top_k'].format(k=top_k))}: "
                    f"{fmt(p_top[i] * 100, language=language)} %"
                )
                if robust[i] is not None:
                    word = t["robust"] if robust[i] else t["not_robust"]
                    line += f" ({_esc(word)})"
            parts.append(f"<div>{line}</div>")
        bars = []
        for crit, values in norms.items():
            v, w = values[i], weights[crit]
            bars.append(
                f"<tr><th>{_esc(_CRITERIA[language].get(crit, crit))}</th>"
                f"<td>{_bar(v)}</td><td>{fmt(v, decimals=2, language=language)}</td>"
                f"<td>{fmt(w * 100, language=language)} %</td></tr>"
            )
        if bars:
            parts.append(
                f'<div class="ag-pop-sub">{_esc(t["criteria"])}</div>'
                f'<table class="ag-bars">{"".join(bars)}</table>'
            )
        explanation = _esc(explanations[i])
        if explanation:
            parts.append(f'<p class="ag-expl">{explanation}</p>')
        colour = (
            _style.SITE_EXCLUDED
            if excluded[i]
            else _style.SITE_TOP
            if is_top
            else _style.SITE_OTHER
        )
        class_name = "ag-site" + (
            f" ag-site-rank-{int(r)}" if np.isfinite(r) else " ag-site-excluded"
        )
        properties.append(
            {
                "popup": f'<div class="ag-pop">{"".join(parts)}</div>',
                "tip": head,
                "label": str(int(r)) if is_top else "",
                "style": {
                    "radius": 11 if is_top else 6,
                    "fill": True,
                    "fillColor": colour,
                    "fillOpacity": 0.95 if is_top else 0.85,
                    "color": "#ffffff" if is_top else "#6a3d9a",
                    "weight": 2 if is_top else 1,
                    "className": class_name,
                    "pane": "ag_sites",
                },
            }
        )
    layer = folium.GeoJson(
        _feature_collection(geoms, properties),
        name=t["layer_sites"].format(k=top_k),
        style_function=_style_from_properties,
        marker=folium.CircleMarker(radius=6),
        on_each_feature=_BIND_SITE,
        pane="ag_sites",
    )

    def row_html(colour: str, size: int, text: str) -> str:
        return (
            f'<div class="ag-row"><span class="ag-dot" style="background:{colour};'
            f'width:{size}px;height:{size}px"></span>{_esc(text)}</div>'
        )

    legend = (
        f'<div class="ag-legend"><h3>{_esc(t["layer_sites"].format(k=top_k))}</h3>'
        + row_html(_style.SITE_TOP, 16, t["site_top"].format(k=top_k))
        + row_html(_style.SITE_OTHER, 10, t["site_other"])
        + (row_html(_style.SITE_EXCLUDED, 10, t["site_excluded"]) if excluded.any() else "")
        + "</div>"
    )
    return layer, legend


def _zone_layer(
    zones: gpd.GeoDataFrame, *, settings: Settings, language: str, t: Mapping[str, str]
) -> tuple[folium.GeoJson, str]:
    distance = _format_distance(settings.sites.search_zone_distance_m, language)
    if zones.crs is None:
        raise InputError("search zones", "have no CRS", "set it, e.g. gdf.set_crs('EPSG:28992')")
    rd = zones.to_crs("EPSG:28992")
    area_ha = rd.geometry.area.to_numpy() / 10_000.0
    simplified = zones.copy()
    simplified["geometry"] = rd.geometry.simplify(settings.map.simplify_m).to_crs(zones.crs)
    geoms = _to_display(gpd.GeoDataFrame(simplified, crs=zones.crs), "search zones")
    properties = []
    for a in area_ha:
        rows = [(_esc(t["zone_area"]), f"{format_number(a, decimals=1, language=language)} ha")]
        tip = (
            f'<div class="ag-tip-title">{_esc(t["zone"])}</div>'
            f"<div>{_esc(t['zone_text'].format(d=distance))}</div>" + _table(rows)
        )
        properties.append(
            {
                "tip": tip,
                "style": {
                    "color": _style.SEARCH_ZONE,
                    "weight": 2.5,
                    "dashArray": "6 4",
                    "fillColor": _style.SEARCH_ZONE,
                    "fillOpacity": 0.12,
                },
            }
        )
    layer = folium.GeoJson(
        _feature_collection(geoms, properties),
        name=t["layer_zones"],
        style_function=_style_from_properties,
        on_each_feature=_BIND_TOOLTIP,
        pane="ag_zones",
    )
    legend = (
        f'<div class="ag-row"><span class="ag-sw ag-zone" style="border-color:{_style.SEARCH_ZONE};'
        f'background:{_style.SEARCH_ZONE}22"></span>{_esc(t["zone_legend"].format(d=distance))}</div>'
    )
    return layer, legend


# --------------------------------------------------------------------------------------------
# Panel and assets
# --------------------------------------------------------------------------------------------

_CSS = """
.ag-panel{position:absolute;top:10px;left:54px;z-index:1000;width:300px;
 max-height:calc(100% - 40px);overflow:auto;background:rgba(255,255,255,.95);padding:10px 12px;
 border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.4);font:12px/1.35 system-ui,-apple-system,
 "Segoe UI",Roboto,Arial,sans-serif;color:#222}
.ag-panel h1{font-size:16px;margin:0 0 2px}
.ag-panel h3{font-size:12px;margin:8px 0 3px}
.ag-panel summary{font-weight:600;cursor:pointer;margin-top:6px}
.ag-sub,.ag-unit,.ag-note{color:#555;font-size:11px}
.ag-row{display:flex;align-items:center;gap:6px;margin:2px 0}
.ag-sw{display:inline-block;width:18px;height:12px;border:1px solid #999;flex:none}
.ag-line{background:none;border:0;border-top:2px solid;height:0}
.ag-zone{border:2px dashed}
.ag-dot{display:inline-block;border-radius:50%;border:1px solid #fff;box-shadow:0 0 0 1px #6a3d9a;
 flex:none}
.ag-ramp{height:12px;border:1px solid #999;margin-top:3px}
.ag-ticks{display:flex;justify-content:space-between;font-size:11px}
.ag-kv th{text-align:left;font-weight:normal;color:#555;padding-right:8px;vertical-align:top}
.ag-kv td{text-align:right}
.ag-tip-title{font-weight:600;margin-bottom:2px}
.ag-code{color:#777;font-weight:normal}
.ag-wijk-label{background:transparent;border:0;box-shadow:none;font-weight:700;font-size:12px;
 color:#222;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}
.ag-rank-label{background:transparent;border:0;box-shadow:none;padding:0;color:#fff;
 font-weight:700;font-size:11px}
.ag-wijk-label:before,.ag-rank-label:before{display:none}
.ag-pop{font-size:12px}
.ag-pop-title{font-weight:700;font-size:14px;margin-bottom:2px}
.ag-pop-meta{color:#555;margin-bottom:4px}
.ag-pop-sub{margin-top:6px;color:#555}
.ag-bars th{text-align:left;font-weight:normal;padding-right:6px}
.ag-bars td{padding:1px 3px;text-align:right}
.ag-bar{display:inline-block;width:80px;height:8px;background:#eee;border-radius:2px;
 vertical-align:middle}
.ag-bar span{display:block;height:100%;background:#6a3d9a;border-radius:2px}
.ag-bar-na{background:repeating-linear-gradient(45deg,#eee,#eee 3px,#ccc 3px,#ccc 5px)}
.ag-excluded{color:#a00}
.ag-expl{margin:6px 0 0}
.leaflet-control-layers{font-size:13px}
.ag-settings td{padding:1px 0;vertical-align:top}
.ag-settings th{text-align:left;font-weight:normal;color:#555;padding-right:6px;vertical-align:top}
"""


def _panel_html(
    *,
    title: str,
    generated: date,
    legends: list[str],
    settings: Settings,
    language: str,
    t: Mapping[str, str],
    indicator_label: str,
    has_sites: bool,
) -> str:
    fmt = format_number
    n = settings.privacy.min_count
    sources = [
        (t["src_buurten"], f"{t['src_cbs']} ({Path(settings.paths.buurten).name})"),
        (t["src_businesses"], f"{t['src_register']} ({Path(settings.paths.businesses).name})"),
    ]
    if has_sites and settings.paths.candidates is not None:
        sources.append((t["src_candidates"], Path(settings.paths.candidates).name))
    sources_html = _table([(_esc(k), _esc(v)) for k, v in sources]) + (
        f'<div class="ag-note">{_esc(t["src_basemap"])}</div>'
    )
    d = settings.density
    h = settings.hotspots
    s = settings.sites
    weights = ", ".join(
        f"{_CRITERIA[language].get(k, k).lower()} {fmt(w * 100, language=language)} %"
        for k in s.weights.__dataclass_fields__
        if (w := getattr(s.weights, k)) > 0
    )
    rows = [
        (t["set_indicator"], indicator_label),
        (
            t["set_classes"],
            t["classes_of"].format(n=settings.map.classes, scheme=settings.map.scheme),
        ),
        (t["set_privacy"], t["n_units"].format(n=n)),
        (
            t["set_kde"],
            f"{d.kernel}, {fmt(d.radius_m, language=language)} m, "
            f"{fmt(d.cell_size_m, language=language)} m",
        ),
        (t["set_hex"], f"{fmt(settings.hexgrid.size_m, language=language)} m"),
        (
            t["set_gi"],
            f"{h.weights} (k = {h.k}), {fmt(h.permutations, language=language)} "
            f"{t['permutations']}, {t['fdr_on'] if h.fdr else t['fdr_off']}",
        ),
        (
            t["set_sites"],
            f"top {s.top_k}; {t['walk']} {_format_distance(s.walk_m, language)}, "
            f"{t['cycle']} {_format_distance(s.cycle_m, language)}",
        ),
        (t["set_weights"], weights),
        (t["set_source"], Path(settings.source).name),
    ]
    settings_html = (
        '<table class="ag-settings">'
        + "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
        + "</table>"
    )
    return (
        '<div class="ag-panel" id="ag-panel">'
        f"<h1>{_esc(title)}</h1>"
        f'<div class="ag-sub">{_esc(t["made_on"].format(date=_format_date(generated, language)))}'
        "</div>"
        f"<details open><summary>{_esc(t['legend'])}</summary>{''.join(legends)}</details>"
        f"<details><summary>{_esc(t['sources'])}</summary>{sources_html}</details>"
        f"<details><summary>{_esc(t['settings'])}</summary>{settings_html}</details>"
        f'<p class="ag-note">{t["privacy"].format(n=n)}</p>'
        "</div>"
    )


def _folium_leaflet_urls() -> tuple[str, str]:
    """The Leaflet script and stylesheet URLs folium itself references."""
    js = dict(folium.Map.default_js)["leaflet"]
    css = dict(folium.Map.default_css)["leaflet_css"]
    return js, css


def _inline_assets(assets_dir: Path) -> tuple[str, str]:
    """Leaflet's script and stylesheet (images as data URIs) from the npm package."""
    js_url, _ = _folium_leaflet_urls()
    match = re.search(r"leaflet@([0-9.]+)/", js_url)
    wanted = match.group(1) if match else LEAFLET_VERSION
    root = Path(assets_dir) / "leaflet"
    package = root / "package.json"
    js_path = root / "dist" / "leaflet.js"
    css_path = root / "dist" / "leaflet.css"
    for p in (package, js_path, css_path):
        if not p.is_file():
            raise InputError(
                p,
                "Leaflet is not installed, which the self-contained map inlines",
                "run `make assets` (npm install of leaflet into build/web), or make the map "
                "without self-contained mode",
            )
    version = json.loads(package.read_text(encoding="utf-8")).get("version")
    if version != wanted:
        raise InputError(
            package,
            f"Leaflet {version} is installed but folium {folium.__version__} uses {wanted}",
            "run `make assets` again after updating the version in the Makefile",
        )
    js = js_path.read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js).replace("</script", "<\\/script")
    css = css_path.read_text(encoding="utf-8")

    def data_uri(m: re.Match[str]) -> str:
        image = root / "dist" / m.group(1)
        if not image.is_file():
            return m.group(0)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\((images/[^)]+\.png)\)", data_uri, css).replace("</style", "<\\/style")
    return js, css


# --------------------------------------------------------------------------------------------
# The map
# --------------------------------------------------------------------------------------------


def make_map(
    *,
    buurten: gpd.GeoDataFrame,
    wijken: gpd.GeoDataFrame | None,
    hexagons: gpd.GeoDataFrame | None = None,
    density_tif: str | Path | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    search_zones: gpd.GeoDataFrame | None = None,
    settings: Settings,
    out_path: str | Path,
    self_contained: bool | None = None,
    language: str | None = None,
    generated: date | datetime | str | None = None,
    assets_dir: str | Path | None = None,
) -> Path:
    """Write the interactive HTML map and return its path.

    Parameters
    ----------
    buurten
        Buurt indicators (``indicators.area_indicators``): area columns, the indicator of
        ``settings.map.indicator``, counts (``n_establishments``, ``n_small_scale``, ...) and
        ``suppressed``. Any CRS; EPSG:28992 expected.
    wijken
        Wijk polygons with ``wijk_name`` (labels), or None for no wijk layer.
    hexagons
        Hexagons with ``gi_class`` (and ``count_all``, ``count_small_scale``, ``gi_z``,
        ``suppressed``); only significant ones are drawn.
    density_tif
        A KDE GeoTIFF written by ``density.write_geotiff``.
    candidates
        Scored candidate sites (``sites.score_sites`` merged with ``rank_stability``): ``site_id``,
        ``name``, ``site_type``, ``score``, ``rank``, ``excluded``, ``explanation``,
        ``<criterion>_norm``, optionally ``exclusion_reason``, ``floor_area_m2``, ``p_top_k``,
        ``robust``.
    search_zones
        Search zone polygons.
    settings
        The run's settings (``map``, ``privacy``, ``sites``, ``density``, ... sections).
    out_path
        Where to write the HTML; folders are created.
    self_contained
        Inline Leaflet so the map works with no network; None = ``settings.map.self_contained``.
    language
        ``"nl"`` or ``"en"``; None = ``settings.map.language``.
    generated
        Date shown in the panel; None = today.
    assets_dir
        Folder with the npm packages for self-contained mode; None = ``build/web/node_modules``
        in the project folder (filled by ``make assets``).

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    ConfigError
        Unknown language or indicator.
    InputError
        Missing Leaflet assets in self-contained mode, a missing density file, a layer without CRS.
    """
    language = language or settings.map.language
    if language not in _T:
        raise ConfigError(f"map language {language!r} is not one of ['en', 'nl'].")
    if self_contained is None:
        self_contained = settings.map.self_contained
    t = _T[language]
    if isinstance(generated, str):
        generated = date.fromisoformat(generated[:10])
    elif isinstance(generated, datetime):
        generated = generated.date()
    day: date = generated or date.today()
    out_path = Path(out_path)

    inline: tuple[str, str] | None = None
    if self_contained:
        inline = _inline_assets(Path(assets_dir) if assets_dir else _ASSETS_DIR)

    # Display geometry: coverage-preserving simplification in metres, then lat/lon, rounded.
    rd_buurten = buurten.to_crs("EPSG:28992") if buurten.crs is not None else buurten
    simple = _simplify_coverage(rd_buurten.geometry, settings.map.simplify_m)
    buurt_geoms = _to_display(gpd.GeoDataFrame(geometry=simple, crs=rd_buurten.crs), "buurten")
    west, south, east, north = buurt_geoms.total_bounds

    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=12,
        tiles=None,
        control_scale=False,
    )
    js_url, css_url = _folium_leaflet_urls()
    m.default_js = [] if inline else [("leaflet", js_url)]
    m.default_css = [] if inline else [("leaflet_css", css_url)]
    root = m.get_root()
    assert isinstance(root, Figure)
    if inline:
        root.header.add_child(folium.Element(f"<script>{inline[0]}</script>"), name="leaflet")
        root.header.add_child(folium.Element(f"<style>{inline[1]}</style>"), name="leaflet_css")
    root.header.add_child(folium.Element(f"<style>{_CSS}</style>"), name="ag_css")

    # Base layers: "no basemap" is shown first when the map must work offline.
    folium.TileLayer(
        _TILES["pdok"][0],
        attr=_TILES["pdok"][1],
        name=t["base_light"],
        min_zoom=6,
        max_zoom=19,
        show=not self_contained,
    ).add_to(m)
    folium.TileLayer(
        _TILES["osm"][0], attr=_TILES["osm"][1], name=t["base_osm"], max_zoom=19, show=False
    ).add_to(m)
    folium.FeatureGroup(name=t["base_none"], overlay=False, show=bool(self_contained)).add_to(m)

    # Panes fix the drawing order whatever the order of switching layers on and off.
    for pane, z in (
        ("ag_buurten", 410),
        ("ag_kde", 420),
        ("ag_hexagons", 430),
        ("ag_zones", 440),
        ("ag_wijken", 450),
        ("ag_sites", 460),
    ):
        folium.map.CustomPane(pane, z_index=z, pointer_events=pane != "ag_kde").add_to(m)

    legends: list[str] = []
    buurt_layer, legend = _buurt_layer(
        buurten, buurt_geoms, settings=settings, language=language, t=t
    )
    buurt_layer.add_to(m)
    legends.append(legend)
    extra_rows: list[str] = []

    if density_tif is not None:
        kde, legend = _kde_layer(Path(density_tif), settings=settings, language=language, t=t)
        kde.add_to(m)
        legends.append(legend)
    if hexagons is not None and len(hexagons):
        made = _hexagon_layer(hexagons, settings=settings, language=language, t=t)
        if made is not None:
            made[0].add_to(m)
            legends.append(made[1])
    if search_zones is not None and len(search_zones):
        zone_layer, legend = _zone_layer(search_zones, settings=settings, language=language, t=t)
        zone_layer.add_to(m)
        extra_rows.append(legend)
    if wijken is not None and len(wijken):
        rd_wijken = wijken.to_crs("EPSG:28992") if wijken.crs is not None else wijken
        wsimple = _simplify_coverage(rd_wijken.geometry, settings.map.simplify_m)
        wgeoms = _to_display(gpd.GeoDataFrame(geometry=wsimple, crs=rd_wijken.crs), "wijken")
        wijk_layer, legend = _wijk_layer(wijken, wgeoms, t=t)
        wijk_layer.add_to(m)
        extra_rows.append(legend)
    if candidates is not None and len(candidates):
        site_layer, legend = _site_layer(candidates, settings=settings, language=language, t=t)
        site_layer.add_to(m)
        legends.append(legend)
    if extra_rows:
        legends.append(f'<div class="ag-legend" style="margin-top:8px">{"".join(extra_rows)}</div>')

    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    _MetricScale().add_to(m)
    m.fit_bounds([[south, west], [north, east]], padding_top_left=(320, 10))

    place = t["place_default"]
    if "gemeente_name" in buurten and buurten["gemeente_name"].notna().any():
        place = str(buurten["gemeente_name"].dropna().mode().iloc[0])
    panel = _panel_html(
        title=t["title"].format(place=place),
        generated=day,
        legends=legends,
        settings=settings,
        language=language,
        t=t,
        indicator_label=_indicator_info(
            _resolve_indicator(buurten, settings.map.indicator), language, settings
        )[0],
        has_sites=candidates is not None,
    )
    root.html.add_child(folium.Element(panel), name="ag_panel")
    title_tag = f"<title>{_esc(t['title'].format(place=place))}</title>"
    root.header.add_child(folium.Element(title_tag), name="ag_title")

    _io.write_text(m.get_root().render(), out_path)
    size_mb = out_path.stat().st_size / 1e6
    log.info("map written to %s (%.1f MB)", out_path, size_mb)
    return out_path
