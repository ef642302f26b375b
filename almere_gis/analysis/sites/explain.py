"""Words for the scored sites: the one-line explanation per site and the field descriptions."""

from __future__ import annotations

__all__ = ["explain_sites", "field_descriptions"]

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...settings import SiteSettings
from .criteria import CRITERIA

TEXT = {
    "nl": {
        "no_geometry": "geen geometrie",
        "geom_type": "geometrietype {t} wordt niet ondersteund (alleen punten en vlakken)",
        "no_id": "site_id ontbreekt",
        "duplicate": "site_id {id} komt al voor in rij {row}",
        "negative_area": "negatief vloeroppervlak ({v} m2)",
        "bad_number": "{col} is geen getal ({v!r})",
        "bad_share": "leegstand {v} ligt niet tussen 0 en 1",
        "outside": "ligt buiten het RD-gebied (verkeerd coördinatenstelsel?)",
        "min_area": "vloeroppervlak {v:.0f} m2 is kleiner dan het minimum van {m:.0f} m2",
        "missing": "{label} ontbreekt",
        "excluded": "Uitgesloten: {reason}.",
        "neutral": "ontbrekend, neutraal gerekend: {labels}",
        "explain": "Sterkst: {strong} ({strong_v}); zwakst: {weak} ({weak_v})",
        "only": "Eén bekend criterium: {strong} ({strong_v})",
        "none_strong": "Nergens sterk; zwakst: {weak} ({weak_v})",
        "none_weak": "Sterkst: {strong} ({strong_v}); nergens zwak",
    },
    "en": {
        "no_geometry": "no geometry",
        "geom_type": "geometry type {t} is not supported (points and polygons only)",
        "no_id": "site_id is missing",
        "duplicate": "site_id {id} already occurs in row {row}",
        "negative_area": "negative floor area ({v} m2)",
        "bad_number": "{col} is not a number ({v!r})",
        "bad_share": "vacancy share {v} is not between 0 and 1",
        "outside": "lies outside the RD extent (wrong coordinate system?)",
        "min_area": "floor area {v:.0f} m2 is below the minimum of {m:.0f} m2",
        "missing": "{label} is missing",
        "excluded": "Excluded: {reason}.",
        "neutral": "missing, counted as neutral: {labels}",
        "explain": "Strongest: {strong} ({strong_v}); weakest: {weak} ({weak_v})",
        "only": "One known criterion: {strong} ({strong_v})",
        "none_strong": "Strong on nothing; weakest: {weak} ({weak_v})",
        "none_weak": "Strongest: {strong} ({strong_v}); weak on nothing",
    },
}


def field_descriptions(language: str = "nl") -> dict[str, str]:
    """A description per output column of :func:`score_sites` and :func:`rank_stability`.

    Meant for GeoPackage field descriptions and map popups.
    """
    nl = language == "nl"
    out: dict[str, str] = {
        "site_id": "Locatie-id" if nl else "Site id",
        "name": "Naam" if nl else "Name",
        "site_type": "Type locatie" if nl else "Site type",
        "floor_area_m2": "Vloeroppervlak (m2)" if nl else "Floor area (m2)",
        "vacant_since": "Leeg sinds (jaar)" if nl else "Vacant since (year)",
        "vacancy_share": "Leegstaand deel (0-1)" if nl else "Vacant share (0-1)",
        "ownership": "Eigendom" if nl else "Ownership",
        "buurt_code": "CBS-buurtcode van de locatie" if nl else "CBS buurt code of the site",
        "excluded": "Uitgesloten door een harde eis of ontbrekende gegevens"
        if nl
        else "Excluded by a hard constraint or missing data",
        "exclusion_reason": "Reden van uitsluiting" if nl else "Reason for exclusion",
        "score": "Gewogen score (0-1, hoger is beter)"
        if nl
        else "Weighted score (0-1, higher is better)",
        "rank": "Rang (1 = beste)" if nl else "Rank (1 = best)",
        "explanation": "Toelichting" if nl else "Explanation",
        "p_top_k": "Kans op een plaats in de top k bij gevarieerde gewichten"
        if nl
        else "Probability of a top-k place under perturbed weights",
        "rank_median": "Mediane rang bij gevarieerde gewichten"
        if nl
        else "Median rank under perturbed weights",
        "rank_p05": "5e percentiel van de rang" if nl else "5th percentile of the rank",
        "rank_p95": "95e percentiel van de rang" if nl else "95th percentile of the rank",
        "robust": "Robuust in de top k" if nl else "Robustly in the top k",
    }
    out.update(_component_fields(nl))
    out.update(_criterion_fields(language))
    return out


def _component_fields(nl: bool) -> dict[str, str]:
    """Descriptions of the components of the criteria (demand counts, distances, fit)."""
    out: dict[str, str] = {}
    distances = (
        [("walk", "loopafstand"), ("cycle", "fietsafstand")]
        if nl
        else [("walk", "walking"), ("cycle", "cycling")]
    )
    for key, dist in distances:
        out[f"demand_{key}_count"] = (
            f"Kleinschalige of aan-huis-vestigingen op {dist}"
            if nl
            else f"Small-scale or home-based establishments within {dist} distance"
        )
        out[f"demand_{key}_jobs"] = (
            f"Werkzame personen in die vestigingen op {dist}"
            if nl
            else f"Jobs in those establishments within {dist} distance"
        )
    out["cluster_distance_m"] = (
        "Afstand tot de dichtstbijzijnde hot-spot-hexagoon (m)"
        if nl
        else "Distance to the nearest hot spot hexagon (m)"
    )
    out["accessibility_station_km"] = (
        "Afstand tot een treinstation (km)" if nl else "Distance to a train station (km)"
    )
    out["accessibility_centre_km"] = (
        "Afstand tot het zwaartepunt van de dichtstbijzijnde centrumbuurt (km)"
        if nl
        else "Distance to the centroid of the nearest centrum buurt (km)"
    )
    out["fit_floor"] = (
        "Passendheid vloeroppervlak (0-1, 1 = binnen het doelbereik)"
        if nl
        else "Floor-area fit (0-1, 1 = within the target range)"
    )
    out["fit_vacancy"] = "Leegstaand deel (0-1)" if nl else "Vacant share (0-1)"
    out["source_row"] = "Rij in het invoerbestand" if nl else "Row in the input file"
    return out


def _criterion_fields(language: str) -> dict[str, str]:
    """Descriptions of ``<criterion>_raw``, ``_norm`` and ``_contrib``."""
    nl = language == "nl"
    out: dict[str, str] = {}
    for key, c in CRITERIA.items():
        direction = (
            ("hoger is beter" if c.direction == "higher" else "lager is beter")
            if nl
            else f"{c.direction} is better"
        )
        out[f"{key}_raw"] = f"{c.label(language)}: {c.unit}, {direction}"
        out[f"{key}_norm"] = (
            f"{c.label(language)}: genormaliseerd 0-1 (1 = beste)"
            if nl
            else f"{c.label(language)}: normalised 0-1 (1 = best)"
        )
        out[f"{key}_contrib"] = (
            f"{c.label(language)}: bijdrage aan de score"
            if nl
            else f"{c.label(language)}: contribution to the score"
        )
    return out


def fmt_number(value: float, digits: int, language: str) -> str:
    text = f"{value:,.{digits}f}"
    if language == "nl":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


def _describe(
    key: str,
    raw: float,
    extra: Mapping[str, Any],
    s: SiteSettings,
    language: str,
    notes: dict[str, str],
) -> str:
    """The raw value of one criterion as a short phrase with its unit."""
    nl = language == "nl"
    if not np.isfinite(raw):
        return "onbekend, neutraal gerekend" if nl else "unknown, counted as neutral"
    num = fmt_number
    if key in ("demand_walk", "demand_cycle"):
        dist = s.walk_m if key == "demand_walk" else s.cycle_m
        one = round(raw) == 1
        if s.demand_measure == "count":
            what = (
                ("vestiging" if one else "vestigingen") if nl else "establishment" + "s" * (not one)
            )
        else:
            what = ("baan" if one else "banen") if nl else "job" + "s" * (not one)
        within = "binnen" if nl else "within"
        return f"{num(raw, 0, language)} {what} {within} {num(dist, 0, language)} m"
    if key == "cluster":
        d = float(extra.get("cluster_distance_m", np.nan))
        if not np.isfinite(d) or raw <= 0:
            return "geen hot spot dichtbij" if nl else "no hot spot nearby"
        if d <= 0:
            return "in een hot spot" if nl else "in a hot spot"
        return f"{num(d, 0, language)} m {'van een hot spot' if nl else 'from a hot spot'}"
    if key == "accessibility":
        if notes.get("accessibility") == "both":
            tail = "gemiddeld tot station en centrum" if nl else "on average to station and centre"
        else:
            tail = "tot een station" if nl else "to a station"
        return f"{num(raw, 1, language)} km {tail}"
    if key == "fit":
        area = float(extra.get("floor_area_m2", np.nan))
        share = float(extra.get("fit_vacancy", np.nan))
        vacant = "leeg" if nl else "vacant"
        return f"{num(area, 0, language)} m2, {num(share * 100, 0, language)} % {vacant}"
    if key == "mix":
        return f"Shannon {num(raw, 2, language)}"
    if key == "social":
        tail = "op het sociaal minimum" if nl else "at the social minimum"
        return f"{num(raw, 1, language)} % {tail}"
    return num(raw, 2, language)


def _explain_one(
    i: int,
    ctx: _Context,
    missing: np.ndarray,
    phrase: Callable[[int], str],
) -> str:
    """The explanation of eligible site ``i``: strongest and weakest criterion, gaps."""
    text = TEXT[ctx.language]
    active = ctx.active

    def label(j: int) -> str:
        return CRITERIA[active[j]].label(ctx.language)

    contrib = np.array([ctx.weights[k] * ctx.norm[k][i] for k in active])
    lost = np.array([ctx.weights[k] * (1.0 - ctx.norm[k][i]) for k in active])
    # Imputed (neutral) criteria and criteria on which all sites are equal say nothing
    # about this site: choose among the others.
    known = np.flatnonzero(~missing[i])
    telling = known[[ctx.separates[active[int(j)]] for j in known]] if len(known) else known
    if len(telling) >= 2:
        known = telling
    gaps = [label(int(j)) for j in np.flatnonzero(missing[i])]
    parts = []
    if len(known) == 1:
        j = int(known[0])
        parts.append(text["only"].format(strong=label(j), strong_v=phrase(j)))
    elif len(known) > 1 and contrib[known].max() <= 0:
        weak = int(known[np.argmax(lost[known])])
        parts.append(text["none_strong"].format(weak=label(weak), weak_v=phrase(weak)))
    elif len(known) > 1:
        strong = int(known[np.argmax(contrib[known])])
        lost[strong] = -np.inf  # the weakest is another criterion than the strongest
        weak = int(known[np.argmax(lost[known])])
        if lost[weak] <= 0:
            parts.append(text["none_weak"].format(strong=label(strong), strong_v=phrase(strong)))
        else:
            parts.append(
                text["explain"].format(
                    strong=label(strong),
                    strong_v=phrase(strong),
                    weak=label(weak),
                    weak_v=phrase(weak),
                )
            )
    if gaps:
        parts.append(text["neutral"].format(labels=", ".join(gaps)))
    return "; ".join(parts) + "."


@dataclass(frozen=True)
class _Context:
    """What every site's explanation needs from the scoring."""

    language: str
    active: Sequence[str]
    weights: Mapping[str, float]
    norm: Mapping[str, np.ndarray]
    separates: Mapping[str, bool]


def explain_sites(
    *,
    reasons: Sequence[Sequence[str]],
    missing: np.ndarray,
    raw: Mapping[str, np.ndarray],
    norm: Mapping[str, np.ndarray],
    separates: Mapping[str, bool],
    weights: Mapping[str, float],
    extras: Sequence[Mapping[str, Any]],
    s: SiteSettings,
    language: str,
    notes: dict[str, str],
) -> list[str]:
    """One short line per site: why it scores as it does, or why it was excluded.

    The strongest criterion has the largest contribution; the weakest costs the site most
    points (``weight x (1 - norm)``). ``missing`` is a sites x active-criteria mask of values
    counted as neutral; ``extras`` holds per site the components used in the phrases.
    """
    text = TEXT[language]
    active = [k for k, w in weights.items() if w > 0]
    ctx = _Context(language, active, weights, norm, separates)
    out: list[str] = []
    # Sites number in the hundreds, never a path over all businesses.
    for i, why in enumerate(reasons):
        if why:
            out.append(text["excluded"].format(reason="; ".join(why)))
            continue

        def phrase(j: int, i: int = i) -> str:
            key = active[j]
            return _describe(key, raw[key][i], extras[i], s, language, notes)

        out.append(_explain_one(i, ctx, missing, phrase))
    return out
