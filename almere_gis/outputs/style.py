"""Colours, class breaks and indicator names shared by the HTML map and the QGIS styles.

Both outputs read this module, so a buurt has the same colour, a class the same bounds and a
legend the same title on the map and in QGIS. Ramps are ColorBrewer schemes (colour-blind safe
for the class counts used). The colour families are chosen to stay apart when layers are
stacked: the choropleth is yellow-orange-brown, hot and cold spots red and blue, the density
surface purple-blue-green, candidate sites purple and search zones green.
"""

from __future__ import annotations

__all__ = [
    "CHOROPLETH",
    "DENSITY_RAMP",
    "HOTSPOT_CLASSES",
    "HOTSPOT_COLOURS",
    "HOTSPOT_LABELS",
    "NODATA_FILL",
    "SEARCH_ZONE",
    "SITE_EXCLUDED",
    "SITE_OTHER",
    "SITE_TOP",
    "SUPPRESSED_FILL",
    "WIJK_OUTLINE",
    "Choropleth",
    "IndicatorInfo",
    "choropleth_classes",
    "choropleth_colours",
    "class_breaks",
    "indicator_info",
    "resolve_indicator",
]

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._errors import ConfigError
from ..texts import text

if TYPE_CHECKING:
    from ..analysis.privacy import PublicFrame
    from ..settings import Settings

# Buurt choropleth: ColorBrewer YlOrBr, 3 to 7 classes (no pure red, so hot spots stand out).
CHOROPLETH = {
    3: ["#fff7bc", "#fec44f", "#d95f0e"],
    4: ["#ffffd4", "#fed98e", "#fe9929", "#cc4c02"],
    5: ["#ffffd4", "#fed98e", "#fe9929", "#d95f0e", "#993404"],
    6: ["#ffffd4", "#fee391", "#fec44f", "#fe9929", "#d95f0e", "#993404"],
    7: ["#ffffd4", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04"],
}
SUPPRESSED_FILL = "#bdbdbd"  # the whole area rests on fewer than min_count establishments
NODATA_FILL = "#f0f0f0"  # no value for another reason (e.g. no land area)

# KDE surface: ColorBrewer PuBuGn-like sequential ramp, stops at 0..1 of the display range.
DENSITY_RAMP = [
    (0.00, "#f6eff7"),
    (0.20, "#d0d1e6"),
    (0.40, "#a6bddb"),
    (0.60, "#67a9cf"),
    (0.80, "#1c9099"),
    (1.00, "#016c59"),
]

# Gi* classes: ColorBrewer RdBu diverging; "ns" is not significant.
HOTSPOT_CLASSES = ["hot_99", "hot_95", "hot_90", "ns", "cold_90", "cold_95", "cold_99"]
HOTSPOT_COLOURS = {
    "hot_99": "#b2182b",
    "hot_95": "#ef8a62",
    "hot_90": "#fddbc7",
    "ns": "#f7f7f7",
    "cold_90": "#d1e5f0",
    "cold_95": "#67a9cf",
    "cold_99": "#2166ac",
}
HOTSPOT_LABELS = {
    lang: {c: text(f"map.hotspot.{c}", lang) for c in HOTSPOT_CLASSES} for lang in ("nl", "en")
}

# Candidate sites: top k highlighted, the rest muted; excluded sites grey.
SITE_TOP = "#6a3d9a"
SITE_OTHER = "#cab2d6"
SITE_EXCLUDED = "#9e9e9e"
SEARCH_ZONE = "#33a02c"
WIJK_OUTLINE = "#333333"


def class_breaks(values: np.ndarray, *, scheme: str = "FisherJenks", k: int = 5) -> list[float]:
    """Upper class bounds of ``values`` (NaN ignored) with a mapclassify scheme.

    Returns fewer than ``k`` bounds when there are fewer distinct values, one bound when all
    values are equal, and none for no values.

    Examples
    --------
    >>> class_breaks(np.array([1.0, 1.0, 1.0]))
    [1.0]
    >>> class_breaks(np.array([]))
    []
    """
    import mapclassify

    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if data.size == 0:
        return []
    distinct = np.unique(data)
    k = int(min(k, distinct.size))
    if k < 2:
        return [float(distinct.max())]
    with warnings.catch_warnings():
        # mapclassify suggests numba for speed; for tens of buurten it makes no difference.
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        classifier = getattr(mapclassify, scheme)(data, k=k)
    return [float(b) for b in classifier.bins]


def choropleth_colours(n_classes: int) -> list[str]:
    """The choropleth palette for ``n_classes`` (1 to 7)."""
    if n_classes <= 0:
        return []
    if n_classes < 3:
        return CHOROPLETH[3][-n_classes:]
    return CHOROPLETH[min(n_classes, 7)]


# --------------------------------------------------------------------------------------------
# What an indicator column shows
# --------------------------------------------------------------------------------------------

# Measure -> the count it rests on (for the privacy threshold).
_MEASURE_BASE = {
    "n_establishments": "n_establishments",
    "jobs": "n_establishments",
    "n_small_scale": "n_small_scale",
    "jobs_small_scale": "n_small_scale",
    "n_home_based": "n_home_based",
    "jobs_home_based": "n_home_based",
    "n_zzp": "n_zzp",
    "jobs_zzp": "n_zzp",
    "n_social_enterprise": "n_social_enterprise",
    "jobs_social_enterprise": "n_social_enterprise",
}
_RATES = ("_per_km2", "_per_1000_inhabitants", "_per_1000_homes")
# Older spellings of indicator names -> the column names of indicators.py.
_ALIASES = {"small_scale_jobs_per_km2": "jobs_small_scale_per_km2"}


@dataclass(frozen=True)
class IndicatorInfo:
    """How to name an indicator column in a legend.

    ``kind`` is ``"count"``, ``"rate"``, ``"share"`` (shown in per cent) or ``"lq"``.
    """

    column: str
    label: str
    unit: str
    base: str
    kind: str


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def _sector_noun(measure: str, language: str, settings: Settings) -> tuple[str, str] | None:
    """(noun, base count) for ``n_<sector>`` / ``jobs_<sector>``, or None."""
    sectors = {
        g.key: (g.label_en if language == "en" else g.label_nl).lower()
        for g in settings.classification.sector_groups
    }
    sectors.setdefault("overig", text("map.sector_other", language))
    kind, _, key = measure.partition("_")
    if kind not in ("n", "jobs") or key not in sectors:
        return None
    word = text(f"map.measure_word.{kind}", language)
    return f"{word}: {sectors[key]}", f"n_{key}"


def indicator_info(column: str, language: str, settings: Settings) -> IndicatorInfo:
    """The label, unit, base count and kind of an indicator column of the buurt table.

    Examples
    --------
    >>> from almere_gis.settings import load_settings
    >>> info = indicator_info("jobs_small_scale_per_km2", "en", load_settings())
    >>> info.label, info.unit
    ('Small-scale jobs per km² of land', 'small-scale jobs per km² of land')
    """
    if column.startswith("lq_"):
        sector_noun = _sector_noun(f"n_{column[3:]}", language, settings)
        if sector_noun is not None:
            sector = sector_noun[0].split(": ", 1)[1]
            label = text("map.indicator_lq", language, sector=sector)
            return IndicatorInfo(column, label, text("map.unit_lq", language), sector_noun[1], "lq")
    share = column.startswith("share_")
    stem = column[6:] if share else column
    rate = next((r for r in _RATES if stem.endswith(r)), "")
    measure = stem[: -len(rate)] if rate else stem
    if measure in _MEASURE_BASE:
        noun, base = text(f"map.measure.{measure}", language), _MEASURE_BASE[measure]
    elif (found := _sector_noun(measure, language, settings)) is not None:
        noun, base = found
    else:
        return IndicatorInfo(column, column, "", "n_establishments", "rate")
    if share:
        label = text("map.indicator_share", language, noun=noun)
        return IndicatorInfo(column, label, "%", base, "share")
    if rate:
        unit = f"{noun} {text(f'map.rate.{rate[1:]}', language)}"
        return IndicatorInfo(column, _capital(unit), unit, base, "rate")
    return IndicatorInfo(column, _capital(noun), noun, base, "count")


def resolve_indicator(columns: pd.Index, name: str) -> str:
    """The column for ``settings.map.indicator`` (older spellings accepted), or a ConfigError."""
    if name in columns:
        return name
    alias = _ALIASES.get(name)
    if alias and alias in columns:
        return alias
    examples = ", ".join([str(c) for c in columns if str(c).endswith("_per_km2")][:4])
    raise ConfigError(
        f"map.indicator = {name!r} is not a column of the buurt indicators. "
        f"Fix: choose one of the indicator columns, e.g. {examples or 'jobs_per_km2'}."
    )


# --------------------------------------------------------------------------------------------
# The choropleth, classed once for both outputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choropleth:
    """How the buurt choropleth is classed: shared by the HTML map and the QGIS style.

    ``values`` are on the display scale (shares in per cent); ``hidden`` marks buurten whose
    value may not be shown (hidden for privacy, or resting on fewer establishments than the
    threshold): left out of the class computation and greyed; ``shown`` is the rest with a
    value; ``classes`` is the class index per buurt, -1 for none. With nothing shown,
    ``breaks`` is empty and the legend says there is too little to show.
    """

    column: str
    label: str
    unit: str
    kind: str
    scale: float
    values: np.ndarray
    hidden: np.ndarray
    shown: np.ndarray
    breaks: list[float]
    colours: list[str]
    classes: np.ndarray

    @property
    def low(self) -> float:
        """The smallest shown value (the lower bound of the first class), NaN if none."""
        return float(np.min(self.values[self.shown])) if self.shown.any() else float("nan")


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def hidden_rows(
    frame: pd.DataFrame, column: str, base: str, min_count: int, hidden: pd.DataFrame | None
) -> np.ndarray:
    """True where ``column`` may not be shown: hidden for privacy, suppressed, or too few."""
    out = np.zeros(len(frame), dtype=bool)
    if hidden is not None and column in hidden.columns:
        out |= hidden[column].to_numpy(dtype=bool)
    if "suppressed" in frame:
        out |= frame["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    count = base if base in frame else "n_establishments"
    if count in frame:
        counts = _numeric(frame, count)
        # A missing count in a public table is a hidden one; a count below the rule is too few.
        out |= ~(counts >= min_count)
    return out


def choropleth_classes(
    buurten: pd.DataFrame | PublicFrame, settings: Settings, *, language: str
) -> Choropleth:
    """Class the buurten on ``settings.map.indicator`` with the map's scheme and colours.

    ``buurten`` is the buurt table or its public view (a PublicFrame, whose hidden cells are
    greyed). Never fails on zero, one or only equal values: the breaks are then empty or one.

    Raises
    ------
    ConfigError
        When the indicator is not a column of ``buurten``.
    """
    frame, hidden_frame = (
        (buurten.data, buurten.hidden) if hasattr(buurten, "hidden") else (buurten, None)
    )
    assert isinstance(frame, pd.DataFrame)
    column = resolve_indicator(frame.columns, settings.map.indicator)
    info = indicator_info(column, language, settings)
    scale = 100.0 if info.kind == "share" else 1.0
    values = _numeric(frame, column) * scale
    hidden = hidden_rows(frame, column, info.base, settings.privacy.min_count, hidden_frame)
    shown = ~hidden & np.isfinite(values)
    breaks = class_breaks(values[shown], scheme=settings.map.scheme, k=settings.map.classes)
    classes = np.full(len(frame), -1)
    if breaks:
        classes[shown] = np.minimum(
            np.searchsorted(np.asarray(breaks), values[shown], side="left"), len(breaks) - 1
        )
    return Choropleth(
        column=column,
        label=info.label,
        unit=info.unit,
        kind=info.kind,
        scale=scale,
        values=values,
        hidden=hidden,
        shown=shown,
        breaks=breaks,
        colours=choropleth_colours(len(breaks)),
        classes=classes,
    )
