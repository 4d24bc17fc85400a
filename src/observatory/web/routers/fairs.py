"""Technology fairs (对接会): list and create, one fair's pairs, add matches, export."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from observatory.services import fairs
from observatory.web.deps import Dep, User, check_csrf, form_of, json_of, render

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILES: dict[int | str, dict[str, object]] = {200: {"content": {"text/csv": {}, XLSX: {}}}}


@router.get("/api/fairs", tags=["fairs"], response_model=fairs.FairList)
def api_fairs(dep: Dep, p: User) -> fairs.FairList:
    return fairs.fair_list(dep.engine, p)


@router.get("/fairs", include_in_schema=False)
def fairs_html(request: Request, dep: Dep, p: User) -> HTMLResponse:
    return render(request, "fairs.html", p, {"fl": fairs.fair_list(dep.engine, p)},
                  "/api/fairs")


@router.post("/api/fairs", tags=["fairs"], status_code=201, response_model=fairs.FairSummary)
async def api_create(request: Request, dep: Dep, p: User) -> fairs.FairSummary:
    """Create a fair: ``{"name_zh", "name_en", "held_on": "YYYY-MM-DD", "place"}`` (staff)."""
    await check_csrf(request, p, {})
    return fairs.create(dep.engine, p, fairs.FairInput.from_form(await json_of(request)))


@router.post("/fairs", include_in_schema=False)
async def form_create(request: Request, dep: Dep, p: User) -> Response:
    form = await form_of(request)
    await check_csrf(request, p, form)
    fair = fairs.create(dep.engine, p, fairs.FairInput.from_form(form))
    return RedirectResponse(f"/fairs/{quote(fair.code)}", 303)


@router.get("/api/fairs/{code}", tags=["fairs"], response_model=fairs.FairDetail,
            responses=FILES)
def api_fair(dep: Dep, p: User, code: str, format: str = "json") -> fairs.FairDetail | Response:
    """A fair's pairs (a broker: their own); ``format=csv|xlsx`` downloads them."""
    data = fairs.detail(dep.engine, p, code)
    if format == "json":
        return data
    content, media = fairs.export(data, format)
    return Response(content, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{quote(data.code)}.{format}"'})


@router.get("/fairs/{code}", include_in_schema=False)
def fair_html(request: Request, dep: Dep, p: User, code: str) -> HTMLResponse:
    return render(request, "fair.html", p, {"fair": fairs.detail(dep.engine, p, code)},
                  f"/api/fairs/{quote(code)}")


@router.post("/api/fairs/{code}/matches", tags=["fairs"], response_model=fairs.FairDetail)
async def api_add(request: Request, dep: Dep, p: User, code: str) -> fairs.FairDetail:
    """Add matches: ``{"matches": ["M0000001", ...]}`` (staff); unknown match: 409."""
    await check_csrf(request, p, {})
    return fairs.add(dep.engine, p, code, fairs.FairMatches.from_form(await json_of(request)))


@router.post("/fairs/{code}/matches", include_in_schema=False)
async def form_add(request: Request, dep: Dep, p: User, code: str) -> Response:
    form = await form_of(request)
    await check_csrf(request, p, form)
    fairs.add(dep.engine, p, code, fairs.FairMatches.from_form(form))
    return RedirectResponse(f"/fairs/{quote(code)}", 303)
