"""Web accounts, sessions, API tokens and staged imports (on the registry's ``Base``).

Why here: they belong to the web app, but share the registry's metadata so one Alembic history
migrates everything. Secrets are stored only as hashes: argon2 for passwords, SHA-256 for the
random session and API tokens (high-entropy, so a fast hash is enough and lookups stay indexed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from observatory.registry.models import Base

ROLES = ("admin", "analyst", "fund_manager", "broker", "enterprise", "public")


class User(Base):
    """A person who logs in. Enterprise and fund-manager users are tied to an organisation,
    brokers to their person record, and every user may have a home region: object-level
    rules read these links."""

    __tablename__ = "web_users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin','analyst','fund_manager','broker','enterprise','public')",
            name="role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    """The home region: the user reads and edits records of this region's subtree (its
    descendants by ``regions.parent_code``). Empty: the whole deployment."""
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """When an administrator disabled the account (``active`` is then false)."""


class WebSession(Base):
    """A logged-in browser: the cookie holds a random token, the row its SHA-256 hash."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A bearer token for scripts; shown once at creation, stored as a hash."""

    __tablename__ = "web_api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    """After this a token is refused (``services.auth.TOKEN_DAYS`` after creation by default)."""
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """When the token last authenticated a request, to the minute (written at most once a
    minute per token, so a busy script does not turn every read into a write)."""


class ImportRun(Base):
    """An uploaded import file: validated (report kept), then committed or discarded.

    The file stays here between "validate" and "confirm" so the confirmation imports exactly the
    bytes that were checked, whichever server process answers.
    """

    __tablename__ = "web_import_runs"
    __table_args__ = (
        CheckConstraint("status IN ('invalid','validated','committed','discarded')",
                        name="status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    filename: Mapped[str] = mapped_column(String(300))
    entity: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20))
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Mapping preview, warnings, error count and options (``services.imports``).
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class LoginFailure(Base):
    """One failed login, counted by ``services.auth.LoginLimiter`` under two keys (the user
    name and client pair, and the client alone). In the database so every server process
    counts the same failures; pruned as it grows (a day's failures at most, a bounded number)."""

    __tablename__ = "web_login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), index=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    """Seconds since the epoch (wall clock: every process and host reads the same)."""
