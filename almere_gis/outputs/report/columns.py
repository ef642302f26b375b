"""What a column of a public table is called, what it means and how its numbers are shown.

One resolver for the workbook's headers and its sheet of column notes, and for the summary's
map legend: every column of the public tables (buurten, wijken, candidate sites, search zones,
growth) gets a header and a description from ``texts/tables.toml`` in the run's language, and a
:class:`Kind` that fixes its number format and rounding.

Columns that repeat per measure, rate, sector group, hexagon subset or criterion are named by
pattern (``n_small_scale_per_km2`` -> "Kleinschalige vestigingen per km² land"); sector names
come from the settings, criterion names from ``texts/sites.toml``. A column no rule knows keeps
its field name as header and says it is not described yet (a test keeps that list empty).
"""

from __future__ import annotations

__all__ = ["KINDS", "TABLES_FILE", "Column", "Kind", "describe_column", "stability_word"]

import dataclasses
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..._schema import COUNT_MEASURES, OTHER_SECTOR, RATE_SUFFIXES
from ...settings import Settings
from ...texts import catalogue, text
from ...texts.format import number, percent

# The workbook's file name (outputs/workbook.py), also named on the summary page.
TABLES_FILE = "tabellen.xlsx"


@dataclass(frozen=True)
class Kind:
    """How the values of a column are stored and shown in a spreadsheet."""

    name: str
    number_format: str | None
    """Excel number format; None for text."""
    decimals: int | None
    """Values are rounded to this many decimals (0: stored as integers); None: not rounded."""


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("text", None, None),
        Kind("bool", None, None),
        Kind("count", "#,##0", 0),
        Kind("ha", "#,##0", 0),
        Kind("m", "#,##0", 0),
        Kind("year", "0", 0),
        Kind("row", "0", 0),
        Kind("rank", "0", 0),
        Kind("rank_stat", "0.0", 1),
        Kind("rate", "#,##0.0", 1),
        Kind("km", "0.0", 1),
        Kind("percent_number", "0.0", 1),
        Kind("ratio", "0.00", 2),
        Kind("score", "0.000", 3),
        Kind("pvalue", "0.0000", 4),
        Kind("share", "0.0%", 4),
        Kind("change_pct", "+0.0%;-0.0%;0.0%", 4),
        Kind("date", "d-m-yyyy", None),
    )
}

# Kinds of the columns with a fixed name (their headers are tables.header.<name>).
_FIXED_KINDS: dict[str, str] = {
    **dict.fromkeys(("inhabitants", "households", "homes", "cbs_establishments"), "count"),
    **dict.fromkeys(("area_total_ha", "area_land_ha", "area_water_ha"), "ha"),
    **dict.fromkeys(("dist_train_km", "accessibility_station_km", "accessibility_centre_km"), "km"),
    "share_social_minimum": "percent_number",
    "gi_z": "ratio",
    **dict.fromkeys(("gi_p", "gi_p_sim", "gi_q"), "pvalue"),
    **dict.fromkeys(("floor_area_m2", "cluster_distance_m", "nearest_candidate_m"), "m"),
    "building_distance_m": "m",
    "no_building_within": "bool",
    "vacant_since": "year",
    "source_row": "row",
    **dict.fromkeys(("vacancy_share", "fit_vacancy", "p_top_k"), "share"),
    **dict.fromkeys(("score", "fit_floor"), "score"),
    "rank": "rank",
    **dict.fromkeys(("rank_median", "rank_p05", "rank_p95"), "rank_stat"),
    **dict.fromkeys(
        ("suppressed", "excluded", "robust", "method_break", "redivision", "estimate"), "bool"
    ),
    **dict.fromkeys(
        ("demand_walk_count", "demand_walk_jobs", "demand_cycle_count", "demand_cycle_jobs"),
        "count",
    ),
    **dict.fromkeys(("start", "end"), "date"),
}
_HEX_SUBSETS = ("all", "small_scale", "home_based", "zzp")
_GROWTH_PARTS = (
    ("_change_pct", "change_pct"),
    ("_change", "count"),
    ("_start", "count"),
    ("_end", "count"),
)
_CRITERION_PARTS = (("_raw", "ratio"), ("_norm", "score"), ("_contrib", "score"))


@dataclass(frozen=True)
class Column:
    """A column as a reader sees it: header, meaning, and how its values are shown."""

    field: str
    header: str
    description: str
    kind: Kind
    described: bool = True
    """False for a column no rule knows (header = field name)."""


def _fields(settings: Settings, language: str) -> dict[str, Any]:
    """The values the header and description templates may use."""
    c, s = settings.classification, settings.sites
    return {
        "n": settings.privacy.min_count,
        "small": c.small_scale_max_jobs,
        "zzp": c.zzp_jobs,
        "size": f"{settings.hexgrid.size_m:g}",
        "d": f"{s.search_zone_distance_m:g}",
        "walk": f"{s.walk_m:g}",
        "cycle": f"{s.cycle_m:g}",
        "fmin": f"{s.target_floor_area_min_m2:g}",
        "fmax": f"{s.target_floor_area_max_m2:g}",
        "k": s.top_k,
        "draws": number(s.draws, 0, language),
        "p": percent(s.robust_probability, 0, language),
        "reach": f"{settings.themes.building_reach_m:g}",
    }


def _t(key: str, language: str, values: dict[str, Any]) -> str:
    return text(f"tables.{key}", language, **values)


def _known(key: str) -> bool:
    return f"tables.{key}" in catalogue()


def _sectors(settings: Settings, language: str) -> dict[str, tuple[str, str]]:
    """Sector key -> (label, SBI divisions) in ``language``."""
    out = {
        g.key: ((g.label_nl if language == "nl" else g.label_en), g.divisions)
        for g in settings.classification.sector_groups
    }
    out[OTHER_SECTOR] = (
        text("tables.sector_other", language),
        text("tables.sector_other_divisions", language),
    )
    return out


def _criterion_name(key: str, language: str) -> str:
    """The one name of a site criterion (``texts/sites.toml``), else the scoring table's label."""
    entry = f"sites.criterion.{key}.name"
    if entry in catalogue():
        return text(entry, language)
    try:  # until every criterion's name is in the text catalogue
        from ...analysis.sites import CRITERIA

        return CRITERIA[key].label(language)
    except (ImportError, KeyError, AttributeError):
        return key


@cache
def _cbs_groups(language: str) -> dict[str, str]:
    """CBS's names of its SBI groups (``"G+I"`` -> "Handel en horeca"), for growth measures."""
    from ...datasets.generate.cbs import CBS_SBI_GROUPS

    return {g.key: (g.label_nl if language == "nl" else g.label_en) for g in CBS_SBI_GROUPS}


def _growth_measure(measure: str, language: str, values: dict[str, Any]) -> str:
    if measure.endswith("_comparable"):
        inner = _growth_measure(measure.removesuffix("_comparable"), language, values)
        return _t("growth_measure.comparable", language, values | {"measure": inner})
    if measure == "total":
        return _t("growth_measure.total", language, values)
    group = _cbs_groups(language).get(measure, measure)
    return _t("growth_measure.group", language, values | {"group": group})


Found = tuple[str, str, str] | None  # (header, description, kind name)


def _entry(group: str, part: str, language: str, values: dict[str, Any], kind: str) -> Found:
    """Header ``tables.<group>.<part>`` and description ``tables.<group>_describe.<part>``."""
    return (
        _t(f"{group}.{part}", language, values),
        _t(f"{group}_describe.{part}", language, values),
        kind,
    )


def _measure_column(field: str, settings: Settings, language: str, v: dict[str, Any]) -> Found:
    """``n_zzp``, ``n_zzp_per_km2``, ``share_jobs_zzp``, ... (analysis/indicators.py)."""
    if field in COUNT_MEASURES:
        return _entry("measure", field, language, v, "count")
    for measure in COUNT_MEASURES:
        for suffix in RATE_SUFFIXES:
            if field == f"{measure}{suffix}":
                return _rate(measure, suffix.lstrip("_"), "rate", language, v)
        if field == f"share_{measure}":
            return _rate(measure, "share", "share", language, v)
    return None


def _sector_column(field: str, settings: Settings, language: str, v: dict[str, Any]) -> Found:
    """``n_<sector>``, ``jobs_<sector>``, ``lq_<sector>`` for the settings' sector groups."""
    for key, (label, divisions) in _sectors(settings, language).items():
        for prefix, kind in (("n", "count"), ("jobs", "count"), ("lq", "ratio")):
            if field == f"{prefix}_{key}":
                sector = v | {"sector": label, "divisions": divisions}
                return _entry("sector", prefix, language, sector, kind)
    return None


def _hexagon_column(field: str, settings: Settings, language: str, v: dict[str, Any]) -> Found:
    """``count_<subset>`` and ``jobs_<subset>`` of hexagons and search zones."""
    for subset in _HEX_SUBSETS:
        for prefix in ("count", "jobs"):
            if field == f"{prefix}_{subset}":
                named = v | {"subset": text(f"tables.subset.{subset}", language)}
                return _entry("hex", prefix, language, named, "count")
    return None


def _criterion_column(field: str, settings: Settings, language: str, v: dict[str, Any]) -> Found:
    """``<criterion>_raw/_norm/_contrib`` and ``weight_<criterion>`` of candidate sites."""
    for key in (f.name for f in dataclasses.fields(settings.sites.weights)):
        named = v | {"criterion": _criterion_name(key, language)}
        for suffix, kind in _CRITERION_PARTS:
            if field == f"{key}{suffix}":
                return _entry("criterion", suffix.lstrip("_"), language, named, kind)
        if field == f"weight_{key}":
            return _entry("criterion", "weight", language, named, "share")
    return None


def _growth_column(field: str, language: str, v: dict[str, Any]) -> Found:
    """``<measure>_start/_end/_change/_change_pct`` of a growth table (analysis/growth.py)."""
    for suffix, kind in _GROWTH_PARTS:
        if field.endswith(suffix):
            measure = _growth_measure(field.removesuffix(suffix), language, v)
            return _entry("growth", suffix.lstrip("_"), language, v | {"measure": measure}, kind)
    return None


def _by_pattern(
    field: str, table: str, settings: Settings, language: str, values: dict[str, Any]
) -> Found:
    """(header, description, kind) of a column named by pattern, or None."""
    for match in (_measure_column, _sector_column, _hexagon_column, _criterion_column):
        found = match(field, settings, language, values)
        if found is not None:
            return found
    return _growth_column(field, language, values) if table == "growth" else None


def _rate(measure: str, rate: str, kind: str, language: str, values: dict[str, Any]) -> Found:
    name = _t(f"measure.{measure}", language, values)
    v = values | {"measure": name, "measure_lower": name.lower()}
    return _t(f"rate.{rate}", language, v), _t(f"rate_describe.{rate}", language, v), kind


def describe_column(field: str, table: str, settings: Settings, language: str) -> Column:
    """Header, description and :class:`Kind` of column ``field`` of a public table.

    Parameters
    ----------
    field
        The column's name in the frame (and in the CSV and GeoPackage).
    table
        ``buurten``, ``wijken``, ``candidates``, ``search_zones`` or ``growth`` (growth
        columns are named by pattern only there).
    settings
        For sector names, distances and thresholds quoted in the descriptions.
    language
        ``nl`` or ``en``.

    Examples
    --------
    >>> from almere_gis import load_settings
    >>> describe_column("n_small_scale_per_km2", "buurten", load_settings(), "nl").header
    'Kleinschalige vestigingen per km² land'
    """
    values = _fields(settings, language)
    if _known(f"header.{field}"):
        header = _t(f"header.{field}", language, values)
        description = _t(f"describe.{field}", language, values)
        kind = _FIXED_KINDS.get(field, "text")
    else:
        found = _by_pattern(field, table, settings, language, values)
        if found is None:
            return Column(field, field, text("tables.undescribed", language), KINDS["text"], False)
        header, description, kind = found
    # A criterion name starts lower case mid-sentence; as a header it starts a line.
    return Column(field, header[:1].upper() + header[1:], description, KINDS[kind])


def stability_word(value: object, language: str) -> str | None:
    """``always``/``sometimes``/``never`` in ``language`` ("altijd", "soms", "nooit"), else None."""
    if isinstance(value, str) and _known(f"stability.{value}"):
        return text(f"tables.stability.{value}", language)
    return None
