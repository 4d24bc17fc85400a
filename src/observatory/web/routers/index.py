"""The composite index: the published GII rank and the district index with rank intervals."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from observatory.services import index
from observatory.services.access import allow
from observatory.web.deps import Dep, User, render

router = APIRouter()


@router.get("/api/index", tags=["index"], response_model=index.IndexPage)
def api_index(dep: Dep, p: User) -> index.IndexPage:
    allow(p, "index")
    return index.cached_index(dep)


@router.get("/index", include_in_schema=False)
def index_html(request: Request, dep: Dep, p: User) -> HTMLResponse:
    allow(p, "index")
    return render(request, "index.html", p, {"ix": index.cached_index(dep)}, "/api/index")


@router.get("/api/index/what-if", tags=["index"], response_model=index.WhatIf)
def api_what_if(dep: Dep, p: User, weights: str | None = None) -> index.WhatIf:
    """The district index with other weights: ``weights=ENT:2,RD:0.5,hte_per_10k_residents:0``
    (pillar or indicator codes; 0 leaves one out). Re-aggregates only: milliseconds."""
    allow(p, "index")
    return index.cached_what_if(dep, index.parse_weights(weights))
