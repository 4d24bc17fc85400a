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
    """The technology market of the home region in one year, as the catalogue defines it:
    contracts by the seller's region (outflow, 技术输出) and by the buyer's (inflow, 技术吸纳),
    the technology transaction amount (成交额中的技术交易额) and the whole contract amount
    (turnover, 成交总额), so the report's market section and its key-indicator table agree."""

    contracts: int  # tech_contract_count
    tech_amount: float  # tech_contract_amount
    turnover: float  # tech_contract_turnover
    inflow_contracts: int  # tech_contract_inflow_count
    inflow_amount: float  # tech_contract_inflow_amount
    achievements: int
    demands: int
    by_type: list[tuple[str, float]]  # technology amount (outflow) by contract type


class FundTotals(BaseModel):
    """Guidance funds on 31 December: count and size as the catalogue computes them; paid-in,
    distributions and NAV summed over the funds page's rows."""

    count: int  # fund_count
    size_yuan: float  # fund_size_total
    paid_in: float
    distributed: float
    nav: float


MARKET_CODES = ("tech_contract_count", "tech_contract_amount", "tech_contract_turnover",
                "tech_contract_inflow_count", "tech_contract_inflow_amount")


def _catalogue_values(engine: Engine, codes: tuple[str, ...], region: str, year: int
                      ) -> dict[str, float]:
    from observatory import indicators

    frame = indicators.compute(engine, list(codes), [year], region)
    return {str(r.indicator): float(r.value) for r in frame.itertuples()}


def market_year(engine: Engine, settings: Settings, year: int) -> MarketYear:
    """The home region's market in ``year``: the catalogue's contract figures (by type too) and
    the listings published in the year."""
    from observatory import indicators

    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    values = _catalogue_values(engine, MARKET_CODES, settings.region, year)
    by_type = indicators.compute(engine, ["tech_contract_amount"], [year], settings.region,
                                 by=("contract_type",))
    with Session(engine) as session:
        published = {
            kind: session.scalar(select(func.count()).select_from(model)
                                 .where(model.published_on.between(start, end)))
            for kind, model in (("achievements", m.Achievement), ("demands", m.Demand))}
    return MarketYear(contracts=int(values.get("tech_contract_count", 0)),
                      tech_amount=values.get("tech_contract_amount", 0.0),
                      turnover=values.get("tech_contract_turnover", 0.0),
                      inflow_contracts=int(values.get("tech_contract_inflow_count", 0)),
                      inflow_amount=values.get("tech_contract_inflow_amount", 0.0),
                      achievements=int(published["achievements"] or 0),
                      demands=int(published["demands"] or 0),
                      by_type=sorted((str(r.contract_type), float(r.value))
                                     for r in by_type.itertuples()
                                     if r.contract_type is not None))


def fund_totals(engine: Engine, settings: Settings, year: int) -> FundTotals:
    """The catalogue's fund count and size on 31 December of ``year``, and the funds page's
    paid-in, distributions and NAV on that day."""
    values = _catalogue_values(engine, ("fund_count", "fund_size_total"), settings.region,
                               year)
    rows = funds_page(engine, as_of=dt.date(year, 12, 31)).funds
    return FundTotals(count=int(values.get("fund_count", 0)),
                      size_yuan=values.get("fund_size_total", 0.0),
                      paid_in=sum(f.paid_in or 0.0 for f in rows),
                      distributed=sum(f.distributed or 0.0 for f in rows),
                      nav=sum(f.nav or 0.0 for f in rows))
