"""``observatory users``: the API tokens of web accounts, listed and revoked.

Why on the command line too: an operator who learns that a token leaked must be able to stop it
at once without logging in as its owner; the revocation is audited like the web's.
"""

from __future__ import annotations

import getpass

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from observatory.cli.output import FORMAT_HELP, Column, OutputFormat, emit, fail
from observatory.db import make_engine
from observatory.services import accounts
from observatory.services.errors import ServiceError

app = typer.Typer(help="Web accounts: list and revoke API tokens.", no_args_is_help=True)

DB_HELP = "Database URL (default: settings)."
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
