"""Plans and the overview: plan > major projects > key tasks > targets with owners, statuses
and forecasts, and the overview that leads with the deployment's key plan.

The assessment is ``observatory.targets.plans`` (the path ``observatory targets status`` takes);
the report calls the same functions with the assessment cut at the report year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.config import Settings
from observatory.registry import models as m
from observatory.services.cache import figure_tables
from observatory.services.context import Deployment
from observatory.services.records import as_int, as_number
from observatory.services.series import indicator_unit, series_provider, target_series
from observatory.targets.plans import (
    PlanStatus,
    TargetStatus,
    TaskStatus,
    plan_statuses,
    registry_providers,
)
from observatory.targets.rollup import LAGGING, worst_status

#: (year, value) of a yearly series.
Point = tuple[int, float]
#: (year, p10, p50, p90) of a forecast.
FanPoint = tuple[int, float | None, float | None, float | None]


#: Region code -> (name_zh, name_en), from the regions table.
RegionNames = Mapping[str, tuple[str | None, str | None]]


class DistrictPace(BaseModel):
    """The yearly growth one district has shown and the growth it needs to reach its share of
    a target (the target's multiple or reduction applied to the district's own base)."""

    region: str
    name_zh: str | None
    name_en: str | None
    current_year: int | None
    current_value: float | None
    target_value: float | None
    observed_rate: float | None = Field(description="observed yearly growth (0.1 = 10 %)")
    required_rate: float | None = Field(description="yearly growth needed from now on")
    acceleration: float | None = Field(description="required minus observed")
    met: bool | None


class TargetView(BaseModel):
    """One target as pages, the API and the report show it."""

    code: str
    name_en: str | None
    name_zh: str | None
    indicator: str | None
    unit: str | None
    region: str | None
    form: str | None
    item: str | None
    owner: str | None
    illustrative: bool
    method: str | None
    status: str
    probability: float | None
    base_year: int | None
    current_year: int | None
    current_value: float | None
    target_year: int | None
    target_value: float | None
    required_rate: float | None
    observed_rate: float | None
    series_source: str
    history: list[Point]
    fan: list[FanPoint]
    note: str
    district_pace: list[DistrictPace] = Field(
        default_factory=list, description="each district's pace, where the target breaks down "
        "by district; the largest acceleration needed first")


class PlanSummaryView(BaseModel):
    counts: dict[str, int]
    lagging: list[str]
    not_assessed: list[str]
    total: int


class PlanNode(BaseModel):
    """A major project or key task with its targets and sub-tasks."""

    code: str
    kind: str | None
    name_en: str | None
    name_zh: str | None
    owner: str | None
    status: str | None
    due_on: str | None
    targets: list[TargetView]
    children: list[PlanNode]
    rollup_status: str | None


class PlanView(BaseModel):
    code: str
    name_en: str | None
    name_zh: str | None
    owner: str | None
    major_projects: list[PlanNode]
    targets: list[TargetView]
    rollup_status: str | None
    summary: PlanSummaryView


class PlansTree(BaseModel):
    assessment_year: int | None
    plans: list[PlanView]


class PlanHeader(BaseModel):
    code: str
    name_en: str | None
    name_zh: str | None
    owner: str | None


class OtherPlan(PlanHeader):
    rollup_status: str | None
    targets: list[TargetView]


class LaggingTarget(BaseModel):
    code: str
    name_en: str | None
    name_zh: str | None
    status: str
    method: str | None


class Overview(BaseModel):
    """The key plan's indicators, the other plans' targets, what lags, the GII rank."""

    synthetic: bool
    key_plan: PlanHeader | None
    key_indicators: list[TargetView]
    other_plans: list[OtherPlan]
    lagging: list[LaggingTarget]
    gii_rank: list[Point]
    as_of: str | None = None
    """When the figures' data was read (UTC, ISO 8601): the page may be served while a newer
    version is being computed (``services.cache``)."""
    stale: bool = False
    """True while newer data exists and the overview is being rebuilt in the background."""


def region_names(engine: Engine) -> dict[str, tuple[str | None, str | None]]:
    """Every region's names (Chinese, English) by code: districts read by name, not code."""
    with Session(engine) as session:
        return {code: (zh, en) for code, zh, en in session.execute(
            select(m.Region.code, m.Region.name_zh, m.Region.name_en))}


def district_pace(frame: pd.DataFrame | None, names: RegionNames) -> list[DistrictPace]:
    """The engine's per-district pace table (``pace_by_district``) with the districts' names."""
    if frame is None or frame.empty:
        return []
    out = []
    for rec in frame.to_dict("records"):
        zh, en = names.get(str(rec["region"]), (None, None))
        met = rec.get("met")
        out.append(DistrictPace(
            region=str(rec["region"]), name_zh=zh, name_en=en,
            current_year=as_int(rec.get("current_year"))
            if as_number(rec.get("current_year")) is not None else None,
            current_value=as_number(rec.get("current_value")),
            target_value=as_number(rec.get("target_value")),
            observed_rate=as_number(rec.get("observed_rate")),
            required_rate=as_number(rec.get("required_rate")),
            acceleration=as_number(rec.get("acceleration")),
            met=None if met is None or pd.isna(met) else bool(met)))
    return out


def target_view(ts: TargetStatus, origin: str, unit: str | None = None,
                names: RegionNames | None = None) -> TargetView:
    """A ``targets.plans.TargetStatus`` as the pages and the report show it."""
    d: dict[str, Any] = ts.as_dict()
    fan = [(int(rec.get("year", rec.get("index"))), as_number(rec.get("p10")),
            as_number(rec.get("p50")), as_number(rec.get("p90"))) for rec in d.get("fan") or []]
    return TargetView(
        code=d["code"], name_en=d["name_en"], name_zh=d["name_zh"], indicator=d["indicator"],
        unit=unit, region=d["region"], form=d["form"], item=d["item"], owner=d["owner"],
        illustrative=bool(d["illustrative"]), method=d["method"], status=d["status"],
        probability=as_number(d["probability"]), base_year=as_int(d["base_year"]),
        current_year=as_int(d["current_year"]), current_value=as_number(d["current_value"]),
        target_year=as_int(d["target_year"]), target_value=as_number(d["target_value"]),
        required_rate=as_number(d.get("required_rate")),
        observed_rate=as_number(d.get("observed_rate")), series_source=origin,
        history=[(int(y), float(v)) for y, v in sorted(d["history"].items())], fan=fan,
        note=d["error"] or d["note"] or ("" if d["history"] else "no series for this indicator"),
        district_pace=district_pace(ts.pace_by_district, names or {}))


def _plan_view(ps: PlanStatus, targets: list[TargetView], items: dict[str, m.PlanItem]
               ) -> PlanView:
    by_item: dict[str | None, list[TargetView]] = {}
    for tg in targets:
        by_item.setdefault(tg.item, []).append(tg)

    def node(task: TaskStatus) -> PlanNode:
        row = items.get(task.code)
        return PlanNode(
            code=task.code, kind=task.kind, name_en=task.name_en, name_zh=task.name_zh,
            owner=task.owner, status=row.status if row is not None else None,
            due_on=row.due_on.isoformat() if row is not None and row.due_on else None,
            targets=by_item.get(task.code, []), rollup_status=task.status,
            children=[node(k) for k in ps.items if k.parent == task.code])
    return PlanView(
        code=ps.code, name_en=ps.name_en, name_zh=ps.name_zh, owner=ps.owner,
        major_projects=[node(i) for i in ps.items if i.parent is None], targets=targets,
        rollup_status=worst_status([t.status for t in targets]),
        summary=PlanSummaryView(counts=ps.summary.counts, lagging=ps.summary.lagging,
                                not_assessed=ps.summary.not_assessed, total=ps.summary.total))


def _providers(engine: Engine, years: range) -> tuple[
        Callable[[str, str], pd.Series], Callable[[str, str], pd.DataFrame], dict[str, str]]:
    """The series and district tables targets are assessed on, and where each series came
    from: the indicator engine's, computed for every plan indicator and district in one call
    per target region, else the recorded observations (``services.series``)."""
    computed, districts_for = registry_providers(engine, years)
    fallback = series_provider(engine, years)
    origins: dict[str, str] = {}

    def series_for(code: str, region: str) -> pd.Series:
        found = computed(code, region)
        if len(found.dropna()):
            origins.setdefault(code, "indicators")
            return found
        origins.setdefault(code, target_series(engine, code, region, years)[1])
        return fallback(code, region)
    return series_for, districts_for, origins


def plans_tree(engine: Engine, settings: Settings, assessment_year: int | None = None
               ) -> PlansTree:
    """Every plan assessed with data up to ``assessment_year`` (all data when None), with each
    district's pace where a target breaks down by district."""
    series_for, districts_for, origins = _providers(engine, settings.years)
    names = region_names(engine)
    with Session(engine) as session:
        statuses = plan_statuses(session, series_for, assessment_year=assessment_year, seed=0,
                                 districts_for=districts_for)
        order = {c: i for i, c in enumerate(session.scalars(select(m.Plan.code)
                                                            .order_by(m.Plan.id)))}
        items = {i.code: i for i in session.scalars(select(m.PlanItem))}
    units: dict[str | None, str | None] = {}
    plans = []
    for ps in sorted(statuses, key=lambda p: order.get(p.code, 0)):
        targets = []
        for ts in ps.targets:
            key = ts.indicator
            if key not in units:
                units[key] = indicator_unit(engine, key)
            origin = origins.get(key, "none") if key else "none"
            targets.append(target_view(ts, origin, units[key], names))
        plans.append(_plan_view(ps, targets, items))
    return PlansTree(assessment_year=assessment_year, plans=plans)


def overview(engine: Engine, settings: Settings, tree: PlansTree | None = None) -> Overview:
    """The deployment's key plan (``settings.key_plan``) against its targets, the other plans'
    targets and what lags; without a key plan every plan shows alike."""
    tree = tree or plans_tree(engine, settings)
    key_code = settings.key_plan
    key = next((p for p in tree.plans if p.code == key_code), None)
    others = [p for p in tree.plans if p is not key]
    lagging = [t for p in tree.plans for t in p.targets if t.status in LAGGING]
    with Session(engine) as session:
        synthetic = bool(session.scalar(select(func.count()).select_from(m.Source)
                                        .where(m.Source.synthetic.is_(True))))
        gii = session.execute(select(m.Observation.period, m.Observation.value)
                              .where(m.Observation.indicator_code == "gii_rank",
                                     m.Observation.region_code == settings.region)
                              .order_by(m.Observation.period)).all()
    return Overview(
        synthetic=synthetic,
        key_plan=PlanHeader(code=key.code, name_en=key.name_en, name_zh=key.name_zh,
                            owner=key.owner) if key else None,
        key_indicators=key.targets if key else [],
        other_plans=[OtherPlan(code=p.code, name_en=p.name_en, name_zh=p.name_zh,
                               owner=p.owner, rollup_status=p.rollup_status,
                               targets=p.targets) for p in others],
        lagging=[LaggingTarget(code=t.code, name_en=t.name_en, name_zh=t.name_zh,
                               status=t.status, method=t.method) for t in lagging],
        gii_rank=[(int(p), float(v)) for p, v in gii])


def cached_plans(dep: Deployment) -> PlansTree:
    """The plans tree as the app serves it (cached while the figures' tables are unchanged;
    after a write the previous tree is served while one rebuild runs)."""
    return dep.cache.get("plans", lambda: plans_tree(dep.engine, dep.settings),
                         depends=figure_tables(), stale_ok=True)


def cached_overview(dep: Deployment) -> Overview:
    """The overview as the app serves it, with the time its data was read (``as_of``); after
    a write the previous overview is served while one rebuild runs (``services.cache``)."""
    def build() -> Overview:
        as_of = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return overview(dep.engine, dep.settings, cached_plans(dep)).model_copy(
            update={"as_of": as_of})

    hit = dep.cache.entry("overview", build, depends=figure_tables(), stale_ok=True)
    return hit.value.model_copy(update={"stale": True}) if hit.stale else hit.value
