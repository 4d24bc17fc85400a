"""Locate the read-only reference data in ``../shared`` (never copied into the project).

A test that needs it and does not find it fails in CI (``CI=true``) and skips elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_DEFAULT = Path(__file__).resolve().parents[2] / "shared"
SHARED_DIR = Path(os.environ.get("OBSERVATORY_SHARED_DIR", _DEFAULT))


def shared_path(relative: str) -> Path:
    """Return ``../shared/<relative>``; fail in CI or skip locally when it is missing."""
    path = SHARED_DIR / relative
    if not path.exists():
        reason = f"shared reference data not found: {path}"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(reason)
        pytest.skip(reason)
    return path
