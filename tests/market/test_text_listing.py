from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from observatory.market.listing import ListingsFileError, load_listings_file
from observatory.market.text import text_hash, tokenise


def test_tokenise_mixes_words_bigrams_and_english() -> None:
    toks = tokenise("Marine Anti-Corrosion 防腐涂层")
    assert "防腐" in toks and "涂层" in toks  # jieba words
    assert "#腐涂" in toks  # a CJK bigram jieba would not produce
    assert "marine" in toks and "anti-corrosion" in toks  # lower-cased English
    assert "的" not in tokenise("海洋的防腐")


def test_tokens_are_interned_so_a_corpus_stores_each_once() -> None:
    """Two listings sharing words share the token objects (the lexical index's memory)."""
    first = tokenise("海洋防腐涂层 marine coating 海洋防腐涂层")
    second = tokenise("新型海洋防腐涂层材料 marine coating")
    assert all(t is sys.intern(t) for t in first + second)
    shared = set(first) & set(second)
    assert {"#防腐", "marine", "coating"} <= shared
    by_value = {t: t for t in first}
    assert all(by_value[t] is t for t in second if t in by_value)


def test_text_hash_changes_with_text() -> None:
    assert text_hash("a") == text_hash("a") != text_hash("b")


def test_fixture_shape(fixture_listings) -> None:
    kinds = [x.kind for x in fixture_listings]
    assert kinds.count("achievement") == 200 and kinds.count("demand") == 30
    assert all(x.extra.get("synthetic") for x in fixture_listings)
    langs = {tuple(sorted(x.texts)) for x in fixture_listings}
    assert {("zh",), ("en",), ("en", "zh")} <= langs  # monolingual listings on both sides


def _write(tmp_path: Path, recs: list[dict]) -> Path:
    p = tmp_path / "l.json"
    p.write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
    return p


GOOD = {"id": "X1", "kind": "demand", "texts": {"zh": {"title": "海水淡化"}}, "budget_yuan": "100"}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"trl": 12}, "trl"),
        ({"region_code": "3702"}, "region_code"),
        ({"status": "live"}, "status"),
        ({"kind": "offer"}, "kind"),
        ({"budget_yuan": "-5"}, "budget_yuan"),
        ({"published_on": "2026/01/01"}, "published_on"),
        ({"texts": {}}, "texts"),
        ({"field": "astrology"}, "field"),
    ],
)
def test_bad_record_names_row_and_field(tmp_path: Path, patch: dict, field: str) -> None:
    p = _write(tmp_path, [GOOD | {"id": "X0"}, GOOD | patch])
    with pytest.raises(ListingsFileError) as exc:
        load_listings_file(p)
    assert exc.value.row == 2 and exc.value.field == field
    assert str(p) in str(exc.value) and "：" in str(exc.value)  # English and Chinese


def test_duplicate_id_and_bad_json(tmp_path: Path) -> None:
    with pytest.raises(ListingsFileError, match="duplicate id"):
        load_listings_file(_write(tmp_path, [GOOD, GOOD]))
    p = tmp_path / "bad.json"
    p.write_text("[{", encoding="utf-8")
    with pytest.raises(ListingsFileError, match="invalid JSON"):
        load_listings_file(p)


def test_csv_listings(tmp_path: Path) -> None:
    p = tmp_path / "l.csv"
    p.write_text(
        "id,kind,title_zh,title_en,keywords_zh,price_yuan,region_code,trl\n"
        "A1,achievement,防腐涂层,Coating,涂层;防腐,500000,370202,6\n"
        "A2,achievement,,Buoy,,,370211,\n",
        encoding="utf-8",
    )
    a1, a2 = load_listings_file(p)
    assert a1.price_yuan == Decimal("500000") and a1.texts["zh"].keywords == ("涂层", "防腐")
    assert a2.texts.keys() == {"en"} and a2.trl is None
    p.write_text("id,kind,trl\nA1,achievement,x\n", encoding="utf-8")
    with pytest.raises(ListingsFileError) as exc:
        load_listings_file(p)
    assert exc.value.row == 2 and exc.value.field == "texts"
