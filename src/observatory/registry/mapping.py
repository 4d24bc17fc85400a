"""Workbooks as bureaus keep them, read into rows keyed by field name.

A sheet's header row is found below any title rows (the row, among the first 30, whose cells
name the most fields of the entity; ``registry.headers`` says which texts name which field);
merged header cells are spread over the cells they cover, and a header whose cells are merged
across columns or down into the next row is read as a two-row header (``经营情况 / 营业收入``).
Totals and notes rows at the end (合计, 总计, 小计, 注：, 说明, 数据来源...) are skipped with a
warning. A mapping file (``--mapping FILE.yaml``) names what the labels do not::

    entity: organisations      # optional, instead of --entity
    sheet: 名单                # optional, instead of --sheet
    header_row: 3              # optional: the (last) header row, 1-based
    columns:
      企业名(全称): name_zh
      销售额: {field: revenue_yuan, unit: 万元}

What comes out is a ``readers.Table`` whose rows hold the cells as read (text, numbers, Excel
dates) under field names, its amount units, its warnings and the ``SheetMapping`` that says how
the header was read, which ``--dry-run`` and the web preview show. Converting values is the
importer's job, so another reader of rows (name resolution) gets them the same way.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic import Field as PydanticField

from observatory.registry.cells import restore
from observatory.registry.entities import SPECS
from observatory.registry.errors import RowError
from observatory.registry.headers import (
    UNITS,
    match_field,
    normalise,
    sheet_entity,
    unit_scale,
)
from observatory.registry.readers import (
    DEFAULT_LIMITS,
    Grid,
    Limits,
    ReadFailed,
    Table,
    read_csv_grid,
    read_json_bytes,
    read_xlsx_grids,
    width_error,
)

SCAN = 30
"""How many rows from the top may hold titles and the header."""

_TRAILER = re.compile(r"^(合计|总计|小计|共计|注\d*[:.、]|注$|说明|数据来源|资料来源|备注|"
                      r"填表|制表|(?:sub)?total\b|notes?\b)")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_TITLE_UNIT = re.compile(r"^单位[:]?(亿元|万元|千元|元)")


class ColumnSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: str
    unit: Literal["元", "千元", "万元", "亿元"] | None = None


class MappingFile(BaseModel):
    """The shape of a ``--mapping`` file."""

    model_config = ConfigDict(extra="forbid")
    entity: str | None = None
    sheet: str | None = None
    header_row: int | None = PydanticField(default=None, ge=1)
    header_rows: Literal[1, 2] | None = None
    columns: dict[str, str | ColumnSpec] = {}

    def specs(self) -> dict[str, ColumnSpec]:
        """Normalised header text -> what it maps to."""
        return {normalise(k): v if isinstance(v, ColumnSpec) else ColumnSpec(field=v)
                for k, v in self.columns.items()}


def _fail(file: str, en: str, zh: str, row: int | None = None,
          column: str | None = None) -> ReadFailed:
    return ReadFailed(RowError(file, row, column, None, en, zh))


def load_mapping(path: Path) -> MappingFile:
    """Read and validate a mapping file; a bad one is a bilingual ReadFailed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        return MappingFile.model_validate(data if data is not None else {})
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _fail(path.name, f"cannot read the mapping file: {exc}",
                    f"无法读取映射文件：{exc}") from exc
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'mapping'}: {e['msg']}"
                            for e in exc.errors())
        raise _fail(path.name, f"not a valid mapping file ({reasons}); expected keys entity, "
                    "sheet, header_row, header_rows, columns",
                    f"映射文件格式错误（{reasons}）；允许的键：entity、sheet、header_row、"
                    "header_rows、columns") from exc


def _check_mapping(mapping: MappingFile, entity: str, file: str) -> dict[str, str]:
    """The mapping's header -> field, every field checked against the entity."""
    fields = SPECS[entity].columns
    out: dict[str, str] = {}
    for header, spec in mapping.specs().items():
        if spec.field not in fields:
            raise _fail(file, f"mapping file: column {header!r} maps to {spec.field!r}, which "
                        f"is no field of {entity}; fields: {', '.join(fields)}",
                        f"映射文件：列 {header!r} 映射到的 {spec.field!r} 不是 {entity} 的字段；"
                        f"可用字段：{', '.join(fields)}", column=header)
        out[header] = spec.field
    return out


@dataclass
class ColumnMap:
    """One column of the file: its header, position and the field it feeds (None: ignored)."""

    column: str
    letter: str
    field: str | None
    scale: Decimal | None = None


@dataclass
class SheetMapping:
    """How a sheet's header was read: what ``--dry-run`` prints and the web preview shows."""

    file: str
    sheet: str | None
    entity: str
    header_row: int
    header_rows: int
    columns: list[ColumnMap]
    first_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unmapped(self) -> list[str]:
        return [c.column for c in self.columns if c.field is None and c.column]

    def as_dict(self) -> dict[str, Any]:
        """Plain values for a stored report; long texts cut, so a hostile file's preview
        stays small."""
        out = asdict(self)
        for column in out["columns"]:
            column["scale"] = None if column["scale"] is None else str(column["scale"])
            column["column"] = _text(column["column"])
        out["unmapped"] = [_text(c) for c in self.unmapped]
        out["first_rows"] = [{_text(k): _text(v) for k, v in r.items()}
                             for r in self.first_rows]
        return out


PREVIEW_CHARS = 200


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS - 1] + "…"


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


class _Header:
    """The top of a grid with merged cells spread over the cells they cover."""

    def __init__(self, grid: Grid, limits: Limits) -> None:
        self.grid = grid
        self.columns = limits.columns
        self.cover: dict[tuple[int, int], tuple[int, int]] = {}
        self.spans: list[tuple[int, int, int, int]] = []
        for r0, c0, r1, c1 in grid.merged:
            if r0 > SCAN + 1:
                continue
            self.spans.append((r0, c0, r1, c1))
            for r in range(r0, min(r1, SCAN + 1) + 1):
                for c in range(c0, min(c1, limits.columns) + 1):
                    self.cover[(r, c)] = (r0, c0)

    def cell(self, row: int, col: int) -> str:
        """The text at 1-based (row, col), a merged cell's value wherever it covers."""
        r, c = self.cover.get((row, col), (row, col))
        values = self.grid.rows[r - 1] if r <= len(self.grid.rows) else []
        value = values[c - 1] if c <= len(values) else None
        return "" if value is None else str(value).strip()

    def width(self, *rows: int) -> int:
        widths = [len(self.grid.rows[r - 1]) for r in rows if r <= len(self.grid.rows)]
        merged = [min(c1, self.columns) for r0, _c0, r1, c1 in self.spans
                  if any(r0 <= r <= r1 for r in rows)]
        return max([*widths, *merged, 0])

    def starts_two_rows(self, row: int) -> bool:
        """A merge in this row that spans columns or reaches into the next row."""
        return row < len(self.grid.rows) and any(
            r0 == row and (r1 > r0 or c1 > c0) for r0, c0, r1, c1 in self.spans)


def _columns(header: _Header, entity: str, row: int, rows: int,
             extra: dict[str, str]) -> list[tuple[str, str | None, Decimal | None]]:
    """(header text, field, unit factor) of each column of a one- or two-row header."""
    out = []
    for col in range(1, header.width(*range(row, row + rows)) + 1):
        upper = header.cell(row, col)
        lower = header.cell(row + 1, col) if rows == 2 else upper
        if rows == 2 and lower and lower != upper:
            text = f"{upper}/{lower}" if upper else lower
            candidates = [lower, upper + lower, upper]
        else:
            text, candidates = upper or lower, [upper or lower]
        found = next((f for c in candidates if c and (f := match_field(entity, c, extra))),
                     None)
        scale = unit_scale(lower) or unit_scale(upper)
        out.append((text, found, scale))
    return out


def _score(columns: list[tuple[str, str | None, Decimal | None]]) -> int:
    return len({f for _t, f, _s in columns if f})


def _locate(header: _Header, entity: str, mapping: MappingFile | None,
            extra: dict[str, str]) -> tuple[int, int]:
    """(first header row, number of header rows), 1-based."""
    if mapping is not None and mapping.header_row is not None:
        row = mapping.header_row
        rows = mapping.header_rows or 1
        return (row - rows + 1, rows) if rows == 2 and row > 1 else (row, 1)
    scores = [(_score(_columns(header, entity, r, 1, extra)), r)
              for r in range(1, min(SCAN, len(header.grid.rows)) + 1)]
    best, row = max(scores, key=lambda s: (s[0], -s[1]), default=(0, 1))
    if best == 0:
        return 1, 1  # nothing named: read row 1, and the importer says what is wrong with it
    if mapping is not None and mapping.header_rows is not None:
        return row, mapping.header_rows
    for top in (row - 1, row):  # merged cells filled in, a header's lower row may score best
        if top >= 1 and header.starts_two_rows(top) \
                and _score(_columns(header, entity, top, 1, extra)) > 0 \
                and _score(_columns(header, entity, top, 2, extra)) >= best:
            return top, 2
    return row, 1


def grid_score(grid: Grid, entity: str, limits: Limits = DEFAULT_LIMITS) -> int:
    """How many fields of ``entity`` the best header row of ``grid`` names."""
    header = _Header(grid, limits)
    return max((_score(_columns(header, entity, r, 1, {}))
                for r in range(1, min(SCAN, len(grid.rows)) + 1)), default=0)


def _default_scale(grid: Grid, before: int) -> Decimal | None:
    """A unit written above the header (``单位：万元``) for amounts whose header names none."""
    for values in grid.rows[:before - 1]:
        for value in values:
            found = _TITLE_UNIT.match(normalise(value))
            if found:
                return unit_scale(found.group(1))
    return None


def _trailers(grid: Grid, first: int, file: str) -> tuple[int, list[RowError]]:
    """(rows to keep, warnings): totals and notes rows at the end are dropped."""
    end = len(grid.rows)
    warnings: list[RowError] = []
    while end >= first:
        values = [v for v in grid.rows[end - 1] if v is not None and str(v).strip() != ""]
        if not values:
            end -= 1
            continue
        text = str(values[0]).strip()
        if not _TRAILER.match(normalise(text)):
            break
        warnings.append(RowError(file, end, None, text[:80],
                                 "totals or notes row skipped", "已跳过合计或说明行"))
        end -= 1
    return end, sorted(warnings, key=lambda w: w.row or 0)


def _column_maps(columns: list[tuple[str, str | None, Decimal | None]],
                 default: Decimal | None, mapping: MappingFile | None) -> list[ColumnMap]:
    """Each column's map; a unit applies to amounts (``…_yuan``) only: the mapping file's, the
    header's, else the one written above the header."""
    units = {s.field: UNITS[s.unit] for s in (mapping.specs().values() if mapping else [])
             if s.unit}
    maps = []
    for index, (text, found, scale) in enumerate(columns):
        if found is not None and found.endswith("_yuan"):
            scale = units.get(found) or scale or default
        else:
            scale = None
        maps.append(ColumnMap(text, _letter(index), found, scale))
    return maps


def _name(grid: Grid, many: bool) -> str:
    return f"{grid.file}[{grid.sheet}]" if many and grid.sheet else grid.file


def map_grid(grid: Grid, entity: str, mapping: MappingFile | None = None,
             limits: Limits = DEFAULT_LIMITS, many_sheets: bool = False,
             keep_unmapped: bool = False) -> Table:
    """Rows of a sheet under field names, with the mapping used and what was skipped.

    ``keep_unmapped`` keeps the other columns too, under their header text, for a caller that
    reads more than the entity's fields (name resolution reads a list's firm names)."""
    file = _name(grid, many_sheets)
    extra = _check_mapping(mapping, entity, file) if mapping else {}
    header = _Header(grid, limits)
    row, rows = _locate(header, entity, mapping, extra)
    columns = _columns(header, entity, row, rows, extra)
    maps = _column_maps(columns, _default_scale(grid, row), mapping)
    _refuse_duplicates(maps, file, row)
    first = row + rows
    end, warnings = _trailers(grid, first, file)
    kept = [(i, m.field or m.column) for i, m in enumerate(maps)
            if m.field or (m.column and keep_unmapped) or _IDENTIFIER.match(normalise(m.column))]
    warnings = [RowError(file, row, m.column, None,
                         f"column ignored: it names no field of {entity} (map it with --mapping)",
                         f"已忽略此列：不对应{SPECS[entity].name_zh}的任何字段"
                         "（可用 --mapping 指定）")
                for m in maps if m.field is None and m.column
                and not _IDENTIFIER.match(normalise(m.column))] + warnings
    body: list[dict[str, Any]] = []
    for number in range(first, end + 1):
        values = grid.rows[number - 1]
        if all(v is None or str(v).strip() == "" for v in values):
            body.append({})
            continue
        if grid.strict_width and len(values) != len(grid.rows[row - 1]):
            raise width_error(file, number, len(values), len(grid.rows[row - 1]))
        body.append({name: _cell(values, i) for i, name in kept})
    while body and not body[-1]:
        body.pop()
    sheet_map = SheetMapping(file, grid.sheet, entity, row, rows, maps,
                             [r for r in body if r][:5])
    return Table(file, [name for _i, name in kept], body, first_row=first,
                 units={m.field: m.scale for m in maps if m.field and m.scale is not None},
                 warnings=warnings, mapping=sheet_map)


def ignored_columns(table: Table) -> set[str]:
    """Columns ``keep_unmapped`` kept that the importer must not see: headers that name no
    field and are not written like a field name (those stay, for the importer to refuse)."""
    mapping = table.mapping
    if not isinstance(mapping, SheetMapping):
        return set()
    return {c for c in mapping.unmapped if not _IDENTIFIER.match(normalise(c))}


def _cell(values: list[Any], index: int) -> Any:
    value = values[index] if index < len(values) else None
    if value is None:
        return ""
    return restore(value) if isinstance(value, str) else value


def _refuse_duplicates(maps: list[ColumnMap], file: str, row: int) -> None:
    seen: dict[str, str] = {}
    for m in maps:
        if m.field is None:
            continue
        if m.field in seen:
            raise _fail(file, f"columns {seen[m.field]!r} and {m.column!r} both name field "
                        f"{m.field}; keep one or map them with --mapping",
                        f"列 {seen[m.field]!r} 和 {m.column!r} 都对应字段 {m.field}；"
                        "请保留一列或用 --mapping 指定", row, m.column)
        seen[m.field] = m.column


def map_table(table: Table, entity: str, mapping: MappingFile | None = None) -> Table:
    """A JSON table (objects) with its keys read as headers."""
    extra = _check_mapping(mapping, entity, table.file) if mapping else {}
    maps = [ColumnMap(c, str(i + 1), match_field(entity, c, extra)) for i, c in
            enumerate(table.columns)]
    _refuse_duplicates(maps, table.file, 1)
    rename = {m.column: m.field or m.column for m in maps}
    rows = [{rename[k]: v for k, v in r.items()} for r in table.rows]
    return Table(table.file, [rename[c] for c in table.columns], rows, table.first_row,
                 mapping=SheetMapping(table.file, None, entity, 0, 0, maps, rows[:5]))


def _pick_sheet(grids: list[Grid], entity: str, limits: Limits) -> Grid:
    """The sheet of a workbook that holds ``entity``: named after it, else the best header."""
    named = [g for g in grids if g.sheet and sheet_entity(g.sheet) == entity]
    if named:
        return named[0]
    return max(grids, key=lambda g: (grid_score(g, entity, limits), -grids.index(g)))


def _workbook(data: bytes, name: str, entity: str | None, sheet: str | None,
              mapping: MappingFile | None, limits: Limits,
              keep_unmapped: bool = False) -> list[tuple[str, Table]]:
    grids = read_xlsx_grids(data, name, sheet, limits)
    many = len(grids) > 1 or sheet is not None
    if entity is not None:
        grid = grids[0] if sheet is not None else _pick_sheet(grids, entity, limits)
        return [(entity, map_grid(grid, entity, mapping, limits, many, keep_unmapped))]
    out: list[tuple[str, Table]] = []
    skipped: list[str] = []
    for grid in grids:
        found = sheet_entity(grid.sheet or "")
        if found is None:
            skipped.append(grid.sheet or "")
            continue
        out.append((found, map_grid(grid, found, None, limits, True, keep_unmapped)))
    if not out:
        raise _fail(name, "--entity is required: no sheet is named after an entity "
                    f"(sheets: {', '.join(skipped)}; e.g. organisations or 机构)",
                    f"必须指定 --entity：没有以实体命名的工作表（现有：{'、'.join(skipped)}；"
                    "例如 organisations 或 机构）")
    out[0][1].warnings[:0] = [RowError(name, None, None, s, "sheet ignored: its name is no "
                                       "entity", "已忽略此工作表：名称不对应任何实体")
                              for s in skipped]
    return out


def read_mapped(data: bytes, name: str, entity: str | None, *, sheet: str | None = None,
                mapping: MappingFile | None = None, encoding: str | None = None,
                limits: Limits = DEFAULT_LIMITS, keep_unmapped: bool = False
                ) -> list[tuple[str, Table]]:
    """``(entity, table)`` pairs of one file, rows keyed by field name.

    A workbook without an entity gives one pair per sheet named after an entity; a CSV or
    JSON file needs the entity (or the mapping file's). With ``keep_unmapped`` the rows also
    hold the columns that name no field, under their header text (not for the importer, which
    refuses columns it does not know).
    """
    if mapping is not None:
        entity = entity or mapping.entity
        sheet = sheet or mapping.sheet
    if entity is not None and entity not in SPECS:
        raise _fail(name, f"unknown entity {entity}; known: {', '.join(SPECS)}",
                    f"未知的实体 {entity}；可用：{', '.join(SPECS)}")
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _workbook(data, name, entity, sheet, mapping, limits, keep_unmapped)
    if suffix not in (".csv", ".txt", ".json"):
        raise _fail(name, f"unsupported file type {suffix or '(none)'}: use .csv, .xlsx or "
                    ".json", f"不支持的文件类型 {suffix or '（无）'}：请使用 .csv、.xlsx 或 .json")
    if entity is None:
        raise _fail(name, "--entity is required for a single file",
                    "导入单个文件时必须指定 --entity")
    if suffix == ".json":
        return [(entity, map_table(read_json_bytes(data, name, encoding, limits), entity,
                                   mapping))]
    return [(entity, map_grid(read_csv_grid(data, name, encoding, limits), entity, mapping,
                              limits, keep_unmapped=keep_unmapped))]
