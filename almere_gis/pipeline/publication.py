"""Stage 3 of a run: the public view of an Analysis, built by the privacy rules.

Every file in ``publicatie/`` is written from the :class:`~.results.Publication` this returns,
never from the Analysis itself. The rules themselves (primary and secondary suppression, Gi*
of small units, candidate sites, search zones) are in :mod:`almere_gis.analysis.privacy`;
this file applies them to each table of a run, in order: wijken against the city, buurten
against the wijken as published, then hexagons, candidate sites and search zones.
"""

from __future__ import annotations

__all__ = ["make_publication"]

import numpy as np
import pandas as pd

from ..analysis.privacy import (
    CITY_TOTALS,
    PublicFrame,
    public_areas,
    public_candidates,
    public_city,
    public_zones,
    row_secondary_hide,
    secondary_hide,
    small_bases,
)
from ..outputs.report.growth import public_growth
from ..settings import Settings
from ..texts import text
from ..texts.format import count
from .results import Analysis, Publication


def _sector_columns(s: Settings) -> list[str]:
    """The sector counts of an area table: they add up to its ``n_establishments``."""
    return [f"n_{g.key}" for g in s.classification.sector_groups] + ["n_overig"]


def _settle(
    children: pd.DataFrame,
    hidden: dict[str, np.ndarray],
    parent_of: np.ndarray,
    parent_shown: dict[str, np.ndarray],
    s: Settings,
) -> pd.DataFrame:
    """Secondary suppression against the parents and across the sectors, until it is stable."""
    n = s.privacy.min_count
    current = hidden
    for _ in range(1 + len(children)):
        rows = row_secondary_hide(
            children, current, parts=_sector_columns(s), total="n_establishments", min_count=n
        )
        cols = secondary_hide(
            children, rows, parent_of=parent_of, parent_shown=parent_shown, min_count=n
        )
        settled = {c: cols[c].to_numpy(dtype=bool) for c in cols.columns}
        if all(np.array_equal(settled[c], current[c]) for c in settled):
            break
        current = settled
    return pd.DataFrame(settled, index=children.index)


def _secondary(analysis: Analysis, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Base counts of wijken and buurten hidden after secondary suppression."""
    s = analysis.settings
    wijken, buurten = analysis.wijken, analysis.buurten
    city = analysis.city.set_index("indicator")["value"]
    wijk_hidden = small_bases(wijken, n, None)
    # The city's total of every count is published or derivable (a buurt's share and its
    # count give it): taken as published wherever it reaches min_count.
    city_total = {
        c: float(city.get(CITY_TOTALS.get(c, ""), pd.to_numeric(wijken[c]).sum()))
        for c in wijk_hidden
    }
    wijk_final = _settle(
        wijken,
        wijk_hidden,
        np.zeros(len(wijken), dtype=np.int64),
        {c: np.array([v >= n]) for c, v in city_total.items()},
        s,
    )
    buurt_hidden = {
        c: v for c, v in small_bases(buurten, n, None).items() if c in wijk_final.columns
    }
    codes = pd.Index(wijken["wijk_code"].astype("string"))
    parent_of = codes.get_indexer(pd.Index(buurten["wijk_code"].astype("string")))
    buurt_final = _settle(
        buurten,
        buurt_hidden,
        np.asarray(parent_of, dtype=np.int64),
        {c: ~wijk_final[c].to_numpy(dtype=bool) for c in wijk_final.columns},
        s,
    )
    return wijk_final, buurt_final


def _gi_bases(s: Settings) -> tuple[str, str]:
    """The count the Gi* test ran on: in the buurten, and in the hexagons."""
    var = s.hotspots.variable
    return ("n_establishments" if var == "all" else f"n_{var}"), f"count_{var}"


def _candidates(analysis: Analysis, n: int) -> PublicFrame | None:
    if analysis.candidates is None:
        return None
    s = analysis.settings
    lang = s.map.language
    return public_candidates(
        analysis.candidates,
        min_count=n,
        distances={"walk": s.sites.walk_m, "cycle": s.sites.cycle_m},
        hidden_mark=count(None, n, lang, suppressed=True),
        noun=text("privacy.establishments", lang),
        language=lang,
    )


def make_publication(analysis: Analysis) -> Publication:
    """The public view of ``analysis`` (see :mod:`almere_gis.analysis.privacy`)."""
    n = analysis.settings.privacy.min_count
    buurt_gi, hex_gi = _gi_bases(analysis.settings)
    wijk_extra, buurt_extra = _secondary(analysis, n)
    hexagons = (
        None
        if analysis.hexagons is None
        else public_areas(analysis.hexagons, min_count=n, gi_base=hex_gi)
    )
    zones = None
    if analysis.search_zones is not None and hexagons is not None:
        zones = public_zones(analysis.search_zones, hexagons, min_count=n, gi_base=hex_gi)
    buildings = None
    if analysis.buildings is not None:
        b = analysis.buildings
        if "suppressed" in b:  # a building on too few establishments stays out altogether
            b = b.loc[~b["suppressed"].astype("boolean").fillna(True).to_numpy(dtype=bool)]
        buildings = public_areas(b, min_count=n)
    return Publication(
        buurten=public_areas(analysis.buurten, min_count=n, gi_base=buurt_gi, extra=buurt_extra),
        wijken=public_areas(analysis.wijken, min_count=n, extra=wijk_extra),
        city=public_city(analysis.city, min_count=n),
        density=analysis.density,
        hexagons=hexagons,
        candidates=_candidates(analysis, n),
        search_zones=zones,
        buildings=buildings,
        growth=public_growth(analysis.growth, n) if analysis.growth is not None else None,
    )
