"""Saved searches: when an achievement is published, which saved demands should hear of it?

Ranking scores (RRF) are relative to the other candidates, so a threshold on them means
nothing for a single new listing. An alert is therefore scored by the absolute semantic
similarity: the cosine between the demand (embedded as a query) and the achievement (as a
passage). Demands whose cosine reaches ``threshold`` (default: the lower edge of the model's
"medium" band) are returned, best first, each with the same explanation a match carries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from observatory.market.engine import BANDS, Explanation, MatchEngine
from observatory.market.features import ANY, HardFilters
from observatory.market.listing import Listing


@dataclass(frozen=True)
class Alert:
    """A saved demand that a newly published achievement may answer."""

    demand_id: str
    achievement_id: str
    score: float
    explanation: Explanation


def default_threshold(model_id: str) -> float:
    """Lower edge of the 'medium' similarity band of the model."""
    family = next((f for f in BANDS if model_id.startswith(f)), "hash")
    return BANDS[family][1]


def alerts_for_achievement(
    engine: MatchEngine,
    achievement: Listing,
    saved_demands: Iterable[Listing],
    threshold: float | None = None,
) -> list[Alert]:
    """Alerts (demand id, score, explanation) for a newly published ``achievement``."""
    if engine.embedder is None:
        raise ValueError("alerts need an embedder: they are scored by semantic similarity")
    if achievement.kind != "achievement":
        raise ValueError(f"{achievement.id} is a {achievement.kind}, not an achievement")
    if achievement.status != "published":
        return []
    if achievement.id not in engine.listings:
        engine.add([achievement])
    limit = default_threshold(engine.embedder.model_id) if threshold is None else threshold
    only = HardFilters(**{**ANY.__dict__, "only_ids": frozenset({achievement.id})})
    out: list[Alert] = []
    for demand in saved_demands:
        if demand.kind != "demand" or demand.status != "published":
            continue
        res = engine.match(demand, target_kind="achievement", k=1, filters=only)
        if not res or res[0].cosine is None or res[0].cosine < limit:
            continue
        out.append(Alert(demand.id, achievement.id, res[0].cosine, res[0].explanation))
    out.sort(key=lambda a: (-a.score, a.demand_id))
    return out
