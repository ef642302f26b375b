"""The one text catalogue: every user-facing sentence of the package, in Dutch and English.

Texts live in TOML files in this folder, one file per room of the house (``cli.toml``,
``map.toml``, ``validation.toml``, ...), with both languages side by side so that a missing
translation is visible where it is written::

    [title]
    nl = "Kleinschalige economie in {place}"
    en = "Small-scale economy in {place}"

The key of that entry in ``map.toml`` is ``"map.title"``; nested tables give dotted keys
(``[layer.buurten]`` -> ``"map.layer.buurten"``). Fields in braces are filled with
:meth:`str.format`. A test checks that every key has both languages with the same fields.

Numbers, percentages, dates and distances are formatted for the language with babel:
see :mod:`almere_gis.texts.format`.

Examples
--------
>>> text("common.yes", "nl"), text("common.yes", "en")
('ja', 'yes')
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "Language", "catalogue", "check_language", "text"]

import string
import tomllib
from functools import cache
from importlib import resources
from typing import Any, Literal

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")


def check_language(language: str) -> Language:
    """``language`` as a :data:`Language`, or a ConfigError naming the allowed values."""
    if language not in LANGUAGES:
        from .._errors import ConfigError

        raise ConfigError(
            f"language {language!r} is not one of {', '.join(LANGUAGES)}. Fix: use nl or en."
        )
    return language


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, dict[str, str]]) -> None:
    if set(table) & set(LANGUAGES):
        extra = set(table) - set(LANGUAGES)
        if extra:
            raise ValueError(f"text {prefix!r} mixes languages with sub-keys {sorted(extra)}")
        out[prefix] = {lang: str(value) for lang, value in table.items()}
        return
    for key, value in table.items():
        if not isinstance(value, dict):
            raise ValueError(f"text {prefix}.{key} must be a table with nl and en")
        _flatten(f"{prefix}.{key}", value, out)


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every text: ``{key: {"nl": ..., "en": ...}}``, read once from the TOML files."""
    out: dict[str, dict[str, str]] = {}
    folder = resources.files(__name__)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        room = entry.name.removesuffix(".toml")
        _flatten(room, tomllib.loads(entry.read_text(encoding="utf-8")), out)
    return out


def fields(template: str) -> set[str]:
    """The ``{field}`` names of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def text(key: str, language: str, /, **values: Any) -> str:
    """The text ``key`` in ``language``, with ``{fields}`` filled from ``values``.

    Raises
    ------
    KeyError
        For an unknown key (a bug: every key used in the code must be in the catalogue).
    """
    entry = catalogue()[key]
    template = entry[check_language(language)]
    return template.format(**values) if values else template
