"""The summary's map: the public buurten as a choropleth, wijk boundaries, the city outline and
the top sites as numbered markers (matplotlib, the real polygons of the public buurten frame).

The choropleth shows ``[map] indicator`` with the class scheme and colours of the HTML map and
the QGIS styles (:mod:`almere_gis.outputs.style`). Buurten whose value is hidden for privacy
are hatched grey. The numbered labels of the top sites are moved apart where they would overlap
(adjustText) and joined to their site by a thin line, so every number stays readable.
"""

from __future__ import annotations

__all__ = [
    "SITE_LABEL",
    "buurten_map",
    "extent_aspect",
    "label_boxes",
    "overlapping",
    "png_bytes",
    "site_labels",
]

import io
import textwrap
import warnings
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from ...settings import Settings
from ...texts import text
from ...texts.format import number, percent
from ..style import SITE_TOP, WIJK_OUTLINE, choropleth_colours, class_breaks
from .columns import describe_column

if TYPE_CHECKING:
    from ...pipeline.results import Publication

SITE_LABEL = "site-label"  # gid of the numbered labels (tests find them by it)
_HIDDEN = "#d9d9d9"
_MISSING = "#ffffff"
_MM = 1 / 25.4
# Parts of the union smaller than this are gaps between buurt polygons, not islands of the city.
_MIN_PART_M2 = 10_000.0
_LEGEND_CHARS = 34  # legend labels wrap at this width (the legend sits right of the city)


def _classes(
    values: np.ndarray, shown: np.ndarray, settings: Settings
) -> tuple[np.ndarray, list[float], list[str]]:
    """Class index per buurt (-1 = not classed), the upper bounds and the colours."""
    ok = shown & np.isfinite(values)
    breaks = class_breaks(values[ok], scheme=settings.map.scheme, k=settings.map.classes)
    colours = choropleth_colours(len(breaks))
    index = np.full(len(values), -1)
    if breaks:
        index[ok] = np.minimum(np.searchsorted(breaks, values[ok], side="left"), len(breaks) - 1)
    return index, breaks, colours


def _label(value: float, share: bool, top: float, language: str) -> str:
    if share:
        return percent(value, 1, language)
    return number(value, 0 if abs(top) >= 100 else 1, language)


def _legend(
    values: np.ndarray,
    index: np.ndarray,
    breaks: list[float],
    colours: list[str],
    share: bool,
    language: str,
) -> list[tuple[Patch | Line2D, str]]:
    entries: list[tuple[Patch | Line2D, str]] = []
    top = breaks[-1] if breaks else 0.0
    low = float(np.min(values[index >= 0])) if (index >= 0).any() else 0.0
    for i, (upper, colour) in enumerate(zip(breaks, colours, strict=True)):
        lower = low if i == 0 else breaks[i - 1]
        label = (
            f"{_label(lower, share, top, language)} \u2013 {_label(upper, share, top, language)}"
        )
        entries.append((Patch(facecolor=colour, edgecolor="#999999", linewidth=0.4), label))
    return entries


def _outline(polygons: np.ndarray) -> np.ndarray:
    """The municipality's outline: outer rings of the union, without slivers between buurten."""
    parts = shapely.get_parts(shapely.union_all(polygons))
    parts = parts[shapely.area(parts) >= _MIN_PART_M2]
    return np.asarray(shapely.get_exterior_ring(parts))


def _draw_areas(ax: Axes, publication: Publication, settings: Settings) -> list:
    """The choropleth, wijk boundaries and the outline; returns the legend entries."""
    lang, n = settings.map.language, settings.privacy.min_count
    buurten = publication.buurten.data
    field = settings.map.indicator
    values = pd.to_numeric(buurten[field], errors="coerce").to_numpy(dtype=float)
    hidden = publication.buurten.is_hidden(field).to_numpy(dtype=bool)
    index, breaks, colours = _classes(values, ~hidden, settings)
    faces = np.array([colours[i] if i >= 0 else _MISSING for i in index], dtype=object)
    geoms = gpd.GeoSeries(buurten.geometry.to_numpy(), crs=buurten.crs)
    if (~hidden).any():
        geoms[~hidden].plot(ax=ax, color=list(faces[~hidden]), edgecolor="#ffffff", linewidth=0.3)
    if hidden.any():
        geoms[hidden].plot(
            ax=ax, facecolor=_HIDDEN, edgecolor="#9e9e9e", linewidth=0.3, hatch="////"
        )
    wijken = publication.wijken.data
    if len(wijken):
        gpd.GeoSeries(wijken.geometry.to_numpy()).boundary.plot(
            ax=ax, color=WIJK_OUTLINE, linewidth=0.6
        )
    gpd.GeoSeries(_outline(geoms.to_numpy())).plot(ax=ax, color="#000000", linewidth=1.1)
    share = describe_column(field, "buurten", settings, lang).kind.name == "share"
    entries = _legend(values, index, breaks, colours, share, lang)
    if hidden.any():
        entries.append(
            (
                Patch(facecolor=_HIDDEN, edgecolor="#9e9e9e", hatch="////"),
                text("report.map.hidden", lang, n=n),
            )
        )
    if ((index < 0) & ~hidden).any():
        entries.append(
            (Patch(facecolor=_MISSING, edgecolor="#9e9e9e"), text("report.map.missing", lang))
        )
    entries.append(
        (Line2D([0], [0], color=WIJK_OUTLINE, linewidth=0.8), text("report.map.wijk", lang))
    )
    if not breaks:
        ax.text(
            0.5,
            0.02,
            text("report.map.all_hidden", lang),
            transform=ax.transAxes,
            ha="center",
            va="bottom",
            fontsize=8,
        )
    return entries


def label_boxes(labels: list[Text]) -> list[Bbox]:
    """The drawn circles of the numbered site labels, in pixels of the figure."""
    figure = labels[0].get_figure(root=True) if labels else None
    if figure is None:
        return []
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    renderer = canvas.get_renderer()
    out = []
    for label in labels:
        patch = label.get_bbox_patch()
        out.append(
            label.get_window_extent(renderer)
            if patch is None
            else patch.get_window_extent(renderer)
        )
    return out


def overlapping(labels: list[Text]) -> list[tuple[str, str]]:
    """Pairs of site labels whose circles overlap (should be none)."""
    boxes = label_boxes(labels)
    return [
        (labels[i].get_text(), labels[j].get_text())
        for i, a in enumerate(boxes)
        for j in range(i + 1, len(boxes))
        if a.overlaps(boxes[j])
    ]


def _spread(ax: Axes, labels: list[Text], xs: np.ndarray, ys: np.ndarray) -> None:
    """Move the labels apart (adjustText) until no two circles overlap, at most four rounds."""
    from adjustText import adjust_text

    # adjustText measures the text, not its circle: the margin makes room for the circle.
    for expand in (2.6, 3.2, 4.0, 5.0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # it warns when it stops at its iteration limit
            adjust_text(
                labels,
                x=xs,
                y=ys,
                ax=ax,
                expand=(expand, expand),
                ensure_inside_axes=True,
                arrowprops={"arrowstyle": "-", "color": SITE_TOP, "lw": 0.6},
            )
        if not overlapping(labels):
            return


def _draw_sites(ax: Axes, sites: pd.DataFrame, language: str) -> list:
    """Numbered markers of the top sites, labels moved apart; returns a legend entry."""
    if not len(sites) or "geometry" not in sites:
        return []
    points = shapely.point_on_surface(np.asarray(sites.geometry.to_numpy()))
    xs, ys = shapely.get_x(points), shapely.get_y(points)
    ax.scatter(xs, ys, s=10, c=SITE_TOP, edgecolors="#ffffff", linewidths=0.5, zorder=5)
    ranks = pd.to_numeric(sites["rank"], errors="coerce").to_numpy(dtype=float)
    labels = [
        ax.text(
            x,
            y,
            number(r, 0, language),
            fontsize=6.5,
            color="#ffffff",
            ha="center",
            va="center",
            fontweight="bold",
            zorder=7,
            gid=SITE_LABEL,
            bbox={"boxstyle": "circle,pad=0.25", "fc": SITE_TOP, "ec": "#ffffff", "lw": 0.6},
        )
        for x, y, r in zip(xs, ys, ranks, strict=True)
    ]
    if len(labels) > 1:
        _spread(ax, labels, xs, ys)
    marker = Line2D(
        [0],
        [0],
        marker="o",
        linestyle="",
        markersize=7,
        markerfacecolor=SITE_TOP,
        markeredgecolor="#ffffff",
    )
    return [(marker, text("report.map.site", language))]


def _extent(areas: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """The map's extent: the areas' bounds with a margin of 3 % of the larger side."""
    minx, miny, maxx, maxy = (float(v) for v in areas.total_bounds)
    pad = 0.03 * max(maxx - minx, maxy - miny, 1.0)
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def extent_aspect(areas: gpd.GeoDataFrame) -> float:
    """Height / width of the map's extent (0 when there is no area)."""
    if not len(areas):
        return 0.0
    minx, miny, maxx, maxy = _extent(areas)
    return (maxy - miny) / (maxx - minx)


def buurten_map(
    publication: Publication,
    settings: Settings,
    sites: pd.DataFrame,
    *,
    width_mm: float = 182.0,
    height_mm: float = 100.0,
    share: float = 0.70,
) -> Figure:
    """The map of the summary, as a matplotlib figure.

    The city takes ``share`` of the width, the legend the rest, on its right.
    """
    fig = Figure(figsize=(width_mm * _MM, height_mm * _MM))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, share, 1.0))
    ax.set_axis_off()
    entries = _draw_areas(ax, publication, settings)
    minx, miny, maxx, maxy = _extent(publication.buurten.data)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    entries += _draw_sites(ax, sites, settings.map.language)
    lang = settings.map.language
    title = describe_column(settings.map.indicator, "buurten", settings, lang).header
    fig.legend(
        [e[0] for e in entries],
        [textwrap.fill(e[1], _LEGEND_CHARS) for e in entries],
        loc="center left",
        bbox_to_anchor=(share + 0.01, 0.5),
        frameon=False,
        fontsize=7,
        title=textwrap.fill(title, _LEGEND_CHARS),
        title_fontsize=7.5,
        alignment="left",
    )
    return fig


def site_labels(fig: Figure) -> list[Text]:
    """The numbered labels of the top sites on the summary's map."""
    return [t for ax in fig.axes for t in ax.texts if t.get_gid() == SITE_LABEL]


def png_bytes(fig: Figure, dpi: int = 220) -> bytes:
    """The figure as PNG bytes (for the PDF page)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="#ffffff")
    return buffer.getvalue()
