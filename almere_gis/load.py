"""Read and validate the inputs: CBS buurten and wijken, and a business register.

Everything leaves this module in the internal schema of :mod:`almere_gis._schema`, in
EPSG:28992. Problems are reported, never hidden: a business row that fails a check is returned
in a rejects table with its reason, a file that cannot be used raises
:class:`~almere_gis._errors.InputError` with one line naming the file, the problem and the fix.
"""

from __future__ import annotations

__all__ = [
    "BUSINESS_PRESETS",
    "WIJK_COLUMNS",
    "load_businesses",
    "load_buurten",
    "load_wijken",
    "read_table",
    "validate_businesses",
    "wijken_from_buurten",
]

import logging
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ._crs import to_rd
from ._errors import AccountingError, InputError, ValidationReport
from ._schema import AREA_COLUMNS, BUSINESS_COLUMNS, CRS_RD
from ._validate import BUSINESS_PRESETS, check_areas, check_businesses, detect_area_schema

log = logging.getLogger("almere_gis")

_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_VECTOR_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".zip", ".fgb"}
_PARQUET_SUFFIXES = {".parquet", ".geoparquet", ".pq"}

WIJK_COLUMNS = [c for c in AREA_COLUMNS if not c.startswith("buurt_")]
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


# --------------------------------------------------------------------------------------------
# Reading any table
# --------------------------------------------------------------------------------------------


def read_table(path: str | Path, *, layer: str | None = None) -> pd.DataFrame:
    """Read a CSV, GeoPackage, Shapefile, GeoJSON or (Geo)Parquet file as it is.

    Parameters
    ----------
    path : path-like
        ``.csv`` / ``.txt`` / ``.tsv``: delimiter sniffed from the header (comma, semicolon,
        tab or pipe); UTF-8 with or without BOM, else cp1252. ``.gpkg``, ``.shp``,
        ``.geojson``, ``.json``: read with pyogrio. ``.parquet``: GeoParquet when the file
        carries geo metadata, else a plain table.
    layer : str, optional
        Layer of a multi-layer GeoPackage. Required when the file has more than one layer.

    Returns
    -------
    DataFrame or GeoDataFrame
        CSV cells come back as text (``str`` dtype, empty cells missing), so ids and SBI codes
        keep their leading zeros; parse numbers with ``almere_gis._validate.to_number``, which
        accepts a decimal comma. Vector files and Parquet keep their column types.

    Raises
    ------
    InputError
        When the file is missing, empty, of an unknown type or cannot be parsed.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found", "check the path (and [paths] in your settings)")
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(path, "the file is empty (0 bytes)", "export the data again")
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        return _read_csv(path)
    if suffix in _PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix in _VECTOR_SUFFIXES or path.is_dir():
        return _read_vector(path, layer=layer)
    raise InputError(
        path,
        f"unsupported file type '{path.suffix}'",
        "save the data as CSV, GeoPackage (.gpkg), Shapefile (.shp), GeoJSON or Parquet",
    )


def _sniff_delimiter(head: str) -> str:
    line = next((ln for ln in head.splitlines() if ln.strip()), "")
    counts = {sep: line.count(sep) for sep in (";", ",", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > 0 else ","


def _read_csv(path: Path) -> pd.DataFrame:
    with path.open("rb") as fh:
        head_bytes = fh.read(65536)
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            head = head_bytes.decode(encoding)
        except UnicodeDecodeError:
            # a multi-byte character cut at the 64 KiB boundary is not an encoding error
            if encoding == "utf-8-sig" and len(head_bytes) == 65536:
                try:
                    head = head_bytes[:-4].decode(encoding)
                except UnicodeDecodeError:
                    continue
            else:
                continue
        if not head.strip():
            raise InputError(path, "the file is empty (no header line)", "export the data again")
        sep = _sniff_delimiter(head)
        try:
            table = pd.read_csv(
                path,
                sep=sep,
                dtype=str,
                encoding=encoding,
                keep_default_na=False,
                na_values=[""],
                skipinitialspace=True,
            )
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise InputError(
                path, "the file is empty (no header line)", "export the data again"
            ) from None
        except (pd.errors.ParserError, ValueError) as exc:
            detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise InputError(
                path,
                f"cannot be read as CSV with delimiter {sep!r} ({detail})",
                "check the delimiter and quoting (quote fields that contain the delimiter)",
            ) from None
        table.columns = [str(c).strip().lstrip("\ufeff") for c in table.columns]
        if encoding != "utf-8-sig":
            log.info("%s: read as %s (not UTF-8)", path, encoding)
        return table
    raise InputError(path, "unknown text encoding", "save the file as UTF-8")  # pragma: no cover


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError(
            path, "reading Parquet needs the pyarrow package", "pip install pyarrow"
        ) from None
    try:
        meta = pq.read_schema(path).metadata or {}
        if b"geo" in meta:
            return gpd.read_parquet(path)
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputError(
            path, f"cannot be read as Parquet ({exc})", "write the file again with pyarrow"
        ) from None


def _read_vector(path: Path, *, layer: str | None) -> pd.DataFrame:
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio.errors.DataSourceError and GDAL errors
        raise InputError(
            path,
            f"cannot be opened as a vector file ({str(exc).splitlines()[0]})",
            "check that the file is complete (a Shapefile needs its .shx and .dbf beside it)",
        ) from None
    names = [str(n) for n in layers[:, 0]]
    if layer is None and len(names) > 1:
        raise InputError(
            path,
            f"the file has {len(names)} layers ({', '.join(names)})",
            "name the layer to read (layer=..., or the *_layer setting)",
        )
    if layer is not None and layer not in names:
        raise InputError(
            path,
            f"layer '{layer}' not found (layers: {', '.join(names)})",
            "use one of the listed layer names",
        )
    try:
        return gpd.read_file(path, layer=layer)
    except Exception as exc:
        raise InputError(
            path,
            f"cannot be read ({str(exc).splitlines()[0]})",
            "check the file with ogrinfo, or export it again",
        ) from None


# --------------------------------------------------------------------------------------------
# Areas
# --------------------------------------------------------------------------------------------


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


def _load_areas(
    path: str | Path, table: pd.DataFrame, *, crs: str | None, level: str
) -> gpd.GeoDataFrame:
    if not isinstance(table, gpd.GeoDataFrame):
        raise InputError(
            path,
            "the file has no geometry",
            "give the CBS Wijk- en Buurtkaart as Shapefile, GeoPackage or GeoJSON",
        )
    areas, schema = check_areas(table, path=path, level=level)
    log.info("%s: %d %sen, %s CBS schema", path, len(areas), level, schema)
    areas = to_rd(areas, path, crs)
    areas, repaired = _repair(areas, f"{level}_code", path)
    areas = areas.reset_index(drop=True)
    areas.attrs["repaired"] = repaired
    areas.attrs["schema"] = schema
    areas.attrs["source"] = str(path)
    return areas


def load_buurten(
    path: str | Path, *, layer: str | None = None, crs: str | None = None
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
    return _load_areas(path, read_table(path, layer=layer), crs=crs, level="buurt")


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


# --------------------------------------------------------------------------------------------
# Businesses
# --------------------------------------------------------------------------------------------


def _column_overrides(columns: Any) -> dict[str, str]:
    if columns is None:
        return {}
    if is_dataclass(columns) and not isinstance(columns, type):
        columns = asdict(columns)
    if not isinstance(columns, Mapping):
        raise TypeError(f"columns must be a ColumnSettings or a mapping, got {type(columns)!r}")
    return {str(k): str(v) for k, v in columns.items() if v}


def _check(
    path: str | Path,
    *,
    preset: str,
    columns: Any,
    crs: str,
    swapped_latlon: str,
    home_gebruiksdoel: str,
    layer: str | None,
):
    table = read_table(path, layer=layer)
    return check_businesses(
        table,
        path=path,
        preset=preset,
        columns=_column_overrides(columns),
        crs=crs,
        swapped_latlon=swapped_latlon,
        home_gebruiksdoel=home_gebruiksdoel,
    )


def load_businesses(
    path: str | Path,
    *,
    preset: str = "lisa",
    columns: Any = None,
    crs: str = "auto",
    swapped_latlon: str = "fix",
    home_gebruiksdoel: str = "woonfunctie",
    layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Load a business register (LISA or KvK style export) into the internal business schema.

    Parameters
    ----------
    path : path-like
        CSV (comma or semicolon, decimal comma, UTF-8 with or without BOM, or cp1252),
        GeoPackage, Shapefile, GeoJSON or (Geo)Parquet.
    preset : {"lisa", "kvk", "custom"}
        Source column names per internal field (:data:`BUSINESS_PRESETS`, matched
        case-insensitively).
    columns : settings.ColumnSettings or mapping, optional
        Non-empty entries name the source column of a field and override the preset.
    crs : str
        ``"auto"``: x/y columns are RD New, lat/lon columns WGS 84, a geometry has the file's
        CRS. Otherwise the CRS of x/y columns and of a geometry whose file has none.
    swapped_latlon : {"fix", "reject"}
        What to do with latitude/longitude given the wrong way round; only unambiguous swaps
        count (see :func:`almere_gis._validate.check_businesses`).
    home_gebruiksdoel : str
        BAG gebruiksdoel marking a home (``classification.home_gebruiksdoel``).
    layer : str, optional
        Layer of a multi-layer GeoPackage.

    Returns
    -------
    businesses : GeoDataFrame
        ``_schema.BUSINESS_COLUMNS`` + Point geometry in EPSG:28992, index 0..n-1, in file
        order. ``jobs`` is int64 >= 0; ``jobs_fulltime``/``jobs_parttime`` are Int64 (<NA>
        when the file only gives a total).
    rejects : DataFrame
        ``source_row`` (1-based data row), ``business_id`` (or <NA>), ``reason`` (every
        problem of the row, joined by "; "). ``len(businesses) + len(rejects)`` equals the
        number of data rows in the file.

    Raises
    ------
    InputError
        The file cannot be read, is empty, lacks required columns (id, SBI, jobs,
        coordinates) or has a geometry without CRS (and ``crs="auto"``).

    Notes
    -----
    Coordinates come from the geometry when the file has a non-empty one, else from x/y
    columns, else from lat/lon columns.
    """
    result = _check(
        path,
        preset=preset,
        columns=columns,
        crs=crs,
        swapped_latlon=swapped_latlon,
        home_gebruiksdoel=home_gebruiksdoel,
        layer=layer,
    )
    for note in result.notes:
        log.warning("%s: %s", path, note)
    keep = ~result.rejected
    values = result.values.loc[keep]
    geometry = gpd.points_from_xy(values["x_rd"], values["y_rd"], crs=CRS_RD)
    businesses = gpd.GeoDataFrame(
        values[BUSINESS_COLUMNS].reset_index(drop=True), geometry=geometry, crs=CRS_RD
    )
    rejects = result.rejects_table()
    if len(rejects):
        log.warning(
            "%s: %d of %d rows rejected (see the rejects table)",
            path,
            len(rejects),
            len(result.values),
        )
    if len(businesses) + len(rejects) != len(result.values):  # pragma: no cover - invariant
        raise AccountingError(
            f"{path}: {len(result.values)} rows read but {len(businesses)} valid + "
            f"{len(rejects)} rejected. This is a bug: please report it with the file."
        )
    # Rows read from the file, counted before validation: the run's accounting checks against it.
    businesses.attrs["n_input_rows"] = len(result.values)
    businesses.attrs["source"] = str(path)
    businesses.attrs["fields"] = dict(result.fields)
    businesses.attrs["coordinate_source"] = result.coordinate_source
    return businesses, rejects


def validate_businesses(
    path: str | Path,
    *,
    preset: str = "lisa",
    columns: Any = None,
    crs: str = "auto",
    swapped_latlon: str = "fix",
    home_gebruiksdoel: str = "woonfunctie",
    layer: str | None = None,
) -> ValidationReport:
    """Every problem of a business register file, without running the analysis.

    Takes the options of :func:`load_businesses`. File-level problems (unreadable, empty,
    required columns missing) become one problem with row None; row problems carry their
    1-based data row and column. A fixed swap is listed too ("... fixed by swapping ...").

    Returns
    -------
    ValidationReport
    """
    report = ValidationReport(path=str(path))
    try:
        result = _check(
            path,
            preset=preset,
            columns=columns,
            crs=crs,
            swapped_latlon=swapped_latlon,
            home_gebruiksdoel=home_gebruiksdoel,
            layer=layer,
        )
    except InputError as exc:
        report.problems.append((None, "", f"{exc.problem}. Fix: {exc.fix}"))
        return report
    report.problems.extend(
        zip(
            result.problems["row"].astype(int).tolist(),
            result.problems["column"].tolist(),
            result.problems["reason"].tolist(),
            strict=True,
        )
    )
    return report
