"""run-many: three synthetic gemeenten as tasks on a LocalCluster of two workers.

Gemeente GM0001 has 4 buurten and 30 establishments, GM0002 4 buurten and 18, GM0003 2 buurten
and none: its own run fails (a register without rows), which must not stop the other two. One
register row has no coordinates (rejected before the split) and one lies outside every buurt.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import require
from small_inputs import register, write_register, write_settings

import almere_gis as ag
from almere_gis._errors import ConfigError
from almere_gis.cli import build_parser
from almere_gis.many import Outcome, run_many, select_gemeenten

X0, Y0, CELL = 140_000.0, 480_000.0, 1_000.0
# gemeente code, name, province, buurten (their squares in one row), establishments
GEMEENTEN = (
    ("GM0001", "Eerstestad", "Flevoland", 4, 30),
    ("GM0002", "Tweedorp", "Flevoland", 4, 18),
    ("GM0003", "Derdeveen", "Utrecht", 2, 0),
)


def _squares() -> tuple[gpd.GeoDataFrame, list[np.ndarray]]:
    """The buurten (old CBS schema with a province column) and a row of squares per gemeente."""
    rows, boxes = [], []
    for g, (code, name, province, n, _) in enumerate(GEMEENTEN):
        gm = code[2:]
        mine = []
        for b in range(n):
            box = shapely.box(
                X0 + b * CELL, Y0 + g * CELL, X0 + (b + 1) * CELL, Y0 + (g + 1) * CELL
            )
            mine.append(box.bounds)
            rows.append(
                {
                    "BU_CODE": f"BU{gm}{b // 2:02d}{b:02d}",
                    "BU_NAAM": f"Buurt {b + 1} van {name}",
                    "WK_CODE": f"WK{gm}{b // 2:02d}",
                    "GM_CODE": code,
                    "GM_NAAM": name,
                    "PROV_NAAM": province,
                    "AANT_INW": 1_200.0,
                    "WONINGEN": 500.0,
                    "OPP_TOT": 100.0,
                    "OPP_LAND": 96.0,
                    "geometry": box,
                }
            )
        boxes.append(np.asarray(mine))
    return gpd.GeoDataFrame(rows, crs="EPSG:28992"), boxes


def _points(boxes: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    which = rng.integers(0, len(boxes), n)
    b = boxes[which]
    return np.column_stack(
        [rng.uniform(b[:, 0] + 20, b[:, 2] - 20), rng.uniform(b[:, 1] + 20, b[:, 3] - 20)]
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    buurten, boxes = _squares()
    buurten.to_file(folder / "buurten.gpkg", layer="buurten")
    rng = np.random.default_rng(7)
    xy = np.vstack(
        [_points(b, n, rng) for b, (*_, n) in zip(boxes, GEMEENTEN, strict=True) if n]
        + [np.array([[X0 - 5_000.0, Y0 - 5_000.0]])]  # outside every buurt
    )
    frame = register(len(xy), xy=xy, seed=3)
    bad = register(1, seed=4).assign(x="", y="", vestigingsnummer="999999999999")
    write_register(folder, pd.concat([frame, bad], ignore_index=True))
    write_settings(
        folder,
        {
            "buurten": folder / "buurten.gpkg",
            "buurten_layer": "buurten",
            "businesses": folder / "vestigingen.csv",
            "candidates": "",
            "out_dir": folder / "out",
        },
    )
    return folder


def test_choosing_gemeenten_by_code_name_province_or_all(inputs: Path) -> None:
    buurten = ag.load_buurten(inputs / "buurten.gpkg")
    raw = gpd.read_file(inputs / "buurten.gpkg")
    assert select_gemeenten(buurten, names=["gm0002", "Eerstestad"]) == [
        ("GM0001", "Eerstestad"),
        ("GM0002", "Tweedorp"),
    ]
    assert [c for c, _ in select_gemeenten(buurten, province="flevoland", raw=raw)] == [
        "GM0001",
        "GM0002",
    ]
    assert len(select_gemeenten(buurten, all_gemeenten=True)) == 3
    with pytest.raises(ConfigError, match="no gemeente 'Almere'"):
        select_gemeenten(buurten, names=["Almere"])
    with pytest.raises(ConfigError, match="no buurt lies in province 'Zeeland'"):
        select_gemeenten(buurten, province="Zeeland", raw=raw)
    with pytest.raises(ConfigError, match="no province column"):
        select_gemeenten(buurten, province="Flevoland", raw=raw.drop(columns="PROV_NAAM"))
    with pytest.raises(ConfigError, match="no gemeente chosen"):
        select_gemeenten(buurten)


def test_the_command_line_has_run_many() -> None:
    args = build_parser("en").parse_args(["run-many", "GM0001", "--workers", "2"])
    assert (args.gemeenten, args.workers, args.all_gemeenten) == (["GM0001"], 2, False)
    assert build_parser("nl").parse_args(["run-many", "--all"]).all_gemeenten


@pytest.mark.slow
def test_three_gemeenten_on_a_local_cluster_of_two_workers(inputs: Path) -> None:
    has_dask = importlib.util.find_spec("distributed") is not None
    require(has_dask, "Dask distributed is not installed (pip install -e '.[cluster]')")
    settings = ag.load_settings(inputs / "instellingen.toml")
    seen: list[tuple[str, int, int]] = []

    def on_done(outcome: Outcome, i: int, n: int) -> None:
        seen.append((outcome.code, i, n))

    out = inputs / "out"
    result = run_many(settings, all_gemeenten=True, out_dir=out, workers=2, on_done=on_done)

    # progress: one call per gemeente, numbered as they finish
    assert sorted(c for c, _, _ in seen) == ["GM0001", "GM0002", "GM0003"]
    assert [(i, n) for _, i, n in seen] == [(1, 3), (2, 3), (3, 3)]
    # one complete run folder per gemeente that worked, none for the failed one
    for code in ("GM0001", "GM0002"):
        manifest = json.loads((out / code / "almere_gis_run.json").read_text(encoding="utf-8"))
        assert (out / code / "publicatie" / "buurten_indicatoren.csv").is_file()
        assert "publicatie/buurten_indicatoren.csv" in manifest["files"]
        buurten = pd.read_csv(out / code / "publicatie" / "buurten_indicatoren.csv", dtype=str)
        assert set(buurten["buurt_code"].str[2:6]) == {code[2:]}
    assert not (out / "GM0003" / "almere_gis_run.json").exists()

    table = pd.read_csv(out / "vergelijking.csv", dtype={"gemeente_code": str})
    table = table.set_index("gemeente_code")
    assert list(table.index) == ["GM0001", "GM0002", "GM0003"]
    assert list(table["status"]) == ["ok", "ok", "fout"]
    assert table.loc["GM0001", "vestigingen"] == 30
    assert table.loc["GM0002", "vestigingen"] == 18
    assert table.loc["GM0001", "n_buurten"] == 4
    assert table.loc[["GM0001", "GM0002"], "error"].isna().all()
    # the failing run's own line, naming the user's register (not the temporary part)
    assert table.loc["GM0003", "error"].startswith(f"{inputs / 'vestigingen.csv'} (GM0003): ")
    assert "no data rows" in table.loc["GM0003", "error"]
    jobs = register(49, xy=np.zeros((49, 2)), seed=3)["wp_voltijd"].to_numpy()
    assert table.loc["GM0001", "banen"] + table.loc["GM0002", "banen"] == jobs[:48].sum()
    assert (result.n_rejected, result.n_outside) == (1, 1)
    rejects = pd.read_csv(out / "afgewezen.csv", dtype=str)
    assert list(rejects["business_id"]) == ["999999999999"]

    page = (out / "vergelijking.html").read_text(encoding="utf-8")
    assert "Eerstestad" in page and "Derdeveen" in page
    assert page.count('"type": "Feature"') == 3
    assert "cdn.jsdelivr" not in page  # Leaflet inline: the map works offline
    assert (out / "vergelijking.xlsx").is_file()
