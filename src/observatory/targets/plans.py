"""Plans in the registry, assessed end to end: plan > major projects > key tasks > targets.

A target row names a catalogue indicator and a region; the indicator engine supplies its yearly
series, ``observatory.targets.assess`` gives the status with the method named, and the required
pace says how much faster the city (and each district, where the indicator breaks down by
district) must go. Tasks take the worst status of their targets; plans summarise their tasks.

The series come from a provider so the same code serves the database, tests and notebooks:

>>> import pandas as pd
>>> provider = lambda code, region: pd.Series({2021: 10.0, 2022: 12.0, 2023: 14.0})
>>> # plan_statuses(session, provider) -> [PlanStatus, ...]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.targets.assess import METHODS, Assessment, assess
from observatory.targets.forms import (
    AllOf,
    CumulativeTarget,
    EveryYearTarget,
    LevelTarget,
    MultipleTarget,
    RangeTarget,
    RankTarget,
    ReductionTarget,
    Target,
    TargetError,
)
from observatory.targets.pace import Pace, required_pace, required_pace_by_group
from observatory.targets.rollup import PlanSummary, plan_summary, task_status

SeriesProvider = Callable[[str, str], pd.Series]
"""(indicator code, region code) -> yearly values indexed by year."""
DistrictProvider = Callable[[str, str], pd.DataFrame]
"""(indicator code, parent region) -> long frame with columns region, year, value."""


def target_form(row: m.Target) -> Target:
    """The progress form of a target row (validated; TargetError explains what is wrong)."""
    params: dict[str, Any] = dict(row.params or {})
    direction = 1 if row.direction == "higher" else -1
    value = None if row.target_value is None else float(row.target_value)
    return _form(row.form, params, direction, value, row.base_year, row.target_year)


def _form(form: str, params: dict[str, Any], direction: int, value: float | None,
          base_year: int | None, target_year: int) -> Target:
    def need_value() -> float:
        if value is None:
            raise TargetError(f"a {form} target needs a target value",
                              f"{form} 类目标需要目标值")
        return value

    def need_base() -> int:
        if base_year is None:
            raise TargetError(f"a {form} target needs a base year", f"{form} 类目标需要基期年份")
        return base_year

    if form == "multiple":
        return MultipleTarget(float(params.get("multiple", 2)), need_base(), target_year)
    if form == "reduction":
        return ReductionTarget(float(params["percent"]), need_base(), target_year)
    if form == "cumulative":
        start, end = params["window"] if "window" in params else (need_base() + 1, target_year)
        return CumulativeTarget(need_value(), int(start), int(end),
                                strict=bool(params.get("strict")))
    if form == "every_year":
        return EveryYearTarget(need_value(), direction,
                               from_year=params.get("from_year", base_year), to_year=target_year)
    if form == "rank":
        return RankTarget(int(need_value()), target_year, base_year)
    if form == "range":
        return RangeTarget(float(params["low"]), float(params["high"]), target_year, direction,
                           base_year)
    if form == "all":
        return AllOf(tuple(
            _form(c["form"], c.get("params", {}),
                  1 if c.get("direction", "higher") == "higher" else -1,
                  c.get("target_value"), c.get("base_year", base_year),
                  c.get("target_year", target_year))
            for c in params.get("conditions", [])))
    if form == "level":
        return LevelTarget(need_value(), target_year, direction, base_year)
    raise TargetError(f"unknown target form {form!r}", f"未知的目标形式 {form!r}")


@dataclass
class TargetStatus:
    """One target assessed: the status with its method, the forecast and the required pace."""

    code: str
    name_en: str
    name_zh: str
    plan: str
    item: str | None
    owner: str | None
    indicator: str | None
    region: str | None
    form: str
    illustrative: bool
    assessment: Assessment
    series: pd.Series
    pace: Pace | None = None
    pace_by_district: pd.DataFrame | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        return self.assessment.status

    @property
    def method(self) -> str:
        return self.assessment.method

    def as_dict(self) -> dict[str, Any]:
        a = self.assessment
        out: dict[str, Any] = {
            "code": self.code, "name_en": self.name_en, "name_zh": self.name_zh,
            "plan": self.plan, "item": self.item, "owner": self.owner,
            "indicator": self.indicator, "region": self.region, "form": self.form,
            "illustrative": self.illustrative, "method": a.method, "status": a.status,
            "score": a.score, "base_year": a.base_year, "base_value": a.base_value,
            "current_year": a.current_year, "current_value": a.current_value,
            "target_year": a.target_year, "target_value": a.target_value,
            "probability": a.probability, "p10": a.p10, "p50": a.p50, "p90": a.p90,
            "note": a.note, "error": self.error,
            "history": {int(k): float(v) for k, v in self.series.items()},
        }
        if a.fan is not None:
            out["fan"] = a.fan.reset_index().to_dict(orient="records")
        if self.pace is not None:
            out["required_rate"] = self.pace.required_rate
            out["observed_rate"] = self.pace.observed_rate
            out["acceleration"] = self.pace.acceleration
        if self.pace_by_district is not None:
            out["pace_by_district"] = self.pace_by_district.to_dict(orient="records")
        return out


@dataclass
class TaskStatus:
    code: str
    name_en: str
    name_zh: str
    kind: str
    owner: str | None
    parent: str | None
    status: str
    targets: list[str] = field(default_factory=list)


@dataclass
class PlanStatus:
    code: str
    name_en: str
    name_zh: str
    owner: str | None
    targets: list[TargetStatus]
    items: list[TaskStatus]
    summary: PlanSummary

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "name_en": self.name_en, "name_zh": self.name_zh,
            "owner": self.owner,
            "summary": {"counts": self.summary.counts, "lagging": self.summary.lagging,
                        "not_assessed": self.summary.not_assessed, "total": self.summary.total},
            "items": [vars(i) for i in self.items],
            "targets": [t.as_dict() for t in self.targets],
        }


def _pace(series: pd.Series, assessment: Assessment, form: Target, direction: int
          ) -> Pace | None:
    if isinstance(form, CumulativeTarget | EveryYearTarget | AllOf):
        return None
    if assessment.target_value is None or assessment.target_year is None or series.empty:
        return None
    return required_pace(series, assessment.target_value, assessment.target_year,
                         direction=direction)


def _district_pace(row: m.Target, form: Target, districts: pd.DataFrame, direction: int
                   ) -> pd.DataFrame | None:
    """Per-district pace where the target scales to each district (multiple, reduction)."""
    if not isinstance(form, MultipleTarget | ReductionTarget) or districts.empty:
        return None
    base = districts[districts["year"] == form.base_year].set_index("region")["value"]
    factor = form.factor if isinstance(form, MultipleTarget) else 1 - form.percent / 100
    frame = districts.assign(goal=districts["region"].map(base * factor)).dropna(subset=["goal"])
    frame = frame[frame["goal"] > 0]
    if frame.empty:
        return None
    return required_pace_by_group(frame, group="region", target_value="goal",
                                  target_year=form.year, direction=direction,
                                  base_year=form.base_year)


def assess_target(row: m.Target, series: pd.Series, *, plan_code: str, item_code: str | None,
                  method: str | None = None, assessment_year: int | None = None,
                  districts: pd.DataFrame | None = None, seed: int = 0) -> TargetStatus:
    """Assess one target row against its series; a bad definition becomes not_available."""
    method = method or row.method
    direction = 1 if row.direction == "higher" else -1
    params = row.params or {}
    series = pd.Series(series, dtype="float64").dropna().sort_index()
    if assessment_year is not None:
        series = series[series.index <= assessment_year]
    common = {"code": row.code, "name_en": row.name_en, "name_zh": row.name_zh,
              "plan": plan_code, "item": item_code, "owner": row.owner,
              "indicator": row.indicator_code, "region": row.region_code, "form": row.form,
              "illustrative": bool(params.get("illustrative")), "series": series}
    try:
        form = target_form(row)
        assessment = assess(series, form, method, series_id=row.code, seed=seed)
    except TargetError as exc:
        return TargetStatus(**common, assessment=Assessment(method, "not_available",
                                                            series_id=row.code),
                            error=f"{exc.en} / {exc.zh}")
    pace = _pace(series, assessment, form, direction)
    by_district = None
    if districts is not None:
        if assessment_year is not None:  # the districts see no more than the city does
            districts = districts[districts["year"].astype(int) <= assessment_year]
        by_district = _district_pace(row, form, districts, direction)
    return TargetStatus(**common, assessment=assessment, pace=pace, pace_by_district=by_district)


def plan_statuses(session: Session, series_for: SeriesProvider, *, plan: str | None = None,
                  method: str | None = None, assessment_year: int | None = None,
                  districts_for: DistrictProvider | None = None, seed: int = 0
                  ) -> list[PlanStatus]:
    """Assess every target of every plan (or of ``plan``) and roll the statuses up."""
    if method is not None and method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    query = select(m.Plan).order_by(m.Plan.code)
    if plan is not None:
        query = query.where(m.Plan.code == plan)
    plans = list(session.scalars(query))
    if plan is not None and not plans:
        raise LookupError(f"no plan {plan!r}")
    out = []
    for p in plans:
        items = list(session.scalars(select(m.PlanItem).where(m.PlanItem.plan_id == p.id)
                                     .order_by(m.PlanItem.id)))
        item_code = {i.id: i.code for i in items}
        targets = list(session.scalars(select(m.Target).where(m.Target.plan_id == p.id)
                                       .order_by(m.Target.id)))
        assessed = []
        for t in targets:
            region = t.region_code or ""
            series = series_for(t.indicator_code, region) if t.indicator_code else pd.Series()
            districts = (districts_for(t.indicator_code, region)
                         if districts_for is not None and t.indicator_code else None)
            assessed.append(assess_target(t, series, plan_code=p.code,
                                          item_code=(item_code.get(t.item_id)
                                                     if t.item_id is not None else None),
                                          method=method,
                                          assessment_year=assessment_year, districts=districts,
                                          seed=seed))
        by_item: dict[str | None, list[TargetStatus]] = {}
        for a in assessed:
            by_item.setdefault(a.item, []).append(a)
        tasks = []
        for i in items:
            own = by_item.get(i.code, [])
            if i.kind == "major_project":
                children = [c.code for c in items if c.parent_id == i.id]
                own = [a for c in children for a in by_item.get(c, [])] + own
            tasks.append(TaskStatus(i.code, i.name_en, i.name_zh, i.kind, i.owner,
                                    item_code.get(i.parent_id) if i.parent_id else None,
                                    task_status([a.status for a in own]),
                                    [a.code for a in own]))
        summary = plan_summary((a.code, a.status) for a in assessed)
        out.append(PlanStatus(p.code, p.name_en, p.name_zh, p.owner, assessed, tasks, summary))
    return out


def registry_providers(engine: Engine, years: Iterable[int]
                       ) -> tuple[SeriesProvider, DistrictProvider]:
    """Series from the indicator engine over ``years`` (the deployment's): the region's yearly
    values and its districts'.

    Every indicator the plans name is computed up front, broken down by region, in one engine
    call per target region (the engine's cost is per call, not per indicator); other codes are
    computed on first use.
    """
    from observatory import indicators

    with Session(engine) as session:
        children: dict[str, set[str]] = {}
        for code, parent in session.execute(select(m.Region.code, m.Region.parent_code)):
            children.setdefault(parent or "", set()).add(code)
        wanted: dict[str, set[str]] = {}
        for indicator, region in session.execute(select(m.Target.indicator_code,
                                                        m.Target.region_code).distinct()):
            if indicator and region:
                wanted.setdefault(region, set()).add(indicator)
    frames: list[pd.DataFrame] = []
    periods = list(years)
    catalogue = indicators.load_catalogue()
    for region, codes in sorted(wanted.items()):
        known = sorted(c for c in codes if c in catalogue)
        if known:
            frames.append(indicators.compute(engine, known, periods, region, by=("region",)))

    def lookup(code: str, regions: set[str], root: str) -> pd.DataFrame:
        for frame in frames:
            hit = frame[(frame["indicator"] == code) & frame["region"].isin(regions)]
            if not hit.empty:
                return hit
        if code not in catalogue:
            return pd.DataFrame(columns=["indicator", "region", "period", "value"])
        frame = indicators.compute(engine, [code], periods, root, by=("region",))
        frames.append(frame)
        return frame[frame["region"].isin(regions)]

    def series_for(code: str, region: str) -> pd.Series:
        hit = lookup(code, {region}, region)
        return pd.Series(hit["value"].to_numpy(dtype=float),
                         index=hit["period"].astype(int).to_numpy()).sort_index()

    def districts_for(code: str, region: str) -> pd.DataFrame:
        below = children.get(region, set())
        if not below:
            return pd.DataFrame(columns=["region", "year", "value"])
        hit = lookup(code, below, region)
        return hit.rename(columns={"period": "year"})[["region", "year", "value"]]

    return series_for, districts_for
