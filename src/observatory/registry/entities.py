"""Declarative import/export specifications: one per entity, used both ways.

A spec lists the file columns of an entity, how each converts and validates, which columns form
the natural key (the upsert key), and which columns are references to other entities by *their*
natural key (a contract names its seller by USCC, never by database id). Import and export read
the same spec, which is what makes export -> import -> export byte-identical.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from observatory.registry import models as m
from observatory.registry.codes import industry_problem, region_code_problem, uscc_problem

Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Ref:
    """A column naming another entity by its (single-column) natural key."""

    entity: str
    attr: str  # the foreign-key attribute on this model


@dataclass(frozen=True)
class Field:
    """One file column."""

    name: str
    kind: str = "str"  # str | int | decimal | date | bool | json
    required: bool = False
    attr: str | None = None  # model attribute (defaults to name); None for Ref columns
    ref: Ref | None = None
    vocab: str | None = None  # vocabulary scheme whose term codes are allowed
    choices: tuple[str, ...] | None = None
    check: Check | None = None
    min_value: float | None = None
    max_value: float | None = None
    max_len: int | None = None

    @property
    def model_attr(self) -> str:
        if self.ref is not None:
            return self.ref.attr
        return self.attr or self.name


RowCheck = Callable[[dict[str, Any]], list[tuple[str, str, str]]]
"""A cross-field check: returns (column, reason_en, reason_zh) for each problem."""


@dataclass(frozen=True)
class EntitySpec:
    name: str
    model: type[m.Base]
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    depends: tuple[str, ...] = ()
    row_checks: tuple[RowCheck, ...] = field(default=())
    name_en: str = ""
    name_zh: str = ""

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]


def _dates_in_order(start: str, end: str) -> RowCheck:
    def check(row: dict[str, Any]) -> list[tuple[str, str, str]]:
        a, b = row.get(start), row.get(end)
        if a is not None and b is not None and b < a:
            return [(end, f"{end} {b} is before {start} {a}",
                     f"{end}（{b}）早于{start}（{a}）")]
        return []

    return check


def _part_within(part: str, whole: str, part_label: tuple[str, str] | None = None,
                 whole_label: tuple[str, str] | None = None) -> RowCheck:
    """A part (technology amount, R&D staff...) may not exceed the whole it is part of.

    Labels are (English, Chinese) names for the message; the column names by default.
    """
    part_en, part_zh = part_label or (part, part)
    whole_en, whole_zh = whole_label or (whole, whole)

    def check(row: dict[str, Any]) -> list[tuple[str, str, str]]:
        a, b = row.get(part), row.get(whole)
        if a is not None and b is not None and a > b:
            return [(part, f"{part_en} {a} exceeds {whole_en} {b}",
                     f"{part_zh} {a} 超过{whole_zh} {b}")]
        return []

    return check


_FACT_CODE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


def _fact_code(value: str) -> str | None:
    if _FACT_CODE.match(value):
        return None
    return ("must be lower-case letters, digits and underscores starting with a letter (the "
            "name a rule pack uses), at most 60 characters")


def _one_value(row: dict[str, Any]) -> list[tuple[str, str, str]]:
    set_ = [c for c in ("value_bool", "value_number", "value_text") if row.get(c) is not None]
    if len(set_) == 1:
        return []
    found = ", ".join(set_) or "none"
    return [("value_bool", f"exactly one of value_bool, value_number, value_text must be "
             f"given (found: {found})",
             f"value_bool、value_number、value_text 须且仅须填写一项（已填：{found}）")]


def _lp_not_the_fund(row: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A fund cannot be a limited partner in itself."""
    fund, lp = row.get("fund"), row.get("lp_fund")
    if fund is not None and fund == lp:
        return [("lp_fund", f"fund {fund} cannot be its own limited partner",
                 f"基金 {fund} 不能作为自身的出资人")]
    return []


def _uscc(value: str) -> str | None:
    return uscc_problem(value)


SOURCE = Field("source", ref=Ref("sources", "source_id"))
SOURCE_REF = Field("source_ref", max_len=200)
MONEY = {"kind": "decimal", "min_value": 0}
LEVELS = ("national", "provincial", "city", "district")
ORG = "organisations"

SPECS: dict[str, EntitySpec] = {}


def _register(spec: EntitySpec) -> None:
    SPECS[spec.name] = spec


_register(EntitySpec(
    "sources", m.Source, ("code",), (
        Field("code", required=True, max_len=80),
        Field("name_en", required=True, max_len=300),
        Field("name_zh", required=True, max_len=300),
        Field("publisher", max_len=200),
        Field("url", max_len=500),
        Field("published_on", "date"),
        Field("synthetic", "bool"),
        Field("note"),
    ), name_en="Sources", name_zh="数据来源"))

_register(EntitySpec(
    "regions", m.Region, ("code",), (
        Field("code", required=True, check=region_code_problem),
        Field("name_en", required=True, max_len=120),
        Field("name_zh", required=True, max_len=60),
        Field("level", required=True, choices=("nation", "province", "city", "district")),
        Field("parent_code", ref=Ref("regions", "parent_code")),
        Field("population", "int", min_value=0),
    ), name_en="Regions", name_zh="行政区划"))

_register(EntitySpec(
    "vocab_schemes", m.VocabScheme, ("code",), (
        Field("code", required=True, max_len=40),
        Field("name_en", required=True, max_len=200),
        Field("name_zh", required=True, max_len=100),
    ), name_en="Vocabularies", name_zh="词表"))

_register(EntitySpec(
    "vocab_terms", m.VocabTerm, ("scheme", "code"), (
        Field("scheme", required=True, ref=Ref("vocab_schemes", "scheme_code")),
        Field("code", required=True, max_len=60),
        Field("name_en", required=True, max_len=200),
        Field("name_zh", required=True, max_len=100),
        Field("parent_code", max_len=60),
        Field("valid_from", "date"),
        Field("valid_to", "date"),
    ), depends=("vocab_schemes",), row_checks=(_dates_in_order("valid_from", "valid_to"),),
    name_en="Vocabulary terms", name_zh="词表条目"))

_register(EntitySpec(
    ORG, m.Organisation, ("uscc",), (
        Field("uscc", required=True, check=_uscc),
        Field("name_zh", required=True, max_len=200),
        Field("name_en", max_len=300),
        Field("kind", required=True, vocab="organisation_kind"),
        Field("region_code", required=True, ref=Ref("regions", "region_code")),
        Field("industry_code", check=industry_problem),
        Field("founded_on", "date"),
        Field("employees", "int", min_value=0),
        SOURCE, SOURCE_REF,
    ), depends=("regions", "sources"), name_en="Organisations", name_zh="机构"))

_register(EntitySpec(
    "organisation_years", m.OrganisationYear, ("uscc", "year"), (
        Field("uscc", required=True, ref=Ref(ORG, "organisation_id")),
        Field("year", "int", required=True, min_value=1949, max_value=2100),
        Field("revenue_yuan", **MONEY),
        Field("high_tech_revenue_yuan", **MONEY),
        Field("net_assets_yuan", "decimal"),
        Field("employees", "int", min_value=0),
        Field("tech_staff", "int", min_value=0),
        Field("main_business_revenue_yuan", **MONEY),
        Field("total_revenue_yuan", **MONEY),
        Field("rd_expense_domestic_yuan", **MONEY),
        Field("total_cost_expense_yuan", **MONEY),
        Field("net_profit_yuan", "decimal"),
        Field("total_assets_yuan", **MONEY),
        Field("total_liabilities_yuan", **MONEY),
        Field("equity_financing_yuan", **MONEY),
        Field("rd_staff", "int", min_value=0),
        Field("achievements_transformed", "int", min_value=0),
        Field("ip_class1", "int", min_value=0),
        Field("ip_class1_own_rd", "int", min_value=0),
        Field("ip_class1_high_value", "int", min_value=0),
        Field("ip_class2", "int", min_value=0),
        SOURCE, SOURCE_REF,
    ), depends=(ORG,), row_checks=(_part_within("main_business_revenue_yuan", "revenue_yuan"),
                                   _part_within("high_tech_revenue_yuan", "total_revenue_yuan"),
                                   _part_within("tech_staff", "employees"),
                                   _part_within("rd_staff", "employees"),
                                   _part_within("ip_class1_own_rd", "ip_class1"),
                                   _part_within("ip_class1_high_value", "ip_class1")),
    name_en="Organisation yearly figures", name_zh="机构年度数据"))

_register(EntitySpec(
    "organisation_facts", m.OrganisationFact, ("uscc", "fact_code", "observed_on"), (
        Field("uscc", required=True, ref=Ref(ORG, "organisation_id")),
        Field("fact_code", required=True, check=_fact_code),
        Field("observed_on", "date", required=True),
        Field("value_bool", "bool"),
        Field("value_number", "decimal"),
        Field("value_text", max_len=200),
        SOURCE, SOURCE_REF,
    ), depends=(ORG,), row_checks=(_one_value,),
    name_en="Organisation facts", name_zh="机构事实信息"))

_register(EntitySpec(
    "designations", m.Designation, ("certificate_no",), (
        Field("certificate_no", required=True, max_len=60),
        Field("uscc", required=True, ref=Ref(ORG, "organisation_id")),
        Field("type_code", required=True, vocab="designation_type"),
        Field("level", required=True, choices=LEVELS),
        Field("issuer", max_len=200),
        Field("valid_from", "date"),
        Field("valid_to", "date"),
        Field("status", required=True, choices=("applied", "granted", "revoked", "expired")),
        SOURCE, SOURCE_REF,
    ), depends=(ORG,), row_checks=(_dates_in_order("valid_from", "valid_to"),),
    name_en="Designations", name_zh="企业认定"))

_register(EntitySpec(
    "platforms", m.Platform, ("code",), (
        Field("code", required=True, max_len=40),
        Field("name_zh", required=True, max_len=200),
        Field("name_en", max_len=300),
        Field("type_code", required=True, vocab="platform_type"),
        Field("level", required=True, choices=LEVELS),
        Field("region_code", required=True, ref=Ref("regions", "region_code")),
        Field("field_code", vocab="field"),
        Field("established_on", "date"),
        Field("closed_on", "date"),
        Field("area_m2", "int", min_value=0),
        SOURCE, SOURCE_REF,
    ), depends=("regions",), row_checks=(_dates_in_order("established_on", "closed_on"),),
    name_en="Innovation platforms", name_zh="创新平台"))

_register(EntitySpec(
    "platform_links", m.PlatformLink, ("platform", "uscc", "role"), (
        Field("platform", required=True, ref=Ref("platforms", "platform_id")),
        Field("uscc", required=True, ref=Ref(ORG, "organisation_id")),
        Field("role", required=True, choices=("host", "member", "tenant")),
        Field("valid_from", "date"),
        Field("valid_to", "date"),
        SOURCE, SOURCE_REF,
    ), depends=("platforms", ORG), row_checks=(_dates_in_order("valid_from", "valid_to"),),
    name_en="Platform links", name_zh="平台成员关系"))

_register(EntitySpec(
    "persons", m.Person, ("code",), (
        Field("code", required=True, max_len=40),
        Field("name_zh", required=True, max_len=100),
        Field("name_en", max_len=200),
        Field("field_code", vocab="field"),
        Field("region_code", ref=Ref("regions", "region_code")),
        SOURCE, SOURCE_REF,
    ), depends=("regions",), name_en="Persons", name_zh="人员"))

_register(EntitySpec(
    "talent_recruitments", m.TalentRecruitment, ("person", "programme_code", "year"), (
        Field("person", required=True, ref=Ref("persons", "person_id")),
        Field("programme_code", required=True, vocab="talent_programme"),
        Field("year", "int", required=True, min_value=1949, max_value=2100),
        Field("field_code", vocab="field"),
        Field("region_code", ref=Ref("regions", "region_code")),
        SOURCE, SOURCE_REF,
    ), depends=("persons",), name_en="Talent recruitments", name_zh="人才引进"))

_register(EntitySpec(
    "employments", m.Employment, ("person", "uscc", "valid_from"), (
        Field("person", required=True, ref=Ref("persons", "person_id")),
        Field("uscc", required=True, ref=Ref(ORG, "organisation_id")),
        Field("role", max_len=60),
        Field("valid_from", "date", required=True),
        Field("valid_to", "date"),
        SOURCE, SOURCE_REF,
    ), depends=("persons", ORG), row_checks=(_dates_in_order("valid_from", "valid_to"),),
    name_en="Employments", name_zh="任职关系"))

_register(EntitySpec(
    "broker_qualifications", m.BrokerQualification, ("certificate_no",), (
        Field("certificate_no", required=True, max_len=60),
        Field("person", required=True, ref=Ref("persons", "person_id")),
        Field("level", required=True, choices=("junior", "intermediate", "senior")),
        Field("region_code", ref=Ref("regions", "region_code")),
        Field("valid_from", "date"),
        Field("valid_to", "date"),
        SOURCE, SOURCE_REF,
    ), depends=("persons",), row_checks=(_dates_in_order("valid_from", "valid_to"),),
    name_en="Technology broker qualifications", name_zh="技术经纪人资格"))

_register(EntitySpec(
    "plans", m.Plan, ("code",), (
        Field("code", required=True, max_len=40),
        Field("name_en", required=True, max_len=300),
        Field("name_zh", required=True, max_len=200),
        Field("owner", max_len=200),
        Field("start_on", "date"),
        Field("end_on", "date"),
        Field("status", required=True, choices=("draft", "active", "completed", "cancelled")),
        SOURCE, SOURCE_REF,
    ), depends=("sources",), row_checks=(_dates_in_order("start_on", "end_on"),),
    name_en="Plans", name_zh="规划计划"))

_register(EntitySpec(
    "plan_items", m.PlanItem, ("code",), (
        Field("code", required=True, max_len=60),
        Field("plan", required=True, ref=Ref("plans", "plan_id")),
        Field("parent", ref=Ref("plan_items", "parent_id")),
        Field("kind", required=True, choices=("major_project", "key_task")),
        Field("name_en", required=True, max_len=300),
        Field("name_zh", required=True, max_len=200),
        Field("owner", max_len=200),
        Field("start_on", "date"),
        Field("due_on", "date"),
        Field("status", required=True,
              choices=("not_started", "in_progress", "completed", "delayed", "cancelled")),
        SOURCE, SOURCE_REF,
    ), depends=("plans",), row_checks=(_dates_in_order("start_on", "due_on"),),
    name_en="Major projects and key tasks", name_zh="重大工程与重点任务"))

_register(EntitySpec(
    "targets", m.Target, ("code",), (
        Field("code", required=True, max_len=60),
        Field("plan", required=True, ref=Ref("plans", "plan_id")),
        Field("item", ref=Ref("plan_items", "item_id")),
        Field("name_en", required=True, max_len=300),
        Field("name_zh", required=True, max_len=200),
        Field("indicator_code", max_len=80),
        Field("region_code", ref=Ref("regions", "region_code")),
        Field("form", required=True, choices=("level", "multiple", "reduction", "cumulative",
                                              "every_year", "rank", "range", "all")),
        Field("direction", required=True, choices=("higher", "lower")),
        Field("base_year", "int", min_value=1949, max_value=2100),
        Field("target_year", "int", required=True, min_value=1949, max_value=2100),
        Field("target_value", "decimal"),
        Field("params", "json"),
        Field("method", required=True, choices=("opensdg", "weather", "forecast")),
        Field("owner", max_len=200),
        SOURCE, SOURCE_REF,
    ), depends=("plans", "plan_items"), name_en="Targets", name_zh="目标"))

_register(EntitySpec(
    "projects", m.Project, ("code",), (
        Field("code", required=True, max_len=40),
        Field("title_zh", required=True, max_len=300),
        Field("title_en", max_len=400),
        Field("programme_code", required=True, vocab="project_programme"),
        Field("field_code", vocab="field"),
        Field("year", "int", required=True, min_value=1949, max_value=2100),
        Field("budget_yuan", **MONEY),
        Field("public_funding_yuan", **MONEY),
        Field("lead_uscc", ref=Ref(ORG, "lead_organisation_id")),
        Field("region_code", ref=Ref("regions", "region_code")),
        Field("status", required=True,
              choices=("planned", "ongoing", "completed", "terminated")),
        Field("plan_item", ref=Ref("plan_items", "plan_item_id")),
        SOURCE, SOURCE_REF,
    ), depends=(ORG, "plan_items"), name_en="Projects", name_zh="科技项目"))

_register(EntitySpec(
    "project_participants", m.ProjectParticipant, ("project", "uscc"), (
        Field("project", required=True, ref=Ref("projects", "project_id")),
        Field("uscc", required=True, ref=Ref(ORG, "organisation_id")),
        Field("role", required=True, choices=("lead", "partner")),
        SOURCE, SOURCE_REF,
    ), depends=("projects", ORG), name_en="Project participants", name_zh="项目参与单位"))

_LISTING_TEXT = tuple(
    Field(f"{part}_{lang}", max_len=400 if part in ("title", "keywords") else None)
    for part in ("title", "summary", "problem", "advantages", "applications", "keywords")
    for lang in ("zh", "en")
)
_LISTING_TAIL = (
    Field("field_code", required=True, vocab="field"),
    Field("trl", "int", min_value=1, max_value=9),
    Field("owner_uscc", ref=Ref(ORG, "owner_organisation_id")),
    Field("region_code", ref=Ref("regions", "region_code")),
    Field("visibility", required=True, choices=("public", "registered", "private")),
    Field("status", required=True, choices=("draft", "published", "expired", "withdrawn")),
    Field("published_on", "date"),
)

_register(EntitySpec(
    "achievements", m.Achievement, ("code",), (
        Field("code", required=True, max_len=40), *_LISTING_TEXT, *_LISTING_TAIL,
        Field("asking_price_yuan", **MONEY), SOURCE, SOURCE_REF,
    ), depends=(ORG,), name_en="Sci-tech achievements", name_zh="科技成果"))

_register(EntitySpec(
    "demands", m.Demand, ("code",), (
        Field("code", required=True, max_len=40), *_LISTING_TEXT, *_LISTING_TAIL,
        Field("budget_yuan", **MONEY), SOURCE, SOURCE_REF,
    ), depends=(ORG,), name_en="Technology demands", name_zh="技术需求"))

_register(EntitySpec(
    "technology_contracts", m.TechnologyContract, ("registration_no",), (
        Field("registration_no", required=True, max_len=40),
        Field("contract_type", required=True, vocab="contract_type"),
        Field("seller_uscc", required=True, ref=Ref(ORG, "seller_organisation_id")),
        Field("buyer_uscc", required=True, ref=Ref(ORG, "buyer_organisation_id")),
        Field("broker", ref=Ref("persons", "broker_person_id")),
        Field("seller_region_code", required=True, ref=Ref("regions", "seller_region_code")),
        Field("buyer_region_code", required=True, ref=Ref("regions", "buyer_region_code")),
        Field("total_amount_yuan", required=True, **MONEY),
        Field("technology_amount_yuan", required=True, **MONEY),
        Field("signed_on", "date", required=True),
        Field("registered_on", "date", required=True),
        Field("field_code", vocab="field"),
        Field("achievement", ref=Ref("achievements", "achievement_id")),
        Field("demand", ref=Ref("demands", "demand_id")),
        SOURCE, SOURCE_REF,
    ), depends=(ORG, "persons", "achievements", "demands"),
    row_checks=(_part_within("technology_amount_yuan", "total_amount_yuan",
                             ("technology transaction amount", "技术交易额"),
                             ("total amount", "合同总额")),
                _dates_in_order("signed_on", "registered_on")),
    name_en="Technology contracts", name_zh="技术合同"))

_register(EntitySpec(
    "funds", m.Fund, ("code",), (
        Field("code", required=True, max_len=40),
        Field("name_zh", required=True, max_len=200),
        Field("name_en", max_len=300),
        Field("kind", required=True, vocab="fund_kind"),
        Field("level", required=True, choices=LEVELS),
        Field("sponsor_uscc", ref=Ref(ORG, "sponsor_organisation_id")),
        Field("manager_uscc", ref=Ref(ORG, "manager_organisation_id")),
        Field("parent_fund", ref=Ref("funds", "parent_fund_id")),
        Field("region_code", ref=Ref("regions", "region_code")),
        Field("vintage", "int", required=True, min_value=1990, max_value=2100),
        Field("size_yuan", required=True, **MONEY),
        Field("term_years", "int", min_value=1, max_value=30),
        Field("return_investment_multiple", "decimal", min_value=0),
        SOURCE, SOURCE_REF,
    ), depends=(ORG,), name_en="Funds", name_zh="基金"))

_register(EntitySpec(
    "fund_commitments", m.FundCommitment, ("code",), (
        Field("code", required=True, max_len=60),
        Field("fund", required=True, ref=Ref("funds", "fund_id")),
        Field("lp_uscc", ref=Ref(ORG, "lp_organisation_id")),
        Field("lp_fund", ref=Ref("funds", "lp_fund_id")),
        Field("lp_name", required=True, max_len=200),
        Field("lp_type", required=True, vocab="lp_type"),
        Field("amount_yuan", required=True, **MONEY),
        Field("committed_on", "date", required=True),
        SOURCE, SOURCE_REF,
    ), depends=("funds", ORG), row_checks=(_lp_not_the_fund,),
    name_en="Fund commitments", name_zh="基金认缴"))

_register(EntitySpec(
    "fund_cash_flows", m.FundCashFlow, ("code",), (
        Field("code", required=True, max_len=60),
        Field("fund", required=True, ref=Ref("funds", "fund_id")),
        Field("kind", required=True, choices=("call", "distribution", "fee")),
        Field("flow_on", "date", required=True),
        Field("amount_yuan", required=True, **MONEY),
        SOURCE, SOURCE_REF,
    ), depends=("funds",), name_en="Fund cash flows", name_zh="基金现金流"))

_register(EntitySpec(
    "fund_valuations", m.FundValuation, ("fund", "as_of"), (
        Field("fund", required=True, ref=Ref("funds", "fund_id")),
        Field("as_of", "date", required=True),
        Field("nav_yuan", required=True, kind="decimal"),
        SOURCE, SOURCE_REF,
    ), depends=("funds",), name_en="Fund valuations", name_zh="基金估值"))

_register(EntitySpec(
    "fund_investments", m.FundInvestment, ("code",), (
        Field("code", required=True, max_len=60),
        Field("fund", required=True, ref=Ref("funds", "fund_id")),
        Field("investee_uscc", required=True, ref=Ref(ORG, "investee_organisation_id")),
        Field("project", ref=Ref("projects", "project_id")),
        Field("invested_on", "date", required=True),
        Field("round", max_len=20),
        Field("amount_yuan", required=True, kind="decimal", min_value=0.01),
        Field("in_region", "bool", required=True),
        SOURCE, SOURCE_REF,
    ), depends=("funds", ORG, "projects"), name_en="Fund investments", name_zh="基金投资"))

_register(EntitySpec(
    "rd_expenditures", m.RdExpenditure, ("uscc", "year", "funding_source"), (
        Field("uscc", required=True, ref=Ref(ORG, "organisation_id")),
        Field("year", "int", required=True, min_value=1949, max_value=2100),
        Field("funding_source", required=True, vocab="rd_funding_source"),
        Field("amount_yuan", required=True, **MONEY),
        SOURCE, SOURCE_REF,
    ), depends=(ORG,), name_en="R&D expenditure", name_zh="研发经费支出"))

_register(EntitySpec(
    "observations", m.Observation, ("indicator_code", "region_code", "period"), (
        Field("indicator_code", required=True, max_len=80),
        Field("region_code", required=True, ref=Ref("regions", "region_code")),
        Field("period", required=True, max_len=10),
        Field("value", "decimal", required=True),
        Field("unit", required=True, max_len=40),
        Field("note", max_len=300),
        SOURCE, SOURCE_REF,
    ), depends=("regions", "sources"), name_en="Published observations", name_zh="公开统计数据"))


def dependency_order(names: list[str] | None = None) -> list[str]:
    """Entity names sorted so that every entity comes after those it references."""
    wanted = list(SPECS) if names is None else names
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        spec = SPECS[name]
        deps = set(spec.depends) | {f.ref.entity for f in spec.fields if f.ref}
        for dep in sorted(deps - {name}):
            if dep in wanted:
                visit(dep)
        ordered.append(name)

    for name in wanted:
        visit(name)
    return ordered
