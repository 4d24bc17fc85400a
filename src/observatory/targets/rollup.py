"""Roll-ups on plain lists: a task's status from its targets, a plan's summary.

Why: a key task holds several targets and a plan several tasks; the bureau reads "worst counts"
(as Destatis does for simultaneous targets) and wants to see at a glance what lags. The
database side (plans module) calls these with the statuses it has loaded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Severity of each status, in both vocabularies (Open SDG / forecast and Destatis weather).
SEVERITY: dict[str, int] = {
    "target_achieved": 0,
    "substantial_progress": 1,
    "sun": 1,
    "moderate_progress": 2,
    "sun_cloud": 2,
    "limited_progress": 3,
    "cloud": 3,
    "deterioration": 4,
    "thunderstorm": 4,
}
NOT_AVAILABLE = "not_available"
#: Statuses that count as lagging in a plan summary.
LAGGING = frozenset({"limited_progress", "deterioration", "cloud", "thunderstorm"})


def worst_status(statuses: Iterable[str]) -> str:
    """The worst of several statuses; ``not_available`` only when nothing could be assessed."""
    known = []
    for status in statuses:
        if status == NOT_AVAILABLE:
            continue
        if status not in SEVERITY:
            raise ValueError(f"unknown status {status!r}")
        known.append(status)
    if not known:
        return NOT_AVAILABLE
    return max(known, key=lambda s: SEVERITY[s])


def task_status(target_statuses: Sequence[str]) -> str:
    """A key task's status: the worst of its targets' statuses."""
    return worst_status(target_statuses)


@dataclass(frozen=True)
class PlanSummary:
    """Counts by status and the items that lag, worst first."""

    counts: dict[str, int]
    lagging: list[str]
    not_assessed: list[str]
    total: int


def plan_summary(items: Iterable[tuple[str, str]]) -> PlanSummary:
    """Summarise ``(item_id, status)`` pairs (tasks or targets) of a plan."""
    pairs = list(items)
    for _, status in pairs:
        if status != NOT_AVAILABLE and status not in SEVERITY:
            raise ValueError(f"unknown status {status!r}")
    counts = dict(Counter(status for _, status in pairs))
    lagging = sorted((p for p in pairs if p[1] in LAGGING), key=lambda p: -SEVERITY[p[1]])
    return PlanSummary(
        counts=counts,
        lagging=[item for item, _ in lagging],
        not_assessed=[item for item, status in pairs if status == NOT_AVAILABLE],
        total=len(pairs),
    )
