"""The technology market: search, a listing's best counterparts, one listing (view and edit)
and the recorded matches; who sees which listing and match is decided here.

Matching is ``observatory.market`` (through the deployment's shared engine); this module loads
rows, applies the object rules, calls the engine and shapes the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel
from sqlalchemy import Engine, Select, func, or_, select
from sqlalchemy.orm import Session, object_session

from observatory.market.database import engine_id, listing_from_row
from observatory.market.engine import Match as EngineMatch
from observatory.market.engine import MatchEngine
from observatory.market.listing import FIELDS
from observatory.market.listing import Listing as EngineListing
from observatory.registry import models as m
from observatory.registry.audit import record_change
from observatory.services.access import allow, in_scope, is_staff, role_of, scope_clause
from observatory.services.auth import Principal
from observatory.services.context import Deployment
from observatory.services.errors import Invalid, NotFound

ListingRow = m.Achievement | m.Demand
KINDS = ("achievement", "demand")
EDITABLE = ("title_zh", "title_en", "summary_zh", "summary_en")


class SemanticMatch(BaseModel):
    cosine: float
    band: str | None
    band_zh: str


class CriterionMet(BaseModel):
    criterion: str
    name_en: str
    name_zh: str
    value: float | None
    met: bool | None
    detail_en: str | None
    detail_zh: str | None


class Explanation(BaseModel):
    """Why a candidate ranks where it does: matched terms, semantic band, criteria."""

    matched_terms: list[str]
    semantic: SemanticMatch | None
    lexical_rank: int | None
    dense_rank: int | None
    criteria: list[CriterionMet]
    penalty: float
    en: list[str]
    zh: list[str]


class Candidate(BaseModel):
    code: str
    kind: str
    rank: int
    score: float
    relevance: float
    title: str | None
    title_en: str | None
    title_zh: str | None
    field: str | None
    trl: int | None
    why: list[str]
    explanation: Explanation


class SearchResult(BaseModel):
    q: str
    kind: str
    mode: str | None
    results: list[Candidate]


class SourceListing(BaseModel):
    code: str
    kind: str
    title: str | None


class MatchList(BaseModel):
    """The best counterparts of one listing (demand -> achievements and back)."""

    source: SourceListing
    mode: str
    results: list[Candidate]


class ListingView(BaseModel):
    id: str
    kind: str
    field: str | None
    trl: int | None
    region_code: str | None
    status: str | None
    visibility: str | None
    published_on: str | None
    owner: str
    title_zh: str | None = None
    title_en: str | None = None
    summary_zh: str | None = None
    summary_en: str | None = None
    problem_zh: str | None = None
    problem_en: str | None = None
    advantages_zh: str | None = None
    advantages_en: str | None = None
    applications_zh: str | None = None
    applications_en: str | None = None
    keywords_zh: str | None = None
    keywords_en: str | None = None
    price_yuan: str | None = None
    budget_yuan: str | None = None
    editable: bool = False


class ListingEdit(BaseModel):
    """New titles and summaries; a field left out keeps its value, an empty one clears it."""

    title_zh: str | None = None
    title_en: str | None = None
    summary_zh: str | None = None
    summary_en: str | None = None

    @classmethod
    def from_form(cls, form: Mapping[str, object]) -> ListingEdit:
        return cls(**{f: str(form[f]) for f in EDITABLE if f in form})


class MatchRow(BaseModel):
    code: str
    demand_id: int
    achievement_id: int
    status: str
    score: float | None
    proposed_on: str
    broker_person_id: int | None
    explanation: dict[str, object] | None


class MatchRows(BaseModel):
    matches: list[MatchRow]


# ----- search and matching ------------------------------------------------------------------
def _candidate_visible(p: Principal, listing: EngineListing) -> bool:
    """A search or match result: public listings for all, members-only ones for accounts,
    private ones for staff of the listing's region (the listing page's own rule)."""
    if listing.visibility == "public" and listing.status == "published":
        return True
    if listing.visibility == "members" and listing.status == "published" and p.authenticated:
        return True
    return is_staff(p) and listing.region_code is not None and in_scope(p, listing.region_code)


def _candidates(matcher: MatchEngine, results: list[EngineMatch], lang: str,
                p: Principal) -> list[Candidate]:
    out = []
    for r in results:
        listing = matcher.listings[r.listing_id]
        if not _candidate_visible(p, listing):
            continue
        out.append(Candidate(
            code=str(listing.extra.get("code", r.listing_id)), kind=listing.kind, rank=r.rank,
            score=round(float(r.score), 4), relevance=round(float(r.relevance), 4),
            title=listing.title(lang), title_en=listing.title("en"),
            title_zh=listing.title("zh"), field=listing.field, trl=listing.trl,
            why=r.explanation.lines(lang),
            explanation=Explanation.model_validate(r.explanation.to_dict())))
    return out


def search(dep: Deployment, p: Principal, q: str, kind: str, lang: str, k: int = 20
           ) -> SearchResult:
    """Published listings of ``kind`` that answer the free text ``q``."""
    allow(p, "market")
    q = q[:500]
    if kind not in KINDS:
        raise Invalid("kind must be achievement or demand", "kind 须为 achievement 或 demand")
    if not q.strip():
        return SearchResult(q="", kind=kind, mode=None, results=[])
    matcher = dep.matcher.get()
    results = matcher.query(q, target_kind=kind, k=k)
    return SearchResult(q=q, kind=kind, mode=str(matcher.mode),
                        results=_candidates(matcher, results, lang, p))


def _listing_row(session: Session, code: str) -> tuple[ListingRow, str] | None:
    achievement = session.scalar(select(m.Achievement).where(m.Achievement.code == code))
    if achievement is not None:
        return achievement, "achievement"
    demand = session.scalar(select(m.Demand).where(m.Demand.code == code))
    return (demand, "demand") if demand is not None else None


def _owns(p: Principal, row: ListingRow) -> bool:
    return (role_of(p) == "enterprise" and p.organisation_id is not None
            and row.owner_organisation_id == p.organisation_id)


def listing_region(row: ListingRow) -> str | None:
    """The listing's region, else its owner's (a draft may not name one yet)."""
    if row.region_code is not None or row.owner_organisation_id is None:
        return row.region_code
    session = object_session(row)
    if session is None:
        return None
    return session.scalar(select(m.Organisation.region_code)
                          .where(m.Organisation.id == row.owner_organisation_id))


def _staff_in_scope(p: Principal, row: ListingRow) -> bool:
    return is_staff(p) and (p.scope is None or in_scope(p, listing_region(row)))


def can_see_listing(p: Principal, row: ListingRow) -> bool:
    """Published public listings for all; drafts, expired and private ones for staff of the
    listing's region and the owning enterprise."""
    if row.visibility == "public" and row.status == "published":
        return True
    return _staff_in_scope(p, row) or _owns(p, row)


def can_edit_listing(p: Principal, row: ListingRow) -> bool:
    """Staff of the listing's region and the owning enterprise."""
    return _staff_in_scope(p, row) or _owns(p, row)


def listing_view_of(row: ListingRow, kind: str, editable: bool) -> ListingView:
    """A registry listing as the listing page and its JSON twin show it."""
    values: dict[str, object] = {
        "id": row.code, "kind": kind,
        "field": row.field_code if row.field_code in FIELDS else None, "trl": row.trl,
        "region_code": row.region_code, "status": row.status, "visibility": row.visibility,
        "published_on": row.published_on.isoformat() if row.published_on else None,
        "owner": str(row.owner_organisation_id or ""), "editable": editable}
    for f in ("title", "summary", "problem", "advantages", "applications", "keywords"):
        for lang in ("zh", "en"):
            values[f"{f}_{lang}"] = getattr(row, f"{f}_{lang}")
    if isinstance(row, m.Achievement):
        values["price_yuan"] = None if row.asking_price_yuan is None else str(row.asking_price_yuan)
    else:
        values["budget_yuan"] = None if row.budget_yuan is None else str(row.budget_yuan)
    return ListingView.model_validate(values)


def listing_view(engine: Engine, p: Principal, code: str) -> ListingView:
    """One listing; NotFound when absent or not visible to ``p``."""
    allow(p, "market")
    with Session(engine) as session:
        found = _listing_row(session, code)
        if found is None or not can_see_listing(p, found[0]):
            raise NotFound()
        row, kind = found
        return listing_view_of(row, kind, can_edit_listing(p, row))


def edit_listing(engine: Engine, p: Principal, code: str, edit: ListingEdit) -> ListingView:
    """Change a listing's titles and summaries (audited); NotFound unless ``p`` may edit it."""
    allow(p, "listing_edit")
    given = edit.model_dump(exclude_unset=True)
    with Session(engine) as session, session.begin():
        found = _listing_row(session, code)
        if found is None or not can_edit_listing(p, found[0]):
            raise NotFound()
        row, kind = found
        before = {f: getattr(row, f) for f in EDITABLE}
        after = {f: str(v or "").strip()[:300 if f.startswith("title") else 5000] or None
                 for f, v in given.items()}
        for f, v in after.items():
            setattr(row, f, v)
        record_change(session, actor=p.username, entity=f"{kind}s", entity_key=code,
                      action="update", before={f: before[f] for f in after}, after=after,
                      operation="web edit listing")
    return listing_view(engine, p, code)


def _source_listing(session: Session, code: str) -> EngineListing | None:
    """A listing (any status) as the engine's Listing, so staff can match drafts too."""
    found = _listing_row(session, code)
    return listing_from_row(found[0]) if found is not None else None


def match_list(dep: Deployment, p: Principal, code: str, lang: str, k: int = 10) -> MatchList:
    """Best counterparts for listing ``code``; NotFound when ``p`` may not see it."""
    allow(p, "match")
    with Session(dep.engine) as session:
        found = _listing_row(session, code)
        if found is None or not can_see_listing(p, found[0]):
            raise NotFound()
    matcher = dep.matcher.get()
    with Session(dep.engine) as session:
        kind = found[1]
        src = matcher.listings.get(engine_id(kind, code)) or _source_listing(session, code)
    if src is None:
        raise NotFound()
    results = matcher.match(src, k=k)
    return MatchList(source=SourceListing(code=code, kind=src.kind, title=src.title(lang)),
                     mode=str(matcher.mode), results=_candidates(matcher, results, lang, p))


# ----- recorded matches ---------------------------------------------------------------------
def scoped_matches(p: Principal) -> Select[m.Match]:
    """The matches ``p`` may see: a broker their own, staff all; either only where the demand
    or the achievement lies in the home region's subtree (a listing without a region: its
    owner's)."""
    q = select(m.Match).order_by(m.Match.id.desc())
    if role_of(p) == "broker":
        q = q.where(m.Match.broker_person_id == p.person_id)
    in_region = []
    for model in (m.Demand, m.Achievement):
        clause = scope_clause(p, func.coalesce(model.region_code, m.Organisation.region_code))
        if clause is not None:
            ids = (select(model.id).outerjoin(
                m.Organisation, m.Organisation.id == model.owner_organisation_id).where(clause))
            in_region.append((m.Match.demand_id if model is m.Demand
                              else m.Match.achievement_id).in_(ids))
    return q.where(or_(*in_region)) if in_region else q


def match_rows(engine: Engine, p: Principal, limit: int = 500) -> MatchRows:
    allow(p, "matches")
    with Session(engine) as session:
        rows = session.scalars(scoped_matches(p).limit(limit)).all()
        return MatchRows(matches=[MatchRow(
            code=x.code, demand_id=x.demand_id, achievement_id=x.achievement_id,
            status=x.status, score=None if x.score is None else float(x.score),
            proposed_on=x.proposed_on.isoformat(), broker_person_id=x.broker_person_id,
            explanation=x.explanation) for x in rows])

