"""Refuse, while the suite runs, any file opened from a ``shared`` folder beside the clone.

A user's clone has no such folder: only the team's machines and CI lay one there. A test or a
module that reads it passes here and fails for everybody else, so such a read raises at once,
in the test that made it. (Python audit hooks see every ``open``; they cannot be removed, which
is what we want for the whole session.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
BESIDE = os.path.realpath(PROJECT.parent / "shared")


class SharedFolderRead(RuntimeError):
    """Raised when the suite opens a file from the folder beside the clone."""


def _guard(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not args or not isinstance(args[0], str | bytes | os.PathLike):
        return
    name = os.fsdecode(args[0])
    if "shared" not in name:  # cheap test first: every open passes here
        return
    real = os.path.realpath(name)
    if real == BESIDE or real.startswith(BESIDE + os.sep):
        raise SharedFolderRead(
            f"{name}: read from the folder beside the clone, which a user's clone does not have; "
            "copy the file into tests/data with its licence"
        )


def install() -> None:
    """Install the guard for the rest of the process (once)."""
    if not getattr(sys, "_observatory_shared_guard", False):
        sys.addaudithook(_guard)
        sys._observatory_shared_guard = True  # type: ignore[attr-defined]
