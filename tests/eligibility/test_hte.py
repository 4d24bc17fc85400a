"""HTE (国科发火〔2016〕32号 / 195号): every condition, score band and edge rule, by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from observatory.eligibility.evaluator import assess
from observatory.eligibility.expressions import hte_growth

from .conftest import M, years

AS_OF = "2025-06-01"  # fiscal year = 2024, the three fiscal years are 2022-2024


def firm(**over: Any) -> dict[str, Any]:
    """A firm that meets every hard condition; the tests change one thing at a time."""
    base: dict[str, Any] = {
        "id": "f", "founded": "2015-03-01", "as_of": AS_OF,
        "years": years(
            revenue=[100 * M, 110 * M, 120 * M],          # Σ = 330 m, last year 120 m (4 % band)
            rd_expense=[4 * M, 5 * M, 5 * M],             # Σ = 14 m -> 14/330 = 4.24 %
            rd_expense_domestic=[4 * M, 5 * M, 5 * M],
            net_assets=[10 * M, 13 * M, 17 * M],
            transformations=[3, 3, 4],
            employees=[None, None, 200],
            tech_staff=[None, None, 30],                  # 15 %
            high_tech_revenue=[None, None, 90 * M],
            total_revenue=[None, None, 120 * M],          # 75 %
        ),
        "ip": {"class1": 1, "class2": 0},
        "facts": {"hte_field": "new_materials", "major_incident_last_year": False,
                  "ip_acquisition": "own_rd", "took_part_in_standards": False},
        "self_grades": {"ip_advancement": "A", "ip_core_support": "A", "rd_mgmt_rules": 6,
                        "rd_mgmt_institution": 6, "rd_mgmt_transformation": 4,
                        "rd_mgmt_talent": 4},
    }
    base.update(over)
    return base


def crit(a, cid):
    return next(leaf for c in a.criteria for leaf in _walk(c) if leaf.id == cid)


def _walk(c):
    yield c
    for k in c.children:
        yield from _walk(k)


def item(a, iid):
    return next(i for g in a.scores["innovation"].groups for i in g.items if i.id == iid)


def set_year(d: dict[str, Any], year: int, **fields: Any) -> dict[str, Any]:
    for rec in d["years"]:
        if rec["year"] == year:
            rec.update(fields)
    return d


# -- reference vector (domain_rules.md §2.1) ------------------------------------------------------
def test_reference_rd_ratio_vector(hte):
    a = assess(hte, firm())
    c = crit(a, "rd_ratio")
    # 14 m / 330 m = 0.0424242..., last-year revenue 120 m -> 50–200 m band -> 4 %
    assert c.value == pytest.approx(14 / 330)
    assert c.threshold == 0.04
    assert c.band_en == "last-year revenue 50–200 m yuan"
    assert c.status == "passed"


def test_reference_growth_vectors(hte):
    a = assess(hte, firm(years=years(revenue=[80 * M, 100 * M, 120 * M],
                                     rd_expense=[4 * M, 4 * M, 4 * M],
                                     net_assets=[10 * M, 13 * M, 17 * M],
                                     transformations=[3, 3, 4])))
    # net assets: ½(13/10 + 17/13) − 1 = ½(1.3 + 1.307692) − 1 = 0.303846 -> B (≥25 %): 7–8
    na = item(a, "net_asset_growth")
    assert na.value == pytest.approx(0.5 * (1.3 + 17 / 13) - 1)
    assert na.value == pytest.approx(0.303846, abs=1e-6)
    assert na.points == (7, 8)
    # sales: ½(100/80 + 120/100) − 1 = ½(1.25 + 1.2) − 1 = 0.225 -> C (≥15 %): 5–6
    sg = item(a, "sales_growth")
    assert sg.value == pytest.approx(0.225)
    assert sg.points == (5, 6)
    # transformations 10 in 3 years -> 3.33 per year -> C (≥3): 13–18
    tr = item(a, "transformation_per_year")
    assert tr.value == pytest.approx(10 / 3)
    assert tr.points == (13, 18)


# -- R&D ratio bands and boundaries ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("revenues", "rd", "threshold", "status"),
    [
        # last-year revenue exactly 50 m is in the ≤ 50 m band (含): 5 %; 7.5/150 = exactly 5 %
        ([50 * M, 50 * M, 50 * M], [2.5 * M, 2.5 * M, 2.5 * M], 0.05, "passed"),
        # 7.4/150 = 4.933 % < 5 %
        ([50 * M, 50 * M, 50 * M], [2.5 * M, 2.5 * M, 2.4 * M], 0.05, "failed"),
        # last year 50,000,001 -> 50–200 m band: 4 %; 6/150.000001 = 3.99999997 % < 4 %
        ([50 * M, 50 * M, 50 * M + 1], [2 * M, 2 * M, 2 * M], 0.04, "failed"),
        # last year exactly 200 m is still the 4 % band; 24/600 = 4 % exactly
        ([200 * M, 200 * M, 200 * M], [8 * M, 8 * M, 8 * M], 0.04, "passed"),
        # last year 200,000,001 -> 3 % band; 18/600.000001 = 2.9999999 % < 3 %
        ([200 * M, 200 * M, 200 * M + 1], [6 * M, 6 * M, 6 * M], 0.03, "failed"),
        # 18.3/600.000001 = 3.05 % ≥ 3 %
        ([200 * M, 200 * M, 200 * M + 1], [6.1 * M, 6.1 * M, 6.1 * M], 0.03, "passed"),
    ],
)
def test_rd_ratio_bands(hte, revenues, rd, threshold, status):
    a = assess(hte, firm(years=years(revenue=revenues, rd_expense=rd)))
    c = crit(a, "rd_ratio")
    assert c.threshold == threshold
    assert c.value == pytest.approx(sum(rd) / sum(revenues))
    assert c.status == status


def test_rd_gap_three_point_six_percent(hte):
    # revenue 60/60/80 m (Σ 200 m, last year 80 m -> 4 %); R&D Σ 7.2 m = 3.6 %.
    # needed R&D = 4 % × 200 m = 8.0 m -> 0.8 m more over the three years
    d = firm(years=years(revenue=[60 * M, 60 * M, 80 * M], rd_expense=[2.4 * M, 2.4 * M, 2.4 * M]))
    c = crit(assess(hte, d), "rd_ratio")
    assert c.status == "failed"
    assert c.value == pytest.approx(0.036)
    assert c.gap.reachable
    assert c.gap.delta == pytest.approx(0.8 * M, rel=1e-6)
    assert c.gap.target == pytest.approx(0.04, rel=1e-6)
    assert "0.80 m yuan" in c.gap.sentence_en
    assert "80.00万元" in c.gap.sentence_zh
    assert "3.60% < 4.00%" in c.sentence_en


def test_rd_ratio_short_operation_uses_actual_years(hte):
    # founded 2023-05-01: only FY 2023 and 2024 count. (3 + 3)/(50 + 50) = 6 % ≥ 5 %
    d = firm(founded="2023-05-01",
             years=years(revenue=[None, 50 * M, 50 * M], rd_expense=[None, 3 * M, 3 * M]))
    c = crit(assess(hte, d), "rd_ratio")
    assert c.value == pytest.approx(0.06)
    assert c.status == "passed"


def test_rd_ratio_missing_year_is_insufficient(hte):
    d = firm()
    del d["years"][1]["rd_expense"]
    a = assess(hte, d)
    c = crit(a, "rd_ratio")
    assert c.status == "insufficient_data"
    assert c.missing == ["years[2023].rd_expense"]
    assert a.status == "insufficient_data"
    assert "years[2023].rd_expense" in c.sentence_en


# -- other conditions -----------------------------------------------------------------------------
@pytest.mark.parametrize(("founded", "days", "status"),
                         [("2024-06-01", 365, "passed"), ("2024-06-02", 364, "failed")])
def test_age(hte, founded, days, status):
    c = crit(assess(hte, firm(founded=founded)), "age")
    assert c.value == days  # 2024-06-01 -> 2025-06-01 is 365 days (no 29 Feb in between)
    assert c.status == status
    if status == "failed":
        assert c.gap.date == date(2025, 6, 2)  # one more day


@pytest.mark.parametrize(("tech", "status", "hire"),
                         [(20, "passed", None), (19, "failed", 2)])
def test_staff_ratio_exactly_ten_percent(hte, tech, status, hire):
    d = firm()
    set_year(d, 2024, tech_staff=tech, employees=200)
    c = crit(assess(hte, d), "tech_staff_ratio")
    assert c.value == pytest.approx(tech / 200)
    assert c.status == status
    if hire:
        # (19 + x)/(200 + x) ≥ 0.1 -> 0.9x ≥ 1 -> x ≥ 1.11 -> 2 people
        assert c.gap.delta == 2


@pytest.mark.parametrize(("ht", "status"), [(72 * M, "passed"), (71.9 * M, "failed")])
def test_high_tech_revenue_exactly_sixty_percent(hte, ht, status):
    d = firm()
    set_year(d, 2024, high_tech_revenue=ht, total_revenue=120 * M)  # 72/120 = 60 % exactly
    c = crit(assess(hte, d), "high_tech_revenue_share")
    assert c.status == status
    if status == "failed":
        # (71.9 + x)/(120 + x) ≥ 0.6 -> 0.4x ≥ 0.1 m -> x = 0.25 m
        assert c.gap.delta == pytest.approx(0.25 * M, rel=1e-6)


@pytest.mark.parametrize(("domestic", "status"),
                         [([2.4 * M, 3 * M, 3 * M], "passed"),
                          ([2.4 * M, 3 * M, 2.9 * M], "failed")])
def test_domestic_rd_exactly_sixty_percent(hte, domestic, status):
    # total R&D 4 + 5 + 5 = 14 m; 60 % = 8.4 m; 2.4 + 3 + 3 = 8.4 m exactly
    d = firm(years=years(revenue=[100 * M, 110 * M, 120 * M], rd_expense=[4 * M, 5 * M, 5 * M],
                         rd_expense_domestic=domestic))
    c = crit(assess(hte, d), "rd_domestic_share")
    assert c.value == pytest.approx(sum(domestic) / (14 * M))
    assert c.status == status
    if status == "failed":
        # (8.3 + x)/(14 + x) ≥ 0.6 -> 0.4x ≥ 0.1 m -> x = 0.25 m
        assert c.gap.delta == pytest.approx(0.25 * M, rel=1e-6)


def test_owns_ip_and_field_and_incident(hte):
    a = assess(hte, firm(ip={"class1": 0, "class2": 0},
                         facts={"hte_field": "real_estate", "major_incident_last_year": True,
                                "ip_acquisition": "own_rd", "took_part_in_standards": False}))
    assert crit(a, "owns_ip").status == "failed"
    assert crit(a, "owns_ip").gap.delta == 1
    assert crit(a, "field").status == "failed"
    assert crit(a, "no_major_incident").status == "failed"
    assert not crit(a, "no_major_incident").gap.reachable
    assert a.status == "failed"


# -- innovation-capability score ------------------------------------------------------------------
def test_score_total_and_eligible(hte):
    a = assess(hte, firm())
    s = a.scores["innovation"]
    # IP: A 7–8 + A 7–8 + quantity A (1 Class I) 7–8 + own R&D 1–6 + bonus 0 = 22–30
    # transformations 10/3 -> C 13–18; management 6+6+4+4 = 20
    # growth: net assets 0.3038 -> B 7–8; sales ½(110/100 + 120/110) − 1 = 0.0955 -> D 3–4
    assert item(a, "sales_growth").value == pytest.approx(0.5 * (1.1 + 120 / 110) - 1)
    assert s.points == (22 + 13 + 20 + 7 + 3, 30 + 18 + 20 + 8 + 4)  # (65, 80)
    assert crit(a, "innovation_score").status == "borderline"
    assert a.status == "borderline"


def test_score_refined_numbers_decide(hte):
    d = firm()
    # pin judgemental ranges: advancement 8, core 8, acquisition 6 -> IP 8+8+(7–8)+6 = 29–30
    d["self_grades"].update({"ip_advancement": 8, "ip_core_support": 8,
                             "ip_acquisition_points": 6})
    a = assess(hte, d)
    # 29 + 13 + 20 + 7 + 3 = 72 > 70 at the minimum
    assert a.scores["innovation"].points[0] == 72
    assert crit(a, "innovation_score").status == "passed"
    assert a.status == "passed"


def test_score_failed_with_gap_suggestions(hte):
    d = firm(years=years(revenue=[100 * M, 110 * M, 120 * M], rd_expense=[4 * M, 5 * M, 5 * M],
                         rd_expense_domestic=[4 * M, 5 * M, 5 * M],
                         net_assets=[10 * M, 10 * M, 10 * M],        # growth 0 -> 0 points
                         transformations=[3, 3, 3],                   # 3 -> C 13–18
                         employees=[None, None, 200], tech_staff=[None, None, 30],
                         high_tech_revenue=[None, None, 90 * M],
                         total_revenue=[None, None, 120 * M]),
             ip={"class1": 0, "class2": 5})                           # B 5–6
    d["self_grades"] = {"ip_advancement": 8, "ip_core_support": 8, "ip_acquisition_points": 6,
                        "rd_mgmt_rules": 6, "rd_mgmt_institution": 6,
                        "rd_mgmt_transformation": 4, "rd_mgmt_talent": 4}
    d["facts"]["took_part_in_standards"] = True                     # bonus 1–2
    a = assess(hte, d)
    # IP 8+8+(5–6)+6+(1–2) = 28–30; transf 13–18; mgmt 20; growth 0 + sales 0.0955 D 3–4
    assert a.scores["innovation"].points == (28 + 13 + 20 + 3, 30 + 18 + 20 + 4)
    # now force the maximum to 70: transformations 0 -> F 0 points
    d["years"] = years(**{k: [r.get(k) for r in d["years"]] for k in d["years"][0]
                          if k != "year"} | {"transformations": [0, 0, 0]})
    for r in d["years"]:
        r.update({"employees": 200, "tech_staff": 30, "high_tech_revenue": 90 * M,
                  "total_revenue": 120 * M})
    d["self_grades"]["rd_mgmt_talent"] = 4
    a = assess(hte, d)
    # 28–30 + 0 + 20 + 3–4 = 51–54 -> failed, with the score gap naming the transformation band
    lo, hi = a.scores["innovation"].points
    assert (lo, hi) == (51, 54)
    c = crit(a, "innovation_score")
    assert c.status == "failed"
    assert c.gap.delta == pytest.approx(70 - 51)
    moves = {m["item"]: (m["target"], m["gain"]) for m in c.gap.suggestions}
    # sales growth 9.55 % (D 3–4) -> C needs ≥ 15 %: +2 at the low end (5 − 3)
    # transformations 0 (F) -> E needs ≥ 1 per year: +1; net assets 0 (F) -> E needs > 0: +1
    assert moves == {"sales_growth": (0.15, 2), "transformation_per_year": (1, 1),
                     "net_asset_growth": (0, 1)}
    assert c.gap.suggestions[0]["item"] == "sales_growth"


def test_score_boundary_seventy_vs_seventy_one(hte):
    # All ranges pinned by numbers: the total is exact.
    d = firm(ip={"class1": 0, "class2": 0})  # quantity E: 0
    d["self_grades"] = {"ip_advancement": 8, "ip_core_support": 8, "ip_acquisition_points": 6,
                        "rd_mgmt_rules": 6, "rd_mgmt_institution": 6,
                        "rd_mgmt_transformation": 4, "rd_mgmt_talent": 4}
    d["facts"]["ip_acquisition"] = "own_rd"
    d["years"] = years(revenue=[100 * M, 100 * M, 100 * M], rd_expense=[5 * M] * 3,
                       rd_expense_domestic=[5 * M] * 3, net_assets=[10 * M] * 3,
                       transformations=[5, 5, 5], employees=[200] * 3, tech_staff=[30] * 3,
                       high_tech_revenue=[90 * M] * 3, total_revenue=[100 * M] * 3)
    # IP 8+8+0+6+0 = 22; transformations 5 -> A 25–30; mgmt 20; growth 0 + 0 = 0 -> 67–72
    a = assess(hte, d)
    assert a.scores["innovation"].points == (67, 72)
    assert crit(a, "innovation_score").status == "borderline"


@pytest.mark.parametrize(
    ("mean", "points"),
    [(5, (25, 30)), (4, (19, 24)), (3, (13, 18)), (2, (7, 12)), (1, (1, 6)), (0, (0, 0)),
     (2 / 3, (0, 0))],  # 2 in three years -> 0.67 < 1 -> F
)
def test_transformation_bands(hte, mean, points):
    d = firm()
    total = round(mean * 3)
    split = [total // 3, total // 3, total - 2 * (total // 3)]
    for rec, n in zip(d["years"], split, strict=True):
        rec["transformations"] = n
    assert item(assess(hte, d), "transformation_per_year").points == points


@pytest.mark.parametrize(
    ("values", "growth", "points"),
    [
        ([100, 135, 182.25], 0.35, (9, 10)),    # 1.35 and 1.35 -> exactly 35 % -> A
        ([100, 125, 156.25], 0.25, (7, 8)),     # exactly 25 % -> B
        ([100, 115, 132.25], 0.15, (5, 6)),     # exactly 15 % -> C
        ([100, 105, 110.25], 0.05, (3, 4)),     # exactly 5 % -> D
        ([100, 101, 102.01], 0.01, (1, 2)),     # 1 % > 0 -> E
        ([100, 100, 100], 0.0, (0, 0)),         # 0 -> F (E needs > 0)
        ([10, 9, 8], 0.5 * (0.9 + 8 / 9) - 1, (0, 0)),  # negative -> 0
        ([0, 10, 12], 0.2, (5, 6)),             # V1 = 0 -> V3/V2 − 1 = 0.2 -> C
        ([10, 0, 12], 0.0, (0, 0)),             # V2 = 0 -> 0 points
    ],
)
def test_net_asset_growth_bands_and_edges(hte, values, growth, points):
    d = firm()
    for rec, v in zip(d["years"], values, strict=True):
        rec["net_assets"] = v * M
    it = item(assess(hte, d), "net_asset_growth")
    assert it.value == pytest.approx(growth)
    assert it.points == points


def test_growth_short_operation():
    # two years: V2/V1 − 1; one year: 0
    assert hte_growth([10, 12]) == pytest.approx(0.2)
    assert hte_growth([0, 12]) == 0.0
    assert hte_growth([12]) == 0.0


def test_growth_two_years_in_pack(hte):
    d = firm(founded="2023-02-01")
    a = assess(hte, d)
    # founded 2023: only 2023, 2024 count -> 17/13 − 1 = 0.3077 -> B
    it = item(a, "net_asset_growth")
    assert it.value == pytest.approx(17 / 13 - 1)
    assert it.points == (7, 8)
    assert any("two years" in n for n in it.notes)


@pytest.mark.parametrize(
    ("ip", "points"),
    [({"class1": 1, "class2": 0}, (7, 8)), ({"class1": 0, "class2": 5}, (5, 6)),
     ({"class1": 0, "class2": 4}, (3, 4)), ({"class1": 0, "class2": 3}, (3, 4)),
     ({"class1": 0, "class2": 2}, (1, 2)), ({"class1": 0, "class2": 1}, (1, 2)),
     ({"class1": 0, "class2": 0}, (0, 0))],
)
def test_ip_quantity_bands(hte, ip, points):
    assert item(assess(hte, firm(ip=ip)), "ip_quantity").points == points


def test_ip_group_capped_at_30(hte):
    d = firm()
    d["self_grades"].update({"ip_advancement": 8, "ip_core_support": 8, "ip_acquisition_points": 6})
    d["facts"]["took_part_in_standards"] = True
    a = assess(hte, d)
    ip = a.scores["innovation"].groups[0]
    # 8 + 8 + (7–8) + 6 + (1–2) = 30–32 -> capped at 30
    assert ip.points == (30, 30)


def test_letter_grades_and_missing_grades(hte):
    d = firm()
    d["self_grades"] = {}
    a = assess(hte, d)
    adv = item(a, "ip_advancement")
    assert adv.missing == ["self_grades.ip_advancement"]
    assert adv.points == (0, 8)
    d["self_grades"] = {"ip_advancement": "C"}
    assert item(assess(hte, d), "ip_advancement").points == (3, 4)
    d["self_grades"] = {"ip_advancement": "Z"}
    assert item(assess(hte, d), "ip_advancement").missing


def test_sentences_bilingual(hte):
    a = assess(hte, firm())
    c = crit(a, "tech_staff_ratio")
    assert c.sentence_en == "S&T personnel share of employees: 15.00% ≥ 10.00% — met"
    assert c.sentence_zh == "科技人员占职工总数的比例：15.00% ≥ 10.00%，符合"
    assert "国科发火〔2016〕32号" in c.basis


def test_money_below_ten_thousand_yuan_is_shown_in_yuan() -> None:
    """A gap of 3,200 yuan must not read "+0.00 m yuan" (or "+0.32万元" beside larger sums)."""
    from observatory.i18n import fmt_measure as fmt

    assert fmt(3_200, "yuan", "en", signed=True) == "+3,200 yuan"
    assert fmt(3_200, "yuan", "zh", signed=True) == "+3,200元"
    assert fmt(10_000, "yuan", "en") == "0.01 m yuan" and fmt(10_000, "yuan", "zh") == "1.00万元"
    assert fmt(-9_999.6, "yuan", "en", signed=True) == "−10,000 yuan"
    assert fmt(0, "yuan", "en") == "0.00 m yuan"
