"""Exceptions of almere_gis, defined in one place.

Every exception subclasses a built-in so callers can catch it without importing ours.
Messages say what failed, why, and how to fix it.
"""

from __future__ import annotations

__all__ = ["AccountingError", "ConfigError", "FetchError", "InputError", "ValidationReport"]

from dataclasses import dataclass, field


class InputError(ValueError):
    """An input file cannot be used: names the file, the problem and the fix."""

    def __init__(self, path: object, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: {problem}. Fix: {fix}")


class ConfigError(ValueError):
    """A settings file or value is wrong."""


class FetchError(OSError):
    """A download failed (offline, HTTP error status, broken response): says what and the fix."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message)


class AccountingError(RuntimeError):
    """Records were lost: input rows != joined + outside + rejected."""


@dataclass
class ValidationReport:
    """Every problem found in one input file, with 1-based data row numbers.

    ``problems`` holds ``(row, column, reason)``; ``row`` is None for file-level problems.
    """

    path: str
    problems: list[tuple[int | None, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = []
        for row, column, reason in self.problems:
            where = f"row {row}" if row is not None else "file"
            col = f", column '{column}'" if column else ""
            out.append(f"{self.path}: {where}{col}: {reason}")
        return out
