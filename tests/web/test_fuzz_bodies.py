"""Bodies that are not what a route takes, a database lock held too long and a key conflict
answer a precise 4xx (or 503) in both languages, never a 500 or a traceback; the CLI exits 2.

The routes are read from the app itself, so a route added later is covered without a line
here."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from observatory import db
from observatory.cli import app as cli_app
from observatory.services import market
from observatory.services.auth import create_api_token
from observatory.web.app import create_app
from tests.registry.builders import org_rows, to_csv
from tests.web.conftest import CITY, bearer, demo_user, some_listing

BAD_BODIES = (b"[1,2]", b'"str"', b"not json", b"{", b"null", b"",
              b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000)
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def write_routes(routes: Iterable[object], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every write route, included routers unfolded."""
    for route in routes:
        if isinstance(route, APIRoute):
            for method in sorted(route.methods & WRITES):
                yield method, prefix + route.path
        inner = getattr(route, "original_router", None)
        if inner is not None:
            sub = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            yield from write_routes(inner.routes, prefix + sub)


def test_every_write_route_refuses_a_body_it_cannot_read(shared_client, tokens) -> None:
    routes = sorted(set(write_routes(shared_client.app.routes)))
    assert len(routes) >= 10 and ("POST", "/api/market/matches") in routes
    admin = bearer(tokens, "admin")
    for method, template in routes:
        path = re.sub(r"\{[^}]+\}", "1", template)
        for body in BAD_BODIES:
            if body == b"" and not template.startswith("/api/"):
                continue  # an empty form is a form (without fields)
            for who in (admin, {}):
                r = shared_client.request(method, path, content=body, follow_redirects=False,
                                          headers={**who, "content-type": "application/json"})
                where = (method, template, body[:12], bool(who), r.status_code)
                assert r.status_code < 500, where
                if who and body:
                    assert r.status_code == 422, where
                elif who:  # an empty body is readable: the route may then find no record 1
                    assert r.status_code in (303, 401, 403, 404, 409, 422), where
                else:
                    assert r.status_code in (303, 401, 403, 422), where


def _api_detail(r) -> str:
    return str(r.json()["detail"])


def test_deep_nesting_is_named(shared_client, tokens) -> None:
    r = shared_client.post("/api/market/matches", content=b"[" * 100_000 + b"]" * 100_000,
                           headers={**bearer(tokens, "admin"),
                                    "content-type": "application/json"})
    assert r.status_code == 422
    assert "nested too deeply" in _api_detail(r) and "嵌套层数过多" in _api_detail(r)


@pytest.fixture
def short_lock_wait(city_engine: Engine, monkeypatch) -> Iterator[Engine]:
    """The city with a busy timeout of 0.2 s instead of 30 s (the behaviour, sooner)."""
    monkeypatch.setattr(db, "BUSY_SECONDS", 0.2)
    engine = db.make_engine(city_engine.url.render_as_string())
    yield engine
    engine.dispose()


def _hold_write_lock(engine: Engine) -> sqlite3.Connection:
    """Another process's long write: SQLite's write lock taken and kept."""
    holder = sqlite3.connect(str(engine.url.database), timeout=0.1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_lock_held_too_long_is_a_503_with_retry_after(short_lock_wait: Engine) -> None:
    engine = short_lock_wait
    assert engine.connect().exec_driver_sql("PRAGMA busy_timeout").scalar() == 200
    token = create_api_token(engine, demo_user(engine, "admin").id, "lock test")
    client = TestClient(create_app(engine, settings=CITY, matching="bm25"))
    code = some_listing(engine)
    holder = _hold_write_lock(engine)
    try:
        r = client.post(f"/api/market/listings/{code}", json={"title_en": "x"},
                        headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert "busy" in _api_detail(r) and "数据库正被另一项写入占用" in _api_detail(r)
        page = client.post("/account/tokens", data={"name": "n", "days": "5"},
                           headers={"Authorization": f"Bearer {token}", "Accept-Language":
                                    "zh"})
        assert page.status_code == 503 and "数据库正被另一项写入占用" in page.text
        assert client.get(f"/api/market/listings/{code}").status_code == 200  # reads go on
    finally:
        holder.rollback()
        holder.close()
    again = client.post(f"/api/market/listings/{code}", json={"title_en": "after"},
                        headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 200 and again.json()["title_en"] == "after"


def test_the_cli_exits_2_when_the_lock_is_held_too_long(short_lock_wait: Engine,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text(to_csv(org_rows(2, start=900)), encoding="utf-8")
    holder = _hold_write_lock(short_lock_wait)
    try:
        result = CliRunner().invoke(cli_app, [
            "import", str(path), "--entity", "organisations", "--database-url",
            short_lock_wait.url.render_as_string()])
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 2, result.output
    # the importer names its own case (another import holds the lock) in both languages
    assert "busy" in result.output and "数据库正被另一" in result.output
    assert "Traceback" not in result.output


def test_a_key_conflict_in_a_write_is_a_bilingual_409(shared_client, tokens, monkeypatch
                                                      ) -> None:
    def conflicting(*_: object, **__: object) -> None:
        raise IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(market, "edit_listing", conflicting)
    r = shared_client.post("/api/market/listings/X", json={"title_en": "x"},
                           headers=bearer(tokens, "admin"))
    assert r.status_code == 409
    assert "conflicts" in _api_detail(r) and "冲突" in _api_detail(r)


def test_a_key_conflict_in_a_command_exits_2(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Two imports of the same new keys at once: the second to commit meets the first's rows
    (simulated by a trigger that refuses the insert as a unique index would)."""
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER clash BEFORE INSERT ON organisations BEGIN "
            "SELECT RAISE(ABORT, 'UNIQUE constraint failed: organisations.uscc'); END")
    path = tmp_path / "orgs.csv"
    path.write_text(to_csv(org_rows(2)), encoding="utf-8")
    result = CliRunner().invoke(cli_app, [
        "import", str(path), "--entity", "organisations", "--database-url",
        sqlite_engine.url.render_as_string()])
    assert result.exit_code == 2, result.output
    assert "same keys" in result.output and "相同键" in result.output
