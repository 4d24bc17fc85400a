"""The composite-index page: the home region's published GII rank history and the district
index with its rank intervals."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from observatory.config import Settings
from observatory.services.cache import figure_tables
from observatory.services.context import Deployment
from observatory.services.district_index import Member, Pillar, district_index
from observatory.services.records import Row, json_records
from observatory.services.series import observation_series


class IndexMethod(BaseModel):
    normalise: str
    aggregate: str
    uncertainty: str
    runs: int


class IndexStructure(BaseModel):
    code: str
    name_en: str
    name_zh: str
    year: int | None
    pillars: list[Pillar]
    indicators: list[Member]
    method: IndexMethod


class IndexPage(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    gii_rank: list[tuple[int, float]]
    district_index_available: bool
    structure: IndexStructure
    district_index: list[Row]


def index_page(engine: Engine, settings: Settings, runs: int = 300) -> IndexPage:
    """The home region's GII rank history (published) and the district index with rank
    intervals."""
    s = observation_series(engine, "gii_rank", settings.region)
    result = district_index(engine, runs=runs, region=settings.region, year=settings.period)
    structure = result.structure
    method = IndexMethod(normalise="min-max 1-100",
                         aggregate="weighted arithmetic mean, equal weights",
                         uncertainty="weights ±25 %, min-max or z-score, arithmetic or "
                                     "geometric mean", runs=runs)
    return IndexPage(
        gii_rank=[(int(y), float(v)) for y, v in s.items()], district_index_available=True,
        structure=IndexStructure(code=structure.code, name_en=structure.name_en,
                                 name_zh=structure.name_zh, year=structure.year,
                                 pillars=structure.pillars, indicators=structure.indicators,
                                 method=method),
        district_index=json_records(result.results.reset_index()))


def cached_index(dep: Deployment) -> IndexPage:
    """The index page, cached while the figures' tables are unchanged (stale while one
    rebuild runs after a write)."""
    return dep.cache.get("index", lambda: index_page(dep.engine, dep.settings),
                         depends=figure_tables(), stale_ok=True)
