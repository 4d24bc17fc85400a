"""Enterprises read from the registry: hand-made firms (both backends) and the example city."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.eligibility.evaluator import Evaluator
from observatory.eligibility.inputs import (
    RegistryInputError,
    load_designations,
    load_enterprise,
    load_enterprises,
    registry_pipeline,
)
from observatory.eligibility.model import Enterprise
from observatory.eligibility.packs import get_pack
from observatory.eligibility.pipeline import PipelineResult, near_threshold
from observatory.registry import models as m
from observatory.registry.codes import make_uscc
from tests.conftest import copy_example_city

M = 1_000_000
AS_OF = date(2024, 6, 30)  # fiscal year 2023: the last three years are 2021-2023
USCC = {k: make_uscc("91370212", f"0000{i:04d}") for i, k in enumerate("ABCDEFG")}


def add_firm(s: Session, key: str, revenue: list[float], rd: list[float], kind: str = "enterprise",
             founded: date = date(2015, 3, 1)) -> m.Organisation:
    """A firm with figures for 2021-2023 (+ a 2024 row that must not be read as of mid-2024)."""
    org = m.Organisation(uscc=USCC[key], name_zh=f"企业{key}", kind=kind, region_code="370212",
                         industry_code="3921", founded_on=founded)
    s.add(org)
    s.flush()
    for year, rev, spend in zip((2021, 2022, 2023, 2024), [*revenue, 900 * M],
                                [*rd, 90 * M], strict=True):
        s.add(m.OrganisationYear(organisation_id=org.id, year=year, revenue_yuan=Decimal(rev),
                                 high_tech_revenue_yuan=Decimal(rev * 0.7),
                                 net_assets_yuan=Decimal(rev / 2), employees=100, tech_staff=20))
        # R&D split over two funding sources: the loader must add them up
        s.add(m.RdExpenditure(organisation_id=org.id, year=year, funding_source="enterprise",
                              amount_yuan=Decimal(spend * 0.75)))
        s.add(m.RdExpenditure(organisation_id=org.id, year=year, funding_source="government",
                              amount_yuan=Decimal(spend * 0.25)))
    return org


def build_firms(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        # A: 60/60/80 m revenue, 2.4 m R&D a year: 7.2/200 = 3.6 % < 4 % -> +0.8 m closes it;
        # holds an HTE certificate expiring 2024-08-31 (62 days after AS_OF)
        a = add_firm(s, "A", [60 * M, 60 * M, 80 * M], [2.4 * M] * 3)
        # B: 30 m a year, R&D 4.9 % < 5 % (small firm band): shortfall 0.02
        add_firm(s, "B", [30 * M] * 3, [1.47 * M] * 3)
        # C: 2 % of 30 m: shortfall 0.6, too far to be "near"
        add_firm(s, "C", [30 * M] * 3, [0.6 * M] * 3)
        # D: 6 %: meets the R&D condition (overall: insufficient data, not near)
        add_firm(s, "D", [30 * M] * 3, [1.8 * M] * 3)
        add_firm(s, "E", [30 * M] * 3, [1.47 * M] * 3, founded=date(2024, 9, 1))  # not yet
        add_firm(s, "F", [30 * M] * 3, [1.47 * M] * 3, kind="university")  # not an enterprise
        s.add_all([
            m.Designation(certificate_no="GR2021001", organisation_id=a.id,
                          type_code="high_tech_enterprise", level="national",
                          valid_from=date(2021, 9, 1), valid_to=date(2024, 8, 31)),
            m.Designation(certificate_no="TS2023001", organisation_id=a.id, type_code="tech_sme",
                          level="national", valid_from=date(2023, 3, 1),
                          valid_to=date(2023, 12, 31)),
            m.Designation(certificate_no="GR2021002", organisation_id=a.id,
                          type_code="high_tech_enterprise", level="national",
                          valid_from=date(2021, 9, 1), valid_to=date(2024, 7, 31),
                          status="revoked"),
        ])


def test_loader_builds_the_enterprise_input(engine: Engine) -> None:
    build_firms(engine)
    ents = {e.id: e for e in load_enterprises(engine, AS_OF)}
    assert set(ents) == {USCC[k] for k in "ABCD"}  # E founded later, F a university
    a = ents[USCC["A"]]
    assert a.name == "企业A" and a.founded == date(2015, 3, 1)
    assert [y.year for y in a.years] == [2021, 2022, 2023]  # 2024 not final on AS_OF
    y = a.year(2023)
    assert y.revenue == 80 * M and y.rd_expense == pytest.approx(2.4 * M)  # 1.8 m + 0.6 m
    assert (y.employees, y.tech_staff, y.net_assets) == (100, 20, 40 * M)
    assert y.total_revenue is None and a.ip.class1 is None  # not recorded for firm A
    assert a.facts == {}
    assert sorted(d.code for d in a.designations) == ["hte", "tsme"]  # revoked one left out
    assert load_enterprise(engine, USCC["A"], AS_OF) == a  # the single path, same result


def add_inputs(s: Session, org: m.Organisation) -> None:
    """Firm G's calibers, IP stocks (2022, 2023, and an unfinished 2024) and dated facts."""
    for oy in s.scalars(select(m.OrganisationYear).where(
            m.OrganisationYear.organisation_id == org.id)):
        k = oy.year - 2020  # 1, 2, 3, 4
        oy.total_revenue_yuan = oy.revenue_yuan * Decimal("1.05")
        oy.main_business_revenue_yuan = oy.revenue_yuan * Decimal("0.9")
        oy.rd_expense_domestic_yuan = Decimal(M)  # of 2 m R&D a year
        oy.rd_staff, oy.achievements_transformed = 12, k
        oy.ip_class1, oy.ip_class2 = (None, None) if oy.year == 2023 else (k, 2 * k)
    on = {"founded": date(2015, 3, 1), "incident": date(2023, 9, 1),
          "clear": date(2024, 8, 31), "survey": date(2024, 12, 31)}
    for code, when, value in [
            ("hte_field", "founded", "electronic_information"),
            ("major_incident_last_year", "founded", False),
            ("major_incident_last_year", "incident", True),
            ("major_incident_last_year", "clear", False),
            ("niche_years", "founded", Decimal("7.000000")),
            ("national_market_share", "founded", Decimal("0.125")),
            ("took_part_in_standards", "survey", True)]:  # after mid-2024: not yet known
        s.add(m.OrganisationFact(
            organisation_id=org.id, fact_code=code, observed_on=on[when],
            value_bool=value if isinstance(value, bool) else None,
            value_number=value if isinstance(value, Decimal) else None,
            value_text=value if isinstance(value, str) else None))


def test_loader_reads_calibers_ip_and_the_facts_in_force(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        add_inputs(s, add_firm(s, "G", [30 * M] * 3, [2 * M] * 3))
    g = load_enterprise(engine, USCC["G"], AS_OF)
    y = g.year(2023)
    assert y.total_revenue == pytest.approx(31.5 * M)
    assert y.main_business_revenue == pytest.approx(27 * M)
    assert (y.rd_expense_domestic, y.rd_staff, y.transformations) == (M, 12, 3)
    # IP: the fiscal year 2023's stock, which the registry lacks (2022's is not carried over)
    assert (g.ip.class1, g.ip.class2) == (None, None)
    # facts in force on 2024-06-30: the incident of 2023-09-01 (cleared only on 2024-08-31);
    # numbers come back as the int or float a pack compares; the survey is not known yet
    assert g.facts == {"hte_field": "electronic_information", "major_incident_last_year": True,
                       "niche_years": 7, "national_market_share": 0.125}
    later = load_enterprise(engine, USCC["G"], date(2025, 3, 1))
    assert later.facts["major_incident_last_year"] is False
    assert later.facts["took_part_in_standards"] is True
    assert (later.ip.class1, later.ip.class2) == (4, 8)  # the 2024 row is final in 2025
    assert later.ip.class1_own_rd is None
    assert load_enterprise(engine, USCC["G"], date(2023, 5, 1)).ip.class1 == 2  # 2022's
    # what the HTE pack makes of it
    a = {c.id: c for c in Evaluator(get_pack("hte")).assess(g, AS_OF).criteria}
    assert a["field"].status == "passed" and a["owns_ip"].status == "insufficient_data"
    assert a["no_major_incident"].status == "failed"
    # 3 m of 6 m R&D in China over 2021-2023 = 50 % < 60 %
    assert a["rd_domestic_share"].status == "failed"
    assert a["rd_domestic_share"].value == pytest.approx(0.5)
    # high-tech revenue 0.7 × 30 m over total revenue 31.5 m = 66.7 % ≥ 60 %
    assert a["high_tech_revenue_share"].status == "passed"
    assert a["high_tech_revenue_share"].value == pytest.approx(0.7 / 1.05)


def test_single_enterprise_errors_are_precise(engine: Engine) -> None:
    build_firms(engine)
    bad = USCC["A"][:-1] + ("0" if USCC["A"][-1] != "0" else "1")
    with pytest.raises(RegistryInputError, match="check character"):
        load_enterprise(engine, bad, AS_OF)
    with pytest.raises(RegistryInputError, match="no organisation"):
        load_enterprise(engine, make_uscc("91370212", "99999999"), AS_OF)
    with pytest.raises(RegistryInputError, match="before the organisation's founding"):
        load_enterprise(engine, USCC["E"], AS_OF)


def test_pipeline_ranks_and_reminds(engine: Engine) -> None:
    build_firms(engine)
    hte = get_pack("hte")
    res = registry_pipeline(engine, hte, AS_OF)
    assert res.assessed == 3 and res.holders_excluded == 1  # A holds a valid certificate
    assert list(res.near["enterprise_id"]) == [USCC["B"]]
    assert res.near.loc[0, "criterion"] == "rd_ratio"
    assert res.near.loc[0, "shortfall"] == pytest.approx(0.02)
    assert {"total_revenue", "class1", "hte_field"} <= set(res.missing)
    due = res.renewals
    assert list(due["certificate_no"]) == ["GR2021001"] and due.loc[0, "days_left"] == 62
    res = registry_pipeline(engine, hte, AS_OF, include_holders=True)
    assert list(res.near.drop_duplicates("rank")["enterprise_id"]) == [USCC["B"], USCC["A"]]
    # the batched ranking equals near_threshold over every enterprise
    plain = near_threshold(hte, load_enterprises(engine, AS_OF), AS_OF)
    pd.testing.assert_frame_equal(res.near, plain)
    a = res.near[res.near["enterprise_id"] == USCC["A"]].iloc[0]
    assert a["shortfall"] == pytest.approx(0.1)  # (4 % − 3.6 %) / 4 %
    assert "+0.80" in a["gap_en"]  # 4 % × 200 m − 7.2 m = 0.8 m
    res = registry_pipeline(engine, hte, AS_OF, include_holders=True, top=1)
    assert list(res.near["enterprise_id"]) == [USCC["B"]]
    assert registry_pipeline(engine, hte, AS_OF, within_days=30).renewals.empty
    assert len(load_designations(engine, "hte")) == 1  # the granted HTE certificate only


def test_cli_assess_and_pipeline(engine: Engine) -> None:
    build_firms(engine)
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    base = ["eligibility", "assess", "--pack", "hte", "--as-of", "2024-06-30",
            "--database-url", url]
    res = runner.invoke(app, [*base, "--org", USCC["A"], "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["status"] == "failed" and data["enterprise_id"] == USCC["A"]
    rd = next(c for c in data["criteria"] if c["id"] == "rd_ratio")
    assert rd["gap"]["delta"] == pytest.approx(0.8 * M, rel=1e-6)
    res = runner.invoke(app, [*base, "--org", USCC["B"], "--explain", "--lang", "en"])
    assert res.exit_code == 0 and "NOT ELIGIBLE" in res.stdout
    bad = USCC["A"][:-1] + ("0" if USCC["A"][-1] != "0" else "1")
    res = runner.invoke(app, [*base, "--org", bad])
    assert res.exit_code == 2 and "check character" in res.output
    assert "统一社会信用代码" in res.output
    res = runner.invoke(app, [*base, "--org", make_uscc("91370212", "99999999")])
    assert res.exit_code == 2 and "no organisation" in res.output
    res = runner.invoke(app, base)
    assert res.exit_code == 2 and "exactly one of --input" in res.output
    res = runner.invoke(app, ["eligibility", "pipeline", "--pack", "hte", "--as-of", "2024-06-30",
                              "--database-url", url, "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [r["enterprise_id"] for r in data["near"]] == [USCC["B"]]
    assert data["renewals"][0]["days_left"] == 62
    res = runner.invoke(app, ["eligibility", "pipeline", "--pack", "hte", "--as-of", "2024-06-30",
                              "--database-url", url, "--lang", "en"])
    assert res.exit_code == 0 and "GR2021001" in res.stdout
    res = runner.invoke(app, ["eligibility", "pipeline", "--pack", "nope", "--database-url", url])
    assert res.exit_code == 2 and "no such pack" in res.output


# -- the example city -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def city(example_city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = copy_example_city(example_city_path, tmp_path_factory.mktemp("eligibility_city"))
    yield engine
    engine.dispose()


EXAMPLE_AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def city_enterprises(city: Engine) -> list[Enterprise]:
    """Every enterprise of the example city as of mid-2025 (loaded once for the module)."""
    return load_enterprises(city, EXAMPLE_AS_OF)


@pytest.fixture(scope="module")
def city_hte_run(city: Engine) -> PipelineResult:
    """The HTE pipeline over the example city as of mid-2025 (run once for the module)."""
    return registry_pipeline(city, get_pack("hte"), EXAMPLE_AS_OF)


@pytest.mark.slow
def test_example_city_pipeline(city: Engine, city_enterprises: list[Enterprise],
                               city_hte_run: PipelineResult) -> None:
    as_of = EXAMPLE_AS_OF
    ents = city_enterprises
    valid = (f"d.valid_from <= '{as_of}' AND (d.valid_to IS NULL OR d.valid_to >= '{as_of}') "
             "AND d.status = 'granted' AND d.type_code = 'high_tech_enterprise'")
    with city.connect() as conn:
        with_years = conn.execute(text(
            "SELECT COUNT(*) FROM organisations o WHERE o.kind = 'enterprise' AND o.founded_on "
            f"<= '{as_of}' AND EXISTS (SELECT 1 FROM organisation_years y WHERE "
            "y.organisation_id = o.id AND y.year < 2025)")).scalar()
        holders = conn.execute(text(
            f"SELECT COUNT(DISTINCT d.organisation_id) FROM designations d WHERE {valid}")).scalar()
        expiring = conn.execute(text(
            "SELECT COUNT(*) FROM designations d WHERE d.status = 'granted' AND d.type_code = "
            f"'high_tech_enterprise' AND d.valid_to >= '{as_of}' AND d.valid_to <= "
            f"'{as_of + timedelta(days=90)}'")).scalar()
    assert len(ents) == with_years > 20_000
    res = city_hte_run
    assert res.assessed + res.holders_excluded == len(ents)
    assert res.holders_excluded == holders
    assert len(res.renewals) == expiring > 0
    assert res.renewals["days_left"].between(0, 90).all()
    ranks = res.near.drop_duplicates("rank")
    assert list(ranks["rank"]) == list(range(1, 101))  # the top 100
    assert ranks["shortfall"].is_monotonic_increasing  # one failed condition each, ranked
    assert (ranks["n_failed"] == 1).all() and (ranks["shortfall"] <= 0.25).all()
    assert res.status_counts.get("passed", 0) == 0  # IP, field, total revenue not held


@pytest.mark.slow
def test_example_city_firms_are_judged_on_every_hte_condition(
        city: Engine, city_enterprises: list[Enterprise], city_hte_run: PipelineResult) -> None:
    """A surveyed firm lacks only the expert grades: every HTE condition but the score is
    decided from the registry, through Python and through the CLI alike."""
    as_of = EXAMPLE_AS_OF
    surveyed = [e for e in city_enterprises if e.facts]
    assert len(surveyed) > 4000
    ev = Evaluator(get_pack("hte"))
    outcomes: dict[str, set[str]] = {}
    for ent in surveyed[:300]:
        a = ev.assess(ent, as_of, gaps=False)
        for c in a.criteria:
            outcomes.setdefault(c.id, set()).add(c.status)
            if c.id != "innovation_score":
                assert c.status in ("passed", "failed"), (ent.id, c.id, c.missing)
            else:
                assert all(f.startswith("self_grades.") for f in c.missing), c.missing
    # the synthetic firms are not all alike: each of these conditions both passes and fails
    for cid in ("field", "rd_ratio", "high_tech_revenue_share"):
        assert {"passed", "failed"} <= outcomes[cid], cid
    assert "failed" in outcomes["innovation_score"]  # too low even with the best grades
    res = city_hte_run
    assert {"rd_ratio", "high_tech_revenue_share"} <= set(res.by_criterion["criterion"])
    firm = surveyed[0]
    url = city.url.render_as_string(hide_password=False)
    out = CliRunner().invoke(app, ["eligibility", "assess", "--pack", "hte", "--org", str(firm.id),
                                   "--as-of", "2025-06-30", "--database-url", url,
                                   "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    decided = {c["id"]: c["status"] for c in data["criteria"]}
    direct = {c.id: c.status for c in ev.assess(firm, as_of).criteria}
    assert decided == direct
