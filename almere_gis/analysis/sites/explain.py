"""Words for the scored sites: the one-line explanation per site and the field descriptions."""

from __future__ import annotations

__all__ = ["explain_sites", "field_descriptions", "full_settings"]

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from ...settings import Settings, SiteSettings, load_settings
from ...texts import catalogue, text
from ...texts.format import count, distance, number, percent
from .criteria import CRITERIA, direction, site_settings


@cache
def _defaults() -> Settings:
    return load_settings()


def full_settings(settings: object | None) -> Settings:
    """``settings`` when it is the whole Settings object, else the shipped defaults.

    The scoring accepts the ``sites`` section alone; the privacy threshold and the building
    direction and reach then come from the defaults.
    """
    return settings if isinstance(settings, Settings) else _defaults()


def field_descriptions(language: str = "nl", settings: object | None = None) -> dict[str, str]:
    """A description per output column of :func:`score_sites` and :func:`rank_stability`.

    Meant for GeoPackage field descriptions and map popups. ``settings`` (the whole Settings
    object) fills in top k, the thresholds and the building reach; the defaults otherwise.

    Examples
    --------
    >>> field_descriptions("en")["weight_fit"]
    'Building fit: weight in the score (share, all weights together 1)'
    """
    full = full_settings(settings)
    sites = full.sites if settings is None else site_settings(settings)
    values = {
        "k": sites.top_k,
        "robust": percent(sites.robust_probability, 0, language),
        "always": percent(sites.always_probability, 0, language),
        "distance": distance(full.themes.building_reach_m, language),
    }
    per_criterion = {f"sites.field.{part}" for part in ("raw", "norm", "contrib", "weight")}
    out = {
        key.removeprefix("sites.field."): text(key, language, **values)
        for key in catalogue()
        if key.startswith("sites.field.") and key not in per_criterion
    }
    for key, crit in CRITERIA.items():
        better = text(f"sites.direction.{direction(key, full)}", language)
        named = {"name": crit.name(language), "unit": crit.unit(language), "direction": better}
        out[f"{key}_raw"] = text("sites.field.raw", language, **named)
        for part in ("norm", "contrib"):
            out[f"{key}_{part}"] = text(f"sites.field.{part}", language, **named)
        out[f"weight_{key}"] = text("sites.field.weight", language, **named)
    return out


def _t(key: str, language: str, **values: Any) -> str:
    return text(f"sites.{key}", language, **values)


def _demand_phrase(key: str, raw: float, extra: Mapping[str, Any], ctx: _Context) -> str:
    """``3 vestigingen binnen 800 m``; a count of 1 to min_count - 1 as ``< 5``."""
    s, lang = ctx.s, ctx.language
    reach = distance(s.walk_m if key == "demand_walk" else s.cycle_m, lang)
    n_est = float(extra.get(f"{key}_count", raw))
    if 0 < n_est < ctx.min_count:  # rests on too few establishments: cite the bound only
        few = count(n_est, ctx.min_count, lang, suppressed=True)
        return _t("phrase.establishments", lang, n=few, distance=reach)
    what = "establishment" if s.demand_measure == "count" else "job"
    if round(raw) == 1:
        return _t(f"phrase.{what}", lang, distance=reach)
    return _t(f"phrase.{what}s", lang, n=number(raw, 0, lang), distance=reach)


def _describe(key: str, raw: float, extra: Mapping[str, Any], ctx: _Context) -> str:
    """The raw value of one criterion as a short phrase with its unit."""
    lang = ctx.language
    if not np.isfinite(raw):
        return _t("phrase.unknown", lang)
    if key in ("demand_walk", "demand_cycle"):
        return _demand_phrase(key, raw, extra, ctx)
    if key == "cluster":
        d = float(extra.get("cluster_distance_m", np.nan))
        if not np.isfinite(d) or raw <= 0:
            return _t("phrase.no_hot_spot", lang)
        if d <= 0:
            return _t("phrase.in_hot_spot", lang)
        return _t("phrase.from_hot_spot", lang, distance=distance(d, lang))
    if key == "accessibility":
        both = ctx.notes.get("accessibility") == "both"
        how = "station_and_centre" if both else "station"
        return _t(f"phrase.{how}", lang, km=number(raw, 1, lang))
    if key == "fit":
        area = number(extra.get("floor_area_m2", np.nan), 0, lang)
        vacant = percent(extra.get("fit_vacancy", np.nan), 0, lang)
        return _t("phrase.fit", lang, area=area, vacant=vacant)
    if key == "mix":
        return _t("phrase.mix", lang, value=number(raw, 2, lang))
    if key == "social":
        return _t("phrase.social", lang, value=number(raw, 1, lang))
    if key == "building":
        d = float(extra.get("building_distance_m", np.nan))
        if np.isfinite(d) and d < ctx.reach_m:
            return _t("phrase.building", lang, distance=distance(d, lang))
        return _t("phrase.no_building", lang, distance=distance(ctx.reach_m, lang))
    return number(raw, 2, lang)


@dataclass(frozen=True)
class _Context:
    """What every site's explanation needs from the scoring."""

    language: str
    s: SiteSettings
    min_count: int
    reach_m: float
    notes: Mapping[str, str]
    active: Sequence[str]
    weights: Mapping[str, float]
    norm: Mapping[str, np.ndarray]
    separates: Mapping[str, bool]


def _strong_weak(i: int, known: np.ndarray, ctx: _Context, phrase: Callable[[int], str]) -> str:
    """The strongest and the weakest of the ``known`` criteria of site ``i``, in words."""
    lang = ctx.language

    def name(j: int) -> str:
        return CRITERIA[ctx.active[j]].label(lang)

    contrib = np.array([ctx.weights[k] * ctx.norm[k][i] for k in ctx.active])
    lost = np.array([ctx.weights[k] * (1.0 - ctx.norm[k][i]) for k in ctx.active])
    if len(known) == 1:
        j = int(known[0])
        return _t("explain.only", lang, strong=name(j), strong_v=phrase(j))
    if contrib[known].max() <= 0:
        weak = int(known[np.argmax(lost[known])])
        return _t("explain.none_strong", lang, weak=name(weak), weak_v=phrase(weak))
    strong = int(known[np.argmax(contrib[known])])
    lost[strong] = -np.inf  # the weakest is another criterion than the strongest
    weak = int(known[np.argmax(lost[known])])
    if lost[weak] <= 0:
        return _t("explain.none_weak", lang, strong=name(strong), strong_v=phrase(strong))
    return _t(
        "explain.strong_weak",
        lang,
        strong=name(strong),
        strong_v=phrase(strong),
        weak=name(weak),
        weak_v=phrase(weak),
    )


def _explain_one(
    i: int, ctx: _Context, missing: np.ndarray, phrase: Callable[[int], str]
) -> list[str]:
    """The parts of eligible site ``i``'s explanation: strongest and weakest, neutral gaps."""
    # Imputed (neutral) criteria and criteria on which all sites are equal say nothing
    # about this site: choose among the others.
    known = np.flatnonzero(~missing[i])
    telling = known[[ctx.separates[ctx.active[int(j)]] for j in known]] if len(known) else known
    if len(telling) >= 2:
        known = telling
    parts = [_strong_weak(i, known, ctx, phrase)] if len(known) else []
    gaps = [CRITERIA[ctx.active[int(j)]].label(ctx.language) for j in np.flatnonzero(missing[i])]
    if gaps:
        parts.append(_t("explain.neutral", ctx.language, names=", ".join(gaps)))
    return parts


def explain_sites(
    *,
    reasons: Sequence[Sequence[str]],
    missing: np.ndarray,
    raw: Mapping[str, np.ndarray],
    norm: Mapping[str, np.ndarray],
    separates: Mapping[str, bool],
    weights: Mapping[str, float],
    extras: Sequence[Mapping[str, Any]],
    settings: object,
    notes: Mapping[str, str],
    not_counted: Sequence[str] = (),
) -> list[str]:
    """One short line per site: why it scores as it does, or why it was excluded.

    The strongest criterion has the largest contribution; the weakest costs the site most
    points (``weight x (1 - norm)``). ``missing`` is a sites x active-criteria mask of values
    counted as neutral; ``extras`` holds per site the components used in the phrases;
    ``not_counted`` names criteria left out of the score because their data is absent (the
    building criterion without buildings). A count of establishments below
    ``privacy.min_count`` is written as ``< min_count`` (zero is written as 0: it rests on no
    establishment).
    """
    full = full_settings(settings)
    s = site_settings(settings)
    language = s.language
    active = [k for k, w in weights.items() if w > 0]
    ctx = _Context(
        language, s, full.privacy.min_count, full.themes.building_reach_m, notes, active,
        weights, norm, separates,
    )  # fmt: skip
    tail = [
        _t("explain.not_counted", language, name=CRITERIA[k].label(language)) for k in not_counted
    ]
    out: list[str] = []
    # Sites number in the hundreds, never a path over all businesses.
    for i, why in enumerate(reasons):
        if why:
            out.append(_t("explain.excluded", language, reason="; ".join(why)))
            continue

        def phrase(j: int, i: int = i) -> str:
            key = active[j]
            return _describe(key, raw[key][i], extras[i], ctx)

        out.append("; ".join(_explain_one(i, ctx, missing, phrase) + tail) + ".")
    return out
