"""Name resolution for people: a file of names resolved, a published list imported with its
review queue, and the queue itself (list, accept, reject).

Why a service: the command line and the analysts' page resolve, queue and accept the same way,
and nothing is guessed silently: a row whose firm is not resolved with certainty
(``registry.names``) is never imported until a person chooses the organisation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.audit import audit_rows, record_change
from observatory.registry.entities import SPECS
from observatory.registry.errors import ImportFailed, RowError
from observatory.registry.importer import import_tables, read_inputs
from observatory.registry.mapping import ignored_columns
from observatory.registry.names import NameIndex, Resolution, squash
from observatory.registry.readers import ReadFailed, Table, read_table
from observatory.services.access import allow
from observatory.services.auth import Principal
from observatory.services.errors import Conflict, Invalid, NotFound

NAME_HEADERS = ("name", "name_zh", "organisation_name", "企业名称", "单位名称", "名称",
                "公司名称", "机构名称", "企业（单位）名称", "单位（企业）名称")
USCC_HEADERS = ("uscc", "统一社会信用代码", "信用代码", "社会信用代码")
REGION_HEADERS = ("region", "region_code", "所属区县", "区（市）", "所在区域", "行政区划", "地区",
                  "区县", "所属区域")
STATUSES = ("pending", "accepted", "rejected")
JsonValue = str | int | float | bool | None | list[object] | dict[str, object]


class CandidateView(BaseModel):
    """An organisation a printed name may refer to."""

    uscc: str
    name: str
    matched: str
    via: str
    score: float
    region_code: str
    fits: bool


class ResolvedName(BaseModel):
    """One input row's decision: ``auto`` | ``review`` | ``none``."""

    row: int
    name: str
    uscc: str | None
    matched_name: str | None
    score: float | None
    decision: str
    reason_en: str
    reason_zh: str
    candidates: list[CandidateView]


def _find(columns: list[str], headers: tuple[str, ...]) -> str | None:
    """The file column written as one of ``headers`` (width, case and spaces aside)."""
    wanted = {squash(h) for h in headers}
    return next((c for c in columns if squash(c) in wanted), None)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _region_code(index: NameIndex, region: str | None) -> str | None:
    """The run-wide region (code or name); an unknown one is refused."""
    if not region:
        return None
    code = index.regions.lookup(region)
    if code is None:
        raise Invalid(f"--region {region!r}: no such region in the registry",
                      f"--region {region!r}：登记库中没有该地区")
    return code


def _resolve_rows(index: NameIndex, table: Table, region: str | None
                  ) -> list[tuple[int, dict[str, Any], Resolution]]:
    """Each non-empty row's resolution; bad headers and unknown regions raise ImportFailed."""
    name_col = _find(table.columns, NAME_HEADERS)
    if name_col is None:
        raise ImportFailed([RowError(table.file, 1, None, None,
                                     f"no name column; use one of: {', '.join(NAME_HEADERS)}",
                                     f"缺少名称列；可用列名：{'、'.join(NAME_HEADERS)}")])
    uscc_col = _find(table.columns, USCC_HEADERS)
    region_col = _find(table.columns, REGION_HEADERS)
    errors: list[RowError] = []
    out = []
    for offset, raw in enumerate(table.rows):
        row_no = table.first_row + offset
        if not raw or not any(_text(v) for v in raw.values()):
            continue
        name = _text(raw.get(name_col))
        hint = _text(raw.get(uscc_col)) if uscc_col else ""
        where = _text(raw.get(region_col)) if region_col else ""
        code = index.regions.lookup(where) if where else region
        if where and code is None:
            errors.append(RowError(table.file, row_no, region_col, where,
                                   "no such region in the registry", "登记库中没有该地区"))
        if not name and not hint:
            errors.append(RowError(table.file, row_no, name_col, None,
                                   "the name is empty", "名称为空"))
        out.append((row_no, raw, index.resolve(name, region=code, uscc_hint=hint or None)))
    if errors:
        raise ImportFailed(errors)
    return out


def _view(row_no: int, result: Resolution) -> ResolvedName:
    chosen = result.chosen
    return ResolvedName(
        row=row_no, name=result.name, uscc=chosen.uscc if chosen else None,
        matched_name=chosen.name if chosen else None, score=result.score,
        decision=result.decision, reason_en=result.reason_en, reason_zh=result.reason_zh,
        candidates=[CandidateView(**c.__dict__) for c in result.candidates])


def resolve_file(engine: Engine, path: Path, *, region: str | None = None,
                 encoding: str | None = None) -> list[ResolvedName]:
    """Resolve every row of a CSV/XLSX file of names, in order (``region``: a code or name
    every firm must fit unless its row says otherwise)."""
    if not path.is_file():
        raise ImportFailed([RowError(str(path), None, None, None, "file not found",
                                     "文件不存在")])
    try:
        table = read_table(path.read_bytes(), path.name, encoding)
    except ReadFailed as exc:
        raise ImportFailed([exc.error]) from exc
    with Session(engine) as session:
        index = NameIndex.load(session)
    code = _region_code(index, region)
    return [_view(n, r) for n, _, r in _resolve_rows(index, table, code)]


class TableCounts(BaseModel):
    inserted: int
    updated: int
    unchanged: int


class ResolvedImport(BaseModel):
    """What an import with name resolution did: rows imported (all resolved automatically),
    rows queued for review, and rows whose firm is unknown (queued too)."""

    file: str
    entity: str
    dry_run: bool
    counts: dict[str, TableCounts]
    auto: int
    queued: int
    unknown: int
    already_queued: int
    review_ids: list[int]


def _cell(value: Any) -> Any:
    """A cell as the queue keeps it (JSON) and the importer reads it back."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _one_table(path: Path, entity: str | None, encoding: str | None) -> tuple[str, Table]:
    """The single file a published list is; the entity must name its firm by USCC."""
    if not path.exists():
        raise ImportFailed([RowError(str(path), None, None, None, "file not found",
                                     "文件不存在")])
    if entity is None or entity not in SPECS or "uscc" not in SPECS[entity].columns:
        named = [n for n, s in SPECS.items() if "uscc" in s.columns]
        raise ImportFailed([RowError(path.name, None, None, entity,
                                     f"--resolve-names needs --entity naming one of: "
                                     f"{', '.join(named)}",
                                     f"--resolve-names 需要 --entity，可选：{'、'.join(named)}")])
    tables = read_inputs(path, entity, encoding, keep_unmapped=True)
    if len(tables) != 1 or path.is_dir() or path.suffix.lower() == ".zip":
        raise ImportFailed([RowError(path.name, None, None, None,
                                     "--resolve-names takes one file, not a bundle",
                                     "--resolve-names 只接受单个文件，不接受数据包")])
    return tables[0]


def _split(table: Table, resolved: list[tuple[int, dict[str, Any], Resolution]],
           placeholder: str | None) -> tuple[Table, Table, list[str]]:
    """(sure rows with their USCC; every row, the unsure with a stand-in USCC, to validate;
    the file columns kept). Rows keep their numbers: the others are left empty."""
    dropped = {_find(table.columns, h) for h in (NAME_HEADERS, USCC_HEADERS, REGION_HEADERS)}
    dropped |= ignored_columns(table)  # 序号, 备注...: read for the names, not imported
    kept = [c for c in table.columns if c not in dropped]
    sure: list[dict[str, Any]] = [{} for _ in table.rows]
    every: list[dict[str, Any]] = [{} for _ in table.rows]
    for row_no, raw, result in resolved:
        cells = {c: raw.get(c) for c in kept}
        offset = row_no - table.first_row
        if result.decision == "auto":
            sure[offset] = every[offset] = {**cells, "uscc": result.candidates[0].uscc}
        else:
            stand_in = result.candidates[0].uscc if result.candidates else placeholder
            if stand_in is not None:
                every[offset] = {**cells, "uscc": stand_in}
    columns = [*kept, "uscc"]
    return (Table(table.file, columns, sure, table.first_row, units=table.units),
            Table(table.file, columns, every, table.first_row, units=table.units), kept)


def _validate(engine: Engine, entity: str, every: Table, actor: str) -> None:
    """Every row, queued ones included, passes the importer's checks (then rolled back)."""
    with Session(engine) as session:
        try:
            import_tables(session, [(entity, every)], actor=actor, operation="validate")
        finally:
            session.rollback()


def _queue(session: Session, entity: str, table: Table, kept: list[str],
           resolved: list[tuple[int, dict[str, Any], Resolution]], actor: str
           ) -> tuple[list[int], int]:
    """Queue the unsure rows (a row already pending is not queued twice); (ids, skipped)."""
    key_columns = [k for k in SPECS[entity].key if k != "uscc"]
    now = dt.datetime.now(dt.UTC)
    items: list[m.NameReview] = []
    skipped = 0
    for row_no, raw, result in resolved:
        if result.decision == "auto":
            continue
        row_key = "|".join(_text(raw.get(k)) for k in key_columns)[:200] or None
        pending = session.scalar(select(m.NameReview.id).where(
            m.NameReview.entity == entity, m.NameReview.status == "pending",
            m.NameReview.row_key == row_key, m.NameReview.name == result.name[:300]))
        if pending is not None:
            skipped += 1
            continue
        items.append(m.NameReview(
            created_at=now, actor=actor, entity=entity, source_file=table.file[:300],
            row_no=row_no, row_key=row_key, name=result.name[:300],
            region_hint=_text(raw.get(_find(table.columns, REGION_HEADERS) or ""))[:60] or None,
            uscc_hint=_text(raw.get(_find(table.columns, USCC_HEADERS) or ""))[:40] or None,
            decision=result.decision, reason=f"{result.reason_en} / {result.reason_zh}"[:300],
            candidates=[c.__dict__ for c in result.candidates],
            row={c: _cell(raw.get(c)) for c in kept}, status="pending"))
    session.add_all(items)
    session.flush()
    audit_rows(session, [{"entity": "name_reviews", "entity_key": str(i.id), "action": "insert",
                          "before": None, "after": {"name": i.name, "row": i.row_no,
                                                    "decision": i.decision,
                                                    "file": i.source_file}}
                         for i in items], actor=actor, operation=f"queue {table.file}")
    return [i.id for i in items], skipped


def import_resolving(engine: Engine, path: Path, entity: str | None, *, actor: str = "cli",
                     dry_run: bool = False, encoding: str | None = None,
                     region: str | None = None) -> ResolvedImport:
    """Import a published list: rows whose firm is resolved for sure are imported in one
    transaction, the others queued for review in the same one; every row is validated first,
    so a bad row stops the whole file (ImportFailed) and nothing is written."""
    entity_name, table = _one_table(path, entity, encoding)
    with Session(engine) as session:
        index = NameIndex.load(session)
    resolved = _resolve_rows(index, table, _region_code(index, region))
    placeholder = index.orgs[0].uscc if index.orgs else None
    sure, every, kept = _split(table, resolved, placeholder)
    _validate(engine, entity_name, every, actor)
    with Session(engine) as session:
        try:
            result = import_tables(session, [(entity_name, sure)], actor=actor,
                                   operation=f"import {path.name} --resolve-names")
            ids, skipped = _queue(session, entity_name, table, kept, resolved, actor)
        except BaseException:
            session.rollback()
            raise
        if dry_run:
            session.rollback()
            ids = []
        else:
            session.commit()
    decisions = [r.decision for _, _, r in resolved]
    return ResolvedImport(
        file=path.name, entity=entity_name, dry_run=dry_run,
        counts={k: TableCounts(**v) for k, v in result.as_dict().items()},
        auto=decisions.count("auto"), queued=decisions.count("review"),
        unknown=decisions.count("none"), already_queued=skipped, review_ids=ids)


class ReviewItem(BaseModel):
    """A queued row: the name as printed, why it was not sure, the candidates, the row."""

    id: int
    created_at: str
    actor: str
    entity: str
    source_file: str
    row_no: int | None
    row_key: str | None
    name: str
    region_hint: str | None
    uscc_hint: str | None
    decision: str
    reason: str | None
    candidates: list[CandidateView]
    row: dict[str, JsonValue]
    status: str
    resolved_uscc: str | None
    resolved_by: str | None
    resolved_at: str | None


class ReviewQueue(BaseModel):
    """The queue filtered by status, newest last, with the count of each status."""

    status: str
    items: list[ReviewItem]
    counts: dict[str, int]


def _item(r: m.NameReview) -> ReviewItem:
    return ReviewItem(
        id=r.id, created_at=r.created_at.isoformat(), actor=r.actor, entity=r.entity,
        source_file=r.source_file, row_no=r.row_no, row_key=r.row_key, name=r.name,
        region_hint=r.region_hint, uscc_hint=r.uscc_hint, decision=r.decision,
        reason=r.reason, candidates=[CandidateView(**c) for c in r.candidates or []],
        row=r.row or {}, status=r.status, resolved_uscc=r.resolved_uscc,
        resolved_by=r.resolved_by,
        resolved_at=r.resolved_at.isoformat() if r.resolved_at else None)


def review_queue(engine: Engine, status: str = "pending", limit: int = 500) -> ReviewQueue:
    """Queued rows with ``status`` (``all`` for every one), oldest first."""
    if status not in (*STATUSES, "all"):
        raise Invalid(f"status {status!r}: use one of {', '.join(STATUSES)}, all",
                      f"状态 {status!r}：只能取 {'、'.join(STATUSES)}、all")
    with Session(engine) as session:
        query = select(m.NameReview).order_by(m.NameReview.id).limit(min(max(limit, 1), 5000))
        if status != "all":
            query = query.where(m.NameReview.status == status)
        items = [_item(r) for r in session.scalars(query)]
        counts = {status: n for status, n in session.execute(
            select(m.NameReview.status, func.count()).group_by(m.NameReview.status))}
    return ReviewQueue(status=status, items=items,
                       counts={s: int(counts.get(s, 0)) for s in STATUSES})


def review_item(engine: Engine, item_id: int) -> ReviewItem:
    with Session(engine) as session:
        row = session.get(m.NameReview, item_id)
        if row is None:
            raise NotFound(f"no queued row {item_id}", f"没有待审核记录 {item_id}")
        return _item(row)


def _pending(session: Session, item_id: int) -> m.NameReview:
    row = session.get(m.NameReview, item_id)
    if row is None:
        raise NotFound(f"no queued row {item_id}", f"没有待审核记录 {item_id}")
    if row.status != "pending":
        raise Conflict(f"queued row {item_id} is already {row.status}",
                       f"待审核记录 {item_id} 已处理（{row.status}）")
    return row


def _chosen(session: Session, row: m.NameReview, uscc: str | None) -> str:
    """The USCC given, else the first candidate's; it must be in the registry."""
    chosen = (uscc or "").strip().upper()
    if not chosen:
        if not row.candidates:
            raise Invalid("no candidate: give the organisation's USCC",
                          "没有候选机构：请给出统一社会信用代码")
        chosen = str(row.candidates[0]["uscc"])
    if session.scalar(select(m.Organisation.id).where(m.Organisation.uscc == chosen)) is None:
        raise Invalid(f"no organisation with USCC {chosen} in the registry",
                      f"登记库中没有统一社会信用代码为 {chosen} 的机构")
    return chosen


def accept_review(engine: Engine, item_id: int, uscc: str | None = None, *,
                  actor: str) -> ReviewItem:
    """Import the queued row for the chosen organisation (default: the first candidate), in
    one transaction with the queue's update; both audited."""
    with Session(engine) as session:
        row = _pending(session, item_id)
        chosen = _chosen(session, row, uscc)
        cells = {**row.row, "uscc": chosen}
        table = Table(row.source_file, list(cells), [cells], row.row_no or 2)
        try:
            import_tables(session, [(row.entity, table)], actor=actor,
                          operation=f"review accept {item_id}")
        except ImportFailed as exc:
            session.rollback()
            en = "; ".join(e.describe() for e in exc.errors[:5])
            raise Invalid(f"the row cannot be imported: {en}", "该行无法导入（详见英文说明）"
                          ) from None
        row.status, row.resolved_uscc, row.resolved_by = "accepted", chosen, actor[:120]
        row.resolved_at = dt.datetime.now(dt.UTC)
        record_change(session, actor=actor, entity="name_reviews", entity_key=str(item_id),
                      action="update", before={"status": "pending"},
                      after={"status": "accepted", "uscc": chosen},
                      operation=f"review accept {item_id}")
        session.commit()
    return review_item(engine, item_id)


def reject_review(engine: Engine, item_id: int, *, actor: str) -> ReviewItem:
    """Close the queued row without importing it; audited."""
    with Session(engine) as session:
        row = _pending(session, item_id)
        row.status, row.resolved_by = "rejected", actor[:120]
        row.resolved_at = dt.datetime.now(dt.UTC)
        record_change(session, actor=actor, entity="name_reviews", entity_key=str(item_id),
                      action="update", before={"status": "pending"},
                      after={"status": "rejected"}, operation=f"review reject {item_id}")
        session.commit()
    return review_item(engine, item_id)


def queue_for(engine: Engine, p: Principal, status: str = "pending") -> ReviewQueue:
    """The queue, for staff (admins and analysts) only."""
    allow(p, "review")
    return review_queue(engine, status)


def item_for(engine: Engine, p: Principal, item_id: int) -> ReviewItem:
    allow(p, "review")
    return review_item(engine, item_id)


def accept_for(engine: Engine, p: Principal, item_id: int, uscc: str | None) -> ReviewItem:
    allow(p, "review")
    return accept_review(engine, item_id, uscc, actor=p.username)


def reject_for(engine: Engine, p: Principal, item_id: int) -> ReviewItem:
    allow(p, "review")
    return reject_review(engine, item_id, actor=p.username)
