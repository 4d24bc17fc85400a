"""The small expression vocabulary rule packs use to name a quantity of an enterprise.

An expression is a one-key mapping, e.g. ``{sum_ratio: {num: rd_expense, den: revenue, years: 3}}``.
Packs are checked against :data:`OPERATORS` on load; evaluation raises :class:`MissingData`
naming every figure it needed and did not find, so a criterion can say "insufficient data".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from observatory.eligibility.model import IP_FIELDS, YEAR_FIELDS, Enterprise


class MissingData(Exception):
    """A figure the expression needs is absent (or a denominator is zero)."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


class ExpressionError(ValueError):
    """An expression in a pack is malformed."""


# operator -> (kind of argument, allowed keys when the argument is a mapping)
OPERATORS: dict[str, tuple[str, frozenset[str]]] = {
    "const": ("number", frozenset()),
    "year": ("map", frozenset({"field", "offset"})),
    "sum": ("map", frozenset({"field", "years"})),
    "mean": ("map", frozenset({"field", "years"})),
    "growth": ("map", frozenset({"field", "years", "method", "offset"})),
    "cagr": ("map", frozenset({"field", "intervals"})),
    "ratio": ("map", frozenset({"num", "den"})),
    "year_ratio": ("map", frozenset({"num", "den", "offset"})),
    "sum_ratio": ("map", frozenset({"num", "den", "years"})),
    "fact": ("name", frozenset()),
    "ip": ("name", frozenset()),
    "self_grade": ("name", frozenset()),
    "age_days": ("none", frozenset()),
    "age_years": ("none", frozenset()),
    "has_designation": ("name", frozenset()),
    "min": ("list", frozenset()),
    "max": ("list", frozenset()),
    "add": ("list", frozenset()),
    "count_true": ("list", frozenset()),
    "in_set": ("map", frozenset({"value", "values"})),
}


# keys a map-argument operator cannot do without
_REQUIRED_KEYS: dict[str, frozenset[str]] = {
    "year": frozenset({"field"}),
    "sum": frozenset({"field", "years"}),
    "mean": frozenset({"field", "years"}),
    "growth": frozenset({"field"}),
    "cagr": frozenset({"field", "intervals"}),
    "year_ratio": frozenset({"num", "den"}),
    "sum_ratio": frozenset({"num", "den", "years"}),
}


def validate_expression(expr: Any, where: str) -> None:
    """Check an expression's shape; raise :class:`ExpressionError` saying where and why."""
    if isinstance(expr, bool) or not isinstance(expr, dict) or len(expr) != 1:
        raise ExpressionError(f"{where}: an expression is a mapping with exactly one operator")
    (op, arg), = expr.items()
    if op not in OPERATORS:
        raise ExpressionError(f"{where}: unknown operator {op!r}; known: {sorted(OPERATORS)}")
    kind, keys = OPERATORS[op]
    if kind == "number" and not isinstance(arg, int | float):
        raise ExpressionError(f"{where}.{op}: expects a number")
    if kind == "name" and not isinstance(arg, str):
        raise ExpressionError(f"{where}.{op}: expects a name")
    if kind == "list":
        _validate_list_argument(op, arg, where)
    if kind == "map":
        _validate_map_argument(op, arg, keys, where)
    if op == "ip" and arg not in IP_FIELDS:
        raise ExpressionError(f"{where}.ip: {arg!r} unknown; known: {sorted(IP_FIELDS)}")


def _validate_list_argument(op: str, arg: Any, where: str) -> None:
    """A list operator takes a non-empty list of valid sub-expressions."""
    if not isinstance(arg, list) or not arg:
        raise ExpressionError(f"{where}.{op}: expects a non-empty list of expressions")
    for i, sub in enumerate(arg):
        validate_expression(sub, f"{where}.{op}[{i}]")


def _validate_map_argument(op: str, arg: Any, keys: frozenset[str], where: str) -> None:
    """A map operator takes known keys naming yearly figures, plus its own required keys."""
    if not isinstance(arg, dict):
        raise ExpressionError(f"{where}.{op}: expects a mapping with keys {sorted(keys)}")
    unknown = set(arg) - keys
    if unknown:
        raise ExpressionError(f"{where}.{op}: unknown keys {sorted(unknown)}")
    for key in ("field", "num", "den"):
        if key in arg and op != "ratio" and arg[key] not in YEAR_FIELDS:
            raise ExpressionError(
                f"{where}.{op}.{key}: {arg[key]!r} is not a yearly figure; known: "
                f"{sorted(YEAR_FIELDS)}"
            )
    if op == "ratio":
        for key in ("num", "den"):
            if key not in arg:
                raise ExpressionError(f"{where}.ratio: missing {key!r}")
            validate_expression(arg[key], f"{where}.ratio.{key}")
    if op == "in_set":
        validate_expression(arg.get("value"), f"{where}.in_set.value")
        if not isinstance(arg.get("values"), list):
            raise ExpressionError(f"{where}.in_set.values: expects a list")
    if op == "growth" and arg.get("method", "hte") not in {"hte", "simple"}:
        raise ExpressionError(f"{where}.growth.method: 'hte' or 'simple'")
    needed = _REQUIRED_KEYS.get(op, frozenset())
    if needed - set(arg):
        raise ExpressionError(f"{where}.{op}: missing keys {sorted(needed - set(arg))}")


@dataclass
class Context:
    """An enterprise at an assessment date, with optional hypothetical changes (levers)."""

    ent: Enterprise
    as_of: date
    fiscal_year: int
    deltas: dict[tuple[str, str, int], float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, ent: Enterprise, as_of: date | None = None) -> Context:
        when = ent.as_of or as_of or date.today()
        fy = ent.fiscal_year if ent.fiscal_year is not None else when.year - 1
        return cls(ent=ent, as_of=when, fiscal_year=fy)

    def shifted(self, deltas: dict[tuple[str, str, int], float]) -> Context:
        merged = dict(self.deltas)
        for k, v in deltas.items():
            merged[k] = merged.get(k, 0.0) + v
        return Context(ent=self.ent, as_of=self.as_of, fiscal_year=self.fiscal_year, deltas=merged)

    # -- raw access -------------------------------------------------------------------------
    def year_value(self, name: str, year: int) -> float:
        rec = self.ent.year(year)
        value = getattr(rec, name) if rec is not None else None
        if value is None:
            raise MissingData([f"years[{year}].{name}"])
        return float(value) + self.deltas.get(("year", name, self.fiscal_year - year), 0.0)

    def operating_years(self, n: int) -> list[int]:
        """The last ``n`` fiscal years, oldest first, dropping those before the founding year."""
        first = self.fiscal_year - n + 1
        return [y for y in range(first, self.fiscal_year + 1) if y >= self.ent.founded.year]

    def as_of_shifted(self) -> date:
        return self.as_of + timedelta(days=self.deltas.get(("time", "days", 0), 0.0))


def _series(ctx: Context, name: str, years: list[int]) -> list[float]:
    values, missing = [], []
    for y in years:
        try:
            values.append(ctx.year_value(name, y))
        except MissingData as exc:
            missing += exc.fields
    if missing:
        raise MissingData(missing)
    return values


def _divide(num: float, den: float, label: str) -> float:
    if den == 0:
        raise MissingData([f"{label} (zero denominator / 分母为零)"])
    return num / den


def hte_growth(values: list[float], notes: list[str] | None = None) -> float:
    """Growth rate per the 2016 HTE guidelines, with the edge rules.

    Three years V1..V3: g = ½(V2/V1 + V3/V2) − 1; V1 = 0 -> V3/V2 − 1; V2 = 0 -> 0 (no points).
    Two years: V2/V1 − 1 (V1 = 0 -> 0). One year: 0 (no points).
    """
    notes = notes if notes is not None else []
    if len(values) >= 3:
        v1, v2, v3 = values[-3:]
        if v2 == 0:
            notes.append("V2 = 0: growth scores 0 / 第二年为零，成长性计0分")
            return 0.0
        if v1 == 0:
            notes.append("V1 = 0: growth over the last two years / 第一年为零，按后两年计算")
            return v3 / v2 - 1
        return 0.5 * (v2 / v1 + v3 / v2) - 1
    if len(values) == 2:
        notes.append("two years of operation / 经营不足三年，按两年计算")
        if values[0] == 0:
            return 0.0
        return values[1] / values[0] - 1
    notes.append("one year of operation: growth scores 0 / 经营仅一年，成长性计0分")
    return 0.0


def evaluate(expr: dict[str, Any], ctx: Context) -> Any:
    """Evaluate an expression for the context's enterprise."""
    (op, arg), = expr.items()
    handler = _EVALUATORS.get(op)
    if handler is None:  # pragma: no cover - validated on load
        raise ExpressionError(f"unknown operator {op!r}")
    return handler(arg, ctx)


def _yearly_total(arg: dict[str, Any], ctx: Context) -> tuple[float, int]:
    """Sum of a figure over the last operating years, and how many years that was."""
    years = ctx.operating_years(int(arg["years"]))
    if not years:
        raise MissingData([f"{arg['field']} (no operating year / 无经营年度)"])
    return sum(_series(ctx, arg["field"], years)), len(years)


def _eval_sum(arg: dict[str, Any], ctx: Context) -> float:
    return _yearly_total(arg, ctx)[0]


def _eval_mean(arg: dict[str, Any], ctx: Context) -> float:
    total, n = _yearly_total(arg, ctx)
    return total / n


def _eval_year(arg: dict[str, Any], ctx: Context) -> float:
    return ctx.year_value(arg["field"], ctx.fiscal_year - int(arg.get("offset", 0)))


def _eval_growth(arg: dict[str, Any], ctx: Context) -> float:
    last = ctx.fiscal_year - int(arg.get("offset", 0))
    if arg.get("method", "hte") == "simple":
        cur, prev = _series(ctx, arg["field"], [last, last - 1])
        return _divide(cur, prev, f"years[{last - 1}].{arg['field']}") - 1
    n = int(arg.get("years", 3))
    years = [y for y in range(last - n + 1, last + 1) if y >= ctx.ent.founded.year]
    return hte_growth(_series(ctx, arg["field"], years), ctx.notes)


def _eval_cagr(arg: dict[str, Any], ctx: Context) -> float:
    n = int(arg["intervals"])
    first, last = ctx.fiscal_year - n, ctx.fiscal_year
    v0, vn = _series(ctx, arg["field"], [first, last])
    if v0 <= 0 or vn < 0:
        raise MissingData([f"years[{first}].{arg['field']} (must be > 0 / 须为正数)"])
    return float((vn / v0) ** (1.0 / n) - 1)


def _eval_ratio(arg: dict[str, Any], ctx: Context) -> float:
    return _divide(evaluate(arg["num"], ctx), evaluate(arg["den"], ctx), "ratio")


def _eval_year_ratio(arg: dict[str, Any], ctx: Context) -> float:
    y = ctx.fiscal_year - int(arg.get("offset", 0))
    num, den = _series(ctx, arg["num"], [y]), _series(ctx, arg["den"], [y])
    return _divide(num[0], den[0], f"years[{y}].{arg['den']}")


def _eval_sum_ratio(arg: dict[str, Any], ctx: Context) -> float:
    years = ctx.operating_years(int(arg["years"]))
    if not years:
        raise MissingData([f"{arg['num']} (no operating year / 无经营年度)"])
    missing: list[str] = []
    num = den = 0.0
    try:
        num = sum(_series(ctx, arg["num"], years))
    except MissingData as exc:
        missing += exc.fields
    try:
        den = sum(_series(ctx, arg["den"], years))
    except MissingData as exc:
        missing += exc.fields
    if missing:
        raise MissingData(missing)
    return _divide(num, den, f"sum of {arg['den']}")


def _eval_fact(arg: str, ctx: Context) -> Any:
    value = ctx.ent.facts.get(arg)
    if value is None:
        raise MissingData([f"facts.{arg}"])
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) + ctx.deltas.get(("fact", arg, 0), 0.0)
    return value


def _eval_ip(arg: str, ctx: Context) -> float:
    value = getattr(ctx.ent.ip, arg)
    if value is None:
        raise MissingData([f"ip.{arg}"])
    return float(value) + ctx.deltas.get(("ip", arg, 0), 0.0)


def _eval_self_grade(arg: str, ctx: Context) -> Any:
    value = ctx.ent.self_grades.get(arg)
    if value is None:
        raise MissingData([f"self_grades.{arg}"])
    return value


def _eval_age_days(arg: None, ctx: Context) -> float:
    return float((ctx.as_of_shifted() - ctx.ent.founded).days)


def _eval_age_years(arg: None, ctx: Context) -> float:
    when, born = ctx.as_of_shifted(), ctx.ent.founded
    years = when.year - born.year - ((when.month, when.day) < (born.month, born.day))
    return float(years)


def _eval_has_designation(arg: str, ctx: Context) -> bool:
    when = ctx.as_of_shifted()
    return any(
        d.code == arg
        and (d.valid_from is None or d.valid_from <= when)
        and (d.valid_to is None or when <= d.valid_to)
        for d in ctx.ent.designations
    )


def _evaluate_all(arg: list[dict[str, Any]], ctx: Context) -> list[Any]:
    """Every sub-expression's value; missing figures of all of them are reported together."""
    values, missing = [], []
    for sub in arg:
        try:
            values.append(evaluate(sub, ctx))
        except MissingData as exc:
            missing += exc.fields
    if missing:
        raise MissingData(missing)
    return values


def _eval_min(arg: list[dict[str, Any]], ctx: Context) -> Any:
    return min(_evaluate_all(arg, ctx))


def _eval_max(arg: list[dict[str, Any]], ctx: Context) -> Any:
    return max(_evaluate_all(arg, ctx))


def _eval_add(arg: list[dict[str, Any]], ctx: Context) -> float:
    return float(sum(_evaluate_all(arg, ctx)))


def _eval_count_true(arg: list[dict[str, Any]], ctx: Context) -> float:
    return float(sum(1 for v in _evaluate_all(arg, ctx) if bool(v)))


def _eval_in_set(arg: dict[str, Any], ctx: Context) -> bool:
    return evaluate(arg["value"], ctx) in arg["values"]


def _eval_const(arg: float, ctx: Context) -> float:
    return float(arg)


# operator -> how to evaluate its argument; keys match :data:`OPERATORS`
_EVALUATORS: dict[str, Callable[[Any, Context], Any]] = {
    "const": _eval_const,
    "year": _eval_year,
    "sum": _eval_sum,
    "mean": _eval_mean,
    "growth": _eval_growth,
    "cagr": _eval_cagr,
    "ratio": _eval_ratio,
    "year_ratio": _eval_year_ratio,
    "sum_ratio": _eval_sum_ratio,
    "fact": _eval_fact,
    "ip": _eval_ip,
    "self_grade": _eval_self_grade,
    "age_days": _eval_age_days,
    "age_years": _eval_age_years,
    "has_designation": _eval_has_designation,
    "min": _eval_min,
    "max": _eval_max,
    "add": _eval_add,
    "count_true": _eval_count_true,
    "in_set": _eval_in_set,
}


def is_close(a: float, b: float) -> bool:
    """Equality for thresholds: a ratio of exactly 5 % may come out as 0.04999999999999999."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def compare(value: float, op: str, threshold: float) -> bool:
    """``value op threshold`` where equality is judged with :func:`is_close`."""
    eq = is_close(value, threshold)
    if op == ">=":
        return eq or value > threshold
    if op == ">":
        return not eq and value > threshold
    if op == "<=":
        return eq or value < threshold
    if op == "<":
        return not eq and value < threshold
    if op == "==":
        return eq
    if op == "!=":
        return not eq
    raise ExpressionError(f"unknown comparison {op!r}")
