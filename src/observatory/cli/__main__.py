"""``python -m observatory.cli``: the same as the ``observatory`` command."""

from observatory.cli import app

if __name__ == "__main__":
    app()
