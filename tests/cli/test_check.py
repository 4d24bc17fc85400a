"""``observatory check``: clean on the example city (exit 0); each kind of finding planted in
a copy of it is reported (exit 1); bad input is exit 2; the page and its JSON twin agree."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.quality.checks import CheckDefinitionError, load_checks
from observatory.registry import models as m
from tests.conftest import copy_example_city

runner = CliRunner()


def _check(url: str, *args: str):
    return runner.invoke(app, ["check", "--database-url", url, *args])


def test_example_city_is_clean(example_city_path: Path) -> None:
    res = _check(f"sqlite:///{example_city_path}", "--format", "json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["clean"] is True and report["findings"] == []
    assert len(report["checks"]) == 5


def _plant(engine: Engine) -> set[tuple[str, str]]:
    """One finding of each kind; returns the (check code, record key) pairs to be reported."""
    with Session(engine) as s, s.begin():
        fund = s.scalars(select(m.Fund).order_by(m.Fund.id)).first()
        committed = s.scalar(select(func.sum(m.FundCommitment.amount_yuan))
                             .where(m.FundCommitment.fund_id == fund.id))
        paid = s.scalar(select(func.sum(m.FundCashFlow.amount_yuan)).where(
            m.FundCashFlow.fund_id == fund.id, m.FundCashFlow.kind.in_(("call", "fee")))) or 0
        s.add(m.FundCashFlow(code="CFPLANT", fund_id=fund.id, kind="call",
                             flow_on=dt.date(2024, 6, 30),
                             amount_yuan=committed - paid + Decimal(1)))
        cert = s.scalars(select(m.Designation).where(m.Designation.valid_to.is_not(None),
                                                     m.Designation.status == "granted")
                         .order_by(m.Designation.id)).first()
        s.add(m.Designation(certificate_no="PLANT-OVERLAP", organisation_id=cert.organisation_id,
                            type_code=cert.type_code, level=cert.level,
                            valid_from=cert.valid_to - dt.timedelta(days=10),
                            valid_to=cert.valid_to + dt.timedelta(days=300), status="granted"))
        other = s.scalars(select(m.Designation).where(
            m.Designation.organisation_id != cert.organisation_id,
            m.Designation.valid_to.is_not(None), m.Designation.status == "granted")
            .order_by(m.Designation.id.desc())).first()
        gone = other.valid_to - dt.timedelta(days=30)
        s.add(m.OrganisationFact(organisation_id=other.organisation_id, fact_code="dissolved",
                                 observed_on=gone, value_bool=True))
        # every granted designation of that organisation running past the dissolution
        still = set(s.scalars(select(m.Designation.certificate_no).where(
            m.Designation.organisation_id == other.organisation_id,
            m.Designation.status == "granted",
            m.Designation.valid_to.is_(None) | (m.Designation.valid_to > gone))))
        assert other.certificate_no in still
        region = s.scalar(select(m.Region.code).order_by(m.Region.code))
        s.add_all([m.Observation(indicator_code="planted_series", region_code=region,
                                 period=p, value=Decimal(v), unit="count")
                   for p, v in (("2022", 100), ("2023", 104), ("2024", 190))])
        contract = s.scalar(select(m.TechnologyContract.registration_no)
                            .order_by(m.TechnologyContract.id))
        keys = {("fund_paid_in_over_commitments", fund.code),
                ("overlapping_certificates", "PLANT-OVERLAP"),
                ("contract_technology_over_total", contract),
                ("figure_moved", f"planted_series/{region}/2024"),
                *(("designation_of_dissolved_organisation", c) for c in still)}
    with engine.begin() as conn:  # the schema forbids it: bypass the CHECK as old data would
        conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        conn.execute(text("UPDATE technology_contracts SET technology_amount_yuan = "
                          "total_amount_yuan + 5000 WHERE registration_no = :r"), {"r": contract})
    return keys


def test_each_planted_finding_is_reported(example_city_path: Path, tmp_path: Path) -> None:
    engine = copy_example_city(example_city_path, tmp_path)
    planted = _plant(engine)
    url = str(engine.url)
    res = _check(url, "--format", "json")
    assert res.exit_code == 1, res.output
    found = {(f["check"], f["key"]) for f in json.loads(res.output)["findings"]}
    assert found == planted
    rows = list(csv.DictReader(io.StringIO(_check(url, "--format", "csv").output)))
    assert {(r["check"], r["key"]) for r in rows} == found
    assert all(r["message_zh"] and r["message_en"] for r in rows)
    # a looser threshold (+90 % allowed) lets the planted series pass; only that check runs
    loose = _check(url, "--format", "json", "--threshold", "figure_moved=0.95",
                   "--only", "figure_moved")
    assert loose.exit_code == 0, loose.output
    table = _check(url)
    assert table.exit_code == 1 and "PLANT-OVERLAP" in table.output
    _page_agrees(engine, found)


def _page_agrees(engine: Engine, found: set[tuple[str, str]]) -> None:
    from observatory.services.auth import create_api_token, create_user
    from observatory.web.app import create_app

    with Session(engine) as s, s.begin():
        uid = create_user(s, "checker", "a-long-password-1", "analyst").id
    client = TestClient(create_app(engine))
    h = {"Authorization": f"Bearer {create_api_token(engine, uid, 'tests')}"}
    data = client.get("/api/check", headers=h).json()
    assert {(f["check"], f["key"]) for f in data["findings"]} == found
    html = client.get("/check?lang=en", headers=h).text
    assert "PLANT-OVERLAP" in html and "Data-quality checks" in html
    assert client.get("/api/check?threshold=nonsense", headers=h).status_code == 422
    assert client.get("/api/check").status_code == 401


@pytest.mark.parametrize("args", [["--threshold", "figure_moved"],
                                  ["--threshold", "no_such_check=1"],
                                  ["--threshold", "figure_moved=-1"],
                                  ["--only", "no_such_check"]])
def test_bad_input_is_exit_2_with_both_languages(example_city_path: Path, args: list[str]
                                                 ) -> None:
    res = _check(f"sqlite:///{example_city_path}", *args)
    assert res.exit_code == 2
    assert "error:" in res.output and "错误" in res.output


@pytest.mark.parametrize(("yaml_text", "word"), [
    ("checks: [{code: figure_moved, name_en: a, name_zh: b, severity: fatal, threshold: 1}]",
     "severity"),
    ("checks: [{code: nothing, name_en: a, name_zh: b, severity: error, threshold: 1}]",
     "no check"),
    ("checks: [{code: figure_moved, name_en: a, name_zh: b, severity: error, threshold: -2}]",
     "threshold"),
    ("checks: [{code: figure_moved, name_en: a, severity: error, threshold: 1}]", "name_zh"),
])
def test_definitions_are_validated_on_load(yaml_text: str, word: str) -> None:
    with pytest.raises(CheckDefinitionError) as err:
        load_checks(yaml_text)
    assert word in err.value.en and err.value.zh


def test_checks_run_on_both_backends(engine: Engine) -> None:
    """A fund paid in 150 of 100 committed and a figure that doubled, on SQLite and PostgreSQL."""
    from observatory.quality.checks import run_checks

    with Session(engine) as s, s.begin():
        fund = m.Fund(code="F1", name_zh="基金", kind="sub", level="city", vintage=2020,
                      size_yuan=Decimal(100))
        s.add(fund)
        s.flush()
        s.add(m.FundCommitment(code="C1", fund_id=fund.id, lp_name="LP", lp_type="private",
                               amount_yuan=Decimal(100), committed_on=dt.date(2020, 1, 1)))
        s.add_all([m.FundCashFlow(code=f"CF{i}", fund_id=fund.id, kind=k,
                                  flow_on=dt.date(2021, 1, i), amount_yuan=Decimal(a))
                   for i, (k, a) in enumerate((("call", 140), ("fee", 10)), start=1)])
        region = s.scalar(select(m.Region.code).order_by(m.Region.code))
        s.add_all([m.Observation(indicator_code="x", region_code=region, period=p,
                                 value=Decimal(v), unit="n")
                   for p, v in (("2024-Q1", 10), ("2024-Q2", 21), ("2024-Q4", 100))])
    with Session(engine) as s:
        found = run_checks(s, load_checks())
    assert {(f.check, f.key) for f in found} == {
        ("fund_paid_in_over_commitments", "F1"), ("figure_moved", f"x/{region}/2024-Q2")}
