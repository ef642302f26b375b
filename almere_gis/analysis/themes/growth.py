"""Growth per theme.

From the start years in one register, or from the CBS sector groups that come nearest (open
data), both through :mod:`almere_gis.analysis.growth`.
"""

from __future__ import annotations

__all__ = ["ThemeGrowth", "proxy_growth", "register_theme_counts", "theme_growth"]

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..._errors import ConfigError, SchemaError
from ...settings import ThemeSettings
from ...texts import text
from ..growth import Growth, growth_notes, growth_table
from .counts import sum_by_area
from .flags import CLASSIFY_FIRST, THEMES, require_columns, theme_masks


@dataclass(frozen=True)
class ThemeGrowth:
    """Growth per theme and what it rests on."""

    growth: Growth
    """The growth table (:func:`.growth.growth_table`): measures ``total`` and the themes."""
    source: str
    """``register`` (start years in one register) or ``cbs_proxy`` (CBS sector groups)."""
    n_without_start_year: int = 0
    """Establishments without a start year (not counted in any year)."""
    proxies: dict[str, str] = field(default_factory=dict)
    """For ``cbs_proxy``: theme -> the CBS group that stands in for it."""

    def notes(self, language: str = "nl") -> list[str]:
        """The sentences every output showing this growth must carry."""
        lines = list(growth_notes(self.growth, language))
        if self.source == "register":
            lines.append(text("themes.growth.register", language))
            if self.n_without_start_year:
                lines.append(
                    text("themes.growth.no_start_year", language, n=self.n_without_start_year)
                )
        else:
            for theme, group in self.proxies.items():
                lines.append(text(f"themes.growth.proxy.{theme}", language, group=group))
            lines.append(text("themes.growth.proxy_social", language))
        return lines


def register_theme_counts(
    areas: pd.DataFrame,
    businesses: pd.DataFrame,
    flags: pd.DataFrame,
    years: Sequence[int],
    *,
    key: str = "buurt_code",
) -> tuple[pd.DataFrame, int]:
    """Establishments that existed on 1 January of each year, per area, from start years.

    An establishment counts in ``year`` when its ``start_year`` is before ``year``. The themes
    are as the register has them now (an establishment may have changed its activity), and
    establishments that closed before the register was drawn are not in it at all.

    Returns
    -------
    counts : DataFrame
        ``code``, ``peildatum`` (the year), ``total``, ``maker``, ``mixed_retail`` and
        ``social_enterprise`` (NaN when the register has no flag): one row per area and year,
        every area in every year, for :func:`.growth.growth_table`.
    n_without_start_year : int
        Establishments without a start year (counted in no year).
    """
    require_columns(businesses, ["start_year", key], CLASSIFY_FIRST)
    start = pd.to_numeric(businesses["start_year"], errors="coerce").to_numpy(dtype=float)
    masks = theme_masks(flags)
    unknown_social = flags["social_enterprise"].isna().all()
    parts = []
    for year in years:  # a few years, each one vectorised pass
        alive = start < year  # NaN compares False: no start year, not counted
        cols = {"total": alive, **{t: alive & masks[t] for t in THEMES}}
        per = sum_by_area(businesses[key], areas[key], cols)
        if unknown_social:
            per["social_enterprise"] = np.nan
        per.insert(0, "code", areas[key].astype(str).to_numpy())
        per.insert(1, "peildatum", int(year))
        parts.append(per)
    counts = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return counts, int(np.isnan(start).sum())


def _check_span(start: int, end: int) -> None:
    if not start < end:
        raise ConfigError(
            f"growth per theme: start year {start} is not before end year {end}. Fix: give "
            "two different years, the earlier one first."
        )


def theme_growth(
    areas: pd.DataFrame,
    businesses: pd.DataFrame,
    flags: pd.DataFrame,
    start: int,
    end: int,
    *,
    key: str = "buurt_code",
) -> ThemeGrowth:
    """Growth per theme per buurt, wijk and city from the start years of one register.

    Counts of 1 January ``start`` and ``end`` (:func:`register_theme_counts`) go through
    :func:`.growth.growth_table` (wijk and city rows summed from the buurten; a register has no
    CBS method break). Closures are unknown: the earlier count misses the establishments that
    have closed since, so growth is overstated; :meth:`ThemeGrowth.notes` says so.
    """
    _check_span(start, end)
    counts, unknown = register_theme_counts(areas, businesses, flags, (start, end), key=key)
    measures = ["total", "maker", "mixed_retail"]
    if counts["social_enterprise"].notna().any():
        measures.append("social_enterprise")
    growth = growth_table(counts, start, end, measures=measures, total=None, breaks=())
    return ThemeGrowth(growth=growth, source="register", n_without_start_year=unknown)


def proxy_growth(counts: pd.DataFrame, start: Any, end: Any, themes: ThemeSettings) -> ThemeGrowth:
    """Growth of the CBS sector groups that come nearest to the themes (open data only).

    Parameters
    ----------
    counts : DataFrame
        CBS Kerncijfers counts: ``code``, ``peildatum``, ``total`` and the CBS groups
        (``A``, ``B-F``, ``G+I``, ...), as :mod:`.growth` takes them.
    start, end
        Peildatums (dates, or years meaning 1 January).
    themes : ThemeSettings
        ``cbs_proxy_maker`` and ``cbs_proxy_mixed_retail`` name the groups ("" = none).

    Returns
    -------
    ThemeGrowth
        Measures ``total`` and, per theme with a proxy, the theme's name holding its group's
        counts; CBS's method breaks are flagged as in :func:`.growth.growth_table`.
    """
    proxies: dict[str, str] = {
        theme: group
        for theme, group in (
            ("maker", themes.cbs_proxy_maker),
            ("mixed_retail", themes.cbs_proxy_mixed_retail),
        )
        if group
    }
    missing = sorted({g for g in proxies.values() if g not in counts.columns})
    if missing or "total" not in counts.columns:
        raise SchemaError(
            "counts",
            f"no column(s) {missing or ['total']} among the CBS counts",
            "give the Kerncijfers counts per CBS group, or change [themes] cbs_proxy_*",
        )
    keys = [c for c in ("code", "peildatum", "level") if c in counts.columns]
    frame = counts[[*keys, "total"]].copy()
    for theme, group in proxies.items():
        frame[theme] = counts[group].to_numpy()
    growth = growth_table(frame, start, end, measures=["total", *proxies], total="total")
    return ThemeGrowth(growth=growth, source="cbs_proxy", proxies=proxies)
