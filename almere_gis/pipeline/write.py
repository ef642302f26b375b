"""Stage 4 of a run: write every output into the staging folder, in two parts.

- ``publicatie/``: for anyone (the map, public tables, density GeoTIFFs, the public GeoPackage
  and QGIS project), written from the :class:`~.results.Publication` only;
- ``intern/``: for the municipality's own GIS staff (the business points, the accounting with
  business ids, the unsuppressed tables), written from the :class:`~.results.Analysis`.

Each part carries a LEESMIJ (read me) saying who may see it. The staging folder is swapped in
for ``out/`` as a whole by :func:`almere_gis.outputs.publish.staged_output`.
"""

from __future__ import annotations

__all__ = ["INTERNAL", "PUBLIC", "Written", "write_outputs"]

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..analysis.privacy import PublicFrame
from ..io import atomic
from ..outputs.qgis import buurt_classes, write_internal_package, write_public_package
from ..outputs.rasters import write_density_rasters
from ..outputs.report import write_summary
from ..outputs.tables import write_csv
from ..outputs.webmap import make_map
from ..outputs.workbook import write_workbook
from ..settings import Settings
from ..texts import text
from .results import Analysis, Publication

PUBLIC = "publicatie"
INTERNAL = "intern"


@dataclass(frozen=True)
class Written:
    """What the writers made, and what they have to say about it.

    ``files`` maps keys to paths relative to the staging folder; ``notes`` are sentences for the
    run summary (e.g. a map that needs the network because Leaflet is not installed).
    """

    files: dict[str, Path]
    notes: tuple[str, ...] = ()


def write_outputs(
    analysis: Analysis,
    publication: Publication,
    staging: Path,
    *,
    wanted: frozenset[str],
    on_step: Callable[[str], None],
) -> Written:
    """Write every output below ``staging``; returns the files (relative to it) and notes."""
    files: dict[str, Path] = {}
    notes: list[str] = []
    public = staging / PUBLIC
    internal = staging / INTERNAL
    public.mkdir()
    internal.mkdir()
    s = analysis.settings
    lang = s.map.language

    files |= _public_tables(publication, public, s)
    files["workbook"] = write_workbook(publication, s, public)
    files |= write_summary(publication, s, public)
    files |= _internal_tables(analysis, internal)
    files |= write_density_rasters(publication.density, public, settings=s)
    rasters = [files[f"density:{key}"] for key in publication.density]
    on_step("map")
    if "map" in wanted:
        written_map = make_map(publication, s, public / s.map.file)
        files["map"] = written_map.path
        notes.extend(written_map.notes)
    on_step("qgis")
    if "qgis" in wanted:
        files |= _qgis(analysis, publication, public, internal, rasters)
    files["readme:public"] = atomic.write_text(
        text("publish.readme_public", lang, n=s.privacy.min_count), public / "LEESMIJ.txt"
    )
    files["readme:intern"] = atomic.write_text(
        text("publish.readme_intern", lang), internal / "LEESMIJ.txt"
    )
    return Written({key: path.relative_to(staging) for key, path in files.items()}, tuple(notes))


def _public_csv(frame: PublicFrame, path: Path, settings: Settings) -> Path:
    """One public table: hidden cells read "< 5", text cells are formula-safe."""
    return write_csv(
        frame.data,
        path,
        hidden=frame.hidden,
        min_count=settings.privacy.min_count,
        language=settings.map.language,
    )


def _public_tables(pub: Publication, folder: Path, settings: Settings) -> dict[str, Path]:
    tables: dict[str, tuple[PublicFrame | None, str]] = {
        "table:buurten": (pub.buurten, "buurten_indicatoren.csv"),
        "table:wijken": (pub.wijken, "wijken_indicatoren.csv"),
        "table:city": (pub.city, "stad_indicatoren.csv"),
        "table:candidates": (pub.candidates, "candidates_scored.csv"),
        "table:search_zones": (pub.search_zones, "search_zones.csv"),
    }
    return {
        key: _public_csv(frame, folder / name, settings)
        for key, (frame, name) in tables.items()
        if frame is not None
    }


def _internal_tables(analysis: Analysis, folder: Path) -> dict[str, Path]:
    files = {
        "intern:accounting": write_csv(analysis.joined.accounting, folder / "verantwoording.csv"),
    }
    rejects = analysis.inputs.candidate_rejects
    if rejects is not None and len(rejects):
        files["intern:candidate_rejects"] = write_csv(rejects, folder / "kandidaten_afgewezen.csv")
    return files


def _qgis(
    analysis: Analysis,
    pub: Publication,
    public: Path,
    internal: Path,
    rasters: list[Path],
) -> dict[str, Path]:
    s = analysis.settings
    tifs = dict(zip(pub.density, rasters, strict=True))
    site_rejects = analysis.inputs.candidate_rejects  # a layer only when there are any, as CSV
    classes = buurt_classes(pub.buurten, s)  # once, for both packages
    package = write_public_package(
        public,
        buurten=pub.buurten,
        wijken=pub.wijken,
        hexagons=pub.hexagons,
        candidates=pub.candidates,
        search_zones=pub.search_zones,
        surfaces=pub.density,
        rasters=tifs,
        settings=s,
        classes=classes,
    )
    intern = write_internal_package(
        internal,
        buurten=analysis.buurten,
        wijken=analysis.wijken,
        hexagons=analysis.hexagons,
        candidates=analysis.candidates,
        search_zones=analysis.search_zones,
        businesses=analysis.joined.joined,
        accounting=analysis.joined.accounting,
        rejects=analysis.inputs.rejects,
        candidate_rejects=site_rejects if site_rejects is not None and len(site_rejects) else None,
        surfaces=pub.density,
        rasters=tifs,
        settings=s,
        classes=classes,
    )
    return {
        "gpkg": package.gpkg,
        "qgs": package.qgs,
        "intern:gpkg": intern.gpkg,
        "intern:qgs": intern.qgs,
    }
