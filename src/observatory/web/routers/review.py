"""Names to review: rows of published lists whose organisation was not resolved for sure.

Staff (admins and analysts) list them, accept one with a chosen candidate or another USCC
(which imports the row, audited) or reject it. Pages post forms with the CSRF token; scripts
use the JSON twins (bearer tokens, or the ``X-CSRF-Token`` header with a session cookie).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from observatory.services import resolution
from observatory.services.access import allow
from observatory.web.deps import Dep, User, check_csrf, json_of, render

router = APIRouter()


class AcceptBody(BaseModel):
    """The organisation to import the row for; the first candidate when left out."""

    uscc: str | None = None


@router.get("/api/review", tags=["review"], response_model=resolution.ReviewQueue)
def api_queue(dep: Dep, p: User, status: str = "pending") -> resolution.ReviewQueue:
    return resolution.queue_for(dep.engine, p, status)


@router.get("/review", include_in_schema=False)
def queue_html(request: Request, dep: Dep, p: User, status: str = "pending") -> HTMLResponse:
    queue = resolution.queue_for(dep.engine, p, status)
    return render(request, "review.html", p, {"q": queue}, f"/api/review?status={status}")


@router.get("/api/review/{item_id}", tags=["review"], response_model=resolution.ReviewItem)
def api_item(dep: Dep, p: User, item_id: int) -> resolution.ReviewItem:
    return resolution.item_for(dep.engine, p, item_id)


@router.post("/api/review/{item_id}/accept", tags=["review"],
             response_model=resolution.ReviewItem)
async def api_accept(request: Request, dep: Dep, p: User, item_id: int
                     ) -> resolution.ReviewItem:
    allow(p, "review")
    await check_csrf(request, p, {})
    body = AcceptBody.model_validate(await json_of(request)) if await request.body() \
        else AcceptBody()
    return resolution.accept_for(dep.engine, p, item_id, body.uscc)


@router.post("/api/review/{item_id}/reject", tags=["review"],
             response_model=resolution.ReviewItem)
async def api_reject(request: Request, dep: Dep, p: User, item_id: int
                     ) -> resolution.ReviewItem:
    allow(p, "review")
    await check_csrf(request, p, {})
    return resolution.reject_for(dep.engine, p, item_id)


@router.post("/review/{item_id}/accept", include_in_schema=False)
async def accept_form(request: Request, dep: Dep, p: User, item_id: int) -> Response:
    allow(p, "review")
    form = dict(await request.form())
    await check_csrf(request, p, form)
    chosen = str(form.get("uscc_other") or "").strip() or str(form.get("uscc") or "").strip()
    resolution.accept_for(dep.engine, p, item_id, chosen or None)
    return RedirectResponse("/review", 303)


@router.post("/review/{item_id}/reject", include_in_schema=False)
async def reject_form(request: Request, dep: Dep, p: User, item_id: int) -> Response:
    allow(p, "review")
    form = dict(await request.form())
    await check_csrf(request, p, form)
    resolution.reject_for(dep.engine, p, item_id)
    return RedirectResponse("/review", 303)
