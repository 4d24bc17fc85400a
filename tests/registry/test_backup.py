"""Backup and restore: every table comes back exactly, on both backends and across them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import uuid
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from observatory.db import make_engine
from observatory.registry import models as m
from observatory.registry.audit import record_change
from observatory.registry.backup import (
    BackupError,
    backup_database,
    code_revision,
    column_kind,
    restore_database,
)
from observatory.services.auth import create_api_token, create_user, start_session
from observatory.services.tables import ApiToken, ImportRun, WebSession
from tests.conftest import _admin_engine, _drop_database, copy_example_city

#: Tables the issue names: each must hold rows in the source and come back.
CARRIED = ("web_users", "web_api_tokens", "web_sessions", "web_import_runs", "matches",
           "match_events", "audit_log", "alembic_version", "regions", "organisations")


def populate(engine: Engine) -> None:
    """Rows in every kind of table: accounts, a token, a session, an import run, an audit row,
    a match with its event, and values of every column kind (JSON, bytes, decimals, times)."""
    with Session(engine) as session, session.begin():
        region = session.scalars(sa.select(m.Region.code).order_by(m.Region.code)).first()
        org = m.Organisation(uscc="91370212MA3C000001", name_zh="测试企业", name_en="Test Co",
                             kind="enterprise", region_code=region, founded_on=dt.date(2015, 3, 1),
                             employees=12)
        session.add(org)
        session.flush()
        demand = m.Demand(code="D-1", title_zh="需求", field_code="ai",
                          owner_organisation_id=org.id, published_on=dt.date(2024, 5, 1))
        achievement = m.Achievement(code="A-1", title_zh="成果", field_code="ai",
                                    asking_price_yuan=Decimal("1234567.89"))
        session.add_all([demand, achievement])
        session.flush()
        match = m.Match(code="M-1", demand_id=demand.id, achievement_id=achievement.id,
                        status="contacted", score=0.8125,
                        explanation={"terms": ["电池", "AI"], "weight": 0.5, "none": None},
                        proposed_on=dt.date(2024, 6, 1))
        session.add(match)
        session.flush()
        session.add(m.MatchEvent(match_id=match.id, on=dt.date(2024, 6, 2), actor="broker",
                                 from_status="proposed", to_status="contacted", note="电话"))
        user = create_user(session, "alice", "a long enough password", "enterprise",
                           organisation_id=org.id)
        user_id = user.id
        session.add(ImportRun(at=dt.datetime(2024, 7, 1, 8, 30, 15, 123456, tzinfo=dt.UTC),
                              actor="alice", filename="orgs.csv", entity="organisations",
                              status="invalid", payload=b"\x00\xffuscc,name\n",
                              errors=[{"row": 2, "reason": "坏"}], counts=None))
        record_change(session, actor="alice", entity="organisations", entity_key=org.uscc,
                      action="update", before={"employees": 10}, after={"employees": 12})
    create_api_token(engine, user_id, "script")
    start_session(engine, user_id)


def table_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, all columns, ordered by primary key (JSON compared as parsed)."""
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(row) for row in
                               conn.execute(sa.select(table).order_by(*order))]
    return out


def sqlite_raw(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every SQLite table as stored: values and their storage classes, byte for byte."""
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        out = {}
        for name in names:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
            typed = ", ".join(f'"{c}", typeof("{c}")' for c in columns)
            order = ", ".join(str(i) for i in range(1, 2 * len(columns) + 1))
            # sorted by every value and its storage class, in SQLite: 1 and 1.0 stay apart
            out[name] = conn.execute(f'SELECT {typed} FROM "{name}" ORDER BY {order}').fetchall()
    return out


@pytest.fixture
def empty_url(engine: Engine, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database (no tables) on the same backend as ``engine``."""
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    yield from _empty_postgres(request)


def _empty_postgres(request: pytest.FixtureRequest) -> Iterator[str]:
    admin_url = request.getfixturevalue("postgres_admin_url")
    admin = _admin_engine(admin_url)
    name = f"obs_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    _drop_database(admin, name)
    admin.dispose()


@pytest.fixture
def empty_postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _empty_postgres(request)


def test_backup_restore_reproduces_every_table(engine: Engine, empty_url: str,
                                               tmp_path: Path) -> None:
    populate(engine)
    before = table_rows(engine)
    assert all(before[name] for name in CARRIED)
    file = tmp_path / "backup.zip"
    written = backup_database(engine, file)
    assert {t.name for t in written.tables} == set(before)
    target = make_engine(empty_url)
    try:
        restored = restore_database(target, file)
        assert restored.rows == sum(len(rows) for rows in before.values())
        assert table_rows(target) == before
    finally:
        target.dispose()


def test_restored_ids_continue_after_the_largest(engine: Engine, empty_url: str,
                                                 tmp_path: Path) -> None:
    """PostgreSQL sequences are reset: the next row gets a fresh id, not a duplicate."""
    populate(engine)
    backup_database(engine, tmp_path / "b.zip")
    target = make_engine(empty_url)
    try:
        restore_database(target, tmp_path / "b.zip")
        with Session(target) as session, session.begin():
            top = session.scalar(sa.select(sa.func.max(m.AuditLog.id)))
            record_change(session, actor="t", entity="e", entity_key="k", action="create",
                          before=None, after={"a": 1})
            assert session.scalar(sa.select(sa.func.max(m.AuditLog.id))) == top + 1
        create_api_token(target, 1, "after restore")
        with Session(target) as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 2
    finally:
        target.dispose()


def test_non_empty_target_is_refused_without_force(engine: Engine, tmp_path: Path) -> None:
    populate(engine)
    file = tmp_path / "b.zip"
    backup_database(engine, file)
    saved = table_rows(engine)
    with Session(engine) as session, session.begin():
        session.execute(sa.delete(WebSession))
        record_change(session, actor="later", entity="e", entity_key="k", action="create",
                      before=None, after=None)
    changed = table_rows(engine)
    with pytest.raises(BackupError) as refused:
        restore_database(engine, file)
    assert "--force" in refused.value.en and "--force" in refused.value.zh
    assert table_rows(engine) == changed
    restore_database(engine, file, force=True)
    assert table_rows(engine) == saved


def _rewrite(src: Path, dst: Path, change: dict[str, bytes]) -> None:
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, change.get(info.filename, old.read(info.filename)))


@pytest.fixture
def good(engine: Engine, tmp_path: Path) -> Path:
    """A backup of a populated database, for the tests that spoil copies of it."""
    populate(engine)
    path = tmp_path / "good.zip"
    backup_database(engine, path)
    return path


def test_damaged_or_foreign_files_are_refused_and_nothing_written(
        good: Path, empty_url: str, tmp_path: Path) -> None:
    with zipfile.ZipFile(good) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        users = archive.read("tables/web_users.jsonl")
    edited = tmp_path / "edited.zip"
    _rewrite(good, edited, {"tables/web_users.jsonl": users.replace(b"alice", b"mallory")})
    older = tmp_path / "older.zip"
    _rewrite(good, older, {"manifest.json": json.dumps(
        {**manifest, "schema_revision": "0001"}).encode()})
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    flipped = bytearray(good.read_bytes())
    flipped[len(flipped) // 3] ^= 0xFF
    (tmp_path / "flipped.zip").write_bytes(bytes(flipped))
    target = make_engine(empty_url)
    try:
        for name, words in [("edited.zip", "checksum"), ("older.zip", "schema revision"),
                            ("truncated.zip", "damaged"), ("flipped.zip", "damaged")]:
            with pytest.raises(BackupError) as refused:
                restore_database(target, tmp_path / name)
            assert words in refused.value.en and "未写入任何数据" in refused.value.zh, name
            if name == "older.zip":
                assert code_revision() in refused.value.en
            assert sa.inspect(target).get_table_names() == [], name
    finally:
        target.dispose()


def _resealed(good: Path, dst: Path, member: str, lines: list[bytes]) -> None:
    """A copy of ``good`` whose ``member`` holds ``lines``, with a manifest that matches them
    (as another tool writing a bad backup would make it): only the restore can find the fault."""
    with zipfile.ZipFile(good) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    body = b"".join(line + b"\n" for line in lines)
    for entry in manifest["tables"]:
        if entry["file"] == member:
            entry.update(sha256=hashlib.sha256(body).hexdigest(), rows=len(lines))
    _rewrite(good, dst, {member: body, "manifest.json": json.dumps(manifest).encode()})


def test_a_row_the_restore_cannot_read_is_named_and_nothing_written(
        good: Path, empty_url: str, tmp_path: Path) -> None:
    with zipfile.ZipFile(good) as archive:
        entry = next(e for e in json.loads(archive.read("manifest.json"))["tables"]
                     if e["name"] == "achievements")
        row = json.loads(archive.read(entry["file"]).splitlines()[0])
    price = [name for name, _ in entry["columns"]].index("asking_price_yuan")
    bad_price = [*row[:price], "12,5", *row[price + 1:]]
    faults = {"short": [json.dumps(row).encode(), json.dumps(row[:-1]).encode()],
              "price": [json.dumps(bad_price).encode()],
              "object": [json.dumps({"id": 1}).encode()],
              "not_json": [b"{"]}
    target = make_engine(empty_url)
    try:
        for fault, lines in faults.items():
            spoiled = tmp_path / f"{fault}.zip"
            _resealed(good, spoiled, entry["file"], lines)
            with pytest.raises(BackupError) as refused:
                restore_database(target, spoiled)
            number = len(lines)
            assert f"table achievements, row {number}" in refused.value.en, fault
            assert f"表 achievements 第 {number} 行" in refused.value.zh, fault
            assert "nothing written" in refused.value.en, fault
            held = {name: rows for name, rows in table_rows(target).items() if rows}
            assert list(held) == ["alembic_version"], fault
    finally:
        target.dispose()


def test_sqlite_example_city_restores_byte_for_byte(example_city_path: Path,
                                                    tmp_path: Path) -> None:
    """The whole example city (matches, events, audit log) with every stored value and its
    SQLite storage class, through the online backup API."""
    source = copy_example_city(example_city_path, tmp_path)
    populate(source)
    backup_database(source, tmp_path / "city.zip")
    source.dispose()
    target = make_engine(f"sqlite:///{tmp_path / 'restored.db'}")
    restore_database(target, tmp_path / "city.zip")
    target.dispose()
    before, after = sqlite_raw(tmp_path / "city.db"), sqlite_raw(tmp_path / "restored.db")
    assert before["matches"] and before["match_events"] and before["audit_log"]
    assert after == before


def test_a_backup_crosses_backends_and_comes_back(sqlite_engine: Engine, empty_postgres_url: str,
                                                  tmp_path: Path) -> None:
    """SQLite -> PostgreSQL -> SQLite leaves every stored value as it was."""
    populate(sqlite_engine)
    backup_database(sqlite_engine, tmp_path / "from_sqlite.zip")
    postgres = make_engine(empty_postgres_url)
    try:
        restore_database(postgres, tmp_path / "from_sqlite.zip")
        with Session(postgres) as session:
            run = session.scalars(sa.select(ImportRun)).one()
            assert run.payload == b"\x00\xffuscc,name\n"
            assert run.at == dt.datetime(2024, 7, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
            assert session.scalar(sa.select(m.Achievement.asking_price_yuan)) == \
                Decimal("1234567.89")
        backup_database(postgres, tmp_path / "from_postgres.zip")
    finally:
        postgres.dispose()
    back = tmp_path / "back.db"
    restore_database(make_engine(f"sqlite:///{back}"), tmp_path / "from_postgres.zip")
    assert sqlite_raw(back) == sqlite_raw(Path(str(sqlite_engine.url.database)))


def test_every_column_has_a_kind(sqlite_engine: Engine) -> None:
    """A column type the file cannot carry exactly would travel as text: none does today."""
    metadata = sa.MetaData()
    metadata.reflect(bind=sqlite_engine)
    kinds = {(t.name, c.name): column_kind(c) for t in metadata.tables.values()
             for c in t.columns}
    assert kinds[("web_import_runs", "payload")] == "binary"
    assert kinds[("matches", "explanation")] == "json"
    assert kinds[("audit_log", "at")] == "datetime"
    assert kinds[("achievements", "asking_price_yuan")] == "numeric"
    assert kinds[("web_users", "active")] == "boolean"
