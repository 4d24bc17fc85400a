"""The example city for the indicator tests: the session's one generated copy (tests/conftest.py),
which these tests only read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from observatory.db import make_engine


@pytest.fixture(scope="session")
def city_path(example_city_path: Path) -> Path:
    """The example city at scale 1, seed 42: the file every other suite reads too (generating
    it a second time cost a full generation per run)."""
    return example_city_path


@pytest.fixture(scope="session")
def city(city_path: Path) -> Iterator[Engine]:
    """Read-only engine on the example city (tests must not write to it)."""
    engine = make_engine(f"sqlite:///{city_path}")
    yield engine
    engine.dispose()
