"""Record sets the catalogue counts and sums: registry tables with the joins that give each
record a region, an industry and its breakdown fields.

A record set is a function from unbound Ibis tables (schemas taken from the SQLAlchemy models,
so no connection is needed to compile) to one relation whose columns are the *fields* a
catalogue definition may filter on, measure, or break down by. ``region_code`` is the default
region of a record; a definition may name another field (technology contracts: the seller's
region for outflow, the buyer's for inflow, as the official statistics count them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import ibis
import ibis.expr.types as ir
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, Text

from observatory.registry import models as m
from observatory.registry.codes import INDUSTRY_SECTIONS


def _ibis_type(column_type: object) -> str:
    if isinstance(column_type, Boolean):
        return "boolean"
    if isinstance(column_type, Integer):
        return "int64"
    if isinstance(column_type, Numeric):
        return f"decimal({column_type.precision or 28}, {column_type.scale or 8})"
    if isinstance(column_type, DateTime):
        return "timestamp"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, String | Text):
        return "string"
    return "json"


@cache
def schema(table: str) -> ibis.Schema:
    """The Ibis schema of a registry table, read from the ORM model."""
    columns = m.Base.metadata.tables[table].columns
    return ibis.schema({c.name: _ibis_type(c.type) for c in columns})


def table(name: str) -> ir.Table:
    """An unbound table: compiles to SQL for any backend and runs on whichever holds it."""
    return ibis.table(schema(name), name=name)


#: GB/T 4754 two-digit division -> section letter, as data for a CASE expression.
DIVISION_SECTION: dict[str, str] = {
    f"{division:02d}": letter
    for letter, (low, high, _en, _zh) in INDUSTRY_SECTIONS.items()
    for division in range(low, high + 1)
}


def industry_section(code: ir.StringValue) -> ir.StringValue:
    """The section letter of an industry code (null when the code is null or unknown)."""
    return code.substr(0, 2).substitute(DIVISION_SECTION, else_=ibis.null("string"))


@dataclass(frozen=True)
class RecordSet:
    """One kind of record the catalogue can count or sum."""

    name: str
    build: Callable[[], ir.Table]
    region: str
    key: str
    label: str
    #: breakdown name -> field holding it
    dims: dict[str, str]
    #: tables the relation reads (copied into DuckDB when that backend is used)
    tables: tuple[str, ...]
    #: fields whose value fixes the record's (default) region: all records with the same
    #: value lie in one region, so distinct values counted per region add up over regions
    region_fixed_by: tuple[str, ...] = ()

    @property
    def fields(self) -> dict[str, str]:
        """Field name -> Ibis type name."""
        return {n: str(t) for n, t in self.build().schema().items()}


def _designations() -> ir.Table:
    d, o = table("designations"), table("organisations")
    j = d.join(o, d.organisation_id == o.id)
    return j.select(
        id=d.id, certificate_no=d.certificate_no, organisation_id=d.organisation_id,
        organisation=o.name_zh, type_code=d.type_code, level=d.level, status=d.status,
        valid_from=d.valid_from, valid_to=d.valid_to, region_code=o.region_code,
        industry_code=o.industry_code, org_kind=o.kind)


def _platforms() -> ir.Table:
    p = table("platforms")
    return p.select(id=p.id, code=p.code, name=p.name_zh, type_code=p.type_code, level=p.level,
                    field_code=p.field_code, region_code=p.region_code,
                    established_on=p.established_on, closed_on=p.closed_on)


def _achievements() -> ir.Table:
    a = table("achievements")
    return a.select(id=a.id, code=a.code, title=a.title_zh, field_code=a.field_code,
                    status=a.status, visibility=a.visibility, region_code=a.region_code,
                    published_on=a.published_on, trl=a.trl)


def _funds() -> ir.Table:
    f = table("funds")
    return f.select(id=f.id, code=f.code, name=f.name_zh, kind=f.kind, level=f.level,
                    region_code=f.region_code, vintage=f.vintage, size_yuan=f.size_yuan)


def _fund_commitments() -> ir.Table:
    c, f = table("fund_commitments"), table("funds")
    j = c.join(f, c.fund_id == f.id)
    return j.select(id=c.id, code=c.code, fund_id=c.fund_id, fund=f.code, lp_name=c.lp_name,
                    lp_type=c.lp_type, amount_yuan=c.amount_yuan, committed_on=c.committed_on,
                    vintage=f.vintage, fund_kind=f.kind, region_code=f.region_code)


def _fund_investments() -> ir.Table:
    i, f, o = table("fund_investments"), table("funds"), table("organisations")
    j = i.join(f, i.fund_id == f.id).join(o, i.investee_organisation_id == o.id)
    return j.select(id=i.id, code=i.code, fund_id=i.fund_id, fund=f.code,
                    investee=o.name_zh, invested_on=i.invested_on, round=i.round,
                    amount_yuan=i.amount_yuan, in_region=i.in_region,
                    region_code=f.region_code, investee_region_code=o.region_code,
                    industry_code=o.industry_code)


def _projects() -> ir.Table:
    p = table("projects")
    return p.select(id=p.id, code=p.code, title=p.title_zh, programme_code=p.programme_code,
                    field_code=p.field_code, year=p.year, status=p.status,
                    budget_yuan=p.budget_yuan, public_funding_yuan=p.public_funding_yuan,
                    region_code=p.region_code)


def _rd_expenditures() -> ir.Table:
    r, o = table("rd_expenditures"), table("organisations")
    j = r.join(o, r.organisation_id == o.id)
    return j.select(id=r.id, organisation_id=r.organisation_id, organisation=o.name_zh,
                    year=r.year, funding_source=r.funding_source, amount_yuan=r.amount_yuan,
                    org_kind=o.kind, region_code=o.region_code, industry_code=o.industry_code)


def _technology_contracts() -> ir.Table:
    c = table("technology_contracts")
    return c.select(id=c.id, registration_no=c.registration_no, contract_type=c.contract_type,
                    seller_organisation_id=c.seller_organisation_id,
                    buyer_organisation_id=c.buyer_organisation_id,
                    seller_region_code=c.seller_region_code,
                    buyer_region_code=c.buyer_region_code,
                    total_amount_yuan=c.total_amount_yuan,
                    technology_amount_yuan=c.technology_amount_yuan,
                    signed_on=c.signed_on, registered_on=c.registered_on,
                    field_code=c.field_code)


def _broker_qualifications() -> ir.Table:
    q = table("broker_qualifications")
    return q.select(id=q.id, certificate_no=q.certificate_no, person_id=q.person_id,
                    level=q.level, region_code=q.region_code, valid_from=q.valid_from,
                    valid_to=q.valid_to)


def _talent_recruitments() -> ir.Table:
    t = table("talent_recruitments")
    return t.select(id=t.id, person_id=t.person_id, programme_code=t.programme_code,
                    year=t.year, field_code=t.field_code, region_code=t.region_code)


RECORD_SETS: dict[str, RecordSet] = {
    r.name: r for r in (
        RecordSet("designations", _designations, "region_code", "id", "certificate_no",
                  {"designation_type": "type_code", "level": "level", "industry": "industry",
                   "org_kind": "org_kind"}, ("designations", "organisations"),
                  region_fixed_by=("organisation_id",)),  # the organisation's region
        RecordSet("platforms", _platforms, "region_code", "id", "name",
                  {"platform_type": "type_code", "level": "level", "field": "field_code"},
                  ("platforms",)),
        RecordSet("achievements", _achievements, "region_code", "id", "title",
                  {"field": "field_code"}, ("achievements",)),
        RecordSet("funds", _funds, "region_code", "id", "code",
                  {"fund_kind": "kind", "level": "level"}, ("funds",)),
        RecordSet("fund_commitments", _fund_commitments, "region_code", "id", "code",
                  {"lp_type": "lp_type", "lp_class": "lp_class", "fund_kind": "fund_kind"},
                  ("fund_commitments", "funds")),
        RecordSet("fund_investments", _fund_investments, "region_code", "id", "code",
                  {"round": "round", "industry": "industry"},
                  ("fund_investments", "funds", "organisations")),
        RecordSet("projects", _projects, "region_code", "id", "code",
                  {"programme": "programme_code", "field": "field_code"}, ("projects",)),
        RecordSet("rd_expenditures", _rd_expenditures, "region_code", "id", "organisation",
                  {"funding_source": "funding_source", "org_kind": "org_kind",
                   "industry": "industry"}, ("rd_expenditures", "organisations"),
                  region_fixed_by=("organisation_id",)),
        RecordSet("technology_contracts", _technology_contracts, "seller_region_code", "id",
                  "registration_no", {"contract_type": "contract_type", "field": "field_code"},
                  ("technology_contracts",)),
        RecordSet("broker_qualifications", _broker_qualifications, "region_code", "id",
                  "certificate_no", {"level": "level"}, ("broker_qualifications",)),
        RecordSet("talent_recruitments", _talent_recruitments, "region_code", "id", "person_id",
                  {"programme": "programme_code", "field": "field_code"},
                  ("talent_recruitments",)),
    )
}

@cache
def relation(name: str) -> ir.Table:
    """The (immutable) relation of a record set, built once per process."""
    return RECORD_SETS[name].build()


#: Fields classified from another field, added to a relation only when a definition uses them.
CLASSIFIED_FIELDS: dict[str, tuple[str, str]] = {
    "industry": ("industry_code", "gb4754_section"),
    "lp_class": ("lp_type", "lp_class"),
}
"""field -> (source field, classification: built in, or named in the catalogue)."""

BUILT_IN_CLASSIFICATIONS = {"gb4754_section"}


def classify(rel: ir.Table, name: str, classifications: dict[str, dict[str, str]]
             ) -> ir.Table:
    """Add the classified field ``name`` to ``rel`` (null where the source is not mapped)."""
    source, scheme = CLASSIFIED_FIELDS[name]
    if scheme == "gb4754_section":
        return rel.mutate(**{name: industry_section(rel[source])})
    mapping = classifications[scheme]
    return rel.mutate(**{name: rel[source].substitute(mapping, else_=ibis.null("string"))})


@cache
def record_fields(name: str) -> dict[str, str]:
    """Fields of a record set, including those classified from catalogue data."""
    fields = RECORD_SETS[name].fields
    for field, (source, _scheme) in CLASSIFIED_FIELDS.items():
        if source in fields:
            fields[field] = "string"
    return fields


BREAKDOWNS: tuple[str, ...] = tuple(sorted({d for r in RECORD_SETS.values() for d in r.dims}))
"""Every breakdown name any record set supports (besides ``region``)."""
