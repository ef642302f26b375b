"""Load and validate a business register (KvK or LISA style export) into the internal business
schema of :mod:`almere_gis._schema`, in EPSG:28992. A row that fails a check is returned in a
rejects table with its reason; a file that cannot be used raises
:class:`~almere_gis._errors.InputError` naming the file, the problem and the fix."""

from __future__ import annotations

__all__ = ["BUSINESS_PRESETS", "load_businesses", "validate_businesses"]

import logging
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .._errors import AccountingError, InputError, ValidationReport
from .._schema import BUSINESS_COLUMNS, CRS_RD
from .crs import rd_by_range
from .read import read_table
from .validate import BUSINESS_PRESETS, check_businesses

log = logging.getLogger("almere_gis")


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
    if isinstance(table, gpd.GeoDataFrame):
        table = rd_by_range(table, path, None if crs == "auto" else crs)
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
