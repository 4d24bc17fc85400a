"""Guidance funds: per-fund figures (sortable, downloadable as XLSX) and one fund's
investments (a fund manager: their own)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from observatory.services import funds
from observatory.services.errors import Invalid
from observatory.web.deps import Dep, User, render

router = APIRouter()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(dep: Dep, p: User, as_of: str | None, sort: str | None, desc: bool
          ) -> funds.FundsPage:
    return funds.funds_view(dep, p, funds.parse_as_of(as_of), sort, desc)


@router.get("/api/funds", tags=["funds"], response_model=funds.FundsPage,
            responses={200: {"content": {XLSX: {}}}})
def api_funds(dep: Dep, p: User, as_of: str | None = None, sort: str | None = None,
              desc: bool = False, format: str = "json") -> funds.FundsPage | Response:
    """The funds table (``format=xlsx``: the same rows as a workbook)."""
    if format not in ("json", "xlsx"):
        raise Invalid(f"format {format!r}: json or xlsx", f"格式 {format!r} 无效：json 或 xlsx")
    page = _page(dep, p, as_of, sort, desc)
    if format == "xlsx":
        return Response(funds.funds_xlsx(page), media_type=XLSX, headers={
            "Content-Disposition": f'attachment; filename="funds-{page.as_of}.xlsx"'})
    return page


@router.get("/funds", include_in_schema=False)
def funds_html(request: Request, dep: Dep, p: User, as_of: str | None = None,
               sort: str | None = None, desc: bool = False) -> HTMLResponse:
    return render(request, "funds.html", p, {"fd": _page(dep, p, as_of, sort, desc),
                                            "sort_keys": funds.SORT_KEYS},
                  "/api/funds")


@router.get("/api/funds/{code}", tags=["funds"], response_model=funds.FundPage)
def api_fund(dep: Dep, p: User, code: str) -> funds.FundPage:
    return funds.fund_view(dep, p, code)


@router.get("/funds/{code}", include_in_schema=False)
def fund_html(request: Request, dep: Dep, p: User, code: str) -> HTMLResponse:
    return render(request, "fund.html", p, {"f": funds.fund_view(dep, p, code)},
                  f"/api/funds/{quote(code)}")
