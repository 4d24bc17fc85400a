"""Results kept while the database state is unchanged, so a busy page costs one small query.

The state is the newest audit-log record: every write goes through the audit log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import Engine, func, select

from observatory.registry import models as m

T = TypeVar("T")


def db_state(engine: Engine) -> int:
    """A number that changes whenever data changes: the newest audit-log record."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(m.AuditLog.id))).scalar() or 0)


class StateCache:
    """Results keyed by (name, arguments) and valid while the database state is unchanged."""

    def __init__(self, engine: Engine, max_items: int = 256) -> None:
        self.engine, self.max_items = engine, max_items
        self._data: dict[tuple[Hashable, ...], tuple[int, object]] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[Hashable, ...], threading.Lock] = {}

    def get(self, name: str, compute: Callable[[], T], *args: Hashable) -> T:
        key = (name, *args)
        state = db_state(self.engine)
        hit = self._data.get(key)
        if hit is not None and hit[0] == state:
            return hit[1]  # type: ignore[return-value]
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one computation per key; concurrent callers wait for it
            hit = self._data.get(key)
            if hit is not None and hit[0] == state:
                return hit[1]  # type: ignore[return-value]
            value = compute()
            with self._lock:
                if len(self._data) >= self.max_items:
                    self._data.pop(next(iter(self._data)))
                self._data[key] = (state, value)
            return value
