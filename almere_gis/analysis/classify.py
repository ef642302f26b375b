"""Classify businesses: sector group, small-scale, zzp, home-based.

The rules are a data table in the settings (``[classification]``), so a municipality can change
the small-scale threshold or the sector groups without touching code.
"""

from __future__ import annotations

__all__ = ["OTHER_SECTOR", "classify_businesses", "sector_labels"]

import geopandas as gpd
import numpy as np
import pandas as pd

from ..settings import ClassificationSettings

OTHER_SECTOR = "overig"


def _division_lookup(settings: ClassificationSettings) -> np.ndarray:
    """Array of 100 sector keys indexed by the two-digit SBI division; first group wins."""
    lookup = np.full(100, OTHER_SECTOR, dtype=object)
    taken = np.zeros(100, dtype=bool)
    for group in settings.sector_groups:
        divisions = np.fromiter(group.division_set(), dtype=int)
        divisions = divisions[(divisions >= 0) & (divisions < 100)]
        free = divisions[~taken[divisions]]
        lookup[free] = group.key
        taken[free] = True
    return lookup


def sector_labels(settings: ClassificationSettings, language: str = "nl") -> dict[str, str]:
    """Display label per sector key, including the catch-all group."""
    labels = {
        g.key: (g.label_nl if language == "nl" else g.label_en) for g in settings.sector_groups
    }
    labels[OTHER_SECTOR] = "Overig" if language == "nl" else "Other"
    return labels


def classify_businesses(
    businesses: gpd.GeoDataFrame, *, settings: ClassificationSettings
) -> gpd.GeoDataFrame:
    """Add ``sbi_division``, ``sector_group``, ``small_scale`` and ``zzp`` columns.

    ``home_based`` is already set by the loader (explicit flag or BAG gebruiksdoel).

    Parameters
    ----------
    businesses
        Businesses in the internal schema (see ``almere_gis._schema``).
    settings
        The ``[classification]`` settings.

    Returns
    -------
    GeoDataFrame
        A copy with the four columns added, same index.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from almere_gis.settings import load_settings
    >>> b = gpd.GeoDataFrame({"sbi": ["6201", "4711"], "jobs": [1, 40],
    ...     "home_based": [True, False]}, geometry=shapely.points([0, 1], [0, 1]))
    >>> out = classify_businesses(b, settings=load_settings().classification)
    >>> out[["sector_group", "small_scale", "zzp"]].values.tolist()
    [['ict_creatief', True, True], ['detailhandel', False, False]]
    """
    out = businesses.copy()
    division = pd.to_numeric(out["sbi"].astype("string").str[:2], errors="coerce")
    out["sbi_division"] = division.astype("Int64")
    valid = division.notna().to_numpy()
    keys = np.full(len(out), OTHER_SECTOR, dtype=object)
    keys[valid] = _division_lookup(settings)[division.to_numpy()[valid].astype(int)]
    out["sector_group"] = pd.array(keys, dtype="string")
    jobs = out["jobs"].to_numpy()
    out["small_scale"] = jobs <= settings.small_scale_max_jobs
    out["zzp"] = jobs == settings.zzp_jobs
    return out
