"""The privacy scanner (``tests/privacy_scan.py``) on three runs, and on planted leaks.

The scanner passes on the demo run, on a run on the real CBS buurten and on a register of three
zzp'ers, and it fails on each planted leak: a coordinate in the HTML, a name in a CSV, a count
of 3, an unmasked density cell and a classified small hexagon. The density rule is checked here
on every cell too, shown and hidden.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import small_inputs as si
from privacy_scan import Leak, scan
from rasterio.features import geometry_mask
from rich.console import Console
from scipy.spatial import cKDTree

import almere_gis as ag
from almere_gis.analysis.classify import classify_businesses
from almere_gis.outputs.summary import print_summary
from almere_gis.outputs.tables import FORMULA_START
from almere_gis.texts import text


def register_of(result: ag.RunResult) -> gpd.GeoDataFrame:
    """The run's input register, classified (every row read, joined or not)."""
    s = result.settings
    return classify_businesses(result.inputs.businesses, settings=s.classification)


def scan_run(result: ag.RunResult, folder: Path | None = None) -> list[Leak]:
    """Scan a run's public folder (or a copy of it) against its own input register."""
    s = result.settings
    frames = [result.buurten.geometry, result.wijken.geometry]
    if result.hexagons is not None:
        frames.append(result.hexagons.geometry)
    if result.candidates is not None:
        frames.append(result.candidates.geometry)
    names = [*result.buurten["buurt_name"], *result.wijken["wijk_name"]]
    if result.candidates is not None:
        names += list(result.candidates["name"].dropna())
    lang = s.map.language
    return scan(
        folder or result.out_dir / "publicatie",
        register_of(result),
        min_count=s.privacy.min_count,
        radius_m=s.density.radius_m,
        gi_variable=s.hotspots.variable,
        public_geometry=gpd.GeoSeries(pd.concat(frames), crs="EPSG:28992"),
        public_names=names,
        popup_labels=[text(f"map.hex.count_{s.hotspots.variable}", lang)],
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> ag.RunResult:
    return ag.run(ag.load_settings(), out_dir=tmp_path_factory.mktemp("demo") / "out")


def test_the_demo_publication_passes(demo: ag.RunResult) -> None:
    assert scan_run(demo) == []


def test_the_scanner_sees_the_confidential_folder(demo: ag.RunResult) -> None:
    # The internal folder holds the points and the unsuppressed tables: the scanner must say so.
    found = {leak.check for leak in scan_run(demo, demo.out_dir / "intern")}
    assert {"coordinate", "name", "small_count"} <= found


def test_density_cells_follow_the_exact_rule_on_every_cell(demo: ag.RunResult) -> None:
    s, n = demo.settings, demo.settings.privacy.min_count
    register = demo.businesses
    area = shapely.union_all(demo.buurten.geometry.to_numpy())
    for key, path in demo.density_paths.items():
        subset = demo.analysis.density[key].subset
        chosen = register if subset == "all" else register.loc[register[subset].astype(bool)]
        with rasterio.open(path) as src:
            band = src.read(1, masked=True)
            inside = ~geometry_mask(
                [area], out_shape=band.shape, transform=src.transform, all_touched=True
            )
            rows, cols = np.nonzero(inside)
            xs, ys = rasterio.transform.xy(src.transform, rows, cols)
        tree = cKDTree(shapely.get_coordinates(chosen.geometry.to_numpy()))
        counts = tree.query_ball_point(
            np.column_stack([xs, ys]), s.density.radius_m, return_length=True
        )
        shown = ~np.ma.getmaskarray(band)
        assert not shown[~inside].any(), key
        np.testing.assert_array_equal(shown[rows, cols], counts >= n, err_msg=key)
        assert shown.any() and (~shown[rows, cols]).any(), key


def test_the_run_on_the_real_cbs_buurten_passes(shared_cbs_path: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "echt.toml"
    cfg.write_text(f'[paths]\nbuurten = "{shared_cbs_path.as_posix()}"\n', encoding="utf-8")
    result = ag.run(ag.load_settings(cfg), out_dir=tmp_path / "out")
    assert len(result.buurten) == 63
    assert scan_run(result) == []


RISKY = ["=1+1", "+31 6 12345678", "-x", "@SUM(A1)"]


@pytest.fixture(scope="module")
def three_zzp(tmp_path_factory: pytest.TempPathFactory) -> ag.RunResult:
    folder = tmp_path_factory.mktemp("zzp")
    register = si.register(3, jobs=[1, 1, 1], home=[True, True, True], seed=4)
    register["handelsnaam"] = ["Fotografie Van Dam", "Klusbedrijf Yilmaz", "=1+1 Advies"]
    sites = gpd.read_file(si.write_candidates(folder, 4))
    sites["naam"] = RISKY
    sites["site_id"] = ["=K1", "+K2", "-K3", "@K4"]
    sites.to_file(folder / "kandidaten.gpkg")
    cfg = si.write_settings(
        folder,
        {
            "buurten": si.write_buurten(folder, 4),
            "businesses": si.write_register(folder, register),
            "candidates": folder / "kandidaten.gpkg",
        },
    )
    return ag.run(ag.load_settings(cfg), out_dir=folder / "out")


def test_three_zzpers_reveal_nothing(three_zzp: ag.RunResult) -> None:
    assert scan_run(three_zzp) == []
    pub = three_zzp.publication
    # No density cell can be shown (3 < 5), no hexagon or buurt is classified, no zone listed.
    assert all(not s.shown.any() for s in pub.density.values())
    assert pub.hexagons is not None and pub.hexagons.data["gi_class"].isna().all()
    assert pub.buurten.data["gi_class"].isna().all()
    assert pub.search_zones is None or len(pub.search_zones) == 0
    assert pub.city.data.set_index("indicator")["value"].loc[["zzp", "vestigingen"]].isna().all()


def test_every_csv_of_a_run_is_formula_safe(three_zzp: ag.RunResult) -> None:
    csvs = sorted(three_zzp.out_dir.rglob("*.csv"))
    assert {p.parent.name for p in csvs} == {"publicatie", "intern"}
    seen = set()
    for path in csvs:
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert not cell.startswith(FORMULA_START), (path.name, cell)
                    seen.add(cell)
    assert {"'" + r for r in RISKY} <= seen  # the site names, neutralised
    assert "'=K1" in seen


def test_the_workbook_is_formula_safe(three_zzp: ag.RunResult) -> None:
    import openpyxl

    book = openpyxl.load_workbook(three_zzp.files["workbook"], read_only=True)
    cells = [v for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row]
    book.close()
    texts = [v for v in cells if isinstance(v, str)]
    assert not [v for v in texts if v.startswith(FORMULA_START)]
    assert "'=1+1" in texts and "'@SUM(A1)" in texts


@pytest.mark.parametrize("n", [5, 7])
def test_the_summary_states_the_threshold(three_zzp: ag.RunResult, n: int) -> None:
    import dataclasses

    settings = dataclasses.replace(
        three_zzp.settings,
        privacy=dataclasses.replace(three_zzp.settings.privacy, min_count=n),
    )
    analysis = dataclasses.replace(
        three_zzp.analysis, inputs=dataclasses.replace(three_zzp.inputs, settings=settings)
    )
    result = dataclasses.replace(three_zzp, analysis=analysis)
    for lang, phrase in (
        ("nl", f"Privacydrempel: {n} vestigingen"),
        ("en", f"Privacy threshold: {n} establishments"),
    ):
        console = Console(width=80, record=True, file=io.StringIO())
        print_summary(result, console, lang)
        assert phrase in console.export_text()


# -- planted leaks ------------------------------------------------------------------------------


@pytest.fixture()
def copy(demo: ag.RunResult, tmp_path: Path) -> Path:
    folder = tmp_path / "publicatie"
    shutil.copytree(demo.out_dir / "publicatie", folder)
    return folder


def _only(leaks: list[Leak], check: str, file: str) -> None:
    assert leaks, "the planted leak was not found"
    assert {(leak.check, leak.file) for leak in leaks} == {(check, file)}, leaks


def _home(demo: ag.RunResult) -> gpd.GeoSeries:
    b = demo.businesses
    return b.loc[b["home_based"].astype(bool)].geometry.iloc[[17]]


def test_a_planted_coordinate_in_the_html_is_found(demo: ag.RunResult, copy: Path) -> None:
    lon, lat = shapely.get_coordinates(_home(demo).to_crs("EPSG:4326").to_numpy())[0]
    page = copy / "kaart.html"
    page.write_text(
        page.read_text(encoding="utf-8") + f"\n<script>var p = [{lon:.6f},{lat:.6f}];</script>\n",
        encoding="utf-8",
    )
    _only(scan_run(demo, copy), "coordinate", "kaart.html")


def test_a_planted_rd_coordinate_at_10_m_is_found(demo: ag.RunResult, copy: Path) -> None:
    x, y = shapely.get_coordinates(_home(demo).to_numpy())[0]
    page = copy / "kaart.html"
    page.write_text(page.read_text(encoding="utf-8") + f"\n{round(x, -1):.0f} {round(y, -1):.0f}\n")
    _only(scan_run(demo, copy), "coordinate", "kaart.html")


def test_a_planted_name_in_a_csv_is_found(demo: ag.RunResult, copy: Path) -> None:
    path = copy / "buurten_indicatoren.csv"
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    table.loc[0, "buurt_name"] = str(demo.businesses["name"].iloc[123])
    table.to_csv(path, index=False, encoding="utf-8-sig")
    _only(scan_run(demo, copy), "name", "buurten_indicatoren.csv")


def test_a_planted_count_of_three_is_found(demo: ag.RunResult, copy: Path) -> None:
    path = copy / "search_zones.csv"
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    table.loc[0, "count_home_based"] = "3"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    _only(scan_run(demo, copy), "small_count", "search_zones.csv")


def test_a_planted_unmasked_cell_is_found(demo: ag.RunResult, copy: Path) -> None:
    surface = demo.analysis.density["home_based_count"]
    homes = demo.businesses.loc[demo.businesses["home_based"].astype(bool)]
    tree = cKDTree(shapely.get_coordinates(homes.geometry.to_numpy()))
    rows, cols = np.nonzero(~surface.shown & (surface.grid.values > 0))
    xs, ys = surface.grid.cell_centres()
    counts = tree.query_ball_point(
        np.column_stack([xs[cols], ys[rows]]), surface.grid.radius_m, return_length=True
    )
    k = int(np.flatnonzero((counts >= 1) & (counts < 5))[0])
    with rasterio.open(
        copy / "kde_home_based_count.tif", "r+", IGNORE_COG_LAYOUT_BREAK="YES"
    ) as dst:
        band = dst.read(1)
        band[rows[k], cols[k]] = 1.0
        dst.write(band, 1)
    _only(scan_run(demo, copy), "density", "kde_home_based_count.tif")


def test_a_planted_classified_small_hexagon_is_found(demo: ag.RunResult, copy: Path) -> None:
    path = copy / "search_zones.csv"
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    table.loc[0, "count_small_scale"] = "< 5"  # the count is hidden, the class is still there
    table.loc[0, "gi_class"] = "hot_99"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    _only(scan_run(demo, copy), "classified", "search_zones.csv")


# -- the two folders and the public tables (README "Privacy") -----------------------------------


def test_two_folders_with_their_read_me(demo: ag.RunResult) -> None:
    import pyogrio

    public, intern = demo.out_dir / "publicatie", demo.out_dir / "intern"
    names = {p.name for p in public.iterdir()}
    assert {"kaart.html", "tabellen.xlsx", "samenvatting.pdf", "almere_gis.gpkg"} <= names
    assert {"almere_gis.qgs", "buurten_indicatoren.csv", "kde_home_based_count.tif"} <= names
    readme = (public / "LEESMIJ.txt").read_text(encoding="utf-8")
    assert '"< 5"' in readme and "PUBLICATIE" in readme
    assert "VERTROUWELIJK" in (intern / "LEESMIJ.txt").read_text(encoding="utf-8")
    # The points and the business ids are in intern/ only.
    point_layers = {
        name
        for folder in (public, intern)
        for gpkg in folder.glob("*.gpkg")
        for name, kind in pyogrio.list_layers(gpkg)
        if kind == "Point"
    }
    layers = {n for n, _ in pyogrio.list_layers(next(intern.glob("*.gpkg")))}
    assert "vestigingen_vertrouwelijk" in layers and "vestigingen_vertrouwelijk" in point_layers
    assert not {n for n, _ in pyogrio.list_layers(public / "almere_gis.gpkg")} & {
        "vestigingen_vertrouwelijk",
        "verantwoording",
    }
    accounting = pd.read_csv(intern / "verantwoording.csv", encoding="utf-8-sig", dtype=str)
    assert "business_id" in accounting.columns
    assert not list(public.glob("verantwoording*"))


def test_hidden_cells_read_the_one_mark(demo: ag.RunResult) -> None:
    pub = demo.publication
    table = pd.read_csv(
        demo.out_dir / "publicatie" / "buurten_indicatoren.csv", encoding="utf-8-sig", dtype=str
    )
    hidden = pub.buurten.hidden
    assert hidden["n_home_based"].any()
    for column in ("n_home_based", "jobs_home_based", "share_n_home_based", "gi_z"):
        marked = (table[column] == "< 5").to_numpy()
        np.testing.assert_array_equal(marked, hidden[column].to_numpy(), err_msg=column)
    html = (demo.out_dir / "publicatie" / "kaart.html").read_text(encoding="utf-8")
    assert "&lt; 5" in html


def test_no_hidden_buurt_or_wijk_can_be_recovered(demo: ag.RunResult) -> None:
    n = demo.settings.privacy.min_count
    pub, analysis = demo.publication, demo.analysis
    levels = [
        (pub.buurten, analysis.buurten, analysis.buurten["wijk_code"], pub.wijken, "wijk_code"),
        (pub.wijken, analysis.wijken, pd.Series("city", index=analysis.wijken.index), None, ""),
    ]
    checked = 0
    for public, raw, parent, parents, key in levels:
        for column in [c for c in raw.columns if str(c).startswith("n_") and "_per_" not in str(c)]:
            hidden = public.is_hidden(column).to_numpy(dtype=bool)
            values = raw[column].to_numpy(dtype=float)
            for code in pd.unique(parent):
                rows = (parent == code).to_numpy()
                if parents is not None:
                    at = (parents.data[key] == code).to_numpy()
                    if parents.is_hidden(column).to_numpy(dtype=bool)[at].all():
                        continue  # the wijk's own total is hidden: nothing to subtract from
                held = values[rows & hidden].sum()
                assert (rows & hidden).sum() != 1, (column, code)
                assert not 0 < held < n, (column, code, held)
                checked += int((rows & hidden).any())
    assert checked > 0
    # Nor a hidden sector of a buurt whose number of establishments is shown.
    sectors = [f"n_{g.key}" for g in demo.settings.classification.sector_groups] + ["n_overig"]
    for public, raw in ((pub.buurten, analysis.buurten), (pub.wijken, analysis.wijken)):
        h = np.column_stack([public.is_hidden(c).to_numpy(dtype=bool) for c in sectors])
        v = raw[sectors].to_numpy(dtype=float)
        shown = ~public.is_hidden("n_establishments").to_numpy(dtype=bool)
        held = np.where(h, v, 0.0).sum(axis=1)
        assert not (shown & (h.sum(axis=1) == 1)).any()
        assert not (shown & (held > 0) & (held < n)).any()
