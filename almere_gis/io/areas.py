"""Load CBS buurten and wijken (Wijk- en Buurtkaart, old or new schema) into the internal
area schema of :mod:`almere_gis._schema`, in EPSG:28992; invalid polygons are repaired and
reported, never dropped."""

from __future__ import annotations

__all__ = ["WIJK_COLUMNS", "check_overlaps", "load_buurten", "load_wijken", "wijken_from_buurten"]

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import CRSError, InputError
from .._schema import AREA_COLUMNS
from .crs import rd_by_range, to_rd
from .read import read_table
from .validate import check_areas, detect_area_schema

log = logging.getLogger("almere_gis")

WIJK_COLUMNS = [c for c in AREA_COLUMNS if not c.startswith("buurt_")]
# Column names a CSV of areas may hold its polygons in, as WKT (QGIS writes "WKT").
_WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "wkt_geom")
# Overlaps between areas: smaller than this (m2) is drawing noise and ignored; more than
# this share of the smaller area ends the run (two releases or a layer twice in one file).
OVERLAP_NOISE_M2 = 1.0
OVERLAP_ERROR_SHARE = 0.01
# Counts and areas add up from buurten to wijken.
_SUMMED = (
    "inhabitants",
    "households",
    "homes",
    "area_total_ha",
    "area_land_ha",
    "area_water_ha",
    "cbs_establishments",
)


def _repair(gdf: gpd.GeoDataFrame, code_col: str, path: object) -> tuple[gpd.GeoDataFrame, list]:
    """Repair invalid polygons with make_valid, keeping only their polygonal parts."""
    geom = gdf.geometry.to_numpy()
    invalid = ~shapely.is_valid(geom)
    if not invalid.any():
        return gdf, []
    fixed = shapely.make_valid(geom[invalid])
    # make_valid may return a GeometryCollection with stray lines or points: keep the area
    parts, owner = shapely.get_parts(fixed, return_index=True)
    polygonal = np.isin(shapely.get_type_id(parts), (3, 6))
    rebuilt = np.empty(len(fixed), dtype=object)
    for i in range(len(fixed)):  # loops over the few repaired polygons only
        own = parts[(owner == i) & polygonal]
        polys = shapely.get_parts(own)
        rebuilt[i] = polys[0] if len(polys) == 1 else shapely.multipolygons(polys)
    out = geom.copy()
    out[invalid] = rebuilt
    codes = gdf.loc[invalid, code_col].tolist()
    before = shapely.area(geom[invalid])
    after = shapely.area(rebuilt)
    for code, a0, a1 in zip(codes, before, after, strict=True):
        log.warning(
            "%s: invalid polygon of %s repaired (make_valid); area %.1f ha -> %.1f ha",
            path,
            code,
            a0 / 1e4,
            a1 / 1e4,
        )
    gdf = gdf.set_geometry(gpd.GeoSeries(out, index=gdf.index, crs=gdf.crs))
    return gdf, codes


def _from_wkt(path: str | Path, table: pd.DataFrame, crs: str | None) -> gpd.GeoDataFrame:
    """A table with a WKT column (a CSV of areas) as a GeoDataFrame in the given CRS."""
    by_lower = {str(c).lower(): str(c) for c in table.columns}
    column = next((by_lower[c] for c in _WKT_COLUMNS if c in by_lower), None)
    if column is None:
        raise InputError(
            path,
            "the file has no geometry (no WKT column such as 'WKT' or 'geometry')",
            "give the CBS Wijk- en Buurtkaart as Shapefile, GeoPackage or GeoJSON",
        )
    text = table[column].astype("string")
    geometry = shapely.from_wkt(text.fillna("").to_numpy(dtype=object), on_invalid="ignore")
    bad = text.notna().to_numpy() & shapely.is_missing(geometry)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputError(
            path,
            f"row {row}: column '{column}' is not WKT ({str(text.iloc[row - 1])[:40]!r})",
            "write the polygons as WKT (e.g. 'POLYGON ((...))'), or use a GeoPackage",
        )
    if crs is None:
        raise CRSError(
            path,
            f"a CSV file with WKT polygons (column '{column}') carries no CRS",
            "set [paths] areas_crs = 'EPSG:28992' (or the EPSG code of its coordinates)",
        )
    return gpd.GeoDataFrame(table.drop(columns=column), geometry=geometry, crs=crs)


def _load_areas(
    path: str | Path,
    table: pd.DataFrame,
    *,
    crs: str | None,
    level: str,
    extra: Sequence[str] = (),
) -> gpd.GeoDataFrame:
    if not isinstance(table, gpd.GeoDataFrame):
        table = _from_wkt(path, table, crs)
    areas, schema = check_areas(table, path=path, level=level, extra=extra)
    log.info("%s: %d %sen, %s CBS schema", path, len(areas), level, schema)
    areas = to_rd(rd_by_range(areas, path, crs), path, crs)
    areas, repaired = _repair(areas, f"{level}_code", path)
    areas = areas.reset_index(drop=True)
    areas.attrs["overlaps"] = check_overlaps(areas, f"{level}_code", path)
    areas.attrs["repaired"] = repaired
    areas.attrs["schema"] = schema
    areas.attrs["source"] = str(path)
    return areas


def check_overlaps(areas: gpd.GeoDataFrame, code_col: str, path: object) -> pd.DataFrame:
    """Pairs of areas that overlap, with the overlap area; an error when one is too large.

    Overlaps below ``OVERLAP_NOISE_M2`` are drawing noise and left out. Up to
    ``OVERLAP_ERROR_SHARE`` of the smaller area, an overlap is reported (logged, and noted in
    the run summary): a business point in it is assigned to one of the two. Above it, the
    file is refused: it most likely holds two releases, or a layer twice.

    Returns
    -------
    DataFrame
        ``code_a``, ``code_b``, ``overlap_m2``, ``share`` (of the smaller area), largest first.
    """
    geom = areas.geometry.to_numpy()
    left, right = shapely.STRtree(geom).query(geom, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    overlap = shapely.area(shapely.intersection(geom[left], geom[right]))
    smaller = np.minimum(shapely.area(geom[left]), shapely.area(geom[right]))
    share = overlap / np.where(smaller > 0, smaller, np.nan)
    codes = areas[code_col].to_numpy()
    found = pd.DataFrame(
        {"code_a": codes[left], "code_b": codes[right], "overlap_m2": overlap, "share": share}
    )
    found = found[found["overlap_m2"] >= OVERLAP_NOISE_M2]
    found = found.sort_values("overlap_m2", ascending=False, ignore_index=True)
    if found.empty:
        return found
    top = found.iloc[0]
    pair = f"{top['code_a']} and {top['code_b']} overlap by {_area_text(top['overlap_m2'])}"
    if (found["share"] > OVERLAP_ERROR_SHARE).any():
        worst = found.loc[found["share"].idxmax()]
        raise InputError(
            path,
            f"{len(found)} pair(s) of areas overlap; {worst['code_a']} and {worst['code_b']} "
            f"by {_area_text(worst['overlap_m2'])} ({worst['share']:.0%} of the smaller)",
            "give one layer of one CBS release: areas must not overlap "
            f"(up to {OVERLAP_ERROR_SHARE:.0%} of an area is accepted with a note)",
        )
    log.warning(
        "%s: %d pair(s) of areas overlap, %s in all (largest: %s); a business there is "
        "assigned to one of them", path, len(found), _area_text(found["overlap_m2"].sum()), pair,
    )  # fmt: skip
    return found


def _area_text(m2: float) -> str:
    return f"{m2 / 1e4:.1f} ha" if m2 >= 1e4 else f"{m2:.0f} m2"


def load_buurten(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | None = None,
    extra: Sequence[str] = (),
) -> gpd.GeoDataFrame:
    """Load CBS buurten (Wijk- en Buurtkaart), old or new schema, into the internal schema.

    Parameters
    ----------
    path : path-like
        Shapefile, GeoPackage or GeoJSON with one polygon per buurt.
    layer : str, optional
        Layer name in a multi-layer GeoPackage.
    crs : str, optional
        CRS to assume when the file carries none (e.g. ``"EPSG:28992"``). A file with its own
        CRS keeps it.
    extra : sequence of str
        Figures for the typology to add where the file has them (keys of
        :data:`almere_gis.io.validate.AREA_TYPOLOGY_COLUMNS`); default none.

    Returns
    -------
    GeoDataFrame
        ``_schema.AREA_COLUMNS`` + geometry, EPSG:28992, index 0..n-1. CBS sentinels
        (<= -99995) are NaN; columns the file lacks are NaN (``wijk_name`` in old files that
        have no ``WK_NAAM``). ``attrs["repaired"]`` lists the buurt codes whose invalid
        polygon was repaired with ``shapely.make_valid`` (polygonal parts kept; also logged),
        ``attrs["schema"]`` is ``"old"`` or ``"new"``.

    Raises
    ------
    InputError
        File unreadable, not a CBS buurten layer, no CRS and no ``crs``, duplicate or
        missing buurt codes, missing geometries.

    Notes
    -----
    The ``area_*_ha`` columns are CBS's published hectares (whole numbers). The polygons
    cover land and water, so their area matches ``area_total_ha``, not ``area_land_ha``.
    """
    table = read_table(path, layer=layer)
    return _load_areas(path, table, crs=crs, level="buurt", extra=extra)


def load_wijken(
    path: str | Path, *, layer: str | None = None, crs: str | None = None
) -> gpd.GeoDataFrame:
    """Load CBS wijken into the internal schema (``AREA_COLUMNS`` without the buurt fields).

    A wijken layer (``WK_CODE``/``WK_NAAM`` or ``wijkcode``/``wijknaam``) is mapped as is; a
    buurten layer is accepted too and dissolved with :func:`wijken_from_buurten`.

    Parameters
    ----------
    path, layer, crs
        As for :func:`load_buurten`.

    Returns
    -------
    GeoDataFrame
        wijk_code, wijk_name, gemeente_code, gemeente_name, the counts and areas, geometry;
        EPSG:28992; ``attrs["repaired"]`` as for buurten.
    """
    table = read_table(path, layer=layer)
    _, level = detect_area_schema(table.columns)
    if level == "buurt":
        log.info("%s: holds buurten; dissolving them into wijken", path)
        return wijken_from_buurten(_load_areas(path, table, crs=crs, level="buurt"))
    return _load_areas(path, table, crs=crs, level="wijk")


def _weighted_mean(
    values: pd.Series, weights: pd.Series, groups: pd.Series, index: pd.Index
) -> pd.Series:
    """Mean of ``values`` per group weighted by ``weights``, over members where both are known
    and the weight is positive; NaN for a group with no such member."""
    ok = values.notna() & weights.notna() & (weights > 0)
    num = (values * weights).where(ok).groupby(groups).sum(min_count=1)
    den = weights.where(ok).groupby(groups).sum(min_count=1)
    return (num / den).reindex(index)


def wijken_from_buurten(buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dissolve buurten into wijken by ``wijk_code``.

    Counts and areas are summed; a wijk with any buurt missing a value (NaN) gets NaN for that
    column, since a partial sum would pass for a total (logged). ``dist_train_km`` is the
    inhabitant-weighted and ``share_social_minimum`` the household-weighted mean over the
    buurten where CBS publishes them: an approximation, as CBS suppresses small buurten.

    Parameters
    ----------
    buurten : GeoDataFrame
        From :func:`load_buurten`.

    Returns
    -------
    GeoDataFrame
        ``WIJK_COLUMNS`` + geometry, one row per wijk sorted by code, index 0..n-1, same CRS.
        ``attrs["repaired"]`` carries over the buurten's repaired codes.
    """
    if buurten["wijk_code"].isna().any():
        raise InputError(
            buurten.attrs.get("source", "<buurten>"),
            "buurten without a wijk code cannot be dissolved into wijken",
            "fill in the wijk codes",
        )
    groups = buurten["wijk_code"]
    codes = pd.Index(sorted(groups.unique()), name="wijk_code")
    out = pd.DataFrame(index=codes)
    for col in ("wijk_name", "gemeente_code", "gemeente_name"):
        out[col] = buurten[col].groupby(groups).first().reindex(codes)
    partial = []
    for col in _SUMMED:
        sums = buurten[col].groupby(groups).sum(min_count=1)
        complete = buurten[col].notna().groupby(groups).all()
        sums = sums.where(complete).reindex(codes)
        if (~complete & buurten[col].notna().groupby(groups).any()).any():
            partial.append(col)
        out[col] = sums.astype("float64")
    if partial:
        log.info("wijken: %s left NaN where a buurt of the wijk has no value", ", ".join(partial))
    out["dist_train_km"] = _weighted_mean(
        buurten["dist_train_km"], buurten["inhabitants"], groups, codes
    )
    out["share_social_minimum"] = _weighted_mean(
        buurten["share_social_minimum"], buurten["households"], groups, codes
    )
    geoms = buurten.geometry.to_numpy()
    order = np.argsort(groups.to_numpy(), kind="stable")
    sorted_codes = groups.to_numpy()[order]
    starts = np.searchsorted(sorted_codes, codes.to_numpy(), side="left")
    ends = np.searchsorted(sorted_codes, codes.to_numpy(), side="right")
    # one union per wijk (a few dozen groups, not a per-business loop)
    unions = [shapely.union_all(geoms[order[s:e]]) for s, e in zip(starts, ends, strict=True)]
    out = out.reset_index()
    for col in ("wijk_name", "gemeente_code", "gemeente_name"):
        out[col] = out[col].astype("str")
    wijken = gpd.GeoDataFrame(out[WIJK_COLUMNS], geometry=unions, crs=buurten.crs)
    wijken.attrs["repaired"] = list(buurten.attrs.get("repaired", []))
    wijken.attrs["source"] = buurten.attrs.get("source", "")
    return wijken
