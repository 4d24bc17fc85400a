"""Login throttling slows the one who fails, never locks the account holder out, stays small."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.config import Settings
from observatory.services import auth
from observatory.services.accounts import DEMO_PASSWORDS
from observatory.services.tables import LoginFailure
from observatory.web.app import create_app
from tests.web.conftest import CITY, login


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(auth, "_now", c)
    return c


def test_the_account_holder_logs_in_while_someone_else_guesses(city_engine) -> None:
    app = create_app(city_engine, settings=CITY, login_limit=3)
    attacker = TestClient(app, client=("203.0.113.9", 4000))
    for _ in range(6):
        assert login(attacker, "demo-admin", "guess").status_code in (401, 429)
    assert login(attacker, "demo-admin", DEMO_PASSWORDS["admin"]).status_code == 429
    owner = TestClient(app, client=("198.51.100.7", 5000))
    assert login(owner, "demo-admin", DEMO_PASSWORDS["admin"]).status_code == 303


def test_each_failure_past_the_limit_doubles_the_wait(clock: Clock, engine) -> None:
    limiter = auth.LoginLimiter(engine, limit=3, window=60)
    for _ in range(3):
        limiter.failed("a", "alice")
    assert limiter.wait("a", "alice") == pytest.approx(60)
    assert limiter.wait("b", "alice") == 0 and limiter.wait("a", "bob") == 0
    clock.now += 61
    assert not limiter.blocked("a", "alice")
    limiter.failed("a", "alice")
    assert limiter.wait("a", "alice") == pytest.approx(120)
    clock.now += 121
    limiter.failed("a", "alice")
    assert limiter.wait("a", "alice") == pytest.approx(240)
    limiter.succeeded("a", "alice")
    assert not limiter.blocked("a", "alice")


def test_one_address_guessing_many_names_waits(clock: Clock, engine) -> None:
    limiter = auth.LoginLimiter(engine, limit=2, window=60)
    for i in range(8):
        limiter.failed("a", f"user{i}")
    assert limiter.blocked("a", "someone-new") and not limiter.blocked("b", "someone-new")
    clock.now += 61
    assert not limiter.blocked("a", "someone-new")


def test_storage_stays_bounded(clock: Clock, sqlite_engine) -> None:
    limiter = auth.LoginLimiter(sqlite_engine, limit=5, window=60, max_keys=200)
    for i in range(600):
        limiter.failed(f"10.0.{i // 250}.{i % 250}", "x" * 100_000 + str(i))
    assert len(limiter) == 200  # the newest failures, the oldest forgotten
    with Session(sqlite_engine) as session:
        keys = list(session.scalars(select(LoginFailure.key)))
    assert max(len(k) for k in keys) < 120  # names kept as a short hash
    assert limiter.blocked("10.0.2.99", "x" * 100_000 + "599") is False
    clock.now += auth.LoginLimiter.MAX_WAIT + 1
    limiter.failed("10.9.9.9", "late")
    assert len(limiter) == 2  # a day later only the new failure's two keys are left


def test_every_limiter_on_one_database_counts_the_same_failures(clock: Clock, engine) -> None:
    """Two server processes each have their own limiter object; the failures are shared."""
    first, second = (auth.LoginLimiter(engine, limit=2, window=60) for _ in range(2))
    first.failed("a", "alice")
    second.failed("a", "alice")
    assert first.blocked("a", "alice") and second.blocked("a", "alice")
    second.succeeded("a", "alice")
    assert not first.blocked("a", "alice")


def test_proxies_are_trusted_only_when_configured(monkeypatch) -> None:
    assert Settings().trusted_proxies == ()
    monkeypatch.setenv("OBSERVATORY_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2")
    monkeypatch.setenv("OBSERVATORY_LANGUAGES", "en,zh")
    s = Settings()
    assert s.trusted_proxies == ("10.0.0.1", "10.0.0.2") and s.languages == ("en", "zh")
