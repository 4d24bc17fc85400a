"""Adapter: the provincial innovation statistics file (NBS R&D bulletin, MOST yearbook technology
market and patent tables, Torch Centre HTE lists; tidied by techme) -> observations.

Province names map to GB/T 2260 codes through the bundled ``regions.yaml`` (``全国`` -> 100000);
values are converted to base units (``100 million yuan`` and ``10 thousand yuan`` -> yuan,
``% of GDP`` -> percent) with exact decimal arithmetic, the published unit kept in ``note``.
Rows go through the registry importer (entity ``observations``) with a ``sources`` row, so a bad
row stops the whole import with its file, row, column and reason.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

import yaml
from sqlalchemy import Engine

from observatory.db import transaction
from observatory.registry.errors import ImportFailed, RowError
from observatory.registry.importer import ImportResult, import_tables
from observatory.registry.readers import Table

SOURCE = {
    "code": "nbs-province-stats",
    "name_en": "Provincial innovation statistics: NBS/MOST/MOF R&D bulletins, China Statistical "
               "Yearbook on Science and Technology (technology market, patents), innocom.gov.cn "
               "HTE lists; tidied by the techme R package (MIT)",
    "name_zh": "分省科技统计：全国科技经费投入统计公报、中国科技统计年鉴（技术市场、专利）、"
               "高新技术企业认定名单（techme 整理）",
    "publisher": "National Bureau of Statistics; Ministry of Science and Technology",
    "url": "https://github.com/huhuaping/techme",
    "synthetic": "false",
    "note": "Imported by observatory.indicators.stats; values converted to base units.",
}

#: published unit -> (factor to the stored unit, stored unit)
UNITS: dict[str, tuple[Decimal, str]] = {
    "100 million yuan": (Decimal(100_000_000), "yuan"),
    "10 thousand yuan": (Decimal(10_000), "yuan"),
    "% of GDP": (Decimal(1), "percent"),
    "contracts": (Decimal(1), "contracts"),
    "pieces": (Decimal(1), "pieces"),
    "enterprises": (Decimal(1), "enterprises"),
}
REQUIRED = ("province_zh", "year", "indicator_code", "value", "unit", "source_table")


def province_codes() -> dict[str, str]:
    """Chinese name (as NBS prints it) -> GB/T 2260 code, for the nation and provinces."""
    path = resources.files("observatory.registry").joinpath("data/regions.yaml")
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {r["name_zh"]: r["code"] for r in rows if r["level"] in ("nation", "province")}


def observation_tables(path: Path) -> list[tuple[str, Table]]:
    """The file as importer tables (sources, observations); ImportFailed on any bad row."""
    name = path.name
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFailed([RowError(name, 1, c, None, "column missing", "缺少列")
                            for c in missing])
    codes = province_codes()
    errors: list[RowError] = []
    rows = []
    for line, raw in enumerate(reader, start=2):
        code = codes.get(raw["province_zh"].strip())
        if code is None:
            errors.append(RowError(name, line, "province_zh", raw["province_zh"],
                                   "not a province or the national total in regions.yaml",
                                   "不是 regions.yaml 中的省级行政区或全国"))
            continue
        unit = UNITS.get(raw["unit"].strip())
        if unit is None:
            errors.append(RowError(name, line, "unit", raw["unit"],
                                   f"unknown unit; known: {', '.join(UNITS)}", "未知的计量单位"))
            continue
        try:
            value = Decimal(raw["value"].strip()) * unit[0]
        except InvalidOperation:
            errors.append(RowError(name, line, "value", raw["value"], "not a number", "不是数值"))
            continue
        rows.append({"indicator_code": raw["indicator_code"].strip(), "region_code": code,
                     "period": raw["year"].strip(), "value": str(value.normalize()),
                     "unit": unit[1], "note": f"published in {raw['unit'].strip()}",
                     "source": SOURCE["code"], "source_ref": raw["source_table"][:200]})
    if errors:
        raise ImportFailed(errors)
    return [("sources", Table(name, list(SOURCE), [dict(SOURCE)])),
            ("observations", Table(name, list(rows[0]) if rows else [], rows))]


def import_province_stats(engine: Engine, path: Path, actor: str = "import") -> ImportResult:
    """Import the file in one transaction (re-importing updates values, adds nothing twice)."""
    tables = observation_tables(path)
    with transaction(engine) as session:
        return import_tables(session, tables, actor=actor, operation=f"import {path.name}")
