"""Periods shorter than a year: quarters, months, half-years and year-to-date windows.

Why a window and not free date ranges: a period like ``2026-Q3`` is the same part of every year,
so the engine keeps computing per year (the period stays the year's number) and only narrows
what each year covers. Flows count the records dated inside the window; stocks are taken on
its last day; a growth rate compares the window with the same window a year earlier
(2026-Q3 against 2025-Q3), as statistical offices publish them.

>>> years, window = parse_period("2026-Q3")
>>> years, window.label(2026), window.end_date(2026)
([2026], '2026-Q3', datetime.date(2026, 9, 30))
>>> parse_period("2024:2026")[0]
[2024, 2025, 2026]
>>> parse_period("2025-09")[1].start_date(2025)
datetime.date(2025, 9, 1)
>>> parse_period("2026-09-30")[1].label(2026)
'2026-01-01..09-30'
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

QUARTERS = {1: ((1, 1), (3, 31)), 2: ((4, 1), (6, 30)), 3: ((7, 1), (9, 30)),
            4: ((10, 1), (12, 31))}
HALVES = {1: ((1, 1), (6, 30)), 2: ((7, 1), (12, 31))}


class PeriodError(ValueError):
    """A period text the engine cannot read, with the reason in both languages."""


@dataclass(frozen=True)
class Window:
    """The part of each year a period covers: from (month, day) to (month, day), inclusive."""

    start: tuple[int, int] = (1, 1)
    end: tuple[int, int] = (12, 31)
    suffix: str = ""  # "-Q3", "-09", "-H1"; empty for a whole year or a dated window

    @property
    def full_year(self) -> bool:
        return self.start == (1, 1) and self.end == (12, 31)

    def start_date(self, year: int) -> dt.date:
        return dt.date(year, *self.start)

    def end_date(self, year: int) -> dt.date:
        month, day = self.end
        return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))

    def label(self, year: int) -> str:
        """How the period reads: ``2026``, ``2026-Q3``, ``2026-09``, ``2026-01-01..09-30``."""
        if self.full_year:
            return str(year)
        if self.suffix:
            return f"{year}{self.suffix}"
        (sm, sd), (em, ed) = self.start, self.end
        return f"{year}-{sm:02d}-{sd:02d}..{em:02d}-{ed:02d}"

    def key(self) -> tuple[int, int, int, int]:
        """A hashable, comparable form: (start month, day, end month, day)."""
        return (*self.start, *self.end)


FULL_YEAR = Window()


def _years(text: str) -> list[int]:
    if ":" in text:
        first, last = (int(p) for p in text.split(":", 1))
        if last < first:
            raise ValueError
        return list(range(first, last + 1))
    years = [int(p) for p in text.split(",") if p.strip()]
    if not years:
        raise ValueError
    return years


def _window(part: str) -> tuple[int, Window]:
    """One period with a window: ``2026-Q3``, ``2026-H1``, ``2026-09``, ``2026-09-30``."""
    found = re.fullmatch(r"(\d{4})-(Q[1-4]|H[12]|\d{2}|\d{2}-\d{2})", part.strip(), re.I)
    if not found:
        raise ValueError
    year, rest = int(found[1]), found[2].upper()
    if rest[0] == "Q":
        start, end = QUARTERS[int(rest[1])]
        return year, Window(start, end, f"-{rest}")
    if rest[0] == "H":
        start, end = HALVES[int(rest[1])]
        return year, Window(start, end, f"-{rest}")
    if "-" in rest:  # a date: the year to that day (flows), the stock on that day
        month, day = (int(x) for x in rest.split("-"))
        dt.date(year, month, day)  # ValueError for 2026-02-30
        return year, Window((1, 1), (month, day))
    month = int(rest)
    if not 1 <= month <= 12:
        raise ValueError
    return year, Window((month, 1), (month, calendar.monthrange(2000, month)[1]), f"-{month:02d}")


def parse_period(text: str) -> tuple[list[int], Window]:
    """Years and the window each covers, from ``2024``, ``2019:2025``, ``2019,2024``,
    ``2026-Q3``, ``2026-H1``, ``2026-09`` (a month), ``2026-09-30`` (year to date) or a comma
    list of the same window in several years (``2025-Q3,2026-Q3``)."""
    try:
        if re.fullmatch(r"[\d:, ]+", text.strip()):
            return _years(text), FULL_YEAR
        parts = [_window(p) for p in text.split(",") if p.strip()]
        windows = {w for _, w in parts}
        if len(windows) != 1:
            raise PeriodError(f"{text!r}: periods in one request cover the same part of the year"
                              f" / 同一请求中的统计期须为每年的同一时段")
        return sorted({y for y, _ in parts}), windows.pop()
    except PeriodError:
        raise
    except ValueError:
        raise PeriodError(f"{text!r}: use YYYY, YYYY:YYYY, YYYY-Q1..Q4, YYYY-H1/H2, YYYY-MM or "
                          f"YYYY-MM-DD (year to date) / 统计期格式应为 YYYY、YYYY:YYYY、"
                          f"YYYY-Q1…Q4、YYYY-H1/H2、YYYY-MM 或 YYYY-MM-DD（年初至该日）") from None
