"""``observatory users``: add, list, disable, reset-password and grant, through the accounts
service; bilingual refusals with exit code 2; every change audited; passwords from stdin."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app as cli
from observatory.registry import models as m
from observatory.registry.audit import verify_chain
from observatory.services.auth import authenticate, create_api_token, principal_from_bearer
from observatory.services.tables import User

runner = CliRunner()
GOOD = "Harbour-lights-42"


def _org(engine: Engine) -> str:
    with Session(engine) as session, session.begin():
        session.add(m.Organisation(uscc="91370200TEST00001X", name_zh="测试企业",
                                   kind="enterprise", region_code="370211"))
    return "91370200TEST00001X"


def _users(engine: Engine, *args: str, stdin: str | None = None):
    url = engine.url.render_as_string(hide_password=False)
    return runner.invoke(cli, ["users", *args, "--database-url", url], input=stdin)


def test_add_list_grant_disable_reset(sqlite_engine: Engine) -> None:
    uscc = _org(sqlite_engine)
    added = _users(sqlite_engine, "add", "laoshan", "--role", "enterprise", "--region", "370212",
                   "--organisation", uscc, "--password-stdin", "--format", "json",
                   stdin=GOOD + "\n")
    assert added.exit_code == 0, added.output
    row = json.loads(added.output)[0]
    assert (row["role"], row["region"], row["organisation"], row["active"]) == (
        "enterprise", "370212", uscc, True)
    assert authenticate(sqlite_engine, "laoshan", GOOD) is not None
    granted = _users(sqlite_engine, "grant", "laoshan", "--role", "analyst", "--region",
                     "370211", "--format", "json")
    assert granted.exit_code == 0 and json.loads(granted.output)[0]["region"] == "370211"
    listed = _users(sqlite_engine, "list", "--format", "csv")
    assert listed.exit_code == 0 and "laoshan,analyst,370211" in listed.output
    new = "Tide-tables-2025"
    reset = _users(sqlite_engine, "reset-password", "laoshan", "--password-stdin",
                   stdin=new + "\n")
    assert reset.exit_code == 0, reset.output
    assert authenticate(sqlite_engine, "laoshan", GOOD) is None
    assert authenticate(sqlite_engine, "laoshan", new) is not None
    with Session(sqlite_engine) as session:
        uid = session.scalar(select(User.id).where(User.username == "laoshan"))
    token = create_api_token(sqlite_engine, uid, "script")
    assert principal_from_bearer(sqlite_engine, token) is not None
    disabled = _users(sqlite_engine, "disable", "laoshan", "--format", "json")
    assert disabled.exit_code == 0 and json.loads(disabled.output)[0]["active"] is False
    assert authenticate(sqlite_engine, "laoshan", new) is None
    assert principal_from_bearer(sqlite_engine, token) is None
    with Session(sqlite_engine) as session:
        audit = session.scalars(select(m.AuditLog).where(m.AuditLog.entity == "web_users",
                                                         m.AuditLog.entity_key == "laoshan")
                                .order_by(m.AuditLog.id)).all()
        assert [a.operation for a in audit] == ["add user", "grant", "reset password",
                                                "disable user"]
        assert all(a.actor.startswith("cli") for a in audit)
        assert not any(GOOD in json.dumps([a.before, a.after]) for a in audit)
        user = session.scalars(select(User).where(User.username == "laoshan")).one()
        assert user.disabled_at is not None and user.disabled_at.replace(
            tzinfo=dt.UTC) <= dt.datetime.now(dt.UTC)
    with sqlite_engine.connect() as conn:
        assert verify_chain(conn).intact


def test_bad_input_is_bilingual_exit_2_and_writes_nothing(sqlite_engine: Engine) -> None:
    cases = [
        (["add", "x1", "--role", "wizard", "--region", "370211"], GOOD, "unknown role"),
        (["add", "x2", "--role", "analyst", "--region", "999999"], GOOD, "unknown region"),
        (["add", "x3", "--role", "enterprise", "--region", "370211", "--organisation",
          "NOPE"], GOOD, "unknown organisation"),
        (["add", "x4", "--role", "analyst", "--region", "370211"], "short1", "at least 10"),
        (["add", "x5", "--role", "analyst", "--region", "370211"], "aaaaaaaaaaaaaa",
         "two kinds"),
        (["add", "bay6", "--role", "analyst", "--region", "370211"], "Bay6-harbour-99",
         "user name"),
        (["add", "bad name", "--role", "analyst", "--region", "370211"], GOOD, "user name"),
        (["disable", "nobody"], None, "no user"),
        (["grant", "nobody", "--role", "analyst"], None, "no user"),
        (["reset-password", "nobody"], GOOD, "no user"),
    ]
    for args, password, reason in cases:
        extra = ["--password-stdin"] if password is not None else []
        result = _users(sqlite_engine, *args, *extra,
                        stdin=None if password is None else password + "\n")
        assert result.exit_code == 2, (args, result.output)
        assert reason in result.output and "错误：" in result.output, result.output
    no_stdin = _users(sqlite_engine, "add", "x7", "--role", "analyst", "--region", "370211")
    assert no_stdin.exit_code == 2 and "--password-stdin" in no_stdin.output
    with Session(sqlite_engine) as session:
        assert session.scalars(select(User.username)).all() == []
        assert session.scalars(select(m.AuditLog).where(
            m.AuditLog.entity == "web_users")).all() == []


def test_a_taken_name_is_refused(sqlite_engine: Engine) -> None:
    first = _users(sqlite_engine, "add", "twin", "--role", "public", "--region", "370211",
                   "--password-stdin", stdin=GOOD)
    assert first.exit_code == 0, first.output
    again = _users(sqlite_engine, "add", "twin", "--role", "analyst", "--region", "370211",
                   "--password-stdin", stdin=GOOD)
    assert again.exit_code == 2 and "exists already" in again.output


def test_demo_prints_random_passwords_once(sqlite_engine: Engine, capsys) -> None:
    from observatory.cli.demo import print_accounts
    from observatory.services.accounts import DEMO_PASSWORDS, KEPT

    print_accounts(sqlite_engine, walkthrough=False)
    first = capsys.readouterr().out
    assert "shown once" in first and "demo-admin" in first
    assert not any(p in first for p in DEMO_PASSWORDS.values())
    print_accounts(sqlite_engine, walkthrough=False)
    again = capsys.readouterr().out
    assert KEPT in again and "shown once" not in again
    print_accounts(sqlite_engine, walkthrough=True)
    assert DEMO_PASSWORDS["admin"] in capsys.readouterr().out
    assert authenticate(sqlite_engine, "demo-admin", DEMO_PASSWORDS["admin"]) is not None
