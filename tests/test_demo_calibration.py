"""The demo register against the original CBS files in ../shared/data (issue 13.2).

Targets: establishments per buurt within 5 % of CBS (1-1-2019) for every buurt with at least 20,
Pearson >= 0.98 over all buurten, every CBS sector group's share within 1 point of CBS, the
report's job totals (79,000; 34,000 = 43 % in residential buurten), every point inside its real
buurt. CBS counts O-Q (government, education, care) only from 1-1-2020 on, so the 2019 figures
are compared with the register without SBI 84-88, and O-Q with CBS's count of 1-1-2020.

The CBS files are read here by small readers of their own, not by the scripts that made the
shipped tables, so that a fault in those scripts cannot hide itself. Skipped without the files,
failing under CI=true.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from almere_gis.analysis.typology import area_typology
from almere_gis.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
KERNCIJFERS = ROOT.parent / "shared" / "data" / "cbs_kerncijfers_almere_2018-2025.csv"
GROUPS = {
    "ALandbouwBosbouwEnVisserij": "A",
    "BFNijverheidEnEnergie": "B-F",
    "GIHandelEnHoreca": "G+I",
    "HJVervoerInformatieEnCommunicatie": "H+J",
    "KLFinancieleDienstenOnroerendGoed": "K+L",
    "MNZakelijkeDienstverlening": "M+N",
    "OQOverheidOnderwijsEnZorg": "O-Q",
    "RUCultuurRecreatieOverigeDiensten": "R-U",
}
# SBI divisions of each CBS group (SBI 2008 sections, see DOMAIN.md).
DIVISIONS = {
    "A": range(1, 4),
    "B-F": range(5, 44),
    "G+I": [*range(45, 48), 55, 56],
    "H+J": [*range(49, 54), *range(58, 64)],
    "K+L": [64, 65, 66, 68],
    "M+N": [*range(69, 76), *range(77, 83)],
    "O-Q": range(84, 89),
    "R-U": range(90, 100),
}


@pytest.fixture(scope="module")
def kerncijfers_path() -> Path:
    from conftest import require

    require(KERNCIJFERS.is_file(), "the CBS Kerncijfers file is not at ../shared/data")
    return KERNCIJFERS


def read_kerncijfers(path: Path) -> pd.DataFrame:
    """Establishments per area and year: code, year, total and one column per group."""
    raw = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str)
    raw = raw.apply(lambda col: col.str.strip())
    out = pd.DataFrame({"code": raw["Codering_3"], "year": raw["Peildatum"].str[-4:].astype(int)})
    for stem, key in {"BedrijfsvestigingenTotaal": "total", **GROUPS}.items():
        columns = [c for c in raw.columns if re.sub(r"_\d+$", "", c) == stem]
        values = raw[columns].replace(".", np.nan).apply(pd.to_numeric)
        assert (values.notna().sum(axis=1) <= 1).all(), stem  # one column per year
        out[key] = values.max(axis=1)
    return out


@pytest.fixture(scope="module")
def cbs(kerncijfers_path: Path) -> pd.DataFrame:
    return read_kerncijfers(kerncijfers_path)


@pytest.fixture(scope="module")
def joined(shared_cbs_path: Path) -> gpd.GeoDataFrame:
    """The committed register joined to the real CBS polygons (repaired, in RD New)."""
    real = gpd.read_file(shared_cbs_path).to_crs("EPSG:28992")
    real["geometry"] = shapely.make_valid(real.geometry.to_numpy())
    table = pd.read_csv(ROOT / "shapefiles" / "demo_vestigingen.csv", dtype={"sbi": str})
    points = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["x"], table["y"]), crs="EPSG:28992"
    )
    columns = ["BU_CODE", "BU_NAAM", "WONINGEN", "OPP_LAND", "geometry"]
    out = gpd.sjoin(points, real[columns], predicate="within", how="left")
    out.attrs["n_rows"] = len(table)
    out.attrs["codes"] = sorted(real["BU_CODE"])
    facts = real.rename(
        columns={
            "BU_CODE": "buurt_code",
            "BU_NAAM": "buurt_name",
            "WONINGEN": "homes",
            "OPP_LAND": "area_land_ha",
        }  # fmt: skip
    )
    kind = area_typology(facts, load_settings().typology).to_numpy()
    out["kind"] = out["BU_CODE"].map(dict(zip(facts["buurt_code"], kind, strict=True)))
    division = out["sbi"].str[:2].astype(int)
    out["group"] = None
    for key, divisions in DIVISIONS.items():
        out.loc[division.isin(list(divisions)), "group"] = key
    out["jobs"] = out["wp_voltijd"] + out["wp_deeltijd"]
    return out


def test_cbs_city_totals_every_year(cbs: pd.DataFrame) -> None:
    city = cbs[cbs["code"] == "GM0034"].set_index("year")["total"]
    assert city.reindex(range(2018, 2025)).astype(int).tolist() == [
        16250, 17440, 23020, 24355, 27120, 29045, 31655
    ]  # fmt: skip
    assert np.isnan(city.loc[2025])  # not published yet


def test_every_point_lies_inside_one_real_buurt(
    joined: gpd.GeoDataFrame, shared_cbs_path: Path
) -> None:
    assert len(joined) == joined.attrs["n_rows"]  # no point in two buurten
    assert joined["BU_CODE"].notna().all()  # none outside
    real = gpd.read_file(shared_cbs_path).to_crs("EPSG:28992").set_index("BU_CODE")
    edges = shapely.boundary(shapely.make_valid(real.geometry.loc[joined["BU_CODE"]].to_numpy()))
    # 2 m inside the polygons rounded to 0.1 m: at least 1.9 m inside the originals
    assert shapely.distance(joined.geometry.to_numpy(), edges).min() >= 1.9


def test_establishments_per_buurt_follow_cbs_2019(
    joined: gpd.GeoDataFrame, cbs: pd.DataFrame
) -> None:
    y2019 = cbs[(cbs["year"] == 2019) & cbs["code"].str.startswith("BU")].set_index("code")
    codes = joined.attrs["codes"]
    assert len(codes) == 63
    ours = joined[joined["group"] != "O-Q"].groupby("BU_CODE").size().reindex(codes, fill_value=0)
    theirs = y2019["total"].reindex(codes).fillna(0)
    big = theirs >= 20
    assert big.sum() >= 50
    assert ((ours[big] / theirs[big] - 1).abs() <= 0.05).all()
    assert np.corrcoef(ours, theirs)[0, 1] >= 0.98
    # O-Q as CBS counts it on 1-1-2020, the first year it does
    y2020 = cbs[(cbs["year"] == 2020) & cbs["code"].str.startswith("BU")].set_index("code")
    oq = joined[joined["group"] == "O-Q"].groupby("BU_CODE").size().reindex(codes, fill_value=0)
    theirs_oq = y2020["O-Q"].reindex(codes).fillna(0)
    big = theirs_oq >= 20
    assert ((oq[big] / theirs_oq[big] - 1).abs() <= 0.05).all()
    assert np.corrcoef(oq, theirs_oq)[0, 1] >= 0.98


def test_sector_shares_follow_cbs_2019(joined: gpd.GeoDataFrame, cbs: pd.DataFrame) -> None:
    city = cbs[(cbs["year"] == 2019) & (cbs["code"] == "GM0034")].iloc[0]
    assert np.isnan(city["O-Q"])  # not counted in 2019
    keys = [k for k in GROUPS.values() if k != "O-Q"]
    assert city[keys].sum() == city["total"]
    ours = joined["group"][joined["group"] != "O-Q"].value_counts(normalize=True)
    theirs = city[keys] / city["total"]
    for key in keys:
        assert abs(ours.get(key, 0.0) - theirs[key]) <= 0.01, key


def test_jobs_follow_the_report(joined: gpd.GeoDataFrame) -> None:
    total = joined["jobs"].sum()
    residential = joined.loc[joined["kind"] == "wonen", "jobs"].sum()
    assert total == pytest.approx(79_000, rel=0.02)
    assert residential == pytest.approx(34_000, rel=0.03)
    assert residential / total == pytest.approx(0.43, abs=0.01)


def _run(script: str, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_shipped_polygons_regenerate_byte_identically(
    shared_cbs_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "buurten.geojson"
    _run("extract_demo_buurten.py", "--source", str(shared_cbs_path), "--target", str(target))
    committed = ROOT / "almere_gis" / "datasets" / "data" / "almere_buurten_cbs.geojson"
    assert target.read_bytes() == committed.read_bytes()
    # every buurt's area within 0.5 % of the original polygon
    ours = gpd.read_file(target).set_index("BU_CODE")
    real = gpd.read_file(shared_cbs_path).to_crs("EPSG:28992").set_index("BU_CODE")
    original = shapely.area(shapely.make_valid(real.geometry.loc[ours.index].to_numpy()))
    assert np.abs(ours.geometry.area.to_numpy() / original - 1).max() <= 0.005


def test_shipped_counts_regenerate_byte_identically(
    kerncijfers_path: Path, cbs: pd.DataFrame, tmp_path: Path
) -> None:
    target = tmp_path / "counts.csv"
    _run("extract_cbs_counts.py", "--source", str(kerncijfers_path), "--target", str(target))
    committed = ROOT / "almere_gis" / "datasets" / "data" / "cbs_vestigingen_almere.csv"
    assert target.read_bytes() == committed.read_bytes()
    # and the table says what the independent reader above reads
    shipped = pd.read_csv(committed)
    shipped["year"] = shipped["peildatum"].str[:4].astype(int)
    mine = cbs[cbs["year"].between(2018, 2021)]
    merged = shipped.merge(mine, on=["code", "year"], suffixes=("", "_cbs"), validate="1:1")
    assert len(merged) == len(shipped) == len(mine)
    for key in ["total", *GROUPS.values()]:
        pd.testing.assert_series_equal(
            merged[key].astype("float64"), merged[f"{key}_cbs"].astype("float64"),
            check_names=False,
        )  # fmt: skip
