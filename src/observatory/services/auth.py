"""Passwords, sessions, API tokens, CSRF and the login rate limit.

Why server-side sessions: logging out or disabling a user takes effect at once, and the cookie
carries only a random token (its SHA-256 is the row key). CSRF uses the synchronizer pattern: a
per-session token in every form (or the ``X-CSRF-Token`` header for scripts using the cookie);
before login a double-submit cookie protects the login form itself. Bearer-token requests carry
no cookie, so they need no CSRF token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.services.tables import ROLES, ApiToken, LoginFailure, User, WebSession

SESSION_COOKIE = "obs_session"
PRE_CSRF_COOKIE = "obs_csrf"
SESSION_DAYS = 7
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user (with the links object rules need) or the anonymous public."""

    username: str
    role: str
    user_id: int | None = None
    organisation_id: int | None = None
    person_id: int | None = None
    csrf_token: str | None = None
    via_token: bool = False
    region: str | None = None
    """The account's home region (None: the whole deployment)."""
    scope: frozenset[str] | None = None
    """The home region's subtree, read from the regions table when the request began (None:
    no region restriction); ``services.access.in_scope`` reads it."""

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None


ANONYMOUS = Principal(username="anonymous", role="public")


def region_subtree(session: Session, code: str) -> frozenset[str]:
    """``code`` and every region below it, by the regions table's parent links (a province's
    cities and their districts; a district alone). Empty when ``code`` is unknown."""
    children: dict[str, list[str]] = {}
    known: set[str] = set()
    for child, parent in session.execute(select(m.Region.code, m.Region.parent_code)):
        known.add(child)
        if parent is not None:
            children.setdefault(parent, []).append(child)
    if code not in known:
        return frozenset()
    out, todo = {code}, [code]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return frozenset(out)


def _principal(session: Session, user: User, csrf: str | None = None,
               via_token: bool = False) -> Principal:
    scope = None if user.region_code is None else region_subtree(session, user.region_code)
    return Principal(user.username, user.role, user.id, user.organisation_id, user.person_id,
                     csrf, via_token, user.region_code, scope)


def principal_of(session: Session, user: User) -> Principal:
    """The principal a user acts as (scripts, tests and the command line, without a login)."""
    return _principal(session, user)


def create_user(session: Session, username: str, password: str, role: str,
                organisation_id: int | None = None, person_id: int | None = None,
                region_code: str | None = None) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {ROLES}")
    user = User(username=username, password_hash=hash_password(password), role=role,
                organisation_id=organisation_id, person_id=person_id, active=True,
                created_at=dt.datetime.now(dt.UTC), region_code=region_code)
    session.add(user)
    session.flush()
    return user


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            _hasher.hash(password)  # same work whether or not the user exists
            return None
        return user if verify_password(user.password_hash, password) else None


def start_session(engine: Engine, user_id: int) -> tuple[str, str]:
    """A new session for ``user_id``: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session, session.begin():
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(WebSession(token_hash=token_hash(token), user_id=user_id, csrf_token=csrf,
                               created_at=now,
                               expires_at=now + dt.timedelta(days=SESSION_DAYS)))
    return token, csrf


def end_session(engine: Engine, token: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def principal_from_session(engine: Engine, token: str) -> Principal | None:
    with Session(engine) as session:
        row = session.execute(
            select(WebSession, User).join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == token_hash(token))).first()
        if row is None:
            return None
        web_session, user = row
        if _aware(web_session.expires_at) < dt.datetime.now(dt.UTC) or not user.active:
            return None
        return _principal(session, user, web_session.csrf_token)


TOKEN_DAYS = 90
"""How long a new API token works unless its creator says otherwise."""
MAX_TOKEN_DAYS = 366
LAST_USED_EVERY = dt.timedelta(minutes=1)
"""``last_used_at`` is written at most this often per token: the use is recorded to the minute
while a script making many requests costs one write a minute, not one a request."""


def add_api_token(session: Session, user_id: int, name: str, days: int = TOKEN_DAYS
                  ) -> tuple[ApiToken, str]:
    """A new bearer token in the caller's transaction: (row, token). Only the hash is stored,
    so the caller must show the token now."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValueError(f"a token lasts 1 to {MAX_TOKEN_DAYS} days, not {days} / "
                         f"令牌有效期须为 1 至 {MAX_TOKEN_DAYS} 天，而不是 {days}")
    token = "obs_" + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    row = ApiToken(user_id=user_id, name=name, token_hash=token_hash(token), created_at=now,
                   revoked=False, expires_at=now + dt.timedelta(days=days))
    session.add(row)
    session.flush()
    return row, token


def create_api_token(engine: Engine, user_id: int, name: str, days: int = TOKEN_DAYS) -> str:
    """A new bearer token in its own transaction (scripts and tests); the token itself."""
    with Session(engine) as session, session.begin():
        return add_api_token(session, user_id, name, days)[1]


def token_state(token: ApiToken, now: dt.datetime | None = None) -> str:
    """``active``, ``revoked`` or ``expired``: what a request with this token meets."""
    if token.revoked:
        return "revoked"
    if _aware(token.expires_at) <= (now or dt.datetime.now(dt.UTC)):
        return "expired"
    return "active"


def principal_from_bearer(engine: Engine, token: str) -> Principal | None:
    """The token's user, if the token exists, is neither revoked nor expired and the user is
    active; notes the use (at most once a minute)."""
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        row = session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash(token))).first()
        if row is None or token_state(row[0], now) != "active" or not row[1].active:
            return None
        api_token, user = row
        last = api_token.last_used_at
        principal = _principal(session, user, via_token=True)
        if last is None or now - _aware(last) >= LAST_USED_EVERY:
            _note_use(session, api_token.id, now)
        return principal


def _note_use(session: Session, token_id: int, now: dt.datetime) -> None:
    """Stamp ``last_used_at`` (to the minute). Best effort: the WHERE makes concurrent requests
    write once, and a database busy with a long write skips the stamp rather than making a
    read wait for it (on SQLite the wait is cut to a tenth of a second)."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    wait = connection.exec_driver_sql("PRAGMA busy_timeout").scalar() if sqlite else None
    try:
        if sqlite:
            connection.exec_driver_sql("PRAGMA busy_timeout=100")
        session.execute(update(ApiToken).where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at <= now - LAST_USED_EVERY))
            .values(last_used_at=now.replace(second=0, microsecond=0))
            .execution_options(synchronize_session=False))
        session.commit()
    except OperationalError:
        session.rollback()
    finally:
        if sqlite:
            session.connection().exec_driver_sql(f"PRAGMA busy_timeout={int(wait or 0)}")


def csrf_ok(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected, given)


def _now() -> float:
    """Wall-clock seconds: every server process (and host) reads the same clock."""
    return time.time()


class LoginLimiter:
    """Failed logins slow down the one who fails, never the account holder.

    Counted per (user name, client address): after ``limit`` failures within a day that pair
    waits ``window`` seconds, and each further failure doubles the wait (up to a day). A client
    address that fails across many names waits too, at ``4 x limit``. Nothing is counted per
    user name alone, so nobody can lock the real user out by failing on purpose from elsewhere.

    The failures are rows of ``web_login_failures``, so every server process (``serve
    --workers``) counts the same ones. The table stays small: failures older than a day are
    deleted, at most ``max_keys`` are kept (the oldest forgotten first), and names are kept as
    a short hash, so a megabyte-long user name costs 32 bytes."""

    MAX_WAIT = 86_400.0

    def __init__(self, engine: Engine, limit: int = 5, window: float = 300.0,
                 max_keys: int = 10_000) -> None:
        self.engine, self.limit, self.window, self.max_keys = engine, limit, window, max_keys

    @staticmethod
    def _keys(client: str, username: str) -> tuple[str, str]:
        name = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()
        return f"pair:{client[:64]}:{name[:32]}", f"client:{client[:64]}"

    def _recent(self, keys: tuple[str, ...], now: float) -> dict[str, list[float]]:
        """The failures of the last day under each key, oldest first."""
        found: dict[str, list[float]] = {k: [] for k in keys}
        with Session(self.engine) as session:
            rows = session.execute(
                select(LoginFailure.key, LoginFailure.at)
                .where(LoginFailure.key.in_(keys), LoginFailure.at >= now - self.MAX_WAIT)
                .order_by(LoginFailure.at, LoginFailure.id))
            for key, at in rows:
                found[key].append(float(at))
        return found

    def wait(self, client: str, username: str) -> float:
        """Seconds this client must wait before trying ``username`` again (0: go ahead)."""
        now = _now()
        pair, addr = self._keys(client, username)
        recent = self._recent((pair, addr), now)
        return max(self._pair_wait(recent[pair], now), self._client_wait(recent[addr], now))

    def _pair_wait(self, failures: list[float], now: float) -> float:
        """``limit`` failures in a day: wait ``window``, then twice as long after each more."""
        if len(failures) < self.limit:
            return 0.0
        wait = min(self.window * 2 ** (len(failures) - self.limit), self.MAX_WAIT)
        return max(0.0, failures[-1] + wait - now)

    def _client_wait(self, failures: list[float], now: float) -> float:
        """``4 x limit`` failures within ``window`` from one address: wait out the window."""
        recent = [t for t in failures if t >= now - self.window]
        if len(recent) < 4 * self.limit:
            return 0.0
        return max(0.0, recent[-4 * self.limit] + self.window - now)

    def blocked(self, client: str, username: str) -> bool:
        return self.wait(client, username) > 0

    def failed(self, client: str, username: str) -> None:
        """Count a failure (under both keys) and keep the table within its bounds."""
        now = _now()
        with Session(self.engine) as session, session.begin():
            session.add_all([LoginFailure(key=k, at=now) for k in self._keys(client, username)])
            session.flush()
            session.execute(delete(LoginFailure).where(LoginFailure.at < now - self.MAX_WAIT))
            cut = session.scalar(select(LoginFailure.id).order_by(LoginFailure.id.desc())
                                 .offset(self.max_keys).limit(1))
            if cut is not None:
                session.execute(delete(LoginFailure).where(LoginFailure.id <= cut))

    def succeeded(self, client: str, username: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(LoginFailure).where(
                LoginFailure.key == self._keys(client, username)[0]))

    def __len__(self) -> int:
        """Failures remembered (rows), at most ``max_keys``."""
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(LoginFailure)) or 0)
