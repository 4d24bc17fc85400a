"""Declarative import/export specifications: one per entity, used both ways.

A spec lists the file columns of an entity, how each converts and validates, which columns form
the natural key (the upsert key), and which columns are references to other entities by *their*
natural key (a contract names its seller by USCC, never by database id). Import and export read
the same spec, which is what makes export -> import -> export byte-identical.

Columns, their order, kinds, lengths and whether a value is required come from the SQLAlchemy
models (``registry.schema``); references follow the foreign keys. Only what the metadata cannot
say is written here: natural keys, code lists and vocabularies, value ranges and format checks,
cross-field checks, and the few file names that differ from the naming convention.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column

from observatory.registry import models as m
from observatory.registry.codes import industry_problem, region_code_problem, uscc_problem
from observatory.registry.schema import (
    column_digits,
    column_kind,
    column_length,
    ordered_columns,
)

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
    #: Digits a number may have before the decimal point (what the column can store).
    max_digits: int | None = None
    #: The model's default, written when an optional value is left empty or its column absent.
    default: Any = None

    @property
    def model_attr(self) -> str:
        if self.ref is not None:
            return self.ref.attr
        return self.attr or self.name


@dataclass(frozen=True)
class Rule:
    """What the metadata cannot say about one file column."""

    vocab: str | None = None
    choices: tuple[str, ...] | None = None
    check: Check | None = None
    min_value: float | None = None
    max_value: float | None = None
    optional: bool = False  # may be left empty although NOT NULL: the model's default applies


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


FILE_NAMES = {"broker_person_id": "broker", "scheme_code": "scheme"}
"""File names of reference columns that the naming convention (``file_name``) does not give."""


def file_name(column: Column[Any]) -> str:
    """The file column of a model column.

    A foreign key to a surrogate id drops ``_id`` (``fund_id`` -> ``fund``), and an organisation
    is named by its USCC (``seller_organisation_id`` -> ``seller_uscc``); other columns keep
    their names.
    """
    if column.key in FILE_NAMES:
        return FILE_NAMES[column.key]
    if not column.foreign_keys or not column.key.endswith("_id"):
        return column.key
    stem = column.key.removesuffix("_id")
    target = next(iter(column.foreign_keys)).column.table.name
    return stem.replace("organisation", "uscc") if target == m.Organisation.__tablename__ else stem


def _scalar_default(column: Column[Any]) -> Any:
    """The model's plain default value of a column (``default="enterprise"``), or None."""
    default = column.default
    return getattr(default, "arg", None) if default is not None and default.is_scalar else None


def _field(column: Column[Any], key: tuple[str, ...], rule: Rule) -> Field:
    """One file column from its model column and the hand-written rule."""
    name = file_name(column)
    required = (not column.nullable or name in key) and not rule.optional
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column.table.name
        return Field(name, required=required, ref=Ref(target, column.key))
    return Field(name, column_kind(column), required=required,
                 attr=None if name == column.key else column.key, vocab=rule.vocab,
                 choices=rule.choices, check=rule.check, min_value=rule.min_value,
                 max_value=rule.max_value, max_len=column_length(column),
                 max_digits=column_digits(column),
                 default=_scalar_default(column))


def entity(name: str, model: type[m.Base], key: tuple[str, ...],
           rules: dict[str, Rule] | None = None, *, depends: tuple[str, ...] = (),
           row_checks: tuple[RowCheck, ...] = (), name_en: str = "", name_zh: str = ""
           ) -> EntitySpec:
    """A spec whose columns are every column of ``model`` but its surrogate id."""
    rules = rules or {}
    columns = [c for c in ordered_columns(model) if not (c.primary_key and c.key == "id")]
    fields = tuple(_field(c, key, rules.get(file_name(c), Rule())) for c in columns)
    unknown = (set(rules) - {f.name for f in fields if f.ref is None}
               | set(key) - {f.name for f in fields})
    if unknown:
        raise ValueError(f"{name}: a rule or key names no plain column of {model.__name__}: "
                         f"{', '.join(sorted(unknown))}")
    return EntitySpec(name, model, key, fields, depends, row_checks, name_en, name_zh)


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


NOT_NEGATIVE = Rule(min_value=0)
YEAR = Rule(min_value=1949, max_value=2100)
LEVELS = Rule(choices=("national", "provincial", "city", "district"))
FIELD = Rule(vocab="field")
DATED = _dates_in_order("valid_from", "valid_to")
ORG = "organisations"


def _each(rule: Rule, *names: str) -> dict[str, Rule]:
    return dict.fromkeys(names, rule)


SPECS: dict[str, EntitySpec] = {}


def _register(spec: EntitySpec) -> None:
    SPECS[spec.name] = spec


_register(entity(
    "sources", m.Source, ("code",), {"synthetic": Rule(optional=True)},
    name_en="Sources", name_zh="数据来源"))

_register(entity(
    "regions", m.Region, ("code",), {
        "code": Rule(check=region_code_problem),
        "level": Rule(choices=("nation", "province", "city", "district")),
        "population": NOT_NEGATIVE,
    }, name_en="Regions", name_zh="行政区划"))

_register(entity(
    "vocab_schemes", m.VocabScheme, ("code",), name_en="Vocabularies", name_zh="词表"))

_register(entity(
    "vocab_terms", m.VocabTerm, ("scheme", "code"), depends=("vocab_schemes",),
    row_checks=(DATED,), name_en="Vocabulary terms", name_zh="词表条目"))

_register(entity(
    ORG, m.Organisation, ("uscc",), {
        "uscc": Rule(check=_uscc),
        "kind": Rule(vocab="organisation_kind", optional=True),  # a bureau's list: enterprises
        "industry_code": Rule(check=industry_problem),
        "employees": NOT_NEGATIVE,
    }, depends=("regions", "sources"), name_en="Organisations", name_zh="机构"))

_register(entity(
    "organisation_names", m.OrganisationName, ("uscc", "name_zh"), depends=(ORG,),
    row_checks=(DATED,), name_en="Organisation former names", name_zh="机构曾用名"))

_register(entity(
    "organisation_years", m.OrganisationYear, ("uscc", "year"), {
        "year": YEAR,
        **_each(NOT_NEGATIVE, "revenue_yuan", "high_tech_revenue_yuan", "employees",
                "tech_staff", "main_business_revenue_yuan", "total_revenue_yuan",
                "rd_expense_domestic_yuan", "total_cost_expense_yuan", "total_assets_yuan",
                "total_liabilities_yuan", "equity_financing_yuan", "rd_staff",
                "achievements_transformed", "ip_class1", "ip_class1_own_rd",
                "ip_class1_high_value", "ip_class2"),
    }, depends=(ORG,), row_checks=(_part_within("main_business_revenue_yuan", "revenue_yuan"),
                                   _part_within("high_tech_revenue_yuan", "total_revenue_yuan"),
                                   _part_within("tech_staff", "employees"),
                                   _part_within("rd_staff", "employees"),
                                   _part_within("ip_class1_own_rd", "ip_class1"),
                                   _part_within("ip_class1_high_value", "ip_class1")),
    name_en="Organisation yearly figures", name_zh="机构年度数据"))

_register(entity(
    "organisation_facts", m.OrganisationFact, ("uscc", "fact_code", "observed_on"),
    {"fact_code": Rule(check=_fact_code)}, depends=(ORG,), row_checks=(_one_value,),
    name_en="Organisation facts", name_zh="机构事实信息"))

_register(entity(
    "designations", m.Designation, ("certificate_no",), {
        "type_code": Rule(vocab="designation_type"),
        "level": LEVELS,
        "status": Rule(choices=("applied", "granted", "revoked", "expired")),
    }, depends=(ORG,), row_checks=(DATED,), name_en="Designations", name_zh="企业认定"))

_register(entity(
    "platforms", m.Platform, ("code",), {
        "type_code": Rule(vocab="platform_type"),
        "level": LEVELS,
        "field_code": FIELD,
        "area_m2": NOT_NEGATIVE,
    }, depends=("regions",), row_checks=(_dates_in_order("established_on", "closed_on"),),
    name_en="Innovation platforms", name_zh="创新平台"))

_register(entity(
    "platform_links", m.PlatformLink, ("platform", "uscc", "role"),
    {"role": Rule(choices=("host", "member", "tenant"))}, depends=("platforms", ORG),
    row_checks=(DATED,), name_en="Platform links", name_zh="平台成员关系"))

_register(entity(
    "persons", m.Person, ("code",), {"field_code": FIELD}, depends=("regions",),
    name_en="Persons", name_zh="人员"))

_register(entity(
    "talent_recruitments", m.TalentRecruitment, ("person", "programme_code", "year"), {
        "programme_code": Rule(vocab="talent_programme"),
        "year": YEAR,
        "field_code": FIELD,
    }, depends=("persons",), name_en="Talent recruitments", name_zh="人才引进"))

_register(entity(
    "employments", m.Employment, ("person", "uscc", "valid_from"), depends=("persons", ORG),
    row_checks=(DATED,), name_en="Employments", name_zh="任职关系"))

_register(entity(
    "broker_qualifications", m.BrokerQualification, ("certificate_no",),
    {"level": Rule(choices=("junior", "intermediate", "senior"))}, depends=("persons",),
    row_checks=(DATED,), name_en="Technology broker qualifications", name_zh="技术经纪人资格"))

_register(entity(
    "plans", m.Plan, ("code",),
    {"status": Rule(choices=("draft", "active", "completed", "cancelled"))},
    depends=("sources",), row_checks=(_dates_in_order("start_on", "end_on"),),
    name_en="Plans", name_zh="规划计划"))

_register(entity(
    "plan_items", m.PlanItem, ("code",), {
        "kind": Rule(choices=("major_project", "key_task")),
        "status": Rule(choices=("not_started", "in_progress", "completed", "delayed",
                                "cancelled")),
    }, depends=("plans",), row_checks=(_dates_in_order("start_on", "due_on"),),
    name_en="Major projects and key tasks", name_zh="重大工程与重点任务"))

_register(entity(
    "targets", m.Target, ("code",), {
        "form": Rule(choices=("level", "multiple", "reduction", "cumulative", "every_year",
                              "rank", "range", "all")),
        "direction": Rule(choices=("higher", "lower")),
        "base_year": YEAR,
        "target_year": YEAR,
        "method": Rule(choices=("opensdg", "weather", "forecast")),
    }, depends=("plans", "plan_items"), name_en="Targets", name_zh="目标"))

_register(entity(
    "projects", m.Project, ("code",), {
        "programme_code": Rule(vocab="project_programme"),
        "field_code": FIELD,
        "year": YEAR,
        **_each(NOT_NEGATIVE, "budget_yuan", "public_funding_yuan"),
        "status": Rule(choices=("planned", "ongoing", "completed", "terminated")),
    }, depends=(ORG, "plan_items"), name_en="Projects", name_zh="科技项目"))

_register(entity(
    "project_participants", m.ProjectParticipant, ("project", "uscc"),
    {"role": Rule(choices=("lead", "partner"))}, depends=("projects", ORG),
    name_en="Project participants", name_zh="项目参与单位"))

_LISTING = {
    "field_code": FIELD,
    "trl": Rule(min_value=1, max_value=9),
    "visibility": Rule(choices=("public", "registered", "private")),
    "status": Rule(choices=("draft", "published", "expired", "withdrawn")),
}

_register(entity(
    "achievements", m.Achievement, ("code",), {**_LISTING, "asking_price_yuan": NOT_NEGATIVE},
    depends=(ORG,), name_en="Sci-tech achievements", name_zh="科技成果"))

_register(entity(
    "demands", m.Demand, ("code",), {**_LISTING, "budget_yuan": NOT_NEGATIVE},
    depends=(ORG,), name_en="Technology demands", name_zh="技术需求"))

_register(entity(
    "technology_contracts", m.TechnologyContract, ("registration_no",), {
        "contract_type": Rule(vocab="contract_type"),
        **_each(NOT_NEGATIVE, "total_amount_yuan", "technology_amount_yuan"),
        "field_code": FIELD,
    }, depends=(ORG, "persons", "achievements", "demands"),
    row_checks=(_part_within("technology_amount_yuan", "total_amount_yuan",
                             ("technology transaction amount", "技术交易额"),
                             ("total amount", "合同总额")),
                _dates_in_order("signed_on", "registered_on")),
    name_en="Technology contracts", name_zh="技术合同"))

_register(entity(
    "funds", m.Fund, ("code",), {
        "kind": Rule(vocab="fund_kind"),
        "level": LEVELS,
        "vintage": Rule(min_value=1990, max_value=2100),
        "size_yuan": NOT_NEGATIVE,
        "term_years": Rule(min_value=1, max_value=30),
        "return_investment_multiple": NOT_NEGATIVE,
    }, depends=(ORG,), name_en="Funds", name_zh="基金"))

_register(entity(
    "fund_commitments", m.FundCommitment, ("code",),
    {"lp_type": Rule(vocab="lp_type"), "amount_yuan": NOT_NEGATIVE},
    depends=("funds", ORG), row_checks=(_lp_not_the_fund,),
    name_en="Fund commitments", name_zh="基金认缴"))

_register(entity(
    "fund_cash_flows", m.FundCashFlow, ("code",),
    {"kind": Rule(choices=("call", "distribution", "fee")), "amount_yuan": NOT_NEGATIVE},
    depends=("funds",), name_en="Fund cash flows", name_zh="基金现金流"))

_register(entity(
    "fund_valuations", m.FundValuation, ("fund", "as_of"), depends=("funds",),
    name_en="Fund valuations", name_zh="基金估值"))

_register(entity(
    "fund_investments", m.FundInvestment, ("code",), {"amount_yuan": Rule(min_value=0.01)},
    depends=("funds", ORG, "projects"), name_en="Fund investments", name_zh="基金投资"))

_register(entity(
    "rd_expenditures", m.RdExpenditure, ("uscc", "year", "funding_source"), {
        "year": YEAR,
        "funding_source": Rule(vocab="rd_funding_source"),
        "amount_yuan": NOT_NEGATIVE,
    }, depends=(ORG,), name_en="R&D expenditure", name_zh="研发经费支出"))

_register(entity(
    "observations", m.Observation, ("indicator_code", "region_code", "period"),
    depends=("regions", "sources"), name_en="Published observations", name_zh="公开统计数据"))


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
