"""Tests of the embedded demo data: reproducibility, geometry acceptance, calibration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from almere_gis.datasets.generate import (
    DEMO_FILES,
    EDGE_M,
    _area_types,
    _largest_remainder,
    generate_businesses,
    generate_demo_data,
    load_buurt_facts,
)
from almere_gis.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "shapefiles"
LISA_COLUMNS = [
    "vestigingsnummer",
    "handelsnaam",
    "sbi",
    "wp_voltijd",
    "wp_deeltijd",
    "aan_huis",
    "gebruiksdoel",
    "startjaar",
    "sociale_onderneming",
    "x",
    "y",
]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo_data(out)
    return out


@pytest.fixture(scope="module")
def buurten(demo_dir: Path) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(demo_dir / "demo_buurten.shp")
    facts = pd.DataFrame(
        {
            "buurt_code": gdf["BU_CODE"],
            "buurt_name": gdf["BU_NAAM"],
            "homes": gdf["WONINGEN"].clip(lower=0),
            "area_land_ha": gdf["OPP_LAND"],
        }
    )
    gdf["kind"] = _area_types(facts, load_settings().typology)
    return gdf


@pytest.fixture(scope="module")
def businesses(demo_dir: Path, buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    table = pd.read_csv(
        demo_dir / "demo_vestigingen.csv", dtype={"vestigingsnummer": str, "sbi": str}
    )
    points = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["x"], table["y"]), crs="EPSG:28992"
    )
    joined = gpd.sjoin(points, buurten[["BU_CODE", "kind", "geometry"]], predicate="within")
    joined = joined.drop(columns="index_right")
    joined["jobs"] = joined["wp_voltijd"] + joined["wp_deeltijd"]
    joined.attrs["n_input"] = len(table)
    return joined


# --- reproducibility and files ---------------------------------------------------------------


@pytest.mark.parametrize("name", DEMO_FILES)
def test_regenerates_byte_identical_to_committed(demo_dir: Path, name: str) -> None:
    committed = COMMITTED / name
    assert committed.is_file(), f"{committed} missing: run `almere-gis demo-data`"
    assert (demo_dir / name).read_bytes() == committed.read_bytes()


def test_committed_demo_is_small() -> None:
    total = sum((COMMITTED / name).stat().st_size for name in DEMO_FILES)
    assert total < 10 * 1024 * 1024


def test_dbf_header_date_is_fixed(demo_dir: Path) -> None:
    header = (demo_dir / "demo_buurten.dbf").read_bytes()[1:4]
    assert (1900 + header[0], header[1], header[2]) == (2023, 1, 1)


def test_other_seed_gives_other_register(buurten: gpd.GeoDataFrame) -> None:
    plain = buurten.drop(columns="kind")
    a = generate_businesses(plain, seed=1)
    b = generate_businesses(plain, seed=2)
    assert not a["vestigingsnummer"].equals(b["vestigingsnummer"])
    assert a.equals(generate_businesses(plain, seed=1))


def test_ogrinfo_reads_without_warnings(demo_dir: Path, gdal_tools: None) -> None:
    for name in ("demo_buurten.shp", "demo_wijken.shp", "demo_kandidaatlocaties.shp"):
        run = subprocess.run(
            ["ogrinfo", "-al", "-so", str(demo_dir / name)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "warning" not in (run.stdout + run.stderr).lower(), run.stderr
        assert "28992" in run.stdout or "Amersfoort" in run.stdout


# --- geometry acceptance ---------------------------------------------------------------------


def test_buurten_schema_and_crs(buurten: gpd.GeoDataFrame) -> None:
    expected = ["BU_CODE", "BU_NAAM", "WK_CODE", "WK_NAAM", "GM_CODE", "GM_NAAM", "AANT_INW",
                "AANTAL_HH", "WONINGEN", "OPP_TOT", "OPP_LAND", "OPP_WATER",
                "AF_TREINST"]  # fmt: skip
    assert list(buurten.columns[: len(expected)]) == expected
    assert buurten.crs.to_epsg() == 28992
    assert len(buurten) == 63 and buurten["BU_CODE"].is_unique
    assert buurten.geometry.is_valid.all()


def test_buurt_areas_match_cbs_land_area(buurten: gpd.GeoDataFrame) -> None:
    big = buurten[buurten["OPP_LAND"] > 10]
    ratio = big.geometry.area / 1e4 / big["OPP_LAND"]
    assert ((ratio - 1).abs() <= 0.35).mean() >= 0.80


def test_buurt_points_inside_own_polygon(buurten: gpd.GeoDataFrame) -> None:
    facts = load_buurt_facts().set_index("buurt_code").loc[buurten["BU_CODE"]]
    inside = shapely.contains_xy(
        buurten.geometry.to_numpy(), facts["centroid_x"].to_numpy(), facts["centroid_y"].to_numpy()
    )
    assert inside.mean() >= 0.95


def test_buurten_have_no_gaps_or_overlaps(buurten: gpd.GeoDataFrame) -> None:
    union = shapely.union_all(buurten.geometry.to_numpy())
    total = buurten.geometry.area.sum()
    assert total == pytest.approx(union.area, rel=1e-3)  # no overlaps
    assert union.geom_type == "Polygon"
    assert total == pytest.approx(shapely.Polygon(union.exterior).area, rel=1e-3)  # no holes


def test_wijken_dissolved_from_buurten(demo_dir: Path, buurten: gpd.GeoDataFrame) -> None:
    wijken = gpd.read_file(demo_dir / "demo_wijken.shp")
    assert sorted(wijken["WK_CODE"]) == sorted(buurten["WK_CODE"].unique())
    sums = buurten.groupby("WK_CODE")["AANT_INW"].sum()
    assert wijken.set_index("WK_CODE")["AANT_INW"].to_dict() == sums.to_dict()
    assert wijken.geometry.area.sum() == pytest.approx(buurten.geometry.area.sum(), rel=1e-6)


# --- business register calibration -----------------------------------------------------------


def test_register_columns_and_values(demo_dir: Path, businesses: gpd.GeoDataFrame) -> None:
    header = (demo_dir / "demo_vestigingen.csv").read_text().splitlines()[0]
    assert header.split(",") == LISA_COLUMNS
    b = businesses
    assert 15_000 <= len(b) <= 25_000
    assert b["vestigingsnummer"].str.fullmatch(r"\d{12}").all()
    assert b["vestigingsnummer"].is_unique
    assert b["sbi"].str.fullmatch(r"\d{4}").all()
    assert (b["jobs"] >= 1).all()
    assert set(b["aan_huis"]) <= {0, 1} and set(b["sociale_onderneming"]) <= {0, 1}
    woon = b["gebruiksdoel"].str.split(";").apply(lambda d: "woonfunctie" in d)
    assert (woon == (b["aan_huis"] == 1)).all()
    assert b["startjaar"].between(1976, 2023).all()


def test_every_point_inside_a_buurt(businesses: gpd.GeoDataFrame) -> None:
    assert len(businesses) == businesses.attrs["n_input"]  # none lost in the "within" join
    assert businesses.index.is_unique  # none on a shared boundary


def test_jobs_total_and_residential_share(businesses: gpd.GeoDataFrame) -> None:
    jobs = businesses["jobs"]
    total = jobs.sum()
    residential = jobs[businesses["kind"] == "wonen"].sum()
    assert total == pytest.approx(79_000, rel=0.02)
    assert residential == pytest.approx(34_000, rel=0.03)
    assert residential / total == pytest.approx(0.43, abs=0.01)


def test_establishments_scale_with_homes_and_land(
    businesses: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame
) -> None:
    counts = businesses.groupby("BU_CODE").size().reindex(buurten["BU_CODE"], fill_value=0)
    b = buurten.assign(n=counts.to_numpy())
    res = b[b["kind"] == "wonen"]
    parks = b[b["kind"] == "bedrijventerrein"]
    assert np.corrcoef(res["n"], res["WONINGEN"].clip(lower=0))[0, 1] > 0.95
    assert np.corrcoef(parks["n"], parks["OPP_LAND"])[0, 1] > 0.95


def test_size_distribution(businesses: gpd.GeoDataFrame) -> None:
    jobs = businesses["jobs"]
    assert (jobs == 1).mean() > 0.5
    large = businesses[jobs >= 100]
    assert len(large) >= 10 and jobs.max() >= 300
    assert large["kind"].isin(["bedrijventerrein", "centrum"]).mean() >= 0.9


def test_home_based_shares(businesses: gpd.GeoDataFrame) -> None:
    share = businesses.groupby("kind")["aan_huis"].mean()
    assert 0.40 <= share["wonen"] <= 0.55
    assert share["bedrijventerrein"] < 0.02


def test_sector_mix_differs_by_area_type(businesses: gpd.GeoDataFrame) -> None:
    div = businesses["sbi"].str[:2].astype(int)
    kind = businesses["kind"]
    home = businesses["aan_huis"] == 1

    def share(mask: pd.Series, where: pd.Series) -> float:
        return float(mask[where].mean())

    making = div.between(10, 33) | (div == 46)
    assert share(making, kind == "bedrijventerrein") > 3 * share(making, kind == "wonen")
    shops = (div == 47) | div.between(55, 56)
    assert share(shops, kind == "centrum") > 1.5 * share(shops, kind != "centrum")
    from_home = div.isin([*range(58, 64), *range(69, 83), 90, 91, *range(94, 97)])
    assert share(from_home, home) > 1.5 * share(from_home, ~home)


def test_home_based_points_cluster_along_streets(
    businesses: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame
) -> None:
    area = buurten.set_index("BU_CODE").geometry.area
    ratios = []
    homes = businesses[(businesses["aan_huis"] == 1) & (businesses["kind"] == "wonen")]
    for code, group in homes.groupby("BU_CODE"):  # 38 buurten
        if len(group) < 30:
            continue
        xy = group[["x", "y"]].to_numpy(dtype=float)
        nearest = cKDTree(xy).query(xy, k=2)[0][:, 1].mean()
        ratios.append(nearest / (0.5 * np.sqrt(area[code] / len(xy))))  # Clark-Evans R
    assert len(ratios) >= 20
    assert np.median(ratios) < 0.8  # uniform random points give about 1


# --- candidate sites -------------------------------------------------------------------------


def test_candidates(demo_dir: Path, buurten: gpd.GeoDataFrame) -> None:
    sites = gpd.read_file(demo_dir / "demo_kandidaatlocaties.shp")
    assert list(sites.columns) == [
        "site_id", "naam", "type", "vloer_m2", "leeg_sinds", "leegstand", "eigendom", "geometry"
    ]  # fmt: skip
    assert 100 <= len(sites) <= 200 and sites["site_id"].is_unique
    assert set(sites["type"]) == {
        "kantoor_leeg", "voormalige_school", "winkelruimte", "bedrijfsverzamelgebouw",
        "gemeentelijk_vastgoed",
    }  # fmt: skip
    assert set(sites["eigendom"]) <= {"gemeente", "corporatie", "particulier", "belegger"}
    assert sites["vloer_m2"].isna().sum() >= 3
    assert sites["leegstand"].between(0, 1).all()
    assert sites["leeg_sinds"].dropna().between(2000, 2023).all()
    assert sites["leeg_sinds"].isna().any()

    joined = gpd.sjoin(sites, buurten[["BU_CODE", "kind", "geometry"]], predicate="within")
    assert len(joined) == len(sites)
    facts = load_buurt_facts().set_index("buurt_code")
    centre = shapely.points(
        joined["BU_CODE"].map(facts["centroid_x"]).to_numpy(dtype=float),
        joined["BU_CODE"].map(facts["centroid_y"]).to_numpy(dtype=float),
    )
    polygons = buurten.set_index("BU_CODE").geometry
    to_edge = shapely.distance(
        joined.geometry.to_numpy(), shapely.boundary(polygons.loc[joined["BU_CODE"]].to_numpy())
    )
    plausible = (
        (joined["kind"] == "centrum").to_numpy()
        | (
            (joined["kind"] == "bedrijventerrein").to_numpy() & (to_edge <= EDGE_M + 3)
        )  # 2 m inset, 1 m grid
        | (
            (joined["kind"] == "wonen").to_numpy()
            & (shapely.distance(joined.geometry.to_numpy(), centre) <= 600)
        )
    )
    assert plausible.all()


# --- facts table and helpers -----------------------------------------------------------------


def test_facts_match_real_cbs_file(shared_cbs_path: Path) -> None:
    real = gpd.read_file(shared_cbs_path).set_index("BU_CODE").sort_index()
    facts = load_buurt_facts().set_index("buurt_code").sort_index()
    assert list(facts.index) == list(real.index) and len(facts) == 63
    for src, dst in [("AANT_INW", "inhabitants"), ("AANTAL_HH", "households"),
                     ("WONINGEN", "homes"), ("OPP_LAND", "area_land_ha"),
                     ("OPP_TOT", "area_total_ha")]:  # fmt: skip
        expected = real[src].where(real[src] > -99995)
        got = facts[dst].astype("float64")
        pd.testing.assert_series_equal(got, expected.astype("float64"), check_names=False)
    assert facts["wijk_code"].equals(real["WK_CODE"].rename("wijk_code"))
    assert facts["dist_train_km"].isna().sum() == (real["AF_TREINST"] <= -99995).sum()
    polygons = shapely.make_valid(real.to_crs("EPSG:28992").geometry.to_numpy())
    inside = shapely.contains_xy(
        polygons, facts["centroid_x"].to_numpy(), facts["centroid_y"].to_numpy()
    )
    assert inside.all()


def test_area_types_rules() -> None:
    facts = pd.DataFrame(
        {
            "buurt_code": ["BU00340101", "BU00340171", "BU00340199", "BU00340202", "BU00340404"],
            "buurt_name": ["Centrum Haven", "Steiger", "Verspreid", "Filmwijk", "Leeg"],
            "homes": [800, 10, 80, 4000, 0],
            "area_land_ha": [50, 35, 700, 200, 59],
        }
    )
    kinds = _area_types(facts, load_settings().typology)
    assert list(kinds) == ["centrum", "bedrijventerrein", "buitengebied", "wonen",
                           "bedrijventerrein"]  # fmt: skip


def test_largest_remainder() -> None:
    assert list(_largest_remainder(np.array([1.0, 1.0, 2.0]), 5)) == [1, 1, 3]
    assert list(_largest_remainder(np.array([0.0, 3.0]), 4)) == [0, 4]
    assert _largest_remainder(np.array([2.0, 5.0, 3.0]), 17).sum() == 17


def test_facts_table_regenerates_byte_identically(shared_cbs_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "facts.csv"
    script = ROOT / "scripts" / "extract_buurt_facts.py"
    done = subprocess.run(
        [sys.executable, str(script), "--source", str(shared_cbs_path), "--target", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    committed = ROOT / "almere_gis" / "datasets" / "data" / "almere_buurten_cbs.csv"
    assert target.read_bytes() == committed.read_bytes()
