"""A privacy scanner for a run's ``publicatie/`` folder, independent of the package's own rules.

Given the run's input register (classified: ``home_based``, ``zzp``, ``small_scale``,
``sector_group``, names, points in EPSG:28992) and the public folder, :func:`scan` reads every
file (HTML, CSV, XLSX, GeoPackage, GeoTIFF, QGIS project and styles, JSON, text, the PDF's text
through ``pdftotext`` when it is installed) and reports every :class:`Leak`:

- ``coordinate``: the location of a home-based business or zzp'er, as RD New rounded to 1 m or
  to 10 m, or as WGS84 rounded to 5 or 6 decimals (either order, so GeoJSON pairs too), among
  the numbers of any file or the vertices of any geometry. Vertices of the public area
  polygons (buurten, wijken, the hexagon grid: ``public_geometry``) are no business location
  and are not reported;
- ``name``: an input business name (two words or more, or one of at least 8 letters) in any
  file's text;
- ``small_count``: a count field of a public table (``n_*``, ``count_*``,
  ``demand_*_count``; in the workbook found through its column sheet) holding a number below
  ``min_count``, a popup row of a count ("Vestigingen", "Zzp'ers", ...) showing one, or a text
  such as "3 vestigingen binnen 400 m";
- ``density``: a shown (not nodata) cell of a density GeoTIFF whose centre has fewer than
  ``min_count`` establishments of the layer's subset within the kernel radius (counted here
  with a KD-tree from the register, not with the package's mask);
- ``classified``: a hexagon or buurt classified by Gi* (``gi_class`` or ``gi_z`` present)
  while its count of the tested variable is hidden, missing or below ``min_count``, in a table,
  or in a map hot spot whose popup shows the count as hidden.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

TEXT_SUFFIXES = {".html", ".csv", ".qgs", ".qml", ".json", ".txt", ".md", ".xml"}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_COUNT_FIELD = re.compile(r"(n_[a-z_]+|count_[a-z_]+|demand_(walk|cycle)_count)")
_COUNT_LABEL = re.compile(
    r"(?i)(vestiging|bedrijven aan huis|zzp|establishment|home-based|businesses)"
)
_PHRASE = re.compile(
    r"(?<![\d.,])(\d[\d.,]*) (?:vestigingen|vestiging|establishments|establishment|zzp'ers) "
    r"(?:binnen|within|in)\b"
)
_HOT = re.compile(r"(?i)(hot spot|cold spot|hotspot|coldspot)")


@dataclass(frozen=True)
class Leak:
    """One thing in the public folder that the privacy rules forbid."""

    file: str
    check: str
    detail: str


# -- reading ------------------------------------------------------------------------------------


def _pdf_text(path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        return ""
    done = subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=False)
    return done.stdout


def _xlsx(path: Path) -> tuple[str, list[pd.DataFrame]]:
    """The workbook's text and its sheets as frames with the CSV field names where known."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    book.close()
    text = "\n".join(
        " ".join("" if v is None else str(v) for v in row)
        for rows in sheets.values()
        for row in rows
    )
    fields: dict[tuple[str, str], str] = {}
    for rows in sheets.values():  # the column sheet: Tabblad, Kolom, Veldnaam, Betekenis
        for row in rows:
            cells = [None if v is None else str(v) for v in row]
            if (
                len(cells) >= 3
                and all(cells[:3])
                and cells[2]
                and re.fullmatch(r"[a-z_0-9]+", cells[2])
            ):
                fields[(str(cells[0]), str(cells[1]))] = str(cells[2])
    frames = []
    for title, rows in sheets.items():
        if not rows or not rows[0] or any(v is None for v in rows[0]):
            continue
        header = [fields.get((title, str(h)), str(h)) for h in rows[0]]
        frames.append(pd.DataFrame([list(r) for r in rows[1:]], columns=header))
    return text, frames


def _gpkg(path: Path) -> tuple[str, list[pd.DataFrame], list[np.ndarray]]:
    """The GeoPackage's text (every text cell of every table), its layers and their vertices."""
    import pyogrio

    texts: list[str] = []
    with sqlite3.connect(path) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            if table.startswith("rtree_"):  # bounding boxes of the geometries read below
                continue
            kinds = (str,) if table.startswith("gpkg_") else (str, int, float)  # layer extents
            for row in con.execute(f'SELECT * FROM "{table}"'):
                texts.extend(str(v) for v in row if isinstance(v, kinds))
    frames, vertices = [], []
    for name, geometry_type in pyogrio.list_layers(path):
        frame = pyogrio.read_dataframe(path, layer=name)
        if geometry_type is not None and isinstance(frame, gpd.GeoDataFrame):
            vertices.append(shapely.get_coordinates(frame.geometry.to_numpy()))
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        frames.append(frame)
    return "\n".join(texts), frames, vertices


def read_folder(folder: Path) -> Iterator[tuple[str, str, list[pd.DataFrame], list[np.ndarray]]]:
    """(file name, text, tables, vertex arrays) for every file below ``folder``."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = str(path.relative_to(folder))
        suffix = path.suffix.lower()
        if suffix in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8", errors="replace")
            tables = (
                [pd.read_csv(path, encoding="utf-8-sig", dtype=str)] if suffix == ".csv" else []
            )
            if suffix == ".html":
                text = text.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
            yield name, text, tables, []
        elif suffix == ".xlsx":
            text, tables = _xlsx(path)
            yield name, text, tables, []
        elif suffix == ".gpkg":
            yield name, *_gpkg(path)
        elif suffix == ".pdf":
            yield name, _pdf_text(path), [], []
        elif suffix == ".tif":
            import rasterio

            with rasterio.open(path) as src:
                yield name, json.dumps(src.tags()), [], []


# -- checks -------------------------------------------------------------------------------------


def _keys(xy: np.ndarray, scale: float) -> set[tuple[int, int]]:
    return set(map(tuple, np.round(np.asarray(xy, dtype=float) * scale).astype(np.int64).tolist()))


def _pairs(text: str, vertices: Iterable[np.ndarray]) -> np.ndarray:
    numbers = np.array([float(m) for m in _NUMBER.findall(text)], dtype=float)
    parts = [np.column_stack([numbers[:-1], numbers[1:]])] if len(numbers) > 1 else []
    parts += [v[:, :2] for v in vertices if len(v)]
    return np.vstack(parts) if parts else np.empty((0, 2))


class _Places:
    """The rounded locations of the homes and zzp'ers, and of the public polygons' vertices."""

    def __init__(self, register: gpd.GeoDataFrame, public_geometry: gpd.GeoSeries | None) -> None:
        flags = register["home_based"].to_numpy(dtype=bool) | register["zzp"].to_numpy(dtype=bool)
        private = register.loc[flags].geometry.to_crs("EPSG:28992")
        rd = shapely.get_coordinates(private.to_numpy())
        wgs = shapely.get_coordinates(private.to_crs("EPSG:4326").to_numpy())
        self.rd = rd
        self.keys = {
            "RD 1 m": (_keys(rd, 1.0), 1.0),
            "RD 10 m": (_keys(rd, 0.1), 0.1),
            "WGS84 5 decimals": (_keys(wgs, 1e5) | _keys(wgs[:, ::-1], 1e5), 1e5),
            "WGS84 6 decimals": (_keys(wgs, 1e6) | _keys(wgs[:, ::-1], 1e6), 1e6),
        }
        self.public: dict[float, set[tuple[int, int]]] = {}
        if public_geometry is not None and len(public_geometry):
            verts = shapely.get_coordinates(public_geometry.to_crs("EPSG:28992").to_numpy())
            verts_wgs = shapely.get_coordinates(public_geometry.to_crs("EPSG:4326").to_numpy())
            for _, scale in self.keys.values():
                base = verts if scale <= 1.0 else verts_wgs
                self.public[scale] = _keys(base, scale) | _keys(base[:, ::-1], scale)

    def find(self, pairs: np.ndarray) -> list[str]:
        found = []
        for label, (keys, scale) in self.keys.items():
            if not len(pairs):
                break
            seen = _keys(pairs, scale) & keys
            seen -= self.public.get(scale, set())
            found += [f"{label}: {k}" for k in sorted(seen)[:3]]
        return found


def _names(register: gpd.GeoDataFrame, allowed: Iterable[str]) -> dict[tuple[str, ...], str]:
    ok = {tuple(re.findall(r"\w+", str(a).lower())) for a in allowed}
    out: dict[tuple[str, ...], str] = {}
    for name in register["name"].dropna().astype(str):
        words = tuple(re.findall(r"\w+", name.lower()))
        if (len(words) >= 2 or (len(words) == 1 and len(words[0]) >= 8)) and words not in ok:
            out[words] = name
    return out


def _name_leaks(text: str, names: dict[tuple[str, ...], str]) -> list[str]:
    words = re.findall(r"\w+", text.lower())
    longest = max((len(k) for k in names), default=0)
    grams = {
        tuple(words[i : i + n]) for n in range(1, longest + 1) for i in range(len(words) - n + 1)
    }
    return sorted(names[k] for k in names if k in grams)[:5]


def _as_number(value: Any, *, shown: bool = False) -> float | None:
    """A cell or a shown text as a number; ``shown`` reads "1.055" as 1055 (a formatted count)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if shown and re.fullmatch(r"-?\d{1,3}([.,]\d{3})+", text):
        return float(re.sub(r"[.,]", "", text))
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text)
    if shown and re.fullmatch(r"-?\d+,\d+", text):
        return float(text.replace(",", "."))
    return None


def _table_counts(table: pd.DataFrame, min_count: int) -> list[str]:
    found = []
    for column in table.columns:
        name = str(column)
        if not _COUNT_FIELD.fullmatch(name) or "_per_" in name:
            continue
        for value in table[column]:
            v = _as_number(value)
            if v is not None and v < min_count:
                found.append(f"{name} = {value}")
                break
    return found


def _popup_counts(text: str, min_count: int) -> list[str]:
    found = []
    for label, value in re.findall(r"<th>([^<]*)</th><td>(?:<b>)?([^<]*)(?:</b>)?</td>", text):
        v = _as_number(value, shown=True)
        if _COUNT_LABEL.search(label) and v is not None and v < min_count:
            found.append(f"{label}: {value}")
    for match in _PHRASE.finditer(text):
        v = _as_number(match.group(1), shown=True)
        if v is not None and v < min_count:
            found.append(match.group(0))
    return found[:5]


def _classified(table: pd.DataFrame, base: str, min_count: int) -> list[str]:
    if base not in table.columns or not ({"gi_class", "gi_z"} & set(table.columns)):
        return []
    gi = table["gi_class"] if "gi_class" in table.columns else table["gi_z"]
    mark = gi.astype("string").str.strip()
    empty = mark.isna() | mark.isin(["", "-", "\u2013", "\u2014"]) | mark.str.startswith("<")
    classified = ~empty.fillna(True).to_numpy(dtype=bool)
    counts = np.array([_as_number(v) for v in table[base]], dtype=object)
    small = np.array([c is None or c < min_count for c in counts], dtype=bool)
    bad = np.flatnonzero(classified & small)
    return [f"row {i}: {base} = {table[base].iloc[i]}, class {gi.iloc[i]}" for i in bad[:5]]


def _hot_popups(text: str, labels: Iterable[str]) -> list[str]:
    found = []
    for tip in re.findall(r'"tip":"(.*?)(?<!\\)"', text):
        if not _HOT.search(tip):
            continue
        for label in labels:
            if re.search(rf"<th>{re.escape(label)}</th><td>&lt;", tip):
                found.append(tip[:120])
    return found[:5]


def density_leaks(
    path: Path, register: gpd.GeoDataFrame, *, min_count: int, radius_m: float
) -> list[str]:
    """Shown cells of one density GeoTIFF that rest on fewer than ``min_count`` establishments."""
    import rasterio
    from scipy.spatial import cKDTree

    match = re.fullmatch(r"kde_(.+)_(count|jobs)", path.stem)
    if match is None:
        return []
    subset = match.group(1)
    if subset == "all":
        chosen = register
    elif subset in register.columns:
        chosen = register.loc[register[subset].to_numpy(dtype=bool)]
    else:
        chosen = register.loc[(register["sector_group"] == subset).to_numpy(dtype=bool)]
    with rasterio.open(path) as src:
        band = src.read(1, masked=True)
        rows, cols = np.nonzero(~np.ma.getmaskarray(band))
        xs, ys = rasterio.transform.xy(src.transform, rows, cols)
    if len(rows) == 0:
        return []
    xy = shapely.get_coordinates(chosen.geometry.to_numpy())
    if len(xy) == 0:
        return [f"{len(rows)} cells shown with no establishment of {subset}"]
    counts = cKDTree(xy).query_ball_point(np.column_stack([xs, ys]), radius_m, return_length=True)
    bad = np.flatnonzero(counts < min_count)
    return [f"cell (row {rows[i]}, col {cols[i]}): {counts[i]} of {subset}" for i in bad[:5]]


def scan(
    folder: Path,
    register: gpd.GeoDataFrame,
    *,
    min_count: int,
    radius_m: float,
    gi_variable: str = "small_scale",
    public_geometry: gpd.GeoSeries | None = None,
    public_names: Iterable[str] = (),
    popup_labels: Iterable[str] = (),
) -> list[Leak]:
    """Every privacy leak in ``folder`` (a run's ``publicatie/``); an empty list means clean.

    ``public_names`` are names the publication may print (buurten, wijken, sites) even if a
    business is called so; ``popup_labels`` are the map's labels of the tested count of a
    hexagon (a hot spot whose popup shows it as "< 5" is a leak).
    """
    places = _Places(register, public_geometry)
    names = _names(register, public_names)
    bases = (
        f"count_{gi_variable}",
        "n_establishments" if gi_variable == "all" else f"n_{gi_variable}",
    )
    leaks: list[Leak] = []
    for name, text, tables, vertices in read_folder(folder):
        leaks += [Leak(name, "coordinate", d) for d in places.find(_pairs(text, vertices))]
        leaks += [Leak(name, "name", d) for d in _name_leaks(text, names)]
        for table in tables:
            leaks += [Leak(name, "small_count", d) for d in _table_counts(table, min_count)]
            for base in bases:
                leaks += [Leak(name, "classified", d) for d in _classified(table, base, min_count)]
        if name.endswith(".html") or name.endswith(".pdf"):
            leaks += [Leak(name, "small_count", d) for d in _popup_counts(text, min_count)]
        if name.endswith(".html"):
            leaks += [Leak(name, "classified", d) for d in _hot_popups(text, popup_labels)]
        if name.endswith(".tif"):
            found = density_leaks(folder / name, register, min_count=min_count, radius_m=radius_m)
            leaks += [Leak(name, "density", d) for d in found]
    return leaks
