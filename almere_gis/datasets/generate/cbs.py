"""CBS's establishment counts per area and SBI group, as the demo register is calibrated on them.

CBS StatLine "Kerncijfers wijken en buurten" counts establishments (bedrijfsvestigingen, from
the business register ABR) per gemeente, wijk and buurt, in total and in eight groups of SBI
sections. ``scripts/extract_cbs_counts.py`` extracts Almere's counts of 1-1-2018 to 1-1-2021
(the years whose buurt codes match the demo polygons) into
``almere_gis/datasets/data/cbs_vestigingen_almere.csv``; :func:`load_cbs_counts` reads it.

Two facts of the data shape the calibration (see ``shapefiles/README.md``):

* CBS counts the group O-Q (public administration, education, care) only from 1-1-2020 on;
  until 2019 the total is the sum of the other seven groups. That is most of the jump of
  2019 -> 2020 (Almere: 17,440 -> 23,020, of which 4,115 in O-Q; +8.4 % without them).
* counts are rounded to multiples of 5, and the groups of very small buurten are secret.
"""

from __future__ import annotations

__all__ = [
    "CBS_COUNTS_FILE",
    "CBS_SBI_GROUPS",
    "CbsGroup",
    "cbs_group_of_division",
    "load_cbs_counts",
    "register_targets",
]

from dataclasses import dataclass
from importlib import resources
from io import StringIO

import numpy as np
import pandas as pd

from ...settings import parse_divisions

CBS_COUNTS_FILE = "cbs_vestigingen_almere.csv"


def _span(spec: str) -> frozenset[int]:
    """``"45-47,55-56"`` as a set of divisions, read by the settings' own parser."""
    return parse_divisions(spec)


@dataclass(frozen=True)
class CbsGroup:
    """One of CBS's eight groups of SBI sections in the Kerncijfers."""

    key: str
    """CBS's own label of the sections, used as column name (``"G+I"``)."""
    stem: str
    """StatLine column name without its yearly numeric suffix."""
    label_nl: str
    label_en: str
    divisions: frozenset[int]
    """Two-digit SBI 2008 divisions in the group."""


CBS_SBI_GROUPS: tuple[CbsGroup, ...] = (
    CbsGroup("A", "ALandbouwBosbouwEnVisserij", "Landbouw, bosbouw en visserij",
             "Agriculture, forestry and fishing", _span("1-3")),
    CbsGroup("B-F", "BFNijverheidEnEnergie", "Nijverheid en energie",
             "Industry and energy", _span("5-43")),
    CbsGroup("G+I", "GIHandelEnHoreca", "Handel en horeca",
             "Trade and hospitality", _span("45-47,55-56")),
    CbsGroup("H+J", "HJVervoerInformatieEnCommunicatie", "Vervoer, informatie en communicatie",
             "Transport, information and communication", _span("49-53,58-63")),
    CbsGroup("K+L", "KLFinancieleDienstenOnroerendGoed", "Financiële diensten, onroerend goed",
             "Financial services, real estate", _span("64-66,68")),
    CbsGroup("M+N", "MNZakelijkeDienstverlening", "Zakelijke dienstverlening",
             "Business services", _span("69-75,77-82")),
    CbsGroup("O-Q", "OQOverheidOnderwijsEnZorg", "Overheid, onderwijs en zorg",
             "Government, education and care", _span("84-88")),
    CbsGroup("R-U", "RUCultuurRecreatieOverigeDiensten", "Cultuur, recreatie, overige diensten",
             "Culture, recreation, other services", _span("90-99")),
)  # fmt: skip

_BY_DIVISION = {d: g.key for g in CBS_SBI_GROUPS for d in g.divisions}


def cbs_group_of_division(division: np.ndarray) -> np.ndarray:
    """The CBS group key of each two-digit SBI division (``""`` for a division in none).

    Examples
    --------
    >>> cbs_group_of_division(np.array([47, 62, 86, 1])).tolist()
    ['G+I', 'H+J', 'O-Q', 'A']
    """
    keys = np.array([_BY_DIVISION.get(d, "") for d in range(100)], dtype=object)
    groups: np.ndarray = keys[np.asarray(division, dtype="int64")]
    return groups


def load_cbs_counts() -> pd.DataFrame:
    """Almere's CBS establishment counts of 1-1-2018 to 1-1-2021, shipped with the package.

    Returns
    -------
    DataFrame
        ``peildatum`` (datetime64, 1 January), ``level`` (gemeente, wijk or buurt), ``code``
        (CBS code), ``total`` and one column per key of :data:`CBS_SBI_GROUPS` (Int64, <NA>
        where CBS published nothing: secret, or O-Q before 2020); one row per area and year.

    Examples
    --------
    >>> counts = load_cbs_counts()
    >>> city = counts[counts["level"] == "gemeente"].set_index("peildatum")["total"]
    >>> [int(v) for v in city]
    [16250, 17440, 23020, 24355]
    """
    text = resources.files("almere_gis.datasets").joinpath(f"data/{CBS_COUNTS_FILE}")
    keys = ["total", *(g.key for g in CBS_SBI_GROUPS)]
    table = pd.read_csv(
        StringIO(text.read_text("utf-8")),
        dtype={"level": str, "code": str} | dict.fromkeys(keys, "Int64"),
        parse_dates=["peildatum"],
    )
    return table


def register_targets(codes: pd.Series, area_type: np.ndarray, counts: pd.DataFrame) -> pd.DataFrame:
    """How many establishments the demo register holds per buurt and CBS group.

    The seven groups CBS counts on 1-1-``COUNTS_YEAR`` are spread over the buurt's CBS total
    by largest remainder (CBS rounds each cell to 5, so the groups need not add up to the
    total); a buurt whose groups are secret gets the group mix of the buurten of its area
    type. O-Q, which CBS does not count before 2020, is added from 1-1-``OQ_COUNTS_YEAR``
    (0 where secret).

    Parameters
    ----------
    codes : Series of str
        CBS buurt codes, one per demo buurt.
    area_type : ndarray
        Area type per buurt, aligned with ``codes``.
    counts : DataFrame
        As returned by :func:`load_cbs_counts`.

    Returns
    -------
    DataFrame
        Index 0..n-1 aligned with ``codes``, one int64 column per key of
        :data:`CBS_SBI_GROUPS`.

    Raises
    ------
    SchemaError
        A buurt code has no CBS count in ``COUNTS_YEAR``.
    """
    from ..._errors import SchemaError
    from .calibration import COUNTS_YEAR, OQ_COUNTS_YEAR
    from .sampling import largest_remainder

    buurt = counts[counts["level"] == "buurt"]
    year = buurt[buurt["peildatum"].dt.year == COUNTS_YEAR].set_index("code")
    unknown = sorted(set(codes) - set(year.index))
    if unknown:
        raise SchemaError(
            CBS_COUNTS_FILE,
            f"no CBS count of {COUNTS_YEAR} for buurten {unknown}",
            "generate the demo for the buurten of the shipped polygons",
        )
    keys = [g.key for g in CBS_SBI_GROUPS if g.key != "O-Q"]
    total = year["total"].reindex(codes).fillna(0).to_numpy(dtype="int64")
    groups = year[keys].reindex(codes).astype("float64").to_numpy()
    known = ~np.isnan(groups).any(axis=1)
    out = np.zeros((len(codes), len(CBS_SBI_GROUPS)), dtype="int64")
    for i in range(len(codes)):  # one row per buurt
        row = groups[i]
        if not known[i]:
            peers = known & (area_type == area_type[i])
            mix = groups[peers if peers.any() else known].sum(axis=0)
            rest = max(int(total[i] - np.nansum(row)), 0)
            row = np.nan_to_num(row) + largest_remainder(np.where(np.isnan(row), mix, 0), rest)
        out[i, : len(keys)] = largest_remainder(row, int(total[i]))
    oq = buurt[buurt["peildatum"].dt.year == OQ_COUNTS_YEAR].set_index("code")["O-Q"]
    frame = pd.DataFrame(out[:, : len(keys)], columns=keys)
    frame.insert(keys.index("M+N") + 1, "O-Q", oq.reindex(codes).fillna(0).to_numpy("int64"))
    return frame[[g.key for g in CBS_SBI_GROUPS]]
