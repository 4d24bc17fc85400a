"""Fairs (对接会) group broker-assigned pairs: create, list, add matches, export (API, web,
CLI); audited; a broker sees only their own pairs; bad input is a bilingual 4xx / exit 2."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.registry import models as m
from tests.web.conftest import city_engine, city_template, csrf_of, demo_user  # noqa: F401
from tests.web.test_marketplace import _client


def _matches(engine, broker_id: int | None, n: int, mine: bool = True) -> list[str]:
    with Session(engine) as s:
        q = select(m.Match.code).order_by(m.Match.id).limit(n)
        q = q.where(m.Match.broker_person_id == broker_id) if mine else q.where(
            (m.Match.broker_person_id != broker_id) | m.Match.broker_person_id.is_(None))
        return list(s.scalars(q))


def test_fair_through_the_api_with_exports_and_broker_scope(city_engine) -> None:  # noqa: F811
    staff, csrf = _client(city_engine, "analyst")
    h = {"X-CSRF-Token": csrf}
    r = staff.post("/api/fairs", headers=h, json={"name_zh": "海洋技术对接会",
                                                  "name_en": "Marine tech fair",
                                                  "held_on": "2026-09-18", "place": "崂山"})
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    broker_id = demo_user(city_engine, "broker").person_id
    own, others = _matches(city_engine, broker_id, 2), _matches(city_engine, broker_id, 2, False)
    assert own and others
    r = staff.post(f"/api/fairs/{code}/matches", headers=h, json={"matches": own + others})
    assert r.status_code == 200
    assert {p["match"] for p in r.json()["pairs"]} == set(own + others)
    again = staff.post(f"/api/fairs/{code}/matches", headers=h, json={"matches": own})
    assert len(again.json()["pairs"]) == len(own + others)  # no duplicates
    listed = {f["code"]: f for f in staff.get("/api/fairs").json()["fairs"]}
    assert listed[code]["pairs"] == len(own + others)
    bad = staff.post(f"/api/fairs/{code}/matches", headers=h, json={"matches": ["M9999999"]})
    assert bad.status_code == 409 and "不存在匹配" in bad.text
    assert staff.post("/api/fairs/FAIR9999/matches", headers=h,
                      json={"matches": own}).status_code == 404
    assert staff.post("/api/fairs", headers=h, json={"name_zh": "x", "held_on": "18/09"}
                      ).status_code == 422
    text = staff.get(f"/api/fairs/{code}?format=csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["match"] for r in rows} == set(own + others) and "broker" in rows[0]
    book = openpyxl.load_workbook(io.BytesIO(staff.get(f"/api/fairs/{code}?format=xlsx").content))
    assert book["pairs"].max_row == len(own + others) + 1
    assert staff.get(f"/api/fairs/{code}?format=pdf").status_code == 422
    broker, bcsrf = _client(city_engine, "broker")
    seen = {p["match"] for p in broker.get(f"/api/fairs/{code}").json()["pairs"]}
    assert seen == set(own)
    assert broker.get("/api/check").status_code == 403  # checks are for analysts
    assert broker.get("/fairs").status_code == 200
    assert broker.post("/api/fairs", headers={"X-CSRF-Token": bcsrf},
                       json={"name_zh": "x", "held_on": "2026-01-01"}).status_code == 403
    with Session(city_engine) as s:
        ops = list(s.scalars(select(m.AuditLog.operation).where(m.AuditLog.entity == "fairs",
                                                                 m.AuditLog.entity_key == code)))
    assert ops == ["create fair", "add matches to fair"]


def test_fair_through_the_web_pages(city_engine) -> None:  # noqa: F811
    staff, _ = _client(city_engine, "analyst")
    page = staff.get("/fairs?lang=zh").text
    assert "新建对接会" in page
    r = staff.post("/fairs", data={"csrf": csrf_of(page), "name_zh": "秋季对接会",
                                   "held_on": "2026-10-10"}, follow_redirects=False)
    assert r.status_code == 303
    url = r.headers["location"]
    broker_id = demo_user(city_engine, "broker").person_id
    codes = _matches(city_engine, broker_id, 2)
    page = staff.get(url).text
    r = staff.post(f"{url}/matches", data={"csrf": csrf_of(page), "matches": ", ".join(codes)},
                   follow_redirects=False)
    assert r.status_code == 303
    page = staff.get(url + "?lang=en").text
    assert all(c in page for c in codes) and "format=xlsx" in page
    bad = staff.post("/fairs", data={"csrf": csrf_of(page), "name_zh": "", "held_on": "2026-1"})
    assert bad.status_code == 422 and "<html" in bad.text.lower()


def test_fairs_cli(city_engine, tmp_path) -> None:  # noqa: F811
    url = str(city_engine.url)
    runner = CliRunner()
    made = runner.invoke(app, ["fairs", "create", "--name-zh", "冬季对接会", "--held-on",
                               "2026-12-20", "--place", "西海岸", "--database-url", url])
    assert made.exit_code == 0, made.output
    code = made.output.strip()
    broker_id = demo_user(city_engine, "broker").person_id
    codes = _matches(city_engine, broker_id, 3)
    added = runner.invoke(app, ["fairs", "add", code, *codes, "--database-url", url])
    assert added.exit_code == 0 and f"{len(codes)} added" in added.output
    listed = runner.invoke(app, ["fairs", "list", "--format", "json", "--database-url", url])
    row = next(r for r in json.loads(listed.output) if r["code"] == code)
    assert row["pairs"] == len(codes) and row["place"] == "西海岸"
    out = runner.invoke(app, ["fairs", "export", code, "--format", "json", "--database-url", url])
    assert [r["match"] for r in json.loads(out.output)] == sorted(codes)
    xlsx = tmp_path / "fair.xlsx"
    done = runner.invoke(app, ["fairs", "export", code, "--format", "xlsx", "--out", str(xlsx),
                               "--database-url", url])
    assert done.exit_code == 0
    assert openpyxl.load_workbook(xlsx)["pairs"].max_row == len(codes) + 1
    for args in (["fairs", "create", "--name-zh", "x", "--held-on", "tomorrow"],
                 ["fairs", "add", "FAIR9999", codes[0]], ["fairs", "add", code, "M9999999"],
                 ["fairs", "export", code, "--format", "pdf"]):
        res = runner.invoke(app, [*args, "--database-url", url])
        assert res.exit_code == 2 and "错误" in res.output, args
