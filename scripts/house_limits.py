"""The house limits: no module above 600 lines, no function above 60 lines of code.

Prints the largest module and the longest function of the package (and every one over a
limit), and exits with status 1 when a file that is not exempt breaks a limit. A function's
lines of code are its lines without the docstring, blank lines and comment-only lines.

    python scripts/house_limits.py [--root almere_gis]

``tests/test_house_limits.py`` runs the same check.
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60

# Files (or single functions, "path::name") that other rooms are splitting now; they may
# exceed the limits until then. Remove a line when its file or function is split.
EXEMPT = {
    "almere_gis/io/validate.py": "INPUTS room: one validation collector for every input kind",
    "almere_gis/io/fetch.py": "INPUTS room: downloads being reorganised",
    "almere_gis/io/candidates.py::load_candidates": "INPUTS room: moving to the one collector",
    "almere_gis/analysis/hexgrid.py::hex_counts": "SCALE room: 63 lines, within the '~60'",
    "almere_gis/analysis/density.py::kde": "SCALE room: 62 lines, within the '~60'",
}


@dataclass(frozen=True)
class Measure:
    """One module's or function's size."""

    path: str
    name: str
    lines: int
    first_line: int = 1

    @property
    def exemption(self) -> str | None:
        """Why this module or function may exceed its limit for now, or None."""
        return EXEMPT.get(f"{self.path}::{self.name}") or EXEMPT.get(self.path)

    def __str__(self) -> str:
        where = f"{self.path}:{self.first_line}"
        return f"{self.lines:5d}  {where}" + (f"  {self.name}" if self.name else "")


def _code_lines(source: str) -> set[int]:
    """Line numbers that hold code: not blank, not only a comment."""
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.ENDMARKER,
        ):
            continue
        lines.update(range(tok.start[0], tok.end[0] + 1))
    return lines


def _docstring_lines(node: ast.AST) -> set[int]:
    body = getattr(node, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        first = body[0]
        return set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return set()


def measure_file(path: Path, relative: str) -> tuple[Measure, list[Measure]]:
    """The module's physical lines, and the lines of code of each function in it."""
    source = path.read_text(encoding="utf-8")
    module = Measure(relative, "", len(source.splitlines()))
    code = _code_lines(source)
    functions: list[Measure] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            span = set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
            n = len((span & code) - _docstring_lines(node))
            functions.append(Measure(relative, node.name, n, node.lineno))
    return module, functions


def measure(root: Path) -> tuple[list[Measure], list[Measure]]:
    """Every module and function below ``root``, largest first."""
    modules: list[Measure] = []
    functions: list[Measure] = []
    base = root.resolve().parent
    for path in sorted(root.rglob("*.py")):
        module, funcs = measure_file(path, path.resolve().relative_to(base).as_posix())
        modules.append(module)
        functions.extend(funcs)
    modules.sort(key=lambda m: -m.lines)
    functions.sort(key=lambda f: -f.lines)
    return modules, functions


def breaches(root: Path) -> list[Measure]:
    """Modules and functions over the limits in files that are not exempt."""
    modules, functions = measure(root)
    over = [m for m in modules if m.lines > MAX_MODULE_LINES]
    over += [f for f in functions if f.lines > MAX_FUNCTION_LINES]
    return [m for m in over if m.exemption is None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).parent.parent / "almere_gis")
    args = parser.parse_args(argv)
    modules, functions = measure(args.root)
    print(f"largest module   (limit {MAX_MODULE_LINES} lines):")
    print(f"  {modules[0]}")
    print(f"longest function (limit {MAX_FUNCTION_LINES} lines of code):")
    print(f"  {functions[0]}")
    over = [m for m in modules if m.lines > MAX_MODULE_LINES]
    over += [f for f in functions if f.lines > MAX_FUNCTION_LINES]
    if over:
        print("over a limit:")
        for m in over:
            note = f"  [exempt: {m.exemption}]" if m.exemption else ""
            print(f"  {m}{note}")
    stale = sorted(set(EXEMPT) - {m.path for m in over} - {f"{m.path}::{m.name}" for m in over})
    if stale:
        print("exemptions no longer needed (remove them): " + ", ".join(stale))
    failing = breaches(args.root)
    print(f"{len(failing)} outside the exemptions")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
