"""CLI for this area: parse, call, format."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from observatory.eligibility.evaluator import Assessment, CriterionResult, Evaluator, fmt
from observatory.eligibility.model import Enterprise
from observatory.eligibility.packs import PackError, get_pack, load_pack_file, pack_files

app = typer.Typer(
    help="Designation eligibility: assess an enterprise, list the cultivation pipeline.",
    no_args_is_help=True,
)


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class Format(StrEnum):
    table = "table"
    json = "json"


STATUS_STYLE = {"passed": "green", "failed": "red", "insufficient_data": "yellow",
                "borderline": "magenta"}


def _fail(en: str, zh: str) -> None:
    Console(stderr=True, soft_wrap=True).print(
        f"[red]error:[/red] {en}\n[red]错误：[/red]{zh}", highlight=False
    )
    raise typer.Exit(2)


def read_enterprise(path: Path) -> Enterprise:
    """Read and validate an enterprise JSON file, failing with file/field/value/reason."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(f"{path}: file not found", f"{path}：文件不存在")
    except json.JSONDecodeError as exc:
        _fail(f"{path}: line {exc.lineno} column {exc.colno}: invalid JSON ({exc.msg})",
              f"{path}：第{exc.lineno}行第{exc.colno}列：JSON格式错误（{exc.msg}）")
    try:
        return Enterprise.model_validate(data)
    except ValidationError as exc:
        lines_en, lines_zh = [], []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(root)"
            value = err.get("input")
            shown = json.dumps(value, ensure_ascii=False, default=str)[:60]
            lines_en.append(f"{path}: field {loc}, value {shown}: {err['msg']}")
            lines_zh.append(f"{path}：字段 {loc}，取值 {shown}：{err['msg']}")
        _fail("\n".join(lines_en), "\n".join(lines_zh))
    raise AssertionError  # pragma: no cover


def _rows(results: list[CriterionResult], depth: int = 0) -> list[tuple[int, CriterionResult]]:
    out = []
    for r in results:
        out.append((depth, r))
        out += _rows(r.children, depth + 1)
    return out


def render(a: Assessment, lang: str, explain: bool, console: Console) -> None:
    name = a.enterprise_name or a.enterprise_id or "—"
    status = {"en": {"passed": "ELIGIBLE", "failed": "NOT ELIGIBLE",
                     "insufficient_data": "INSUFFICIENT DATA", "borderline": "BORDERLINE"},
              "zh": {"passed": "符合条件", "failed": "不符合条件", "insufficient_data": "数据不足",
                     "borderline": "临界"}}[lang][a.status]
    console.print(f"[bold]{name}[/bold] — {a.pack} {a.pack_version} — "
                  f"{'as of' if lang == 'en' else '评价日'} {a.as_of} "
                  f"(FY {a.fiscal_year}): [{STATUS_STYLE[a.status]}]{status}[/]")
    table = Table(show_lines=False)
    cols = ["criterion", "status", "explanation"] if lang == "en" else ["条件", "结论", "说明"]
    for col in cols:
        table.add_column(col, overflow="fold")
    for depth, r in _rows(a.criteria):
        text = getattr(r, f"sentence_{lang}")
        if r.gap is not None:
            text += "\n→ " + getattr(r.gap, f"sentence_{lang}")
        if explain and r.basis:
            text += f"\n[dim]{r.basis}[/dim]"
        if explain and not r.verified:
            text += "\n[dim](unverified rule / 待核实)[/dim]"
        if explain:
            text += "".join(f"\n[dim]{n}[/dim]" for n in r.notes)
        table.add_row("  " * depth + r.id, f"[{STATUS_STYLE[r.status]}]{r.status}[/]", text)
    console.print(table)
    if explain:
        for s in a.scores.values():
            st = Table(title=f"{getattr(s, 'name_' + lang)}: {fmt(s.points, 'points', lang)}")
            for col in ("group", "item", "value", "band", "points"):
                st.add_column(col, overflow="fold")
            for g in s.groups:
                for i in g.items:
                    value = fmt(i.value, i.unit, lang) if i.value is not None else "—"
                    if i.missing:
                        value += f" [yellow](missing {', '.join(i.missing)})[/]"
                    st.add_row(getattr(g, f"name_{lang}"), getattr(i, f"name_{lang}"), value,
                               i.label or "", fmt(i.points, "points", lang))
            console.print(st)
    if a.unverified:
        console.print(f"[dim]unverified rules / 待核实规则: {', '.join(a.unverified)}[/dim]")


def _date_option(value: str | None, option: str = "--as-of") -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r}: not a YYYY-MM-DD date",
              f"{option} {value!r}：日期格式应为YYYY-MM-DD")
    raise AssertionError  # pragma: no cover


def _engine(database_url: str | None) -> Any:
    from observatory.db import make_engine

    return make_engine(database_url)


def _db_error(exc: Exception) -> None:
    first = str(exc).splitlines()[0]
    _fail(f"database error (is it initialised? run `observatory init`): {first}",
          f"数据库错误（是否已初始化？请运行 observatory init）：{first}")


@app.command("assess")
def assess_cmd(
    pack: str = typer.Option(..., "--pack", help="Pack code (hte, tsme, ...) or a pack YAML file."),
    input: Path | None = typer.Option(None, "--input", help="Enterprise JSON file."),
    org: str | None = typer.Option(None, "--org",
                                   help="USCC of an organisation in the registry (instead of "
                                        "--input)."),
    explain: bool = typer.Option(False, "--explain", help="Show legal basis, notes and scores."),
    lang: Lang = typer.Option(Lang.zh, "--lang"),
    format: Format = typer.Option(Format.table, "--format"),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Assessment date (default: input's, else today)."
    ),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="Database URL for --org (default: settings)."),
) -> None:
    """Assess one enterprise (a JSON file, or one in the registry) against a rule pack."""
    try:
        rule_pack = get_pack(pack)
    except PackError as exc:
        _fail(exc.message_en, exc.message_zh)
    when = _date_option(as_of)
    if (input is None) == (org is None):
        _fail("give exactly one of --input FILE or --org USCC",
              "请只指定 --input 文件 或 --org 统一社会信用代码 之一")
    if org is not None:
        from sqlalchemy.exc import SQLAlchemyError

        from observatory.eligibility.registry import RegistryInputError, load_enterprise

        try:
            ent = load_enterprise(_engine(database_url), org.strip().upper(),
                                  when or date.today())
        except RegistryInputError as exc:
            _fail(exc.message_en, exc.message_zh)
        except SQLAlchemyError as exc:
            _db_error(exc)
    else:
        ent = read_enterprise(input)  # type: ignore[arg-type]
    result = Evaluator(rule_pack).assess(ent, when or date.today())
    if format == Format.json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        render(result, lang.value, explain, Console(width=140))
    raise typer.Exit(0)


class TableFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command("pipeline")
def pipeline_cmd(
    pack: str = typer.Option(..., "--pack", help="Pack code (hte, tsme, ...) or a pack YAML file."),
    top: int = typer.Option(100, "--top", min=1, help="How many nearest enterprises to list."),
    as_of: str | None = typer.Option(None, "--as-of", help="Assessment date (default: today)."),
    renewals_within: int = typer.Option(90, "--renewals-within", min=0,
                                        help="List certificates expiring within N days."),
    max_failed: int = typer.Option(2, "--max-failed", min=1,
                                   help="At most this many failed conditions."),
    max_shortfall: float = typer.Option(0.25, "--max-shortfall", min=0.0,
                                        help="At most this summed relative shortfall."),
    include_holders: bool = typer.Option(False, "--include-holders",
                                         help="Also list current holders of the designation."),
    lang: Lang = typer.Option(Lang.zh, "--lang"),
    format: TableFormat = typer.Option(TableFormat.table, "--format",
                                       help="table, csv (near-threshold rows) or json"),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="Database URL (default: settings)."),
) -> None:
    """Registry enterprises nearest a designation's thresholds, and re-certification reminders."""
    from sqlalchemy.exc import SQLAlchemyError

    from observatory.eligibility.registry import registry_pipeline

    try:
        rule_pack = get_pack(pack)
    except PackError as exc:
        _fail(exc.message_en, exc.message_zh)
    when = _date_option(as_of) or date.today()
    try:
        res = registry_pipeline(_engine(database_url), rule_pack, when, top=top,
                                within_days=renewals_within, max_failed=max_failed,
                                max_shortfall=max_shortfall, include_holders=include_holders)
    except SQLAlchemyError as exc:
        _db_error(exc)
    if format == TableFormat.csv:
        typer.echo(res.near.to_csv(index=False), nl=False)
        return
    if format == TableFormat.json:
        def records(df: Any) -> Any:
            return json.loads(df.to_json(orient="records", date_format="iso",
                                         force_ascii=False))
        typer.echo(json.dumps({
            "pack": res.pack, "as_of": res.as_of.isoformat(), "assessed": res.assessed,
            "holders_excluded": res.holders_excluded, "status_counts": res.status_counts,
            "missing": res.missing, "near": records(res.near),
            "by_criterion": records(res.by_criterion), "renewals": records(res.renewals),
        }, ensure_ascii=False))
        return
    render_pipeline(res, lang.value, Console(width=160))


def render_pipeline(res: Any, lang: str, console: Console) -> None:
    """The pipeline as Rich tables (near-threshold list, per condition, renewals)."""
    en = lang == "en"
    counts = ", ".join(f"{k} {v}" for k, v in sorted(res.status_counts.items()))
    console.print(f"[bold]{res.pack}[/bold] — {'as of' if en else '评价日'} {res.as_of}: "
                  f"{res.assessed} {'assessed' if en else '家已评价'} ({counts}); "
                  f"{res.holders_excluded} "
                  f"{'current holders left out' if en else '家现持证企业未列入'}")
    if res.missing:
        label = ("missing in the registry (insufficient data), enterprises lacking each: " if en
                 else "登记库中缺少的数据项（数据不足）及缺少该项的企业数：")
        console.print(f"[dim]{label}"
                      f"{', '.join(f'{k} {v:,}' for k, v in res.missing.items())}[/dim]")
    near = Table(title="Nearest the thresholds" if en else "最接近认定条件的企业")
    for col in ("rank", "USCC", "name", "criterion", "value", "threshold", "gap"):
        near.add_column(col, overflow="fold")
    for _, r in res.near.iterrows():
        near.add_row(str(r["rank"]), r["enterprise_id"], r["name"] or "", r["criterion"],
                     _num(r["value"]), _num(r["threshold"]), r["gap_en" if en else "gap_zh"])
    console.print(near)
    if len(res.by_criterion):
        by = Table(title="Per condition" if en else "按条件统计")
        for col in res.by_criterion.columns:
            by.add_column(col)
        for _, r in res.by_criterion.iterrows():
            by.add_row(*[_num(v) for v in r])
        console.print(by)
    ren = Table(title=("Certificates expiring soon (re-certification)" if en
                       else "即将到期需重新认定的证书"))
    for col in ("USCC", "name", "certificate_no", "valid_to", "days_left"):
        ren.add_column(col)
    for _, r in res.renewals.iterrows():
        ren.add_row(r["org_id"], r["name"] or "", r["certificate_no"], str(r["valid_to"]),
                    str(r["days_left"]))
    console.print(ren)


def _num(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return "—" if v is None else str(v)


@app.command("packs")
def packs_cmd(
    check: list[Path] = typer.Option(None, "--check", help="Validate these pack files instead."),
) -> None:
    """List the bundled rule packs (validating each), or validate given pack files."""
    console = Console(width=140)
    files = list(check) if check else pack_files()
    table = Table()
    for col in ("code", "version", "level", "name_zh", "name_en", "criteria", "unverified"):
        table.add_column(col, overflow="fold")
    errors: list[Any] = []
    for f in files:
        try:
            p = load_pack_file(f)
        except PackError as exc:
            errors.append(exc)
            continue
        n = sum(len(c.walk()) for c in p.criteria)
        table.add_row(p.code, p.version, p.level, p.name_zh, p.name_en, str(n),
                      ", ".join(p.unverified) or "—")
    console.print(table)
    for exc in errors:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]{exc.message_en}[/red]\n[red]{exc.message_zh}[/red]"
        )
    raise typer.Exit(1 if errors else 0)
