"""The layers of a package: each frame with its name, style, description and visibility.

One builder per kind of layer, styled with the colours of the HTML map
(:mod:`almere_gis.outputs.style`) and described in the package's language.
"""

from __future__ import annotations

__all__ = [
    "LAYER_NAMES",
    "Layer",
    "area_layers",
    "candidate_layer",
    "hexagon_layer",
    "point_layer",
    "search_zone_layer",
    "table",
]

import logging
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from ..._errors import InputError
from ...settings import Settings
from ...texts import text
from ...texts.format import count, distance
from ..style import HOTSPOT_CLASSES, HOTSPOT_COLOURS, SEARCH_ZONE, WIJK_OUTLINE
from .choropleth import BuurtClasses, buurt_style
from .fields import describe_field
from .gpkg import layer_geometry
from .qml import qml_categorized, qml_ranked_points, qml_single

log = logging.getLogger("almere_gis")

# GeoPackage layer names (stable identifiers, the same in every language).
LAYER_NAMES: dict[str, str] = {
    "businesses": "vestigingen_vertrouwelijk",
    "candidates": "kandidaatlocaties",
    "search_zones": "zoekgebieden",
    "hexagons": "hexagonen",
    "wijken": "wijken",
    "buurten": "buurten",
    "accounting": "verantwoording",
    "rejects": "afgewezen",
    "candidate_rejects": "kandidaten_afgewezen",
}

# Qualitative ColorBrewer Paired scheme for the sector groups of the (internal) points layer;
# the HTML map never shows points, so no shared palette exists for them.
_SECTOR_PALETTE = [
    "#1f78b4",
    "#33a02c",
    "#e31a1c",
    "#ff7f00",
    "#6a3d9a",
    "#b15928",
    "#a6cee3",
    "#b2df8a",
    "#fb9a99",
    "#fdbf6f",
    "#cab2d6",
    "#ffff99",
]
_OTHER_SECTOR_COLOUR = "#bdbdbd"


@dataclass(frozen=True)
class Layer:
    """A frame as it goes into the GeoPackage and the project."""

    name: str
    frame: pd.DataFrame
    description: str
    style: str | None = None
    visible: bool = False


def _code(frame: gpd.GeoDataFrame, default: int) -> int:
    return layer_geometry(frame, default=default).code


def _hidden(settings: Settings) -> str:
    """A hidden count as every public output writes it: "< 5"."""
    return count(None, settings.privacy.min_count, settings.map.language, suppressed=True)


def _note(public: bool, settings: Settings) -> str:
    lang = settings.map.language
    if public:
        return text("qgis.layer.public_note", lang, hidden=_hidden(settings))
    return text("qgis.layer.internal_note", lang, min_count=settings.privacy.min_count)


def area_layers(
    buurten: gpd.GeoDataFrame,
    wijken: gpd.GeoDataFrame,
    classes: BuurtClasses,
    *,
    public: bool,
    settings: Settings,
) -> list[Layer]:
    """Wijken as outlines and buurten as the map's choropleth (wijken drawn on top)."""
    lang = settings.map.language
    note = _note(public, settings)
    wijk_style = qml_single(
        "wijk", WIJK_OUTLINE, text("qgis.legend.wijk", lang), _code(wijken, 2), alpha=0.0
    )
    indicator = describe_field(classes.column, language=lang)[0] or classes.column
    buurt_description = text(
        "qgis.layer.buurten",
        lang,
        indicator=indicator,
        scheme=settings.map.scheme,
        classes=len(classes.breaks),
    )
    buurt_qml = buurt_style(buurten, classes, code=_code(buurten, 2), settings=settings)
    return [
        Layer(
            LAYER_NAMES["wijken"],
            wijken,
            f"{text('qgis.layer.wijken', lang)} {note}",
            wijk_style,
            visible=True,
        ),
        Layer(LAYER_NAMES["buurten"], buurten, f"{buurt_description} {note}", buurt_qml, True),
    ]


def hexagon_layer(hexagons: gpd.GeoDataFrame, *, public: bool, settings: Settings) -> Layer:
    """Gi* classes as on the map (70 % opaque); "not significant" only as a faint outline.

    In the public package a hexagon whose class is hidden (fewer than ``min_count``
    establishments) falls in a last category that says so, drawn as an outline only.
    """
    if "gi_class" not in hexagons.columns:
        raise InputError(
            "hexagons",
            "there is no 'gi_class' column",
            "merge the result of almere_gis.getis_ord(...) into the hexagons first",
        )
    lang = settings.map.language
    categories = [
        (c, HOTSPOT_COLOURS[c], text(f"qgis.legend.hotspot.{c}", lang)) for c in HOTSPOT_CLASSES
    ]
    if public:
        hidden = text("qgis.legend.hidden_hexagon", lang, hidden=_hidden(settings))
        categories.append(("", HOTSPOT_COLOURS["ns"], hidden))
    style = qml_categorized(
        "gi_class",
        categories,
        _code(hexagons, 2),
        outline="#666666",
        outline_width_mm=0.1,
        alpha=0.7,
        alphas={"ns": 0.0, "": 0.0},
    )
    size = distance(settings.hexgrid.size_m, lang)
    description = f"{text('qgis.layer.hexagons', lang, size=size)} {_note(public, settings)}"
    return Layer(LAYER_NAMES["hexagons"], hexagons, description, style)


def _single_dimension(candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Candidates mixing points and polygons as points (QGIS styles one geometry type)."""
    geoms = candidates.geometry
    present = geoms.notna() & ~geoms.is_empty
    if geoms[present].geom_type.str.contains("Point").nunique() <= 1:
        return candidates
    log.info("QGIS package: candidate sites mix points and polygons; written as points")
    return candidates.set_geometry(geoms.representative_point())


def candidate_layer(candidates: gpd.GeoDataFrame, *, settings: Settings) -> Layer:
    """Candidate sites, the top ``sites.top_k`` highlighted as on the map."""
    frame = _single_dimension(candidates)
    lang = settings.map.language
    top_k = settings.sites.top_k
    style = qml_ranked_points(
        _code(frame, 0),
        excluded_field="excluded" if "excluded" in frame.columns else None,
        top_k=top_k,
        language=lang,
    )
    description = text("qgis.layer.candidates", lang, top_k=top_k)
    return Layer(LAYER_NAMES["candidates"], frame, description, style, visible=True)


def search_zone_layer(zones: gpd.GeoDataFrame, *, settings: Settings) -> Layer:
    """Search zones: one green category, as on the map."""
    lang = settings.map.language
    reach = distance(settings.sites.search_zone_distance_m, lang)
    style = qml_single(
        "zoekgebied",
        SEARCH_ZONE,
        text("qgis.legend.search_zone", lang, distance=reach),
        _code(zones, 2),
        alpha=0.12,
    )
    description = text("qgis.layer.search_zones", lang, distance=reach)
    return Layer(LAYER_NAMES["search_zones"], zones, description, style, visible=True)


def point_layer(businesses: gpd.GeoDataFrame, *, settings: Settings) -> Layer:
    """The confidential business points, coloured by sector group, loaded switched off."""
    lang = settings.map.language
    labels = {
        g.key: (g.label_nl if lang == "nl" else g.label_en)
        for g in settings.classification.sector_groups
    }
    present = (
        businesses["sector_group"].dropna().astype(str).unique().tolist()
        if "sector_group" in businesses.columns
        else []
    )
    keys = [*labels, *sorted(set(present) - set(labels) - {"overig"}), "overig"]
    other = text("qgis.legend.other_sector", lang)
    categories = [
        (
            key,
            _OTHER_SECTOR_COLOUR if key == "overig" else _SECTOR_PALETTE[i % len(_SECTOR_PALETTE)],
            other if key == "overig" else labels.get(key, key),
        )
        for i, key in enumerate(keys)
    ]
    style = qml_categorized(
        "sector_group", categories, 0, outline="#ffffff", outline_width_mm=0.1, size_mm=1.6
    )
    description = text("qgis.layer.businesses", lang)
    return Layer(LAYER_NAMES["businesses"], businesses, description, style)


def table(key: str, frame: pd.DataFrame, *, settings: Settings) -> Layer:
    """An attribute table (accounting, rejects, candidate rejects)."""
    return Layer(LAYER_NAMES[key], frame, text(f"qgis.layer.{key}", settings.map.language))
