"""Results kept while the data they read is unchanged, shared by nothing but the database.

Why versions per entity: every write is audited, and the audit writer moves a counter per
entity it writes (``data_versions``, same transaction; ``registry.audit.bump_versions``). A
cached result remembers the versions of the entities it depends on, so an edit of a saved
search or a match leaves the figures cached, and every server process (``serve --workers``)
reads the same counters: one small query per request, no message between workers.

Why stale-while-revalidate for the heavy pages: the overview takes a second or more to build
on two cores. With ``stale_ok`` a reader that finds the figures outdated gets the previous
result at once, marked with the time it was computed (``as_of``), while one background thread
per key rebuilds it; the next request after the rebuild sees the change. Staleness is
bounded: a result more than ``max_stale`` seconds behind the data is not served, the reader
waits for the rebuild instead. After a rebuild, the next one of the same key waits as long as
the last one took, so a stream of edits keeps at most half a core busy rebuilding, and the
rebuild is scheduled rather than skipped, so the change shows without another request.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Engine, select

from observatory.registry import models as m

T = TypeVar("T")
log = logging.getLogger(__name__)

ANY = "*"
"""The entity every write moves: a result depending on it is outdated by any write."""

#: Tables no computed figure reads: the marketplace workflow, the matcher's vectors, the web
#: app's accounts, sessions and imports, and this bookkeeping itself.
NOT_FIGURES = frozenset({"matches", "match_events", "listing_vectors", "saved_searches",
                         "match_alerts", "audit_log", "data_versions"})


def figure_tables() -> tuple[str, ...]:
    """Every registry table a figure may read (indicators, plans, targets, funds, index)."""
    return tuple(sorted(name for name in m.Base.metadata.tables
                        if name not in NOT_FIGURES and not name.startswith("web_")))


def data_versions(engine: Engine) -> dict[str, int]:
    """The version of every entity written so far (``*``: of any write)."""
    with engine.connect() as conn:
        return {e: int(v) for e, v in conn.execute(select(m.DataVersion.entity,
                                                          m.DataVersion.version))}


def db_state(engine: Engine) -> int:
    """A number that changes whenever data changes (the version of ``*``)."""
    return data_versions(engine).get(ANY, 0)


def stamp_of(versions: dict[str, int], depends: Iterable[str]) -> tuple[int, ...]:
    """The versions a result depends on. An entity that names no table (an audit name a new
    write path made up) counts for every result: it may have changed anything."""
    wanted = set(depends)
    if ANY in wanted:
        return (versions.get(ANY, 0),)
    tables = m.Base.metadata.tables
    unknown = sum(v for e, v in versions.items() if e != ANY and e not in tables)
    return (*(versions.get(e, 0) for e in sorted(wanted)), unknown)


def _not_older(have: tuple[int, ...], want: tuple[int, ...]) -> bool:
    return len(have) == len(want) and all(a >= b for a, b in zip(have, want, strict=True))


@dataclass(frozen=True)
class Cached(Generic[T]):
    """A result with the time its data was read and whether newer data exists."""

    value: T
    as_of: dt.datetime
    stale: bool


@dataclass
class _Entry:
    stamp: tuple[int, ...]
    value: object
    as_of: dt.datetime
    outdated_since: float | None = None


_fresh_only = threading.local()
"""Set inside a computation: a result built from stale parts would be stamped as fresh."""


class StateCache:
    """Results keyed by (name, arguments), valid while the entities they depend on are
    unchanged; ``stale_ok`` results are rebuilt in the background (module docstring)."""

    def __init__(self, engine: Engine, max_items: int = 256, max_stale: float = 60.0) -> None:
        self.engine, self.max_items, self.max_stale = engine, max_items, max_stale
        self._data: dict[tuple[Hashable, ...], _Entry] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[Hashable, ...], threading.Lock] = {}
        self._next_rebuild: dict[tuple[Hashable, ...], float] = {}
        self._pending: dict[tuple[Hashable, ...], threading.Thread] = {}

    def get(self, name: str, compute: Callable[[], T], *args: Hashable,
            depends: Iterable[str] = (ANY,), stale_ok: bool = False) -> T:
        return self.entry(name, compute, *args, depends=depends, stale_ok=stale_ok).value

    def entry(self, name: str, compute: Callable[[], T], *args: Hashable,
              depends: Iterable[str] = (ANY,), stale_ok: bool = False) -> Cached[T]:
        """The cached result (computing it when missing or outdated, see the class)."""
        key = (name, *args)
        depends = tuple(depends)
        stamp = stamp_of(data_versions(self.engine), depends)
        hit = self._data.get(key)
        if hit is not None and hit.stamp == stamp:
            return Cached(hit.value, hit.as_of, False)  # type: ignore[arg-type]
        if hit is not None and stale_ok and not getattr(_fresh_only, "on", False):
            now = time.monotonic()
            if hit.outdated_since is None:
                hit.outdated_since = now
            if now - hit.outdated_since <= self.max_stale:
                self._revalidate(key, compute, depends, now)
                return Cached(hit.value, hit.as_of, True)  # type: ignore[arg-type]
        return self._compute(key, compute, depends, stamp)

    def _key_lock(self, key: tuple[Hashable, ...]) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def _compute(self, key: tuple[Hashable, ...], compute: Callable[[], T],
                 depends: tuple[str, ...], stamp: tuple[int, ...]) -> Cached[T]:
        """One computation per key; concurrent callers wait for it."""
        with self._key_lock(key):
            hit = self._data.get(key)
            if hit is not None and _not_older(hit.stamp, stamp):
                return Cached(hit.value, hit.as_of, False)  # type: ignore[arg-type]
            return self._build(key, compute, depends)

    def _build(self, key: tuple[Hashable, ...], compute: Callable[[], T],
               depends: tuple[str, ...]) -> Cached[T]:
        """Read the versions, then compute: a write during the computation leaves the result
        outdated rather than stamped newer than the data it read."""
        stamp = stamp_of(data_versions(self.engine), depends)
        as_of = dt.datetime.now(dt.UTC)
        outer = getattr(_fresh_only, "on", False)
        _fresh_only.on = True
        try:
            value = compute()
        finally:
            _fresh_only.on = outer
        with self._lock:
            if key not in self._data and len(self._data) >= self.max_items:
                self._data.pop(next(iter(self._data)))
            self._data[key] = _Entry(stamp, value, as_of)
        return Cached(value, as_of, False)

    def _revalidate(self, key: tuple[Hashable, ...], compute: Callable[[], T],
                    depends: tuple[str, ...], now: float) -> None:
        """Schedule one background rebuild of ``key`` unless one is pending: at once, or when
        the last one's own duration has passed since it ended (at most half the time busy)."""
        with self._lock:
            if key in self._pending:
                return
            delay = max(0.0, self._next_rebuild.get(key, 0.0) - now)
            thread = threading.Thread(target=self._rebuild, args=(key, compute, depends, delay),
                                      daemon=True, name=f"observatory-cache-{key[0]}")
            self._pending[key] = thread
        thread.start()

    def _rebuild(self, key: tuple[Hashable, ...], compute: Callable[[], T],
                 depends: tuple[str, ...], delay: float) -> None:
        try:
            time.sleep(delay)
            with self._key_lock(key):
                started = time.monotonic()
                try:
                    hit = self._data.get(key)
                    if hit is None or hit.stamp != stamp_of(data_versions(self.engine),
                                                            depends):
                        self._build(key, compute, depends)
                except Exception:  # a background thread has no caller to raise to
                    log.exception("background rebuild of %s failed; the previous result "
                                  "stays until it is %.0f s behind", key[0], self.max_stale)
                finally:
                    self._next_rebuild[key] = 2 * time.monotonic() - started
        finally:
            with self._lock:
                self._pending.pop(key, None)

    def wait_rebuilds(self, timeout: float = 60.0) -> bool:
        """Block until no rebuild is pending or running (tests, benchmarks); False on
        timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = list(self._pending.values())
                locks = list(self._key_locks.values())
            if not pending:
                break
            for thread in pending:
                thread.join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                return False
        for lock in locks:
            if not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                return False
            lock.release()
        return True
