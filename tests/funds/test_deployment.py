"""Deployment rates, the city's return-investment multiple and flags at a date, on a family
whose figures are checked by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from observatory.funds.metrics import (
    city_return_multiple,
    dedup_commitments,
    flags,
    fund_metrics,
    pooled_metrics,
)

AS_OF = date(2023, 12, 31)


def tables() -> dict[str, pd.DataFrame]:
    """Mother M (1,000 fiscal) and sub-fund S (100 from M, 300 private); M pays its quarter
    of S's calls and fees; S made one local and one outside deal and one exit."""
    funds = pd.DataFrame({"fund": ["M", "S"], "parent": [None, "M"],
                          "return_multiple_required": [None, 1.0],
                          "return_basis": ["guidance", "guidance"]})
    commitments = pd.DataFrame({
        "fund": ["M", "S", "S"], "lp_type": ["fiscal", "guidance_fund", "private"],
        "amount": [1000.0, 100.0, 300.0], "lp_fund": [None, "M", None],
        "date": [date(2019, 12, 1), date(2019, 12, 15), date(2019, 12, 15)]})
    cashflows = pd.DataFrame({
        "fund": ["M", "M", "S", "S", "S"],
        "date": [date(2020, 1, 1), date(2020, 12, 20), date(2020, 1, 1), date(2020, 12, 20),
                 date(2023, 6, 30)],
        "kind": ["call", "fee", "call", "fee", "distribution"],
        "amount": [50.0, 5.0, 200.0, 8.0, 30.0]})
    valuations = pd.DataFrame({"fund": ["S"], "date": [date(2023, 12, 31)], "nav": [180.0]})
    investments = pd.DataFrame({
        "fund": ["S", "S", "S"], "investee": ["a", "b", "c"],
        "date": [date(2020, 6, 1), date(2021, 6, 1), date(2024, 3, 1)],
        "amount": [150.0, 40.0, 20.0], "in_region": [True, False, True]})
    return {"funds": funds, "commitments": commitments, "cashflows": cashflows,
            "valuations": valuations, "investments": investments}


def test_deployment_per_fund_counts_deals_and_money_paid_into_sub_funds() -> None:
    t = tables()
    rows = fund_metrics(t["funds"], t["commitments"], t["cashflows"], t["valuations"],
                        t["investments"], AS_OF).set_index("fund")
    # S: 150 + 40 invested (the 2024 deal is after the date) of 208 paid in, 400 committed
    assert rows.loc["S", "deployed"] == pytest.approx(190)
    assert rows.loc["S", "deployment_of_paid_in"] == pytest.approx(190 / 208)
    assert rows.loc["S", "deployment_of_committed"] == pytest.approx(190 / 400)
    # M: no deals, but a quarter of S's 208 paid in is M's money in S
    assert rows.loc["M", "paid_into_sub_funds"] == pytest.approx(52)
    assert rows.loc["M", "deployment_of_paid_in"] == pytest.approx(52 / 55)
    assert rows.loc["M", "deployment_of_committed"] == pytest.approx(52 / 1000)


def test_programme_deployment_and_city_return_multiple() -> None:
    t = tables()
    out = pooled_metrics({"M", "S"}, t["commitments"], t["cashflows"], t["valuations"],
                         t["investments"], AS_OF)
    # outside money: M's 55 and the private LP's three quarters of S's 208
    assert out["paid_in"] == pytest.approx(55 + 156)
    assert out["deployment_of_paid_in"] == pytest.approx(190 / 211)
    assert out["deployment_of_committed"] == pytest.approx(190 / 1300)
    # 返投: 150 invested locally ÷ the city's 1,000 committed (M's money in S counted once)
    assert out["in_region_invested"] == pytest.approx(150)
    assert out["return_multiple_committed"] == pytest.approx(0.15)
    # ÷ the city's money paid in: M's 55 (S's paid-in from outside is all private)
    assert out["return_multiple_paid_in"] == pytest.approx(150 / 55)


def test_city_multiple_of_a_sub_fund_alone_counts_the_mother_as_the_city() -> None:
    t = tables()
    cm = dedup_commitments(t["commitments"], {"S"})
    out = city_return_multiple({"S"}, cm, t["cashflows"], t["investments"], AS_OF)
    assert out["return_multiple_committed"] == pytest.approx(150 / 100)
    assert out["return_multiple_paid_in"] == pytest.approx(150 / (208 * 0.25))


@pytest.mark.parametrize(("as_of", "idle_s", "idle_m"), [
    (date(2021, 12, 31), False, True),   # S's last deal 213 days before; M's commitment 2019
    (date(2023, 12, 31), True, True),    # the 2024 deal is not yet made
    (date(2024, 6, 30), False, True),    # ... and now it is
    (date(2025, 6, 30), False, False),   # both past five years from first close (2020-01-01)
])
def test_idle_flag_is_measured_at_the_date_asked(as_of: date, idle_s: bool, idle_m: bool
                                                 ) -> None:
    t = tables()
    out = flags(t["funds"], t["cashflows"], t["investments"], t["commitments"], as_of)
    got = dict(zip(out["fund"], out["no_investment_12m"], strict=True))
    assert got == {"S": idle_s, "M": idle_m}


def test_a_new_fund_is_not_idle_before_a_year_from_first_close() -> None:
    funds = pd.DataFrame({"fund": ["N"], "parent": [None]})
    cm = pd.DataFrame({"fund": ["N"], "lp_type": ["fiscal"], "amount": [10.0],
                       "lp_fund": [None], "date": [date(2023, 10, 1)]})
    cf = pd.DataFrame({"fund": [], "date": [], "kind": [], "amount": []})
    inv = pd.DataFrame({"fund": [], "date": [], "amount": [], "in_region": []})
    young = flags(funds, cf, inv, cm, date(2023, 12, 31))
    old = flags(funds, cf, inv, cm, date(2024, 12, 31))
    assert not young["no_investment_12m"].iloc[0]
    assert old["no_investment_12m"].iloc[0]


def test_a_mother_committing_to_a_new_sub_fund_is_not_idle() -> None:
    t = tables()
    cm = pd.concat([t["commitments"], pd.DataFrame({
        "fund": ["S"], "lp_type": ["guidance_fund"], "amount": [10.0], "lp_fund": ["M"],
        "date": [date(2023, 5, 1)]})], ignore_index=True)
    out = flags(t["funds"], t["cashflows"], t["investments"], cm, AS_OF)
    assert not out.set_index("fund").loc["M", "no_investment_12m"]


def test_the_investment_period_can_be_lifted() -> None:
    t = tables()
    out = flags(t["funds"], t["cashflows"], t["investments"], t["commitments"],
                date(2025, 6, 30), investment_period_years=None)
    assert dict(zip(out["fund"], out["no_investment_12m"], strict=True)) == {"S": True,
                                                                              "M": True}
