"""Learning from brokers: declined and contracted matches adjust the engine.

Two small, inspectable rules (docs/methodology/matching.md):
1. Pair memory. A declined (source, target) pair gets ``decline_penalty`` subtracted from its
   score from then on, so the same suggestion does not come back at the top; a contract on
   the pair clears it.
2. Weight update. Each outcome y (+1 contracted, -1 declined) nudges the soft-feature weights
   towards the features that separate contracts from declines:
   w_i <- clip(w_i + lr * y * (x_i - mean_i), 0, max_weight),
   where x_i is the pair's feature value and mean_i the running mean of feature i over the
   feedback seen before (starting at 0.5), so a feature every pair shares does not drift.
   This is a perceptron-style step on a linear score; weights stay non-negative and bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from observatory.market.engine import MatchEngine
from observatory.market.features import SOFT_FEATURES, feature_vector, soft_features

Outcome = Literal["declined", "contracted"]


@dataclass(frozen=True)
class FeedbackEvent:
    """A broker's verdict on a suggested pair."""

    source_id: str
    target_id: str
    outcome: Outcome


class FeedbackLearner:
    """Applies :class:`FeedbackEvent` s to an engine's weights and pair penalties."""

    def __init__(
        self,
        engine: MatchEngine,
        lr: float = 0.05,
        decline_penalty: float = 0.3,
        max_weight: float = 0.5,
    ) -> None:
        self.engine = engine
        self.lr, self.decline_penalty, self.max_weight = lr, decline_penalty, max_weight
        self.mean = np.full(len(SOFT_FEATURES), 0.5)
        self.n = 0
        self.history: list[FeedbackEvent] = []

    def record(self, event: FeedbackEvent) -> dict[str, float]:
        """Apply one event; returns the new weights."""
        if event.outcome not in ("declined", "contracted"):
            raise ValueError(f"outcome must be 'declined' or 'contracted', got {event.outcome!r}")
        eng = self.engine
        src, tgt = eng.listings[event.source_id], eng.listings[event.target_id]
        key = (src.id, tgt.id)
        if event.outcome == "declined":
            eng.pair_penalty[key] = self.decline_penalty
        else:
            eng.pair_penalty.pop(key, None)
        x = feature_vector(soft_features(src, tgt, eng.weights, eng.today))
        y = 1.0 if event.outcome == "contracted" else -1.0
        w = np.array([eng.weights.as_dict()[f] for f in SOFT_FEATURES])
        w = np.clip(w + self.lr * y * (x - self.mean), 0.0, self.max_weight)
        self.n += 1
        self.mean += (x - self.mean) / (self.n + 1)  # the 0.5 prior counts as one observation
        eng.weights = eng.weights.with_values(dict(zip(SOFT_FEATURES, w.tolist(), strict=True)))
        self.history.append(event)
        return eng.weights.as_dict()
