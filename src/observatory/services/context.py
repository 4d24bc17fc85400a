"""The deployment a service call works on: the database, the settings, the figure cache and
the shared match engine. One per app (or per report run, notebook, CLI call)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from observatory.config import Settings, get_settings
from observatory.services.cache import StateCache
from observatory.services.matcher import SharedMatcher


@dataclass
class Deployment:
    """What every service needs to answer for one deployment."""

    engine: Engine
    settings: Settings = field(default_factory=get_settings)
    matching: str = "auto"
    cache: StateCache = field(init=False)
    matcher: SharedMatcher = field(init=False)

    def __post_init__(self) -> None:
        self.cache = StateCache(self.engine)
        self.matcher = SharedMatcher(self.engine, self.matching)
