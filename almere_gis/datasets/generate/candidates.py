"""Synthetic candidate broedplaats sites for the demo: vacant offices, shop units, former schools,
business buildings and municipal property, placed where such buildings stand in Almere: in the
centres, at the edges of business parks and in the neighbourhood centres. All invented."""

from __future__ import annotations

__all__ = ["EDGE_M", "N_CANDIDATES", "generate_candidates"]

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..._schema import CRS_RD
from ...settings import TypologySettings, load_settings
from .buurten import buurt_points, demo_areas, land_parts
from .calibration import DEFAULT_SEED, LAST_START_YEAR
from .sampling import sample_cluster, sample_uniform

N_CANDIDATES = {
    "kantoor_leeg": 35,
    "winkelruimte": 30,
    "voormalige_school": 25,
    "bedrijfsverzamelgebouw": 30,
    "gemeentelijk_vastgoed": 30,
}
# Sites without a floor area, so that the site scoring's missing-value rule is exercised.
N_CANDIDATES_NO_FLOOR_AREA = 5
# Share of each type in centres / at business-park edges / in neighbourhood centres.
_PLACES = {
    "kantoor_leeg": (0.5, 0.5, 0.0),
    "winkelruimte": (0.4, 0.0, 0.6),
    "voormalige_school": (0.0, 0.0, 1.0),
    "bedrijfsverzamelgebouw": (0.0, 1.0, 0.0),
    "gemeentelijk_vastgoed": (0.4, 0.0, 0.6),
}
_FLOOR_AREA = {  # median m2, lognormal sigma
    "kantoor_leeg": (1500.0, 0.8),
    "winkelruimte": (250.0, 0.7),
    "voormalige_school": (1800.0, 0.4),
    "bedrijfsverzamelgebouw": (2500.0, 0.6),
    "gemeentelijk_vastgoed": (600.0, 0.8),
}
_OWNERSHIP = ("gemeente", "corporatie", "particulier", "belegger")
_OWNERSHIP_P = {
    "kantoor_leeg": (0.05, 0.0, 0.35, 0.60),
    "winkelruimte": (0.0, 0.10, 0.45, 0.45),
    "voormalige_school": (0.70, 0.20, 0.10, 0.0),
    "bedrijfsverzamelgebouw": (0.20, 0.0, 0.50, 0.30),
    "gemeentelijk_vastgoed": (1.0, 0.0, 0.0, 0.0),
}
_LABEL = {
    "kantoor_leeg": "Leeg kantoor",
    "winkelruimte": "Winkelruimte",
    "voormalige_school": "Voormalige school",
    "bedrijfsverzamelgebouw": "Bedrijfsverzamelgebouw",
    "gemeentelijk_vastgoed": "Gemeentelijk pand",
}
EDGE_M = 150.0  # "edge of a business park": within this distance of its boundary
NEIGHBOURHOOD_SD_M = 150.0


def _points(areas: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Type, buurt and location of every site (one pass per type, place and buurt)."""
    parts = land_parts(areas)
    centre = buurt_points(parts)
    kinds = areas["area_type"].to_numpy()
    homes = areas["homes"].fillna(0).to_numpy(dtype="float64")
    land = areas["area_land_ha"].fillna(0).to_numpy(dtype="float64")
    pools = [
        (np.flatnonzero(kinds == "centrum"), land),
        (np.flatnonzero(kinds == "bedrijventerrein"), land),
        (np.flatnonzero(kinds == "wonen"), homes),
    ]
    rows = []
    for site_type, count in N_CANDIDATES.items():
        place = rng.choice(3, size=count, p=_PLACES[site_type])
        for p, (idx, basis) in enumerate(pools):
            k = int((place == p).sum())
            chosen = rng.choice(idx, size=k, p=basis[idx] / basis[idx].sum())
            for b in np.unique(chosen):
                m = int((chosen == b).sum())
                poly = parts[b]
                if p == 0:
                    pts = sample_cluster(poly, centre[b], 0.3 * np.sqrt(poly.area), m, rng)
                elif p == 1:
                    edge = shapely.difference(poly, shapely.buffer(poly, -EDGE_M))
                    pts = sample_uniform(edge, m, rng)
                else:
                    pts = sample_cluster(poly, centre[b], NEIGHBOURHOOD_SD_M, m, rng)
                rows.append(pd.DataFrame({"type": site_type, "buurt": b, "x": pts[:, 0],
                                          "y": pts[:, 1]}))  # fmt: skip
    sites = pd.concat(rows, ignore_index=True)
    return sites.sort_values(["type", "buurt", "x", "y"], kind="stable").reset_index(drop=True)


def _properties(site_type: np.ndarray, rng: np.random.Generator) -> dict[str, object]:
    """Floor area, vacancy (share and year since) and owner per site."""
    n = len(site_type)
    median = np.array([_FLOOR_AREA[t][0] for t in site_type])
    sigma = np.array([_FLOOR_AREA[t][1] for t in site_type])
    floor = np.round(median * np.exp(rng.normal(0.0, 1.0, n) * sigma) / 10.0) * 10.0
    floor = pd.array(np.maximum(floor, 40).astype("int64"), dtype="Int64")
    floor[rng.choice(n, size=N_CANDIDATES_NO_FLOOR_AREA, replace=False)] = pd.NA
    fully = np.isin(site_type, ["kantoor_leeg", "voormalige_school"]) & (rng.random(n) < 0.6)
    share = np.round(rng.uniform(0.05, 0.95, n) / 0.05) * 0.05
    in_use = (site_type == "gemeentelijk_vastgoed") & (rng.random(n) < 0.25)
    leegstand = np.round(np.where(fully, 1.0, np.where(in_use, 0.0, share)), 2)
    since = pd.array(LAST_START_YEAR - rng.integers(0, 12, n), dtype="Int64")
    since[(leegstand == 0) | (rng.random(n) < 0.15)] = pd.NA
    owner = [rng.choice(len(_OWNERSHIP), p=_OWNERSHIP_P[t]) for t in site_type]  # 150 sites
    return {
        "vloer_m2": floor,
        "leeg_sinds": since,
        "leegstand": leegstand,
        "eigendom": np.array(_OWNERSHIP, dtype=object)[owner],
    }


def generate_candidates(
    *, seed: int = DEFAULT_SEED, typology: TypologySettings | None = None
) -> gpd.GeoDataFrame:
    """Synthetic candidate broedplaats sites (points) on the shipped CBS buurten of Almere.

    Placed in centres (around the centre's point), at the edges of business parks (within
    ``EDGE_M`` of the park's land boundary) and in neighbourhood centres of residential buurten
    (around the buurt point, sd ``NEIGHBOURHOOD_SD_M``), always in the buurt's land part.

    Returns
    -------
    GeoDataFrame
        site_id, naam, type, vloer_m2 (Int64, a few <NA>), leeg_sinds (Int64 year or <NA>),
        leegstand (float 0-1), eigendom, geometry (Point, EPSG:28992, 1 m grid).
    """
    typology = typology or load_settings().typology
    rng = np.random.default_rng(seed + 1)
    areas = demo_areas(typology)
    sites = _points(areas, rng)
    site_type = sites["type"].to_numpy()
    properties = _properties(site_type, rng)
    label = pd.Series([_LABEL[t] for t in site_type])
    number = sites.groupby(["type", "buurt"]).cumcount() + 1
    names = areas["buurt_name"].to_numpy(dtype=object)[sites["buurt"].to_numpy()]
    naam = label.str.cat(pd.Series(names), sep=" ").str.cat(number.astype(str), sep=" ")
    return gpd.GeoDataFrame(
        {
            "site_id": [f"K{i:03d}" for i in range(1, len(sites) + 1)],
            "naam": naam.to_numpy(),
            "type": site_type,
            **properties,
        },
        geometry=shapely.points(sites["x"].to_numpy(), sites["y"].to_numpy()),
        crs=CRS_RD,
    )
