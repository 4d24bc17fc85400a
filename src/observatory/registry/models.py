"""The innovation-ecosystem data model (SQLAlchemy 2, typed).

Entities (organisations, platforms, persons, funds, plans...) are linked by classified,
time-bounded link records (designations, platform links, employments), so "the stock on
31 Dec 2024" is a query. Every record says where it came from (``source_id``, ``source_ref``).
Money is ``Decimal`` yuan in columns whose names end in ``_yuan``; dates are dates.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(20, 2)
"""Yuan with two decimals; 20 digits hold any national total."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Sourced:
    """Provenance on every record: which source, and where in it."""

    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    source_ref: Mapped[str | None] = mapped_column(String(200))


class Source(Base):
    """Where records come from: a publication, an import file, the synthetic generator."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str] = mapped_column(String(300))
    publisher: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)


class AuditLog(Base):
    """Append-only record of every change: who, when, what, before and after, hash-chained
    so tampering shows (``observatory audit verify``)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(60), index=True)
    entity_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    operation: Mapped[str | None] = mapped_column(String(120))
    prev_hash: Mapped[str] = mapped_column(String(64))
    """The ``hash`` of the record before this one (in id order); 64 zeros for the first."""
    hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 over ``prev_hash`` and this record's fields (``registry.audit.record_hash``):
    an edit or a deletion behind the application's back breaks the chain."""


class DataVersion(Base):
    """A counter per audited entity, moved in the same transaction as every write audited
    under that name (and the row ``*`` by every write): caches in every server process learn
    what changed from one small table instead of the audit log (``registry.audit``)."""

    __tablename__ = "data_versions"
    entity: Mapped[str] = mapped_column(String(60), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Region(Base):
    """A GB/T 2260 administrative division: nation > province > city > district."""

    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("level IN ('nation','province','city','district')", name="level"),
    )
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    population: Mapped[int | None] = mapped_column(Integer)


class VocabScheme(Base):
    """A controlled vocabulary (designation types, platform types, fields, LP types...)."""

    __tablename__ = "vocab_schemes"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(100))


class VocabTerm(Base):
    """A term of a scheme, hierarchical and valid over a period."""

    __tablename__ = "vocab_terms"
    __table_args__ = (UniqueConstraint("scheme_code", "code", name="scheme_term"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_code: Mapped[str] = mapped_column(ForeignKey("vocab_schemes.code"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(String(60))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class Organisation(Sourced, Base):
    """An enterprise, university, institute, government body or other organisation."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="enterprise", index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    industry_code: Mapped[str | None] = mapped_column(String(5), index=True)
    founded_on: Mapped[dt.date | None] = mapped_column(Date)
    employees: Mapped[int | None] = mapped_column(Integer)

    designations: Mapped[list[Designation]] = relationship(back_populates="organisation")


class OrganisationName(Sourced, Base):
    """A name an organisation bore over a period (renames keep history)."""

    __tablename__ = "organisation_names"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(300))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class OrganisationYear(Sourced, Base):
    """Yearly figures of an organisation: revenue, staff, assets (eligibility reads these)."""

    __tablename__ = "organisation_years"
    __table_args__ = (UniqueConstraint("organisation_id", "year", name="org_year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    revenue_yuan: Mapped[Decimal | None] = mapped_column(Money)
    high_tech_revenue_yuan: Mapped[Decimal | None] = mapped_column(Money)
    net_assets_yuan: Mapped[Decimal | None] = mapped_column(Money)
    employees: Mapped[int | None] = mapped_column(Integer)
    tech_staff: Mapped[int | None] = mapped_column(Integer)
    # The designation rules' financial calibers (domain_rules.md §2-3; added in migration 0004).
    main_business_revenue_yuan: Mapped[Decimal | None] = mapped_column(Money)
    total_revenue_yuan: Mapped[Decimal | None] = mapped_column(Money)
    rd_expense_domestic_yuan: Mapped[Decimal | None] = mapped_column(Money)
    total_cost_expense_yuan: Mapped[Decimal | None] = mapped_column(Money)
    net_profit_yuan: Mapped[Decimal | None] = mapped_column(Money)
    total_assets_yuan: Mapped[Decimal | None] = mapped_column(Money)
    total_liabilities_yuan: Mapped[Decimal | None] = mapped_column(Money)
    equity_financing_yuan: Mapped[Decimal | None] = mapped_column(Money)
    rd_staff: Mapped[int | None] = mapped_column(Integer)
    achievements_transformed: Mapped[int | None] = mapped_column(Integer)
    # Valid intellectual property held at year end, by the HTE guidelines' classes.
    ip_class1: Mapped[int | None] = mapped_column(Integer)
    ip_class1_own_rd: Mapped[int | None] = mapped_column(Integer)
    ip_class1_high_value: Mapped[int | None] = mapped_column(Integer)
    ip_class2: Mapped[int | None] = mapped_column(Integer)


class OrganisationFact(Sourced, Base):
    """A dated single fact about an organisation that a designation rule refers to by name.

    Yes/no conditions (``major_incident_last_year``), codes (``hte_field``) and numbers
    (``national_market_share``). The newest observation on or before a date is the one in force.
    Exactly one of the three value columns is set.
    """

    __tablename__ = "organisation_facts"
    __table_args__ = (
        UniqueConstraint("organisation_id", "fact_code", "observed_on", name="org_fact_date"),
        CheckConstraint(
            "(CASE WHEN value_bool IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN value_number IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN value_text IS NULL THEN 0 ELSE 1 END) = 1", name="one_value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    fact_code: Mapped[str] = mapped_column(String(60), index=True)
    observed_on: Mapped[dt.date] = mapped_column(Date)
    value_bool: Mapped[bool | None] = mapped_column(Boolean)
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(24, 6))
    value_text: Mapped[str | None] = mapped_column(String(200))

    @property
    def value(self) -> bool | int | float | str | None:
        return fact_value(self.value_bool, self.value_number, self.value_text)


def fact_value(flag: bool | None, number: Decimal | float | None, text: str | None
               ) -> bool | int | float | str | None:
    """The one value a fact holds, as a rule pack compares it (7.000000 -> 7, 0.125 -> 0.125).

    >>> fact_value(None, Decimal("7.000000"), None), fact_value(True, None, None)
    (7, True)
    """
    if flag is not None:
        return flag
    if number is not None:
        f = float(number)
        return int(f) if f.is_integer() else f
    return text


class Identifier(Sourced, Base):
    """Another identifier of an organisation (stock code, old registration number...)."""

    __tablename__ = "identifiers"
    __table_args__ = (UniqueConstraint("scheme", "value", name="scheme_value"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(100))


class Designation(Sourced, Base):
    """A time-bounded designation of an organisation (high-tech enterprise, tech SME...)."""

    __tablename__ = "designations"
    __table_args__ = (
        CheckConstraint("status IN ('applied','granted','revoked','expired')", name="status"),
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
                        name="dates"),
        Index("ix_designations_type_dates", "type_code", "valid_from", "valid_to"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_no: Mapped[str] = mapped_column(String(60), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    type_code: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(20))
    issuer: Mapped[str | None] = mapped_column(String(200))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="granted")

    organisation: Mapped[Organisation] = relationship(back_populates="designations")


class Platform(Sourced, Base):
    """An innovation platform: lab, engineering centre, incubator, maker space, park..."""

    __tablename__ = "platforms"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(300))
    type_code: Mapped[str] = mapped_column(String(60), index=True)
    level: Mapped[str] = mapped_column(String(20), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    field_code: Mapped[str | None] = mapped_column(String(60))
    established_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    area_m2: Mapped[int | None] = mapped_column(Integer)


class PlatformLink(Sourced, Base):
    """An organisation's role in a platform (host, member, tenant) over a period."""

    __tablename__ = "platform_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class Person(Sourced, Base):
    """A talent or a technology broker."""

    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(200))
    field_code: Mapped[str | None] = mapped_column(String(60))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))


class TalentRecruitment(Sourced, Base):
    """A person recruited under a talent programme in a year."""

    __tablename__ = "talent_recruitments"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    programme_code: Mapped[str] = mapped_column(String(60))
    year: Mapped[int] = mapped_column(Integer, index=True)
    field_code: Mapped[str | None] = mapped_column(String(60))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))


class Employment(Sourced, Base):
    """A person's employer over a period."""

    __tablename__ = "employments"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(60))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class BrokerQualification(Sourced, Base):
    """A technology broker's qualification (junior/intermediate/senior) with its validity."""

    __tablename__ = "broker_qualifications"
    __table_args__ = (
        CheckConstraint("level IN ('junior','intermediate','senior')", name="level"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_no: Mapped[str] = mapped_column(String(60), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class Plan(Sourced, Base):
    """A plan with targets (e.g. "double five key indicators by 2028", Haichuang 2.0)."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200))
    start_on: Mapped[dt.date | None] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")


class PlanItem(Sourced, Base):
    """A major project or key task of a plan (key tasks hang under major projects)."""

    __tablename__ = "plan_items"
    __table_args__ = (
        CheckConstraint("kind IN ('major_project','key_task')", name="kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("plan_items.id"))
    kind: Mapped[str] = mapped_column(String(20))
    name_en: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200))
    start_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="in_progress")


class Target(Sourced, Base):
    """A measurable target of a plan or task, on a catalogue indicator or a given series."""

    __tablename__ = "targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_items.id"), index=True)
    name_en: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str] = mapped_column(String(200))
    indicator_code: Mapped[str | None] = mapped_column(String(80))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    form: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(10), default="higher")
    base_year: Mapped[int | None] = mapped_column(Integer)
    target_year: Mapped[int] = mapped_column(Integer)
    target_value: Mapped[Decimal | None] = mapped_column(Numeric(24, 6))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    method: Mapped[str] = mapped_column(String(20), default="forecast")
    owner: Mapped[str | None] = mapped_column(String(200))


class Project(Sourced, Base):
    """A science-and-technology project (key project, demonstration project...)."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(400))
    programme_code: Mapped[str] = mapped_column(String(60), index=True)
    field_code: Mapped[str | None] = mapped_column(String(60))
    year: Mapped[int] = mapped_column(Integer, index=True)
    budget_yuan: Mapped[Decimal | None] = mapped_column(Money)
    public_funding_yuan: Mapped[Decimal | None] = mapped_column(Money)
    lead_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                            index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    status: Mapped[str] = mapped_column(String(20), default="ongoing")
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_items.id"))


class ProjectParticipant(Sourced, Base):
    """A partner organisation of a project."""

    __tablename__ = "project_participants"
    __table_args__ = (UniqueConstraint("project_id", "organisation_id", name="project_org"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="partner")


class _Listing(Sourced):
    """Shared columns of achievements (supply) and demands (needs)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title_zh: Mapped[str | None] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(400))
    summary_zh: Mapped[str | None] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text)
    problem_zh: Mapped[str | None] = mapped_column(Text)
    problem_en: Mapped[str | None] = mapped_column(Text)
    advantages_zh: Mapped[str | None] = mapped_column(Text)
    advantages_en: Mapped[str | None] = mapped_column(Text)
    applications_zh: Mapped[str | None] = mapped_column(Text)
    applications_en: Mapped[str | None] = mapped_column(Text)
    keywords_zh: Mapped[str | None] = mapped_column(String(400))
    keywords_en: Mapped[str | None] = mapped_column(String(400))
    field_code: Mapped[str] = mapped_column(String(60), index=True)
    trl: Mapped[int | None] = mapped_column(Integer)
    owner_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                             index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    visibility: Mapped[str] = mapped_column(String(20), default="public")
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    published_on: Mapped[dt.date | None] = mapped_column(Date)


class Achievement(_Listing, Base):
    """A sci-tech achievement offered for transfer, licensing or cooperation."""

    __tablename__ = "achievements"
    __table_args__ = (CheckConstraint("trl IS NULL OR (trl BETWEEN 1 AND 9)", name="trl"),)
    asking_price_yuan: Mapped[Decimal | None] = mapped_column(Money)


class Demand(_Listing, Base):
    """An enterprise's technology need."""

    __tablename__ = "demands"
    __table_args__ = (CheckConstraint("trl IS NULL OR (trl BETWEEN 1 AND 9)", name="trl"),)
    budget_yuan: Mapped[Decimal | None] = mapped_column(Money)


class TechnologyContract(Sourced, Base):
    """A registered technology contract; its technology transaction amount is a key indicator.

    Regions are recorded as of signing, so the official flows hold: outflow by the seller's
    region, inflow by the buyer's.
    """

    __tablename__ = "technology_contracts"
    __table_args__ = (
        CheckConstraint(
            "contract_type IN ('development','transfer','licensing','consulting','service')",
            name="contract_type",
        ),
        CheckConstraint("technology_amount_yuan <= total_amount_yuan", name="tech_le_total"),
        CheckConstraint("total_amount_yuan >= 0 AND technology_amount_yuan >= 0", name="amounts"),
        CheckConstraint("registered_on >= signed_on", name="dates"),
        Index("ix_contracts_registered_seller", "registered_on", "seller_region_code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_no: Mapped[str] = mapped_column(String(40), unique=True)
    contract_type: Mapped[str] = mapped_column(String(20))
    seller_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    buyer_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                       index=True)
    broker_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    seller_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    buyer_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    total_amount_yuan: Mapped[Decimal] = mapped_column(Money)
    technology_amount_yuan: Mapped[Decimal] = mapped_column(Money)
    signed_on: Mapped[dt.date] = mapped_column(Date)
    registered_on: Mapped[dt.date] = mapped_column(Date, index=True)
    field_code: Mapped[str | None] = mapped_column(String(60))
    achievement_id: Mapped[int | None] = mapped_column(ForeignKey("achievements.id"))
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id"))


class Fund(Sourced, Base):
    """A government guidance fund or one of its sub-funds."""

    __tablename__ = "funds"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    sponsor_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    manager_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    parent_fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    vintage: Mapped[int] = mapped_column(Integer)
    size_yuan: Mapped[Decimal] = mapped_column(Money)
    term_years: Mapped[int | None] = mapped_column(Integer)
    return_investment_multiple: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))


class FundCommitment(Sourced, Base):
    """A limited partner's commitment to a fund."""

    __tablename__ = "fund_commitments"
    __table_args__ = (CheckConstraint("amount_yuan >= 0", name="amount"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    lp_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # When the LP is itself a fund of the registry (a mother fund in its sub-fund).
    lp_fund_id: Mapped[int | None] = mapped_column(ForeignKey("funds.id"), index=True)
    lp_name: Mapped[str] = mapped_column(String(200))
    lp_type: Mapped[str] = mapped_column(String(30), index=True)
    amount_yuan: Mapped[Decimal] = mapped_column(Money)
    committed_on: Mapped[dt.date] = mapped_column(Date)


class FundCashFlow(Sourced, Base):
    """A capital call, distribution or fee of a fund (amounts positive; kind gives the sign)."""

    __tablename__ = "fund_cash_flows"
    __table_args__ = (
        CheckConstraint("kind IN ('call','distribution','fee')", name="kind"),
        CheckConstraint("amount_yuan >= 0", name="amount"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    flow_on: Mapped[dt.date] = mapped_column(Date)
    amount_yuan: Mapped[Decimal] = mapped_column(Money)


class FundValuation(Sourced, Base):
    """A fund's net asset value on a date."""

    __tablename__ = "fund_valuations"
    __table_args__ = (UniqueConstraint("fund_id", "as_of", name="fund_as_of"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    nav_yuan: Mapped[Decimal] = mapped_column(Money)


class FundInvestment(Sourced, Base):
    """An investment of a fund in a company (and optionally a project)."""

    __tablename__ = "fund_investments"
    __table_args__ = (CheckConstraint("amount_yuan > 0", name="amount"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    investee_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                          index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    invested_on: Mapped[dt.date] = mapped_column(Date)
    round: Mapped[str | None] = mapped_column(String(20))
    amount_yuan: Mapped[Decimal] = mapped_column(Money)
    in_region: Mapped[bool] = mapped_column(Boolean)


class RdExpenditure(Sourced, Base):
    """An organisation's R&D expenditure in a year from one funding source."""

    __tablename__ = "rd_expenditures"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", "funding_source", name="org_year_source"),
        CheckConstraint("amount_yuan >= 0", name="amount"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    funding_source: Mapped[str] = mapped_column(String(20))
    amount_yuan: Mapped[Decimal] = mapped_column(Money)


class Observation(Sourced, Base):
    """A published statistic (energy intensity, GII rank...): indicator, region, period, value."""

    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("indicator_code", "region_code", "period", name="ind_region_period"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_code: Mapped[str] = mapped_column(String(80), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    period: Mapped[str] = mapped_column(String(10))
    value: Mapped[Decimal] = mapped_column(Numeric(28, 8))
    unit: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(300))


class Match(Sourced, Base):
    """A proposed pairing of a demand and an achievement, moved along by a broker.

    Status runs proposed -> contacted -> nda -> negotiating -> contracted, or ends in declined
    with a structured reason; ``contract_id`` links the registered contract it became.
    """

    __tablename__ = "matches"
    __table_args__ = (
        CheckConstraint("status IN ('proposed','contacted','nda','negotiating','contracted',"
                        "'declined')", name="status"),
        UniqueConstraint("demand_id", "achievement_id", name="demand_achievement"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id"), index=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"), index=True)
    broker_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    decline_reason: Mapped[str | None] = mapped_column(String(30))
    score: Mapped[float | None] = mapped_column(Numeric(12, 6, asdecimal=False))
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    proposed_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("technology_contracts.id"))


class MatchEvent(Base):
    """One status change of a match (who, when, from, to): the broker pipeline's history."""

    __tablename__ = "match_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id"), index=True)
    on: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(120))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)


class Fair(Base):
    """A technology fair or matchmaking event (对接会) that groups matched pairs."""

    __tablename__ = "fairs"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(300))
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    place: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(120))


class FairMatch(Base):
    """A match presented at a fair (a pair belongs to a fair at most once)."""

    __tablename__ = "fair_matches"
    __table_args__ = (UniqueConstraint("fair_id", "match_id", name="fair_match"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("fairs.id"), index=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id"), index=True)
    added_on: Mapped[dt.date] = mapped_column(Date)
    added_by: Mapped[str] = mapped_column(String(120))


class ListingVector(Base):
    """A cached embedding of a listing's text for one model; re-embedded when text changes."""

    __tablename__ = "listing_vectors"
    __table_args__ = (
        UniqueConstraint("listing_kind", "listing_id", "model_id", name="listing_model"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_kind: Mapped[str] = mapped_column(String(12))
    listing_id: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[str] = mapped_column(String(80))
    dim: Mapped[int] = mapped_column(Integer)
    text_hash: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class SavedSearch(Base):
    """A demand whose owner wants alerts when a matching achievement is published."""

    __tablename__ = "saved_searches"
    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id"), unique=True)
    min_score: Mapped[float] = mapped_column(Numeric(8, 4, asdecimal=False), default=0.5)
    created_on: Mapped[dt.date] = mapped_column(Date)


class MatchAlert(Base):
    """An alert raised for a saved search by a newly published achievement."""

    __tablename__ = "match_alerts"
    __table_args__ = (
        UniqueConstraint("saved_search_id", "achievement_id", name="search_achievement"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    saved_search_id: Mapped[int] = mapped_column(ForeignKey("saved_searches.id"), index=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"))
    score: Mapped[float] = mapped_column(Numeric(12, 6, asdecimal=False))
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    seen: Mapped[bool] = mapped_column(Boolean, default=False)


class NameReview(Base):
    """A row of a published list whose organisation name resolution was not sure of.

    ``observatory import --resolve-names`` imports the rows it resolved with certainty and
    queues the others here with the candidates it found; an analyst accepts one (or another
    USCC), which imports the row, or rejects it. Nothing is guessed silently.
    """

    __tablename__ = "name_reviews"
    __table_args__ = (
        CheckConstraint("status IN ('pending','accepted','rejected')", name="status"),
        CheckConstraint("decision IN ('review','none')", name="decision"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(60))
    source_file: Mapped[str] = mapped_column(String(300))
    row_no: Mapped[int | None] = mapped_column(Integer)
    row_key: Mapped[str | None] = mapped_column(String(200))
    """The row's natural key without the organisation (a certificate number)."""
    name: Mapped[str] = mapped_column(String(300))
    """The organisation's name as printed."""
    region_hint: Mapped[str | None] = mapped_column(String(60))
    uscc_hint: Mapped[str | None] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(10))
    """``review`` (candidates found, none sure) or ``none`` (no similar organisation)."""
    reason: Mapped[str | None] = mapped_column(String(300))
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    row: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The row's other cells as read, imported with the chosen USCC on acceptance."""
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    resolved_uscc: Mapped[str | None] = mapped_column(String(18))
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
