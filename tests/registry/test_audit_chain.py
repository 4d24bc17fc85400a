"""The audit log's hash chain: intact chains verify, an edited record breaks at itself, a
deleted one at the next, concurrent writers never fork it, and 0005 chains existing records."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.registry import models as m
from observatory.registry.audit import GENESIS, record_change, record_hash, verify_chain
from observatory.registry.importer import import_path
from tests.registry.builders import org_rows, to_csv

runner = CliRunner()


def _write_some(engine: Engine, tmp_path: Path) -> list[int]:
    """An import (bulk audit rows) and a few interactive edits; the ids written."""
    path = tmp_path / "orgs.csv"
    path.write_text(to_csv(org_rows(4)), encoding="utf-8")
    import_path(engine, path, "organisations")
    for i in range(3):
        with Session(engine) as session, session.begin():
            record_change(session, actor="tester", entity="organisations", entity_key=f"k{i}",
                          action="update", before={"name": "旧", "n": i},
                          after={"name": "新", "n": i + 1, "ratio": 0.1 * i})
    with engine.connect() as conn:
        return list(conn.scalars(select(m.AuditLog.id).order_by(m.AuditLog.id)))


def _verify(engine: Engine):
    with engine.connect() as conn:
        return verify_chain(conn)


def _cli(engine: Engine):
    return runner.invoke(app, ["audit", "verify", "--format", "json", "--database-url",
                               engine.url.render_as_string(hide_password=False)])


def test_intact_chain_verifies(engine: Engine, tmp_path: Path) -> None:
    ids = _write_some(engine, tmp_path)
    report = _verify(engine)
    assert report.intact and report.records == len(ids) and report.head_id == ids[-1]
    with Session(engine) as session:
        first, last = (session.get(m.AuditLog, ids[0]), session.get(m.AuditLog, ids[-1]))
        assert first is not None and last is not None
        assert first.prev_hash == GENESIS and report.head_hash == last.hash
        assert last.hash == record_hash(last.prev_hash, {
            "at": last.at, "actor": last.actor, "entity": last.entity,
            "entity_key": last.entity_key, "action": last.action, "before": last.before,
            "after": last.after, "operation": last.operation})
    result = _cli(engine)
    assert result.exit_code == 0, result.output
    assert '"status": "intact"' in result.output and last.hash in result.output


def test_an_edited_record_breaks_the_chain_at_itself(engine: Engine, tmp_path: Path) -> None:
    ids = _write_some(engine, tmp_path)
    target = ids[len(ids) // 2]
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = :id"),
                     {"id": target})
    report = _verify(engine)
    assert (report.broken_id, report.field) == (target, "hash")
    assert report.records == ids.index(target)
    result = _cli(engine)
    assert result.exit_code == 1
    assert f"broken at record {target}" in result.output and "审计链" in result.output
    assert report.expected in result.output and report.found in result.output


def test_an_edited_json_value_breaks_the_chain(engine: Engine, tmp_path: Path) -> None:
    ids = _write_some(engine, tmp_path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET after = :after WHERE id = :id"),
                     {"after": '{"name": "新", "n": 99, "ratio": 0.2}', "id": ids[-1]})
    assert _verify(engine).broken_id == ids[-1]


def test_a_deleted_record_breaks_the_chain_at_the_next(engine: Engine, tmp_path: Path) -> None:
    ids = _write_some(engine, tmp_path)
    gone = ids[len(ids) // 2]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": gone})
    report = _verify(engine)
    following = ids[ids.index(gone) + 1]
    assert (report.broken_id, report.field) == (following, "prev_hash")
    result = _cli(engine)
    assert result.exit_code == 1 and f"record {following}" in result.output


def test_deleting_the_first_record_shows(engine: Engine, tmp_path: Path) -> None:
    ids = _write_some(engine, tmp_path)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[0]})
    assert _verify(engine).broken_id == ids[1]


def test_concurrent_writers_do_not_fork_the_chain(engine: Engine) -> None:
    """Eight threads, each writing 15 one-record transactions at once: one chain."""
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with Session(engine) as session, session.begin():
                    record_change(session, actor=f"w{n}", entity="organisations",
                                  entity_key=f"{n}-{i}", action="update", before=None,
                                  after={"i": i})
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    with engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(m.AuditLog))
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = _verify(engine)
    assert report.intact and report.records == before + 120
    with engine.connect() as conn:
        forks = conn.scalar(text("SELECT count(*) - count(DISTINCT prev_hash) FROM audit_log"))
    assert forks == 0


def test_cli_refuses_an_unmigrated_database_with_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "--database-url",
                                 f"sqlite:///{tmp_path / 'empty.db'}"])
    assert result.exit_code == 2
    assert "observatory init" in result.output and "审计日志" in result.output


def test_0005_chains_the_records_written_before_it(engine: Engine) -> None:
    """Down to 0004 (no hash columns), write records as the old code did, up again: the
    upgrade hashes them in id order and the chain verifies; new records extend it."""
    from alembic import command

    from observatory.registry.migrate import alembic_config, current_revision, upgrade_to_head

    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0004_eligibility_inputs")
    assert current_revision(engine) == "0004_eligibility_inputs"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_log (at, actor, entity, entity_key, action, before, after, "
            "operation) VALUES ('2024-03-01 08:00:00', 'old', 'funds', 'F1', 'insert', NULL, "
            "'{\"size\": \"100.00\"}', 'legacy'), ('2024-03-02 09:30:00', 'old', 'funds', "
            "'F1', 'update', '{\"size\": \"100.00\"}', '{\"size\": \"120.00\"}', NULL)"))
        total = conn.scalar(text("SELECT count(*) FROM audit_log"))
    upgrade_to_head(engine)
    report = _verify(engine)
    assert report.intact and report.records == total
    with Session(engine) as session, session.begin():
        record_change(session, actor="new", entity="funds", entity_key="F1", action="update",
                      before={"size": "120.00"}, after={"size": "130.00"})
    assert _verify(engine).intact and _verify(engine).records == total + 1


def test_values_json_changes_on_the_way_in_still_verify(engine: Engine) -> None:
    """Tuples, integer keys and NaN come back from the database as lists, text keys and text:
    the hash is taken over what is stored, so the chain still verifies on reading."""
    with Session(engine) as session, session.begin():
        record_change(session, actor="t", entity="funds", entity_key="F", action="update",
                      before={"pair": (1, 2), "nested": {3: "x"}},
                      after={"irr": float("nan"), "big": float("inf"), "n": 1.25})
    assert _verify(engine).intact
    with Session(engine) as session:
        last = session.scalars(select(m.AuditLog).order_by(m.AuditLog.id.desc())).first()
        assert last is not None
        assert last.before == {"pair": [1, 2], "nested": {"3": "x"}}
        assert last.after == {"irr": "NaN", "big": "Infinity", "n": 1.25}


def test_a_time_given_in_another_zone_still_verifies(engine: Engine) -> None:
    """SQLite drops a time's offset: the writer stores UTC, so the hash reads the same time."""
    from observatory.registry.audit import append_records

    beijing = dt.timezone(dt.timedelta(hours=8))
    with Session(engine) as session, session.begin():
        append_records(session.connection(), [
            {"entity": "funds", "entity_key": "F", "action": "insert", "before": None,
             "after": {"size": "1.00"}}], actor="t", operation="zone",
            at=dt.datetime(2024, 5, 1, 9, 30, tzinfo=beijing))
    assert _verify(engine).intact
