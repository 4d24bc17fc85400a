"""Reference data shipped with the platform (regions, vocabularies), loaded through the importer."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from sqlalchemy.orm import Session

from observatory.registry.importer import ImportResult, import_tables
from observatory.registry.readers import Table


def _data(name: str) -> Any:
    return yaml.safe_load(resources.files("observatory.registry").joinpath("data", name)
                          .read_text(encoding="utf-8"))


def reference_tables() -> list[tuple[str, Table]]:
    """The bundled regions and vocabularies as importer tables."""
    regions = [
        {"code": r["code"], "name_en": r["name_en"], "name_zh": r["name_zh"],
         "level": r["level"], "parent_code": r.get("parent")}
        for r in _data("regions.yaml")
    ]
    vocab = _data("vocabularies.yaml")
    schemes = [{"code": code, "name_en": s["name_en"], "name_zh": s["name_zh"]}
               for code, s in vocab.items()]
    terms = [{"scheme": code, "code": t["code"], "name_en": t["name_en"],
              "name_zh": t["name_zh"], "parent_code": t.get("parent")}
             for code, s in vocab.items() for t in s["terms"]]
    return [
        ("regions", Table("regions.yaml", list(regions[0]), regions, first_row=1)),
        ("vocab_schemes", Table("vocabularies.yaml", list(schemes[0]), schemes, first_row=1)),
        ("vocab_terms", Table("vocabularies.yaml", list(terms[0]), terms, first_row=1)),
    ]


def load_reference_data(session: Session, actor: str = "init") -> ImportResult:
    """Upsert the bundled reference data (idempotent)."""
    return import_tables(session, reference_tables(), actor=actor, operation="reference data")
