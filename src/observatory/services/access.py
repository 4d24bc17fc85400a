"""Who may use which area, and which records of it, decided in one place.

Two rules, both here: the role decides the areas (``ACCESS``); the account's home region
decides the records (its subtree by the ``regions`` table's parent links, ``region_subtree``).
Object rules (an enterprise sees only its own records, a fund manager its funds, a broker its
matches) narrow these inside the services; a record outside a user's scope is ``NotFound``.
What is public (published public listings, aggregates, plans) stays public.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_
from sqlalchemy.orm import QueryableAttribute

from observatory.services.auth import Principal, region_subtree
from observatory.services.errors import Denied

ALL = frozenset({"anonymous", "public", "admin", "analyst", "fund_manager", "broker",
                 "enterprise"})
STAFF = frozenset({"admin", "analyst"})
ACCESS: dict[str, frozenset[str]] = {
    "overview": ALL, "plans": ALL, "indicators": ALL, "index": ALL, "market": ALL,
    "report": ALL,
    "match": STAFF | {"broker", "enterprise"},
    "matches": STAFF | {"broker"},
    "propose": STAFF | {"broker"},
    "board": STAFF | {"broker"},
    "contract": STAFF | {"broker"},
    "listing_edit": STAFF | {"enterprise"},
    "funds": STAFF | {"fund_manager"},
    "enterprises": STAFF | {"enterprise"},
    "data": STAFF,
    "pipeline": STAFF,
    "check": STAFF,
    "fairs": STAFF | {"broker"},
    "review": STAFF,
    "account": ALL - {"anonymous"},
    "users": frozenset({"admin"}),
}
"""Which roles may use each area (``anonymous`` = not logged in; ``public`` = a read-only
account)."""


def role_of(p: Principal) -> str:
    """The role access is decided on: ``anonymous`` for a visitor who has not logged in."""
    return p.role if p.authenticated else "anonymous"


def allow(p: Principal, area: str) -> None:
    """Raise ``Denied`` unless ``p``'s role may use ``area``."""
    if role_of(p) not in ACCESS[area]:
        raise Denied(401 if not p.authenticated else 403)


def is_staff(p: Principal) -> bool:
    return role_of(p) in STAFF


WHOLE_DEPLOYMENT = frozenset({"data"})
"""Areas whose records span every region (imports write any region's rows; the audit log
shows every change with its before and after): an account whose scope does not include the
deployment's home region may not use them."""


def allow_whole(p: Principal, area: str, home_region: str) -> None:
    """``allow``, and for ``WHOLE_DEPLOYMENT`` areas a scope covering ``home_region``."""
    allow(p, area)
    if area in WHOLE_DEPLOYMENT and p.scope is not None and home_region not in p.scope:
        raise Denied(403)


# ----- region scopes (the subtree itself: ``auth.region_subtree``, read at login) -----------
S = TypeVar("S", bound=Select)
Column = ColumnElement[Any] | QueryableAttribute[Any]


def in_scope(p: Principal, *regions: str | None) -> bool:
    """Whether a record of ``regions`` (any one of them: a contract's seller or buyer) lies in
    ``p``'s home region's subtree; every record does for an account without a home region."""
    if p.scope is None:
        return True
    return any(r is not None and r in p.scope for r in regions)


def scope_clause(p: Principal, *columns: Column) -> ColumnElement[bool] | None:
    """The SQL condition ``in_scope`` states, for a query's WHERE; None: no restriction."""
    if p.scope is None:
        return None
    if not p.scope:
        return false()
    codes = sorted(p.scope)
    return or_(*(c.in_(codes) for c in columns))


def scoped(stmt: S, p: Principal, *columns: Column) -> S:
    """``stmt`` narrowed to ``p``'s region scope (unchanged for an unscoped account)."""
    clause = scope_clause(p, *columns)
    return stmt if clause is None else stmt.where(clause)


__all__ = ["ACCESS", "allow", "allow_whole", "in_scope", "is_staff", "region_subtree", "role_of",
           "scope_clause", "scoped"]
