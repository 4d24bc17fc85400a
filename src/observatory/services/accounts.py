"""Accounts: a user's API tokens, and the demo accounts (one per role, tied to records of the
example data so the object rules can be seen)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.audit import record_change
from observatory.services.access import allow
from observatory.services.auth import Principal, create_api_token, create_user
from observatory.services.tables import ApiToken, User


class TokenView(BaseModel):
    id: int
    name: str
    created_at: str
    revoked: bool


class Account(BaseModel):
    """Who is logged in and their API tokens (names only: a token is shown once)."""

    username: str
    role: str
    tokens: list[TokenView]


def account(engine: Engine, p: Principal) -> Account:
    allow(p, "account")
    with Session(engine) as session:
        rows = session.scalars(select(ApiToken).where(ApiToken.user_id == p.user_id)
                               .order_by(ApiToken.id)).all()
    return Account(username=p.username, role=p.role, tokens=[
        TokenView(id=r.id, name=r.name, created_at=r.created_at.isoformat(), revoked=r.revoked)
        for r in rows])


def new_token(engine: Engine, p: Principal, name: str) -> str:
    """Create an API token for ``p`` (audited); the token itself, shown once."""
    allow(p, "account")
    if p.user_id is None:
        raise ValueError("a token needs a logged-in user / 创建令牌须先登录")
    name = (name or "script")[:120]
    token = create_api_token(engine, p.user_id, name)
    with Session(engine) as session, session.begin():
        record_change(session, actor=p.username, entity="web_api_tokens", entity_key=name,
                      action="insert", before=None, after={"name": name, "user": p.username},
                      operation="web token")
    return token

DEMO_PASSWORDS = {
    "admin": "admin-demo-2024",
    "analyst": "analyst-demo-2024",
    "fund_manager": "fund-demo-2024",
    "broker": "broker-demo-2024",
    "enterprise": "enterprise-demo-2024",
    "public": "public-demo-2024",
}
"""Fixed so the demo can print them; these are for the synthetic example city only."""


def _demo_links(session: Session) -> dict[str, dict[str, int | None]]:
    """Pick the records each demo user acts for: a fund's manager, a broker with matches or
    contracts, an enterprise that owns listings."""
    manager = session.scalar(select(m.Fund.manager_organisation_id)
                             .where(m.Fund.manager_organisation_id.is_not(None))
                             .order_by(m.Fund.id).limit(1))
    broker = session.scalar(select(m.BrokerQualification.person_id)
                            .order_by(m.BrokerQualification.id).limit(1))
    enterprise = session.scalar(
        select(m.Demand.owner_organisation_id).where(m.Demand.owner_organisation_id.is_not(None))
        .group_by(m.Demand.owner_organisation_id)
        .order_by(func.count().desc(), m.Demand.owner_organisation_id).limit(1))
    return {"fund_manager": {"organisation_id": manager}, "broker": {"person_id": broker},
            "enterprise": {"organisation_id": enterprise}}


def ensure_demo_accounts(engine: Engine) -> list[tuple[str, str, str]]:
    """Create the six demo accounts if absent (idempotent); return (username, password, role)."""
    out: list[tuple[str, str, str]] = []
    with Session(engine) as session, session.begin():
        links = _demo_links(session)
        for role, password in DEMO_PASSWORDS.items():
            username = f"demo-{role.replace('_', '-')}"
            out.append((username, password, role))
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                continue
            user = create_user(session, username, password, role, **links.get(role, {}))
            record_change(session, actor="demo", entity="web_users", entity_key=username,
                          action="insert", before=None,
                          after={"role": role, "organisation_id": user.organisation_id,
                                 "person_id": user.person_id}, operation="demo accounts")
    return out
