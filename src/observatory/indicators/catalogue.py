"""The indicator catalogue: definitions as data (``catalogue.yaml``), validated on load.

Four kinds of definition:

* ``count`` - records of a record set matching ``where``, optionally distinct on a field;
* ``sum`` - the sum of a ``measure`` field over matching records;
* ``derived`` - an operation (ratio, share, per_capita, per_gdp, difference, sum, yoy_growth,
  cagr) on other indicators, each input optionally lagged or pinned to a region;
* ``observed`` - a published statistic read from the observations table, with its source.

``time`` says which records count in a period (a calendar year): ``valid_at_end`` (a
time-bounded link valid on 31 Dec), ``up_to_end`` (a date or year on or before the period end:
cumulative stocks), ``in_year`` (a date or year inside the period: flows).

Validation (pydantic, then cross-checks) rejects unknown keys, unknown record sets and fields,
unknown inputs, cycles and unit mismatches, listing every problem with the indicator, the key,
the value and the reason in English and Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from observatory.indicators.entities import (
    BUILT_IN_CLASSIFICATIONS,
    CLASSIFIED_FIELDS,
    RECORD_SETS,
    record_fields,
)

CODE = re.compile(r"^[a-z][a-z0-9_]*$")
DIMENSIONLESS = {"ratio", "times", "percent"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeRule(Strict):
    """Which records belong to a period (a calendar year)."""

    rule: Literal["valid_at_end", "up_to_end", "in_year"]
    field: str | None = None  # up_to_end / in_year: a date or integer-year field
    valid_from: str | None = Field(None, alias="from")  # valid_at_end
    valid_to: str | None = Field(None, alias="to")  # valid_at_end
    to_inclusive: bool = True  # valid_at_end: valid on the end day itself counts


class Input(Strict):
    """An input of a derived indicator: another indicator, maybe lagged or at a fixed region."""

    code: str
    lag: int = Field(0, ge=0, le=30)
    region: str | None = None


Where = dict[str, str | int | bool | list[str | int]]


class Base(Strict):
    code: str
    name_en: str
    name_zh: str
    unit: str
    direction: Literal["higher", "lower"] = "higher"
    nature: Literal["stock", "flow"]
    definition_en: str
    methodology: str | None = None
    source: str
    domain: str
    key: bool = False  # one of the five "double" key indicators

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not CODE.match(value):
            raise ValueError("code must be lower-case letters, digits and '_'")
        return value


class CountDef(Base):
    kind: Literal["count"]
    records: str
    where: Where = {}
    distinct: str | None = None
    time: TimeRule
    region_field: str | None = None


class SumDef(CountDef):
    kind: Literal["sum"]  # type: ignore[assignment]
    measure: str


class DerivedDef(Base):
    kind: Literal["derived"]
    op: Literal["ratio", "share", "per_capita", "per_gdp", "difference", "sum", "yoy_growth",
                "cagr"]
    inputs: list[Input]
    scale: float = 1.0
    years: int | None = Field(None, ge=1, le=50)  # cagr span

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"code": v} if isinstance(v, str) else v for v in value]
        return value


class ObservedDef(Base):
    kind: Literal["observed"]
    observation_code: str | None = None  # defaults to the indicator's own code
    # The registry indicator measuring the same thing by the same definition: what
    # ``indicators reconcile`` sets beside each published figure.
    computed_by: str | None = None


Definition = Annotated[CountDef | SumDef | DerivedDef | ObservedDef, Field(discriminator="kind")]


class CatalogueFile(Strict):
    version: int
    classifications: dict[str, dict[str, str]] = {}
    indicators: list[Definition]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a catalogue: where, what value, why (English and Chinese)."""

    file: str
    indicator: str | None
    key: str | None
    value: Any
    reason_en: str
    reason_zh: str

    def describe(self) -> str:
        where = self.file + (f", indicator {self.indicator}" if self.indicator else "")
        where += f", {self.key}" if self.key else ""
        value = "" if self.value is None else f" (value {self.value!r})"
        return f"{where}{value}: {self.reason_en} / {self.reason_zh}"


class CatalogueError(ValueError):
    """The catalogue is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(p.describe() for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the indicator catalogue:\n{lines}")


@dataclass(frozen=True)
class Catalogue:
    """Validated definitions by code, in file order, and the classifications they use."""

    indicators: dict[str, CountDef | SumDef | DerivedDef | ObservedDef]
    classifications: dict[str, dict[str, str]]
    path: str

    def __getitem__(self, code: str) -> CountDef | SumDef | DerivedDef | ObservedDef:
        try:
            return self.indicators[code]
        except KeyError:
            raise KeyError(f"unknown indicator {code!r} / 未知指标 {code!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def dependencies(self, code: str) -> list[str]:
        """Every indicator ``code`` needs (itself included), inputs before their users."""
        order: list[str] = []

        def visit(c: str) -> None:
            if c in order:
                return
            ind = self[c]
            if isinstance(ind, DerivedDef):
                for i in ind.inputs:
                    visit(i.code)
            order.append(c)

        visit(code)
        return order

    def max_lag(self, code: str) -> int:
        """How many years before the first period a computation of ``code`` reaches back."""
        ind = self[code]
        if not isinstance(ind, DerivedDef):
            return 0
        own = (ind.years or 1) if ind.op == "cagr" else 0  # the span compute() uses
        return max(own + i.lag + self.max_lag(i.code) for i in ind.inputs)


def _pydantic_problems(file: str, raw: dict[str, Any], exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = list(err["loc"])
        code = None
        if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
            try:
                code = raw["indicators"][loc[1]].get("code")
            except (IndexError, AttributeError, KeyError):
                code = None
            loc = loc[2:]
            if loc and loc[0] in ("count", "sum", "derived", "observed"):
                loc = loc[1:]
        key = ".".join(str(part) for part in loc) or None
        value = err.get("input") if err["type"] != "missing" else None
        if isinstance(value, dict | list):
            value = None
        reason = err["msg"]
        zh = {"extra_forbidden": "不允许的字段（拼写错误？）", "missing": "缺少必填字段",
              "literal_error": "取值不在允许范围内",
              "union_tag_invalid": "kind 必须是 count、sum、derived 或 observed"}
        problems.append(Problem(file, code, key, value, reason,
                                zh.get(err["type"], f"格式错误：{reason}")))
    return problems


def _check_records(file: str, ind: CountDef, classifications: dict[str, dict[str, str]]
                   ) -> list[Problem]:
    out: list[Problem] = []
    if ind.records not in RECORD_SETS:
        return [Problem(file, ind.code, "records", ind.records,
                        f"unknown record set; known: {', '.join(RECORD_SETS)}",
                        f"未知的记录集；可用：{', '.join(RECORD_SETS)}")]
    fields = record_fields(ind.records)

    def need(key: str, name: str | None, types: tuple[str, ...] | None = None) -> None:
        if name is None:
            return
        if name not in fields:
            out.append(Problem(file, ind.code, key, name,
                               f"{ind.records} has no field {name!r}; fields: "
                               f"{', '.join(sorted(fields))}",
                               f"记录集 {ind.records} 没有字段 {name!r}"))
        elif types and not fields[name].startswith(types):
            out.append(Problem(file, ind.code, key, name,
                               f"field {name!r} is {fields[name]}, expected {' or '.join(types)}",
                               f"字段 {name!r} 的类型为 {fields[name]}，应为 {'或'.join(types)}"))

    for name in ind.where:
        need(f"where.{name}", name)
    need("distinct", ind.distinct)
    need("region_field", ind.region_field)
    if isinstance(ind, SumDef):
        need("measure", ind.measure, ("int", "decimal", "float"))
    t = ind.time
    if t.rule == "valid_at_end":
        if not (t.valid_from and t.valid_to):
            out.append(Problem(file, ind.code, "time", t.rule, "valid_at_end needs from and to",
                               "valid_at_end 需要 from 和 to 字段"))
        need("time.from", t.valid_from, ("date",))
        need("time.to", t.valid_to, ("date",))
    else:
        if not t.field:
            out.append(Problem(file, ind.code, "time.field", None, f"{t.rule} needs a field",
                               f"{t.rule} 需要 field"))
        need("time.field", t.field, ("date", "int"))
    for name in ind.where:
        scheme = CLASSIFIED_FIELDS.get(name, (None, None))[1]
        if scheme and scheme not in classifications and scheme not in BUILT_IN_CLASSIFICATIONS:
            out.append(Problem(file, ind.code, f"where.{name}", name,
                               f"classification {CLASSIFIED_FIELDS[name][1]!r} is missing",
                               f"缺少分类 {CLASSIFIED_FIELDS[name][1]!r}"))
    if ind.nature == "stock" and t.rule == "in_year":
        out.append(Problem(file, ind.code, "nature", ind.nature,
                           "an in_year count or sum is a flow", "按年内发生统计的指标是流量"))
    if ind.nature == "flow" and t.rule != "in_year":
        out.append(Problem(file, ind.code, "nature", ind.nature,
                           f"a {t.rule} count or sum is a stock", f"{t.rule} 统计的指标是存量"))
    return out


def _check_units(file: str, ind: DerivedDef, inds: dict[str, Any]) -> list[Problem]:
    units = [inds[i.code].unit for i in ind.inputs if i.code in inds]
    if len(units) != len(ind.inputs):
        return []
    out: list[Problem] = []

    def bad(reason_en: str, reason_zh: str, value: Any = None) -> None:
        out.append(Problem(file, ind.code, "unit", value if value is not None else ind.unit,
                           reason_en, reason_zh))

    arity = {"yoy_growth": 1, "cagr": 1}.get(ind.op, 2 if ind.op != "sum" else None)
    if arity is not None and len(ind.inputs) != arity:
        out.append(Problem(file, ind.code, "inputs", len(ind.inputs),
                           f"{ind.op} takes {arity} input(s)", f"{ind.op} 需要 {arity} 个输入"))
        return out
    if ind.op == "cagr" and ind.years is None:
        out.append(Problem(file, ind.code, "years", None, "cagr needs years",
                           "复合增长率需要 years"))
    if ind.op in ("share", "difference", "sum") and len(set(units)) > 1:
        bad(f"{ind.op} of indicators in different units: {', '.join(units)}",
            f"单位不同的指标不能做 {ind.op}：{'、'.join(units)}", units)
    if ind.op in ("difference", "sum") and units and ind.unit != units[0]:
        bad(f"a {ind.op} keeps its inputs' unit {units[0]!r}",
            f"{ind.op} 的单位应与输入相同（{units[0]}）")
    if ind.op in ("share", "yoy_growth", "cagr") and ind.unit != "percent":
        bad(f"{ind.op} is in percent", f"{ind.op} 的单位应为 percent")
    if ind.op in ("ratio", "per_capita", "per_gdp") and len(units) == 2:
        same = units[0] == units[1]
        if same and ind.unit not in DIMENSIONLESS:
            bad(f"a ratio of two {units[0]!r} figures has no unit: use ratio, times or percent",
                f"同单位（{units[0]}）指标之比无量纲，单位应为 ratio、times 或 percent")
        if not same and ind.unit in DIMENSIONLESS and ind.unit != "percent":
            bad(f"a ratio of {units[0]!r} to {units[1]!r} is not dimensionless",
                f"{units[0]} 与 {units[1]} 之比不是无量纲数")
        if ind.unit == "percent" and same and ind.scale != 100:
            out.append(Problem(file, ind.code, "scale", ind.scale,
                               "a percent ratio needs scale 100", "百分比需要 scale: 100"))
    if ind.op == "per_capita" and len(units) == 2 and units[1] != "persons":
        bad("per_capita divides by a figure in persons", "人均指标的分母单位应为 persons",
            units[1])
    if ind.op == "per_gdp" and len(units) == 2 and units[1] != "yuan":
        bad("per_gdp divides by a GDP in yuan", "单位GDP指标的分母单位应为 yuan", units[1])
    return out


def _check_computed_by(file: str, ind: ObservedDef, inds: dict[str, Any]) -> list[Problem]:
    """A published figure's registry twin exists, is computed, and has its unit and nature."""
    twin = inds.get(ind.computed_by or "")
    if twin is None or isinstance(twin, ObservedDef):
        return [Problem(file, ind.code, "computed_by", ind.computed_by,
                        "not an indicator computed from records", "不是由记录计算的指标")]
    if (twin.unit, twin.nature) != (ind.unit, ind.nature):
        return [Problem(file, ind.code, "computed_by", ind.computed_by,
                        f"unit/nature {twin.unit}/{twin.nature} differ from {ind.unit}/"
                        f"{ind.nature}", "单位或性质（存量/流量）与公布指标不一致")]
    return []


def _find_cycles(file: str, inds: dict[str, Any]) -> list[Problem]:
    out: list[Problem] = []
    state: dict[str, int] = {}

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2 or code not in inds:
            return
        if state.get(code) == 1:
            cycle = path[path.index(code):] + [code]
            out.append(Problem(file, code, "inputs", " -> ".join(cycle),
                               "indicators depend on each other in a cycle", "指标之间循环依赖"))
            return
        state[code] = 1
        ind = inds[code]
        if isinstance(ind, DerivedDef):
            for i in ind.inputs:
                visit(i.code, [*path, code])
        state[code] = 2

    for code in inds:
        visit(code, [])
    return out


def parse_catalogue(raw: Any, file: str = "catalogue.yaml") -> Catalogue:
    """Validate a catalogue given as parsed YAML; raise CatalogueError listing every problem."""
    if not isinstance(raw, dict):
        raise CatalogueError([Problem(file, None, None, None, "expected a mapping with "
                                      "'version' and 'indicators'",
                                      "应为包含 version 和 indicators 的映射")])
    raw = {k: v for k, v in raw.items() if not str(k).startswith("x-")}  # YAML anchors' home
    try:
        parsed = CatalogueFile.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(_pydantic_problems(file, raw, exc)) from None
    problems: list[Problem] = []
    inds: dict[str, Any] = {}
    for ind in parsed.indicators:
        if ind.code in inds:
            problems.append(Problem(file, ind.code, "code", ind.code, "duplicate code",
                                    "指标代码重复"))
        inds[ind.code] = ind
    for ind in parsed.indicators:
        if isinstance(ind, CountDef):
            problems += _check_records(file, ind, parsed.classifications)
        elif isinstance(ind, DerivedDef):
            for i in ind.inputs:
                if i.code not in inds:
                    problems.append(Problem(file, ind.code, "inputs", i.code,
                                            "unknown input indicator", "未知的输入指标"))
            problems += _check_units(file, ind, inds)
        elif isinstance(ind, ObservedDef) and ind.computed_by is not None:
            problems += _check_computed_by(file, ind, inds)
    problems += _find_cycles(file, inds)
    for scheme, mapping in parsed.classifications.items():
        if not mapping:
            problems.append(Problem(file, None, f"classifications.{scheme}", None,
                                    "empty classification", "分类为空"))
    if problems:
        raise CatalogueError(problems)
    return Catalogue(inds, parsed.classifications, file)


@cache
def load_catalogue() -> Catalogue:
    """The bundled catalogue (validated once per process)."""
    path = resources.files("observatory.indicators").joinpath("catalogue.yaml")
    return parse_catalogue(yaml.safe_load(path.read_text(encoding="utf-8")), "catalogue.yaml")
