"""Open SDG / Eurostat CAGR progress method (the one Statistics Canada documents for Open SDG).

Why a module of its own: the statuses it gives are published for real indicators, so every rule
here is pinned by the Canada GIF fixtures (``tests/targets/test_opensdg_canada.py``). See
``docs/methodology/progress.md`` for the method text and sources.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict

import pandas as pd

#: Ordered best to worst; ``not_available`` is outside the order.
STATUSES: tuple[str, ...] = (
    "target_achieved",
    "substantial_progress",
    "moderate_progress",
    "limited_progress",
    "deterioration",
    "not_available",
)

DEFAULT_BASE_YEAR = 2015
DEFAULT_TARGET_YEAR = 2030
ZERO_REPLACEMENT = 0.001
LIMIT_EXPONENT = 4.44

#: Thresholds on R (with a numeric target): substantial, moderate, limited (below: deterioration).
TARGET_THRESHOLDS: tuple[float, float, float] = (0.95, 0.60, 0.0)
#: Thresholds on the observed CAGR (no target), before limit scaling.
RATE_THRESHOLDS: tuple[float, float, float] = (0.015, 0.005, 0.0)


@dataclass(frozen=True)
class OpenSdgResult:
    """Components of one series' Open SDG assessment (the fields Open SDG publishes)."""

    base_year: int | None
    base_value: float | None
    current_year: int | None
    current_value: float | None
    target_value: float | None
    target_year: int
    direction: int
    sign: int | None
    limit: float | None
    progress_value: float | None
    score: float | None
    status: str


class _Observed(TypedDict):
    """The fields of an :class:`OpenSdgResult` fixed before the status is decided."""

    base_year: int
    base_value: float
    current_year: int
    current_value: float
    target_value: float | None
    target_year: int
    direction: int
    limit: float | None


def _clean(series: pd.Series) -> pd.Series:
    s = pd.Series(series, dtype="float64").dropna()
    s.index = s.index.astype(int)
    return s.sort_index()


def limit_scale(base_value: float, limit: float | None) -> float:
    """Scaling factor C of the thresholds near a natural limit (1 when no limit)."""
    if limit is None or (isinstance(limit, float) and math.isnan(limit)):
        return 1.0
    y0, lim = abs(base_value), abs(limit)
    if y0 <= lim:
        return 1.0 - (y0 / lim) ** LIMIT_EXPONENT
    if y0 < 2 * lim:
        return 1.0 - ((2 * lim - y0) / lim) ** LIMIT_EXPONENT
    return 1.0


def score_with_target(ratio: float) -> float:
    """Piecewise linear score of R: 0.6 -> 0, 0.95 -> 2.5, 0 -> -2.5, clipped to [-5, 5]."""
    if ratio >= TARGET_THRESHOLDS[1]:
        return min(7.1429 * ratio - 4.2857, 5.0)
    return max(4.1667 * ratio - 2.5, -5.0)


def status_with_target(ratio: float) -> str:
    """Status band of R against 0.95 / 0.60 / 0."""
    if ratio >= TARGET_THRESHOLDS[0]:
        return "substantial_progress"
    if ratio >= TARGET_THRESHOLDS[1]:
        return "moderate_progress"
    if ratio >= TARGET_THRESHOLDS[2]:
        return "limited_progress"
    return "deterioration"


def score_without_target(growth: float, scale: float) -> float:
    """Score of the direction-adjusted CAGR against 1.5 % / 0.5 % / 0 scaled by C."""
    if growth < 0:
        return max(125.0 * growth - 2.5, -5.0)
    if scale == 0:
        return 5.0
    if growth < RATE_THRESHOLDS[1] * scale:
        return 500.0 * growth / scale - 2.5
    if growth < RATE_THRESHOLDS[0] * scale:
        return 250.0 * growth / scale - 1.25
    return min(500.0 * growth / scale - 5.0, 5.0)


def status_without_target(growth: float, scale: float) -> str:
    """Status band of the direction-adjusted CAGR (no numeric target)."""
    if growth < 0:
        return "deterioration"
    if growth >= RATE_THRESHOLDS[0] * scale:
        return "substantial_progress"
    if growth >= RATE_THRESHOLDS[1] * scale:
        return "moderate_progress"
    return "limited_progress"


def cagr(start: float, end: float, years: float) -> float:
    """Compound annual growth rate from ``start`` to ``end`` over ``years`` years."""
    return (end / start) ** (1.0 / years) - 1.0


def assess_opensdg(
    series: pd.Series,
    *,
    direction: int = -1,
    base_year: int | None = None,
    target_year: int | None = None,
    target: float | None = None,
    limit: float | None = None,
) -> OpenSdgResult:
    """Assess one annual series (index = year) with the Open SDG method.

    ``direction`` is +1 when higher is better, -1 when lower is better (Open SDG's default is
    negative). Without ``target`` the observed CAGR is compared with fixed rates.
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    base_year = DEFAULT_BASE_YEAR if base_year is None else int(base_year)
    target_year = DEFAULT_TARGET_YEAR if target_year is None else int(target_year)
    if target is not None and isinstance(target, float) and math.isnan(target):
        target = None
    if limit is not None and isinstance(limit, float) and math.isnan(limit):
        limit = None
    s = _clean(series)
    eligible = s[s.index >= base_year]
    if eligible.empty:
        return OpenSdgResult(
            None, None, None, None, target, target_year, direction, None, limit, None, None,
            "not_available",
        )
    return assess_components(
        int(eligible.index[0]), float(eligible.iloc[0]), int(s.index[-1]), float(s.iloc[-1]),
        direction=direction, target_year=target_year, target=target, limit=limit,
    )


def assess_components(
    base_year: int,
    base_value: float,
    current_year: int,
    current_value: float,
    *,
    direction: int,
    target_year: int = DEFAULT_TARGET_YEAR,
    target: float | None = None,
    limit: float | None = None,
) -> OpenSdgResult:
    """Status and score from the base and current observation (what Open SDG publishes)."""
    if target is not None and target == 0:
        target = ZERO_REPLACEMENT
    y0 = ZERO_REPLACEMENT if base_value == 0 else float(base_value)
    yt = float(current_value)
    partial = _Observed(
        base_year=int(base_year), base_value=y0, current_year=int(current_year),
        current_value=yt, target_value=target, target_year=int(target_year),
        direction=direction, limit=limit,
    )
    if current_year <= base_year:
        return OpenSdgResult(**partial, sign=1 if y0 >= 0 else -1, progress_value=None,
                             score=None, status="not_available")
    if (y0 < 0) != (yt < 0) and yt != 0:
        # Opposite signs make the CAGR undefined.
        return OpenSdgResult(**partial, sign=None, progress_value=None, score=None,
                             status="not_available")
    sign = -1 if y0 < 0 else 1
    growth = sign * direction * cagr(y0, yt, current_year - base_year)
    if target is None:
        scale = limit_scale(y0, limit)
        return OpenSdgResult(
            **partial, sign=sign, progress_value=growth,
            score=score_without_target(growth, scale),
            status=status_without_target(growth, scale),
        )
    required = cagr(y0, target, target_year - base_year)
    ratio = growth / abs(required) if required != 0 else None
    if direction * (yt - target) >= 0:
        return OpenSdgResult(**partial, sign=sign, progress_value=ratio, score=5.0,
                             status="target_achieved")
    if ratio is None:
        return OpenSdgResult(**partial, sign=sign, progress_value=None, score=None,
                             status="not_available")
    return OpenSdgResult(**partial, sign=sign, progress_value=ratio,
                         score=score_with_target(ratio), status=status_with_target(ratio))


def status_from_score(score: float) -> str:
    """Indicator-level band of a mean score: [2.5, 5], [0, 2.5), [-2.5, 0), [-5, -2.5)."""
    if score >= 2.5:
        return "substantial_progress"
    if score >= 0:
        return "moderate_progress"
    if score >= -2.5:
        return "limited_progress"
    return "deterioration"


@dataclass(frozen=True)
class IndicatorResult:
    """Indicator-level Open SDG status and mean score."""

    score: float | None
    status: str


def _nested_mean(entries: Iterable[tuple[Sequence[str], float]]) -> float | None:
    """Mean over the first path element, averaging each group (nested) before it counts once."""
    groups: dict[str, list[tuple[Sequence[str], float]]] = {}
    leaves: dict[str, float] = {}
    for path, value in entries:
        if len(path) == 1:
            leaves[path[0] + "#" + str(len(leaves))] = value
        else:
            groups.setdefault(path[0], []).append((path[1:], value))
    values = list(leaves.values())
    for members in groups.values():
        m = _nested_mean(members)
        if m is not None:
            values.append(m)
    return sum(values) / len(values) if values else None


def aggregate_indicator(
    results: Sequence[tuple[str, OpenSdgResult]] | Mapping[str, OpenSdgResult],
) -> IndicatorResult:
    """Indicator status from its series' results keyed by Open SDG option path (``3``, ``3:1``).

    Groups are averaged first and count as one entry; series without a score are left out.
    ``target_achieved`` only when every scored series has reached its target.
    """
    items = list(results.items()) if isinstance(results, Mapping) else list(results)
    scored = [(str(p).split(":"), r.score, r) for p, r in items if r.score is not None]
    if not scored:
        return IndicatorResult(None, "not_available")
    mean = _nested_mean([(p, float(score)) for p, score, _ in scored])
    assert mean is not None
    if all(r.status == "target_achieved" for _, _, r in scored):
        return IndicatorResult(mean, "target_achieved")
    return IndicatorResult(mean, status_from_score(mean))
