"""The evaluator's inputs from the registry: :class:`Enterprise` objects in bulk, designations.

The evaluator and the pipeline are database-agnostic; this module is the only place that knows
the registry's tables. Everything loads with five queries whatever the number of enterprises
(organisations, yearly figures with IP counts, R&D by year, facts, designations), which keeps
a city of 20,000+ enterprises quick. What the registry holds and what it does not (those
figures come out as insufficient data) is listed in docs/methodology/eligibility.md ("From the
registry").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.db import session_for
from observatory.eligibility.model import Enterprise
from observatory.eligibility.packs import Pack
from observatory.eligibility.pipeline import PipelineResult, run_pipeline
from observatory.registry import models as m
from observatory.registry.codes import uscc_problem

#: Registry designation type (vocabulary ``designation_type``) -> rule-pack code.
DESIGNATION_PACKS: dict[str, str] = {
    "high_tech_enterprise": "hte",
    "tech_sme": "tsme",
    "innovative_sme": "innovative_sme",
    "zhuanjingtexin_sme": "zjtx_sme",
    "little_giant": "little_giant",
    "hidden_champion": "hidden_champion",
    "unicorn": "unicorn",
    "gazelle": "gazelle",
}

#: organisation_years column -> Enterprise year field.
YEAR_COLUMNS: dict[str, str] = {
    "revenue_yuan": "revenue",
    "high_tech_revenue_yuan": "high_tech_revenue",
    "net_assets_yuan": "net_assets",
    "employees": "employees",
    "tech_staff": "tech_staff",
    "main_business_revenue_yuan": "main_business_revenue",
    "total_revenue_yuan": "total_revenue",
    "rd_expense_domestic_yuan": "rd_expense_domestic",
    "total_cost_expense_yuan": "total_cost_expense",
    "net_profit_yuan": "net_profit",
    "total_assets_yuan": "total_assets",
    "total_liabilities_yuan": "total_liabilities",
    "equity_financing_yuan": "equity_financing",
    "rd_staff": "rd_staff",
    "achievements_transformed": "transformations",
}

#: organisation_years column (year-end stock of valid IP) -> Enterprise ``ip`` field.
IP_COLUMNS: dict[str, str] = {
    "ip_class1": "class1",
    "ip_class1_own_rd": "class1_own_rd",
    "ip_class1_high_value": "class1_high_value",
    "ip_class2": "class2",
}


class RegistryInputError(ValueError):
    """An enterprise cannot be assessed from the registry: what, which value, and why."""

    def __init__(self, field: str, value: Any, en: str, zh: str) -> None:
        self.field, self.value = field, value
        self.message_en = f"{field} {value!r}: {en}"
        self.message_zh = f"{field} {value!r}：{zh}"
        super().__init__(f"{self.message_en}\n{self.message_zh}")


def designation_type(pack_code: str) -> str:
    """The registry designation type a pack certifies (the pack code itself if unmapped)."""
    return next((t for t, p in DESIGNATION_PACKS.items() if p == pack_code), pack_code)


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


# The row-to-model steps below are shared by the registry queries here and the Parquet lake
# batch (:mod:`observatory.eligibility.lake`), so both build equal enterprises from equal rows.

def year_record(year: int, values: Sequence[Any]) -> dict[str, Any]:
    """A fiscal year's figures from the :data:`YEAR_COLUMNS` values, in that order (None left
    out: the field is then missing, not zero)."""
    rec: dict[str, Any] = {"year": year}
    rec.update({f: _num(v) for f, v in zip(YEAR_COLUMNS.values(), values, strict=True)
                if v is not None})
    return rec


def ip_record(values: Sequence[Any]) -> dict[str, int]:
    """The year-end IP stock from the :data:`IP_COLUMNS` values, in that order."""
    return {f: int(v) for f, v in zip(IP_COLUMNS.values(), values, strict=True)
            if v is not None}


def held_record(type_code: str, valid_from: date | None, valid_to: date | None
                ) -> dict[str, Any]:
    """A granted designation as the evaluator reads it (the pack code for a registry type)."""
    return {"code": DESIGNATION_PACKS.get(type_code, type_code), "valid_from": valid_from,
            "valid_to": valid_to}


def enterprise_model(uscc: str, name: str, founded: date | None, years: dict[int, dict[str, Any]],
                     ip: dict[str, int], facts: dict[str, Any], held: list[dict[str, Any]]
                     ) -> Enterprise:
    """The :class:`Enterprise` of one organisation from its assembled parts."""
    return Enterprise.model_validate({
        "id": uscc, "name": name, "founded": founded,
        "years": [years[y] for y in sorted(years)], "ip": ip, "facts": facts,
        "designations": held})


def load_enterprises(db: Session | Engine, as_of: date, usccs: list[str] | None = None,
                     with_years_only: bool = True, id_range: tuple[int, int] | None = None
                     ) -> list[Enterprise]:
    """Enterprises as of ``as_of`` from five bulk queries, in organisation id order
    (``id_range``: only organisations with ids in it, both ends included; what
    :func:`iter_enterprises` loads a batch at a time).

    Only enterprises founded on or before ``as_of``; with ``with_years_only``, only those with
    at least one year of figures (the others can only be insufficient data). Fiscal years before
    ``as_of``'s year are loaded (a year's figures are not final until it ends). R&D expense of a
    year is the sum over every funding source; IP counts are the year-end stock of the fiscal
    year (the year before ``as_of``; an older stock is not carried forward); each fact is its
    newest observation on or before ``as_of``; designations are the granted ones that started on
    or before ``as_of`` (the evaluator checks validity at the date).
    """
    oy, rd, d, o = m.OrganisationYear, m.RdExpenditure, m.Designation, m.Organisation
    of = m.OrganisationFact
    with session_for(db) as session:
        s = session.connection()  # Core rows: no ORM row processing on 100k+ rows
        q = select(o.id, o.uscc, o.name_zh, o.founded_on).where(
            o.founded_on.is_not(None), o.founded_on <= as_of)
        q = q.where(o.uscc.in_(usccs)) if usccs is not None else q.where(o.kind == "enterprise")
        if id_range is not None:
            q = q.where(o.id.between(*id_range))
        if with_years_only:
            q = q.where(o.id.in_(select(oy.organisation_id).where(oy.year < as_of.year)))
        orgs = {oid: (uscc, name, founded)
                for oid, uscc, name, founded in s.execute(q.order_by(o.id))}

        def scoped(q: Any, col: Any) -> Any:
            if id_range is not None:
                q = q.where(col.between(*id_range))
            return q.where(col.in_(select(o.id).where(o.uscc.in_(usccs)))) if usccs else q

        years: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        ip: dict[int, dict[str, int]] = {}
        cols = [getattr(oy, c) for c in (*YEAR_COLUMNS, *IP_COLUMNS)]
        q = scoped(select(oy.organisation_id, oy.year, *cols).where(oy.year < as_of.year),
                   oy.organisation_id)
        n_year = len(YEAR_COLUMNS)
        for oid, year, *values in s.execute(q):
            if oid in orgs:
                years[oid][year] = year_record(year, values[:n_year])
                if year == as_of.year - 1:  # the fiscal year's year-end stock, nothing older
                    ip[oid] = ip_record(values[n_year:])
        facts: dict[int, dict[str, Any]] = defaultdict(dict)
        q = scoped(select(of.organisation_id, of.fact_code, of.value_bool, of.value_number,
                          of.value_text).where(of.observed_on <= as_of)
                   .order_by(of.organisation_id, of.fact_code, of.observed_on, of.id),
                   of.organisation_id)
        for oid, code, flag, number, text in s.execute(q):
            if oid in orgs:  # in date order: the newest observation wins
                facts[oid][code] = m.fact_value(flag, number, text)
        q = scoped(select(rd.organisation_id, rd.year, func.sum(rd.amount_yuan))
                   .where(rd.year < as_of.year).group_by(rd.organisation_id, rd.year),
                   rd.organisation_id)
        for oid, year, amount in s.execute(q):
            if oid in orgs and amount is not None:
                years[oid].setdefault(year, {"year": year})["rd_expense"] = float(amount)
        held: dict[int, list[dict[str, Any]]] = defaultdict(list)
        started = d.valid_from.is_(None) | (d.valid_from <= as_of)
        q = scoped(select(d.organisation_id, d.type_code, d.valid_from, d.valid_to)
                   .where(d.status == "granted", started).order_by(d.id), d.organisation_id)
        for oid, type_code, start, end in s.execute(q):
            if oid in orgs:
                held[oid].append(held_record(type_code, start, end))
    return [enterprise_model(uscc, name, founded, years[oid], ip.get(oid, {}),
                             facts.get(oid, {}), held[oid])
            for oid, (uscc, name, founded) in orgs.items()]


#: Organisations per batch of :func:`iter_enterprises` (about 70 MB of models at a time).
ENTERPRISE_BATCH = 20_000


def iter_enterprises(db: Session | Engine, as_of: date, batch: int = ENTERPRISE_BATCH
                     ) -> Iterator[Enterprise]:
    """:func:`load_enterprises`' enterprises, in the same order, loaded ``batch`` organisation
    ids at a time: a nation's million enterprises never sit in memory at once (about 20 KB
    each as models)."""
    o = m.Organisation
    with session_for(db) as s:
        low, high = s.execute(select(func.min(o.id), func.max(o.id))).one()
        if low is None:
            return
        for start in range(low, high + 1, batch):
            yield from load_enterprises(s, as_of, id_range=(start, start + batch - 1))


def load_enterprise(db: Session | Engine, uscc: str, as_of: date) -> Enterprise:
    """One organisation by USCC (same queries as the batch), or a precise error."""
    problem = uscc_problem(uscc)
    if problem:
        raise RegistryInputError("USCC", uscc, f"not a valid unified social credit code "
                                 f"({problem})", f"不是有效的统一社会信用代码（{problem}）")
    with session_for(db) as s:
        row = s.execute(select(m.Organisation.founded_on).where(
            m.Organisation.uscc == uscc)).first()
        if row is None:
            raise RegistryInputError("USCC", uscc, "no organisation with this code in the "
                                     "registry", "登记库中没有该统一社会信用代码的组织")
        if row[0] is None:
            raise RegistryInputError("USCC", uscc, "the registry holds no founding date for "
                                     "this organisation", "登记库中缺少该组织的成立日期")
        if row[0] > as_of:
            raise RegistryInputError("as_of", as_of.isoformat(), f"before the organisation's "
                                     f"founding date {row[0]}", f"早于该组织成立日期{row[0]}")
        return load_enterprises(s, as_of, usccs=[uscc], with_years_only=False)[0]


def load_designations(db: Session | Engine, pack_code: str) -> pd.DataFrame:
    """Granted designations of the type a pack certifies (the input of ``renewals``), in
    designation id order."""
    d, o = m.Designation, m.Organisation
    with session_for(db) as s:
        rows = s.execute(select(o.uscc, o.name_zh, d.certificate_no, d.valid_from, d.valid_to)
                         .join(o, o.id == d.organisation_id)
                         .where(d.type_code == designation_type(pack_code),
                                d.status == "granted").order_by(d.id)).all()
    return designations_frame([tuple(r) for r in rows], pack_code)


def designations_frame(rows: list[tuple[Any, ...]], pack_code: str) -> pd.DataFrame:
    """The renewals' input from (USCC, name, certificate no., valid from, valid to) rows."""
    df = pd.DataFrame(rows, columns=["org_id", "name", "certificate_no", "valid_from",
                                     "valid_to"])
    df.insert(2, "code", pack_code)
    return df


def registry_pipeline(db: Session | Engine, pack: Pack, as_of: date, **options: Any
                      ) -> PipelineResult:
    """:func:`run_pipeline` over every enterprise in the registry with yearly figures, loaded
    a batch at a time as the pipeline goes (:func:`iter_enterprises`)."""
    with session_for(db) as s:
        designations = load_designations(s, pack.code)
        return run_pipeline(pack, iter_enterprises(s, as_of), designations, as_of, **options)


__all__ = ["DESIGNATION_PACKS", "IP_COLUMNS", "YEAR_COLUMNS",
           "RegistryInputError", "designation_type", "designations_frame", "enterprise_model",
           "held_record", "ip_record", "iter_enterprises", "load_designations",
           "load_enterprise", "load_enterprises", "registry_pipeline", "year_record"]
