"""What the map is made from and the small objects its parts pass around.

- :class:`MapSource`: the public data the map shows. A run's ``Publication`` is one; for a
  notebook or a test, :class:`MapData` builds one from plain frames.
- :class:`MapOptions`: how to make it (language, date, offline requirement, which surfaces).
- :class:`MapResult`: the written file and the notes for the run summary.
- :class:`Layer`: what a layer builder returns: the layer for the page and its legend.
- :class:`Context`: settings, language and the text/number helpers every builder uses.
"""

from __future__ import annotations

__all__ = ["Context", "Layer", "MapData", "MapOptions", "MapResult", "MapSource"]

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from ...analysis.density import DensitySurface
from ...analysis.privacy import PublicFrame
from ...settings import Settings
from ...texts import check_language, text
from ...texts import format as fmt


class MapSource(Protocol):
    """The public data of a run, as the map reads it (a ``Publication`` satisfies this)."""

    @property
    def buurten(self) -> PublicFrame:
        """Buurt indicators, hidden cells missing (``suppressed`` marks whole areas)."""

    @property
    def wijken(self) -> PublicFrame | None:
        """Wijk polygons with ``wijk_code`` and ``wijk_name``."""

    @property
    def hexagons(self) -> PublicFrame | None:
        """Hexagons with ``gi_class`` (missing where hidden), ``count_*`` and ``gi_z``."""

    @property
    def candidates(self) -> PublicFrame | None:
        """Scored candidate sites (columns as ``analysis.sites`` writes them)."""

    @property
    def search_zones(self) -> PublicFrame | None:
        """Search zone polygons."""

    @property
    def density(self) -> Mapping[str, DensitySurface]:
        """Density surfaces by key (``small_scale_count``, ...)."""


def _public(frame: pd.DataFrame | PublicFrame | None) -> PublicFrame | None:
    if frame is None or isinstance(frame, PublicFrame):
        return frame
    return PublicFrame(data=frame, hidden=pd.DataFrame(index=frame.index))


@dataclass(frozen=True)
class MapData:
    """A :class:`MapSource` from frames: each may be a PublicFrame or a plain (Geo)DataFrame.

    A plain frame is taken as already public (nothing hidden beyond its ``suppressed`` flags
    and missing values): pass ``result.publication`` instead where there is one.
    """

    buurten: PublicFrame
    wijken: PublicFrame | None = None
    hexagons: PublicFrame | None = None
    candidates: PublicFrame | None = None
    search_zones: PublicFrame | None = None
    density: Mapping[str, DensitySurface] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        buurten: pd.DataFrame | PublicFrame,
        *,
        wijken: pd.DataFrame | PublicFrame | None = None,
        hexagons: pd.DataFrame | PublicFrame | None = None,
        candidates: pd.DataFrame | PublicFrame | None = None,
        search_zones: pd.DataFrame | PublicFrame | None = None,
        density: Mapping[str, DensitySurface] | None = None,
    ) -> MapData:
        """Wrap frames (plain or public) into a MapData."""
        public = _public(buurten)
        assert public is not None
        return cls(
            buurten=public,
            wijken=_public(wijken),
            hexagons=_public(hexagons),
            candidates=_public(candidates),
            search_zones=_public(search_zones),
            density=dict(density or {}),
        )


@dataclass(frozen=True)
class MapOptions:
    """How to make the map; every field has a default from the settings.

    Attributes
    ----------
    language
        ``"nl"`` or ``"en"``; None = ``settings.map.language``.
    generated
        The date shown on the map; None = today.
    self_contained
        True: Leaflet must be inlined (an error when it cannot be found). None/False: it is
        inlined whenever it is installed, else loaded online with a note.
    assets_dir
        Another folder holding ``leaflet/dist`` (an npm install), tried after the package.
    density_keys
        Which density surfaces become layers (in this order); None = every one given.
    sources
        Extra ``(what, source)`` lines for the sources section (e.g. a peildatum).
    """

    language: str | None = None
    generated: date | None = None
    self_contained: bool | None = None
    assets_dir: Path | None = None
    density_keys: tuple[str, ...] | None = None
    sources: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MapResult:
    """The written map and what the run should tell about it (one line each)."""

    path: Path
    notes: tuple[str, ...] = ()
    size_bytes: int = 0


@dataclass(frozen=True)
class Layer:
    """One overlay: its page spec (JSON for ``page.js``) and its legend (escaped HTML).

    ``spec`` holds ``id``, ``name``, ``kind`` (``areas``, ``lines``, ``labels``, ``image``,
    ``sites``), ``pane``, ``show`` and the data the kind needs.
    """

    spec: dict[str, Any]
    legend: str

    @property
    def id(self) -> str:
        """The layer's id (also the id of its legend block)."""
        return str(self.spec["id"])


@dataclass(frozen=True)
class Context:
    """The settings, language and helpers shared by the builders of one map."""

    settings: Settings
    language: str

    @classmethod
    def make(cls, settings: Settings, language: str | None) -> Context:
        """A context for ``language`` (None = the settings' map language)."""
        return cls(settings, check_language(language or settings.map.language))

    @property
    def min_count(self) -> int:
        """The privacy threshold."""
        return int(self.settings.privacy.min_count)

    def t(self, key: str, **values: Any) -> str:
        """The map text ``map.<key>`` in this language."""
        return text(f"map.{key}", self.language, **values)

    def number(self, value: Any, decimals: int = 0) -> str:
        """A number in this language's format (a dash when missing)."""
        return fmt.number(value, decimals, self.language)

    def count(self, value: Any, *, hidden: bool = False) -> str:
        """A count of establishments, ``< min_count`` when hidden or too small."""
        return fmt.count(value, self.min_count, self.language, suppressed=hidden)

    def percent(self, share: Any, decimals: int = 0) -> str:
        """A share 0-1 as a percentage."""
        return fmt.percent(share, decimals, self.language)

    def distance(self, metres: Any) -> str:
        """A distance in m or km."""
        return fmt.distance(metres, self.language)

    def area_m2(self, value: Any) -> str:
        """A floor area in m²."""
        return f"{self.number(value)} m²"
