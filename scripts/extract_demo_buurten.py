"""Derive the demo's buurt polygons from the real CBS Wijk- en Buurtkaart of Almere.

Reads ``../shared/data/cbs_almere_buurten.geojson`` (relative to the project root: the 63 buurten
of Almere, old upper-case CBS schema, WGS 84 with a zero third coordinate) and writes
``almere_gis/datasets/data/almere_buurten_cbs.geojson``: the same polygons in RD New
(EPSG:28992), coordinates rounded to 0.1 m, with the few CBS columns the demo uses. The demo
generator (``almere_gis.datasets.generate``) writes ``shapefiles/demo_buurten.shp`` and
``demo_wijken.shp`` from this file.

What the script does to the source, and says in its log:

* reprojects with the package's CRS policy and repairs the one invalid polygon (BU00340599,
  a self-intersection) with the package's loader (``shapely.make_valid``, polygonal parts
  kept); the repair is reported;
* drops the third coordinate and snaps every vertex to a 0.1 m grid
  (``shapely.set_precision``). Shared boundaries stay shared, because the two neighbours
  carry the same vertices and snap them alike. Every buurt's area must stay within
  ``MAX_AREA_CHANGE`` (0.5 %) of the unrounded polygon and every polygon must stay valid, or the
  script stops;
* keeps ``KEEP_COLUMNS`` as CBS publishes them, CBS sentinels (-99999997, -99999998) included,
  and adds ``WK_NAAM``: the source has none; Almere's wijken are its stadsdelen (public facts,
  ``WIJK_NAMES``).

The source's own small defects stay as they are: a few slivers of gap and overlap between
neighbouring buurten (about 0.5 ha and 0.02 ha in total).

Run from the project root::

    python scripts/extract_demo_buurten.py

Source: CBS, Kadaster (Wijk- en Buurtkaart, CC BY 4.0).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from almere_gis._errors import InputError
from almere_gis.io.areas import load_buurten
from almere_gis.io.atomic import atomic_path
from almere_gis.io.read import read_table

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "cbs_almere_buurten.geojson"
TARGET = ROOT / "almere_gis" / "datasets" / "data" / "almere_buurten_cbs.geojson"

GRID_M = 0.1
MAX_AREA_CHANGE = 0.005

# CBS wijken of Almere are its stadsdelen (CBS codes WK0034xx).
WIJK_NAMES = {
    "WK003401": "Almere-Haven",
    "WK003402": "Almere-Stad",
    "WK003403": "Almere-Buiten",
    "WK003404": "Almere-Poort",
    "WK003405": "Almere-Hout",
    "WK003406": "Almere-Pampus",
}

# The columns of the old CBS schema the package reads (see io/validate.py AREA_SCHEMAS).
KEEP_COLUMNS = [
    "BU_CODE",
    "BU_NAAM",
    "WK_CODE",
    "WK_NAAM",
    "GM_CODE",
    "GM_NAAM",
    "AANT_INW",
    "AANTAL_HH",
    "WONINGEN",
    "OPP_TOT",
    "OPP_LAND",
    "OPP_WATER",
    "AF_TREINST",
]

log = logging.getLogger("almere_gis")


def _rounded(geoms: np.ndarray) -> np.ndarray:
    """2-D copies of ``geoms`` on the 0.1 m grid, without GEOS's fixed precision model (a WKB
    round trip), so later operations run in full precision."""
    snapped = shapely.set_precision(shapely.force_2d(geoms), GRID_M)
    return np.asarray(shapely.from_wkb(shapely.to_wkb(snapped)))


def extract(source: Path) -> gpd.GeoDataFrame:
    """The demo buurten: CBS figures as published plus rounded RD New polygons, by code."""
    raw = read_table(source)
    areas = load_buurten(source)  # logs each repaired polygon
    unknown = sorted(set(raw["WK_CODE"]) - set(WIJK_NAMES))
    if unknown:
        raise InputError(source, f"wijk codes {unknown} have no name", "add them to WIJK_NAMES")
    raw = raw.assign(WK_NAAM=raw["WK_CODE"].map(WIJK_NAMES))
    table = raw[KEEP_COLUMNS].set_index("BU_CODE", drop=False)
    geometry = areas.set_index("buurt_code").geometry.reindex(table.index).to_numpy()
    rounded = _rounded(geometry)
    change = np.abs(shapely.area(rounded) / shapely.area(geometry) - 1.0)
    bad = (~shapely.is_valid(rounded)) | (change > MAX_AREA_CHANGE)
    if bad.any():
        raise InputError(
            source,
            f"rounding to {GRID_M} m breaks {list(table.index[bad])}",
            "lower GRID_M",
        )
    log.info(
        "%d buurten rounded to %.1f m; largest area change %.4f %%",
        len(table),
        GRID_M,
        100 * change.max(),
    )
    out = gpd.GeoDataFrame(table.reset_index(drop=True), geometry=rounded, crs=areas.crs)
    return out.sort_values("BU_CODE", kind="stable").reset_index(drop=True)


def write(buurten: gpd.GeoDataFrame, target: Path) -> None:
    """GeoJSON with the CRS named (RD New), one decimal: a text file that diffs line by line."""
    with atomic_path(target) as tmp:
        pyogrio.write_dataframe(
            buurten,
            tmp,
            driver="GeoJSON",
            layer="buurten",
            layer_options={"COORDINATE_PRECISION": "1", "WRITE_BBOX": "NO", "RFC7946": "NO"},
        )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    buurten = extract(args.source)
    write(buurten, args.target)
    log.info("wrote %d buurten to %s", len(buurten), args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
