"""Where listing vectors are kept, so re-embedding happens only when text or model changes.

A vector is stored under (listing id, model id, kind) together with the hash of the text it was
made from and its dimension; :meth:`VectorStore.get` hands it back only when both still match.
The in-memory store serves tests and single runs; a database-backed store implements the same
protocol.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class StoredVector:
    """One cached vector and what it was computed from."""

    listing_id: str
    model_id: str
    kind: str
    text_hash: str
    dim: int
    vector: np.ndarray


@runtime_checkable
class VectorStore(Protocol):
    """Cache of listing vectors keyed by (listing id, model id, kind), checked by text hash."""

    def get(
        self, listing_id: str, model_id: str, kind: str, text_hash: str, dim: int
    ) -> np.ndarray | None:
        """The vector if one is stored for this listing, model and kind, text and dimension."""
        ...

    def put(self, items: Iterable[StoredVector]) -> None:
        """Store (or replace) vectors."""
        ...

    def delete(self, listing_ids: Iterable[str]) -> None:
        """Forget every vector of these listings."""
        ...


class InMemoryVectorStore:
    """A dict-backed :class:`VectorStore`."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str, str], StoredVector] = {}

    def get(
        self, listing_id: str, model_id: str, kind: str, text_hash: str, dim: int
    ) -> np.ndarray | None:
        sv = self._data.get((listing_id, model_id, kind))
        if sv is None or sv.text_hash != text_hash or sv.dim != dim:
            return None
        return sv.vector

    def put(self, items: Iterable[StoredVector]) -> None:
        for sv in items:
            self._data[(sv.listing_id, sv.model_id, sv.kind)] = sv

    def delete(self, listing_ids: Iterable[str]) -> None:
        drop = set(listing_ids)
        for key in [k for k in self._data if k[0] in drop]:
            del self._data[key]

    def __len__(self) -> int:
        return len(self._data)
