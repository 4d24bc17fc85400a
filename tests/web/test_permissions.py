"""Every API route x every role answers exactly what the access rules allow."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from tests.web.conftest import ROLES, bearer, demo_user, some_listing

A, P, AD, AN, FM, BR, EN = ROLES
EVERYONE = {r: 200 for r in ROLES}


def _only(*allowed: str) -> dict[str, int]:
    return {r: 200 if r in allowed else 401 if r == "anonymous" else 403 for r in ROLES}


STATIC_MATRIX: dict[str, dict[str, int]] = {
    "/api/overview": EVERYONE,
    "/api/plans": EVERYONE,
    "/api/indicators": EVERYONE,
    "/api/index": EVERYONE,
    "/api/market?q=technology": EVERYONE,
    "/api/market/matches": _only(AD, AN, BR),
    "/api/market/board": _only(AD, AN, BR),
    "/api/market/engine": EVERYONE,
    "/api/indicators/hte_count.xlsx": EVERYONE,
    "/api/indicators/hte_count.sdmx.csv?by=district": EVERYONE,
    "/api/funds": _only(AD, AN, FM),
    "/api/enterprises": _only(AD, AN, EN),
    "/api/data": _only(AD, AN),
    "/api/data/audit": _only(AD, AN),
    "/api/account": {**_only(P, AD, AN, FM, BR, EN)},
}


@pytest.mark.parametrize("route", sorted(STATIC_MATRIX))
def test_route_by_role(shared_client, tokens, route: str) -> None:
    got = {role: shared_client.get(route, headers=bearer(tokens, role)).status_code
           for role in ROLES}
    assert got == STATIC_MATRIX[route]


def test_match_route_by_role(shared_client, shared_engine, tokens) -> None:
    code = some_listing(shared_engine)
    got = {role: shared_client.get(f"/api/market/match/{code}",
                                   headers=bearer(tokens, role)).status_code for role in ROLES}
    assert got == _only(AD, AN, BR, EN)


def test_html_pages_redirect_anonymous_to_login(shared_client) -> None:
    for path in ("/funds", "/enterprises", "/data", "/market/matches", "/account"):
        r = shared_client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_invalid_bearer_token_is_refused(shared_client) -> None:
    r = shared_client.get("/api/overview", headers={"Authorization": "Bearer obs_nope"})
    assert r.status_code == 401


def test_enterprise_sees_only_its_own_profile(shared_client, shared_engine, tokens) -> None:
    own = demo_user(shared_engine, "enterprise").organisation_id
    with Session(shared_engine) as session:
        other = session.scalar(select(m.Organisation.id).where(m.Organisation.id != own)
                               .order_by(m.Organisation.id).limit(1))
    h = bearer(tokens, "enterprise")
    assert shared_client.get(f"/api/enterprises/{own}", headers=h).status_code == 200
    assert shared_client.get(f"/api/enterprises/{other}", headers=h).status_code == 404
    listed = shared_client.get("/api/enterprises", headers=h).json()["enterprises"]
    assert [e["id"] for e in listed] == [own]
    admin = bearer(tokens, "admin")
    assert shared_client.get(f"/api/enterprises/{other}", headers=admin).status_code == 200


def test_fund_manager_sees_only_its_funds(shared_client, shared_engine, tokens) -> None:
    org = demo_user(shared_engine, "fund_manager").organisation_id
    with Session(shared_engine) as session:
        own = set(session.scalars(select(m.Fund.code).where(m.Fund.manager_organisation_id == org)))
        other = session.scalars(select(m.Fund.code).where(
            m.Fund.manager_organisation_id != org).order_by(m.Fund.id)).first()
    assert own and other
    h = bearer(tokens, "fund_manager")
    listed = {f["code"] for f in shared_client.get("/api/funds", headers=h).json()["funds"]}
    assert listed == own
    assert shared_client.get(f"/api/funds/{other}", headers=h).status_code == 404
    assert shared_client.get(f"/api/funds/{sorted(own)[0]}", headers=h).status_code == 200
    assert shared_client.get(f"/api/funds/{other}",
                             headers=bearer(tokens, "admin")).status_code == 200


def test_enterprise_edits_only_its_own_listings(shared_client, shared_engine, tokens) -> None:
    org = demo_user(shared_engine, "enterprise").organisation_id
    own = some_listing(shared_engine, owner=org, kind=m.Demand)
    with Session(shared_engine) as session:
        other = session.scalar(select(m.Demand.code).where(
            m.Demand.owner_organisation_id != org).limit(1))
    h = bearer(tokens, "enterprise")
    assert shared_client.post(f"/api/market/listings/{other}", json={"title_en": "x"},
                              headers=h).status_code == 404
    r = shared_client.post(f"/api/market/listings/{own}", json={"title_en": "Renamed need"},
                           headers=h)
    assert r.status_code == 200 and r.json()["title_en"] == "Renamed need"
    assert shared_client.post(f"/api/market/listings/{own}", json={"title_en": "y"},
                              headers=bearer(tokens, "broker")).status_code == 403
    with Session(shared_engine) as session:
        entry = session.scalars(select(m.AuditLog).where(m.AuditLog.entity_key == own)
                                .order_by(m.AuditLog.id.desc())).first()
    assert entry.actor == "demo-enterprise" and entry.after == {"title_en": "Renamed need"}


def test_pipeline_writes_by_role(shared_client, tokens) -> None:
    """Proposing, moving a match and registering a contract: staff and brokers only (an
    unknown match answers 404 to them, so the role check comes first for everyone else)."""
    writes = [("/api/market/matches", {"demand": "NOPE", "achievement": "NOPE"}),
              ("/api/market/matches/NOPE/advance", {"to": "contacted"}),
              ("/api/market/matches/NOPE/contract", {"registration_no": "X"})]
    for route, body in writes:
        got = {role: shared_client.post(route, json=body, headers=bearer(tokens, role))
               .status_code for role in ROLES}
        allowed = 409 if route == "/api/market/matches" else 404
        assert got == {r: allowed if r in (AD, AN, BR) else 401 if r == A else 403
                       for r in ROLES}, route
    pages = ("/market/board", "/market/matches/NOPE/contract")
    for path in pages:
        got = {role: shared_client.get(path, headers=bearer(tokens, role),
                                       follow_redirects=False).status_code for role in ROLES}
        ok = 200 if path == "/market/board" else 404
        assert got == {r: ok if r in (AD, AN, BR) else 303 if r == A else 403
                       for r in ROLES}, path
