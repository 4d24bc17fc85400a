"""Fund maths pinned to the reference vectors (domain_rules.md §4.4) and hand-computed cases."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from observatory.funds.metrics import (
    FundDataError,
    capital_classes,
    direct_alpha,
    flags,
    fund_metrics,
    ks_pme,
    leverage,
    performance,
    pooled_metrics,
    portfolio_breakdown,
    return_investment,
    xirr_or_none,
)

REF_DATES = [date(2019, 3, 31), date(2019, 12, 31), date(2020, 9, 30), date(2022, 6, 30),
             date(2023, 12, 31), date(2024, 12, 31)]
REF_CALLS = [400, 300, 300, 0, 0, 0]
REF_DISTS = [0, 0, 0, 200, 500, 300]
REF_INDEX = [100, 110, 95, 130, 140, 150]
T = date(2024, 12, 31)


def cashflows(fund: str, items: list[tuple[date, str, float]]) -> pd.DataFrame:
    return pd.DataFrame([(fund, d, k, a) for d, k, a in items],
                        columns=["fund", "date", "kind", "amount"])


@pytest.fixture
def ref():
    items = [(d, "call", c) for d, c in zip(REF_DATES, REF_CALLS, strict=True) if c]
    items += [(d, "distribution", x) for d, x in zip(REF_DATES, REF_DISTS, strict=True) if x]
    cf = cashflows("F", items)
    val = pd.DataFrame([("F", T, 900.0)], columns=["fund", "date", "nav"])
    idx = pd.DataFrame({"date": REF_DATES, "value": REF_INDEX})
    return cf, val, idx


def test_reference_xirr_vector():
    r = xirr_or_none([date(2020, 1, 1), date(2021, 1, 1), date(2022, 1, 1)], [-1000, 750, 500])
    assert r == pytest.approx(0.175009, abs=1e-6)


def test_reference_fund_example(ref):
    cf, val, idx = ref
    p = performance(cf, val, T)
    # PIC = 1000, D = 200 + 500 + 300 = 1000, NAV 900
    assert (p.paid_in, p.distributed, p.nav) == (1000, 1000, 900)
    assert p.dpi == pytest.approx(1.00)
    assert p.rvpi == pytest.approx(0.90)
    assert p.tvpi == pytest.approx(1.90)
    assert p.irr == pytest.approx(0.152113, abs=1e-6)
    # KS-PME by hand: D·I_T/I_t = 200·150/130 + 500·150/140 + 300 = 1066.48; + 900 = 1966.48
    # C·I_T/I_t = 400·1.5 + 300·150/110 + 300·150/95 = 1482.78 -> 1.3262
    hand = (200 * 150 / 130 + 500 * 150 / 140 + 300 + 900) / (600 + 300 * 150 / 110
                                                              + 300 * 150 / 95)
    assert ks_pme(cf, 900, T, idx) == pytest.approx(hand)
    assert ks_pme(cf, 900, T, idx) == pytest.approx(1.326218, abs=1e-6)
    alpha, cont = direct_alpha(cf, 900, T, idx)
    assert alpha == pytest.approx(0.064844, abs=1e-6)
    assert cont == pytest.approx(0.062828, abs=1e-6)


def test_irregular_dates_leap_year():
    # −100 on 2020-01-01, +110 on 2021-01-01: 366 days -> (1 + r)^(366/365) = 1.1
    cf = cashflows("F", [(date(2020, 1, 1), "call", 100), (date(2021, 1, 1), "distribution", 110)])
    p = performance(cf, pd.DataFrame(columns=["fund", "date", "nav"]), date(2021, 1, 1))
    assert p.irr == pytest.approx(1.1 ** (365 / 366) - 1)
    assert p.dpi == pytest.approx(1.1)
    assert p.rvpi == 0


def test_zero_distributions():
    cf = cashflows("F", [(date(2021, 1, 1), "call", 100)])
    val = pd.DataFrame([("F", date(2022, 1, 1), 120.0)], columns=["fund", "date", "nav"])
    p = performance(cf, val, date(2022, 1, 1))
    # 365 days, 100 -> 120: r = 20 %; DPI 0, RVPI = TVPI = 1.2
    assert p.irr == pytest.approx(0.20)
    assert (p.dpi, p.rvpi, p.tvpi) == (0, pytest.approx(1.2), pytest.approx(1.2))


def test_all_zero_nav_and_no_distributions():
    cf = cashflows("F", [(date(2021, 1, 1), "call", 100), (date(2021, 6, 1), "fee", 2)])
    val = pd.DataFrame([("F", date(2022, 1, 1), 0.0)], columns=["fund", "date", "nav"])
    p = performance(cf, val, date(2022, 1, 1))
    assert p.paid_in == 102  # fees count as contributions
    assert (p.dpi, p.rvpi, p.tvpi) == (0, 0, 0)
    assert p.irr is None  # no inflow: IRR undefined, reported as None


def test_nav_after_as_of_ignored():
    cf = cashflows("F", [(date(2021, 1, 1), "call", 100)])
    val = pd.DataFrame([("F", date(2021, 6, 30), 90.0), ("F", date(2022, 6, 30), 150.0)],
                       columns=["fund", "date", "nav"])
    p = performance(cf, val, date(2021, 12, 31))
    assert p.nav == 90 and p.nav_date == date(2021, 6, 30)


def test_capital_classes_and_leverage():
    cm = pd.DataFrame({"fund": ["A"] * 4,
                       "lp_type": ["fiscal", "guidance_fund", "local_soe", "private"],
                       "amount": [200, 100, 300, 400]})
    c = capital_classes(cm)
    assert c == {"G": 300, "S": 300, "P": 400, "F": 1000}
    lev = leverage(c, invested=1500)
    assert lev["fiscal_leverage_F_over_G"] == pytest.approx(1000 / 300)
    assert lev["social_mobilisation_F_minus_G_over_G"] == pytest.approx(700 / 300)
    assert lev["private_mobilisation_P_over_G"] == pytest.approx(400 / 300)
    assert lev["investment_leverage_invested_over_G"] == pytest.approx(5.0)
    # configurable mapping: count SOEs as government too -> G = 600, F/G = 1000/600
    custom = {"fiscal": "G", "guidance_fund": "G", "local_soe": "G", "private": "P"}
    assert capital_classes(cm, custom)["G"] == 600


def family_data():
    funds = pd.DataFrame({"fund": ["M", "S1", "S2"], "parent": [None, "M", "M"],
                          "return_multiple_required": [None, 1.5, 1.0],
                          "return_basis": [None, "guidance", "size"]})
    cm = pd.DataFrame({
        "fund": ["M", "S1", "S1", "S2", "S2"],
        "lp_type": ["fiscal", "guidance_fund", "private", "guidance_fund", "central_soe"],
        "amount": [500, 100, 300, 200, 200],
        "lp_fund": [None, "M", None, "M", None],
    })
    cf = cashflows("M", [(date(2020, 1, 1), "call", 300)])
    cf = pd.concat([cf, cashflows("S1", [(date(2020, 2, 1), "call", 250)]),
                    cashflows("S2", [(date(2020, 3, 1), "call", 100)])], ignore_index=True)
    val = pd.DataFrame([("M", date(2024, 12, 31), 330.0)], columns=["fund", "date", "nav"])
    inv = pd.DataFrame({
        "fund": ["S1", "S1", "S1", "S2"], "investee": ["a", "b", "c", "d"],
        "date": [date(2021, 1, 1), date(2022, 1, 1), date(2024, 1, 1), date(2024, 10, 1)],
        "amount": [100, 20, 50, 400], "in_region": [True, True, False, True],
        "industry": ["ai", "bio", "ai", "marine"], "stage": ["seed", "a", "b", "a"],
        "district": ["x", "y", "x", "z"],
    })
    return funds, cm, cf, val, inv


def test_family_no_double_counting():
    funds, cm, cf, val, inv = family_data()
    pooled = pooled_metrics({"M", "S1", "S2"}, cm, cf, val, inv, date(2024, 12, 31))
    # the mother's 100 + 200 into sub-funds are dropped: 500 + 300 + 200 = 1000, G = 500
    assert pooled["committed"] == 1000
    assert (pooled["G"], pooled["S"], pooled["P"]) == (500, 200, 300)
    assert pooled["fiscal_leverage_F_over_G"] == pytest.approx(2.0)
    # flows pro-rated to outside LPs: all of M's call 300; S1's 250 × 300/400 (the private LP's
    # share; 100 is the mother's) = 187.5; S2's 100 × 200/400 = 50 -> paid-in 537.5, NAV 330
    assert pooled["paid_in"] == pytest.approx(537.5)
    assert pooled["nav"] == pytest.approx(330)
    assert pooled["tvpi"] == pytest.approx(330 / 537.5)
    # the mother alone (S1, S2 outside the scope) keeps its own flows in full
    alone = pooled_metrics({"M"}, cm, cf, val, inv, date(2024, 12, 31))
    assert alone["paid_in"] == 300 and alone["tvpi"] == pytest.approx(1.1)
    # a sub-fund's own family: its mother is outside, so every LP is outside (share 1)
    s1 = pooled_metrics({"S1"}, cm, cf, val, inv, date(2024, 12, 31))
    assert s1["paid_in"] == 250 and s1["committed"] == 400
    assert pooled["invested"] == 570  # every fund's deals: 100 + 20 + 50 + 400
    rows = fund_metrics(funds, cm, cf, val, inv, date(2024, 12, 31)).set_index("fund")
    # look-through: sub-fund sizes (400 + 400) / mother's G 500 = 1.6
    assert rows.loc["M", "look_through_sub_fund_sizes_over_G"] == pytest.approx(1.6)
    # fund-level view of S1: G = 100 (guidance_fund), F = 400 -> F/G = 4
    assert rows.loc["S1", "fiscal_leverage_F_over_G"] == pytest.approx(4.0)
    # S1: no distributions, no NAV, invested 170 -> MOIC 0; M invested nothing -> undefined
    assert rows.loc["S1", "moic"] == 0
    assert pd.isna(rows.loc["M", "moic"])


def test_return_investment_and_flags():
    funds, cm, cf, val, inv = family_data()
    ri = return_investment(inv, cm, funds, date(2024, 12, 31)).set_index("fund")
    # S1: in-region 100 + 20 = 120 over guidance 100 -> 1.2 < 1.5; short 150 − 120 = 30
    assert ri.loc["S1", "achieved"] == pytest.approx(1.2)
    assert ri.loc["S1", "shortfall"]
    assert ri.loc["S1", "shortfall_amount"] == pytest.approx(30)
    # S2: basis = size 400; in-region 400 -> 1.0 = required 1.0: no shortfall
    assert ri.loc["S2", "achieved"] == pytest.approx(1.0)
    assert not ri.loc["S2", "shortfall"]
    sched = pd.DataFrame({"fund": ["S1", "S2"], "date": [date(2024, 6, 30)] * 2,
                          "amount": [300, 100]})
    fl = flags(funds, cf, inv, cm, date(2025, 3, 1), schedule=sched,
               investment_period_years=None).set_index("fund")
    # S1 last deal 2024-01-01: 425 days before 2025-03-01 -> idle; S2 2024-10-01: 151 days
    assert fl.loc["S1", "no_investment_12m"] and not fl.loc["S2", "no_investment_12m"]
    assert fl.loc["M", "no_investment_12m"]  # never invested directly
    # S1 called 250 < planned 300 -> behind; S2 called 100 = planned 100
    assert fl.loc["S1", "calls_behind"] and not fl.loc["S2", "calls_behind"]
    assert fl.loc["S1", "return_shortfall"] and not fl.loc["S2", "return_shortfall"]
    # by default idleness counts only in the five years after first close (S1: 2020-02-01)
    default = flags(funds, cf, inv, cm, date(2025, 3, 1)).set_index("fund")
    assert not default.loc["S1", "no_investment_12m"]
    assert flags(funds, cf, inv, cm, date(2025, 1, 15)).set_index("fund").loc[
        "S1", "no_investment_12m"]  # 380 days since its last deal, still investing


def test_portfolio_breakdown():
    *_, inv = family_data()
    by_ind = portfolio_breakdown(inv, "industry").set_index("industry")
    # ai 100 + 50 = 150, marine 400, bio 20 -> total 570
    assert by_ind.loc["ai", "amount"] == 150 and by_ind.loc["ai", "deals"] == 2
    assert by_ind.loc["marine", "share"] == pytest.approx(400 / 570)
    by_year = portfolio_breakdown(inv, "year", as_of=date(2023, 12, 31)).set_index("year")
    assert by_year["amount"].to_dict() == {2021: 100, 2022: 20}


def test_bad_input_is_precise():
    cf = pd.DataFrame({"fund": ["F", "F"], "date": ["2020-01-01", "2020-02-01"],
                       "kind": ["call", "dividend"], "amount": [1, 2]})
    funds = pd.DataFrame({"fund": ["F"]})
    empty = pd.DataFrame(columns=["fund", "date", "nav"])
    inv = pd.DataFrame(columns=["fund", "date", "amount"])
    cm = pd.DataFrame({"fund": ["F"], "lp_type": ["fiscal"], "amount": [10]})
    with pytest.raises(FundDataError) as exc:
        fund_metrics(funds, cm, cf, empty, inv, date(2021, 1, 1))
    assert exc.value.row == 2 and exc.value.column == "kind" and exc.value.value == "dividend"
    assert "第2行" in exc.value.message_zh
    cm_bad = pd.DataFrame({"fund": ["F"], "lp_type": ["alien"], "amount": [10]})
    with pytest.raises(FundDataError, match="unknown LP type"):
        capital_classes(cm_bad)
    cm_neg = pd.DataFrame({"fund": ["F"], "lp_type": ["fiscal"], "amount": [-1]})
    with pytest.raises(FundDataError, match="≥ 0"):
        capital_classes(cm_neg)
