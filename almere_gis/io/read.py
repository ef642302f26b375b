"""Read any table a user gives: CSV (delimiter and encoding sniffed), GeoPackage, Shapefile,
GeoJSON or (Geo)Parquet, as it is, with one clear error for a file that cannot be read."""

from __future__ import annotations

__all__ = ["read_table"]

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .._errors import FileFormatError, InputError

log = logging.getLogger("almere_gis")

_CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
_VECTOR_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".zip", ".fgb"}
_PARQUET_SUFFIXES = {".parquet", ".geoparquet", ".pq"}


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
    if suffix in _CSV_SUFFIXES | _TEXT_VECTOR_SUFFIXES and path.is_file():
        _refuse_other_format(path, suffix)
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


_TEXT_VECTOR_SUFFIXES = {".geojson", ".json"}
# What a file really is, by its first bytes: (signature, name, fix).
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive", "unpack it and give the file inside"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel workbook (XLS)", "save it as CSV UTF-8"),
    (b"SQLite format 3\x00", "a GeoPackage (SQLite database)", "rename it to .gpkg"),
    (b"PAR1", "a Parquet file", "rename it to .parquet"),
    (b"%PDF", "a PDF document", "export the data itself as CSV"),
    (b"\x1f\x8b", "a gzip-compressed file", "unpack it (gunzip) first"),
)


def _refuse_other_format(path: Path, suffix: str) -> None:
    """Name an HTML page, a workbook or a binary file saved under a text file's name."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    kind = f"a {suffix.lstrip('.').upper()} file"
    for signature, name, fix in _SIGNATURES:
        if head.startswith(signature):
            if signature.startswith(b"PK") and b"xl/" in _zip_names(path):
                name, fix = "an Excel workbook (XLSX)", "save it as CSV UTF-8 (or export CSV)"
            raise FileFormatError(path, f"is {name}, not {kind}", fix)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (
        text.startswith(b"<") and b"<html" in text
    ):
        raise FileFormatError(
            path,
            f"is an HTML page (a web page, an error or login page), not {kind}",
            "download the file itself again (not the page that links to it)",
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 text, with its byte-order mark
    if b"\x00" in head:
        raise FileFormatError(
            path, f"is a binary file, not {kind}", "give the data as text (CSV UTF-8)"
        )


def _zip_names(path: Path) -> bytes:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.namelist()).encode()
    except (zipfile.BadZipFile, OSError):
        return b""


def _sniff_delimiter(head: str) -> str:
    line = next((ln for ln in head.splitlines() if ln.strip()), "")
    counts = {sep: line.count(sep) for sep in (";", ",", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > 0 else ","


def _read_csv(path: Path) -> pd.DataFrame:
    with path.open("rb") as fh:
        head_bytes = fh.read(65536)
    encodings = ("utf-16",) if head_bytes.startswith((b"\xff\xfe", b"\xfe\xff")) else (
        "utf-8-sig", "cp1252", "latin-1",
    )  # fmt: skip
    for encoding in encodings:
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
