"""API tokens expire, can be revoked (account page and command line) and show their last use."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app as cli
from observatory.registry import models as m
from observatory.registry.audit import verify_chain
from observatory.services.accounts import DEMO_PASSWORDS
from observatory.services.auth import TOKEN_DAYS, create_api_token, token_hash
from observatory.services.tables import ApiToken
from observatory.web.app import create_app
from tests.web.conftest import CITY, csrf_of, demo_user, login

runner = CliRunner()


def _row(engine: Engine, token: str) -> ApiToken:
    with Session(engine) as session:
        return session.scalars(select(ApiToken).where(
            ApiToken.token_hash == token_hash(token))).one()


def _set(engine: Engine, token: str, **values: object) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(ApiToken).where(ApiToken.token_hash == token_hash(token))
                        .values(**values))


def _get(client: TestClient, token: str) -> int:
    return client.get("/api/account", headers={"Authorization": f"Bearer {token}"}).status_code


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_tokens_expire_after_90_days_by_default(city_engine: Engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    token = create_api_token(city_engine, demo_user(city_engine, "analyst").id, "nightly")
    row = _row(city_engine, token)
    assert _aware(row.expires_at) - _aware(row.created_at) == dt.timedelta(days=TOKEN_DAYS)
    assert _get(client, token) == 200
    _set(city_engine, token, expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    assert _get(client, token) == 401


def test_last_used_is_noted_at_most_once_a_minute(city_engine: Engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    token = create_api_token(city_engine, demo_user(city_engine, "analyst").id, "nightly")
    assert _row(city_engine, token).last_used_at is None
    assert _get(client, token) == 200
    first = _row(city_engine, token).last_used_at
    assert first is not None
    assert dt.datetime.now(dt.UTC) - _aware(first) < dt.timedelta(minutes=2)
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=20)).replace(microsecond=0)
    _set(city_engine, token, last_used_at=recent)
    assert _get(client, token) == 200
    assert _aware(_row(city_engine, token).last_used_at) == recent  # no write within a minute
    _set(city_engine, token, last_used_at=recent - dt.timedelta(minutes=5))
    assert _get(client, token) == 200
    assert _aware(_row(city_engine, token).last_used_at) > recent - dt.timedelta(minutes=1)


def test_cli_revokes_a_token_and_it_is_refused(city_engine: Engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    token = create_api_token(city_engine, demo_user(city_engine, "broker").id, "leaked")
    other = create_api_token(city_engine, demo_user(city_engine, "broker").id, "kept")
    url = city_engine.url.render_as_string(hide_password=False)
    assert _get(client, token) == 200
    listed = runner.invoke(cli, ["users", "tokens", "demo-broker", "--format", "csv",
                                 "--database-url", url])
    assert listed.exit_code == 0 and "leaked" in listed.output and "active" in listed.output
    result = runner.invoke(cli, ["users", "revoke-token", "demo-broker", "leaked",
                                 "--format", "json", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert '"state": "revoked"' in result.output
    assert _get(client, token) == 401
    assert _get(client, other) == 200  # only the named token
    by_id = runner.invoke(cli, ["users", "revoke-token", "demo-broker",
                                str(_row(city_engine, other).id), "--database-url", url])
    assert by_id.exit_code == 0 and _get(client, other) == 401
    with Session(city_engine) as session:
        audit = session.scalars(select(m.AuditLog).where(
            m.AuditLog.entity == "web_api_tokens", m.AuditLog.entity_key == "leaked")).all()
    assert [a.after["revoked"] for a in audit if a.action == "update"] == [True]
    assert audit[-1].actor.startswith("cli")
    with city_engine.connect() as conn:
        assert verify_chain(conn).intact


def test_cli_names_a_missing_user_or_token_in_both_languages(city_engine: Engine) -> None:
    url = city_engine.url.render_as_string(hide_password=False)
    for args in (["nobody", "x"], ["demo-broker", "no-such-token"]):
        result = runner.invoke(cli, ["users", "revoke-token", *args, "--database-url", url])
        assert result.exit_code == 2
        assert "error:" in result.output and "错误：" in result.output


def test_account_page_revokes_a_token(city_engine: Engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-analyst", DEMO_PASSWORDS["analyst"])
    page = client.post("/account/tokens", data={"name": "nightly", "days": "30",
                                                "csrf": csrf_of(client.get("/account").text)})
    token = page.text.split('id="new-token">')[1].split("<")[0]
    row = _row(city_engine, token)
    assert _aware(row.expires_at) - _aware(row.created_at) == dt.timedelta(days=30)
    script = TestClient(create_app(city_engine, settings=CITY))
    assert _get(script, token) == 200
    html = client.get("/account").text
    action = f"/account/tokens/{row.id}/revoke"
    assert action in html
    assert client.post(action, data={}, follow_redirects=False).status_code == 403  # no CSRF
    assert _get(script, token) == 200
    r = client.post(action, data={"csrf": csrf_of(html)}, follow_redirects=False)
    assert r.status_code == 303
    assert _get(script, token) == 401
    html = client.get("/account?lang=en").text
    assert action not in html and ">revoked<" in html
    with Session(city_engine) as session:
        audit = session.scalars(select(m.AuditLog).where(
            m.AuditLog.entity == "web_api_tokens", m.AuditLog.operation == "web revoke token")
        ).one()
    assert audit.actor == "demo-analyst" and audit.after["id"] == row.id


def test_nobody_revokes_another_users_token(city_engine: Engine) -> None:
    victim = create_api_token(city_engine, demo_user(city_engine, "admin").id, "ops")
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-analyst", DEMO_PASSWORDS["analyst"])
    csrf = csrf_of(client.get("/account").text)
    r = client.post(f"/account/tokens/{_row(city_engine, victim).id}/revoke",
                    data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 404
    assert not _row(city_engine, victim).revoked


def test_token_days_out_of_range_is_a_bilingual_422(city_engine: Engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-analyst", DEMO_PASSWORDS["analyst"])
    csrf = csrf_of(client.get("/account").text)
    for days in ("0", "9999", "abc"):
        r = client.post("/account/tokens", data={"name": "x", "days": days, "csrf": csrf})
        assert r.status_code == 422, days
        assert re.search(r"[\u4e00-\u9fff]", r.text), r.text


def test_account_page_shows_an_expired_token_without_a_revoke_button(city_engine: Engine
                                                                      ) -> None:
    token = create_api_token(city_engine, demo_user(city_engine, "analyst").id, "old")
    _set(city_engine, token, expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-analyst", DEMO_PASSWORDS["analyst"])
    html = client.get("/account?lang=en").text
    assert ">expired<" in html
    assert f"/account/tokens/{_row(city_engine, token).id}/revoke" not in html
    states = {t["name"]: t["state"] for t in client.get("/api/account").json()["tokens"]}
    assert states["old"] == "expired"
