"""The analysts' review page and its JSON twin, on SQLite and PostgreSQL: staff only, CSRF,
accept (imports the row, audited) and reject."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.services.accounts import DEMO_PASSWORDS, ensure_demo_accounts
from observatory.services.auth import create_api_token
from observatory.services.resolution import import_resolving
from observatory.services.tables import User
from observatory.web.app import create_app
from tests.cli.test_resolve import published_list, seed
from tests.registry.builders import uscc
from tests.web.conftest import CITY, csrf_of, login


@pytest.fixture
def queued(engine: Engine, tmp_path: Path) -> tuple[Engine, TestClient, dict[str, str]]:
    """A registry with two queued rows (a typo and an unknown firm), the app, a token per role."""
    seed(engine, tmp_path)
    ensure_demo_accounts(engine)
    path = tmp_path / "list.xlsx"
    published_list(path)
    done = import_resolving(engine, path, "designations", actor="test")
    assert (done.auto, done.queued, done.unknown) == (2, 1, 1)
    with Session(engine) as session:
        users = {u.role: u.id for u in session.scalars(select(User))}
    tokens = {role: create_api_token(engine, uid, "tests") for role, uid in users.items()}
    return engine, TestClient(create_app(engine, settings=CITY, matching="bm25")), tokens


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def _ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return list(session.scalars(select(m.NameReview.id).order_by(m.NameReview.id)))


def test_only_staff_see_or_change_the_queue(queued) -> None:
    engine, client, tokens = queued
    first = _ids(engine)[0]
    assert client.get("/api/review").status_code == 401
    page = client.get("/review", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.post(f"/api/review/{first}/reject").status_code == 401
    for role in ("enterprise", "public", "broker", "fund_manager"):
        assert client.get("/api/review", headers=_auth(tokens, role)).status_code == 403
        assert client.post(f"/api/review/{first}/accept", json={},
                           headers=_auth(tokens, role)).status_code == 403
        assert client.get("/review", headers=_auth(tokens, role)).status_code == 403
    for role in ("analyst", "admin"):
        answer = client.get("/api/review", headers=_auth(tokens, role))
        assert answer.status_code == 200
        assert [i["name"] for i in answer.json()["items"]] == [
            "青岛海兰新能源15号有限公司", "青岛从未登记的企业有限公司"]
    with Session(engine) as session:
        assert set(session.scalars(select(m.NameReview.status))) == {"pending"}


def test_the_page_lists_candidates_and_accepts_a_chosen_one_with_csrf(queued) -> None:
    engine, client, _ = queued
    first, second = _ids(engine)
    assert login(client, "demo-analyst", DEMO_PASSWORDS["analyst"]).status_code == 303
    page = client.get("/review")
    assert page.status_code == 200
    assert "青岛海兰新能源15号有限公司" in page.text and uscc(2) in page.text
    assert 'href="/api/review?status=pending"' in page.text
    token = csrf_of(page.text)
    forged = client.post(f"/review/{first}/accept", data={"uscc": uscc(2)},
                         follow_redirects=False)
    assert forged.status_code == 403
    done = client.post(f"/review/{first}/accept", data={"uscc": uscc(2), "csrf": token},
                       follow_redirects=False)
    assert done.status_code == 303
    bad = client.post(f"/review/{second}/accept",
                      data={"uscc_other": uscc(55), "csrf": token})
    assert bad.status_code == 422 and uscc(55) in bad.text
    rejected = client.post(f"/review/{second}/reject", data={"csrf": token},
                           follow_redirects=False)
    assert rejected.status_code == 303
    again = client.post(f"/review/{second}/reject", data={"csrf": token})
    assert again.status_code == 409
    with Session(engine) as session:
        holder = session.scalar(select(m.Organisation.uscc).join(m.Designation).where(
            m.Designation.certificate_no == "GR202437000003"))
        log = session.execute(select(m.AuditLog.actor, m.AuditLog.operation).where(
            m.AuditLog.operation.like("review %"))).all()
    assert holder == uscc(2)
    assert {(a, o) for a, o in log} >= {("demo-analyst", f"review accept {first}"),
                                        ("demo-analyst", f"review reject {second}")}
    closed = client.get("/api/review?status=all").json()
    assert [i["status"] for i in closed["items"]] == ["accepted", "rejected"]
    assert closed["counts"] == {"pending": 0, "accepted": 1, "rejected": 1}


def test_the_json_twin_accepts_with_a_token_and_documents_its_models(queued) -> None:
    engine, client, tokens = queued
    first, second = _ids(engine)
    analyst = _auth(tokens, "analyst")
    item = client.get(f"/api/review/{first}", headers=analyst).json()
    assert item["candidates"][0]["uscc"] == uscc(2) and item["row"]["certificate_no"]
    accepted = client.post(f"/api/review/{first}/accept", json={}, headers=analyst)
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["resolved_uscc"]) == ("accepted", uscc(2))
    chosen = client.post(f"/api/review/{second}/accept", json={"uscc": uscc(3)},
                         headers=analyst)
    assert chosen.status_code == 200 and chosen.json()["resolved_uscc"] == uscc(3)
    assert client.get("/api/review/999999", headers=analyst).status_code == 404
    assert client.get("/api/review?status=maybe", headers=analyst).status_code == 422
    schema = client.get("/openapi.json").json()
    assert "/api/review" in schema["paths"] and "ReviewQueue" in schema["components"]["schemas"]
