"""Guidance funds: per-fund figures as ``observatory funds metrics`` prints them and one fund's
investments; a fund manager sees only the funds their organisation manages."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pandas as pd
from pydantic import BaseModel
from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session

from observatory.funds.programme import data_as_of, fund_report
from observatory.registry import models as m
from observatory.registry.cells import type_text_cells
from observatory.services.access import allow, is_staff, role_of, scoped
from observatory.services.auth import Principal
from observatory.services.cache import figure_tables
from observatory.services.context import Deployment
from observatory.services.errors import Invalid, NotFound
from observatory.services.records import json_records, json_value


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
    #: F / G: committed size per yuan of government money (domain rules §4.2).
    fiscal_leverage: float | None = None
    #: Deals plus (a fund of funds) its share of its sub-funds' paid-in.
    deployed: float | None = None
    deployment_of_paid_in: float | None = None
    deployment_of_committed: float | None = None
    return_multiple: float | None = None
    return_multiple_required: float | None = None
    last_investment: str | None = None
    no_investment_12m: bool = False
    calls_behind: bool = False
    return_shortfall: bool = False


class PooledFigures(BaseModel):
    """A family's or the programme's pooled figures (no money counted twice)."""

    family: str | None = None
    funds: int
    declared_size: float | None
    committed: float | None
    paid_in: float | None
    invested: float | None
    fiscal_leverage: float | None
    deployment_of_paid_in: float | None
    deployment_of_committed: float | None
    in_region_invested: float | None
    #: The city's return-investment (返投) multiple: in-region deals ÷ government money.
    return_multiple_committed: float | None
    return_multiple_paid_in: float | None


class FundsPage(BaseModel):
    as_of: str
    sort: str = "code"
    descending: bool = False
    programme: PooledFigures | None = None
    families: list[PooledFigures] = []
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


#: Columns ``/funds`` may be sorted by (validated: anything else is a 422).
SORT_KEYS = ("code", "vintage", "size_yuan", "committed", "paid_in", "invested", "tvpi", "irr",
             "fiscal_leverage", "deployment_of_paid_in", "deployment_of_committed",
             "return_multiple", "no_investment_12m", "return_shortfall")
_FUND_KEYS = ("parent", "name_zh", "name_en", "kind", "vintage", "committed", "paid_in",
              "distributed", "nav", "invested", "dpi", "tvpi", "irr", "deals", "deployed",
              "deployment_of_paid_in", "deployment_of_committed", "return_multiple",
              "return_multiple_required", "last_investment", "no_investment_12m",
              "calls_behind", "return_shortfall")


def _pooled(rec: dict[str, Any], family: str | None = None) -> PooledFigures:
    return PooledFigures.model_validate({
        "family": family, "fiscal_leverage": rec.get("fiscal_leverage_F_over_G"),
        **{k: rec.get(k) for k in PooledFigures.model_fields if k not in (
            "family", "fiscal_leverage")}})


def parse_as_of(value: str | None) -> dt.date | None:
    """A measurement date from a query parameter (None: the data's own date)."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"as_of {value!r}: not a YYYY-MM-DD date",
                      f"as_of {value!r}：日期格式应为YYYY-MM-DD") from None


def funds_page(engine: Engine, codes: set[str] | None = None, as_of: dt.date | None = None
               ) -> FundsPage:
    """Per-fund figures from ``funds.programme.fund_report``, restricted to ``codes`` when
    given (a fund manager's funds, who then sees no programme or family totals). Without a
    date, the figures and flags are as of the date the fund records run to."""
    as_of = as_of or data_as_of(engine)
    report = fund_report(engine, as_of)
    df = report.funds
    if codes is not None:
        df = df[df["fund"].isin(codes)]
    funds = []
    for rec in json_records(df):
        funds.append(FundFigures.model_validate({
            "code": rec["fund"], "size_yuan": rec.get("size"),
            "fiscal_leverage": rec.get("fiscal_leverage_F_over_G"),
            **{k: rec.get(k) for k in _FUND_KEYS}}))
    programme = families = None
    if codes is None:
        programme = _pooled(json_value_dict(report.programme))
        families = [_pooled(r, str(r["family"])) for r in json_records(report.families)]
    return FundsPage(as_of=as_of.isoformat(), programme=programme, families=families or [],
                     funds=funds)


def json_value_dict(values: dict[str, Any]) -> dict[str, Any]:
    return {k: json_value(v) for k, v in values.items()}


def sorted_page(page: FundsPage, sort: str | None, descending: bool = False) -> FundsPage:
    """The page with its funds sorted by ``sort`` (one of SORT_KEYS); empty values last."""
    key = sort or "code"
    if key not in SORT_KEYS:
        raise Invalid(f"sort {key!r}: not a column; one of {', '.join(SORT_KEYS)}",
                      f"排序列 {key!r} 无效，可选：{'、'.join(SORT_KEYS)}")
    present = [f for f in page.funds if getattr(f, key) is not None]
    missing = [f for f in page.funds if getattr(f, key) is None]
    present.sort(key=lambda f: getattr(f, key), reverse=descending)
    return page.model_copy(update={"funds": present + missing, "sort": key,
                                   "descending": descending})


#: The funds table's columns in the XLSX download: (field, English, Chinese).
XLSX_COLUMNS = (("code", "Fund", "基金代码"), ("name_zh", "Name (zh)", "基金名称"),
                ("name_en", "Name (en)", "英文名称"), ("vintage", "Vintage", "设立年份"),
                ("size_yuan", "Size (yuan)", "规模（元）"),
                ("committed", "Committed (yuan)", "认缴（元）"),
                ("paid_in", "Paid-in (yuan)", "实缴（元）"),
                ("invested", "Invested (yuan)", "已投（元）"),
                ("deployed", "Deployed (yuan)", "已投放（元）"),
                ("deployment_of_paid_in", "Deployment ÷ paid-in", "投放率（占实缴）"),
                ("deployment_of_committed", "Deployment ÷ committed", "投放率（占认缴）"),
                ("fiscal_leverage", "Fiscal leverage F/G", "财政出资放大倍数"),
                ("return_multiple", "Return-investment multiple", "返投倍数"),
                ("return_multiple_required", "Required multiple", "要求返投倍数"),
                ("tvpi", "TVPI", "TVPI"), ("irr", "IRR", "内部收益率"),
                ("no_investment_12m", "No investment in 12 months", "12个月无投资"),
                ("calls_behind", "Calls behind schedule", "缴款滞后"),
                ("return_shortfall", "Return-investment shortfall", "返投不足"))


def funds_xlsx(page: FundsPage) -> bytes:
    """The funds table as a workbook (bilingual headers, sorted as the page), with the date
    and the method on an ``about`` sheet; text cells typed as strings, never formulas."""
    frame = pd.DataFrame([{f"{en} / {zh}": getattr(f, k) for k, en, zh in XLSX_COLUMNS}
                          for f in page.funds],
                         columns=[f"{en} / {zh}" for _, en, zh in XLSX_COLUMNS])
    about = pd.DataFrame({"item": ["as_of", "sort", "method"],
                          "value": [page.as_of, page.sort + (" desc" if page.descending else ""),
                                    "docs/methodology/funds.md"]})
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="funds", index=False)
        about.to_excel(writer, sheet_name="about", index=False)
        for sheet in writer.sheets.values():
            type_text_cells(sheet)
    return buffer.getvalue()


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


def funds_view(dep: Deployment, p: Principal, as_of: dt.date | None = None,
               sort: str | None = None, descending: bool = False) -> FundsPage:
    """The funds page for ``p`` at ``as_of`` (cached per database state, scope and date),
    sorted by ``sort``."""
    allow(p, "funds")
    scope = fund_scope(dep.engine, p)
    key = tuple(sorted(scope)) if scope is not None else None
    page = dep.cache.get("funds", lambda: funds_page(dep.engine, scope, as_of), key, as_of,
                         depends=figure_tables())
    return sorted_page(page, sort, descending)


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
