"""Technology fairs (对接会): an event that groups matched pairs, for planning and export.

A fair is created with a bilingual name, a date and a place; matches are added to it (each at
most once); its pairs are listed with their demand, achievement, broker, status and contract.
Every change is an audit record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from observatory.market.workflow import WorkflowError
from observatory.registry import models as m
from observatory.registry.audit import record_change

#: Columns of a fair's pairs (the export's order).
PAIR_COLUMNS = ["match", "status", "demand", "demand_title_zh", "demand_title_en", "buyer_zh",
                "achievement", "achievement_title_zh", "achievement_title_en", "seller_zh",
                "broker", "broker_name_zh", "broker_name_en", "score", "proposed_on",
                "contract", "technology_amount_yuan"]


def _fair(session: Session, code: str) -> m.Fair:
    fair = session.scalars(select(m.Fair).where(m.Fair.code == code)).first()
    if fair is None:
        raise WorkflowError(f"no fair {code!r}", f"不存在对接会 {code!r}")
    return fair


def _snapshot(fair: m.Fair) -> dict[str, Any]:
    return {"code": fair.code, "name_zh": fair.name_zh, "name_en": fair.name_en,
            "held_on": fair.held_on, "place": fair.place}


def create_fair(session: Session, *, name_zh: str, held_on: dt.date, actor: str,
                name_en: str | None = None, place: str | None = None) -> m.Fair:
    """A new fair, coded FAIR + a running number."""
    name_zh, name_en, place = name_zh.strip(), (name_en or "").strip(), (place or "").strip()
    if not name_zh:
        raise WorkflowError("a fair needs a Chinese name (name_zh)", "对接会须有中文名称")
    if len(name_zh) > 200 or len(name_en) > 300 or len(place) > 200:
        raise WorkflowError("name or place too long (200/300/200 characters at most)",
                            "名称或地点过长（分别不超过200/300/200字）")
    number = (session.scalar(select(func.max(m.Fair.id))) or 0) + 1
    fair = m.Fair(code=f"FAIR{number:04d}", name_zh=name_zh, name_en=name_en or None,
                  held_on=held_on, place=place or None, created_by=actor[:120])
    session.add(fair)
    session.flush()
    record_change(session, actor=actor, entity="fairs", entity_key=fair.code, action="insert",
                  before=None, after=_snapshot(fair), operation="create fair")
    return fair


def add_matches(session: Session, fair_code: str, match_codes: Sequence[str], *, actor: str,
                on: dt.date | None = None) -> list[str]:
    """Add matches (by code) to a fair; returns the codes newly added (those already in it
    are left alone). An unknown match refuses the whole call."""
    fair = _fair(session, fair_code)
    codes = list(dict.fromkeys(c.strip() for c in match_codes if c.strip()))
    if not codes:
        raise WorkflowError("name at least one match to add", "请至少指定一个匹配")
    found = dict(session.execute(select(m.Match.code, m.Match.id)
                                 .where(m.Match.code.in_(codes))).all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise WorkflowError(f"no match {missing[0]!r}", f"不存在匹配 {missing[0]!r}")
    present = set(session.scalars(select(m.FairMatch.match_id)
                                  .where(m.FairMatch.fair_id == fair.id)))
    added = [c for c in codes if found[c] not in present]
    for c in added:
        session.add(m.FairMatch(fair_id=fair.id, match_id=found[c],
                                added_on=on or dt.date.today(), added_by=actor[:120]))
    if added:
        record_change(session, actor=actor, entity="fairs", entity_key=fair.code,
                      action="update", before=None, after={"added_matches": added},
                      operation="add matches to fair")
    session.flush()
    return added


def list_fairs(session: Session) -> pd.DataFrame:
    """Every fair with its number of pairs and of contracted pairs, newest first."""
    counts = dict(session.execute(select(m.FairMatch.fair_id, func.count())
                                  .group_by(m.FairMatch.fair_id)).all())
    done = dict(session.execute(
        select(m.FairMatch.fair_id, func.count()).join(m.Match, m.Match.id == m.FairMatch.match_id)
        .where(m.Match.status == "contracted").group_by(m.FairMatch.fair_id)).all())
    rows = [{"code": f.code, "name_zh": f.name_zh, "name_en": f.name_en,
             "held_on": f.held_on, "place": f.place, "pairs": int(counts.get(f.id, 0)),
             "contracted": int(done.get(f.id, 0))}
            for f in session.scalars(select(m.Fair).order_by(m.Fair.held_on.desc(),
                                                              m.Fair.id.desc()))]
    return pd.DataFrame(rows, columns=["code", "name_zh", "name_en", "held_on", "place",
                                       "pairs", "contracted"])


def fair_pairs(session: Session, fair_code: str, broker_person_id: int | None = None
               ) -> tuple[m.Fair, pd.DataFrame]:
    """The fair and its pairs (only ``broker_person_id``'s, when given), by match code."""
    fair = _fair(session, fair_code)
    seller, buyer = aliased(m.Organisation), aliased(m.Organisation)
    q = (select(m.Match.code, m.Match.status, m.Demand.code, m.Demand.title_zh,
                m.Demand.title_en, buyer.name_zh, m.Achievement.code, m.Achievement.title_zh,
                m.Achievement.title_en, seller.name_zh, m.Person.code, m.Person.name_zh,
                m.Person.name_en, m.Match.score, m.Match.proposed_on,
                m.TechnologyContract.registration_no,
                m.TechnologyContract.technology_amount_yuan)
         .select_from(m.FairMatch).join(m.Match, m.Match.id == m.FairMatch.match_id)
         .join(m.Demand, m.Demand.id == m.Match.demand_id)
         .join(m.Achievement, m.Achievement.id == m.Match.achievement_id)
         .outerjoin(buyer, buyer.id == m.Demand.owner_organisation_id)
         .outerjoin(seller, seller.id == m.Achievement.owner_organisation_id)
         .outerjoin(m.Person, m.Person.id == m.Match.broker_person_id)
         .outerjoin(m.TechnologyContract, m.TechnologyContract.id == m.Match.contract_id)
         .where(m.FairMatch.fair_id == fair.id).order_by(m.Match.code))
    if broker_person_id is not None:
        q = q.where(m.Match.broker_person_id == broker_person_id)
    frame = pd.DataFrame([tuple(r) for r in session.execute(q)], columns=PAIR_COLUMNS)
    frame["technology_amount_yuan"] = [None if v is None else float(v)
                                       for v in frame["technology_amount_yuan"]]
    return fair, frame


__all__ = ["PAIR_COLUMNS", "add_matches", "create_fair", "fair_pairs", "list_fairs"]
