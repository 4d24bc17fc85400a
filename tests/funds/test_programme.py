"""Funds read from the registry: a hand-made family (both backends) and the example city."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.examples.generator import calibration_targets
from observatory.funds.metrics import FundDataError
from observatory.funds.programme import fund_report, load_fund_tables, period_end
from observatory.registry import models as m
from observatory.registry.codes import make_uscc
from tests.conftest import copy_example_city

AS_OF = date(2022, 1, 1)


def build_family(engine: Engine, benchmark: bool = True) -> None:
    """A mother fund M1 with one sub-fund S1 (figures chosen to be checked by hand) and a
    fund of a later vintage, L1, outside a 2022 scope."""
    with Session(engine) as s, s.begin():
        a = m.Organisation(uscc=make_uscc("91370212", "00000001"), name_zh="甲公司",
                           region_code="370212", industry_code="3921")
        b = m.Organisation(uscc=make_uscc("91110000", "00000002"), name_zh="乙公司",
                           region_code="110000", industry_code="6513")
        s.add_all([a, b])
        s.flush()
        m1 = m.Fund(code="M1", name_zh="母基金", kind="mother", level="city", vintage=2020,
                    size_yuan=Decimal(1000))
        s.add(m1)
        s.flush()
        s1 = m.Fund(code="S1", name_zh="子基金", kind="sub", level="city", vintage=2020,
                    size_yuan=Decimal(400), parent_fund_id=m1.id,
                    return_investment_multiple=Decimal("1.5"))
        later = m.Fund(code="L1", name_zh="后设基金", kind="sub", level="city", vintage=2023,
                       size_yuan=Decimal(700), parent_fund_id=m1.id)
        s.add_all([s1, later])
        s.flush()
        day = date(2020, 1, 1)
        s.add_all([
            m.FundCommitment(code="C1", fund_id=m1.id, lp_name="财政", lp_type="fiscal",
                             amount_yuan=Decimal(1000), committed_on=day),
            m.FundCommitment(code="C2", fund_id=s1.id, lp_name="母基金", lp_type="guidance_fund",
                             amount_yuan=Decimal(100), committed_on=day, lp_fund_id=m1.id),
            m.FundCommitment(code="C3", fund_id=s1.id, lp_name="民企", lp_type="private",
                             amount_yuan=Decimal(300), committed_on=day),
            m.FundCommitment(code="C4", fund_id=later.id, lp_name="财政", lp_type="fiscal",
                             amount_yuan=Decimal(500), committed_on=date(2023, 3, 1)),
            # guidance money from the province's fund, which is not in the registry: no link
            m.FundCommitment(code="C5", fund_id=later.id, lp_name="省引导基金",
                             lp_type="guidance_fund", amount_yuan=Decimal(200),
                             committed_on=date(2023, 3, 1)),
            m.FundCashFlow(code="F1", fund_id=s1.id, kind="call", flow_on=date(2021, 1, 1),
                           amount_yuan=Decimal(100)),
            m.FundCashFlow(code="F2", fund_id=s1.id, kind="distribution",
                           flow_on=date(2022, 1, 1), amount_yuan=Decimal(60)),
            m.FundCashFlow(code="F3", fund_id=m1.id, kind="call", flow_on=date(2021, 1, 1),
                           amount_yuan=Decimal(100)),
            m.FundValuation(fund_id=s1.id, as_of=date(2022, 1, 1), nav_yuan=Decimal(60)),
            m.FundInvestment(code="I1", fund_id=s1.id, investee_organisation_id=a.id,
                             invested_on=date(2021, 6, 1), round="A", amount_yuan=Decimal(150),
                             in_region=True),
            m.FundInvestment(code="I2", fund_id=s1.id, investee_organisation_id=b.id,
                             invested_on=date(2021, 9, 1), round="seed",
                             amount_yuan=Decimal(50), in_region=False),
        ])
        if benchmark:
            s.add_all([m.Observation(indicator_code="bench_idx", region_code="100000",
                                     period=p, value=Decimal(v), unit="index")
                       for p, v in (("2021-01-01", 100), ("2022-01-01", 110))])


def test_loader_maps_the_registry_to_the_engine_contract(engine: Engine) -> None:
    build_family(engine)
    t = load_fund_tables(engine, AS_OF)
    assert sorted(t.funds["fund"]) == ["M1", "S1"]  # L1's vintage 2023 is after the date
    assert t.funds.set_index("fund").loc["S1", "parent"] == "M1"
    cm = t.commitments.set_index("lp_type")
    assert cm.loc["guidance_fund", "lp_fund"] == "M1"  # FundCommitment.lp_fund_id
    assert pd.isna(cm.loc["private", "lp_fund"])
    inv = t.investments.set_index("investee_name")
    assert inv.loc["甲公司", "industry"] == "C" and inv.loc["乙公司", "industry"] == "I"
    assert inv.loc["乙公司", "district"] == "110000" and inv.loc["甲公司", "stage"] == "A"


def test_hand_computed_family(engine: Engine) -> None:
    build_family(engine)
    r = fund_report(engine, AS_OF, benchmark="bench_idx")
    s1 = r.funds.set_index("fund").loc["S1"]
    # 100 called on 2021-01-01; 60 distributed and NAV 60 on 2022-01-01 (365 days later)
    assert s1["paid_in"] == 100 and s1["distributed"] == 60 and s1["nav"] == 60
    assert s1["dpi"] == pytest.approx(0.6) and s1["rvpi"] == pytest.approx(0.6)
    assert s1["tvpi"] == pytest.approx(1.2) and s1["irr"] == pytest.approx(0.2)
    assert s1["moic"] == pytest.approx(120 / 200)  # (60 + 60) / (150 + 50) invested
    assert s1["fiscal_leverage_F_over_G"] == pytest.approx(4.0)  # 400 / 100 guidance money
    # in-region 150 against the 100 guidance commitment: 1.5, exactly the requirement
    assert s1["return_multiple"] == pytest.approx(1.5) and not s1["return_shortfall"]
    # KS-PME: (60 + 60) / (100 × 110/100) = 120/110; direct alpha: 120/110 − 1 over one year
    assert s1["ks_pme"] == pytest.approx(120 / 110)
    assert s1["direct_alpha"] == pytest.approx(120 / 110 - 1)
    # programme: the mother's 100 into S1 is not counted twice: 1000 fiscal + 300 private
    p = r.programme
    assert p["funds"] == 2 and p["declared_size"] == 1400 and p["deals"] == 2
    assert (p["committed"], p["G"], p["P"]) == (1300, 1000, 300)
    assert p["fiscal_leverage_F_over_G"] == pytest.approx(1.3)
    # pooled flows, pro-rated to outside LPs: M1's call 100 in full; S1's flows × 300/400
    # (the private LP's share): call 75, distribution 45, NAV 45
    assert p["paid_in"] == pytest.approx(175) and p["distributed"] == pytest.approx(45)
    assert p["nav"] == pytest.approx(45) and p["tvpi"] == pytest.approx(90 / 175)
    assert list(r.families["family"]) == ["M1"]
    ind = r.portfolio["industry"].set_index("industry")
    assert ind.loc["C", "amount"] == 150 and ind.loc["C", "share"] == pytest.approx(0.75)
    assert ind.loc["C", "name_zh"] == "制造业"
    assert r.portfolio["district"].set_index("district").loc["110000", "name_zh"] == "北京"
    assert set(r.portfolio["stage"]["stage"]) == {"A", "seed"}


def test_later_date_brings_in_the_later_fund(engine: Engine) -> None:
    build_family(engine)
    r = fund_report(engine, date(2023, 12, 31))
    assert r.programme["funds"] == 3 and r.programme["declared_size"] == 2100
    # L1's guidance LP is a fund outside the registry: kept (only the linked C2 is dropped)
    assert r.programme["committed"] == 1000 + 300 + 500 + 200


def test_benchmark_absent_or_too_short(engine: Engine) -> None:
    build_family(engine, benchmark=False)
    with pytest.raises(FundDataError, match="no observations of this benchmark"):
        fund_report(engine, AS_OF, benchmark="csi300")
    with Session(engine) as s, s.begin():
        s.add(m.Observation(indicator_code="late", region_code="100000", period="2021-06",
                            value=Decimal(1), unit="index"))
    r = fund_report(engine, AS_OF, benchmark="late")
    assert r.funds.set_index("fund").loc["S1", "ks_pme"] is None
    assert any("precedes the benchmark" in n for n in r.notes)


def test_unknown_fund_code_is_precise(engine: Engine) -> None:
    build_family(engine)
    with pytest.raises(FundDataError, match="no fund with this code"):
        fund_report(engine, AS_OF, fund="NOPE")
    with pytest.raises(FundDataError, match="vintage 2023 is after"):
        fund_report(engine, AS_OF, fund="L1")


def test_period_end() -> None:
    assert period_end("2024") == date(2024, 12, 31)
    assert period_end("2024-02") == date(2024, 2, 29)
    assert period_end("2023-Q3") == date(2023, 9, 30)
    assert period_end("2023-H1") == date(2023, 6, 30)
    with pytest.raises(ValueError):
        period_end("24Q1")


def test_cli_reads_the_database(engine: Engine) -> None:
    build_family(engine)
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    res = runner.invoke(app, ["funds", "metrics", "--as-of", "2022-01-01", "--format", "json",
                              "--database-url", url, "--benchmark", "bench_idx"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    s1 = next(f for f in data["funds"] if f["fund"] == "S1")
    assert s1["irr"] == pytest.approx(0.2) and s1["ks_pme"] == pytest.approx(120 / 110)
    assert data["programme"]["committed"] == 1300
    res = runner.invoke(app, ["funds", "metrics", "--as-of", "2022-01-01", "--format", "csv",
                              "--fund", "S1", "--database-url", url])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0].startswith("fund,parent,")
    assert len(res.stdout.splitlines()) == 2  # header + S1 (a sub-fund's family is itself)
    res = runner.invoke(app, ["funds", "metrics", "--as-of", "2022-01-01",
                              "--database-url", url])
    assert res.exit_code == 0 and "Programme" in res.stdout
    res = runner.invoke(app, ["funds", "metrics", "--as-of", "2022-01-01", "--benchmark", "x",
                              "--database-url", url])
    assert res.exit_code == 2 and "no observations of this benchmark" in res.output
    res = runner.invoke(app, ["funds", "metrics", "--as-of", "2022-13-01", "--database-url", url])
    assert res.exit_code == 2 and "not a YYYY-MM-DD date" in res.output


# -- the example city -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def city(example_city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = copy_example_city(example_city_path, tmp_path_factory.mktemp("funds_city"))
    yield engine
    engine.dispose()


@pytest.mark.slow
def test_example_city_programme_matches_the_published_totals(city: Engine) -> None:
    r = fund_report(city, date(2024, 12, 31))
    p = r.programme
    # the article: 144 funds, 145.9 bn yuan, 520 invested projects by the end of 2024
    assert p["funds"] == 144 == calibration_targets()["fund_count"]
    assert p["declared_size"] == 145_900_000_000 == calibration_targets()["fund_size_total"]
    assert p["deals"] == 520 == calibration_targets()["fund_invested_projects"]
    assert len(r.funds) == 144 and r.funds["deals"].sum() == 520
    # families partition the programme
    assert r.families["funds"].sum() == 144 and r.families["deals"].sum() == 520
    assert r.families["declared_size"].sum() == pytest.approx(145.9e9)
    # committed = every commitment made by then less the mothers' guidance money in sub-funds
    with city.connect() as conn:
        total, inner = conn.execute(text(
            "SELECT SUM(c.amount_yuan), SUM(CASE WHEN c.lp_fund_id IS NOT NULL "
            "THEN c.amount_yuan ELSE 0 END) FROM fund_commitments c "
            "JOIN funds f ON f.id = c.fund_id WHERE f.vintage <= 2024 "
            "AND c.committed_on <= '2024-12-31'")).one()
    assert p["committed"] == pytest.approx(float(total - inner))
    for view in ("industry", "field", "stage", "district", "year"):
        assert r.portfolio[view]["deals"].sum() == 520, view
    assert r.portfolio["year"]["year"].max() == 2024
    r25 = fund_report(city, date(2025, 12, 31))
    assert r25.programme["funds"] == 150 and r25.programme["deals"] == 590
