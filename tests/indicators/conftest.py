"""The example city, generated once per session into a file that tests only read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from observatory.db import make_engine
from observatory.examples.generator import generate_city


@pytest.fixture(scope="session")
def city_path(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example city at scale 1, seed 42 (about 12 s on SQLite, once per session)."""
    path = tmp_path_factory.mktemp("city") / "city.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    generate_city(engine, seed=42)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def city(city_path: Path) -> Engine:
    """Read-only engine on the example city (tests must not write to it)."""
    engine = make_engine(f"sqlite:///{city_path}")
    yield engine
    engine.dispose()
