"""The marketplace on the registry: listings from the database, vectors cached in it, alerts.

``registry_engine(engine)`` loads every published achievement and demand into a
:class:`~observatory.market.engine.MatchEngine` whose vectors live in the ``listing_vectors``
table (keyed by listing, model and text hash, so a listing is embedded again only when its text
or the model changes). ``publish_achievement`` publishes one achievement, adds it to a running
engine (an incremental update, no rebuild) and raises alerts for the saved demands it matches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import chain
from typing import TypeVar, cast

import numpy as np
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from observatory.market.embedders import Embedder, HashingEmbedder
from observatory.market.engine import MODES, Match, MatchEngine, is_mode
from observatory.market.listing import Listing, ListingKind, ListingText
from observatory.market.store import StoredVector
from observatory.registry import models as m
from observatory.registry.audit import record_change

LISTING_ID = {"achievement": "A", "demand": "D"}  # engine ids: "A:ACH0000001", "D:DEM..."
_VISIBILITY = {"public": "public", "registered": "members", "private": "private"}
_Row = TypeVar("_Row", m.Achievement, m.Demand)


def engine_id(kind: str, code: str) -> str:
    return f"{LISTING_ID[kind]}:{code}"


def _keywords(text: str | None) -> tuple[str, ...]:
    return tuple(k.strip() for k in (text or "").replace("；", ";").split(";") if k.strip())


def listing_from_row(row: m.Achievement | m.Demand, owner: str | None = None) -> Listing:
    """A registry achievement or demand as the matching engine's listing."""
    kind: ListingKind = "achievement" if isinstance(row, m.Achievement) else "demand"
    texts = {}
    for lang in ("zh", "en"):
        text = ListingText(
            title=getattr(row, f"title_{lang}") or "",
            summary=getattr(row, f"summary_{lang}") or "",
            problem=getattr(row, f"problem_{lang}") or "",
            advantages=getattr(row, f"advantages_{lang}") or "",
            applications=getattr(row, f"applications_{lang}") or "",
            keywords=_keywords(getattr(row, f"keywords_{lang}")),
        )
        if text.joined():
            texts[lang] = text
    money = row.asking_price_yuan if isinstance(row, m.Achievement) else row.budget_yuan
    return Listing(
        id=engine_id(kind, row.code), kind=kind, texts=texts, field=row.field_code,
        trl=row.trl,
        price_yuan=Decimal(money) if kind == "achievement" and money is not None else None,
        budget_yuan=Decimal(money) if kind == "demand" and money is not None else None,
        region_code=row.region_code, status=row.status,
        visibility=_VISIBILITY.get(row.visibility, row.visibility),
        published_on=row.published_on, owner=owner, extra={"code": row.code})


def load_listings(session: Session, statuses: Sequence[str] = ("published",)) -> list[Listing]:
    """Achievements and demands with the given statuses, owners named by USCC."""
    # Keyed by ``int | None`` so a listing without an owner looks up None and gets None.
    owners: dict[int | None, str] = {
        oid: uscc for oid, uscc in session.execute(select(m.Organisation.id, m.Organisation.uscc))
    }
    rows: Iterator[m.Achievement | m.Demand] = chain(
        _rows_with_status(session, m.Achievement, statuses),
        _rows_with_status(session, m.Demand, statuses))
    return [listing_from_row(r, owners.get(r.owner_organisation_id)) for r in rows]


def _rows_with_status(session: Session, model: type[_Row], statuses: Sequence[str]
                      ) -> Iterator[_Row]:
    """The rows in batches: each becomes a listing and is dropped (the session's identity map
    holds rows weakly), so a large registry never has every ORM row in memory at once."""
    yield from session.scalars(select(model).where(model.status.in_(statuses))
                               .order_by(model.id).execution_options(yield_per=1000))


class DatabaseVectorStore:
    """The engine's VectorStore on the ``listing_vectors`` table, written behind.

    New vectors wait in memory until ``flush`` writes them, in the caller's session when one
    is given: so matching inside an open transaction (publishing, a web request) never needs a
    second writer, which SQLite would refuse.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pending: dict[tuple[str, str], StoredVector] = {}

    @staticmethod
    def _split(listing_id: str) -> tuple[str, str]:
        prefix, code = listing_id.split(":", 1)
        return ("achievement" if prefix == "A" else "demand"), code

    def _numeric_ids(self, session: Session, ids: Iterable[str]) -> dict[str, tuple[str, int]]:
        by_kind: dict[str, list[str]] = {"achievement": [], "demand": []}
        for lid in ids:
            kind, code = self._split(lid)
            by_kind[kind].append(code)
        found: dict[str, tuple[str, int]] = {}
        for kind, model in (("achievement", m.Achievement), ("demand", m.Demand)):
            codes = by_kind[kind]
            for start in range(0, len(codes), 900):
                for code, pk in session.execute(select(model.code, model.id)
                                                .where(model.code.in_(codes[start:start + 900]))):
                    found[engine_id(kind, code)] = (kind, pk)
        return found

    def get(self, listing_id: str, model_id: str, kind: str, text_hash: str, dim: int
            ) -> np.ndarray | None:
        waiting = self.pending.get((listing_id, f"{model_id}/{kind}"))
        if waiting is not None:
            return waiting.vector if waiting.text_hash == text_hash and waiting.dim == dim \
                else None
        with Session(self.engine) as session:
            ids = self._numeric_ids(session, [listing_id])
            if listing_id not in ids:
                return None
            listing_kind, pk = ids[listing_id]
            row = session.scalars(select(m.ListingVector).where(
                m.ListingVector.listing_kind == listing_kind, m.ListingVector.listing_id == pk,
                m.ListingVector.model_id == f"{model_id}/{kind}")).first()
        if row is None or row.text_hash != text_hash or row.dim != dim:
            return None
        return np.frombuffer(row.vector, dtype=np.float32).copy()

    def get_many(self, model_id: str, kind: str) -> dict[tuple[str, int], tuple[str, bytes]]:
        """Every stored vector of a model, for bulk loading: (kind, id) -> (hash, bytes)."""
        with Session(self.engine) as session:
            rows = session.execute(select(m.ListingVector.listing_kind, m.ListingVector.listing_id,
                                          m.ListingVector.text_hash, m.ListingVector.vector)
                                   .where(m.ListingVector.model_id == f"{model_id}/{kind}"))
            return {(k, i): (h, v) for k, i, h, v in rows}

    def put(self, items: Iterable[StoredVector]) -> None:
        for sv in items:
            self.pending[(sv.listing_id, f"{sv.model_id}/{sv.kind}")] = sv

    def flush(self, session: Session | None = None) -> int:
        """Write the waiting vectors (in ``session`` if given, else in a transaction of our own)."""
        if not self.pending:
            return 0
        if session is None:
            with Session(self.engine) as own, own.begin():
                return self.flush(own)
        items = list(self.pending.items())
        ids = self._numeric_ids(session, [lid for (lid, _), _ in items])
        written = 0
        for (lid, model_key), sv in items:
            if lid not in ids:
                continue
            listing_kind, pk = ids[lid]
            session.execute(delete(m.ListingVector).where(
                m.ListingVector.listing_kind == listing_kind,
                m.ListingVector.listing_id == pk, m.ListingVector.model_id == model_key))
            session.add(m.ListingVector(
                listing_kind=listing_kind, listing_id=pk, model_id=model_key, dim=sv.dim,
                text_hash=sv.text_hash, vector=np.asarray(sv.vector, dtype=np.float32).tobytes()))
            written += 1
        session.flush()
        self.pending.clear()
        return written

    def delete(self, listing_ids: Iterable[str]) -> None:
        drop = set(listing_ids)
        self.pending = {k: v for k, v in self.pending.items() if k[0] not in drop}
        with Session(self.engine) as session, session.begin():
            for listing_kind, pk in self._numeric_ids(session, drop).values():
                session.execute(delete(m.ListingVector).where(
                    m.ListingVector.listing_kind == listing_kind,
                    m.ListingVector.listing_id == pk))


class _BulkStore(DatabaseVectorStore):
    """Reads the whole cache once per build instead of one query per listing."""

    def __init__(self, engine: Engine, embedder: Embedder) -> None:
        super().__init__(engine)
        with Session(engine) as session:
            self._pk = {engine_id("achievement", c): ("achievement", i) for c, i in
                        session.execute(select(m.Achievement.code, m.Achievement.id))}
            self._pk.update({engine_id("demand", c): ("demand", i) for c, i in
                             session.execute(select(m.Demand.code, m.Demand.id))})
        self._cache = self.get_many(embedder.model_id, "passage")

    def get(self, listing_id: str, model_id: str, kind: str, text_hash: str, dim: int
            ) -> np.ndarray | None:
        if kind != "passage" or listing_id not in self._pk:
            return super().get(listing_id, model_id, kind, text_hash, dim)
        hit = self._cache.get(self._pk[listing_id])
        if hit is None or hit[0] != text_hash or len(hit[1]) != dim * 4:
            return None
        return np.frombuffer(hit[1], dtype=np.float32).copy()


def registry_engine(engine: Engine, embedder: Embedder | None = None,
                    today: dt.date | None = None, mode: str = "hybrid") -> MatchEngine:
    """A matching engine over the registry's published listings, vectors cached in the DB.

    Brokers' closed matches are replayed as feedback (declines penalise their pair and nudge
    the soft-feature weights, contracts reward them), so what brokers learn is kept in the
    registry's own match records rather than in a separate model file.
    """
    if not is_mode(mode):
        raise ValueError(f"mode must be one of {MODES}")
    embedder = embedder or HashingEmbedder()
    # The lexical mode reads no vectors: it skips the bulk read of the whole vector cache.
    store = DatabaseVectorStore(engine) if mode == "bm25" else _BulkStore(engine, embedder)
    matcher = MatchEngine(embedder, store=store, today=today, mode=mode)
    with Session(engine) as session:
        matcher.add(load_listings(session))
        apply_broker_feedback(session, matcher)
    store.flush()
    return matcher


def apply_broker_feedback(session: Session, matcher: MatchEngine) -> int:
    """Replay declined and contracted matches, oldest first, into the engine; returns how many."""
    from observatory.market.feedback import FeedbackEvent, FeedbackLearner, Outcome

    rows = session.execute(
        select(m.Demand.code, m.Achievement.code, m.Match.status)
        .join(m.Demand, m.Demand.id == m.Match.demand_id)
        .join(m.Achievement, m.Achievement.id == m.Match.achievement_id)
        .where(m.Match.status.in_(("declined", "contracted")))
        .order_by(m.Match.closed_on, m.Match.id)).all()
    learner = FeedbackLearner(matcher)
    applied = 0
    for demand, achievement, status in rows:
        source, target = engine_id("demand", demand), engine_id("achievement", achievement)
        if source in matcher.listings and target in matcher.listings:
            # The query keeps only these two statuses.
            learner.record(FeedbackEvent(source, target, cast(Outcome, status)))
            applied += 1
    return applied


def match_listing(matcher: MatchEngine, kind: str, code: str, k: int = 10,
                  target_kind: str | None = None) -> list[Match]:
    """Matches for a registry listing by its code (demand -> achievements and back)."""
    lid = engine_id(kind, code)
    if lid not in matcher.listings:
        raise LookupError(f"no published {kind} {code!r} / 没有已发布的{kind} {code!r}")
    hits = matcher.match(lid, target_kind=target_kind, k=k)
    if isinstance(matcher.store, DatabaseVectorStore):
        matcher.store.flush()
    return hits


def save_search(session: Session, demand: str, min_score: float, actor: str) -> m.SavedSearch:
    """Ask for alerts when an achievement matching this demand is published."""
    row = session.scalars(select(m.Demand).where(m.Demand.code == demand)).first()
    if row is None:
        raise LookupError(f"no demand {demand!r} / 不存在需求 {demand!r}")
    saved = session.scalars(select(m.SavedSearch).where(m.SavedSearch.demand_id == row.id)
                            ).first()
    if saved is None:
        saved = m.SavedSearch(demand_id=row.id, min_score=min_score,
                              created_on=dt.date.today())
        session.add(saved)
    else:
        saved.min_score = min_score
    session.flush()
    record_change(session, actor=actor, entity="saved_searches", entity_key=demand,
                  action="upsert", before=None, after={"min_score": min_score})
    return saved


def publish_achievement(session: Session, matcher: MatchEngine, code: str, actor: str,
                        on: dt.date | None = None) -> list[m.MatchAlert]:
    """Publish an achievement, add it to the running engine and raise saved-search alerts.

    A saved demand gets an alert when the new achievement is among its best matches with a
    relevance at or above the search's ``min_score``.
    """
    row = session.scalars(select(m.Achievement).where(m.Achievement.code == code)).first()
    if row is None:
        raise LookupError(f"no achievement {code!r} / 不存在成果 {code!r}")
    before = {"status": row.status, "published_on": row.published_on}
    row.status = "published"
    row.published_on = row.published_on or on or dt.date.today()
    session.flush()
    record_change(session, actor=actor, entity="achievements", entity_key=code,
                  action="update", before=before,
                  after={"status": row.status, "published_on": row.published_on},
                  operation="publish")
    owner = session.get(m.Organisation, row.owner_organisation_id) \
        if row.owner_organisation_id else None
    listing = listing_from_row(row, owner.uscc if owner else None)
    matcher.add([listing])
    alerts = []
    now = dt.datetime.now(dt.UTC)
    for saved, demand_code in session.execute(
            select(m.SavedSearch, m.Demand.code).join(m.Demand,
                                                     m.Demand.id == m.SavedSearch.demand_id)):
        did = engine_id("demand", demand_code)
        if did not in matcher.listings:
            continue
        for hit in matcher.match(did, k=10):
            if hit.listing_id == listing.id and hit.relevance >= saved.min_score:
                alert = m.MatchAlert(saved_search_id=saved.id, achievement_id=row.id,
                                     score=float(hit.relevance),
                                     explanation=hit.explanation.to_dict(), raised_at=now)
                session.add(alert)
                alerts.append(alert)
    if isinstance(matcher.store, DatabaseVectorStore):
        matcher.store.flush(session)
    session.flush()
    return alerts
