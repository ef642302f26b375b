"""Area type per buurt (wonen, centrum, bedrijventerrein, buitengebied) from CBS attributes and
the ordered rules of ``[typology]`` in the settings."""

from __future__ import annotations

__all__ = ["area_typology"]

import numpy as np
import pandas as pd

from ..settings import TypologySettings
from .indicators import safe_rate


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
    n = len(areas)
    result = np.full(n, rules.default, dtype=object)
    decided = np.zeros(n, dtype=bool)
    code = areas["buurt_code"].astype("string").fillna("")
    name = areas["buurt_name"].astype("string").fillna("").str.lower()
    land = pd.to_numeric(areas["area_land_ha"], errors="coerce").to_numpy(dtype=float)
    homes_per_ha = safe_rate(pd.to_numeric(areas["homes"], errors="coerce"), land)
    for rule in rules.rules:
        ok = np.ones(n, dtype=bool)
        if rule.code_suffix_in:
            ok &= code.str[-2:].isin(list(rule.code_suffix_in)).to_numpy(dtype=bool)
        if rule.name_contains:
            pattern = "|".join(s.lower() for s in rule.name_contains)
            ok &= name.str.contains(pattern, regex=True).to_numpy(dtype=bool)
        if rule.max_homes_per_ha is not None:
            # Missing homes cannot prove "almost no homes": the condition fails.
            ok &= np.nan_to_num(homes_per_ha, nan=np.inf) <= rule.max_homes_per_ha
        if rule.min_area_ha is not None:
            ok &= np.nan_to_num(land, nan=-np.inf) >= rule.min_area_ha
        if rule.max_area_ha is not None:
            ok &= np.nan_to_num(land, nan=np.inf) <= rule.max_area_ha
        take = ok & ~decided
        result[take] = rule.type
        decided |= take
    return pd.Series(result, index=areas.index, name="area_type", dtype="string")
