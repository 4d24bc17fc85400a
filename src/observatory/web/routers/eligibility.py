"""The cultivation pipeline for analysts: registry enterprises nearest a designation, by
district, first-time candidates and renewals apart (page, JSON twin, XLSX)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from observatory.services import eligibility
from observatory.services.access import allow
from observatory.services.auth import Principal
from observatory.services.cache import figure_tables
from observatory.services.workbook import XLSX_MEDIA_TYPE
from observatory.web.deps import Dep, Lang, User, render

router = APIRouter()


def _list(dep: Dep, p: Principal, lang: str, pack: str | None, district: str | None,
          kind: str, top: int, as_of: str | None) -> eligibility.CultivationList:
    """The list as the service computes it for ``p``'s scope, cached per scope and filters
    while the registry's tables are unchanged (a login or a session does not recompute it)."""
    as_of = as_of or dt.date.today().isoformat()
    scope = None if p.scope is None else tuple(sorted(p.scope))
    return dep.cache.get("cultivation", lambda: eligibility.cultivation_list(
        dep.engine, dep.settings, pack or None, district=district or None, kind=kind, top=top,
        as_of=as_of or None, lang=lang, p=p), lang, pack, district, kind, top, as_of, scope,
        depends=figure_tables())


def _query(pack: str | None, district: str | None, kind: str, top: int, as_of: str | None
           ) -> str:
    given = {"pack": pack, "district": district, "kind": kind, "top": top, "as_of": as_of}
    return urlencode({k: v for k, v in given.items() if v})


@router.get("/api/eligibility/pipeline", tags=["eligibility"],
            response_model=eligibility.CultivationList)
def api_pipeline(dep: Dep, p: User, lang: Lang, pack: str | None = None,
                 district: str | None = None, kind: str = "all", top: int = 20,
                 as_of: str | None = None) -> eligibility.CultivationList:
    """The cultivation list by district: ``top`` per district and kind (candidate, renewal),
    each firm with every condition that fails, is undecided or lacks data."""
    allow(p, "pipeline")
    return _list(dep, p, lang, pack, district, kind, top, as_of)


@router.get("/api/eligibility/pipeline.xlsx", tags=["eligibility"],
            responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}})
def pipeline_xlsx(dep: Dep, p: User, lang: Lang, pack: str | None = None,
                  district: str | None = None, kind: str = "all", top: int = 20,
                  as_of: str | None = None) -> Response:
    """The same list as a workbook: one sheet of firms, one of their open conditions."""
    allow(p, "pipeline")
    data = _list(dep, p, lang, pack, district, kind, top, as_of)
    name = f"pipeline-{data.pack}-{data.filters.as_of}.xlsx"
    return Response(eligibility.cultivation_workbook(data), media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/eligibility/pipeline", include_in_schema=False)
def pipeline_page(request: Request, dep: Dep, p: User, lang: Lang, pack: str | None = None,
                  district: str | None = None, kind: str = "all", top: int = 20,
                  as_of: str | None = None) -> HTMLResponse:
    allow(p, "pipeline")
    data = _list(dep, p, lang, pack, district, kind, top, as_of)
    query = _query(pack, district, kind, top, as_of)
    return render(request, "pipeline.html", p,
                  {"pl": data, "xlsx": f"/api/eligibility/pipeline.xlsx?{query}"},
                  f"/api/eligibility/pipeline?{query}")
