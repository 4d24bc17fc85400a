"""Guidance-fund maths: pure functions on DataFrames (the database loader feeds them).

Inputs (column names are the contract; see docs/methodology/funds.md):

* ``funds``: fund, parent (mother fund or empty), name, return_multiple_required,
  return_basis (``guidance`` | ``size``), inception
* ``commitments``: fund, lp_type, amount, and optionally lp_fund (the programme fund that is the
  LP, e.g. the mother fund committing to a sub-fund), date
* ``cashflows``: fund, date, kind (call | distribution | fee), amount (positive numbers)
* ``valuations``: fund, date, nav
* ``investments``: fund, investee, date, amount, in_region, industry, stage, district
* ``index``: date, value (a benchmark price index such as CSI 300)

Sign convention for IRR/PME: LP perspective, contributions negative, distributions positive, NAV
as a final inflow at the valuation date; day count Actual/365 (``pyxirr.xirr``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyxirr

LP_TYPES = ("fiscal", "guidance_fund", "central_soe", "local_soe", "financial_institution",
            "private", "individual", "foreign")

#: LP type -> capital class: G = fiscal/budget money, S = other state capital, P = private.
#: A guidance fund committing to a sub-fund invests budget money, hence G.
DEFAULT_LP_CLASS: dict[str, str] = {
    "fiscal": "G", "guidance_fund": "G", "central_soe": "S", "local_soe": "S",
    "financial_institution": "P", "private": "P", "individual": "P", "foreign": "P",
}

CONTRIBUTION_KINDS = frozenset({"call", "fee"})


class FundDataError(ValueError):
    """Bad fund input: says which table, row, column, value and why (English and Chinese)."""

    def __init__(self, table: str, row: int | None, column: str, value: Any, en: str, zh: str):
        self.table, self.row, self.column, self.value = table, row, column, value
        where = f"{table}" + (f" row {row}" if row is not None else "")
        self.message_en = f"{where}, column {column!r}, value {value!r}: {en}"
        self.message_zh = f"{table}" + (f" 第{row}行" if row is not None else "") + \
            f"，列 {column!r}，取值 {value!r}：{zh}"
        super().__init__(f"{self.message_en}\n{self.message_zh}")


# -- validation -----------------------------------------------------------------------------------
def _require(df: pd.DataFrame, table: str, columns: list[str]) -> pd.DataFrame:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise FundDataError(table, None, missing[0], None, "required column missing",
                            "缺少必需的列")
    out = df.copy()
    if "date" in columns:
        try:
            out["date"] = pd.to_datetime(out["date"]).dt.date
        except (ValueError, TypeError):
            for i, v in enumerate(df["date"]):
                try:
                    pd.Timestamp(v)
                except (ValueError, TypeError):
                    raise FundDataError(table, i + 1, "date", v, "not a date", "不是日期") from None
            raise
    for col in ("amount", "nav", "value"):
        if col in columns:
            num = pd.to_numeric(out[col], errors="coerce")
            bad = num.isna() | (num < 0)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise FundDataError(table, i + 1, col, df[col].iloc[i],
                                    "must be a number ≥ 0", "须为不小于0的数值")
            out[col] = num.astype(float)
    return out


def check_cashflows(cashflows: pd.DataFrame) -> pd.DataFrame:
    cf = _require(cashflows, "cashflows", ["fund", "date", "kind", "amount"])
    bad = ~cf["kind"].isin(["call", "distribution", "fee"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise FundDataError("cashflows", i + 1, "kind", cf["kind"].iloc[i],
                            "must be call, distribution or fee", "须为 call、distribution 或 fee")
    return cf


def check_commitments(commitments: pd.DataFrame,
                      lp_class: Mapping[str, str] = DEFAULT_LP_CLASS) -> pd.DataFrame:
    cm = _require(commitments, "commitments", ["fund", "lp_type", "amount"])
    bad = ~cm["lp_type"].isin(list(lp_class))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise FundDataError("commitments", i + 1, "lp_type", cm["lp_type"].iloc[i],
                            f"unknown LP type; known: {sorted(lp_class)}", "未知的出资人类型")
    if "lp_fund" not in cm.columns:
        cm["lp_fund"] = None
    return cm


# -- performance ----------------------------------------------------------------------------------
def xirr_or_none(dates: list[date], amounts: list[float]) -> float | None:
    """XIRR (Actual/365), or None when it is undefined (flows all one sign, or no root)."""
    if not any(a > 0 for a in amounts) or not any(a < 0 for a in amounts):
        return None
    try:
        r = pyxirr.xirr(dates, amounts)
    except (pyxirr.InvalidPaymentsError, ValueError):
        return None
    return None if r is None or not math.isfinite(r) else float(r)


def nav_at(valuations: pd.DataFrame, as_of: date) -> tuple[float, date | None]:
    """Latest NAV on or before ``as_of`` (0 and None when there is none)."""
    v = valuations[valuations["date"] <= as_of]
    if v.empty:
        return 0.0, None
    last = v.sort_values("date").iloc[-1]
    return float(last["nav"]), last["date"]


def net_flows(cashflows: pd.DataFrame, as_of: date, nav: float = 0.0,
              nav_date: date | None = None) -> tuple[list[date], list[float]]:
    """Dated LP net flows up to ``as_of``: contributions negative, distributions positive, plus NAV.

    The NAV enters as an inflow at ``as_of`` (the measurement date): flows after the
    valuation date and up to ``as_of`` are included, the NAV is assumed carried to ``as_of``.
    """
    cf = cashflows[cashflows["date"] <= as_of].sort_values("date")
    dates = list(cf["date"])
    amounts = [(-a if k in CONTRIBUTION_KINDS else a) for k, a in zip(cf["kind"], cf["amount"],
                                                                      strict=True)]
    if nav > 0:
        dates.append(as_of)
        amounts.append(nav)
    return dates, amounts


@dataclass
class Performance:
    """LP-perspective performance of one fund (or a pooled set of flows) at a date."""

    paid_in: float
    distributed: float
    nav: float
    nav_date: date | None
    dpi: float | None
    rvpi: float | None
    tvpi: float | None
    irr: float | None


def performance(cashflows: pd.DataFrame, valuations: pd.DataFrame, as_of: date) -> Performance:
    """PIC, D, NAV, DPI, RVPI, TVPI and IRR of the flows given (one fund, or pooled)."""
    cf = cashflows[cashflows["date"] <= as_of]
    paid_in = float(cf.loc[cf["kind"].isin(CONTRIBUTION_KINDS), "amount"].sum())
    dist = float(cf.loc[cf["kind"] == "distribution", "amount"].sum())
    nav, nav_date = nav_at(valuations, as_of)
    dates, amounts = net_flows(cashflows, as_of, nav, nav_date)
    dpi: float | None
    rvpi: float | None
    tvpi: float | None
    if paid_in > 0:
        dpi, rvpi = dist / paid_in, nav / paid_in
        tvpi = dpi + rvpi
    else:
        dpi = rvpi = tvpi = None
    return Performance(paid_in, dist, nav, nav_date, dpi, rvpi, tvpi, xirr_or_none(dates, amounts))


def moic(distributed: float, nav: float, invested: float) -> float | None:
    """Gross multiple on invested capital: (realised + unrealised value) / invested cost."""
    return (distributed + nav) / invested if invested > 0 else None


def index_at(index: pd.DataFrame, when: date) -> float:
    """Benchmark level on ``when``: the last observation on or before it."""
    obs = index[index["date"] <= when]
    if obs.empty:
        raise FundDataError("index", None, "date", when, "no benchmark observation on or before "
                            "this date", "该日期及之前没有基准指数观测值")
    return float(obs.sort_values("date").iloc[-1]["value"])


def ks_pme(cashflows: pd.DataFrame, nav: float, as_of: date, index: pd.DataFrame) -> float | None:
    """Kaplan–Schoar PME = [Σ D·(I_T/I_t) + NAV] / Σ C·(I_T/I_t); > 1 beats the index."""
    cf = cashflows[cashflows["date"] <= as_of]
    i_t = index_at(index, as_of)
    growth = [i_t / index_at(index, d) for d in cf["date"]]
    contrib = sum(a * g for a, g, k in zip(cf["amount"], growth, cf["kind"], strict=True)
                  if k in CONTRIBUTION_KINDS)
    dist = sum(a * g for a, g, k in zip(cf["amount"], growth, cf["kind"], strict=True)
               if k == "distribution")
    return (dist + nav) / contrib if contrib > 0 else None


def direct_alpha(cashflows: pd.DataFrame, nav: float, as_of: date,
                 index: pd.DataFrame) -> tuple[float | None, float | None]:
    """Dated direct alpha (Gredil–Griffiths–Stucke): XIRR of index-compounded flows.

    Each flow is carried to ``as_of`` with the index (×I_T/I_t) and the XIRR of those flows plus
    the NAV is the annual alpha; the second value is its continuous form ln(1 + alpha).
    """
    dates, amounts = net_flows(cashflows, as_of, nav)
    i_t = index_at(index, as_of)
    fv = [a * i_t / index_at(index, d) for d, a in zip(dates, amounts, strict=True)]
    alpha = xirr_or_none(dates, fv)
    return alpha, (math.log1p(alpha) if alpha is not None and alpha > -1 else None)


# -- capital structure and leverage ---------------------------------------------------------------
def capital_classes(commitments: pd.DataFrame,
                    lp_class: Mapping[str, str] = DEFAULT_LP_CLASS) -> dict[str, float]:
    """Committed capital F split into G (fiscal), S (other state) and P (private/social)."""
    cm = check_commitments(commitments, lp_class)
    cls = cm["lp_type"].map(lp_class)
    out = {k: float(cm.loc[cls == k, "amount"].sum()) for k in ("G", "S", "P")}
    out["F"] = out["G"] + out["S"] + out["P"]
    return out


def leverage(classes: Mapping[str, float], invested: float | None = None,
             sub_fund_sizes: float | None = None) -> dict[str, float | None]:
    """The leverage variants of domain_rules.md §4.2, each named after its definition."""
    g, f, p = classes["G"], classes["F"], classes["P"]

    def per_g(x: float | None) -> float | None:
        return x / g if g > 0 and x is not None else None

    return {
        "fiscal_leverage_F_over_G": per_g(f),
        "social_mobilisation_F_minus_G_over_G": per_g(f - g),
        "private_mobilisation_P_over_G": per_g(p),
        "look_through_sub_fund_sizes_over_G": per_g(sub_fund_sizes),
        "investment_leverage_invested_over_G": per_g(invested),
    }


def dedup_commitments(commitments: pd.DataFrame, funds_in_scope: set[str]) -> pd.DataFrame:
    """Drop commitments whose LP is itself a fund in scope (mother -> sub-fund).

    That money is already counted in the mother fund's own commitments; counting the sub-fund
    row too would double count it when funds are summed for a family or the programme.
    """
    cm = commitments.copy()
    if "lp_fund" not in cm.columns:
        return cm
    inner = cm["lp_fund"].notna() & cm["lp_fund"].isin(funds_in_scope)
    return cm[~inner]


def outside_shares(commitments: pd.DataFrame, funds_in_scope: set[str]) -> dict[str, float]:
    """Per fund in scope, the share of its commitments held by LPs outside the scope.

    A mother fund (all LPs outside) gets 1; a sub-fund with 100 from its mother and 300 from a
    bank gets 0.75 when the mother is in scope. A fund with no commitments gets 1 (nothing of
    it is owned from inside). These weights pro-rate a fund's flows and NAV to its outside LPs,
    since the registry records flows per fund, not per LP.

    >>> cm = pd.DataFrame({"fund": ["M", "S", "S"], "amount": [500, 100, 300],
    ...                    "lp_fund": [None, "M", None]})
    >>> outside_shares(cm, {"M", "S"})
    {'M': 1.0, 'S': 0.75}
    """
    total = commitments.groupby("fund")["amount"].sum()
    inside = (commitments[commitments["lp_fund"].isin(funds_in_scope)]
              .groupby("fund")["amount"].sum() if "lp_fund" in commitments.columns
              else pd.Series(dtype="float64"))
    shares = {}
    for fund in sorted(funds_in_scope):
        t = float(total.get(fund, 0.0))
        shares[fund] = (t - float(inside.get(fund, 0.0))) / t if t > 0 else 1.0
    return shares


def family_members(funds: pd.DataFrame, root: str) -> set[str]:
    """The fund and all its descendants (mother > sub-funds > SPVs)."""
    parent = dict(zip(funds["fund"], funds.get("parent", pd.Series([None] * len(funds))),
                      strict=True))
    members, frontier = {root}, [root]
    while frontier:
        cur = frontier.pop()
        kids = [f for f, p in parent.items() if p == cur and f not in members]
        members.update(kids)
        frontier += kids
    return members


# -- return investment and flags ------------------------------------------------------------------
def return_investment(investments: pd.DataFrame, commitments: pd.DataFrame, funds: pd.DataFrame,
                      as_of: date) -> pd.DataFrame:
    """Achieved vs required return-investment (返投) multiple per fund.

    achieved = Σ in-region investment amounts up to ``as_of`` / basis, where the basis is the
    guidance-fund commitment to the fund (``return_basis = guidance``, LP types fiscal and
    guidance_fund) or the fund's total committed size (``return_basis = size``).
    """
    inv = _require(investments, "investments", ["fund", "date", "amount", "in_region"])
    inv = inv[inv["date"] <= as_of]
    cm = check_commitments(commitments)
    rows = []
    for _, f in funds.iterrows():
        fid = f["fund"]
        basis_kind = f.get("return_basis") if isinstance(f.get("return_basis"), str) else "guidance"
        mine = cm[cm["fund"] == fid]
        if basis_kind == "size":
            basis = float(mine["amount"].sum())
        else:
            gov = mine["lp_type"].isin(["fiscal", "guidance_fund"])
            basis = float(mine.loc[gov, "amount"].sum())
        local = float(inv.loc[(inv["fund"] == fid) & inv["in_region"].astype(bool), "amount"].sum())
        required = f.get("return_multiple_required")
        required = None if required is None or pd.isna(required) else float(required)
        achieved = local / basis if basis > 0 else None
        rows.append({"fund": fid, "basis": basis_kind, "basis_amount": basis,
                     "in_region_invested": local, "achieved": achieved, "required": required,
                     "shortfall_amount": (max(required * basis - local, 0.0)
                                          if required is not None else None),
                     "shortfall": (required is not None and achieved is not None
                                   and achieved < required - 1e-12)})
    return pd.DataFrame(rows)


def flags(funds: pd.DataFrame, cashflows: pd.DataFrame, investments: pd.DataFrame,
          commitments: pd.DataFrame, as_of: date, schedule: pd.DataFrame | None = None,
          idle_days: int = 365, schedule_tolerance: float = 0.0,
          investment_period_years: float | None = 5) -> pd.DataFrame:
    """Warning flags per fund at ``as_of`` (nothing after that date counts): idle (no
    investment in the 12 months before ``as_of``), calls behind schedule, return-investment
    shortfall.

    A fund's investments are its deals and, for a fund of funds, its commitments to sub-funds
    (commitments whose ``lp_fund`` is the fund). A fund that has not invested yet is idle once
    its first close (first contribution, else first commitment) is more than ``idle_days``
    before ``as_of``; one with neither is idle. Idleness is only flagged within the
    investment period (``investment_period_years`` after first close; None: always): a fund
    harvesting its portfolio is not expected to make new deals. ``schedule`` (fund, date,
    amount) gives the planned cumulative called amount; a fund is behind when called-to-date
    < the latest planned amount on or before ``as_of`` × (1 − tol).
    """
    cf = check_cashflows(cashflows)
    inv = _require(investments, "investments", ["fund", "date", "amount"])
    cm = check_commitments(commitments)
    dated_cm = "date" in cm.columns
    if dated_cm:
        cm = cm.assign(date=pd.to_datetime(cm["date"]).dt.date)
    ri = return_investment(investments, commitments, funds, as_of).set_index("fund")
    sched = _require(schedule, "schedule", ["fund", "date", "amount"]) if schedule is not None \
        else None
    rows = []
    for fid in funds["fund"]:
        last, start = _activity(fid, inv, cf, cm if dated_cm else None, as_of)
        ref = last if last is not None else start
        investing = (investment_period_years is None or start is None
                     or (as_of - start).days <= investment_period_years * 365.25)
        idle = investing and (ref is None or (as_of - ref).days > idle_days)
        called = float(cf.loc[(cf["fund"] == fid) & (cf["date"] <= as_of)
                              & (cf["kind"] == "call"), "amount"].sum())
        planned = None
        if sched is not None:
            s = sched[(sched["fund"] == fid) & (sched["date"] <= as_of)].sort_values("date")
            planned = float(s["amount"].iloc[-1]) if not s.empty else None
        behind = planned is not None and called < planned * (1 - schedule_tolerance) - 1e-9
        rows.append({"fund": fid, "last_investment": last, "no_investment_12m": bool(idle),
                     "called": called, "planned_called": planned, "calls_behind": bool(behind),
                     "return_shortfall": bool(ri.loc[fid, "shortfall"]) if fid in ri.index
                     else False})
    return pd.DataFrame(rows)


# -- deployment -----------------------------------------------------------------------------------
def contributions(cashflows: pd.DataFrame, fund: str, as_of: date) -> float:
    """Calls and fees of ``fund`` on or before ``as_of`` (its paid-in capital)."""
    cf = cashflows[(cashflows["fund"] == fund) & (cashflows["date"] <= as_of)]
    return float(cf.loc[cf["kind"].isin(CONTRIBUTION_KINDS), "amount"].sum())


def lp_share(commitments: pd.DataFrame, fund: str, lp_fund: str) -> float:
    """The share of ``fund``'s commitments held by the programme fund ``lp_fund`` (0 if none).

    >>> cm = pd.DataFrame({"fund": ["S", "S"], "amount": [100.0, 300.0], "lp_fund": ["M", None]})
    >>> lp_share(cm, "S", "M")
    0.25
    """
    mine = commitments[commitments["fund"] == fund]
    total = float(mine["amount"].sum())
    if total <= 0 or "lp_fund" not in mine.columns:
        return 0.0
    return float(mine.loc[mine["lp_fund"] == lp_fund, "amount"].sum()) / total


def deployment(deployed: float, paid_in: float, committed: float) -> dict[str, float | None]:
    """Deployment rates: capital put to work ÷ paid-in and ÷ committed (None when a
    denominator is 0). A fund deploys into companies (invested cost) and, for a fund of
    funds, into its sub-funds (its pro-rata share of their paid-in).

    >>> deployment(30.0, 60.0, 100.0)
    {'deployment_of_paid_in': 0.5, 'deployment_of_committed': 0.3}
    """
    return {"deployment_of_paid_in": deployed / paid_in if paid_in > 0 else None,
            "deployment_of_committed": deployed / committed if committed > 0 else None}


def _activity(fid: str, inv: pd.DataFrame, cf: pd.DataFrame, cm: pd.DataFrame | None,
              as_of: date) -> tuple[date | None, date | None]:
    """The fund's last investment (a deal, or a commitment to a sub-fund) and its first close
    (first contribution, else first commitment), both on or before ``as_of``."""
    dates = list(inv.loc[(inv["fund"] == fid) & (inv["date"] <= as_of), "date"])
    starts = list(cf.loc[(cf["fund"] == fid) & (cf["date"] <= as_of)
                         & cf["kind"].isin(CONTRIBUTION_KINDS), "date"])
    if cm is not None:
        dates += [d for d in cm.loc[cm["lp_fund"] == fid, "date"] if pd.notna(d) and d <= as_of]
        if not starts:
            starts = [d for d in cm.loc[cm["fund"] == fid, "date"]
                      if pd.notna(d) and d <= as_of]
    return (max(dates) if dates else None), (min(starts) if starts else None)


# -- summaries ------------------------------------------------------------------------------------
def fund_metrics(funds: pd.DataFrame, commitments: pd.DataFrame, cashflows: pd.DataFrame,
                 valuations: pd.DataFrame, investments: pd.DataFrame, as_of: date,
                 index: pd.DataFrame | None = None,
                 lp_class: Mapping[str, str] = DEFAULT_LP_CLASS) -> pd.DataFrame:
    """One row per fund: committed/called/distributed/NAV, multiples, IRR, PME, leverage."""
    cm = check_commitments(commitments, lp_class)
    cf = check_cashflows(cashflows)
    val = _require(valuations, "valuations", ["fund", "date", "nav"])
    inv = _require(investments, "investments", ["fund", "date", "amount"])
    idx = _require(index, "index", ["date", "value"]) if index is not None else None
    sizes = cm.groupby("fund")["amount"].sum()
    parents = funds["parent"] if "parent" in funds.columns else pd.Series(None, index=funds.index,
                                                                         dtype=object)
    rows = []
    for fid in funds["fund"]:
        fcf, fval = cf[cf["fund"] == fid], val[val["fund"] == fid]
        perf = performance(fcf, fval, as_of)
        classes = capital_classes(cm[cm["fund"] == fid], lp_class)
        invested = float(inv.loc[(inv["fund"] == fid) & (inv["date"] <= as_of), "amount"].sum())
        kids = funds.loc[parents == fid, "fund"]
        sub_sizes = float(sizes.reindex(list(kids)).fillna(0).sum()) if len(kids) else None
        into_subs = sum(contributions(cf, k, as_of) * lp_share(cm, k, fid) for k in kids)
        deployed = invested + into_subs
        row: dict[str, Any] = {
            "fund": fid, "committed": classes["F"], "G": classes["G"], "S": classes["S"],
            "P": classes["P"],
            "called": float(fcf.loc[(fcf["date"] <= as_of) & (fcf["kind"] == "call"),
                                    "amount"].sum()),
            "paid_in": perf.paid_in, "distributed": perf.distributed, "nav": perf.nav,
            "invested": invested, "dpi": perf.dpi, "rvpi": perf.rvpi, "tvpi": perf.tvpi,
            "moic": moic(perf.distributed, perf.nav, invested), "irr": perf.irr,
            "paid_in_ratio": perf.paid_in / classes["F"] if classes["F"] > 0 else None,
            "paid_into_sub_funds": into_subs, "deployed": deployed,
            **deployment(deployed, perf.paid_in, classes["F"]),
        }
        row.update(leverage(classes, invested, sub_sizes))
        if idx is not None and perf.paid_in > 0:
            row["ks_pme"] = ks_pme(fcf, perf.nav, as_of, idx)
            row["direct_alpha"], row["direct_alpha_continuous"] = direct_alpha(
                fcf, perf.nav, as_of, idx)
        rows.append(row)
    return pd.DataFrame(rows)


def pooled_metrics(funds_in_scope: set[str], commitments: pd.DataFrame, cashflows: pd.DataFrame,
                   valuations: pd.DataFrame, investments: pd.DataFrame, as_of: date,
                   lp_class: Mapping[str, str] = DEFAULT_LP_CLASS) -> dict[str, Any]:
    """Totals for a family or the programme, without double counting fund-to-fund money.

    Commitments: those whose LP is a fund in scope are dropped (:func:`dedup_commitments`).
    Cash flows and NAV: each fund's flows and NAV count in proportion to the share of its
    commitments held by LPs outside the scope (:func:`outside_shares`): all of a mother fund's,
    the social LPs' part of a sub-fund's. That is the money between outside LPs and the
    structure; a sub-fund's call on its mother is the mother's investment, not new capital.
    Investments into portfolio companies are summed over every fund in scope (they are
    distinct real-economy deals).
    """
    cm = check_commitments(commitments, lp_class)
    in_scope = cm[cm["fund"].isin(funds_in_scope)]
    share = outside_shares(in_scope, funds_in_scope)
    cm = dedup_commitments(in_scope, funds_in_scope)
    classes = capital_classes(cm, lp_class)
    cf = check_cashflows(cashflows)
    val = _require(valuations, "valuations", ["fund", "date", "nav"])
    inv = _require(investments, "investments", ["fund", "date", "amount"])
    pooled_cf = cf[cf["fund"].isin(funds_in_scope)]
    pooled_cf = pooled_cf.assign(amount=pooled_cf["amount"] * pooled_cf["fund"].map(share))
    navs = [nav_at(val[val["fund"] == f], as_of)[0] * share[f] for f in funds_in_scope]
    paid_in = float(pooled_cf.loc[(pooled_cf["date"] <= as_of)
                                  & pooled_cf["kind"].isin(CONTRIBUTION_KINDS), "amount"].sum())
    dist = float(pooled_cf.loc[(pooled_cf["date"] <= as_of)
                               & (pooled_cf["kind"] == "distribution"), "amount"].sum())
    nav = float(sum(navs))
    dates, amounts = net_flows(pooled_cf, as_of, nav)
    invested = float(inv.loc[inv["fund"].isin(funds_in_scope) & (inv["date"] <= as_of),
                             "amount"].sum())
    out: dict[str, Any] = {"funds": len(funds_in_scope), "committed": classes["F"],
                           **{k: classes[k] for k in ("G", "S", "P")}, "paid_in": paid_in,
                           "distributed": dist, "nav": nav, "invested": invested,
                           "dpi": dist / paid_in if paid_in else None,
                           "rvpi": nav / paid_in if paid_in else None,
                           "tvpi": (dist + nav) / paid_in if paid_in else None,
                           "irr": xirr_or_none(dates, amounts)}
    out.update(leverage(classes, invested))
    out.update(deployment(invested, paid_in, classes["F"]))
    out.update(city_return_multiple(funds_in_scope, cm, pooled_cf, inv, as_of, lp_class))
    return out


def city_return_multiple(funds_in_scope: set[str], commitments: pd.DataFrame,
                         cashflows: pd.DataFrame, investments: pd.DataFrame, as_of: date,
                         lp_class: Mapping[str, str] = DEFAULT_LP_CLASS) -> dict[str, float | None]:
    """The city's return-investment (返投) multiple over a scope of funds.

    ``in_region_invested`` = Σ in-region investments of every fund in scope up to ``as_of``;
    ``return_multiple_committed`` = that ÷ the government (G) money committed from outside the
    scope (``commitments`` already deduplicated: a mother fund's money in its sub-funds is
    counted once, as the mother's fiscal commitment); ``return_multiple_paid_in`` = that ÷ the
    G money paid in: each fund's contributions (``cashflows``, already pro-rated to outside
    LPs) × its G share of outside commitments.
    """
    cm = commitments[commitments["fund"].isin(funds_in_scope)]
    is_g = cm["lp_type"].map(lp_class) == "G"
    g_committed = float(cm.loc[is_g, "amount"].sum())
    total = cm.groupby("fund")["amount"].sum()
    g_by_fund = cm[is_g].groupby("fund")["amount"].sum()
    cf = cashflows[cashflows["fund"].isin(funds_in_scope) & (cashflows["date"] <= as_of)
                   & cashflows["kind"].isin(CONTRIBUTION_KINDS)]
    g_paid = float(sum(a * float(g_by_fund.get(f, 0.0)) / float(total[f])
                       for f, a in zip(cf["fund"], cf["amount"], strict=True)
                       if float(total.get(f, 0.0)) > 0))
    inv = investments[investments["fund"].isin(funds_in_scope) & (investments["date"] <= as_of)]
    local = (float(inv.loc[inv["in_region"].astype(bool), "amount"].sum())
             if "in_region" in inv.columns else 0.0)
    return {"in_region_invested": local, "g_paid_in": g_paid,
            "return_multiple_committed": local / g_committed if g_committed > 0 else None,
            "return_multiple_paid_in": local / g_paid if g_paid > 0 else None}


def portfolio_breakdown(investments: pd.DataFrame, by: str, as_of: date | None = None,
                        funds_in_scope: set[str] | None = None) -> pd.DataFrame:
    """Invested amount, deal count, investee count and share by a column (or ``year``)."""
    inv = _require(investments, "investments", ["fund", "date", "amount"])
    if as_of is not None:
        inv = inv[inv["date"] <= as_of]
    if funds_in_scope is not None:
        inv = inv[inv["fund"].isin(funds_in_scope)]
    if by == "year":
        inv = inv.assign(year=[d.year for d in inv["date"]])
    if by not in inv.columns:
        raise FundDataError("investments", None, by, None, "no such column to group by",
                            "没有可分组的该列")
    g = inv.groupby(by, dropna=False).agg(amount=("amount", "sum"), deals=("amount", "size"),
                                          investees=("investee", "nunique")
                                          if "investee" in inv.columns else ("amount", "size"))
    total = g["amount"].sum()
    g["share"] = g["amount"] / total if total > 0 else np.nan
    return g.sort_values("amount", ascending=False).reset_index()


__all__ = [
    "DEFAULT_LP_CLASS", "LP_TYPES", "FundDataError", "Performance", "capital_classes",
    "city_return_multiple", "contributions", "dedup_commitments", "deployment",
    "direct_alpha", "family_members", "flags", "fund_metrics", "index_at", "ks_pme",
    "leverage", "lp_share", "moic", "nav_at", "net_flows", "outside_shares", "performance",
    "pooled_metrics", "portfolio_breakdown", "return_investment", "xirr_or_none",
]
