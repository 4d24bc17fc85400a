"""Assigning a qualified broker to a match (API, board form, CLI); the broker then sees and
advances it; unknown or unqualified brokers and closed matches are refused in both languages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.registry import models as m
from tests.web.conftest import city_engine, city_template, csrf_of, demo_user  # noqa: F401
from tests.web.test_marketplace import _client, _pair
from tests.web.test_match_proposals import _person_code, _unqualified_person


def _propose(client, csrf: str, demand: str, achievement: str, broker: str | None = None):
    body = {"demand": demand, "achievement": achievement}
    if broker:
        body["broker"] = broker
    r = client.post("/api/market/matches", headers={"X-CSRF-Token": csrf}, json=body)
    assert r.status_code == 201, r.text
    return r.json()["code"]


def _broker_of(engine, code: str) -> int | None:
    with Session(engine) as s:
        return s.scalar(select(m.Match.broker_person_id).where(m.Match.code == code))


def test_staff_assign_through_the_api_and_the_broker_takes_it_on(city_engine) -> None:  # noqa: F811
    staff, csrf = _client(city_engine, "analyst")
    code = _propose(staff, csrf, *_pair(city_engine, skip=0))
    broker, bcsrf = _client(city_engine, "broker")
    assert broker.get(f"/api/market/matches/{code}").status_code == 404  # not theirs yet
    me = demo_user(city_engine, "broker").person_id
    r = staff.post(f"/api/market/matches/{code}/broker", headers={"X-CSRF-Token": csrf},
                   json={"broker": _person_code(city_engine, me)})
    assert r.status_code == 200 and r.json()["broker"] == _person_code(city_engine, me)
    assert broker.get(f"/api/market/matches/{code}").status_code == 200
    board = broker.get("/api/market/board").json()
    assert code in [x["code"] for c in board["columns"] for x in c["matches"]]
    page = broker.get("/market/board").text
    assert f'id="m-{code}"' in page and 'class="assign"' not in page  # theirs, no reassigning
    step = broker.post(f"/api/market/matches/{code}/advance", headers={"X-CSRF-Token": bcsrf},
                       json={"to": "contacted"})
    assert step.status_code == 200 and step.json()["status"] == "contacted"
    # a broker cannot hand it on
    other = staff.get("/api/market/board").json()["broker_choices"][0]["code"]
    assert broker.post(f"/api/market/matches/{code}/broker", headers={"X-CSRF-Token": bcsrf},
                       json={"broker": other}).status_code == 403
    with Session(city_engine) as s:
        logged = s.scalars(select(m.AuditLog).where(m.AuditLog.entity_key == code,
                                                    m.AuditLog.operation == "assign broker"))
        assert len(list(logged)) == 1


def test_unknown_unqualified_and_closed_are_refused(city_engine) -> None:  # noqa: F811
    staff, csrf = _client(city_engine, "analyst")
    code = _propose(staff, csrf, *_pair(city_engine, skip=1))
    for broker, word in (("P9999999", "经纪人"), (_unqualified_person(city_engine), "资格")):
        r = staff.post(f"/api/market/matches/{code}/broker", headers={"X-CSRF-Token": csrf},
                       json={"broker": broker})
        assert r.status_code == 409 and broker in r.text and word in r.text
    assert _broker_of(city_engine, code) is None  # nothing written
    staff.post(f"/api/market/matches/{code}/advance", headers={"X-CSRF-Token": csrf},
               json={"to": "declined", "reason": "price"})
    qualified = staff.get("/api/market/board").json()["broker_choices"][0]["code"]
    r = staff.post(f"/api/market/matches/{code}/broker", headers={"X-CSRF-Token": csrf},
                   json={"broker": qualified})
    assert r.status_code == 409 and "经纪人" in r.text


def test_board_form_offers_qualified_brokers_to_propose_and_assign(city_engine) -> None:  # noqa: F811
    staff, _ = _client(city_engine, "analyst")
    demand, achievement = _pair(city_engine, skip=2)
    page = staff.get(f"/market/board?demand={demand}&achievement={achievement}").text
    me = _person_code(city_engine, demo_user(city_engine, "broker").person_id)
    assert 'id="propose-form"' in page and f'value="{me}"' in page and demand in page
    assert _unqualified_person(city_engine) not in page
    r = staff.post("/market/matches", data={"csrf": csrf_of(page), "demand": demand,
                                            "achievement": achievement, "broker": me},
                   follow_redirects=False)
    assert r.status_code == 303
    with Session(city_engine) as s:
        code = s.scalar(select(m.Match.code).join(m.Demand, m.Demand.id == m.Match.demand_id)
                        .join(m.Achievement, m.Achievement.id == m.Match.achievement_id)
                        .where(m.Demand.code == demand, m.Achievement.code == achievement))
    assert _broker_of(city_engine, code) == demo_user(city_engine, "broker").person_id
    # change it from the card's select to another qualified broker
    page = staff.get("/market/board").text
    other = next(c["code"] for c in staff.get("/api/market/board").json()["broker_choices"]
                 if c["code"] != me)
    r = staff.post(f"/market/matches/{code}/broker",
                   data={"csrf": csrf_of(page), "broker": other}, follow_redirects=False)
    assert r.status_code == 303
    with Session(city_engine) as s:
        assert s.scalar(select(m.Person.code).join(m.Match, m.Match.broker_person_id
                                                   == m.Person.id)
                        .where(m.Match.code == code)) == other
    bad = staff.post(f"/market/matches/{code}/broker",
                     data={"csrf": csrf_of(page), "broker": "P9999999"})
    assert bad.status_code == 409 and 'id="workflow-error"' in bad.text


def test_cli_assigns_with_the_same_checks(city_engine) -> None:  # noqa: F811
    staff, csrf = _client(city_engine, "analyst")
    code = _propose(staff, csrf, *_pair(city_engine, skip=0))
    url = str(city_engine.url)
    me = _person_code(city_engine, demo_user(city_engine, "broker").person_id)
    runner = CliRunner()
    ok = runner.invoke(app, ["match", "assign", code, "--broker", me, "--database-url", url,
                             "--format", "json"])
    assert ok.exit_code == 0, ok.output
    assert _broker_of(city_engine, code) == demo_user(city_engine, "broker").person_id
    bad = runner.invoke(app, ["match", "assign", code, "--broker",
                              _unqualified_person(city_engine), "--database-url", url])
    assert bad.exit_code == 2 and "资格" in bad.output
    assert _broker_of(city_engine, code) == demo_user(city_engine, "broker").person_id
    missing = runner.invoke(app, ["match", "assign", "M9999999", "--broker", me,
                                  "--database-url", url])
    assert missing.exit_code == 2 and "匹配" in missing.output
