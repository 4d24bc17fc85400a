"""The composite-index page: the home region's published GII rank history and the district
index with its rank intervals."""

from __future__ import annotations

import math
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from observatory.config import Settings
from observatory.index.meta import IndexInputError
from observatory.services.cache import figure_tables
from observatory.services.context import Deployment
from observatory.services.district_index import (
    DistrictIndex,
    Pillar,
    Structure,
    district_index,
    load_structure,
)
from observatory.services.errors import Invalid
from observatory.services.records import Row, json_records
from observatory.services.series import observation_series


class IndexMethod(BaseModel):
    """How the index is built, in both languages (the reader's picks one)."""

    normalise_en: str
    normalise_zh: str
    aggregate_en: str
    aggregate_zh: str
    uncertainty_en: str
    uncertainty_zh: str
    runs: int


class IndexIndicator(BaseModel):
    """One indicator of the index: its pillar, weight, unit and the catalogue's names."""

    code: str
    pillar: str
    weight: float
    name_en: str
    name_zh: str
    unit: str | None


class IndexStructure(BaseModel):
    code: str
    name_en: str
    name_zh: str
    year: int | None
    pillars: list[Pillar]
    indicators: list[IndexIndicator]
    method: IndexMethod


class IndicatorValue(BaseModel):
    """A district's value of one indicator: as computed, and normalised as the index uses it."""

    region: str
    indicator: str
    raw: float | None
    normalised: float | None


class IndexPage(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    gii_rank: list[tuple[int, float]]
    district_index_available: bool
    structure: IndexStructure
    district_index: list[Row]
    values: list[IndicatorValue]
    left_out: list[str] = []  # indicators no district has data for, left out of the index
    unavailable_reason: str | None = None


class WhatIfScore(BaseModel):
    region: str
    name_en: str
    name_zh: str
    score: float | None
    rank: int | None
    rank_before: int | None


class WhatIf(BaseModel):
    """The district index re-aggregated with the reader's weights (no uncertainty runs)."""

    weights: dict[str, float]
    scores: list[WhatIfScore]


METHOD = IndexMethod(
    normalise_en="min-max 1-100", normalise_zh="极差标准化（1–100）",
    aggregate_en="weighted arithmetic mean", aggregate_zh="加权算术平均",
    uncertainty_en="weights ±25 %, min-max or z-score, arithmetic or geometric mean",
    uncertainty_zh="权重±25%、极差或Z分数标准化、算术或几何平均", runs=0)


def _indicators(structure: Structure) -> list[IndexIndicator]:
    from observatory.indicators import load_catalogue

    catalogue = load_catalogue()
    return [IndexIndicator(code=mem.code, pillar=mem.pillar, weight=mem.weight,
                           name_en=catalogue[mem.code].name_en,
                           name_zh=catalogue[mem.code].name_zh, unit=catalogue[mem.code].unit)
            for mem in structure.indicators]


def _values(result: DistrictIndex) -> list[IndicatorValue]:
    raw = result.pipeline.get("Raw")
    normalised = result.pipeline.get("Normalised")
    return [IndicatorValue(region=str(region), indicator=str(code),
                           raw=_number(raw.at[region, code]),
                           normalised=_number(normalised.at[region, code]))
            for region in raw.index for code in raw.columns]


def _number(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def district_result(engine: Engine, settings: Settings) -> DistrictIndex:
    """The district index of the home region in the settings' period, with the structure's
    Monte Carlo runs (the command line uses the same)."""
    return district_index(engine, region=settings.region, year=settings.period)


def index_page(engine: Engine, settings: Settings,
               build: Callable[[], DistrictIndex] | None = None) -> IndexPage:
    """The home region's GII rank history (published) and the district index ``build`` gives
    (default: :func:`district_result`) with its indicators, weights, and raw and normalised
    values; a deployment whose districts have no data yet gets the page without the index,
    saying so (the index is attempted once)."""
    s = observation_series(engine, "gii_rank", settings.region)
    gii = [(int(y), float(v)) for y, v in s.items()]
    try:
        result = build() if build is not None else district_result(engine, settings)
    except IndexInputError as exc:
        structure = load_structure()
        return IndexPage(gii_rank=gii, district_index_available=False, structure=IndexStructure(
            code=structure.code, name_en=structure.name_en, name_zh=structure.name_zh,
            year=settings.period, pillars=structure.pillars,
            indicators=_indicators(structure), method=METHOD), district_index=[], values=[],
            unavailable_reason=str(exc))
    structure = result.structure
    return IndexPage(
        gii_rank=gii, district_index_available=True, left_out=result.left_out,
        structure=IndexStructure(code=structure.code, name_en=structure.name_en,
                                 name_zh=structure.name_zh, year=structure.year,
                                 pillars=structure.pillars, indicators=_indicators(structure),
                                 method=METHOD.model_copy(update={"runs": result.runs})),
        district_index=json_records(result.results.reset_index()), values=_values(result))


def what_if(result: DistrictIndex, weights: dict[str, float]) -> WhatIf:
    """Scores and ranks with some pillar or indicator weights changed (0 leaves one out).

    Only the aggregation is re-run, on the normalised values already computed: milliseconds.
    """
    structure = result.structure
    known = {p.code for p in structure.pillars} | {m.code for m in structure.indicators}
    for code, weight in weights.items():
        if code not in known:
            raise Invalid(f"weight for {code!r}: not a pillar or indicator of {structure.code}",
                          f"权重 {code!r}：不是 {structure.code} 的分项或指标")
        if not (math.isfinite(weight) and 0 <= weight <= 100):
            raise Invalid(f"weight for {code!r}: {weight} is not between 0 and 100",
                          f"权重 {code!r}：{weight} 不在 0 到 100 之间")
    pipeline = result.pipeline.replay({"aggregate": {"weights": dict(weights)}})
    scores = pipeline.results()
    before = result.results
    rows = [WhatIfScore(region=str(region), name_en=str(before.at[region, "name_en"]),
                        name_zh=str(before.at[region, "name_zh"]),
                        score=_number(scores.at[region, structure.code]),
                        rank=_rank(scores.at[region, f"Rank_{structure.code}"]),
                        rank_before=_rank(before.at[region, "rank"]))
            for region in scores.index]
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0))
    return WhatIf(weights=weights, scores=rows)


def _rank(value: object) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def parse_weights(text: str | None) -> dict[str, float]:
    """``ENT:2,hte_per_10k_residents:0`` as a dict; a bilingual Invalid on anything else.

    >>> parse_weights("ENT:2, MKT:0.5")
    {'ENT': 2.0, 'MKT': 0.5}
    """
    weights: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        code, sep, value = part.partition(":")
        try:
            weights[code.strip()] = float(value) if sep else float("nan")
        except ValueError:
            weights[code.strip()] = float("nan")
        if math.isnan(weights[code.strip()]):
            raise Invalid(f"weights: {part.strip()!r} is not CODE:NUMBER",
                          f"权重：{part.strip()!r} 不是“代码:数值”格式")
    return weights


def cached_result(dep: Deployment) -> DistrictIndex:
    return dep.cache.get("district_index", lambda: district_result(dep.engine, dep.settings),
                         depends=figure_tables())


def cached_index(dep: Deployment) -> IndexPage:
    """The index page, cached while the figures' tables are unchanged (stale while one
    rebuild runs after a write)."""
    return dep.cache.get("index", lambda: index_page(dep.engine, dep.settings,
                                                      lambda: cached_result(dep)),
                         depends=figure_tables(), stale_ok=True)


def cached_scores(dep: Deployment) -> IndexPage:
    """The district index's scores and ranks without the Monte Carlo rank intervals: what the
    overview's map shows, built in a fraction of the index page's time (no runs)."""
    def scores() -> DistrictIndex:
        return district_index(dep.engine, runs=0, region=dep.settings.region,
                              year=dep.settings.period)

    return dep.cache.get("index_scores", lambda: index_page(dep.engine, dep.settings, scores),
                         depends=figure_tables(), stale_ok=True)


def cached_what_if(dep: Deployment, weights: dict[str, float]) -> WhatIf:
    try:
        result = cached_result(dep)
    except IndexInputError as exc:
        raise Invalid(f"no district index to reweigh: {exc}", f"尚无可调整权重的区（市）指数：{exc}"
                      ) from exc
    return what_if(result, weights)
