"""Small generated inputs for whole-pipeline tests: buurten, registers, candidates, settings.

Everything is written into a test's temporary folder; nothing here is shipped. Buurten are
1 km squares in RD New near Almere (old CBS schema by default), in rows of ``side`` squares.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

X0, Y0 = 140_000.0, 480_000.0
CELL = 1_000.0


def buurt_boxes(n: int) -> list[shapely.Polygon]:
    """``n`` adjacent 1 km squares, filled row by row (as square as possible)."""
    side = max(1, int(np.ceil(np.sqrt(n))))
    return [
        shapely.box(
            X0 + (i % side) * CELL,
            Y0 + (i // side) * CELL,
            X0 + (i % side + 1) * CELL,
            Y0 + (i // side + 1) * CELL,
        )
        for i in range(n)
    ]


def write_buurten(
    folder: Path,
    n: int = 4,
    *,
    schema: str = "old",
    land_area: bool = True,
    homes: bool = True,
    geometries: Sequence[shapely.Geometry] | None = None,
) -> Path:
    """A CBS-like buurten GeoPackage of ``n`` buurten in two wijken."""
    geoms = list(geometries) if geometries is not None else buurt_boxes(n)
    n = len(geoms)
    codes = [f"BU0034{(i // 2) % 100:02d}{i % 100:02d}" for i in range(n)]
    values: dict[str, Any] = {
        "code": codes,
        "name": [f"Proefbuurt {i + 1}" for i in range(n)],
        "wijk": [f"WK0034{(i // 2) % 100:02d}" for i in range(n)],
        "inhabitants": np.full(n, 1_200.0),
        "homes": np.full(n, 500.0),
        "total": np.full(n, 100.0),
        "land": np.full(n, 96.0),
    }
    names = {
        "old": {
            "code": "BU_CODE",
            "name": "BU_NAAM",
            "wijk": "WK_CODE",
            "inhabitants": "AANT_INW",
            "homes": "WONINGEN",
            "total": "OPP_TOT",
            "land": "OPP_LAND",
        },
        "new": {
            "code": "buurtcode",
            "name": "buurtnaam",
            "wijk": "wijkcode",
            "inhabitants": "aantal_inwoners",
            "homes": "woningvoorraad",
            "total": "oppervlakte_totaal_in_ha",
            "land": "oppervlakte_land_in_ha",
        },
    }[schema]
    if not land_area:
        values["land"] = np.full(n, np.nan)
        values["total"] = np.full(n, np.nan)
    if not homes:
        del values["homes"]
    frame = pd.DataFrame({names[k]: v for k, v in values.items()})
    path = folder / "buurten.gpkg"
    gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:28992").to_file(path, layer="buurten")
    return path


def register(
    n: int,
    *,
    seed: int = 0,
    n_buurten: int = 4,
    offset: tuple[float, float] = (0.0, 0.0),
    jobs: Sequence[int] | None = None,
    home: Sequence[bool] | None = None,
    xy: np.ndarray | None = None,
) -> pd.DataFrame:
    """A LISA-style register of ``n`` businesses spread over the first ``n_buurten`` squares."""
    rng = np.random.default_rng(seed)
    boxes = buurt_boxes(n_buurten)
    if xy is None:
        which = rng.integers(0, n_buurten, n)
        bounds = shapely.bounds(np.asarray(boxes, dtype=object))[which]
        # Stay 20 m inside each square, so that no point sits on a shared boundary.
        xs = rng.uniform(bounds[:, 0] + 20, bounds[:, 2] - 20)
        ys = rng.uniform(bounds[:, 1] + 20, bounds[:, 3] - 20)
        xy = np.column_stack([xs, ys])
    sbi = rng.choice(["6201", "4711", "1011", "7311", "9602"], n)
    return pd.DataFrame(
        {
            "vestigingsnummer": [f"{i + 1:012d}" for i in range(n)],
            "handelsnaam": [f"Bedrijf {i + 1}" for i in range(n)],
            "sbi": sbi,
            "wp_voltijd": list(jobs) if jobs is not None else rng.integers(1, 12, n),
            "wp_deeltijd": 0,
            "aan_huis": [int(h) for h in home] if home is not None else rng.integers(0, 2, n),
            "x": np.round(xy[:, 0] + offset[0], 1),
            "y": np.round(xy[:, 1] + offset[1], 1),
        }
    )


def write_register(folder: Path, frame: pd.DataFrame) -> Path:
    """The register as a comma-separated CSV (an empty frame gives a header-only file)."""
    path = folder / "vestigingen.csv"
    frame.to_csv(path, index=False)
    return path


def write_candidates(folder: Path, n: int = 3, *, n_buurten: int = 4, seed: int = 1) -> Path:
    """``n`` candidate site points inside the buurten, with demo-style field names."""
    rng = np.random.default_rng(seed)
    boxes = buurt_boxes(n_buurten)
    which = rng.integers(0, n_buurten, n)
    centres = shapely.centroid(np.asarray(boxes, dtype=object))[which]
    frame = gpd.GeoDataFrame(
        {
            "site_id": [f"K{i + 1:03d}" for i in range(n)],
            "naam": [f"Kandidaat {i + 1}" for i in range(n)],
            "type": "kantoor",
            "vloer_m2": rng.uniform(300, 3000, n).round(),
            "leeg_sinds": 2020,
            "leegstand": rng.uniform(0, 1, n).round(2),
            "eigendom": "gemeente",
        },
        geometry=centres,
        crs="EPSG:28992",
    )
    path = folder / "kandidaten.gpkg"
    frame.to_file(path)
    return path


def write_settings(folder: Path, paths: dict[str, Path | str], **sections: dict[str, Any]) -> Path:
    """A settings file with ``[paths]`` and any other sections (values written as TOML)."""
    lines = ["[paths]"]
    for key, value in paths.items():
        lines.append(f"{key} = {json.dumps(str(value))}")
    for section, values in sections.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value)}")
    path = folder / "instellingen.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fake_previous_run(out: Path) -> dict[str, Any]:
    """An output folder as an earlier run left it (a manifest and its files); returns its state."""
    (out / "publicatie").mkdir(parents=True)
    (out / "publicatie" / "oud.csv").write_text("a\n1\n", encoding="utf-8")
    manifest = {"program": "almere_gis", "run_id": "earlier-run", "files": ["publicatie/oud.csv"]}
    (out / "almere_gis_run.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder_state(out)


def folder_state(out: Path) -> dict[str, Any]:
    """Every file below ``out`` with its content: equal states mean an untouched folder."""
    if not out.exists():
        return {}
    return {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }


def manifest_matches_files(out: Path) -> bool:
    """True when ``out`` holds exactly the files its manifest lists (and the manifest)."""
    manifest = json.loads((out / "almere_gis_run.json").read_text(encoding="utf-8"))
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    return files == {*manifest["files"], "almere_gis_run.json"}
