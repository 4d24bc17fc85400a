"""The day the registry's data runs to, and what that means for a requested period.

Why: a year the registry has no data for yet does not compute as zero. Certificates lapse in a
year with no new grants recorded, so the stock of technology-based enterprises seemed to
collapse in the current year. A period that starts after the data's as-of day is refused; one
the day cuts through is computed and marked provisional.

>>> as_of = dt.date(2026, 9, 30)
>>> check_periods([2025, 2026], FULL_YEAR, as_of).provisional
[2026]
>>> check_periods([2026], parse_period("2026-Q3")[1], as_of).provisional
[]
>>> check_periods([2026, 2027], FULL_YEAR, as_of).refused
[2027]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from observatory.indicators.catalogue import Catalogue, CountDef, load_catalogue
from observatory.indicators.engine import IndicatorError, Runner
from observatory.indicators.entities import relation
from observatory.indicators.periods import FULL_YEAR, Window, parse_period

__all__ = ["PeriodCheck", "check_periods", "data_as_of", "parse_period", "refuse_beyond"]


def _event_fields(catalogue: Catalogue) -> set[tuple[str, str]]:
    """(record set, field) of every date that marks an event: a contract's registration, a
    certificate's start, a listing's publication. End dates (``valid_to``) are not events."""
    fields: set[tuple[str, str]] = set()
    for ind in catalogue.indicators.values():
        if isinstance(ind, CountDef):
            rule = ind.time
            field = rule.valid_from if rule.rule == "valid_at_end" else rule.field
            if field:
                fields.add((ind.records, field))
    return fields


def data_as_of(engine: Engine, catalogue: Catalogue | None = None,
               today: dt.date | None = None) -> dt.date | None:
    """The newest event date the registry records (at most ``today``); None when empty."""
    today = today or dt.date.today()
    runner = Runner(engine)
    newest: dt.date | None = None
    try:
        for records, field in sorted(_event_fields(catalogue or load_catalogue())):
            rel = relation(records)
            column = rel[field]
            if not column.type().is_date():
                continue  # a year number is no day
            value = runner.execute(column.max(where=column <= today))
            if value is not None and value == value:  # NaT/NaN: no rows
                day = value.date() if isinstance(value, dt.datetime) else value
                day = dt.date.fromisoformat(day) if isinstance(day, str) else day
                newest = day if newest is None or day > newest else newest
    finally:
        runner.close()
    return newest


@dataclass(frozen=True)
class PeriodCheck:
    """Requested years the data covers, cuts through (provisional) or has not reached."""

    as_of: dt.date | None
    provisional: list[int]
    refused: list[int]


def check_periods(years: Sequence[int], window: Window, as_of: dt.date | None) -> PeriodCheck:
    if as_of is None:
        return PeriodCheck(None, [], [])
    refused = [y for y in years if window.start_date(y) > as_of]
    provisional = [y for y in years if window.start_date(y) <= as_of < window.end_date(y)]
    return PeriodCheck(as_of, provisional, refused)


def refuse_beyond(check: PeriodCheck, window: Window = FULL_YEAR) -> None:
    """Raise a bilingual IndicatorError when a requested period starts after the data."""
    if check.refused and check.as_of is not None:
        labels = ", ".join(window.label(y) for y in check.refused)
        raise IndicatorError(
            f"{labels}: after the data's as-of date {check.as_of.isoformat()}; nothing is "
            f"recorded for it yet / {labels}：晚于数据截止日期 {check.as_of.isoformat()}，"
            f"尚无该期数据")
