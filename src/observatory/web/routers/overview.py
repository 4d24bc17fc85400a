"""The overview, the plans tree and the annual report."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from observatory.reports.annual import render_docx, render_html, render_pdf
from observatory.services import index, plans
from observatory.services.access import allow
from observatory.services.cache import figure_tables
from observatory.web.deps import Dep, Lang, User, render

router = APIRouter()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get("/api/overview", tags=["overview"], response_model=plans.Overview)
def api_overview(dep: Dep, p: User) -> plans.Overview:
    allow(p, "overview")
    return plans.cached_overview(dep)


@router.get("/overview", include_in_schema=False)
def overview_page(request: Request, dep: Dep, p: User) -> HTMLResponse:
    allow(p, "overview")
    return render(request, "overview.html", p, {"o": plans.cached_overview(dep),
                                                "ix": index.cached_scores(dep)},
                  "/api/overview")


@router.get("/api/plans", tags=["plans"], response_model=plans.PlansTree)
def api_plans(dep: Dep, p: User) -> plans.PlansTree:
    allow(p, "plans")
    return plans.cached_plans(dep)


@router.get("/plans", include_in_schema=False)
def plans_page(request: Request, dep: Dep, p: User) -> HTMLResponse:
    allow(p, "plans")
    return render(request, "plans.html", p, {"tree": plans.cached_plans(dep)}, "/api/plans")


@router.get("/report/annual", tags=["report"],
            responses={200: {"content": {"text/html": {}, "application/pdf": {}, DOCX: {}},
                             "description": "The annual report as HTML, PDF or DOCX"}})
def annual_report(dep: Dep, p: User, lang: Lang, year: int | None = None,
                  format: str = "html") -> Response:
    """The annual monitoring report for ``year`` (default: the deployment's period)."""
    allow(p, "report")
    year = year if year is not None else dep.settings.period
    renderers = {"pdf": render_pdf, "docx": render_docx, "html": render_html}
    if format not in renderers:
        raise HTTPException(422, "format must be html, pdf or docx / format 须为 html、pdf 或 docx")
    # One rendering per year, language and format while the figures' tables are unchanged:
    # the report is public, and rendering it takes seconds.
    body = dep.cache.get("report", lambda: renderers[format](dep.engine, year, lang,
                                                             dep.settings),
                         year, lang, format, depends=figure_tables())
    if format == "pdf":
        return Response(body, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="report-{year}-{lang}.pdf"'})
    if format == "docx":
        return Response(body, media_type=DOCX, headers={
            "Content-Disposition": f'attachment; filename="report-{year}-{lang}.docx"'})
    return HTMLResponse(body)
