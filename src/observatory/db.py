"""Engine and session factory for SQLite (default) and PostgreSQL.

SQLite gets WAL, enforced foreign keys and a busy timeout so a laptop behaves like a server,
and several server processes (``serve --workers``) read while one writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from observatory.config import get_settings

BUSY_SECONDS = 30
"""How long a statement waits for another writer's lock before giving up (SQLite's busy
timeout; on PostgreSQL the server's lock_timeout, if set, decides)."""

#: What a reader is told when the database stayed locked (web 503, CLI exit 2).
BUSY = ("the database is busy with another write that has held its lock for more than "
        f"{BUSY_SECONDS} s; nothing was written; try again shortly",
        f"数据库正被另一项写入占用，锁已持有超过 {BUSY_SECONDS} 秒；未写入任何数据；请稍后重试")
#: What a writer is told when a uniqueness or reference rule refused its write (409, exit 2).
CONFLICT = ("the change conflicts with a record written at the same time or already there "
            "(a key or reference rule refused it); nothing was written; reload and try again",
            "该修改与同时写入或已有的记录冲突（键或引用规则拒绝了它）；未写入任何数据；"
            "请刷新后重试")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """Create an engine for ``url`` (default: the configured database)."""
    url = url or get_settings().url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


def database_busy(exc: BaseException) -> bool:
    """A lock wait that ran out: SQLite's "database is locked" / "database table is locked",
    PostgreSQL's lock timeout or a deadlock it broke. Not a bug: the caller may retry."""
    if not isinstance(exc, OperationalError | DBAPIError):
        return False
    text = str(getattr(exc, "orig", exc)).lower()
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return ("database is locked" in text or "database table is locked" in text
            or code in ("55P03", "40P01"))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session


@contextmanager
def session_for(db: Session | Engine) -> Iterator[Session]:
    """Use the caller's session as is, or open (and close) one on an engine.

    Lets a loader serve both a caller already inside a transaction and a plain engine.
    """
    if isinstance(db, Session):
        yield db
    else:
        with Session(db) as session:
            yield session
