"""The text catalogue: both languages for every key, with the same fields."""

from __future__ import annotations

import pytest

from almere_gis.texts import LANGUAGES, catalogue, fields, text
from almere_gis.texts.format import count, distance, number, percent


def test_every_key_has_both_languages_with_the_same_fields() -> None:
    entries = catalogue()
    assert entries, "the catalogue is empty"
    for key, by_language in entries.items():
        assert set(by_language) == set(LANGUAGES), key
        assert len({frozenset(fields(t)) for t in by_language.values()}) == 1, key
        assert all(t.strip() for t in by_language.values()), key


def test_unknown_language_is_refused() -> None:
    from almere_gis._errors import ConfigError

    with pytest.raises(ConfigError, match="'de' is not one of nl, en"):
        text("common.yes", "de")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", ["1.234,5", "43,1 %", "2,5 km", "< 5", "12"]),
        ("en", ["1,234.5", "43.1 %", "2.5 km", "< 5", "12"]),
    ],
)
def test_formatters(language: str, expected: list[str]) -> None:
    got = [
        number(1234.5, 1, language),
        percent(0.4312, 1, language),
        distance(2500, language),
        count(3, 5, language),
        count(12, 5, language),
    ]
    assert got == expected


def test_missing_values_are_a_dash() -> None:
    assert number(float("nan")) == "\u2013"
    assert percent(None) == "\u2013"
