"""Retrieval tasks built from public labelled data (CSL and Tatoeba; see its README).

Each task is (corpus, queries, qrels) in the shape :func:`observatory.market.evaluation.evaluate`
takes. A short text (title, keywords) plays the demand, an abstract plays the achievement.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Task:
    """One retrieval task."""

    name: str
    corpus: dict[str, str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _tsv(path: Path) -> list[list[str]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(
                f"{path}, line {n}: expected 3 tab-separated columns, got {len(parts)}"
            )
        rows.append(parts)
    return rows


def csl_tasks(csl_dir: Path) -> dict[str, Task]:
    """The four CSL tasks over the 2,000 abstracts of dev + test (abstract text as in ``ts``)."""
    abstracts: dict[str, str] = {}
    titles: dict[str, str] = {}
    keywords: dict[str, str] = {}
    discipline: dict[str, str] = {}
    for split in ("dev", "test"):
        ts = _tsv(csl_dir / "ts" / f"{split}.tsv")
        kg = _tsv(csl_dir / "kg" / f"{split}.tsv")
        dc = _tsv(csl_dir / "cls_dcp" / f"{split}.tsv")
        for i, (t, k, d) in enumerate(zip(ts, kg, dc, strict=True)):
            # kg's abstract column carries the title appended; ts and cls_dcp carry the abstract.
            if not (t[1] == d[1] and k[1].startswith(t[1])):
                raise ValueError(
                    f"{csl_dir}: {split} row {i + 1} differs between ts, kg and cls_dcp"
                )
            doc = f"{split}-{i:04d}"
            abstracts[doc] = t[1]
            titles[doc] = t[2]
            keywords[doc] = " ".join(k[2].split("_"))
            discipline[doc] = d[2]
    own = {d: {d: 1} for d in abstracts}
    by_disc: dict[str, list[str]] = {}
    for doc, disc in discipline.items():
        by_disc.setdefault(disc, []).append(doc)
    graded = {d: {o: (2 if o == d else 1) for o in by_disc[discipline[d]]} for d in abstracts}
    return {
        "csl_title_abstract": Task("csl_title_abstract", abstracts, titles, own),
        "csl_keywords_abstract": Task("csl_keywords_abstract", abstracts, keywords, own),
        "csl_abstract_title": Task("csl_abstract_title", titles, abstracts, own),
        "csl_graded_discipline": Task("csl_graded_discipline", abstracts, titles, graded),
    }


def tatoeba_task(tatoeba_dir: Path) -> Task:
    """Chinese sentence -> its English translation among the 1,000."""
    zh = (tatoeba_dir / "tatoeba.cmn-eng.cmn").read_text(encoding="utf-8").splitlines()
    en = (tatoeba_dir / "tatoeba.cmn-eng.eng").read_text(encoding="utf-8").splitlines()
    if len(zh) != len(en):
        raise ValueError(f"{tatoeba_dir}: {len(zh)} Chinese lines but {len(en)} English lines")
    corpus = {f"en-{i:04d}": t for i, t in enumerate(en)}
    queries = {f"zh-{i:04d}": t for i, t in enumerate(zh)}
    qrels = {f"zh-{i:04d}": {f"en-{i:04d}": 1} for i in range(len(zh))}
    return Task("tatoeba_zh_en", corpus, queries, qrels)
