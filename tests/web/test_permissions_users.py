"""User administration on the web (admin only, CSRF, audited, JSON twin) and a user's own
password: a disabled user cannot log in, and their session and tokens stop at once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.services.accounts import DEMO_PASSWORDS, KEPT, ensure_demo_accounts
from observatory.services.auth import create_api_token, verify_password
from observatory.services.tables import User
from observatory.web.app import create_app
from tests.web.conftest import CITY, ROLES, bearer, csrf_of, demo_user, login

GOOD = "Pier-and-lantern-7"


def _admin(engine: Engine) -> TestClient:
    client = TestClient(create_app(engine, settings=CITY))
    assert login(client, "demo-admin", DEMO_PASSWORDS["admin"]).status_code == 303
    return client


def test_user_admin_is_for_admins_only(shared_client: TestClient, tokens) -> None:
    got = {role: shared_client.get("/api/admin/users", headers=bearer(tokens, role)).status_code
           for role in ROLES}
    assert got == {r: 200 if r == "admin" else 401 if r == "anonymous" else 403 for r in ROLES}
    listed = shared_client.get("/api/admin/users", headers=bearer(tokens, "admin")).json()
    assert {"demo-admin", "demo-analyst"} <= {u["username"] for u in listed["users"]}
    body = {"username": "sneaky", "role": "admin", "password": GOOD}
    for role in ("analyst", "enterprise"):
        r = shared_client.post("/api/admin/users", json=body, headers=bearer(tokens, role))
        assert r.status_code == 403
    r = shared_client.get("/admin/users", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_admin_page_adds_and_disables_a_user(city_engine: Engine) -> None:
    admin = _admin(city_engine)
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "demo-analyst" in page.text
    form = {"username": "shinan-analyst", "role": "analyst", "region": "370202",
            "password": GOOD}
    assert admin.post("/admin/users", data=form).status_code == 403  # no CSRF token
    r = admin.post("/admin/users", data={**form, "csrf": csrf_of(page.text)},
                   follow_redirects=False)
    assert r.status_code == 303
    user = TestClient(create_app(city_engine, settings=CITY))
    assert login(user, "shinan-analyst", GOOD).status_code == 303
    assert user.get("/api/account").json()["region"] == "370202"
    with Session(city_engine) as session:
        uid = session.scalar(select(User.id).where(User.username == "shinan-analyst"))
    token = create_api_token(city_engine, uid, "script")
    assert user.get("/api/enterprises").status_code == 200
    r = admin.post("/admin/users/shinan-analyst/disable",
                   data={"csrf": csrf_of(admin.get("/admin/users").text)},
                   follow_redirects=False)
    assert r.status_code == 303
    assert user.get("/api/account").status_code == 401  # the session ended
    assert user.get("/api/account", headers={"Authorization": f"Bearer {token}"}
                    ).status_code == 401
    assert login(user, "shinan-analyst", GOOD).status_code == 401
    with Session(city_engine) as session:
        audit = session.scalars(select(m.AuditLog).where(
            m.AuditLog.entity_key == "shinan-analyst").order_by(m.AuditLog.id)).all()
    assert [(a.actor, a.operation) for a in audit] == [("demo-admin", "add user"),
                                                       ("demo-admin", "disable user")]


def test_json_twin_grants_a_region_and_refuses_bad_input(city_engine: Engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    h = {"Authorization": "Bearer " + create_api_token(
        city_engine, demo_user(city_engine, "admin").id, "admin")}
    analyst = demo_user(city_engine, "analyst").username
    r = client.post(f"/api/admin/users/{analyst}/grant", json={"role": "analyst",
                                                               "region": "370202"}, headers=h)
    assert r.status_code == 200 and r.json()["region"] == "370202"
    a = {"Authorization": "Bearer " + create_api_token(
        city_engine, demo_user(city_engine, "analyst").id, "analyst")}
    regions = {e["region"] for e in client.get("/api/enterprises", headers=a).json()
               ["enterprises"]}
    assert regions == {"370202"}
    bad = [({"username": "u1", "role": "wizard", "password": GOOD}, "unknown role"),
           ({"username": "u2", "role": "analyst", "password": GOOD, "region": "999999"},
            "unknown region"),
           ({"username": "u3", "role": "analyst", "password": "short"}, "at least 10"),
           ({"username": "u4", "role": "enterprise", "password": GOOD, "organisation": "X"},
            "unknown organisation"),
           ({"username": "u5"}, "password")]
    for body, reason in bad:
        r = client.post("/api/admin/users", json=body, headers=h)
        assert r.status_code == 422 and reason in r.json()["detail"], (body, r.text)
    r = client.post("/api/admin/users/nobody/disable", headers=h)
    assert r.status_code == 404 and "没有用户" in r.json()["detail"]
    r = client.post("/api/admin/users/demo-admin/disable", headers=h)
    assert r.status_code == 422  # not yourself


def test_users_change_their_own_password(city_engine: Engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-broker", DEMO_PASSWORDS["broker"])
    page = client.get("/account")
    head, body = page.text.split("</title>", 1)
    assert 'action="/account/password"' in body and "<form" not in head
    csrf = csrf_of(page.text)
    wrong = client.post("/account/password", data={"csrf": csrf, "current": "nope",
                                                   "new": GOOD})
    assert wrong.status_code == 422 and "当前密码错误" in wrong.text
    weak = client.post("/account/password", data={"csrf": csrf, "new": "abc",
                                                  "current": DEMO_PASSWORDS["broker"]})
    assert weak.status_code == 422
    ok = client.post("/account/password", data={"csrf": csrf, "new": GOOD,
                                                "current": DEMO_PASSWORDS["broker"]},
                     follow_redirects=False)
    assert ok.status_code == 303
    fresh = TestClient(create_app(city_engine, settings=CITY))
    assert login(fresh, "demo-broker", DEMO_PASSWORDS["broker"]).status_code == 401
    assert login(fresh, "demo-broker", GOOD).status_code == 303


def test_demo_passwords_are_random_unless_the_walkthrough_is_asked_for(city_engine: Engine
                                                                       ) -> None:
    with Session(city_engine) as session, session.begin():
        session.query(User).filter(User.username == "demo-public").delete()
    first = {u: p for u, p, _ in ensure_demo_accounts(city_engine, walkthrough=False)}
    assert first["demo-public"] not in (KEPT, DEMO_PASSWORDS["public"])
    assert first["demo-admin"] == KEPT  # created before: its password is not shown again
    again = {u: p for u, p, _ in ensure_demo_accounts(city_engine, walkthrough=False)}
    assert again["demo-public"] == KEPT
    ensure_demo_accounts(city_engine, walkthrough=True)
    with Session(city_engine) as session:
        hashed = session.scalar(select(User.password_hash).where(
            User.username == "demo-public"))
    assert verify_password(hashed, DEMO_PASSWORDS["public"])


def test_a_district_admin_manages_only_its_district(city_engine: Engine) -> None:
    from observatory.services import accounts

    accounts.add_user(city_engine, "test", accounts.NewUser(
        username="shinan-admin", role="admin", password=GOOD, region="370202"))
    accounts.add_user(city_engine, "test", accounts.NewUser(
        username="laoshan-user", role="public", password=GOOD, region="370212"))
    with Session(city_engine) as session:
        uid = session.scalar(select(User.id).where(User.username == "shinan-admin"))
    client = TestClient(create_app(city_engine, settings=CITY))
    h = {"Authorization": "Bearer " + create_api_token(city_engine, uid, "admin")}
    listed = {u["username"] for u in client.get("/api/admin/users", headers=h).json()["users"]}
    assert listed == {"shinan-admin"}
    new = {"username": "shinan-2", "role": "analyst", "password": GOOD}
    assert client.post("/api/admin/users", json={**new, "region": "370212"},
                       headers=h).status_code == 403
    assert client.post("/api/admin/users", json=new, headers=h).status_code == 422
    r = client.post("/api/admin/users", json={**new, "region": "370202"}, headers=h)
    assert r.status_code == 200 and r.json()["region"] == "370202"
    assert client.post("/api/admin/users/laoshan-user/disable", headers=h).status_code == 403
    assert client.post("/api/admin/users/demo-analyst/grant", json={"role": "admin"},
                       headers=h).status_code == 403  # no region: the whole deployment
