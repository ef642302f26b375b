"""Numbers, percentages, dates and distances for Dutch or English readers (babel).

One formatter set for every output: the terminal summary, the map, the tables, the PDF.
Missing or non-finite values give an en dash; a suppressed count gives ``< min_count``.

Examples
--------
>>> number(1234.5, 1, "nl"), number(1234.5, 1, "en")
('1.234,5', '1,234.5')
>>> percent(0.43, 1, "nl")
'43,0 %'
"""

from __future__ import annotations

__all__ = ["count", "date_long", "distance", "number", "percent"]

import math
from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from . import check_language

_LOCALES = {"nl": "nl_NL", "en": "en_GB"}
DASH = "\u2013"


def _finite(value: Any) -> float | None:
    try:
        number_ = float(value)
    except (TypeError, ValueError):
        return None
    return number_ if math.isfinite(number_) else None


def number(value: Any, decimals: int = 0, language: str = "nl") -> str:
    """``value`` with thousands separators and exactly ``decimals`` decimals."""
    v = _finite(value)
    if v is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return str(format_decimal(v, format=pattern, locale=_LOCALES[check_language(language)]))


def percent(share: Any, decimals: int = 1, language: str = "nl") -> str:
    """A share (0-1) as a percentage: ``0.43`` -> ``"43,0 %"`` (nl) or ``"43.0 %"`` (en)."""
    v = _finite(share)
    if v is None:
        return DASH
    return f"{number(v * 100.0, decimals, language)} %"


def count(value: Any, min_count: int, language: str = "nl", *, suppressed: bool = False) -> str:
    """A count of establishments, or ``"< min_count"`` when it rests on too few of them."""
    v = _finite(value)
    if suppressed or (v is not None and v < min_count):
        return f"< {min_count}"
    return number(v, 0, language)


def distance(metres: Any, language: str = "nl") -> str:
    """``800`` -> ``"800 m"``, ``2500`` -> ``"2,5 km"`` (nl) / ``"2.5 km"`` (en)."""
    v = _finite(metres)
    if v is None:
        return DASH
    if v < 1000:
        return f"{number(v, 0, language)} m"
    return f"{number(v / 1000.0, 1, language)} km"


def date_long(day: date, language: str = "nl") -> str:
    """``1 december 2026`` / ``1 December 2026``."""
    return str(format_date(day, format="long", locale=_LOCALES[check_language(language)]))
