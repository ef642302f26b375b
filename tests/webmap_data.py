"""Hand-made inputs for the map tests (not a test module).

A 3 x 3 grid of 1 km buurten near Almere in RD New, business points counted into them, a small
density surface, hexagons with Gi* classes, scored candidate sites and one search zone. Data
strings carry hostile markup, so every test also checks escaping.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from rasterio.transform import from_origin

from almere_gis.analysis.density import DensityGrid, DensitySurface
from almere_gis.analysis.privacy import public_areas
from almere_gis.outputs.webmap import MapData
from almere_gis.settings import load_settings

EVIL = "<script>alert(1)</script>"
EVIL_IMG = '<img src=x onerror="alert(2)">'
EVIL_TEMPLATE = "`${alert(3)}`"
CRITERIA = [
    "demand_walk", "demand_cycle", "cluster", "accessibility", "fit", "mix", "social", "building"
]  # fmt: skip
X0, Y0 = 141_000.0, 485_000.0  # south-west corner of the test grid (Almere Stad), RD New


def build_inputs(*, seed: int = 7) -> dict:
    """Hand-made map inputs as plain frames, plus the business points they were built from."""
    rng = np.random.default_rng(seed)
    # 9 buurten of 1 km x 1 km; 3 wijken = the 3 columns.
    cells = [(i, j) for j in range(3) for i in range(3)]
    polys = [
        shapely.box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000)
        for i, j in cells
    ]
    # Business points: many in the centre buurt, few in the corner (0, 2) so it is suppressed.
    per_cell = [40, 25, 30, 20, 120, 35, 3, 15, 22]
    xs, ys, cell_of = [], [], []
    for k, ((i, j), n) in enumerate(zip(cells, per_cell, strict=True)):
        xs.append(X0 + i * 1000 + rng.uniform(37.3, 962.7, n))
        ys.append(Y0 + j * 1000 + rng.uniform(41.1, 958.9, n))
        cell_of.append(np.full(n, k))
    x, y, cell = np.concatenate(xs), np.concatenate(ys), np.concatenate(cell_of)
    home = rng.random(x.size) < 0.35
    small = home | (rng.random(x.size) < 0.5)
    zzp = home & (rng.random(x.size) < 0.6)
    jobs = np.where(small, rng.integers(1, 9, x.size), rng.integers(10, 80, x.size))
    businesses = gpd.GeoDataFrame(
        {"home_based": home, "small_scale": small, "zzp": zzp, "jobs": jobs, "cell": cell},
        geometry=gpd.points_from_xy(x, y),
        crs="EPSG:28992",
    )

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cell[mask], minlength=9).astype(float)

    def total(mask: np.ndarray) -> np.ndarray:
        return np.bincount(cell[mask], weights=jobs[mask], minlength=9)

    everything = np.ones(x.size, dtype=bool)
    names = [f"Buurt {k}" for k in range(9)]
    names[1] = EVIL
    wijk_names = ["Stad West", EVIL_TEMPLATE, "Stad Oost"]
    buurten = gpd.GeoDataFrame(
        {
            "buurt_code": [f"BU0034{k:04d}" for k in range(9)],
            "buurt_name": names,
            "wijk_code": [f"WK0034{i:02d}" for i, _ in cells],
            "wijk_name": [wijk_names[i] for i, _ in cells],
            "gemeente_code": "GM0034",
            "gemeente_name": "Almere",
            "inhabitants": rng.integers(500, 5000, 9).astype(float),
            "area_land_ha": 100.0,
            "area_type": ["wonen"] * 4 + ["centrum"] + ["wonen"] * 3 + ["bedrijventerrein"],
            "n_establishments": count(everything),
            "jobs": total(everything),
            "n_small_scale": count(small),
            "jobs_small_scale": total(small),
            "n_home_based": count(home),
            "n_zzp": count(zzp),
        },
        geometry=polys,
        crs="EPSG:28992",
    )
    buurten["jobs_small_scale_per_km2"] = buurten["jobs_small_scale"] / 1.0  # 1 km2 of land
    buurten["suppressed"] = buurten["n_establishments"] < 5
    wijken = buurten.dissolve(by="wijk_code", as_index=False)[
        ["wijk_code", "wijk_name", "geometry"]
    ]

    # KDE surface: quartic kernel, 400 m, 50 m cells, nodata outside a 100 m margin ring.
    cell_m, r = 50.0, 400.0
    left, top = X0 - r, Y0 + 3000 + r
    ncol = nrow = int((3000 + 2 * r) / cell_m)
    cx = left + (np.arange(ncol) + 0.5) * cell_m
    cy = top - (np.arange(nrow) + 0.5) * cell_m
    gx, gy = np.meshgrid(cx, cy)
    dens = np.zeros_like(gx)
    for px, py in zip(x, y, strict=True):
        u2 = ((gx - px) ** 2 + (gy - py) ** 2) / r**2
        dens += np.where(u2 < 1, (1 - u2) ** 2, 0.0)
    dens *= 3 / (np.pi * r**2) * 1e6  # per km2
    shown = dens > 0
    shown[:2, :] = False  # a strip along the north edge that the privacy rule hides
    grid = DensityGrid(
        values=dens,
        transform=from_origin(left, top, cell_m, cell_m),
        units="vestigingen per km²",
        kernel="quartic",
        radius_m=r,
        cell_size_m=cell_m,
        n_points=int(x.size),
        total_weight=float(x.size),
    )
    surface = DensitySurface(subset="all", weight="count", grid=grid, shown=shown, label="alle")

    # Hexagons (flat-topped, 250 m across the flats) over the grid, with hand-set Gi* classes.
    a = 250.0 / np.sqrt(3.0)
    hexes, hx, hy = [], [], []
    for col in range(12):
        for row in range(14):
            cxh = X0 + col * 1.5 * a
            cyh = Y0 + row * 250.0 + (125.0 if col % 2 else 0.0)
            angles = np.deg2rad(np.arange(0, 360, 60))
            hexes.append(shapely.Polygon(np.c_[cxh + a * np.cos(angles), cyh + a * np.sin(angles)]))
            hx.append(cxh)
            hy.append(cyh)
    hexagons = gpd.GeoDataFrame(geometry=hexes, crs="EPSG:28992")
    hexagons["hex_id"] = np.arange(len(hexagons))
    inside = shapely.contains_xy(
        np.array(hexes)[:, None], x[None, :], y[None, :]
    )  # (n_hex, n_points)
    hexagons["count_all"] = inside.sum(axis=1)
    hexagons["count_small_scale"] = (inside & small[None, :]).sum(axis=1)
    hexagons["suppressed"] = hexagons["count_all"] < 5
    dist_centre = np.hypot(np.array(hx) - (X0 + 1500), np.array(hy) - (Y0 + 1500))
    hexagons["gi_z"] = 3.5 - dist_centre / 400.0
    hexagons["gi_class"] = np.select(
        [hexagons["gi_z"] > 2.58, hexagons["gi_z"] > 1.96, hexagons["gi_z"] < -2.58],
        ["hot_99", "hot_95", "cold_99"],
        "ns",
    )

    # 12 candidate sites: ranks 1..11 and one excluded; one with a hostile name.
    n = 12
    cand_x = X0 + 150 + rng.uniform(0, 2700, n)
    cand_y = Y0 + 150 + rng.uniform(0, 2700, n)
    norms = {f"{c}_norm": rng.uniform(0, 1, n) for c in CRITERIA}
    weights = load_settings().sites.weights
    total = sum(getattr(weights, c) for c in CRITERIA)
    shares = {c: getattr(weights, c) / total for c in CRITERIA}
    score = sum(norms[f"{c}_norm"] * shares[c] for c in CRITERIA)
    raws = {f"{c}_raw": norms[f"{c}_norm"] * 100 for c in CRITERIA}
    raws["demand_walk_raw"] = np.round(norms["demand_walk_norm"] * 60)  # a count: 0 to 60
    raws["demand_walk_raw"][int(np.argmax(score))] = 3  # the top site: a count below 5
    p_top = np.round(rng.uniform(0, 1, n), 2)
    p_top[:3] = [1.0, 0.0, 0.0]
    excluded = np.zeros(n, dtype=bool)
    excluded[5] = True
    order = np.argsort(-np.where(excluded, -np.inf, score))
    rank = np.full(n, np.nan)
    rank[order[: n - 1]] = np.arange(1, n)
    site_names = [f"Locatie {k}" for k in range(n)]
    site_names[int(order[0])] = EVIL  # the top-ranked site carries the hostile name
    site_names[int(order[1])] = EVIL_IMG
    candidates = gpd.GeoDataFrame(
        {
            "site_id": [f"S{k:02d}" for k in range(n)],
            "name": site_names,
            "site_type": ["kantoor_leeg", "voormalige_school", "winkelruimte"] * 4,
            "floor_area_m2": rng.uniform(150, 4000, n).round(),
            "excluded": excluded,
            "exclusion_reason": ["" if not e else "kleiner dan 100 m²" for e in excluded],
            "score": score,
            "rank": rank,
            "explanation": [f"Veel kleinschalige bedrijven in de buurt {EVIL}." for _ in range(n)],
            "p_top_k": p_top,
            "robust": p_top >= 0.8,
            "stability": np.select([p_top >= 0.8, p_top > 0], ["always", "sometimes"], "never"),
            **norms,
            **raws,
            **{f"weight_{c}": shares[c] for c in CRITERIA},
        },
        geometry=gpd.points_from_xy(cand_x, cand_y),
        crs="EPSG:28992",
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": [1]},
        geometry=[shapely.box(X0 + 1200, Y0 + 1200, X0 + 1800, Y0 + 1700)],
        crs="EPSG:28992",
    )
    return {
        "buurten": buurten,
        "wijken": wijken,
        "hexagons": hexagons,
        "surface": surface,
        "candidates": candidates,
        "search_zones": zones,
        "businesses": businesses,
    }


def public_source(data: dict, min_count: int = 5) -> MapData:
    """The map's source as a run would publish it: area tables through the privacy rules."""
    return MapData(
        buurten=public_areas(data["buurten"], min_count=min_count),
        wijken=public_areas(data["wijken"], min_count=min_count),
        hexagons=public_areas(data["hexagons"], min_count=min_count),
        candidates=MapData.of(data["buurten"], candidates=data["candidates"]).candidates,
        search_zones=MapData.of(data["buurten"], search_zones=data["search_zones"]).search_zones,
        density={"all_count": data["surface"]},
    )
