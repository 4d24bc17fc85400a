"""Broker workflow and contract registration against the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.market.contracts import ContractInvalid, register_contract
from observatory.market.workflow import (
    WorkflowError,
    advance,
    broker_statistics,
    decline_reasons,
    propose,
)
from observatory.registry import models as m
from observatory.registry.codes import make_uscc

D = dt.date(2025, 3, 1)


def _seed(session: Session) -> None:
    seller = m.Organisation(uscc=make_uscc("12370212", "00000001"), name_zh="青岛海洋研究院",
                            kind="institute", region_code="370212")
    buyer = m.Organisation(uscc=make_uscc("91370211", "00000002"), name_zh="青岛某装备公司",
                           kind="enterprise", region_code="370211")
    session.add_all([seller, buyer])
    session.flush()
    for i in range(3):
        session.add(m.Achievement(code=f"A{i}", title_zh=f"成果{i}", field_code="marine",
                                  owner_organisation_id=seller.id, status="published"))
        session.add(m.Demand(code=f"D{i}", title_zh=f"需求{i}", field_code="marine",
                             owner_organisation_id=buyer.id, status="published"))
    broker = m.Person(code="B1", name_zh="王经纪")
    session.add(broker)
    session.flush()
    session.add(m.BrokerQualification(certificate_no="TB-2024-001", person_id=broker.id,
                                      level="intermediate", valid_from=dt.date(2024, 1, 1)))
    session.flush()


def test_match_goes_from_proposal_to_registered_contract(engine) -> None:
    with Session(engine) as session, session.begin():
        _seed(session)
        match = propose(session, demand="D0", achievement="A0", broker="B1", actor="broker1",
                        score=0.8, on=D)
        for step, day in (("contacted", 3), ("nda", 10), ("negotiating", 20)):
            advance(session, match.code, step, actor="broker1", on=D + dt.timedelta(days=day))
        contract = register_contract(
            session, match=match.code, registration_no="2025370200000001",
            contract_type="transfer", total_amount_yuan="1200000",
            non_technical_amount_yuan="200000.50", signed_on=dt.date(2025, 4, 1),
            registered_on=dt.date(2025, 4, 10), actor="broker1")
        contract_id = contract.id
    with Session(engine) as session:
        contract = session.get(m.TechnologyContract, contract_id)
        assert contract.technology_amount_yuan == Decimal("999999.50")
        assert (contract.seller_region_code, contract.buyer_region_code) == ("370212", "370211")
        match = session.scalars(select(m.Match)).one()
        assert match.status == "contracted" and match.contract_id == contract.id
        events = session.scalars(select(m.MatchEvent.to_status).order_by(m.MatchEvent.id)).all()
        assert events == ["proposed", "contacted", "nda", "negotiating", "contracted"]
        audit = session.scalars(select(m.AuditLog.operation)
                                .where(m.AuditLog.actor == "broker1")).all()
        assert "register contract" in audit and len(audit) == 6
        stats = broker_statistics(session).set_index("broker")
        assert stats.loc["B1", "contracted"] == 1
        assert stats.loc["B1", "conversion"] == 1.0
        assert stats.loc["B1", "median_days_to_contract"] == (dt.date(2025, 4, 10) - D).days
        assert stats.loc["B1", "technology_amount_yuan"] == pytest.approx(999999.50)


def test_workflow_refuses_skips_and_reasonless_declines(engine) -> None:
    with Session(engine) as session, session.begin():
        _seed(session)
        match = propose(session, demand="D1", achievement="A1", broker="B1", actor="b", on=D)
        with pytest.raises(WorkflowError, match="cannot go from proposed to negotiating"):
            advance(session, match.code, "negotiating", actor="b")
        with pytest.raises(WorkflowError, match="needs a reason"):
            advance(session, match.code, "declined", actor="b")
        with pytest.raises(WorkflowError, match="already matched"):
            propose(session, demand="D1", achievement="A1", actor="b")
        advance(session, match.code, "declined", actor="b", reason="price", on=D)
        with pytest.raises(WorkflowError, match="allowed: none"):
            advance(session, match.code, "contacted", actor="b")
        other = propose(session, demand="D2", achievement="A2", broker="B1", actor="b", on=D)
        advance(session, other.code, "contacted", actor="b", on=D)
        with pytest.raises(WorkflowError, match="only given when declining"):
            advance(session, other.code, "negotiating", actor="b", reason="price")
        advance(session, other.code, "negotiating", actor="b", on=D)
        with pytest.raises(WorkflowError, match="registering its contract"):
            advance(session, other.code, "contracted", actor="b")
        advance(session, other.code, "declined", actor="b", reason="too_early", on=D)
        reasons = decline_reasons(session).set_index("reason")
        assert reasons.loc["price", "count"] == 1 and reasons.loc["too_early", "name_zh"]
        # Written outside advance (the column allows it): left out instead of a KeyError.
        other.decline_reason = None
        session.flush()
        assert list(decline_reasons(session)["reason"]) == ["price"]
        stats = broker_statistics(session).set_index("broker")
        assert stats.loc["B1", "conversion"] == 0.0 and stats.loc["B1", "declined"] == 2


def test_contract_validation_reports_every_problem_and_writes_nothing(engine) -> None:
    with Session(engine) as session, session.begin():
        _seed(session)
        match = propose(session, demand="D0", achievement="A0", actor="b", on=D)
        code = match.code
    with Session(engine) as session, session.begin():
        with pytest.raises(ContractInvalid) as info:
            register_contract(session, match=code, registration_no="", contract_type="gift",
                              total_amount_yuan="100", non_technical_amount_yuan="150",
                              signed_on=dt.date(2025, 5, 1), registered_on=dt.date(2025, 4, 1),
                              actor="b")
        fields = {p.field for p in info.value.problems}
        assert fields == {"match", "contract_type", "registration_no",
                          "non_technical_amount_yuan", "registered_on"}
        assert all(p.reason_zh for p in info.value.problems)
    with Session(engine) as session:
        assert session.scalars(select(m.TechnologyContract)).first() is None
        assert session.scalars(select(m.Match.status)).one() == "proposed"


def test_a_broker_without_a_valid_qualification_is_refused(engine) -> None:
    with Session(engine) as session, session.begin():
        _seed(session)
        session.add(m.Person(code="B2", name_zh="李某"))
        qualification = session.scalars(select(m.BrokerQualification)).one()
        qualification.valid_to = dt.date(2024, 12, 31)
        session.flush()
        for broker, on in (("B2", D), ("B1", dt.date(2025, 1, 2)), ("B9", D)):
            with pytest.raises(WorkflowError) as refused:
                propose(session, demand="D0", achievement="A0", broker=broker, actor="x", on=on)
            assert broker in refused.value.en and "经纪人" in refused.value.zh
        assert propose(session, demand="D0", achievement="A0", broker="B1", actor="x",
                       on=dt.date(2024, 12, 31)).broker_person_id == qualification.person_id
