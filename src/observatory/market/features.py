"""Hard filters and soft structured features of a (source, candidate) pair.

Hard filters decide which listings may be returned at all. Soft features are numbers in [0, 1]
that re-score the retrieved candidates with configurable weights; each also says whether its
criterion is *met*, for the explanation. Definitions (see docs/methodology/matching.md):
- field: 1 when both listings name the same field, else 0; met when equal.
- trl: a demand's TRL is the minimum it accepts. Achievement TRL a against required d: 1 when
  a >= d, else max(0, 1 - (d - a)/3). Two achievements: 1 - |a - b|/8. Met when 1.
- price: achievement price P against demand budget B: 1 when P <= B, else max(0, 1 - (P - B)/B).
  Two achievements: min/max of the prices. Met when P <= B (or ratio >= 0.5).
- region: GB/T 2260 codes share the first 2 (province), 4 (prefecture) or 6 (county) digits:
  0.5, 0.8, 1.0; otherwise 0. Met when at least the province is shared.
- freshness: 0.5 ** (age in days / half-life) of the candidate; met when age <= 365 days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import Decimal

import numpy as np

from observatory.market.listing import Listing

SOFT_FEATURES: tuple[str, ...] = ("field", "trl", "price", "region", "freshness")

FEATURE_NAMES: dict[str, tuple[str, str]] = {
    "field": ("Same technology field", "技术领域一致"),
    "trl": ("Maturity (TRL) fits", "技术成熟度符合"),
    "price": ("Price within budget", "价格在预算内"),
    "region": ("Nearby region", "地区相近"),
    "freshness": ("Recently published", "近期发布"),
}


@dataclass(frozen=True)
class SoftWeights:
    """Weights of the soft features, added to the fused relevance (which lies in (0, 1])."""

    field: float = 0.12
    trl: float = 0.08
    price: float = 0.08
    region: float = 0.04
    freshness: float = 0.03
    freshness_half_life_days: float = 365.0

    def as_dict(self) -> dict[str, float]:
        return {f: getattr(self, f) for f in SOFT_FEATURES}

    def with_values(self, values: dict[str, float]) -> SoftWeights:
        return replace(self, **values)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass(frozen=True)
class HardFilters:
    """Conditions a candidate must meet to be returned at all (None = no condition)."""

    statuses: frozenset[str] | None = frozenset({"published"})
    visibilities: frozenset[str] | None = frozenset({"public"})
    region_prefix: str | None = None
    fields: frozenset[str] | None = None
    trl_min: int | None = None
    trl_max: int | None = None
    max_price_yuan: Decimal | None = None
    min_budget_yuan: Decimal | None = None
    exclude_ids: frozenset[str] = field(default_factory=frozenset)
    only_ids: frozenset[str] | None = None

    def admits(self, c: Listing) -> bool:
        """Whether listing ``c`` passes every condition."""
        if self.statuses is not None and c.status not in self.statuses:
            return False
        if self.visibilities is not None and c.visibility not in self.visibilities:
            return False
        if self.region_prefix and not (c.region_code or "").startswith(self.region_prefix):
            return False
        if self.fields is not None and c.field not in self.fields:
            return False
        if self.trl_min is not None and (c.trl is None or c.trl < self.trl_min):
            return False
        if self.trl_max is not None and (c.trl is None or c.trl > self.trl_max):
            return False
        if self.max_price_yuan is not None and (
            c.price_yuan is None or c.price_yuan > self.max_price_yuan
        ):
            return False
        if self.min_budget_yuan is not None and (
            c.budget_yuan is None or c.budget_yuan < self.min_budget_yuan
        ):
            return False
        if c.id in self.exclude_ids:
            return False
        return self.only_ids is None or c.id in self.only_ids


ANY = HardFilters(statuses=None, visibilities=None)


@dataclass(frozen=True)
class FeatureValue:
    """One soft feature of a pair: value in [0, 1] (None: not applicable) and whether met."""

    name: str
    value: float | None
    met: bool | None
    detail_en: str
    detail_zh: str


def region_proximity(a: str | None, b: str | None) -> float | None:
    """Proximity of two GB/T 2260 codes by shared prefix: county 1.0, city 0.8, province 0.5."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    if a[:4] == b[:4]:
        return 0.8
    if a[:2] == b[:2]:
        return 0.5
    return 0.0


def _trl(src: Listing, cand: Listing) -> FeatureValue:
    a, b = src.trl, cand.trl
    if a is None or b is None:
        return FeatureValue("trl", None, None, "TRL unknown", "技术成熟度未知")
    if src.kind == "demand" or cand.kind == "demand":
        need, have = (a, b) if src.kind == "demand" else (b, a)
        v = 1.0 if have >= need else max(0.0, 1 - (need - have) / 3)
        return FeatureValue(
            "trl",
            v,
            have >= need,
            f"TRL {have} vs required ≥ {need}",
            f"成熟度 {have}，要求 ≥ {need}",
        )
    v = 1 - abs(a - b) / 8
    return FeatureValue("trl", v, abs(a - b) <= 1, f"TRL {b} vs {a}", f"成熟度 {b}，对照 {a}")


def _price(src: Listing, cand: Listing) -> FeatureValue:
    if src.kind == cand.kind:
        p, q = src.money_yuan, cand.money_yuan
        if p is None or q is None or max(p, q) == 0:
            return FeatureValue("price", None, None, "price unknown", "价格未知")
        v = float(min(p, q) / max(p, q))
        return FeatureValue(
            "price", v, v >= 0.5, f"{q:,.0f} vs {p:,.0f} yuan", f"{q:,.0f} 元，对照 {p:,.0f} 元"
        )
    demand, ach = (src, cand) if src.kind == "demand" else (cand, src)
    budget, price = demand.budget_yuan, ach.price_yuan
    if budget is None or price is None:
        return FeatureValue("price", None, None, "price or budget unknown", "价格或预算未知")
    if price <= budget:
        v = 1.0
    else:
        v = max(0.0, 1 - float((price - budget) / budget)) if budget > 0 else 0.0
    return FeatureValue(
        "price",
        v,
        price <= budget,
        f"price {price:,.0f} vs budget {budget:,.0f} yuan",
        f"报价 {price:,.0f} 元，预算 {budget:,.0f} 元",
    )


def soft_features(
    src: Listing | None, cand: Listing, weights: SoftWeights, today: date
) -> dict[str, FeatureValue]:
    """Every soft feature of (src, cand); with no source listing only freshness applies."""
    out: dict[str, FeatureValue] = {}
    if src is not None:
        if src.field and cand.field:
            same = src.field == cand.field
            out["field"] = FeatureValue(
                "field",
                float(same),
                same,
                f"{cand.field} vs {src.field}",
                f"{cand.field}，对照 {src.field}",
            )
        else:
            out["field"] = FeatureValue("field", None, None, "field unknown", "领域未知")
        out["trl"] = _trl(src, cand)
        out["price"] = _price(src, cand)
        rp = region_proximity(src.region_code, cand.region_code)
        out["region"] = FeatureValue(
            "region",
            rp,
            None if rp is None else rp >= 0.5,
            f"{cand.region_code} vs {src.region_code}",
            f"{cand.region_code}，对照 {src.region_code}",
        )
    if cand.published_on is None:
        out["freshness"] = FeatureValue("freshness", None, None, "date unknown", "发布日期未知")
    else:
        age = max(0, (today - cand.published_on).days)
        v = float(0.5 ** (age / weights.freshness_half_life_days))
        out["freshness"] = FeatureValue(
            "freshness", v, age <= 365, f"published {age} days ago", f"{age} 天前发布"
        )
    return out


def soft_score(feats: dict[str, FeatureValue], weights: Mapping[str, float]) -> float:
    """Weighted sum of the applicable feature values (``weights``: :meth:`SoftWeights.as_dict`)."""
    return float(sum(weights[n] * f.value for n, f in feats.items() if f.value is not None))


def feature_vector(feats: dict[str, FeatureValue]) -> np.ndarray:
    """Feature values in :data:`SOFT_FEATURES` order, 0 where not applicable."""
    return np.array(
        [
            feats[n].value if n in feats and feats[n].value is not None else 0.0
            for n in SOFT_FEATURES
        ],
        dtype=np.float64,
    )
