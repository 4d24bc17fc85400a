"""The cultivation list by district (engine): candidates and renewals apart, holders not yet due
left out, a rank per district and kind, and every condition a firm does not meet, the
self-graded score items included."""

from __future__ import annotations

from datetime import date
from typing import Any

from observatory.eligibility.evaluator import Evaluator
from observatory.eligibility.model import Enterprise
from observatory.eligibility.pipeline import district_pipeline, holder_kind, open_conditions

from .test_hte import AS_OF, firm

DAY = date.fromisoformat(AS_OF)
SELF_GRADED = {"ip_advancement", "ip_core_support", "rd_mgmt_rules", "rd_mgmt_institution",
               "rd_mgmt_transformation", "rd_mgmt_talent"}


def ungraded(fid: str, *, staff: int = 30, held: list[dict[str, Any]] | None = None
             ) -> Enterprise:
    """A firm as the registry knows it: no self-grades; ``staff`` S&T staff of 200."""
    d = firm(id=fid, name=fid.upper(), self_grades={}, designations=held or [])
    for rec in d["years"]:
        if rec["year"] == 2024:
            rec["tech_staff"] = staff
    return Enterprise.model_validate(d)


def hte_held(start: str, end: str) -> list[dict[str, Any]]:
    return [{"code": "hte", "valid_from": start, "valid_to": end}]


def test_open_conditions_list_failures_and_the_self_graded_items(hte) -> None:
    a = Evaluator(hte).assess(ungraded("a", staff=19), DAY)  # 9.5 % < 10 %: fails
    conditions = {c["criterion"]: c for c in open_conditions(a)}
    assert conditions["tech_staff_ratio"]["status"] == "failed"
    score = conditions["innovation_score"]
    assert score["status"] in ("missing", "undecided")  # not a pass, not a plain failure
    assert set(score["self_graded"]) == SELF_GRADED
    assert all(f"self_grades.{i}" in score["missing"] for i in SELF_GRADED)
    assert "age" not in conditions and "owns_ip" not in conditions  # passed ones stay out
    graded = Evaluator(hte).assess(Enterprise.model_validate(firm()), DAY)
    # graded by the firm itself: nothing lacks data; letter grades leave the score undecided
    assert [(c["criterion"], c["status"], c["self_graded"])
            for c in open_conditions(graded)] == [("innovation_score", "undecided", [])]


def test_holder_kinds(hte) -> None:
    assert holder_kind(ungraded("c"), hte, DAY, 90) == ("candidate", None)
    lapsed = ungraded("l", held=hte_held("2021-01-01", "2023-12-31"))
    assert holder_kind(lapsed, hte, DAY, 90) == ("renewal", date(2023, 12, 31))
    due = ungraded("e", held=hte_held("2022-07-01", "2025-07-31"))
    assert holder_kind(due, hte, DAY, 90) == ("renewal", date(2025, 7, 31))
    later = ungraded("h", held=hte_held("2024-01-01", "2026-12-31"))
    assert holder_kind(later, hte, DAY, 90) == (None, date(2026, 12, 31))


def test_candidates_and_renewals_apart_ranked_per_district(hte) -> None:
    firms = [ungraded("a1", staff=19), ungraded("a2"), ungraded("a3", staff=18),
             ungraded("a4", held=hte_held("2021-01-01", "2023-12-31")),
             ungraded("a5", held=hte_held("2024-01-01", "2026-12-31")),
             ungraded("b1", staff=19), ungraded("b2", held=hte_held("2022-07-01", "2025-07-31"))]
    where = {f"{d}{i}": {"a": "370202", "b": "370211"}[d] for d in "ab" for i in range(1, 6)}
    res = district_pipeline(hte, firms, where, DAY, top=10)
    assert res.holders_excluded == 1 and res.assessed == 6
    rows = {(f["district"], f["kind"]): [] for f in res.firms}
    for f in res.firms:
        rows[(f["district"], f["kind"])].append(f)
    assert [f["enterprise_id"] for f in rows[("370202", "candidate")]] == ["a2", "a1", "a3"]
    assert [f["rank"] for f in rows[("370202", "candidate")]] == [1, 2, 3]
    assert [(f["enterprise_id"], f["renewal"], f["rank"])
            for f in rows[("370202", "renewal")]] == [("a4", "lapsed", 1)]
    assert [(f["enterprise_id"], f["renewal"], f["rank"])
            for f in rows[("370211", "renewal")]] == [("b2", "expiring", 1)]
    assert [f["rank"] for f in rows[("370211", "candidate")]] == [1]
    a1 = rows[("370202", "candidate")][1]
    # one failed condition, and the score that lacks its self-graded items: both listed
    assert a1["n_failed"] == 1 and a1["n_missing"] + a1["n_undecided"] >= 1
    assert len(a1["conditions"]) == a1["n_failed"] + a1["n_missing"] + a1["n_undecided"]
    failed = next(c for c in a1["conditions"] if c["status"] == "failed")
    assert failed["criterion"] == "tech_staff_ratio" and failed["gap_en"]  # gap solved
    only = district_pipeline(hte, firms, where, DAY, top=1, district="370202", kind="renewal")
    assert [(f["enterprise_id"], f["kind"]) for f in only.firms] == [("a4", "renewal")]
    top1 = district_pipeline(hte, firms, where, DAY, top=1, kind="candidate")
    assert [f["enterprise_id"] for f in top1.firms] == ["a2", "b1"]
