"""How a settings error is explained: the key, the value given and what is allowed.

Turns pydantic's validation errors into the one-line messages of
:class:`~almere_gis._errors.ConfigError` (used by :mod:`almere_gis.settings`).
"""

from __future__ import annotations

__all__ = ["did_you_mean", "explain"]

import dataclasses
import difflib
import typing
from typing import Annotated, Any

from pydantic import ValidationError


def did_you_mean(value: str, options: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options``, or ""."""
    close = difflib.get_close_matches(value, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _loc(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
        elif not str(item).startswith(("function-", "tagged-union")):
            parts.append(str(item))
    return ".".join(parts)


def _bounds(loc: tuple[Any, ...], root: type) -> str:
    """The allowed range of the numeric setting at ``loc``, e.g. "5 to 1000", or ""."""
    cls: Any = root
    hint: Any = None
    for item in loc:
        if isinstance(item, int) or not dataclasses.is_dataclass(cls):
            continue
        hints = typing.get_type_hints(cls, include_extras=True)
        if item not in hints:
            return ""
        hint = hints[item]
        inner = typing.get_args(hint)[0] if typing.get_origin(hint) is Annotated else hint
        cls = inner
    lo = hi = None
    for meta in typing.get_args(hint)[1:] if typing.get_origin(hint) is Annotated else ():
        for m in getattr(meta, "metadata", []):
            lo = getattr(m, "ge", getattr(m, "gt", lo))
            hi = getattr(m, "le", hi)
    if lo is None and hi is None:
        return ""
    return f"{lo:g} to {hi:g}" if lo is not None and hi is not None else f"from {lo:g}"


_TYPES = {
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "tuple_type": "must be a list",
    "dataclass_type": "must be a table",
}


def _problem(err: Any, key: str, root: type) -> str:
    given = err.get("input")
    kind = err["type"]
    message = str(err["msg"]).replace("Input should be", "must be").replace("Value error, ", "")
    if kind == "unexpected_keyword_argument":
        return (
            f"unknown setting '{key}'. Fix: remove it or check its spelling against "
            "`almere-gis init-config`"
        )
    if kind == "missing_argument":
        return f"missing setting '{key}'. Fix: add it"
    if kind in _TYPES:
        return f"'{key}' {_TYPES[kind]}, got {given!r}"
    if kind == "literal_error":
        options = [
            o.strip(" '") for o in str(err["ctx"]["expected"]).replace(" or ", ", ").split(",")
        ]
        return f"{key} = {given!r} is not one of {', '.join(options)}" + did_you_mean(
            str(given), options
        )
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        allowed = _bounds(err["loc"], root)
        return f"{key} = {given!r} is out of range ({message}" + (
            f"; allowed {allowed})" if allowed else ")"
        )
    if not isinstance(given, str | int | float | list | tuple):
        return f"{key}: {message}" if key else message
    return (
        f"{key} = {given!r} {message}"
        if message.startswith("is ")
        else f"{key} = {given!r}: {message}"
    )


def explain(exc: ValidationError, where: str, *, root: type, prefix: str = "") -> str:
    """One clause per problem of ``exc``: the key, the value given, and what is allowed.

    ``root`` is the settings class the keys start from (for the allowed ranges); ``prefix``
    the section when a single section was validated.
    """
    lines = []
    for err in exc.errors(include_url=False):
        key = ".".join(p for p in (prefix, _loc(err["loc"])) if p)
        lines.append(_problem(err, key, root))
    return f"{where}: " + "; ".join(lines) + "."
