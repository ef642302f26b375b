"""The A4 page of the council summary, laid out with reportlab (and its PNG, via PDFium).

The page is one frame: title, headline, map, the top sites, growth, sources and the privacy
rule. Everything is kept on one page by shrinking the frame's content when it would not fit
(``KeepInFrame``), never by dropping a part. Text is real text (searchable, copyable) in
DejaVu Sans, the font matplotlib ships and draws the map in.
"""

from __future__ import annotations

__all__ = ["map_size_mm", "page_png", "summary_pdf"]

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    Image,
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..style import SITE_TOP
from .content import Summary

_MARGIN = 14 * mm
_WIDTH = A4[0] - 2 * _MARGIN
_ACCENT = colors.HexColor(SITE_TOP)
_HEADLINE_BG = colors.HexColor("#f1ecf7")
_RULE = colors.HexColor("#bbbbbb")
_MAP_WIDTH_MM = 182.0
_MAP_HEIGHT_MM = 88.0  # with the top 10 and four spans of growth, the page is then full
_GROWTH_ROOM_MM = 45.0  # what the growth part takes; the map gets it when there is none
_TOP_ROOM_MM = 40.0  # what the rows of the top 10 take; likewise
_MAP_MIN_HEIGHT_MM = 60.0
MAP_AXES_WIDTH = 0.70  # share of the map's width for the city; the legend has the rest


@cache
def _fonts() -> tuple[str, str]:
    """Register DejaVu Sans (regular, bold) from matplotlib's own font folder, once."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    return "DejaVuSans", "DejaVuSans-Bold"


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()

    def style(name: str, size: float, font: str = regular, **extra: object) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.25, **extra)

    return {
        "title": style("title", 18, bold, spaceAfter=1 * mm),
        "subtitle": style("subtitle", 9, textColor=colors.HexColor("#555555")),
        "headline": style("headline", 14, bold, textColor=_ACCENT),
        "detail": style("detail", 9),
        "heading": style("heading", 10, bold, spaceBefore=2.5 * mm, spaceAfter=1.5 * mm),
        "cell": style("cell", 7.5),
        "head": style("head", 7.5, bold),
        "small": style("small", 7, textColor=colors.HexColor("#444444"), spaceBefore=1 * mm),
    }


def _p(value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(value), style)


def _table(
    header: tuple[str, ...],
    rows: list[tuple[str, ...]],
    widths: list[float],
    styles: dict[str, ParagraphStyle],
    numeric: set[int],
) -> Table:
    """A light table: bold header, thin rules, numbers right-aligned."""
    right = {i: ParagraphStyle(f"r{i}", parent=styles["cell"], alignment=2) for i in numeric}
    head_right = {i: ParagraphStyle(f"hr{i}", parent=styles["head"], alignment=2) for i in numeric}
    data = [[_p(h, head_right.get(i, styles["head"])) for i, h in enumerate(header)]]
    data += [[_p(v, right.get(i, styles["cell"])) for i, v in enumerate(row)] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, _RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
            ]
        )
    )
    return table


def _headline(summary: Summary, styles: dict[str, ParagraphStyle]) -> Table:
    cell: list[Flowable] = [_p(summary.headline, styles["headline"])]
    if summary.headline_detail:
        cell.append(_p(summary.headline_detail, styles["detail"]))
    box = Table([[cell]], colWidths=[_WIDTH], hAlign="LEFT")
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), _HEADLINE_BG),
                ("LINEBEFORE", (0, 0), (0, -1), 3, _ACCENT),
                ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5 * mm),
            ]
        )
    )
    return box


def map_size_mm(summary: Summary, aspect: float) -> tuple[float, float]:
    """Width and height of the map on the page.

    The map is as tall as the area's shape (``aspect`` = height / width of its extent) asks
    for in the map's part of the width (:data:`MAP_AXES_WIDTH`), up to the room the page has:
    more when growth or the top sites are absent.
    """
    room = _MAP_HEIGHT_MM
    if not summary.growth_rows:
        room += _GROWTH_ROOM_MM
    if not summary.top_rows:
        room += _TOP_ROOM_MM
    wanted = _MAP_WIDTH_MM * MAP_AXES_WIDTH * aspect if aspect > 0 else room
    return _MAP_WIDTH_MM, float(min(max(wanted, _MAP_MIN_HEIGHT_MM), room))


def _story(summary: Summary, map_png: bytes, map_mm: tuple[float, float]) -> list[Flowable]:
    st = _styles()
    width, height = map_mm
    story: list[Flowable] = [
        _p(summary.title, st["title"]),
        _p(summary.subtitle, st["subtitle"]),
        Spacer(1, 3 * mm),
        _headline(summary, st),
        _p(summary.map_title, st["heading"]),
        Image(io.BytesIO(map_png), width=width * mm, height=height * mm),
        _p(summary.top_title, st["heading"]),
    ]
    if summary.top_rows:
        widths = [w * mm for w in (8, 62, 34, 38, 14, 26)]
        story.append(_table(summary.top_header, summary.top_rows, widths, st, {0, 4}))
    story.append(_p(summary.top_note, st["small"]))
    if summary.growth_rows:
        story.append(_p(summary.growth_title, st["heading"]))
        widths = [w * mm for w in (40, 44, 34, 34, 30)]
        story.append(_table(summary.growth_header, summary.growth_rows, widths, st, {2, 3, 4}))
        story += [_p(note, st["small"]) for note in summary.growth_notes]
    story += [
        Spacer(1, 2 * mm),
        _p(summary.sources, st["small"]),
        _p(summary.privacy, st["small"]),
        _p(summary.made, st["small"]),
    ]
    return story


def summary_pdf(
    summary: Summary, map_png: bytes, map_mm: tuple[float, float], *, language: str
) -> bytes:
    """The summary as a one-page A4 PDF (bytes); the map image is ``map_mm`` large."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=summary.title,
        author="almere_gis",
        subject=summary.headline,
        lang=language,
        invariant=1,
    )
    frame = KeepInFrame(doc.width, doc.height, _story(summary, map_png, map_mm), mode="shrink")
    doc.build([frame])
    return buffer.getvalue()


def page_png(pdf: bytes, dpi: int = 150) -> bytes:
    """The PDF's first page as a PNG (rendered in memory with PDFium)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
