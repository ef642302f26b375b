"""Formula-safe tables: every CSV a run writes and the workbook neutralise formula-like text."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from almere_gis.outputs.tables import FORMULA_START, safe_frame, safe_text, write_csv
from almere_gis.outputs.workbook import safe_text as workbook_safe_text

RISKY = ["=1+1", "+31 6 12345678", "-x", "@SUM(A1)", "\tTab", "\rCR"]


@pytest.mark.parametrize("value", RISKY)
def test_formula_like_text_gets_an_apostrophe(value: str) -> None:
    assert safe_text(value) == "'" + value
    assert workbook_safe_text is safe_text  # one function for CSV and XLSX


def test_plain_text_and_numbers_are_left_alone(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"name": ["Bakkerij", "=1+1", None], "n": [-3, 4, 5], "share": [-0.5, 0.1, 0.2]}
    )
    out = safe_frame(frame)
    assert out["name"].tolist()[:2] == ["Bakkerij", "'=1+1"] and pd.isna(out["name"].iloc[2])
    assert out["n"].tolist() == [-3, 4, 5] and out["share"].tolist() == [-0.5, 0.1, 0.2]


def test_write_csv_neutralises_every_text_cell_and_marks_hidden_ones(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "site_id": RISKY,
            "name": ["ok", '=HYPERLINK("x")', "+31", "-x", "@SUM", "fine"],
            "n_zzp": [3.0, 12.0, 7.0, 1.0, 8.0, 9.0],
            "=evil_header": [1, 2, 3, 4, 5, 6],
        }
    )
    hidden = pd.DataFrame({"n_zzp": [True, False, False, True, False, False]})
    path = write_csv(frame, tmp_path / "t.csv", hidden=hidden, min_count=5, language="nl")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell
    assert rows[0][-1] == "'=evil_header"
    assert [r[2] for r in rows[1:]] == ["< 5", "12.0", "7.0", "< 5", "8.0", "9.0"]
    assert rows[1][0] == "'=1+1" and rows[3][1] == "'+31" and rows[5][1] == "'@SUM"
