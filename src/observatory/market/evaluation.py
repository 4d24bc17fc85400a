"""Evaluate retrieval on anyone's labelled data: corpus, queries and graded relevance (qrels).

Files (CSV, UTF-8, header required): corpus ``doc_id,text``; queries ``query_id,text``; qrels
``query_id,doc_id,grade`` (grade > 0 is relevant; larger is better). Metrics at cut-off k
(standard TREC definitions, see docs/methodology/matching.md):
- recall@k: relevant documents retrieved in the top k / relevant documents;
- P@k: relevant documents in the top k / k;
- MRR@k: 1 / rank of the first relevant document (0 if none in the top k);
- nDCG@k: sum over ranks i of (2^grade - 1) / log2(i + 1), divided by the same sum for the
  ideal ordering of the judged documents.
Each metric is averaged over the queries that have at least one relevant document.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from observatory.market.embedders import Embedder, Kind
from observatory.market.engine import MatchEngine, Mode
from observatory.market.features import ANY
from observatory.market.listing import Listing, ListingText


class EvalFileError(ValueError):
    """A bad evaluation file: says file, row, field, value and reason in English and Chinese."""

    def __init__(
        self, file: str, row: int | None, fieldname: str | None, value: object, en: str, zh: str
    ) -> None:
        self.file, self.row, self.field, self.value = file, row, fieldname, value
        loc = file + (f", row {row}" if row else "")
        loc_zh = file + (f"，第 {row} 行" if row else "")
        what = f", field {fieldname!r} = {value!r}" if fieldname else ""
        super().__init__(f"{loc}{what}: {en} / {loc_zh}{what}：{zh}")


def _read_csv(path: str | Path, columns: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise EvalFileError(name, None, None, None, "file not found", "文件不存在")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise EvalFileError(name, None, None, None, "not UTF-8 text", "不是 UTF-8 文本") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in columns if c not in header]
    if missing:
        raise EvalFileError(
            name,
            1,
            missing[0],
            header,
            f"header must have columns {list(columns)}",
            f"表头须包含列 {list(columns)}",
        )
    rows = []
    for i, rec in enumerate(reader, start=2):
        for c in columns:
            if rec.get(c) is None or not str(rec[c]).strip():
                raise EvalFileError(name, i, c, rec.get(c), "empty value", "值为空")
        rows.append((i, rec))
    if not rows:
        raise EvalFileError(name, None, None, None, "no rows", "没有数据行")
    return rows


def load_texts(path: str | Path, id_col: str) -> dict[str, str]:
    """``id -> text`` from a two-column CSV; duplicate ids are an error."""
    out: dict[str, str] = {}
    for row, rec in _read_csv(path, (id_col, "text")):
        key = rec[id_col].strip()
        if key in out:
            raise EvalFileError(str(path), row, id_col, key, "duplicate id", "编号重复")
        out[key] = rec["text"]
    return out


def load_qrels(
    path: str | Path, queries: Mapping[str, str], corpus: Mapping[str, str]
) -> dict[str, dict[str, int]]:
    """``query_id -> {doc_id: grade}``; unknown ids and non-integer grades are errors."""
    out: dict[str, dict[str, int]] = {}
    for row, rec in _read_csv(path, ("query_id", "doc_id", "grade")):
        qid, did = rec["query_id"].strip(), rec["doc_id"].strip()
        if qid not in queries:
            raise EvalFileError(
                str(path), row, "query_id", qid, "not in the queries file", "查询文件中没有该编号"
            )
        if did not in corpus:
            raise EvalFileError(
                str(path), row, "doc_id", did, "not in the corpus file", "语料文件中没有该编号"
            )
        try:
            grade = int(rec["grade"])
        except ValueError:
            raise EvalFileError(
                str(path), row, "grade", rec["grade"], "grade must be an integer", "等级须为整数"
            ) from None
        out.setdefault(qid, {})[did] = grade
    return out


def metrics_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int = 10) -> dict[str, float]:
    """recall, precision, MRR and nDCG at ``k`` for one query."""
    top = list(ranked[:k])
    relevant = {d for d, g in judged.items() if g > 0}
    hits = [d in relevant for d in top]
    dcg = sum((2 ** judged.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(top))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    first = next((i for i, h in enumerate(hits) if h), None)
    return {
        "recall": sum(hits) / len(relevant) if relevant else 0.0,
        "precision": sum(hits) / k,
        "mrr": 0.0 if first is None else 1.0 / (first + 1),
        "ndcg": dcg / idcg if idcg else 0.0,
    }


@dataclass(frozen=True)
class EvalResult:
    """Averaged metrics over the queries with at least one relevant document."""

    k: int
    n_queries: int
    n_docs: int
    mode: str
    model_id: str | None
    recall: float
    precision: float
    mrr: float
    ndcg: float

    def as_dict(self) -> dict[str, object]:
        k = self.k
        return {
            "mode": self.mode,
            "model_id": self.model_id,
            "queries": self.n_queries,
            "docs": self.n_docs,
            f"recall@{k}": round(self.recall, 4),
            f"ndcg@{k}": round(self.ndcg, 4),
            f"mrr@{k}": round(self.mrr, 4),
            f"p@{k}": round(self.precision, 4),
        }


def _as_listing(doc_id: str, text: str) -> Listing:
    lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
    return Listing(id=doc_id, kind="achievement", texts={lang: ListingText(summary=text)})


def evaluate(
    corpus: Mapping[str, str],
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    embedder: Embedder | None = None,
    mode: Mode = "hybrid",
    k: int = 10,
    batch: int = 64,
    query_kind: Kind = "query",
    doc_kind: Kind = "passage",
) -> EvalResult:
    """Index ``corpus`` in a :class:`MatchEngine`, run every judged query, average the metrics.

    ``query_kind``/``doc_kind`` choose e5's prefixes: when long texts search short ones
    (abstract -> title), embedding the short side as the query keeps e5's trained asymmetry
    (and reuses vectors already cached for the other direction); cosine is symmetric.
    """
    engine = MatchEngine(embedder, mode=mode, depth=max(100, k))
    doc_ids = list(corpus)
    vectors = None
    if mode != "bm25" and embedder is not None:
        vectors = embedder.embed([corpus[d] for d in doc_ids], kind=doc_kind)
    engine.add([_as_listing(d, corpus[d]) for d in doc_ids], vectors=vectors)
    qids = [q for q in queries if any(g > 0 for g in qrels.get(q, {}).values())]
    sums = {"recall": 0.0, "precision": 0.0, "mrr": 0.0, "ndcg": 0.0}
    for start in range(0, len(qids), batch):
        chunk = qids[start : start + batch]
        qvecs = None
        if mode != "bm25" and embedder is not None:
            qvecs = embedder.embed([queries[q] for q in chunk], kind=query_kind)
        for j, qid in enumerate(chunk):
            res = engine.query(
                queries[qid], k=k, filters=ANY, query_vector=None if qvecs is None else qvecs[j]
            )
            m = metrics_at_k([r.listing_id for r in res], qrels[qid], k)
            for key in sums:
                sums[key] += m[key]
    n = max(len(qids), 1)
    return EvalResult(
        k=k,
        n_queries=len(qids),
        n_docs=len(doc_ids),
        mode=mode,
        model_id=None if embedder is None or mode == "bm25" else embedder.model_id,
        **{key: v / n for key, v in sums.items()},
    )
