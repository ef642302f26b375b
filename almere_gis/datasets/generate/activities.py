"""What an establishment does besides its main SBI code, when it started, how it is housed.

All drawn in bulk per establishment from the assumptions in :mod:`.calibration`.
"""

from __future__ import annotations

__all__ = ["gebruiksdoel", "secondary_codes", "social_enterprise", "start_years"]

import numpy as np
import pandas as pd

from .calibration import (
    FIRST_YEAR,
    LAST_START_YEAR,
    SECONDARY_OTHER_SHARE,
    SECONDARY_SHOP_SHARE,
    SOCIAL_SHARE,
    START_AGE_MEAN,
)

# Second activities of shops (KvK nevenactiviteiten): horeca, services and making make a shop
# a "mixed" one; a web shop, agency or wholesale beside the shop does not.
_SHOP_MIXED = {"5610": 3, "5630": 3, "5621": 1, "9602": 2, "9609": 1, "9511": 2, "9529": 2,
               "1071": 1, "1413": 1, "3212": 1, "3299": 2, "8559": 1}  # fmt: skip
_SHOP_OTHER = {"4791": 6, "4619": 1, "4690": 1}
_SHOP_MIXED_SHARE = 0.6
_SHOP_TWO_CODES = 0.25


def _draw(codes: dict[str, int], n: int, rng: np.random.Generator) -> np.ndarray:
    keys = np.array(list(codes), dtype=object)
    weights = np.array(list(codes.values()), dtype="float64")
    return keys[rng.choice(len(keys), size=n, p=weights / weights.sum())]


def _shop_codes(main: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One or two secondary codes per shop, ";"-joined and sorted; never the shop's main
    code (a web shop's second activity is not "web shop" again), never a code twice."""
    n = len(main)
    mixed = rng.random(n) < _SHOP_MIXED_SHARE
    first = np.where(mixed, _draw(_SHOP_MIXED, n, rng), _draw(_SHOP_OTHER, n, rng))
    second = _draw(_SHOP_MIXED | _SHOP_OTHER, n, rng)
    two = rng.random(n) < _SHOP_TWO_CODES
    first = np.where(first == main, "", first)
    second = np.where(two & (second != first) & (second != main), second, "")
    low, high = np.where(first < second, first, second), np.where(first < second, second, first)
    return np.where((low != "") & (high != ""), low + ";" + high, low + high)


def secondary_codes(
    sbi: np.ndarray,
    context: np.ndarray,
    table: pd.DataFrame,
    rng: np.random.Generator,
) -> np.ndarray:
    """Secondary SBI codes per establishment: ``""``, one code, or two joined by ``";"``.

    Shops (division 47) carry one or two with probability ``SECONDARY_SHOP_SHARE``, drawn
    from :data:`_SHOP_MIXED` (horeca, services, making) or :data:`_SHOP_OTHER`; every other
    establishment carries one with probability ``SECONDARY_OTHER_SHARE``, drawn like a main
    code of its context.
    """
    n = len(sbi)
    out = np.full(n, "", dtype=object)
    shop = np.char.startswith(sbi.astype(str), "47")
    pick = shop & (rng.random(n) < SECONDARY_SHOP_SHARE)
    out[pick] = _shop_codes(sbi[pick], rng)
    other = ~shop & (rng.random(n) < SECONDARY_OTHER_SHARE)
    for ctx in np.unique(context[other]):  # five contexts, drawn in bulk
        sel = np.flatnonzero(other & (context == ctx))
        w = table[ctx].to_numpy(dtype="float64")
        code = table["sbi"].to_numpy(dtype=object)[rng.choice(len(table), len(sel), p=w / w.sum())]
        out[sel] = np.where(code != sbi[sel], code, "")
    return out


def start_years(home: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``LAST_START_YEAR`` minus an exponential age (shorter for home-based ones)."""
    mean = np.where(home, START_AGE_MEAN["home"], START_AGE_MEAN["other"])
    age = np.floor(rng.exponential(mean))
    return np.asarray(np.maximum(LAST_START_YEAR - age, FIRST_YEAR), dtype="int64")


def social_enterprise(home: np.ndarray, kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Social-enterprise flag: rare at home, more common among shops and services in town."""
    town = np.isin(kind, ["wonen", "centrum"])
    p = np.where(home, SOCIAL_SHARE["home"], np.where(town, SOCIAL_SHARE["wonen"],
                                                       SOCIAL_SHARE["other"]))  # fmt: skip
    return rng.random(len(home)) < p


def gebruiksdoel(
    home: np.ndarray, doel: np.ndarray, rng: np.random.Generator, *, mixed_share: float = 0.08
) -> np.ndarray:
    """BAG gebruiksdoel(en), ``";"``-separated: ``woonfunctie`` for a home-based establishment,
    else the code's own, sometimes with an office function beside it."""
    doel = doel.astype(str)
    mixed = ~home & (rng.random(len(home)) < mixed_share) & (doel != "kantoorfunctie")
    out = np.where(mixed, np.char.add("kantoorfunctie;", doel), doel).astype(object)
    out[home] = "woonfunctie"
    return out
