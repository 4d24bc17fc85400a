"""Figures of one calendar year that the annual report prints beside the plans: the technology
market's contracts and listings, and the guidance funds' totals at the year's end."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.config import Settings
from observatory.registry import models as m
from observatory.services.errors import Invalid
from observatory.services.funds import funds_page


def report_year(settings: Settings, year: int) -> int:
    """A year the deployment covers; any other (``year=1``, ``99999999999``) is refused, not
    rendered as an empty or broken report."""
    if year not in settings.years:
        raise Invalid(
            f"year {year}: the deployment covers {settings.first_year}-{settings.last_year}",
            f"年份 {year}：本部署覆盖 {settings.first_year}-{settings.last_year} 年")
    return year


class MarketYear(BaseModel):
    contracts: int
    tech_amount: float
    achievements: int
    demands: int
    by_type: list[tuple[str, float]]  # technology amount by contract type


class FundTotals(BaseModel):
    count: int
    size_yuan: float
    paid_in: float
    distributed: float
    nav: float


def market_year(engine: Engine, year: int) -> MarketYear:
    """Contracts registered, their technology amount (also by type) and listings published."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    contract = m.TechnologyContract
    with Session(engine) as session:
        contracts, amount = session.execute(
            select(func.count(), func.sum(contract.technology_amount_yuan))
            .where(contract.registered_on.between(start, end))).one()
        published = {
            kind: session.scalar(select(func.count()).select_from(model)
                                 .where(model.published_on.between(start, end)))
            for kind, model in (("achievements", m.Achievement), ("demands", m.Demand))}
        by_type = session.execute(
            select(contract.contract_type, func.sum(contract.technology_amount_yuan))
            .where(contract.registered_on.between(start, end))
            .group_by(contract.contract_type).order_by(contract.contract_type)).all()
    return MarketYear(contracts=int(contracts or 0), tech_amount=float(amount or 0),
                      achievements=int(published["achievements"] or 0),
                      demands=int(published["demands"] or 0),
                      by_type=[(str(t), float(v or 0)) for t, v in by_type])


def fund_totals(engine: Engine, year: int) -> FundTotals:
    """Every fund's size, paid-in, distributions and NAV summed on 31 December of ``year``."""
    rows = funds_page(engine, as_of=dt.date(year, 12, 31)).funds
    return FundTotals(count=len(rows), size_yuan=sum(f.size_yuan or 0.0 for f in rows),
                      paid_in=sum(f.paid_in or 0.0 for f in rows),
                      distributed=sum(f.distributed or 0.0 for f in rows),
                      nav=sum(f.nav or 0.0 for f in rows))
