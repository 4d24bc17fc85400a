"""Who may use which area, decided in one place.

Object rules (an enterprise sees only its own records, a fund manager its funds, a broker its
matches) narrow these inside the services; a record outside a user's scope is ``NotFound``.
"""

from __future__ import annotations

from observatory.services.auth import Principal
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
    "account": ALL - {"anonymous"},
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
