"""Guidance funds: per-fund figures as ``observatory funds metrics`` prints them and one fund's
investments; a fund manager sees only the funds their organisation manages."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session

from observatory.funds.programme import fund_report
from observatory.registry import models as m
from observatory.services.access import allow, is_staff, role_of, scoped
from observatory.services.auth import Principal
from observatory.services.cache import figure_tables
from observatory.services.context import Deployment
from observatory.services.errors import NotFound
from observatory.services.records import json_records


class FundFigures(BaseModel):
    code: str
    parent: str | None
    name_zh: str | None
    name_en: str | None
    kind: str | None
    vintage: int | None
    size_yuan: float | None
    committed: float | None
    paid_in: float | None
    distributed: float | None
    nav: float | None
    invested: float | None
    dpi: float | None
    tvpi: float | None
    irr: float | None
    deals: int | None


class FundsPage(BaseModel):
    as_of: str
    funds: list[FundFigures]


class Investment(BaseModel):
    code: str
    date: str
    amount_yuan: float
    investee_zh: str | None
    investee_en: str | None


class FundPage(FundFigures):
    as_of: str
    investments: list[Investment]


def funds_page(engine: Engine, codes: set[str] | None = None, as_of: dt.date | None = None
               ) -> FundsPage:
    """Per-fund figures from ``funds.programme.fund_report``, restricted to ``codes`` when
    given (a fund manager's funds)."""
    as_of = as_of or dt.date.today()
    df = fund_report(engine, as_of).funds
    if codes is not None:
        df = df[df["fund"].isin(codes)]
    funds = []
    for rec in json_records(df):
        funds.append(FundFigures.model_validate({
            "code": rec["fund"], "size_yuan": rec.get("size"),
            **{k: rec.get(k) for k in ("parent", "name_zh", "name_en", "kind", "vintage",
                                       "committed", "paid_in", "distributed", "nav",
                                       "invested", "dpi", "tvpi", "irr", "deals")}}))
    return FundsPage(as_of=as_of.isoformat(), funds=funds)


def funds_in_scope(p: Principal) -> Select[int, str] | None:
    """(id, code) of the funds ``p`` may open: a fund manager the funds their organisation
    manages; staff every fund; either only funds whose sponsor lies in the home region's
    subtree (a fund without a sponsor: its own region). Other roles: none. None = every
    fund (no query needed)."""
    manager = role_of(p) == "fund_manager"
    if not manager and not is_staff(p):
        return select(m.Fund.id, m.Fund.code).where(m.Fund.id.is_(None))
    if not manager and p.scope is None:
        return None
    stmt = select(m.Fund.id, m.Fund.code).outerjoin(
        m.Organisation, m.Organisation.id == m.Fund.sponsor_organisation_id)
    if manager:
        stmt = stmt.where(m.Fund.manager_organisation_id == p.organisation_id)
    return scoped(stmt, p, func.coalesce(m.Organisation.region_code, m.Fund.region_code))


def fund_scope(engine: Engine, p: Principal) -> set[str] | None:
    """The fund codes a user may see; None = every fund."""
    stmt = funds_in_scope(p)
    if stmt is None:
        return None
    with Session(engine) as session:
        return {code for _, code in session.execute(stmt)}


def funds_view(dep: Deployment, p: Principal) -> FundsPage:
    """The funds page for ``p`` (cached per database state and scope)."""
    allow(p, "funds")
    scope = fund_scope(dep.engine, p)
    key = tuple(sorted(scope)) if scope is not None else None
    return dep.cache.get("funds", lambda: funds_page(dep.engine, scope), key,
                         depends=figure_tables())


def fund_view(dep: Deployment, p: Principal, code: str) -> FundPage:
    """One fund's figures and investments; NotFound outside ``p``'s scope."""
    data = funds_view(dep, p)
    found = next((f for f in data.funds if f.code == code), None)
    if found is None:
        raise NotFound()
    with Session(dep.engine) as session:
        fund_id = session.scalar(select(m.Fund.id).where(m.Fund.code == code))
        rows = session.execute(
            select(m.FundInvestment.code, m.FundInvestment.invested_on,
                   m.FundInvestment.amount_yuan, m.Organisation.name_zh, m.Organisation.name_en)
            .join(m.Organisation,
                  m.Organisation.id == m.FundInvestment.investee_organisation_id)
            .where(m.FundInvestment.fund_id == fund_id)
            .order_by(m.FundInvestment.invested_on)).all()
    return FundPage(**found.model_dump(), as_of=data.as_of, investments=[
        Investment(code=c, date=d.isoformat(), amount_yuan=float(a), investee_zh=nz,
                   investee_en=ne) for c, d, a, nz, ne in rows])
