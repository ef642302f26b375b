"""Helpers for the QGIS package tests: hand-built frames and running QGIS's own check."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from shapely.geometry import Point, box

from almere_gis._schema import AREA_COLUMNS
from almere_gis.analysis.density import DensityGrid, DensitySurface
from almere_gis.outputs.style import HOTSPOT_CLASSES

X0, Y0 = 145_000.0, 485_000.0
INDICATOR = "jobs_small_scale_per_km2"
CHECK_SCRIPT = Path(__file__).resolve().parent / "qgis_check.py"


def make_buurten() -> gpd.GeoDataFrame:
    n = 6
    codes = [f"BU0034{w:02d}{b:02d}" for w, b in [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]]
    frame = pd.DataFrame(
        {
            "buurt_code": codes,
            "buurt_name": [f"Buurt {i}" for i in range(n)],
            "wijk_code": ["WK003401"] * 3 + ["WK003402"] * 3,
            "wijk_name": ["Stad"] * 3 + ["Haven"] * 3,
            "gemeente_code": ["GM0034"] * n,
            "gemeente_name": ["Almere"] * n,
            "inhabitants": [1200.0, 800.0, 0.0, 2500.0, 600.0, 90.0],
            "households": [500.0, 350.0, 0.0, 1100.0, 250.0, 40.0],
            "homes": [520.0, 360.0, 0.0, 1150.0, 260.0, 45.0],
            "area_total_ha": [100.0] * n,
            "area_land_ha": [95.0, 100.0, 80.0, 100.0, 90.0, 100.0],
            "area_water_ha": [5.0, 0.0, 20.0, 0.0, 10.0, 0.0],
            "dist_train_km": [1.2, 2.5, np.nan, 0.8, 3.1, 4.0],
            "cbs_establishments": [40.0, 25.0, 110.0, 90.0, 15.0, 5.0],
            "share_social_minimum": [8.0, 12.0, np.nan, 6.0, 9.0, 3.0],
        }
    )
    assert list(frame.columns) == AREA_COLUMNS
    frame["area_type"] = ["wonen", "wonen", "bedrijventerrein", "centrum", "wonen", "buitengebied"]
    frame["n_establishments"] = [40, 25, 110, 90, 15, 3]
    frame["n_small_scale"] = [8, 4, 20, 15, 6, 1]
    # buurt 1 has the highest rate but rests on fewer than 5 small-scale establishments
    frame["jobs_small_scale"] = [60, 300, 150, 140, 20, 4]
    frame[INDICATOR] = frame["jobs_small_scale"] / (frame["area_land_ha"] / 100.0)
    frame.loc[5, INDICATOR] = np.nan  # a missing rate stays missing
    frame["share_jobs_small_scale"] = frame["jobs_small_scale"] / frame["jobs_small_scale"].sum()
    frame["n_bouw"] = [4, 2, 30, 5, 1, 0]
    frame["lq_bouw"] = [0.8, 0.6, 2.1, 0.4, 0.5, np.nan]
    frame["suppressed"] = frame["n_establishments"] < 5
    geometry = [box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(n)]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:28992")


def make_wijken(buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    sums = buurten.dissolve(
        by="wijk_code",
        aggfunc={"wijk_name": "first", "area_land_ha": "sum", "jobs_small_scale": "sum"},
    ).reset_index()
    sums[INDICATOR] = sums["jobs_small_scale"] / (sums["area_land_ha"] / 100.0)
    sums["suppressed"] = False
    return sums


def make_hexagons() -> gpd.GeoDataFrame:
    n = len(HOTSPOT_CLASSES) + 1
    return gpd.GeoDataFrame(
        {
            "hex_id": [f"H{i:03d}" for i in range(n)],
            "count_all": list(range(3, 3 + n)),
            "count_small_scale": list(range(n)),
            "jobs_all": [10 * i for i in range(n)],
            "suppressed": [i + 3 < 5 for i in range(n)],
            "gi_z": np.linspace(3.0, -3.0, n),
            "gi_q": np.linspace(0.001, 0.9, n),
            "gi_class": [*HOTSPOT_CLASSES, "ns"],
        },
        geometry=[box(X0 + 250 * i, Y0, X0 + 250 * (i + 1), Y0 + 250) for i in range(n)],
        crs="EPSG:28992",
    )


def make_candidates(n: int = 12) -> gpd.GeoDataFrame:
    excluded = np.zeros(n, dtype=bool)
    excluded[-1] = True
    score = np.linspace(0.9, 0.2, n)
    score[-1] = np.nan
    rank = pd.Series(np.arange(1, n + 1, dtype=float)).where(~excluded)
    return gpd.GeoDataFrame(
        {
            "site_id": [f"S{i:02d}" for i in range(n)],
            "name": [f"Pand {i}" for i in range(n)],
            "site_type": ["kantoor_leeg"] * (n - 1) + ["voormalige_school"],
            "floor_area_m2": np.linspace(150.0, 4000.0, n),
            "vacant_since": pd.array([2019] * (n - 1) + [None], dtype="Int64"),
            "vacancy_share": np.linspace(0.0, 1.0, n),
            "ownership": ["gemeente"] * n,
            "excluded": excluded,
            "exclusion_reason": ["" if not e else "te klein" for e in excluded],
            "demand_walk_raw": np.arange(n, dtype=float),
            "demand_walk_norm": np.linspace(0, 1, n),
            "demand_walk_contrib": np.linspace(0, 0.25, n),
            "weight_demand_walk": [1.0] * n,
            "score": score,
            "rank": rank.to_numpy(),
            "explanation": ["veel vraag"] * n,
            "p_top_k": np.linspace(1.0, 0.0, n),
            "robust": np.linspace(1.0, 0.0, n) > 0.8,
        },
        geometry=[Point(X0 + 300 * i + 50, Y0 + 500) for i in range(n)],
        crs="EPSG:28992",
    )


def make_search_zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"hex_id": ["H000", "H001"], "gi_class": ["hot_99", "hot_95"]},
        geometry=[box(X0, Y0, X0 + 250, Y0 + 250), box(X0 + 250, Y0, X0 + 500, Y0 + 250)],
        crs="EPSG:28992",
    )


def make_businesses() -> gpd.GeoDataFrame:
    n = 8
    return gpd.GeoDataFrame(
        {
            "business_id": [f"00000000000{i}" for i in range(n)],
            "name": [f"Bedrijf {i}" for i in range(n)],
            "sbi": ["4120", "5610", "4711", "6201", "4120", "9602", "0111", "8559"],
            "sbi_division": [41, 56, 47, 62, 41, 96, 1, 85],
            "sector_group": [
                "bouw",
                "horeca",
                "detailhandel",
                "ict_creatief",
                "bouw",
                "persoonlijk",
                "overig",
                "zorg_onderwijs",
            ],
            "jobs_fulltime": [1, 3, 0, 1, 12, 1, 2, 0],
            "jobs_parttime": [0, 4, 2, 0, 3, 0, 0, 1],
            "jobs": [1, 7, 2, 1, 15, 1, 2, 1],
            "home_based": [True, False, False, True, False, True, False, True],
            "zzp": [True, False, False, True, False, True, False, True],
            "small_scale": [True, True, True, True, False, True, True, True],
            "start_year": pd.array([2015, 2001, None, 2020, 1999, 2022, 2010, 2018], dtype="Int64"),
            "social_enterprise": pd.array([False, None, False, True, False, False, None, False]),
            "source_row": list(range(1, n + 1)),
            "buurt_code": ["BU00340101"] * n,
            "wijk_code": ["WK003401"] * n,
        },
        geometry=[Point(X0 + 100 * i + 10, Y0 + 100) for i in range(n)],
        crs="EPSG:28992",
    )


def make_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    accounting = pd.DataFrame(
        {"category": ["input", "joined", "outside", "rejected"], "rows": [11, 8, 1, 2]}
    )
    rejects = pd.DataFrame(
        {
            "source_row": [4, 9],
            "business_id": pd.array(["000000000099", None], dtype="string"),
            "reason": ["x/y missing", "SBI code 'abc' is not a number"],
        }
    )
    return accounting, rejects


def make_surface(*, shown_all: bool = False, scale: float = 1.0) -> DensitySurface:
    """A 12 x 20 surface of 100 m cells: values 0..59.75; the first row is not shown."""
    values = np.arange(12 * 20, dtype=float).reshape(12, 20) / 4.0 * scale
    grid = DensityGrid(
        values=values,
        transform=Affine(100.0, 0.0, X0, 0.0, -100.0, Y0 + 1200),
        units="vestigingen per km2",
        radius_m=400.0,
        cell_size_m=100.0,
    )
    shown = np.ones(values.shape, dtype=bool)
    if not shown_all:
        shown[0, :] = False
    return DensitySurface(subset="small_scale", weight="count", grid=grid, shown=shown)


def styles_of(gpkg: Path) -> dict[str, tuple]:
    """``layer_styles`` rows by layer: (schema, geometry column, default, QML)."""
    with sqlite3.connect(gpkg) as con:
        rows = con.execute(
            "SELECT f_table_name, f_table_schema, f_geometry_column, useAsDefault, styleQML "
            "FROM layer_styles"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def renderer_type(qml: str) -> str:
    renderer = ET.fromstring(qml).find("renderer-v2")
    assert renderer is not None
    return str(renderer.get("type"))


def run_qgis_check(
    python: Path, project: Path, expected: dict, home: Path
) -> subprocess.CompletedProcess[str]:
    """Open ``project`` in QGIS (headless) and check it against ``expected``."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
    }
    return subprocess.run(
        [str(python), str(CHECK_SCRIPT), str(project), json.dumps(expected)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def ogrinfo_output(gpkg: Path) -> str:
    """Everything ``ogrinfo -so -al`` prints (stdout and stderr); asserts it succeeded."""
    done = subprocess.run(
        ["ogrinfo", "-so", "-al", str(gpkg)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr
