"""Pages, API and report follow the deployment settings, not the example city's constants."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.config import Settings
from observatory.db import make_engine
from observatory.examples import EXAMPLE_CITY_SETTINGS
from observatory.registry import models as m
from observatory.web.app import create_app

HOME = Path(__file__).resolve().parent


def _other_plan(engine: Engine) -> str:
    with Session(engine) as session:
        codes = session.scalars(select(m.Plan.code).order_by(m.Plan.id)).all()
    return next(c for c in codes if c != EXAMPLE_CITY_SETTINGS["key_plan"])


def test_overview_indicators_and_report_follow_the_settings(shared_engine: Engine) -> None:
    plan = _other_plan(shared_engine)
    settings = Settings(home=HOME, region="370212", first_year=2019, last_year=2025,
                        default_period=2023, key_plan=plan, languages=["en", "zh"])
    client = TestClient(create_app(shared_engine, settings=settings))
    over = client.get("/api/overview").json()
    assert over["key_plan"]["code"] == plan
    assert EXAMPLE_CITY_SETTINGS["key_plan"] in {p["code"] for p in over["other_plans"]}
    assert over["gii_rank"] == []  # the published rank is the city's, not this district's
    values = client.get("/api/indicators/hte_count").json()
    assert values["region"] == "370212"
    assert {r["region"] for r in values["rows"]} == {"370212"}
    records = client.get("/api/indicators/hte_count/records").json()
    assert (records["region"], records["period"]) == ("370212", 2023)
    page = client.get("/overview")
    assert 'href="/report/annual?year=2023"' in page.text
    assert '<html lang="en">' in page.text  # the deployment's first language
    report = client.get("/report/annual")
    assert report.status_code == 200 and "2023" in report.text


def test_without_a_key_plan_every_plan_shows_alike(shared_engine: Engine) -> None:
    settings = Settings(home=HOME, **{**EXAMPLE_CITY_SETTINGS, "key_plan": None})
    over = TestClient(create_app(shared_engine, settings=settings)).get("/api/overview").json()
    assert over["key_plan"] is None and over["key_indicators"] == []
    assert EXAMPLE_CITY_SETTINGS["key_plan"] in {p["code"] for p in over["other_plans"]}


def test_another_city_with_no_data_yet_runs(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "shenzhen.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    settings = Settings(home=tmp_path, region="440300", first_year=2020, last_year=2024,
                        key_plan="SZ-INNOVATION-2030")
    client = TestClient(create_app(engine, settings=settings, matching="bm25"))
    over = client.get("/api/overview")
    assert over.status_code == 200, over.text
    assert over.json()["key_plan"] is None and over.json()["other_plans"] == []
    for path_ in ("/overview", "/plans", "/indicators", "/api/plans", "/api/indicators"):
        assert client.get(path_).status_code == 200, path_
    assert 'href="/report/annual?year=2024"' in client.get("/overview").text
    engine.dispose()
