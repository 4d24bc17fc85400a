"""The two retrievers over one set of rows: BM25 (bm25s) and dense vectors (NumPy).

Rows are positions shared by both retrievers and by the structured columns the hard filters
read. Updates are incremental:
- adding appends rows: vectors go to the end of a growing matrix; tokens go to a small *delta*
  BM25 segment that is rebuilt on each add (cheap: it is small), next to the large *main*
  segment that is left alone;
- removing sets a tombstone, which every search masks out;
- when the delta outgrows ``compact_ratio`` of the main segment (or tombstones pile up),
  :meth:`RowIndex.compact` rebuilds one segment from the live rows.
Between compactions a delta row's BM25 score uses the delta's own document statistics (IDF,
average length), an approximation that compaction removes. Hard filters are a boolean mask
applied before ranking (bm25s' ``weight_mask``; ``-inf`` for dense), so a filtered search still
returns k rows whenever k rows pass.

Dense search is exact by default. :meth:`DenseIndex.build_ivf` adds an inverted-file index
(k-means centroids, probe the nearest lists) for very large sets; a filtered IVF search keeps
probing more lists until k rows pass the filter, so it never silently returns fewer.
"""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import numpy as np


class BM25Segment:
    """One bm25s index over rows ``start .. start+n``."""

    def __init__(self, start: int, tokens: Sequence[Sequence[str]], k1: float, b: float) -> None:
        self.start = start
        self.n = len(tokens)
        self.model = bm25s.BM25(k1=k1, b=b)
        # bm25s needs at least one token per document and in the corpus.
        self.model.index(
            [list(t) if t else ["\x00"] for t in tokens] or [["\x00"]], show_progress=False
        )
        self.vocab: dict[str, int] = self.model.vocab_dict

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25 score of every row: the sum of bm25s' precomputed per-(token, doc) scores.

        bm25s sums posting lists with ``np.add.at`` (slow without numba). Within one token's
        posting list each document appears once, so a buffered fancy-index add gives the same
        sums; query tokens repeated are counted again, as in bm25s.
        """
        ids = [self.vocab[t] for t in query if t in self.vocab]
        out = np.zeros(self.n, dtype=np.float32)
        sc = self.model.scores
        data, indices, indptr = sc["data"], sc["indices"], sc["indptr"]
        for tid in ids:
            lo, hi = indptr[tid], indptr[tid + 1]
            out[indices[lo:hi]] += data[lo:hi]
        return out

    def idf(self, token: str) -> float:
        """Inverse document frequency of ``token`` in this segment (0 when absent)."""
        tid = self.vocab.get(token)
        if tid is None:
            return 0.0
        df = int(self.model.scores["indptr"][tid + 1] - self.model.scores["indptr"][tid])
        return float(np.log(1 + (self.n - df + 0.5) / (df + 0.5)))


class LexicalIndex:
    """BM25 in a main and a delta segment; see the module docstring."""

    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tokens: list[tuple[str, ...]] = []
        self.main: BM25Segment | None = None
        self.delta: BM25Segment | None = None

    @property
    def delta_size(self) -> int:
        return self.delta.n if self.delta else 0

    def append(self, tokens: Sequence[Sequence[str]]) -> None:
        self.tokens.extend(tuple(t) for t in tokens)
        main_n = self.main.n if self.main else 0
        if self.main is None:
            self.main = BM25Segment(0, self.tokens, self.k1, self.b)
        else:
            self.delta = BM25Segment(main_n, self.tokens[main_n:], self.k1, self.b)

    def rebuild(self, keep: np.ndarray) -> None:
        self.tokens = [t for t, k in zip(self.tokens, keep, strict=True) if k]
        self.delta = None
        self.main = BM25Segment(0, self.tokens, self.k1, self.b) if self.tokens else None

    def scores(self, query: Sequence[str], n_rows: int) -> np.ndarray:
        out = np.zeros(n_rows, dtype=np.float32)
        for seg in (self.main, self.delta):
            if seg is not None:
                out[seg.start : seg.start + seg.n] = seg.scores(query)
        return out

    def idf(self, token: str) -> float:
        return self.main.idf(token) if self.main else 0.0


class DenseIndex:
    """Row-aligned unit vectors with exact or IVF search."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._mat = np.zeros((0, dim), dtype=np.float32)
        self.n = 0
        self.centroids: np.ndarray | None = None
        self.lists: list[np.ndarray] = []
        self.nprobe = 32
        self._ivf_rows = np.zeros(0, dtype=np.int64)
        self._ivf_mat = np.zeros((0, dim), dtype=np.float32)
        self._ivf_off = np.zeros(1, dtype=np.int64)

    @property
    def matrix(self) -> np.ndarray:
        return self._mat[: self.n]

    def append(self, vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        need = self.n + len(vectors)
        if need > len(self._mat):
            grown = np.zeros((max(need, 2 * len(self._mat), 64), self.dim), dtype=np.float32)
            grown[: self.n] = self._mat[: self.n]
            self._mat = grown
        self._mat[self.n : need] = vectors
        self.n = need
        if self.centroids is not None:
            self._assign(range(need - len(vectors), need), self.centroids)

    def rebuild(self, keep: np.ndarray) -> None:
        self._mat = self.matrix[keep].copy()
        self.n = len(self._mat)
        if self.centroids is not None:
            self.build_ivf(len(self.centroids))

    def _assign(self, rows: range, centroids: np.ndarray) -> None:
        """Rows added after the IVF build go to per-list overflow (gathered at search time)."""
        rows_arr = np.arange(rows.start, rows.stop)
        nearest = np.argmax(self._mat[rows_arr] @ centroids.T, axis=1)
        for c in np.unique(nearest):
            self.lists[c] = np.concatenate([self.lists[c], rows_arr[nearest == c]])

    def build_ivf(self, nlist: int, iters: int = 6, sample: int = 20_000, seed: int = 0) -> None:
        """Spherical k-means on a sample, then store every row's vector grouped by its nearest
        centroid in one contiguous copy, so a probe reads a slice instead of gathering rows."""
        rng = np.random.default_rng(seed)
        mat = self.matrix
        pick = rng.choice(self.n, size=min(sample, self.n), replace=False)
        data = mat[pick]
        cent = data[rng.choice(len(data), size=nlist, replace=False)].copy()
        for _ in range(iters):
            lab = np.argmax(data @ cent.T, axis=1)
            sums = np.zeros_like(cent)
            np.add.at(sums, lab, data)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            empty = norms[:, 0] == 0
            sums[empty] = cent[empty]
            norms[empty] = 1.0
            cent = (sums / norms).astype(np.float32)
        self.centroids = cent
        labels = np.concatenate(
            [np.argmax(mat[s : s + 50_000] @ cent.T, axis=1) for s in range(0, self.n, 50_000)]
        )
        order = np.argsort(labels, kind="stable")
        self._ivf_rows = order
        self._ivf_mat = mat[order]
        self._ivf_off = np.searchsorted(labels[order], np.arange(nlist + 1))
        self.lists = [np.zeros(0, dtype=np.int64) for _ in range(nlist)]  # overflow

    def search(
        self, q: np.ndarray, mask: np.ndarray, k: int, nprobe: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows passing ``mask`` by cosine, best first: (rows, cosines)."""
        if self.n == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self.centroids is None:
            sims = _dot(self.matrix, q)
            sims = np.where(mask[: self.n], sims, -np.inf)
            return _top(sims, k)
        order = np.argsort(-_dot(self.centroids, q))
        done = 0
        probe = nprobe or self.nprobe
        all_rows: list[np.ndarray] = []
        all_sims: list[np.ndarray] = []
        passing = 0
        while True:
            for c in order[done:probe]:
                lo, hi = self._ivf_off[c], self._ivf_off[c + 1]
                rows = self._ivf_rows[lo:hi]
                keep = mask[rows]
                n_keep = int(keep.sum())
                if n_keep == len(rows):  # no filter here: read the slice, copy nothing
                    all_rows.append(rows)
                    all_sims.append(_dot(self._ivf_mat[lo:hi], q))
                elif n_keep:
                    all_rows.append(rows[keep])
                    all_sims.append(_dot(self._ivf_mat[lo:hi][keep], q))
                passing += n_keep
                extra = self.lists[c]
                if len(extra):
                    extra = extra[mask[extra]]
                    all_rows.append(extra)
                    all_sims.append(_dot(self._mat[extra], q))
                    passing += len(extra)
            done = min(probe, len(order))
            if passing >= k or done >= len(order):
                break
            probe *= 2  # iterative scan: widen until k rows pass the filter
        if not all_rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows_cat = np.concatenate(all_rows)
        top_rows, top_sims = _top(np.concatenate(all_sims), k)
        return rows_cat[top_rows], top_sims

    def cosines(self, q: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return _dot(self._mat[rows], q)


def _dot(mat: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Matrix-vector product on one thread (einsum, not BLAS).

    On a shared 2-core machine OpenBLAS's threaded sgemv collapsed: 32 products of 3,000 x 384
    took 167 ms with ``@`` against 20 ms with einsum (measured 2026-11-28).
    """
    return np.einsum("ij,j->i", mat, q)


def _top(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    valid = np.isfinite(scores)
    k = min(k, int(valid.sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    part = part[np.isfinite(scores[part])]
    order = part[np.argsort(-scores[part], kind="stable")]
    return order.astype(np.int64), scores[order]


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the ``k`` largest finite scores, best first."""
    return _top(scores, k)
