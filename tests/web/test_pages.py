"""Pages and their JSON twins, offline assets, escaping of user text, imports, matching."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.services.accounts import DEMO_PASSWORDS
from observatory.web.app import PLOTLY_JS, create_app
from tests.web.conftest import CITY, bearer, csrf_of, demo_user, login, some_listing

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|"""
                      r"""@import""", re.I)


def _pages(engine) -> list[str]:
    code = some_listing(engine)
    org = demo_user(engine, "enterprise").organisation_id
    return ["/overview", "/plans", "/indicators", "/indicators/hte_count",
            "/indicators/hte_count?by=district", "/index", "/market?q=technology",
            f"/market/listings/{code}", f"/market/match/{code}", "/market/matches", "/funds",
            "/enterprises", f"/enterprises/{org}", "/data", "/data/audit", "/account",
            "/login"]


def test_every_page_has_a_json_twin_and_no_external_assets(shared_client, shared_engine,
                                                            tokens) -> None:
    h = bearer(tokens, "admin")
    for path in _pages(shared_engine):
        page = shared_client.get(path, headers=h)
        assert page.status_code == 200, path
        assert not EXTERNAL.search(page.text), path
        assert '<script src="/assets/plotly.min.js"' in page.text
        twin = re.search(r'<a href="(/api/[^"]*)">JSON', page.text)
        if path == "/login":
            continue
        assert twin, path
        r = shared_client.get(twin.group(1).replace("&amp;", "&"), headers=h)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json", path


def test_plotly_is_served_from_the_installed_package(shared_client) -> None:
    r = shared_client.get("/assets/plotly.min.js")
    assert r.status_code == 200 and r.content == PLOTLY_JS.read_bytes()
    assert not EXTERNAL.search(shared_client.get("/static/app.js").text)
    assert not EXTERNAL.search(shared_client.get("/static/app.css").text)


def test_openapi_lists_the_api(shared_client) -> None:
    paths = shared_client.get("/openapi.json").json()["paths"]
    for p in ("/api/overview", "/api/plans", "/api/indicators/{code}", "/api/market",
              "/api/funds", "/api/enterprises/{org_id}", "/api/data/audit"):
        assert p in paths


def test_overview_twin_matches_the_page(shared_client) -> None:
    data = shared_client.get("/api/overview").json()
    assert len(data["key_indicators"]) == 5
    for tg in data["key_indicators"]:
        assert tg["method"] == "forecast" and tg["status"]
        assert tg["target_year"] == 2028
    zh = shared_client.get("/overview?lang=zh").text
    en = shared_client.get("/overview?lang=en").text
    for tg in data["key_indicators"]:
        assert escape(tg["name_zh"]) in zh and escape(tg["name_en"]) in en


def test_language_switch_sets_a_cookie_and_returns(shared_engine) -> None:
    client = TestClient(create_app(shared_engine, settings=CITY))
    r = client.get("/lang/en?next=/plans", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/plans"
    assert '<html lang="en">' in client.get("/plans").text
    client.get("/lang/zh?next=/plans")
    assert '<html lang="zh-CN">' in client.get("/plans").text
    r = client.get("/lang/en?next=//evil.example/", follow_redirects=False)
    assert r.headers["location"] == "/overview"  # no open redirect


def test_indicator_csv_download(shared_client) -> None:
    r = shared_client.get("/api/indicators/hte_count.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.lstrip("\ufeff").splitlines()
    assert lines[0].split(",")[:3] == ["indicator", "region", "period"]
    assert len(lines) > 1


def test_listing_title_is_escaped_everywhere(city_engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-enterprise", DEMO_PASSWORDS["enterprise"])
    org = demo_user(city_engine, "enterprise").organisation_id
    code = some_listing(city_engine, owner=org, kind=m.Demand)
    form = client.get(f"/market/listings/{code}").text
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = client.post(f"/market/listings/{code}", data={
        "csrf": csrf_of(form), "title_en": evil, "title_zh": evil,
        "summary_en": "s", "summary_zh": "s"})
    assert r.status_code == 200
    for path in (f"/market/listings/{code}?lang=en", f"/enterprises/{org}?lang=en"):
        html = client.get(path).text
        assert evil not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html
    assert client.get(f"/api/market/listings/{code}").json()["title_en"] == evil


def test_search_and_match_with_explanations(shared_client, tokens) -> None:
    h = bearer(tokens, "broker")
    res = shared_client.get("/api/market?q=technology&kind=demand&lang=en", headers=h).json()
    assert res["results"]
    first = res["results"][0]
    assert first["kind"] == "demand" and first["why"]
    mt = shared_client.get(f"/api/market/match/{first['code']}?lang=zh", headers=h).json()
    assert mt["source"]["code"] == first["code"]
    assert all(r["kind"] == "achievement" for r in mt["results"])
    assert any("匹配" in line or "无共同关键词" in line for r in mt["results"] for line in r["why"])


def test_broker_proposes_and_sees_only_own_matches(city_engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-broker", DEMO_PASSWORDS["broker"])
    me = demo_user(city_engine, "broker").person_id
    with Session(city_engine) as session:
        # A broker pairs only listings it may see: published and public ones.
        demands = session.scalars(select(m.Demand.code).where(
            m.Demand.status == "published", m.Demand.visibility == "public")
            .order_by(m.Demand.id).limit(2)).all()
        ach = session.scalars(select(m.Achievement.code).where(
            m.Achievement.status == "published", m.Achievement.visibility == "public")
            .order_by(m.Achievement.id).limit(1)).one()
        other_broker = session.scalar(select(m.Person.id).where(m.Person.id != me).limit(1))
        seeded_mine = set(session.scalars(select(m.Match.code).where(
            m.Match.broker_person_id == me)))
    before = {x["code"] for x in client.get("/api/market/matches").json()["matches"]}
    assert before == seeded_mine  # the example city's own matches for this broker
    token = csrf_of(client.get("/account").text)
    r = client.post("/market/matches", data={"csrf": token, "demand": demands[0],
                                             "achievement": ach}, follow_redirects=False)
    assert r.status_code == 303
    with Session(city_engine) as session, session.begin():
        session.add(m.Match(code="OTHER1", demand_id=session.scalar(
            select(m.Demand.id).where(m.Demand.code == demands[1])),
            achievement_id=session.scalar(select(m.Achievement.id).where(
                m.Achievement.code == ach)), broker_person_id=other_broker,
            status="proposed", proposed_on=__import__("datetime").date(2025, 1, 1)))
    mine = client.get("/api/market/matches").json()["matches"]
    new = {x["code"] for x in mine} - before
    assert len(new) == 1 and "OTHER1" not in {x["code"] for x in mine}
    assert {x["broker_person_id"] for x in mine} == {me}
    code = new.pop()
    assert client.get("/api/market/matches/OTHER1").status_code == 404
    assert client.get(f"/api/market/matches/{code}").status_code == 200
    with Session(city_engine) as session:
        actors = set(session.scalars(select(m.AuditLog.actor).where(
            m.AuditLog.entity == "matches", m.AuditLog.entity_key == code)))
    assert actors == {"demo-broker"}


def test_import_with_errors_writes_nothing_then_valid_import_commits(city_engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-analyst", DEMO_PASSWORDS["analyst"])
    token = csrf_of(client.get("/data").text)
    bad = ("indicator_code,region_code,period,value,unit\n"
           "web_test,370200,2024,12.5,percent\nweb_test,370200,2025,abc,percent\n")
    r = client.post("/data/imports", data={"csrf": token, "entity": "observations"},
                    files={"file": ("obs.csv", bad.encode(), "text/csv")})
    assert r.status_code == 200 and 'data-status="invalid"' in r.text
    run = client.get(r.url.path.replace("/data/", "/api/data/")).json()
    assert [(e["row"], e["column"], e["value"]) for e in run["errors"]] == [(3, "value", "abc")]
    with Session(city_engine) as session:
        count = session.scalar(select(func.count()).select_from(m.Observation)
                               .where(m.Observation.indicator_code == "web_test"))
    assert count == 0
    good = bad.replace("abc", "13")
    r = client.post("/data/imports", data={"csrf": token, "entity": "observations"},
                    files={"file": ("obs.csv", good.encode(), "text/csv")})
    assert 'data-status="validated"' in r.text
    with Session(city_engine) as session:
        assert session.scalar(select(func.count()).select_from(m.Observation).where(
            m.Observation.indicator_code == "web_test")) == 0  # not before confirming
    r = client.post(r.url.path, data={"csrf": token, "action": "confirm"})
    assert 'data-status="committed"' in r.text
    with Session(city_engine) as session:
        assert session.scalar(select(func.count()).select_from(m.Observation).where(
            m.Observation.indicator_code == "web_test")) == 2
        actors = set(session.scalars(select(m.AuditLog.actor).where(
            m.AuditLog.entity == "observations", m.AuditLog.entity_key.like("web_test%"))))
    assert actors == {"demo-analyst"}
    history = client.get("/api/data").json()["imports"]
    assert [h["status"] for h in history] == ["committed", "invalid"]


def test_eligibility_self_assessment_form(city_engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    login(client, "demo-enterprise", DEMO_PASSWORDS["enterprise"])
    org = demo_user(city_engine, "enterprise").organisation_id
    page = client.get(f"/enterprises/{org}?lang=en").text
    r = client.post(f"/enterprises/{org}/eligibility?lang=en", data={
        "csrf": csrf_of(page), "pack": "hte", "founded": "2015-03-01", "year": "2024",
        "revenue": "50000000", "high_tech_revenue": "40000000", "rd_expense": "3000000",
        "employees": "100", "tech_staff": "20", "ip_class1": "2"})
    assert r.status_code == 200 and 'id="eligibility-result"' in r.text


def test_composite_index_page_shows_the_district_index_with_intervals(shared_client) -> None:
    payload = shared_client.get("/api/index").json()
    assert payload["district_index_available"] is True
    rows = payload["district_index"]
    assert len(rows) == 10 and sorted(r["rank"] for r in rows) == list(range(1, 11))
    assert all(r["rank_q5"] <= r["median_rank"] <= r["rank_q95"] for r in rows)
    assert payload["structure"]["method"]["runs"] > 0
    html = shared_client.get("/index?lang=en").text
    assert "District innovation index" in html and rows[0]["name_en"] in html


def test_index_page_lists_indicators_weights_values_and_answers_what_if(shared_client) -> None:
    from observatory.services.district_index import load_structure

    structure = load_structure()
    payload = shared_client.get("/api/index").json()
    assert payload["structure"]["method"]["runs"] == structure.runs  # as the command line
    listed = payload["structure"]["indicators"]
    assert [i["code"] for i in listed] == [m.code for m in structure.indicators]
    assert all(i["weight"] == 1.0 and i["name_zh"] for i in listed)
    values = payload["values"]
    assert len(values) == 10 * len(listed)
    assert all(v["normalised"] is None or 1 - 1e-9 <= v["normalised"] <= 100 + 1e-9
               for v in values)
    zh = shared_client.get("/index?lang=zh").text
    assert "指标与权重" in zh and "/static/whatif.js" in zh and listed[0]["name_zh"] in zh
    same = shared_client.get("/api/index/what-if").json()
    assert [s["rank"] for s in same["scores"]] == [s["rank_before"] for s in same["scores"]]
    market = shared_client.get("/api/index/what-if?weights=ENT:0,PLAT:0,RD:0,MKT:1").json()
    best = max(payload["district_index"], key=lambda r: r["MKT"])
    assert market["scores"][0]["region"] == best["region"]
    for bad in ("ENT", "XX:1", "ENT:-2", "ENT:nan"):
        r = shared_client.get(f"/api/index/what-if?weights={bad}")
        assert r.status_code == 422 and "application/json" in r.headers["content-type"]


def test_enterprise_assessed_from_the_registry(shared_client, shared_engine, tokens) -> None:
    """The page shows the firm's IP, dated facts and a registry-based assessment; its JSON twin
    matches the CLI path; pack names are codes, never file paths."""
    from datetime import date

    from observatory.eligibility.evaluator import Evaluator
    from observatory.eligibility.inputs import load_enterprise
    from observatory.eligibility.packs import get_pack

    with Session(shared_engine) as s:
        org_id, uscc = s.execute(
            select(m.Organisation.id, m.Organisation.uscc)
            .join(m.OrganisationFact, m.OrganisationFact.organisation_id == m.Organisation.id)
            .order_by(m.Organisation.id).limit(1)).one()
    h = bearer(tokens, "analyst")
    data = shared_client.get(f"/api/enterprises/{org_id}", headers=h).json()
    assert any(f["code"] == "hte_field" for f in data["facts"])
    assert data["years"] and "ip_class1" in data["years"][-1]
    r = shared_client.get(f"/api/enterprises/{org_id}/eligibility?pack=hte&as_of=2025-06-30"
                          "&lang=en", headers=h)
    assert r.status_code == 200, r.text
    got = r.json()
    direct = Evaluator(get_pack("hte")).assess(
        load_enterprise(shared_engine, uscc, date(2025, 6, 30)), date(2025, 6, 30))
    assert got["status"] == direct.status and got["source"] == "registry"
    assert [c["status"] for c in got["criteria"]] == [c.status for c in direct.criteria]
    assert all(f.startswith("self_grades.") for f in got["missing"])
    html = shared_client.get(f"/enterprises/{org_id}?lang=en&pack=tsme&as_of=2025-06-30",
                             headers=h).text
    assert 'id="registry-result"' in html and 'id="facts"' in html and "hte_field" in html
    for bad in ("nope", "../../etc/passwd.yaml"):
        r = shared_client.get(f"/api/enterprises/{org_id}/eligibility?pack={bad}", headers=h)
        assert r.status_code == 422 and "no such pack" in r.text and "没有该规则包" in r.text
    r = shared_client.get(f"/api/enterprises/{org_id}/eligibility?as_of=2025-13-01", headers=h)
    assert r.status_code == 422 and "YYYY-MM-DD" in r.text
    assert shared_client.get("/api/enterprises/999999999/eligibility",
                             headers=h).status_code == 404
    # the page still shows the profile, with the reason in place of the assessment
    r = shared_client.get(f"/enterprises/{org_id}?lang=en&as_of=1990-01-01", headers=h)
    assert r.status_code == 200 and 'id="registry-error"' in r.text
    assert "before the organisation" in r.text
    # an enterprise account sees only its own organisation
    own = demo_user(shared_engine, "enterprise").organisation_id
    other = org_id if org_id != own else org_id + 1
    r = shared_client.get(f"/api/enterprises/{other}/eligibility",
                          headers=bearer(tokens, "enterprise"))
    assert r.status_code == 404
