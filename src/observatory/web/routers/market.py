"""The technology market: search, the matching engine's state, one listing (view and edit) and
a listing's best counterparts."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from observatory.services import market
from observatory.services.access import allow
from observatory.services.matcher import MatcherStatus
from observatory.web.deps import Dep, Lang, User, check_csrf, form_of, json_of, render

router = APIRouter()


@router.get("/api/market", tags=["market"], response_model=market.MarketPage)
def api_market(dep: Dep, p: User, lang: Lang, q: str = "", kind: str = "achievement",
               field: str = "", trl: str = "", region: str = "", price: str = "",
               page: int = 1) -> market.MarketPage:
    """Newest published listings of a kind (or those answering ``q``), narrowed by the facets
    field, trl (1-3, 4-6, 7-9), region and price (lt50, 50-100, 100-500, 500+; 10,000 yuan),
    with each facet's counts."""
    return market.browse(dep, p, q, lang, kind, field or None, trl or None, region or None,
                         price or None, page)


@router.get("/api/market/engine", tags=["market"], response_model=MatcherStatus)
def api_market_engine(dep: Dep, p: User) -> MatcherStatus:
    """Which matching the app uses now (hybrid when built, else BM25) and its build time."""
    allow(p, "market")
    return dep.matcher.status()


@router.get("/market", include_in_schema=False)
def market_page(request: Request, dep: Dep, p: User, lang: Lang, q: str = "",
                kind: str = "achievement", field: str = "", trl: str = "", region: str = "",
                price: str = "", page: int = 1) -> HTMLResponse:
    res = market.browse(dep, p, q, lang, kind, field or None, trl or None, region or None,
                        price or None, page)
    return render(request, "market.html", p, {"res": res}, f"/api/market?{request.url.query}")


@router.get("/api/market/listings/{code}", tags=["market"], response_model=market.ListingView)
def api_listing(dep: Dep, p: User, lang: Lang, code: str) -> market.ListingView:
    return market.listing_page(dep, p, code, lang)


@router.get("/market/listings/{code}", include_in_schema=False)
def listing_page(request: Request, dep: Dep, p: User, lang: Lang, code: str) -> HTMLResponse:
    return render(request, "listing.html", p,
                  {"l": market.listing_page(dep, p, code, lang), "saved": False},
                  f"/api/market/listings/{quote(code)}")


@router.post("/api/market/listings/{code}", tags=["market"], response_model=market.ListingView)
async def api_edit_listing(request: Request, dep: Dep, p: User, code: str
                           ) -> market.ListingView:
    allow(p, "listing_edit")
    await check_csrf(request, p, {})
    edit = market.ListingEdit.from_form(await json_of(request))
    return market.edit_listing(dep.engine, p, code, edit)


@router.post("/market/listings/{code}", include_in_schema=False)
async def form_edit_listing(request: Request, dep: Dep, p: User, code: str) -> HTMLResponse:
    allow(p, "listing_edit")
    form = await form_of(request)
    await check_csrf(request, p, form)
    data = market.edit_listing(dep.engine, p, code, market.ListingEdit.from_form(form))
    return render(request, "listing.html", p, {"l": data, "saved": True})


@router.get("/api/market/match/{code}", tags=["market"], response_model=market.MatchList)
def api_match(dep: Dep, p: User, lang: Lang, code: str) -> market.MatchList:
    return market.match_list(dep, p, code, lang)


@router.get("/market/match/{code}", include_in_schema=False)
def match_page(request: Request, dep: Dep, p: User, lang: Lang, code: str) -> HTMLResponse:
    return render(request, "match.html", p, {"mt": market.match_list(dep, p, code, lang)},
                  f"/api/market/match/{quote(code)}")
