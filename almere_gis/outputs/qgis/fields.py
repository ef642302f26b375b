"""The field catalogue of the GeoPackage: a description and unit for every attribute.

The texts live in ``texts/qgis.toml`` (``qgis.field.<name>`` for fixed fields, ``qgis.measure``
and ``qgis.pattern`` for the indicator families); criterion names come from the sites room's
``sites.criterion.<key>.name`` when it has one. The result is stored as the table
``veldbeschrijvingen`` beside the layers.
"""

from __future__ import annotations

__all__ = ["describe_field", "describe_fields"]

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from ..._schema import OTHER_SECTOR, RATE_SUFFIXES
from ...texts import catalogue, text


def _entry(key: str, language: str) -> str | None:
    found = catalogue().get(key)
    return None if found is None else found[language]


def _fixed(field: str, language: str) -> tuple[str, str] | None:
    description = _entry(f"qgis.field.{field}.description", language)
    if description is None:
        return None
    return description, _entry(f"qgis.field.{field}.unit", language) or ""


def _pattern(name: str, language: str, **values: str) -> tuple[str, str]:
    description = text(f"qgis.pattern.{name}.description", language, **values)
    unit = _entry(f"qgis.pattern.{name}.unit", language) or ""
    return description[0].upper() + description[1:], unit


def _measure(field: str, language: str) -> tuple[str, str] | None:
    """A count measure (``n_small_scale``), its rates (``..._per_km2``) and its share."""
    measure = _entry(f"qgis.measure.{field}", language)
    if measure is not None:
        unit = text(f"qgis.measure_unit.{'jobs' if field.startswith('jobs') else 'n'}", language)
        return measure[0].upper() + measure[1:], unit
    for suffix in RATE_SUFFIXES:
        base = field.removesuffix(suffix)
        if base != field and (name := _entry(f"qgis.measure.{base}", language)):
            return _pattern(suffix.lstrip("_"), language, measure=name[0].upper() + name[1:])
    base = field.removeprefix("share_")
    if base != field and (name := _entry(f"qgis.measure.{base}", language)):
        return _pattern("share", language, measure=name)
    return None


def _sector(field: str, sectors: Mapping[str, str], language: str) -> tuple[str, str] | None:
    for prefix, pattern in (
        ("n_", "sector_count"),
        ("count_", "sector_count"),
        ("jobs_", "sector_jobs"),
        ("lq_", "sector_lq"),
    ):
        key = field.removeprefix(prefix)
        if key != field and key in sectors:
            return _pattern(pattern, language, sector=sectors[key])
    return None


def _criterion_name(key: str, language: str) -> str:
    return _entry(f"sites.criterion.{key}.name", language) or key


def _criterion(field: str, criteria: frozenset[str], language: str) -> tuple[str, str] | None:
    for suffix, pattern in (
        ("_raw", "criterion_raw"),
        ("_norm", "criterion_norm"),
        ("_contrib", "criterion_contrib"),
    ):
        key = field.removesuffix(suffix)
        if key != field and key in criteria:
            return _pattern(pattern, language, criterion=_criterion_name(key, language))
    key = field.removeprefix("weight_")
    if key != field and key in criteria:
        return _pattern("criterion_weight", language, criterion=_criterion_name(key, language))
    return None


def describe_field(
    field: str,
    *,
    language: str = "nl",
    sectors: Mapping[str, str] | None = None,
    criteria: frozenset[str] = frozenset(),
) -> tuple[str, str]:
    """Description and unit of one attribute; ``("", "")`` when the catalogue lacks it.

    Examples
    --------
    >>> describe_field("jobs_zzp_per_km2", language="en")
    ('Persons employed in zzp establishments per km² of land', 'per km²')
    """
    sector_labels = {OTHER_SECTOR: OTHER_SECTOR, **dict(sectors or {})}
    for found in (
        _fixed(field, language),
        _measure(field, language),
        _sector(field, sector_labels, language),
        _criterion(field, criteria, language),
    ):
        if found is not None:
            return found
    return "", ""


def _criteria_of(frame: pd.DataFrame) -> frozenset[str]:
    """Criterion keys of a scored candidates frame: every ``<key>_contrib`` with its ``_raw``."""
    columns = {str(c) for c in frame.columns}
    return frozenset(
        c.removesuffix("_contrib")
        for c in columns
        if c.endswith("_contrib") and f"{c.removesuffix('_contrib')}_raw" in columns
    )


def describe_fields(
    layers: Mapping[str, pd.DataFrame],
    *,
    sector_labels: Mapping[str, str] | None = None,
    language: str = "nl",
) -> pd.DataFrame:
    """Description and unit of every attribute of every layer.

    Parameters
    ----------
    layers : mapping of str to DataFrame
        Layer name to frame; the geometry column is left out.
    sector_labels : mapping of str to str, optional
        Sector group key to label, so that ``n_<key>``, ``jobs_<key>`` and ``lq_<key>`` are
        described; without it only ``overig`` is known.
    language : str
        ``"nl"`` or ``"en"``.

    Returns
    -------
    DataFrame
        Columns ``layer``, ``field``, ``description``, ``unit``: one row per attribute, in
        layer and column order. Fields the catalogue does not know get "(geen beschrijving)".

    Examples
    --------
    >>> import pandas as pd
    >>> describe_fields({"buurten": pd.DataFrame(columns=["jobs_zzp_per_km2"])}).iloc[0, 2]
    'Werkzame personen in zzp-vestigingen per km² land'
    """
    unknown = text("qgis.field_unknown", language)
    rows = []
    for layer, frame in layers.items():
        geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
        criteria = _criteria_of(frame)
        for column in frame.columns:
            if column == geometry:
                continue
            description, unit = describe_field(
                str(column), language=language, sectors=sector_labels, criteria=criteria
            )
            rows.append((layer, str(column), description or unknown, unit))
    return pd.DataFrame(rows, columns=["layer", "field", "description", "unit"])
