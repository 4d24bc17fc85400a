"""One entry point for progress: ``assess`` (a series and a target) and ``assess_frame``.

Why: the CLI, the database side and notebooks all call these, so every status says which
method made it and carries the same fields whatever the method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import pandas as pd

from observatory.targets import forecast as fc
from observatory.targets import opensdg, weather
from observatory.targets.forms import (
    AllOf,
    DirectionTarget,
    LevelTarget,
    Resolved,
    Target,
)
from observatory.targets.rollup import worst_status

METHODS = ("opensdg", "weather", "forecast")
OUTPUT_COLUMNS = [
    "series_id", "base_year", "base_value", "current_year", "current_value", "target_value",
    "progress_value", "score", "status",
]
FORECAST_COLUMNS = ["probability", "p10", "p50", "p90"]


@dataclass(frozen=True)
class Assessment:
    """The result of one method on one series and target.

    ``progress_value`` is the method's own measure: Open SDG's R or direction-adjusted CAGR,
    the weather shortfall ratio (level) or average change, the forecast probability.
    ``p10``/``p50``/``p90`` are the forecast quantiles in the target year; ``fan`` has them for
    every simulated year. ``parts`` holds the conditions of an ``AllOf`` target.
    """

    method: str
    status: str
    series_id: str | None = None
    base_year: int | None = None
    base_value: float | None = None
    current_year: int | None = None
    current_value: float | None = None
    target_value: float | None = None
    target_year: int | None = None
    progress_value: float | None = None
    score: float | None = None
    probability: float | None = None
    p10: float | None = None
    p50: float | None = None
    p90: float | None = None
    fan: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    parts: tuple[Assessment, ...] = ()
    note: str = ""

    def row(self) -> dict[str, object]:
        """Flat record with the output columns (forecast columns for the forecast method)."""
        cols = OUTPUT_COLUMNS + (FORECAST_COLUMNS if self.method == "forecast" else [])
        return {c: getattr(self, c) for c in cols}


def _clean(series: pd.Series) -> pd.Series:
    s = pd.Series(series, dtype="float64").dropna()
    s.index = s.index.astype(int)
    return s.sort_index()


def _running_total(s: pd.Series, start: int | None) -> pd.Series:
    part = s[s.index >= start] if start is not None else s
    return part.cumsum()


def _opensdg(s: pd.Series, r: Resolved) -> Assessment:
    series, target_value = s, r.target_value
    if r.kind == "cumulative":
        series = _running_total(s, r.from_year)
    base_year = r.base_year if r.base_year is not None else r.from_year
    res = opensdg.assess_opensdg(
        series, direction=r.direction, base_year=base_year, target_year=r.target_year,
        target=target_value, limit=r.limit,
    )
    note = "every-year threshold assessed as a level to reach" if r.kind == "every_year" else ""
    return Assessment(
        "opensdg", res.status, base_year=res.base_year, base_value=res.base_value,
        current_year=res.current_year, current_value=res.current_value,
        target_value=res.target_value, target_year=res.target_year,
        progress_value=res.progress_value, score=res.score, note=note,
    )


def _weather(s: pd.Series, r: Resolved, assessment_year: int | None) -> Assessment:
    if r.kind == "every_year":
        res = weather.assess_every_year(s, r.target_value, direction=r.direction,
                                        comparator=r.comparator, assessment_year=assessment_year)
    elif r.kind == "cumulative":
        if r.target_year is None:
            raise ValueError("a cumulative target needs an end year")
        res = weather.assess_level(_running_total(s, r.from_year), r.goal(), r.target_year,
                                   direction=1, assessment_year=assessment_year)
    elif r.target_value is None:
        res = weather.assess_direction(s, direction=r.direction, assessment_year=assessment_year)
    else:
        res = weather.assess_level(s, r.target_value, r.target_year or 2030,
                                   direction=r.direction, assessment_year=assessment_year)
    progress = res.shortfall_ratio if res.shortfall_ratio is not None else res.average_change
    base_year = base_value = None
    if r.base_year is not None and r.base_year in s.index:
        base_year, base_value = r.base_year, float(s.loc[r.base_year])
    return Assessment(
        "weather", res.symbol, base_year=base_year, base_value=base_value,
        current_year=res.current_year, current_value=res.current_value,
        target_value=r.target_value, target_year=r.target_year, progress_value=progress,
        score=weather.symbol_score(res.symbol), note=res.reason,
    )


def _forecast(s: pd.Series, r: Resolved, seed: int, n_paths: int) -> Assessment:
    if len(s) < fc.MIN_POINTS:
        return Assessment("forecast", "not_available", target_value=r.target_value,
                          target_year=r.target_year,
                          note=f"{len(s)} points, at least {fc.MIN_POINTS} needed")
    res = fc.assess_forecast(s, r, seed=seed, n_paths=n_paths)
    q: dict[str, float | None] = {"p10": None, "p50": None, "p90": None}
    if len(res.fan):
        q = res.fan.iloc[-1][["p10", "p50", "p90"]].astype(float).to_dict()
    base_year = base_value = None
    if r.base_year is not None and r.base_year in s.index:
        base_year, base_value = r.base_year, float(s.loc[r.base_year])
    return Assessment(
        "forecast", res.status, base_year=base_year, base_value=base_value,
        current_year=res.current_year, current_value=res.current_value,
        target_value=r.target_value, target_year=r.target_year,
        progress_value=res.probability, score=res.score, probability=res.probability,
        p10=q["p10"], p50=q["p50"], p90=q["p90"], fan=res.fan, note=res.reason,
    )


def assess(
    series: pd.Series,
    target: Target,
    method: str = "opensdg",
    *,
    series_id: str | None = None,
    assessment_year: int | None = None,
    seed: int = 0,
    n_paths: int = fc.DEFAULT_PATHS,
) -> Assessment:
    """Assess an annual series (index = year) against a target with a named method.

    ``assessment_year`` cuts the series (data up to that year), as an assessment made then.
    Forecasts are reproducible for a given ``seed``.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    s = _clean(series)
    if assessment_year is not None:
        s = s[s.index <= assessment_year]
    if isinstance(target, AllOf):
        parts = tuple(
            assess(s, c, method, series_id=series_id, seed=seed, n_paths=n_paths)
            for c in target.conditions
        )
        worst = worst_status([p.status for p in parts])
        pick = next((p for p in parts if p.status == worst), parts[0])
        return _with(pick, series_id=series_id, parts=parts, note="worst of several conditions")
    r = target.resolve(s)
    if method == "opensdg":
        out = _opensdg(s, r)
    elif method == "weather":
        out = _weather(s, r, None)
    else:
        out = _forecast(s, r, seed, n_paths)
    return _with(out, series_id=series_id)


def _with(a: Assessment, **changes: object) -> Assessment:
    values = {f.name: getattr(a, f.name) for f in fields(a)}
    values.update(changes)
    return Assessment(**values)


def target_from_row(
    direction: int,
    base_year: int | None,
    target_year: int | None,
    target_value: float | None,
    limit: float | None,
) -> Target:
    """The target form a TARGETS.csv row describes: a level, or a direction when no value."""
    def missing(v: float | None) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v))

    year = 2030 if missing(target_year) else int(target_year)  # type: ignore[arg-type]
    base = None if missing(base_year) else int(base_year)  # type: ignore[arg-type]
    lim = None if missing(limit) else float(limit)  # type: ignore[arg-type]
    if missing(target_value):
        return DirectionTarget(direction, year=year, base_year=base, limit=lim)
    return LevelTarget(float(target_value), year, direction, base_year=base,  # type: ignore[arg-type]
                       limit=lim)


def assess_frame(
    series_df: pd.DataFrame,
    targets_df: pd.DataFrame,
    method: str = "opensdg",
    *,
    seed: int = 0,
    n_paths: int = fc.DEFAULT_PATHS,
) -> pd.DataFrame:
    """Assess every target row against its series (validated frames, see ``inputs``).

    ``series_df``: ``series_id, year, value``; ``targets_df``: ``series_id, direction`` (+1/-1),
    ``base_year, target_year, target_value, limit``. One output row per target row.
    """
    by_id = {k: g.set_index("year")["value"] for k, g in series_df.groupby("series_id")}
    rows = []
    for i, t in enumerate(targets_df.itertuples(index=False)):
        target = target_from_row(int(t.direction), t.base_year, t.target_year, t.target_value,
                                 t.limit)
        a = assess(by_id.get(t.series_id, pd.Series(dtype=float)), target, method,
                   series_id=t.series_id, seed=seed + i, n_paths=n_paths)
        rows.append(a.row())
    cols = OUTPUT_COLUMNS + (FORECAST_COLUMNS if method == "forecast" else [])
    return pd.DataFrame(rows, columns=cols)


__all__ = ["Assessment", "assess", "assess_frame", "target_from_row"]
