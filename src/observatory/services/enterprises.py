"""Enterprises: the list, one profile (designations, yearly figures, facts, listings) and the
eligibility assessments; an enterprise user sees only its own organisation, and every user
only the organisations of their home region's subtree."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.services.access import allow, in_scope, role_of, scoped
from observatory.services.auth import Principal
from observatory.services.errors import NotFound
from observatory.services.records import as_number, iso


class EnterpriseRow(BaseModel):
    id: int
    uscc: str | None
    name_zh: str | None
    name_en: str | None
    region: str | None


class EnterpriseList(BaseModel):
    q: str
    enterprises: list[EnterpriseRow]


class DesignationView(BaseModel):
    type: str
    level: str | None
    status: str | None
    certificate_no: str | None
    valid_from: str | None
    valid_to: str | None


class EnterpriseYear(BaseModel):
    year: int
    revenue: float | None
    total_revenue: float | None
    high_tech_revenue: float | None
    employees: int | None
    tech_staff: int | None
    rd_expense: float | None
    rd_expense_domestic: float | None
    transformations: int | None
    ip_class1: int | None
    ip_class2: int | None


class FactView(BaseModel):
    code: str
    observed_on: str
    value: str | int | float | bool | None


class OwnListing(BaseModel):
    code: str
    kind: str
    title_zh: str | None
    title_en: str | None
    status: str | None


class EnterpriseProfile(BaseModel):
    id: int
    uscc: str | None
    name_zh: str | None
    name_en: str | None
    kind: str | None
    region: str | None
    industry: str | None
    founded_on: str | None
    designations: list[DesignationView]
    years: list[EnterpriseYear]
    facts: list[FactView]
    listings: list[OwnListing]


def enterprise_list(engine: Engine, p: Principal, q: str) -> EnterpriseList:
    """Up to 100 enterprises whose name or USCC matches ``q`` (an enterprise user: itself)."""
    allow(p, "enterprises")
    q = q[:100]
    stmt = select(m.Organisation.id, m.Organisation.uscc, m.Organisation.name_zh,
                  m.Organisation.name_en, m.Organisation.region_code).where(
        m.Organisation.kind == "enterprise").order_by(m.Organisation.id).limit(100)
    if role_of(p) == "enterprise":
        stmt = stmt.where(m.Organisation.id == p.organisation_id)
    stmt = scoped(stmt, p, m.Organisation.region_code)
    if q:
        # autoescape: % and _ in a name are letters to look for, not wildcards.
        stmt = stmt.where(or_(m.Organisation.name_zh.contains(q, autoescape=True),
                              m.Organisation.name_en.contains(q, autoescape=True),
                              m.Organisation.uscc == q))
    with Session(engine) as session:
        rows = session.execute(stmt).all()
    return EnterpriseList(q=q, enterprises=[
        EnterpriseRow(id=i, uscc=u, name_zh=nz, name_en=ne, region=r)
        for i, u, nz, ne, r in rows])


def check_enterprise_access(engine: Engine, p: Principal, org_id: int) -> None:
    """An enterprise user may see only its own organisation, everyone only organisations of
    their home region's subtree; others (and unknown ids) get NotFound."""
    allow(p, "enterprises")
    if role_of(p) == "enterprise" and p.organisation_id != org_id:
        raise NotFound()
    with Session(engine) as session:
        region = session.scalar(select(m.Organisation.region_code)
                                .where(m.Organisation.id == org_id))
    if region is None or not in_scope(p, region):
        raise NotFound()


def _years(session: Session, org_id: int) -> list[EnterpriseYear]:
    rows = session.scalars(select(m.OrganisationYear)
                           .where(m.OrganisationYear.organisation_id == org_id)
                           .order_by(m.OrganisationYear.year)).all()
    rd = session.execute(select(m.RdExpenditure.year, func.sum(m.RdExpenditure.amount_yuan))
                         .where(m.RdExpenditure.organisation_id == org_id)
                         .group_by(m.RdExpenditure.year)).all()
    rd_by_year = {int(y): as_number(v) for y, v in rd}
    return [EnterpriseYear(
        year=y.year, revenue=as_number(y.revenue_yuan),
        total_revenue=as_number(y.total_revenue_yuan),
        high_tech_revenue=as_number(y.high_tech_revenue_yuan), employees=y.employees,
        tech_staff=y.tech_staff, rd_expense=rd_by_year.get(y.year),
        rd_expense_domestic=as_number(y.rd_expense_domestic_yuan),
        transformations=y.achievements_transformed, ip_class1=y.ip_class1,
        ip_class2=y.ip_class2) for y in rows]


def _facts_in_force(session: Session, org_id: int) -> list[FactView]:
    in_force: dict[str, m.OrganisationFact] = {}
    for fact in session.scalars(select(m.OrganisationFact).where(
            m.OrganisationFact.organisation_id == org_id,
            m.OrganisationFact.observed_on <= dt.date.today())
            .order_by(m.OrganisationFact.observed_on)):
        in_force[fact.fact_code] = fact  # date order: the newest observation wins
    return [FactView(code=f.fact_code, observed_on=f.observed_on.isoformat(), value=f.value)
            for _, f in sorted(in_force.items())]


def _own_listings(session: Session, org_id: int) -> list[OwnListing]:
    rows: list[tuple[m.Achievement | m.Demand, str]] = [
        (row, "achievement") for row in session.scalars(
            select(m.Achievement).where(m.Achievement.owner_organisation_id == org_id)
            .order_by(m.Achievement.code))]
    rows += [(row, "demand") for row in session.scalars(
        select(m.Demand).where(m.Demand.owner_organisation_id == org_id)
        .order_by(m.Demand.code))]
    return [OwnListing(code=row.code, kind=kind, title_zh=row.title_zh, title_en=row.title_en,
                       status=row.status) for row, kind in rows]


def enterprise_profile(engine: Engine, p: Principal, org_id: int) -> EnterpriseProfile:
    """One organisation's profile; NotFound when absent or outside ``p``'s scope."""
    check_enterprise_access(engine, p, org_id)
    with Session(engine) as session:
        org = session.get(m.Organisation, org_id)
        if org is None:
            raise NotFound()
        designations = session.scalars(select(m.Designation)
                                       .where(m.Designation.organisation_id == org_id)
                                       .order_by(m.Designation.valid_from)).all()
        return EnterpriseProfile(
            id=org.id, uscc=org.uscc, name_zh=org.name_zh, name_en=org.name_en, kind=org.kind,
            region=org.region_code, industry=org.industry_code, founded_on=iso(org.founded_on),
            designations=[DesignationView(type=d.type_code, level=d.level, status=d.status,
                                          certificate_no=d.certificate_no,
                                          valid_from=iso(d.valid_from), valid_to=iso(d.valid_to))
                          for d in designations],
            years=_years(session, org_id), facts=_facts_in_force(session, org_id),
            listings=_own_listings(session, org_id))
