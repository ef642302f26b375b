"""The house limits (``scripts/house_limits.py``): 600 lines per module, 60 per function."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def limits() -> ModuleType:
    spec = importlib.util.spec_from_file_location("house_limits", ROOT / "scripts/house_limits.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["house_limits"] = module
    spec.loader.exec_module(module)
    return module


def test_the_package_keeps_the_limits(limits: ModuleType) -> None:
    over = limits.breaches(ROOT / "almere_gis")
    assert not over, "\n".join(map(str, over))


def test_lines_of_code_leave_out_docstrings_comments_and_blank_lines(
    limits: ModuleType, tmp_path: Path
) -> None:
    source = textwrap.dedent(
        '''
        def f(x):
            """A docstring
            of three lines.
            """
            # a comment

            y = (x +
                 1)  # two lines of code
            return y
        '''
    )
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    module, functions = limits.measure_file(path, "m.py")
    assert module.lines == len(source.splitlines())
    assert [(f.name, f.lines) for f in functions] == [("f", 4)]  # def, y = (x +, 1), return
    long = "def g():\n" + "".join(f"    a{i} = {i}\n" for i in range(61))
    path.write_text(long, encoding="utf-8")
    assert limits.measure_file(path, "almere_gis/x.py")[1][0].lines == 62
