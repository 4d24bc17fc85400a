"""The project carries what its tests and benchmarks read: nothing points beside the clone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.no_shared_reads import BESIDE, SharedFolderRead
from tests.reference_data import DATA_DIR

ROOT = Path(__file__).resolve().parents[1]
# Built from pieces so that this file does not match itself.
SIBLING = re.compile(r"\.\./" + "shared" + r"|parents\[2\]\s*/\s*[\"']" + "shared")
SCANNED = ("src", "tests", "bench", "scripts", ".ci")


def _text_files() -> list[Path]:
    files = [ROOT / "Makefile", ROOT / "pyproject.toml"]
    for top in SCANNED:
        for path in (ROOT / top).rglob("*"):
            kept = path.suffix in {".py", ".sh", ".yaml", ".yml", ".toml", ""}
            if kept and path.is_file() and DATA_DIR not in path.parents:
                files.append(path)
    return files


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def test_no_code_points_at_the_folder_beside_the_clone() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _text_files()
        for n, line in enumerate(_lines(path), 1)
        if SIBLING.search(line)
    ]
    assert offenders == []


def test_a_read_beside_the_clone_fails_the_test_that_makes_it(tmp_path: Path) -> None:
    with pytest.raises(SharedFolderRead, match="tests/data"):
        open(Path(BESIDE) / "DESIGN.md", encoding="utf-8")  # noqa: SIM115


def test_every_reference_set_names_its_source_and_licence() -> None:
    sets = [p for p in DATA_DIR.iterdir() if p.is_dir()]
    assert {p.name for p in sets} >= {
        "china_innovation_stats", "composite_index_validation", "matching_eval",
        "progress_validation",
    }
    for folder in sets:
        notice = (folder / "README.md").read_text(encoding="utf-8")
        assert "Source" in notice and "Licence" in notice, folder
    size = sum(p.stat().st_size for p in DATA_DIR.rglob("*") if p.is_file())
    assert size < 15_000_000, f"reference data is {size / 1e6:.1f} MB"
