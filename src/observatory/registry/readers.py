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
from dataclasses import dataclass
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


def read_csv_bytes(data: bytes, name: str, encoding: str | None = None) -> Table:
    text = decode_text(data, name, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise _fail(name, "empty file: no header row", "空文件：没有表头") from exc
    except csv.Error as exc:
        raise _fail(name, f"malformed CSV header: {exc}", f"CSV 表头格式错误：{exc}", 1) from exc
    header = [h.strip() for h in header]
    rows: list[dict[str, Any]] = []
    line = 1
    try:
        for record in reader:
            line += 1
            if not record:
                continue
            if len(record) != len(header):
                raise _fail(name, f"row has {len(record)} fields, header has {len(header)} "
                            "(file cut off or a stray delimiter?)",
                            f"该行有 {len(record)} 个字段，表头有 {len(header)} 个"
                            "（文件被截断或分隔符有误？）", line)
            rows.append(dict(zip(header, record, strict=True)))
    except csv.Error as exc:
        raise _fail(name, f"malformed CSV (file cut off inside a quoted field?): {exc}",
                    f"CSV 格式错误（文件在引号字段内被截断？）：{exc}", line + 1) from exc
    return Table(name, header, rows)


def read_xlsx_bytes(data: bytes, name: str) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _fail(name, f"not a readable XLSX workbook: {exc}",
                    f"无法读取的 XLSX 工作簿：{exc}") from exc
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        header = [str(h).strip() if h is not None else "" for h in next(iterator)]
    except StopIteration as exc:
        raise _fail(name, "empty workbook: no header row", "空工作簿：没有表头") from exc
    rows: list[dict[str, Any]] = []
    for values in iterator:
        if values is None or all(v is None or v == "" for v in values):
            rows.append({})
            continue
        rows.append({h: ("" if v is None else v) for h, v in zip(header, values, strict=False)})
    workbook.close()
    # Drop trailing empty rows but keep numbering of the others.
    while rows and not rows[-1]:
        rows.pop()
    return Table(name, header, rows)


def read_json_bytes(data: bytes, name: str, encoding: str | None = None) -> Table:
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
    for row in payload:
        for key in row:
            if key not in columns:
                columns.append(key)
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


def read_bundle(path: Path) -> list[BundleFile]:
    """Files of a folder or ZIP bundle, as listed by its ``manifest.json``.

    The manifest: ``{"files": [{"entity": "organisations", "path": "organisations.csv"}]}``.
    """
    if path.is_dir():
        def read(member: str) -> bytes:
            return (path / member).read_bytes()

        def exists(member: str) -> bool:
            return (path / member).is_file()
    else:
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise _fail(path.name, f"not a readable ZIP file: {exc}",
                        f"无法读取的 ZIP 文件：{exc}") from exc
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
        files = [(str(e["entity"]), str(e["path"])) for e in entries]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        shape = '{"files": [{"entity": ..., "path": ...}]}'
        raise _fail("manifest.json", f"manifest must be {shape}: {exc}",
                    f"manifest 格式应为 {shape}：{exc}") from exc
    result = []
    for entity, member in files:
        if not exists(member):
            raise _fail("manifest.json", f"listed file {member} is missing from the bundle",
                        f"清单中的文件 {member} 不在数据包中")
        result.append(BundleFile(entity, member, read(member)))
    return result
