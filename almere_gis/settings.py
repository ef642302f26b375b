"""One settings object for the whole pipeline, loaded from TOML.

The package ships documented defaults (``defaults.toml``); a user file only lists what it changes.
Unknown keys are refused, so a typo never silently falls back to a default.
"""

from __future__ import annotations

__all__ = [
    "Settings",
    "default_settings_text",
    "load_settings",
]

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ._errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PathSettings:
    buurten: Path
    buurten_layer: str
    wijken: Path | None
    wijken_layer: str
    areas_crs: str
    businesses: Path
    candidates: Path | None
    stations: Path | None
    out_dir: Path


@dataclass(frozen=True)
class ColumnSettings:
    id: str = ""
    name: str = ""
    sbi: str = ""
    jobs_fulltime: str = ""
    jobs_parttime: str = ""
    jobs_total: str = ""
    home_based: str = ""
    gebruiksdoel: str = ""
    start_year: str = ""
    social_enterprise: str = ""
    x: str = ""
    y: str = ""
    lat: str = ""
    lon: str = ""


@dataclass(frozen=True)
class BusinessSettings:
    preset: str
    crs: str
    swapped_latlon: str
    columns: ColumnSettings


@dataclass(frozen=True)
class SectorGroup:
    key: str
    label_nl: str
    label_en: str
    divisions: str

    def division_set(self) -> frozenset[int]:
        """Parse ``"58-63,73-74"`` into the set of two-digit SBI divisions."""
        out: set[int] = set()
        for part in self.divisions.split(","):
            part = part.strip()
            if not part:
                continue
            lo, _, hi = part.partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
        return frozenset(out)


@dataclass(frozen=True)
class ClassificationSettings:
    small_scale_max_jobs: int
    zzp_jobs: int
    home_gebruiksdoel: str
    sector_groups: tuple[SectorGroup, ...]


@dataclass(frozen=True)
class TypologyRule:
    type: str
    code_suffix_in: tuple[str, ...] = ()
    name_contains: tuple[str, ...] = ()
    max_homes_per_ha: float | None = None
    min_area_ha: float | None = None
    max_area_ha: float | None = None


@dataclass(frozen=True)
class TypologySettings:
    default: str
    rules: tuple[TypologyRule, ...]


@dataclass(frozen=True)
class DensitySettings:
    cell_size_m: float
    radius_m: float
    kernel: str
    output: str
    subsets: tuple[str, ...]
    weights: tuple[str, ...]


@dataclass(frozen=True)
class HexgridSettings:
    size_m: float


@dataclass(frozen=True)
class PrivacySettings:
    min_count: int


@dataclass(frozen=True)
class HotspotSettings:
    weights: str
    k: int
    distance_band_m: float
    permutations: int
    seed: int
    variable: str
    fdr: bool


@dataclass(frozen=True)
class SiteWeights:
    demand_walk: float
    demand_cycle: float
    cluster: float
    accessibility: float
    fit: float
    mix: float
    social: float


@dataclass(frozen=True)
class SiteSettings:
    walk_m: float
    cycle_m: float
    normalisation: str
    missing: str
    target_floor_area_min_m2: float
    target_floor_area_max_m2: float
    min_floor_area_m2: float
    hotspot_near_m: float
    top_k: int
    draws: int
    concentration: float
    seed: int
    robust_probability: float
    search_zone_distance_m: float
    language: str
    weights: SiteWeights
    # Demand criterion: "count" (establishments) or "jobs" (werkzame personen) nearby.
    demand_measure: str = "count"


@dataclass(frozen=True)
class MapSettings:
    file: str
    language: str
    indicator: str
    scheme: str
    classes: int
    self_contained: bool
    simplify_m: float


@dataclass(frozen=True)
class ExportSettings:
    gpkg: str
    qgs: str
    include_points: bool


@dataclass(frozen=True)
class Settings:
    """All settings of a run. Build with :func:`load_settings`; change with :meth:`replace`."""

    paths: PathSettings
    businesses: BusinessSettings
    classification: ClassificationSettings
    typology: TypologySettings
    density: DensitySettings
    hexgrid: HexgridSettings
    privacy: PrivacySettings
    hotspots: HotspotSettings
    sites: SiteSettings
    map: MapSettings
    export: ExportSettings
    source: str = field(default="defaults", compare=False)

    def replace(self, section: str, **changes: Any) -> Settings:
        """Return a copy with some values of one section changed.

        Examples
        --------
        >>> s = load_settings().replace("density", radius_m=600.0)
        >>> s.density.radius_m
        600.0
        """
        current = getattr(self, section)
        return dataclasses.replace(self, **{section: dataclasses.replace(current, **changes)})


def default_settings_text() -> str:
    """The shipped, commented defaults file (what ``almere-gis init-config`` writes)."""
    return resources.files("almere_gis").joinpath("defaults.toml").read_text(encoding="utf-8")


def _merge(base: dict[str, Any], over: dict[str, Any], where: str, path: str) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        dotted = f"{path}.{key}" if path else key
        if key not in base:
            raise ConfigError(
                f"{where}: unknown setting '{dotted}'. Fix: remove it or check its spelling "
                "against `almere-gis init-config`."
            )
        if isinstance(base[key], dict) and isinstance(value, dict):
            out[key] = _merge(base[key], value, where, dotted)
        else:
            out[key] = value
    return out


def _resolve_paths(raw: dict[str, Any], base_dir: Path, keys: set[str]) -> None:
    for key in keys:
        if key in raw and isinstance(raw[key], str) and not key.endswith(("_layer", "_crs")):
            value = raw[key]
            if value and not Path(value).is_absolute():
                raw[key] = str(base_dir / value)


def _build(cls: type, data: Any, where: str, path: str) -> Any:
    """Turn a TOML dict into the (nested, frozen) dataclass ``cls``, checking types."""
    if dataclasses.is_dataclass(cls):
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: '{path}' must be a table. Fix: write [{path}].")
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name == "source":
                continue
            dotted = f"{path}.{f.name}" if path else f.name
            if f.name not in data:
                if f.default is not dataclasses.MISSING:
                    continue
                raise ConfigError(f"{where}: missing setting '{dotted}'. Fix: add it.")
            kwargs[f.name] = _build(hints[f.name], data[f.name], where, dotted)
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(
                f"{where}: unknown setting '{path}.{sorted(unknown)[0]}'. "
                "Fix: remove it or check its spelling."
            )
        return cls(**kwargs)
    origin = typing.get_origin(cls)
    args = typing.get_args(cls)
    if origin is tuple:
        if not isinstance(data, list):
            raise ConfigError(f"{where}: '{path}' must be a list. Fix: write {path} = [...].")
        return tuple(_build(args[0], item, where, f"{path}[{i}]") for i, item in enumerate(data))
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)][0]
        if data in (None, ""):
            return None
        return _build(inner, data, where, path)
    if cls is Path:
        return Path(data)
    if cls is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise ConfigError(f"{where}: '{path}' must be a number, got {data!r}.")
        return float(data)
    if cls is bool:
        if not isinstance(data, bool):
            raise ConfigError(f"{where}: '{path}' must be true or false, got {data!r}.")
        return data
    if cls is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise ConfigError(f"{where}: '{path}' must be a whole number, got {data!r}.")
        return data
    if cls is str:
        if not isinstance(data, str):
            raise ConfigError(f"{where}: '{path}' must be text, got {data!r}.")
        return data
    return data


_CHOICES = {
    ("businesses", "preset"): {"lisa", "kvk", "custom"},
    ("businesses", "swapped_latlon"): {"fix", "reject"},
    ("density", "kernel"): {"quartic", "epanechnikov", "triweight", "uniform", "triangular"},
    ("density", "output"): {"raw", "scaled"},
    ("hotspots", "weights"): {"knn", "distance"},
    ("sites", "normalisation"): {"minmax", "percentile"},
    ("sites", "missing"): {"neutral", "exclude"},
    ("sites", "demand_measure"): {"count", "jobs"},
    ("sites", "language"): {"nl", "en"},
    ("map", "language"): {"nl", "en"},
}


def load_settings(path: str | Path | None = None) -> Settings:
    """Load the shipped defaults, overridden by the TOML file at ``path`` if given.

    Relative paths in ``[paths]`` are read against the folder of the file that sets them.

    Raises
    ------
    ConfigError
        For a file that cannot be read, an unknown key, a value of the wrong type or an
        unknown choice.

    Examples
    --------
    >>> load_settings().classification.small_scale_max_jobs
    9
    """
    defaults = tomllib.loads(default_settings_text())
    _resolve_paths(defaults["paths"], PROJECT_ROOT, set(defaults["paths"]))
    where = "defaults.toml"
    merged = defaults
    if path is not None:
        path = Path(path)
        where = str(path)
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                f"{path}: settings file not found. Fix: check the path, or write one with "
                "`almere-gis init-config`."
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}). Fix: correct the syntax.") from None
        if "paths" in user:
            _resolve_paths(user["paths"], path.resolve().parent, set(user["paths"]))
        merged = _merge(defaults, user, where, "")
    settings: Settings = _build(Settings, merged, where, "")
    for (section, key), allowed in _CHOICES.items():
        value = getattr(getattr(settings, section), key)
        if value not in allowed:
            raise ConfigError(
                f"{where}: {section}.{key} = {value!r} is not one of {sorted(allowed)}."
            )
    return dataclasses.replace(settings, source=where)
