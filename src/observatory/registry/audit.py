"""The append-only audit log: every change records who, when, what, before and after."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from observatory.registry.models import AuditLog


def json_safe(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Values as JSON can hold them: decimals and dates become strings."""
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Decimal):
            out[key] = format(value, "f")
        elif isinstance(value, dt.date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def audit_rows(session: Session, rows: list[dict[str, Any]], *, actor: str,
               operation: str) -> None:
    """Append audit records (``entity``, ``entity_key``, ``action``, ``before``, ``after``)."""
    if not rows:
        return
    now = dt.datetime.now(dt.UTC)
    payload = [{**row, "actor": actor, "operation": operation, "at": now} for row in rows]
    for start in range(0, len(payload), 5000):
        session.execute(insert(AuditLog), payload[start:start + 5000])


def record_change(session: Session, *, actor: str, entity: str, entity_key: str, action: str,
                  before: dict[str, Any] | None, after: dict[str, Any] | None,
                  operation: str = "edit") -> None:
    """Audit one change made through an interactive edit (web form, API, workflow step)."""
    audit_rows(session, [{"entity": entity, "entity_key": entity_key, "action": action,
                          "before": json_safe(before), "after": json_safe(after)}],
               actor=actor, operation=operation)


def recent(session: Session, limit: int = 100, entity: str | None = None) -> list[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditLog.entity == entity)
    return list(session.scalars(query))
