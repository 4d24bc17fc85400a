"""Guidance funds: per-fund figures and one fund's investments (a fund manager: their own)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from observatory.services import funds
from observatory.web.deps import Dep, User, render

router = APIRouter()


@router.get("/api/funds", tags=["funds"], response_model=funds.FundsPage)
def api_funds(dep: Dep, p: User) -> funds.FundsPage:
    return funds.funds_view(dep, p)


@router.get("/funds", include_in_schema=False)
def funds_html(request: Request, dep: Dep, p: User) -> HTMLResponse:
    return render(request, "funds.html", p, {"fd": funds.funds_view(dep, p)}, "/api/funds")


@router.get("/api/funds/{code}", tags=["funds"], response_model=funds.FundPage)
def api_fund(dep: Dep, p: User, code: str) -> funds.FundPage:
    return funds.fund_view(dep, p, code)


@router.get("/funds/{code}", include_in_schema=False)
def fund_html(request: Request, dep: Dep, p: User, code: str) -> HTMLResponse:
    return render(request, "fund.html", p, {"f": funds.fund_view(dep, p, code)},
                  f"/api/funds/{quote(code)}")
