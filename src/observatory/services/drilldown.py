"""Which records behind a figure a user may see: the object rules of the records' own pages,
applied row by row to the drill-down (``/api/indicators/{code}/records``).

Aggregates stay public; the records under them do not all. Published public listings,
designations, platforms, projects, broker qualifications, talent programmes and published
statistics are public. Confidential kinds show only to those entitled to them: R&D spending
per organisation and contract amounts to staff of the organisation's (a party's) region and to
the enterprise itself; funds, LP commitments and investments to staff of the sponsor's region
and the fund's manager (the funds ``services.funds.funds_in_scope`` opens); draft, expired
and private listings to staff of the listing's region.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory import indicators
from observatory.registry import models as m
from observatory.services.access import is_staff, role_of
from observatory.services.auth import Principal
from observatory.services.funds import funds_in_scope
from observatory.services.records import Row

PUBLIC_SETS = frozenset({"designations", "platforms", "projects", "broker_qualifications",
                         "talent_recruitments"})
FUND_SETS = {"funds": "id", "fund_commitments": "fund_id", "fund_investments": "fund_id"}
"""Record set -> the field naming the fund a row belongs to."""


@dataclass(frozen=True)
class RecordRule:
    """What one user may see of the records behind figures (hashable: a cache key)."""

    staff: bool
    scope: frozenset[str] | None
    organisation_id: int | None
    fund_ids: frozenset[int] | None
    """Funds the user may open (None: every fund)."""

    @property
    def sees_all(self) -> bool:
        """Staff without a home region see every record of every kind."""
        return self.staff and self.scope is None and self.fund_ids is None

    def region_ok(self, *regions: object) -> bool:
        return self.staff and (self.scope is None
                               or any(isinstance(r, str) and r in self.scope for r in regions))

    def own(self, *organisations: object) -> bool:
        return self.organisation_id is not None and self.organisation_id in organisations


def record_rule(engine: Engine, p: Principal) -> RecordRule:
    """The rule for ``p``: staff see their region, an enterprise its own rows, a fund manager
    the funds they manage, everyone else only the public kinds."""
    funds = funds_in_scope(p)
    fund_ids = None
    if funds is not None:
        with Session(engine) as session:
            fund_ids = frozenset(int(i) for i, _ in session.execute(funds))
    organisation = p.organisation_id if role_of(p) == "enterprise" else None
    if organisation is not None and p.scope is not None:
        with Session(engine) as session:  # its own records, as long as it is in its region
            region = session.scalar(select(m.Organisation.region_code)
                                    .where(m.Organisation.id == organisation))
        organisation = organisation if region in p.scope else None
    return RecordRule(is_staff(p), p.scope, organisation, fund_ids)


def _listing(rule: RecordRule, row: Row) -> bool:
    if row.get("visibility") == "public" and row.get("status") == "published":
        return True
    return rule.region_ok(row.get("region_code"))


def _rd(rule: RecordRule, row: Row) -> bool:
    return rule.region_ok(row.get("region_code")) or rule.own(row.get("organisation_id"))


def _contract(rule: RecordRule, row: Row) -> bool:
    return (rule.region_ok(row.get("seller_region_code"), row.get("buyer_region_code"))
            or rule.own(row.get("seller_organisation_id"), row.get("buyer_organisation_id")))


def _fund(field: str) -> Callable[[RecordRule, Row], bool]:
    def check(rule: RecordRule, row: Row) -> bool:
        return rule.fund_ids is None or row.get(field) in rule.fund_ids
    return check


CHECKS: dict[str, Callable[[RecordRule, Row], bool]] = {
    "achievements": _listing, "rd_expenditures": _rd, "technology_contracts": _contract,
    **{name: _fund(field) for name, field in FUND_SETS.items()},
}


def record_set(code: str, row: Row) -> str | None:
    """The kind of record ``row`` behind indicator ``code`` is: a record set, ``observed``
    (published statistics), or None when it cannot be told (then it counts as confidential).
    A derived indicator's row names its input (``input``), whose records it is."""
    catalogue = indicators.load_catalogue().indicators
    ind = catalogue.get(code)
    if ind is not None and ind.kind == "derived":
        ind = catalogue.get(str(row.get("input")))
    if ind is None or ind.kind == "derived":
        return None
    return "observed" if ind.kind == "observed" else getattr(ind, "records", None)


def visible(rule: RecordRule, code: str, row: Row) -> bool:
    """Whether ``rule`` shows ``row`` of indicator ``code``. Kinds without a rule of their own
    are confidential: staff of the row's region."""
    kind = record_set(code, row)
    if rule.sees_all or kind == "observed" or kind in PUBLIC_SETS:
        return True
    check = CHECKS.get(kind or "")
    if check is None:
        return rule.region_ok(row.get("region_code"))
    return check(rule, row)
