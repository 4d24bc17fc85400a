"""Technology fairs (对接会): create, list, add matches, show and export a fair's pairs.

Staff create fairs and add matches; a broker sees the fairs and, in each, their own pairs."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping

import pandas as pd
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from observatory.market import fairs
from observatory.market.workflow import WorkflowError
from observatory.registry.cells import neutralise, type_text_cells
from observatory.services.access import allow, role_of
from observatory.services.auth import Principal
from observatory.services.errors import Conflict, Denied, Invalid, NotFound
from observatory.services.records import json_records


class FairSummary(BaseModel):
    code: str
    name_zh: str
    name_en: str | None
    held_on: str
    place: str | None
    pairs: int
    contracted: int


class FairList(BaseModel):
    fairs: list[FairSummary]


class FairPair(BaseModel):
    match: str
    status: str
    demand: str
    demand_title_zh: str | None
    demand_title_en: str | None
    buyer_zh: str | None
    achievement: str
    achievement_title_zh: str | None
    achievement_title_en: str | None
    seller_zh: str | None
    broker: str | None
    broker_name_zh: str | None
    broker_name_en: str | None
    score: float | None
    proposed_on: str
    contract: str | None
    technology_amount_yuan: float | None


class FairDetail(BaseModel):
    code: str
    name_zh: str
    name_en: str | None
    held_on: str
    place: str | None
    pairs: list[FairPair]


class FairInput(BaseModel):
    """A new fair as typed in (the date stays text until ``create``)."""

    name_zh: str = ""
    name_en: str | None = None
    held_on: str = ""
    place: str | None = None

    @classmethod
    def from_form(cls, values: Mapping[str, object]) -> FairInput:
        return cls(**{k: str(values.get(k) or "").strip() for k in ("name_zh", "name_en",
                                                                    "held_on", "place")})


class FairMatches(BaseModel):
    """Matches (by code) to add to a fair; a form sends them comma- or space-separated."""

    matches: list[str] = []

    @classmethod
    def from_form(cls, values: Mapping[str, object]) -> FairMatches:
        raw = values.get("matches")
        if isinstance(raw, list):
            return cls(matches=[str(x) for x in raw])
        return cls(matches=str(raw or "").replace(",", " ").split())


def _staff(p: Principal) -> None:
    allow(p, "fairs")
    if role_of(p) == "broker":
        raise Denied(403)


def parse_date(value: str, field: str = "held_on") -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{field} {value!r}: expected a date (YYYY-MM-DD)",
                      f"{field} {value!r}：应为日期（YYYY-MM-DD）") from None


def create(engine: Engine, p: Principal, given: FairInput) -> FairSummary:
    """Create a fair (staff); one transaction, one audit record."""
    _staff(p)
    held_on = parse_date(given.held_on)
    try:
        with Session(engine) as session, session.begin():
            fair = fairs.create_fair(session, name_zh=given.name_zh, name_en=given.name_en,
                                     held_on=held_on, place=given.place, actor=p.username)
            return FairSummary(code=fair.code, name_zh=fair.name_zh, name_en=fair.name_en,
                               held_on=fair.held_on.isoformat(), place=fair.place, pairs=0,
                               contracted=0)
    except WorkflowError as exc:
        raise Invalid(exc.en, exc.zh) from None


def add(engine: Engine, p: Principal, code: str, given: FairMatches) -> FairDetail:
    """Add matches to a fair (staff); an unknown fair is 404, an unknown match 409."""
    _staff(p)
    try:
        with Session(engine) as session, session.begin():
            fairs.add_matches(session, code, given.matches, actor=p.username)
    except WorkflowError as exc:
        if exc.en.startswith("no fair"):
            raise NotFound(exc.en, exc.zh) from None
        raise Conflict(exc.en, exc.zh) from None
    return detail(engine, p, code)


def fair_list(engine: Engine, p: Principal) -> FairList:
    allow(p, "fairs")
    with Session(engine) as session:
        frame = fairs.list_fairs(session)
    return FairList(fairs=[FairSummary.model_validate(r) for r in json_records(frame)])


def detail(engine: Engine, p: Principal, code: str) -> FairDetail:
    """A fair and its pairs; a broker sees only the pairs they are assigned."""
    allow(p, "fairs")
    mine = (p.person_id if p.person_id is not None else -1) if role_of(p) == "broker" else None
    try:
        with Session(engine) as session:
            fair, frame = fairs.fair_pairs(session, code, mine)
            out = FairDetail(code=fair.code, name_zh=fair.name_zh, name_en=fair.name_en,
                             held_on=fair.held_on.isoformat(), place=fair.place,
                             pairs=[FairPair.model_validate(r) for r in json_records(frame)])
    except WorkflowError as exc:
        raise NotFound(exc.en, exc.zh) from None
    return out


EXPORT_FORMATS = ("json", "csv", "xlsx")


def export(data: FairDetail, fmt: str) -> tuple[bytes, str]:
    """The fair's pairs as CSV (UTF-8 with BOM, for Excel) or XLSX: (content, media type)."""
    if fmt not in ("csv", "xlsx"):
        raise Invalid(f"format {fmt!r}: one of {', '.join(EXPORT_FORMATS)}",
                      f"格式 {fmt!r} 无效：{'、'.join(EXPORT_FORMATS)}")
    frame = pd.DataFrame([x.model_dump() for x in data.pairs], columns=fairs.PAIR_COLUMNS)
    if fmt == "csv":
        text = "\ufeff" + frame.map(neutralise).to_csv(index=False)
        return text.encode("utf-8"), "text/csv; charset=utf-8"
    about = pd.DataFrame({"item": ["fair", "name_zh", "name_en", "held_on", "place"],
                          "value": [data.code, data.name_zh, data.name_en, data.held_on,
                                    data.place]})
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="pairs", index=False)
        about.to_excel(writer, sheet_name="fair", index=False)
        for sheet in writer.sheets.values():
            type_text_cells(sheet)
    return buffer.getvalue(), ("application/vnd.openxmlformats-officedocument."
                               "spreadsheetml.sheet")
