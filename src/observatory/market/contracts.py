"""Contract registration: a contracted match becomes a registered technology contract.

Validation follows the technology-contract registration rules (see the technology contracts in
docs/methodology/indicators.md): a known contract type; the seller owns the achievement and the
buyer posted the demand; the technology transaction amount is the total less its
non-technical part (equipment, materials, construction...), so it can never exceed the total;
amounts are not negative; the contract is registered on or after signing. Every problem is
reported at once, field by field, in English and Chinese, and nothing is written. The new
contract feeds the indicator engine's technology-market figures (outflow by the seller's
region, inflow by the buyer's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.market.workflow import WorkflowError, advance
from observatory.registry import models as m
from observatory.registry.audit import record_change

CONTRACT_TYPES = ("development", "transfer", "licensing", "consulting", "service")


@dataclass(frozen=True)
class FieldProblem:
    field: str
    value: str | None
    reason_en: str
    reason_zh: str


class ContractInvalid(ValueError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.reason_en} / {p.reason_zh}" for p in problems))


def _money(name: str, raw: object, problems: list[FieldProblem]) -> Decimal | None:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        problems.append(FieldProblem(name, str(raw), "expected a number", "应为数值"))
        return None
    if not value.is_finite() or value < 0:
        problems.append(FieldProblem(name, str(raw), "must be a non-negative number",
                                     "必须为非负数"))
        return None
    return value.quantize(Decimal("0.01"))


def register_contract(session: Session, *, match: str, registration_no: str,
                      contract_type: str, total_amount_yuan: object,
                      non_technical_amount_yuan: object = 0, signed_on: dt.date,
                      registered_on: dt.date, actor: str) -> m.TechnologyContract:
    """Register the contract of a match in negotiation and close the match as contracted."""
    problems: list[FieldProblem] = []
    row = session.scalars(select(m.Match).where(m.Match.code == match)).first()
    if row is None:
        raise ContractInvalid([FieldProblem("match", match, "no such match", "不存在此匹配")])
    if row.status != "negotiating":
        problems.append(FieldProblem(
            "match", match, f"the match is {row.status}; only a match in negotiation can be "
            "contracted", f"匹配状态为 {row.status}，仅洽谈中可签约"))
    if contract_type not in CONTRACT_TYPES:
        problems.append(FieldProblem("contract_type", contract_type,
                                     f"not one of: {', '.join(CONTRACT_TYPES)}", "合同类型无效"))
    if not registration_no or len(registration_no) > 40:
        problems.append(FieldProblem("registration_no", registration_no,
                                     "required, at most 40 characters", "必填，最多 40 个字符"))
    elif session.scalars(select(m.TechnologyContract.id).where(
            m.TechnologyContract.registration_no == registration_no)).first() is not None:
        problems.append(FieldProblem("registration_no", registration_no,
                                     "already registered", "登记号已存在"))
    total = _money("total_amount_yuan", total_amount_yuan, problems)
    non_tech = _money("non_technical_amount_yuan", non_technical_amount_yuan, problems)
    if total is not None and non_tech is not None and non_tech > total:
        problems.append(FieldProblem("non_technical_amount_yuan", str(non_tech),
                                     f"exceeds the total amount {total}",
                                     f"超过合同总额 {total}"))
    if registered_on < signed_on:
        problems.append(FieldProblem("registered_on", registered_on.isoformat(),
                                     f"before the signing date {signed_on}",
                                     f"早于签订日期 {signed_on}"))
    achievement = session.get_one(m.Achievement, row.achievement_id)
    demand = session.get_one(m.Demand, row.demand_id)
    if achievement.owner_organisation_id is None:
        problems.append(FieldProblem("seller", achievement.code,
                                     "the achievement has no owner to act as seller",
                                     "该成果没有权属单位，无法作为卖方"))
    if demand.owner_organisation_id is None:
        problems.append(FieldProblem("buyer", demand.code,
                                     "the demand has no owner to act as buyer",
                                     "该需求没有发布单位，无法作为买方"))
    if problems:
        raise ContractInvalid(problems)
    seller = session.get_one(m.Organisation, achievement.owner_organisation_id)
    buyer = session.get_one(m.Organisation, demand.owner_organisation_id)
    assert total is not None and non_tech is not None
    contract = m.TechnologyContract(
        registration_no=registration_no, contract_type=contract_type,
        seller_organisation_id=seller.id, buyer_organisation_id=buyer.id,
        broker_person_id=row.broker_person_id, seller_region_code=seller.region_code,
        buyer_region_code=buyer.region_code, total_amount_yuan=total,
        technology_amount_yuan=total - non_tech, signed_on=signed_on,
        registered_on=registered_on, field_code=achievement.field_code,
        achievement_id=achievement.id, demand_id=demand.id, source_id=row.source_id,
        source_ref=f"match {row.code}")
    session.add(contract)
    session.flush()
    record_change(session, actor=actor, entity="technology_contracts",
                  entity_key=registration_no, action="insert", before=None,
                  after={"match": row.code, "contract_type": contract_type,
                         "total_amount_yuan": total,
                         "technology_amount_yuan": total - non_tech},
                  operation="register contract")
    try:
        advance(session, row.code, "contracted", actor=actor, on=registered_on,
                contract_id=contract.id)
    except WorkflowError as exc:  # pragma: no cover - status was checked above
        raise ContractInvalid([FieldProblem("match", row.code, exc.en, exc.zh)]) from exc
    return contract
