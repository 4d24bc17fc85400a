"""Cultivation pipeline: batch assessment, the enterprises closest to a designation, renewals.

Database-agnostic: takes enterprises as dicts / :class:`Enterprise` objects (or a DataFrame whose
rows are such dicts) and designations as a DataFrame, so the same functions serve the CLI, the
web pages and a database loader.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeAlias

import pandas as pd

from observatory.eligibility.evaluator import Assessment, CriterionResult, Evaluator
from observatory.eligibility.model import Enterprise
from observatory.eligibility.packs import Pack

ASSESS_COLUMNS = ["enterprise_id", "name", "pack", "status", "n_failed", "shortfall",
                  "score_min", "score_max", "failing", "missing"]
NEAR_COLUMNS = ["rank", "enterprise_id", "name", "n_failed", "shortfall", "criterion",
                "value", "threshold", "gap_en", "gap_zh"]


Enterprises: TypeAlias = Iterable[Enterprise | Mapping[str, Any]] | pd.DataFrame


def _enterprises(items: Enterprises) -> list[Enterprise]:
    if isinstance(items, pd.DataFrame):
        items = [{k: v for k, v in row.items() if not _is_na(v)}
                 for row in items.to_dict(orient="records")]
    return [e if isinstance(e, Enterprise) else Enterprise.model_validate(dict(e)) for e in items]


def _is_na(v: Any) -> bool:
    return not isinstance(v, list | dict | tuple) and bool(pd.isna(v))


def summary_row(a: Assessment) -> dict[str, Any]:
    """One assessment as a row of :data:`ASSESS_COLUMNS` (the Spark batch builds the same)."""
    failing = a.failing()
    leaves = [leaf for c in a.criteria for leaf in c.leaves()]
    first_score = next(iter(a.scores.values()), None)
    return {
        "enterprise_id": a.enterprise_id, "name": a.enterprise_name, "pack": a.pack,
        "status": a.status, "n_failed": len(failing), "shortfall": a.shortfall,
        "score_min": first_score.points[0] if first_score else None,
        "score_max": first_score.points[1] if first_score else None,
        "failing": [c.id for c in failing],
        "missing": sorted({m for leaf in leaves for m in leaf.missing}),
    }


def assess_many(pack: Pack, enterprises: Iterable[Enterprise | Mapping[str, Any]] | pd.DataFrame,
                as_of: date | None = None) -> tuple[pd.DataFrame, list[Assessment]]:
    """Assess every enterprise; one summary row each plus the full assessments."""
    ev = Evaluator(pack)
    assessments = [ev.assess(e, as_of) for e in _enterprises(enterprises)]
    rows = [summary_row(a) for a in assessments]
    return pd.DataFrame(rows, columns=ASSESS_COLUMNS), assessments


def near_threshold(pack: Pack, enterprises: Iterable[Enterprise | Mapping[str, Any]] | pd.DataFrame,
                   as_of: date | None = None, max_failed: int = 2,
                   max_shortfall: float = 0.25) -> pd.DataFrame:
    """Not-yet-eligible enterprises that lack little, ranked by how little they lack.

    Only enterprises whose overall status is ``failed`` with at most ``max_failed`` failed
    criteria, every one of them closable by a lever (a yes/no condition cannot be "nearly" met),
    and a summed relative shortfall at most ``max_shortfall``. Ranking: fewer failed criteria
    first, then smaller summed relative shortfall. One row per failed criterion.
    """
    summary, assessments = assess_many(pack, enterprises, as_of)
    candidates = []
    for a in assessments:
        failing = a.failing()
        if a.status != "failed" or not failing or len(failing) > max_failed:
            continue
        if any(c.gap is None or not c.gap.reachable for c in failing):
            continue
        total = sum(c.shortfall for c in failing)
        if total <= max_shortfall:
            candidates.append((len(failing), total, a, failing))
    candidates.sort(key=lambda t: (t[0], t[1], str(t[2].enterprise_id)))
    rows = []
    for rank, (n, total, a, failing) in enumerate(candidates, start=1):
        for c in failing:
            rows.append({"rank": rank, "enterprise_id": a.enterprise_id, "name": a.enterprise_name,
                         "n_failed": n, "shortfall": total, "criterion": c.id, "value": c.value,
                         "threshold": c.threshold, "gap_en": c.gap.sentence_en if c.gap else "",
                         "gap_zh": c.gap.sentence_zh if c.gap else ""})
    return pd.DataFrame(rows, columns=NEAR_COLUMNS)


def renewals(designations: pd.DataFrame, as_of: date, within_days: int = 90,
             validity_years: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Designations expiring within ``within_days`` after ``as_of`` (re-certification reminders).

    ``designations`` has columns ``org_id``, ``code``, ``valid_from`` and optionally ``valid_to``.
    A missing ``valid_to`` is derived from ``valid_from`` plus the pack's validity in years (e.g.
    an HTE certificate lasts three years: valid to the day before the third anniversary).
    Expired designations (valid_to before ``as_of``) are not listed.
    """
    validity = dict(validity_years or {})
    out = designations.copy()
    if "valid_to" not in out.columns:
        out["valid_to"] = None

    def expiry(row: pd.Series) -> date | None:
        if not _is_na(row["valid_to"]):
            return pd.Timestamp(row["valid_to"]).date()
        years = validity.get(row["code"])
        if years is None or _is_na(row.get("valid_from")):
            return None
        start = pd.Timestamp(row["valid_from"]).date()
        try:
            end = start.replace(year=start.year + years)
        except ValueError:  # 29 February
            end = start.replace(year=start.year + years, day=28)
        return end - timedelta(days=1)

    out["valid_to"] = out.apply(expiry, axis=1) if len(out) else pd.Series(dtype=object)
    out = out[out["valid_to"].notna()]
    horizon = as_of + timedelta(days=within_days)
    out = out[(out["valid_to"] >= as_of) & (out["valid_to"] <= horizon)].copy()
    out["days_left"] = [(d - as_of).days for d in out["valid_to"]]
    return out.sort_values(["days_left", "org_id"]).reset_index(drop=True)


@dataclass
class PipelineResult:
    """What ``observatory eligibility pipeline`` shows."""

    pack: str
    as_of: date
    assessed: int
    holders_excluded: int
    status_counts: dict[str, int]
    near: pd.DataFrame
    by_criterion: pd.DataFrame
    renewals: pd.DataFrame
    missing: dict[str, int]


def is_holder(ent: Enterprise, pack: Pack, as_of: date) -> bool:
    """Whether ``ent`` holds a designation of the pack's type valid at ``as_of``."""
    return any(h.code == pack.code and (h.valid_from is None or h.valid_from <= as_of)
               and (h.valid_to is None or h.valid_to >= as_of) for h in ent.designations)


def missing_names(a: Assessment) -> list[str]:
    """The registry fields ``a`` lacks, by bare name (``years[2024].rd_expense`` ->
    ``rd_expense``): what :attr:`PipelineResult.missing` counts, once per enterprise."""
    leaves = [leaf for c in a.criteria for leaf in c.leaves()]
    return sorted({f.split("].")[-1].split(".")[-1] for leaf in leaves for f in leaf.missing})


def screen(a: Assessment, max_failed: int, max_shortfall: float
           ) -> tuple[int, float, list[str]] | None:
    """``(failed count, summed shortfall, failed ids)`` when the gap-free assessment ``a`` may
    qualify for :func:`near_threshold`, else None (nothing here depends on the gaps)."""
    failing = a.failing()
    total = sum(c.shortfall for c in failing)
    if a.status == "failed" and 0 < len(failing) <= max_failed and total <= max_shortfall:
        return len(failing), total, [c.id for c in failing]
    return None


#: A near-threshold candidate: failed count, summed shortfall, id, the enterprise, failed ids.
Candidate: TypeAlias = tuple[int, float, str, Enterprise, list[str]]


def rank_candidates(pack: Pack, candidates: list[Candidate], as_of: date, top: int,
                    max_failed: int, max_shortfall: float) -> pd.DataFrame:
    """The near-threshold list: candidates in :func:`near_threshold`'s order, handed to it only
    as many at a time as the ``top`` ranks still need (it drops those no lever can close)."""
    candidates = sorted(candidates, key=lambda t: t[:3])
    parts, ranked, start = [], 0, 0
    while ranked < top and start < len(candidates):
        batch = [c[3] for c in candidates[start:start + top - ranked]]
        start += len(batch)
        part = near_threshold(pack, batch, as_of, max_failed, max_shortfall)
        part["rank"] += ranked
        ranked += part["rank"].nunique()
        parts.append(part)
    return (pd.concat(parts, ignore_index=True) if parts
            else near_threshold(pack, [], as_of, max_failed, max_shortfall))


def criterion_counts(candidates: Iterable[tuple[float, list[str]]]) -> pd.DataFrame:
    """Per criterion, how many candidates fail it and their median summed shortfall."""
    per = pd.DataFrame([(cid, total) for total, ids in candidates for cid in ids],
                       columns=["criterion", "shortfall"])
    return (per.groupby("criterion").agg(enterprises=("shortfall", "size"),
                                         median_shortfall=("shortfall", "median"))
            .reset_index().sort_values(["enterprises", "criterion"],
                                       ascending=[False, True]).reset_index(drop=True))


def pack_renewals(pack: Pack, designations: pd.DataFrame, as_of: date,
                  within_days: int) -> pd.DataFrame:
    """:func:`renewals` with the pack's validity for designations without an end date."""
    return renewals(designations, as_of, within_days,
                    {pack.code: pack.validity_years} if pack.validity_years else None)


def run_pipeline(pack: Pack, enterprises: Iterable[Enterprise], designations: pd.DataFrame,
                 as_of: date, top: int = 100, within_days: int = 90, max_failed: int = 2,
                 max_shortfall: float = 0.25, include_holders: bool = False) -> PipelineResult:
    """Batch assessment, the ``top`` enterprises nearest the pack's thresholds, renewals.

    Every enterprise is assessed once without gap solving. Those that can qualify for
    :func:`~observatory.eligibility.pipeline.near_threshold` (failed, at most ``max_failed``
    failed criteria, summed shortfall within ``max_shortfall``: none of this depends on the
    gaps) are ranked by its own key (failed count, shortfall, id) and handed to it in that order,
    only as many as the ``top`` ranks need (it drops those a lever cannot close), so gaps are
    solved for about ``top`` enterprises, not thousands. ``by_criterion`` counts, per criterion,
    every such candidate failing it (not only the top). Holders of a valid designation of the
    pack's type are left out unless ``include_holders`` (they are in the renewal list instead).
    The Spark batch (:mod:`observatory.eligibility.spark`) runs the same steps.
    """
    ev = Evaluator(pack)
    counts: dict[str, int] = defaultdict(int)
    missing: dict[str, int] = defaultdict(int)
    candidates: list[Candidate] = []
    holders = 0
    for ent in enterprises:
        if not include_holders and is_holder(ent, pack, as_of):
            holders += 1
            continue
        a = ev.assess(ent, as_of, gaps=False)
        counts[a.status] += 1
        for name in missing_names(a):
            missing[name] += 1
        near = screen(a, max_failed, max_shortfall)
        if near is not None:
            candidates.append((near[0], near[1], str(a.enterprise_id), ent, near[2]))
    near_list = rank_candidates(pack, candidates, as_of, top, max_failed, max_shortfall)
    by_criterion = criterion_counts((c[1], c[4]) for c in candidates)
    due = pack_renewals(pack, designations, as_of, within_days)
    return PipelineResult(pack.code, as_of, sum(counts.values()), holders, dict(counts),
                          near_list, by_criterion, due, dict(sorted(missing.items())))


# -- the cultivation list by district -------------------------------------------------------------
#: How a condition that is not met reads: it fails, is undecided (the result depends on
#: self-graded items whose range straddles the threshold) or lacks data.
OPEN_STATUS = {"failed": "failed", "borderline": "undecided", "insufficient_data": "missing"}
KINDS = ("candidate", "renewal")


def open_conditions(a: Assessment) -> list[dict[str, Any]]:
    """Every condition of ``a`` that is not met, deepest first: failed, undecided or lacking
    data, with the fields it lacks (self-graded score items as ``self_grades.<item>``).

    A passed condition is skipped with everything under it (one passed route of an any-of is
    enough), so what is listed is exactly what stands between the firm and the designation.
    """
    out: list[dict[str, Any]] = []

    def walk(c: CriterionResult) -> None:
        if c.status == "passed":
            return
        if c.children:
            for child in c.children:
                walk(child)
            return
        missing = sorted(dict.fromkeys(c.missing))
        out.append({"criterion": c.id, "name_en": c.name_en, "name_zh": c.name_zh,
                    "status": OPEN_STATUS[c.status], "value": c.value,
                    "threshold": c.threshold, "missing": missing,
                    "self_graded": [f.split(".", 1)[1].split(" ")[0] for f in missing
                                    if f.startswith("self_grades.")],
                    "sentence_en": c.sentence_en, "sentence_zh": c.sentence_zh,
                    "gap_en": c.gap.sentence_en if c.gap else "",
                    "gap_zh": c.gap.sentence_zh if c.gap else "", "shortfall": c.shortfall})
    for criterion in a.criteria:
        walk(criterion)
    return out


def _expiry(valid_from: date | None, valid_to: date | None, years: int | None) -> date | None:
    """The last valid day: ``valid_to``, else ``valid_from`` plus the pack's validity."""
    if valid_to is not None:
        return valid_to
    if valid_from is None or years is None:
        return None
    try:
        end = valid_from.replace(year=valid_from.year + years)
    except ValueError:  # 29 February
        end = valid_from.replace(year=valid_from.year + years, day=28)
    return end - timedelta(days=1)


def holder_kind(ent: Enterprise, pack: Pack, as_of: date, within_days: int
                ) -> tuple[str | None, date | None]:
    """``("candidate", None)`` for a firm that never held the pack's designation,
    ``("renewal", valid_to)`` for one whose certificate lapsed or expires within
    ``within_days``, ``(None, valid_to)`` for a holder not yet due."""
    held = [(h.valid_from, _expiry(h.valid_from, h.valid_to, pack.validity_years))
            for h in ent.designations if h.code == pack.code]
    if not held:
        return "candidate", None
    current = [end for start, end in held if (start is None or start <= as_of)
               and (end is None or end >= as_of)]
    if current:
        if any(end is None for end in current):
            return None, None
        last = max(e for e in current if e is not None)
        due = last <= as_of + timedelta(days=within_days)
        return ("renewal" if due else None), last
    ends = [end for _, end in held if end is not None]
    return "renewal", max(ends) if ends else None


@dataclass
class DistrictPipeline:
    """The cultivation list: per district, first-time candidates and renewals apart."""

    pack: str
    as_of: date
    assessed: int
    holders_excluded: int
    status_counts: dict[str, int]
    firms: list[dict[str, Any]]


def _firm(a: Assessment, ent: Enterprise, district: str, kind: str, valid_to: date | None,
          renewal: str | None) -> dict[str, Any]:
    conditions = open_conditions(a)
    counts = {s: sum(1 for c in conditions if c["status"] == s) for s in OPEN_STATUS.values()}
    return {"district": district, "kind": kind, "renewal": renewal, "valid_to": valid_to,
            "enterprise_id": a.enterprise_id, "name": a.enterprise_name, "status": a.status,
            "n_failed": counts["failed"], "n_undecided": counts["undecided"],
            "n_missing": counts["missing"], "shortfall": a.shortfall,
            "conditions": conditions, "_ent": ent}


def district_pipeline(pack: Pack, enterprises: list[Enterprise], districts: Mapping[str, str],
                      as_of: date, *, top: int = 20, within_days: int = 90,
                      max_failed: int = 2, max_shortfall: float = 0.25,
                      district: str | None = None, kind: str | None = None
                      ) -> DistrictPipeline:
    """The ``top`` firms nearest the pack's thresholds in each district, first-time candidates
    and renewals (lapsed or expiring holders) ranked apart, each with every condition it does
    not meet (:func:`open_conditions`).

    ``districts`` maps an enterprise id to its district code; ``district`` and ``kind`` keep
    one district or one kind. A firm is listed when at most ``max_failed`` conditions fail and
    their summed relative shortfall is at most ``max_shortfall`` (a firm where nothing fails
    but data is missing is listed first: it may qualify once the data is in). Ranking: fewer
    failed conditions, smaller shortfall, fewer undecided or missing ones, then id. Holders not
    yet due are left out. Gaps (what would close a failed condition) are solved only for the
    listed firms.
    """
    ev = Evaluator(pack)
    counts: dict[str, int] = defaultdict(int)
    pools: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    holders = 0
    for ent in enterprises:
        where = districts.get(str(ent.id), "")
        if district is not None and where != district:
            continue
        which, valid_to = holder_kind(ent, pack, as_of, within_days)
        if which is None:
            holders += 1
            continue
        if kind is not None and which != kind:
            continue
        a = ev.assess(ent, as_of, gaps=False)
        counts[a.status] += 1
        failing = a.failing()
        if len(failing) > max_failed or a.shortfall > max_shortfall:
            continue
        renewal = None if which == "candidate" else (
            "lapsed" if valid_to is not None and valid_to < as_of else "expiring")
        pools[(where, which)].append(_firm(a, ent, where, which, valid_to, renewal))
    firms: list[dict[str, Any]] = []
    for _key, pool in sorted(pools.items(), key=lambda item: item[0]):
        pool.sort(key=lambda f: (f["n_failed"], f["shortfall"],
                                 f["n_undecided"] + f["n_missing"], str(f["enterprise_id"])))
        for rank, firm in enumerate(pool[:top], start=1):
            ent = firm.pop("_ent")
            if firm["n_failed"]:  # what would close each failed condition
                firm["conditions"] = open_conditions(ev.assess(ent, as_of, gaps=True))
            firms.append({"rank": rank, **firm})
    return DistrictPipeline(pack.code, as_of, sum(counts.values()), holders, dict(counts), firms)
