"""Time-bounded counting, roll-up and flows on a hand-made registry, on SQLite, PostgreSQL and
DuckDB. Expected values are worked out from the rules in docs/methodology/indicators.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from observatory.indicators import IndicatorError, compute, records
from observatory.registry import models as m

D = dt.date
LAOSHAN, SHINAN, CITY, SHANDONG, NATION, BEIJING = ("370212", "370202", "370200", "370000",
                                                    "100000", "110000")


def _org(i: int, region: str, kind: str = "enterprise", industry: str = "3969") -> m.Organisation:
    return m.Organisation(id=i, uscc=f"91370200MA{i:08d}", name_zh=f"企业{i}", kind=kind,
                          region_code=region, industry_code=industry)


def _desig(i: int, org: int, type_code: str, start: dt.date, end: dt.date | None,
           status: str = "granted", level: str = "national") -> m.Designation:
    return m.Designation(id=i, certificate_no=f"C{i}", organisation_id=org, type_code=type_code,
                         level=level, valid_from=start, valid_to=end, status=status)


def _contract(i: int, seller: int, buyer: int, s_region: str, b_region: str, amount: int,
              registered: dt.date, kind: str = "development") -> m.TechnologyContract:
    return m.TechnologyContract(
        id=i, registration_no=f"R{i}", contract_type=kind, seller_organisation_id=seller,
        buyer_organisation_id=buyer, seller_region_code=s_region, buyer_region_code=b_region,
        total_amount_yuan=Decimal(amount + 100), technology_amount_yuan=Decimal(amount),
        signed_on=registered - dt.timedelta(days=3), registered_on=registered)


@pytest.fixture
def small(engine: Engine) -> Engine:
    with Session(engine) as s, s.begin():
        s.add_all([_org(1, LAOSHAN), _org(2, LAOSHAN), _org(3, SHINAN, industry="7520"),
                   _org(4, BEIJING), _org(5, SHINAN, kind="university", industry="8341")])
        s.flush()
        s.add_all([
            _desig(1, 1, "high_tech_enterprise", D(2022, 10, 1), D(2024, 12, 31)),  # to 31 Dec
            _desig(2, 2, "high_tech_enterprise", D(2022, 10, 1), D(2024, 12, 30)),  # lapses
            _desig(3, 3, "high_tech_enterprise", D(2024, 12, 31), None),  # from 31 Dec
            _desig(4, 2, "tech_sme", D(2024, 3, 1), D(2024, 12, 31)),
            _desig(5, 1, "tech_sme", D(2024, 3, 1), D(2024, 12, 31)),  # also an HTE
            _desig(6, 3, "tech_sme", D(2024, 3, 1), D(2024, 12, 31), status="revoked"),
            _desig(7, 4, "high_tech_enterprise", D(2023, 1, 1), None),  # Beijing
            _desig(8, 1, "green_factory", D(2020, 1, 1), None, level="provincial"),
            _desig(9, 2, "green_factory", D(2020, 1, 1), None, level="city"),
        ])
        s.add_all([
            m.Platform(id=1, code="P1", name_zh="甲", type_code="key_lab", level="provincial",
                       region_code=LAOSHAN, field_code="vr", established_on=D(2024, 12, 31)),
            m.Platform(id=2, code="P2", name_zh="乙", type_code="key_lab", level="national",
                       region_code=SHINAN, field_code="ai", established_on=D(2020, 5, 1),
                       closed_on=D(2024, 12, 31)),  # closed on 31 Dec: not open at year end
            m.Platform(id=3, code="P3", name_zh="丙", type_code="key_lab", level="city",
                       region_code=SHINAN, field_code="ai", established_on=D(2020, 5, 1)),
            m.Platform(id=4, code="P4", name_zh="丁", type_code="incubator", level="provincial",
                       region_code=SHINAN, field_code="ai", established_on=D(2020, 5, 1)),
        ])
        s.add_all([
            _contract(1, 1, 4, LAOSHAN, BEIJING, 1000, D(2024, 1, 1)),
            _contract(2, 3, 1, SHINAN, LAOSHAN, 200, D(2024, 12, 31), kind="service"),
            _contract(3, 4, 2, BEIJING, LAOSHAN, 50, D(2024, 6, 1)),
            _contract(4, 1, 2, LAOSHAN, LAOSHAN, 7, D(2025, 1, 1)),  # next year
        ])
        s.add_all([
            m.RdExpenditure(id=1, organisation_id=1, year=2024, funding_source="enterprise",
                            amount_yuan=Decimal(300)),
            m.RdExpenditure(id=2, organisation_id=3, year=2024, funding_source="enterprise",
                            amount_yuan=Decimal(100)),
            m.RdExpenditure(id=3, organisation_id=5, year=2024, funding_source="government",
                            amount_yuan=Decimal(100)),
            m.RdExpenditure(id=4, organisation_id=1, year=2023, funding_source="enterprise",
                            amount_yuan=Decimal(200)),
        ])
    return engine


def _value(frame: pd.DataFrame, code: str, region: str, period: int = 2024, **dims: str
           ) -> float | None:
    rows = frame[(frame.indicator == code) & (frame.region == region) & (frame.period == period)]
    for k, v in dims.items():
        rows = rows[rows[k] == v]
    assert len(rows) <= 1
    return None if rows.empty else float(rows["value"].iloc[0])


@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_stocks_flows_and_roll_up(small: Engine, backend: str | None) -> None:
    codes = ["hte_count", "tech_sme_count", "tech_enterprise_count",
             "green_factory_provincial_count", "platforms_provincial_plus",
             "vr_platforms_provincial_plus", "incubator_count", "tech_contract_amount",
             "tech_contract_inflow_amount", "tech_contract_count", "society_rd_expenditure",
             "industry_rd_share", "society_rd_expenditure_growth", "hte_new"]
    f = compute(small, codes, [2023, 2024], CITY, by=("region",), backend=backend)
    # HTE on 31 Dec 2024: org 1 (valid to 31 Dec), org 3 (from 31 Dec); org 2 lapsed on 30 Dec.
    assert _value(f, "hte_count", CITY) == 2
    assert _value(f, "hte_count", LAOSHAN) == 1 and _value(f, "hte_count", SHINAN) == 1
    assert _value(f, "hte_count", CITY, 2023) == 2  # orgs 1 and 2; Beijing's is outside
    assert _value(f, "hte_new", CITY) == 0
    # Tech SMEs: orgs 1 and 2 (org 3's registration was revoked).
    assert _value(f, "tech_sme_count", CITY) == 2
    # Distinct enterprises holding either: 1, 2, 3 -> 3 (org 1 holds both, counted once).
    assert _value(f, "tech_enterprise_count", CITY) == 3
    assert _value(f, "green_factory_provincial_count", CITY) == 1
    # Platform 1 opened on 31 Dec (counts), platform 2 closed on 31 Dec (does not).
    assert _value(f, "platforms_provincial_plus", CITY) == 1
    assert _value(f, "platforms_provincial_plus", CITY, 2023) == 1  # platform 2 only
    assert _value(f, "vr_platforms_provincial_plus", LAOSHAN) == 1
    assert _value(f, "incubator_count", SHINAN) == 1
    # Outflow by seller's region: contracts 1 (Laoshan) and 2 (Shinan) in 2024.
    assert _value(f, "tech_contract_amount", CITY) == 1200
    assert _value(f, "tech_contract_amount", LAOSHAN) == 1000
    assert _value(f, "tech_contract_count", CITY) == 2
    # Inflow by buyer's region: contracts 2 and 3 bought in Laoshan.
    assert _value(f, "tech_contract_inflow_amount", LAOSHAN) == 250
    assert _value(f, "tech_contract_inflow_amount", SHINAN) is None  # no records, no row
    assert _value(f, "society_rd_expenditure", CITY) == 500
    assert _value(f, "industry_rd_share", CITY) == pytest.approx(80.0)
    assert _value(f, "society_rd_expenditure_growth", CITY) == pytest.approx(150.0)
    assert set(f.region) <= {CITY, *[r for r in f.region if r.startswith("3702")]}


@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_roll_up_to_province_and_nation(small: Engine, backend: str | None) -> None:
    f = compute(small, ["hte_count", "tech_contract_amount"], [2024],
                [SHANDONG, NATION, BEIJING], backend=backend)
    assert _value(f, "hte_count", SHANDONG) == 2
    assert _value(f, "hte_count", NATION) == 3
    assert _value(f, "hte_count", BEIJING) == 1
    assert _value(f, "tech_contract_amount", NATION) == 1250


@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_breakdowns(small: Engine, backend: str | None) -> None:
    f = compute(small, ["tech_contract_amount", "hte_count", "society_rd_expenditure"], [2024],
                CITY, by=("contract_type", "industry"), backend=backend)
    assert _value(f, "tech_contract_amount", CITY, contract_type="development") == 1000
    assert _value(f, "tech_contract_amount", CITY, contract_type="service") == 200
    # Contracts have no industry: the column is empty for them.
    assert f[f.indicator == "tech_contract_amount"]["industry"].isna().all()
    # R&D by GB/T 4754 section: 3969 -> C (manufacturing), 7520 -> M, 8341 -> P (education).
    assert _value(f, "society_rd_expenditure", CITY, industry="C") == 300
    assert _value(f, "society_rd_expenditure", CITY, industry="M") == 100
    assert _value(f, "society_rd_expenditure", CITY, industry="P") == 100


def test_sums_add_up_over_regions_only_where_amounts_are_exact() -> None:
    """Decimal backends count a sum per record region and add the few totals up the region
    closure; SQLite, whose amounts are floating point, joins every record to its ancestors."""
    from observatory.indicators.catalogue import load_catalogue
    from observatory.indicators.engine import _rolls_up

    cat = load_catalogue()
    sums = [cat["tech_contract_amount"], cat["society_rd_expenditure"]]
    assert all(not _rolls_up([ind]) for ind in sums)
    assert all(_rolls_up([ind], exact_sums=True) for ind in sums)


def test_explained_sql_of_a_sum_is_the_sql_each_backend_runs() -> None:
    """On SQLite every record joins the closure before one grouping; on the decimal backends
    the records are grouped by their own region first, then the totals go up the closure."""
    from observatory.indicators.engine import compiled_sql

    on_sqlite = compiled_sql("tech_contract_amount", [2024], "sqlite")
    assert on_sqlite.count("GROUP BY") == 1
    for backend in ("duckdb", "postgres"):
        assert compiled_sql("tech_contract_amount", [2024], backend).count("GROUP BY") == 2


@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_rolled_up_sums_keep_their_cents(engine: Engine, backend: str | None) -> None:
    """0.10 + 0.20 yuan from two districts is 0.30 at the city on a decimal backend, exactly
    (a float roll-up would give 0.30000000000000004, an integer one 0)."""
    with Session(engine) as s, s.begin():
        s.add_all([_org(1, LAOSHAN), _org(2, SHINAN)])
        s.flush()
        for i, (org, region, cents) in enumerate([(1, LAOSHAN, "0.10"), (2, SHINAN, "0.20")]):
            contract = _contract(i + 1, org, org, region, region, 0, D(2024, 5, 1))
            contract.total_amount_yuan = contract.technology_amount_yuan = Decimal(cents)
            s.add(contract)
    f = compute(engine, ["tech_contract_amount"], [2024], CITY, by=("region",), backend=backend)
    assert _value(f, "tech_contract_amount", LAOSHAN) == 0.1
    if backend == "duckdb":
        assert _value(f, "tech_contract_amount", CITY) == 0.3
    else:
        assert _value(f, "tech_contract_amount", CITY) == pytest.approx(0.3, rel=1e-15)


def test_drill_down_lists_the_records(small: Engine) -> None:
    rows = records(small, "hte_count", CITY, 2024)
    assert sorted(rows["certificate_no"]) == ["C1", "C3"]
    rows = records(small, "tech_contract_inflow_amount", LAOSHAN, 2024)
    assert sorted(rows["registration_no"]) == ["R2", "R3"]
    rows = records(small, "industry_rd_share", CITY, 2024)
    assert set(rows["input"]) == {"industry_rd_expenditure", "society_rd_expenditure"}


def test_bad_requests_are_refused(small: Engine) -> None:
    with pytest.raises(IndicatorError, match="unknown region"):
        compute(small, ["hte_count"], [2024], "999999")
    with pytest.raises(IndicatorError, match="unknown breakdown"):
        compute(small, ["hte_count"], [2024], CITY, by=("colour",))
    with pytest.raises(KeyError, match="unknown indicator"):
        compute(small, ["no_such_indicator"], [2024], CITY)
    with pytest.raises(IndicatorError, match="unknown backend"):
        compute(small, ["hte_count"], [2024], CITY, backend="oracle")
