"""Extract the public CBS figures of Almere's 63 buurten into a small CSV.

Reads the CBS Wijk- en Buurtkaart of Almere (old upper-case schema, GeoJSON in WGS 84) from
``../shared/data/cbs_almere_buurten.geojson`` (relative to the project root) and writes
``almere_gis/datasets/data/almere_buurten_cbs.csv``: one row per buurt with figures only, never polygons.
The demo generator (``almere_gis.datasets.generate``) builds its approximate geometry from this table.

Columns
-------
buurt_code, buurt_name, wijk_code, wijk_name, gemeente_code
    CBS codes and names. The source has no ``WK_NAAM``: the wijk names are Almere's stadsdelen,
    given below as a small table (public facts).
inhabitants, households, homes
    ``AANT_INW``, ``AANTAL_HH``, ``WONINGEN`` (CBS rounds buurt counts to multiples of 5).
area_total_ha, area_land_ha, area_water_ha
    ``OPP_TOT``, ``OPP_LAND``, ``OPP_WATER`` in whole hectares.
dist_train_km
    ``AF_TREINST``: road distance to the nearest train station in km.
centroid_x, centroid_y
    A point of the buurt in RD New (EPSG:28992), rounded to 10 m: the polygon's centroid when
    that (rounded) point lies inside the polygon, otherwise its pole of inaccessibility (the
    centre of the largest inscribed circle, ``shapely.maximum_inscribed_circle``; always inside,
    and for the ring-shaped rural buurten in the widest part of the polygon rather than on a
    thin strip between other buurten), rounded and checked again. ``centroid_kind`` says which
    (``centroid`` or ``inscribed_centre``).

Every CBS missing-value sentinel (any value <= -99995) is written as an empty cell.
The one invalid source polygon is repaired with ``shapely.make_valid`` before its centroid is
taken.

Run from the project root::

    python scripts/extract_buurt_facts.py
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from almere_gis.io.areas import load_buurten

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "cbs_almere_buurten.geojson"
TARGET = ROOT / "almere_gis" / "datasets" / "data" / "almere_buurten_cbs.csv"

# CBS wijken of Almere are its stadsdelen (CBS codes WK0034xx).
WIJK_NAMES = {
    "WK003401": "Almere-Haven",
    "WK003402": "Almere-Stad",
    "WK003403": "Almere-Buiten",
    "WK003404": "Almere-Poort",
    "WK003405": "Almere-Hout",
    "WK003406": "Almere-Pampus",
}

ROUND_M = 10.0

log = logging.getLogger("almere_gis")


def extract(source: Path) -> pd.DataFrame:
    """Return the facts table (one row per buurt, sorted by buurt code).

    The file is read with the package's own loader, which maps the CBS schema, turns sentinels
    into missing values, repairs invalid polygons and reprojects to RD New.
    """
    gdf = load_buurten(source).sort_values("buurt_code").reset_index(drop=True)
    unknown = sorted(set(gdf["wijk_code"]) - set(WIJK_NAMES))
    if unknown:
        raise ValueError(
            f"{source}: wijk codes {unknown} have no name. Fix: add them to WIJK_NAMES."
        )
    geom = gdf.geometry.to_numpy()

    def rounded(points: np.ndarray) -> np.ndarray:
        xy = np.round(shapely.get_coordinates(points) / ROUND_M) * ROUND_M
        return xy

    xy = rounded(shapely.centroid(geom))
    inside = shapely.contains_xy(geom, xy[:, 0], xy[:, 1])
    kind = np.where(inside, "centroid", "inscribed_centre")
    if (~inside).any():
        circles = shapely.maximum_inscribed_circle(geom[~inside], 1.0)
        xy[~inside] = rounded(shapely.get_point(circles, 0))
        still_out = ~shapely.contains_xy(geom, xy[:, 0], xy[:, 1])
        if still_out.any():
            raise ValueError(
                f"{source}: no inside point at {ROUND_M:g} m precision for "
                f"{list(gdf.loc[still_out, 'buurt_code'])}. Fix: lower ROUND_M."
            )
        log.info("inscribed-circle centre used for: %s", ", ".join(gdf.loc[~inside, "buurt_code"]))

    out = gdf[["buurt_code", "buurt_name", "wijk_code"]].astype(str)
    out["wijk_name"] = out["wijk_code"].map(WIJK_NAMES)
    out["gemeente_code"] = gdf["gemeente_code"].astype(str)
    for col in ("inhabitants", "households", "homes", "area_total_ha", "area_land_ha"):
        out[col] = gdf[col].astype("Int64")
    out["area_water_ha"] = gdf["area_water_ha"].astype("Int64")
    out["dist_train_km"] = gdf["dist_train_km"]
    out["dist_train_km"] = out["dist_train_km"].round(1)
    out["centroid_x"] = xy[:, 0].astype("int64")
    out["centroid_y"] = xy[:, 1].astype("int64")
    out["centroid_kind"] = kind
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    facts = extract(args.source)
    args.target.parent.mkdir(parents=True, exist_ok=True)
    facts.to_csv(args.target, index=False, lineterminator="\n")
    log.info("wrote %d buurten to %s", len(facts), args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
