"""Administration: the audit log of every change (who, when, what, before and after) and the
user accounts (add, disable, reset a password, grant a role and home region; admin only, every
form with its CSRF token, every change audited by ``services.accounts``)."""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from observatory.services import accounts, imports
from observatory.services.access import allow, allow_whole
from observatory.web.deps import Dep, User, check_csrf, form_of, json_of, render

router = APIRouter()
M = TypeVar("M", bound=BaseModel)


@router.get("/api/data/audit", tags=["data"], response_model=imports.AuditLog)
def api_audit(dep: Dep, p: User, limit: int = 100) -> imports.AuditLog:
    allow_whole(p, "data", dep.settings.region)
    return imports.audit_log(dep.engine, p, limit)


@router.get("/data/audit", include_in_schema=False)
def audit_html(request: Request, dep: Dep, p: User, limit: int = 100) -> HTMLResponse:
    allow_whole(p, "data", dep.settings.region)
    return render(request, "audit.html", p, {**imports.audit_log(dep.engine, p, limit)
                                              .model_dump()},
                  f"/api/data/audit?limit={limit}")


# ----- user accounts ------------------------------------------------------------------------
def parsed(model: type[M], data: dict[str, object]) -> M:
    """A request body as ``model``; anything else is a bilingual 422 naming the fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(x) for x in e["loc"]) or "-" for e in exc.errors())
        raise HTTPException(422, f"invalid or missing fields: {fields} / "
                                 f"字段无效或缺失：{fields}") from None


@router.get("/api/admin/users", tags=["admin"], response_model=accounts.UserList)
def api_users(dep: Dep, p: User) -> accounts.UserList:
    return accounts.admin_users(dep.engine, p)


@router.post("/api/admin/users", tags=["admin"], response_model=accounts.UserView)
async def api_add_user(request: Request, dep: Dep, p: User) -> accounts.UserView:
    allow(p, "users")
    await check_csrf(request, p, {})
    return accounts.admin_add(dep.engine, p, parsed(accounts.NewUser, await json_of(request)))


@router.post("/api/admin/users/{username}/disable", tags=["admin"],
             response_model=accounts.UserView)
async def api_disable_user(request: Request, dep: Dep, p: User, username: str
                           ) -> accounts.UserView:
    allow(p, "users")
    await check_csrf(request, p, {})
    return accounts.admin_disable(dep.engine, p, username)


@router.post("/api/admin/users/{username}/password", tags=["admin"],
             response_model=accounts.UserView)
async def api_reset_password(request: Request, dep: Dep, p: User, username: str
                             ) -> accounts.UserView:
    allow(p, "users")
    await check_csrf(request, p, {})
    given = parsed(accounts.NewPassword, await json_of(request))
    return accounts.admin_reset(dep.engine, p, username, given)


@router.post("/api/admin/users/{username}/grant", tags=["admin"],
             response_model=accounts.UserView)
async def api_grant(request: Request, dep: Dep, p: User, username: str) -> accounts.UserView:
    allow(p, "users")
    await check_csrf(request, p, {})
    return accounts.admin_grant(dep.engine, p, username,
                                parsed(accounts.RoleGrant, await json_of(request)))


@router.get("/admin/users", include_in_schema=False)
def users_html(request: Request, dep: Dep, p: User) -> HTMLResponse:
    return render(request, "users.html", p, {"ul": accounts.admin_users(dep.engine, p)},
                  "/api/admin/users")


@router.post("/admin/users", include_in_schema=False)
async def add_user_form(request: Request, dep: Dep, p: User) -> Response:
    allow(p, "users")
    form = await form_of(request)
    await check_csrf(request, p, form)
    accounts.admin_add(dep.engine, p, accounts.NewUser.from_form(form))
    return RedirectResponse("/admin/users", 303)


@router.post("/admin/users/{username}/{action}", include_in_schema=False)
async def user_action_form(request: Request, dep: Dep, p: User, username: str, action: str
                           ) -> Response:
    """The buttons of one account's row: disable, password (reset) and grant."""
    allow(p, "users")
    form = await form_of(request)
    await check_csrf(request, p, form)
    if action == "disable":
        accounts.admin_disable(dep.engine, p, username)
    elif action == "password":
        accounts.admin_reset(dep.engine, p, username,
                             accounts.NewPassword(password=str(form.get("password") or "")))
    elif action == "grant":
        region = str(form.get("region") or "").strip() or None
        accounts.admin_grant(dep.engine, p, username,
                             accounts.RoleGrant(role=str(form.get("role") or ""), region=region))
    else:
        raise HTTPException(404, "not found / 未找到")
    return RedirectResponse(f"/admin/users#{quote(username)}", 303)
