"""Accounts: user administration (add, list, disable, reset a password, grant a role and a home
region), a user's own password and API tokens, and the demo accounts (one per role, tied to
records of the example data so the object rules can be seen).

Every change is audited in the transaction that makes it; a password never reaches the audit
log. Command line and admin page call the same functions, so they refuse the same input with
the same bilingual message.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping

from pydantic import BaseModel
from sqlalchemy import Engine, delete, func, or_, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.audit import record_change
from observatory.services.access import allow, in_scope
from observatory.services.auth import (
    TOKEN_DAYS,
    Principal,
    add_api_token,
    create_user,
    hash_password,
    token_state,
    verify_password,
)
from observatory.services.errors import Conflict, Denied, Invalid, NotFound
from observatory.services.tables import ROLES, ApiToken, User, WebSession


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
    """Who is logged in, their home region and API tokens (names only: a token is shown
    once)."""

    username: str
    role: str
    region: str | None = None
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
        return Account(username=p.username, role=p.role, region=p.region, tokens=[])
    with Session(engine) as session:
        return Account(username=p.username, role=p.role, region=p.region,
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


# ----- user administration -----------------------------------------------------------------
MIN_PASSWORD = 10
MAX_PASSWORD = 200
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")


class UserView(BaseModel):
    """One account as the administrator sees it (never its password or tokens)."""

    username: str
    role: str
    region: str | None
    """Home region (GB/T 2260); None: the whole deployment."""
    organisation: str | None
    """The organisation's USCC (enterprise and fund-manager accounts)."""
    active: bool
    created_at: str
    disabled_at: str | None
    tokens: int
    """API tokens that still work."""


class UserList(BaseModel):
    users: list[UserView]
    roles: list[str]


class NewUser(BaseModel):
    """An account to create (the admin page's form and its JSON twin)."""

    username: str
    role: str
    password: str
    region: str | None = None
    organisation: str | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, object]) -> NewUser:
        def text(key: str) -> str:
            return str(form.get(key) or "").strip()
        return cls(username=text("username"), role=text("role"),
                   password=str(form.get("password") or ""), region=text("region") or None,
                   organisation=text("organisation") or None)


class RoleGrant(BaseModel):
    """A new role, and a new home region (None keeps the current one)."""

    role: str
    region: str | None = None


class NewPassword(BaseModel):
    password: str


class PasswordChange(BaseModel):
    """A user's own password change: the current password proves it is them."""

    current: str
    new: str


def password_problem(password: str, username: str) -> tuple[str, str] | None:
    """Why ``password`` is too weak (English, Chinese), or None. The rule: at least
    ``MIN_PASSWORD`` characters, at least two kinds (letters, digits, other characters), six
    different characters, and not containing the user name."""
    kinds = sum(any(test(ch) for ch in password)
                for test in (str.isalpha, str.isdigit, lambda c: not c.isalnum()))
    if len(password) < MIN_PASSWORD:
        return (f"the password must have at least {MIN_PASSWORD} characters",
                f"密码至少须有 {MIN_PASSWORD} 个字符")
    if len(password) > MAX_PASSWORD:
        return (f"the password may have at most {MAX_PASSWORD} characters",
                f"密码最多 {MAX_PASSWORD} 个字符")
    if kinds < 2 or len(set(password)) < 6:
        return ("the password must mix at least two kinds of characters (letters, digits, "
                "others) and have six different characters",
                "密码须包含至少两类字符（字母、数字、其他符号）且至少六个不同字符")
    if username and len(username) >= 3 and username.lower() in password.lower():
        return "the password must not contain the user name", "密码不得包含用户名"
    return None


def check_password(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem is not None:
        raise Invalid(*problem)


def random_password() -> str:
    """A password that meets the rule (shown once, e.g. for a demo account)."""
    while True:
        password = secrets.token_urlsafe(12)
        if password_problem(password, "") is None:
            return password


def _role(role: str) -> str:
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; one of {', '.join(ROLES)}",
                      f"未知角色 {role!r}；可选：{', '.join(ROLES)}")
    return role


def _region(session: Session, code: str | None) -> str | None:
    if code is None:
        return None
    if session.get(m.Region, code) is None:
        raise Invalid(f"unknown region {code!r}: not in the regions table",
                      f"未知的行政区划代码 {code!r}：不在行政区划表中")
    return code


def _organisation(session: Session, uscc: str | None) -> int | None:
    if uscc is None:
        return None
    found = session.scalar(select(m.Organisation.id).where(m.Organisation.uscc == uscc))
    if found is None:
        raise Invalid(f"unknown organisation {uscc!r}: no organisation has this USCC",
                      f"未知机构 {uscc!r}：没有该统一社会信用代码的机构")
    return int(found)


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}", f"没有用户 {username!r}")
    return user


def _minute(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="minutes")


def _view(session: Session, user: User) -> UserView:
    uscc = None if user.organisation_id is None else session.scalar(
        select(m.Organisation.uscc).where(m.Organisation.id == user.organisation_id))
    now = dt.datetime.now(dt.UTC)
    tokens = sum(token_state(t, now) == "active" for t in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)))
    return UserView(username=user.username, role=user.role, region=user.region_code,
                    organisation=uscc, active=user.active,
                    created_at=_minute(user.created_at) or "",
                    disabled_at=_minute(user.disabled_at), tokens=tokens)


def _state(user: User) -> dict[str, object]:
    """What the audit log records of an account (never the password hash)."""
    return {"role": user.role, "region": user.region_code,
            "organisation_id": user.organisation_id, "active": user.active}


def _audit(session: Session, actor: str, user: User, action: str,
           before: dict[str, object] | None, operation: str) -> None:
    record_change(session, actor=actor, entity="web_users", entity_key=user.username,
                  action=action, before=before, after=_state(user), operation=operation)


def _end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def add_user(engine: Engine, actor: str, given: NewUser) -> UserView:
    """Create an account (audited). Invalid for a bad name, role, region, organisation or a
    weak password; Conflict when the name is taken."""
    if not USERNAME.match(given.username):
        raise Invalid(f"user name {given.username[:80]!r}: 1-80 letters, digits or . _ @ -, "
                      "starting with a letter or digit",
                      f"用户名 {given.username[:80]!r}：1 至 80 个字母、数字或 . _ @ -，"
                      "以字母或数字开头")
    _role(given.role)
    check_password(given.password, given.username)
    with Session(engine) as session, session.begin():
        region = _region(session, given.region)
        organisation = _organisation(session, given.organisation)
        if session.scalar(select(User.id).where(User.username == given.username)):
            raise Conflict(f"user {given.username!r} exists already",
                           f"用户 {given.username!r} 已存在")
        user = create_user(session, given.username, given.password, given.role,
                           organisation_id=organisation, region_code=region)
        _audit(session, actor, user, "insert", None, "add user")
        return _view(session, user)


def list_users(engine: Engine) -> UserList:
    with Session(engine) as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        return UserList(users=[_view(session, u) for u in users], roles=list(ROLES))


def disable_user(engine: Engine, actor: str, username: str) -> UserView:
    """Disable an account: it cannot log in, and its sessions and tokens stop working at
    once (audited; disabling a disabled account changes nothing)."""
    with Session(engine) as session, session.begin():
        user = _user(session, username)
        _end_sessions(session, user.id)
        if user.active:
            before = _state(user)
            user.active, user.disabled_at = False, dt.datetime.now(dt.UTC)
            _audit(session, actor, user, "update", before, "disable user")
        return _view(session, user)


def reset_password(engine: Engine, actor: str, username: str, password: str) -> UserView:
    """Set a new password (audited, without it); the user's sessions end."""
    with Session(engine) as session, session.begin():
        user = _user(session, username)
        check_password(password, username)
        user.password_hash = hash_password(password)
        _end_sessions(session, user.id)
        record_change(session, actor=actor, entity="web_users", entity_key=username,
                      action="update", before=None, after={"password": "reset"},
                      operation="reset password")
        return _view(session, user)


def grant(engine: Engine, actor: str, username: str, given: RoleGrant) -> UserView:
    """Give an account a role and (optionally) a new home region (audited); its sessions end,
    so the next request already runs under the new scope."""
    _role(given.role)
    with Session(engine) as session, session.begin():
        user = _user(session, username)
        before = _state(user)
        user.role = given.role
        if given.region is not None:
            user.region_code = _region(session, given.region)
        _end_sessions(session, user.id)
        _audit(session, actor, user, "update", before, "grant")
        return _view(session, user)


def change_password(engine: Engine, p: Principal, given: PasswordChange) -> None:
    """A user changes their own password; the current one must be given (audited)."""
    allow(p, "account")
    if p.user_id is None or p.via_token:
        raise Invalid("a password is changed on the account page, logged in",
                      "请登录后在账户页面修改密码")
    with Session(engine) as session, session.begin():
        user = session.get_one(User, p.user_id)
        if not verify_password(user.password_hash, given.current):
            raise Invalid("the current password is wrong", "当前密码错误")
        check_password(given.new, user.username)
        user.password_hash = hash_password(given.new)
        record_change(session, actor=p.username, entity="web_users", entity_key=user.username,
                      action="update", before=None, after={"password": "changed"},
                      operation="change password")


# ----- the admin page: the same, for an administrator (of their own region's subtree) ---------
def _admin_may(p: Principal, engine: Engine, username: str | None, region: str | None) -> None:
    """An administrator with a home region manages only accounts of that region's subtree
    and grants only regions inside it."""
    allow(p, "users")
    if p.scope is None:
        return
    if region is not None and not in_scope(p, region):
        raise Denied(403)
    if username is not None:
        with Session(engine) as session:
            target = session.scalar(select(User.region_code).where(User.username == username))
        if target is None or not in_scope(p, target):
            raise Denied(403)


def admin_users(engine: Engine, p: Principal) -> UserList:
    allow(p, "users")
    data = list_users(engine)
    if p.scope is not None:
        data.users = [u for u in data.users if u.region and in_scope(p, u.region)]
    return data


def admin_add(engine: Engine, p: Principal, given: NewUser) -> UserView:
    _admin_may(p, engine, None, given.region)
    if p.scope is not None and given.region is None:
        raise Invalid("an administrator of a region gives each new account a region in it",
                      "辖区管理员须为新账户指定其辖区内的行政区划")
    return add_user(engine, p.username, given)


def admin_disable(engine: Engine, p: Principal, username: str) -> UserView:
    _admin_may(p, engine, username, None)
    if username == p.username:
        raise Invalid("you cannot disable your own account", "不能停用自己的账户")
    return disable_user(engine, p.username, username)


def admin_reset(engine: Engine, p: Principal, username: str, given: NewPassword) -> UserView:
    _admin_may(p, engine, username, None)
    return reset_password(engine, p.username, username, given.password)


def admin_grant(engine: Engine, p: Principal, username: str, given: RoleGrant) -> UserView:
    _admin_may(p, engine, username, given.region)
    return grant(engine, p.username, username, given)


# ----- demo accounts ------------------------------------------------------------------------
DEMO_PASSWORDS = {
    "admin": "admin-demo-2024",
    "analyst": "analyst-demo-2024",
    "fund_manager": "fund-demo-2024",
    "broker": "broker-demo-2024",
    "enterprise": "enterprise-demo-2024",
    "public": "public-demo-2024",
}
"""The walkthrough passwords (README, browser test): used only when asked for
(``observatory demo --walkthrough-passwords``); otherwise each demo account gets a random
password, printed once."""


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


KEPT = "(unchanged)"
"""What ``ensure_demo_accounts`` reports for an account whose random password was shown
before (it is not stored and cannot be shown again)."""


def ensure_demo_accounts(engine: Engine, walkthrough: bool = True
                         ) -> list[tuple[str, str, str]]:
    """Create the six demo accounts if absent; return (username, password, role).

    ``walkthrough``: the fixed ``DEMO_PASSWORDS`` (idempotent; an existing demo account whose
    password differs gets it back, audited). Otherwise a new account gets a random password,
    returned this once, and an existing one keeps its password (reported as ``KEPT``)."""
    out: list[tuple[str, str, str]] = []
    with Session(engine) as session, session.begin():
        links = _demo_links(session)
        for role, fixed in DEMO_PASSWORDS.items():
            username = f"demo-{role.replace('_', '-')}"
            user = session.scalar(select(User).where(User.username == username))
            password = fixed if walkthrough else random_password()
            if user is None:
                user = create_user(session, username, password, role,
                                   organisation_id=links.get(role, {}).get("organisation_id"),
                                   person_id=links.get(role, {}).get("person_id"))
                record_change(session, actor="demo", entity="web_users", entity_key=username,
                              action="insert", before=None,
                              after={"role": role, "organisation_id": user.organisation_id,
                                     "person_id": user.person_id}, operation="demo accounts")
            elif not walkthrough:
                password = KEPT
            elif not verify_password(user.password_hash, fixed):
                user.password_hash = hash_password(fixed)
                record_change(session, actor="demo", entity="web_users", entity_key=username,
                              action="update", before=None, after={"password": "walkthrough"},
                              operation="demo accounts")
            out.append((username, password, role))
    return out
