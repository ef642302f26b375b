"""The synthetic business register of the demo (LISA-style columns), calibrated to CBS.

Steps, each drawn in bulk from one seeded generator:

1. establishments per buurt and CBS SBI group: CBS's counts (:func:`.cbs.register_targets`);
2. home-based or not, per group and area type; an SBI code of the group for the context;
3. werkzame personen: home-based 1-4, others one person or a lognormal size fitted per area
   type to the job totals of the report (79,000, 34,000 in residential buurten);
4. secondary codes, start year, social enterprise, BAG gebruiksdoel;
5. addresses and points (:mod:`.addresses`); ids and trade names.
"""

from __future__ import annotations

__all__ = ["REGISTER_COLUMNS", "generate_businesses"]

import logging

import numpy as np
import pandas as pd

from ...settings import TypologySettings, load_settings
from . import activities
from .addresses import Placement, place_establishments
from .buurten import buurt_points, demo_areas, land_parts
from .calibration import (
    BAND_CAP,
    DEFAULT_SEED,
    HOME_FACTOR,
    HOME_SHARE,
    HOME_SIZES,
    JOBS,
    SINGLE_SHARE,
    SIZE_CAP,
    SIZE_SIGMA,
)
from .cbs import load_cbs_counts, register_targets
from .sbi import choose_codes, load_sbi_table

log = logging.getLogger("almere_gis")

REGISTER_COLUMNS = [
    "vestigingsnummer",
    "handelsnaam",
    "sbi",
    "sbi_neven",
    "wp_voltijd",
    "wp_deeltijd",
    "aan_huis",
    "gebruiksdoel",
    "startjaar",
    "sociale_onderneming",
    "bag_vbo_id",
    "x",
    "y",
]

_NAME_PREFIXES = (
    "Almeerse", "Flevo", "Polder", "Weerwater", "Nieuwland", "Horizon", "Lepelaar", "Kemphaan",
    "Noorderlicht", "Vaart", "Groenland", "Blauwe Zee", "Oosterlicht", "Westwind", "Zonnewijzer",
    "Eiland", "Kade", "Havenkwartier", "Molenwiek", "Linde", "Wilgen", "Berken", "Essen",
    "Meerkoet", "Gooimeer", "IJmeer", "Pionier", "Spoorzicht", "Lumen", "Atelier Noord",
    "De Rietkraag", "Het Baken", "De Kolk", "Stadsvaart", "Koploper", "Nieuwe Maan", "Vogelvlucht",
    "Waterlelie",
)  # fmt: skip
_LEGAL_SUFFIXES = ("", "", " B.V.", " V.O.F.")


def _establishments(
    areas: pd.DataFrame, targets: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """One row per establishment: buurt (row of ``areas``), group, area type, home-based."""
    counts = targets.to_numpy()
    keys = np.array(targets.columns, dtype=object)
    buurt = np.repeat(np.arange(len(areas)), counts.sum(axis=1))
    group = np.concatenate([np.repeat(keys, row) for row in counts])
    kind = areas["area_type"].to_numpy(dtype=object)[buurt]
    p_home = pd.Series(group).map(HOME_SHARE).to_numpy(dtype="float64")
    p_home = p_home * pd.Series(kind).map(HOME_FACTOR).to_numpy(dtype="float64")
    home = rng.random(len(buurt)) < p_home
    return pd.DataFrame({"buurt": buurt, "group": group, "kind": kind, "home": home})


def _fit_sizes(x: np.ndarray, cap: np.ndarray, jobs_needed: int) -> np.ndarray:
    """``min(2 + floor(f * x), cap)`` with ``f`` found so the sizes sum to ``jobs_needed``."""

    def sizes(f: float) -> np.ndarray:
        return np.asarray(np.minimum(2 + np.floor(f * x), cap), dtype="int64")

    lo, hi = 0.0, 1e4
    for _ in range(80):
        mid = (lo + hi) / 2
        if sizes(mid).sum() < jobs_needed:
            lo = mid
        else:
            hi = mid
    out = sizes(hi)
    extra = int(out.sum() - jobs_needed)  # a few jobs of overshoot: off the largest ones
    if extra > 0:
        order = np.argsort(-out, kind="stable")[:extra]
        out[order] -= 1
    return out


def _sizes(est: pd.DataFrame, band: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Werkzame personen per establishment, the job total of each area type as in ``JOBS``."""
    jobs = np.zeros(len(est), dtype="int64")
    home = est["home"].to_numpy()
    jobs[home] = rng.choice(HOME_SIZES[0], size=int(home.sum()), p=HOME_SIZES[1])
    kind = est["kind"].to_numpy()
    for k in JOBS:  # four area types
        others = np.flatnonzero(~home & (kind == k))
        single = rng.random(len(others)) < SINGLE_SHARE[k]
        jobs[others[single]] = 1
        multi = others[~single]
        cap = np.array([BAND_CAP.get(b, SIZE_CAP[k]) for b in band[multi]])
        needed = JOBS[k] - int(jobs[home & (kind == k)].sum()) - int(single.sum())
        x = rng.lognormal(0.0, SIZE_SIGMA[k], len(multi))
        jobs[multi] = _fit_sizes(x, cap, needed)
        got = int(jobs[kind == k].sum())
        if abs(got - JOBS[k]) > 0.01 * JOBS[k]:
            log.warning("demo register: %d jobs in %s instead of %d", got, k, JOBS[k])
    return jobs


def _attributes(est: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """SBI code, size, part-time staff, secondary codes, start year, social flag, BAG use."""
    table = load_sbi_table()
    home = est["home"].to_numpy()
    context = np.where(home, "home", est["kind"].to_numpy(dtype=object))
    row = choose_codes(est["group"].to_numpy(), context, table, rng)
    sbi = table["sbi"].to_numpy(dtype=object)[row]
    jobs = _sizes(est, table["band"].to_numpy()[row], rng)
    return est.assign(
        row=row,
        sbi=sbi,
        division=table["division"].to_numpy()[row],
        jobs=jobs,
        parttime=rng.binomial(jobs, table["parttime"].to_numpy()[row]),
        sbi_neven=activities.secondary_codes(sbi, context, table, rng),
        startjaar=activities.start_years(home, rng),
        social=activities.social_enterprise(home, est["kind"].to_numpy(), rng),
        doel=activities.gebruiksdoel(home, table["gebruiksdoel"].to_numpy()[row], rng),
        word=table["word"].to_numpy(dtype=object)[row],
    )


def _unique_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    ids = rng.integers(10**7, 10**11, size=n)
    while len(np.unique(ids)) < n:
        _, first = np.unique(ids, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        ids[dup] = rng.integers(10**7, 10**11, size=len(dup))
    return ids


def _names(est: pd.DataFrame, placement: Placement, rng: np.random.Generator) -> pd.Series:
    """Trade names: a local word and the activity, a legal form for some non-home firms;
    the registrations of one household share their word and are its holding companies."""
    n = len(est)
    prefix = np.array(_NAME_PREFIXES, dtype=object)[rng.integers(0, len(_NAME_PREFIXES), n)]
    suffix = np.array(_LEGAL_SUFFIXES, dtype=object)[rng.integers(0, len(_LEGAL_SUFFIXES), n)]
    suffix = np.where(est["home"].to_numpy(), "", suffix)
    word = est["word"].to_numpy(dtype=object).copy()
    house = placement.household
    if house.any():
        first = pd.Series(np.flatnonzero(house)).groupby(placement.address[house]).transform("min")
        prefix[house] = prefix[first.to_numpy()]
        suffix[house] = " B.V."
        word[house] = np.where(np.arange(int(house.sum())) % 2 == 0, "Holding", word[house])
    return pd.Series(prefix).str.cat(pd.Series(word), sep=" ").str.cat(pd.Series(suffix))


def generate_businesses(
    *,
    seed: int = DEFAULT_SEED,
    typology: TypologySettings | None = None,
    counts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The synthetic LISA-style business register on the shipped CBS buurten of Almere.

    Parameters
    ----------
    seed
        Seed of the random generator; the same seed gives the same table.
    typology
        Area-type rules; default: the shipped ``[typology]`` settings.
    counts
        CBS establishment counts (:func:`.cbs.load_cbs_counts`, the default).

    Returns
    -------
    DataFrame
        :data:`REGISTER_COLUMNS`: vestigingsnummer (12-digit text, unique), handelsnaam, sbi
        (4-digit text), sbi_neven (secondary codes, ";"-separated, or empty), wp_voltijd,
        wp_deeltijd (int), aan_huis (0/1), gebruiksdoel (BAG, ";"-separated), startjaar
        (int), sociale_onderneming (0/1), bag_vbo_id (16-digit text, shared by the tenants of
        a multi-tenant building and by firms sharing a home), x, y (int, RD metres); sorted
        by vestigingsnummer, index 0..n-1.
    """
    typology = typology or load_settings().typology
    rng = np.random.default_rng(seed)
    areas = demo_areas(typology)
    counts = load_cbs_counts() if counts is None else counts
    targets = register_targets(areas["buurt_code"], areas["area_type"].to_numpy(), counts)
    est = _attributes(_establishments(areas, targets, rng), rng)
    parts = land_parts(areas)
    placement = place_establishments(est, areas, parts, buurt_points(parts), rng)
    xy = placement.xy[placement.address]
    out = pd.DataFrame(
        {
            "vestigingsnummer": pd.Series(_unique_ids(len(est), rng)).map("{:012d}".format),
            "handelsnaam": _names(est, placement, rng),
            "sbi": est["sbi"].to_numpy(),
            "sbi_neven": est["sbi_neven"].to_numpy(),
            "wp_voltijd": (est["jobs"] - est["parttime"]).to_numpy(),
            "wp_deeltijd": est["parttime"].to_numpy(),
            "aan_huis": est["home"].to_numpy().astype("int64"),
            "gebruiksdoel": est["doel"].to_numpy(),
            "startjaar": est["startjaar"].to_numpy(),
            "sociale_onderneming": est["social"].to_numpy().astype("int64"),
            "bag_vbo_id": placement.vbo_id[placement.address],
            "x": xy[:, 0].astype("int64"),
            "y": xy[:, 1].astype("int64"),
        }
    )
    return out.sort_values("vestigingsnummer", kind="stable").reset_index(drop=True)
