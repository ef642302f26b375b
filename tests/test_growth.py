"""Growth of establishment counts over time: hand-built frames with answers worked out by hand,
and Almere's real CBS series (the shipped table and the original file in ../shared/data)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from almere_gis._errors import SchemaError
from almere_gis.analysis.growth import (
    CBS_METHOD_BREAKS,
    carry_over,
    growth_notes,
    growth_spans,
    growth_table,
    with_levels,
)
from almere_gis.datasets.generate.cbs import load_cbs_counts

NAN = np.nan


def frame(rows: list[tuple], columns: tuple[str, ...] = ("code", "peildatum", "total", "O-Q")):
    return pd.DataFrame(rows, columns=list(columns))


def row(growth_frame: pd.DataFrame, code: str) -> pd.Series:
    found = growth_frame[growth_frame["code"] == code]
    assert len(found) == 1, code
    return found.iloc[0]


# Two buurten of one wijk, 2019 and 2020: O-Q counted only in 2020, secret in BU00010102.
COUNTS = frame(
    [
        ("BU00010101", 2019, 100, NAN),
        ("BU00010102", 2019, 0, NAN),
        ("BU00010101", 2020, 130, 20),
        ("BU00010102", 2020, 15, NAN),
    ]
)


def test_wijk_and_city_rows_are_sums_of_buurten() -> None:
    levels = with_levels(COUNTS)
    wijk = levels[(levels["code"] == "WK000101") & (levels["peildatum"] == date(2020, 1, 1))]
    assert wijk["total"].tolist() == [145.0] and wijk["source"].tolist() == ["summed"]
    # a sum over a buurt with a secret value is missing, never a partial total
    assert wijk["O-Q"].isna().all()
    city = levels[(levels["code"] == "GM0001") & (levels["peildatum"] == date(2019, 1, 1))]
    assert city["total"].tolist() == [100.0]
    assert levels["level"].tolist()[:4] == ["gemeente", "wijk", "buurt", "buurt"]


def test_a_given_wijk_row_is_kept() -> None:
    given = pd.concat([COUNTS, frame([("WK000101", 2020, 150, 25)])], ignore_index=True)
    levels = with_levels(given)
    wijk = levels[(levels["code"] == "WK000101") & (levels["peildatum"] == date(2020, 1, 1))]
    assert wijk["total"].tolist() == [150.0] and wijk["source"].tolist() == ["given"]


def test_absolute_and_relative_change() -> None:
    g = growth_table(COUNTS, 2019, 2020)
    b1, b2 = row(g.table, "BU00010101"), row(g.table, "BU00010102")
    assert (b1["total_start"], b1["total_end"], b1["total_change"]) == (100, 130, 30)
    assert b1["total_change_pct"] == pytest.approx(0.30)
    assert b2["total_change"] == 15 and np.isnan(b2["total_change_pct"])  # from 0: undefined
    assert row(g.table, "GM0001")["total_change"] == 45
    assert set(g.table["level"]) == {"buurt", "wijk", "gemeente"}
    assert g.uncounted == ("O-Q",)


def test_comparable_total_leaves_out_groups_not_counted_in_both_years() -> None:
    g = growth_table(COUNTS, 2019, 2020)
    b1 = row(g.table, "BU00010101")
    assert (b1["total_comparable_start"], b1["total_comparable_end"]) == (100, 110)
    assert b1["total_comparable_change_pct"] == pytest.approx(0.10)
    # O-Q secret in 2020 for this buurt: its comparable total is unknown, not the total
    assert np.isnan(row(g.table, "BU00010102")["total_comparable_end"])


@pytest.mark.parametrize(
    ("start", "end", "crossed"),
    [(2019, 2020, True), (2018, 2021, True), (2018, 2019, False), (2020, 2021, False)],
)
def test_method_break_flagged_on_every_span_across_it(start: int, end: int, crossed: bool) -> None:
    counts = frame([("GM0034", y, 100 + y - 2018, 1) for y in range(2018, 2022)])
    g = growth_table(counts, start, end)
    assert g.table["method_break"].tolist() == [crossed]
    assert g.breaks == (CBS_METHOD_BREAKS if crossed else ())


def test_redivision_without_polygons_compares_matching_codes_and_lists_the_rest() -> None:
    counts = frame(
        [
            ("BU00010101", 2021, 100, 10),
            ("BU00010102", 2021, 40, 5),
            ("BU00010101", 2022, 110, 10),
            ("BU00010111", 2022, 30, 5),
            ("BU00010112", 2022, 20, 0),
        ]
    )
    g = growth_table(counts, 2021, 2022)
    buurten = g.table[g.table["level"] == "buurt"]
    assert buurten["code"].tolist() == ["BU00010101"]
    assert buurten["redivision"].all() and not buurten["estimate"].any()
    # the wijk kept its code and boundary: its growth stands, no re-division there
    assert not row(g.table, "WK000101")["redivision"]
    unmatched = g.unmatched.sort_values("code")
    assert unmatched["code"].tolist() == ["BU00010102", "BU00010111", "BU00010112"]
    assert unmatched["reason"].tolist() == ["start_only", "end_only", "end_only"]
    assert unmatched["peildatum"].tolist() == [date(2021, 1, 1), date(2022, 1, 1), date(2022, 1, 1)]


def _squares(codes: list[str], edges: list[float]) -> gpd.GeoDataFrame:
    boxes = [shapely.box(a, 0, b, 100) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return gpd.GeoDataFrame({"buurt_code": codes}, geometry=boxes, crs="EPSG:28992")


OLD = _squares(["BU00010101", "BU00010102"], [0, 100, 200])
NEW = _squares(["BU00010111", "BU00010112", "BU00010113"], [0, 50, 150, 200])


def test_carry_over_shares_counts_by_area() -> None:
    figures = frame([("BU00010101", 2021, 100, 10), ("BU00010102", 2021, 40, NAN)])
    carried = carry_over(figures, OLD, NEW, ["total", "O-Q"])
    assert carried["code"].tolist() == NEW["buurt_code"].tolist()
    assert carried["total"].tolist() == pytest.approx([50, 70, 20])
    assert carried["total"].sum() == pytest.approx(140)  # nothing lost, nothing made up
    # O-Q is missing in BU00010102: every new buurt touching it has no estimate
    assert carried["O-Q"].tolist()[0] == pytest.approx(5) and carried["O-Q"].isna().tolist() == [
        False, True, True
    ]  # fmt: skip
    # a new buurt the old polygons cover only half of is not estimated
    half = _squares(["BU00010121"], [150, 250])
    assert carry_over(figures, OLD, half, ["total"])["total"].isna().all()


def test_redivision_with_polygons_of_both_years_is_an_estimate() -> None:
    counts = frame(
        [
            ("BU00010101", 2021, 100, 10),
            ("BU00010102", 2021, 40, 6),
            ("BU00010103", 2021, 5, 0),  # a buurt without a polygon
            ("BU00010111", 2022, 60, 6),
            ("BU00010112", 2022, 70, 8),
            ("BU00010113", 2022, 30, 3),
        ]
    )
    g = growth_table(counts, 2021, 2022, polygons=(OLD, NEW))
    buurten = g.table[g.table["level"] == "buurt"].set_index("code")
    assert buurten["total_start"].tolist() == pytest.approx([50, 70, 20])
    assert buurten["total_change"].tolist() == pytest.approx([10, 0, 10])
    assert buurten["estimate"].all() and buurten["redivision"].all()
    assert row(g.table, "WK000101")["estimate"]
    city = row(g.table, "GM0001")  # summed from all buurten of each year: exact
    assert (city["total_start"], city["total_end"], city["estimate"]) == (145, 160, False)
    lost = g.unmatched[g.unmatched["reason"] == "no_polygon"]
    assert lost["code"].tolist() == ["BU00010103"]


def test_spans_consecutive_and_overall() -> None:
    counts = frame([("GM0034", y, v, NAN) for y, v in [(2018, 10), (2019, 11), (2020, 15)]])
    g = growth_spans(counts)
    spans = list(zip(g.table["start"], g.table["end"], strict=True))
    assert [(a.year, b.year) for a, b in spans] == [(2018, 2019), (2019, 2020), (2018, 2020)]
    assert g.table["method_break"].tolist() == [False, True, True]
    with pytest.raises(SchemaError, match="fewer than two peildatums"):
        growth_spans(counts[counts["peildatum"] == 2018])


def test_notes_in_both_languages() -> None:
    counts = frame([("GM0034", 2019, 17440, NAN), ("GM0034", 2020, 23020, 4115)])
    g = growth_table(counts, 2019, 2020)
    nl, en = growth_notes(g, "nl"), growth_notes(g, "en")
    assert len(nl) == len(en) == 2
    assert "methodebreuk" in nl[0] or "telling" in nl[0]
    assert en[1] == (
        "From 1 January 2019 to 1 January 2020 without O-Q (not counted in both years): +8.4 %."
    )
    redivided = growth_table(
        frame([("BU00010101", 2021, 1, 0), ("BU00010111", 2022, 1, 0)]), 2021, 2022
    )
    assert "2 codes" in growth_notes(redivided, "en")[0]


def test_bad_frames_are_refused_with_the_fix() -> None:
    with pytest.raises(SchemaError, match="columns \\['peildatum'\\] missing"):
        growth_table(COUNTS.drop(columns="peildatum"), 2019, 2020)
    with pytest.raises(SchemaError, match="not CBS codes.*give a level column"):
        growth_table(COUNTS.assign(code="X1"), 2019, 2020)
    twice = pd.concat([COUNTS, COUNTS.iloc[:1]])
    with pytest.raises(SchemaError, match="BU00010101 appears twice for 2019-01-01"):
        growth_table(twice, 2019, 2020)


# --- Almere's real CBS series ------------------------------------------------------------------


def test_real_almere_growth_2018_2021_from_the_shipped_table() -> None:
    counts = load_cbs_counts()
    g = growth_spans(counts, measures=["total", "A", "B-F", "G+I", "H+J", "K+L", "M+N", "O-Q",
                                       "R-U"])  # fmt: skip
    city = g.table[g.table["level"] == "gemeente"].set_index(["start", "end"])
    overall = city.loc[(date(2018, 1, 1), date(2021, 1, 1))]
    assert (overall["total_start"], overall["total_end"]) == (16250, 24355)
    assert overall["total_change_pct"] == pytest.approx(24355 / 16250 - 1)
    assert overall["method_break"]
    jump = city.loc[(date(2019, 1, 1), date(2020, 1, 1))]
    assert jump["total_change_pct"] == pytest.approx(0.32, abs=0.005)
    assert jump["total_comparable_change_pct"] == pytest.approx(18905 / 17440 - 1)
    # 2018-2021 share the old division, yet CBS added buurten (BU00340111 in 2020, two in 2021)
    added = g.unmatched[g.unmatched["reason"] == "end_only"]["code"]
    assert {"BU00340111", "BU00340406", "BU00340407"} <= set(added)
    assert not g.table[g.table["level"] == "wijk"]["redivision"].any()


@pytest.fixture(scope="module")
def kerncijfers() -> pd.DataFrame:
    from conftest import require
    from test_demo_calibration import KERNCIJFERS, read_kerncijfers

    require(KERNCIJFERS.is_file(), "the CBS Kerncijfers file is not at ../shared/data")
    cbs = read_kerncijfers(Path(KERNCIJFERS))
    return cbs.rename(columns={"year": "peildatum"})


def test_real_file_every_year_and_the_2022_redivision(kerncijfers: pd.DataFrame) -> None:
    g = growth_spans(kerncijfers, [2018, 2019, 2020, 2021, 2022, 2023, 2024])
    city = g.table[g.table["level"] == "gemeente"]
    ends = city.drop_duplicates("end").set_index("end")["total_end"]
    assert [int(ends[date(y, 1, 1)]) for y in range(2019, 2025)] == [
        17440, 23020, 24355, 27120, 29045, 31655
    ]  # fmt: skip
    # 1-1-2022: 238 buurten and 71 wijken instead of 69 and 6; flagged on both levels
    span = g.table[(g.table["start"] == date(2021, 1, 1)) & (g.table["end"] == date(2022, 1, 1))]
    assert span[span["level"] != "gemeente"]["redivision"].all()
    assert not span[span["level"] == "gemeente"]["redivision"].any()
    unmatched = g.unmatched[g.unmatched["peildatum"] == date(2022, 1, 1)]
    assert (unmatched["level"] == "wijk").sum() >= 65
    assert (unmatched["level"] == "buurt").sum() >= 200
    notes = growth_notes(g, "nl")
    assert any("buurtindeling veranderde" in n for n in notes)
