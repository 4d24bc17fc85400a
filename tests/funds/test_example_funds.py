"""The example city's funds add up: paid-in within commitments, distributions only from
deals, deals within the investment period, and not every fund idle at the data's date."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory.db import make_engine
from observatory.funds.programme import data_as_of, fund_report
from observatory.registry import models as m


def test_example_city_funds_add_up(example_city_path: Path) -> None:
    engine = make_engine(f"sqlite:///{example_city_path}")
    with Session(engine) as s:
        committed = dict(s.execute(select(m.FundCommitment.fund_id,
                                          func.sum(m.FundCommitment.amount_yuan))
                                   .group_by(m.FundCommitment.fund_id)).all())
        flows = s.execute(select(m.FundCashFlow.fund_id, m.FundCashFlow.kind,
                                 func.sum(m.FundCashFlow.amount_yuan))
                          .group_by(m.FundCashFlow.fund_id, m.FundCashFlow.kind)).all()
        dealt = set(s.scalars(select(m.FundInvestment.fund_id).distinct()))
        kids = dict(s.execute(select(m.Fund.id, m.Fund.parent_fund_id)).all())
        early = s.scalar(select(func.count()).select_from(m.FundInvestment)
                         .join(m.Fund, m.Fund.id == m.FundInvestment.fund_id)
                         .where(func.extract("year", m.FundInvestment.invested_on)
                                > m.Fund.vintage + 4))
        sizes = dict(s.execute(select(m.Fund.id, m.Fund.size_yuan)).all())
    paid: dict[int, float] = {}
    distributed = set()
    for fund, kind, amount in flows:
        if kind in ("call", "fee"):
            paid[fund] = paid.get(fund, 0) + float(amount)
        elif amount > 0:
            distributed.add(fund)
    assert all(paid[f] <= float(committed[f]) for f in paid)
    assert all(float(committed[f]) == float(sizes[f]) for f in sizes)
    # a fund distributes only what its deals (or, for a mother, its sub-funds' deals) returned
    with_deals = dealt | {p for k, p in kids.items() if k in dealt and p is not None}
    assert distributed and distributed <= with_deals
    assert early == 0  # no deal after the five-year investment period
    when = data_as_of(engine)
    funds = fund_report(engine, when).funds
    assert funds["no_investment_12m"].sum() < len(funds) / 2
    assert (funds["deployment_of_paid_in"].dropna() <= 1.0 + 1e-9).all()
