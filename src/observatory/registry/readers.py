"""Read CSV, XLSX and JSON files into rows of strings, refusing to guess encodings wrongly.

CSV bytes are decoded as UTF-8 (with or without BOM); failing that as GB18030 (a superset of
GBK), accepted only when every Chinese character it yields is in GB2312's common set, which real
GBK business files satisfy and mis-decoded Latin-1 or binary files do not. Anything else is an
error asking for ``--encoding``, never silent mojibake.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from observatory.registry.cells import restore
from observatory.registry.errors import RowError


@dataclass
class Table:
    """A file's header and rows; ``rows[i]`` is spreadsheet row ``first_row + i``."""

    file: str
    columns: list[str]
    rows: list[dict[str, Any]]
    first_row: int = 2
    #: Factor to yuan of amount fields whose header named a unit (万元 -> 10000).
    units: dict[str, Decimal] = field(default_factory=dict)
    #: What was skipped on the way (totals and notes rows, ignored columns), for the report.
    warnings: list[RowError] = field(default_factory=list)
    #: How the file's header was read (``registry.mapping.SheetMapping``); None: own format.
    mapping: Any = None


class ReadFailed(Exception):
    def __init__(self, error: RowError) -> None:
        self.error = error
        super().__init__(error.describe())


def _fail(file: str, reason_en: str, reason_zh: str, row: int | None = None) -> ReadFailed:
    return ReadFailed(RowError(file, row, None, None, reason_en, reason_zh))


def _is_plausible_gbk(text: str) -> bool:
    for char in text:
        if ord(char) < 128:
            continue
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            return False
    return True


def decode_text(data: bytes, name: str, encoding: str | None = None) -> str:
    """Decode ``data``; raise ReadFailed when the encoding cannot be determined safely."""
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise _fail(name, f"cannot decode as {encoding}: {exc}",
                        f"无法按 {encoding} 解码：{exc}") from exc
    if b"\x00" in data[:4096]:
        raise _fail(name, "binary data, not a text file", "二进制数据，不是文本文件")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise _fail(name, "neither UTF-8 nor GBK; pass --encoding",
                    "既不是 UTF-8 也不是 GBK 编码，请用 --encoding 指定") from exc
    if not _is_plausible_gbk(text):
        raise _fail(name, "not UTF-8, and decoding as GBK gives unlikely characters; "
                    "pass --encoding", "不是 UTF-8，按 GBK 解码得到异常字符，请用 --encoding 指定")
    return text


@dataclass(frozen=True)
class Limits:
    """How big an input may be; a file past a limit stops the read with a bilingual error
    before it costs memory (issue 15: a 572 KB workbook of 4 M rows, a ZIP bomb)."""

    file_bytes: int = 100 * 2**20
    unzipped_bytes: int = 512 * 2**20
    zip_members: int = 1_000
    rows: int = 1_000_000
    columns: int = 1_000
    cell_chars: int = 32_767
    stored_errors: int = 200

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """The limits a deployment's settings (``observatory.config.Settings``) set."""
        return cls(file_bytes=settings.import_max_file_bytes,
                   unzipped_bytes=settings.import_max_unzipped_bytes,
                   zip_members=settings.import_max_zip_members,
                   rows=settings.import_max_rows, columns=settings.import_max_columns,
                   cell_chars=settings.import_max_cell_chars,
                   stored_errors=settings.import_max_stored_errors)


DEFAULT_LIMITS = Limits()


@dataclass
class Grid:
    """A sheet (or CSV file) as it is: ``rows[i]`` is spreadsheet row ``i + 1``; merged ranges
    as (first row, first column, last row, last column), 1-based."""

    file: str
    sheet: str | None
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    strict_width: bool = False  # CSV: a data row of another width means a damaged file


def check_size(size: int, name: str, limits: Limits) -> None:
    """Refuse a file larger than the limit before it is read."""
    if size > limits.file_bytes:
        raise _fail(name, f"file is {size} bytes, more than the limit of {limits.file_bytes}",
                    f"文件大小 {size} 字节，超过上限 {limits.file_bytes} 字节")


def _check_record(record: list[Any] | tuple[Any, ...], name: str, row: int,
                  limits: Limits) -> None:
    if row > limits.rows:
        raise _fail(name, f"more than {limits.rows} rows (the limit); split the file",
                    f"超过 {limits.rows} 行的上限，请拆分文件", row)
    if len(record) > limits.columns:
        raise _fail(name, f"{len(record)} columns, more than the limit of {limits.columns}",
                    f"共 {len(record)} 列，超过 {limits.columns} 列的上限", row)
    for value in record:
        if isinstance(value, str) and len(value) > limits.cell_chars:
            raise _fail(name, f"a cell has {len(value)} characters, more than the limit of "
                        f"{limits.cell_chars}",
                        f"单元格有 {len(value)} 个字符，超过 {limits.cell_chars} 的上限", row)


def read_csv_grid(data: bytes, name: str, encoding: str | None = None,
                  limits: Limits = DEFAULT_LIMITS) -> Grid:
    """A CSV file's records, checked against the limits as they are read."""
    check_size(len(data), name, limits)
    text = decode_text(data, name, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[Any]] = []
    try:
        for record in reader:
            _check_record(record, name, reader.line_num, limits)
            rows.append(record)
    except csv.Error as exc:
        raise _fail(name, f"malformed CSV (file cut off inside a quoted field?): {exc}",
                    f"CSV 格式错误（文件在引号字段内被截断？）：{exc}",
                    reader.line_num + 1) from exc
    if not rows:
        raise _fail(name, "empty file: no header row", "空文件：没有表头")
    return Grid(name, None, rows, strict_width=True)


def read_csv_bytes(data: bytes, name: str, encoding: str | None = None) -> Table:
    """A CSV in the importer's own format: header on the first row (no mapping)."""
    grid = read_csv_grid(data, name, encoding)
    header = [str(h).strip() for h in grid.rows[0]]
    rows: list[dict[str, Any]] = []
    for line, record in enumerate(grid.rows[1:], start=2):
        if not record:
            continue
        if len(record) != len(header):
            raise width_error(name, line, len(record), len(header))
        rows.append(dict(zip(header, record, strict=True)))
    return Table(name, header, rows)


def width_error(name: str, line: int, found: int, expected: int) -> ReadFailed:
    return _fail(name, f"row has {found} fields, header has {expected} "
                 "(file cut off or a stray delimiter?)",
                 f"该行有 {found} 个字段，表头有 {expected} 个（文件被截断或分隔符有误？）", line)


def check_zip(archive: zipfile.ZipFile, name: str, limits: Limits) -> None:
    """Refuse a ZIP (bundle or XLSX) by its directory, before anything is inflated."""
    members = archive.infolist()
    if len(members) > limits.zip_members:
        raise _fail(name, f"{len(members)} files inside, more than the limit of "
                    f"{limits.zip_members}", f"包含 {len(members)} 个文件，超过上限 "
                    f"{limits.zip_members}")
    total = sum(m.file_size for m in members)
    if total > limits.unzipped_bytes:
        raise _fail(name, f"unpacks to {total} bytes, more than the limit of "
                    f"{limits.unzipped_bytes} (a ZIP bomb?)",
                    f"解压后 {total} 字节，超过上限 {limits.unzipped_bytes} 字节（疑似压缩炸弹）")


def _merged_ranges(sheet: Any) -> list[tuple[int, int, int, int]]:
    """Merged ranges of a read-only sheet, read from its XML (openpyxl's read-only mode does
    not keep them)."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import range_boundaries

    found: list[tuple[int, int, int, int]] = []
    with sheet._get_source() as source:
        for _event, element in iterparse(source):
            if element.tag.endswith("}mergeCell"):
                min_col, min_row, max_col, max_row = range_boundaries(element.get("ref", ""))
                found.append((min_row or 1, min_col or 1, max_row or 1, max_col or 1))
            element.clear()
    return found


def _sheet_grid(sheet: Any, name: str, limits: Limits) -> Grid:
    sheet.reset_dimensions()  # never trust the declared size: rows come as they are
    rows: list[list[Any]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        record = list(values)
        while record and (record[-1] is None or record[-1] == ""):
            record.pop()
        _check_record(record, f"{name}[{sheet.title}]", number, limits)
        rows.append(record)
    try:
        merged = _merged_ranges(sheet)
    except Exception:  # a damaged sheet XML: its rows were read, merges are a nicety
        merged = []
    return Grid(name, sheet.title, rows, merged)


def read_xlsx_grids(data: bytes, name: str, sheet: str | None = None,
                    limits: Limits = DEFAULT_LIMITS) -> list[Grid]:
    """Every sheet of a workbook (or the one named), checked against the limits."""
    from openpyxl import load_workbook

    check_size(len(data), name, limits)
    try:
        check_zip(zipfile.ZipFile(io.BytesIO(data)), name, limits)
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ReadFailed:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _fail(name, f"not a readable XLSX workbook: {exc}",
                    f"无法读取的 XLSX 工作簿：{exc}") from exc
    try:
        titles = workbook.sheetnames
        if sheet is not None and sheet not in titles:
            raise _fail(name, f"no sheet {sheet!r}; sheets: {', '.join(titles)}",
                        f"没有名为 {sheet!r} 的工作表；现有：{'、'.join(titles)}")
        return [_sheet_grid(workbook[t], name, limits) for t in titles
                if sheet is None or t == sheet]
    finally:
        workbook.close()


def read_xlsx_bytes(data: bytes, name: str) -> Table:
    """The first sheet of a workbook in the importer's own format (no mapping)."""
    grids = read_xlsx_grids(data, name)
    rows = grids[0].rows
    if not rows:
        raise _fail(name, "empty workbook: no header row", "空工作簿：没有表头")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    body: list[dict[str, Any]] = []
    for values in rows[1:]:
        if all(v is None or v == "" for v in values):
            body.append({})
            continue
        body.append({h: ("" if v is None else v) for h, v in zip(header, values, strict=False)})
    while body and not body[-1]:
        body.pop()
    return Table(name, header, body)


def read_json_bytes(data: bytes, name: str, encoding: str | None = None,
                    limits: Limits = DEFAULT_LIMITS) -> Table:
    check_size(len(data), name, limits)
    text = decode_text(data, name, encoding)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(name, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                    f"JSON 格式错误，第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}") from exc
    except RecursionError:
        raise _fail(name, "JSON nested too deeply (a table is a list of flat objects)",
                    "JSON 嵌套层数过多（表格应为扁平对象的列表）") from None
    if isinstance(payload, dict) and isinstance(payload.get("rows"), list):
        payload = payload["rows"]
    if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
        raise _fail(name, "JSON must be a list of objects (or {\"rows\": [...]})",
                    "JSON 必须是对象列表（或 {\"rows\": [...]}）")
    columns: list[str] = []
    for number, row in enumerate(payload, start=1):
        _check_record(list(row.values()), name, number, limits)
        for key in row:
            if key not in columns:
                columns.append(key)
        if len(columns) > limits.columns:
            raise _fail(name, f"more than {limits.columns} distinct keys (the column limit)",
                        f"不同的键超过 {limits.columns} 个（列数上限）", number)
    return Table(name, columns, payload, first_row=1)


def restore_cells(table: Table) -> Table:
    """Undo the exporter's formula neutralisation (``registry.cells``) in every text cell of a
    spreadsheet file, so ``'=x`` written by an export is read back as the ``=x`` it was."""
    table.rows = [{column: restore(value) if isinstance(value, str) else value
                   for column, value in row.items()} for row in table.rows]
    return table


def read_table(data: bytes, name: str, encoding: str | None = None) -> Table:
    """Read one file by its extension; CSV and XLSX text cells come back un-neutralised."""
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".txt"):
        return restore_cells(read_csv_bytes(data, name, encoding))
    if suffix in (".xlsx", ".xlsm"):
        return restore_cells(read_xlsx_bytes(data, name))
    if suffix == ".json":
        return read_json_bytes(data, name, encoding)
    raise _fail(name, f"unsupported file type {suffix or '(none)'}: use .csv, .xlsx or .json",
                f"不支持的文件类型 {suffix or '（无）'}：请使用 .csv、.xlsx 或 .json")


@dataclass
class BundleFile:
    entity: str
    name: str
    data: bytes
    sheet: str | None = None


def read_bundle(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[BundleFile]:
    """Files of a folder or ZIP bundle, as listed by its ``manifest.json``.

    The manifest: ``{"files": [{"entity": "organisations", "path": "organisations.csv"}]}``.
    """
    if path.is_dir():
        def read(member: str) -> bytes:
            check_size((path / member).stat().st_size, member, limits)
            return (path / member).read_bytes()

        def exists(member: str) -> bool:
            return (path / member).is_file()
    else:
        check_size(path.stat().st_size, path.name, limits)
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise _fail(path.name, f"not a readable ZIP file: {exc}",
                        f"无法读取的 ZIP 文件：{exc}") from exc
        check_zip(archive, path.name, limits)
        names = set(archive.namelist())

        def read(member: str) -> bytes:
            return archive.read(member)

        def exists(member: str) -> bool:
            return member in names

    if not exists("manifest.json"):
        raise _fail(path.name, "bundle has no manifest.json", "数据包缺少 manifest.json")
    try:
        manifest = json.loads(read("manifest.json").decode("utf-8-sig"))
        entries = manifest["files"]
        files = [(str(e["entity"]), str(e["path"]),
                  None if e.get("sheet") is None else str(e["sheet"])) for e in entries]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        shape = '{"files": [{"entity": ..., "path": ...}]}'
        raise _fail("manifest.json", f"manifest must be {shape}: {exc}",
                    f"manifest 格式应为 {shape}：{exc}") from exc
    result = []
    for entity, member, sheet in files:
        if not exists(member):
            raise _fail("manifest.json", f"listed file {member} is missing from the bundle",
                        f"清单中的文件 {member} 不在数据包中")
        result.append(BundleFile(entity, member, read(member), sheet))
    return result
