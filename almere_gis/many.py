"""The analysis for many gemeenten at once, as independent tasks on Dask distributed.

:func:`run_many` reads the inputs of ``[paths]`` once (a national Wijk- en Buurtkaart and
register, say), validates the register once, gives every establishment the gemeente of the
buurt it lies in, and splits every input into one part per chosen gemeente: its buurten (and
wijken and candidate sites) and its establishments, as rows of the original files. Each part
is one task on a Dask cluster (a ``LocalCluster`` on this machine by default, or any scheduler
address): the task writes its part into a temporary folder and calls the normal pipeline
(:func:`almere_gis.pipeline.run`) with ``out_dir/<gemeente code>/`` as output folder, so every
gemeente gets the folder a single run would write. A task that fails reports its error line
and does not stop the others.

Last, ``out_dir`` gets the comparison across gemeenten, built only from each run's public city
table: ``vergelijking.csv`` (and ``vergelijking.xlsx``) with the headline indicators per
gemeente and the status of its run, and ``vergelijking.html``, a map of the gemeenten
(dissolved buurten) coloured by the share of jobs in residential buurten. A figure that rests
on fewer than ``[privacy] min_count`` establishments is left out (empty), as in every public
table. Rows the register check rejects, or whose point lies in no buurt, belong to no gemeente:
they are counted, and the rejected ones listed with their reason in ``afgewezen.csv``.

Dask is an optional dependency (``pip install 'almere-gis[cluster]'``), imported only here.
"""

from __future__ import annotations

__all__ = [
    "ManyResult",
    "Outcome",
    "Part",
    "run_gemeente",
    "run_many",
    "select_gemeenten",
    "split_inputs",
]

import dataclasses
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import AlmereGisError, ConfigError
from .analysis.join import assign_areas
from .io.areas import load_buurten, load_wijken
from .io.crs import to_rd
from .io.read import read_table
from .io.validate import check_businesses
from .outputs.comparison import comparison_table, write_comparison
from .outputs.tables import write_csv
from .settings import Settings

log = logging.getLogger("almere_gis")

# Source columns (case-insensitive) of the codes and of the province in CBS area files.
_BUURT_CODE = ("buurtcode", "bu_code")
_WIJK_CODE = ("wijkcode", "wk_code")
_PROVINCE = ("provincienaam", "provincie", "prov_naam", "provinciecode", "prov_code", "pv_code")


@dataclass(frozen=True)
class Part:
    """One gemeente's share of the inputs: rows of the original files, unchanged."""

    code: str
    name: str
    buurten: gpd.GeoDataFrame
    businesses: pd.DataFrame
    wijken: gpd.GeoDataFrame | None = None
    candidates: gpd.GeoDataFrame | None = None


@dataclass(frozen=True)
class Outcome:
    """How one gemeente's run went: its public city figures, or the error line."""

    code: str
    name: str
    ok: bool
    seconds: float
    folder: str
    n_buurten: int
    error: str = ""
    figures: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ManyResult:
    """Every gemeente's outcome, the comparison table and the files written in ``out_dir``."""

    outcomes: list[Outcome]
    table: pd.DataFrame
    files: dict[str, Path]
    n_rejected: int
    n_outside: int


# --------------------------------------------------------------------------------------------
# which gemeenten
# --------------------------------------------------------------------------------------------


def _column(frame: pd.DataFrame, names: Iterable[str]) -> str | None:
    """The first column of ``frame`` whose name is one of ``names`` (case-insensitive)."""
    lower = {str(c).lower(): str(c) for c in frame.columns}
    return next((lower[n] for n in names if n in lower), None)


def _province_codes(
    raw: pd.DataFrame, buurten: gpd.GeoDataFrame, province: str, where: str
) -> set[str]:
    column = _column(raw, _PROVINCE)
    if column is None:
        raise ConfigError(
            f"{where}: the buurten have no province column ({', '.join(_PROVINCE)}). "
            "Fix: name the gemeenten (codes or names) or use --all"
        )
    wanted = province.strip().lower()
    hit = raw[column].astype("string").str.strip().str.lower().to_numpy() == wanted
    codes = _code_map(raw, buurten, _BUURT_CODE, "buurt_code")
    found = {codes[c] for c in _codes(raw, _BUURT_CODE)[hit] if c in codes}
    if not found:
        values = sorted(raw[column].dropna().astype(str).str.strip().unique())[:12]
        raise ConfigError(
            f"{where}: no buurt lies in province {province!r}. "
            f"Fix: choose one of {', '.join(values)}"
        )
    return found


def select_gemeenten(
    buurten: gpd.GeoDataFrame,
    *,
    names: Sequence[str] = (),
    province: str | None = None,
    all_gemeenten: bool = False,
    raw: pd.DataFrame | None = None,
    where: str = "[paths] buurten",
) -> list[tuple[str, str]]:
    """The chosen gemeenten as ``(code, name)`` pairs, sorted by code.

    Parameters
    ----------
    buurten
        Validated buurten (internal schema: ``gemeente_code``, ``gemeente_name``).
    names
        Codes (``GM0034``) or names (``Almere``), matched case-insensitively.
    province
        A province name or code: every gemeente with a buurt in that province, read from the
        province column of the raw buurten file ``raw``.
    all_gemeenten
        Every gemeente of the buurten.
    raw, where
        The buurten file as read (for the province column) and how to name it in messages.

    Raises
    ------
    almere_gis.ConfigError
        An unknown code, name or province, no province column, or nothing chosen.
    """
    table = (
        pd.DataFrame({"code": buurten["gemeente_code"], "name": buurten["gemeente_name"]})
        .astype("string")
        .drop_duplicates("code")
        .sort_values("code")
    )
    table["name"] = table["name"].fillna(table["code"])
    chosen: set[str] = set(table["code"]) if all_gemeenten else set()
    if province is not None:
        chosen |= _province_codes(raw if raw is not None else buurten, buurten, province, where)
    by_code = {str(c).lower(): str(c) for c in table["code"]}
    by_name = {str(n).lower(): str(c) for c, n in zip(table["code"], table["name"], strict=True)}
    for name in names:
        key = name.strip().lower()
        code = by_code.get(key) or by_name.get(key)
        if code is None:
            near = [n for n in by_name if key[:4] and key[:4] in n][:5]
            hint = ", ".join(near) or ", ".join(list(by_code.values())[:5])
            raise ConfigError(
                f"{where}: no gemeente {name!r} among the buurten. "
                f"Fix: give a code (GM....) or name such as {hint}"
            )
        chosen.add(code)
    if not chosen:
        raise ConfigError(
            "run-many: no gemeente chosen. Fix: name gemeenten, or use --province or --all"
        )
    names_of = dict(zip(table["code"], table["name"], strict=True))
    return [(str(c), str(names_of[c])) for c in sorted(chosen)]


# --------------------------------------------------------------------------------------------
# one part per gemeente
# --------------------------------------------------------------------------------------------


def _codes(raw: pd.DataFrame, names: Iterable[str]) -> np.ndarray:
    column = _column(raw, names)
    if column is None:  # pragma: no cover - the loader refused such a file already
        raise ConfigError(f"no code column ({', '.join(names)}) in an area file")
    codes: np.ndarray = raw[column].astype("string").str.strip().to_numpy(dtype=object)
    return codes


def _code_map(
    raw: pd.DataFrame, areas: gpd.GeoDataFrame, names: Iterable[str], key: str
) -> dict[str, str]:
    """Area code -> gemeente code, from the validated areas (codes as in the raw file)."""
    return dict(
        zip(areas[key].astype(str).str.strip(), areas["gemeente_code"].astype(str), strict=True)
    )


def _groups(gemeente: np.ndarray, codes: Sequence[str]) -> dict[str, np.ndarray]:
    """Row numbers per chosen gemeente code, in file order (one sort, no loop over rows)."""
    index = {c: i for i, c in enumerate(codes)}
    which = pd.Series(gemeente, dtype=object).map(index).fillna(-1).to_numpy(dtype=np.int64)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(codes) + 1))
    return {c: order[bounds[i] : bounds[i + 1]] for i, c in enumerate(codes)}


def _area_rows(
    raw: pd.DataFrame, areas: gpd.GeoDataFrame, names: Iterable[str], key: str, codes: list[str]
) -> dict[str, np.ndarray]:
    mapping = _code_map(raw, areas, names, key)
    gemeente = np.array([mapping.get(c) for c in _codes(raw, names)], dtype=object)
    return _groups(gemeente, codes)


def _business_gemeenten(
    settings: Settings, buurten: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """The register as read, the gemeente code of each row (None: none), and the rejects."""
    p, b = settings.paths, settings.businesses
    raw = read_table(p.businesses)
    columns = {k: str(v) for k, v in dataclasses.asdict(b.columns).items() if v}
    check = check_businesses(
        raw,
        path=p.businesses,
        preset=b.preset,
        columns=columns,
        crs=b.crs,
        swapped_latlon=b.swapped_latlon,
        home_gebruiksdoel=settings.classification.home_gebruiksdoel,
    )
    x = check.values["x_rd"].to_numpy(dtype=float).copy()
    y = check.values["y_rd"].to_numpy(dtype=float).copy()
    x[check.rejected] = np.nan  # a rejected row belongs to no gemeente
    ordered = buurten.sort_values("buurt_code")  # ties go to the lowest code, as in a run
    index = assign_areas(x, y, ordered.geometry.to_numpy())
    codes = _with_none(ordered["gemeente_code"])
    return raw, codes[index], check.rejects_table()


def _with_none(codes: pd.Series) -> np.ndarray:
    """The codes as an object array with None appended, so that index -1 (no area) is None."""
    out = np.empty(len(codes) + 1, dtype=object)
    out[:-1] = codes.astype(str).to_numpy(dtype=object)
    return out


def _candidate_gemeenten(
    path: Path, buurten: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    raw = read_table(path)
    if not isinstance(raw, gpd.GeoDataFrame):
        return gpd.GeoDataFrame(raw), np.full(len(raw), None, dtype=object)
    rd = to_rd(raw, path, None)
    points = shapely.point_on_surface(rd.geometry.to_numpy())
    xy = shapely.get_coordinates(points, include_z=False)
    x = np.full(len(rd), np.nan)
    y = np.full(len(rd), np.nan)
    has = ~(shapely.is_missing(points) | shapely.is_empty(points))
    x[has], y[has] = xy[:, 0], xy[:, 1]
    ordered = buurten.sort_values("buurt_code")
    index = assign_areas(x, y, ordered.geometry.to_numpy())
    codes = _with_none(ordered["gemeente_code"])
    return raw, codes[index]


def split_inputs(
    settings: Settings,
    chosen: Sequence[tuple[str, str]],
    *,
    buurten: gpd.GeoDataFrame,
    raw_buurten: pd.DataFrame,
) -> tuple[list[Part], pd.DataFrame, int]:
    """One :class:`Part` per chosen gemeente; also the register's rejects and the rows outside.

    Establishments go to the gemeente of the buurt their point lies in (on a shared boundary:
    the lowest buurt code, as in a run); candidate sites by a point on their surface.
    """
    p = settings.paths
    codes = [c for c, _ in chosen]
    buurt_rows = _area_rows(raw_buurten, buurten, _BUURT_CODE, "buurt_code", codes)
    wijk_rows: dict[str, np.ndarray] | None = None
    raw_wijken = None
    if p.wijken is not None:
        layer = p.wijken_layer or None
        raw_wijken = read_table(p.wijken, layer=layer)
        wijken = load_wijken(p.wijken, layer=layer, crs=p.areas_crs or None)
        wijk_rows = _area_rows(raw_wijken, wijken, _WIJK_CODE, "wijk_code", codes)
    register, gemeente, rejects = _business_gemeenten(settings, buurten)
    business_rows = _groups(gemeente, codes)
    n_outside = int(sum(g is None for g in gemeente)) - len(rejects)
    site_rows: dict[str, np.ndarray] | None = None
    raw_sites = None
    if p.candidates is not None:
        raw_sites, site_gemeente = _candidate_gemeenten(p.candidates, buurten)
        site_rows = _groups(site_gemeente, codes)
    parts = []
    for code, name in chosen:  # one entry per gemeente, not per row
        parts.append(
            Part(
                code=code,
                name=name,
                buurten=raw_buurten.iloc[buurt_rows[code]],
                businesses=register.iloc[business_rows[code]],
                wijken=None
                if raw_wijken is None or wijk_rows is None
                else raw_wijken.iloc[wijk_rows[code]],
                candidates=None
                if raw_sites is None or site_rows is None or not len(site_rows[code])
                else raw_sites.iloc[site_rows[code]],
            )
        )
    return parts, rejects, n_outside


# --------------------------------------------------------------------------------------------
# one task: one gemeente through the normal pipeline
# --------------------------------------------------------------------------------------------


def _write_part(part: Part, folder: Path) -> dict[str, Any]:
    """The part's inputs as files in ``folder``; the ``[paths]`` changes that point at them."""
    buurten = folder / "buurten.parquet"
    part.buurten.to_parquet(buurten)
    if isinstance(part.businesses, gpd.GeoDataFrame):
        businesses = folder / "vestigingen.parquet"
        part.businesses.to_parquet(businesses)
    elif all(pd.api.types.is_object_dtype(t) or pd.api.types.is_string_dtype(t)
             for t in part.businesses.dtypes):  # fmt: skip
        businesses = folder / "vestigingen.csv"  # a CSV as read: every cell text, kept as is
        part.businesses.to_csv(businesses, index=False)
    else:
        businesses = folder / "vestigingen.parquet"
        part.businesses.to_parquet(businesses, index=False)
    changes: dict[str, Any] = {"buurten": buurten, "buurten_layer": "", "businesses": businesses}
    if part.wijken is not None:
        changes |= {"wijken": folder / "wijken.parquet", "wijken_layer": ""}
        part.wijken.to_parquet(changes["wijken"])
    changes["candidates"] = None
    if part.candidates is not None:
        changes["candidates"] = folder / "kandidaten.parquet"
        part.candidates.to_parquet(changes["candidates"])
    return changes


def _error_line(exc: BaseException) -> str:
    message = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    if isinstance(exc, AlmereGisError):
        return message
    return f"{type(exc).__name__}: {message}"  # a bug: the type says where to look


def run_gemeente(
    part: Part, settings: Settings, out_root: Path, steps: Iterable[str] | None = None
) -> Outcome:
    """Run the normal pipeline on one gemeente's part into ``out_root/<code>/``.

    Never raises for a problem of this gemeente: the outcome then carries the error line
    (and its output folder stays as it was, as for any failed run).
    """
    from .pipeline import run

    folder = Path(out_root) / part.code
    t0 = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix=f"almere-gis-{part.code}-")
    changes: dict[str, Any] = {}
    try:
        changes = _write_part(part, Path(tmp))
        local = settings.replace("paths", out_dir=folder, **changes)
        result = run(local, out_dir=folder, steps=None if steps is None else tuple(steps))
    except Exception as exc:  # one gemeente's failure must not stop the others
        error = _error_line(exc)
        for key, path in changes.items():  # name the user's file, not the temporary part
            if isinstance(path, Path):
                error = error.replace(str(path), f"{getattr(settings.paths, key)} ({part.code})")
        return Outcome(
            code=part.code,
            name=part.name,
            ok=False,
            seconds=time.perf_counter() - t0,
            folder=str(folder),
            n_buurten=len(part.buurten),
            error=error,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    city = result.publication.city.data
    figures = dict(zip(city["indicator"].astype(str), city["value"].astype(float), strict=True))
    return Outcome(
        code=part.code,
        name=part.name,
        ok=True,
        seconds=time.perf_counter() - t0,
        folder=str(folder),
        n_buurten=len(result.analysis.buurten),
        figures=figures,
    )


# --------------------------------------------------------------------------------------------
# the cluster
# --------------------------------------------------------------------------------------------


def _client(scheduler: str | None, workers: int | None) -> tuple[Any, Any]:
    """A Dask client (and the LocalCluster it owns, or None for a given scheduler)."""
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "run-many needs Dask distributed, which is not installed. "
            "Fix: pip install 'almere-gis[cluster]'"
        ) from None
    dask: Any = distributed  # untyped
    if scheduler:
        return dask.Client(scheduler), None
    cluster = dask.LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    return dask.Client(cluster), cluster


def _failed(part: Part, out_root: Path, exc: BaseException) -> Outcome:
    return Outcome(
        code=part.code,
        name=part.name,
        ok=False,
        seconds=float("nan"),
        folder=str(Path(out_root) / part.code),
        n_buurten=len(part.buurten),
        error=_error_line(exc),
    )


def _dispatch(
    parts: list[Part],
    settings: Settings,
    out_root: Path,
    *,
    scheduler: str | None,
    workers: int | None,
    steps: Iterable[str] | None,
    on_done: Callable[[Outcome, int, int], None],
) -> list[Outcome]:
    """Every part as one task; ``on_done(outcome, i, n)`` as each finishes, in that order."""
    import distributed

    as_completed: Any = distributed.as_completed
    client, cluster = _client(scheduler, workers)
    chosen = None if steps is None else tuple(steps)
    outcomes: list[Outcome] = []
    try:
        data = client.scatter(parts)  # the rows travel once, not inside the task graph
        futures = {
            client.submit(run_gemeente, d, settings, out_root, chosen, key=f"gemeente-{p.code}"): p
            for d, p in zip(data, parts, strict=True)
        }
        for future in as_completed(futures):
            part = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # the worker itself died (memory, a signal)
                outcome = _failed(part, out_root, exc)
            outcomes.append(outcome)
            on_done(outcome, len(outcomes), len(parts))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return sorted(outcomes, key=lambda o: o.code)


# --------------------------------------------------------------------------------------------
# the comparison across gemeenten
# --------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------
# the whole job
# --------------------------------------------------------------------------------------------


def _no_progress(outcome: Outcome, i: int, n: int) -> None:
    return None


def run_many(
    settings: Settings,
    *,
    gemeenten: Sequence[str] = (),
    province: str | None = None,
    all_gemeenten: bool = False,
    out_dir: str | Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    steps: Iterable[str] | None = None,
    on_done: Callable[[Outcome, int, int], None] = _no_progress,
) -> ManyResult:
    """Run the analysis for each chosen gemeente as its own task; then compare them.

    Parameters
    ----------
    settings
        The settings of every run; ``[paths]`` names the inputs that cover all the gemeenten.
    gemeenten, province, all_gemeenten
        Which gemeenten (see :func:`select_gemeenten`).
    out_dir
        Root folder (default ``[paths] out_dir``): one folder per gemeente code, plus the
        comparison files and ``afgewezen.csv``.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); None starts a
        ``LocalCluster`` of ``workers`` processes (default: one per core) with one thread each.
    steps
        The later steps of each run (see :func:`almere_gis.pipeline.run`); None = all.
    on_done
        Called as ``on_done(outcome, i, n)`` when the i-th of n gemeenten is finished.

    Raises
    ------
    almere_gis.InputError, almere_gis.ConfigError
        Unreadable inputs or an unknown gemeente, before any task starts. A gemeente whose
        own run fails does not raise: its outcome has the error line.
    """
    p = settings.paths
    root = Path(out_dir) if out_dir is not None else p.out_dir
    layer = p.buurten_layer or None
    buurten = load_buurten(p.buurten, layer=layer, crs=p.areas_crs or None)
    raw_buurten = read_table(p.buurten, layer=layer)
    chosen = select_gemeenten(
        buurten,
        names=gemeenten,
        province=province,
        all_gemeenten=all_gemeenten,
        raw=raw_buurten,
        where=str(p.buurten),
    )
    parts, rejects, n_outside = split_inputs(
        settings, chosen, buurten=buurten, raw_buurten=raw_buurten
    )
    del raw_buurten
    log.info(
        "%d gemeenten, %d rows rejected, %d outside every buurt",
        len(parts),
        len(rejects),
        n_outside,
    )
    root.mkdir(parents=True, exist_ok=True)
    outcomes = _dispatch(
        parts, settings, root, scheduler=scheduler, workers=workers, steps=steps, on_done=on_done
    )
    table = comparison_table(outcomes, min_count=settings.privacy.min_count)
    files = write_comparison(table, buurten, root, settings)
    files["rejects"] = write_csv(rejects, root / "afgewezen.csv")
    return ManyResult(outcomes, table, files, n_rejected=len(rejects), n_outside=n_outside)
