"""The example city's synthetic broker activity: engine-ranked pairs moved along the workflow."""

from __future__ import annotations

import datetime as dt
import shutil
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.db import make_engine
from observatory.examples import broker_activity
from observatory.examples.broker_activity import (
    STATUS_SHARES,
    TOP_K,
    WINDOW_DAYS,
    status_plan,
    target_matches,
)
from observatory.examples.generator import ANCHOR_DATE, SYNTHETIC_SOURCE, generate_city
from observatory.market.database import (
    apply_broker_feedback,
    listing_from_row,
    load_listings,
    match_listing,
    registry_engine,
)
from observatory.market.embedders import HashingEmbedder
from observatory.market.engine import MatchEngine
from observatory.market.store import InMemoryVectorStore
from observatory.market.text import _tokenise_cached, tokenise
from observatory.market.workflow import DECLINE_REASONS, STATUSES, TRANSITIONS, broker_statistics
from observatory.registry import models as m

SMALL = 0.02


def _city(template: Path, folder: Path, seed: int) -> Engine:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / "city.db")
    engine = make_engine(f"sqlite:///{folder / 'city.db'}")
    generate_city(engine, seed=seed, scale=SMALL)
    return engine


@pytest.fixture(scope="module")
def small_city(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Engine]:
    engine = _city(sqlite_template, tmp_path_factory.mktemp("broker_city"), seed=5)
    yield engine
    engine.dispose()


def _activity(engine: Engine) -> dict[str, list[tuple]]:
    """Matches, their events and their contracts as plain rows."""
    with Session(engine) as session:
        matches = session.execute(select(
            m.Match.code, m.Match.status, m.Match.decline_reason, m.Match.score,
            m.Match.explanation, m.Match.proposed_on, m.Match.closed_on,
            m.Match.broker_person_id, m.Match.demand_id, m.Match.achievement_id)
            .order_by(m.Match.id)).all()
        events = session.execute(select(
            m.MatchEvent.match_id, m.MatchEvent.on, m.MatchEvent.actor,
            m.MatchEvent.from_status, m.MatchEvent.to_status).order_by(m.MatchEvent.id)).all()
        contracts = session.execute(select(
            m.TechnologyContract.registration_no, m.TechnologyContract.contract_type,
            m.TechnologyContract.total_amount_yuan, m.TechnologyContract.technology_amount_yuan,
            m.TechnologyContract.signed_on, m.TechnologyContract.registered_on)
            .join(m.Match, m.Match.contract_id == m.TechnologyContract.id)
            .order_by(m.TechnologyContract.id)).all()
    return {"matches": [tuple(r) for r in matches], "events": [tuple(r) for r in events],
            "contracts": [tuple(r) for r in contracts]}


def test_status_plan_gives_every_status_and_follows_the_shares() -> None:
    for n in (6, 12, 90, 1000):
        plan = status_plan(n)
        assert sum(plan.values()) == n
        assert set(plan) == set(STATUS_SHARES) and min(plan.values()) >= 1
    plan = status_plan(1000)
    for status, share in STATUS_SHARES.items():
        assert abs(plan[status] - share * 1000) <= 6  # one guaranteed each, then the shares
    assert sum(status_plan(3).values()) == 3


def test_match_count_scales_with_the_city() -> None:
    assert 60 <= target_matches(1.0) <= 120
    assert target_matches(SMALL) >= 6  # every status at least once, even at 2 %
    assert target_matches(10.0) == pytest.approx(10 * target_matches(1.0), rel=0.01)


def test_same_seed_gives_the_same_activity(small_city: Engine, sqlite_template: Path,
                                           tmp_path: Path) -> None:
    again = _city(sqlite_template, tmp_path / "again", seed=5)
    other = _city(sqlite_template, tmp_path / "other", seed=6)
    first = _activity(small_city)
    assert first["matches"] and first["events"] and first["contracts"]
    assert _activity(again) == first
    assert _activity(other)["matches"] != first["matches"]
    again.dispose()
    other.dispose()


def test_every_status_is_seeded_with_structured_declines(small_city: Engine) -> None:
    with Session(small_city) as session:
        matches = session.scalars(select(m.Match)).all()
        synthetic = session.scalar(select(m.Source.id).where(m.Source.code == SYNTHETIC_SOURCE))
    assert len(matches) >= 6
    assert {x.status for x in matches} == set(STATUSES)
    for x in matches:
        assert x.source_id == synthetic
        if x.status == "declined":
            assert x.decline_reason in DECLINE_REASONS
        else:
            assert x.decline_reason is None
        assert (x.closed_on is not None) == (x.status in ("declined", "contracted"))


def test_every_match_has_a_broker_qualified_when_it_was_proposed(small_city: Engine) -> None:
    start = ANCHOR_DATE - dt.timedelta(days=WINDOW_DAYS)
    with Session(small_city) as session:
        for match in session.scalars(select(m.Match)):
            assert start <= match.proposed_on <= (match.closed_on or match.proposed_on) \
                <= ANCHOR_DATE
            quals = session.scalars(select(m.BrokerQualification).where(
                m.BrokerQualification.person_id == match.broker_person_id)).all()
            assert any(q.valid_from <= match.proposed_on
                       and (q.valid_to is None or q.valid_to >= match.proposed_on)
                       for q in quals), match.code
            demand = session.get(m.Demand, match.demand_id)
            ach = session.get(m.Achievement, match.achievement_id)
            assert demand.status == "published" and ach.status == "published"
            assert max(demand.published_on, ach.published_on) <= match.proposed_on
        # the broker the demo account acts for (the first qualification) has work to show
        first = session.scalar(select(m.BrokerQualification.person_id)
                               .order_by(m.BrokerQualification.id).limit(1))
        stats = broker_statistics(session)
        mine = session.scalars(select(m.Match.id).where(m.Match.broker_person_id == first))
        assert len(mine.all()) >= 1
    assert stats["handled"].sum() == len(_activity(small_city)["matches"])


def test_contracted_matches_register_the_pairs_contract(small_city: Engine) -> None:
    with Session(small_city) as session:
        contracted = session.scalars(select(m.Match).where(m.Match.status == "contracted")).all()
        assert contracted
        for match in contracted:
            contract = session.get(m.TechnologyContract, match.contract_id)
            demand = session.get(m.Demand, match.demand_id)
            ach = session.get(m.Achievement, match.achievement_id)
            assert contract.seller_organisation_id == ach.owner_organisation_id
            assert contract.buyer_organisation_id == demand.owner_organisation_id
            assert (contract.demand_id, contract.achievement_id) == (demand.id, ach.id)
            assert contract.broker_person_id == match.broker_person_id
            assert contract.source_id == match.source_id
            assert match.proposed_on <= contract.signed_on <= contract.registered_on \
                == match.closed_on <= ANCHOR_DATE
            assert 0 <= contract.technology_amount_yuan <= contract.total_amount_yuan
            ends = sorted(float(v) for v in (ach.asking_price_yuan, demand.budget_yuan))
            assert ends[0] - 1000 <= float(contract.total_amount_yuan) <= ends[1] + 1000
        linked = set(session.scalars(select(m.Match.contract_id).where(
            m.Match.contract_id.is_not(None))))
        assert linked == {x.contract_id for x in contracted}


def test_every_change_has_its_event_and_audit_record(small_city: Engine) -> None:
    with Session(small_city) as session:
        for match in session.scalars(select(m.Match)):
            events = session.scalars(select(m.MatchEvent).where(
                m.MatchEvent.match_id == match.id).order_by(m.MatchEvent.id)).all()
            assert events[0].from_status is None and events[0].to_status == "proposed"
            assert events[0].on == match.proposed_on
            for before, after in zip(events, events[1:], strict=False):
                assert after.from_status == before.to_status
                assert after.to_status in TRANSITIONS[before.to_status]
                assert before.on <= after.on
            assert events[-1].to_status == match.status
            assert {e.actor for e in events} == {"generator"}
            audit = session.scalars(select(m.AuditLog).where(
                m.AuditLog.entity == "matches", m.AuditLog.entity_key == match.code)
                .order_by(m.AuditLog.id)).all()
            assert [a.after["status"] for a in audit] == [e.to_status for e in events]
            assert {a.actor for a in audit} == {"generator"}
            if match.contract_id is not None:
                contract = session.get(m.TechnologyContract, match.contract_id)
                registered = session.scalars(select(m.AuditLog).where(
                    m.AuditLog.entity == "technology_contracts",
                    m.AuditLog.entity_key == contract.registration_no)).all()
                assert [(a.actor, a.after["match"]) for a in registered] == [
                    ("generator", match.code)]


def test_pairs_and_scores_are_the_match_engines(small_city: Engine) -> None:
    """A fresh lexical engine (no broker feedback) ranks each pair among the demand's best
    with the stored score: the numbers come from the engine, not from the generator."""
    matcher = MatchEngine(None, mode="bm25", today=ANCHOR_DATE)
    with Session(small_city) as session:
        matcher.add(load_listings(session))
        rows = session.execute(select(m.Match.score, m.Match.explanation, m.Demand.code,
                                      m.Achievement.code)
                               .join(m.Demand, m.Demand.id == m.Match.demand_id)
                               .join(m.Achievement, m.Achievement.id == m.Match.achievement_id)
                               ).all()
    for score, explanation, demand, ach in rows:
        hits = {matcher.listings[h.listing_id].extra["code"]: h
                for h in match_listing(matcher, "demand", demand, k=TOP_K)}
        assert ach in hits
        assert score == pytest.approx(hits[ach].score, abs=1e-6)
        assert explanation["rank"] == hits[ach].rank
        assert explanation["model"] == "bm25" and explanation["synthetic"] is True
        assert explanation["matched_terms"] == list(hits[ach].explanation.matched_terms)


def _bare_city(template: Path, folder: Path, seed: int, scale: float) -> Engine:
    """The city's records without the broker activity (the generator's second transaction)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / "city.db")
    engine = make_engine(f"sqlite:///{folder / 'city.db'}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(broker_activity, "seed_broker_activity",
                      lambda *a, **k: broker_activity.BrokerActivityReport(0, 0, 0, {}))
        generate_city(engine, seed=seed, scale=scale)
    return engine


def _plain_engine(engine: Engine, mode: str, today: dt.date) -> MatchEngine:
    """The match engine built the straightforward way: every published row loaded at once,
    vectors kept in memory, broker feedback replayed (the reference for the lean build)."""
    assert mode == "bm25"
    matcher = MatchEngine(HashingEmbedder(), store=InMemoryVectorStore(), mode=mode, today=today)
    with Session(engine) as session:
        owners = {oid: uscc for oid, uscc in
                  session.execute(select(m.Organisation.id, m.Organisation.uscc))}
        rows: list[m.Achievement | m.Demand] = [
            *session.scalars(select(m.Achievement).where(m.Achievement.status == "published")
                             .order_by(m.Achievement.id)).all(),
            *session.scalars(select(m.Demand).where(m.Demand.status == "published")
                             .order_by(m.Demand.id)).all()]
        matcher.add([listing_from_row(r, owners.get(r.owner_organisation_id)) for r in rows])
        apply_broker_feedback(session, matcher)
    return matcher


def test_activity_is_the_one_a_plainly_built_engine_gives(
        small_city: Engine, sqlite_template: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The memory-lean engine build (rows streamed, no vector cache read, interned tokens)
    gives exactly the matches, events and contracts of an engine built the plain way."""
    bare = _bare_city(sqlite_template, tmp_path / "bare", seed=5, scale=SMALL)
    with Session(bare) as session:
        source_id = session.scalar(select(m.Source.id).where(m.Source.code == SYNTHETIC_SOURCE))
    assert source_id is not None
    monkeypatch.setattr(broker_activity, "registry_engine", _plain_engine)
    broker_activity.seed_broker_activity(bare, seed=5, scale=SMALL, anchor=ANCHOR_DATE,
                                         source_id=source_id)
    reference = _activity(bare)
    assert reference["matches"] and reference["contracts"]
    assert _activity(small_city) == reference
    bare.dispose()


def test_the_lexical_engine_over_the_city_stays_small(sqlite_template: Path,
                                                      tmp_path: Path) -> None:
    """Building the broker step's BM25 engine peaks under 145 bytes per token occurrence
    (about 87 in a warm process, 129 in a fresh one; without interning about 158).

    What it needs per occurrence: a pointer in the index's token tuple and one in the
    tokeniser's cache (8 bytes each) and bm25s' score and row index (8 bytes per distinct
    term of a listing), plus the listings' text. Token strings made afresh for every
    occurrence (about 70 bytes each) took it to about 160 bytes, which this bound refuses.
    """
    engine = _bare_city(sqlite_template, tmp_path / "city", seed=5, scale=0.2)
    with Session(engine) as session:
        texts = [listing.text() for listing in load_listings(session)]
    occurrences = sum(len(tokenise(t)) for t in texts)
    _tokenise_cached.cache_clear()  # measure the tokens made, not ones cached above
    tracemalloc.start()
    try:
        matcher = registry_engine(engine, mode="bm25", today=ANCHOR_DATE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(matcher.listings) == len(texts) > 500
    assert peak < 145 * occurrences, f"{peak / occurrences:.0f} bytes per token"
    with Session(engine) as session:  # the lexical mode embeds nothing and caches no vector
        assert session.scalar(select(func.count()).select_from(m.ListingVector)) == 0
    engine.dispose()
