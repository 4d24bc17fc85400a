"""Data in and out through the web: staged imports (validate, then confirm or discard) and the
audit log. An upload is checked by the registry importer and nothing is written until a
person confirms exactly the bytes that were checked."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.registry.audit import recent, record_change
from observatory.registry.entities import SPECS
from observatory.registry.errors import ImportFailed, RowError
from observatory.registry.importer import import_tables, read_inputs
from observatory.services.access import allow
from observatory.services.auth import Principal
from observatory.services.errors import Conflict, NotFound
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


class ImportRunView(BaseModel):
    id: int
    at: str
    actor: str
    filename: str
    entity: str | None
    status: str
    errors: list[RowProblem]
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


def _run_view(r: ImportRun, with_errors: bool = True) -> ImportRunView:
    return ImportRunView(id=r.id, at=r.at.isoformat(), actor=r.actor, filename=r.filename,
                         entity=r.entity, status=r.status,
                         errors=[RowProblem.model_validate(e) for e in r.errors or []]
                         if with_errors else [], counts=r.counts or {})


def data_overview(engine: Engine, p: Principal) -> DataOverview:
    """What can be imported and the latest 50 imports (counts only; a run's page has errors)."""
    allow(p, "data")
    with Session(engine) as session:
        runs = [_run_view(r, with_errors=False) for r in session.scalars(
            select(ImportRun).order_by(ImportRun.id.desc()).limit(50))]
    return DataOverview(entities=sorted(SPECS), imports=runs)


def _check(engine: Engine, payload: bytes, filename: str, entity: str | None, actor: str,
           commit: bool) -> tuple[dict[str, dict[str, int]] | None, list[RowError]]:
    """Import the file in a transaction: commit it, or roll back after validating."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(filename).name
        path.write_bytes(payload)
        try:
            tables = read_inputs(path, entity)
        except ImportFailed as exc:
            return None, exc.errors
        with Session(engine) as session:
            try:
                result = import_tables(session, tables, actor=actor,
                                       operation=f"web import {Path(filename).name}")
            except ImportFailed as exc:
                session.rollback()
                return None, exc.errors
            if commit:
                session.commit()
            else:
                session.rollback()
            return result.as_dict(), []


def stage_import(engine: Engine, p: Principal, payload: bytes, filename: str,
                 entity: str | None) -> int:
    """Validate an upload and keep it (with its report) for confirmation; the run's id."""
    allow(p, "data")
    filename = Path(filename or "upload.csv").name[:300]
    counts, errors = _check(engine, payload, filename, entity, p.username, commit=False)
    with Session(engine) as session, session.begin():
        run = ImportRun(at=dt.datetime.now(dt.UTC), actor=p.username, filename=filename,
                        entity=entity, status="invalid" if errors else "validated",
                        payload=None if errors else payload,
                        errors=[e.__dict__ for e in errors], counts=counts)
        session.add(run)
        session.flush()
        record_change(session, actor=p.username, entity="web_import_runs",
                      entity_key=str(run.id), action="insert", before=None,
                      after={"filename": filename, "status": run.status,
                             "errors": len(errors)}, operation="web import validate")
        return run.id


def import_run(engine: Engine, p: Principal, run_id: int) -> ImportRunView:
    allow(p, "data")
    with Session(engine) as session:
        run = session.get(ImportRun, run_id)
        if run is None:
            raise NotFound()
        return _run_view(run)


def finish_import(engine: Engine, p: Principal, run_id: int, confirm: bool) -> ImportRunView:
    """Commit a validated run (checked again as it is written) or discard it."""
    allow(p, "data")
    with Session(engine) as session:
        run = session.get(ImportRun, run_id)
        if run is None:
            raise NotFound()
        if run.status != "validated":
            raise Conflict("only a validated import can be confirmed", "只有校验通过的导入才能确认")
        payload, filename, entity = run.payload, run.filename, run.entity
    if confirm:
        counts, errors = _check(engine, payload or b"", filename, entity, p.username,
                                commit=True)
        status = "invalid" if errors else "committed"
    else:
        counts, errors, status = None, [], "discarded"
    with Session(engine) as session, session.begin():
        run = session.get_one(ImportRun, run_id)
        run.status, run.payload = status, None
        if counts is not None:
            run.counts = counts
        if errors:
            run.errors = [e.__dict__ for e in errors]
        record_change(session, actor=p.username, entity="web_import_runs",
                      entity_key=str(run_id), action="update",
                      before={"status": "validated"}, after={"status": status},
                      operation=f"web import {'confirm' if confirm else 'discard'}")
    return import_run(engine, p, run_id)


def audit_log(engine: Engine, p: Principal, limit: int = 100) -> AuditLog:
    """The newest changes (1 to 500 of them), who made them and what they were."""
    allow(p, "data")
    with Session(engine) as session:
        rows = recent(session, limit=min(max(limit, 1), 500))
    return AuditLog(entries=[AuditEntry(
        id=r.id, at=r.at.isoformat(), actor=r.actor, entity=r.entity, entity_key=r.entity_key,
        action=r.action, operation=r.operation, before=r.before, after=r.after) for r in rows])
