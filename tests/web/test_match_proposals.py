"""Proposing a match: a qualified broker is assigned, and only listings the proposer sees pair."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from tests.web.conftest import demo_user
from tests.web.test_marketplace import _client, _pair


def _person_code(engine: Engine, person_id: int | None) -> str:
    with Session(engine) as session:
        code = session.scalar(select(m.Person.code).where(m.Person.id == person_id))
    assert code is not None
    return code


def _unqualified_person(engine: Engine) -> str:
    with Session(engine) as session:
        qualified = select(m.BrokerQualification.person_id)
        code = session.scalar(select(m.Person.code).where(m.Person.id.not_in(qualified))
                              .order_by(m.Person.id).limit(1))
    assert code is not None
    return code


def test_staff_assign_a_qualified_broker_who_then_advances_the_match(city_engine) -> None:
    staff, staff_csrf = _client(city_engine, "analyst")
    broker_code = _person_code(city_engine, demo_user(city_engine, "broker").person_id)
    demand, achievement = _pair(city_engine, skip=3)
    r = staff.post("/api/market/matches", headers={"X-CSRF-Token": staff_csrf},
                   json={"demand": demand, "achievement": achievement, "broker": broker_code})
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["broker"] == broker_code
    broker, csrf = _client(city_engine, "broker")
    assert broker.get(f"/api/market/matches/{rec['code']}").status_code == 200
    step = broker.post(f"/api/market/matches/{rec['code']}/advance",
                       headers={"X-CSRF-Token": csrf}, json={"to": "contacted"})
    assert step.status_code == 200 and step.json()["status"] == "contacted"


def test_an_unknown_or_unqualified_broker_is_refused_in_both_languages(city_engine) -> None:
    staff, csrf = _client(city_engine, "analyst")
    demand, achievement = _pair(city_engine, skip=4)
    for broker, words in (("P9999999", "经纪人"), (_unqualified_person(city_engine), "资格")):
        r = staff.post("/api/market/matches", headers={"X-CSRF-Token": csrf},
                       json={"demand": demand, "achievement": achievement, "broker": broker})
        assert r.status_code == 409, r.text
        assert broker in r.text and words in r.text
    with Session(city_engine) as session:
        pair = select(m.Match).join(m.Demand, m.Demand.id == m.Match.demand_id).where(
            m.Demand.code == demand)
        assert session.scalars(pair).first() is None  # nothing written


def test_a_broker_proposes_for_themselves_only(city_engine) -> None:
    broker, csrf = _client(city_engine, "broker")
    demand, achievement = _pair(city_engine, skip=5)
    other = _unqualified_person(city_engine)
    r = broker.post("/api/market/matches", headers={"X-CSRF-Token": csrf},
                    json={"demand": demand, "achievement": achievement, "broker": other})
    assert r.status_code == 403


def test_a_private_draft_cannot_be_paired_or_read_by_a_broker(city_engine) -> None:
    demand, achievement = _pair(city_engine, skip=6)
    secret = "机密草稿需求标题"
    with Session(city_engine) as session, session.begin():
        row = session.scalars(select(m.Demand).where(m.Demand.code == demand)).one()
        row.status, row.visibility, row.title_zh = "draft", "private", secret
    broker, csrf = _client(city_engine, "broker")
    r = broker.post("/api/market/matches", headers={"X-CSRF-Token": csrf},
                    json={"demand": demand, "achievement": achievement})
    assert r.status_code == 409 and secret not in r.text
    assert "不存在需求" in r.text  # the same answer as for a code that does not exist
    staff, staff_csrf = _client(city_engine, "analyst")
    r = staff.post("/api/market/matches", headers={"X-CSRF-Token": staff_csrf},
                   json={"demand": demand, "achievement": achievement})
    assert r.status_code == 201 and r.json()["demand_title_zh"] == secret
