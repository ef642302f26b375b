"""The one-page council summary (samenvatting.pdf and .png).

The PDF is checked with poppler's tools, independent of the libraries that made it: pdfinfo
(one A4 page), pdftotext (headline, top-10 table, growth, sources, privacy rule, date) and
pdftoppm (the rendered page, written to build/screenshots/ for a reviewer and compared with the
PNG the writer made).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from conftest import require
from PIL import Image
from report_data import (
    SCREENSHOTS,
    cbs_growth,
    demo_publication,
    hide,
    with_stability,
    with_table,
)

import almere_gis as ag
from almere_gis.outputs.report import write_summary
from almere_gis.outputs.report.content import summary_content, top_sites
from almere_gis.outputs.report.figure import buurten_map, overlapping, site_labels
from almere_gis.outputs.style import choropleth_colours
from almere_gis.texts.format import date_long, number, percent

pytestmark = pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning")


@pytest.fixture(scope="module")
def poppler() -> None:
    tools = ("pdftotext", "pdftoppm", "pdfinfo")
    require(all(shutil.which(t) for t in tools), "poppler-utils (pdftotext, pdftoppm) missing")


@pytest.fixture(scope="module")
def settings() -> ag.Settings:
    return ag.load_settings()


@pytest.fixture(scope="module")
def pub(settings: ag.Settings) -> ag.Publication:
    return with_stability(demo_publication(settings), ["always"] * 6 + ["sometimes"] * 4)


@pytest.fixture(scope="module")
def summary(
    pub: ag.Publication, settings: ag.Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    return write_summary(pub, settings, tmp_path_factory.mktemp("pdf"), growth=cbs_growth())


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


def pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True)
    return {
        k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in out.stdout.splitlines())
    }


def rendered(pdf: Path, dpi: int) -> Image.Image:
    out = subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(pdf)],
        capture_output=True,
        check=True,
    )
    return Image.open(io.BytesIO(out.stdout)).convert("RGB")


def test_one_a4_page(poppler: None, summary: dict[str, Path]) -> None:
    assert summary["summary"].name == "samenvatting.pdf"
    info = pdf_info(summary["summary"])
    assert info["Pages"] == "1"
    width, _, height = info["Page size"].split()[:3]
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points


def test_text_has_headline_table_growth_sources_and_privacy(
    poppler: None, summary: dict[str, Path], pub: ag.Publication, settings: ag.Settings
) -> None:
    words = pdf_text(summary["summary"])
    city = pub.city.data.set_index("indicator")["value"]
    share = percent(city["aandeel_banen_in_woonbuurten"], 0, "nl")
    assert f"{share} van de banen in Almere zit in woonbuurten" in words
    assert f"{number(city['banen_in_woonbuurten'], 0, 'nl')} van de 79.000 banen" in words
    top, _ = top_sites(pub.candidates, settings.sites.top_k)
    assert len(top) == 10
    for rank, site in enumerate(top.itertuples(), start=1):
        assert f"{rank} {site.name}" in words
        assert number(site.score, 2, "nl") in words
    assert words.count("altijd") >= 6 and words.count("soms") >= 4
    assert "In de top 10?" in words
    # real CBS growth 2018-2021 with the 2019-2020 change of the count
    assert "1 januari 2018 1 januari 2021 * 16.250 24.355 +49,9 %" in words
    assert "+32,0 %" in words and "O-Q" in words
    assert "Bron: CBS, Kadaster" in words
    assert "demo_vestigingen.csv" in words
    assert "Aantallen onder 5 vestigingen worden niet getoond" in words
    assert date_long(date.today(), "nl") in words


def test_rendered_page_for_a_reviewer(poppler: None, summary: dict[str, Path]) -> None:
    page = rendered(summary["summary"], 100)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.save(SCREENSHOTS / "samenvatting.png")
    width, height = page.size
    assert abs(height / width - 297 / 210) < 0.01
    pixels = np.asarray(page, dtype=float)
    assert pixels.std() > 20, "the page is blank"
    # the choropleth's darkest class (the map's and QGIS's palette) is on the page
    darkest = choropleth_colours(5)[-1].lstrip("#")
    rgb = [int(darkest[i : i + 2], 16) for i in (0, 2, 4)]
    assert (np.abs(pixels - rgb).sum(axis=2) < 40).sum() > 50


def test_writer_png_is_the_same_page(poppler: None, summary: dict[str, Path]) -> None:
    own = Image.open(summary["summary:png"]).convert("RGB")
    assert summary["summary:png"].name == "samenvatting.png"
    poppler_page = rendered(summary["summary"], 50).resize((212, 300))
    diff = np.abs(np.asarray(own.resize((212, 300)), float) - np.asarray(poppler_page, float))
    assert diff.mean() < 6, "the PNG does not show the PDF's page"


def test_top_site_labels_do_not_overlap(pub: ag.Publication, settings: ag.Settings) -> None:
    top, _ = top_sites(pub.candidates, settings.sites.top_k)
    fig = buurten_map(pub, settings, top)
    fig.canvas.draw()
    labels = site_labels(fig)
    assert [t.get_text() for t in labels] == [str(r) for r in range(1, 11)]
    assert overlapping(labels) == []


def test_english_summary(
    poppler: None, pub: ag.Publication, settings: ag.Settings, tmp_path: Path
) -> None:
    english = settings.replace("map", language="en")
    words = pdf_text(write_summary(pub, english, tmp_path)["summary"])
    assert "of the jobs in Almere are in residential buurten" in words
    assert "Source: CBS, Kadaster" in words
    assert "Counts below 5 establishments are not shown" in words
    assert "always" in words and "altijd" not in words
    assert "Growth" not in words  # no growth given


def test_hidden_headline_and_scores(pub: ag.Publication, settings: ag.Settings) -> None:
    city = pub.city
    rows = city.data["indicator"].astype(str).str.contains("woonbuurten").to_numpy()
    hidden_city = with_table(pub, "city", hide(city, rows, ["value"]))
    content = summary_content(hidden_city, settings, today=date(2026, 1, 1))
    assert content.headline.startswith("Het aandeel banen in woonbuurten wordt niet getoond")
    assert "%" not in content.headline
    assert pub.candidates is not None
    first = (pub.candidates.data["rank"] == 1).fillna(False).to_numpy(dtype=bool)
    hidden_score = with_table(pub, "candidates", hide(pub.candidates, first, ["score"]))
    rows_ = summary_content(hidden_score, settings, today=date(2026, 1, 1)).top_rows
    assert rows_[0][0] == "1" and rows_[0][4] == "< 5"


def test_no_candidates_and_everything_suppressed(
    poppler: None, pub: ag.Publication, settings: ag.Settings, tmp_path: Path
) -> None:
    every = np.ones(len(pub.buurten), dtype=bool)
    columns = [c for c in pub.buurten.data.columns if c.startswith(("n_", "jobs", "share_"))]
    small = with_table(pub, "buurten", hide(pub.buurten, every, columns))
    small = with_table(small, "candidates", None)
    files = write_summary(small, settings, tmp_path)
    assert pdf_info(files["summary"])["Pages"] == "1"
    words = pdf_text(files["summary"])
    assert "Er zijn geen kandidaatlocaties opgegeven of beoordeeld" in words
    assert "Bron: CBS, Kadaster" in words


@pytest.mark.parametrize("n_buurten", [1, 2, 3, 5])
def test_few_buurten(pub: ag.Publication, settings: ag.Settings, n_buurten: int) -> None:
    from almere_gis.analysis.privacy import PublicFrame

    b = pub.buurten
    few = PublicFrame(data=b.data.iloc[:n_buurten], hidden=b.hidden.iloc[:n_buurten])
    small = with_table(pub, "buurten", few)
    top, _ = top_sites(small.candidates, 3)
    fig = buurten_map(small, settings, top.iloc[:n_buurten])
    fig.canvas.draw()
    assert overlapping(site_labels(fig)) == []
    content = summary_content(small, settings, today=date(2026, 1, 1))
    assert content.title == "Kleinschalige economie in Almere"


def test_pipeline_writes_summary_and_workbook_into_publicatie(tmp_path: Path) -> None:
    result = ag.run(
        ag.load_settings(), out_dir=tmp_path / "out", steps=["density", "hotspots", "sites"]
    )
    for key, name in [
        ("summary", "samenvatting.pdf"),
        ("summary:png", "samenvatting.png"),
        ("workbook", "tabellen.xlsx"),
    ]:
        path = result.files[key]
        assert path.name == name and path.parent.name == "publicatie"
        assert path.is_file() and path.stat().st_size > 10_000
