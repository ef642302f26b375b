"""Column access shared by the layer builders: numbers, strings and hidden cells."""

from __future__ import annotations

__all__ = ["Columns", "flags", "numbers", "strings"]

import numpy as np
import pandas as pd


def numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as floats (NaN where missing or not a number; all NaN when absent)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def strings(frame: pd.DataFrame, column: str) -> list[str]:
    """A column as Python strings, missing values as ""; all "" when the column is absent."""
    if column not in frame:
        return [""] * len(frame)
    return [str(v) for v in frame[column].astype("string").fillna("").to_list()]


def flags(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A yes/no column as booleans (missing = False; all False when absent)."""
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


class Columns:
    """A frame's columns converted once (numbers, strings, flags), for per-row builders."""

    def __init__(self, frame: pd.DataFrame, hidden: pd.DataFrame) -> None:
        self.frame = frame
        self.hidden = hidden
        self._num: dict[str, np.ndarray] = {}
        self._str: dict[str, list[str]] = {}
        self._flag: dict[str, np.ndarray] = {}

    def num(self, column: str) -> np.ndarray:
        """As :func:`numbers`, converted once."""
        if column not in self._num:
            self._num[column] = numbers(self.frame, column)
        return self._num[column]

    def text(self, column: str) -> list[str]:
        """As :func:`strings`, converted once."""
        if column not in self._str:
            self._str[column] = strings(self.frame, column)
        return self._str[column]

    def flag(self, column: str) -> np.ndarray:
        """As :func:`flags`, converted once."""
        if column not in self._flag:
            self._flag[column] = flags(self.frame, column)
        return self._flag[column]

    def is_hidden(self, column: str) -> np.ndarray:
        """True where ``column`` is hidden for privacy (all False when never hidden)."""
        if column in self.hidden.columns:
            return self.hidden[column].to_numpy(dtype=bool)
        return np.zeros(len(self.frame), dtype=bool)
