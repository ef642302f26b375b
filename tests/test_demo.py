"""Tests of the embedded demo data: reproducible, on the real CBS buurten, calibrated, accounted.

The register's fit to CBS is checked here against the shipped CBS table; against the original
CBS files in ../shared/data in ``test_demo_calibration.py``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from almere_gis.analysis.join import assign_areas
from almere_gis.datasets.generate import (
    DEMO_FILES,
    generate_businesses,
    generate_demo_data,
    load_cbs_counts,
    load_demo_buurten,
)
from almere_gis.datasets.generate.buurten import buurt_points, demo_areas, land_parts
from almere_gis.datasets.generate.calibration import BUILDINGS, HOUSEHOLD_HOMES, LAST_START_YEAR
from almere_gis.datasets.generate.candidates import EDGE_M
from almere_gis.datasets.generate.cbs import CBS_SBI_GROUPS, cbs_group_of_division
from almere_gis.datasets.generate.register import REGISTER_COLUMNS
from almere_gis.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "shapefiles"
TEXT_COLUMNS = {"vestigingsnummer": str, "sbi": str, "sbi_neven": str, "bag_vbo_id": str}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo_data(out)
    return out


@pytest.fixture(scope="module")
def areas() -> gpd.GeoDataFrame:
    return demo_areas(load_settings().typology)


@pytest.fixture(scope="module")
def register(demo_dir: Path, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    table = pd.read_csv(demo_dir / "demo_vestigingen.csv", dtype=TEXT_COLUMNS)
    table["sbi_neven"] = table["sbi_neven"].fillna("")
    x, y = table["x"].to_numpy(dtype=float), table["y"].to_numpy(dtype=float)
    table["buurt"] = assign_areas(x, y, areas.geometry.to_numpy())
    table["kind"] = areas["area_type"].to_numpy()[table["buurt"]]
    table["jobs"] = table["wp_voltijd"] + table["wp_deeltijd"]
    table["group"] = cbs_group_of_division(table["sbi"].str[:2].astype(int).to_numpy())
    return table


# --- reproducibility and files ---------------------------------------------------------------


@pytest.mark.parametrize("name", DEMO_FILES)
def test_regenerates_byte_identical_to_committed(demo_dir: Path, name: str) -> None:
    committed = COMMITTED / name
    assert committed.is_file(), f"{committed} missing: run `almere-gis demo-data`"
    assert (demo_dir / name).read_bytes() == committed.read_bytes()


def test_committed_demo_is_small() -> None:
    sizes = {name: (COMMITTED / name).stat().st_size for name in DEMO_FILES}
    assert sum(sizes.values()) < 5 * 1024 * 1024
    polygons = sum(v for k, v in sizes.items() if k.startswith(("demo_buurten", "demo_wijken")))
    assert polygons < 400 * 1024


def test_nothing_left_behind_in_the_output_folder(demo_dir: Path) -> None:
    assert sorted(p.name for p in demo_dir.iterdir()) == sorted(DEMO_FILES)


def test_dbf_header_date_is_fixed(demo_dir: Path) -> None:
    header = (demo_dir / "demo_buurten.dbf").read_bytes()[1:4]
    assert (1900 + header[0], header[1], header[2]) == (2023, 1, 1)


def test_other_seed_gives_other_register() -> None:
    a = generate_businesses(seed=1)
    b = generate_businesses(seed=2)
    assert not a["vestigingsnummer"].equals(b["vestigingsnummer"])
    assert a.equals(generate_businesses(seed=1))


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


def test_readme_names_the_sources_and_the_figures(demo_dir: Path, register: pd.DataFrame) -> None:
    readme = (demo_dir / "README.md").read_text(encoding="utf-8")
    assert "Bron: CBS, Kadaster" in readme
    assert f"{len(register):,} synthetic establishments" in readme
    assert "$" not in readme  # every template field filled
    assert "Pearson r = 1.000" in readme


# --- the polygons: the real CBS buurten --------------------------------------------------------


def test_buurten_are_the_shipped_cbs_polygons(demo_dir: Path) -> None:
    written = gpd.read_file(demo_dir / "demo_buurten.shp")
    shipped = load_demo_buurten()
    assert list(written.columns) == [
        "BU_CODE", "BU_NAAM", "WK_CODE", "WK_NAAM", "GM_CODE", "GM_NAAM", "AANT_INW",
        "AANTAL_HH", "WONINGEN", "OPP_TOT", "OPP_LAND", "OPP_WATER", "AF_TREINST", "geometry",
    ]  # fmt: skip
    assert written.crs.to_epsg() == 28992
    assert len(written) == 63 and written["BU_CODE"].is_unique
    assert written.geometry.is_valid.all()
    assert shapely.equals(written.geometry.to_numpy(), shipped.geometry.to_numpy()).all()
    # CBS sentinels stay where CBS has them (secret water areas, unknown distances)
    assert (written["OPP_WATER"] == -99999998).sum() == 6
    assert (written["AF_TREINST"] <= -99995).sum() == 13
    # the polygons include water: their area is CBS's total area (whole hectares)
    ratio = written.geometry.area / 1e4 / written["OPP_TOT"]
    assert ((ratio - 1).abs() <= 0.05).mean() >= 0.9


def test_wijken_dissolved_from_buurten(demo_dir: Path) -> None:
    buurten = gpd.read_file(demo_dir / "demo_buurten.shp")
    wijken = gpd.read_file(demo_dir / "demo_wijken.shp")
    assert list(wijken["WK_CODE"]) == sorted(buurten["WK_CODE"].unique())
    assert list(wijken["WK_NAAM"])[:2] == ["Almere-Haven", "Almere-Stad"]
    sums = buurten.groupby("WK_CODE")["AANT_INW"].sum()
    assert wijken.set_index("WK_CODE")["AANT_INW"].to_dict() == sums.to_dict()
    # a wijk with a secret buurt figure gets the sentinel, never a partial sum
    secret = buurten.loc[buurten["OPP_WATER"] <= -99995, "WK_CODE"].unique()
    assert (wijken.set_index("WK_CODE").loc[secret, "OPP_WATER"] == -99999997).all()
    assert wijken.geometry.area.sum() == pytest.approx(buurten.geometry.area.sum(), rel=1e-5)


def test_land_parts_keep_off_the_water_side() -> None:
    # A 100 x 100 m buurt with a neighbour to its west and 50 % water: points keep to the
    # western half, the side of the neighbour; a dry buurt keeps all but a 2 m rim.
    wet = shapely.box(100, 0, 200, 100)
    dry = shapely.box(0, 0, 100, 100)
    areas = gpd.GeoDataFrame(
        {"area_total_ha": [1.0, 1.0], "area_land_ha": [0.5, 1.0]},
        geometry=[wet, dry],
        crs="EPSG:28992",
    )
    parts = land_parts(areas)
    assert parts[0].bounds == pytest.approx((102, 2, 148, 98), abs=1.0)
    assert parts[1].equals(shapely.box(2, 2, 98, 98))
    centres = buurt_points(parts)
    assert shapely.contains_xy(parts, centres[:, 0], centres[:, 1]).all()


# --- the register ------------------------------------------------------------------------------


def test_register_columns_and_values(demo_dir: Path, register: pd.DataFrame) -> None:
    header = (demo_dir / "demo_vestigingen.csv").read_text().splitlines()[0]
    assert header.split(",") == REGISTER_COLUMNS
    b = register
    assert b["vestigingsnummer"].str.fullmatch(r"\d{12}").all()
    assert b["vestigingsnummer"].is_unique
    assert b["sbi"].str.fullmatch(r"\d{4}").all()
    assert b["sbi_neven"].str.fullmatch(r"(\d{4}(;\d{4})?)?").all()
    assert (b["sbi_neven"] != b["sbi"]).all()
    assert b["bag_vbo_id"].str.fullmatch(r"003401\d{10}").all()
    assert (b["jobs"] >= 1).all()
    assert set(b["aan_huis"]) == {0, 1} and set(b["sociale_onderneming"]) == {0, 1}
    woon = b["gebruiksdoel"].str.split(";").apply(lambda d: "woonfunctie" in d)
    assert (woon == (b["aan_huis"] == 1)).all()
    assert b["startjaar"].between(1976, LAST_START_YEAR).all()


def test_every_point_inside_its_buurt_and_on_land(
    register: pd.DataFrame, areas: gpd.GeoDataFrame
) -> None:
    assert (register["buurt"] >= 0).all()
    polygons = areas.geometry.to_numpy()[register["buurt"]]
    points = shapely.points(register["x"].to_numpy(), register["y"].to_numpy())
    assert (shapely.distance(points, shapely.boundary(polygons)) >= 2.0).all()
    parts = land_parts(areas)[register["buurt"]]
    assert shapely.contains(parts, points).all()


def test_counts_per_buurt_and_group_are_cbs(
    register: pd.DataFrame, areas: gpd.GeoDataFrame
) -> None:
    counts = load_cbs_counts().query("level == 'buurt'")
    y2019 = counts[counts["peildatum"].dt.year == 2019].set_index("code")
    y2020 = counts[counts["peildatum"].dt.year == 2020].set_index("code")
    codes = areas["buurt_code"].to_numpy()
    ours = (
        register.assign(code=codes[register["buurt"]])
        .groupby(["code", "group"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=codes, columns=[g.key for g in CBS_SBI_GROUPS], fill_value=0)
    )
    without_oq = ours.drop(columns="O-Q").sum(axis=1)
    assert (without_oq == y2019["total"].reindex(codes).fillna(0).astype(int)).all()
    assert (ours["O-Q"] == y2020["O-Q"].reindex(codes).fillna(0).astype(int)).all()
    published = y2019.loc[codes, "A":"R-U"].drop(columns="O-Q").dropna()
    # groups CBS publishes: within the spread of CBS's rounding to 5 (at most 10 off)
    diff = (ours.loc[published.index, published.columns] - published.astype(int)).abs()
    assert diff.to_numpy().max() <= 10


def test_jobs_total_and_residential_share(register: pd.DataFrame) -> None:
    jobs = register["jobs"]
    residential = jobs[register["kind"] == "wonen"].sum()
    assert jobs.sum() == pytest.approx(79_000, rel=0.01)
    assert residential == pytest.approx(34_000, rel=0.01)
    assert residential / jobs.sum() == pytest.approx(0.43, abs=0.01)


def test_size_distribution(register: pd.DataFrame) -> None:
    jobs = register["jobs"]
    assert (jobs == 1).mean() > 0.5
    large = register[jobs >= 100]
    assert len(large) >= 10 and jobs.max() >= 300
    assert large["kind"].isin(["bedrijventerrein", "centrum"]).mean() >= 0.9


def test_home_based_shares(register: pd.DataFrame) -> None:
    share = register.groupby("kind")["aan_huis"].mean()
    assert 0.40 <= share["wonen"] <= 0.55
    assert share["bedrijventerrein"] < 0.02
    assert share["centrum"] < share["buitengebied"] < share["wonen"]


def test_sector_mix_differs_by_area_type(register: pd.DataFrame) -> None:
    div = register["sbi"].str[:2].astype(int)
    kind = register["kind"]
    home = register["aan_huis"] == 1

    def share(mask: pd.Series, where: pd.Series) -> float:
        return float(mask[where].mean())

    making = div.between(10, 33) | (div == 46)
    assert share(making, kind == "bedrijventerrein") > 3 * share(making, kind == "wonen")
    shops = (div == 47) | div.between(55, 56)
    assert share(shops, kind == "centrum") > 1.5 * share(shops, kind != "centrum")
    from_home = div.isin([*range(58, 64), *range(69, 83), 90, 91, *range(94, 97)])
    assert share(from_home, home) > 1.5 * share(from_home, ~home)


def test_home_based_points_cluster_along_streets(
    register: pd.DataFrame, areas: gpd.GeoDataFrame
) -> None:
    area = areas.geometry.area.to_numpy()
    ratios = []
    homes = register[(register["aan_huis"] == 1) & (register["kind"] == "wonen")]
    for b, group in homes.groupby("buurt"):  # 38 buurten
        xy = group[["x", "y"]].drop_duplicates().to_numpy(dtype=float)  # one point per home
        if len(xy) < 30:
            continue
        nearest = cKDTree(xy).query(xy, k=2)[0][:, 1].mean()
        ratios.append(nearest / (0.5 * np.sqrt(area[b] / len(xy))))  # Clark-Evans R
    assert len(ratios) >= 20
    assert np.median(ratios) < 0.8  # uniform random points give about 1


def test_secondary_codes(register: pd.DataFrame) -> None:
    shop = register["sbi"].str.startswith("47")
    has = register["sbi_neven"] != ""
    assert 0.25 <= has[shop].mean() <= 0.45
    assert 0.03 <= has[~shop].mean() <= 0.10
    first = register.loc[shop & has, "sbi_neven"].str[:2].astype(int)
    mixed = first.isin([*range(10, 34), 55, 56, 85, 95, 96])
    assert 0.3 <= mixed.mean() <= 0.8  # shops that are also a cafe, workshop or service


def test_multi_tenant_buildings_and_household_homes(register: pd.DataFrame) -> None:
    per_address = register.groupby("bag_vbo_id").agg(
        n=("x", "size"), points=("x", lambda s: len(set(s))), home=("aan_huis", "max"),
        kind=("kind", "first"),
    )  # fmt: skip
    # one address, one point: every establishment at an address has its coordinates
    assert (register.groupby("bag_vbo_id")[["x", "y"]].nunique() == 1).all().all()
    buildings = per_address[(per_address["n"] >= 5) & (per_address["home"] == 0)]
    assert 30 <= len(buildings) <= 60 and len(buildings) == sum(BUILDINGS.values())
    assert buildings["n"].between(5, 40).all()
    assert set(buildings["kind"]) == {"bedrijventerrein", "centrum"}
    tenants = register[register["bag_vbo_id"].isin(buildings.index)]
    assert (tenants["jobs"] <= 9).all() and (tenants["aan_huis"] == 0).all()
    # homes with many registrations of one household: homes, all home-based
    crowded = per_address[(per_address["n"] >= 5) & (per_address["home"] == 1)]
    assert len(crowded) == HOUSEHOLD_HOMES
    at_home = register[register["bag_vbo_id"].isin(crowded.index)]
    assert (at_home["aan_huis"] == 1).all() and (at_home["kind"] == "wonen").all()
    # other addresses hold one establishment, a few a second one (partners at home)
    others = per_address.drop(index=[*buildings.index, *crowded.index])
    assert others["n"].max() <= 4 and (others["n"] == 1).mean() > 0.9


def test_social_enterprises(register: pd.DataFrame) -> None:
    social = register["sociale_onderneming"] == 1
    assert 50 <= social.sum() <= 400
    assert register.loc[social, "aan_huis"].mean() < register["aan_huis"].mean()


# --- candidate sites ---------------------------------------------------------------------------


def test_candidates(demo_dir: Path, areas: gpd.GeoDataFrame) -> None:
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
    assert sites["leeg_sinds"].dropna().between(2000, LAST_START_YEAR).all()
    assert sites["leeg_sinds"].isna().any()

    x, y = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    buurt = assign_areas(x, y, areas.geometry.to_numpy())
    assert (buurt >= 0).all()
    parts = land_parts(areas)
    assert shapely.contains_xy(parts[buurt], x, y).all()
    kind = areas["area_type"].to_numpy()[buurt]
    centre = buurt_points(parts)[buurt]
    to_edge = shapely.distance(sites.geometry.to_numpy(), shapely.boundary(parts[buurt]))
    plausible = (
        (kind == "centrum")
        | ((kind == "bedrijventerrein") & (to_edge <= EDGE_M + 1))  # 1 m grid
        | ((kind == "wonen") & (np.hypot(x - centre[:, 0], y - centre[:, 1]) <= 600))
    )
    assert plausible.all()


# --- helpers -----------------------------------------------------------------------------------


def test_area_types_of_the_real_buurten(areas: gpd.GeoDataFrame) -> None:
    kinds = areas.set_index("buurt_code")["area_type"]
    assert kinds.value_counts().to_dict() == {
        "wonen": 38, "bedrijventerrein": 15, "buitengebied": 7, "centrum": 3
    }  # fmt: skip
    assert kinds["BU00340201"] == "centrum" and kinds["BU00340272"] == "bedrijventerrein"
    assert kinds["BU00340299"] == "buitengebied" and kinds["BU00340215"] == "wonen"


def test_register_targets_follow_cbs_rounding_and_secrets() -> None:
    from almere_gis.datasets.generate.cbs import register_targets

    keys = [g.key for g in CBS_SBI_GROUPS]
    rows = []
    # BU1: groups published, rounded to 5, adding up to 105 against a total of 100
    rows.append(["2019-01-01", "BU1", 100, 0, 20, 25, 10, 10, 30, None, 10])
    # BU2: the same area type, groups secret: its total follows BU1's mix
    rows.append(["2019-01-01", "BU2", 10, *[None] * 8])
    rows.append(["2020-01-01", "BU1", 130, 0, 20, 25, 10, 10, 30, 15, 10])
    rows.append(["2020-01-01", "BU2", 15, *[None] * 8])
    counts = pd.DataFrame(rows, columns=["peildatum", "code", "total", *keys])
    counts["peildatum"] = pd.to_datetime(counts["peildatum"])
    counts["level"] = "buurt"
    targets = register_targets(
        pd.Series(["BU1", "BU2"]), np.array(["wonen", "wonen"], dtype=object), counts
    )
    assert list(targets.columns) == keys
    assert targets.drop(columns="O-Q").sum(axis=1).tolist() == [100, 10]
    assert targets.loc[0].tolist() == [0, 19, 24, 10, 9, 29, 15, 9]
    assert targets.loc[1].tolist() == [0, 2, 2, 1, 1, 3, 0, 1]
    with pytest.raises(Exception, match="no CBS count of 2019 for buurten \\['BU3'\\]"):
        register_targets(pd.Series(["BU3"]), np.array(["wonen"], dtype=object), counts)


def test_largest_remainder() -> None:
    from almere_gis.datasets.generate.sampling import largest_remainder

    assert list(largest_remainder(np.array([1.0, 1.0, 2.0]), 5)) == [1, 1, 3]
    assert list(largest_remainder(np.array([0.0, 3.0]), 4)) == [0, 4]
    assert largest_remainder(np.array([2.0, 5.0, 3.0]), 17).sum() == 17
