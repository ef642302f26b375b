"""The GeoPackage writer: every layer, its description, the field catalogue and the default
styles, written in one pass from memory.

Every table goes through GDAL (pyogrio) exactly once: the layers with their description
(``gpkg_contents.description``, GDAL's ``DESCRIPTION`` option), then ``veldbeschrijvingen``,
then ``layer_styles`` with the schema QGIS itself creates (``id`` as primary key). Nothing is
read back and nothing is patched with SQL afterwards. The file is written under a temporary
name beside the target and renamed onto it when complete.

GeoPackage 1.3 is written because the GDAL shipped with QGIS 3.22 warns on 1.4 files.
"""

from __future__ import annotations

__all__ = [
    "FIELD_TABLE",
    "GEOMETRY_COLUMN",
    "STYLE_TABLE",
    "LayerGeometry",
    "layer_geometry",
    "write_geopackage",
    "write_layers",
]

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ..._errors import InputError
from ..._schema import CRS_RD
from ...io import atomic
from ...texts import text
from .fields import describe_fields

log = logging.getLogger("almere_gis")

FIELD_TABLE = "veldbeschrijvingen"
STYLE_TABLE = "layer_styles"
GEOMETRY_COLUMN = "geom"
_GPKG_VERSION = "1.3"
_GEOMETRY_NAMES = {0: "point", 1: "line", 2: "polygon"}
# Multi types for lines and polygons (a layer may mix single and multi parts).
_WRITTEN_TYPE = {0: "Point", 1: "MultiLineString", 2: "MultiPolygon"}


@dataclass(frozen=True)
class LayerGeometry:
    """What a spatial layer holds, known from memory: code, written type and extent."""

    code: int  # 0 point, 1 line, 2 polygon
    wkb_type: str  # as written: Point, MultiPoint, MultiLineString, MultiPolygon
    extent: tuple[float, float, float, float] | None  # None for a layer without geometry


def _dimensions(frame: gpd.GeoDataFrame) -> np.ndarray:
    geoms = np.asarray(frame.geometry.array, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return np.unique(shapely.get_dimensions(geoms[present]))


def layer_geometry(frame: gpd.GeoDataFrame, *, default: int, where: object = "") -> LayerGeometry:
    """The geometry of a layer as it will be written; ``default`` for an empty layer.

    Raises
    ------
    InputError
        When the layer mixes points, lines and polygons (QGIS styles one kind per layer).
    """
    dims = _dimensions(frame)
    if dims.size > 1:
        raise InputError(
            where,
            "a layer mixes points, lines and polygons, which QGIS cannot style as one layer",
            "split it into one layer per geometry type, or use representative points",
        )
    code = int(dims[0]) if dims.size else default
    wkb = _WRITTEN_TYPE[code]
    if code == 0 and (frame.geometry.geom_type == "MultiPoint").any():
        wkb = "MultiPoint"
    box = tuple(float(v) for v in frame.total_bounds) if dims.size else None
    extent = box if box is not None and all(np.isfinite(box)) else None
    return LayerGeometry(code=code, wkb_type=wkb, extent=extent)  # type: ignore[arg-type]


def _check_name(name: str, path: Path) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name.lower().startswith("gpkg_"):
        raise InputError(
            path,
            f"layer name '{name}' is not a plain identifier",
            "use letters, digits and underscores, not starting with a digit or 'gpkg_'",
        )
    if name in (STYLE_TABLE, FIELD_TABLE):
        raise InputError(path, f"layer name '{name}' is reserved", "choose another name")


def _check_layer(name: str, frame: pd.DataFrame, path: Path) -> None:
    _check_name(name, path)
    if isinstance(frame, gpd.GeoDataFrame):
        crs = frame.crs
        if crs is None or crs.to_epsg() != 28992:
            raise InputError(
                path,
                f"layer '{name}' is in {crs.to_string() if crs else 'no CRS'}, not {CRS_RD} "
                "(RD New)",
                "reproject it first with frame.to_crs('EPSG:28992')",
            )
    lowered = [str(c).lower() for c in frame.columns]
    duplicates = sorted({c for c in lowered if lowered.count(c) > 1})
    if duplicates or "fid" in lowered:
        raise InputError(
            path,
            f"layer '{name}' has column names GeoPackage cannot hold: "
            f"{duplicates or ['fid']} (duplicates ignoring case, or the reserved 'fid')",
            "rename those columns",
        )


def _qml_geometry_code(qml: str) -> int | None:
    match = re.search(r"<layerGeometryType>\s*(\d)\s*</layerGeometryType>", qml)
    return int(match.group(1)) if match else None


def _geometries(
    layers: Mapping[str, pd.DataFrame], styles: Mapping[str, str], path: Path
) -> dict[str, LayerGeometry]:
    """Check every layer and style; the geometry of each spatial layer."""
    unknown = sorted(set(styles) - set(layers))
    if unknown:
        raise InputError(path, f"styles given for missing layers {unknown}", "check the names")
    out: dict[str, LayerGeometry] = {}
    for name, frame in layers.items():
        _check_layer(name, frame, path)
        qml_code = _qml_geometry_code(styles[name]) if name in styles else None
        if not isinstance(frame, gpd.GeoDataFrame):
            if name in styles:
                raise InputError(path, f"table '{name}' has no geometry to style", "drop its style")
            continue
        geometry = layer_geometry(frame, default=2 if qml_code is None else qml_code, where=path)
        if qml_code is not None and qml_code != geometry.code:
            raise InputError(
                path,
                f"the style of layer '{name}' is for {_GEOMETRY_NAMES[qml_code]}s but the layer "
                f"holds {_GEOMETRY_NAMES[geometry.code]}s",
                "build the style with the layer's geometry type",
            )
        out[name] = geometry
    return out


def _style_rows(styles: Mapping[str, str], language: str) -> pd.DataFrame:
    """The ``layer_styles`` rows: one default style per layer, as QGIS looks them up."""
    names = list(styles)
    return pd.DataFrame(
        {
            "f_table_catalog": [""] * len(names),
            # An empty string, not NULL: QGIS matches f_table_schema = ''.
            "f_table_schema": [""] * len(names),
            "f_table_name": names,
            "f_geometry_column": [GEOMETRY_COLUMN] * len(names),
            "styleName": names,
            "styleQML": [styles[n] for n in names],
            "styleSLD": [""] * len(names),
            "useAsDefault": [True] * len(names),
            "description": [text("qgis.layer.style", language, layer=n) for n in names],
            "owner": ["almere_gis"] * len(names),
            "ui": [""] * len(names),
            "update_time": [pd.Timestamp.now(tz="UTC").floor("s")] * len(names),
        }
    )


def _write_table(
    frame: pd.DataFrame,
    tmp: Path,
    name: str,
    description: str,
    geometry: LayerGeometry | None = None,
    **layer_options: str,
) -> None:
    options: dict[str, Any] = {}
    if geometry is not None:
        data: pd.DataFrame = frame.reset_index(drop=True)
        layer_options["GEOMETRY_NAME"] = GEOMETRY_COLUMN
        options["geometry_type"] = geometry.wkb_type
        options["promote_to_multi"] = geometry.wkb_type.startswith("Multi")
    else:
        data = pd.DataFrame(frame).reset_index(drop=True)
    first = not tmp.exists()
    pyogrio.write_dataframe(
        data,
        tmp,
        layer=name,
        driver="GPKG",
        append=not first,
        dataset_options={"VERSION": _GPKG_VERSION} if first else None,
        layer_options={"DESCRIPTION": description, **layer_options},
        **options,
    )


def write_layers(
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    path: str | Path,
    *,
    styles: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    field_descriptions: pd.DataFrame | None = None,
    language: str = "nl",
) -> dict[str, LayerGeometry]:
    """:func:`write_geopackage`, returning the geometry of each spatial layer as written."""
    path = Path(path)
    styles = dict(styles or {})
    descriptions = dict(descriptions or {})
    missing = sorted(set(descriptions) - set(layers))
    if missing:
        raise InputError(path, f"descriptions given for missing layers {missing}", "check names")
    geometries = _geometries(layers, styles, path)
    if field_descriptions is None:
        field_descriptions = describe_fields(layers, language=language)
    columns = ["layer", "field", "description", "unit"]
    lacking = sorted(set(columns) - set(field_descriptions.columns))
    if lacking:
        raise InputError(
            path,
            f"the field descriptions lack the columns {lacking}",
            "give a table with columns layer, field, description, unit",
        )
    with atomic.atomic_path(path) as tmp:
        try:
            for name, frame in layers.items():
                _write_table(frame, tmp, name, descriptions.get(name, ""), geometries.get(name))
            _write_table(
                field_descriptions[columns], tmp, FIELD_TABLE, text("qgis.layer.fields", language)
            )
            if styles:
                rows = _style_rows(styles, language)
                _write_table(rows, tmp, STYLE_TABLE, text("qgis.layer.styles", language), FID="id")
        except BaseException:
            for extra in (tmp.with_name(tmp.name + "-journal"), tmp.with_name(tmp.name + "-wal")):
                extra.unlink(missing_ok=True)
            raise
    log.info("GeoPackage written: %s (%d layers)", path, len(layers))
    return geometries


def write_geopackage(
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    path: str | Path,
    *,
    styles: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    field_descriptions: pd.DataFrame | None = None,
    language: str = "nl",
) -> Path:
    """Write layers, default styles and documentation into one GeoPackage, atomically.

    Parameters
    ----------
    layers : mapping of str to (Geo)DataFrame
        Layer name to frame. GeoDataFrames become spatial layers and must be in EPSG:28992,
        with one geometry dimension each; plain DataFrames (accounting, rejects) become
        attribute tables. The frames are not modified.
    path : str or Path
        Target ``.gpkg``; replaced only once the new file is complete.
    styles : mapping of str to str, optional
        Layer name to QML (see :func:`~.qml.qml_graduated` and friends), stored in
        ``layer_styles`` as that layer's default style. The QML's ``layerGeometryType`` must
        match the layer. Spatial layers without a style get none (QGIS draws a single symbol).
    descriptions : mapping of str to str, optional
        Layer name to description, stored in ``gpkg_contents.description`` (shown by QGIS and
        ``ogrinfo``).
    field_descriptions : DataFrame, optional
        Table ``layer, field, description, unit`` stored as ``veldbeschrijvingen``; default
        :func:`~.fields.describe_fields` of ``layers``.
    language : str
        Language of the descriptions this function writes itself.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        For a layer not in EPSG:28992, a layer mixing geometry types, an unusable layer or
        column name, or a style whose geometry type does not match its layer.
    """
    write_layers(
        layers,
        path,
        styles=styles,
        descriptions=descriptions,
        field_descriptions=field_descriptions,
        language=language,
    )
    return Path(path)
