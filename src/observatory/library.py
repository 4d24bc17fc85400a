"""The Python library face: what a notebook calls, from the same services as the web and CLI.

Why a face of its own: an analyst in a notebook wants DataFrames and typed models, not pages.
``connect`` opens a deployment (a home folder or a database URL) and gives one object with an
attribute per area; every call goes through the services, so a notebook's number is the page's.

>>> import observatory as obs
>>> city = obs.connect(example_home)          # a built example city (see ``make demo``)
>>> city.settings.first_year, city.settings.last_year
(2019, 2025)
>>> table = city.indicators.compute(["hte_count"], periods=[2024])
>>> int(table.loc[0, "value"])
8000
>>> any(t.code for t in city.targets.status().plans[0].targets)
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from observatory.config import Settings
from observatory.db import make_engine
from observatory.indicators.engine import compute as compute_indicators
from observatory.services import eligibility as eligibility_service
from observatory.services import funds as funds_service
from observatory.services import indicators as indicators_service
from observatory.services import market as market_service
from observatory.services import plans as plans_service
from observatory.services.auth import Principal
from observatory.services.context import Deployment

#: A notebook holds the database credentials, so it reads as the deployment's administrator
#: (signed in, hence a user id; 0 is no account's id, and this face only reads).
NOTEBOOK = Principal(username="notebook", role="admin", user_id=0)


class Indicators:
    """The indicator catalogue and its computed values."""

    def __init__(self, dep: Deployment) -> None:
        self._dep = dep

    def catalogue(self) -> indicators_service.Catalogue:
        """Every indicator with its bilingual name, unit and method."""
        return indicators_service.catalogue(self._dep.engine)

    def compute(self, codes: Sequence[str] | None = None, periods: Iterable[int] | None = None,
                region: str | Sequence[str] | None = None, by: Sequence[str] = ()
                ) -> pd.DataFrame:
        """A tidy table (indicator, region, period, breakdowns, value, unit, method); the
        deployment's region and years unless asked otherwise."""
        settings = self._dep.settings
        return compute_indicators(self._dep.engine, codes,
                                  settings.years if periods is None else periods,
                                  settings.region if region is None else region, by)

    def records(self, code: str, region: str | None = None, period: int | None = None
                ) -> indicators_service.FigureRecords:
        """The records behind one figure (the drill-down)."""
        return indicators_service.records_view(self._dep, NOTEBOOK, code, region, period)


class Targets:
    """Plans and their targets with status, probability and forecast."""

    def __init__(self, dep: Deployment) -> None:
        self._dep = dep

    def status(self, assessment_year: int | None = None) -> plans_service.PlansTree:
        """Every plan assessed with data up to ``assessment_year`` (all data when None)."""
        return plans_service.plans_tree(self._dep.engine, self._dep.settings, assessment_year)

    def frame(self, assessment_year: int | None = None) -> pd.DataFrame:
        """One row per target of every plan, with the plan's code."""
        rows = [{"plan": plan.code, **target.model_dump()}
                for plan in self.status(assessment_year).plans for target in plan.targets]
        return pd.DataFrame(rows)


class Market:
    """The technology market: search and match listings."""

    def __init__(self, dep: Deployment) -> None:
        self._dep = dep

    def search(self, query: str, kind: str = "achievement", k: int = 20, lang: str | None = None
               ) -> market_service.SearchResult:
        """Listings of ``kind`` that answer ``query`` (Chinese or English)."""
        return market_service.search(self._dep, NOTEBOOK, query, kind,
                                     lang or self._dep.settings.language, k)

    def match(self, code: str, k: int = 10, lang: str | None = None
              ) -> market_service.MatchList:
        """The best counterparts of listing ``code``, each with its explanation."""
        return market_service.match_list(self._dep, NOTEBOOK, code,
                                         lang or self._dep.settings.language, k)


class Funds:
    """Guidance funds' figures."""

    def __init__(self, dep: Deployment) -> None:
        self._dep = dep

    def metrics(self, as_of: dt.date | None = None) -> pd.DataFrame:
        """One row per fund: size, committed, paid-in, distributed, NAV, invested, DPI, TVPI,
        IRR and deals as of ``as_of`` (today when None)."""
        page = funds_service.funds_page(self._dep.engine, None, as_of)
        return pd.DataFrame([f.model_dump() for f in page.funds])


class Eligibility:
    """Designation rule packs assessed on what the registry holds."""

    def __init__(self, dep: Deployment) -> None:
        self._dep = dep

    def packs(self) -> list[eligibility_service.PackChoice]:
        """The deployment's rule packs (settings ``eligibility_packs``), its default first."""
        return eligibility_service.eligibility_packs(self._dep.settings)

    def assess(self, organisation_id: int, pack: str, as_of: dt.date | None = None,
               lang: str | None = None) -> eligibility_service.RegistryAssessment:
        """Assess one organisation against ``pack`` as of ``as_of`` (today when None)."""
        return eligibility_service.registry_assessment(
            self._dep.engine, NOTEBOOK, organisation_id, pack,
            as_of.isoformat() if as_of else None, lang or self._dep.settings.language)


class Observatory:
    """One deployment, opened: an attribute per area, each calling the services."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.deployment = Deployment(engine, settings)
        self.settings = settings
        self.indicators = Indicators(self.deployment)
        self.targets = Targets(self.deployment)
        self.market = Market(self.deployment)
        self.funds = Funds(self.deployment)
        self.eligibility = Eligibility(self.deployment)

    def __repr__(self) -> str:
        return f"Observatory(region={self.settings.region!r}, url={self.deployment.engine.url!r})"


def connect(home_or_url: str | Path) -> Observatory:
    """Open a deployment: a home folder (its ``observatory.toml`` and SQLite database) or a
    database URL (settings then come from the environment)."""
    text = str(home_or_url)
    if "://" in text:
        settings = Settings(database_url=text)
    else:
        settings = Settings(home=Path(text))
        if not settings.database_url and not settings.sqlite_path.exists():
            raise FileNotFoundError(
                f"no database at {settings.sqlite_path}: run `observatory init` or "
                f"`observatory generate` there first / {settings.sqlite_path} 处没有数据库："
                "请先在该目录运行 `observatory init` 或 `observatory generate`")
    return Observatory(make_engine(settings.url), settings)
