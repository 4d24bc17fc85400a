"""Tech SME, MIIT tiers and local packs: worked examples with hand arithmetic."""

from __future__ import annotations

from typing import Any

import pytest

from observatory.eligibility.evaluator import assess
from observatory.eligibility.packs import get_pack

from .conftest import M, years


def walk(c):
    yield c
    for k in c.children:
        yield from walk(k)


def crit(a, cid):
    return next(x for c in a.criteria for x in walk(c) if x.id == cid)


def item(a, iid, score="evaluation"):
    return next(i for g in a.scores[score].groups for i in g.items if i.id == iid)


# -- technology-based SME -------------------------------------------------------------------------
def tsme_firm(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "founded": "2018-01-01", "as_of": "2025-04-01",
        "years": years(revenue=[None, 50 * M], employees=[None, 100], tech_staff=[None, 25],
                       rd_expense=[None, 2 * M], total_cost_expense=[None, 45 * M],
                       total_assets=[None, 60 * M]),
        "ip": {"class1": 1, "class2": 0},
        "facts": {"resident_enterprise": True, "restricted_industry": False,
                  "serious_violation": False},
    }
    d.update(over)
    return d


def test_tsme_worked_example(tsme):
    a = assess(tsme, tsme_firm())
    # staff 25/100 = 25 % -> 16; R&D/revenue 2/50 = 4 % -> 30; R&D/cost 2/45 = 4.4 % -> 0;
    # better option 30; IP ≥1 Class I -> 30. Total 16 + 30 + 30 = 76 ≥ 60
    assert item(a, "staff_ratio").points == (16, 16)
    assert item(a, "rd_input").points == (30, 30)
    assert item(a, "ip_outputs").points == (30, 30)
    assert a.scores["evaluation"].points == (76, 76)
    assert a.status == "passed"


@pytest.mark.parametrize(("tech", "points"),
                         [(30, 20), (29, 16), (25, 16), (20, 12), (15, 8), (10, 4), (9, 0)])
def test_tsme_staff_bands_lower_bound_inclusive(tsme, tech, points):
    d = tsme_firm()
    d["years"][-1]["tech_staff"] = tech  # of 100 employees
    assert item(assess(tsme, d), "staff_ratio").points == (points, points)


@pytest.mark.parametrize(
    ("rd", "cost", "points"),
    [(3 * M, 100 * M, 50),    # 3/50 = 6 % -> 50 (revenue option)
     (2.5 * M, 100 * M, 40),  # 5 % -> 40
     (1.5 * M, 5 * M, 50),    # 3 % -> 20 by revenue, but 1.5/5 = 30 % of cost -> 50
     (0.9 * M, 100 * M, 0)],  # 1.8 % and 0.9 % -> 0
)
def test_tsme_rd_choose_better_option(tsme, rd, cost, points):
    d = tsme_firm()
    d["years"][-1].update(rd_expense=rd, total_cost_expense=cost)
    assert item(assess(tsme, d), "rd_input").points == (points, points)


@pytest.mark.parametrize(("ip", "points"),
                         [({"class1": 0, "class2": 4}, 24), ({"class1": 0, "class2": 3}, 18),
                          ({"class1": 0, "class2": 2}, 12), ({"class1": 0, "class2": 1}, 6),
                          ({"class1": 0, "class2": 0}, 0)])
def test_tsme_ip_bands(tsme, ip, points):
    assert item(assess(tsme, tsme_firm(ip=ip)), "ip_outputs").points == (points, points)


def test_tsme_zero_staff_score_needs_direct_route(tsme):
    d = tsme_firm()
    d["years"][-1]["tech_staff"] = 9  # 9 % -> 0 points; total 0 + 30 + 30 = 60 ≥ 60 but staff = 0
    a = assess(tsme, d)
    assert a.status == "insufficient_data"  # the direct-route facts are not given
    d["facts"].update(national_st_award_top3_5y=False, provincial_rd_institution=False,
                      led_standard_5y=False)
    a = assess(tsme, d)
    assert a.scores["evaluation"].points == (60, 60)
    assert crit(a, "total_score").status == "passed"
    assert crit(a, "staff_score_nonzero").status == "failed"
    assert a.status == "failed"
    d["designations"] = [{"code": "hte", "valid_from": "2023-12-01", "valid_to": "2026-11-30"}]
    assert assess(tsme, d).status == "passed"
    d["designations"] = [{"code": "hte", "valid_from": "2021-12-01", "valid_to": "2024-11-30"}]
    assert assess(tsme, d).status == "failed"  # expired before as_of


@pytest.mark.parametrize(("employees", "status"), [(500, "passed"), (501, "failed")])
def test_tsme_size_limits(tsme, employees, status):
    d = tsme_firm()
    d["years"][-1].update(employees=employees, tech_staff=employees // 2)
    c = crit(assess(tsme, d), "employees")
    assert c.status == status
    if status == "failed":
        assert c.gap.delta == -1


def test_tsme_revenue_exactly_200m_allowed(tsme):
    d = tsme_firm()
    d["years"][-1].update(revenue=200 * M, rd_expense=12 * M)
    assert crit(assess(tsme, d), "revenue").status == "passed"
    d["years"][-1].update(revenue=200 * M + 1)
    assert crit(assess(tsme, d), "revenue").status == "failed"


def test_tsme_missing_facts_insufficient(tsme):
    d = tsme_firm(facts={})
    a = assess(tsme, d)
    assert crit(a, "resident").status == "insufficient_data"
    assert crit(a, "resident").missing == ["facts.resident_enterprise"]
    assert a.status == "insufficient_data"


# -- innovative SME -------------------------------------------------------------------------------
def ism_firm() -> dict[str, Any]:
    return {
        "founded": "2016-01-01", "as_of": "2025-04-01",
        "years": years(revenue=[None, 40 * M], main_business_revenue=[25 * M, 30 * M],
                       rd_expense=[None, 1.2 * M], total_liabilities=[None, 22 * M],
                       total_assets=[None, 40 * M]),
        "ip": {"class1": 1, "class1_own_rd": 0, "class1_high_value": 0, "class2": 3},
        "facts": {"is_sme": True, "compliant_operation": True, "strategic_emerging_field": False,
                  "st_award_3y": False, "innovation_or_ip_demonstration": False,
                  "provincial_rd_institution": False},
    }


def test_innovative_sme_needs_compliant_operation():
    # 63号 general condition (合规经营): a firm with a passing score but a major accident or
    # tax evasion in the last 3 years is not eligible; without the fact the outcome is unknown.
    pack = get_pack("innovative_sme")
    d = ism_firm()
    d["facts"]["compliant_operation"] = False
    a = assess(pack, d)
    assert crit(a, "compliant").status == "failed"
    assert a.status == "failed"
    del d["facts"]["compliant_operation"]
    assert assess(pack, d).status == "insufficient_data"


def test_innovative_sme_worked_example():
    pack = get_pack("innovative_sme")
    a = assess(pack, ism_firm())
    # IP: Class I but not own-R&D/high-value -> 10; R&D 1.2/40 = 3 % -> 15: innovation 25
    # growth 30/25 − 1 = 20 % -> 20; debt 22/40 = 55 % -> "55–75 %" 5: growth 25
    # field not strategic -> 5; main business 30/40 = 75 % -> 20: specialisation 25
    groups = {g.id: g.points for g in a.scores["evaluation"].groups}
    assert groups == {"innovation": (25, 25), "growth": (25, 25), "specialisation": (25, 25)}
    assert a.status == "passed"


def test_innovative_sme_group_minimum():
    pack = get_pack("innovative_sme")
    d = ism_firm()
    d["years"][-1]["main_business_revenue"] = 19 * M  # 19/40 = 47.5 % -> 0; growth 19/25 < 0 -> 0
    a = assess(pack, d)
    # innovation 25; growth 0 + 5 = 5; specialisation 5 + 0 = 5 -> total 35 and minimums fail
    assert a.scores["evaluation"].points == (35, 35)
    assert crit(a, "growth_min").status == "failed"
    assert a.status == "insufficient_data"  # no equity-financing figures: direct route unknown
    d["years"].insert(0, {"year": 2022, "equity_financing": 0})
    d["years"][1]["equity_financing"] = 0
    d["years"][2]["equity_financing"] = 4.9 * M
    assert assess(pack, d).status == "failed"
    d["years"][2]["equity_financing"] = 5 * M  # direct route: ≥ 5 m in 3 years, exactly
    assert assess(pack, d).status == "passed"


# -- zhuanjingtexin -------------------------------------------------------------------------------
@pytest.mark.parametrize(("niche", "points"), [(1.9, 0), (2, 1), (5, 2), (10, 5), (11, 5)])
def test_zjtx_niche_years_step(niche, points):
    d = ism_firm()
    d["facts"]["niche_years"] = niche
    it = item(assess(get_pack("zjtx_sme"), d), "niche_years_score")
    assert it.points == (points, points)  # 1 point per full 2 years, cap 5


@pytest.mark.parametrize(("flags", "points"), [(0, 0), (1, 3), (2, 5), (4, 5)])
def test_zjtx_quality_cap(flags, points):
    d = ism_firm()
    names = ["quality_award", "qms_certified", "own_brand", "standards_drafting"]
    d["facts"].update({n: i < flags for i, n in enumerate(names)})
    assert item(assess(get_pack("zjtx_sme"), d), "quality_management").points == (points, points)


@pytest.mark.parametrize(("liab", "points"), [(19.9, 5), (20, 3), (24, 1), (28, 0)])
def test_zjtx_debt_ratio_upper_bounds(liab, points):
    d = ism_firm()
    d["years"][-1]["total_liabilities"] = liab * M  # of 40 m: 49.75 %, 50 %, 60 %, 70 %
    assert item(assess(get_pack("zjtx_sme"), d), "debt_ratio").points == (points, points)


def test_zjtx_rd_input_amount_or_share():
    d = ism_firm()
    d["years"][-1]["rd_expense"] = 4.5 * M  # amount 4–5 m -> 8; share 4.5/40 = 11.25 % -> 10
    assert item(assess(get_pack("zjtx_sme"), d), "rd_input").points == (10, 10)


def test_zjtx_conditions_and_gap():
    d = ism_firm()
    d["facts"]["niche_years"] = 3
    d["years"][-1]["rd_expense"] = 1.1 * M  # 2.75 % < 3 %
    a = assess(get_pack("zjtx_sme"), d)
    c = crit(a, "rd_ratio")
    assert c.status == "failed"
    assert c.gap.delta == pytest.approx(0.1 * M, rel=1e-6)  # 3 % × 40 m = 1.2 m
    assert crit(a, "rd_amount").status == "passed"          # 1.1 m ≥ 1 m


# -- little giant: revenue-banded innovation route ------------------------------------------------
@pytest.mark.parametrize(
    ("revenue", "band", "rd_each", "status"),
    [(100 * M, "last-year revenue ≥ 100 m yuan", 3 * M, "passed"),     # 3 % each year
     (99.99 * M, "last-year revenue 50–100 m yuan", 3 * M, "failed"),  # needs 6 %
     (50 * M, "last-year revenue 50–100 m yuan", 3 * M, "passed"),     # 3/50 = 6 %
     # < 50 m: R&D over 2 years 6 m < 30 m fails, whatever the (missing) financing figure
     (49.99 * M, "last-year revenue < 50 m yuan", 3 * M, "failed")],
)
def test_little_giant_switch(revenue, band, rd_each, status):
    d = {"founded": "2010-01-01", "as_of": "2025-04-01",
         "years": years(revenue=[None, revenue, revenue], rd_expense=[None, rd_each, rd_each])}
    c = crit(assess(get_pack("little_giant"), d), "innovation_input")
    assert c.band_en == band
    assert c.status == status


def giant_firm() -> dict[str, Any]:
    """A firm meeting all six little-giant indicators, most of them exactly at the boundary."""
    return {
        "founded": "2010-01-01", "as_of": "2025-04-01",
        "years": years(revenue=[None, 110 * M, 120 * M],
                       main_business_revenue=[80 * M, 88 * M, 96.8 * M],
                       rd_expense=[None, 3.3 * M, 3.6 * M],
                       total_liabilities=[None, None, 84 * M], total_assets=[None, None, 120 * M]),
        "ip": {"class1": 2, "class2": 0},
        "facts": {"is_sme": True, "compliant_operation": True, "niche_years": 3,
                  "core_business_information_system": True, "qms_certified": True,
                  "national_market_share": 0.10, "own_brand": True, "rd_institution": True,
                  "key_chain_link": True, "priority_field_product": True,
                  "national_st_award_top3_3y": False, "maker_china_top50_3y": False},
    }


def test_little_giant_all_six_indicators_at_the_boundary():
    a = assess(get_pack("little_giant"), giant_firm())
    # main business 96.8/120 = 80.7 % ≥ 70 %; growth ½(88/80 + 96.8/88) − 1 = 10 % ≥ 5 %
    assert crit(a, "main_business_growth").value == pytest.approx(0.10)
    # debt 84/120 = 70 % ≤ 70 % (不高于); share exactly 10 % (达到10%以上)
    assert crit(a, "debt_ratio").status == "passed"
    assert crit(a, "market_share").status == "passed"
    # revenue 120 m ≥ 100 m: R&D 3.3/110 = 3 % and 3.6/120 = 3 % in each of the 2 years
    assert crit(a, "innovation_input").status == "passed"
    assert crit(a, "general").status == "passed"
    assert a.status == "passed"


@pytest.mark.parametrize(("fact", "value", "failed"),
                         [("national_market_share", 0.0999, "market_share"),
                          ("priority_field_product", False, "lead_product_field"),
                          ("compliant_operation", False, "compliant")])
def test_little_giant_each_indicator_required(fact, value, failed):
    d = giant_firm()
    d["facts"][fact] = value
    a = assess(get_pack("little_giant"), d)
    assert crit(a, failed).status == "failed"
    assert a.status == "failed"


def test_little_giant_debt_ratio_just_above_70_percent_fails():
    d = giant_firm()
    d["years"][-1]["total_liabilities"] = 84.0012 * M  # 70.001 % > 70 %
    a = assess(get_pack("little_giant"), d)
    assert crit(a, "debt_ratio").status == "failed"
    assert crit(a, "debt_ratio").gap.delta == pytest.approx(-0.0012 * M, rel=1e-3)


def test_little_giant_direct_through_replaces_only_the_innovation_conditions():
    # Annex 3 §四: the direct-through conditions stand in for the three general innovation
    # conditions; the specialisation, refinement, characteristic, chain and field indicators
    # still apply (the earlier pack let a direct-through firm skip all of them).
    pack = get_pack("little_giant")
    d = giant_firm()
    d["ip"]["class1"] = 1  # general innovation conditions fail (needs 2 Class I IP)
    a = assess(pack, d)
    assert crit(a, "general").status == "failed"
    assert a.status == "failed"
    d["facts"]["national_st_award_top3_3y"] = True
    a = assess(pack, d)
    assert crit(a, "innovation").status == "passed"
    assert a.status == "passed"
    d["years"][-1]["revenue"] = 140 * M  # main business 96.8/140 = 69.1 % < 70 %
    a = assess(pack, d)
    assert crit(a, "innovation").status == "passed"
    assert crit(a, "main_business_share").status == "failed"
    assert a.status == "failed"


def test_hte_field_is_one_of_the_eight_2016_fields(hte):
    assert set(next(c for c in hte.criteria if c.id == "field").values) == {
        "electronic_information", "biology_new_medicine", "aerospace", "new_materials",
        "high_tech_services", "new_energy_energy_saving", "resources_environment",
        "advanced_manufacturing_automation"}


# -- local packs ----------------------------------------------------------------------------------
def test_gazelle_cagr():
    d = {"founded": "2012-01-01", "as_of": "2025-04-01",
         "years": years(revenue=[10 * M, 12 * M, 15 * M, 18 * M]),
         "designations": [{"code": "hte", "valid_to": "2026-12-31"}]}
    a = assess(get_pack("gazelle"), d)
    # (18/10)^(1/3) − 1 = 0.2164 ≥ 20 %; growth 20 %, 25 %, 20 % all > 0
    assert crit(a, "cagr").value == pytest.approx(1.8 ** (1 / 3) - 1)
    assert a.status == "passed"
    d["years"][-1]["revenue"] = 17 * M  # (1.7)^(1/3) − 1 = 19.35 % -> fails
    a = assess(get_pack("gazelle"), d)
    c = crit(a, "cagr")
    assert c.status == "failed"
    # needed last-year revenue = 10 m × 1.2³ = 17.28 m -> +0.28 m
    assert c.gap.delta == pytest.approx(0.28 * M, rel=1e-6)


@pytest.mark.parametrize(("founded", "age", "status"),
                         [("2015-04-01", 10, "passed"),   # exactly 10 full years: ≤ 10
                          ("2014-04-02", 10, "passed"),   # one day short of 11 years
                          ("2014-04-01", 11, "failed")])  # 11 full years
def test_unicorn_age_boundary(founded, age, status):
    d = {"founded": founded, "as_of": "2025-04-01",
         "facts": {"valuation_usd": 1.2e9, "valuation_cny": None, "listed": False}}
    a = assess(get_pack("unicorn"), d)
    assert crit(a, "age").value == age
    assert crit(a, "age").status == status
    assert a.status == status
