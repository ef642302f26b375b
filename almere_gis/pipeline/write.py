"""Stage 4 of a run: write every output into the staging folder, in two parts.

- ``publicatie/``: for anyone (the map, public tables, density GeoTIFFs, the public GeoPackage
  and QGIS project), written from the :class:`~.results.Publication` only;
- ``intern/``: for the municipality's own GIS staff (the business points, the accounting with
  business ids, the unsuppressed tables), written from the :class:`~.results.Analysis`.

Each part carries a LEESMIJ (read me) saying who may see it. The staging folder is swapped in
for ``out/`` as a whole by :func:`almere_gis.outputs.publish.staged_output`.
"""

from __future__ import annotations

__all__ = ["INTERNAL", "PUBLIC", "write_outputs"]

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..analysis.privacy import PublicFrame
from ..io import atomic
from ..outputs.qgis import export_qgis_package
from ..outputs.rasters import write_geotiff
from ..outputs.webmap import make_map
from ..texts import text
from ..texts.format import distance
from .results import Analysis, Publication

PUBLIC = "publicatie"
INTERNAL = "intern"


def write_outputs(
    analysis: Analysis,
    publication: Publication,
    staging: Path,
    *,
    wanted: frozenset[str],
    on_step: Callable[[str], None],
) -> dict[str, Path]:
    """Write every output below ``staging``; returns ``{key: path relative to staging}``."""
    files: dict[str, Path] = {}
    public = staging / PUBLIC
    internal = staging / INTERNAL
    public.mkdir()
    internal.mkdir()
    s = analysis.settings
    lang = s.map.language

    files |= _public_tables(publication, public)
    files |= _internal_tables(analysis, internal)
    for key, surface in publication.density.items():
        units = surface.grid.units
        description = text(
            "run.density_description",
            lang,
            label=surface.label,
            kernel=s.density.kernel,
            radius=distance(s.density.radius_m, lang),
            units=units,
        )
        files[f"density:{key}"] = write_geotiff(
            surface.grid,
            public / f"kde_{key}.tif",
            description=description,
            units=units,
            suppress=~surface.shown,
        )
    rasters = [files[f"density:{key}"] for key in publication.density]
    on_step("map")
    if "map" in wanted:
        tif = files.get("density:small_scale_count") or next(iter(rasters), None)
        files["map"] = make_map(
            buurten=publication.buurten.data,
            wijken=publication.wijken.data,
            hexagons=_data(publication.hexagons),
            density_tif=tif,
            candidates=_data(publication.candidates),
            search_zones=_data(publication.search_zones),
            settings=s,
            out_path=public / s.map.file,
        )
    on_step("qgis")
    if "qgis" in wanted:
        files |= _qgis(analysis, publication, public, internal, rasters)
    files["readme:public"] = atomic.write_text(
        text("publish.readme_public", lang), public / "LEESMIJ.txt"
    )
    files["readme:intern"] = atomic.write_text(
        text("publish.readme_intern", lang), internal / "LEESMIJ.txt"
    )
    return {key: path.relative_to(staging) for key, path in files.items()}


def _data(frame: PublicFrame | None) -> Any:
    return None if frame is None else frame.data


def _public_tables(pub: Publication, folder: Path) -> dict[str, Path]:
    files = {
        "table:buurten": atomic.write_csv(
            pub.buurten.data.drop(columns="geometry"), folder / "buurten_indicatoren.csv"
        ),
        "table:wijken": atomic.write_csv(
            pub.wijken.data.drop(columns="geometry"), folder / "wijken_indicatoren.csv"
        ),
        "table:city": atomic.write_csv(pub.city.data, folder / "stad_indicatoren.csv"),
    }
    if pub.candidates is not None:
        files["table:candidates"] = atomic.write_csv(
            pub.candidates.data.drop(columns="geometry"), folder / "candidates_scored.csv"
        )
    if pub.search_zones is not None:
        files["table:search_zones"] = atomic.write_csv(
            pub.search_zones.data.drop(columns="geometry"), folder / "search_zones.csv"
        )
    return files


def _internal_tables(analysis: Analysis, folder: Path) -> dict[str, Path]:
    files = {
        "intern:accounting": atomic.write_csv(
            analysis.joined.accounting, folder / "verantwoording.csv"
        ),
    }
    rejects = analysis.inputs.candidate_rejects
    if rejects is not None and len(rejects):
        files["intern:candidate_rejects"] = atomic.write_csv(
            rejects, folder / "kandidaten_afgewezen.csv"
        )
    return files


def _qgis(
    analysis: Analysis,
    pub: Publication,
    public: Path,
    internal: Path,
    rasters: list[Path],
) -> dict[str, Path]:
    s = analysis.settings
    package = export_qgis_package(
        public,
        buurten=pub.buurten.data,
        wijken=pub.wijken.data,
        settings=s,
        hexagons=_data(pub.hexagons),
        candidates_scored=_data(pub.candidates),
        search_zones=_data(pub.search_zones),
        rasters=rasters,
    )
    files: dict[str, Path] = {"gpkg": package.gpkg, "qgs": package.qgs}
    for style in package.raster_styles:
        files[f"style:{style.stem}"] = style
    intern = export_qgis_package(
        internal,
        buurten=analysis.buurten,
        wijken=analysis.wijken,
        settings=s.replace("export", gpkg="almere_gis_intern.gpkg", qgs="almere_gis_intern.qgs"),
        hexagons=analysis.hexagons,
        candidates_scored=analysis.candidates,
        search_zones=analysis.search_zones,
        accounting=analysis.joined.accounting,
        rejects=analysis.inputs.rejects,
        businesses=analysis.joined.joined if s.export.include_points else None,
        rasters=rasters,
    )
    files["intern:gpkg"] = intern.gpkg
    files["intern:qgs"] = intern.qgs
    return files
