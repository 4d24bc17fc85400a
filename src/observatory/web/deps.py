"""What every router shares: who is asking, in which language, CSRF checks, page rendering and
the answers to a refusal. Routers only parse, call a service and format its result."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from observatory import i18n
from observatory.db import BUSY, CONFLICT, database_busy
from observatory.services import auth
from observatory.services.access import ACCESS, role_of
from observatory.services.context import Deployment
from observatory.services.errors import Denied, ServiceError
from observatory.services.workbook import XLSX_MEDIA_TYPE
from observatory.web import charts
from observatory.web.markup import marked
from observatory.web.security import came_over_https
from observatory.web.tables import page_workbook

logger = logging.getLogger("observatory.web")
HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(t=i18n.t, pick=i18n.pick, fmt_number=i18n.fmt_number,
                             fmt_yuan=i18n.fmt_yuan, fmt_value=i18n.fmt_value,
                             fmt_percent=i18n.fmt_percent, fmt_date=i18n.fmt_date,
                             status_label=i18n.status_label, charts=charts,
                             unit_label=i18n.unit_label, method_label=i18n.method_label,
                             term_label=i18n.term_label, is_code=i18n.is_code,
                             role_label=i18n.role_label, entity_label=i18n.entity_label,
                             marked=marked, text_lang=i18n.text_lang)


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
    return came_over_https(request.scope)


def pre_csrf(request: Request) -> str:
    return request.cookies.get(auth.PRE_CSRF_COOKIE) or secrets.token_urlsafe(32)


def safe_next(target: object, default: str = "/overview") -> str:
    """A local path to go to after a form (never another site)."""
    text = str(target or default)
    return text if text.startswith("/") and not text.startswith("//") else default


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def form_of(request: Request) -> dict[str, object]:
    """The submitted form; a body of another kind (JSON sent to a form route) is a bilingual
    422 rather than an empty form that would pass for one without fields."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FORM_TYPES and await request.body():
        raise HTTPException(422, "expected a form (application/x-www-form-urlencoded or "
                                 "multipart/form-data) / 应提交表单（application/x-www-form-"
                                 "urlencoded 或 multipart/form-data）")
    return dict(await request.form())


async def json_of(request: Request) -> dict[str, object]:
    """The JSON object a script sent; anything else is a bilingual 422, never a traceback."""
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(422, "the body is not valid JSON / 请求体不是有效的 JSON") from None
    except RecursionError:
        raise HTTPException(422, TOO_DEEP) from None
    if not isinstance(body, dict):
        raise HTTPException(422, "expected a JSON object / 应为 JSON 对象")
    return body


async def check_csrf(request: Request, p: auth.Principal,
                     form: Mapping[str, object] | None = None) -> None:
    """The synchronizer token (form field or ``X-CSRF-Token``); bearer requests need none.
    A form route that passes no form has its body checked here all the same (form_of); an API
    route that passes an empty one has any body checked to be a JSON object (json_of)."""
    if form is None:
        form = await form_of(request)
    elif not form and await request.body():
        await json_of(request)  # an API route's body, if any, must be a JSON object
    if p.via_token:
        return  # bearer requests carry no cookie; CSRF cannot ride on them
    given = request.headers.get("x-csrf-token")
    if given is None:
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
    if request.query_params.get("format") == "xlsx" and status == 200:
        return tables_download(request, bytes(response.body))
    if not p.authenticated and not request.cookies.get(auth.PRE_CSRF_COOKIE):
        response.set_cookie(auth.PRE_CSRF_COOKIE, csrf, httponly=True, samesite="lax",
                            secure=secure(request))
    return response


def tables_download(request: Request, html: bytes) -> HTMLResponse:
    """The page's tables as XLSX (``?format=xlsx``, ``&table=N`` for one): see ``web.tables``.
    A page without that table answers 404 with the reason in both languages."""
    raw = request.query_params.get("table")
    index = int(raw) if raw is not None and raw.isdigit() else None
    if raw is not None and index is None:
        raise HTTPException(422, f"table {raw!r}: expected a number from 0 / "
                                 f"table {raw!r}：应为从 0 起的序号")
    data = page_workbook(html.decode("utf-8"), index)
    if data is None:
        raise HTTPException(404, "no such table on this page / 本页没有该表格")
    name = "-".join(part for part in request.url.path.split("/") if part) or "page"
    name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    suffix = f"-table{index}" if index is not None else ""
    # an HTMLResponse by type only, so every page route keeps its one return type
    return HTMLResponse(data, media_type=XLSX_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{name}{suffix}.xlsx"'})


def wants_html(request: Request) -> bool:
    """Pages answer pages; ``/api/`` routes (and the files they serve) answer JSON."""
    return not request.url.path.startswith(("/api/", "/openapi", "/docs", "/static/",
                                            "/assets/"))


def error_page(request: Request, status: int, message: str,
               problems: list[dict[str, str]] | None = None) -> HTMLResponse:
    """An error as a page in the reader's language, with a way back."""
    lang = lang_of(request)
    key = f"err_{status}" if f"err_{status}" in i18n.CATALOGUE else "err_400"
    referer = request.headers.get("referer", "")
    back = safe_next(referer.split(request.url.netloc, 1)[-1] if referer else "/overview")
    try:
        p = principal(request)
    except Exception:  # an error page must render even when the database is what failed
        p = auth.ANONYMOUS
    return render(request, "error.html", p,
                  {"status": status, "title": i18n.t(key, lang), "message": message,
                   "problems": problems or [], "back": back}, status=status)


def _in_language(en: str, zh: str, lang: str) -> str:
    return (zh or en) if lang == "zh" else en


#: Chinese for pydantic's error types (a page in Chinese must not show its English messages)
ZH_REASONS = {
    "missing": "缺少此项", "int_parsing": "应为整数", "int_type": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字", "bool_parsing": "应为是或否",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "datetime_parsing": "应为日期时间", "literal_error": "不在允许的取值之中",
    "enum": "不在允许的取值之中", "string_too_long": "过长", "string_too_short": "过短",
    "greater_than": "过小", "greater_than_equal": "过小", "less_than": "过大",
    "less_than_equal": "过大", "string_pattern_mismatch": "格式不符", "int_from_float": "应为整数",
}


def _validation_problems(exc: RequestValidationError, lang: str) -> list[dict[str, str]]:
    rows = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
        given = err.get("input")
        reason = (ZH_REASONS.get(str(err.get("type")), "取值无效") if lang == "zh"
                  else str(err.get("msg", "")))
        if given is not None and not isinstance(given, dict | list):
            reason = f"{reason} ({'取值' if lang == 'zh' else 'given'}: {given!s:.80})"
        rows.append({"field": where or "-", "reason": reason})
    return rows


TOO_DEEP_EN_ZH = ("the JSON body is nested too deeply", "JSON 请求体嵌套层数过多")
TOO_DEEP = " / ".join(TOO_DEEP_EN_ZH)


def _bilingual(request: Request, status: int, en: str, zh: str,
               headers: dict[str, str] | None = None) -> Response:
    """A refusal in both languages: JSON for scripts, an error page for pages."""
    if not wants_html(request):
        return JSONResponse({"detail": f"{en} / {zh}"}, status, headers=headers)
    response = error_page(request, status, _in_language(en, zh, lang_of(request)))
    response.headers.update(headers or {})
    return response


def install_database_handlers(app: FastAPI) -> None:
    """What the database refuses is the request's problem or a busy moment, not a crash: a
    lock held past the busy timeout is a 503 with Retry-After, a key or reference rule (two
    writers at once, a record already there) a 409, a body nested past Python's recursion
    limit a 422. Each transaction rolled back, so nothing was written."""

    @app.exception_handler(OperationalError)
    async def busy(request: Request, exc: OperationalError) -> Response:
        if not database_busy(exc):
            return await _crashed(request, exc)
        logger.warning("database busy on %s: %s", request.url.path, exc.orig)
        return _bilingual(request, 503, *BUSY, headers={"Retry-After": "5"})

    @app.exception_handler(IntegrityError)
    async def conflict(request: Request, exc: IntegrityError) -> Response:
        logger.warning("integrity conflict on %s: %s", request.url.path, exc.orig)
        return _bilingual(request, 409, *CONFLICT)

    @app.exception_handler(RecursionError)
    async def too_deep(request: Request, exc: RecursionError) -> Response:
        return _bilingual(request, 422, *TOO_DEEP_EN_ZH)


async def _crashed(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s", request.url.path, exc_info=exc)
    if not wants_html(request):
        return JSONResponse({"detail": "internal error / 服务器内部错误"}, 500)
    return error_page(request, 500, i18n.t("err_500_text", lang_of(request)))


def document_refusals(app: FastAPI) -> None:
    """Say in ``/openapi.json`` what a 422 really carries: FastAPI's list of field errors, or
    the bilingual reason a service or route gives as one string ("en / zh"). Without this the
    schema promises a list and every precise refusal would break it (schemathesis checks)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        error = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
        if error is not None:
            listed = error["properties"]["detail"]
            error["properties"]["detail"] = {
                "anyOf": [{k: v for k, v in listed.items() if k != "title"},
                          {"type": "string", "description": "the reason, English / Chinese"}],
                "title": "Detail"}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_handlers(app: FastAPI) -> None:
    """Refusals: a visitor is sent to log in, a script gets JSON, a page an error page in the
    reader's language with a way back."""
    install_database_handlers(app)

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied) -> Response:
        if exc.status == 401 and wants_html(request):
            return RedirectResponse(f"/login?next={quote(str(request.url.path))}", 303)
        if not wants_html(request):
            return JSONResponse({"detail": "not authenticated" if exc.status == 401 else
                                 "forbidden"}, exc.status)
        return error_page(request, exc.status, i18n.t("forbidden", lang_of(request)))

    @app.exception_handler(ServiceError)
    async def refused(request: Request, exc: ServiceError) -> Response:
        if not wants_html(request):
            return JSONResponse({"detail": str(exc)}, exc.status)
        return error_page(request, exc.status, _in_language(exc.en, exc.zh, lang_of(request)))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError):
            # FastAPI's own body parsing answers 400 to what json_of answers 422
            return _bilingual(request, 422, *TOO_DEEP_EN_ZH)
        if not wants_html(request):
            return await http_exception_handler(request, exc)
        text = str(exc.detail) if exc.status_code != 404 else i18n.t("not_found",
                                                                      lang_of(request))
        return error_page(request, exc.status_code, text)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if not wants_html(request):
            return await request_validation_exception_handler(request, exc)
        lang = lang_of(request)
        return error_page(request, 422, i18n.t("err_invalid_text", lang),
                          _validation_problems(exc, lang))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        return await _crashed(request, exc)
