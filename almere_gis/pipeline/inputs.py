"""Stage 1 of a run: read and validate every input, before anything is computed or written."""

from __future__ import annotations

__all__ = ["read_inputs"]

import logging

from ..analysis.typology import area_typology
from ..io.areas import load_buurten, load_wijken, wijken_from_buurten
from ..io.businesses import load_businesses
from ..io.candidates import load_candidates, load_stations
from ..settings import Settings
from .results import Inputs

log = logging.getLogger("almere_gis")


def read_inputs(settings: Settings) -> Inputs:
    """Every input of a run, read and validated; raises the package's errors on bad input.

    Candidate sites and stations are read here too, so that a missing or empty file is
    reported before the analysis starts rather than at its end.
    """
    p = settings.paths
    buurten = load_buurten(p.buurten, layer=p.buurten_layer or None, crs=p.areas_crs or None)
    if p.wijken is not None:
        wijken = load_wijken(p.wijken, layer=p.wijken_layer or None, crs=p.areas_crs or None)
    else:
        wijken = wijken_from_buurten(buurten)
    repaired = tuple(buurten.attrs.get("repaired", []))
    buurten = buurten.assign(area_type=area_typology(buurten, settings.typology))

    b = settings.businesses
    businesses, rejects = load_businesses(
        p.businesses,
        preset=b.preset,
        columns=b.columns,
        crs=b.crs,
        swapped_latlon=b.swapped_latlon,
        home_gebruiksdoel=settings.classification.home_gebruiksdoel,
    )
    n_input = int(businesses.attrs["n_input_rows"])

    candidates = candidate_rejects = stations = None
    if p.candidates is not None:
        candidates, candidate_rejects = load_candidates(
            p.candidates, language=settings.sites.language
        )
    if p.stations is not None:
        stations = load_stations(p.stations)
    return Inputs(
        settings=settings,
        buurten=buurten,
        wijken=wijken,
        businesses=businesses,
        rejects=rejects,
        n_input=n_input,
        candidates=candidates,
        candidate_rejects=candidate_rejects,
        stations=stations,
        repaired_areas=repaired,
    )
