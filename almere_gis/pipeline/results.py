"""What each stage of a run hands to the next, as frozen objects: data flows one way.

::

    Settings ──read_inputs──> Inputs ──analyse──> Analysis ──make_publication──> Publication
                                                      │                               │
                                                      └──────── write_outputs ────────┘
                                                         (intern/)        (publicatie/)

- :class:`Inputs`: every input read and validated; nothing has been computed or written yet.
- :class:`Analysis`: every result, unsuppressed, in memory (the confidential side).
- :class:`Publication`: what may be shown to anyone: built from the Analysis by the privacy
  rules (:mod:`almere_gis.analysis.privacy`); every public output is written from it alone.
- :class:`RunResult`: all of the above plus the paths of the published files.

No stage changes an object of an earlier stage: a step that adds columns works on a copy.
"""

from __future__ import annotations

__all__ = ["Analysis", "Inputs", "Publication", "RunResult"]

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..analysis.density import DensitySurface
from ..analysis.growth import Growth
from ..analysis.join import JoinResult
from ..analysis.privacy import PublicFrame
from ..settings import Settings


@dataclass(frozen=True)
class Inputs:
    """Every input of a run, read and validated (internal schema, EPSG:28992).

    ``notes`` are short sentences for the run summary about what reading found (repaired
    polygons, fallbacks); ``typology_report`` says how many buurten each typology rule
    classified (``rule``, ``type``, ``n_areas``).
    """

    settings: Settings
    buurten: gpd.GeoDataFrame
    wijken: gpd.GeoDataFrame
    businesses: gpd.GeoDataFrame
    rejects: pd.DataFrame
    n_input: int
    candidates: gpd.GeoDataFrame | None = None
    candidate_rejects: pd.DataFrame | None = None
    stations: gpd.GeoDataFrame | None = None
    repaired_areas: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    typology_report: pd.DataFrame | None = None


@dataclass(frozen=True)
class Analysis:
    """Every result of a run, unsuppressed: for ``intern/`` and as the source of the public view.

    ``notes`` are short sentences for the run summary about what the analysis did not do and
    why (a hot spot test skipped for too few units, no candidate sites, ...), after the notes
    of the inputs.
    """

    inputs: Inputs
    joined: JoinResult
    buurten: gpd.GeoDataFrame
    wijken: gpd.GeoDataFrame
    city: pd.DataFrame
    density: dict[str, DensitySurface] = field(default_factory=dict)
    hexagons: gpd.GeoDataFrame | None = None
    candidates: gpd.GeoDataFrame | None = None
    search_zones: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None  # bedrijfsverzamelgebouwen (analysis.buildings)
    growth: Growth | None = None  # establishment growth between peildatums (analysis.growth)
    notes: tuple[str, ...] = ()

    @property
    def settings(self) -> Settings:
        """The run's settings."""
        return self.inputs.settings


@dataclass(frozen=True)
class Publication:
    """What may be published: every aggregate of fewer than ``min_count`` establishments hidden.

    Each table is a :class:`~almere_gis.analysis.privacy.PublicFrame`: the data with hidden
    cells missing, and a boolean frame of which cells are hidden for privacy, so that every
    writer can show "< 5" there. Density surfaces carry their own mask (``shown``).
    """

    buurten: PublicFrame
    wijken: PublicFrame
    city: PublicFrame
    density: dict[str, DensitySurface] = field(default_factory=dict)
    hexagons: PublicFrame | None = None
    candidates: PublicFrame | None = None
    search_zones: PublicFrame | None = None
    buildings: PublicFrame | None = None  # only addresses that are not homes
    growth: PublicFrame | None = None  # per buurt and span, small counts hidden


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced: its stages in memory and the files it published."""

    analysis: Analysis
    publication: Publication
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # the writers' notes for the summary (after the analysis's)

    # -- shortcuts kept for notebooks and earlier code ------------------------------------
    @property
    def settings(self) -> Settings:
        """The run's settings."""
        return self.analysis.settings

    @property
    def inputs(self) -> Inputs:
        """The validated inputs."""
        return self.analysis.inputs

    @property
    def buurten(self) -> gpd.GeoDataFrame:
        """Buurt indicators (unsuppressed)."""
        return self.analysis.buurten

    @property
    def wijken(self) -> gpd.GeoDataFrame:
        """Wijk indicators (unsuppressed)."""
        return self.analysis.wijken

    @property
    def city(self) -> pd.DataFrame:
        """City indicators (``indicator``, ``value``)."""
        return self.analysis.city

    @property
    def businesses(self) -> gpd.GeoDataFrame:
        """The joined business points (confidential)."""
        return self.analysis.joined.joined

    @property
    def accounting(self) -> pd.DataFrame:
        """One row per input row: joined, outside or rejected, with the reason."""
        return self.analysis.joined.accounting

    @property
    def rejects(self) -> pd.DataFrame:
        """Input rows the loader rejected, with their reasons."""
        return self.analysis.inputs.rejects

    @property
    def hexagons(self) -> gpd.GeoDataFrame | None:
        """Hexagons with counts and Gi* classes (unsuppressed)."""
        return self.analysis.hexagons

    @property
    def candidates(self) -> gpd.GeoDataFrame | None:
        """Scored candidate sites with rank stability."""
        return self.analysis.candidates

    @property
    def search_zones(self) -> gpd.GeoDataFrame | None:
        """Hot spot hexagons without a candidate nearby."""
        return self.analysis.search_zones

    @property
    def candidate_rejects(self) -> pd.DataFrame | None:
        """Candidate rows rejected by the loader."""
        return self.analysis.inputs.candidate_rejects

    @property
    def repaired_areas(self) -> list[str]:
        """Codes of buurten whose invalid polygon was repaired."""
        return list(self.analysis.inputs.repaired_areas)

    @property
    def outputs(self) -> list[Path]:
        """Every published file."""
        return list(self.files.values())

    @property
    def density_paths(self) -> dict[str, Path]:
        """The published density GeoTIFFs by surface key (``small_scale_count``, ...)."""
        return {
            key: self.files[f"density:{key}"]
            for key in self.analysis.density
            if f"density:{key}" in self.files
        }

    @property
    def map_path(self) -> Path | None:
        """The planner's map, when written."""
        return self.files.get("map")

    @property
    def gpkg_path(self) -> Path | None:
        """The public GeoPackage, when written."""
        return self.files.get("gpkg")

    @property
    def qgs_path(self) -> Path | None:
        """The public QGIS project, when written."""
        return self.files.get("qgs")

    def city_value(self, key: str) -> float:
        """One value of the city indicator table, e.g. ``aandeel_banen_in_woonbuurten``."""
        return float(self.city.set_index("indicator").loc[key, "value"])
