"""Settings read from ``OBSERVATORY_*`` environment variables.

>>> from observatory.config import Settings
>>> Settings(home="/tmp/obs").sqlite_path.name
'observatory.db'
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the data lives and how to reach it."""

    model_config = SettingsConfigDict(env_prefix="OBSERVATORY_", extra="ignore")

    home: Path = Path(".observatory")
    database_url: str | None = None
    secret_key: str | None = None

    @property
    def sqlite_path(self) -> Path:
        return Path(self.home) / "observatory.db"

    @property
    def url(self) -> str:
        """The database URL: the explicit one, else the SQLite file under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.sqlite_path}"


def get_settings() -> Settings:
    return Settings()
