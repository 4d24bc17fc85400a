"""Data in and out through the web: staged imports (upload, mapping preview and validation,
then confirm or discard) and the audit log. An upload is read as the CLI reads it (Chinese
headers, title rows, merged headers, sheets, totals rows; ``registry.mapping``), checked by the
registry importer within the deployment's limits, and nothing is written until a person confirms
exactly the bytes that were checked."""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from observatory.registry.audit import recent, record_change
from observatory.registry.entities import SPECS
from observatory.registry.errors import ImportFailed, RowError
from observatory.registry.importer import conflict, import_tables, is_conflict, read_inputs
from observatory.registry.mapping import MappingFile, load_mapping
from observatory.registry.readers import Limits, ReadFailed
from observatory.services.access import allow
from observatory.services.auth import Principal
from observatory.services.context import Deployment
from observatory.services.errors import Conflict, Invalid, NotFound, ServiceError
from observatory.services.tables import ImportRun

JsonValue = str | int | float | bool | None | list[object] | dict[str, object]


class TableCounts(BaseModel):
    inserted: int
    updated: int
    unchanged: int


class RowProblem(BaseModel):
    """One problem in an input file: where it is, what was found, why it is wrong."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason_en: str
    reason_zh: str


class ColumnPreview(BaseModel):
    """One column of the file: its header, letter, the field it feeds and its unit factor."""

    column: str
    letter: str
    field: str | None
    scale: str | None


class SheetPreview(BaseModel):
    """How one file or sheet was read: what a person checks before confirming."""

    file: str
    sheet: str | None
    entity: str
    header_row: int
    header_rows: int
    columns: list[ColumnPreview]
    unmapped: list[str]
    first_rows: list[dict[str, str]]


class ImportRunView(BaseModel):
    id: int
    at: str
    actor: str
    filename: str
    entity: str | None
    status: str
    errors: list[RowProblem]
    #: How many errors the file had; ``errors`` keeps the first of them.
    error_total: int = 0
    warnings: list[RowProblem] = []
    preview: list[SheetPreview] = []
    counts: dict[str, TableCounts]


class DataOverview(BaseModel):
    entities: list[str]
    imports: list[ImportRunView]


class AuditEntry(BaseModel):
    id: int
    at: str
    actor: str
    entity: str
    entity_key: str | None
    action: str
    operation: str | None
    before: JsonValue
    after: JsonValue


class AuditLog(BaseModel):
    entries: list[AuditEntry]


class TooLarge(ServiceError):
    """An upload past the deployment's size limit."""

    status = 413


def _run_view(r: ImportRun, with_errors: bool = True) -> ImportRunView:
    report = r.report or {}
    return ImportRunView(id=r.id, at=r.at.isoformat(), actor=r.actor, filename=r.filename,
                         entity=r.entity, status=r.status,
                         errors=[RowProblem.model_validate(e) for e in r.errors or []]
                         if with_errors else [],
                         error_total=int(report.get("error_total", len(r.errors or []))),
                         warnings=[RowProblem.model_validate(w) for w in
                                   report.get("warnings", [])] if with_errors else [],
                         preview=[SheetPreview.model_validate(p) for p in
                                  report.get("preview", [])] if with_errors else [],
                         counts=r.counts or {})


def data_overview(engine: Engine, p: Principal) -> DataOverview:
    """What can be imported and the latest 50 imports (counts only; a run's page has errors)."""
    allow(p, "data")
    with Session(engine) as session:
        runs = [_run_view(r, with_errors=False) for r in session.scalars(
            select(ImportRun).order_by(ImportRun.id.desc()).limit(50))]
    return DataOverview(entities=sorted(SPECS), imports=runs)


MAX_NAME = 255


def safe_filename(filename: str) -> str:
    """The upload's base name, or Invalid when it cannot name a file (``.``, ``..``, empty,
    longer than 255 characters, control characters)."""
    name = Path((filename or "").replace("\\", "/")).name
    if name in ("", ".", "..") or any(ord(c) < 32 for c in filename or ""):
        raise Invalid(f"file name {filename[:80]!r} cannot name a file; rename it (e.g. "
                      "data.xlsx)", f"文件名 {filename[:80]!r} 无效，请重命名（例如 data.xlsx）")
    if len(filename) > MAX_NAME:
        raise Invalid(f"file name has {len(filename)} characters, more than {MAX_NAME}",
                      f"文件名有 {len(filename)} 个字符，超过 {MAX_NAME} 个")
    return name


@dataclass
class _Outcome:
    counts: dict[str, dict[str, int]] | None
    errors: list[RowError]
    error_total: int
    warnings: list[RowError]
    preview: list[dict[str, Any]]


@dataclass
class Options:
    """What an upload is read with besides its bytes."""

    entity: str | None = None
    sheet: str | None = None
    mapping: str | None = None  # the mapping file's YAML text


def _mapping(options: Options) -> MappingFile | None:
    if not options.mapping:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mapping.yaml"
        path.write_text(options.mapping, encoding="utf-8")
        return load_mapping(path)


def _check(dep: Deployment, payload: bytes, filename: str, options: Options, actor: str,
           commit: bool) -> _Outcome:
    """Read and import the file in a transaction: commit it, or roll back after validating."""
    limits = Limits.from_settings(dep.settings)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / filename
        path.write_bytes(payload)
        try:
            tables = read_inputs(path, options.entity, sheet=options.sheet,
                                 mapping=_mapping(options), limits=limits)
        except ReadFailed as exc:
            return _Outcome(None, [exc.error], 1, [], [])
        except ImportFailed as exc:
            return _Outcome(None, exc.errors, exc.total, [], [])
    preview = [t.mapping.as_dict() for _e, t in tables if t.mapping is not None]
    warnings = [w for _e, t in tables for w in t.warnings]
    with Session(dep.engine) as session:
        try:
            result = import_tables(session, tables, actor=actor,
                                   operation=f"web import {filename}", region=dep.settings.region,
                                   max_errors=limits.stored_errors)
            if commit:
                session.commit()
            else:
                session.rollback()
        except ImportFailed as exc:
            session.rollback()
            return _Outcome(None, exc.errors, exc.total, warnings, preview)
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            if not is_conflict(exc):
                raise
            failed = conflict(filename, exc)
            raise Conflict(failed.errors[0].reason_en, failed.errors[0].reason_zh) from exc
    return _Outcome(result.as_dict(), [], 0, warnings, preview)


def _report(outcome: _Outcome, options: Options, limits: Limits) -> dict[str, Any]:
    return {"error_total": outcome.error_total,
            "warnings": [asdict(w) for w in outcome.warnings[:limits.stored_errors]],
            "preview": outcome.preview, "options": asdict(options)}


def stage_import(dep: Deployment, p: Principal, payload: bytes, filename: str,
                 options: Options) -> int:
    """Read an upload, show how it was read (the mapping preview) and validate it; keep it for
    confirmation with its report (the first errors and their count); the run's id."""
    allow(p, "data")
    filename = safe_filename(filename)
    limits = Limits.from_settings(dep.settings)
    if len(payload) > limits.file_bytes:
        raise TooLarge(f"the file has {len(payload)} bytes, more than the limit of "
                       f"{limits.file_bytes}", f"文件大小 {len(payload)} 字节，超过上限 "
                       f"{limits.file_bytes} 字节")
    outcome = _check(dep, payload, filename, options, p.username, commit=False)
    with Session(dep.engine) as session, session.begin():
        run = ImportRun(at=dt.datetime.now(dt.UTC), actor=p.username, filename=filename,
                        entity=options.entity, status="invalid" if outcome.errors else "validated",
                        payload=None if outcome.errors else payload,
                        errors=[asdict(e) for e in outcome.errors[:limits.stored_errors]],
                        counts=outcome.counts, report=_report(outcome, options, limits))
        session.add(run)
        session.flush()
        record_change(session, actor=p.username, entity="web_import_runs",
                      entity_key=str(run.id), action="insert", before=None,
                      after={"filename": filename, "status": run.status,
                             "errors": outcome.error_total}, operation="web import validate")
        return run.id


def import_run(engine: Engine, p: Principal, run_id: int) -> ImportRunView:
    allow(p, "data")
    with Session(engine) as session:
        run = session.get(ImportRun, run_id)
        if run is None:
            raise NotFound()
        return _run_view(run)


def finish_import(dep: Deployment, p: Principal, run_id: int, confirm: bool) -> ImportRunView:
    """Commit a validated run (read and checked again as it is written) or discard it."""
    allow(p, "data")
    limits = Limits.from_settings(dep.settings)
    with Session(dep.engine) as session:
        run = session.get(ImportRun, run_id)
        if run is None:
            raise NotFound()
        if run.status != "validated":
            raise Conflict("only a validated import can be confirmed", "只有校验通过的导入才能确认")
        payload, filename = run.payload, run.filename
        saved = dict((run.report or {}).get("options") or {})
        options = Options(entity=run.entity, sheet=saved.get("sheet"),
                          mapping=saved.get("mapping"))
    outcome = _check(dep, payload or b"", filename, options, p.username, commit=True) \
        if confirm else _Outcome(None, [], 0, [], [])
    status = ("invalid" if outcome.errors else "committed") if confirm else "discarded"
    with Session(dep.engine) as session, session.begin():
        run = session.get_one(ImportRun, run_id)
        run.status, run.payload = status, None
        if outcome.counts is not None:
            run.counts = outcome.counts
        if outcome.errors:
            run.errors = [asdict(e) for e in outcome.errors[:limits.stored_errors]]
            run.report = {**(run.report or {}), "error_total": outcome.error_total}
        record_change(session, actor=p.username, entity="web_import_runs",
                      entity_key=str(run_id), action="update",
                      before={"status": "validated"}, after={"status": status},
                      operation=f"web import {'confirm' if confirm else 'discard'}")
    return import_run(dep.engine, p, run_id)


def audit_log(engine: Engine, p: Principal, limit: int = 100) -> AuditLog:
    """The newest changes (1 to 500 of them), who made them and what they were."""
    allow(p, "data")
    with Session(engine) as session:
        rows = recent(session, limit=min(max(limit, 1), 500))
    return AuditLog(entries=[AuditEntry(
        id=r.id, at=r.at.isoformat(), actor=r.actor, entity=r.entity, entity_key=r.entity_key,
        action=r.action, operation=r.operation, before=r.before, after=r.after) for r in rows])
