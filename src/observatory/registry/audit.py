"""The append-only audit log: every change records who, when, what, before and after.

Why a hash chain: the log is only worth something if an edit or a deletion made behind the
application's back shows. Each record stores ``prev_hash`` (the ``hash`` of the record before
it in id order; :data:`GENESIS` for the first) and ``hash`` = SHA-256 over ``prev_hash`` and a
canonical JSON of its fields (:func:`record_hash`). Editing a record breaks its own hash;
deleting one breaks the ``prev_hash`` of the next. :func:`verify_chain` names the first broken
link. Rewriting the whole tail after a point stays possible for someone with write access, so
the head hash :func:`verify_chain` reports is worth noting outside the database.

Why a lock: two writers that both read the same newest hash would fork the chain. Writers take
the chain's tail inside their own transaction, after taking the database's write lock: a
transaction-scoped advisory lock on PostgreSQL (``SELECT ... FOR UPDATE`` on the newest row
would not do: a writer waiting on it wakes up still seeing the old newest row), and SQLite's
single write lock (taken by a no-op write) there. Ids are assigned after the lock, so id order
is chain order.

Changing :func:`record_hash` changes every hash: it needs a migration that recomputes the chain
(as 0005 computed it for the records written before the chain existed).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.orm import Session

from observatory.registry.models import AuditLog, DataVersion

GENESIS = "0" * 64
"""The ``prev_hash`` of the first record."""

#: The PostgreSQL advisory lock key that serialises audit writers (any fixed 64-bit number).
ADVISORY_KEY = 0x0B5A_0D17_C4A1_0001

#: The fields a record's hash covers, in this order (everything but ``id`` and the hashes).
HASHED_FIELDS = ("at", "actor", "entity", "entity_key", "action", "before", "after",
                 "operation")


def json_safe(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Values as JSON can hold them: decimals and dates become strings."""
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Decimal):
            out[key] = format(value, "f")
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


#: The canonical form: sorted keys, no spaces, text as is, no NaN (built once: json.dumps with
#: options builds a new encoder on every call, which a 200,000-row import feels).
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              allow_nan=False).encode
_plain = json.JSONEncoder(ensure_ascii=False).encode


def canonical_utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC time; a time without an offset is taken to be UTC already."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC)


@functools.lru_cache(maxsize=64)
def canonical_time(value: dt.datetime) -> str:
    """A time as the hash sees it: UTC, microseconds, whatever the backend hands back.

    SQLite returns the stored time without its offset (written in UTC), PostgreSQL an aware
    time in the session's zone; both read the same here."""
    return canonical_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_SCALARS = (str, int, bool, type(None))


def _as_stored(value: Any) -> Any:
    """A JSON value as the database gives it back (tuples become lists, keys strings; NaN and
    infinities, which JSON lacks, become the texts "NaN" and "Infinity"), so the hash computed
    at write time is the one recomputed on reading. A flat dict of plain values (what the
    importer writes, row after row) is already so and is kept as it is."""
    if value is None:
        return None
    if isinstance(value, dict) and all(
            type(k) is str and (type(v) in _SCALARS
                                or (type(v) is float and math.isfinite(v)))
            for k, v in value.items()):
        return value
    return json.loads(_plain(value), parse_constant=str)


def record_hash(prev_hash: str, record: dict[str, Any]) -> str:
    """SHA-256 (hex) over ``prev_hash``, a newline and the canonical JSON of the record."""
    fields = {name: record.get(name) for name in HASHED_FIELDS}
    fields["at"] = canonical_time(record["at"])
    body = _canonical(fields)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def chain(records: Iterable[dict[str, Any]], prev_hash: str = GENESIS
          ) -> Iterator[dict[str, Any]]:
    """The records with ``prev_hash`` and ``hash`` set, each linked to the one before."""
    for record in records:
        digest = record_hash(prev_hash, record)
        yield {**record, "prev_hash": prev_hash, "hash": digest}
        prev_hash = digest


def lock_tail(connection: Connection) -> str:
    """Take the audit writers' lock for the rest of this transaction and return the newest
    record's hash (:data:`GENESIS` if the log is empty)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
    else:  # SQLite: any write takes the database's one write lock, held until commit
        connection.execute(text("UPDATE audit_log SET id = id WHERE id < 0"))
    newest = connection.scalar(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1))
    return newest or GENESIS


def append_records(connection: Connection, rows: list[dict[str, Any]], *, actor: str,
                   operation: str, at: dt.datetime | None = None) -> None:
    """Append audit records (``entity``, ``entity_key``, ``action``, ``before``, ``after``)
    to the chain, inside the caller's transaction on ``connection``."""
    if not rows:
        return
    # in UTC: SQLite keeps a time's fields and drops its offset, and the hash reads them as UTC
    now = canonical_utc(at) if at is not None else dt.datetime.now(dt.UTC)
    prev = lock_tail(connection)
    payload = list(chain(({**row, "before": _as_stored(row.get("before")),
                           "after": _as_stored(row.get("after")), "actor": actor,
                           "operation": operation, "at": now} for row in rows), prev))
    for start in range(0, len(payload), 5000):
        connection.execute(insert(AuditLog), payload[start:start + 5000])
    bump_versions(connection, {row["entity"] for row in rows}, now)


def bump_versions(connection: Connection, entities: set[str], at: dt.datetime) -> None:
    """Move the version of each entity written and of ``*`` (any write), in the writer's
    transaction and under the audit lock, so caches in every process see the change exactly
    when the data commits (``services.cache``)."""
    for entity in sorted(entities | {"*"}):
        moved = connection.execute(update(DataVersion).where(DataVersion.entity == entity)
                                   .values(version=DataVersion.version + 1, changed_at=at))
        if moved.rowcount == 0:
            connection.execute(insert(DataVersion).values(entity=entity, version=1,
                                                          changed_at=at))


def audit_rows(session: Session, rows: list[dict[str, Any]], *, actor: str,
               operation: str) -> None:
    """Append audit records (``entity``, ``entity_key``, ``action``, ``before``, ``after``)."""
    if rows:
        session.flush()
        append_records(session.connection(), rows, actor=actor, operation=operation)


def record_change(session: Session, *, actor: str, entity: str, entity_key: str, action: str,
                  before: dict[str, Any] | None, after: dict[str, Any] | None,
                  operation: str = "edit") -> None:
    """Audit one change made through an interactive edit (web form, API, workflow step)."""
    audit_rows(session, [{"entity": entity, "entity_key": entity_key, "action": action,
                          "before": json_safe(before), "after": json_safe(after)}],
               actor=actor, operation=operation)


def recent(session: Session, limit: int = 100, entity: str | None = None) -> list[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditLog.entity == entity)
    return list(session.scalars(query))


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found: the records read, the head, and the first broken link
    (``broken_id`` with the ``field`` that disagrees, the ``expected`` and ``found`` values)."""

    records: int
    head_id: int | None
    head_hash: str
    broken_id: int | None = None
    field: str | None = None
    expected: str | None = None
    found: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def verify_chain(connection: Connection, batch: int = 2000) -> ChainReport:
    """Recompute the chain in id order; stop at the first record whose ``prev_hash`` is not the
    hash before it (a record deleted or moved before it) or whose ``hash`` is not its content's
    (the record itself changed)."""
    columns = [AuditLog.id, AuditLog.prev_hash, AuditLog.hash,
               *(getattr(AuditLog, name) for name in HASHED_FIELDS)]
    prev, count, head_id = GENESIS, 0, None
    rows = connection.execution_options(yield_per=batch).execute(
        select(*columns).order_by(AuditLog.id))
    for row in rows.mappings():
        record = dict(row)
        if record["prev_hash"] != prev:
            return ChainReport(count, head_id, prev, record["id"], "prev_hash", prev,
                               record["prev_hash"])
        digest = record_hash(prev, record)
        if record["hash"] != digest:
            return ChainReport(count, head_id, prev, record["id"], "hash", digest,
                               record["hash"])
        prev, count, head_id = digest, count + 1, record["id"]
    return ChainReport(count, head_id, prev)
