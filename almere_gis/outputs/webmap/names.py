"""Names of things the map shows, each read in one place from the text catalogue.

Criterion names and units belong to the sites room (``texts/sites.toml``:
``sites.criterion.<key>.name`` / ``.unit``); :func:`criterion_text` reads them there and falls
back to this room's copy (``map.criterion.<key>``) while that file does not carry them.
"""

from __future__ import annotations

__all__ = ["area_type_name", "criterion_text", "site_type_name", "subset_name"]

from ...settings import Settings
from ...texts import catalogue, text

_ROOMS = ("sites", "map")  # where a criterion's texts are looked up, in this order


def criterion_text(key: str, part: str, language: str) -> str:
    """``part`` (``name``, ``unit`` or ``description``) of criterion ``key``; the key if none."""
    entries = catalogue()
    for room in _ROOMS:
        entry = f"{room}.criterion.{key}.{part}"
        if entry in entries:
            return text(entry, language)
    return key.replace("_", " ") if part == "name" else ""


def _lookup(prefix: str, key: str, language: str) -> str | None:
    entry = f"map.{prefix}.{key}"
    return text(entry, language) if entry in catalogue() else None


def site_type_name(key: str, language: str) -> str:
    """A candidate's ``site_type`` in words (unknown types with spaces for underscores)."""
    return _lookup("site_type", key, language) or key.replace("_", " ")


def area_type_name(key: str, language: str) -> str:
    """A buurt's ``area_type`` (typology) in words."""
    return _lookup("area_type", key, language) or key


def subset_name(key: str, language: str, settings: Settings) -> str:
    """Which establishments a density surface counts: a subset or a sector group."""
    found = _lookup("subset", key, language)
    if found:
        return found
    for group in settings.classification.sector_groups:
        if group.key == key:
            return (group.label_en if language == "en" else group.label_nl).lower()
    return key.replace("_", " ")
