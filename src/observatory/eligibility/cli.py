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


@app.command("assess")
def assess_cmd(
    pack: str = typer.Option(..., "--pack", help="Pack code (hte, tsme, ...) or a pack YAML file."),
    input: Path = typer.Option(..., "--input", help="Enterprise JSON file."),
    explain: bool = typer.Option(False, "--explain", help="Show legal basis, notes and scores."),
    lang: Lang = typer.Option(Lang.zh, "--lang"),
    format: Format = typer.Option(Format.table, "--format"),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Assessment date (default: input's, else today)."
    ),
) -> None:
    """Assess one enterprise against a designation's rule pack."""
    try:
        rule_pack = get_pack(pack)
    except PackError as exc:
        _fail(exc.message_en, exc.message_zh)
    when = None
    if as_of:
        try:
            when = date.fromisoformat(as_of)
        except ValueError:
            _fail(f"--as-of {as_of!r}: not a YYYY-MM-DD date",
                  f"--as-of {as_of!r}：日期格式应为YYYY-MM-DD")
    ent = read_enterprise(input)
    result = Evaluator(rule_pack).assess(ent, when or date.today())
    if format == Format.json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        render(result, lang.value, explain, Console(width=140))
    raise typer.Exit(0)


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
