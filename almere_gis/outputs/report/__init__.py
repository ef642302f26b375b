"""The one-page council summary: ``publicatie/samenvatting.pdf`` and a PNG of the page.

For a council paper: the headline share (jobs in residential buurten), a map of the buurten
with the top candidate sites, the top sites with their robustness, the growth of the number
of establishments when given, the sources, the date and the privacy rule, on one A4 page.

- :mod:`.content` decides every text (from the Publication and the settings only);
- :mod:`.figure` draws the map with matplotlib;
- :mod:`.page` lays out the page with reportlab and renders its PNG with PDFium;
- :mod:`.columns` names the columns of the public tables (shared with the workbook).
"""

from __future__ import annotations

__all__ = ["PDF_FILE", "PNG_FILE", "write_summary"]

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ...io.atomic import atomic_path
from ...settings import Settings
from .content import summary_content, top_sites
from .figure import buurten_map, extent_aspect, png_bytes
from .growth import GrowthInput
from .page import MAP_AXES_WIDTH, map_size_mm, page_png, summary_pdf

if TYPE_CHECKING:
    from ...pipeline.results import Publication

PDF_FILE = "samenvatting.pdf"
PNG_FILE = "samenvatting.png"


def _write_bytes(data: bytes, path: Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_summary(
    publication: Publication,
    settings: Settings,
    folder: Path,
    *,
    growth: GrowthInput = None,
) -> dict[str, Path]:
    """Write the one-page summary (PDF and PNG) into ``folder``.

    Parameters
    ----------
    publication
        The run's public view; nothing else is read.
    settings
        The run's settings: language (``[map] language``), indicator and class scheme of the
        map, top k and robustness settings, privacy threshold, input file names for the sources.
    folder
        The public output folder (``publicatie/`` in the staging folder).
    growth
        Optional growth figures (:class:`~almere_gis.analysis.growth.Growth` or its table):
        the municipality's growth per span, with what the figures rest on.

    Returns
    -------
    dict
        ``{"summary": <pdf>, "summary:png": <png>}``, both written atomically.
    """
    lang = settings.map.language
    content = summary_content(publication, settings, growth=growth, today=date.today())
    sites, _ = top_sites(publication.candidates, settings.sites.top_k)
    size = map_size_mm(content, extent_aspect(publication.buurten.data))
    figure = buurten_map(
        publication, settings, sites, width_mm=size[0], height_mm=size[1], share=MAP_AXES_WIDTH
    )
    pdf = summary_pdf(content, png_bytes(figure), size, language=lang)
    folder = Path(folder)
    return {
        "summary": _write_bytes(pdf, folder / PDF_FILE),
        "summary:png": _write_bytes(page_png(pdf), folder / PNG_FILE),
    }
