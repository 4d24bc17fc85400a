"""Login, logout, the language switch and the account page with its API tokens and the
user's own password change (the current password required)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from observatory import i18n
from observatory.services import accounts, auth
from observatory.services.access import allow
from observatory.web.deps import (
    Dep,
    User,
    check_csrf,
    form_of,
    json_of,
    render,
    safe_next,
    secure,
)

router = APIRouter()


@router.get("/lang/{lang}", include_in_schema=False)
def switch_lang(request: Request, lang: str, next: str = "/overview") -> RedirectResponse:
    if lang not in i18n.LANGS:
        raise HTTPException(404, "not found / 未找到")
    response = RedirectResponse(safe_next(next), 303)
    response.set_cookie("obs_lang", lang, samesite="lax", secure=secure(request),
                        max_age=365 * 86400)
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, p: User, next: str = "/overview") -> HTMLResponse:
    return render(request, "login.html", p, {"next": next, "error": None})


@router.post("/login", include_in_schema=False)
async def login(request: Request, dep: Dep) -> Response:
    form = await form_of(request)
    p = auth.ANONYMOUS
    await check_csrf(request, p, form)
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    nxt = safe_next(form.get("next"))
    client = request.client.host if request.client else "?"
    limiter: auth.LoginLimiter = request.app.state.limiter
    if limiter.blocked(client, username):
        return render(request, "login.html", p, {"next": nxt, "error": "login_limited"},
                      status=429)
    user = auth.authenticate(dep.engine, username, password)
    if user is None:
        limiter.failed(client, username)
        return render(request, "login.html", p, {"next": nxt, "error": "login_failed"},
                      status=401)
    limiter.succeeded(client, username)
    token, _ = auth.start_session(dep.engine, user.id)
    response = RedirectResponse(nxt, 303)
    response.set_cookie(auth.SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=secure(request), max_age=auth.SESSION_DAYS * 86400)
    response.delete_cookie(auth.PRE_CSRF_COOKIE)
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, dep: Dep, p: User) -> Response:
    await check_csrf(request, p)
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        auth.end_session(dep.engine, token)
    response = RedirectResponse("/overview", 303)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response


@router.get("/api/account", tags=["account"], response_model=accounts.Account)
def api_account(dep: Dep, p: User) -> accounts.Account:
    return accounts.account(dep.engine, p)


@router.get("/account", include_in_schema=False)
def account_html(request: Request, dep: Dep, p: User) -> HTMLResponse:
    return render(request, "account.html", p,
                  {"acc": accounts.account(dep.engine, p), "new_token": None,
                   "password_changed": request.query_params.get("changed") == "1"},
                  "/api/account")


@router.post("/account/tokens", include_in_schema=False)
async def new_token(request: Request, dep: Dep, p: User) -> HTMLResponse:
    allow(p, "account")
    form = await form_of(request)
    await check_csrf(request, p, form)
    days = str(form.get("days") or auth.TOKEN_DAYS).strip()
    if not days.isdigit():
        raise HTTPException(422, f"days must be a whole number, not {days[:20]!r} / "
                                 f"有效天数须为整数，而不是 {days[:20]!r}")
    token = accounts.new_token(dep.engine, p, str(form.get("name") or "script"), int(days))
    return render(request, "account.html", p,
                  {"acc": accounts.account(dep.engine, p), "new_token": token})


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
async def revoke_token(request: Request, dep: Dep, p: User, token_id: int) -> Response:
    """The revoke button: one of the user's own tokens, refused at once from then on."""
    allow(p, "account")
    await check_csrf(request, p)
    accounts.revoke_own_token(dep.engine, p, token_id)
    return RedirectResponse("/account", 303)


@router.post("/account/password", include_in_schema=False)
async def change_password(request: Request, dep: Dep, p: User) -> Response:
    """The user's own password: the current one proves it is them (audited)."""
    allow(p, "account")
    form = await form_of(request)
    await check_csrf(request, p, form)
    accounts.change_password(dep.engine, p, accounts.PasswordChange(
        current=str(form.get("current") or ""), new=str(form.get("new") or "")))
    return RedirectResponse("/account?changed=1", 303)


@router.post("/api/account/password", tags=["account"], response_model=accounts.Account)
async def api_change_password(request: Request, dep: Dep, p: User) -> accounts.Account:
    """The same from a script using the session cookie (``X-CSRF-Token``); a bearer token
    cannot change a password."""
    allow(p, "account")
    await check_csrf(request, p, {})
    body = await json_of(request)
    accounts.change_password(dep.engine, p, accounts.PasswordChange(
        current=str(body.get("current") or ""), new=str(body.get("new") or "")))
    return accounts.account(dep.engine, p)
