"""Region scopes on both backends: roles x scopes (the city, a district, another district,
anonymous) x entities (organisation, contract, listing, fund, plan/target, drill-down,
export, search), on the example city. Expectations are counted from the tables directly."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.examples.generator import generate_city
from observatory.registry import models as m
from observatory.services import (
    accounts,
    board,
    enterprises,
    funds,
    indicators,
    market,
    plans,
)
from observatory.services.auth import ANONYMOUS, Principal, principal_of
from observatory.services.context import Deployment
from observatory.services.errors import Denied, NotFound
from observatory.services.tables import User
from tests.web.conftest import CITY

PASSWORD = "scope-test-2024"


@dataclass
class World:
    dep: Deployment
    district: str
    other: str
    city: Principal
    home: Principal
    away: Principal
    enterprise: Principal
    org_home: int
    org_other: int


def _user(engine: Engine, name: str, role: str, region: str, uscc: str | None = None
          ) -> Principal:
    accounts.add_user(engine, "test", accounts.NewUser(
        username=name, role=role, password=PASSWORD, region=region, organisation=uscc))
    with Session(engine) as session:
        return principal_of(session, session.scalars(
            select(User).where(User.username == name)).one())


def _world(engine: Engine) -> World:
    generate_city(engine, seed=5, scale=0.02)
    with Session(engine) as session:
        busiest = session.execute(
            select(m.Organisation.region_code).join(m.Region, m.Region.code ==
                                                    m.Organisation.region_code)
            .where(m.Region.parent_code == CITY.region, m.Organisation.kind == "enterprise")
            .group_by(m.Organisation.region_code).order_by(func.count().desc(),
                                                           m.Organisation.region_code)).all()
        sponsors = session.scalars(select(m.Organisation.region_code).join(
            m.Fund, m.Fund.sponsor_organisation_id == m.Organisation.id)).all()
        # the home district sponsors funds (so its analyst sees some and the other none)
        district = max(set(sponsors), key=sponsors.count)
        other = next(r for r, in busiest if r != district)
        orgs = {r: session.execute(select(m.Organisation.id, m.Organisation.uscc).where(
            m.Organisation.region_code == r, m.Organisation.kind == "enterprise")
            .order_by(m.Organisation.id).limit(1)).one() for r in (district, other)}
    return World(Deployment(engine, settings=CITY), district, other,
                 _user(engine, "city-analyst", "analyst", CITY.region),
                 _user(engine, "home-analyst", "analyst", district),
                 _user(engine, "away-analyst", "analyst", other),
                 _user(engine, "home-enterprise", "enterprise", district, orgs[district][1]),
                 orgs[district][0], orgs[other][0])


def _organisations(w: World) -> None:
    engine = w.dep.engine
    for p in (w.city, w.home):
        assert enterprises.enterprise_profile(engine, p, w.org_home).id == w.org_home
    assert enterprises.enterprise_profile(engine, w.city, w.org_other).id == w.org_other
    for p, org in ((w.home, w.org_other), (w.away, w.org_home), (w.enterprise, w.org_other)):
        with pytest.raises(NotFound):
            enterprises.enterprise_profile(engine, p, org)
    with pytest.raises(Denied):
        enterprises.enterprise_profile(engine, ANONYMOUS, w.org_home)
    # search results: a district's analyst finds only its district's enterprises
    listed = enterprises.enterprise_list(engine, w.home, "").enterprises
    assert listed and {e.region for e in listed} == {w.district}
    assert {e.region for e in enterprises.enterprise_list(engine, w.city, "").enterprises} \
        > {w.district, w.other}


def _hidden_listing(engine: Engine, region: str) -> str:
    """A listing of the region that is not published: one as generated, else one made a
    draft here (the test's own copy of the city)."""
    with Session(engine) as session, session.begin():
        found = session.scalars(select(m.Achievement).where(
            m.Achievement.region_code == region).order_by(
            (m.Achievement.status == "published"), m.Achievement.id).limit(1)).one()
        found.status = "draft" if found.status == "published" else found.status
        return found.code


def _listings(w: World) -> None:
    engine = w.dep.engine
    hidden = {r: _hidden_listing(engine, r) for r in (w.district, w.other)}
    assert market.listing_view(engine, w.home, hidden[w.district]).editable
    assert market.listing_view(engine, w.city, hidden[w.other]).editable
    for p, code in ((w.home, hidden[w.other]), (w.away, hidden[w.district]),
                    (ANONYMOUS, hidden[w.district])):
        with pytest.raises(NotFound):
            market.listing_view(engine, p, code)
    with pytest.raises(NotFound):
        market.edit_listing(engine, w.away, hidden[w.district],
                            market.ListingEdit(title_en="not mine"))
    edited = market.edit_listing(engine, w.home, hidden[w.district],
                                 market.ListingEdit(title_en="Home district edit"))
    assert edited.title_en == "Home district edit"


def _funds(w: World) -> None:
    with Session(w.dep.engine) as session:
        sponsor = dict(session.execute(select(m.Fund.code, m.Organisation.region_code).outerjoin(
            m.Organisation, m.Organisation.id == m.Fund.sponsor_organisation_id)).all())
    assert w.district in sponsor.values()
    for p, region in ((w.home, w.district), (w.away, w.other)):
        seen = {f.code for f in funds.funds_view(w.dep, p).funds}
        assert seen == {c for c, r in sponsor.items() if r == region}
        for code in set(sponsor) - seen:
            with pytest.raises(NotFound):
                funds.fund_view(w.dep, p, code)
    assert {f.code for f in funds.funds_view(w.dep, w.city).funds} == set(sponsor)
    with pytest.raises(Denied):
        funds.funds_view(w.dep, ANONYMOUS)


def _drill(w: World, p: Principal, code: str) -> indicators.FigureRecords:
    return indicators.records_view(w.dep, p, code, None, None)


def _drilldowns(w: World) -> None:
    contracts = _drill(w, w.city, "tech_contract_amount")
    assert contracts.withheld == 0 and contracts.total > 0
    home = _drill(w, w.home, "tech_contract_amount")
    assert home.total == sum(w.district in (r["seller_region_code"], r["buyer_region_code"])
                             for r in contracts.rows)
    assert home.withheld == contracts.total - home.total
    anonymous = _drill(w, ANONYMOUS, "tech_contract_amount")
    assert anonymous.rows == [] and anonymous.withheld == contracts.total
    rd = _drill(w, w.city, "industry_rd_expenditure")
    assert {r["region_code"] for r in _drill(w, w.home, "industry_rd_expenditure").rows} \
        == {r["region_code"] for r in rd.rows} & {w.district}
    own = _drill(w, w.enterprise, "industry_rd_expenditure").rows
    assert {r["organisation_id"] for r in own} <= {w.org_home}
    assert _drill(w, ANONYMOUS, "industry_rd_expenditure").rows == []
    commitments = _drill(w, w.city, "fund_commitment_total")
    assert commitments.total > 0 and _drill(w, ANONYMOUS, "fund_commitment_total").rows == []
    for p in (w.home, w.away):
        allowed = {f.code for f in funds.funds_view(w.dep, p).funds}
        seen = {r["fund"] for r in _drill(w, p, "fund_commitment_total").rows}
        assert seen == allowed & {r["fund"] for r in commitments.rows}
    listings = _drill(w, ANONYMOUS, "achievement_count")
    assert listings.withheld > 0 and all(
        r["status"] == "published" and r["visibility"] == "public" for r in listings.rows)


def _public(w: World) -> None:
    """Plans, targets, aggregates and their exports stay public: the same for every scope."""
    tree = plans.cached_plans(w.dep)  # no principal: the same plans and targets for all
    assert tree.plans and any(t.region for plan in tree.plans for t in plan.targets)
    data = indicators.indicator_view(w.dep, "tech_contract_amount", "district")
    assert "\ufeffindicator" in indicators.as_csv(data)
    found = market.search(w.dep, ANONYMOUS, "技术", "achievement", "zh").results
    with Session(w.dep.engine) as session:
        public = set(session.scalars(select(m.Achievement.code).where(
            m.Achievement.visibility == "public", m.Achievement.status == "published")))
    assert found and {c.code for c in found} <= public


def _matches(w: World) -> None:
    """A match (and so its contract) is proposed only where the user may edit: one of its
    listings in the user's region; the recorded matches list only those."""
    with Session(w.dep.engine) as session:
        def public(model: type[m.Demand] | type[m.Achievement], region: str) -> str:
            return session.scalars(select(model.code).where(
                model.region_code == region, model.visibility == "public",
                model.status == "published").order_by(model.id)).first() or ""
        demand, achievement = public(m.Demand, w.other), public(m.Achievement, w.other)
    assert demand and achievement
    given = board.MatchProposal(demand=demand, achievement=achievement)
    with pytest.raises(board.WorkflowRefused, match="region"):
        board.propose(w.dep.engine, w.home, given)
    made = board.propose(w.dep.engine, w.away, given)
    assert made.code in {x.code for x in market.match_rows(w.dep.engine, w.city).matches}
    assert made.code not in {x.code for x in market.match_rows(w.dep.engine, w.home).matches}
    with pytest.raises(NotFound):
        board.scoped_match(w.dep.engine, w.home, made.code)


def test_region_scopes_by_role_scope_and_entity(engine: Engine) -> None:
    w = _world(engine)
    _organisations(w)
    _listings(w)
    _matches(w)
    _funds(w)
    _drilldowns(w)
    _public(w)


def test_subtrees_follow_the_regions_table(sqlite_engine: Engine) -> None:
    """Nation > province > city > district, read from the parent links; a new district
    added to the table joins its city's subtree without any code change."""
    from observatory.services.auth import region_subtree

    with Session(sqlite_engine) as session:
        parent = dict(session.execute(select(m.Region.code, m.Region.parent_code)).all())

        def below(code: str) -> set[str]:
            out = {code}
            while True:
                more = {c for c, p in parent.items() if p in out} - out
                if not more:
                    return out
                out |= more
        for code in ("100000", "370000", "370200", "370211"):
            assert region_subtree(session, code) == below(code)
        assert region_subtree(session, "370211") == {"370211"}
        assert region_subtree(session, "999999") == frozenset()
        session.add(m.Region(code="370299", name_zh="新区", name_en="New district",
                             level="district", parent_code="370211"))
        session.flush()
        assert "370299" in region_subtree(session, "370200")
        assert "370299" in region_subtree(session, "370000")
