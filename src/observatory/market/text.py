"""Tokenisation for bilingual lexical matching and stable text hashes.

Chinese has no spaces, so a listing is tokenised three ways at once: jieba's search-mode words
(``lcut_for_search`` also emits the short words inside long compounds), CJK character bigrams
(they catch domain terms that jieba's general dictionary splits badly, such as 防腐涂层), and
lower-cased Latin/number tokens for English text and model numbers. BM25 then weighs them all.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_LATIN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
_IS_CJK = re.compile(f"^[{_CJK}]+$")
_PUNCT_ONLY = re.compile(r"^[\W_]+$")

# A small bilingual stop list: words that occur in nearly every listing and carry no topic.
STOPWORDS: frozenset[str] = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "which",
        "with",
        "we",
        "can",
        "into",
        "using",
        "based",
        "via",
        "new",
        "high",
        "low",
        "system",
        "method",
        "technology",
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "在",
        "是",
        "为",
        "对",
        "等",
        "中",
        "一种",
        "一个",
        "其",
        "并",
        "将",
        "可",
        "以",
        "由",
        "于",
        "上",
        "下",
        "该",
        "本",
        "我们",
        "通过",
        "进行",
        "用于",
    ]
)

_jieba_ready = False


def _ensure_jieba() -> None:
    """Point jieba's cache at a writable directory before its first use."""
    global _jieba_ready
    if _jieba_ready:
        return
    tmp_dir = getattr(jieba.dt, "tmp_dir", None)
    if not tmp_dir or not os.access(tmp_dir, os.W_OK):
        jieba.dt.tmp_dir = os.environ.get("OBSERVATORY_JIEBA_TMP", tempfile.gettempdir())
    jieba.setLogLevel(60)
    _jieba_ready = True


def normalise(text: str) -> str:
    """NFKC-fold (full-width letters and digits become ASCII) and lower-case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def cjk_bigrams(run: str) -> list[str]:
    """Character bigrams of one run of CJK characters (a single character yields itself)."""
    if len(run) < 2:
        return [run] if run else []
    return [run[i : i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=200_000)
def _tokenise_cached(text: str) -> tuple[str, ...]:
    """Tokens interned: a corpus repeats a small vocabulary, so each token is stored once
    (un-interned, the token strings of every listing took about half of the lexical index's
    memory; see docs/benchmarks.md)."""
    _ensure_jieba()
    norm = normalise(text)
    out: list[str] = []
    for word in jieba.lcut_for_search(norm):
        word = word.strip()
        if not word or _PUNCT_ONLY.match(word) or word in STOPWORDS:
            continue
        if _IS_CJK.match(word):
            out.append(word)
    for run in _CJK_RUN.findall(norm):
        out.extend("#" + bg for bg in cjk_bigrams(run) if len(bg) == 2)
    out.extend(tok for tok in _LATIN.findall(norm) if tok not in STOPWORDS)
    return tuple(map(sys.intern, out))


def tokenise(text: str) -> list[str]:
    """Lexical tokens of ``text``: jieba words, ``#``-marked CJK bigrams, Latin tokens.

    >>> tokenise("Marine anti-corrosion 防腐涂层")[:3]
    ['防腐', '涂层', '#防腐']
    """
    return list(_tokenise_cached(text))


def display_terms(tokens: Iterable[str]) -> list[str]:
    """Tokens as a person reads them: bigram markers dropped, duplicates removed, order kept."""
    seen: dict[str, None] = {}
    for tok in tokens:
        seen.setdefault(tok.lstrip("#"), None)
    return list(seen)


def text_hash(text: str) -> str:
    """A stable content hash: the cache key that decides whether a text must be re-embedded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
