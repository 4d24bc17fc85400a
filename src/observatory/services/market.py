"""The technology market: search, a listing's best counterparts, one listing (view and edit)
and the recorded matches; who sees which listing and match is decided here.

Matching is ``observatory.market`` (through the deployment's shared engine); this module loads
rows, applies the object rules, calls the engine and shapes the answer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel
from sqlalchemy import Engine, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, object_session

from observatory.i18n import pick
from observatory.market.database import engine_id, listing_from_row
from observatory.market.engine import Match as EngineMatch
from observatory.market.engine import MatchEngine
from observatory.market.features import HardFilters
from observatory.market.listing import Listing as EngineListing
from observatory.market.text import tokenise
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
    field_en: str | None = None
    field_zh: str | None = None
    region_en: str | None = None
    region_zh: str | None = None
    related: list[ListingCard] = []  # filled on the listing page (``listing_page``)


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
        "field": row.field_code, "trl": row.trl,
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



# ----- browsing: the newest listings, facets, search within them, related listings ---------
PAGE_SIZE = 20
SEARCH_DEPTH = 300  # ranked listings a query looks at before the facets narrow them
RELATED = 5
#: TRL bands (code -> lowest, highest, en, zh).
TRL_BANDS: dict[str, tuple[int, int, str, str]] = {
    "1-3": (1, 3, "TRL 1–3 (research)", "1–3级（研究阶段）"),
    "4-6": (4, 6, "TRL 4–6 (development)", "4–6级（开发阶段）"),
    "7-9": (7, 9, "TRL 7–9 (deployment)", "7–9级（应用阶段）"),
}
#: Price (achievements) or budget (demands) bands in yuan: code -> [low, high), en, zh.
PRICE_BANDS: dict[str, tuple[int | None, int | None, str, str]] = {
    "lt50": (None, 500_000, "under 0.5 m yuan", "50万元以下"),
    "50-100": (500_000, 1_000_000, "0.5–1 m yuan", "50万–100万元"),
    "100-500": (1_000_000, 5_000_000, "1–5 m yuan", "100万–500万元"),
    "500+": (5_000_000, None, "5 m yuan and more", "500万元及以上"),
}
KIND_LABELS = {"achievement": ("Achievements", "科技成果"), "demand": ("Demands", "技术需求")}
FACETS = ("kind", "field", "trl", "region", "price")


class MarketFilters(BaseModel):
    """What the marketplace shows: a kind of listing and at most one value per facet."""

    kind: str = "achievement"
    field: str | None = None
    trl: str | None = None
    region: str | None = None
    price: str | None = None


class FacetValue(BaseModel):
    value: str
    label_en: str
    label_zh: str
    count: int
    selected: bool
    query: str  # the marketplace's query string with this value chosen (or cleared)


class Facet(BaseModel):
    name: str
    values: list[FacetValue]


class ListingCard(BaseModel):
    """A listing as the marketplace lists it."""

    code: str
    kind: str
    title: str
    title_zh: str | None
    title_en: str | None
    field: str
    field_en: str
    field_zh: str
    trl: int | None
    region_code: str | None
    region_en: str | None
    region_zh: str | None
    money_yuan: str | None  # asking price (achievement) or budget (demand)
    published_on: str | None
    rank: int | None = None
    why: list[str] = []


class MarketPage(BaseModel):
    """The marketplace: newest published listings (or those answering ``q``), with facets."""

    q: str
    kind: str
    mode: str | None
    filters: MarketFilters
    query: str  # the query string of this state, without the page
    total: int
    page: int
    pages: int
    listings: list[ListingCard]
    facets: list[Facet]
    results: list[Candidate]  # the ranked matches of ``q`` on this page, with explanations


class RelatedListings(BaseModel):
    code: str
    related: list[ListingCard]


def _labels(session: Session) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Field and region names (en, zh) from the registry's vocabulary and regions."""
    fields = {c: (en, zh) for c, en, zh in session.execute(
        select(m.VocabTerm.code, m.VocabTerm.name_en, m.VocabTerm.name_zh)
        .where(m.VocabTerm.scheme_code == "field"))}
    regions = {c: (en, zh) for c, en, zh in session.execute(
        select(m.Region.code, m.Region.name_en, m.Region.name_zh))}
    return fields, regions


def market_filters(session: Session, kind: str, field: str | None, trl: str | None,
                   region: str | None, price: str | None) -> MarketFilters:
    """The filters of a request; a value no facet offers is refused, naming it (422)."""
    fields, regions = _labels(session)
    allowed: dict[str, tuple[str | None, Collection[str]]] = {
        "kind": (kind, KINDS), "field": (field or None, fields), "trl": (trl or None, TRL_BANDS),
        "region": (region or None, regions), "price": (price or None, PRICE_BANDS)}
    for name, (value, known) in allowed.items():
        if value is not None and value not in known:
            shown = str(value)[:40]
            raise Invalid(f"unknown {name} {shown!r}; choose one the marketplace lists",
                          f"未知的{_FACET_ZH[name]}“{shown}”，请选择页面列出的取值")
    return MarketFilters(kind=kind, field=field or None, trl=trl or None, region=region or None,
                         price=price or None)


_FACET_ZH = {"kind": "类型", "field": "领域", "trl": "技术成熟度", "region": "地区",
             "price": "价格区间"}


def _model(kind: str) -> Any:
    """The listing model of ``kind`` (typed loosely: both share ``_Listing``'s columns)."""
    return m.Achievement if kind == "achievement" else m.Demand


def _money(model: Any) -> Any:
    return model.asking_price_yuan if model is m.Achievement else model.budget_yuan


def _conditions(model: Any, f: MarketFilters,
                codes: Collection[str] | None, skip: str | None = None) -> list[Any]:
    """Published public listings passing every facet but ``skip`` (and within ``codes``)."""
    out: list[Any] = [model.status == "published", model.visibility == "public"]
    if f.field and skip != "field":
        out.append(model.field_code == f.field)
    if f.trl and skip != "trl":
        low, high = TRL_BANDS[f.trl][:2]
        out.append(model.trl.between(low, high))
    if f.region and skip != "region":
        out.append(model.region_code == f.region)
    if f.price and skip != "price":
        lo, hi = PRICE_BANDS[f.price][:2]
        money = _money(model)
        out += [money >= lo] if lo is not None else []
        out += [money < hi] if hi is not None else []
    if codes is not None:
        out.append(model.code.in_(list(codes)))
    return out


def _band_case(column: Any, bands: Mapping[str, tuple[Any, ...]]) -> Any:
    """A SQL CASE naming the band a value falls in (TRL: inclusive; money: [low, high))."""
    whens = []
    for code, (low, high, *_rest) in bands.items():
        conds = []
        if low is not None:
            conds.append(column >= low)
        if high is not None:
            conds.append(column <= high if bands is TRL_BANDS else column < high)
        whens.append((and_(*conds), code))
    return case(*whens, else_=None)


def _query_string(q: str, f: MarketFilters, **change: str | None) -> str:
    values = {"q": q, **f.model_dump(), **change}
    return urlencode({k: v for k, v in values.items() if v})


def _counts(session: Session, f: MarketFilters, hits: Mapping[str, Collection[str] | None],
            name: str) -> dict[str, int]:
    """Listings per value of facet ``name``, the other facets (and the query) applied."""
    if name == "kind":
        return {kind: session.scalar(select(func.count()).where(
            *_conditions(_model(kind), f, hits[kind], skip="kind"))) or 0 for kind in KINDS}
    model = _model(f.kind)
    column = {"field": model.field_code, "region": model.region_code,
              "trl": _band_case(model.trl, TRL_BANDS),
              "price": _band_case(_money(model), PRICE_BANDS)}[name]
    rows = session.execute(select(column, func.count())
                           .where(*_conditions(model, f, hits[f.kind], skip=name))
                           .group_by(column))
    return {str(v): int(n) for v, n in rows if v is not None}


def _facets(session: Session, q: str, f: MarketFilters,
            hits: Mapping[str, Collection[str] | None]) -> list[Facet]:
    """Each facet's values with their counts; a chosen value stays listed even at zero."""
    fields, regions = _labels(session)
    names: dict[str, Mapping[str, tuple[str, str]]] = {
        "kind": KIND_LABELS, "field": fields, "region": regions,
        "trl": {c: (b[2], b[3]) for c, b in TRL_BANDS.items()},
        "price": {c: (b[2], b[3]) for c, b in PRICE_BANDS.items()}}
    out = []
    for name in FACETS:
        counts = _counts(session, f, hits, name)
        chosen = getattr(f, name)
        if chosen is not None:
            counts.setdefault(chosen, 0)
        order = list(names[name]) if name in ("kind", "trl", "price") else sorted(
            counts, key=lambda v: (-counts[v], v))
        values = []
        for value in order:
            if value not in counts:
                continue
            en, zh = names[name].get(value, (value, value))
            selected = value == chosen
            # Choosing another kind clears nothing; choosing a chosen value clears it.
            change = value if not selected or name == "kind" else None
            values.append(FacetValue(value=value, label_en=en, label_zh=zh, count=counts[value],
                                     selected=selected,
                                     query=_query_string(q, f, **{name: change})))
        out.append(Facet(name=name, values=values))
    return out


def _cards(session: Session, kind: str, rows: Sequence[Any], lang: str,
           ranked: Mapping[str, EngineMatch] | None = None) -> list[ListingCard]:
    fields, regions = _labels(session)
    cards = []
    for row in rows:
        fen, fzh = fields.get(row.field_code, (row.field_code, row.field_code))
        ren, rzh = regions.get(row.region_code or "", (None, None))
        money = row.asking_price_yuan if kind == "achievement" else row.budget_yuan
        hit = ranked.get(row.code) if ranked else None
        cards.append(ListingCard(
            code=row.code, kind=kind, title=pick(lang, row.title_zh, row.title_en) or row.code,
            title_zh=row.title_zh, title_en=row.title_en, field=row.field_code, field_en=fen,
            field_zh=fzh, trl=row.trl, region_code=row.region_code, region_en=ren,
            region_zh=rzh, money_yuan=None if money is None else str(money),
            published_on=row.published_on.isoformat() if row.published_on else None,
            rank=hit.rank if hit else None,
            why=hit.explanation.lines(lang) if hit else []))
    return cards


def _hits(dep: Deployment, q: str) -> dict[str, dict[str, EngineMatch] | None]:
    """Per kind, the listings answering ``q`` (code -> match), or None without a query.

    The engine fills a short list with unranked listings; only ranked ones (relevance above
    zero) answer the query, unless the query has no searchable word at all (only common
    words such as "technology"): then the engine's order stands, as in plain search.
    """
    if not q.strip():
        return {kind: None for kind in KINDS}
    matcher = dep.matcher.get()
    floor = 0.0 if tokenise(q) else -1.0
    out: dict[str, dict[str, EngineMatch] | None] = {}
    for kind in KINDS:
        found = matcher.query(q, target_kind=kind, k=SEARCH_DEPTH)
        out[kind] = {str(matcher.listings[r.listing_id].extra.get("code", r.listing_id)): r
                     for r in found if r.relevance > floor}
    return out


def browse(dep: Deployment, p: Principal, q: str, lang: str, kind: str = "achievement",
           field: str | None = None, trl: str | None = None, region: str | None = None,
           price: str | None = None, page: int = 1) -> MarketPage:
    """The marketplace page: published public listings of ``kind`` passing the facets, the
    newest first, or ranked by ``q`` when given; facet counts over the same listings."""
    allow(p, "market")
    q = q[:500]
    with Session(dep.engine) as session:
        f = market_filters(session, kind, field, trl, region, price)
    hits = _hits(dep, q)
    ranked = hits[f.kind]
    model = _model(f.kind)
    with Session(dep.engine) as session:
        where = _conditions(model, f, ranked)
        total = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
        pages = max(1, -(-total // PAGE_SIZE))
        if page < 1 or page > pages:
            raise Invalid(f"page {page} is outside 1-{pages}", f"页码 {page} 超出范围 1–{pages}")
        stmt = select(model).where(*where)
        if ranked is None:
            rows = session.scalars(stmt.order_by(model.published_on.desc(), model.id.desc())
                                   .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        else:
            found = sorted(session.scalars(stmt).all(), key=lambda r: ranked[r.code].rank)
            rows = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        cards = _cards(session, f.kind, rows, lang, ranked)
        facets = _facets(session, q, f, hits)
    results = []
    if ranked is not None and rows:
        matcher = dep.matcher.get()
        results = _candidates(matcher, [ranked[r.code] for r in rows], lang, p)
    return MarketPage(q=q, kind=f.kind, mode=str(dep.matcher.get().mode) if q.strip() else None,
                      filters=f, query=_query_string(q, f), total=total, page=page,
                      pages=pages, listings=cards, facets=facets, results=results)


def related_listings(dep: Deployment, p: Principal, code: str, lang: str,
                     k: int = RELATED) -> RelatedListings:
    """Published public listings of the same kind closest to listing ``code`` in text (the
    shared engine's retrievers); NotFound when ``p`` may not see the listing itself."""
    allow(p, "market")
    with Session(dep.engine) as session:
        found = _listing_row(session, code)
        if found is None or not can_see_listing(p, found[0]):
            raise NotFound()
        row, kind = found
        text = listing_from_row(row).text()
    matcher = dep.matcher.get()
    hits = matcher.query(text, target_kind=kind, k=k + 1,
                         filters=HardFilters(exclude_ids=frozenset({engine_id(kind, code)})))
    ranked = {str(matcher.listings[h.listing_id].extra.get("code", h.listing_id)): h
              for h in hits if h.relevance > 0}
    model = _model(kind)
    with Session(dep.engine) as session:
        rows = session.scalars(select(model).where(
            *_conditions(model, MarketFilters(kind=kind), ranked))).all()
        rows = sorted(rows, key=lambda r: ranked[r.code].rank)[:k]
        return RelatedListings(code=code, related=_cards(session, kind, rows, lang, ranked))


def listing_page(dep: Deployment, p: Principal, code: str, lang: str) -> ListingView:
    """One listing with its field and region names and its related listings."""
    view = listing_view(dep.engine, p, code)
    with Session(dep.engine) as session:
        fields, regions = _labels(session)
    view.field_en, view.field_zh = fields.get(view.field or "", (None, None))
    view.region_en, view.region_zh = regions.get(view.region_code or "", (None, None))
    view.related = related_listings(dep, p, code, lang).related
    return view


ListingView.model_rebuild()
