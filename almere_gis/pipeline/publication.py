"""Stage 3 of a run: the public view of an Analysis, built by the privacy rules.

Every file in ``publicatie/`` is written from the :class:`~.results.Publication` this returns,
never from the Analysis itself.
"""

from __future__ import annotations

__all__ = ["make_publication"]

from .results import Analysis, Publication


def make_publication(analysis: Analysis) -> Publication:
    """The public view of ``analysis``.

    Today it carries the analysis frames with their ``suppressed`` flags, which every writer
    honours; the exact rules of :mod:`almere_gis.analysis.privacy` build it from here on.
    """
    return Publication(
        buurten=analysis.buurten,
        wijken=analysis.wijken,
        city=analysis.city,
        density=analysis.density,
        hexagons=analysis.hexagons,
        candidates=analysis.candidates,
        search_zones=analysis.search_zones,
    )
