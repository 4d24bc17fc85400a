"""House rules that a reviewer would otherwise have to remember: short functions, no city."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "observatory"
MAX_LINES = 80
# The example city's region and key plan may appear in its own package and in reference data
# (the GB/T 2260 code list), nowhere else in the product.
CITY = re.compile(r"370200|DOUBLE5-2028")
CITY_ALLOWED = (SRC / "examples", SRC / "registry" / "data")


def _modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_no_function_over_80_lines() -> None:
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_LINES:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({lines})")
    assert long == []


def test_nothing_about_the_example_city_outside_its_package() -> None:
    found = []
    for path in SRC.rglob("*"):
        if not path.is_file() or path.suffix not in {".py", ".yaml", ".yml", ".html", ".toml"}:
            continue
        if any(base in path.parents for base in CITY_ALLOWED):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if CITY.search(line):
                found.append(f"{path.relative_to(SRC)}:{n}")
    assert found == []
