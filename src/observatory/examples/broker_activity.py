"""Synthetic broker activity for the example city: matches moved along the broker workflow.

Without it the demo's broker board and broker statistics start empty. ``seed_broker_activity``
runs after the city's records are written and creates every match through the same functions
the web and the CLI use (``workflow.propose``, ``workflow.advance``,
``contracts.register_contract``), so each step has its match event and audit record.

Method (deterministic from the seed, no download, a few seconds at scale 1):

* the pairs and scores come from the registry's match engine (``registry_engine`` in its
  lexical BM25 mode, ``match_listing``): published demands are sampled, and each takes its
  top-ranked achievements that were already published when the match is proposed;
* dates lie in the two years up to the generator's anchor, 31 December of ``ANCHOR_YEAR``
  (a demand is matched after it is published, the pipeline never runs past the anchor);
  the earliest proposals get the longest pipelines (contracted, declined), the latest are
  still proposed or contacted;
* every match has a broker qualified on the day it is proposed; a small pool of active
  brokers does the work (the first qualified broker, whom the demo broker account acts for,
  is always in it);
* declines name a reason from ``DECLINE_REASONS``, led by what the explanation shows (price
  above budget -> price, TRL below need -> too early, another field -> no fit);
* contracted matches register a technology contract between the achievement's owner (seller)
  and the demand's owner (buyer), priced between the asking price and the budget.

No calibrated figure counts matches or contracts, so the published figures do not move.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.market.contracts import register_contract
from observatory.market.database import match_listing, registry_engine
from observatory.market.workflow import (
    DECLINE_REASONS,
    advance,
    propose,
    qualified_throughout,
)
from observatory.registry import models as m

if TYPE_CHECKING:
    from observatory.market.engine import MatchEngine

STATUS_SHARES: dict[str, float] = {  # of all seeded matches; every status gets at least one
    "proposed": 0.20, "contacted": 0.15, "nda": 0.10, "negotiating": 0.15,
    "declined": 0.25, "contracted": 0.15,
}
PIPELINE = ("proposed", "contacted", "nda", "negotiating")
# Longer pipelines go to earlier proposals (the order statuses are handed out in).
PIPELINE_LENGTH = {"contracted": 5, "declined": 4, "negotiating": 3, "nda": 2, "contacted": 1,
                   "proposed": 0}
STEP_DAYS = {"contacted": (2, 15), "nda": (5, 30), "negotiating": (7, 40), "signed": (10, 60),
             "registered": (1, 20), "declined": (3, 45)}
CONTRACT_TYPES = (("transfer", 0.35), ("licensing", 0.25), ("development", 0.30),
                  ("consulting", 0.05), ("service", 0.05))
MATCHES_AT_SCALE_ONE = 90
MIN_MATCHES = 12
WINDOW_DAYS = 730
TOP_K = 10  # ranked achievements looked at per demand
MODEL = "bm25"  # the engine's lexical retriever (jieba + BM25), no embedding model
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BrokerActivityReport:
    matches: int
    events: int
    contracts: int
    by_status: dict[str, int]


def target_matches(scale: float) -> int:
    """About 90 matches at scale 1, proportional above, never fewer than a dozen."""
    return max(MIN_MATCHES, round(MATCHES_AT_SCALE_ONE * scale))


def status_plan(n: int) -> dict[str, int]:
    """How many matches end in each status: the shares, each status at least once."""
    statuses = list(STATUS_SHARES)
    if n < len(statuses):
        return {s: int(i < n) for i, s in enumerate(statuses)}
    counts = {s: 1 for s in statuses}
    rest = n - len(statuses)
    exact = {s: STATUS_SHARES[s] * rest for s in statuses}
    for s in statuses:
        counts[s] += math.floor(exact[s])
    left = n - sum(counts.values())
    for s in sorted(statuses, key=lambda s: (-(exact[s] - math.floor(exact[s])), s))[:left]:
        counts[s] += 1
    return counts


def _days(rng: np.random.Generator, step: str) -> int:
    low, high = STEP_DAYS[step]
    return int(rng.integers(low, high + 1))


def _fit(start: dt.date, gaps: list[int], end: dt.date) -> list[dt.date]:
    """Dates after ``start`` separated by ``gaps``, squeezed so the last is on or before end."""
    room = (end - start).days
    total = sum(gaps)
    if total > room:
        gaps = [math.floor(g * room / total) for g in gaps]
    out, day = [], start
    for gap in gaps:
        day += dt.timedelta(days=gap)
        out.append(day)
    return out


def _decline_reason(rng: np.random.Generator, explanation: dict[str, Any]) -> str:
    """What the explanation points at when it shows a problem, else one of the other reasons."""
    unmet = {c["criterion"] for c in explanation.get("criteria", []) if c.get("met") is False}
    led = [r for crit, r in (("price", "price"), ("trl", "too_early"), ("field", "no_fit"))
           if crit in unmet]
    if led and rng.random() < 0.7:
        return str(led[int(rng.integers(0, len(led)))])
    others = ["benefit_unclear", "ip_unclear", "capacity", "price", "no_fit", "other"]
    reason = others[int(rng.integers(0, len(others)))]
    assert reason in DECLINE_REASONS
    return reason


def _contract_terms(rng: np.random.Generator, price: Any, budget: Any
                    ) -> tuple[str, int, int]:
    """Type, total and non-technical amount: a price between the asking price and budget."""
    kinds = [k for k, _ in CONTRACT_TYPES]
    kind = str(rng.choice(kinds, p=[p for _, p in CONTRACT_TYPES]))
    ends = [float(x) for x in (price, budget) if x is not None] or [500_000.0]
    low, high = min(ends), max(ends)
    total = int(round((low + (high - low) * rng.uniform(0.2, 0.8)) / 1000) * 1000) or 1000
    share = rng.uniform(0.0, 0.15) if kind in ("transfer", "licensing", "development") else 0.0
    return kind, total, int(round(total * share / 100) * 100)


@dataclass
class _Pair:
    demand: str
    achievement: str
    broker: str
    proposed_on: dt.date
    score: float
    explanation: dict[str, Any]
    price: Any
    budget: Any


def _qualified_brokers(session: Session, start: dt.date, end: dt.date) -> list[str]:
    """Person codes of brokers qualified on every day from ``start`` to ``end``, oldest
    qualification first."""
    rows = session.execute(
        select(m.Person.code, m.BrokerQualification.id)
        .join(m.BrokerQualification, m.BrokerQualification.person_id == m.Person.id)
        .where(qualified_throughout(start, end))
        .order_by(m.BrokerQualification.id)).all()
    seen: dict[str, None] = {}
    for code, _ in rows:
        seen.setdefault(code, None)
    return list(seen)


def seed_broker_activity(engine: Engine, *, seed: int, scale: float, anchor: dt.date,
                         source_id: int, actor: str = "generator",
                         progress: ProgressFn | None = None) -> BrokerActivityReport:
    """Propose and move example matches through the broker workflow (see the module doc)."""
    rng = np.random.default_rng([seed, 5])  # its own stream: the city's records do not move
    window_start = anchor - dt.timedelta(days=WINDOW_DAYS)
    wanted = target_matches(scale)
    matcher = registry_engine(engine, mode=MODEL, today=anchor)
    with Session(engine) as session:
        brokers = _qualified_brokers(session, window_start, anchor)
        demands = _open_demands(session, window_start, anchor)
        achievements = _achievements(session)
    if not brokers or not demands:
        return BrokerActivityReport(0, 0, 0, {})
    pool, weights = _broker_pool(rng, brokers, scale)
    ranked, takes = _ranked_candidates(rng, matcher, demands, achievements, pool, weights,
                                       anchor, wanted)
    del matcher, achievements  # the index over every listing is done: free it before writing
    pairs = _take(ranked, takes, wanted)
    statuses = _final_statuses(rng, len(pairs))
    pairs.sort(key=lambda p: (p.proposed_on, p.demand, p.achievement))

    events = contracts = 0
    by_status: dict[str, int] = {}
    with Session(engine) as session, session.begin():
        for number, (pair, final) in enumerate(zip(pairs, statuses, strict=True), start=1):
            walked, contracted = _walk(session, rng, pair, final, number, anchor, actor,
                                       source_id)
            events += walked
            contracts += contracted
            by_status[final] = by_status.get(final, 0) + 1
            if progress is not None:
                progress("matches", number, len(pairs))
    return BrokerActivityReport(len(pairs), events, contracts, by_status)


def _open_demands(session: Session, start: dt.date, end: dt.date
                  ) -> list[tuple[str, dt.date, Any]]:
    """(code, published on, budget) of the owned demands published in the window, by code."""
    return [(code, published, budget) for code, published, budget in session.execute(
        select(m.Demand.code, m.Demand.published_on, m.Demand.budget_yuan)
        .where(m.Demand.status == "published", m.Demand.owner_organisation_id.is_not(None),
               m.Demand.published_on >= start, m.Demand.published_on < end)
        .order_by(m.Demand.code)) if published is not None]


def _achievements(session: Session) -> dict[str, tuple[dt.date | None, Any, int | None]]:
    """Achievement code -> (published on, asking price, owner id)."""
    return {code: (published, price, owner) for code, published, price, owner in
            session.execute(select(m.Achievement.code, m.Achievement.published_on,
                                   m.Achievement.asking_price_yuan,
                                   m.Achievement.owner_organisation_id))}


def _broker_pool(rng: np.random.Generator, brokers: list[str], scale: float
                 ) -> tuple[list[str], np.ndarray]:
    """The few active brokers (the first qualified one always) and how often each works."""
    pool = [brokers[0], *[brokers[int(i)] for i in rng.choice(
        np.arange(1, len(brokers)), size=min(len(brokers) - 1, max(2, round(12 * scale))),
        replace=False)]] if len(brokers) > 1 else brokers
    weights = 1.0 / np.arange(1, len(pool) + 1) ** 0.7
    return pool, weights / weights.sum()


def _ranked_candidates(rng: np.random.Generator, matcher: MatchEngine,
                       demands: list[tuple[str, dt.date, Any]],
                       achievements: dict[str, tuple[dt.date | None, Any, int | None]],
                       pool: list[str], weights: np.ndarray, anchor: dt.date, wanted: int
                       ) -> tuple[list[list[_Pair]], list[int]]:
    """Sampled demands until enough pairs: each one's date, broker and ranked eligible
    achievements, and how many of them it takes."""
    ranked: list[list[_Pair]] = []
    takes: list[int] = []
    for index in rng.permutation(len(demands)):
        if sum(takes) >= wanted:
            break
        code, published, budget = demands[int(index)]
        proposed = min(published + dt.timedelta(days=int(rng.integers(3, 45))),
                       anchor - dt.timedelta(days=1))
        broker = pool[int(rng.choice(len(pool), p=weights))]
        candidates = _candidates(matcher, achievements, code, budget, proposed, broker)
        ranked.append(candidates)
        takes.append(min(len(candidates), int(rng.integers(2, 5))))
    return ranked, takes


def _candidates(matcher: MatchEngine,
                achievements: dict[str, tuple[dt.date | None, Any, int | None]], demand: str,
                budget: Any, proposed: dt.date, broker: str) -> list[_Pair]:
    """A demand's top-ranked achievements that have an owner and were published by then."""
    candidates = []
    for hit in match_listing(matcher, "demand", demand, k=TOP_K):
        ach = matcher.listings[hit.listing_id].extra["code"]
        ach_published, price, owner = achievements[ach]
        if owner is None or ach_published is None or ach_published > proposed:
            continue
        explanation = {**hit.explanation.to_dict(), "model": MODEL, "mode": matcher.mode,
                       "rank": hit.rank, "relevance": round(float(hit.relevance), 6),
                       "synthetic": True}
        candidates.append(_Pair(demand, ach, broker, proposed, round(float(hit.score), 6),
                                explanation, price, budget))
    return candidates


def _take(ranked: list[list[_Pair]], takes: list[int], wanted: int) -> list[_Pair]:
    """The pairs each demand takes; with few demands (small scales) each goes further down its
    ranking, best first, until there are enough."""
    while sum(takes) < wanted and any(t < len(c) for t, c in zip(takes, ranked, strict=True)):
        for i, candidates in enumerate(ranked):
            if takes[i] < len(candidates) and sum(takes) < wanted:
                takes[i] += 1
    pairs = [p for t, candidates in zip(takes, ranked, strict=True) for p in candidates[:t]]
    return pairs[:wanted]


def _final_statuses(rng: np.random.Generator, n: int) -> list[str]:
    """Final statuses by the shares, longest pipelines first (given to the earliest pairs)."""
    plan = status_plan(n)
    statuses = [s for s, count in plan.items() for _ in range(count)]
    noise = rng.normal(0.0, 1.2, len(statuses))
    return [s for _, s in sorted(zip([-PIPELINE_LENGTH[s] + e for s, e in
                                      zip(statuses, noise, strict=True)],
                                     statuses, strict=True))]


def _walk(session: Session, rng: np.random.Generator, pair: _Pair, final: str, number: int,
          anchor: dt.date, actor: str, source_id: int) -> tuple[int, int]:
    """Propose one pair and move it to ``final``: (events written, contracts registered)."""
    match = propose(session, demand=pair.demand, achievement=pair.achievement,
                    actor=actor, broker=pair.broker, score=pair.score,
                    explanation=pair.explanation, on=pair.proposed_on, source_id=source_id)
    events = 1
    contracts = 0
    steps = _steps(rng, final)
    dates = _fit(pair.proposed_on, [gap for _, gap in steps], anchor)
    signed_on = pair.proposed_on
    for (step, _), day in zip(steps, dates, strict=True):
        if step == "signed":
            signed_on = day
            continue
        if step == "registered":
            kind, total, non_tech = _contract_terms(rng, pair.price, pair.budget)
            register_contract(
                session, match=match.code,
                registration_no=f"{day.year}3702B{number:08d}", contract_type=kind,
                total_amount_yuan=total, non_technical_amount_yuan=non_tech,
                signed_on=signed_on, registered_on=day, actor=actor)
            contracts += 1
        elif step == "declined":
            advance(session, match.code, "declined", actor=actor, on=day,
                    reason=_decline_reason(rng, pair.explanation),
                    note="synthetic example / 合成示例")
        else:
            advance(session, match.code, step, actor=actor, on=day,
                    note="synthetic example / 合成示例")
        events += 1
    return events, contracts


def _steps(rng: np.random.Generator, final: str) -> list[tuple[str, int]]:
    """The workflow steps after the proposal up to ``final``, each with its gap in days."""
    if final == "declined":
        stage = int(rng.choice(4, p=[0.35, 0.30, 0.15, 0.20]))  # declined after this stage
        path = list(PIPELINE[1:stage + 1])
        if "nda" in path and rng.random() < 0.3:
            path.remove("nda")
        return [(s, _days(rng, s)) for s in path] + [("declined", _days(rng, "declined"))]
    if final == "contracted":
        path = ["contacted", "nda", "negotiating"]
        if rng.random() < 0.3:  # NDA is optional: contacted -> negotiating is allowed
            path.remove("nda")
        return [(s, _days(rng, s)) for s in path] + [("signed", _days(rng, "signed")),
                                                    ("registered", _days(rng, "registered"))]
    path = list(PIPELINE[1:PIPELINE.index(final) + 1])
    if final == "negotiating" and rng.random() < 0.3:
        path.remove("nda")
    return [(s, _days(rng, s)) for s in path]
