"""The privacy rules: what may be published, exactly.

A home-based business's location is someone's home, so nothing public may reveal a business
location or rest on fewer than ``min_count`` establishments (default 5, as CBS does).

The public view of a table is a :class:`PublicFrame`: the table with every hidden value missing,
and beside it a boolean frame saying which cells are hidden *for privacy* (as opposed to missing
for another reason, such as a rate without a denominator). Writers show a hidden cell as
"< 5" (``texts.format.count(..., suppressed=True)``) and a missing one as a dash.
"""

from __future__ import annotations

__all__ = ["PublicFrame", "public_areas", "public_table"]

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Columns of an area table that are aggregates of establishments (and so can be hidden).
_MEASURE_PREFIXES = ("n_", "jobs", "share_", "lq_", "gi_")


@dataclass(frozen=True)
class PublicFrame:
    """A table as it may be published.

    Attributes
    ----------
    data : DataFrame or GeoDataFrame
        The table; every hidden cell is missing (NaN or ``<NA>``).
    hidden : DataFrame
        Booleans, same index as ``data``, one column per column of ``data`` that can be
        hidden: True where the cell is hidden for privacy.
    """

    data: pd.DataFrame
    hidden: pd.DataFrame

    def is_hidden(self, column: str) -> pd.Series:
        """True where ``column`` is hidden for privacy (all False for a column never hidden)."""
        if column in self.hidden.columns:
            return self.hidden[column].astype(bool)
        return pd.Series(False, index=self.data.index)

    def __len__(self) -> int:
        return len(self.data)


def _measure_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if str(c).startswith(_MEASURE_PREFIXES)]


def public_table(frame: pd.DataFrame, hide: pd.DataFrame) -> PublicFrame:
    """``frame`` with the cells marked in ``hide`` set to missing (a copy)."""
    data = frame.copy()
    for column in hide.columns:
        mask = hide[column].to_numpy(dtype=bool)
        if mask.any():
            values = data[column]
            if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_integer_dtype(
                values.dtype
            ):
                values = values.astype("Float64" if values.dtype != bool else "boolean")
            data[column] = values.mask(mask)
    return PublicFrame(data=data, hidden=hide.astype(bool))


def public_areas(
    frame: pd.DataFrame, *, min_count: int, columns: Iterable[str] | None = None
) -> PublicFrame:
    """An area table (buurten, wijken, hexagons) with the measures of small areas hidden.

    A row whose ``suppressed`` flag is set (fewer than ``min_count`` establishments) has every
    measure column hidden.
    """
    cols = list(columns) if columns is not None else _measure_columns(frame)
    small = frame["suppressed"].to_numpy(dtype=bool) if "suppressed" in frame else None
    if small is None:
        small = np.zeros(len(frame), dtype=bool)
    hide = pd.DataFrame({c: small for c in cols}, index=frame.index)
    return public_table(frame, hide)
