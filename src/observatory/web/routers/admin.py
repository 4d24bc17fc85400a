"""Administration: the audit log of every change (who, when, what, before and after)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from observatory.services import imports
from observatory.web.deps import Dep, User, render

router = APIRouter()


@router.get("/api/data/audit", tags=["data"], response_model=imports.AuditLog)
def api_audit(dep: Dep, p: User, limit: int = 100) -> imports.AuditLog:
    return imports.audit_log(dep.engine, p, limit)


@router.get("/data/audit", include_in_schema=False)
def audit_html(request: Request, dep: Dep, p: User, limit: int = 100) -> HTMLResponse:
    return render(request, "audit.html", p, {**imports.audit_log(dep.engine, p, limit)
                                              .model_dump()},
                  f"/api/data/audit?limit={limit}")
