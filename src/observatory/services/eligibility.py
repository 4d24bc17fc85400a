"""Eligibility self-assessment: the bundled rule packs, an assessment of figures a user types
in (nothing stored) and an assessment from what the registry holds."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.config import Settings
from observatory.eligibility.evaluator import CriterionResult, Evaluator
from observatory.eligibility.evaluator import assess as assess_pack
from observatory.eligibility.inputs import (
    RegistryInputError,
    iter_enterprises,
    load_designations,
    load_enterprise,
    load_enterprises,
    registry_pipeline,
)
from observatory.eligibility.packs import Pack, get_pack, load_packs, pack_files
from observatory.eligibility.pipeline import KINDS, PipelineResult, district_pipeline
from observatory.i18n import pick
from observatory.registry import models as m
from observatory.services.access import in_scope
from observatory.services.auth import Principal
from observatory.services.enterprises import check_enterprise_access
from observatory.services.errors import Invalid, NotFound, ServiceError
from observatory.services.records import as_number, iso
from observatory.services.workbook import Sheet, SheetColumn, workbook_bytes

FIGURES = ("revenue", "high_tech_revenue", "rd_expense", "employees", "tech_staff")


class PackChoice(BaseModel):
    code: str
    name_en: str | None
    name_zh: str | None


class CriterionText(BaseModel):
    criterion: str
    status: str
    reason: str | None


class SelfAssessment(BaseModel):
    pack: str
    status: str
    as_of: str
    shortfall: float | None
    unverified: list[str]
    failing: list[CriterionText]
    criteria: list[CriterionText]


class RegistryAssessment(BaseModel):
    pack: str
    pack_version: str | None
    status: str
    as_of: str
    fiscal_year: int | None
    source: str
    missing: list[str]
    unverified: list[str]
    failing: list[CriterionText]
    criteria: list[CriterionText]


class SelfAssessmentInput(BaseModel):
    """Figures a user typed in for one fiscal year."""

    pack: str = "hte"
    founded: dt.date
    year: int
    revenue: float | None = None
    high_tech_revenue: float | None = None
    rd_expense: float | None = None
    employees: float | None = None
    tech_staff: float | None = None
    ip_class1: int | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, object], default_pack: str = "hte"
                  ) -> SelfAssessmentInput:
        """Parse a form or JSON body; a bad value is ``Invalid`` naming the field."""
        def number(name: str) -> float | None:
            raw = str(form.get(name) or "").strip().replace(",", "")
            if not raw:
                return None
            try:
                return float(raw)
            except ValueError:
                raise Invalid(f"{name}: expected a number", "应为数值") from None
        try:
            founded = dt.date.fromisoformat(str(form.get("founded")))
            year = int(str(form.get("year")))
        except ValueError:
            raise Invalid("founded (YYYY-MM-DD) and year are required",
                          "须填写成立日期（YYYY-MM-DD）和年份") from None
        ip = number("ip_class1")
        return cls(pack=str(form.get("pack") or default_pack), founded=founded, year=year,
                   ip_class1=None if ip is None else int(ip),
                   **{k: number(k) for k in FIGURES})


def default_pack(settings: Settings) -> str:
    """The pack forms start with: the deployment's ``default_pack``, else the first of its
    ``eligibility_packs``, else the first bundled national pack (never another city's)."""
    if settings.default_pack:
        return settings.default_pack
    if settings.eligibility_packs:
        return settings.eligibility_packs[0]
    packs = load_packs()
    return next((c for c, p in packs.items() if p.level == "national"), next(iter(packs)))


def eligibility_packs(settings: Settings | None = None) -> list[PackChoice]:
    """The packs a form offers: the deployment's (every bundled one when it names none), its
    default first, so a form that selects nothing starts on the deployment's pack."""
    packs = load_packs()
    codes = list(settings.eligibility_packs) if settings and settings.eligibility_packs \
        else list(packs)
    if settings is not None:
        first = default_pack(settings)
        codes = [first, *(c for c in codes if c != first)]
    return [PackChoice(code=c, name_en=packs[c].name_en, name_zh=packs[c].name_zh)
            for c in codes if c in packs]


def bundled_pack(code: str) -> Pack:
    """A pack shipped with the platform, by code. Never a path: web input must not name files.

    >>> bundled_pack("../../etc/passwd.yaml")
    Traceback (most recent call last):
    ...
    observatory.services.errors.Invalid: pack '../../etc/passwd.yaml': no such pack / 没有该规则包
    """
    if code not in {p.stem for p in pack_files()}:
        raise Invalid(f"pack {code!r}: no such pack", "没有该规则包")
    return get_pack(code)


def criterion_text(c: CriterionResult, lang: str) -> CriterionText:
    name = c.name_zh if lang == "zh" else c.name_en
    sentence = c.sentence_zh if lang == "zh" else c.sentence_en
    return CriterionText(criterion=name or c.id, status=str(c.status), reason=sentence)


def self_assess(given: SelfAssessmentInput, lang: str) -> SelfAssessment:
    """Run the eligibility evaluator on figures a user typed in (nothing is stored)."""
    figures = {k: getattr(given, k) for k in FIGURES if getattr(given, k) is not None}
    enterprise = {"founded": given.founded, "fiscal_year": given.year,
                  "as_of": dt.date(given.year + 1, 6, 30),
                  "years": [{"year": given.year, **figures}],
                  "ip": {"class1": given.ip_class1} if given.ip_class1 is not None else {}}
    try:
        result = assess_pack(bundled_pack(given.pack), enterprise)
    except ValueError as exc:
        raise Invalid(str(exc), "") from None
    return SelfAssessment(
        pack=result.pack, status=str(result.status), as_of=result.as_of.isoformat(),
        shortfall=as_number(result.shortfall), unverified=list(result.unverified),
        failing=[criterion_text(c, lang) for c in result.failing()],
        criteria=[criterion_text(c, lang) for c in result.criteria])


def registry_assessment(engine: Engine, p: Principal, org_id: int, pack_code: str,
                        as_of: str | None, lang: str) -> RegistryAssessment:
    """Assess an organisation from what the registry holds (the CLI's ``--org`` path) at
    ``as_of`` (ISO date; default today). NotFound for an organisation outside ``p``'s scope
    or the registry; Invalid for an unknown pack or one that cannot be assessed then."""
    check_enterprise_access(engine, p, org_id)
    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        raise Invalid(f"as_of {as_of!r}: expected YYYY-MM-DD", "评价日期应为 YYYY-MM-DD") from None
    pack = bundled_pack(pack_code)
    with Session(engine) as session:
        uscc = session.scalar(select(m.Organisation.uscc).where(m.Organisation.id == org_id))
        if uscc is None:
            raise NotFound()  # the same answer as an organisation outside the scope
        try:
            enterprise = load_enterprise(session, uscc, day)
        except RegistryInputError as exc:
            raise Invalid(exc.message_en, exc.message_zh) from None
    result = Evaluator(pack).assess(enterprise, day)
    missing = sorted({f for c in result.criteria for leaf in c.leaves() for f in leaf.missing})
    return RegistryAssessment(
        pack=result.pack, pack_version=None if result.pack_version is None
        else str(result.pack_version), status=str(result.status),
        as_of=result.as_of.isoformat(), fiscal_year=result.fiscal_year, source="registry",
        missing=missing, unverified=list(result.unverified),
        failing=[criterion_text(c, lang) for c in result.failing()],
        criteria=[criterion_text(c, lang) for c in result.criteria])


# ----- the pipeline, in process or as a Spark batch -----------------------------------------------
#: Where the pipeline runs: in this process, or as a Spark batch (the same result).
PIPELINE_BACKENDS = ("inprocess", "spark")


def pipeline_result(engine: Engine, pack: Pack, as_of: dt.date, *, backend: str = "inprocess",
                    lake: Path | None = None, **options: Any) -> PipelineResult:
    """The pipeline over every registry enterprise with yearly figures (``run_pipeline``'s
    options): in this process, or with ``backend="spark"`` as a Spark batch on the session of
    :func:`observatory.spark.spark_session` (``OBSERVATORY_SPARK_MASTER`` picks a cluster);
    with ``lake`` (spark only), the enterprises are built on the workers from a Parquet lake
    that ``export --format parquet`` wrote, without reading the database. All give the same
    result. Invalid for an unknown backend or a lake without spark; a ServiceError saying
    what to install when PySpark or Java is missing, what the lake lacks, or why the Spark
    job failed."""
    if backend not in PIPELINE_BACKENDS:
        raise Invalid(f"backend {backend!r}: use one of {', '.join(PIPELINE_BACKENDS)}",
                      f"运行方式 {backend!r}：只能取 {'、'.join(PIPELINE_BACKENDS)}")
    if lake is not None and backend != "spark":
        raise Invalid("a Parquet lake is read by the spark backend only: add --backend spark",
                      "只有 spark 运行方式读取 Parquet 数据湖：请加 --backend spark")
    if backend == "inprocess":
        return registry_pipeline(engine, pack, as_of, **options)
    return _spark_pipeline(engine, pack, as_of, lake, **options)


def _spark_pipeline(engine: Engine, pack: Pack, as_of: dt.date, lake: Path | None,
                    **options: Any) -> PipelineResult:
    """Without a lake, the registry's enterprises streamed a batch at a time into Parquet
    files, then assessed on Spark's workers from there (the driver never holds them all);
    with one, built and assessed on the workers from the lake."""
    from observatory.spark import SparkUnavailable, job_failure, spark_session

    try:
        spark = spark_session()
    except SparkUnavailable as exc:
        en, _, zh = str(exc).partition(" / ")
        raise ServiceError(en, zh) from None
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    from observatory.eligibility.lake import lake_pipeline
    from observatory.eligibility.spark import (
        read_enterprises_parquet,
        run_pipeline_spark,
        write_enterprise_files,
    )
    from observatory.registry.parquet import LakeError

    with Session(engine) as session, tempfile.TemporaryDirectory(
            prefix="observatory-enterprises-") as folder:
        try:
            if lake is None:
                write_enterprise_files(iter_enterprises(session, as_of), Path(folder))
                run = run_pipeline_spark(pack, read_enterprises_parquet(spark, folder),
                                         load_designations(session, pack.code), as_of,
                                         **options)
            else:
                run = lake_pipeline(spark, lake, pack, as_of, **options)
        except LakeError as exc:
            en, _, zh = str(exc).partition(" / ")
            raise ServiceError(en, zh) from None
        except (PySparkException, Py4JError) as exc:
            failure = job_failure(exc)
            raise ServiceError(failure.en, failure.zh) from None
        run.release()  # before the files it was read from go
    return run.result


# ----- the cultivation list by district ----------------------------------------------------------
KIND_CHOICES = ("all", *KINDS)
#: The evaluator's "[missing: …]" note: the fields are listed apart (``OpenCondition.missing``).
_MISSING_NOTE = re.compile(r"\s*(\[missing: [^\]]*\]|［缺少：[^］]*］)")


class OpenCondition(BaseModel):
    """One condition a firm does not meet: it fails, is undecided or lacks data."""

    criterion: str
    name: str
    status: Literal["failed", "undecided", "missing"]
    value: float | str | None
    threshold: float | None
    missing: list[str] = Field(description="fields the registry lacks, self-graded score "
                                           "items as self_grades.<item>")
    self_graded: list[str] = Field(description="expert-graded score items not given")
    explanation: str
    gap: str = Field(description="what would close a failed condition")


class CultivationFirm(BaseModel):
    rank: int = Field(description="rank within its district and kind (1 = nearest)")
    district: str
    district_name: str
    kind: Literal["candidate", "renewal"]
    renewal: Literal["lapsed", "expiring"] | None
    valid_to: str | None = Field(description="the held certificate's last day (renewals)")
    enterprise_id: str | None
    name: str | None
    status: str
    n_failed: int
    n_undecided: int
    n_missing: int
    shortfall: float | None
    conditions: list[OpenCondition]


class DistrictList(BaseModel):
    district: str
    name_zh: str | None
    name_en: str | None
    candidates: list[CultivationFirm]
    renewals: list[CultivationFirm]


class RegionChoice(BaseModel):
    code: str
    name_zh: str | None
    name_en: str | None


class CultivationFilters(BaseModel):
    pack: str
    district: str | None
    kind: str
    top: int
    as_of: str


class CultivationList(BaseModel):
    """The cultivation list by district, as the pipeline page, its JSON and the CLI show it."""

    pack: str
    pack_name_en: str | None
    pack_name_zh: str | None
    filters: CultivationFilters
    assessed: int
    holders_excluded: int
    status_counts: dict[str, int]
    districts: list[DistrictList]
    packs: list[PackChoice]
    district_choices: list[RegionChoice]


def _districts(engine: Engine, home: str) -> tuple[list[RegionChoice], dict[str, str]]:
    """The home region's children (districts of a city, cities of a province) and, for every
    enterprise, the child its region lies in."""
    with Session(engine) as session:
        regions = {code: (parent, zh, en) for code, parent, zh, en in session.execute(
            select(m.Region.code, m.Region.parent_code, m.Region.name_zh, m.Region.name_en))}
        orgs = session.execute(select(m.Organisation.uscc, m.Organisation.region_code)
                               .where(m.Organisation.kind == "enterprise")).all()
    choices = [RegionChoice(code=c, name_zh=zh, name_en=en)
               for c, (parent, zh, en) in sorted(regions.items()) if parent == home]

    def child(code: str | None) -> str:
        seen = 0
        while code is not None and seen < 8:
            parent = regions.get(code, (None, None, None))[0]
            if parent == home:
                return code
            code, seen = parent, seen + 1
        return ""
    return choices, {uscc: child(region) for uscc, region in orgs}


def _choose_district(value: str | None, choices: list[RegionChoice]) -> str | None:
    if not value:
        return None
    for c in choices:
        if value.strip() in (c.code, c.name_zh, c.name_en):
            return c.code
    known = ", ".join(f"{c.code} {c.name_zh}" for c in choices)
    raise Invalid(f"district {value!r}: not a district of this deployment ({known})",
                  f"区（市）{value!r} 不在本部署范围内（{known}）")


def _condition(c: dict[str, Any], lang: str) -> OpenCondition:
    value = c["value"]
    if isinstance(value, list | tuple):
        value = "–".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    elif isinstance(value, bool) or not isinstance(value, int | float | type(None)):
        value = str(value)
    return OpenCondition(
        criterion=c["criterion"], name=(c["name_zh"] if lang == "zh" else c["name_en"])
        or c["criterion"], status=c["status"], value=value, threshold=as_number(c["threshold"]),
        missing=c["missing"], self_graded=c["self_graded"],
        explanation=_MISSING_NOTE.sub("", c["sentence_zh"] if lang == "zh"
                                      else c["sentence_en"]).rstrip(),
        gap=c["gap_zh"] if lang == "zh" else c["gap_en"])


def cultivation_list(engine: Engine, settings: Settings, pack: Pack | str | None = None, *,
                     district: str | None = None, kind: str | None = None, top: int = 20,
                     as_of: str | dt.date | None = None, within_days: int = 90,
                     lang: str = "zh", p: Principal | None = None) -> CultivationList:
    """The ``top`` registry enterprises nearest ``pack`` in each district (the home region's
    children), first-time candidates and renewals apart, each with every condition it does
    not meet. ``pack`` defaults to the deployment's; a bad filter is ``Invalid``. With a
    principal ``p`` whose home region is narrower than the deployment's, only the districts in
    its scope are listed (another district answers as an unknown one)."""
    rule_pack = pack if isinstance(pack, Pack) else bundled_pack(pack or default_pack(settings))
    if (kind or "all") not in KIND_CHOICES:
        raise Invalid(f"kind {kind!r}: use one of {', '.join(KIND_CHOICES)}",
                      f"类别 {kind!r}：只能取 {'、'.join(KIND_CHOICES)}")
    if not 1 <= top <= 1000:
        raise Invalid(f"top {top}: use 1 to 1000", f"每区（市）数量 {top}：应为 1 至 1000")
    try:
        day = as_of if isinstance(as_of, dt.date) else (
            dt.date.fromisoformat(as_of) if as_of else dt.date.today())
    except ValueError:
        raise Invalid(f"as_of {as_of!r}: expected YYYY-MM-DD", "评价日期应为 YYYY-MM-DD") from None
    choices, where = _districts(engine, settings.region)
    if p is not None and p.scope is not None:
        choices = [c for c in choices if in_scope(p, c.code)]
    code = _choose_district(district, choices)
    chosen = None if kind in (None, "all") else kind
    allowed = {c.code for c in choices}
    firms = [e for e in load_enterprises(engine, day) if where.get(str(e.id)) in allowed]
    result = district_pipeline(rule_pack, firms, where, day, top=top,
                               within_days=within_days, district=code, kind=chosen)
    names = {c.code: c for c in choices}
    groups = {c.code: DistrictList(district=c.code, name_zh=c.name_zh, name_en=c.name_en,
                                   candidates=[], renewals=[])
              for c in choices if code is None or c.code == code}
    for f in result.firms:
        group = groups.setdefault(f["district"], DistrictList(
            district=f["district"], name_zh=None, name_en=None, candidates=[], renewals=[]))
        place = names.get(f["district"])
        firm = CultivationFirm(
            rank=f["rank"], district=f["district"],
            district_name=pick(lang, place.name_zh, place.name_en) if place else f["district"],
            kind=f["kind"], renewal=f["renewal"], valid_to=iso(f["valid_to"]),
            enterprise_id=f["enterprise_id"], name=f["name"], status=str(f["status"]),
            n_failed=f["n_failed"], n_undecided=f["n_undecided"], n_missing=f["n_missing"],
            shortfall=as_number(f["shortfall"]),
            conditions=[_condition(c, lang) for c in f["conditions"]])
        (group.candidates if firm.kind == "candidate" else group.renewals).append(firm)
    return CultivationList(
        pack=rule_pack.code, pack_name_en=rule_pack.name_en, pack_name_zh=rule_pack.name_zh,
        filters=CultivationFilters(pack=rule_pack.code, district=code, kind=kind or "all",
                                   top=top, as_of=day.isoformat()),
        assessed=result.assessed, holders_excluded=result.holders_excluded,
        status_counts=result.status_counts, districts=list(groups.values()),
        packs=eligibility_packs(settings), district_choices=choices)


#: One row per firm (CSV, the table, the workbook's first sheet).
FIRM_COLUMNS = [
    SheetColumn("district", "district code / 区划代码", "text"),
    SheetColumn("district_name", "district / 区（市）", "text"),
    SheetColumn("kind", "kind / 类别", "text"), SheetColumn("rank", "rank / 排名", "integer"),
    SheetColumn("enterprise_id", "USCC / 统一社会信用代码", "text"),
    SheetColumn("name", "name / 企业名称", "text"),
    SheetColumn("renewal", "renewal / 重新认定", "text"),
    SheetColumn("valid_to", "valid to / 有效期至", "text"),
    SheetColumn("status", "status / 结论", "text"),
    SheetColumn("n_failed", "failed / 未通过", "integer"),
    SheetColumn("n_undecided", "undecided / 待定", "integer"),
    SheetColumn("n_missing", "lacking data / 缺数据", "integer"),
    SheetColumn("shortfall", "shortfall / 差距", "decimal"),
    SheetColumn("conditions", "conditions not met / 未满足的条件", "text"),
]
#: One row per firm and condition (the workbook's second sheet).
CONDITION_COLUMNS = [
    SheetColumn("district_name", "district / 区（市）", "text"),
    SheetColumn("kind", "kind / 类别", "text"), SheetColumn("rank", "rank / 排名", "integer"),
    SheetColumn("enterprise_id", "USCC / 统一社会信用代码", "text"),
    SheetColumn("name", "name / 企业名称", "text"),
    SheetColumn("criterion", "condition / 条件", "text"),
    SheetColumn("condition_status", "status / 状态", "text"),
    SheetColumn("value", "value / 数值", "number"),
    SheetColumn("threshold", "threshold / 门槛", "number"),
    SheetColumn("missing", "lacking / 缺少", "text"),
    SheetColumn("explanation", "explanation / 说明", "text"),
    SheetColumn("gap", "gap / 差距", "text"),
]


def condition_text(c: OpenCondition) -> str:
    """A condition in one line: what, how it stands, what it lacks, what would close it."""
    text = f"{c.criterion} [{c.status}]: {c.explanation}"
    if c.missing:
        text += f" (missing: {', '.join(c.missing)})"
    return text + (f" → {c.gap}" if c.gap else "")


def cultivation_rows(data: CultivationList) -> tuple[list[dict[str, Any]],
                                                     list[dict[str, Any]]]:
    """The list as rows: one per firm (candidates, then renewals, district by district) and
    one per firm and condition."""
    firms: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    for group in data.districts:
        for firm in [*group.candidates, *group.renewals]:
            row = firm.model_dump(exclude={"conditions"})
            row["conditions"] = " | ".join(condition_text(c) for c in firm.conditions)
            firms.append(row)
            for c in firm.conditions:
                conditions.append({**row, "criterion": c.criterion,
                                   "condition_status": c.status, "value": c.value,
                                   "threshold": c.threshold, "missing": ", ".join(c.missing),
                                   "explanation": c.explanation, "gap": c.gap})
    return firms, conditions


def cultivation_workbook(data: CultivationList) -> bytes:
    """The list as XLSX: the firms, and every condition each does not meet."""
    firms, conditions = cultivation_rows(data)
    return workbook_bytes([Sheet(f"{data.pack} by district", FIRM_COLUMNS, firms),
                           Sheet("conditions", CONDITION_COLUMNS, conditions)])
