"""Target forms found in plans, as validated data classes.

Why: plans state targets in many shapes ("double by 2028", "-10.3 %", "more than 10 new
platforms in three years", "rank at most 20"). Each form resolves, against its series, to what
the progress methods need: a direction, and a target value at a target year, or a threshold
to keep every year, or a running total over a window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

COMPARATORS = ("<", "<=", ">", ">=")


class TargetError(ValueError):
    """A target that cannot be used as stated; the message is English and Chinese."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(f"{en} / {zh}")
        self.en, self.zh = en, zh


def _check_direction(direction: int) -> None:
    if direction not in (1, -1):
        raise TargetError(
            f"direction must be +1 (higher is better) or -1 (lower is better), got {direction!r}",
            f"方向必须为 +1（越高越好）或 -1（越低越好），实际为 {direction!r}",
        )


def _check_number(name: str, value: float) -> None:
    if value is None or not isinstance(value, int | float) or math.isnan(value):
        raise TargetError(f"{name} must be a number, got {value!r}",
                          f"{name} 必须为数字，实际为 {value!r}")


def _check_years(first: int | None, last: int | None) -> None:
    if first is not None and last is not None and last <= first:
        raise TargetError(f"target year {last} must be after base year {first}",
                          f"目标年份 {last} 必须晚于基期年份 {first}")


def _clean(series: pd.Series) -> pd.Series:
    s = pd.Series(series, dtype="float64").dropna()
    s.index = s.index.astype(int)
    return s.sort_index()


def _value_at(series: pd.Series, year: int) -> float:
    s = _clean(series)
    if year not in s.index:
        raise TargetError(f"the series has no value for base year {year}",
                          f"序列缺少基期年份 {year} 的数值")
    return float(s.loc[year])


@dataclass(frozen=True)
class Resolved:
    """What a progress method needs from a target, after reading the series.

    ``kind`` is ``level`` (reach ``target_value`` by ``target_year``; ``None`` value means
    direction only), ``every_year`` (keep ``threshold`` each year from ``from_year`` to
    ``target_year``) or ``cumulative`` (the sum of the yearly values from ``from_year`` to
    ``target_year`` reaches ``target_value``).
    """

    kind: str
    direction: int
    target_value: float | None = None
    target_year: int | None = None
    base_year: int | None = None
    limit: float | None = None
    comparator: str | None = None
    from_year: int | None = None

    def goal(self) -> float:
        """``target_value`` where the kind needs one (``every_year``, ``cumulative``).

        The forms always set it for those kinds; a hand-built ``Resolved`` without it is refused.
        """
        if self.target_value is None:
            raise ValueError(f"a {self.kind} target needs a target value")
        return self.target_value


@dataclass(frozen=True)
class LevelTarget:
    """Reach ``value`` by ``year`` (higher or lower is better, per ``direction``)."""

    value: float
    year: int
    direction: int
    base_year: int | None = None
    limit: float | None = None

    def __post_init__(self) -> None:
        _check_direction(self.direction)
        _check_number("value", self.value)
        _check_years(self.base_year, self.year)

    def resolve(self, series: pd.Series) -> Resolved:
        return Resolved("level", self.direction, float(self.value), self.year, self.base_year,
                        self.limit)


@dataclass(frozen=True)
class DirectionTarget:
    """Only a direction ("increase", "reduce"), optionally near a natural ``limit``."""

    direction: int
    year: int = 2030
    base_year: int | None = None
    limit: float | None = None

    def __post_init__(self) -> None:
        _check_direction(self.direction)
        _check_years(self.base_year, self.year)

    def resolve(self, series: pd.Series) -> Resolved:
        return Resolved("level", self.direction, None, self.year, self.base_year, self.limit)


@dataclass(frozen=True)
class MultipleTarget:
    """``factor`` times the value of ``base_year`` by ``year`` (doubling: factor 2)."""

    factor: float
    base_year: int
    year: int

    def __post_init__(self) -> None:
        _check_number("factor", self.factor)
        if self.factor <= 0 or self.factor == 1:
            raise TargetError(f"factor must be positive and not 1, got {self.factor}",
                              f"倍数必须为正且不等于 1，实际为 {self.factor}")
        _check_years(self.base_year, self.year)

    def resolve(self, series: pd.Series) -> Resolved:
        base = _value_at(series, self.base_year)
        direction = 1 if self.factor > 1 else -1
        return Resolved("level", direction, base * self.factor, self.year, self.base_year)


@dataclass(frozen=True)
class ReductionTarget:
    """Reduce by ``percent`` % against ``base_year`` by ``year`` (e.g. energy intensity -10.3 %)."""

    percent: float
    base_year: int
    year: int

    def __post_init__(self) -> None:
        _check_number("percent", self.percent)
        if not 0 < self.percent <= 100:
            raise TargetError(f"percent must be in (0, 100], got {self.percent}",
                              f"降低百分比必须在 (0, 100] 之间，实际为 {self.percent}")
        _check_years(self.base_year, self.year)

    def resolve(self, series: pd.Series) -> Resolved:
        base = _value_at(series, self.base_year)
        return Resolved("level", -1, base * (1 - self.percent / 100), self.year, self.base_year)


@dataclass(frozen=True)
class CumulativeTarget:
    """The yearly values (additions) from ``start_year`` to ``end_year`` sum to ``total``.

    "More than 10 new platforms in three years" is ``CumulativeTarget(10, 2024, 2026,
    strict=True)`` on the series of platforms added each year.
    """

    total: float
    start_year: int
    end_year: int
    strict: bool = False

    def __post_init__(self) -> None:
        _check_number("total", self.total)
        if self.end_year < self.start_year:
            raise TargetError(f"end year {self.end_year} is before start year {self.start_year}",
                              f"结束年份 {self.end_year} 早于起始年份 {self.start_year}")

    def resolve(self, series: pd.Series) -> Resolved:
        return Resolved("cumulative", 1, float(self.total), self.end_year, self.start_year,
                        comparator=">" if self.strict else ">=", from_year=self.start_year)


@dataclass(frozen=True)
class EveryYearTarget:
    """Keep ``threshold`` every year (``at least`` when direction is +1, ``at most`` when -1)."""

    threshold: float
    direction: int
    from_year: int | None = None
    to_year: int | None = None
    comparator: str | None = None

    def __post_init__(self) -> None:
        _check_direction(self.direction)
        _check_number("threshold", self.threshold)
        if self.comparator is not None and self.comparator not in COMPARATORS:
            raise TargetError(f"comparator must be one of {COMPARATORS}, got {self.comparator!r}",
                              f"比较符必须为 {COMPARATORS} 之一，实际为 {self.comparator!r}")

    def resolve(self, series: pd.Series) -> Resolved:
        comparator = self.comparator or (">=" if self.direction > 0 else "<=")
        return Resolved("every_year", self.direction, float(self.threshold), self.to_year,
                        comparator=comparator, from_year=self.from_year)


@dataclass(frozen=True)
class RankTarget:
    """A rank of at most ``rank`` by ``year`` (1 is best, so lower is better)."""

    rank: int
    year: int
    base_year: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rank, int) or self.rank < 1:
            raise TargetError(f"rank must be a positive integer, got {self.rank!r}",
                              f"排名必须为正整数，实际为 {self.rank!r}")
        _check_years(self.base_year, self.year)

    def resolve(self, series: pd.Series) -> Resolved:
        return Resolved("level", -1, float(self.rank), self.year, self.base_year)


@dataclass(frozen=True)
class RangeTarget:
    """Reach the interval [``low``, ``high``] by ``year``; the weakest bound decides (Destatis).

    Coming from above (direction -1) the weakest bound is ``high``; from below it is ``low``.
    """

    low: float
    high: float
    year: int
    direction: int
    base_year: int | None = None

    def __post_init__(self) -> None:
        _check_direction(self.direction)
        _check_number("low", self.low)
        _check_number("high", self.high)
        if self.low >= self.high:
            raise TargetError(f"low {self.low} must be below high {self.high}",
                              f"下限 {self.low} 必须小于上限 {self.high}")
        _check_years(self.base_year, self.year)

    def resolve(self, series: pd.Series) -> Resolved:
        bound = self.high if self.direction < 0 else self.low
        return Resolved("level", self.direction, float(bound), self.year, self.base_year)


@dataclass(frozen=True)
class AllOf:
    """Several conditions on the same series; the worst status counts."""

    conditions: tuple[Target, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.conditions:
            raise TargetError("AllOf needs at least one condition", "AllOf 至少需要一个条件")
        if any(isinstance(c, AllOf) for c in self.conditions):
            raise TargetError("AllOf cannot be nested", "AllOf 不能嵌套")


Target = (
    LevelTarget | DirectionTarget | MultipleTarget | ReductionTarget | CumulativeTarget
    | EveryYearTarget | RankTarget | RangeTarget | AllOf
)
