"""Quarters, months and year-to-date: flows count the records dated in the window, stocks are
taken on its last day, growth compares the same window a year earlier; a period after the
data's as-of day is refused and one it cuts through is provisional."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.config import Settings
from observatory.indicators import compute
from observatory.indicators.as_of import check_periods, data_as_of
from observatory.indicators.periods import FULL_YEAR, PeriodError, Window, parse_period
from observatory.registry import models as m

D = dt.date
CITY, LAOSHAN = "370200", "370212"
FLOWS = ["tech_contract_amount", "tech_contract_count"]


@pytest.mark.parametrize(("text", "years", "start", "end", "label"), [
    ("2024", [2024], D(2024, 1, 1), D(2024, 12, 31), "2024"),
    ("2019:2021", [2019, 2020, 2021], D(2019, 1, 1), D(2019, 12, 31), "2019"),
    ("2026-Q3", [2026], D(2026, 7, 1), D(2026, 9, 30), "2026-Q3"),
    ("2026-q1", [2026], D(2026, 1, 1), D(2026, 3, 31), "2026-Q1"),
    ("2026-H2", [2026], D(2026, 7, 1), D(2026, 12, 31), "2026-H2"),
    ("2024-02", [2024], D(2024, 2, 1), D(2024, 2, 29), "2024-02"),
    ("2026-09-30", [2026], D(2026, 1, 1), D(2026, 9, 30), "2026-01-01..09-30"),
    ("2025-Q3,2026-Q3", [2025, 2026], D(2025, 7, 1), D(2025, 9, 30), "2025-Q3"),
])
def test_period_texts(text: str, years: list[int], start: dt.date, end: dt.date,
                      label: str) -> None:
    got, window = parse_period(text)
    assert got == years
    assert (window.start_date(years[0]), window.end_date(years[0])) == (start, end)
    assert window.label(years[0]) == label


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "2026-02-30", "x", "2026-Q3,2026-09",
                                  "2025:2024", ""])
def test_bad_period_texts_are_refused_in_both_languages(text: str) -> None:
    with pytest.raises(PeriodError, match="统计期"):
        parse_period(text)


def test_february_in_a_common_year_ends_on_the_28th() -> None:
    assert parse_period("2025-02")[1].end_date(2025) == D(2025, 2, 28)


@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_quarters_add_up_to_the_year_and_q4_stock_is_the_year_end(city: Engine,
                                                                   backend: str | None) -> None:
    codes = [*FLOWS, "hte_count", "society_rd_expenditure"]
    year = compute(city, codes, [2024], CITY, backend=backend).set_index("indicator")["value"]
    quarters = [compute(city, codes, [2024], CITY, backend=backend,
                        window=parse_period(f"2024-Q{q}")[1]).set_index("indicator")["value"]
                for q in range(1, 5)]
    for code in FLOWS:
        assert sum(q[code] for q in quarters) == pytest.approx(year[code])
        assert all(0 < q[code] < year[code] for q in quarters)
    assert quarters[3]["hte_count"] == year["hte_count"]
    # R&D is recorded per year: no quarter has a value, rather than a wrong one.
    assert all("society_rd_expenditure" not in q for q in quarters)


def test_growth_compares_the_same_quarter_a_year_earlier(city: Engine) -> None:
    window = parse_period("2024-Q3")[1]
    frame = compute(city, ["tech_contract_amount", "tech_contract_amount_growth"],
                    [2023, 2024], CITY, window=window)
    values = frame.set_index(["indicator", "period"])["value"]
    expected = (values["tech_contract_amount", 2024] / values["tech_contract_amount", 2023]
                - 1) * 100
    assert values["tech_contract_amount_growth", 2024] == pytest.approx(expected)


def test_year_to_date_is_the_months_so_far(city: Engine) -> None:
    ytd = compute(city, FLOWS, [2024], CITY, window=parse_period("2024-09-30")[1])
    parts = [compute(city, FLOWS, [2024], CITY, window=parse_period(f"2024-Q{q}")[1])
             for q in (1, 2, 3)]
    for code in FLOWS:
        total = sum(p.set_index("indicator").at[code, "value"] for p in parts)
        assert ytd.set_index("indicator").at[code, "value"] == pytest.approx(total)


@pytest.mark.postgres
def test_windows_on_both_backends(engine: Engine) -> None:
    """Hand-made certificates: grants per quarter (a flow) and holders on a day (a stock)."""
    with Session(engine) as s, s.begin():
        s.add_all([m.Organisation(id=i, uscc=f"91370200MA{i:08d}", name_zh=f"企业{i}",
                                  kind="enterprise", region_code=LAOSHAN, industry_code="3969")
                   for i in (1, 2, 3)])
        s.flush()
        s.add_all([m.Designation(id=i, certificate_no=f"C{i}", organisation_id=org,
                                 type_code="high_tech_enterprise", level="national",
                                 status="granted", valid_from=start, valid_to=end)
                   for i, org, start, end in ((1, 1, D(2024, 2, 10), D(2027, 2, 9)),
                                              (2, 2, D(2024, 8, 1), D(2027, 7, 31)),
                                              (3, 3, D(2021, 5, 1), D(2024, 8, 15)))])
        s.add(m.Source(id=1, code="bulletin", name_en="Bulletin", name_zh="公报"))
        s.flush()
        s.add(m.Observation(indicator_code="gii_rank", region_code=CITY, period="2024-Q3",
                            value=Decimal(21), unit="rank", source_id=1))

    def value(code: str, text: str) -> float | None:
        years, window = parse_period(text)
        frame = compute(engine, [code], years, CITY, window=window)
        return None if frame.empty else float(frame["value"].iloc[0])

    assert value("hte_granted", "2024-Q1") == 1 and value("hte_granted", "2024-Q3") == 1
    assert value("hte_granted", "2024-Q2") is None and value("hte_granted", "2024") == 2
    assert value("hte_count", "2024-Q2") == 2  # certificates 1 and 3 on 30 June
    assert value("hte_count", "2024-Q3") == 2  # 1 and 2: 3 ended on 15 August
    assert value("hte_count", "2024-08-15") == 3  # valid on its last day
    assert value("gii_rank", "2024-Q3") == 21 and value("gii_rank", "2024") is None


def test_as_of_is_the_newest_event_at_most_today(city: Engine) -> None:
    newest = data_as_of(city)
    assert newest is not None and D(2025, 10, 1) <= newest <= D(2025, 12, 31)
    assert data_as_of(city, today=D(2023, 3, 31)) == D(2023, 3, 31)
    check = check_periods([2024, 2025, 2026], FULL_YEAR, D(2025, 6, 30))
    assert (check.provisional, check.refused) == ([2025], [2026])
    quarter = Window((7, 1), (9, 30), "-Q3")
    assert check_periods([2025], quarter, D(2025, 6, 30)).refused == [2025]


def test_command_refuses_periods_after_the_data_and_marks_provisional_ones(
        city_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{city_path}"
    runner = CliRunner()
    monkeypatch.setenv("OBSERVATORY_DATA_AS_OF", "2025-06-30")
    after = runner.invoke(app, ["indicators", "compute", "-i", "hte_count", "--period", "2026",
                                "--region", CITY, "--database-url", url])
    assert after.exit_code == 2
    assert "2026" in after.output and "数据截止日期 2025-06-30" in after.output
    cut = runner.invoke(app, ["indicators", "compute", "-i", "tech_contract_amount", "--period",
                              "2024:2025", "--region", CITY, "--format", "json",
                              "--database-url", url])
    assert cut.exit_code == 0, cut.output
    rows = json.loads(cut.stdout)
    assert [(r["period"], r["provisional"]) for r in rows] == [(2024, False), (2025, True)]
    quarter = runner.invoke(app, ["indicators", "compute", "-i", "tech_contract_amount",
                                  "--period", "2025-Q2", "--region", CITY, "--format", "json",
                                  "--database-url", url])
    assert quarter.exit_code == 0 and json.loads(quarter.stdout)[0]["period"] == "2025-Q2"
    ytd = runner.invoke(app, ["indicators", "compute", "-i", "tech_contract_amount", "--period",
                              "2025-YTD", "--region", CITY, "--format", "json",
                              "--database-url", url])
    assert json.loads(ytd.stdout)[0]["period"] == "2025-01-01..06-30"
    bad = runner.invoke(app, ["indicators", "compute", "--period", "2025-Q9",
                              "--database-url", url])
    assert bad.exit_code == 2 and "统计期格式" in bad.output


def test_indicator_page_leaves_out_years_after_the_data(city: Engine, tmp_path: Path) -> None:
    from observatory.services.indicators import values

    settings = Settings(home=tmp_path, region=CITY, first_year=2022, last_year=2026,
                        data_as_of=D(2025, 6, 30))
    data = values(city, settings, "hte_count")
    assert sorted({r["period"] for r in data.rows}) == [2022, 2023, 2024, 2025]
    assert data.as_of == "2025-06-30" and data.provisional == [2025]
