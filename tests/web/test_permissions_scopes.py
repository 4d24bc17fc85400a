"""The permission matrix over region scopes, through HTTP: every role x scope (the city, a
district, another district; and anonymous) x entity (organisation, contract, listing, fund,
plan/target, drill-down, export, search). What each cell should answer is derived from the
records themselves, not written down. PostgreSQL: tests/services/test_scopes.py."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.services import accounts
from observatory.services.auth import create_api_token
from observatory.services.tables import User
from tests.web.conftest import CITY, some_listing

ROLES = ("admin", "analyst", "public", "enterprise", "fund_manager", "broker")
SCOPES = ("city", "district", "other")
STAFF = {"admin", "analyst"}


@dataclass
class Setup:
    district: str
    other: str
    org: int
    fund: str
    hidden: str
    headers: dict[tuple[str, str], dict[str, str]]


def _regions(session: Session) -> tuple[str, str]:
    """The district that sponsors funds, and the busiest other district."""
    sponsors = session.scalars(select(m.Organisation.region_code).join(
        m.Fund, m.Fund.sponsor_organisation_id == m.Organisation.id)).all()
    district = max(set(sponsors), key=sponsors.count)
    other = session.scalars(
        select(m.Organisation.region_code).join(m.Region, m.Region.code ==
                                                m.Organisation.region_code)
        .where(m.Region.parent_code == CITY.region, m.Organisation.region_code != district)
        .group_by(m.Organisation.region_code).order_by(func.count().desc())).first()
    assert other is not None
    return district, other


@pytest.fixture(scope="module")
def setup(shared_engine: Engine) -> Setup:
    with Session(shared_engine) as session:
        district, other = _regions(session)
        org, uscc = session.execute(select(m.Organisation.id, m.Organisation.uscc).where(
            m.Organisation.region_code == district, m.Organisation.kind == "enterprise")
            .order_by(m.Organisation.id).limit(1)).one()
        fund, manager = session.execute(
            select(m.Fund.code, m.Organisation.uscc).join(
                m.Organisation, m.Organisation.id == m.Fund.manager_organisation_id)
            .where(m.Fund.sponsor_organisation_id.in_(select(m.Organisation.id).where(
                m.Organisation.region_code == district))).order_by(m.Fund.id).limit(1)).one()
        hidden = session.scalars(select(m.Achievement.code).where(
            m.Achievement.region_code == district, m.Achievement.status != "published",
            m.Achievement.owner_organisation_id != org).order_by(m.Achievement.id)).first()
    assert hidden is not None
    regions = {"city": CITY.region, "district": district, "other": other}
    links = {"enterprise": uscc, "fund_manager": manager}
    headers = {}
    for role in ROLES:
        for scope, region in regions.items():
            name = f"{role}-{scope}"
            accounts.add_user(shared_engine, "test", accounts.NewUser(
                username=name, role=role, password="matrix-pass-2024", region=region,
                organisation=links.get(role)))
            with Session(shared_engine) as session:
                uid = session.scalar(select(User.id).where(User.username == name))
            token = create_api_token(shared_engine, uid, "matrix")
            headers[(role, scope)] = {"Authorization": f"Bearer {token}"}
    headers[("anonymous", "-")] = {}
    return Setup(district, other, org, fund, hidden, headers)


def _status(client: TestClient, setup: Setup, path: str) -> dict[tuple[str, str], int]:
    return {who: client.get(path, headers=h).status_code for who, h in setup.headers.items()}


def _expect(allowed: set[str], in_region: bool = True) -> dict[tuple[str, str], int]:
    """200 for ``allowed`` roles in the city and the district, 404 in the other district;
    403 for other roles, 401 for anonymous."""
    out = {("anonymous", "-"): 401}
    for role in ROLES:
        for scope in SCOPES:
            out[(role, scope)] = (403 if role not in allowed else
                                  404 if scope == "other" and in_region else 200)
    return out


def test_organisation(shared_client: TestClient, setup: Setup) -> None:
    got = _status(shared_client, setup, f"/api/enterprises/{setup.org}")
    assert got == _expect(STAFF | {"enterprise"})


def test_fund(shared_client: TestClient, setup: Setup) -> None:
    got = _status(shared_client, setup, f"/api/funds/{setup.fund}")
    assert got == _expect(STAFF | {"fund_manager"})


def test_listing(shared_client: TestClient, shared_engine: Engine, setup: Setup) -> None:
    """A listing that is not published: staff of its region only; a public one: everyone."""
    got = _status(shared_client, setup, f"/api/market/listings/{setup.hidden}")
    assert got == {who: 200 if who[0] in STAFF and who[1] != "other" else 404 for who in got}
    public = _status(shared_client, setup, f"/api/market/listings/{some_listing(shared_engine)}")
    assert set(public.values()) == {200}


def _rows(client: TestClient, setup: Setup, code: str) -> dict[tuple[str, str], list[dict]]:
    out = {}
    for who, h in setup.headers.items():
        r = client.get(f"/api/indicators/{code}/records", headers=h)
        assert r.status_code == 200
        out[who] = r.json()["rows"]
    return out


def test_contract_drilldown(shared_client: TestClient, setup: Setup) -> None:
    rows = _rows(shared_client, setup, "tech_contract_amount")
    every = rows[("admin", "city")]
    assert every
    parties = {"district": setup.district, "other": setup.other}
    for (role, scope), seen in rows.items():
        if role in STAFF:
            want = every if scope == "city" else [
                r for r in every
                if parties[scope] in (r["seller_region_code"], r["buyer_region_code"])]
        elif role == "enterprise" and scope != "other":
            want = [r for r in every if setup.org in (r["seller_organisation_id"],
                                                      r["buyer_organisation_id"])]
        else:
            want = []
        assert seen == want, (role, scope)


def test_fund_and_rd_drilldowns(shared_client: TestClient, setup: Setup) -> None:
    """Issue 15: LP commitments and R&D per organisation are not for anonymous users, nor
    for the other district; fund managers see their own funds' commitments."""
    commitments = _rows(shared_client, setup, "fund_commitment_total")
    assert commitments[("admin", "city")]
    for who in (("anonymous", "-"), ("public", "city"), ("broker", "city"),
                ("analyst", "other"), ("enterprise", "city")):
        assert commitments[who] == [], who
    assert commitments[("analyst", "district")] == commitments[("admin", "city")]
    managed = {r["fund"] for r in commitments[("fund_manager", "district")]}
    assert setup.fund in managed
    rd = _rows(shared_client, setup, "industry_rd_expenditure")
    assert rd[("analyst", "city")] and rd[("anonymous", "-")] == []
    assert {r["region_code"] for r in rd[("analyst", "district")]} == {setup.district}
    assert {r["organisation_id"] for r in rd[("enterprise", "district")]} <= {setup.org}


def test_expired_listings_drilldown(shared_client: TestClient, setup: Setup) -> None:
    rows = _rows(shared_client, setup, "achievement_count")
    public = [r for r in rows[("admin", "city")]
              if r["status"] == "published" and r["visibility"] == "public"]
    assert len(public) < len(rows[("admin", "city")])
    for who in (("anonymous", "-"), ("public", "district"), ("broker", "city")):
        assert rows[who] == public
    assert {r["code"] for r in rows[("analyst", "district")]} >= {r["code"] for r in public}


def test_plans_and_exports_stay_public(shared_client: TestClient, setup: Setup) -> None:
    """Plans with their targets and the aggregates' downloads: the same bytes for all."""
    for path in ("/api/plans", "/api/indicators/tech_contract_amount.csv?by=district"):
        bodies = {who: shared_client.get(path, headers=h) for who, h in setup.headers.items()}
        assert {r.status_code for r in bodies.values()} == {200}, path
        assert len({r.content for r in bodies.values()}) == 1, path


def test_market_search_shows_published_public_listings(shared_client: TestClient,
                                                        shared_engine: Engine,
                                                        setup: Setup) -> None:
    with Session(shared_engine) as session:
        public = set(session.scalars(select(m.Achievement.code).where(
            m.Achievement.visibility == "public", m.Achievement.status == "published")))
    for who, h in setup.headers.items():
        r = shared_client.get("/api/market?q=%E6%8A%80%E6%9C%AF&kind=achievement", headers=h)
        found = {c["code"] for c in r.json()["results"]}
        assert r.status_code == 200 and found and found <= public, who


def test_enterprise_search(shared_client: TestClient, setup: Setup) -> None:
    got = {}
    for who, h in setup.headers.items():
        r = shared_client.get("/api/enterprises?q=", headers=h)
        got[who] = (r.status_code, {e["region"] for e in r.json().get("enterprises", [])}
                    if r.status_code == 200 else set())
    assert got[("analyst", "district")] == (200, {setup.district})
    assert got[("analyst", "other")] == (200, {setup.other})
    assert len(got[("admin", "city")][1]) > 2
    assert got[("enterprise", "district")] == (200, {setup.district})
    assert got[("enterprise", "other")] == (200, set())
    assert got[("public", "city")][0] == 403 and got[("anonymous", "-")][0] == 401


def test_imports_and_the_audit_log_need_the_whole_deployment(shared_client: TestClient,
                                                             setup: Setup) -> None:
    """Imports write any region's rows and the audit log shows every change: staff whose
    scope covers the deployment's region only."""
    for path in ("/api/data", "/api/data/audit"):
        got = _status(shared_client, setup, path)
        assert got == {who: 401 if who[0] == "anonymous" else
                       200 if who[0] in STAFF and who[1] == "city" else 403
                       for who in got}, path
