from sqlalchemy import inspect

from observatory.db import make_engine
from observatory.registry.migrate import current_revision
from observatory.registry.models import Base
from observatory.registry.setup import init_database


def test_init_migrates_to_head_and_is_idempotent(empty_engine_url: str) -> None:
    engine = make_engine(empty_engine_url)
    first = init_database(engine)
    assert first.counts["regions"].inserted == 43
    second = init_database(engine)
    assert sum(c.inserted + c.updated for c in second.counts.values()) == 0
    assert current_revision(engine) is not None
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrated_schema_matches_the_models(engine) -> None:
    """Autogenerate finds nothing to add: migrations and models agree on both backends."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sqlite_pragmas(sqlite_engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
