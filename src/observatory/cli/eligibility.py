"""``observatory eligibility``: assess an enterprise, list the cultivation pipeline, the packs.

Commands only parse, call :mod:`observatory.eligibility` and format.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from observatory.cli.output import (
    FORMAT_HELP,
    Column,
    ExportFormat,
    Kind,
    OutputFormat,
    emit,
    fail,
    frame_rows,
    infer_columns,
    json_text,
    print_table,
    settings,
    table_of,
    write_text,
    write_workbook,
)
from observatory.eligibility.evaluator import Assessment, CriterionResult, Evaluator, Lang
from observatory.eligibility.files import EnterpriseFileError, read_enterprise
from observatory.eligibility.packs import Pack, PackError, get_pack, load_pack_file, pack_files
from observatory.eligibility.pipeline import PipelineResult
from observatory.i18n import fmt_measure as fmt
from observatory.registry.cells import neutralise
from observatory.services.workbook import SheetColumn

if TYPE_CHECKING:
    from observatory.services import eligibility as service_types

app = typer.Typer(
    help="Designation eligibility: assess an enterprise, list the cultivation pipeline.",
    no_args_is_help=True,
)


class LangOption(StrEnum):
    zh = "zh"
    en = "en"


class Backend(StrEnum):
    inprocess = "inprocess"
    spark = "spark"


def _lang(option: LangOption) -> Lang:
    return "en" if option is LangOption.en else "zh"


STATUS_STYLE = {"passed": "green", "failed": "red", "insufficient_data": "yellow",
                "borderline": "magenta"}
VERDICT = {"en": {"passed": "ELIGIBLE", "failed": "NOT ELIGIBLE",
                  "insufficient_data": "INSUFFICIENT DATA", "borderline": "BORDERLINE"},
           "zh": {"passed": "符合条件", "failed": "不符合条件", "insufficient_data": "数据不足",
                  "borderline": "临界"}}
NEAR_COLUMNS = [Column("rank", Kind.text), Column("enterprise_id", header="USCC"),
                Column("name"), Column("criterion"), Column("value", Kind.number, digits=4),
                Column("threshold", Kind.number, digits=4)]
RENEWAL_COLUMNS = [Column("org_id", header="USCC"), Column("name"), Column("certificate_no"),
                   Column("valid_to"), Column("days_left", Kind.integer)]
PACK_COLUMNS = [Column(k) for k in ("code", "version", "level", "name_zh", "name_en")] + [
    Column("criteria", Kind.integer), Column("unverified")]
CRITERION_COLUMNS = [Column("criterion"), Column("status"), Column("explanation")]


def _pack(pack: str) -> Pack:
    try:
        return get_pack(pack)
    except PackError as exc:
        fail(exc.message_en, exc.message_zh)


def _date_option(value: str | None, option: str = "--as-of") -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r}: not a YYYY-MM-DD date",
             f"{option} {value!r}：日期格式应为YYYY-MM-DD")


def _engine(database_url: str | None) -> Engine:
    from observatory.db import make_engine

    return make_engine(database_url)


def _db_error(exc: Exception) -> NoReturn:
    first = str(exc).splitlines()[0]
    fail(f"database error (is it initialised? run `observatory init`): {first}",
         f"数据库错误（是否已初始化？请运行 observatory init）：{first}")


def _rows(results: list[CriterionResult], depth: int = 0) -> list[tuple[int, CriterionResult]]:
    out = []
    for r in results:
        out.append((depth, r))
        out += _rows(r.children, depth + 1)
    return out


def criterion_rows(a: Assessment, lang: Lang) -> list[dict[str, Any]]:
    """Each condition (nested ones indented) with its status and sentence."""
    return [{"criterion": "  " * depth + r.id, "status": r.status,
             "explanation": getattr(r, f"sentence_{lang}")} for depth, r in _rows(a.criteria)]


def render(a: Assessment, lang: Lang, explain: bool, console: Console) -> None:
    """One assessment: the verdict, each condition, and with ``explain`` the basis and scores."""
    name = a.enterprise_name or a.enterprise_id or "—"
    console.print(f"[bold]{name}[/bold] — {a.pack} {a.pack_version} — "
                  f"{'as of' if lang == 'en' else '评价日'} {a.as_of} "
                  f"(FY {a.fiscal_year}): [{STATUS_STYLE[a.status]}]{VERDICT[lang][a.status]}[/]")
    table = Table(show_lines=False)
    headers = ["criterion", "status", "explanation"] if lang == "en" else ["条件", "结论", "说明"]
    for col in headers:
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
    print_table(table, console)
    if explain:
        _render_scores(a, lang, console)
    if a.unverified:
        console.print(f"[dim]unverified rules / 待核实规则: {', '.join(a.unverified)}[/dim]")


def _render_scores(a: Assessment, lang: Lang, console: Console) -> None:
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
        print_table(st, console)


@app.command("assess")
def assess_cmd(
    pack: str = typer.Option(..., "--pack", help="Pack code (hte, tsme, ...) or a pack YAML file."),
    input: Path | None = typer.Option(None, "--input", help="Enterprise JSON file."),
    org: str | None = typer.Option(None, "--org",
                                   help="USCC of an organisation in the registry (instead of "
                                        "--input)."),
    explain: bool = typer.Option(False, "--explain", help="Show legal basis, notes and scores."),
    lang: LangOption = typer.Option(LangOption.zh, "--lang"),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                        help="table, csv (one row per condition) or json"),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Assessment date (default: input's, else today)."
    ),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="Database URL for --org (default: settings)."),
) -> None:
    """Assess one enterprise (a JSON file, or one in the registry) against a rule pack."""
    rule_pack = _pack(pack)
    when = _date_option(as_of)
    if (input is None) == (org is None):
        fail("give exactly one of --input FILE or --org USCC",
             "请只指定 --input 文件 或 --org 统一社会信用代码 之一")
    if org is not None:
        from sqlalchemy.exc import SQLAlchemyError

        from observatory.eligibility.inputs import RegistryInputError, load_enterprise

        try:
            ent = load_enterprise(_engine(database_url), org.strip().upper(),
                                  when or date.today())
        except RegistryInputError as exc:
            fail(exc.message_en, exc.message_zh)
        except SQLAlchemyError as exc:
            _db_error(exc)
    else:
        try:
            ent = read_enterprise(input)  # type: ignore[arg-type]
        except EnterpriseFileError as exc:
            fail(exc.message_en, exc.message_zh)
    result = Evaluator(rule_pack).assess(ent, when or date.today())
    if format is OutputFormat.json:
        typer.echo(json_text(result.to_dict()))
    elif format is OutputFormat.csv:
        emit(criterion_rows(result, _lang(lang)), format, CRITERION_COLUMNS)
    else:
        render(result, _lang(lang), explain, Console(soft_wrap=True))


@app.command("pipeline")
def pipeline_cmd(
    pack: str = typer.Option(None, "--pack", help="Pack code (hte, tsme, ...) or a pack YAML "
                             "file (default: the deployment's default pack)."),
    top: int = typer.Option(100, "--top", min=1,
                            help="How many nearest enterprises to list (per district and kind "
                                 "with --by-district)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Assessment date (default: today)."),
    renewals_within: int = typer.Option(90, "--renewals-within", min=0,
                                        help="List certificates expiring within N days."),
    max_failed: int = typer.Option(2, "--max-failed", min=1,
                                   help="At most this many failed conditions."),
    max_shortfall: float = typer.Option(0.25, "--max-shortfall", min=0.0,
                                        help="At most this summed relative shortfall."),
    include_holders: bool = typer.Option(False, "--include-holders",
                                         help="Also list current holders of the designation."),
    by_district: bool = typer.Option(
        False, "--by-district", help="The cultivation list by district: first-time candidates "
        "and renewals apart, each firm with every condition it does not meet."),
    district: str | None = typer.Option(None, "--district",
                                        help="With --by-district: one district (code or name)."),
    kind: str = typer.Option("all", "--kind",
                             help="With --by-district: all, candidate or renewal."),
    backend: Backend = typer.Option(
        Backend.inprocess, "--backend", help="inprocess, or spark: the same pipeline as a Spark "
        "batch (local[2], or OBSERVATORY_SPARK_MASTER); not with --by-district."),
    lake: Path | None = typer.Option(
        None, "--lake", help="spark: build the enterprises on the workers from a Parquet "
        "folder `export --format parquet` wrote, instead of loading them from the database."),
    lang: LangOption = typer.Option(LangOption.zh, "--lang"),
    format: ExportFormat = typer.Option(
        ExportFormat.table, "--format", help="table, csv (near-threshold rows; one row per firm "
        "with --by-district), json, or xlsx (needs --out)"),
    out: Path | None = typer.Option(None, "--out", help="Write to this file."),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="Database URL (default: settings)."),
) -> None:
    """Registry enterprises nearest a designation's thresholds, and re-certification reminders."""
    from sqlalchemy.exc import SQLAlchemyError

    from observatory.services.eligibility import default_pack, pipeline_result
    from observatory.services.errors import ServiceError

    rule_pack = _pack(pack or default_pack(settings()))
    when = _date_option(as_of) or date.today()
    if format is ExportFormat.xlsx and out is None:
        fail("--format xlsx writes a workbook: give --out FILE.xlsx",
             "--format xlsx 输出工作簿：请用 --out 指定文件（.xlsx）")
    if by_district and backend is Backend.spark:
        fail("--backend spark runs the pipeline without --by-district",
             "--backend spark 不支持 --by-district（按区列表）")
    if lake is not None and backend is not Backend.spark:
        fail("--lake is read by --backend spark only", "--lake 只能与 --backend spark 一起使用")
    try:
        if by_district:
            _by_district(rule_pack, when, district, kind, top, renewals_within, _lang(lang),
                         format, out, database_url)
            return
        res = pipeline_result(_engine(database_url), rule_pack, when, backend=backend.value,
                              lake=lake,
                              top=top, within_days=renewals_within, max_failed=max_failed,
                              max_shortfall=max_shortfall, include_holders=include_holders)
    except SQLAlchemyError as exc:
        _db_error(exc)
    except ServiceError as exc:
        fail(exc.en, exc.zh or exc.en)
    if format is ExportFormat.csv:
        write_text(res.near.map(neutralise).to_csv(index=False), out)
    elif format is ExportFormat.json:
        write_text(json_text({
            "pack": res.pack, "as_of": res.as_of, "assessed": res.assessed,
            "holders_excluded": res.holders_excluded, "status_counts": res.status_counts,
            "missing": res.missing, "near": res.near, "by_criterion": res.by_criterion,
            "renewals": res.renewals}) + "\n", out)
    elif format is ExportFormat.xlsx:
        tables = [(name, frame_rows(frame), infer_columns(frame_rows(frame))) for name, frame in
                  (("near", res.near), ("by criterion", res.by_criterion),
                   ("renewals", res.renewals))]
        write_workbook(tables, out)
    else:
        render_pipeline(res, lang.value, Console(soft_wrap=True))


def _by_district(rule_pack: Pack, when: date, district: str | None, kind: str, top: int,
                 within: int, lang: Lang, fmt: ExportFormat, out: Path | None,
                 database_url: str | None) -> None:
    """The cultivation list by district, from the service the pipeline page shows."""
    from observatory.services import eligibility as service
    from observatory.services.errors import ServiceError

    try:
        data = service.cultivation_list(_engine(database_url), settings(), rule_pack,
                                        district=district, kind=kind, top=top, as_of=when,
                                        within_days=within, lang=lang)
    except ServiceError as exc:
        fail(exc.en, exc.zh or exc.en)
    if fmt is ExportFormat.json:
        write_text(json_text(data.model_dump()) + "\n", out)
        return
    if fmt is ExportFormat.xlsx and out is not None:
        out.write_bytes(service.cultivation_workbook(data))
        Console(stderr=True).print(f"wrote {out}", markup=False, highlight=False)
        return
    firms, _ = service.cultivation_rows(data)
    if fmt is ExportFormat.csv:
        emit(firms, fmt, [_column(c) for c in service.FIRM_COLUMNS], output=out)
        return
    handle = out.open("w", encoding="utf-8") if out is not None else None
    try:
        render_districts(data, lang, Console(soft_wrap=True, file=handle))
    finally:
        if handle is not None:
            handle.close()


def _column(c: SheetColumn) -> Column:
    return Column(c.key, Kind(c.kind) if c.kind != "number" else Kind.number, c.header)


DISTRICT_COLUMNS = [Column("rank", Kind.text), Column("enterprise_id", header="USCC"),
                    Column("name"), Column("status"), Column("renewal"), Column("valid_to"),
                    Column("open", header="conditions not met / 未满足的条件")]


def render_districts(data: service_types.CultivationList, lang: Lang, console: Console
                     ) -> None:
    """Each district: its candidates, then its renewals, each firm with its open conditions."""
    en = lang == "en"
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(data.status_counts.items()))
    console.print(f"{data.pack} — {'as of' if en else '评价日'} {data.filters.as_of}: "
                  f"{data.assessed:,} {'assessed' if en else '家已评价'} ({counts}); "
                  f"{data.holders_excluded:,} "
                  f"{'holders not yet due left out' if en else '家未到期持证企业未列入'}",
                  markup=False, highlight=False)
    for group in data.districts:
        name = (group.name_en if en else group.name_zh) or group.district
        for label, firms in (("first-time candidates / 首次申报", group.candidates),
                             ("renewals / 重新认定", group.renewals)):
            rows = [{**f.model_dump(), "open": "\n".join(
                f"{c.criterion} [{c.status}]" + (f" {', '.join(c.missing)}" if c.missing
                                                 else "") + (f" → {c.gap}" if c.gap else "")
                for c in f.conditions)} for f in firms]
            print_table(table_of(rows, DISTRICT_COLUMNS, f"{name} ({group.district}) — {label}",
                                 lang), console)


def render_pipeline(res: PipelineResult, lang: str, console: Console) -> None:
    """The pipeline as tables (near-threshold list, per condition, renewals)."""
    en = lang == "en"
    counts = ", ".join(f"{k} {v}" for k, v in sorted(res.status_counts.items()))
    console.print(f"{res.pack} — {'as of' if en else '评价日'} {res.as_of}: "
                  f"{res.assessed:,} {'assessed' if en else '家已评价'} ({counts}); "
                  f"{res.holders_excluded} "
                  f"{'current holders left out' if en else '家现持证企业未列入'}",
                  markup=False, highlight=False)
    if res.missing:
        label = ("missing in the registry (insufficient data), enterprises lacking each: " if en
                 else "登记库中缺少的数据项（数据不足）及缺少该项的企业数：")
        console.print(label + ", ".join(f"{k} {v:,}" for k, v in res.missing.items()),
                      markup=False, highlight=False)
    near = frame_rows(res.near)
    gap = Column("gap_en" if en else "gap_zh", header="gap")
    print_table(table_of(near, [*NEAR_COLUMNS, gap],
                         "Nearest the thresholds" if en else "最接近认定条件的企业", lang),
                console)
    if len(res.by_criterion):
        by = frame_rows(res.by_criterion)
        print_table(table_of(by, infer_columns(by), "Per condition" if en else "按条件统计",
                             lang), console)
    print_table(table_of(frame_rows(res.renewals), RENEWAL_COLUMNS,
                         "Certificates expiring soon (re-certification)" if en
                         else "即将到期需重新认定的证书", lang), console)


@app.command("packs")
def packs_cmd(
    check: list[Path] = typer.Option(None, "--check", help="Validate these pack files instead."),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", help=FORMAT_HELP),
) -> None:
    """List the bundled rule packs (validating each), or validate given pack files."""
    rows: list[dict[str, Any]] = []
    errors: list[PackError] = []
    for f in list(check) if check else pack_files():
        try:
            p = load_pack_file(f)
        except PackError as exc:
            errors.append(exc)
            continue
        rows.append({"code": p.code, "version": p.version, "level": p.level,
                     "name_zh": p.name_zh, "name_en": p.name_en,
                     "criteria": sum(len(c.walk()) for c in p.criteria),
                     "unverified": ", ".join(p.unverified) or "—"})
    emit(rows, format, PACK_COLUMNS)
    for error in errors:
        Console(stderr=True, soft_wrap=True).print(f"{error.message_en}\n{error.message_zh}",
                                                    markup=False, highlight=False)
    raise typer.Exit(1 if errors else 0)
