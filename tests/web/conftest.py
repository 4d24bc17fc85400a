"""A small example city (2 % scale) with the demo accounts, built once per test session."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.config import Settings
from observatory.db import make_engine
from observatory.examples import EXAMPLE_CITY_SETTINGS
from observatory.examples.generator import generate_city
from observatory.market.database import registry_engine
from observatory.registry import models as m
from observatory.services.accounts import ensure_demo_accounts
from observatory.services.auth import create_api_token
from observatory.services.matcher import choose_embedder
from observatory.services.tables import User
from observatory.web.app import create_app

#: The example city's deployment settings (region, years, key plan), as `demo` writes them.
CITY = Settings(home=Path(__file__).resolve().parent, **EXAMPLE_CITY_SETTINGS)
ROLES = ("anonymous", "public", "admin", "analyst", "fund_manager", "broker", "enterprise")


@pytest.fixture(scope="session")
def city_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web_city") / "city.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    generate_city(engine, seed=5, scale=0.02)
    ensure_demo_accounts(engine)
    # cache the listing vectors of the app's default embedder, as a served database has them
    registry_engine(engine, choose_embedder("auto"))
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def _engine_copy(template: Path, folder: Path) -> Engine:
    path = folder / "city.db"
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}")


@pytest.fixture
def city_engine(city_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A private copy for tests that write."""
    engine = _engine_copy(city_template, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def shared_engine(city_template: Path, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[Engine]:
    """One copy per module for read-mostly tests, so the app's figure cache is shared."""
    engine = _engine_copy(city_template, tmp_path_factory.mktemp("web_shared"))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def shared_client(shared_engine: Engine) -> TestClient:
    return TestClient(create_app(shared_engine, settings=CITY))


@pytest.fixture(scope="module")
def tokens(shared_engine: Engine) -> dict[str, str]:
    """A bearer token per demo role."""
    out = {}
    with Session(shared_engine) as session:
        users = {u.role: u.id for u in session.scalars(select(User))}
    for role, uid in users.items():
        out[role] = create_api_token(shared_engine, uid, "tests")
    return out


def bearer(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {} if role == "anonymous" else {"Authorization": f"Bearer {tokens[role]}"}


def demo_user(engine: Engine, role: str) -> User:
    with Session(engine) as session:
        return session.scalars(select(User).where(User.role == role)).one()


def login(client: TestClient, username: str, password: str, **headers: str):
    """Log in through the form, as a browser does (pre-login CSRF cookie + hidden field)."""
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf": csrf, "next": "/overview"},
                       headers=headers, follow_redirects=False)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def some_listing(engine: Engine, owner: int | None = None, kind: type = m.Achievement) -> str:
    with Session(engine) as session:
        q = select(kind.code).where(kind.visibility == "public", kind.status == "published")
        if owner is not None:
            q = select(kind.code).where(kind.owner_organisation_id == owner)
        return session.scalars(q.order_by(kind.id).limit(1)).one()
