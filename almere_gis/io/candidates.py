"""Load candidate broedplaats sites and train stations, validated row by row.

Every candidate row ends up among the candidates or in the rejects table with its reason.
"""

from __future__ import annotations

__all__ = ["CANDIDATE_COLUMNS", "load_candidates", "load_stations"]

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import InputError
from .._schema import CRS_RD, RD_EXTENT
from .crs import to_rd
from .read import read_table
from .validate import to_number, to_text

log = logging.getLogger("almere_gis")

# Internal candidate columns and the demo Shapefile's field names (internal names are accepted
# too, so a file written by this package reads back).
CANDIDATE_COLUMNS = [
    "site_id",
    "name",
    "site_type",
    "floor_area_m2",
    "vacant_since",
    "vacancy_share",
    "ownership",
]
_SOURCE_NAMES = {
    "site_id": ("site_id",),
    "name": ("naam", "name"),
    "site_type": ("type", "site_type"),
    "floor_area_m2": ("vloer_m2", "floor_area_m2"),
    "vacant_since": ("leeg_sinds", "vacant_since"),
    "vacancy_share": ("leegstand", "vacancy_share"),
    "ownership": ("eigendom", "ownership"),
}
_SITE_GEOM_TYPES = {"Point", "MultiPoint", "Polygon", "MultiPolygon"}

_TEXT = {
    "nl": {
        "no_geometry": "geen geometrie",
        "geom_type": "geometrietype {t} wordt niet ondersteund (alleen punten en vlakken)",
        "no_id": "site_id ontbreekt",
        "duplicate": "site_id {id} komt al voor in rij {row}",
        "negative_area": "negatief vloeroppervlak ({v} m2)",
        "bad_number": "{col} is geen getal ({v!r})",
        "bad_share": "leegstand {v} ligt niet tussen 0 en 1",
        "outside": "ligt buiten het RD-gebied (verkeerd coördinatenstelsel?)",
        "min_area": "vloeroppervlak {v:.0f} m2 is kleiner dan het minimum van {m:.0f} m2",
        "missing": "{label} ontbreekt",
        "excluded": "Uitgesloten: {reason}.",
        "neutral": "ontbrekend, neutraal gerekend: {labels}",
        "explain": "Sterkst: {strong} ({strong_v}); zwakst: {weak} ({weak_v})",
        "only": "Eén bekend criterium: {strong} ({strong_v})",
        "none_strong": "Nergens sterk; zwakst: {weak} ({weak_v})",
        "none_weak": "Sterkst: {strong} ({strong_v}); nergens zwak",
    },
    "en": {
        "no_geometry": "no geometry",
        "geom_type": "geometry type {t} is not supported (points and polygons only)",
        "no_id": "site_id is missing",
        "duplicate": "site_id {id} already occurs in row {row}",
        "negative_area": "negative floor area ({v} m2)",
        "bad_number": "{col} is not a number ({v!r})",
        "bad_share": "vacancy share {v} is not between 0 and 1",
        "outside": "lies outside the RD extent (wrong coordinate system?)",
        "min_area": "floor area {v:.0f} m2 is below the minimum of {m:.0f} m2",
        "missing": "{label} is missing",
        "excluded": "Excluded: {reason}.",
        "neutral": "missing, counted as neutral: {labels}",
        "explain": "Strongest: {strong} ({strong_v}); weakest: {weak} ({weak_v})",
        "only": "One known criterion: {strong} ({strong_v})",
        "none_strong": "Strong on nothing; weakest: {weak} ({weak_v})",
        "none_weak": "Strongest: {strong} ({strong_v}); weak on nothing",
    },
}


def load_stations(
    path: str | Path, *, crs: str | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Train stations (points) for the accessibility criterion, in EPSG:28992.

    Raises
    ------
    InputError
        For a missing, unreadable or empty file, a file without point geometry, or a file
        without a CRS when ``crs`` is not given.
    """
    path = Path(path)
    raw = read_table(path, layer=layer)
    if not isinstance(raw, gpd.GeoDataFrame) or len(raw) == 0:
        raise InputError(path, "has no station points", "give a point layer of train stations")
    geoms = raw.geometry.to_numpy()
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not (shapely.get_type_id(geoms[usable]) == 0).all() or not usable.any():
        raise InputError(
            path,
            "stations must be points",
            "give one point per station (use the station's centroid for areas)",
        )
    if (~usable).any():
        log.warning("%s: %d stations without a location are ignored", path, int((~usable).sum()))
    return to_rd(raw.loc[usable].reset_index(drop=True), path, crs)


def load_candidates(
    path: str | Path,
    *,
    crs: str | None = None,
    layer: str | None = None,
    language: str = "nl",
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Read candidate sites (points or polygons) and validate them row by row.

    Field names of the demo Shapefile (``site_id, naam, type, vloer_m2, leeg_sinds, leegstand,
    eigendom``) and the internal names (:data:`CANDIDATE_COLUMNS`) are both accepted, in any
    letter case. Only ``site_id`` and a geometry are required; other columns of the file are
    not carried over. A ``leeg_sinds`` of 0 or less counts as empty (a Shapefile writer may
    store an empty year as 0).

    Parameters
    ----------
    path
        Shapefile, GeoPackage, GeoJSON (any format GDAL reads), or a CSV with ``x``/``y``
        columns in RD New.
    crs
        CRS to assume when the file carries none (e.g. ``"EPSG:28992"``); a file in another
        CRS is reprojected to EPSG:28992 and the log says so.
    layer
        Layer name inside a multi-layer file.
    language
        Language of the reasons in the rejects table.

    Returns
    -------
    candidates : GeoDataFrame
        ``site_id`` (str), ``name``, ``site_type``, ``ownership`` (str), ``floor_area_m2``,
        ``vacancy_share`` (float, NaN when unknown), ``vacant_since`` (Int64), ``source_row``
        (1-based feature number), geometry in EPSG:28992; index 0..n-1.
    rejects : DataFrame
        ``source_row``, ``site_id`` (str or <NA>), ``reason`` for every row left out: no or
        unsupported geometry, missing or duplicate ``site_id`` (the first one is kept), a
        negative or non-numeric floor area, a vacancy share outside 0-1, or a location outside
        the RD extent.

    Raises
    ------
    InputError
        For a missing, unreadable or empty file, a missing ``site_id`` column, or a file
        without a CRS when ``crs`` is not given.
    """
    text = _TEXT[language if language in _TEXT else "nl"]
    path = Path(path)
    raw = read_table(path, layer=layer)  # InputError for a missing, empty or unreadable file
    if not isinstance(raw, gpd.GeoDataFrame) or raw.geometry.name not in raw.columns:
        lower = {str(c).lower(): c for c in raw.columns}
        if "x" not in lower or "y" not in lower:
            raise InputError(
                path,
                "has no geometry and no x/y columns",
                "give a vector file with point or polygon sites, or a CSV with x and y in RD New",
            )
        x = to_number(raw[lower["x"]])[0].to_numpy(dtype=float, na_value=np.nan)
        y = to_number(raw[lower["y"]])[0].to_numpy(dtype=float, na_value=np.nan)
        geom = shapely.points(x, y)
        geom[~(np.isfinite(x) & np.isfinite(y))] = None
        raw = gpd.GeoDataFrame(
            pd.DataFrame(raw).drop(columns=[lower["x"], lower["y"]]),
            geometry=geom,
            crs=crs or CRS_RD,
        )
    if len(raw) == 0:
        raise InputError(path, "has no rows", "add at least one candidate site")

    lower = {str(c).lower(): c for c in raw.columns if c != raw.geometry.name}
    found: dict[str, str] = {}
    for internal, names in _SOURCE_NAMES.items():
        for name in names:
            if name in lower:
                found[internal] = lower[name]
                break
    if "site_id" not in found:
        raise InputError(
            path,
            "required column 'site_id' is missing "
            f"(columns found: {', '.join(map(str, lower.values()))})",
            "add a column site_id with a unique id per site",
        )

    raw = to_rd(raw, path, crs)

    n = len(raw)
    source_row = np.arange(1, n + 1)
    reasons: list[list[str]] = [[] for _ in range(n)]

    # Candidate files hold tens to hundreds of sites: messages are built per flagged row.
    def _flag(mask: np.ndarray, message: str | Sequence[str]) -> None:
        for i in np.flatnonzero(mask).tolist():
            reasons[i].append(message if isinstance(message, str) else message[i])

    ids = to_text(raw[found["site_id"]]).astype("string")
    no_id = ids.isna().to_numpy()
    _flag(no_id, text["no_id"])
    dup = (ids.duplicated(keep="first") & ids.notna()).to_numpy()
    if dup.any():
        first_row: dict[str, int] = {}
        for i, site_id in enumerate(ids.fillna("").tolist()):
            first_row.setdefault(site_id, i + 1)
        _flag(
            dup,
            [text["duplicate"].format(id=v, row=first_row[v]) for v in ids.fillna("").tolist()],
        )

    geom = raw.geometry.to_numpy()
    missing_geom = shapely.is_missing(geom) | shapely.is_empty(geom)
    _flag(missing_geom, text["no_geometry"])
    type_names = np.asarray(shapely.get_type_id(geom))
    names = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ]
    )[np.clip(type_names, 0, 7)]
    bad_type = ~missing_geom & ~np.isin(names, list(_SITE_GEOM_TYPES))
    _flag(bad_type, [text["geom_type"].format(t=t) for t in names])
    bounds = shapely.bounds(geom)
    xmin, ymin, xmax, ymax = RD_EXTENT
    inside = (
        (bounds[:, 0] >= xmin)
        & (bounds[:, 2] <= xmax)
        & (bounds[:, 1] >= ymin)
        & (bounds[:, 3] <= ymax)
    )
    _flag(~missing_geom & ~inside, text["outside"])

    def _numeric(internal: str) -> np.ndarray:
        if internal not in found:
            return np.full(n, np.nan)
        col = raw[found[internal]]
        values, bad = to_number(col)
        _flag(
            bad.to_numpy(dtype=bool),
            [text["bad_number"].format(col=found[internal], v=v) for v in col.tolist()],
        )
        return np.array(values.to_numpy(dtype=float, na_value=np.nan), copy=True)

    floor = _numeric("floor_area_m2")
    _flag(floor < 0, [text["negative_area"].format(v=v) for v in floor])
    share = _numeric("vacancy_share")
    _flag((share < 0) | (share > 1), [text["bad_share"].format(v=v) for v in share])
    since = _numeric("vacant_since")
    since[since <= 0] = np.nan  # a Shapefile writer may store an empty year as 0

    def _text(internal: str) -> pd.Series:
        if internal not in found:
            return pd.Series(pd.NA, index=raw.index, dtype="string")
        return to_text(raw[found[internal]]).astype("string")

    # make_valid keeps a self-intersecting outline as a site rather than dropping it
    invalid = ~missing_geom & ~bad_type & ~shapely.is_valid(geom)
    if invalid.any():
        geom = geom.copy()
        geom[invalid] = shapely.make_valid(geom[invalid])
        log.warning(
            "%s: repaired the invalid outline of site(s) %s",
            path,
            ", ".join(ids[invalid].fillna("?").tolist()),
        )

    table = gpd.GeoDataFrame(
        {
            "site_id": ids.to_numpy(),
            "name": _text("name").to_numpy(),
            "site_type": _text("site_type").to_numpy(),
            "floor_area_m2": floor,
            "vacant_since": pd.array(np.round(since), dtype="Float64").astype("Int64"),
            "vacancy_share": share,
            "ownership": _text("ownership").to_numpy(),
            "source_row": source_row,
        },
        geometry=geom,
        crs=CRS_RD,
    )
    for col in ("site_id", "name", "site_type", "ownership"):
        table[col] = table[col].astype("string")
    bad = np.array([bool(r) for r in reasons], dtype=bool)
    rejects = pd.DataFrame(
        {
            "source_row": source_row[bad],
            "site_id": pd.array(ids.to_numpy()[bad], dtype="string"),
            "reason": pd.array(
                ["; ".join(reasons[i]) for i in np.flatnonzero(bad)], dtype="string"
            ),
        }
    )
    candidates = table.loc[~bad].reset_index(drop=True)
    if bad.any():
        log.warning(
            "%s: %d of %d candidate sites rejected (see the rejects table)", path, bad.sum(), n
        )
    if len(candidates) == 0:
        raise InputError(
            path,
            f"none of the {n} sites is usable (row {rejects['source_row'].iloc[0]}: "
            f"{rejects['reason'].iloc[0]})",
            "correct the rows listed in the rejects table",
        )
    return candidates, rejects


# --------------------------------------------------------------------------------------------
# Weights
