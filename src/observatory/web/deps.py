"""What every router shares: who is asking, in which language, CSRF checks, page rendering and
the answers to a refusal. Routers only parse, call a service and format its result."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from observatory import i18n
from observatory.services import auth
from observatory.services.access import ACCESS, role_of
from observatory.services.context import Deployment
from observatory.services.errors import Denied, ServiceError
from observatory.web import charts

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(t=i18n.t, pick=i18n.pick, fmt_number=i18n.fmt_number,
                             fmt_yuan=i18n.fmt_yuan, fmt_value=i18n.fmt_value,
                             fmt_percent=i18n.fmt_percent, fmt_date=i18n.fmt_date,
                             status_label=i18n.status_label, charts=charts)


def deployment(request: Request) -> Deployment:
    """The deployment the app serves (database, settings, cache, match engine)."""
    dep: Deployment = request.app.state.deployment
    return dep


def principal(request: Request) -> auth.Principal:
    """The user of a bearer token or a session cookie, else the anonymous public."""
    engine = deployment(request).engine
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        p = auth.principal_from_bearer(engine, header[7:].strip())
        if p is None:
            raise Denied(401)
        return p
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        found = auth.principal_from_session(engine, token)
        if found is not None:
            return found
    return auth.ANONYMOUS


def lang_of(request: Request) -> str:
    """``?lang=``, else the language cookie, else the browser's, else the deployment's."""
    lang = request.query_params.get("lang") or request.cookies.get("obs_lang")
    if lang in i18n.LANGS:
        return lang
    accept = request.headers.get("accept-language", "").lower()
    if accept.startswith("en"):
        return "en"
    if accept.startswith("zh"):
        return "zh"
    return deployment(request).settings.language


Dep = Annotated[Deployment, Depends(deployment)]
User = Annotated[auth.Principal, Depends(principal)]
Lang = Annotated[str, Depends(lang_of)]


def secure(request: Request) -> bool:
    return (request.url.scheme == "https"
            or request.headers.get("x-forwarded-proto", "").lower() == "https")


def pre_csrf(request: Request) -> str:
    return request.cookies.get(auth.PRE_CSRF_COOKIE) or secrets.token_urlsafe(32)


def safe_next(target: object, default: str = "/overview") -> str:
    """A local path to go to after a form (never another site)."""
    text = str(target or default)
    return text if text.startswith("/") and not text.startswith("//") else default


async def form_of(request: Request) -> dict[str, object]:
    return dict(await request.form())


async def json_of(request: Request) -> dict[str, object]:
    """The JSON object a script sent; anything else is a bilingual 422, never a traceback."""
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(422, "the body is not valid JSON / 请求体不是有效的 JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(422, "expected a JSON object / 应为 JSON 对象")
    return body


async def check_csrf(request: Request, p: auth.Principal,
                     form: Mapping[str, object] | None = None) -> None:
    """The synchronizer token (form field or ``X-CSRF-Token``); bearer requests need none."""
    if p.via_token:
        return  # bearer requests carry no cookie; CSRF cannot ride on them
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = form if form is not None else await form_of(request)
        raw = form.get("csrf")
        given = str(raw) if raw is not None else None
    expected = p.csrf_token if p.authenticated else request.cookies.get(auth.PRE_CSRF_COOKIE)
    if not auth.csrf_ok(expected, given):
        raise HTTPException(403, "CSRF token missing or wrong / CSRF 令牌缺失或错误")


def _plain(value: object) -> object:
    """Templates read plain dicts and lists (the same values the JSON twin sends)."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def render(request: Request, template: str, p: auth.Principal, data: Mapping[str, object],
           api: str | None = None, status: int = 200) -> HTMLResponse:
    """A page: the template with the service result, the user, the language and CSRF."""
    lang = lang_of(request)
    csrf = p.csrf_token if p.authenticated and p.csrf_token else pre_csrf(request)
    context = {"request": request, "lang": lang, "user": p, "role": role_of(p), "csrf": csrf,
               "api": api, "path": request.url.path, "query": request.url.query,
               "access": ACCESS, "period": deployment(request).settings.period,
               **{k: _plain(v) for k, v in data.items()}}
    response = templates.TemplateResponse(request, template, context, status_code=status)
    if not p.authenticated and not request.cookies.get(auth.PRE_CSRF_COOKIE):
        response.set_cookie(auth.PRE_CSRF_COOKIE, csrf, httponly=True, samesite="lax",
                            secure=secure(request))
    return response


def install_handlers(app: FastAPI) -> None:
    """Refusals: a visitor is sent to log in, a script gets JSON, a page a short text."""

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied) -> Response:
        is_api = request.url.path.startswith("/api/")
        if exc.status == 401 and not is_api:
            return RedirectResponse(f"/login?next={quote(str(request.url.path))}", 303)
        if is_api:
            return JSONResponse({"detail": "not authenticated" if exc.status == 401 else
                                 "forbidden"}, exc.status)
        return PlainTextResponse(i18n.t("forbidden", lang_of(request)), exc.status)

    @app.exception_handler(ServiceError)
    async def refused(request: Request, exc: ServiceError) -> Response:
        return JSONResponse({"detail": str(exc)}, exc.status)
