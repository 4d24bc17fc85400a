"""Matching over the registry: listings from the database, vectors cached there, alerts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory.market.database import (
    engine_id,
    match_listing,
    publish_achievement,
    registry_engine,
    save_search,
)
from observatory.market.embedders import HashingEmbedder
from observatory.registry import models as m
from observatory.registry.codes import make_uscc


def _listing(model, code: str, title_zh: str, title_en: str, field: str, owner: int,
             status: str = "published", **kw):
    return model(code=code, title_zh=title_zh, title_en=title_en, summary_zh=title_zh,
                 summary_en=title_en, field_code=field, owner_organisation_id=owner,
                 region_code="370212", status=status, published_on=dt.date(2025, 1, 5), **kw)


@pytest.fixture
def market(engine):
    with Session(engine) as session, session.begin():
        org = m.Organisation(uscc=make_uscc("91370212", "00000009"), name_zh="青岛海洋研究院",
                             kind="institute", region_code="370212")
        session.add(org)
        session.flush()
        session.add_all([
            _listing(m.Achievement, "ACH1", "深远海养殖工船智能投喂系统",
                     "Intelligent feeding for deep-sea aquaculture vessels", "marine", org.id,
                     trl=7, asking_price_yuan=2_000_000),
            _listing(m.Achievement, "ACH2", "钙钛矿太阳能电池", "Perovskite solar cells",
                     "new_energy", org.id, trl=5),
            _listing(m.Achievement, "ACH3", "海参良种选育", "Selective breeding of sea cucumbers",
                     "marine", org.id, status="draft"),
            _listing(m.Demand, "DEM1", "寻求深远海养殖工船投喂解决方案",
                     "Seeking feeding systems for deep-sea aquaculture vessels", "marine",
                     org.id, trl=6, budget_yuan=3_000_000),
            _listing(m.Demand, "DEM2", "寻求海参良种选育技术",
                     "Seeking selective breeding of sea cucumbers", "marine", org.id),
        ])
    return engine


def test_demand_finds_the_right_achievement_and_vectors_are_cached(market) -> None:
    matcher = registry_engine(market, HashingEmbedder())
    hits = match_listing(matcher, "demand", "DEM1", k=2)
    assert hits[0].listing_id == engine_id("achievement", "ACH1")
    assert hits[0].explanation.to_dict()["en"]
    assert engine_id("achievement", "ACH3") not in matcher.listings  # drafts are not listed
    with Session(market) as session:
        cached = dict(session.execute(select(m.ListingVector.model_id, func.count())
                                      .group_by(m.ListingVector.model_id)).all())
    # 2 published achievements + 2 demands as passages; the demand we matched as a query.
    assert cached == {"hash-v1-256/passage": 4, "hash-v1-256/query": 1}
    # A second build reuses the cache: nothing is embedded again.
    calls = []

    class Counting(HashingEmbedder):
        def embed(self, texts, kind="passage"):
            calls.append((len(texts), kind))
            return super().embed(texts, kind=kind)

    registry_engine(market, Counting())
    assert [c for c in calls if c[1] == "passage"] == []
    # Changing a listing's text re-embeds that listing only.
    with Session(market) as session, session.begin():
        session.scalars(select(m.Achievement).where(m.Achievement.code == "ACH2")).one() \
            .title_en = "Perovskite tandem solar cells"
    registry_engine(market, Counting())
    assert [c for c in calls if c[1] == "passage"] == [(1, "passage")]
    with pytest.raises(LookupError):
        match_listing(matcher, "demand", "NOPE")


def test_publishing_an_achievement_alerts_the_saved_demand(market) -> None:
    matcher = registry_engine(market, HashingEmbedder())
    with Session(market) as session, session.begin():
        save_search(session, "DEM2", 0.0, actor="enterprise1")
        alerts = publish_achievement(session, matcher, "ACH3", actor="owner1")
        assert len(alerts) == 1 and alerts[0].score >= 0
    with Session(market) as session:
        alert = session.scalars(select(m.MatchAlert)).one()
        assert session.get(m.Achievement, alert.achievement_id).code == "ACH3"
        assert session.scalars(select(m.Achievement.status)
                               .where(m.Achievement.code == "ACH3")).one() == "published"
        ops = set(session.scalars(select(m.AuditLog.operation)))
        assert "publish" in ops
    assert engine_id("achievement", "ACH3") in matcher.listings


def test_declines_recorded_by_brokers_penalise_the_pair_next_time(market) -> None:
    from observatory.market.workflow import advance, propose

    with Session(market) as session, session.begin():
        match = propose(session, demand="DEM1", achievement="ACH1", actor="b",
                        on=dt.date(2025, 2, 1))
        advance(session, match.code, "declined", actor="b", reason="price",
                on=dt.date(2025, 2, 3))
    before = registry_engine(market, HashingEmbedder(), mode="bm25")
    pair = (engine_id("demand", "DEM1"), engine_id("achievement", "ACH1"))
    assert before.pair_penalty[pair] > 0
    penalised = {h.listing_id: h.score for h in match_listing(before, "demand", "DEM1", k=2)}
    before.pair_penalty.clear()
    plain = {h.listing_id: h.score for h in before.match(pair[0], k=2)}
    assert penalised[pair[1]] < plain[pair[1]]


def test_match_demand_command_on_the_registry(market) -> None:
    import json

    from typer.testing import CliRunner

    from observatory.cli import app

    url = market.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["match", "demand", "DEM1", "--embedder", "hash", "--k",
                                      "2", "--json", "--explain", "--database-url", url])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows[0]["code"] == "ACH1" and rows[0]["explanation"]["zh"]
    missing = CliRunner().invoke(app, ["match", "demand", "NOPE", "--embedder", "hash",
                                       "--database-url", url])
    assert missing.exit_code == 2 and "NOPE" in missing.output
