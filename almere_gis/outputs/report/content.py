"""What the council summary says, as plain strings: built from the Publication and settings.

Kept apart from the page layout (:mod:`.page`) and the map (:mod:`.figure`) so that every
figure on the page can be checked without rendering it.
"""

from __future__ import annotations

__all__ = ["Summary", "place_name", "summary_content", "top_sites"]

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...analysis.privacy import PublicFrame
from ...settings import Settings
from ...texts import text
from ...texts.format import DASH, count, date_long, number, percent
from .columns import TABLES_FILE, describe_column, stability_word
from .growth import GrowthInput, city_growth, growth_notes_for

if TYPE_CHECKING:
    from ...pipeline.results import Publication


@dataclass(frozen=True)
class Summary:
    """Every text of the one-page summary, in one language."""

    title: str
    subtitle: str
    headline: str
    headline_detail: str
    map_title: str
    top_title: str
    top_header: tuple[str, ...]
    top_rows: list[tuple[str, ...]]
    top_note: str
    growth_title: str
    growth_header: tuple[str, ...]
    growth_rows: list[tuple[str, ...]]
    sources: str
    privacy: str
    made: str
    growth_notes: list[str] = field(default_factory=list)


def place_name(publication: Publication, language: str) -> str:
    """The municipality's name from the buurten (most frequent), else "the municipality"."""
    data = publication.buurten.data
    if "gemeente_name" in data:
        names = data["gemeente_name"].dropna().astype(str)
        names = names[names.str.strip() != ""]
        if len(names):
            return str(names.mode().iloc[0])
    return text("report.place_default", language)


def top_sites(candidates: PublicFrame | None, k: int) -> tuple[pd.DataFrame, int]:
    """The scored sites with a published rank of at most ``k``, best first; and how many
    scored sites have no published rank (hidden for privacy)."""
    if candidates is None or len(candidates) == 0 or "rank" not in candidates.data:
        return pd.DataFrame(), 0
    data = candidates.data
    rank = pd.to_numeric(data["rank"], errors="coerce").to_numpy(dtype=float)
    scored = np.ones(len(data), dtype=bool)
    if "excluded" in data:
        scored = ~data["excluded"].to_numpy(dtype=bool)
    withheld = int((scored & candidates.is_hidden("rank").to_numpy(dtype=bool)).sum())
    chosen = scored & np.isfinite(rank) & (rank <= k)
    order = np.argsort(rank[chosen], kind="stable")
    return data.loc[chosen].iloc[order], withheld


def _city(publication: Publication) -> dict[str, tuple[float, bool]]:
    city = publication.city
    values = pd.to_numeric(city.data["value"], errors="coerce").to_numpy(dtype=float)
    hidden = city.is_hidden("value").to_numpy(dtype=bool)
    keys = city.data["indicator"].astype(str)
    return {k: (float(v), bool(h)) for k, v, h in zip(keys, values, hidden, strict=True)}


def _headline(publication: Publication, settings: Settings, place: str) -> tuple[str, str]:
    lang, n = settings.map.language, settings.privacy.min_count
    city = _city(publication)
    share, share_hidden = city.get("aandeel_banen_in_woonbuurten", (float("nan"), True))
    if share_hidden or not np.isfinite(share):
        return text("report.headline_hidden", lang, n=n), ""

    def shown(key: str, as_share: bool = False) -> str:
        value, hidden = city.get(key, (float("nan"), True))
        if hidden:
            return count(None, n, lang, suppressed=True)
        return percent(value, 0, lang) if as_share else number(value, 0, lang)

    headline = text("report.headline", lang, share=percent(share, 0, lang), place=place)
    detail = text(
        "report.headline_detail",
        lang,
        jobs_res=shown("banen_in_woonbuurten"),
        jobs=shown("banen"),
        share_est=shown("aandeel_vestigingen_in_woonbuurten", as_share=True),
        n_est=shown("vestigingen"),
    )
    return headline, detail


def _cell(data: pd.Series, hidden: pd.Series, field: str, shown: Any, n: int, lang: str) -> str:
    if field not in data.index:
        return DASH
    if bool(hidden.get(field, False)):
        return count(None, n, lang, suppressed=True)
    value = data[field]
    return DASH if value is None or pd.isna(value) else str(shown(value))


def _words(value: object) -> str:
    """An input code such as ``kantoor_leeg`` as words ("kantoor leeg")."""
    return str(value).replace("_", " ")


def _top_rows(publication: Publication, settings: Settings) -> tuple[list[tuple[str, ...]], int]:
    lang, n, k = settings.map.language, settings.privacy.min_count, settings.sites.top_k
    sites, withheld = top_sites(publication.candidates, k)
    if not len(sites):
        return [], withheld
    assert publication.candidates is not None
    hidden = publication.candidates.hidden
    buurten = publication.buurten.data
    names = (
        dict(zip(buurten["buurt_code"].astype(str), buurten["buurt_name"].astype(str), strict=True))
        if "buurt_name" in buurten
        else {}
    )
    rows: list[tuple[str, ...]] = []
    for index, site in sites.iterrows():  # at most top_k rows
        secret = hidden.loc[index] if index in hidden.index else pd.Series(dtype=bool)
        rows.append(
            (
                _cell(site, secret, "rank", lambda v: number(v, 0, lang), n, lang),
                _cell(site, secret, "name", str, n, lang),
                _cell(site, secret, "site_type", _words, n, lang),
                _cell(site, secret, "buurt_code", lambda v: names.get(str(v), DASH), n, lang),
                _cell(site, secret, "score", lambda v: number(v, 2, lang), n, lang),
                _cell(
                    site, secret, "stability", lambda v: stability_word(v, lang) or DASH, n, lang
                ),
            )
        )
    return rows, withheld


def _growth_rows(growth: GrowthInput, settings: Settings) -> list[tuple[str, ...]]:
    lang, n = settings.map.language, settings.privacy.min_count
    rows: list[tuple[str, ...]] = []
    for span in city_growth(growth, n):
        hidden = span.hidden
        change = ("+" if span.change_pct > 0 else "") + percent(span.change_pct, 1, lang)
        rows.append(
            (
                date_long(span.start, lang),
                date_long(span.end, lang) + (" *" if span.method_break else ""),
                count(span.value_start, n, lang, suppressed=hidden),
                count(span.value_end, n, lang, suppressed=hidden),
                count(None, n, lang, suppressed=True) if hidden else change,
            )
        )
    return rows


def _sources(settings: Settings, with_sites: bool) -> str:
    lang = settings.map.language
    values = {"cbs": text("common.source_cbs", lang), "register": settings.paths.businesses.name}
    if with_sites and settings.paths.candidates is not None:
        return text("report.sources", lang, **values, sites=settings.paths.candidates.name)
    return text("report.sources_no_sites", lang, **values)


def summary_content(
    publication: Publication, settings: Settings, *, growth: GrowthInput = None, today: date
) -> Summary:
    """Every text of the summary, from the public tables and the settings only."""
    lang, s = settings.map.language, settings.sites
    place = place_name(publication, lang)
    headline, detail = _headline(publication, settings, place)
    indicator = describe_column(settings.map.indicator, "buurten", settings, lang).header
    top, withheld = _top_rows(publication, settings)
    p = percent(s.robust_probability, 0, lang)
    note = (
        text("report.top.note", lang, k=s.top_k, draws=number(s.draws, 0, lang), p=p)
        if top
        else text("report.top.none", lang)
    )
    if withheld:
        note += " " + text("report.top.withheld", lang, n=withheld)
    growth_rows = _growth_rows(growth, settings)
    notes = growth_notes_for(growth, lang) if growth_rows else []
    if any(r[1].endswith("*") for r in growth_rows):
        notes = [text("report.growth.marked", lang), *notes]
    keys = ("rank", "name", "type", "buurt", "score", "stability")
    return Summary(
        title=text("report.title", lang, place=place),
        subtitle=text("report.subtitle", lang, date=date_long(today, lang)),
        headline=headline,
        headline_detail=detail,
        map_title=text(
            "report.map.title" if top else "report.map.title_no_sites",
            lang,
            indicator=indicator,
            k=s.top_k,
        ),
        top_title=text("report.top.title", lang, k=s.top_k),
        top_header=tuple(text(f"report.top.{key}", lang, k=s.top_k) for key in keys),
        top_rows=top,
        top_note=note,
        growth_title=text("report.growth.title", lang, place=place),
        growth_header=tuple(
            text(f"report.growth.{key}", lang) for key in ("from", "to", "start", "end", "change")
        ),
        growth_rows=growth_rows,
        growth_notes=notes,
        sources=_sources(settings, publication.candidates is not None),
        privacy=text("report.privacy", lang, n=settings.privacy.min_count),
        made=text(
            "report.made",
            lang,
            date=date_long(today, lang),
            map_file=settings.map.file,
            tables_file=TABLES_FILE,
        ),
    )
