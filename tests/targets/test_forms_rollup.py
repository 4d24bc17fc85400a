"""Target forms resolve to what the methods need; roll-ups take the worst status."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory.targets.assess import assess
from observatory.targets.forms import (
    AllOf,
    CumulativeTarget,
    DirectionTarget,
    EveryYearTarget,
    LevelTarget,
    MultipleTarget,
    RangeTarget,
    RankTarget,
    ReductionTarget,
    TargetError,
)
from observatory.targets.rollup import plan_summary, task_status, worst_status

S = pd.Series([100.0, 110, 120, 130, 140, 150], index=range(2019, 2025))


def test_multiple_and_reduction_read_the_base_year() -> None:
    doubled = MultipleTarget(2, 2019, 2028).resolve(S)
    assert (doubled.target_value, doubled.direction, doubled.target_year) == (200.0, 1, 2028)
    cut = ReductionTarget(10.3, 2020, 2025).resolve(S)
    assert cut.target_value == pytest.approx(110 * 0.897)
    assert cut.direction == -1
    with pytest.raises(TargetError, match="base year 2010"):
        MultipleTarget(2, 2010, 2028).resolve(S)


def test_rank_range_and_direction() -> None:
    rank = RankTarget(20, 2024).resolve(S)
    assert (rank.target_value, rank.direction) == (20.0, -1)
    assert RangeTarget(80, 85, 2030, -1).resolve(S).target_value == 85
    assert RangeTarget(80, 85, 2030, 1).resolve(S).target_value == 80
    assert DirectionTarget(1).resolve(S).target_value is None


@pytest.mark.parametrize(
    "make",
    [
        lambda: LevelTarget(1.0, 2020, 2),
        lambda: LevelTarget(float("nan"), 2030, 1),
        lambda: LevelTarget(1.0, 2015, 1, base_year=2020),
        lambda: ReductionTarget(120, 2015, 2030),
        lambda: MultipleTarget(1, 2015, 2030),
        lambda: RangeTarget(5, 5, 2030, 1),
        lambda: RankTarget(0, 2030),
        lambda: CumulativeTarget(10, 2026, 2024),
        lambda: EveryYearTarget(3, 1, comparator="=="),
        lambda: AllOf(()),
    ],
)
def test_invalid_targets_are_refused_in_both_languages(make) -> None:
    with pytest.raises(TargetError) as err:
        make()
    assert err.value.en and err.value.zh


def test_cumulative_additions_over_a_window() -> None:
    added = pd.Series([2.0, 3, 4, 5], index=range(2021, 2025))
    # "more than 10 new platforms in 2022-2024": 3 + 4 + 5 = 12 > 10, achieved
    res = assess(added, CumulativeTarget(10, 2022, 2024, strict=True), "opensdg")
    assert res.status == "target_achieved"
    assert res.current_value == 12
    res = assess(added, CumulativeTarget(12, 2022, 2024, strict=True), "forecast", seed=1)
    assert res.probability == 0.0  # 12 is not more than 12 and the window is over


def test_every_year_target_weather() -> None:
    rd = pd.Series([3.1, 3.2, 3.3, 3.4, 3.5], index=range(2020, 2025))
    assert assess(rd, EveryYearTarget(3.0, 1), "weather").status == "sun"
    assert assess(rd, EveryYearTarget(3.6, 1), "weather").status == "cloud"
    assert assess(-rd, EveryYearTarget(-3.6, 1), "weather").status == "sun_cloud"
    assert assess(-rd, EveryYearTarget(-3.0, 1), "weather").status == "thunderstorm"


def test_all_of_takes_the_worst_condition() -> None:
    both = AllOf((LevelTarget(150, 2028, 1), LevelTarget(400, 2028, 1)))
    res = assess(S, both, "opensdg")
    # 100 -> 150 in 2019-2024 is 8.4 % a year; 400 by 2028 needs 16.7 %: R = 0.51
    assert [p.status for p in res.parts] == ["target_achieved", "limited_progress"]
    assert res.status == "limited_progress"
    assert res.target_value == 400


def test_worst_status_and_task_status() -> None:
    assert worst_status(["target_achieved", "moderate_progress", "not_available"]) == (
        "moderate_progress")
    assert worst_status(["not_available"]) == "not_available"
    assert task_status(["sun", "thunderstorm"]) == "thunderstorm"
    with pytest.raises(ValueError):
        worst_status(["great"])


def test_plan_summary_counts_and_lagging_worst_first() -> None:
    summary = plan_summary([("t1", "substantial_progress"), ("t2", "limited_progress"),
                            ("t3", "deterioration"), ("t4", "not_available"),
                            ("t5", "substantial_progress")])
    assert summary.counts == {"substantial_progress": 2, "limited_progress": 1,
                              "deterioration": 1, "not_available": 1}
    assert summary.lagging == ["t3", "t2"]
    assert summary.not_assessed == ["t4"]
    assert summary.total == 5
