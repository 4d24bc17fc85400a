from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from observatory.market.alerts import alerts_for_achievement
from observatory.market.embedders import HashingEmbedder
from observatory.market.engine import MatchEngine
from observatory.market.features import ANY, HardFilters, SoftWeights
from observatory.market.feedback import FeedbackEvent, FeedbackLearner
from observatory.market.store import InMemoryVectorStore
from tests.market.conftest import make

TODAY = date(2026, 11, 1)


def test_demand_to_achievements_default_filters(match_engine) -> None:
    res = match_engine.match("D001", k=10)
    assert len(res) == 10
    got = [match_engine.listings[m.listing_id] for m in res]
    assert all(x.kind == "achievement" and x.status == "published" for x in got)
    assert all(x.visibility == "public" for x in got)
    assert [m.rank for m in res] == list(range(1, 11))
    assert all(a.score >= b.score for a, b in zip(res, res[1:], strict=False))
    # The anti-corrosion coating (hand-written to answer D001) is among the first results.
    assert {"A001", "A002"} & {m.listing_id for m in res[:3]}


def test_both_directions_and_similar(match_engine) -> None:
    demands = match_engine.match("A001", k=5)
    assert all(match_engine.listings[m.listing_id].kind == "demand" for m in demands)
    assert demands[0].listing_id == "D001"
    similar = match_engine.match("A001", target_kind="achievement", k=5, filters=ANY)
    assert "A001" not in {m.listing_id for m in similar}
    assert similar[0].listing_id == "A002"  # its pilot-scale twin


@pytest.mark.parametrize(
    "filters",
    [
        HardFilters(region_prefix="3702"),
        HardFilters(region_prefix="370211", trl_min=5),
        HardFilters(fields=frozenset({"marine", "new_materials"}), trl_min=6, trl_max=9),
        HardFilters(max_price_yuan=Decimal("1000000")),
        HardFilters(statuses=frozenset({"draft", "withdrawn"}), visibilities=None),
    ],
)
def test_hard_filters_still_return_k(match_engine, fixture_listings, filters: HardFilters) -> None:
    passing = [x for x in fixture_listings if x.kind == "achievement" and filters.admits(x)]
    for k in (5, 10):
        res = match_engine.match("D001", k=k, filters=filters)
        assert len(res) == min(k, len(passing))
        assert all(filters.admits(match_engine.listings[m.listing_id]) for m in res)


def _pair_engine(weights: SoftWeights | None = None) -> MatchEngine:
    eng = MatchEngine(HashingEmbedder(), weights=weights, today=TODAY)
    demand = make(
        "D",
        "demand",
        zh="海水淡化反渗透膜",
        field="marine",
        trl=6,
        budget_yuan=Decimal(1_000_000),
        region_code="370211",
    )
    same_text = "海水淡化反渗透膜组件"
    good = make(
        "G",
        "achievement",
        zh=same_text,
        field="marine",
        trl=7,
        price_yuan=Decimal(800_000),
        region_code="370212",
        published_on=TODAY,
    )
    bad = make(
        "B",
        "achievement",
        zh=same_text,
        field="new_materials",
        trl=3,
        price_yuan=Decimal(3_000_000),
        region_code="440305",
        published_on=date(2023, 1, 1),
    )
    eng.add([demand, bad, good])
    return eng


def test_soft_features_order_equal_texts() -> None:
    res = _pair_engine().match("D", k=2)
    assert [m.listing_id for m in res] == ["G", "B"]
    assert res[0].relevance == pytest.approx(res[1].relevance, abs=0.02)
    good = {c.name: c.met for c in res[0].explanation.criteria}
    bad = {c.name: c.met for c in res[1].explanation.criteria}
    assert good == {"field": True, "trl": True, "price": True, "region": True, "freshness": True}
    assert bad == {n: False for n in good}
    # With every weight at zero the structured fields no longer separate the two.
    flat = _pair_engine(SoftWeights(0, 0, 0, 0, 0)).match("D", k=2)
    assert flat[0].score == pytest.approx(flat[0].relevance)


def test_explanation_bilingual(match_engine) -> None:
    m = match_engine.match("D001", k=1)[0]
    d = m.explanation.to_dict()
    assert d["matched_terms"] and set(d["matched_terms"]) <= set(
        match_engine.listings["D001"].text().lower() + " "
    ) | set(d["matched_terms"])
    assert any("防腐" in t or "corrosion" in t for t in d["matched_terms"])
    assert d["semantic"]["band"] in {"high", "medium", "low"}
    assert {c["criterion"] for c in d["criteria"]} == {
        "field",
        "trl",
        "price",
        "region",
        "freshness",
    }
    assert d["en"][0].startswith("matched terms") and d["zh"][0].startswith("匹配词")
    assert any("技术领域一致" in line for line in d["zh"])


class CountingEmbedder(HashingEmbedder):
    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim)
        self.calls = 0

    def embed(self, texts, kind="passage"):  # type: ignore[override]
        self.calls += len(texts)
        return super().embed(texts, kind)


def test_vector_store_avoids_reembedding() -> None:
    store = InMemoryVectorStore()
    emb = CountingEmbedder()
    a = make("A", "achievement", zh="石墨烯导热膜")
    MatchEngine(emb, store=store).add([a])
    assert emb.calls == 1
    MatchEngine(emb, store=store).add([a])  # same text, same model: from the store
    assert emb.calls == 1
    MatchEngine(emb, store=store).add([make("A", "achievement", zh="石墨烯导热膜 新版")])
    assert emb.calls == 2  # text changed
    other = CountingEmbedder(dim=32)
    MatchEngine(other, store=store).add([a])
    assert other.calls == 1  # model changed


def test_incremental_add_remove_and_compaction(fixture_listings) -> None:
    achievements = [x for x in fixture_listings if x.kind == "achievement"]
    demands = [x for x in fixture_listings if x.kind == "demand"]
    inc = MatchEngine(HashingEmbedder(), today=TODAY, compact_ratio=10.0)
    inc.add(achievements[:150] + demands)
    inc.add(achievements[150:])
    assert inc._kinds["achievement"].lex.delta_size == 50  # added without a rebuild
    new = make(
        "NEW",
        "achievement",
        zh="海上平台钢结构石墨烯防腐涂层",
        en="offshore anti-corrosion",
        field="marine",
        published_on=TODAY,
    )
    inc.add([new])
    assert "NEW" in [m.listing_id for m in inc.match("D001", k=5)]
    inc.remove(["NEW", "A001"])
    assert not {"NEW", "A001"} & {m.listing_id for m in inc.match("D001", k=20)}
    inc.compact()
    fresh = MatchEngine(HashingEmbedder(), today=TODAY)
    fresh.add([x for x in fixture_listings if x.id != "A001"])
    for d in ("D001", "D010", "D025"):
        assert [m.listing_id for m in inc.match(d, k=10)] == [
            m.listing_id for m in fresh.match(d, k=10)
        ]


def test_alerts_for_new_achievement(match_engine, fixture_listings) -> None:
    demands = [x for x in fixture_listings if x.kind == "demand"]
    new = make(
        "NEW",
        "achievement",
        zh="海洋平台钢结构长效防腐涂层",
        field="marine",
        status="published",
        published_on=TODAY,
    )
    alerts = alerts_for_achievement(match_engine, new, demands)
    assert alerts and alerts[0].demand_id == "D001"
    assert all(a.score >= 0.2 for a in alerts)
    assert all(alerts[i].score >= alerts[i + 1].score for i in range(len(alerts) - 1))
    unrelated = {a.demand_id for a in alerts} & {"D016", "D017", "D025"}
    assert not unrelated
    strict = alerts_for_achievement(match_engine, new, demands, threshold=0.99)
    assert strict == []


def test_feedback_penalises_declined_pair(match_engine) -> None:
    first = match_engine.match("D001", k=3)[0].listing_id
    FeedbackLearner(match_engine).record(FeedbackEvent("D001", first, "declined"))
    res = match_engine.match("D001", k=10)
    assert res[0].listing_id != first
    demoted = next(m for m in res if m.listing_id == first)
    assert demoted.explanation.penalty > 0


def test_feedback_learns_price_weight() -> None:
    eng = _pair_engine(SoftWeights(field=0, trl=0, price=0.0, region=0, freshness=0))
    learner = FeedbackLearner(eng, lr=0.1)
    before = eng.weights.price
    for _ in range(5):
        learner.record(FeedbackEvent("D", "G", "contracted"))  # within budget
        learner.record(FeedbackEvent("D", "B", "declined"))  # over budget
    assert eng.weights.price > before + 0.1
    assert eng.weights.price <= learner.max_weight
    assert [m.listing_id for m in eng.match("D", k=2)] == ["G", "B"]
    with pytest.raises(ValueError):
        learner.record(FeedbackEvent("D", "G", "maybe"))  # type: ignore[arg-type]


def test_dense_index_ivf_filtered_returns_k() -> None:
    from observatory.market.retrievers import DenseIndex

    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(3000, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    idx = DenseIndex(16)
    idx.append(vecs)
    q = vecs[0]
    mask = np.zeros(3000, dtype=bool)
    mask[::97] = True  # a rare filter
    exact, _ = idx.search(q, mask, 10)
    idx.build_ivf(64)
    approx, _ = idx.search(q, mask, 10, nprobe=2)
    assert len(approx) == 10 and mask[approx].all()
    full, _ = idx.search(q, mask, 10, nprobe=64)  # probing every list is exact
    assert list(full) == list(exact)


def test_engine_with_ivf_keeps_filtered_k(fixture_listings) -> None:
    eng = MatchEngine(HashingEmbedder(), today=TODAY, ann_threshold=100)
    eng.add(fixture_listings)
    assert eng._kinds["achievement"].dense.centroids is not None  # 200 achievements >= 100
    flt = HardFilters(region_prefix="370211", fields=frozenset({"marine", "ai", "vr"}))
    passing = [x for x in fixture_listings if x.kind == "achievement" and flt.admits(x)]
    assert 0 < len(passing) < 20
    res = eng.match("D001", k=20, filters=flt)
    assert sorted(m.listing_id for m in res) == sorted(x.id for x in passing)


def test_lexical_scores_equal_bm25s(fixture_listings) -> None:
    from observatory.market.retrievers import BM25Segment
    from observatory.market.text import tokenise

    seg = BM25Segment(0, [tokenise(x.text()) for x in fixture_listings], 1.5, 0.75)
    for q in ["海上平台钢结构防腐 coating", "电池 电池 battery storage", "毫无关系的词"]:
        qt = tokenise(q)
        ids = [seg.vocab[t] for t in qt if t in seg.vocab]
        ref = seg.model.get_scores_from_ids(ids) if ids else np.zeros(seg.n)
        assert np.allclose(seg.scores(qt), ref[: seg.n], atol=1e-5)


def test_cosine_needs_a_query_vector(fixture_listings) -> None:
    a, b = fixture_listings[0], fixture_listings[1]
    hybrid = MatchEngine(HashingEmbedder())
    hybrid.add(fixture_listings)
    assert -1.0 <= hybrid.cosine(a, b) <= 1.0
    # bm25 mode embeds nothing: a clear error, not numpy's matmul on None.
    lexical = MatchEngine(HashingEmbedder(), mode="bm25")
    lexical.add(fixture_listings)
    with pytest.raises(ValueError, match="no embedder"):
        lexical.cosine(a, b)
