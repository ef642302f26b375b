"""The planners' workbook (tabellen.xlsx): sheets, Dutch headers, integers, formats, privacy.

Written from the demo run's Publication (and variants of it) and opened again with openpyxl.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from report_data import cbs_growth, demo_publication, hide, with_table

import almere_gis as ag
from almere_gis.analysis.privacy import PublicFrame
from almere_gis.outputs.report.columns import describe_column
from almere_gis.outputs.workbook import safe_text, undescribed_columns, write_workbook

DUTCH_SHEETS = [
    "Buurten",
    "Wijken",
    "Gemeente",
    "Kandidaatlocaties",
    "Zoekgebieden",
    "Groei",
    "Toelichting kolommen",
]
TABLE_OF_SHEET = {
    "Buurten": "buurten",
    "Wijken": "wijken",
    "Kandidaatlocaties": "candidates",
    "Zoekgebieden": "search_zones",
}


@pytest.fixture(scope="module")
def settings() -> ag.Settings:
    return ag.load_settings()


@pytest.fixture(scope="module")
def pub(settings: ag.Settings) -> ag.Publication:
    return demo_publication(settings)


@pytest.fixture(scope="module")
def book(pub: ag.Publication, settings: ag.Settings, tmp_path_factory: pytest.TempPathFactory):
    path = write_workbook(pub, settings, tmp_path_factory.mktemp("xlsx"), growth=cbs_growth())
    return load_workbook(path)


def headers(ws: Worksheet, row: int = 1) -> list[str]:
    return [c.value for c in ws[row]]


def column(ws: Worksheet, header: str) -> list[object]:
    j = headers(ws).index(header) + 1
    return [ws.cell(row=i, column=j).value for i in range(2, ws.max_row + 1)]


def test_one_sheet_per_public_table_with_dutch_headers(
    book, pub: ag.Publication, settings: ag.Settings
) -> None:
    assert book.sheetnames == DUTCH_SHEETS
    for sheet, table in TABLE_OF_SHEET.items():
        frame = getattr(pub, table).data
        fields = [c for c in frame.columns if c != "geometry"]
        expected = [describe_column(f, table, settings, "nl").header for f in fields]
        assert headers(book[sheet]) == expected, sheet
        # headers are words, not field names: no snake_case survives
        assert not [h for h in expected if "_" in h], sheet
        assert book[sheet].max_row == len(frame) + 1
    assert headers(book["Buurten"])[:2] == ["Buurtcode", "Buurt"]
    assert "Kleinschalige vestigingen per km\u00b2 land" in headers(book["Buurten"])
    assert headers(book["Gemeente"]) == ["Indicator", "Waarde", "Toelichting"]


def test_every_public_column_is_described(pub: ag.Publication, settings: ag.Settings) -> None:
    assert undescribed_columns(pub, settings) == []


def test_counts_are_integers_equal_to_the_public_frame(book, pub: ag.Publication) -> None:
    ws = book["Buurten"]
    data, hidden = pub.buurten.data, pub.buurten.is_hidden("n_establishments").to_numpy()
    cells = column(ws, "Vestigingen")
    shown = [c for c, h in zip(cells, hidden, strict=True) if not h]
    assert shown and all(type(c) is int for c in shown)
    assert shown == [int(v) for v in data["n_establishments"][~hidden]]
    for header in ("Banen", "Inwoners", "Vestigingen aan huis"):
        assert all(type(c) is int or c in ("< 5", "\u2013") for c in column(ws, header)), header
    sites = book["Kandidaatlocaties"]
    assert all(type(c) is int for c in column(sites, "Vestigingen op loopafstand"))
    city = dict(
        zip(column(book["Gemeente"], "Indicator"), column(book["Gemeente"], "Waarde"), strict=True)
    )
    assert city["Banen (werkzame personen)"] == 79_000
    assert type(city["Vestigingen"]) is int


def test_number_formats_and_rounding(book) -> None:
    ws = book["Buurten"]
    j = headers(ws).index("Kleinschalige vestigingen: aandeel van de gemeente") + 1
    cell = next(
        ws.cell(row=i, column=j)
        for i in range(2, ws.max_row + 1)
        if isinstance(ws.cell(row=i, column=j).value, float)
    )
    assert cell.number_format == "0.0%"
    assert cell.value == round(cell.value, 4)
    j = headers(ws).index("Vestigingen per km\u00b2 land") + 1
    rates = [ws.cell(row=i, column=j) for i in range(2, ws.max_row + 1)]
    numbers = [c for c in rates if isinstance(c.value, float | int)]
    assert numbers and all(c.number_format == "#,##0.0" for c in numbers)
    assert all(c.value == round(c.value, 1) for c in numbers)
    count_cell = ws.cell(row=2, column=headers(ws).index("Vestigingen") + 1)
    assert count_cell.number_format == "#,##0"
    growth = book["Groei"]
    assert growth.cell(row=2, column=3).number_format == "d-m-yyyy"
    pct = growth.cell(
        row=2, column=headers(growth).index("Vestigingen totaal: verandering (%)") + 1
    )
    assert pct.number_format.startswith("+0.0%")


def test_frozen_headers_and_filters(book) -> None:
    assert book["Buurten"].freeze_panes == "C2"  # code and name stay in view
    assert book["Zoekgebieden"].freeze_panes == "B2"
    assert book["Toelichting kolommen"].freeze_panes == "A3"
    assert book["Buurten"].auto_filter.ref is not None


def test_no_formula_cells_anywhere(book) -> None:
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)


def test_hidden_cells_read_less_than_five(book, pub: ag.Publication) -> None:
    ws = book["Buurten"]
    hidden = pub.buurten.hidden
    assert hidden.to_numpy().any(), "the demo has suppressed buurten"
    fields = [c for c in pub.buurten.data.columns if c != "geometry"]
    for j, field in enumerate(fields, start=1):
        cells = [ws.cell(row=i, column=j).value for i in range(2, ws.max_row + 1)]
        mask = pub.buurten.is_hidden(field).to_numpy()
        assert [c for c, h in zip(cells, mask, strict=True) if h] == ["< 5"] * int(mask.sum())
        assert "< 5" not in [c for c, h in zip(cells, mask, strict=True) if not h], field


def test_column_notes_describe_every_column_of_every_sheet(book) -> None:
    notes = book["Toelichting kolommen"]
    assert headers(notes, row=2) == [
        "Tabblad",
        "Kolom",
        "Veldnaam in CSV en GeoPackage",
        "Betekenis",
    ]
    assert "< 5" in notes.cell(row=1, column=1).value
    described = {(r[0], r[1]) for r in notes.iter_rows(min_row=3, values_only=True)}
    meanings = [r[3] for r in notes.iter_rows(min_row=3, values_only=True)]
    for sheet in DUTCH_SHEETS[:-1]:
        for header in headers(book[sheet]):
            assert (sheet, header) in described, (sheet, header)
    assert all(m and "nog geen toelichting" not in m for m in meanings)


def test_text_that_looks_like_a_formula_stays_text(
    pub: ag.Publication, settings: ag.Settings, tmp_path: Path
) -> None:
    assert pub.candidates is not None
    data = pub.candidates.data.copy()
    evil = ['=HYPERLINK("http://x","klik")', "+31 6 1234", "-2+3", "@SUM(A1)"]
    data["name"] = data["name"].astype(object)
    data.loc[data.index[: len(evil)], "name"] = evil
    changed = with_table(pub, "candidates", PublicFrame(data=data, hidden=pub.candidates.hidden))
    ws = load_workbook(write_workbook(changed, settings, tmp_path))["Kandidaatlocaties"]
    names = column(ws, "Naam")[: len(evil)]
    assert names == ["'" + e for e in evil]
    assert safe_text("Bakkerij") == "Bakkerij"
    j = headers(ws).index("Naam") + 1
    assert all(ws.cell(row=i, column=j).data_type == "s" for i in range(2, 6))


def test_english_workbook(pub: ag.Publication, settings: ag.Settings, tmp_path: Path) -> None:
    english = settings.replace("map", language="en")
    book = load_workbook(write_workbook(pub, english, tmp_path))
    assert book.sheetnames == [
        "Buurten",
        "Wijken",
        "Municipality",
        "Candidate sites",
        "Search zones",
        "Column notes",
    ]
    assert headers(book["Buurten"])[:2] == ["Buurt code", "Buurt"]
    assert "Small-scale establishments per km\u00b2 of land" in headers(book["Buurten"])
    assert "Yes" not in column(book["Buurten"], "Too small to show")
    assert set(column(book["Buurten"], "Too small to show")) <= {"yes", "no"}


def test_every_buurt_suppressed_and_no_sites(
    pub: ag.Publication, settings: ag.Settings, tmp_path: Path
) -> None:
    everything = np.ones(len(pub.buurten), dtype=bool)
    measures = [c for c in pub.buurten.data.columns if c.startswith(("n_", "jobs", "share_"))]
    small = with_table(pub, "buurten", hide(pub.buurten, everything, measures))
    small = with_table(with_table(small, "candidates", None), "search_zones", None)
    book = load_workbook(write_workbook(small, settings, tmp_path))
    assert book.sheetnames == ["Buurten", "Wijken", "Gemeente", "Toelichting kolommen"]
    assert set(column(book["Buurten"], "Vestigingen")) == {"< 5"}


def test_empty_candidate_table(pub: ag.Publication, settings: ag.Settings, tmp_path: Path) -> None:
    assert pub.candidates is not None
    empty = PublicFrame(data=pub.candidates.data.iloc[0:0], hidden=pub.candidates.hidden.iloc[0:0])
    book = load_workbook(write_workbook(with_table(pub, "candidates", empty), settings, tmp_path))
    ws = book["Kandidaatlocaties"]
    assert ws.max_row == 1 and headers(ws)[0] == "Locatiecode"


def test_growth_counts_below_threshold_are_hidden(
    pub: ag.Publication, settings: ag.Settings, tmp_path: Path
) -> None:
    # Counts from a register can be 1-4 (CBS rounds to fives): those and their changes are hidden.
    table = pd.DataFrame(
        {
            "level": ["buurt", "buurt", "gemeente"],
            "code": ["BU1", "BU2", "GM1"],
            "start": [pd.Timestamp("2020-01-01").date()] * 3,
            "end": [pd.Timestamp("2021-01-01").date()] * 3,
            "total_start": [3.0, 40.0, 43.0],
            "total_end": [6.0, 50.0, 56.0],
            "total_change": [3.0, 10.0, 13.0],
            "total_change_pct": [1.0, 0.25, 13 / 43],
            "method_break": [False] * 3,
        }
    )
    ws = load_workbook(write_workbook(pub, settings, tmp_path, growth=table))["Groei"]
    assert column(ws, "Vestigingen totaal: begin") == ["< 5", 40, 43]
    assert column(ws, "Vestigingen totaal: eind") == ["< 5", 50, 56]
    assert column(ws, "Vestigingen totaal: verandering") == ["< 5", 10, 13]
