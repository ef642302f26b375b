"""Search zones: hot spots of small-scale work with no candidate site nearby."""

from __future__ import annotations

__all__ = ["search_zones"]

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from ..._errors import InputError
from ...io.crs import require_rd
from ..buildings import buildings_within
from .criteria import nearest_distance
from .explain import full_settings


def search_zones(
    hexagons: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    distance_m: float,
    class_columns: Sequence[str] | None = None,
    ignore_excluded: bool = True,
    mask_suppressed: bool = False,
    buildings: gpd.GeoDataFrame | None = None,
    building_reach_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Hot spot hexagons with no candidate site within ``distance_m``: where to go looking.

    Parameters
    ----------
    hexagons
        Hexagons (``hex_id``, counts, ``suppressed``, geometry) with Gi* classes of small-scale
        or home-based work, EPSG:28992.
    candidates
        Candidate sites (loaded or scored), EPSG:28992.
    distance_m
        A hexagon with a candidate nearer than this (hexagon outline to site) is covered.
    class_columns
        Columns holding Gi* classes; a hexagon is a hot spot when any of them is ``hot_*``.
        Default: every column whose name starts with ``gi_class``.
    ignore_excluded
        Leave out candidates with ``excluded == True`` (too small to be premises).
    mask_suppressed
        Blank the ``count_*``/``jobs_*``/``n_*`` columns of suppressed hexagons (for sharing);
        the ``suppressed`` flag is always kept.
    buildings
        Existing bedrijfsverzamelgebouwen (:func:`almere_gis.analysis.buildings.find_buildings`),
        or None when they are not known.
    building_reach_m
        A zone has a building within reach when one lies nearer than this to its outline;
        default ``[themes] building_reach_m``.

    Returns
    -------
    GeoDataFrame
        The qualifying hexagons (original index, all their columns) plus ``nearest_site_id``
        and ``nearest_candidate_m`` (NaN when there are no candidates), and
        ``no_building_within``: True where the small-scale demand of the zone has no existing
        building within reach (<NA> for every zone when no buildings are given).
    """
    require_rd(hexagons, "hexagons")
    require_rd(candidates, "candidates")
    if class_columns is None:
        class_columns = [c for c in hexagons.columns if str(c).startswith("gi_class")]
    if not class_columns:
        raise InputError(
            "hexagons",
            "no Gi* class column (gi_class)",
            "add the Gi* classes (almere_gis getis_ord) to the hexagons first",
        )
    hot = np.zeros(len(hexagons), dtype=bool)
    for col in class_columns:
        hot |= (
            hexagons[col].astype("string").str.startswith("hot_").fillna(False).to_numpy(dtype=bool)
        )
    sites = candidates
    if ignore_excluded and "excluded" in sites.columns:
        sites = sites.loc[~sites["excluded"].astype(bool).to_numpy()]
    dist, which = nearest_distance(hexagons.geometry.to_numpy(), sites.geometry.to_numpy())
    covered = np.isfinite(dist) & (dist < distance_m)
    keep = hot & ~covered
    out = hexagons.loc[keep].copy()
    ids = (
        sites["site_id"].astype("string").to_numpy(dtype=object, na_value=None)
        if "site_id" in sites.columns
        else np.asarray(sites.index, dtype=object)
    )
    nearest = np.where(
        which[keep] >= 0, ids[np.clip(which[keep], 0, None)] if len(ids) else None, None
    )
    out["nearest_site_id"] = pd.array(nearest, dtype="string")
    out["nearest_candidate_m"] = dist[keep]
    out["no_building_within"] = _no_building_within(out, buildings, building_reach_m)
    if mask_suppressed and "suppressed" in out.columns:
        sup = out["suppressed"].astype(bool).to_numpy()
        for col in out.columns:
            if str(col).startswith(("count_", "jobs_", "n_")):
                out[col] = out[col].astype("Float64").mask(sup)
    return out


def _no_building_within(
    zones: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame | None, reach_m: float | None
) -> pd.arrays.BooleanArray:
    """True where no building lies within reach of a zone; <NA> without buildings."""
    if buildings is None:
        return pd.array([pd.NA] * len(zones), dtype="boolean")
    reach = full_settings(None).themes.building_reach_m if reach_m is None else reach_m
    within = buildings_within(zones, buildings, reach)
    return pd.array(within["no_building_within"].to_numpy(dtype=bool), dtype="boolean")
