"""``observatory users``: web accounts administered from the command line (add, list, disable,
reset a password, grant a role and home region) and their API tokens (listed, revoked).

Why on the command line too: the first administrator has no web page to log in to yet, and an
operator who learns that a token or password leaked must be able to stop it at once. Every
change goes through ``services.accounts`` (the admin page's functions) and is audited with the
operating-system user as actor. Passwords come on standard input (``--password-stdin``), never
as an argument, so they stay out of the shell history and the process list.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from typing import TypeVar

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from observatory.cli.output import FORMAT_HELP, Column, OutputFormat, emit, fail, settings
from observatory.db import make_engine
from observatory.services import accounts
from observatory.services.errors import ServiceError

app = typer.Typer(help="Web accounts: add, list, disable, reset passwords, grant roles; "
                       "list and revoke API tokens.", no_args_is_help=True)
T = TypeVar("T")

DB_HELP = "Database URL (default: settings)."
USER_COLUMNS = [Column("username"), Column("role"), Column("region"), Column("organisation"),
                Column("active"), Column("created_at"), Column("disabled_at"), Column("tokens")]
STDIN_HELP = "Read the password from standard input (first line)."
TOKEN_COLUMNS = [Column("id"), Column("name"), Column("state"), Column("created_at"),
                 Column("expires_at"), Column("last_used_at")]


def _actor() -> str:
    """Who the audit log names for a command-line change: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"[:120]
    except (KeyError, OSError):
        return "cli"


def _rows(views: list[accounts.TokenView]) -> list[dict[str, object]]:
    return [v.model_dump() for v in views]


def _engine(database_url: str | None) -> Engine:
    """The engine for the URL; an unusable URL stops the command with a bilingual error."""
    try:
        return make_engine(database_url)
    except (ArgumentError, ValueError) as exc:
        fail(f"database URL {database_url!r} is not usable: {exc}",
             f"数据库地址 {database_url!r} 无法使用：{exc}")


@app.command()
def tokens(
    username: str = typer.Argument(..., help="The account's user name."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """List a user's API tokens: id, name, state, created, expires, last used."""
    engine = _engine(database_url)
    try:
        views = accounts.tokens_of(engine, username)
    except ServiceError as exc:
        fail(exc.en, exc.zh)
    except SQLAlchemyError as exc:
        fail(f"cannot read the accounts: {exc}", f"无法读取账户：{exc}")
    emit(_rows(views), fmt, TOKEN_COLUMNS, title=f"API tokens of {username}")


@app.command("revoke-token")
def revoke_token(
    username: str = typer.Argument(..., help="The account's user name."),
    token: str = typer.Argument(..., help="The token's id or name (every token of that name)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Revoke a user's API token: refused (401) from the next request on; audited."""
    engine = _engine(database_url)
    try:
        views = accounts.revoke_token(engine, _actor(), username, token)
    except ServiceError as exc:
        fail(exc.en, exc.zh)
    except SQLAlchemyError as exc:
        fail(f"cannot revoke the token: {exc}", f"无法撤销令牌：{exc}")
    emit(_rows(views), fmt, TOKEN_COLUMNS, title="revoked")


def _password(password_stdin: bool) -> str:
    """The password from the first line of standard input (``--password-stdin`` is required:
    a password on the command line would be in the shell history)."""
    if not password_stdin:
        fail("give the password on standard input with --password-stdin",
             "请用 --password-stdin 从标准输入提供密码")
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def _run(database_url: str | None, call: Callable[[Engine], T], what_en: str,
         what_zh: str) -> T:
    """Call the accounts service; its refusals and database errors end with exit code 2."""
    engine = _engine(database_url)
    try:
        return call(engine)
    except ServiceError as exc:
        fail(exc.en, exc.zh)
    except SQLAlchemyError as exc:
        fail(f"cannot {what_en}: {exc}", f"无法{what_zh}：{exc}")


def _emit_users(views: list[accounts.UserView], fmt: OutputFormat, title: str) -> None:
    emit([v.model_dump() for v in views], fmt, USER_COLUMNS, title=title)


@app.command()
def add(
    username: str = typer.Argument(..., help="The new account's user name."),
    role: str = typer.Option(..., help="admin, analyst, fund_manager, broker, enterprise or "
                                       "public."),
    region: str = typer.Option(None, help="Home region (GB/T 2260 code in the regions table); "
                                          "the account sees that region's subtree. Default: "
                                          "the deployment's region."),
    organisation: str = typer.Option(None, help="USCC of the organisation the account acts "
                                                "for (enterprise, fund manager)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=STDIN_HELP),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Add an account (audited); the password must be at least 10 characters of two kinds."""
    password = _password(password_stdin)
    given = accounts.NewUser(username=username, role=role, password=password,
                             region=region or settings().region, organisation=organisation)
    view = _run(database_url, lambda e: accounts.add_user(e, _actor(), given),
                "add the user", "添加用户")
    _emit_users([view], fmt, "added / 已添加")


@app.command("list")
def list_(
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """List the accounts: role, home region, organisation, state, working tokens."""
    data = _run(database_url, accounts.list_users, "read the accounts", "读取账户")
    _emit_users(data.users, fmt, "Accounts / 账户")


@app.command()
def disable(
    username: str = typer.Argument(..., help="The account's user name."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Disable an account: no login, and its sessions and tokens stop at once (audited)."""
    view = _run(database_url, lambda e: accounts.disable_user(e, _actor(), username),
                "disable the user", "停用用户")
    _emit_users([view], fmt, "disabled / 已停用")


@app.command("reset-password")
def reset_password(
    username: str = typer.Argument(..., help="The account's user name."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=STDIN_HELP),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Set a new password; the account's sessions end (audited, without the password)."""
    password = _password(password_stdin)
    view = _run(database_url,
                lambda e: accounts.reset_password(e, _actor(), username, password),
                "reset the password", "重置密码")
    _emit_users([view], fmt, "password reset / 密码已重置")


@app.command()
def grant(
    username: str = typer.Argument(..., help="The account's user name."),
    role: str = typer.Option(..., help="The new role."),
    region: str = typer.Option(None, help="A new home region (default: keep the current)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
    database_url: str = typer.Option(None, help=DB_HELP),
) -> None:
    """Give an account a role (and a home region); its sessions end (audited)."""
    given = accounts.RoleGrant(role=role, region=region)
    view = _run(database_url, lambda e: accounts.grant(e, _actor(), username, given),
                "grant the role", "授予角色")
    _emit_users([view], fmt, "granted / 已授予")
