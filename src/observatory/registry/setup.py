"""Bring a database to a usable state: schema at head, reference data loaded."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from observatory.registry.importer import ImportResult
from observatory.registry.migrate import upgrade_to_head
from observatory.registry.reference import load_reference_data


def init_database(engine: Engine, actor: str = "init") -> ImportResult:
    """Migrate to head and upsert the bundled regions and vocabularies (idempotent)."""
    upgrade_to_head(engine)
    with Session(engine) as session, session.begin():
        return load_reference_data(session, actor=actor)
