"""Login, session cookies, CSRF, rate limiting, API tokens and logout."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.services.accounts import DEMO_PASSWORDS, ensure_demo_accounts
from observatory.services.auth import verify_password
from observatory.services.tables import User
from observatory.web.app import create_app
from tests.web.conftest import CITY, csrf_of, login


def test_passwords_are_argon2_hashed_and_accounts_idempotent(city_engine) -> None:
    first = ensure_demo_accounts(city_engine)
    assert ensure_demo_accounts(city_engine) == first
    assert {r for _, _, r in first} == set(DEMO_PASSWORDS)
    with Session(city_engine) as session:
        users = list(session.scalars(select(User)))
    assert len(users) == 6
    for user in users:
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, DEMO_PASSWORDS[user.role])
        assert not verify_password(user.password_hash, "wrong")


def test_login_sets_a_secure_session_cookie(city_engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    r = login(client, "demo-analyst", DEMO_PASSWORDS["analyst"])
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "obs_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback
    assert client.get("/api/data").status_code == 200
    behind_tls = TestClient(create_app(city_engine, settings=CITY))
    r = login(behind_tls, "demo-analyst", DEMO_PASSWORDS["analyst"],
              **{"X-Forwarded-Proto": "https"})
    assert "Secure" in r.headers["set-cookie"]


def test_wrong_password_and_rate_limit(city_engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY, login_limit=3))
    for _ in range(3):
        assert login(client, "demo-admin", "guess").status_code == 401
    r = login(client, "demo-admin", DEMO_PASSWORDS["admin"])
    assert r.status_code == 429  # blocked even with the right password
    assert "obs_session" not in r.headers.get("set-cookie", "")


def test_login_form_needs_its_csrf_token(city_engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    client.get("/login")
    r = client.post("/login", data={"username": "demo-admin",
                                    "password": DEMO_PASSWORDS["admin"]},
                    follow_redirects=False)
    assert r.status_code == 403


def test_every_form_checks_csrf(city_engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-admin", DEMO_PASSWORDS["admin"])
    token = csrf_of(client.get("/account").text)
    posts = [("/account/tokens", {"name": "x"}), ("/logout", {}),
             ("/market/matches", {"demand": "D", "achievement": "A"}),
             ("/data/imports/1", {"action": "confirm"})]
    for path, data in posts:
        assert client.post(path, data=data, follow_redirects=False).status_code == 403, path
        assert client.post(path, data={**data, "csrf": "forged"},
                           follow_redirects=False).status_code == 403, path
    r = client.post("/account/tokens", data={"name": "script", "csrf": token})
    assert r.status_code == 200 and "obs_" in r.text
    r = client.post("/api/market/listings/NOPE", json={"title_en": "x"})
    assert r.status_code == 403  # a JSON write with the cookie needs X-CSRF-Token too


def test_api_token_from_account_page_works_for_scripts(city_engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-analyst", DEMO_PASSWORDS["analyst"])
    page = client.post("/account/tokens", data={"name": "nightly",
                                                "csrf": csrf_of(client.get("/account").text)})
    token = page.text.split('id="new-token">')[1].split("<")[0]
    script = TestClient(create_app(city_engine, settings=CITY))
    assert script.get("/api/data", headers={"Authorization": f"Bearer {token}"}).json()[
        "entities"]
    assert script.get("/api/data").status_code == 401


def test_logout_ends_the_session(city_engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-admin", DEMO_PASSWORDS["admin"])
    cookie = client.cookies.get("obs_session")
    token = csrf_of(client.get("/account").text)
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    other = TestClient(create_app(city_engine, settings=CITY))
    other.cookies.set("obs_session", cookie)
    assert other.get("/api/data").status_code == 401
