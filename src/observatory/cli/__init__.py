"""The ``observatory`` command: one module per command group.

Commands only parse, call the engines, the registry and (soon) the services, and format their
results through :mod:`observatory.cli.output` (tables as the web shows numbers, or raw CSV and
JSON). Defaults for region, years and period come from the deployment settings.
"""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.exc import IntegrityError, OperationalError
from typer._click.core import Context
from typer.core import TyperGroup

from observatory.cli import backup, check, demo, registry
from observatory.cli.audit import app as audit_app
from observatory.cli.eligibility import app as eligibility_app
from observatory.cli.fairs import app as fairs_app
from observatory.cli.funds import app as funds_app
from observatory.cli.index import app as index_app
from observatory.cli.indicators import app as indicators_app
from observatory.cli.match import app as match_app
from observatory.cli.output import fail, settings
from observatory.cli.report import app as report_app
from observatory.cli.resolve import app as resolve_app
from observatory.cli.review import app as review_app
from observatory.cli.targets import progress_app, targets_app
from observatory.cli.users import app as users_app


class _Commands(TyperGroup):
    """Every command: a lock held past the busy timeout, or a key rule refusing a write made
    at the same time by someone else, ends with the reason in both languages and exit code 2,
    not a traceback (the command's transaction rolled back, so nothing was written)."""

    def invoke(self, ctx: Context) -> Any:
        from observatory.db import BUSY, CONFLICT, database_busy

        try:
            return super().invoke(ctx)
        except OperationalError as exc:
            if not database_busy(exc):
                raise
            fail(*BUSY)
        except IntegrityError:
            fail(*CONFLICT)


app = typer.Typer(
    cls=_Commands,
    help="Innovation Observatory: registry, indicators, targets, indices, marketplace, funds.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def deployment() -> None:
    """Innovation Observatory: registry, indicators, targets, indices, marketplace, funds."""
    settings()  # broken settings stop every command with their reasons (exit 2), up front


registry.register(app)
demo.register(app)
backup.register(app)
check.register(app)
app.add_typer(indicators_app, name="indicators")
app.add_typer(index_app, name="index")
app.add_typer(match_app, name="match")
app.add_typer(funds_app, name="funds")
app.add_typer(fairs_app, name="fairs")
app.add_typer(eligibility_app, name="eligibility")
app.add_typer(progress_app, name="progress")
app.add_typer(targets_app, name="targets")
app.add_typer(report_app, name="report")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(resolve_app, name="resolve")
app.add_typer(review_app, name="review")

__all__ = ["app"]
