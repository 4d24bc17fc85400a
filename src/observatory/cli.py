"""The ``observatory`` command. Commands only parse, call domain functions and format."""

from __future__ import annotations

import typer

from observatory.eligibility.cli import app as eligibility_app
from observatory.funds.cli import app as funds_app
from observatory.index.cli import app as index_app
from observatory.indicators.cli import app as indicators_app
from observatory.market.cli import app as match_app
from observatory.registry.cli import register as register_registry_commands
from observatory.registry.cli import register_generation
from observatory.reports.cli import app as report_app
from observatory.targets.cli import progress_app, targets_app

app = typer.Typer(
    help="Innovation Observatory: registry, indicators, targets, indices, marketplace, funds.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
register_registry_commands(app)
register_generation(app)
app.add_typer(indicators_app, name="indicators")
app.add_typer(index_app, name="index")
app.add_typer(match_app, name="match")
app.add_typer(funds_app, name="funds")
app.add_typer(eligibility_app, name="eligibility")
app.add_typer(progress_app, name="progress")
app.add_typer(targets_app, name="targets")
app.add_typer(report_app, name="report")


if __name__ == "__main__":  # pragma: no cover
    app()
