"""Data-quality checks for analysts: the page and its JSON twin (``observatory check``)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from observatory.services import check
from observatory.web.deps import Dep, User, render

router = APIRouter()


@router.get("/api/check", tags=["check"], response_model=check.CheckReport)
def api_check(dep: Dep, p: User, threshold: list[str] = Query(default=[]),
              only: list[str] = Query(default=[])) -> check.CheckReport:
    """Run the checks (``threshold=CODE=NUMBER`` replaces a threshold; ``only=CODE``)."""
    return check.check_view(dep, p, threshold, only)


@router.get("/check", include_in_schema=False)
def check_html(request: Request, dep: Dep, p: User, threshold: list[str] = Query(default=[]),
               only: list[str] = Query(default=[])) -> HTMLResponse:
    return render(request, "check.html", p, {"ck": check.check_view(dep, p, threshold, only)},
                  "/api/check")
