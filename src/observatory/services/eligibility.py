"""Eligibility self-assessment: the bundled rule packs, an assessment of figures a user types
in (nothing stored) and an assessment from what the registry holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.eligibility.evaluator import CriterionResult, Evaluator
from observatory.eligibility.evaluator import assess as assess_pack
from observatory.eligibility.inputs import RegistryInputError, load_enterprise
from observatory.eligibility.packs import Pack, get_pack, load_packs, pack_files
from observatory.registry import models as m
from observatory.services.auth import Principal
from observatory.services.enterprises import check_enterprise_access
from observatory.services.errors import Invalid, NotFound
from observatory.services.records import as_number

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
    def from_form(cls, form: Mapping[str, object]) -> SelfAssessmentInput:
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
        return cls(pack=str(form.get("pack") or "hte"), founded=founded, year=year,
                   ip_class1=None if ip is None else int(ip),
                   **{k: number(k) for k in FIGURES})


def eligibility_packs() -> list[PackChoice]:
    return [PackChoice(code=p.code, name_en=p.name_en, name_zh=p.name_zh)
            for p in load_packs().values()]


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
