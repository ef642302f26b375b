"""The CBS Kerncijfers loader: the real StatLine export of Almere and small exports of any
gemeente written here (suffixes that change per year, secret cells, bad values)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import ROOT, require

from almere_gis import io as ag_io
from almere_gis._errors import InputError, SchemaError
from almere_gis.analysis.growth import growth_table
from almere_gis.datasets.generate.cbs import CBS_SBI_GROUPS
from almere_gis.io.kerncijfers import KERNCIJFERS_SECTORS, join_kerncijfers, read_kerncijfers

KERNCIJFERS = ROOT.parent / "shared" / "data" / "cbs_kerncijfers_almere_2018-2025.csv"
ALMERE_TOTALS = {
    2018: 16250, 2019: 17440, 2020: 23020, 2021: 24355, 2022: 27120, 2023: 29045, 2024: 31655,
}  # fmt: skip


@pytest.fixture(scope="module")
def almere() -> pd.DataFrame:
    require(KERNCIJFERS.is_file(), "the CBS Kerncijfers file is not at ../shared/data")
    return read_kerncijfers(KERNCIJFERS)


def test_almere_totals_for_every_year(almere: pd.DataFrame) -> None:
    city = almere[almere["level"] == "gemeente"].set_index("peildatum")["n_establishments"]
    years = {day.year: value for day, value in city.items()}
    assert sorted(years) == list(range(2018, 2026))
    assert {y: int(v) for y, v in years.items() if y <= 2024} == ALMERE_TOTALS
    assert np.isnan(years[2025])  # not yet published: missing, not 0


def test_almere_levels_groups_and_redivision(almere: pd.DataFrame) -> None:
    assert list(almere.columns[:4]) == ["code", "level", "peildatum", "gemeente_name"]
    assert [*almere.columns[4:]] == ["n_establishments", *KERNCIJFERS_SECTORS]
    per_year = almere.groupby([almere["peildatum"].dt.year, "level"]).size().unstack()
    assert per_year.loc[2018, "gemeente"] == 1 and per_year.loc[2018, "wijk"] == 6
    assert per_year.loc[2022, "wijk"] == 71 and per_year.loc[2022, "buurt"] == 238
    city = almere[almere["level"] == "gemeente"]
    city = city.set_index(city["peildatum"].dt.year)
    assert city["O-Q"].loc[[2018, 2019]].isna().all()  # counted from 2020 on
    assert int(city.loc[2020, "O-Q"]) == 4115
    assert (almere["gemeente_name"] == "Almere").all()


def test_filters_by_gemeente_and_year(almere: pd.DataFrame) -> None:
    one = read_kerncijfers(KERNCIJFERS, gemeente="GM0034", years=[2021])
    assert set(one["peildatum"].dt.year) == {2021}
    pd.testing.assert_frame_equal(
        one, almere[almere["peildatum"].dt.year == 2021].reset_index(drop=True)
    )
    assert len(read_kerncijfers(KERNCIJFERS, gemeente="almere", years=[2021])) == len(one)
    assert len(read_kerncijfers(KERNCIJFERS, gemeente="34", years=[2021])) == len(one)
    with pytest.raises(SchemaError) as err:
        read_kerncijfers(KERNCIJFERS, gemeente="GM0363")
    assert str(err.value) == (
        f"{KERNCIJFERS}: no rows for gemeente 'GM0363' and years []. Fix: check the gemeente"
        " code and the years (or export them from StatLine)"
    )


def test_growth_table_accepts_the_frame(almere: pd.DataFrame) -> None:
    growth = growth_table(almere, 2019, 2020, total="n_establishments")
    city = growth.table[growth.table["level"] == "gemeente"].iloc[0]
    assert city["n_establishments_change"] == 23020 - 17440
    assert city["n_establishments_comparable_change"] == 23020 - 4115 - 17440
    assert city["method_break"]
    assert "O-Q" in growth.uncounted
    later = growth_table(almere, 2021, 2022, total="n_establishments")
    assert later.table["redivision"].any() and len(later.unmatched) > 200


def test_the_embedded_counts_agree_with_the_loader(almere: pd.DataFrame) -> None:
    from almere_gis.datasets.generate.cbs import load_cbs_counts

    shipped = load_cbs_counts()
    ours = almere[almere["peildatum"].dt.year <= 2021].reset_index(drop=True)
    assert list(shipped["code"]) == list(ours["code"])
    np.testing.assert_array_equal(
        shipped["total"].astype("float64").to_numpy(), ours["n_establishments"].to_numpy()
    )
    for group in CBS_SBI_GROUPS:
        np.testing.assert_array_equal(
            shipped[group.key].astype("float64").to_numpy(), ours[group.key].to_numpy()
        )


def test_sector_stems_match_the_demo_groups() -> None:
    assert KERNCIJFERS_SECTORS == {g.key: g.stem for g in CBS_SBI_GROUPS}


def test_exported_from_io() -> None:
    assert ag_io.read_kerncijfers is read_kerncijfers


def _export(path: Path, rows: list[dict[str, str]]) -> Path:
    """A StatLine-like export: ';', UTF-8 with BOM, space-padded values."""
    header = list(rows[0])
    lines = [";".join(header)] + [";".join(f"{r.get(c, ''):<10}" for c in header) for r in rows]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row(day: str, kind: str, code: str, total: str, **cells: str) -> dict[str, str]:
    base = {"ID": "1", "Peildatum": day, "WijkenEnBuurten": code, "Gemeentenaam_1": "Zwolle",
            "SoortRegio_2": kind, "Codering_3": code}  # fmt: skip
    for column in ("BedrijfsvestigingenTotaal_91", "BedrijfsvestigingenTotaal_95"):
        base[column] = ""
    base |= {"GIHandelEnHoreca_94": "", "GIHandelEnHoreca_98": ""}
    column = (
        "BedrijfsvestigingenTotaal_91" if day.endswith("2021") else "BedrijfsvestigingenTotaal_95"
    )
    base[column] = total
    return base | cells


def test_another_gemeente_with_suffixes_per_year(tmp_path: Path) -> None:
    path = _export(tmp_path / "zwolle.csv", [
        _row("1-1-2021", "Land", "NL01", "2000000"),  # the country row is left out
        _row("1-1-2021", "Gemeente", "GM0193", "9000", GIHandelEnHoreca_94="2000"),
        _row("1-1-2021", "Buurt", "BU01930101", "."),
        _row("1-1-2024", "Gemeente", "GM0193", "9500", GIHandelEnHoreca_98="2100"),
        _row("1-1-2024", "Buurt", "BU01930101", "35"),
    ])  # fmt: skip
    frame = read_kerncijfers(path, gemeente="Zwolle")
    assert frame["n_establishments"].tolist()[:1] == [9000.0]
    assert np.isnan(frame["n_establishments"].iloc[1])  # "." is secret
    assert frame["n_establishments"].tolist()[2:] == [9500.0, 35.0]
    assert frame["G+I"].tolist()[::2] == [2000.0, 2100.0]
    assert frame["O-Q"].isna().all()  # a group the export lacks is missing, not 0
    assert frame["level"].tolist() == ["gemeente", "buurt"] * 2


def test_two_filled_columns_for_one_figure(tmp_path: Path) -> None:
    row = _row("1-1-2024", "Gemeente", "GM0193", "9500", BedrijfsvestigingenTotaal_91="9400")
    path = _export(tmp_path / "twice.csv", [row])
    with pytest.raises(SchemaError) as err:
        read_kerncijfers(path)
    assert str(err.value) == (
        f"{path}, row 2: two columns hold the same figure: BedrijfsvestigingenTotaal_91,"
        " BedrijfsvestigingenTotaal_95. Fix: keep one column per figure and year (export each"
        " year from StatLine unchanged)"
    )


def test_a_value_that_is_no_number(tmp_path: Path) -> None:
    path = _export(tmp_path / "text.csv", [
        _row("1-1-2024", "Gemeente", "GM0193", "9500"),
        _row("1-1-2024", "Buurt", "BU01930101", "veel"),
    ])  # fmt: skip
    with pytest.raises(SchemaError) as err:
        read_kerncijfers(path)
    assert str(err.value) == (
        f"{path}, row 3: BedrijfsvestigingenTotaal_95 = 'veel' is not a number. Fix: export the"
        " table again from StatLine (values as numbers, '.' for secret)"
    )


def test_not_a_kerncijfers_table(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Peildatum;Codering_3;AantalInwoners_5\n1-1-2024;GM0193;1000\n", "utf-8")
    with pytest.raises(InputError) as err:
        read_kerncijfers(path)
    assert str(err.value) == (
        f"{path}: not a Kerncijfers table with establishment counts (no column"
        " BedrijfsvestigingenTotaal). Fix: download 'Kerncijfers wijken en buurten' from CBS"
        " StatLine as CSV with the columns Peildatum, Codering and Bedrijfsvestigingen"
    )


def test_bad_peildatum_and_code(tmp_path: Path) -> None:
    path = _export(tmp_path / "day.csv", [_row("2024", "Gemeente", "GM0193", "1")])
    with pytest.raises(SchemaError, match=r"row 2: peildatum '2024' is not a date like 1-1-2024"):
        read_kerncijfers(path)
    path = _export(tmp_path / "code.csv", [_row("1-1-2024", "Buurt", "0193", "1")])
    with pytest.raises(SchemaError, match=r"row 2: area code '0193' is not a CBS code"):
        read_kerncijfers(path)


def test_join_reports_codes_without_polygon(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _export(tmp_path / "join.csv", [
        _row("1-1-2024", "Buurt", "BU01930101", "35"),
        _row("1-1-2024", "Buurt", "BU01930102", "40"),
    ])  # fmt: skip
    frame = read_kerncijfers(path)
    squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    polygons = gpd.GeoDataFrame(
        {"buurt_code": ["BU01930101", "BU01930199"]}, geometry=squares, crs="EPSG:28992"
    )
    with caplog.at_level("WARNING", logger="almere_gis"):
        joined = join_kerncijfers(frame, polygons, peildatum=2024)
    assert caplog.messages == [
        "Kerncijfers 01-01-2024: 1 buurt code(s) without a polygon: BU01930102"
    ]
    assert joined.without_polygon == ("BU01930102",)
    assert joined.without_figures == ("BU01930199",)
    assert joined.areas["n_establishments"].iloc[0] == 35
    assert np.isnan(joined.areas["n_establishments"].iloc[1])
