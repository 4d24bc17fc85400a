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


def test_0004_records_the_mother_fund_link_it_used_to_infer(engine) -> None:
    """Down to 0003 and up again on both backends: the upgrade sets lp_fund_id on guidance
    commitments to sub-funds only, and the downgrade leaves a working 0003 schema."""
    from alembic import command
    from sqlalchemy import text

    from observatory.registry.migrate import alembic_config, upgrade_to_head

    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0003_web_accounts")
    assert current_revision(engine) == "0003_web_accounts"
    assert "organisation_facts" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO funds (id, code, name_zh, kind, level, parent_fund_id, vintage, "
            "size_yuan) VALUES (1, 'M', '母基金', 'mother', 'city', NULL, 2015, 100), "
            "(2, 'S', '子基金', 'sub', 'city', 1, 2016, 50), "
            "(3, 'D', '直投基金', 'direct', 'city', NULL, 2016, 50)"))
        conn.execute(text(
            "INSERT INTO fund_commitments (id, code, fund_id, lp_name, lp_type, amount_yuan, "
            "committed_on) VALUES "
            "(1, 'C1', 1, '财政局', 'fiscal', 100, '2015-03-01'), "
            "(2, 'C2', 2, '母基金', 'guidance_fund', 15, '2016-03-01'), "
            "(3, 'C3', 2, '银行', 'financial_institution', 35, '2016-03-01'), "
            "(4, 'C4', 3, '省引导基金', 'guidance_fund', 10, '2016-03-01')"))
    upgrade_to_head(engine)
    with engine.connect() as conn:
        links = dict(conn.execute(text("SELECT code, lp_fund_id FROM fund_commitments")).all())
    # only the sub-fund's guidance money had a mother to come from
    assert links == {"C1": None, "C2": 1, "C3": None, "C4": None}
