"""Import CSV/XLSX/JSON files and bundles: validate every row, then write all in one transaction.

The contract: either every row of every file is valid and the whole import is committed as one
transaction (upserting by natural key, with an audit record per change), or nothing is written
and the caller gets every error with file, row, column, value and reason in English and Chinese.

>>> from observatory.registry.importer import convert_value
>>> from observatory.registry.entities import Field
>>> convert_value(Field("x", "decimal"), "12.50")
(Decimal('12.50'), None)
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.audit import audit_rows, json_safe
from observatory.registry.entities import SPECS, EntitySpec, Field, dependency_order
from observatory.registry.errors import ImportFailed, RowError
from observatory.registry.mapping import MappingFile, SheetMapping, read_mapped
from observatory.registry.readers import (
    DEFAULT_LIMITS,
    Limits,
    ReadFailed,
    Table,
    check_size,
    read_bundle,
)
from observatory.registry.values import DATE_FORMS, Lookups, parse_date

CHUNK = 900  # stays under SQLite's bound-parameter limit for IN lists
_INT = re.compile(r"^[+-]?\d+$")
INT32_MAX = 2_147_483_647
MAX_ERRORS = 100_000
"""Errors kept in memory for one import; past it only the count goes on."""
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}

Progress = Callable[[str, int, int], None]
"""progress(label, done, total) — called while validating and writing."""


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass
class ImportResult:
    counts: dict[str, Counts] = field(default_factory=dict)
    dry_run: bool = False
    #: Rows and columns skipped on the way (totals, notes, ignored columns and sheets).
    warnings: list[RowError] = field(default_factory=list)
    #: How each file's header was read (detected header row, column -> field, unmapped).
    mappings: list[SheetMapping] = field(default_factory=list)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {name: {"inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged}
                for name, c in self.counts.items()}


Problem = tuple[str, str]
"""Why a value is wrong: (reason_en, reason_zh)."""
Converted = tuple[Any, Problem | None]


def _to_str(raw: Any) -> Converted:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw)), None
    return str(raw).strip(), None


def _to_int(raw: Any) -> Converted:
    if isinstance(raw, bool):
        return None, ("expected a whole number", "应为整数")
    if isinstance(raw, int):
        return raw, None
    if isinstance(raw, float) and raw.is_integer():
        return int(raw), None
    text = str(raw).strip()
    if _INT.match(text):
        return int(text), None
    return None, ("expected a whole number", "应为整数")


def _to_decimal(raw: Any) -> Converted:
    if isinstance(raw, bool):
        return None, ("expected a number", "应为数值")
    text = repr(raw) if isinstance(raw, float) else str(raw).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, ("expected a number (digits, optional '.', no thousands separators)",
                      "应为数值（数字和小数点，不含千分位分隔符）")
    if not number.is_finite():
        return None, ("expected a finite number", "应为有限数值")
    return number, None


def _to_date(raw: Any) -> Converted:
    found = parse_date(raw)
    if found is not None:
        return found, None
    return None, (f"expected a date such as {DATE_FORMS}",
                  "应为日期，如 2024-05-01、2024/5/1、2024年5月1日、2024.5.1、20240501 "
                  "或 Excel 日期")


def _to_bool(raw: Any) -> Converted:
    if isinstance(raw, bool):
        return raw, None
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    return None, ("expected true or false", "应为 true 或 false")


def _to_json(raw: Any) -> Converted:
    if isinstance(raw, dict | list):
        return raw, None
    try:
        return json.loads(str(raw)), None
    except json.JSONDecodeError as exc:
        return None, (f"invalid JSON: {exc.msg}", f"JSON 格式错误：{exc.msg}")
    except RecursionError:
        return None, ("JSON nested too deeply", "JSON 嵌套层数过多")


_CONVERTERS: dict[str, Callable[[Any], Converted]] = {
    "str": _to_str, "int": _to_int, "decimal": _to_decimal, "date": _to_date, "bool": _to_bool,
    "json": _to_json,
}


def convert_value(spec: Field, raw: Any) -> Converted:
    """Convert one raw cell to the field's type: (value, None) or (None, (reason_en, reason_zh))."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None, None
    converter = _CONVERTERS.get(spec.kind)
    if converter is None:
        raise ValueError(f"unknown field kind {spec.kind}")
    return converter(raw)


def _check_value(spec: Field, value: Any, vocab: dict[str, set[str]]) -> Problem | None:
    """Why a converted value is not allowed, or None.

    The length check comes last: a code list, vocabulary or format check says more precisely
    what is wrong with a value than its length does.
    """
    if spec.choices is not None and value not in spec.choices:
        allowed = ", ".join(spec.choices)
        return (f"not one of: {allowed}", f"不在允许的取值中：{allowed}")
    if spec.vocab is not None and value not in vocab.get(spec.vocab, set()):
        return (f"unknown code in vocabulary {spec.vocab}", f"词表 {spec.vocab} 中没有此代码")
    if spec.max_digits is not None and isinstance(value, Decimal) \
            and abs(value) >= Decimal(10) ** spec.max_digits:
        return (f"too large: at most {spec.max_digits} digits before the decimal point",
                f"数值过大：整数部分最多 {spec.max_digits} 位")
    if spec.kind == "int" and abs(value) > INT32_MAX:
        return (f"too large: at most {INT32_MAX}", f"数值过大：不能超过 {INT32_MAX}")
    if spec.min_value is not None and value < spec.min_value:
        if spec.min_value == 0:
            return ("must not be negative", "不能为负数")
        return (f"must be at least {spec.min_value}", f"不能小于 {spec.min_value}")
    if spec.max_value is not None and value > spec.max_value:
        return (f"must be at most {spec.max_value}", f"不能大于 {spec.max_value}")
    if spec.check is not None:
        problem = spec.check(value)
        if problem:
            return (problem, f"校验未通过：{problem}")
    if spec.max_len is not None and isinstance(value, str) and len(value) > spec.max_len:
        return (f"longer than {spec.max_len} characters", f"超过 {spec.max_len} 个字符")
    return None


def _pk_attr(model: type[m.Base]) -> str:
    return str(next(iter(model.__mapper__.primary_key)).key)


def lookup_keys(session: Session, entity: str, values: Iterable[Any]) -> dict[Any, Any]:
    """Map natural-key values of a single-key entity to primary keys, in chunks."""
    spec = SPECS[entity]
    model = spec.model
    key_attr = getattr(model, spec.key[0])
    pk_attr = getattr(model, _pk_attr(model))
    wanted = [v for v in set(values) if v is not None]
    found: dict[Any, Any] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        for key, pk in session.execute(select(key_attr, pk_attr).where(key_attr.in_(chunk))):
            found[key] = pk
    return found


def load_vocabularies(session: Session) -> dict[str, set[str]]:
    vocab: dict[str, set[str]] = defaultdict(set)
    for scheme, code in session.execute(select(m.VocabTerm.scheme_code, m.VocabTerm.code)):
        vocab[scheme].add(code)
    return vocab


@dataclass
class _Parsed:
    spec: EntitySpec
    table: Table
    rows: list[tuple[int, dict[str, Any]]]  # (row number, file-level typed values)


def _validate_table(session: Session, spec: EntitySpec, table: Table,
                    vocab: dict[str, set[str]], bundle_keys: dict[str, set[Any]],
                    errors: list[RowError], progress: Progress | None,
                    lookups: Lookups) -> _Parsed:
    """Check the header, every row and every reference of one file; errors go to ``errors``."""
    name = table.file
    if table.columns or table.rows:  # a JSON file of no rows (`[]`) has no header to check
        errors.extend(_header_errors(spec, table))
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen_keys: dict[tuple[Any, ...], int] = {}
    total = len(table.rows)
    for index, raw_row in enumerate(table.rows):
        row_no = table.first_row + index
        if progress is not None and index % 5000 == 0:
            progress(f"validate {name}", index, total)
        if not raw_row:
            continue
        values, row_errors = _row_values(spec, raw_row, vocab, name, row_no, lookups,
                                         table.units)
        key = tuple(values.get(k) for k in spec.key)
        if None not in key:
            if key in seen_keys:
                row_errors.append(RowError(
                    name, row_no, ",".join(spec.key), "|".join(str(k) for k in key),
                    f"duplicate key: same as row {seen_keys[key]}",
                    f"键重复：与第 {seen_keys[key]} 行相同"))
            else:
                seen_keys[key] = row_no
        errors.extend(row_errors)
        if not row_errors:
            parsed.append((row_no, values))
    if len(spec.key) == 1:
        bundle_keys[spec.name].update(k[0] for k in seen_keys)
    errors.extend(_reference_errors(session, spec, name, parsed, bundle_keys))
    return _Parsed(spec, table, parsed)


def _header_errors(spec: EntitySpec, table: Table) -> list[RowError]:
    """Columns the entity does not have, then required columns the file lacks."""
    errors = [RowError(table.file, 1, column, None,
                       f"unknown column for {spec.name}; expected some of: "
                       f"{', '.join(spec.columns)}",
                       f"{spec.name} 没有此列；允许的列：{', '.join(spec.columns)}")
              for column in table.columns if column not in spec.columns]
    errors += [RowError(table.file, 1, f.name, None, "required column is missing", "缺少必填列")
               for f in spec.fields if f.required and f.name not in table.columns]
    return errors


def _row_values(spec: EntitySpec, raw_row: dict[str, Any], vocab: dict[str, set[str]],
                file: str, row_no: int, lookups: Lookups | None = None,
                units: dict[str, Decimal] | None = None
                ) -> tuple[dict[str, Any], list[RowError]]:
    """One row's typed values and its problems: each cell's, then the cross-field checks'.

    Amounts are scaled to yuan by their header's unit, and labels become codes (``values``)."""
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for spec_field in spec.fields:
        raw = raw_row.get(spec_field.name)
        value, problem = convert_value(spec_field, raw)
        if problem is None and value is not None:
            scale = (units or {}).get(spec_field.name)
            if scale is not None and isinstance(value, Decimal):
                value = value * scale
            if lookups is not None:
                value, problem = lookups.resolve(spec_field, value)
        if value is None and problem is None and spec_field.default is not None:
            value = spec_field.default
        if problem is None and value is None and spec_field.required:
            problem = ("required value is empty", "必填值为空")
        if problem is None and value is not None:
            problem = _check_value(spec_field, value, vocab)
        if problem is not None:
            errors.append(RowError(file, row_no, spec_field.name,
                                   None if raw is None else str(raw), *problem))
        values[spec_field.name] = value
    for check in spec.row_checks:
        for column, reason_en, reason_zh in check(values):
            errors.append(RowError(file, row_no, column, str(values.get(column)),
                                   reason_en, reason_zh))
    return values, errors


def _reference_errors(session: Session, spec: EntitySpec, file: str,
                      parsed: list[tuple[int, dict[str, Any]]],
                      bundle_keys: dict[str, set[Any]]) -> list[RowError]:
    """References to keys that are neither in this bundle nor already in the database."""
    errors: list[RowError] = []
    for spec_field in spec.fields:
        if spec_field.ref is None:
            continue
        target = spec_field.ref.entity
        wanted = {values[spec_field.name] for _, values in parsed} - {None}
        missing_refs = wanted - bundle_keys.get(target, set())
        if missing_refs:
            missing_refs -= set(lookup_keys(session, target, missing_refs))
        if not missing_refs:
            continue
        for row_no, values in parsed:
            value = values[spec_field.name]
            if value in missing_refs:
                errors.append(RowError(file, row_no, spec_field.name, str(value),
                                       f"no {target} with this key in the file set or database",
                                       f"文件或数据库中不存在此{SPECS[target].name_zh or target}"))
    return errors


def _to_model_values(parsed: _Parsed, ref_maps: dict[str, dict[Any, Any]],
                     defer_self: bool) -> list[dict[str, Any]]:
    rows = []
    for _, values in parsed.rows:
        out: dict[str, Any] = {}
        for spec_field in parsed.spec.fields:
            value = values[spec_field.name]
            if spec_field.ref is not None:
                if defer_self and spec_field.ref.entity == parsed.spec.name:
                    continue
                if value is not None:
                    value = ref_maps[spec_field.ref.entity][value]
            out[spec_field.model_attr] = value
        rows.append(out)
    return rows


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        if a is None or b is None:
            return a is b
        return Decimal(str(a)) == Decimal(str(b))
    return a == b


def _write_entity(session: Session, parsed: _Parsed, actor: str, operation: str,
                  progress: Progress | None) -> Counts:
    spec = parsed.spec
    model = spec.model
    pk = _pk_attr(model)
    ref_maps: dict[str, dict[Any, Any]] = {}
    for spec_field in spec.fields:
        if spec_field.ref is None:
            continue
        target = spec_field.ref.entity
        wanted = {v[spec_field.name] for _, v in parsed.rows}
        ref_maps.setdefault(target, {}).update(lookup_keys(session, target, wanted))
    self_refs = [f for f in spec.fields if f.ref is not None and f.ref.entity == spec.name]
    rows = _to_model_values(parsed, ref_maps, defer_self=bool(self_refs))
    key_attrs = [spec.field(k).model_attr for k in spec.key]
    # Existing rows by natural key (model level), fetched in chunks on the first key column.
    existing: dict[tuple[Any, ...], dict[str, Any]] = {}
    first = getattr(model, key_attrs[0])
    columns = [getattr(model, pk), *(getattr(model, a) for a in (rows[0] if rows else ()))]
    firsts = list({r[key_attrs[0]] for r in rows})
    for start in range(0, len(firsts), CHUNK):
        chunk = firsts[start:start + CHUNK]
        for record in session.execute(select(*columns).where(first.in_(chunk))).mappings():
            key = tuple(record[a] for a in key_attrs)
            existing[key] = dict(record)
    counts = Counts()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    # A column the file does not have keeps what the database holds (a bureau's list of names
    # and districts does not wipe the English names imported before).
    absent = {f.model_attr for f in spec.fields if f.name not in parsed.table.columns}
    for row in rows:
        key = tuple(row[a] for a in key_attrs)
        key_text = "|".join(str(k) for k in key)
        before = existing.get(key)
        if before is None:
            inserts.append(row)
            audits.append({"entity": spec.name, "entity_key": key_text, "action": "insert",
                           "before": None, "after": json_safe(row)})
            continue
        row = {a: v for a, v in row.items() if a not in absent}
        changed = {a: v for a, v in row.items() if not _same(before.get(a), v)}
        if not changed:
            counts.unchanged += 1
            continue
        updates.append({pk: before[pk], **row})
        audits.append({"entity": spec.name, "entity_key": key_text, "action": "update",
                       "before": json_safe({a: before.get(a) for a in changed}),
                       "after": json_safe(changed)})
    for start in range(0, len(inserts), 5000):
        session.execute(insert(model), inserts[start:start + 5000])
        if progress is not None:
            progress(f"write {spec.name}", start + 5000, len(inserts))
    if updates:
        session.execute(update(model), updates)
    if self_refs:
        session.flush()
        # The rows' own keys and their parents', which may be rows already in the database.
        key_map = lookup_keys(session, spec.name, [r[key_attrs[0]] for r in rows] + [
            values[f.name] for _, values in parsed.rows for f in self_refs])
        patches = []
        for _, values in parsed.rows:
            patch = {pk: key_map[values[spec.key[0]]]}
            for spec_field in self_refs:
                if spec_field.model_attr in absent:
                    continue
                ref_value = values[spec_field.name]
                patch[spec_field.model_attr] = None if ref_value is None else key_map[ref_value]
            patches.append(patch)
        session.execute(update(model), patches)
    counts.inserted = len(inserts)
    counts.updated = len(updates)
    audit_rows(session, audits, actor=actor, operation=operation)
    session.flush()
    return counts


def _error_order(tables: list[tuple[str, Table]]) -> Callable[[RowError], tuple[int, int, int]]:
    """Sort errors as a reader scans the files: by file, row, then column position."""
    position = {t.file: (i, SPECS[e].columns) for i, (e, t) in enumerate(tables)}

    def key(error: RowError) -> tuple[int, int, int]:
        index, columns = position.get(error.file, (-1, []))
        column = columns.index(error.column) if error.column in columns else -1
        return index, error.row or 0, column

    return key


class _Errors(list[RowError]):
    """The errors of one import: the first ``cap`` kept, all of them counted."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap, self.total = cap, 0

    def append(self, error: RowError) -> None:
        self.total += 1
        if len(self) < self.cap:
            super().append(error)

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.append(error)


def import_tables(session: Session, tables: list[tuple[str, Table]], *, actor: str = "import",
                  operation: str = "import", progress: Progress | None = None,
                  region: str | None = None, max_errors: int = MAX_ERRORS) -> ImportResult:
    """Validate and write ``(entity, table)`` pairs inside the caller's transaction.

    District names are read within ``region`` (the deployment's home region; every region
    when None). Raises ImportFailed with the errors found (the first ``max_errors`` of them and
    their count); the caller's transaction must then roll back (``observatory.db.transaction``
    does).
    """
    errors = _Errors(max_errors)
    for entity, table in tables:
        if entity not in SPECS:
            errors.append(RowError(table.file, None, None, entity,
                                   f"unknown entity; known: {', '.join(SPECS)}",
                                   f"未知的实体；可用：{', '.join(SPECS)}"))
    if errors:
        raise ImportFailed(list(errors))
    order = dependency_order(sorted({e for e, _ in tables}))
    tables = sorted(tables, key=lambda pair: order.index(pair[0]))
    vocab = load_vocabularies(session)
    lookups = Lookups.load(session, region)
    bundle_keys: dict[str, set[Any]] = defaultdict(set)
    parsed = [_validate_table(session, SPECS[e], t, vocab, bundle_keys, errors, progress,
                              lookups) for e, t in tables]
    if errors:
        raise ImportFailed(sorted(errors, key=_error_order(tables)), total=errors.total)
    result = ImportResult(warnings=[w for _e, t in tables for w in t.warnings],
                          mappings=[t.mapping for _e, t in tables if t.mapping is not None])
    for item in parsed:
        counts = _write_entity(session, item, actor, operation, progress)
        total = result.counts.setdefault(item.spec.name, Counts())
        total.inserted += counts.inserted
        total.updated += counts.updated
        total.unchanged += counts.unchanged
    return result


def read_inputs(path: Path, entity: str | None, encoding: str | None = None, *,
                sheet: str | None = None, mapping: MappingFile | None = None,
                limits: Limits = DEFAULT_LIMITS, keep_unmapped: bool = False
                ) -> list[tuple[str, Table]]:
    """Read a single file or a folder/ZIP bundle with a manifest into rows under field names
    (``registry.mapping``): a workbook's header found below its titles, every sheet named after
    an entity when no entity is given, limits checked while reading."""
    try:
        if path.is_dir() or path.suffix.lower() == ".zip":
            return [pair for f in read_bundle(path, limits) for pair in read_mapped(
                f.data, f.name, f.entity, sheet=f.sheet, encoding=encoding, limits=limits,
                keep_unmapped=keep_unmapped)]
        if path.is_file():
            check_size(path.stat().st_size, path.name, limits)
        return read_mapped(path.read_bytes(), path.name, entity, sheet=sheet, mapping=mapping,
                           encoding=encoding, limits=limits, keep_unmapped=keep_unmapped)
    except ReadFailed as exc:
        raise ImportFailed([exc.error]) from exc


def conflict(file: str, exc: Exception) -> ImportFailed:
    """Another transaction wrote the same keys, or holds the database, while this import ran."""
    if isinstance(exc, IntegrityError):
        return ImportFailed([RowError(
            file, None, None, None,
            "another import wrote records with the same keys at the same time; nothing was "
            "written: run the import again",
            "另一个导入同时写入了相同键的记录；本次未写入任何数据，请重新导入")],
            conflict=True)
    return ImportFailed([RowError(
        file, None, None, None, "the database is busy with another import; nothing was "
        "written: run the import again",
        "数据库正被另一个导入占用；本次未写入任何数据，请重新导入")],
        conflict=True)


def is_conflict(exc: Exception) -> bool:
    """An error a concurrent writer causes (unique key taken, database locked)."""
    if isinstance(exc, IntegrityError):
        return True
    text = str(exc).lower()
    return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text
                                                  or "deadlock" in text)


def import_path(engine: Engine, path: Path, entity: str | None = None, *, dry_run: bool = False,
                encoding: str | None = None, actor: str = "cli",
                progress: Progress | None = None, sheet: str | None = None,
                mapping: MappingFile | None = None, limits: Limits = DEFAULT_LIMITS,
                region: str | None = None) -> ImportResult:
    """Import a file or bundle in one transaction; with ``dry_run`` validate and roll back."""
    if not path.exists():
        raise ImportFailed([RowError(str(path), None, None, None, "file not found",
                                     "文件不存在")])
    tables = read_inputs(path, entity, encoding, sheet=sheet, mapping=mapping, limits=limits)
    with Session(engine) as session:
        try:
            result = import_tables(session, tables, actor=actor,
                                   operation=f"import {path.name}", progress=progress,
                                   region=region)
            result.dry_run = dry_run
            if dry_run:
                session.rollback()
            else:
                session.commit()
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            if not is_conflict(exc):
                raise
            raise conflict(path.name, exc) from exc
        except BaseException:
            session.rollback()
            raise
    return result
