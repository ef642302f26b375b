"""``shapefiles/README.md``: the demo data's sources, assumptions and calibration, written from
the template ``almere_gis/datasets/data/demo_readme_template.md`` with figures measured on the
files just generated (never typed in by hand)."""

from __future__ import annotations

__all__ = ["render_readme"]

import string
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...analysis.join import assign_areas
from ...texts.format import number, percent
from . import calibration as cal
from .buurten import CBS_MISSING
from .cbs import CBS_SBI_GROUPS, cbs_group_of_division

TEMPLATE = "demo_readme_template.md"
_TYPES = ("wonen", "bedrijventerrein", "centrum", "buitengebied")
# Divisions that make a shop's second activity "mixed": making, horeca, courses, services.
_MIXED_DIVISIONS = (*range(10, 34), 55, 56, 85, 95, 96)


def _n(value: float) -> str:
    return number(value, 0, "en")


def _pct(share: float, decimals: int = 0) -> str:
    return percent(share, decimals, "en")


def _by_type(values: dict[str, str]) -> str:
    return " / ".join(values[t] for t in _TYPES)


def _group_rows(group: np.ndarray, oq: np.ndarray, city: pd.Series) -> str:
    """Register against CBS per group, shares among the groups CBS counts that year."""
    keys = [g.key for g in CBS_SBI_GROUPS if g.key != "O-Q"]
    ours = pd.Series(group[~oq]).value_counts().reindex(keys, fill_value=0)
    theirs = city[keys].astype("float64")
    rows = []
    for g in CBS_SBI_GROUPS:
        if g.key == "O-Q":
            n = int((group == "O-Q").sum())
            rows.append(f"| O-Q {g.label_en} | {_n(n)} | | not counted | | |")
            continue
        a, b = ours[g.key] / ours.sum(), theirs[g.key] / theirs.sum()
        rows.append(
            f"| {g.key} {g.label_en} | {_n(ours[g.key])} | {_pct(a, 1)} | {_n(theirs[g.key])} "
            f"| {_pct(b, 1)} | {number(round(100 * (a - b), 1) + 0.0, 1, 'en')} points |"
        )
    return "\n".join(rows)


def _fit(ours: np.ndarray, theirs: np.ndarray) -> str:
    """How closely per-buurt counts follow CBS's."""
    big = theirs >= 20
    worst = np.max(np.abs(ours[big] / theirs[big] - 1.0)) if big.any() else 0.0
    r = np.corrcoef(ours, theirs)[0, 1]
    return (
        f"equal to CBS's count in {int((ours == theirs).sum())} of {len(ours)} buurten, largest "
        f"difference {_pct(worst, 1)} among the {int(big.sum())} buurten with at least 20, "
        f"Pearson r = {number(r, 3, 'en')}"
    )


def _addresses(register: pd.DataFrame) -> dict[str, str]:
    """Multi-tenant buildings, shared homes and households, as found in the register."""
    home = register["aan_huis"].to_numpy() == 1
    per_vbo = register.groupby("bag_vbo_id")["aan_huis"].agg(["size", "max"])
    buildings = per_vbo[(per_vbo["size"] >= 5) & (per_vbo["max"] == 0)]["size"]
    household = per_vbo[(per_vbo["size"] >= 5) & (per_vbo["max"] == 1)]["size"]
    size = register["bag_vbo_id"].map(per_vbo["size"]).to_numpy()
    shared = home & (size >= 2) & (size < 5)
    return {
        "n_buildings": _n(len(buildings)),
        "tenants_range": f"{buildings.min()}-{buildings.max()}",
        "n_tenants": _n(buildings.sum()),
        "shared_homes": _pct(shared.sum() / home.sum(), 1),
        "n_household": _n(len(household)),
        "household_range": f"{household.min()}-{household.max()}",
    }


def _activities(register: pd.DataFrame) -> dict[str, str]:
    shop = register["sbi"].str.startswith("47").to_numpy()
    neven = register["sbi_neven"].fillna("").to_numpy(dtype=str)
    has = neven != ""
    divisions = pd.to_numeric(pd.Series(neven).str.split(";").explode().str[:2], errors="coerce")
    mixed = divisions.isin(_MIXED_DIVISIONS).groupby(level=0).any().to_numpy()
    return {
        "shop_secondary": _pct(has[shop].mean()),
        "shop_mixed": _pct(mixed[shop].mean()),
        "other_secondary": _pct(has[~shop].mean()),
        "n_social": _n(register["sociale_onderneming"].sum()),
    }


def _calibration(
    register: pd.DataFrame, areas: gpd.GeoDataFrame, counts: pd.DataFrame
) -> dict[str, str]:
    """The register's fit to CBS per group and per buurt, and its figures per area type."""
    x, y = register["x"].to_numpy(dtype=float), register["y"].to_numpy(dtype=float)
    buurt = assign_areas(x, y, areas.geometry.to_numpy())
    division = register["sbi"].str[:2].astype(int).to_numpy()
    group = cbs_group_of_division(division)
    oq = group == "O-Q"
    level = counts[counts["level"] == "buurt"].set_index(["peildatum", "code"])
    year = pd.Timestamp(cal.PEILDATUM)
    cbs = level.loc[year, "total"].astype("float64")
    codes = areas["buurt_code"]
    cbs_oq = level.loc[pd.Timestamp(f"{cal.OQ_COUNTS_YEAR}-01-01"), "O-Q"]
    ours = np.bincount(buurt[~oq], minlength=len(areas))
    ours_oq = np.bincount(buurt[oq], minlength=len(areas))
    city = counts[(counts["level"] == "gemeente") & (counts["peildatum"] == year)].iloc[0]
    kind = areas["area_type"].to_numpy()[buurt]
    jobs = (register["wp_voltijd"] + register["wp_deeltijd"]).to_numpy()
    home = register["aan_huis"].to_numpy() == 1
    residential = kind == "wonen"
    home_group = pd.Series(home[residential]).groupby(group[residential]).mean()
    return {
        "group_rows": _group_rows(group, oq, city),
        "buurt_fit": _fit(ours, cbs.reindex(codes).fillna(0).to_numpy()),
        "oq_fit": _fit(ours_oq, cbs_oq.reindex(codes).fillna(0).to_numpy(dtype="float64")),
        "no_polygon": _n(cbs.drop(codes, errors="ignore").sum()),
        "total_jobs": _n(jobs.sum()),
        "residential_jobs": _n(jobs[residential].sum()),
        "residential_share": _pct(jobs[residential].sum() / jobs.sum()),
        "other_jobs": " / ".join(_n(jobs[kind == t].sum()) for t in _TYPES[1:]),
        "establishments_by_type": _by_type({t: _n((kind == t).sum()) for t in _TYPES}),
        "home_by_type": _by_type({t: _pct(home[kind == t].mean()) for t in _TYPES}),
        "home_by_group": ", ".join(f"{k} {_pct(v)}" for k, v in home_group.items()),
    }


def _slivers(buurten: gpd.GeoDataFrame) -> dict[str, str]:
    """Area of the gaps inside the union of the buurten and of their pairwise overlaps."""
    geoms = buurten.geometry.to_numpy()
    union = shapely.union_all(geoms)
    gaps = sum(shapely.Polygon(ring).area for part in shapely.get_parts(union)
               for ring in part.interiors)  # fmt: skip
    left, right = shapely.STRtree(geoms).query(geoms, predicate="overlaps")
    pairs = left < right
    overlaps = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]])).sum()
    return {"gaps_ha": number(gaps / 1e4, 2, "en"), "overlaps_ha": number(overlaps / 1e4, 2, "en")}


def render_readme(
    register: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    buurten: gpd.GeoDataFrame,
    counts: pd.DataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    seed: int,
    n_wijken: int,
    dbf_date: str,
) -> str:
    """The README text for the generated demo files.

    Parameters
    ----------
    register, candidates
        The generated register and candidate sites.
    areas
        The demo buurten in the internal schema with ``area_type`` (:func:`.buurten.demo_areas`).
    buurten
        The demo buurten as written (old CBS schema).
    counts
        The CBS counts the register is calibrated on.
    seed, n_wijken, dbf_date
        Figures of the files written.
    """
    water = 1.0 - areas["area_land_ha"] / areas["area_total_ha"]
    values = {
        "seed": str(seed),
        "n_buurten": _n(len(buurten)),
        "inhabitants": _n(buurten["AANT_INW"].clip(lower=0).sum()),
        "buurt_columns": ", ".join(c for c in buurten.columns if c != "geometry"),
        "sentinel": str(CBS_MISSING),
        "n_wijken": _n(n_wijken),
        "n_establishments": _n(len(register)),
        "n_jobs": _n((register["wp_voltijd"] + register["wp_deeltijd"]).sum()),
        "n_candidates": _n(len(candidates)),
        "counts_year": str(cal.COUNTS_YEAR),
        "oq_year": str(cal.OQ_COUNTS_YEAR),
        "single_by_type": _by_type({t: _pct(cal.SINGLE_SHARE[t]) for t in _TYPES}),
        "sigma_by_type": _by_type({t: f"{cal.SIZE_SIGMA[t]:g}" for t in _TYPES}),
        "cap_by_type": _by_type({t: _n(cal.SIZE_CAP[t]) for t in _TYPES}),
        "buildings_by_type": " / ".join(_n(v) for v in cal.BUILDINGS.values()),
        "last_start_year": str(cal.LAST_START_YEAR),
        "first_year": str(cal.FIRST_YEAR),
        "inset_m": f"{cal.INSET_M:g}",
        "water_min_share": _pct(cal.WATER_MIN_SHARE),
        "n_water_buurten": _n((water >= cal.WATER_MIN_SHARE).sum()),
        "no_floor_area": _n(candidates["vloer_m2"].isna().sum()),
        "first_vacancy": str(int(candidates["leeg_sinds"].min())),
        "dbf_date": dbf_date,
        **_slivers(buurten),
        **_calibration(register, areas, counts),
        **_addresses(register),
        **_activities(register),
    }
    template = resources.files("almere_gis.datasets").joinpath(f"data/{TEMPLATE}")
    return string.Template(template.read_text("utf-8")).substitute(values)
