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

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.audit import audit_rows, json_safe
from observatory.registry.entities import SPECS, EntitySpec, Field, dependency_order
from observatory.registry.errors import ImportFailed, RowError
from observatory.registry.readers import ReadFailed, Table, read_bundle, read_table

CHUNK = 900  # stays under SQLite's bound-parameter limit for IN lists
_INT = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
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
    if isinstance(raw, dt.datetime):
        return raw.date(), None
    if isinstance(raw, dt.date):
        return raw, None
    text = str(raw).strip()
    if _DATE.match(text):
        try:
            return dt.date.fromisoformat(text), None
        except ValueError:
            pass
    return None, ("expected a date YYYY-MM-DD", "应为日期，格式 YYYY-MM-DD")


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
                    errors: list[RowError], progress: Progress | None) -> _Parsed:
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
        values, row_errors = _row_values(spec, raw_row, vocab, name, row_no)
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
                file: str, row_no: int) -> tuple[dict[str, Any], list[RowError]]:
    """One row's typed values and its problems: each cell's, then the cross-field checks'."""
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for spec_field in spec.fields:
        raw = raw_row.get(spec_field.name)
        value, problem = convert_value(spec_field, raw)
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
    for row in rows:
        key = tuple(row[a] for a in key_attrs)
        key_text = "|".join(str(k) for k in key)
        before = existing.get(key)
        if before is None:
            inserts.append(row)
            audits.append({"entity": spec.name, "entity_key": key_text, "action": "insert",
                           "before": None, "after": json_safe(row)})
            continue
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
        key_map = lookup_keys(session, spec.name, [r[key_attrs[0]] for r in rows])
        patches = []
        for _, values in parsed.rows:
            patch = {pk: key_map[values[spec.key[0]]]}
            for spec_field in self_refs:
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


def import_tables(session: Session, tables: list[tuple[str, Table]], *, actor: str = "import",
                  operation: str = "import", progress: Progress | None = None) -> ImportResult:
    """Validate and write ``(entity, table)`` pairs inside the caller's transaction.

    Raises ImportFailed with every error found; the caller's transaction must then roll back
    (``observatory.db.transaction`` does).
    """
    errors: list[RowError] = []
    for entity, table in tables:
        if entity not in SPECS:
            errors.append(RowError(table.file, None, None, entity,
                                   f"unknown entity; known: {', '.join(SPECS)}",
                                   f"未知的实体；可用：{', '.join(SPECS)}"))
    if errors:
        raise ImportFailed(errors)
    order = dependency_order(sorted({e for e, _ in tables}))
    tables = sorted(tables, key=lambda pair: order.index(pair[0]))
    vocab = load_vocabularies(session)
    bundle_keys: dict[str, set[Any]] = defaultdict(set)
    parsed = [_validate_table(session, SPECS[e], t, vocab, bundle_keys, errors, progress)
              for e, t in tables]
    if errors:
        raise ImportFailed(sorted(errors, key=_error_order(tables)))
    result = ImportResult()
    for item in parsed:
        counts = _write_entity(session, item, actor, operation, progress)
        total = result.counts.setdefault(item.spec.name, Counts())
        total.inserted += counts.inserted
        total.updated += counts.updated
        total.unchanged += counts.unchanged
    return result


def read_inputs(path: Path, entity: str | None, encoding: str | None = None
                ) -> list[tuple[str, Table]]:
    """Read a single file (``entity`` required) or a folder/ZIP bundle with a manifest."""
    try:
        if path.is_dir() or path.suffix.lower() == ".zip":
            return [(f.entity, read_table(f.data, f.name, encoding)) for f in read_bundle(path)]
        if entity is None:
            raise ReadFailed(RowError(path.name, None, None, None,
                                      "--entity is required for a single file",
                                      "导入单个文件时必须指定 --entity"))
        return [(entity, read_table(path.read_bytes(), path.name, encoding))]
    except ReadFailed as exc:
        raise ImportFailed([exc.error]) from exc


def import_path(engine: Engine, path: Path, entity: str | None = None, *, dry_run: bool = False,
                encoding: str | None = None, actor: str = "cli",
                progress: Progress | None = None) -> ImportResult:
    """Import a file or bundle in one transaction; with ``dry_run`` validate and roll back."""
    if not path.exists():
        raise ImportFailed([RowError(str(path), None, None, None, "file not found",
                                     "文件不存在")])
    tables = read_inputs(path, entity, encoding)
    with Session(engine) as session:
        try:
            result = import_tables(session, tables, actor=actor,
                                   operation=f"import {path.name}", progress=progress)
        except BaseException:
            session.rollback()
            raise
        result.dry_run = dry_run
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return result
