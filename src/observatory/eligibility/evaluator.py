"""Evaluate an enterprise against a rule pack: per-criterion verdicts, scores, sentences and gaps.

Statuses use three-valued logic plus ``borderline`` (the result depends on self-graded score
items whose range straddles the threshold). A failed criterion with a declared lever gets a gap
computed from the rule itself: the smallest change of the lever that makes the criterion pass,
found by bisection on the pack's own expression (so a pack change never needs code).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, TypeVar

from observatory.eligibility.expressions import Context, MissingData, compare, evaluate
from observatory.eligibility.model import Enterprise
from observatory.eligibility.packs import (
    Criterion,
    Lever,
    Pack,
    ScoreItem,
    ScoreTable,
    Templates,
    points_range,
)
from observatory.i18n import fmt_measure as fmt

Status = Literal["passed", "failed", "insufficient_data", "borderline"]
Lang = Literal["en", "zh"]
OP_SYMBOL = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}
NEGATION = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠", "!=": "="}

_T = TypeVar("_T")


def _given(value: _T | None, key: str) -> _T:
    """A key the pack's validators require for this kind (so never None once loaded)."""
    if value is None:
        raise ValueError(f"pack key {key!r} is missing")
    return value


# -- results --------------------------------------------------------------------------------------
@dataclass
class Gap:
    """What would close a failed criterion."""

    reachable: bool
    lever: str | None = None
    delta: float | None = None
    unit: str = "count"
    target: Any = None
    date: date | None = None
    shortfall: float = 1.0
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    sentence_en: str = ""
    sentence_zh: str = ""


@dataclass
class ItemResult:
    id: str
    name_en: str
    name_zh: str
    value: Any
    unit: str
    points: tuple[float, float]
    max_points: float
    label: str | None = None
    missing: list[str] = field(default_factory=list)
    next_band: dict[str, Any] | None = None
    verified: bool = True
    notes: list[str] = field(default_factory=list)


@dataclass
class GroupResult:
    id: str
    name_en: str
    name_zh: str
    max: float
    points: tuple[float, float]
    items: list[ItemResult]


@dataclass
class ScoreResult:
    id: str
    name_en: str
    name_zh: str
    points: tuple[float, float]
    groups: list[GroupResult]

    def find(
        self, group: str | None, item: str | None
    ) -> tuple[tuple[float, float], list[ItemResult]]:
        if item:
            for g in self.groups:
                for i in g.items:
                    if i.id == item:
                        return i.points, [i]
        if group:
            for g in self.groups:
                if g.id == group:
                    return g.points, g.items
        return self.points, [i for g in self.groups for i in g.items]


@dataclass
class CriterionResult:
    id: str
    kind: str
    name_en: str
    name_zh: str
    status: Status
    value: Any = None
    threshold: float | None = None
    op: str | None = None
    unit: str = "count"
    band_en: str | None = None
    band_zh: str | None = None
    missing: list[str] = field(default_factory=list)
    gap: Gap | None = None
    sentence_en: str = ""
    sentence_zh: str = ""
    basis: str | None = None
    verified: bool = True
    notes: list[str] = field(default_factory=list)
    children: list[CriterionResult] = field(default_factory=list)
    shortfall: float = 0.0

    def leaves(self) -> list[CriterionResult]:
        if not self.children:
            return [self]
        return [leaf for c in self.children for leaf in c.leaves()]


@dataclass
class Assessment:
    pack: str
    pack_version: str
    enterprise_id: str | None
    enterprise_name: str | None
    as_of: date
    fiscal_year: int
    status: Status
    criteria: list[CriterionResult]
    scores: dict[str, ScoreResult]
    unverified: list[str]
    shortfall: float

    def failing(self) -> list[CriterionResult]:
        """Failed leaf criteria (the ones to work on)."""
        return [leaf for c in self.criteria for leaf in c.leaves() if leaf.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


# -- combining statuses ---------------------------------------------------------------------------
def combine_all(statuses: list[Status]) -> Status:
    """all-of: one failure fails; else missing data; else borderline; else passed."""
    for s in ("failed", "insufficient_data", "borderline"):
        if s in statuses:
            return s
    return "passed"


def combine_any(statuses: list[Status]) -> Status:
    """any-of: one pass passes; else borderline; else missing data; else failed."""
    for s in ("passed", "borderline", "insufficient_data"):
        if s in statuses:
            return s
    return "failed"


# -- scores ---------------------------------------------------------------------------------------
def _score_item(item: ScoreItem, ctx: Context) -> ItemResult:
    res = ItemResult(item.id, item.name_en, item.name_zh, None, item.unit, (0.0, 0.0),
                     item.max_points(), verified=item.verified)
    before = len(ctx.notes)
    try:
        points = _item_points(item, ctx, res)
    except MissingData as exc:
        res.notes = ctx.notes[before:]
        res.missing = exc.fields
        res.points = (0.0, res.max_points)
        return res
    if item.refine_with is not None:
        grade = ctx.ent.self_grades.get(item.refine_with)
        if isinstance(grade, int | float):
            points = (min(max(float(grade), points[0]), points[1]),) * 2
    res.points = points
    res.notes = list(dict.fromkeys(ctx.notes[before:]))
    return res


def _item_points(item: ScoreItem, ctx: Context, res: ItemResult) -> tuple[float, float]:
    """The item's points as (low, high), filling in ``res``'s value, label and next band."""
    return _ITEM_SCORERS[item.kind](item, ctx, res)


def _bands_points(item: ScoreItem, ctx: Context, res: ItemResult) -> tuple[float, float]:
    value = evaluate(_given(item.value, "value"), ctx)
    res.value = value
    for idx, band in enumerate(item.bands):
        if band.contains(float(value)):
            res.label = band.label
            if idx > 0:
                better = item.bands[idx - 1]
                up = better.min is not None
                res.next_band = {
                    "target": better.min if up else better.max,
                    "direction": "increase" if up else "decrease",
                    "strict": better.min_exclusive if up else better.max_exclusive,
                    "gain": points_range(better.points)[0] - points_range(band.points)[0],
                    "label": better.label,
                }
            return points_range(band.points)
    raise AssertionError("bands end with a catch-all")  # validated on load


def _cases_points(item: ScoreItem, ctx: Context, res: ItemResult) -> tuple[float, float]:
    for case in item.cases:
        if all(compare(float(evaluate(c.value, ctx)), c.op, c.threshold)
               for c in case.conditions()):
            res.label = case.label
            return points_range(case.points)
    return points_range(item.else_points)


def _categorical_points(item: ScoreItem, ctx: Context, res: ItemResult) -> tuple[float, float]:
    value = evaluate(_given(item.value, "value"), ctx)
    res.value = value
    key = str(value).lower() if isinstance(value, bool) else str(value)
    return points_range(item.map.get(key, item.default))


def _self_graded_points(item: ScoreItem, ctx: Context, res: ItemResult) -> tuple[float, float]:
    grade = ctx.ent.self_grades.get(item.id)
    if grade is None:
        raise MissingData([f"self_grades.{item.id}"])
    res.value = grade
    if isinstance(grade, str):
        if grade not in item.grades:
            raise MissingData([f"self_grades.{item.id} (grade {grade!r} not in "
                               f"{sorted(item.grades)})"])
        return points_range(item.grades[grade])
    p = min(max(float(grade), 0.0), res.max_points)
    return (p, p)


def _per_item_points(item: ScoreItem, ctx: Context, res: ItemResult) -> tuple[float, float]:
    count = sum(1 for e in item.items if bool(evaluate(e, ctx)))
    res.value = count
    p = min(count * float(item.points or 0), float(item.cap or 0))
    return (p, p)


def _step_points(item: ScoreItem, ctx: Context, res: ItemResult) -> tuple[float, float]:
    value = float(evaluate(_given(item.value, "value"), ctx))
    res.value = value
    steps = math.floor(value / float(item.per or 1) + 1e-9)
    p = min(max(steps, 0) * float(item.points or 0), float(item.cap or 0))
    return (p, p)


def _max_of_points(item: ScoreItem, ctx: Context, res: ItemResult) -> tuple[float, float]:
    """The applicant may choose the option that scores best."""
    options = [_score_item(o, ctx) for o in item.options]
    known = [o for o in options if not o.missing]
    if not known:
        raise MissingData([f for o in options for f in o.missing])
    best = max(known, key=lambda o: o.points)
    res.value, res.unit, res.label = best.value, best.unit, best.name_en
    res.next_band = best.next_band
    hi = max(o.points[1] for o in options)
    return (best.points[0], hi)


_ITEM_SCORERS: dict[str, Callable[[ScoreItem, Context, ItemResult], tuple[float, float]]] = {
    "bands": _bands_points,
    "cases": _cases_points,
    "categorical": _categorical_points,
    "self_graded": _self_graded_points,
    "per_item": _per_item_points,
    "step": _step_points,
    "max_of": _max_of_points,
}


def score_table(table: ScoreTable, ctx: Context) -> ScoreResult:
    groups = []
    for g in table.groups:
        items = [_score_item(i, ctx) for i in g.items]
        lo = min(sum(i.points[0] for i in items), g.max)
        hi = min(sum(i.points[1] for i in items), g.max)
        groups.append(GroupResult(g.id, g.name_en, g.name_zh, g.max, (lo, hi), items))
    total = (sum(g.points[0] for g in groups), sum(g.points[1] for g in groups))
    return ScoreResult(table.id, table.name_en, table.name_zh, total, groups)


# -- gaps -----------------------------------------------------------------------------------------
def _lever_deltas(lever: Lever, x: float) -> dict[tuple[str, str, int], float]:
    if lever.kind == "time":
        return {("time", "days", 0): x}
    out: dict[tuple[str, str, int], float] = {(lever.kind, lever.field, lever.offset): x}
    for other in lever.also:
        out[("year", other, lever.offset)] = out.get(("year", other, lever.offset), 0.0) + x
    return out


def _lever_base(lever: Lever, ctx: Context) -> float:
    try:
        if lever.kind == "year":
            return ctx.year_value(lever.field, ctx.fiscal_year - lever.offset)
        if lever.kind == "fact":
            return float(ctx.ent.facts.get(lever.field) or 0.0)
        if lever.kind == "ip":
            return float(getattr(ctx.ent.ip, lever.field) or 0.0)
    except MissingData:
        return 0.0
    return 0.0


def solve_lever(lever: Lever, ctx: Context, passes: Any) -> float | None:
    """Smallest change of the lever (in its direction) for which ``passes(ctx)`` holds.

    Assumes the criterion is monotone in the lever. Returns ``None`` when no change within
    2^60 times the current scale (or, when decreasing, down to zero) makes it pass.
    """
    sign = 1.0 if lever.direction == "increase" else -1.0
    base = _lever_base(lever, ctx)

    def ok(x: float) -> bool:
        try:
            return bool(passes(ctx.shifted(_lever_deltas(lever, sign * x))))
        except MissingData:
            return False

    if ok(0.0):
        return 0.0
    if sign < 0 and lever.kind != "time":
        hi = abs(base)
        if hi == 0 or not ok(hi):
            return None
    else:
        hi = max(abs(base), 1.0)
        for _ in range(60):
            if ok(hi):
                break
            hi *= 2
        else:
            return None
    lo = 0.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-12 * max(1.0, hi):
            break
    if lever.integer or lever.kind == "time":
        n = math.ceil(hi - 1e-9)
        while not ok(n):
            n += 1
        hi = float(n)
    return sign * hi


# -- criteria -------------------------------------------------------------------------------------
class Evaluator:
    """Evaluate one pack; reusable across enterprises."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self.sources = {s.id: s for s in pack.sources}

    @property
    def templates(self) -> Templates:
        return _given(self.pack.templates, "templates")  # parse_pack fills the common ones

    def assess(self, enterprise: Enterprise | dict[str, Any], as_of: date | None = None,
               gaps: bool = True) -> Assessment:
        ent = (enterprise if isinstance(enterprise, Enterprise)
               else Enterprise.model_validate(enterprise))
        ctx = Context.of(ent, as_of)
        scores = {t.id: score_table(t, ctx) for t in self.pack.scores}
        results = [self._criterion(c, ctx, scores, gaps) for c in self.pack.criteria]
        status = combine_all([r.status for r in results])
        shortfall = sum(r.shortfall for r in results if r.status == "failed")
        return Assessment(self.pack.code, self.pack.version, ent.id, ent.name, ctx.as_of,
                          ctx.fiscal_year, status, results, scores, self.pack.unverified, shortfall)

    def passes(self, c: Criterion, ctx: Context) -> bool:
        """Whether ``c`` passes in ``ctx`` (used by the gap solver)."""
        scores = {t.id: score_table(t, ctx) for t in self.pack.scores} if c.kind == "score" else {}
        return self._criterion(c, ctx, scores, gaps=False).status == "passed"

    def _basis(self, c: Criterion) -> str | None:
        if c.basis is None:
            return None
        src = self.sources[c.basis.source]
        ref = f" ({src.ref})" if src.ref else ""
        art = f", {c.basis.article}" if c.basis.article else ""
        return f"{src.title_zh}{ref}{art}"

    def _criterion(self, c: Criterion, ctx: Context, scores: dict[str, ScoreResult],
                   gaps: bool) -> CriterionResult:
        res = CriterionResult(c.id, c.kind, c.name_en, c.name_zh, "insufficient_data", op=c.op,
                              unit=c.unit, basis=self._basis(c), verified=c.verified)
        notes_before = len(ctx.notes)
        if c.kind in {"all_of", "any_of"}:
            res.children = [self._criterion(k, ctx, scores, gaps) for k in c.criteria]
            statuses = [k.status for k in res.children]
            res.status = combine_all(statuses) if c.kind == "all_of" else combine_any(statuses)
            failed = [k.shortfall for k in res.children if k.status == "failed"]
            if res.status == "failed":
                res.shortfall = sum(failed) if c.kind == "all_of" else min(failed)
            res.op = None
        elif c.kind == "switch":
            try:
                by = float(evaluate(_given(c.band_by, "band_by"), ctx))
            except MissingData as exc:
                res.missing = exc.fields
            else:
                case = next(k for k in c.cases if k.upper is None
                            or compare(by, "<=" if k.upper_inclusive else "<", k.upper))
                res.band_en, res.band_zh = case.label_en, case.label_zh
                child = self._criterion(case.criterion, ctx, scores, gaps)
                res.children, res.status, res.shortfall = [child], child.status, child.shortfall
            res.op = None
        elif c.kind == "score":
            self._score_criterion(c, ctx, scores, res)
        else:
            self._value_criterion(c, ctx, res)
        res.notes = list(dict.fromkeys(ctx.notes[notes_before:]))
        if res.status == "failed" and gaps and c.kind not in {"all_of", "any_of", "switch"}:
            res.gap = self._gap(c, ctx, res, scores)
        self._sentences(c, res)
        return res

    def _value_criterion(self, c: Criterion, ctx: Context, res: CriterionResult) -> None:
        try:
            value = evaluate(_given(c.value, "value"), ctx)
        except MissingData as exc:
            res.missing = exc.fields
            if c.kind == "banded_threshold":
                self._band(c, ctx, res)
            return
        res.value = value
        if c.kind == "boolean":
            res.status = "passed" if bool(value) == c.expect else "failed"
            res.unit, res.op, res.shortfall = "bool", None, 1.0
            return
        if c.kind == "in_set":
            res.status = "passed" if value in c.values else "failed"
            res.unit, res.op, res.shortfall = "text", None, 1.0
            return
        if c.kind == "banded_threshold":
            band = self._band(c, ctx, res)
            if band is None:
                return
            threshold = band
        else:
            threshold = _given(c.threshold, "threshold")
        res.threshold = threshold
        ok = compare(float(value), c.op, float(threshold))
        res.status = "passed" if ok else "failed"
        if not ok:
            res.shortfall = abs(float(threshold) - float(value)) / max(abs(float(threshold)), 1e-12)

    def _band(self, c: Criterion, ctx: Context, res: CriterionResult) -> float | None:
        try:
            by = float(evaluate(_given(c.band_by, "band_by"), ctx))
        except MissingData as exc:
            res.missing = list(dict.fromkeys(res.missing + exc.fields))
            return None
        band = next(b for b in c.bands if b.upper is None
                    or compare(by, "<=" if b.upper_inclusive else "<", b.upper))
        res.band_en, res.band_zh = band.label_en, band.label_zh
        return band.threshold

    def _score_criterion(self, c: Criterion, ctx: Context, scores: dict[str, ScoreResult],
                         res: CriterionResult) -> None:
        (lo, hi), items = scores[_given(c.score, "score")].find(c.group, c.item)
        res.value, res.threshold, res.unit = (lo, hi), c.threshold, "points"
        missing = [f for i in items for f in i.missing]
        res.missing = missing
        thr = float(_given(c.threshold, "threshold"))
        if compare(lo, c.op, thr):
            res.status = "passed"
        elif not compare(hi, c.op, thr):
            res.status = "failed"
            res.shortfall = abs(thr - lo) / max(abs(thr), 1e-12)
        else:
            res.status = "insufficient_data" if missing else "borderline"

    def _gap(self, c: Criterion, ctx: Context, res: CriterionResult,
             scores: dict[str, ScoreResult]) -> Gap:
        t = self.templates
        if c.kind == "score":
            return self._score_gap(c, res, scores)
        if c.kind in {"boolean", "in_set"} or c.lever is None:
            if c.kind == "boolean":
                req = (fmt(c.expect, "bool", "en"), fmt(c.expect, "bool", "zh"))
            elif c.kind == "in_set":
                req = (", ".join(c.values), "、".join(c.values))
            else:
                req = (f"{OP_SYMBOL[c.op]} {fmt(res.threshold, c.unit, 'en')}",
                       f"{OP_SYMBOL[c.op]} {fmt(res.threshold, c.unit, 'zh')}")
            return Gap(False, shortfall=res.shortfall or 1.0,
                       sentence_en=t.gap_boolean["en"].format(name=c.name_en, target=req[0]),
                       sentence_zh=t.gap_boolean["zh"].format(name=c.name_zh, target=req[1]))
        lever = c.lever
        delta = solve_lever(lever, ctx, lambda k: self.passes(c, k))
        if delta is None:
            return Gap(False, lever.name_en, shortfall=res.shortfall,
                       sentence_en=t.gap_unreachable["en"].format(lever=lever.name_en),
                       sentence_zh=t.gap_unreachable["zh"].format(lever=lever.name_zh))
        shifted = ctx.shifted(_lever_deltas(lever, delta))
        try:
            target = evaluate(_given(c.value, "value"), shifted)
        except MissingData:
            target = None
        if lever.kind == "time":
            when = ctx.as_of + timedelta(days=delta)
            return Gap(True, lever.name_en, delta, "days", target, when, res.shortfall,
                       sentence_en=t.gap_time["en"].format(lever=lever.name_en, target=when),
                       sentence_zh=t.gap_time["zh"].format(lever=lever.name_zh, target=when))
        tmpl_en = lever.gap_en or t.gap["en"]
        tmpl_zh = lever.gap_zh or t.gap["zh"]
        return Gap(True, lever.name_en, delta, lever.unit, target, None, res.shortfall,
                   sentence_en=tmpl_en.format(lever=lever.name_en,
                                              delta=fmt(delta, lever.unit, "en", signed=True),
                                              target=fmt(target, c.unit, "en")),
                   sentence_zh=tmpl_zh.format(lever=lever.name_zh,
                                              delta=fmt(delta, lever.unit, "zh", signed=True),
                                              target=fmt(target, c.unit, "zh")))

    def _score_gap(self, c: Criterion, res: CriterionResult,
                   scores: dict[str, ScoreResult]) -> Gap:
        (lo, _), items = scores[_given(c.score, "score")].find(c.group, c.item)
        thr = float(_given(c.threshold, "threshold"))
        short = thr - lo if c.op in {">=", ">"} else lo - thr
        moves = []
        for i in items:
            nb = i.next_band
            if nb and nb["gain"] > 0:
                moves.append({"item": i.id, "name_en": i.name_en, "name_zh": i.name_zh,
                              "value": i.value, "target": nb["target"], "unit": i.unit,
                              "direction": nb["direction"], "strict": nb["strict"],
                              "gain": nb["gain"]})
        moves.sort(key=lambda m: -m["gain"])
        t = self.templates

        def listing(lang: Lang) -> str:
            sep = "; " if lang == "en" else "；"
            parts = []
            for m in moves:
                rel = {("increase", False): "≥", ("increase", True): ">",
                       ("decrease", True): "<", ("decrease", False): "≤"}[
                    (m["direction"], bool(m["strict"]))]
                parts.append(f"{m['name_' + lang]} {fmt(m['value'], m['unit'], lang)} → {rel} "
                             f"{fmt(m['target'], m['unit'], lang)} "
                             f"(+{fmt(m['gain'], 'points', lang)})")
            return sep.join(parts) or "—"

        strict = " (more than)" if c.op == ">" else ""
        return Gap(True, None, short, "points", thr, None, res.shortfall, moves,
                   sentence_en=t.gap_score["en"].format(delta=fmt(short, "points", "en") + strict,
                                                        target=listing("en")),
                   sentence_zh=t.gap_score["zh"].format(
                       delta=("超过" if c.op == ">" else "") + fmt(short, "points", "zh"),
                       target=listing("zh")))

    def _sentences(self, c: Criterion, res: CriterionResult) -> None:
        t = self.templates
        for lang in ("en", "zh"):
            template = getattr(c, f"sentence_{lang}") or t.sentences[c.kind][lang]
            op = res.op
            if op is not None and res.status == "failed" and c.kind != "score":
                symbol = NEGATION[op]
            elif op is not None and res.status == "failed":
                symbol = "<" if op in {">", ">="} else ">"
            else:
                symbol = OP_SYMBOL.get(op or "", "")
            text = template.format(
                name=getattr(c, f"name_{lang}"),
                value=fmt(res.value, res.unit, lang),
                op=symbol,
                threshold=fmt(res.threshold, res.unit if c.kind != "score" else "points", lang),
                band=getattr(res, f"band_{lang}") or "—",
                status=t.status[res.status][lang],
                points=fmt(res.value, "points", lang) if c.kind == "score" else "",
                lever="", delta="", target="",
            )
            if res.missing:
                miss = ", ".join(res.missing)
                text += f" [missing: {miss}]" if lang == "en" else f"［缺少：{miss}］"
            setattr(res, f"sentence_{lang}", text)


def assess(
    pack: Pack, enterprise: Enterprise | dict[str, Any], as_of: date | None = None
) -> Assessment:
    """Assess one enterprise against one pack."""
    return Evaluator(pack).assess(enterprise, as_of)
