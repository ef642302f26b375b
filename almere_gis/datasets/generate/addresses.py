"""Where the demo's establishments are: addresses (BAG verblijfsobjecten) and their points.

* Home-based establishments live in homes along synthetic streets; a few share a home with
  another one (two partners' businesses), and ``HOUSEHOLD_HOMES`` homes hold many
  registrations of one household (holding structures): a home, never a business building.
* ``BUILDINGS`` multi-tenant buildings (bedrijfsverzamelgebouwen) on business parks and in
  centres each house 5-40 small establishments at one address and one point.
* Every other establishment has an address of its own: shops, horeca, care and personal
  services of a residential buurt around its centre, centre establishments around the centre's
  point, the rest spread over the buurt.

Every point lies in its buurt's land part (:func:`.buurten.land_parts`) on the 1 m grid.
"""

from __future__ import annotations

__all__ = ["Placement", "place_establishments"]

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calibration import (
    BUILDING_TENANT_MAX_JOBS,
    BUILDING_TENANTS_MEDIAN,
    BUILDING_TENANTS_RANGE,
    BUILDING_TENANTS_SIGMA,
    BUILDINGS,
    HOUSEHOLD_HOMES,
    HOUSEHOLD_REGISTRATIONS,
    SHARED_HOME_SHARE,
)
from .sampling import largest_remainder, sample_cluster, sample_streets, sample_uniform

# BAG verblijfsobject ids: gemeente code, object type 01, a 10-digit serial.
_VBO_PREFIX = "003401"
# Divisions of a residential buurt's establishments that sit in its neighbourhood centre.
_CENTRE_DIVISIONS = (47, 56, 86, 96)
# Divisions that do not rent a unit in a bedrijfsverzamelgebouw: farms, car trade, shops,
# horeca, government, schools, care, sports.
_NOT_IN_BUILDINGS = (1, 2, 3, 45, 46, 47, 55, 56, 84, 85, 86, 87, 88, 93)
_NEIGHBOURHOOD_SD_M = 150.0
_HOMES_PER_STREET = 40


@dataclass(frozen=True)
class Placement:
    """Addresses of the establishments: ``address`` indexes the per-address arrays."""

    address: np.ndarray
    """Per establishment: index of its address."""
    xy: np.ndarray
    """Per address: RD New coordinates (whole metres)."""
    vbo_id: np.ndarray
    """Per address: 16-digit BAG verblijfsobject id (text)."""
    building: np.ndarray
    """Per address: a multi-tenant building."""
    household: np.ndarray
    """Per establishment: one of the many registrations of a household at its home."""


class _Book:
    """Collects addresses (points and whether each is a building) as they are made."""

    def __init__(self, n: int) -> None:
        self.address = np.full(n, -1, dtype="int64")
        self.points: list[np.ndarray] = []
        self.buildings: list[np.ndarray] = []
        self.size = 0

    def add(self, points: np.ndarray, *, building: bool = False) -> int:
        """Register addresses at ``points``; return the index of the first."""
        first = self.size
        self.points.append(points.reshape(-1, 2))
        self.buildings.append(np.full(len(points), building))
        self.size += len(points)
        return first


def _tenant_counts(n: int, rng: np.random.Generator) -> np.ndarray:
    lo, hi = BUILDING_TENANTS_RANGE
    draw = rng.lognormal(np.log(BUILDING_TENANTS_MEDIAN), BUILDING_TENANTS_SIGMA, n)
    return np.clip(np.round(draw), lo, hi).astype("int64")


def _buildings(est: pd.DataFrame, areas: pd.DataFrame, parts: np.ndarray, centres: np.ndarray,
               book: _Book, rng: np.random.Generator) -> None:  # fmt: skip
    """Multi-tenant buildings: a point each, tenants drawn from the buurt's small firms."""
    kinds = areas["area_type"].to_numpy()
    eligible = (
        ~est["home"].to_numpy()
        & (est["jobs"].to_numpy() <= BUILDING_TENANT_MAX_JOBS)
        & ~np.isin(est["division"].to_numpy(), _NOT_IN_BUILDINGS)
    )
    buurt = est["buurt"].to_numpy()
    pool = np.bincount(buurt[eligible], minlength=len(areas))
    for kind, total in BUILDINGS.items():
        where = np.flatnonzero(kinds == kind)
        per_buurt = largest_remainder(pool[where].astype("float64"), total)
        for b, count in zip(where, per_buurt, strict=True):
            if count == 0:
                continue
            members = np.flatnonzero(eligible & (buurt == b))
            sizes = _tenant_counts(int(count), rng)
            sizes = sizes[np.cumsum(sizes) <= len(members)]  # never more than the buurt has
            chosen = rng.choice(members, size=int(sizes.sum()), replace=False)
            if kind == "centrum":
                sd = 0.3 * np.sqrt(parts[b].area)
                points = sample_cluster(parts[b], centres[b], sd, len(sizes), rng)
            else:
                points = sample_uniform(parts[b], len(sizes), rng)
            first = book.add(points, building=True)
            book.address[chosen] = first + np.repeat(np.arange(len(sizes)), sizes)


def _homes(est: pd.DataFrame, areas: pd.DataFrame, parts: np.ndarray, book: _Book,
           rng: np.random.Generator) -> None:  # fmt: skip
    """Homes along synthetic streets; some home-based firms share a home with another."""
    buurt = est["buurt"].to_numpy()
    home = est["home"].to_numpy()
    homes = areas["homes"].fillna(0).to_numpy(dtype="float64")
    for b in np.unique(buurt[home]):  # one pass per buurt, points drawn in bulk
        members = np.flatnonzero(home & (buurt == b))
        shared = rng.random(len(members)) < SHARED_HOME_SHARE
        shared[0] = False  # the first one always has a home of its own
        own = members[~shared]
        n_streets = max(4, int(homes[b] / _HOMES_PER_STREET))
        first = book.add(sample_streets(parts[b], len(own), rng, n_streets=n_streets))
        book.address[own] = first + np.arange(len(own))
        book.address[members[shared]] = first + rng.integers(0, len(own), int(shared.sum()))


def _households(est: pd.DataFrame, areas: pd.DataFrame, book: _Book,
                rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """Move a few home-based firms of one buurt into one home: a household's registrations."""
    out = np.zeros(len(est), dtype=bool)
    buurt = est["buurt"].to_numpy()
    pick = est["home"].to_numpy() & est["group"].isin(["K+L", "M+N"]).to_numpy()
    residential = np.flatnonzero(areas["area_type"].to_numpy() == "wonen")
    weights = np.bincount(buurt[pick], minlength=len(areas))[residential].astype("float64")
    lo, hi = HOUSEHOLD_REGISTRATIONS
    chosen = rng.choice(residential, size=HOUSEHOLD_HOMES, replace=False, p=weights / weights.sum())
    for b in chosen:
        members = np.flatnonzero(pick & (buurt == b))
        size = min(int(rng.integers(lo, hi + 1)), len(members))
        together = rng.choice(members, size=size, replace=False)
        book.address[together] = book.address[together[0]]
        out[together] = True
    return out


def _others(est: pd.DataFrame, areas: pd.DataFrame, parts: np.ndarray, centres: np.ndarray,
            book: _Book, rng: np.random.Generator) -> None:  # fmt: skip
    """An address of its own for every establishment not placed yet."""
    kinds = areas["area_type"].to_numpy()
    buurt = est["buurt"].to_numpy()
    todo = book.address < 0
    near_centre = np.isin(est["division"].to_numpy(), _CENTRE_DIVISIONS)
    for b in np.unique(buurt[todo]):  # one pass per buurt, points drawn in bulk
        here = todo & (buurt == b)
        poly, kind = parts[b], kinds[b]
        if kind == "centrum":
            groups = [(here, 0.35 * np.sqrt(poly.area))]
        elif kind == "wonen":
            groups = [(here & near_centre, _NEIGHBOURHOOD_SD_M), (here & ~near_centre, None)]
        else:
            groups = [(here, None)]
        for mask, sd in groups:
            sel = np.flatnonzero(mask)
            if sd is None:
                points = sample_uniform(poly, len(sel), rng)
            else:
                points = sample_cluster(poly, centres[b], sd, len(sel), rng)
            book.address[sel] = book.add(points) + np.arange(len(sel))


def _vbo_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    serial = rng.choice(10**10, size=n, replace=False)
    return np.array([f"{_VBO_PREFIX}{s:010d}" for s in serial], dtype=object)


def place_establishments(
    est: pd.DataFrame,
    areas: pd.DataFrame,
    parts: np.ndarray,
    centres: np.ndarray,
    rng: np.random.Generator,
) -> Placement:
    """Addresses and points for every establishment.

    Parameters
    ----------
    est : DataFrame
        One row per establishment: ``buurt`` (row of ``areas``), ``home`` (bool), ``jobs``,
        ``division`` (two-digit SBI) and ``group`` (CBS group key).
    areas : DataFrame
        The demo buurten with ``area_type`` and ``homes``.
    parts, centres
        Land part and centre point per buurt (:mod:`.buurten`).
    rng
        The register's random generator.
    """
    book = _Book(len(est))
    _buildings(est, areas, parts, centres, book, rng)
    _homes(est, areas, parts, book, rng)
    household = _households(est, areas, book, rng)
    _others(est, areas, parts, centres, book, rng)
    xy = np.vstack(book.points)
    return Placement(
        address=book.address,
        xy=xy,
        vbo_id=_vbo_ids(len(xy), rng),
        building=np.concatenate(book.buildings),
        household=household,
    )
