"""Exceptions of almere_gis, defined in one place, as a tree a caller can catch by branch.

Every exception derives from :class:`AlmereGisError` *and* from a built-in (``ValueError``,
``OSError``, ``RuntimeError``), so callers can catch it without importing ours. A message says
what failed, why, and how to fix it; the command line prints it as one plain line.

::

    AlmereGisError
    ├── InputError (ValueError)          an input file cannot be used
    │   ├── FileFormatError              not the format its name says (HTML, XLSX, binary, ...)
    │   ├── SchemaError                  required columns missing, wrong layer, duplicate codes
    │   ├── CRSError                     no CRS, or coordinates that do not fit the CRS
    │   └── StudyAreaError               the inputs do not overlap (all points outside, ...)
    ├── ConfigError (ValueError)         a setting is wrong (key, value, allowed range)
    │   └── PrivacyError                 a setting would weaken the privacy rule
    ├── FetchError (OSError)             a download failed
    ├── RunLockedError (OSError)         another run is writing the same output folder
    └── AccountingError (RuntimeError)   records were lost: a bug, never a user error
"""

from __future__ import annotations

__all__ = [
    "AccountingError",
    "AlmereGisError",
    "ConfigError",
    "CRSError",
    "FetchError",
    "FileFormatError",
    "InputError",
    "PrivacyError",
    "RunLockedError",
    "SchemaError",
    "StudyAreaError",
    "ValidationReport",
]

from dataclasses import dataclass, field


class AlmereGisError(Exception):
    """Base of every error the package raises on purpose (a user can act on its message)."""


class InputError(AlmereGisError, ValueError):
    """An input file cannot be used: names the file, the problem and the fix."""

    def __init__(self, path: object, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: {problem}. Fix: {fix}")


class FileFormatError(InputError):
    """The file is not what its name says (an HTML page, a spreadsheet or binary as .csv)."""


class SchemaError(InputError):
    """The file lacks required columns or layers, or its codes are missing or duplicated."""


class CRSError(InputError):
    """The file has no coordinate reference system, or its coordinates do not fit the one given."""


class StudyAreaError(InputError):
    """The inputs do not overlap: e.g. every business lies outside every buurt."""


class ConfigError(AlmereGisError, ValueError):
    """A settings file or value is wrong; the message names the key, the value and the fix."""


class PrivacyError(ConfigError):
    """A setting would publish aggregates of fewer establishments than the privacy rule allows."""


class FetchError(AlmereGisError, OSError):
    """A download failed (offline, HTTP error status, broken response): says what and the fix."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message)


class RunLockedError(AlmereGisError, OSError):
    """Another run holds the lock of the same output folder."""


class AccountingError(AlmereGisError, RuntimeError):
    """Records were lost: input rows != joined + outside + rejected (a bug, never user data)."""


@dataclass
class ValidationReport:
    """Every problem found in one input file, with 1-based data row numbers.

    ``problems`` holds ``(row, column, reason)``; ``row`` is None for file-level problems.
    """

    path: str
    problems: list[tuple[int | None, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def lines(self) -> list[str]:
        """One line per problem: ``<file>: row <n>, column '<c>': <reason>``."""
        out = []
        for row, column, reason in self.problems:
            where = f"row {row}" if row is not None else "file"
            col = f", column '{column}'" if column else ""
            out.append(f"{self.path}: {where}{col}: {reason}")
        return out
