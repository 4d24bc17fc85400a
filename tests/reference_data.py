"""Locate the reference data the project carries in ``tests/data`` (each set with its licence).

The published results our methods are checked against (COINr, Open SDG Canada, Destatis, the
China provincial statistics, CSL, Tatoeba) live inside the repository, so a bare clone runs every
validation. A missing file is a broken checkout, never a reason to skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parent / "data"


def reference_path(relative: str) -> Path:
    """Return ``tests/data/<relative>``; fail the test when it is missing."""
    path = DATA_DIR / relative
    if not path.exists():
        pytest.fail(f"reference data missing from the checkout: {path}")
    return path
