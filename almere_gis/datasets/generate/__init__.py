"""The embedded demo data for Almere, generated reproducibly from a seed.

Real: the CBS buurt polygons of Almere with their figures (``datasets/data/
almere_buurten_cbs.geojson``, from ``scripts/extract_demo_buurten.py``) and CBS's
establishment counts per buurt and sector group (``datasets/data/cbs_vestigingen_almere.csv``,
from ``scripts/extract_cbs_counts.py``). Invented: the business register, calibrated to those
counts and to the report's job totals, and the candidate sites. ``shapefiles/README.md``
(written by :func:`generate_demo_data`) states every source and assumption.

Rooms: :mod:`.buurten` (polygons, wijken, where points may lie), :mod:`.cbs` (CBS counts),
:mod:`.calibration` (every figure the register follows), :mod:`.sbi`, :mod:`.activities`,
:mod:`.addresses` and :mod:`.register` (the register), :mod:`.candidates`, :mod:`.readme`.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_SEED",
    "DEMO_FILES",
    "generate_businesses",
    "generate_candidates",
    "generate_demo_data",
    "load_cbs_counts",
    "load_demo_buurten",
]

import logging
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import pyogrio

from ...io.areas import WIJK_COLUMNS as AREA_WIJK_COLUMNS
from ...io.areas import wijken_from_buurten
from ...settings import TypologySettings, load_settings
from .buurten import demo_areas, load_demo_buurten, to_old_schema
from .calibration import DEFAULT_SEED
from .candidates import generate_candidates
from .cbs import load_cbs_counts
from .readme import render_readme
from .register import generate_businesses

log = logging.getLogger("almere_gis")

# Fixed "last update" date written into every .dbf header, so the bytes do not depend on the day.
DBF_DATE = "2023-01-01"
# Codes, names and the figures that add up from buurten; the source has no wijk figures for
# averages (distance to a station, social minimum), so the demo wijken carry none.
WIJK_COLUMNS = [c for c in AREA_WIJK_COLUMNS if c not in ("dist_train_km", "share_social_minimum")]
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_LAYERS = ("demo_buurten", "demo_wijken", "demo_kandidaatlocaties")

DEMO_FILES = (
    *(f"{layer}{ext}" for layer in _LAYERS[:2] for ext in _SHAPEFILE_PARTS),
    "demo_vestigingen.csv",
    *(f"{_LAYERS[2]}{ext}" for ext in _SHAPEFILE_PARTS),
    "README.md",
)


def _write_shapefile(gdf: gpd.GeoDataFrame, path: Path) -> None:
    pyogrio.write_dataframe(
        gdf,
        path,
        driver="ESRI Shapefile",
        layer_options={"ENCODING": "UTF-8", "DBF_DATE_LAST_UPDATE": DBF_DATE, "RESIZE": "YES"},
    )


def generate_demo_data(
    out_dir: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    typology: TypologySettings | None = None,
) -> dict[str, Path]:
    """Write the demo files (buurten, wijken, businesses, candidate sites, README) to ``out_dir``.

    Every file is written into a temporary folder beside the targets first and then moved
    onto its name (an atomic rename per file), so an interrupted run leaves no half-written
    file behind.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing); the project's copy lives in ``shapefiles/``.
    seed
        Seed of the random generators; the same seed gives byte-identical files.
    typology
        Area-type rules; default: the shipped ``[typology]`` settings.

    Returns
    -------
    dict
        File name -> path of every file written (see ``DEMO_FILES``).
    """
    typology = typology or load_settings().typology
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    areas = demo_areas(typology)
    buurten = load_demo_buurten()
    wijken = to_old_schema(wijken_from_buurten(areas), WIJK_COLUMNS)
    counts = load_cbs_counts()
    businesses = generate_businesses(seed=seed, typology=typology, counts=counts)
    candidates = generate_candidates(seed=seed, typology=typology)
    readme = render_readme(
        businesses,
        areas,
        buurten,
        counts,
        candidates,
        seed=seed,
        n_wijken=len(wijken),
        dbf_date=DBF_DATE,
    )
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=out))
    try:
        for layer, frame in zip(_LAYERS, (buurten, wijken, candidates), strict=True):
            _write_shapefile(frame, staging / f"{layer}.shp")
        businesses.to_csv(staging / "demo_vestigingen.csv", index=False, lineterminator="\n")
        (staging / "README.md").write_text(readme, encoding="utf-8")
        for name in DEMO_FILES:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("wrote demo data to %s (%d establishments)", out, len(businesses))
    return {name: out / name for name in DEMO_FILES}
