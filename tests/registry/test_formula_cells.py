"""Exports neutralise spreadsheet formulas, and the importer reads its own neutralisation back."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.cells import neutralise, restore
from observatory.registry.exporter import export_entity
from observatory.registry.importer import import_path
from observatory.services.indicators import IndicatorValues, as_csv, as_sdmx_csv, as_xlsx
from tests.registry.builders import org_rows, to_csv

NASTY = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-1+2",
         "=1+1", "'=already quoted", "''+twice"]
ENTITIES = ("organisations", "achievements")


def test_neutralise_and_restore_are_inverse() -> None:
    texts = [*NASTY, "plain", "'plain", "-5", "+3.25", "-1e5", "'-5", "", "'", "=", "''"]
    for text in texts:
        assert restore(neutralise(text)) == text, text
    assert neutralise("=1") == "'=1" and neutralise("'=1") == "''=1"
    assert neutralise("-12.5") == "-12.5" and neutralise(-12.5) == -12.5
    assert neutralise("\rcmd") == "'\rcmd" and neutralise("@x") == "'@x"
    assert restore("'plain") == "'plain" and restore("'-5") == "'-5"


def _seed(engine, tmp_path: Path) -> None:
    orgs = org_rows(len(NASTY))
    for row, name in zip(orgs, NASTY, strict=True):
        row["name_zh"] = row["name_en"] = name
    listings = [{"code": f"A{i}", "title_zh": name, "title_en": name, "field_code": "marine",
                 "owner_uscc": orgs[i]["uscc"], "visibility": "public",
                 "status": "published", "asking_price_yuan": "-0" if i else "1.5"}
                for i, name in enumerate(NASTY)]
    (tmp_path / "in").mkdir()
    # JSON holds text as it is (no spreadsheet, no neutralisation), so the names arrive exactly.
    (tmp_path / "in" / "orgs.json").write_text(json.dumps(orgs), encoding="utf-8")
    (tmp_path / "in" / "ach.json").write_text(json.dumps(listings), encoding="utf-8")
    import_path(engine, tmp_path / "in" / "orgs.json", "organisations")
    import_path(engine, tmp_path / "in" / "ach.json", "achievements")


def _names(engine) -> tuple[list[str], list[str]]:
    with Session(engine) as session:
        orgs = session.scalars(select(m.Organisation.name_en).order_by(m.Organisation.uscc))
        titles = session.scalars(select(m.Achievement.title_en).order_by(m.Achievement.code))
        return list(orgs), list(titles)


def test_csv_export_prefixes_formula_text_with_an_apostrophe(engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    with Session(engine) as session:
        text = export_entity(session, "organisations", "csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name_en"] for r in rows] == ["'" + name for name in NASTY]
    assert all(r["employees"] and r["employees"][0].isdigit() for r in rows)
    for row in rows:
        for value in row.values():
            assert value[:1] not in "=+-@\t\r" or value == "", value


def test_xlsx_export_holds_no_formula(engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    with Session(engine) as session:
        data = export_entity(session, "achievements", "xlsx")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    titles = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert titles == ["'" + name for name in NASTY]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml


def _members(data: bytes) -> dict[str, bytes]:
    """An XLSX's parts but its timestamps (docProps/core.xml)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_import_export_is_byte_identical(engine, tmp_path: Path, fmt: str) -> None:
    _seed(engine, tmp_path)
    before = _names(engine)
    assert before == (NASTY, NASTY)
    first = {}
    with Session(engine) as session:
        for entity in ENTITIES:
            first[entity] = export_entity(session, entity, fmt)
            (tmp_path / f"{entity}.{fmt}").write_bytes(first[entity])
    for entity in ENTITIES:
        result = import_path(engine, tmp_path / f"{entity}.{fmt}", entity)
        counts = result.counts[entity]
        assert counts.updated == 0 and counts.unchanged == len(NASTY), entity
    assert _names(engine) == before
    with Session(engine) as session:
        for entity in ENTITIES:
            again = export_entity(session, entity, fmt)
            if fmt == "csv":
                assert again == first[entity]
            else:
                assert _members(again) == _members(first[entity])


def _indicator(region: str) -> IndicatorValues:
    rows = [{"indicator": "x", "region": region, "period": 2024, "value": -1.5, "unit": "yuan"},
            {"indicator": "x", "region": "370212", "period": 2023, "value": 2.0, "unit": "-"}]
    return IndicatorValues(code="x", source="observations", region=region, name_en="=1+1",
                           name_zh="@x", rows=rows)


def test_indicator_csv_neutralises_text_and_keeps_numbers() -> None:
    text = as_csv(_indicator('=HYPERLINK("http://x","y")'))
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0]["region"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert rows[0]["value"] == "-1.5" and rows[1]["unit"] == "'-"
    sdmx = as_sdmx_csv(_indicator("+cmd"))
    assert "'+cmd" in sdmx and ",+cmd" not in sdmx


def test_indicator_xlsx_types_text_as_strings_and_numbers_as_numbers() -> None:
    workbook = load_workbook(io.BytesIO(as_xlsx(_indicator("-1+2"))))
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    data = workbook["data"]
    header = [c.value for c in data[1]]
    first = {h: c for h, c in zip(header, data[2], strict=True)}
    assert first["region"].value == "'-1+2" and first["region"].data_type == "s"
    assert first["value"].value == -1.5 and first["value"].data_type == "n"
    about = {row[0].value: row[1].value for row in workbook["about"].iter_rows(min_row=2)}
    assert about["name_en"] == "'=1+1" and about["name_zh"] == "'@x"


def test_a_spreadsheet_s_text_marker_is_read_as_the_text_it_marks(engine, tmp_path: Path) -> None:
    rows = org_rows(2)
    rows[0]["name_en"], rows[1]["name_en"] = "'=SUM(1)", "'plain"
    path = tmp_path / "orgs.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    import_path(engine, path, "organisations")
    assert _names(engine)[0] == ["=SUM(1)", "'plain"]


def test_the_other_csv_writers_neutralise_too() -> None:
    from observatory.cli.output import csv_text
    from observatory.indicators.export import to_csv_with_metadata
    from observatory.registry.errors import RowError, errors_to_csv

    report = errors_to_csv([RowError("f.csv", 2, "name", "=cmd()", "bad", "错")])
    assert ",'=cmd()," in report and ",=cmd()," not in report
    text = csv_text([{"title": "@SUM(1)", "amount": -3}], ["title", "amount"])
    assert text.splitlines()[1] == "'@SUM(1),-3"
    frame = pd.DataFrame([{"indicator": "hte_count", "region": "+1+2", "period": 2024,
                           "value": -2.5}])
    rows = [line for line in to_csv_with_metadata(frame).splitlines() if "2024" in line]
    assert rows and rows[0].startswith("hte_count,'+1+2,2024,-2.5"), rows
