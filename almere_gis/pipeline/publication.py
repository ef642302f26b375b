"""Stage 3 of a run: the public view of an Analysis, built by the privacy rules.

Every file in ``publicatie/`` is written from the :class:`~.results.Publication` this returns,
never from the Analysis itself.
"""

from __future__ import annotations

__all__ = ["make_publication"]

import pandas as pd

from ..analysis.privacy import PublicFrame, public_areas
from .results import Analysis, Publication


def _as_is(frame: pd.DataFrame) -> PublicFrame:
    return PublicFrame(data=frame, hidden=pd.DataFrame(index=frame.index))


def make_publication(analysis: Analysis) -> Publication:
    """The public view of ``analysis`` (see :mod:`almere_gis.analysis.privacy`)."""
    n = analysis.settings.privacy.min_count
    return Publication(
        buurten=public_areas(analysis.buurten, min_count=n),
        wijken=public_areas(analysis.wijken, min_count=n),
        city=_as_is(analysis.city),
        density=analysis.density,
        hexagons=None
        if analysis.hexagons is None
        else public_areas(analysis.hexagons, min_count=n),
        candidates=None if analysis.candidates is None else _as_is(analysis.candidates),
        search_zones=None if analysis.search_zones is None else _as_is(analysis.search_zones),
    )
