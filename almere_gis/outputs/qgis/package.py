"""The two QGIS packages of a run: one GeoPackage and one project each, from frames and surfaces.

- :func:`write_public_package` for ``publicatie/``: the Publication's public frames (hidden
  cells stay empty), the density surfaces as published; no business points, no table with
  business ids.
- :func:`write_internal_package` for ``intern/``: the Analysis' unsuppressed frames, the
  business points marked VERTROUWELIJK, the accounting and rejects tables. Its project shows
  the public GeoTIFFs by relative path.

Both go through :func:`write_package`, which writes the GeoPackage once and the project from
the same layers in memory.
"""

from __future__ import annotations

__all__ = ["QgisPackage", "write_internal_package", "write_package", "write_public_package"]

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ...analysis.density import DensitySurface
from ...analysis.privacy import PublicFrame, public_areas
from ...settings import Settings
from ...texts import text
from .choropleth import BuurtClasses, buurt_classes
from .fields import describe_fields
from .gpkg import FIELD_TABLE, write_layers
from .layers import (
    Layer,
    area_layers,
    candidate_layer,
    hexagon_layer,
    point_layer,
    search_zone_layer,
    table,
)
from .project import ProjectLayer, raster_layer, table_layer, vector_layer, write_qgis_project
from .raster_style import density_description, raster_style


@dataclass(frozen=True)
class QgisPackage:
    """Paths of one written package."""

    gpkg: Path
    qgs: Path


def _place(buurten: pd.DataFrame, language: str) -> str:
    names = buurten["gemeente_name"].dropna() if "gemeente_name" in buurten else pd.Series([])
    names = names[names.astype(str).str.strip() != ""]
    return str(names.iloc[0]) if len(names) else text("qgis.project.unknown_place", language)


def _rasters(
    surfaces: Mapping[str, DensitySurface],
    rasters: Mapping[str, Path],
    base: Path,
    settings: Settings,
) -> list[ProjectLayer]:
    """Project layers of the density GeoTIFFs, styled from their surfaces (never re-read)."""
    lang, n = settings.map.language, settings.privacy.min_count
    out = []
    for key, surface in surfaces.items():
        if key not in rasters:
            continue
        out.append(
            raster_layer(
                Path(rasters[key]).stem,
                Path(rasters[key]),
                base,
                extent=surface.grid.bounds,
                style=raster_style(surface, language=lang, min_count=n),
                abstract=density_description(surface, settings),
            )
        )
    return out


def write_package(
    folder: str | Path,
    layers: Sequence[Layer],
    *,
    gpkg_name: str,
    qgs_name: str,
    title: str,
    settings: Settings,
    surfaces: Mapping[str, DensitySurface] | None = None,
    rasters: Mapping[str, Path] | None = None,
) -> QgisPackage:
    """Write ``layers`` into ``folder/gpkg_name`` and a project ``folder/qgs_name`` showing them.

    Parameters
    ----------
    folder : str or Path
        Output folder (created if missing).
    layers : sequence of Layer
        Spatial layers from top to bottom and attribute tables, in the project's order.
    gpkg_name, qgs_name : str
        File names of the GeoPackage and the project.
    title : str
        Project title.
    settings : Settings
        Language, privacy threshold and sector labels.
    surfaces, rasters : mapping, optional
        Density surfaces and the GeoTIFF written for each (same keys); each becomes a raster
        layer below the vector layers, styled from its surface.

    Returns
    -------
    QgisPackage
        The paths written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lang = settings.map.language
    frames = {layer.name: layer.frame for layer in layers}
    sector_labels = {
        g.key: (g.label_nl if lang == "nl" else g.label_en)
        for g in settings.classification.sector_groups
    }
    gpkg = folder / gpkg_name
    geometries = write_layers(
        frames,
        gpkg,
        styles={layer.name: layer.style for layer in layers if layer.style is not None},
        descriptions={layer.name: layer.description for layer in layers},
        field_descriptions=describe_fields(frames, sector_labels=sector_labels, language=lang),
        language=lang,
    )
    base = folder.resolve()
    project: list[ProjectLayer] = []
    for layer in layers:
        if layer.name in geometries:
            project.append(
                vector_layer(
                    layer.name,
                    gpkg,
                    base,
                    geometries[layer.name],
                    style=layer.style or "",
                    abstract=layer.description,
                )
            )
        else:
            project.append(table_layer(layer.name, gpkg, base, abstract=layer.description))
    project += _rasters(surfaces or {}, rasters or {}, base, settings)
    project.append(table_layer(FIELD_TABLE, gpkg, base, abstract=text("qgis.layer.fields", lang)))
    qgs = write_qgis_project(
        folder / qgs_name,
        project,
        title=title,
        visible=[layer.name for layer in layers if layer.visible],
        tables_group=text("qgis.project.tables_group", lang),
    )
    return QgisPackage(gpkg=gpkg, qgs=qgs)


def _data(frame: PublicFrame | None) -> gpd.GeoDataFrame | None:
    return None if frame is None else frame.data


def write_public_package(
    folder: str | Path,
    *,
    buurten: PublicFrame,
    wijken: PublicFrame,
    settings: Settings,
    hexagons: PublicFrame | None = None,
    candidates: PublicFrame | None = None,
    search_zones: PublicFrame | None = None,
    surfaces: Mapping[str, DensitySurface] | None = None,
    rasters: Mapping[str, Path] | None = None,
    classes: BuurtClasses | None = None,
) -> QgisPackage:
    """The public QGIS package, from the Publication's frames: for ``publicatie/``.

    Hidden cells stay empty in the GeoPackage; the layer descriptions and legends say what an
    empty cell means ("< 5"). There is no layer of business points and no table with business
    ids. The buurten are classed with ``classes`` (default: :func:`~.choropleth.buurt_classes`
    of ``buurten``), the map's classes.

    Parameters
    ----------
    folder : str or Path
        Output folder; file names from ``settings.export.gpkg`` and ``settings.export.qgs``.
    buurten, wijken, hexagons, candidates, search_zones : PublicFrame
        The Publication's tables (EPSG:28992); a missing one is left out.
    settings : Settings
        The run's settings.
    surfaces, rasters : mapping, optional
        The published density surfaces and their GeoTIFFs (same keys).
    classes : BuurtClasses, optional
        The buurt classes, when already computed for the map.

    Returns
    -------
    QgisPackage
        The paths written.
    """
    classes = classes or buurt_classes(buurten, settings)
    layers: list[Layer] = []
    if candidates is not None:
        layers.append(candidate_layer(candidates.data, settings=settings))
    if search_zones is not None:
        layers.append(search_zone_layer(search_zones.data, settings=settings))
    if hexagons is not None:
        layers.append(hexagon_layer(hexagons.data, public=True, settings=settings))
    layers += area_layers(buurten.data, wijken.data, classes, public=True, settings=settings)
    lang = settings.map.language
    return write_package(
        folder,
        layers,
        gpkg_name=settings.export.gpkg,
        qgs_name=settings.export.qgs,
        title=text("qgis.project.title", lang, place=_place(buurten.data, lang)),
        settings=settings,
        surfaces=surfaces,
        rasters=rasters,
    )


def internal_names(settings: Settings) -> tuple[str, str]:
    """File names of the internal GeoPackage and project: ``<name>_intern.gpkg`` / ``.qgs``."""
    gpkg, qgs = Path(settings.export.gpkg), Path(settings.export.qgs)
    return f"{gpkg.stem}_intern{gpkg.suffix}", f"{qgs.stem}_intern{qgs.suffix}"


def _internal_layers(
    frames: Mapping[str, pd.DataFrame | None], classes: BuurtClasses, settings: Settings
) -> list[Layer]:
    layers: list[Layer] = []
    if frames.get("businesses") is not None and settings.export.include_points:
        layers.append(point_layer(frames["businesses"], settings=settings))
    if frames.get("candidates") is not None:
        layers.append(candidate_layer(frames["candidates"], settings=settings))
    if frames.get("search_zones") is not None:
        layers.append(search_zone_layer(frames["search_zones"], settings=settings))
    if frames.get("hexagons") is not None:
        layers.append(hexagon_layer(frames["hexagons"], public=False, settings=settings))
    buurten, wijken = frames["buurten"], frames["wijken"]
    assert buurten is not None and wijken is not None
    layers += area_layers(buurten, wijken, classes, public=False, settings=settings)
    for key in ("accounting", "rejects", "candidate_rejects"):
        if frames.get(key) is not None:
            layers.append(table(key, frames[key], settings=settings))
    return layers


def write_internal_package(
    folder: str | Path,
    *,
    buurten: gpd.GeoDataFrame,
    wijken: gpd.GeoDataFrame,
    settings: Settings,
    hexagons: gpd.GeoDataFrame | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    search_zones: gpd.GeoDataFrame | None = None,
    businesses: gpd.GeoDataFrame | None = None,
    accounting: pd.DataFrame | None = None,
    rejects: pd.DataFrame | None = None,
    candidate_rejects: pd.DataFrame | None = None,
    surfaces: Mapping[str, DensitySurface] | None = None,
    rasters: Mapping[str, Path] | None = None,
    classes: BuurtClasses | None = None,
) -> QgisPackage:
    """The internal QGIS package, from the Analysis' unsuppressed frames: for ``intern/``.

    Holds the business points (when ``settings.export.include_points``), marked
    VERTROUWELIJK and loaded switched off, the accounting and rejects tables, and every area
    unsuppressed. The buurten use the public classes (``classes``, by default computed from
    the public view of ``buurten``), so both packages and the map agree; buurten beyond the
    classes take the nearest class's colour. ``rasters`` may lie in another folder (the public
    GeoTIFFs): the project refers to them by relative path.

    Returns
    -------
    QgisPackage
        The paths written (``<gpkg>_intern.gpkg``, ``<qgs>_intern.qgs``).
    """
    if classes is None:
        public = public_areas(buurten, min_count=settings.privacy.min_count)
        classes = buurt_classes(public, settings)
    frames = {
        "businesses": businesses,
        "candidates": candidates,
        "search_zones": search_zones,
        "hexagons": hexagons,
        "buurten": buurten,
        "wijken": wijken,
        "accounting": accounting,
        "rejects": rejects,
        "candidate_rejects": candidate_rejects,
    }
    lang = settings.map.language
    gpkg_name, qgs_name = internal_names(settings)
    return write_package(
        folder,
        _internal_layers(frames, classes, settings),
        gpkg_name=gpkg_name,
        qgs_name=qgs_name,
        title=text("qgis.project.title_internal", lang, place=_place(buurten, lang)),
        settings=settings,
        surfaces=surfaces,
        rasters=rasters,
    )
