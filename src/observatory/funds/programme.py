"""The guidance-fund programme in the registry: the tables the metrics engine takes, and the report.

The engine (:mod:`observatory.funds.metrics`) works on DataFrames whose columns are its contract;
this module is the only place that knows the database side. Each table is one query (no
per-fund queries), so the whole programme loads in a handful of round trips on SQLite and
PostgreSQL alike. Method and mapping: docs/methodology/funds.md ("From the registry").
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased

from observatory.db import session_for
from observatory.funds.metrics import (
    FundDataError,
    direct_alpha,
    family_members,
    flags,
    fund_metrics,
    ks_pme,
    pooled_metrics,
    portfolio_breakdown,
    return_investment,
)
from observatory.registry import models as m
from observatory.registry.codes import INDUSTRY_SECTIONS, industry_section

#: Portfolio views: name -> investment column grouped by.
VIEWS = ("industry", "field", "stage", "district", "year")
UNSPECIFIED = "(unspecified)"


def _money(v: Any) -> float:
    return float(v) if v is not None else math.nan


@dataclass
class FundTables:
    """The engine's input tables, read from the registry (see the metrics module's contract)."""

    funds: pd.DataFrame
    commitments: pd.DataFrame
    cashflows: pd.DataFrame
    valuations: pd.DataFrame
    investments: pd.DataFrame

    def in_scope(self, codes: set[str]) -> FundTables:
        """The same tables restricted to the funds ``codes``."""
        def keep(df: pd.DataFrame) -> pd.DataFrame:
            return df[df["fund"].isin(codes)].reset_index(drop=True)
        return FundTables(keep(self.funds), keep(self.commitments), keep(self.cashflows),
                          keep(self.valuations), keep(self.investments))


def load_fund_tables(db: Session | Engine, as_of: date | None = None) -> FundTables:
    """Read funds, commitments, cash flows, valuations and investments (one query each).

    With ``as_of``, only funds of a vintage up to that year exist, and only commitments made by
    then count (flows, NAVs and deals after ``as_of`` are kept: the engine cuts them itself).

    Mapping: ``fund`` = Fund.code; ``parent`` = the parent fund's code; ``lp_fund`` = the code
    of the registry fund that is the commitment's LP (``FundCommitment.lp_fund_id``);
    ``investee`` = the investee's USCC; ``industry`` = its GB/T 4754 section;
    ``district`` = its region code; ``stage`` = the round; ``field`` = the linked project's field.
    """
    parent = aliased(m.Fund)
    lp_fund = aliased(m.Fund)
    with session_for(db) as s:
        q = (select(m.Fund.code, parent.code, m.Fund.name_zh, m.Fund.name_en, m.Fund.kind,
                    m.Fund.vintage, m.Fund.size_yuan, m.Fund.return_investment_multiple)
             .outerjoin(parent, parent.id == m.Fund.parent_fund_id).order_by(m.Fund.code))
        if as_of is not None:
            q = q.where(m.Fund.vintage <= as_of.year)
        funds = pd.DataFrame(
            [(c, p, nz, ne, k, v, _money(sz), (float(r) if r is not None else None), "guidance")
             for c, p, nz, ne, k, v, sz, r in s.execute(q)],
            columns=["fund", "parent", "name_zh", "name_en", "kind", "vintage", "size",
                     "return_multiple_required", "return_basis"])
        parents = dict(zip(funds["fund"], funds["parent"], strict=True))

        cq = (select(m.Fund.code, m.FundCommitment.lp_type, m.FundCommitment.amount_yuan,
                     m.FundCommitment.committed_on, m.FundCommitment.lp_name, lp_fund.code)
              .join(m.Fund, m.Fund.id == m.FundCommitment.fund_id)
              .outerjoin(lp_fund, lp_fund.id == m.FundCommitment.lp_fund_id)
              .order_by(m.FundCommitment.id))
        if as_of is not None:
            cq = cq.where(m.FundCommitment.committed_on <= as_of)
        commitments = pd.DataFrame(
            [(f, t, _money(a), d, n, lp) for f, t, a, d, n, lp in s.execute(cq) if f in parents],
            columns=["fund", "lp_type", "amount", "date", "lp_name", "lp_fund"])

        fq = (select(m.Fund.code, m.FundCashFlow.flow_on, m.FundCashFlow.kind,
                     m.FundCashFlow.amount_yuan)
              .join(m.Fund, m.Fund.id == m.FundCashFlow.fund_id).order_by(m.FundCashFlow.id))
        cashflows = pd.DataFrame([(f, d, k, _money(a)) for f, d, k, a in s.execute(fq)
                                  if f in parents], columns=["fund", "date", "kind", "amount"])

        vq = (select(m.Fund.code, m.FundValuation.as_of, m.FundValuation.nav_yuan)
              .join(m.Fund, m.Fund.id == m.FundValuation.fund_id).order_by(m.FundValuation.id))
        valuations = pd.DataFrame([(f, d, _money(v)) for f, d, v in s.execute(vq)
                                   if f in parents], columns=["fund", "date", "nav"])

        iq = (select(m.Fund.code, m.Organisation.uscc, m.Organisation.name_zh,
                     m.FundInvestment.invested_on, m.FundInvestment.amount_yuan,
                     m.FundInvestment.in_region, m.Organisation.industry_code,
                     m.Project.field_code, m.FundInvestment.round, m.Organisation.region_code,
                     m.FundInvestment.code)
              .join(m.Fund, m.Fund.id == m.FundInvestment.fund_id)
              .join(m.Organisation,
                    m.Organisation.id == m.FundInvestment.investee_organisation_id)
              .outerjoin(m.Project, m.Project.id == m.FundInvestment.project_id)
              .order_by(m.FundInvestment.id))
        investments = pd.DataFrame(
            [(f, u, n, d, _money(a), bool(r), (industry_section(ic) if ic else None) or UNSPECIFIED,
              fc or UNSPECIFIED, rd or UNSPECIFIED, reg, code)
             for f, u, n, d, a, r, ic, fc, rd, reg, code in s.execute(iq) if f in parents],
            columns=["fund", "investee", "investee_name", "date", "amount", "in_region",
                     "industry", "field", "stage", "district", "code"])
    return FundTables(funds, commitments, cashflows, valuations, investments)


def data_as_of(db: Session | Engine, today: date | None = None) -> date:
    """The date the fund records run to: the latest cash flow, valuation, deal or commitment
    (no later than ``today``). Flags such as ``no_investment_12m`` are measured at this date by
    default, not at today's date, so a register last updated at year end does not turn every
    fund idle a year later."""
    today = today or date.today()
    with session_for(db) as s:
        latest = [s.scalar(select(func.max(col))) for col in (
            m.FundCashFlow.flow_on, m.FundValuation.as_of, m.FundInvestment.invested_on,
            m.FundCommitment.committed_on)]
    dates = [d for d in latest if d is not None and d <= today]
    return max(dates) if dates else today


# -- benchmark series -----------------------------------------------------------------------------
_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{2})(?:-(\d{2}))?|Q([1-4])|H([12])))?$")


def period_end(period: str) -> date:
    """The last day of an observation period: 2024, 2024-06, 2024-06-30, 2024-Q2, 2024-H1.

    >>> period_end("2024-Q1"), period_end("2023")
    (datetime.date(2024, 3, 31), datetime.date(2023, 12, 31))
    """
    hit = _PERIOD.match(period.strip())
    if not hit:
        raise ValueError(period)
    year, month, day, quarter, half = hit.groups()
    y = int(year)
    if day:
        return date(y, int(month), int(day))
    if month or quarter or half:
        mth = int(month) if month else (int(quarter) * 3 if quarter else int(half) * 6)
        return date(y, mth, calendar.monthrange(y, mth)[1])
    return date(y, 12, 31)


def load_benchmark(db: Session | Engine, indicator: str, region: str | None = None
                   ) -> pd.DataFrame:
    """A benchmark index (date, value) from the observations table, dated at period ends.

    Raises :class:`FundDataError` when the indicator has no observations, when it is observed
    for several regions and none is chosen, or when a period cannot be read as a date.
    """
    with session_for(db) as s:
        q = select(m.Observation.region_code, m.Observation.period, m.Observation.value).where(
            m.Observation.indicator_code == indicator)
        rows = s.execute(q).all()
    if not rows:
        raise FundDataError("observations", None, "indicator_code", indicator,
                            "no observations of this benchmark indicator in the registry; "
                            "import the index series (e.g. a price index) first",
                            "登记库中没有该基准指标的观测值，请先导入指数序列")
    regions = sorted({r for r, _, _ in rows})
    if region is None and len(regions) > 1:
        raise FundDataError("observations", None, "region_code", regions,
                            "the benchmark is observed for several regions; choose one "
                            "(--benchmark-region)", "该基准指标有多个地区的观测值，请指定地区")
    chosen = region or regions[0]
    out = []
    for r, period, value in rows:
        if r != chosen:
            continue
        try:
            when = period_end(period)
        except ValueError:
            raise FundDataError("observations", None, "period", period,
                                "not a period (YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Qn, YYYY-Hn)",
                                "不是可识别的期间格式") from None
        out.append((when, float(value)))
    if not out:
        raise FundDataError("observations", None, "region_code", region,
                            f"no observations of {indicator} for this region; regions: {regions}",
                            "该地区没有此基准指标的观测值")
    return pd.DataFrame(sorted(out), columns=["date", "value"])


# -- the report -----------------------------------------------------------------------------------
@dataclass
class FundReport:
    """Per fund, per family and programme figures at a date, with portfolio views."""

    as_of: date
    funds: pd.DataFrame
    families: pd.DataFrame
    programme: dict[str, Any]
    portfolio: dict[str, pd.DataFrame]
    benchmark: str | None = None
    scope: str | None = None
    notes: list[str] = field(default_factory=list)


def _pme_columns(tables: FundTables, metrics: pd.DataFrame, index: pd.DataFrame, as_of: date
                 ) -> tuple[pd.DataFrame, list[str]]:
    """KS-PME and direct alpha per fund; a fund whose flows start before the series gets none."""
    first = index["date"].min()
    rows: list[tuple[float | None, float | None, float | None]] = []
    notes: list[str] = []
    for fid, nav, paid_in in zip(metrics["fund"], metrics["nav"], metrics["paid_in"], strict=True):
        cf = tables.cashflows[tables.cashflows["fund"] == fid]
        cf = cf[cf["date"] <= as_of]
        if paid_in <= 0 or cf.empty:
            rows.append((None, None, None))
            continue
        if cf["date"].min() < first or as_of < first:
            notes.append(f"{fid}: first cash flow {cf['date'].min()} precedes the benchmark's "
                         f"first observation {first}; KS-PME and direct alpha not computed")
            rows.append((None, None, None))
            continue
        p = ks_pme(cf, nav, as_of, index)
        a, c = direct_alpha(cf, nav, as_of, index)
        rows.append((p, a, c))
    pme, alpha, cont = ([r[i] for r in rows] for i in range(3))
    out = metrics.copy()
    out["ks_pme"], out["direct_alpha"], out["direct_alpha_continuous"] = pme, alpha, cont
    return out, notes


def fund_report(db: Session | Engine, as_of: date, fund: str | None = None,
                benchmark: str | None = None, benchmark_region: str | None = None) -> FundReport:
    """Everything ``observatory funds metrics`` shows, from the registry at ``as_of``.

    ``fund``: restrict to that fund's family (the fund and its descendants). The programme row is
    the scope's pooled figures (no double counting of mother -> sub-fund money), plus the funds'
    declared sizes (``declared_size``, the figure programmes publish) and the deal count.
    """
    tables = load_fund_tables(db, as_of)
    if fund is not None:
        if fund not in set(tables.funds["fund"]):
            with session_for(db) as s:
                exists = s.scalar(select(m.Fund.vintage).where(m.Fund.code == fund))
            why = (f"the fund's vintage {exists} is after {as_of}" if exists is not None
                   else "no fund with this code in the registry")
            why_zh = "登记库中没有该基金" if exists is None else "该基金设立年份晚于评价日"
            raise FundDataError("funds", None, "code", fund, why, why_zh)
        tables = tables.in_scope(family_members(tables.funds, fund))
    index = load_benchmark(db, benchmark, benchmark_region) if benchmark else None
    t = tables
    metrics = fund_metrics(t.funds, t.commitments, t.cashflows, t.valuations, t.investments, as_of)
    notes: list[str] = []
    if index is not None:
        metrics, notes = _pme_columns(t, metrics, index, as_of)
    ri = return_investment(t.investments, t.commitments, t.funds, as_of)
    fl = flags(t.funds, t.cashflows, t.investments, t.commitments, as_of)
    per_fund = (t.funds[["fund", "parent", "name_zh", "name_en", "kind", "vintage", "size"]]
                .merge(metrics, on="fund")
                .merge(ri[["fund", "basis_amount", "in_region_invested", "achieved", "required",
                           "shortfall_amount"]]
                       .rename(columns={"achieved": "return_multiple",
                                        "required": "return_multiple_required",
                                        "basis_amount": "return_basis_amount"}), on="fund")
                .merge(fl[["fund", "last_investment", "no_investment_12m", "calls_behind",
                           "return_shortfall"]], on="fund"))
    deals = t.investments[t.investments["date"] <= as_of]
    per_fund["deals"] = per_fund["fund"].map(deals.groupby("fund").size()).fillna(0).astype(int)

    def pooled(codes: set[str]) -> dict[str, Any]:
        out = pooled_metrics(codes, t.commitments, t.cashflows, t.valuations, t.investments, as_of)
        out["declared_size"] = float(t.funds.loc[t.funds["fund"].isin(codes), "size"].sum())
        out["deals"] = int(deals["fund"].isin(codes).sum())
        return out

    in_scope = set(t.funds["fund"])
    roots = [f for f, p in zip(t.funds["fund"], t.funds["parent"], strict=True)
             if p is None or p not in in_scope]
    families = pd.DataFrame([{"family": r, **pooled(family_members(t.funds, r) & in_scope)}
                             for r in roots])
    programme = pooled(in_scope)
    portfolio = {v: _named(portfolio_breakdown(t.investments, v, as_of), v, db) for v in VIEWS}
    return FundReport(as_of, per_fund, families, programme, portfolio, benchmark, fund, notes)


def _named(df: pd.DataFrame, view: str, db: Session | Engine) -> pd.DataFrame:
    """Add English and Chinese names to industry sections and districts."""
    if view == "industry":
        df.insert(1, "name_en", [INDUSTRY_SECTIONS.get(c, ("", "", c, c))[2] for c in df[view]])
        df.insert(2, "name_zh", [INDUSTRY_SECTIONS.get(c, ("", "", c, c))[3] for c in df[view]])
    elif view == "district" and len(df):
        with session_for(db) as s:
            names = {c: (en, zh) for c, en, zh in s.execute(
                select(m.Region.code, m.Region.name_en, m.Region.name_zh)
                .where(m.Region.code.in_(list(df[view]))))}
        df.insert(1, "name_en", [names.get(c, (c, c))[0] for c in df[view]])
        df.insert(2, "name_zh", [names.get(c, (c, c))[1] for c in df[view]])
    return df


__all__ = ["FundReport", "FundTables", "VIEWS", "data_as_of", "fund_report", "load_benchmark",
           "load_fund_tables", "period_end"]
