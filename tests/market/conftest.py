"""Shared fixtures for the matching tests: jieba's cache in a temp dir, a fixture engine."""

from __future__ import annotations

from datetime import date

import jieba
import pytest

from observatory.market.embedders import HashingEmbedder
from observatory.market.engine import MatchEngine
from observatory.market.listing import Listing, ListingText, load_fixture


@pytest.fixture(autouse=True, scope="session")
def _jieba_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    jieba.dt.tmp_dir = str(tmp_path_factory.mktemp("jieba"))


@pytest.fixture(scope="session")
def fixture_listings() -> list[Listing]:
    return load_fixture()


@pytest.fixture()
def match_engine(fixture_listings: list[Listing]) -> MatchEngine:
    eng = MatchEngine(HashingEmbedder(), today=date(2026, 11, 1))
    eng.add(fixture_listings)
    return eng


def make(lid: str, kind: str, zh: str = "", en: str = "", **kw: object) -> Listing:
    """A listing with a title in one or both languages."""
    texts = {}
    if zh:
        texts["zh"] = ListingText(title=zh)
    if en:
        texts["en"] = ListingText(title=en)
    return Listing(id=lid, kind=kind, texts=texts, **kw)  # type: ignore[arg-type]
