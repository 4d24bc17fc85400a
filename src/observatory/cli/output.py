"""What every command prints: one list of rows as a table, CSV, JSON or XLSX, and bilingual errors.

Why one helper: a command's rows leave it in the same three forms everywhere. Tables format
numbers as the web pages do (through :mod:`observatory.i18n`: thousands separators, 亿元 /
bn yuan, percentages), never in scientific notation; CSV and JSON keep the raw numbers, so a
script reads exactly what the engine computed, written out in full (``15815.3``, never
``1.582e+04``). XLSX keeps numbers as numbers with the web's formats (``services.workbook``).
A table written to a pipe or file is as wide as
its content instead of being cut with "…" at 80 columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
import typer
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from observatory import i18n
from observatory.config import Settings, SettingsError, get_settings
from observatory.registry.cells import neutralise
from observatory.services.workbook import Sheet, SheetColumn, workbook_bytes

Row = Mapping[str, object]


class OutputFormat(StrEnum):
    """The forms a table leaves a command in."""

    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(StrEnum):
    """The forms of a command that can also write a workbook (it has ``--out FILE``)."""

    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


FORMAT_HELP = "table (formatted), csv or json (raw numbers)"
EXPORT_HELP = "table (formatted), csv or json (raw numbers), xlsx (a workbook; needs --out)"


class Kind(StrEnum):
    """How a column's numbers read in a table."""

    text = "text"
    integer = "integer"
    number = "number"  # thousands separators; whole numbers bare, others with `digits`
    decimal = "decimal"  # always `digits` decimals (scores, multiples)
    yuan = "yuan"  # 亿元 / 万元 in Chinese, bn / m yuan in English
    percent = "percent"  # a share or probability (0.25 -> 25 %)
    amount = "amount"  # a value whose unit is in another column (`unit_key`)


@dataclass(frozen=True)
class Column:
    """One column of a table: the row key, how it reads, and its header."""

    key: str
    kind: Kind = Kind.text
    header: str | None = None
    unit_key: str | None = None
    digits: int = 2

    @property
    def title(self) -> str:
        return self.header or self.key

    @property
    def numeric(self) -> bool:
        return self.kind is not Kind.text


def fail(en: str, zh: str, code: int = 2) -> NoReturn:
    """Stop the command with a message in both languages on stderr (never a traceback)."""
    Console(stderr=True, soft_wrap=True).print(f"error: {en}\n错误：{zh}", markup=False,
                                                highlight=False)
    raise typer.Exit(code)


def settings() -> Settings:
    """The deployment settings; a broken settings file stops the command with its message."""
    try:
        return get_settings()
    except (SettingsError, ValueError) as exc:
        text = str(exc)
        fail(f"deployment settings: {text}", f"部署设置有误：{text}")


def language() -> str:
    """The language tables are labelled in when a command has no --lang: the deployment's."""
    try:
        return get_settings().language
    except (SettingsError, ValueError):
        return i18n.LANGS[0]


def is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def raw(value: object) -> object:
    """A value as JSON and CSV carry it: numbers as numbers, NaN as null, dates in ISO form."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar
    if is_missing(value):
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def frame_rows(frame: pd.DataFrame) -> list[dict[str, object]]:
    """A DataFrame's rows as plain dicts of raw values."""
    return [{str(k): raw(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def cell(value: object, column: Column, row: Row, lang: str) -> str:
    """One table cell in words: the number formatted as the web shows it."""
    value = raw(value)
    if value is None:
        return "" if column.kind is Kind.text else "—"
    if isinstance(value, float) and value.is_integer() and column.kind is Kind.text:
        return str(int(value))  # a year or code read back as a float
    if isinstance(value, bool) or column.kind is Kind.text or not isinstance(value, int | float):
        return str(value)
    if column.kind is Kind.integer:
        return i18n.fmt_number(value, lang)
    if column.kind is Kind.yuan:
        return i18n.fmt_yuan(value, lang)
    if column.kind is Kind.percent:
        return i18n.fmt_percent(value, lang, 0 if abs(value) >= 0.1 or value == 0 else 1)
    if column.kind is Kind.amount:
        unit = row.get(column.unit_key or "unit")
        return i18n.fmt_amount(value, unit if isinstance(unit, str) else None, lang)
    if column.kind is Kind.decimal:
        return i18n.fmt_number(value, lang, column.digits)
    whole = float(value).is_integer() or abs(value) >= 1000
    return i18n.fmt_number(value, lang, 0 if whole else column.digits)


#: Columns that hold years or codes, not quantities: shown as they are ("2024", not "2,024").
LABEL_KEYS = ("period", "vintage", "rank", "id", "code")


def infer_kind(key: str, values: Iterable[object]) -> Kind:
    """How a column nobody described reads: years and codes as text, yuan scaled."""
    present = [v for v in (raw(v) for v in values) if v is not None]
    numeric = bool(present) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                    for v in present)
    if not numeric or key in LABEL_KEYS or key.endswith(("year", "_id", "_no")):
        return Kind.text
    if key.endswith("yuan"):
        return Kind.yuan
    return Kind.number


def infer_columns(rows: Sequence[Row]) -> list[Column]:
    """Columns for rows nobody described, in the order their keys first appear."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    return [Column(key, infer_kind(key, (r.get(key) for r in rows))) for key in keys]


def table_of(rows: Sequence[Row], columns: Sequence[Column], title: str | None,
             lang: str) -> Table:
    """The rows as a Rich table (cells are plain text: no markup is read from the data)."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column.title, justify="right" if column.numeric else "left",
                         overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell(row.get(c.key), c, row, lang)) for c in columns))
    return table


def print_table(renderable: RenderableType, console: Console | None = None) -> None:
    """Print a table; off a terminal, as wide as it needs so no cell is cut."""
    console = console or Console()
    if console.is_terminal:
        console.print(renderable)
        return
    wide = Console(width=1_000_000, file=io.StringIO())
    width = max(20, wide.measure(renderable).maximum)
    Console(width=width, file=console.file, soft_wrap=False).print(renderable)


def csv_text(rows: Sequence[Row], keys: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(keys)
    for row in rows:
        writer.writerow(["" if (v := raw(row.get(k))) is None else neutralise(positional(v))
                         for k in keys])
    return buffer.getvalue()


def positional(value: object) -> object:
    """A float written out in full (``0.00001``, ``1e+16`` as digits): no scientific notation
    reaches a spreadsheet or a reader; other values unchanged.

    >>> positional(1.582e-05), positional(2.5e16), positional(15815.0), positional("x")
    ('0.00001582', '25000000000000000', 15815.0, 'x')
    """
    if isinstance(value, float) and math.isfinite(value) and "e" in repr(value):
        return np.format_float_positional(value, trim="-")
    return value


def json_text(data: object) -> str:
    """JSON of rows (or any nested data) with raw values; NaN becomes null."""
    return json.dumps(_json_ready(data), ensure_ascii=False, indent=1)


def _json_ready(data: object) -> object:
    if isinstance(data, Mapping):
        return {str(k): _json_ready(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_json_ready(v) for v in data]
    if isinstance(data, pd.DataFrame):
        return frame_rows(data)
    return raw(data)


def emit(rows: Sequence[Row], fmt: OutputFormat | ExportFormat | str,
         columns: Sequence[Column] | None = None, title: str | None = None,
         lang: str | None = None, output: Path | None = None) -> None:
    """Print (or write to ``output``) rows as a table, CSV, JSON or an XLSX workbook."""
    fmt = ExportFormat(fmt)
    columns = list(columns) if columns is not None else infer_columns(rows)
    if fmt is ExportFormat.xlsx:
        write_workbook([(title or "table", rows, columns)], output)
        return
    if fmt is ExportFormat.table:
        table = table_of(rows, columns, title, lang or language())
        if output is None:
            print_table(table)
        else:
            with output.open("w", encoding="utf-8") as handle:
                print_table(table, Console(file=handle))
        return
    keys = [c.key for c in columns]
    if fmt is ExportFormat.csv:
        text = csv_text(rows, keys)
    else:
        text = json_text([{k: row.get(k) for k in keys} for row in rows]) + "\n"
    write_text(text, output)


def sheet_of(title: str, rows: Sequence[Row], columns: Sequence[Column]) -> Sheet:
    """Rows as one sheet of a workbook: the columns' headers and number kinds."""
    return Sheet(title, [SheetColumn(c.key, c.title, c.kind.value if c.numeric else "text")
                         for c in columns], rows)


def write_workbook(tables: Sequence[tuple[str, Sequence[Row], Sequence[Column]]],
                   output: Path | None) -> None:
    """Tables as the sheets of one XLSX file at ``output`` (a workbook is binary: a file is
    required; the command stops with exit code 2 without one)."""
    if output is None:
        fail("--format xlsx writes a workbook: give --out FILE.xlsx",
             "--format xlsx 输出工作簿：请用 --out 指定文件（.xlsx）")
    data = workbook_bytes([sheet_of(title, rows, columns) for title, rows, columns in tables])
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"--out {output}: cannot write ({exc.strerror})",
             f"--out {output}：无法写入（{exc.strerror}）")
    Console(stderr=True).print(f"wrote {output}", markup=False, highlight=False)


def write_text(text: str, output: Path | None) -> None:
    """Text to stdout, or to a file with a note on stderr."""
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    Console(stderr=True).print(f"wrote {output}", markup=False, highlight=False)


def choice(value: str, allowed: Iterable[str], option: str) -> str:
    """Refuse a value outside ``allowed`` with a bilingual message naming the option."""
    options = list(allowed)
    if value not in options:
        fail(f"{option} {value!r}: use one of {', '.join(options)}",
             f"{option} {value!r}：只能取 {'、'.join(options)}")
    return value
