"""Area type per buurt (wonen, centrum, bedrijventerrein, buitengebied) from CBS attributes and
the ordered rules of ``[typology]`` in the settings.

The shipped rules follow national CBS conventions, so that they hold in any Dutch gemeente:
CBS's water flag, the names CBS gives ("Verspreide huizen ...", "Bedrijventerrein ...",
"Industrieterrein ..."), homes per hectare of land, and CBS's address density
(omgevingsadressendichtheid: below 500 addresses per km2 is "niet stedelijk") or, where a
file has only that, its urbanity class (stedelijkheid, STED: 5 = niet stedelijk). A
municipality's own code numbering (Almere's business parks 71-79) is a rule limited to that
gemeente (``gemeente_in``). A condition on a figure the file lacks does not hold, and the
report says so (``missing_data``).
"""

from __future__ import annotations

__all__ = ["area_typology", "typology_report", "typology_warning"]

import numpy as np
import pandas as pd

from ..settings import TypologyRule, TypologySettings
from ..texts import text
from ..texts.format import number
from .indicators import safe_rate

# Optional columns (added by the loader where the file has them) and the condition using each.
_NEEDS = {
    "water": "water",
    "max_homes_per_ha": "homes",
    "min_address_density": "address_density",
    "max_address_density": "address_density",
    "min_urbanity_class": "urbanity",
    "min_area_ha": "area_land_ha",
    "max_area_ha": "area_land_ha",
}


def _column(areas: pd.DataFrame, name: str) -> np.ndarray:
    if name not in areas:
        return np.full(len(areas), np.nan)
    values: np.ndarray = pd.to_numeric(areas[name], errors="coerce").to_numpy(dtype=float)
    return values


def _conditions(areas: pd.DataFrame, rule: TypologyRule) -> np.ndarray:
    """Where every condition of ``rule`` holds (a missing figure fails its condition)."""
    n = len(areas)
    ok = np.ones(n, dtype=bool)
    code = areas["buurt_code"].astype("string").fillna("")
    if rule.gemeente_in:
        gemeente = (
            areas["gemeente_code"].astype("string")
            if "gemeente_code" in areas
            else "GM" + code.str[2:6]
        )
        wanted = [g.strip().upper() for g in rule.gemeente_in]
        ok &= gemeente.fillna("").str.upper().isin(wanted).to_numpy(dtype=bool)
    if rule.water is not None:
        water = areas["water"] if "water" in areas else pd.Series(pd.NA, index=areas.index)
        flag = water.astype("boolean")
        ok &= (flag == rule.water).fillna(False).to_numpy(dtype=bool)
    if rule.code_suffix_in:
        ok &= code.str[-2:].isin(list(rule.code_suffix_in)).to_numpy(dtype=bool)
    if rule.name_contains:
        name = areas["buurt_name"].astype("string").fillna("").str.lower()
        pattern = "|".join(s.lower() for s in rule.name_contains)
        ok &= name.str.contains(pattern, regex=True).to_numpy(dtype=bool)
    land = _column(areas, "area_land_ha")
    if rule.max_homes_per_ha is not None:
        # Missing homes cannot prove "almost no homes": the condition fails.
        homes_per_ha = safe_rate(_column(areas, "homes"), land)
        ok &= np.nan_to_num(homes_per_ha, nan=np.inf) <= rule.max_homes_per_ha
    density = _column(areas, "address_density")
    if rule.min_address_density is not None:
        ok &= np.nan_to_num(density, nan=-np.inf) >= rule.min_address_density
    if rule.max_address_density is not None:
        ok &= np.nan_to_num(density, nan=np.inf) <= rule.max_address_density
    if rule.min_urbanity_class is not None:
        urbanity = _column(areas, "urbanity")
        ok &= np.nan_to_num(urbanity, nan=-np.inf) >= rule.min_urbanity_class
    if rule.min_area_ha is not None:
        ok &= np.nan_to_num(land, nan=-np.inf) >= rule.min_area_ha
    if rule.max_area_ha is not None:
        ok &= np.nan_to_num(land, nan=np.inf) <= rule.max_area_ha
    return ok


def _which_rule(areas: pd.DataFrame, rules: TypologySettings) -> np.ndarray:
    """The index of the rule that typed each buurt (-1: the default)."""
    which = np.full(len(areas), -1, dtype=np.int64)
    for i, rule in enumerate(rules.rules):
        take = _conditions(areas, rule) & (which < 0)
        which[take] = i
    return which


def area_typology(areas: pd.DataFrame, rules: TypologySettings) -> pd.Series:
    """Area type per buurt from CBS attributes and the ordered rules in the settings.

    The first rule whose conditions all hold wins; no match gives ``rules.default``.

    Examples
    --------
    >>> import pandas as pd
    >>> from almere_gis.settings import load_settings
    >>> df = pd.DataFrame({"buurt_code": ["BU00340201", "BU00340271", "BU00340202"],
    ...     "buurt_name": ["Centrum Almere-Stad", "Randstad", "Filmwijk"],
    ...     "homes": [2180, 5, 4175], "area_land_ha": [81, 26, 206]})
    >>> area_typology(df, load_settings().typology).tolist()
    ['centrum', 'bedrijventerrein', 'wonen']
    """
    types = np.array([r.type for r in rules.rules] + [rules.default], dtype=object)
    result = types[_which_rule(areas, rules)]  # -1 picks the default, the last entry
    return pd.Series(result, index=areas.index, name="area_type", dtype="string")


def _span(suffixes: tuple[str, ...]) -> str:
    """``71/72/.../79`` as ``71-79`` when the suffixes are consecutive numbers."""
    if len(suffixes) > 2 and all(s.isdigit() for s in suffixes):
        numbers = sorted(int(s) for s in suffixes)
        if numbers == list(range(numbers[0], numbers[-1] + 1)):
            return f"{numbers[0]:02d}-{numbers[-1]:02d}"
    return "/".join(suffixes)


def _describe(rule: TypologyRule, language: str) -> str:
    """A rule's conditions in a few words (``naam bevat 'centrum'``)."""
    parts = []
    if rule.gemeente_in:
        parts.append(", ".join(rule.gemeente_in))
    if rule.water is not None:
        parts.append(text("inputs.typology.water" if rule.water else "inputs.typology.land",
                          language))  # fmt: skip
    if rule.code_suffix_in:
        parts.append(text("inputs.typology.suffix", language, codes=_span(rule.code_suffix_in)))
    if rule.name_contains:
        names = " | ".join(f"'{n}'" for n in rule.name_contains)
        parts.append(text("inputs.typology.name", language, names=names))
    bounds = (
        ("max_homes_per_ha", "inputs.typology.max_homes"),
        ("min_address_density", "inputs.typology.min_density"),
        ("max_address_density", "inputs.typology.max_density"),
        ("min_urbanity_class", "inputs.typology.min_urbanity"),
        ("min_area_ha", "inputs.typology.min_area"),
        ("max_area_ha", "inputs.typology.max_area"),
    )
    for field, key in bounds:
        value = getattr(rule, field)
        if value is not None:
            parts.append(text(key, language, value=number(value, 1 if value % 1 else 0, language)))
    return "; ".join(parts)


def typology_report(
    areas: pd.DataFrame, rules: TypologySettings, language: str = "nl"
) -> pd.DataFrame:
    """How many buurten each rule typed, and the data a rule lacked.

    Returns
    -------
    DataFrame
        One row per rule in order, then the default: ``rule`` (the conditions in words),
        ``type``, ``n_areas``, ``missing_data`` (the figures the rule needs that no buurt
        has, in words; ``""`` when none is missing) and ``missing_columns`` (their names).
    """
    which = _which_rule(areas, rules)
    rows = []
    for i, rule in enumerate(rules.rules):
        needed = sorted({col for field, col in _NEEDS.items() if getattr(rule, field) is not None})
        absent = [c for c in needed if c not in areas or areas[c].isna().all()]
        missing = text("inputs.typology.missing", language, columns=", ".join(absent))
        rows.append(
            {
                "rule": f"{i + 1}. {_describe(rule, language)}",
                "type": rule.type,
                "n_areas": int((which == i).sum()),
                "missing_data": missing if absent else "",
                "missing_columns": ", ".join(absent),
            }
        )
    rows.append(
        {
            "rule": text("inputs.typology.default", language),
            "type": rules.default,
            "n_areas": int((which < 0).sum()),
            "missing_data": "",
            "missing_columns": "",
        }
    )
    return pd.DataFrame(rows).astype({"n_areas": "int64"})


def typology_warning(report: pd.DataFrame, language: str = "nl") -> str | None:
    """A warning when one type holds every buurt (more than one), else None."""
    by_type = report.groupby("type", sort=False)["n_areas"].sum()
    by_type = by_type[by_type > 0]
    total = int(by_type.sum())
    if len(by_type) != 1 or total < 2:
        return None
    kind = str(by_type.index[0])
    try:
        label = text(f"summary.area_type.{kind}", language)
    except KeyError:
        label = kind
    return text("run.note.one_type", language, n=total, type=label)
