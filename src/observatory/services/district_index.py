"""The example city's district innovation index, fed by the indicator engine.

Why a service: it composes two engines (indicators, then the composite index) over the
registry's regions; the index engine itself stays table-only.

The structure (pillars, indicators, methods, uncertainty) is data:
``index/structures/district_innovation.yaml``. ``district_index(engine)`` computes the
indicators for every district of the city in the index year, builds the index with the
composite-index engine, and runs the Monte Carlo uncertainty analysis the structure names,
returning scores, nominal ranks and 5-95 % rank intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.index import build_index
from observatory.index.meta import IndexInputError
from observatory.index.pipeline import Pipeline
from observatory.index.spec import parse_spec, uncertainty_spec
from observatory.index.uncertainty import rank_stats, run_scores, sample_runs
from observatory.indicators.catalogue import DerivedDef
from observatory.registry import models as m


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Pillar(_Strict):
    code: str
    name_en: str
    name_zh: str
    weight: float = 1.0


class Member(_Strict):
    code: str
    pillar: str
    weight: float = 1.0


class Structure(_Strict):
    code: str
    name_en: str
    name_zh: str
    #: The index year and the region whose districts are compared; a structure may leave them
    #: to the deployment (``district_index(..., year=, region=)``, the settings' period and region).
    year: int | None = None
    region: str | None = None
    pillars: list[Pillar]
    indicators: list[Member]
    runs: int = Field(500, ge=0, le=10_000)
    spec: dict[str, Any]


def load_structure(name: str = "district_innovation") -> Structure:
    """A bundled index structure, validated."""
    raw = yaml.safe_load(resources.files("observatory.index").joinpath(
        "structures", f"{name}.yaml").read_text(encoding="utf-8"))
    return parse_structure(raw, name)


def parse_structure(raw: dict[str, Any], name: str = "structure") -> Structure:
    """Validate a structure: unknown keys, unknown pillars, indicators not in the catalogue."""
    from pydantic import ValidationError

    from observatory.indicators import load_catalogue

    try:
        structure = Structure.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise IndexInputError(f"{name}.yaml", ".".join(str(x) for x in first["loc"]), None,
                              first["msg"], "结构定义格式错误") from exc
    pillars = {p.code for p in structure.pillars}
    catalogue = load_catalogue()
    for member in structure.indicators:
        if member.pillar not in pillars:
            raise IndexInputError(f"{name}.yaml", member.code, member.pillar,
                                  "unknown pillar", "未知的分项")
        if member.code not in catalogue:
            raise IndexInputError(f"{name}.yaml", member.code, None,
                                  "not in the indicator catalogue", "指标目录中没有此指标")
    parse_spec(structure.spec, f"{name}.yaml")
    return structure


def _meta(structure: Structure) -> pd.DataFrame:
    from observatory.indicators import load_catalogue

    catalogue = load_catalogue()
    rows = []
    for member in structure.indicators:
        ind = catalogue[member.code]
        rows.append({"iCode": member.code, "iName": ind.name_en, "Level": 1,
                     "Parent": member.pillar,
                     "Direction": 1 if ind.direction == "higher" else -1,
                     "Weight": member.weight, "Type": "Indicator"})
    for pillar in structure.pillars:
        rows.append({"iCode": pillar.code, "iName": pillar.name_en, "Level": 2,
                     "Parent": structure.code, "Direction": 1, "Weight": pillar.weight,
                     "Type": "Aggregate"})
    rows.append({"iCode": structure.code, "iName": structure.name_en, "Level": 3,
                 "Parent": None, "Direction": 1, "Weight": 1.0, "Type": "Aggregate"})
    return pd.DataFrame(rows)


def _year_and_region(structure: Structure) -> tuple[int, str]:
    if structure.year is None or structure.region is None:
        raise IndexInputError(f"{structure.code}.yaml", "year/region", None,
                              "the index needs a year and a region", "指数须指定年份和地区")
    return structure.year, structure.region


def district_data(engine: Engine, structure: Structure) -> pd.DataFrame:
    """Units (districts) x indicators for the index year, from the indicator engine.

    A count or sum with no contributing records in a district is zero, and so is a rate of one
    (per resident, per GDP) where the district's denominator is known; any other missing value
    stays missing and is imputed by the structure's method.
    """
    from observatory import indicators

    year, region = _year_and_region(structure)
    catalogue = indicators.load_catalogue()
    codes = [mem.code for mem in structure.indicators]
    rates: dict[str, DerivedDef] = {c: d for c in codes
                                    if isinstance(d := catalogue[c], DerivedDef)
                                    and _zero_when_none(catalogue, d)}
    inputs = sorted({i.code for d in rates.values() for i in d.inputs} - set(codes))
    with Session(engine) as session:
        districts = session.execute(select(m.Region.code, m.Region.name_en, m.Region.name_zh)
                                    .where(m.Region.parent_code == region)
                                    .order_by(m.Region.code)).all()
    if not districts:
        raise IndexInputError(f"{structure.code}.yaml", "region", region,
                              "the region has no districts to compare",
                              "该地区没有可比较的下级行政区")
    frame = indicators.compute(engine, codes + inputs, periods=[year], region=region,
                               by=("region",))
    table = frame[frame["region"].isin([d[0] for d in districts])].pivot_table(
        index="region", columns="indicator", values="value", aggfunc="first")
    data = pd.DataFrame({"uCode": [d[0] for d in districts],
                         "uName": [d[1] for d in districts],
                         "uName_zh": [d[2] for d in districts]})

    def column(code: str) -> pd.Series:
        values = table[code] if code in table.columns else pd.Series(dtype=float)
        return data["uCode"].map(values).astype(float)

    for code in codes:
        values = column(code)
        if catalogue[code].kind in ("count", "sum"):
            values = values.fillna(0.0)
        elif code in rates:  # no records over a known denominator: a rate of zero
            denominator = column(rates[code].inputs[1].code)
            values = values.mask(values.isna() & denominator.notna(), 0.0)
        data[code] = values
    return data


def _zero_when_none(catalogue: Any, ind: DerivedDef) -> bool:
    """A per-resident or per-GDP rate of a count or sum: zero when nothing was recorded."""
    return (ind.op in ("per_capita", "per_gdp")
            and catalogue[ind.inputs[0].code].kind in ("count", "sum"))


@dataclass
class DistrictIndex:
    structure: Structure
    data: pd.DataFrame
    pipeline: Pipeline
    results: pd.DataFrame  # per district: score, rank, pillar scores, rank interval
    runs: int
    left_out: list[str] = field(default_factory=list)  # indicators without any data

    def as_records(self) -> list[dict[str, Any]]:
        return [{k: (None if isinstance(v, float) and np.isnan(v) else v)
                 for k, v in row.items()} for row in self.results.reset_index()
                .to_dict(orient="records")]


def district_index(engine: Engine, runs: int | None = None, structure: Structure | None = None,
                   *, year: int | None = None, region: str | None = None) -> DistrictIndex:
    """Build the district index and its uncertainty analysis (seeded, reproducible).

    ``year`` and ``region`` override the structure's; one of the two must name each. ``runs``
    defaults to the structure's, so every face shows the same rank intervals."""
    structure = structure or load_structure()
    runs = structure.runs if runs is None else runs
    update = {k: v for k, v in (("year", year), ("region", region)) if v is not None}
    structure = structure.model_copy(update=update)
    data = district_data(engine, structure)
    empty = [mem.code for mem in structure.indicators if data[mem.code].isna().all()]
    if len(empty) == len(structure.indicators):
        raise IndexInputError(f"{structure.code}.yaml", "indicators", None,
                              "no indicator has data for these districts",
                              "这些区（市）没有任何指标数据")
    if empty:  # an indicator nobody has data for cannot be normalised: left out, and said so
        members = [mem for mem in structure.indicators if mem.code not in empty]
        structure = structure.model_copy(update={
            "indicators": members,
            "pillars": [p for p in structure.pillars if any(mem.pillar == p.code
                                                            for mem in members)]})
        data = data.drop(columns=empty)
    meta = _meta(structure)
    spec = {k: v for k, v in structure.spec.items() if k != "uncertainty"}
    pipeline = build_index(data.drop(columns=["uName_zh"]), meta, spec, time_col=None)
    results = pipeline.results()
    score = results[structure.code]
    if score.isna().all():
        raise IndexInputError(f"{structure.code}.yaml", "indicators", None,
                              "the districts have no comparable data",
                              "各区（市）没有可比较的数据")
    out = pd.DataFrame({"name_en": data.set_index("uCode")["uName"],
                        "name_zh": data.set_index("uCode")["uName_zh"]})
    out["score"] = score
    out["rank"] = results[f"Rank_{structure.code}"]
    for pillar in structure.pillars:
        out[pillar.code] = results[pillar.code]
    if runs > 0 and "uncertainty" in structure.spec:
        parsed = parse_spec(structure.spec)
        seed = parsed.uncertainty.seed if parsed.uncertainty else 0
        sampled = sample_runs(pipeline, uncertainty_spec(parsed), runs, seed=seed or 0)
        scores = run_scores(pipeline, sampled, structure.code)
        stats = rank_stats(scores, score)
        out["median_rank"] = stats["Median"]
        out["rank_q5"] = stats["Q5"]
        out["rank_q95"] = stats["Q95"]
    out.index.name = "region"
    return DistrictIndex(structure, data, pipeline, out.sort_values("rank"), runs, empty)
