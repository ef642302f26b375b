"""The SBI 2008 codes the demo register draws from, with how likely each is per context.

``almere_gis/datasets/data/demo_sbi_codes.csv`` lists, per four-digit code: the BAG
gebruiksdoel of its premises, the largest size band it takes (S: up to 9 werkzame personen,
M: up to 99, L: any), a relative weight per context (``home`` for home-based establishments,
otherwise the buurt's area type), the share of part-time werkzame personen, and a word for
trade names. The weights are assumptions; the CBS group of each code follows from its
division, so the counts per group stay CBS's.
"""

from __future__ import annotations

__all__ = ["CONTEXTS", "SBI_FILE", "choose_codes", "load_sbi_table"]

from importlib import resources
from io import StringIO

import numpy as np
import pandas as pd

from .cbs import cbs_group_of_division

SBI_FILE = "demo_sbi_codes.csv"
CONTEXTS = ("home", "wonen", "centrum", "bedrijventerrein", "buitengebied")


def load_sbi_table() -> pd.DataFrame:
    """The code table, with ``division`` (int) and ``group`` (CBS group key) added.

    Examples
    --------
    >>> table = load_sbi_table()
    >>> sorted(table["group"].unique())
    ['A', 'B-F', 'G+I', 'H+J', 'K+L', 'M+N', 'O-Q', 'R-U']
    """
    text = resources.files("almere_gis.datasets").joinpath(f"data/{SBI_FILE}")
    table = pd.read_csv(StringIO(text.read_text("utf-8")), dtype={"sbi": str})
    table["division"] = table["sbi"].str[:2].astype("int64")
    table["group"] = cbs_group_of_division(table["division"].to_numpy())
    return table


def choose_codes(
    group: np.ndarray, context: np.ndarray, table: pd.DataFrame, rng: np.random.Generator
) -> np.ndarray:
    """A row of ``table`` per establishment: a code of its CBS group, weighted by context.

    Where no code of the group has weight in the context (agriculture in a centre), the
    group's weights summed over all contexts are used instead.
    """
    row = np.full(len(group), -1, dtype="int64")
    any_context = table[list(CONTEXTS)].sum(axis=1).to_numpy(dtype="float64")
    for ctx in CONTEXTS:  # 5 contexts x 8 groups, each drawn in bulk
        weights = table[ctx].to_numpy(dtype="float64")
        for key in np.unique(group[context == ctx]):
            sel = np.flatnonzero((context == ctx) & (group == key))
            in_group = (table["group"] == key).to_numpy()
            w = weights * in_group
            if w.sum() == 0:
                w = any_context * in_group
            row[sel] = rng.choice(len(table), size=len(sel), p=w / w.sum())
    return row
