"""Plans, targets and progress: statuses and forecasts with named methods."""

from observatory.targets.assess import Assessment, assess, assess_frame
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
    Target,
    TargetError,
)
from observatory.targets.rollup import plan_summary, task_status, worst_status

__all__ = [
    "AllOf", "Assessment", "CumulativeTarget", "DirectionTarget", "EveryYearTarget",
    "LevelTarget", "MultipleTarget", "RangeTarget", "RankTarget", "ReductionTarget", "Target",
    "TargetError", "assess", "assess_frame", "plan_summary", "task_status", "worst_status",
]
