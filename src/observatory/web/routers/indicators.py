"""The indicators explorer: catalogue, one indicator by year or district, the records behind a
figure, and downloads (CSV, SDMX-CSV, XLSX)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from observatory.services import indicators, reconcile
from observatory.services.access import allow
from observatory.web.deps import Dep, User, render

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(code: str, by: str, suffix: str) -> dict[str, str]:
    name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in code)
    return {"Content-Disposition": f'attachment; filename="{name}-{by}.{suffix}"'}


@router.get("/api/indicators", tags=["indicators"], response_model=indicators.Catalogue)
def api_indicators(dep: Dep, p: User) -> indicators.Catalogue:
    allow(p, "indicators")
    return dep.cache.get("catalogue", lambda: indicators.catalogue(dep.engine))


@router.get("/indicators", include_in_schema=False)
def indicators_page(request: Request, dep: Dep, p: User) -> HTMLResponse:
    allow(p, "indicators")
    data = dep.cache.get("catalogue", lambda: indicators.catalogue(dep.engine))
    return render(request, "indicators.html", p, {"cat": data}, "/api/indicators")


@router.get("/api/indicators/reconcile", tags=["indicators"],
            response_model=reconcile.Reconciliation)
def api_reconcile(dep: Dep, p: User, region: str | None = None, period: str | None = None
                  ) -> reconcile.Reconciliation:
    """Every published figure beside the value the registry's records give."""
    allow(p, "indicators")
    return dep.cache.get("reconcile", lambda: reconcile.reconcile(dep.engine, region, period,
                                                           dep.settings.years),
                         region, period)


@router.get("/indicators/reconcile", include_in_schema=False)
def reconcile_page(request: Request, dep: Dep, p: User, region: str | None = None,
                   period: str | None = None) -> HTMLResponse:
    allow(p, "indicators")
    data = dep.cache.get("reconcile", lambda: reconcile.reconcile(dep.engine, region, period,
                                                           dep.settings.years),
                         region, period)
    query = urlencode({k: v for k, v in (("region", region), ("period", period)) if v})
    return render(request, "reconcile.html", p, {"rec": data},
                  "/api/indicators/reconcile" + (f"?{query}" if query else ""))


@router.get("/api/indicators/{code}.sdmx.csv", tags=["indicators"],
            responses={200: {"content": {"text/csv": {}}}})
def indicator_sdmx(dep: Dep, p: User, code: str, by: str = "year") -> Response:
    """SDMX-CSV (dataflow OBSERVATORY:INDICATORS(1.0)), by the indicator engine's export."""
    allow(p, "indicators")
    text = indicators.as_sdmx_csv(indicators.indicator_view(dep, code, by))
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers=_download(code, by, "sdmx.csv"))


@router.get("/api/indicators/{code}.xlsx", tags=["indicators"],
            responses={200: {"content": {XLSX: {}}}})
def indicator_xlsx(dep: Dep, p: User, code: str, by: str = "year") -> Response:
    allow(p, "indicators")
    return Response(indicators.as_xlsx(indicators.indicator_view(dep, code, by)),
                    media_type=XLSX, headers=_download(code, by, "xlsx"))


@router.get("/api/indicators/{code}.csv", tags=["indicators"],
            responses={200: {"content": {"text/csv": {}}}})
def indicator_csv(dep: Dep, p: User, code: str, by: str = "year") -> Response:
    allow(p, "indicators")
    text = indicators.as_csv(indicators.indicator_view(dep, code, by))
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{code}.csv"'})


@router.get("/api/indicators/{code}", tags=["indicators"],
            response_model=indicators.IndicatorValues)
def api_indicator(dep: Dep, p: User, code: str, by: str = "year"
                  ) -> indicators.IndicatorValues:
    allow(p, "indicators")
    return indicators.indicator_view(dep, code, by)


@router.get("/indicators/{code}", include_in_schema=False)
def indicator_page(request: Request, dep: Dep, p: User, code: str, by: str = "year"
                   ) -> HTMLResponse:
    allow(p, "indicators")
    return render(request, "indicator.html", p,
                  {"ind": indicators.indicator_view(dep, code, by), "by": by},
                  f"/api/indicators/{quote(code)}")


@router.get("/api/indicators/{code}/records", tags=["indicators"],
            response_model=indicators.FigureRecords)
def api_records(dep: Dep, p: User, code: str, region: str | None = None,
                period: int | None = None) -> indicators.FigureRecords:
    """The records behind one figure (default: the home region in the default period)."""
    allow(p, "indicators")
    return indicators.records_view(dep, p, code, region, period)


@router.get("/indicators/{code}/records", include_in_schema=False)
def records_page(request: Request, dep: Dep, p: User, code: str, region: str | None = None,
                 period: int | None = None) -> HTMLResponse:
    allow(p, "indicators")
    rec = indicators.records_view(dep, p, code, region, period)
    return render(request, "records.html", p, {"rec": rec},
                  f"/api/indicators/{quote(code)}/records?region={quote(rec.region)}"
                  f"&period={rec.period}")
