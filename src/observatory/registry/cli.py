"""Registry commands: init, import, export, generate, demo."""

from __future__ import annotations

import typer

from observatory import __version__


def register(app: typer.Typer) -> None:
    """Attach the registry commands to the top-level app."""

    @app.command()
    def version() -> None:
        """Print the version."""
        typer.echo(__version__)
