"""The broker's pipeline: matches by workflow status with broker statistics, proposing and
advancing a match, and registering its technology contract.

The workflow is ``observatory.market.workflow`` and contract registration
``observatory.market.contracts``; here a broker is held to their own matches and the answers
are shaped for the board, its JSON twin and the contract form.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence

import pandas as pd
from pydantic import BaseModel
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased

from observatory.market import workflow
from observatory.market.contracts import (
    CONTRACT_TYPES,
    ContractInvalid,
    FieldProblem,
    register_contract,
)
from observatory.registry import models as m
from observatory.services.access import allow, in_scope, role_of
from observatory.services.auth import Principal
from observatory.services.errors import Denied, NotFound, ServiceError
from observatory.services.market import can_see_listing, listing_region, scoped_matches
from observatory.services.records import Row, json_records

BOARD_LIMIT = 200
CONTRACT_FIELDS = ("registration_no", "contract_type", "total_amount_yuan",
                   "non_technical_amount_yuan", "signed_on", "registered_on")


class WorkflowRefused(ServiceError):
    """A step the broker workflow does not allow (the engine's bilingual reason)."""

    status = 409


class ContractView(BaseModel):
    registration_no: str
    type: str
    total_amount_yuan: float
    technology_amount_yuan: float
    registered_on: str


class MatchRecord(BaseModel):
    """One match with its listings, broker and contract, as the board and the API show it."""

    code: str
    status: str
    demand: str
    demand_title_zh: str | None
    demand_title_en: str | None
    achievement: str
    achievement_title_zh: str | None
    achievement_title_en: str | None
    broker: str | None
    broker_name_zh: str | None
    broker_name_en: str | None
    score: float | None
    proposed_on: str
    closed_on: str | None
    decline_reason: str | None
    decline_reason_text: str | None
    next: list[str]
    contract: ContractView | None


class BoardColumn(BaseModel):
    status: str
    total: int
    matches: list[MatchRecord]


class ReasonChoice(BaseModel):
    code: str
    name_en: str
    name_zh: str


class BrokerChoice(BaseModel):
    """A person holding a broker qualification valid today (whom staff may assign)."""

    code: str
    name_zh: str
    name_en: str | None


class Board(BaseModel):
    broker: str | None
    statuses: list[str]
    columns: list[BoardColumn]
    statistics: list[Row]
    decline_reasons: list[Row]
    reason_choices: list[ReasonChoice]
    #: Qualified brokers staff may assign (empty on a broker's own board).
    broker_choices: list[BrokerChoice] = []


class BrokerAssignment(BaseModel):
    """The qualified broker (person code) to take a match on."""

    broker: str = ""

    @classmethod
    def from_form(cls, values: Mapping[str, object]) -> BrokerAssignment:
        return cls(broker=str(values.get("broker") or "").strip())


class Problem(BaseModel):
    """What is wrong with one field of a form (nothing was written)."""

    field: str
    value: str | None
    reason_en: str
    reason_zh: str


class Parties(BaseModel):
    seller_zh: str | None
    seller_en: str | None
    seller_region: str | None
    buyer_zh: str | None
    buyer_en: str | None
    buyer_region: str | None


class MatchProposal(BaseModel):
    """A demand and an achievement (by code) a broker proposes to bring together."""

    demand: str = ""
    achievement: str = ""
    score: float | None = None
    #: The qualified broker (person code) who takes the pair on; a broker proposes for
    #: themselves, staff name anyone qualified (or nobody yet).
    broker: str | None = None

    @classmethod
    def from_form(cls, values: Mapping[str, object]) -> MatchProposal:
        score_raw = str(values.get("score") or "").strip()
        try:
            score = float(score_raw) if score_raw else None
        except ValueError:
            raise WorkflowRefused("score must be a number", "得分应为数值") from None
        return cls(demand=str(values.get("demand") or ""),
                   achievement=str(values.get("achievement") or ""), score=score,
                   broker=str(values.get("broker") or "").strip() or None)


class MatchStep(BaseModel):
    """The next status of a match; a decline names a reason, any step may carry a note."""

    to: str = ""
    reason: str | None = None
    note: str | None = None

    @classmethod
    def from_form(cls, values: Mapping[str, object]) -> MatchStep:
        return cls(to=str(values.get("to") or ""), reason=str(values.get("reason") or "") or None,
                   note=str(values.get("note") or "").strip()[:2000] or None)


class ContractInput(BaseModel):
    """A technology contract as typed in; the amounts stay text for ``register_contract`` to
    check, a date that did not parse is None (and a problem of ``from_form``)."""

    registration_no: str = ""
    contract_type: str = ""
    total_amount_yuan: str = ""
    non_technical_amount_yuan: str = "0"
    signed_on: dt.date | None = None
    registered_on: dt.date | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, object]) -> tuple[ContractInput, list[Problem]]:
        """The typed values and the problems of parsing the dates."""
        problems: list[Problem] = []
        dates: dict[str, dt.date | None] = {}
        for name in ("signed_on", "registered_on"):
            raw = str(form.get(name) or "").strip()
            try:
                dates[name] = dt.date.fromisoformat(raw)
            except ValueError:
                dates[name] = None
                problems.append(Problem(field=name, value=raw,
                                        reason_en="expected a date (YYYY-MM-DD)",
                                        reason_zh="应为日期（YYYY-MM-DD）"))
        given = cls(
            registration_no=str(form.get("registration_no") or "").strip(),
            contract_type=str(form.get("contract_type") or "").strip(),
            total_amount_yuan=str(form.get("total_amount_yuan") or "").strip().replace(",", ""),
            non_technical_amount_yuan=str(form.get("non_technical_amount_yuan") or "0")
            .strip().replace(",", "") or "0", **dates)
        return given, problems


class ContractContext(BaseModel):
    """What the contract form shows besides the user's input."""

    match: MatchRecord
    parties: Parties | None
    types: list[str]


def _reason(code: str | None, lang: str) -> str | None:
    if code is None:
        return None
    en, zh = workflow.DECLINE_REASONS.get(code, (code, code))
    return zh if lang == "zh" else en


def match_record(session: Session, match: m.Match, lang: str = "en") -> MatchRecord:
    demand = session.get_one(m.Demand, match.demand_id)
    ach = session.get_one(m.Achievement, match.achievement_id)
    broker = session.get(m.Person, match.broker_person_id) if match.broker_person_id else None
    contract = session.get(m.TechnologyContract, match.contract_id) if match.contract_id \
        else None
    return MatchRecord(
        code=match.code, status=match.status, demand=demand.code,
        demand_title_zh=demand.title_zh, demand_title_en=demand.title_en,
        achievement=ach.code, achievement_title_zh=ach.title_zh,
        achievement_title_en=ach.title_en, broker=broker.code if broker else None,
        broker_name_zh=broker.name_zh if broker else None,
        broker_name_en=broker.name_en if broker else None,
        score=None if match.score is None else float(match.score),
        proposed_on=match.proposed_on.isoformat(),
        closed_on=match.closed_on.isoformat() if match.closed_on else None,
        decline_reason=match.decline_reason,
        decline_reason_text=_reason(match.decline_reason, lang),
        next=sorted(workflow.TRANSITIONS[match.status]),
        contract=None if contract is None else ContractView(
            registration_no=contract.registration_no, type=contract.contract_type,
            total_amount_yuan=float(contract.total_amount_yuan),
            technology_amount_yuan=float(contract.technology_amount_yuan),
            registered_on=contract.registered_on.isoformat()))


def scoped_match(engine: Engine, p: Principal, code: str) -> MatchRecord:
    """The match ``code`` as the board shows it; NotFound outside the user's scope."""
    with Session(engine) as session:
        row = session.scalar(scoped_matches(p).where(m.Match.code == code))
        if row is None:
            raise NotFound()
        return match_record(session, row)


def _records(frame: pd.DataFrame) -> list[Row]:
    return json_records(frame) if len(frame) else []


def _columns(session: Session, person_id: int | None, lang: str,
             p: Principal | None = None) -> list[BoardColumn]:
    base = select(m.Match)
    counts_q = select(m.Match.status, func.count()).group_by(m.Match.status)
    if p is not None and p.scope is not None:  # staff of a region: its matches only
        ids = scoped_matches(p).order_by(None).with_only_columns(m.Match.id)
        base, counts_q = base.where(m.Match.id.in_(ids)), counts_q.where(m.Match.id.in_(ids))
    if person_id is not None:
        base = base.where(m.Match.broker_person_id == person_id)
        counts_q = counts_q.where(m.Match.broker_person_id == person_id)
    counts = {s: int(n) for s, n in session.execute(counts_q).all()}
    columns = []
    for status in workflow.STATUSES:
        rows = session.scalars(base.where(m.Match.status == status)
                               .order_by(m.Match.proposed_on.desc(), m.Match.id.desc())
                               .limit(BOARD_LIMIT)).all()
        columns.append(BoardColumn(status=status, total=counts.get(status, 0),
                                   matches=[match_record(session, x, lang) for x in rows]))
    return columns


def _own_reasons(session: Session, person_id: int) -> list[Row]:
    given = Counter(session.scalars(select(m.Match.decline_reason).where(
        m.Match.broker_person_id == person_id, m.Match.status == "declined")))
    return [{"reason": r, "name_en": workflow.DECLINE_REASONS[r][0],
             "name_zh": workflow.DECLINE_REASONS[r][1], "count": n}
            for r, n in sorted(given.items()) if r in workflow.DECLINE_REASONS]


def broker_board(engine: Engine, person_id: int | None, lang: str = "en",
                 p: Principal | None = None) -> Board:
    """Matches grouped by workflow status (a broker's own, or all for staff), with the broker
    statistics of ``workflow.broker_statistics`` and the decline reasons given."""
    with Session(engine) as session:
        broker_code = session.scalar(select(m.Person.code).where(m.Person.id == person_id)) \
            if person_id is not None else None
        columns = _columns(session, person_id, lang, p)
        if person_id is not None:
            stats = (_records(workflow.broker_statistics(session, broker_code))
                     if broker_code else [])
            reasons = _own_reasons(session, person_id)
        else:
            stats = _records(workflow.broker_statistics(session))
            reasons = _records(workflow.decline_reasons(session))
        people = session.execute(select(m.Person.code, m.Person.name_zh, m.Person.name_en)
                                 .where(m.Person.code.in_([s["broker"] for s in stats]))).all()
    names = {code: (zh if lang == "zh" else en or zh) for code, zh, en in people}
    for s in stats:
        s["name"] = names.get(str(s["broker"]))
    return Board(broker=broker_code, statuses=list(workflow.STATUSES), columns=columns,
                 statistics=stats, decline_reasons=reasons,
                 reason_choices=[ReasonChoice(code=c, name_en=en, name_zh=zh)
                                 for c, (en, zh) in workflow.DECLINE_REASONS.items()])


def board_view(engine: Engine, p: Principal, lang: str) -> Board:
    """The board for ``p``: a broker's own matches, all for staff (with the brokers they may
    assign)."""
    allow(p, "board")
    if role_of(p) != "broker":
        out = broker_board(engine, None, lang, p)
        return out.model_copy(update={"broker_choices": broker_choices(engine)})
    return broker_board(engine, p.person_id if p.person_id is not None else -1, lang)


def broker_choices(engine: Engine, on: dt.date | None = None) -> list[BrokerChoice]:
    """Everyone holding a broker qualification valid on ``on`` (today)."""
    with Session(engine) as session:
        rows = workflow.qualified_brokers(session, on or dt.date.today())
    return [BrokerChoice(code=c, name_zh=zh, name_en=en) for c, zh, en in rows]


def assign(engine: Engine, p: Principal, code: str, given: BrokerAssignment) -> MatchRecord:
    """Staff assign (or change) the qualified broker of an open match; the broker then sees
    and advances it. A broker cannot hand a match to someone else (403)."""
    allow(p, "propose")
    if role_of(p) == "broker":
        raise Denied(403)
    if not given.broker:
        raise WorkflowRefused("name the broker (person code) to assign",
                              "请指定要分派的经纪人（人员代码）")
    try:
        with Session(engine) as session, session.begin():
            match = workflow.assign(session, code, given.broker, actor=p.username)
            return match_record(session, match)
    except workflow.WorkflowError as exc:
        raise WorkflowRefused(exc.en, exc.zh) from None


def _broker_code(engine: Engine, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    with Session(engine) as session:
        return session.scalar(select(m.Person.code).where(m.Person.id == person_id))


def _proposal_broker(engine: Engine, p: Principal, given: MatchProposal) -> str | None:
    """A broker proposes for themselves; staff assign whom they name (checked by the workflow)."""
    if role_of(p) != "broker":
        return given.broker
    own = _broker_code(engine, p.person_id)
    if given.broker and given.broker != own:
        raise Denied(403)
    return own


def _check_visible(session: Session, p: Principal, given: MatchProposal) -> None:
    """A listing the proposer may not see answers as if it did not exist (nothing leaks)."""
    demand = session.scalar(select(m.Demand).where(m.Demand.code == given.demand))
    achievement = session.scalar(select(m.Achievement)
                                 .where(m.Achievement.code == given.achievement))
    for row, code, en, zh in ((demand, given.demand, "demand", "需求"),
                              (achievement, given.achievement, "achievement", "成果")):
        if row is not None and not can_see_listing(p, row):
            raise WorkflowRefused(f"no {en} {code!r}", f"不存在{zh} {code!r}")
    if demand is not None and achievement is not None and p.scope is not None and not in_scope(
            p, listing_region(demand), listing_region(achievement)):
        raise WorkflowRefused(f"neither {given.demand!r} nor {given.achievement!r} lies in "
                              f"your region {p.region}",
                              f"{given.demand!r} 与 {given.achievement!r} 均不在您的辖区 "
                              f"{p.region} 内")


def propose(engine: Engine, p: Principal, given: MatchProposal) -> MatchRecord:
    """Record a proposed match with a qualified broker: the logged-in broker, or the one staff
    name. Only listings the proposer may see can be paired."""
    allow(p, "propose")
    broker = _proposal_broker(engine, p, given)
    try:
        with Session(engine) as session, session.begin():
            _check_visible(session, p, given)
            match = workflow.propose(session, demand=given.demand, achievement=given.achievement,
                                     actor=p.username, broker=broker, score=given.score)
            return match_record(session, match)
    except workflow.WorkflowError as exc:
        raise WorkflowRefused(exc.en, exc.zh) from None


def advance(engine: Engine, p: Principal, code: str, step: MatchStep) -> MatchRecord:
    """Move a match in ``p``'s scope one step (a decline needs a reason)."""
    allow(p, "board")
    scoped_match(engine, p, code)
    try:
        with Session(engine) as session, session.begin():
            match = workflow.advance(session, code, step.to, actor=p.username,
                                     reason=step.reason if step.to == "declined" else None,
                                     note=step.note)
            return match_record(session, match)
    except workflow.WorkflowError as exc:
        raise WorkflowRefused(exc.en, exc.zh) from None


# ----- contract registration ----------------------------------------------------------------
def _problems(problems: list[FieldProblem]) -> list[Problem]:
    return [Problem(field=x.field, value=x.value, reason_en=x.reason_en, reason_zh=x.reason_zh)
            for x in problems]


def register(engine: Engine, p: Principal, code: str, given: ContractInput,
             problems: Sequence[Problem] = ()) -> tuple[MatchRecord | None, list[Problem]]:
    """Register the contract of match ``code``: (match, []) or (None, problems); on problems
    (the engine's, or ``problems`` found while parsing the input) nothing is written."""
    allow(p, "contract")
    scoped_match(engine, p, code)
    today = dt.date.today()
    signed, registered = given.signed_on, given.registered_on
    with Session(engine) as session:
        try:
            register_contract(session, match=code, registration_no=given.registration_no,
                              contract_type=given.contract_type,
                              total_amount_yuan=given.total_amount_yuan,
                              non_technical_amount_yuan=given.non_technical_amount_yuan,
                              signed_on=signed or registered or today,
                              registered_on=registered or signed or today, actor=p.username)
        except ContractInvalid as exc:
            session.rollback()
            return None, [*problems, *_problems(exc.problems)]
        if problems:  # a date did not parse: report it with the rest, write nothing
            session.rollback()
            return None, list(problems)
        session.commit()
        row = session.scalars(select(m.Match).where(m.Match.code == code)).one()
        return match_record(session, row), []


def contract_context(engine: Engine, p: Principal, code: str) -> ContractContext:
    """The match, its parties (seller and buyer) and the contract types, for the form."""
    allow(p, "contract")
    record = scoped_match(engine, p, code)
    seller, buyer = aliased(m.Organisation), aliased(m.Organisation)
    with Session(engine) as session:
        row = session.execute(
            select(seller.name_zh, seller.name_en, seller.region_code, buyer.name_zh,
                   buyer.name_en, buyer.region_code)
            .select_from(m.Match)
            .join(m.Achievement, m.Achievement.id == m.Match.achievement_id)
            .join(m.Demand, m.Demand.id == m.Match.demand_id)
            .outerjoin(seller, seller.id == m.Achievement.owner_organisation_id)
            .outerjoin(buyer, buyer.id == m.Demand.owner_organisation_id)
            .where(m.Match.code == code)).first()
    parties = None if row is None else Parties(
        seller_zh=row[0], seller_en=row[1], seller_region=row[2], buyer_zh=row[3],
        buyer_en=row[4], buyer_region=row[5])
    return ContractContext(match=record, parties=parties, types=list(CONTRACT_TYPES))
