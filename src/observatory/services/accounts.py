"""Accounts: a user's API tokens, and the demo accounts (one per role, tied to records of the
example data so the object rules can be seen)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.audit import record_change
from observatory.services.access import allow
from observatory.services.auth import (
    TOKEN_DAYS,
    Principal,
    add_api_token,
    create_user,
    token_state,
)
from observatory.services.errors import Invalid, NotFound
from observatory.services.tables import ApiToken, User


class TokenView(BaseModel):
    """One API token as its owner sees it (never the token itself)."""

    id: int
    name: str
    created_at: str
    expires_at: str
    last_used_at: str | None
    revoked: bool
    state: str
    """``active``, ``expired`` or ``revoked``."""


class Account(BaseModel):
    """Who is logged in and their API tokens (names only: a token is shown once)."""

    username: str
    role: str
    tokens: list[TokenView]


def _minutes(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=None).isoformat(" ", "minutes")


def token_view(row: ApiToken) -> TokenView:
    return TokenView(id=row.id, name=row.name, created_at=row.created_at.isoformat(),
                     expires_at=_minutes(row.expires_at) or "",
                     last_used_at=_minutes(row.last_used_at), revoked=row.revoked,
                     state=token_state(row))


def user_tokens(session: Session, user_id: int) -> list[TokenView]:
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                           .order_by(ApiToken.id)).all()
    return [token_view(r) for r in rows]


def account(engine: Engine, p: Principal) -> Account:
    allow(p, "account")
    if p.user_id is None:
        return Account(username=p.username, role=p.role, tokens=[])
    with Session(engine) as session:
        return Account(username=p.username, role=p.role,
                       tokens=user_tokens(session, p.user_id))


def tokens_of(engine: Engine, username: str) -> list[TokenView]:
    """A user's tokens by user name (the operator's view on the command line)."""
    with Session(engine) as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise NotFound(f"no user {username!r}", f"没有用户 {username!r}")
        return user_tokens(session, user_id)


def new_token(engine: Engine, p: Principal, name: str, days: int = TOKEN_DAYS) -> str:
    """Create an API token for ``p`` (audited, in the same transaction); the token itself,
    shown once."""
    allow(p, "account")
    if p.user_id is None:
        raise Invalid("a token needs a logged-in user", "创建令牌须先登录")
    name = (name or "script")[:120]
    with Session(engine) as session, session.begin():
        try:
            row, token = add_api_token(session, p.user_id, name, days)
        except ValueError as exc:
            raise Invalid(*str(exc).split(" / ", 1)) from None
        record_change(session, actor=p.username, entity="web_api_tokens", entity_key=name,
                      action="insert", before=None,
                      after={"id": row.id, "name": name, "user": p.username,
                             "expires_at": row.expires_at.isoformat()},
                      operation="web token")
    return token


def revoke_token(engine: Engine, actor: str, username: str, token: str | int,
                 operation: str = "revoke token") -> list[TokenView]:
    """Revoke ``username``'s token with id ``token`` (an int), or the token(s) named ``token``
    or with that id (a text, as typed on the command line); audited, in one transaction. The
    tokens as they are now; revoking a revoked token changes nothing."""
    with Session(engine) as session, session.begin():
        user_id = session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise NotFound(f"no user {username!r}", f"没有用户 {username!r}")
        if isinstance(token, int):
            match = ApiToken.id == token
        else:
            match = ApiToken.name == token
            if token.isdigit():
                match = or_(match, ApiToken.id == int(token))
        rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user_id, match)
                               .order_by(ApiToken.id)).all()
        if not rows:
            raise NotFound(f"user {username!r} has no token {token!r}",
                           f"用户 {username!r} 没有令牌 {token!r}")
        for row in rows:
            if row.revoked:
                continue
            row.revoked = True
            record_change(session, actor=actor, entity="web_api_tokens", entity_key=row.name,
                          action="update", before={"id": row.id, "revoked": False},
                          after={"id": row.id, "revoked": True, "user": username},
                          operation=operation)
        session.flush()
        return [token_view(r) for r in rows]


def revoke_own_token(engine: Engine, p: Principal, token_id: int) -> TokenView:
    """The account page's revoke button: ``p`` revokes one of their own tokens by id."""
    allow(p, "account")
    if p.user_id is None:
        raise Invalid("revoking a token needs a logged-in user", "撤销令牌须先登录")
    return revoke_token(engine, p.username, p.username, token_id, "web revoke token")[0]


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
