"""One settings object for the whole pipeline, loaded from TOML and checked before any work.

The package ships documented defaults (``defaults.toml``); a user file only lists what it
changes. The schema is declared once, here, with pydantic: every number has its allowed range,
every choice its options, and cross-field rules (``walk_m <= cycle_m``, the privacy floor, ...)
are checked when the settings are loaded, so a bad value is refused with its key, its value and
what is allowed, before any file is read or written. Unknown keys are refused too, so a typo
never silently falls back to a default.

The sections are frozen (pydantic) dataclasses: ``dataclasses.replace`` and
:meth:`Settings.replace` return a changed copy that is checked again.
"""

from __future__ import annotations

__all__ = [
    "CLASS_SCHEMES",
    "BusinessSettings",
    "ClassificationSettings",
    "ColumnSettings",
    "DensitySettings",
    "ExportSettings",
    "HexgridSettings",
    "HotspotSettings",
    "MapSettings",
    "PathSettings",
    "PrivacySettings",
    "SectorGroup",
    "Settings",
    "SiteSettings",
    "SiteWeights",
    "ThemeSettings",
    "TypologyRule",
    "TypologySettings",
    "default_settings_text",
    "load_settings",
    "parse_divisions",
]

import dataclasses
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass

from ._errors import ConfigError, PrivacyError
from ._schema import CBS_MIN_COUNT, indicator_names
from ._settings_explain import did_you_mean, explain
from ._settings_paths import resolve_demo_paths, resolve_paths

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_CONFIG = ConfigDict(extra="forbid")

# mapclassify schemes that take a number of classes k (the map and QGIS both use them).
CLASS_SCHEMES = (
    "EqualInterval",
    "FisherJenks",
    "FisherJenksSampled",
    "JenksCaspall",
    "MaximumBreaks",
    "NaturalBreaks",
    "PrettyBreaks",
    "Quantiles",
)
_DENSITY_SUBSETS = ("all", "small_scale", "home_based", "zzp")


def _path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    if not isinstance(value, str):
        raise ValueError("must be text (a file path in quotes)")
    return Path(value)


def _optional_path(value: Any) -> Path | None:
    return None if value in (None, "") else _path(value)


def _number(lo: float | None = None, hi: float | None = None, *, gt: float | None = None) -> Any:
    return Field(strict=True, ge=lo, le=hi, gt=gt)


FilePath = Annotated[Path, BeforeValidator(_path)]
OptionalPath = Annotated[Path | None, BeforeValidator(_optional_path)]
Text = Annotated[str, Field(strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Language = Literal["nl", "en"]


@dataclass(frozen=True, config=_CONFIG)
class PathSettings:
    """``[paths]``: input files and the output folder."""

    buurten: FilePath
    buurten_layer: Text
    wijken: OptionalPath
    wijken_layer: Text
    areas_crs: Text
    businesses: FilePath
    candidates: OptionalPath
    stations: OptionalPath
    out_dir: FilePath


@dataclass(frozen=True, config=_CONFIG)
class ColumnSettings:
    """``[businesses.columns]``: internal field = column name in the file ("" = absent)."""

    id: Text = ""
    name: Text = ""
    sbi: Text = ""
    jobs_fulltime: Text = ""
    jobs_parttime: Text = ""
    jobs_total: Text = ""
    home_based: Text = ""
    gebruiksdoel: Text = ""
    start_year: Text = ""
    social_enterprise: Text = ""
    x: Text = ""
    y: Text = ""
    lat: Text = ""
    lon: Text = ""


@dataclass(frozen=True, config=_CONFIG)
class BusinessSettings:
    """``[businesses]``: how to read the business register."""

    preset: Literal["lisa", "kvk", "custom"]
    crs: Text
    swapped_latlon: Literal["fix", "reject"]
    columns: ColumnSettings

    @field_validator("crs")
    @classmethod
    def _crs_known(cls, value: str) -> str:
        if value != "auto":
            _check_crs(value)
        return value


_DIVISIONS = re.compile(r"^\s*\d{1,2}(\s*-\s*\d{1,2})?(\s*,\s*\d{1,2}(\s*-\s*\d{1,2})?)*\s*$")


@dataclass(frozen=True, config=_CONFIG)
class SectorGroup:
    """One sector group of SBI 2008 divisions (two digits), e.g. ``"58-63,73-74"``."""

    key: Annotated[str, Field(strict=True, pattern=r"^[a-z][a-z0-9_]*$")]
    label_nl: Annotated[str, Field(strict=True, min_length=1)]
    label_en: Annotated[str, Field(strict=True, min_length=1)]
    divisions: Text

    @model_validator(mode="after")
    def _divisions_valid(self) -> SectorGroup:
        if not _DIVISIONS.match(self.divisions):
            raise ValueError(f"divisions {self.divisions!r} must look like '10-33' or '58-63,73'")
        for part in self.divisions.split(","):
            lo, _, hi = part.partition("-")
            if not 1 <= int(lo) <= int(hi or lo) <= 99:
                raise ValueError(f"divisions {part.strip()!r} must be a range within 01-99")
        return self

    def division_set(self) -> frozenset[int]:
        """Parse ``"58-63,73-74"`` into the set of two-digit SBI divisions."""
        return parse_divisions(self.divisions)


def parse_divisions(spec: str) -> frozenset[int]:
    """``"58-63,73-74"`` as the set of two-digit SBI divisions it names.

    Examples
    --------
    >>> sorted(parse_divisions("1-3, 47"))
    [1, 2, 3, 47]
    """
    out: set[int] = set()
    for part in spec.split(","):
        if part.strip():
            lo, _, hi = part.strip().partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
    return frozenset(out)


@dataclass(frozen=True, config=_CONFIG)
class ClassificationSettings:
    """``[classification]``: small-scale, zzp, home-based and the sector groups."""

    small_scale_max_jobs: Annotated[int, _number(1, 249)]
    zzp_jobs: Annotated[int, _number(1, 9)]
    home_gebruiksdoel: Annotated[str, Field(strict=True, min_length=1)]
    sector_groups: tuple[SectorGroup, ...]

    @model_validator(mode="after")
    def _keys_unique(self) -> ClassificationSettings:
        keys = [g.key for g in self.sector_groups]
        twice = sorted({k for k in keys if keys.count(k) > 1} | ({"overig"} & set(keys)))
        if twice:
            raise ValueError(f"sector group key(s) {', '.join(twice)} used twice or reserved")
        if self.zzp_jobs > self.small_scale_max_jobs:
            raise ValueError("zzp_jobs must not exceed small_scale_max_jobs")
        return self


AreaType = Literal["wonen", "centrum", "bedrijventerrein", "buitengebied"]


@dataclass(frozen=True, config=_CONFIG)
class TypologyRule:
    """One ordered rule of ``[typology]``; every condition given must hold."""

    type: AreaType
    gemeente_in: tuple[Text, ...] = ()
    water: Flag | None = None
    code_suffix_in: tuple[Text, ...] = ()
    name_contains: tuple[Text, ...] = ()
    max_homes_per_ha: Annotated[float | None, _number(0, 1000)] = None
    min_address_density: Annotated[float | None, _number(0, 1e5)] = None
    max_address_density: Annotated[float | None, _number(0, 1e5)] = None
    min_urbanity_class: Annotated[int | None, _number(1, 5)] = None
    min_area_ha: Annotated[float | None, _number(0, 1e6)] = None
    max_area_ha: Annotated[float | None, _number(0, 1e6)] = None


@dataclass(frozen=True, config=_CONFIG)
class TypologySettings:
    """``[typology]``: the default area type and the ordered rules."""

    default: AreaType
    rules: tuple[TypologyRule, ...]


@dataclass(frozen=True, config=_CONFIG)
class DensitySettings:
    """``[density]``: the kernel density surfaces."""

    cell_size_m: Annotated[float, _number(5, 1000)]
    radius_m: Annotated[float, _number(50, 10_000)]
    kernel: Literal["quartic", "epanechnikov", "triweight", "uniform", "triangular"]
    output: Literal["raw", "scaled"]
    subsets: tuple[Text, ...]
    weights: tuple[Literal["count", "jobs"], ...]

    @model_validator(mode="after")
    def _radius_spans_cells(self) -> DensitySettings:
        if self.radius_m < 2 * self.cell_size_m:
            raise ValueError("radius_m must be at least twice cell_size_m")
        return self


@dataclass(frozen=True, config=_CONFIG)
class HexgridSettings:
    """``[hexgrid]``: hexagon size (distance between opposite flat sides)."""

    size_m: Annotated[float, _number(50, 5000)]


@dataclass(frozen=True, config=_CONFIG)
class PrivacySettings:
    """``[privacy]``: the smallest number of establishments an aggregate may rest on."""

    # No lower bound here: _check_privacy refuses small values with the CBS rule in its message.
    min_count: Annotated[int, _number(None, 1000)]
    allow_below_cbs_rule: Flag = False


@dataclass(frozen=True, config=_CONFIG)
class HotspotSettings:
    """``[hotspots]``: Getis-Ord Gi* on hexagons and buurten."""

    weights: Literal["knn", "distance"]
    k: Annotated[int, _number(1, 50)]
    distance_band_m: Annotated[float, _number(50, 20_000)]
    permutations: Annotated[int, _number(0, 99_999)]
    seed: Annotated[int, _number(0, 2**32 - 1)]
    variable: Literal["all", "small_scale", "home_based", "zzp"]
    fdr: Flag


@dataclass(frozen=True, config=_CONFIG)
class SiteWeights:
    """``[sites.weights]``: relative weights of the criteria (normalised to sum to 1)."""

    demand_walk: Annotated[float, _number(0, 100)]
    demand_cycle: Annotated[float, _number(0, 100)]
    cluster: Annotated[float, _number(0, 100)]
    accessibility: Annotated[float, _number(0, 100)]
    fit: Annotated[float, _number(0, 100)]
    mix: Annotated[float, _number(0, 100)]
    social: Annotated[float, _number(0, 100)]
    building: Annotated[float, _number(0, 100)] = 0.0

    @model_validator(mode="after")
    def _some_weight(self) -> SiteWeights:
        if not any(getattr(self, f.name) > 0 for f in dataclasses.fields(self)):
            raise ValueError("weights are all zero: give at least one criterion a weight above 0")
        return self


@dataclass(frozen=True, config=_CONFIG)
class SiteSettings:
    """``[sites]``: candidate-site scoring, rank stability and search zones."""

    walk_m: Annotated[float, _number(50, 5000)]
    cycle_m: Annotated[float, _number(100, 20_000)]
    normalisation: Literal["minmax", "percentile"]
    missing: Literal["neutral", "exclude"]
    target_floor_area_min_m2: Annotated[float, _number(0, 1e6)]
    target_floor_area_max_m2: Annotated[float, _number(0, 1e6)]
    min_floor_area_m2: Annotated[float, _number(0, 1e6)]
    hotspot_near_m: Annotated[float, _number(1, 10_000)]
    top_k: Annotated[int, _number(1, 100)]
    draws: Annotated[int, _number(1, 100_000)]
    concentration: Annotated[float, _number(None, 1e6, gt=0)]
    seed: Annotated[int, _number(0, 2**32 - 1)]
    robust_probability: Annotated[float, _number(None, 1, gt=0)]
    search_zone_distance_m: Annotated[float, _number(0, 10_000)]
    language: Language
    weights: SiteWeights
    demand_measure: Literal["count", "jobs"] = "count"
    always_probability: Annotated[float, _number(None, 1, gt=0)] = 0.95

    @model_validator(mode="after")
    def _ranges_ordered(self) -> SiteSettings:
        if self.walk_m > self.cycle_m:
            raise ValueError("walk_m must not exceed cycle_m")
        if self.target_floor_area_min_m2 > self.target_floor_area_max_m2:
            raise ValueError("target_floor_area_min_m2 must not exceed target_floor_area_max_m2")
        return self


@dataclass(frozen=True, config=_CONFIG)
class MapSettings:
    """``[map]``: the planner's HTML map."""

    file: Annotated[str, Field(strict=True, pattern=r"^[^/\\]+\.html$")]
    language: Language
    indicator: Text
    scheme: Text
    classes: Annotated[int, _number(2, 7)]
    self_contained: Flag
    simplify_m: Annotated[float, _number(0, 500)]

    @field_validator("scheme")
    @classmethod
    def _scheme_known(cls, value: str) -> str:
        if value not in CLASS_SCHEMES:
            raise ValueError(
                f"is not one of {', '.join(CLASS_SCHEMES)}" + did_you_mean(value, CLASS_SCHEMES)
            )
        return value


@dataclass(frozen=True, config=_CONFIG)
class ExportSettings:
    """``[export]``: the QGIS package."""

    gpkg: Annotated[str, Field(strict=True, pattern=r"^[^/\\]+\.gpkg$")]
    qgs: Annotated[str, Field(strict=True, pattern=r"^[^/\\]+\.qgs$")]
    include_points: Flag


CbsGroup = Literal["", "A", "B-F", "G+I", "H+J", "K+L", "M+N", "O-Q", "R-U"]


def _divisions(value: str) -> str:
    """A divisions list such as ``"10-33,90,95"`` (the rule of :class:`SectorGroup`)."""
    if not _DIVISIONS.match(value):
        raise ValueError(f"divisions {value!r} must look like '10-33' or '58-63,73'")
    for part in value.split(","):
        lo, _, hi = part.partition("-")
        if not 1 <= int(lo) <= int(hi or lo) <= 99:
            raise ValueError(f"divisions {part.strip()!r} must be a range within 01-99")
    return value


Divisions = Annotated[str, Field(strict=True), AfterValidator(_divisions)]


@dataclass(frozen=True, config=_CONFIG)
class ThemeSettings:
    """``[themes]``: makers, mixed retail, social enterprise and the existing buildings."""

    maker_divisions: Divisions
    retail_divisions: Divisions
    mixed_divisions: Divisions
    social_enterprise_source: Text
    building_min_establishments: Annotated[int, _number(2, 1000)]
    building_direction: Literal["cluster", "avoid"]
    building_reach_m: Annotated[float, _number(0, 20_000)]
    cbs_proxy_maker: CbsGroup
    cbs_proxy_mixed_retail: CbsGroup

    def maker_set(self) -> frozenset[int]:
        """The SBI divisions of makers."""
        return parse_divisions(self.maker_divisions)

    def retail_set(self) -> frozenset[int]:
        """The SBI divisions of retail."""
        return parse_divisions(self.retail_divisions)

    def mixed_set(self) -> frozenset[int]:
        """The SBI divisions whose activity makes a shop a mixed one."""
        return parse_divisions(self.mixed_divisions)


@dataclass(frozen=True, config=_CONFIG)
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
    themes: ThemeSettings
    source: str = dataclasses.field(default="defaults", compare=False)

    @model_validator(mode="after")
    def _across_sections(self) -> Settings:
        sectors = [g.key for g in self.classification.sector_groups]
        allowed = (*_DENSITY_SUBSETS, *sectors, "overig")
        for subset in self.density.subsets:
            if subset not in allowed:
                raise ValueError(
                    f"density.subsets has {subset!r}, which is not one of {', '.join(allowed)}"
                    + did_you_mean(subset, allowed)
                )
        names = indicator_names(sectors)
        if self.map.indicator not in names:
            raise ValueError(
                f"map.indicator {self.map.indicator!r} is not an indicator we compute"
                + did_you_mean(self.map.indicator, sorted(names))
                + ". Fix: name a column of the buurt table, e.g. jobs_small_scale_per_km2, "
                "n_home_based_per_1000_homes or share_n_zzp"
            )
        return self

    def replace(self, section: str, **changes: Any) -> Settings:
        """Return a copy with some values of one section changed (checked again).

        Examples
        --------
        >>> s = load_settings().replace("density", radius_m=600.0)
        >>> s.density.radius_m
        600.0
        """
        try:
            changed = dataclasses.replace(getattr(self, section), **changes)
        except ValidationError as exc:
            raise ConfigError(explain(exc, self.source, root=Settings, prefix=section)) from None
        try:
            updated = dataclasses.replace(self, **{section: changed})
        except ValidationError as exc:
            raise ConfigError(explain(exc, self.source, root=Settings)) from None
        _check_privacy(updated, self.source)
        return updated


def _check_crs(value: str) -> None:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(value)
    except CRSError:
        raise ValueError("is not a known CRS (use e.g. 'EPSG:28992')") from None


def _check_privacy(settings: Settings, where: str) -> None:
    """The CBS rule: no aggregate of fewer than 5 establishments, unless explicitly allowed."""
    p = settings.privacy
    rule = (
        f"CBS publishes no figure built from fewer than {CBS_MIN_COUNT} establishments, and "
        "neither do we"
    )
    if p.min_count < 1:
        raise PrivacyError(
            f"{where}: privacy.min_count = {p.min_count} would switch privacy off ({rule}). "
            f"Fix: use min_count >= {CBS_MIN_COUNT}; with [privacy] allow_below_cbs_rule = true "
            "it may be lowered, but never below 1."
        )
    if p.min_count < CBS_MIN_COUNT and not p.allow_below_cbs_rule:
        raise PrivacyError(
            f"{where}: privacy.min_count = {p.min_count} is below the CBS rule ({rule}). "
            f"Fix: use min_count >= {CBS_MIN_COUNT}, or set [privacy] allow_below_cbs_rule = "
            "true to accept publishing smaller groups (never below 1)."
        )


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
                "against `almere-gis init-config`" + did_you_mean(key, base) + "."
            )
        if isinstance(base[key], dict) and isinstance(value, dict):
            out[key] = _merge(base[key], value, where, dotted)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: settings file not found. Fix: check the path, or write one with "
            "`almere-gis init-config`."
        ) from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise ConfigError(
            f"{path}: not a TOML text file. Fix: give a settings .toml file."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}). Fix: correct the syntax.") from None


_ADAPTER: TypeAdapter[Settings] | None = None


def load_settings(path: str | Path | None = None) -> Settings:
    """Load the shipped defaults, overridden by the TOML file at ``path`` if given.

    Relative paths in ``[paths]`` are read against the folder of the file that sets them
    (of the shipped defaults: the current folder); ``demo:<name>`` is a shipped demo file.

    Raises
    ------
    ConfigError
        For a file that cannot be read, an unknown key, a value of the wrong type, out of
        range or not among the choices, or a broken cross-field rule.
    PrivacyError
        For ``privacy.min_count`` below the CBS rule of 5 without the acknowledgement.

    Examples
    --------
    >>> load_settings().classification.small_scale_max_jobs
    9
    """
    global _ADAPTER
    defaults = tomllib.loads(default_settings_text())
    resolve_paths(defaults["paths"], None)
    where = "defaults.toml"
    merged = defaults
    if path is not None:
        path = Path(path)
        where = str(path)
        user = _read_toml(path)
        if isinstance(user.get("paths"), dict):
            resolve_paths(user["paths"], path.resolve().parent)
        merged = _merge(defaults, user, where, "")
    if isinstance(merged.get("paths"), dict):
        try:
            resolve_demo_paths(merged["paths"])
        except ConfigError as exc:
            raise ConfigError(f"{where}: [paths] {exc}") from None
    if _ADAPTER is None:
        _ADAPTER = TypeAdapter(Settings)
    try:
        settings = _ADAPTER.validate_python(merged)
    except ValidationError as exc:
        raise ConfigError(explain(exc, where, root=Settings)) from None
    settings = dataclasses.replace(settings, source=where)
    _check_privacy(settings, where)
    return settings
