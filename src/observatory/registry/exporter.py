"""Export entities as CSV, XLSX or JSON in the importer's own format.

Rows are sorted by natural key and references are written as the referenced entity's natural
key, so export -> import into an empty database -> export gives the same bytes. CSV and XLSX
cells that a spreadsheet would run as a formula are neutralised (``registry.cells``); the
importer undoes it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.cells import neutralise_row, xlsx_cells
from observatory.registry.entities import SPECS, EntitySpec, dependency_order
from observatory.registry.headers import choice_labels, zh_label

FORMATS = ("csv", "xlsx", "json")
HEADERS = ("code", "zh")
"""Column headers an export writes: field names and codes (the importer's own format, the
default), or the Chinese labels of ``data/headers.yaml`` with districts, vocabulary terms and
choices written as their Chinese names, as a bureau's workbook has them."""


def format_cell(value: Any) -> str | None:
    """The canonical text of a value: plain decimals, ISO dates, true/false, sorted JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _pk_name(spec: EntitySpec) -> str:
    return str(next(iter(spec.model.__mapper__.primary_key)).key)


def entity_rows(session: Session, entity: str) -> list[dict[str, str | None]]:
    """All rows of ``entity`` as file-level text values, sorted by natural key."""
    spec = SPECS[entity]
    reverse: dict[str, dict[Any, Any]] = {}
    for f in spec.fields:
        if f.ref is not None and f.ref.entity not in reverse:
            target = SPECS[f.ref.entity]
            pk = getattr(target.model, _pk_name(target))
            key = getattr(target.model, target.key[0])
            reverse[f.ref.entity] = dict(session.execute(select(pk, key)).all())
    attrs = [getattr(spec.model, f.model_attr) for f in spec.fields]
    rows: list[dict[str, str | None]] = []
    for record in session.execute(select(*attrs)):
        row: dict[str, str | None] = {}
        for f, value in zip(spec.fields, record, strict=True):
            if f.ref is not None and value is not None:
                value = reverse[f.ref.entity][value]
            row[f.name] = format_cell(value)
        rows.append(row)

    def sort_key(row: dict[str, str | None]) -> tuple[str, ...]:
        return tuple(row[k] or "" for k in spec.key)

    rows.sort(key=sort_key)
    return rows


def render(rows: list[dict[str, str | None]], columns: list[str], fmt: str) -> bytes:
    """Serialise rows in one of FORMATS."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(neutralise_row(row) for row in rows)
        return buffer.getvalue().encode("utf-8")
    if fmt == "json":
        return (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        workbook.properties.created = dt.datetime(2000, 1, 1)
        sheet = workbook.create_sheet("data")
        sheet.append(xlsx_cells(sheet, list(columns)))
        for row in rows:
            sheet.append(xlsx_cells(sheet, [row[c] for c in columns]))
        binary = io.BytesIO()
        workbook.save(binary)
        return binary.getvalue()
    raise ValueError(f"unknown format {fmt}; use one of {', '.join(FORMATS)}")


def _region_names(session: Session, home: str | None) -> dict[str, str]:
    """Code -> Chinese name of the regions within ``home`` whose names are unambiguous there."""
    rows = session.execute(select(m.Region.code, m.Region.name_zh, m.Region.parent_code)).all()
    parent = {code: up for code, _name, up in rows}

    def inside(code: str | None) -> bool:
        for _ in range(10):
            if code is None:
                return False
            if code == home:
                return True
            code = parent.get(code)
        return False

    names = {code: name for code, name, _up in rows if home is None or inside(code)}
    taken = Counter(names.values())
    return {code: name for code, name in names.items() if taken[name] == 1}


def labelled_rows(session: Session, entity: str, rows: list[dict[str, str | None]],
                  region: str | None = None) -> list[dict[str, str | None]]:
    """Rows with Chinese headers, and districts (within ``region``), vocabulary terms, choices
    and booleans written as Chinese names: what the importer reads back as the same values."""
    spec = SPECS[entity]
    regions = _region_names(session, region)
    terms = {(scheme, code): name for scheme, code, name in session.execute(
        select(m.VocabTerm.scheme_code, m.VocabTerm.code, m.VocabTerm.name_zh))}
    out = []
    for row in rows:
        labelled: dict[str, str | None] = {}
        for f in spec.fields:
            value = row[f.name]
            if value is not None:
                if f.ref is not None and f.ref.entity == "regions":
                    value = regions.get(value, value)
                elif f.vocab is not None:
                    value = terms.get((f.vocab, value), value)
                elif f.choices is not None:
                    value = (choice_labels(value) or [value])[0]
                elif f.kind == "bool":
                    value = "是" if value == "true" else "否"
            labelled[zh_label(entity, f.name)] = value
        out.append(labelled)
    return out


def export_entity(session: Session, entity: str, fmt: str = "csv", headers: str = "code",
                  region: str | None = None) -> bytes:
    """One entity in one of FORMATS; ``headers="zh"`` as a bureau's workbook (``HEADERS``)."""
    spec = SPECS[entity]
    rows = entity_rows(session, entity)
    if headers == "zh":
        return render(labelled_rows(session, entity, rows, region),
                      [zh_label(entity, f) for f in spec.columns], fmt)
    return render(rows, spec.columns, fmt)


def export_bundle(session: Session, out_dir: Path, fmt: str = "csv",
                  entities: list[str] | None = None, headers: str = "code",
                  region: str | None = None) -> list[Path]:
    """Write every entity (or those named) plus a manifest the importer reads back."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    manifest = []
    for entity in dependency_order(entities):
        path = out_dir / f"{entity}.{fmt}"
        path.write_bytes(export_entity(session, entity, fmt, headers, region))
        manifest.append({"entity": entity, "path": path.name})
        written.append(path)
    (out_dir / "manifest.json").write_text(json.dumps({"files": manifest}, indent=1) + "\n",
                                           encoding="utf-8")
    return written
