"""Enterprises and eligibility: the list, one profile, the assessment from the registry and
the self-assessment of typed-in figures (an enterprise user: only its own organisation)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from observatory.services import eligibility, enterprises
from observatory.services.errors import ServiceError
from observatory.web.deps import Dep, Lang, User, check_csrf, form_of, json_of, render

router = APIRouter()


@router.get("/api/enterprises", tags=["enterprises"], response_model=enterprises.EnterpriseList)
def api_enterprises(dep: Dep, p: User, q: str = "") -> enterprises.EnterpriseList:
    return enterprises.enterprise_list(dep.engine, p, q)


@router.get("/enterprises", include_in_schema=False)
def enterprises_html(request: Request, dep: Dep, p: User, q: str = "") -> HTMLResponse:
    return render(request, "enterprises.html", p,
                  {"ents": enterprises.enterprise_list(dep.engine, p, q)},
                  f"/api/enterprises?q={quote(q)}")


@router.get("/api/enterprises/{org_id}", tags=["enterprises"],
            response_model=enterprises.EnterpriseProfile)
def api_enterprise(dep: Dep, p: User, org_id: int) -> enterprises.EnterpriseProfile:
    return enterprises.enterprise_profile(dep.engine, p, org_id)


@router.get("/api/enterprises/{org_id}/eligibility", tags=["enterprises"],
            response_model=eligibility.RegistryAssessment)
def api_enterprise_registry_assessment(dep: Dep, p: User, lang: Lang, org_id: int,
                                       pack: str | None = None, as_of: str | None = None
                                       ) -> eligibility.RegistryAssessment:
    """The enterprise assessed from the registry's records (figures, IP, dated facts); the
    pack defaults to the deployment's (settings ``default_pack``)."""
    pack = pack or eligibility.default_pack(dep.settings)
    return eligibility.registry_assessment(dep.engine, p, org_id, pack, as_of, lang)


@router.get("/enterprises/{org_id}", include_in_schema=False)
def enterprise_html(request: Request, dep: Dep, p: User, lang: Lang, org_id: int,
                    pack: str | None = None, as_of: str | None = None) -> HTMLResponse:
    data = enterprises.enterprise_profile(dep.engine, p, org_id)
    pack = pack or eligibility.default_pack(dep.settings)
    registry: eligibility.RegistryAssessment | dict[str, str]
    try:
        registry = eligibility.registry_assessment(dep.engine, p, org_id, pack, as_of, lang)
    except ServiceError as exc:  # the profile still shows; the assessment says why not
        registry = {"error": str(exc), "as_of": as_of or ""}
    return render(request, "enterprise.html", p,
                  {"e": data, "packs": eligibility.eligibility_packs(dep.settings), "result": None,
                   "form": {}, "registry": registry, "pack": pack},
                  f"/api/enterprises/{org_id}")


@router.post("/enterprises/{org_id}/eligibility", include_in_schema=False)
async def enterprise_assess(request: Request, dep: Dep, p: User, lang: Lang, org_id: int
                            ) -> HTMLResponse:
    data = enterprises.enterprise_profile(dep.engine, p, org_id)
    form = await form_of(request)
    await check_csrf(request, p, form)
    given = eligibility.SelfAssessmentInput.from_form(
        form, eligibility.default_pack(dep.settings))
    result = eligibility.self_assess(given, lang)
    return render(request, "enterprise.html", p,
                  {"e": data, "packs": eligibility.eligibility_packs(dep.settings),
                   "result": result, "form": form, "registry": None, "pack": None})


@router.post("/api/enterprises/{org_id}/eligibility", tags=["enterprises"],
             response_model=eligibility.SelfAssessment)
async def api_enterprise_assess(request: Request, dep: Dep, p: User, lang: Lang, org_id: int
                                ) -> eligibility.SelfAssessment:
    enterprises.enterprise_profile(dep.engine, p, org_id)
    await check_csrf(request, p, {})
    given = eligibility.SelfAssessmentInput.from_form(await json_of(request),
                                                      eligibility.default_pack(dep.settings))
    return eligibility.self_assess(given, lang)
