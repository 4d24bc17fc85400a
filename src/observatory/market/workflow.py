"""The broker workflow: a match moves proposed -> contacted -> NDA -> negotiating -> contracted,
or ends declined with a structured reason. Every step is a MatchEvent and an audit record.

Broker statistics (matches handled, conversion, time to contract, transaction amounts) are
computed from those events and the contracts the matches became.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.audit import record_change

STATUSES = ("proposed", "contacted", "nda", "negotiating", "contracted", "declined")
TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"contacted", "declined"}),
    "contacted": frozenset({"nda", "negotiating", "declined"}),
    "nda": frozenset({"negotiating", "declined"}),
    "negotiating": frozenset({"contracted", "declined"}),
    "contracted": frozenset(),
    "declined": frozenset(),
}
DECLINE_REASONS: dict[str, tuple[str, str]] = {
    "too_early": ("technology too early (TRL too low)", "技术成熟度不足"),
    "benefit_unclear": ("benefit unclear", "效益不明确"),
    "price": ("price", "价格分歧"),
    "no_fit": ("no technical fit", "技术不匹配"),
    "ip_unclear": ("intellectual property unclear", "知识产权不清晰"),
    "capacity": ("buyer lacks capacity to absorb", "需求方承接能力不足"),
    "other": ("other", "其他"),
}


class WorkflowError(ValueError):
    """A step the workflow does not allow; the message is English and Chinese."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(f"{en} / {zh}")
        self.en, self.zh = en, zh


def _one(session: Session, model: type[Any], attr: str, value: str, zh: str) -> Any:
    found = session.scalars(select(model).where(getattr(model, attr) == value)).first()
    if found is None:
        raise WorkflowError(f"no {model.__tablename__[:-1]} {value!r}", f"不存在{zh} {value!r}")
    return found


def qualified_throughout(start: dt.date, end: dt.date) -> ColumnElement[bool]:
    """Broker qualifications valid on every day from ``start`` to ``end`` (an open bound is
    no limit): the one rule the workflow and the example city's broker pool both apply."""
    q = m.BrokerQualification
    return ((q.valid_from.is_(None) | (q.valid_from <= start))
            & (q.valid_to.is_(None) | (q.valid_to >= end)))


def _qualified_broker(session: Session, code: str, on: dt.date) -> m.Person:
    """The person ``code`` if a broker qualification of theirs is valid on ``on``."""
    person: m.Person = _one(session, m.Person, "code", code, "经纪人")
    valid = session.scalar(select(func.count()).select_from(m.BrokerQualification).where(
        m.BrokerQualification.person_id == person.id, qualified_throughout(on, on)))
    if not valid:
        raise WorkflowError(f"{code} holds no technology-broker qualification valid on {on}",
                            f"{code} 在 {on} 没有有效的技术经纪人资格")
    return person


def _snapshot(match: m.Match) -> dict[str, Any]:
    return {"status": match.status, "decline_reason": match.decline_reason,
            "broker_person_id": match.broker_person_id, "contract_id": match.contract_id}


def propose(session: Session, *, demand: str, achievement: str, actor: str,
            broker: str | None = None, score: float | None = None,
            explanation: dict[str, Any] | None = None, on: dt.date | None = None,
            source_id: int | None = None) -> m.Match:
    """Record a proposed match between a demand and an achievement (by their codes).

    ``source_id`` names where a match comes from when it is not a person's own work (the
    example city's generator passes its synthetic source); the contract inherits it.
    """
    on = on or dt.date.today()
    demand_row = _one(session, m.Demand, "code", demand, "需求")
    achievement_row = _one(session, m.Achievement, "code", achievement, "成果")
    broker_row = _qualified_broker(session, broker, on) if broker else None
    existing = session.scalars(select(m.Match).where(
        m.Match.demand_id == demand_row.id,
        m.Match.achievement_id == achievement_row.id)).first()
    if existing is not None:
        raise WorkflowError(f"demand {demand} and achievement {achievement} are already "
                            f"matched as {existing.code}",
                            f"需求 {demand} 与成果 {achievement} 已有匹配 {existing.code}")
    number = (session.scalar(select(func.max(m.Match.id))) or 0) + 1
    match = m.Match(code=f"M{number:07d}", demand_id=demand_row.id,
                    achievement_id=achievement_row.id,
                    broker_person_id=broker_row.id if broker_row else None, status="proposed",
                    score=score, explanation=explanation, proposed_on=on, source_id=source_id)
    session.add(match)
    session.flush()
    session.add(m.MatchEvent(match_id=match.id, on=on, actor=actor, from_status=None,
                             to_status="proposed"))
    record_change(session, actor=actor, entity="matches", entity_key=match.code,
                  action="insert", before=None, after=_snapshot(match), operation="propose")
    return match


def advance(session: Session, code: str, to_status: str, *, actor: str,
            reason: str | None = None, note: str | None = None, on: dt.date | None = None,
            contract_id: int | None = None) -> m.Match:
    """Move a match one step; declining needs a reason from DECLINE_REASONS."""
    on = on or dt.date.today()
    match = _one(session, m.Match, "code", code, "匹配")
    if to_status not in STATUSES:
        raise WorkflowError(f"unknown status {to_status!r}; one of {', '.join(STATUSES)}",
                            f"未知状态 {to_status!r}")
    if to_status not in TRANSITIONS[match.status]:
        allowed = ", ".join(sorted(TRANSITIONS[match.status])) or "none (closed)"
        raise WorkflowError(f"cannot go from {match.status} to {to_status}; allowed: {allowed}",
                            f"不能从 {match.status} 变为 {to_status}；允许：{allowed}")
    if to_status == "declined" and reason not in DECLINE_REASONS:
        raise WorkflowError(f"a decline needs a reason: one of {', '.join(DECLINE_REASONS)}",
                            f"拒绝须注明原因：{', '.join(DECLINE_REASONS)} 之一")
    if to_status == "contracted" and contract_id is None:
        raise WorkflowError("a match becomes contracted by registering its contract "
                            "(market.contracts.register_contract)",
                            "须通过登记技术合同使匹配成交")
    if reason is not None and to_status != "declined":
        raise WorkflowError("a reason is only given when declining", "仅拒绝时填写原因")
    before = _snapshot(match)
    previous = match.status
    match.status = to_status
    match.decline_reason = reason
    if to_status in ("declined", "contracted"):
        match.closed_on = on
    if contract_id is not None:
        match.contract_id = contract_id
    session.add(m.MatchEvent(match_id=match.id, on=on, actor=actor, from_status=previous,
                             to_status=to_status, note=note))
    record_change(session, actor=actor, entity="matches", entity_key=match.code,
                  action="update", before=before, after=_snapshot(match),
                  operation=f"advance to {to_status}")
    session.flush()
    return match


def assign(session: Session, code: str, broker: str, *, actor: str,
           on: dt.date | None = None) -> m.Match:
    """Assign (or change) the broker of an open match: a person holding a broker
    qualification valid on ``on``. A closed match keeps the broker who closed it."""
    on = on or dt.date.today()
    match = _one(session, m.Match, "code", code, "匹配")
    if not TRANSITIONS[match.status]:
        raise WorkflowError(f"{code} is {match.status}: a closed match keeps its broker",
                            f"{code} 已{'成交' if match.status == 'contracted' else '拒绝'}，"
                            "不能更换经纪人")
    person = _qualified_broker(session, broker, on)
    if match.broker_person_id == person.id:
        return match
    before = _snapshot(match)
    match.broker_person_id = person.id
    session.add(m.MatchEvent(match_id=match.id, on=on, actor=actor, from_status=match.status,
                             to_status=match.status, note=f"broker {broker}"))
    record_change(session, actor=actor, entity="matches", entity_key=match.code,
                  action="update", before=before, after=_snapshot(match),
                  operation="assign broker")
    session.flush()
    return match


def qualified_brokers(session: Session, on: dt.date) -> list[tuple[str, str, str | None]]:
    """(code, name_zh, name_en) of every person with a broker qualification valid on ``on``."""
    q = m.BrokerQualification
    ids = select(q.person_id).where(qualified_throughout(on, on))
    return [(c, zh, en) for c, zh, en in session.execute(
        select(m.Person.code, m.Person.name_zh, m.Person.name_en)
        .where(m.Person.id.in_(ids)).order_by(m.Person.code))]


@dataclass(frozen=True)
class BrokerStats:
    broker: str
    handled: int
    contracted: int
    declined: int
    open: int
    conversion: float | None  # contracted / closed
    median_days_to_contract: float | None
    technology_amount_yuan: float


def broker_statistics(session: Session, broker: str | None = None) -> pd.DataFrame:
    """Per broker: matches handled, outcomes, conversion, time to contract, amounts."""
    query = (select(m.Person.code, m.Match.status, m.Match.proposed_on, m.Match.closed_on,
                    m.TechnologyContract.technology_amount_yuan)
             .join(m.Person, m.Person.id == m.Match.broker_person_id)
             .outerjoin(m.TechnologyContract, m.TechnologyContract.id == m.Match.contract_id))
    if broker is not None:
        query = query.where(m.Person.code == broker)
    frame = pd.DataFrame(session.execute(query).all(),
                         columns=["broker", "status", "proposed_on", "closed_on", "amount"])
    rows = []
    for code, part in frame.groupby("broker", sort=True):
        contracted = part[part["status"] == "contracted"]
        declined = int((part["status"] == "declined").sum())
        closed = len(contracted) + declined
        days = [(c - p).days for p, c in zip(contracted["proposed_on"], contracted["closed_on"],
                                              strict=True)]
        rows.append(BrokerStats(
            broker=str(code), handled=len(part), contracted=len(contracted), declined=declined,
            open=len(part) - closed, conversion=len(contracted) / closed if closed else None,
            median_days_to_contract=float(pd.Series(days).median()) if days else None,
            technology_amount_yuan=float(sum(float(a) for a in contracted["amount"].dropna()))))
    return pd.DataFrame([vars(r) for r in rows])


def decline_reasons(session: Session) -> pd.DataFrame:
    """How often each structured decline reason is given (what brokers learn from).

    A declined match without a known reason (the column is nullable and has no check; only
    ``advance`` insists on one) is left out, as the broker board does, instead of failing.
    """
    rows = session.execute(select(m.Match.decline_reason, func.count())
                           .where(m.Match.status == "declined")
                           .group_by(m.Match.decline_reason)).all()
    return pd.DataFrame([{"reason": r, "name_en": DECLINE_REASONS[r][0],
                          "name_zh": DECLINE_REASONS[r][1], "count": n} for r, n in rows
                         if r in DECLINE_REASONS])
