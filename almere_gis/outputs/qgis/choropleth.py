"""The buurt choropleth's classes, computed once from the public view and used by both packages.

The classes are :func:`almere_gis.outputs.style.class_breaks` of the map's indicator over the
buurten whose value may be published (the Publication's hidden cells are left out), with the
map's scheme, class count and colours. The public and the internal package style their buurten
with the same :class:`BuurtClasses`, so a planner's map, the public QGIS project and the
internal one show the same classes.
"""

from __future__ import annotations

__all__ = ["BuurtClasses", "buurt_classes", "buurt_style"]

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..._errors import ConfigError
from ..._schema import INDICATOR_ALIASES
from ...analysis.privacy import PublicFrame
from ...settings import Settings
from ...texts import text
from ..style import choropleth_colours, class_breaks
from .qml import qml_graduated, qml_too_few
from .symbols import legend_number


@dataclass(frozen=True)
class BuurtClasses:
    """How the buurt choropleth is classed.

    Attributes
    ----------
    column : str
        The indicator column (``settings.map.indicator`` with old spellings resolved).
    kind : str
        ``"share"`` (a fraction shown in per cent), ``"lq"`` (a location quotient) or
        ``"rate"``.
    scale : float
        Display value = column value x scale (100 for shares).
    breaks : list of float
        Upper class bounds on the display scale; empty when no buurt may be shown.
    colours : list of str
        One colour per class.
    low : float
        The smallest shown value (display scale): where the first legend label starts.
    """

    column: str
    kind: str
    scale: float
    breaks: list[float]
    colours: list[str]
    low: float = float("nan")

    @property
    def decimals(self) -> int:
        """Decimals of the legend labels."""
        return 2 if self.kind == "lq" else 1


def _resolve(columns: pd.Index, name: str) -> str:
    if name in columns:
        return name
    alias = INDICATOR_ALIASES.get(name)
    if alias is not None and alias in columns:
        return alias
    examples = ", ".join([c for c in map(str, columns) if c.endswith("_per_km2")][:4])
    raise ConfigError(
        f"map.indicator = {name!r} is not a column of the buurt indicators. "
        f"Fix: choose one of the indicator columns, e.g. {examples or 'jobs_per_km2'}."
    )


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    return np.asarray(pd.to_numeric(frame[column], errors="coerce"), dtype=float)


def buurt_classes(buurten: PublicFrame, settings: Settings) -> BuurtClasses:
    """Class the public buurten on ``settings.map.indicator`` as the map does.

    Parameters
    ----------
    buurten : PublicFrame
        The Publication's buurten: hidden cells are missing and marked in ``hidden``.
    settings : Settings
        ``map.indicator``, ``map.scheme`` and ``map.classes`` are used.

    Returns
    -------
    BuurtClasses
        With no break when no buurt may be shown (every value hidden or missing).

    Raises
    ------
    ConfigError
        When the indicator is not a column of the buurten.
    """
    column = _resolve(buurten.data.columns, settings.map.indicator)
    kind = "share" if column.startswith("share_") else "lq" if column.startswith("lq_") else "rate"
    scale = 100.0 if kind == "share" else 1.0
    values = _values(buurten.data, column) * scale
    shown = np.isfinite(values) & ~buurten.is_hidden(column).to_numpy(dtype=bool)
    breaks = class_breaks(values[shown], scheme=settings.map.scheme, k=settings.map.classes)
    return BuurtClasses(
        column=column,
        kind=kind,
        scale=scale,
        breaks=breaks,
        colours=choropleth_colours(len(breaks)),
        low=float(values[shown].min()) if shown.any() else float("nan"),
    )


def _labels(classes: BuurtClasses, language: str, *, open_top: bool) -> list[str]:
    suffix = " %" if classes.kind == "share" else ""
    lowers = [classes.low, *classes.breaks[:-1]]
    labels = []
    for i, (lower, upper) in enumerate(zip(lowers, classes.breaks, strict=True)):
        low = legend_number(lower, classes.decimals, language)
        if open_top and i == len(classes.breaks) - 1:
            labels.append(text("qgis.legend.at_least", language, value=low) + suffix)
            continue
        up = legend_number(upper, classes.decimals, language)
        labels.append(text("qgis.legend.range", language, lower=low, upper=up) + suffix)
    return labels


def buurt_style(
    frame: pd.DataFrame, classes: BuurtClasses, *, code: int, settings: Settings
) -> str:
    """The buurt layer's QML with ``classes``, for the frame that layer holds.

    Values beyond the end classes (only in the internal package, whose buurten are not
    suppressed) take the colour of the nearest class, and the top label says "or more".
    """
    language = settings.map.language
    if not classes.breaks:
        label = text("qgis.legend.too_few_areas", language, min_count=settings.privacy.min_count)
        return qml_too_few(code, label=label)
    values = _values(frame, classes.column) if classes.column in frame else np.array([])
    finite = values[np.isfinite(values)]
    bounds = [b / classes.scale for b in classes.breaks]
    top = float(finite.max()) if finite.size else bounds[-1]
    open_top = top > bounds[-1]
    bounds[-1] = max(bounds[-1], top)
    minimum = min(0.0, float(finite.min()) if finite.size else 0.0, bounds[0])
    return qml_graduated(
        classes.column,
        bounds,
        classes.colours,
        code,
        minimum=minimum,
        labels=_labels(classes, language, open_top=open_top),
        decimals=classes.decimals,
        language=language,
        outline="#ffffff",
        outline_width_mm=0.2,
    )
