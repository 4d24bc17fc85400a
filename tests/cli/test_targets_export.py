"""``observatory targets status`` in every format, with each district's pace by name: the
workbook holds what the JSON holds, and no format writes a figure in scientific notation."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.cli.output import ExportFormat
from observatory.config import write_settings
from observatory.examples import EXAMPLE_CITY_SETTINGS
from observatory.registry import models as m
from tests.conftest import copy_example_city

runner = CliRunner()
SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


@pytest.fixture(scope="module")
def city(example_city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return copy_example_city(example_city_path, tmp_path_factory.mktemp("targets_export"))


@pytest.fixture
def url(city: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    write_settings(tmp_path / "home", EXAMPLE_CITY_SETTINGS)
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path / "home"))
    return city.url.render_as_string(hide_password=False)


def _run(*args: str) -> str:
    res = runner.invoke(app, ["targets", "status", *args])
    assert res.exit_code == 0, res.output
    return res.stdout


def _district_names(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return dict(session.execute(select(m.Region.code, m.Region.name_zh)
                                    .where(m.Region.level == "district")).all())


def _records(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[dict[str, object]]:
    rows = list(sheet.values)
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_every_format_agrees_and_names_districts(city: Engine, url: str, tmp_path: Path
                                                 ) -> None:
    plans = json.loads(_run("--format", "json", "--database-url", url))
    [double] = [p for p in plans if p["code"] == "DOUBLE5-2028"]
    tech = next(t for t in double["targets"] if t["code"] == "D5-TECH-ENT")
    names = _district_names(city)
    assert len(tech["pace_by_district"]) >= 5
    for rec in tech["pace_by_district"]:
        assert rec["name_zh"] == names[rec["region"]]  # the regions table's names
        assert rec["required_rate"] is not None and rec["observed_rate"] is not None

    out = tmp_path / "status.xlsx"
    _run("--format", "xlsx", "--out", str(out), "--database-url", url)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["targets", "district pace"]
    sheet = _records(book["targets"])
    every = [(p["code"], t) for p in plans for t in p["targets"]]
    assert len(sheet) == len(every)
    for (plan, t), row in zip(every, sheet, strict=True):
        assert (row["plan"], row["target"].split(" ")[0]) == (plan, t["code"])
        assert row["current"] == pytest.approx(t["current_value"])
        assert row["target value"] == pytest.approx(t["target_value"])
        assert row["probability"] == pytest.approx(t["probability"])
        assert row["required pace / yr"] == pytest.approx(t.get("required_rate"))
    mine = {r["district code"]: r for r in _records(book["district pace"])
            if r["target"] == "D5-TECH-ENT"}
    assert set(mine) == {r["region"] for r in tech["pace_by_district"]}
    for rec in tech["pace_by_district"]:
        row = mine[rec["region"]]
        assert row["区（市）"] == names[rec["region"]]
        assert row["required pace / yr"] == pytest.approx(rec["required_rate"])
        assert row["observed pace / yr"] == pytest.approx(rec["observed_rate"])
    # numbers are numbers, formatted as the web shows them (never text, never 1.5e+04)
    head = [c.value for c in book["targets"][1]]
    value_cell = book["targets"].cell(row=2, column=head.index("current") + 1)
    assert isinstance(value_cell.value, int | float) and "," in value_cell.number_format
    share = book["targets"].cell(row=2, column=head.index("probability") + 1)
    assert share.number_format.endswith("%")

    csv_rows = pd.read_csv(io.StringIO(_run("--format", "csv", "--by-district",
                                            "--database-url", url)), dtype={"district": str})
    tech_csv = csv_rows[csv_rows["target"] == "D5-TECH-ENT"].set_index("district")
    assert tech_csv["required_rate"].to_dict() == pytest.approx(
        {r["region"]: r["required_rate"] for r in tech["pace_by_district"]})


def test_no_format_prints_scientific_notation(url: str, tmp_path: Path) -> None:
    table = _run("--database-url", url)
    assert not SCIENTIFIC.search(table)
    assert "district pace" in table and "黄岛" in table  # districts by name, not code
    for args in (["--format", "csv"], ["--format", "csv", "--by-district"]):
        assert not SCIENTIFIC.search(_run(*args, "--database-url", url))
    written = tmp_path / "status.txt"
    _run("--database-url", url, "--out", str(written))
    assert "D5-TECH-ENT" in written.read_text(encoding="utf-8")


def test_xlsx_needs_a_file(url: str) -> None:
    res = runner.invoke(app, ["targets", "status", "--format", "xlsx", "--database-url", url])
    assert res.exit_code == 2
    assert "--out" in res.output and "工作簿" in res.output and "Traceback" not in res.output


def test_emit_writes_workbooks_and_csv_without_exponents(tmp_path: Path) -> None:
    """The shared helper: xlsx keeps numbers as numbers with the web's formats and text that
    looks like a formula as neutralised text; CSV writes tiny and huge floats in full."""
    import typer

    from observatory.cli.output import Column, Kind, emit

    rows = [{"name": "=HYPERLINK(\"http://x\")", "amount_yuan": 2.58e11, "share": 1.5e-05,
             "count": 15815.0}]
    columns = [Column("name"), Column("amount_yuan", Kind.yuan), Column("share", Kind.percent),
               Column("count", Kind.number)]
    out = tmp_path / "rows.xlsx"
    app_ = typer.Typer()

    @app_.command()
    def show(fmt: ExportFormat) -> None:
        emit(rows, fmt, columns, title="rows", output=out if fmt is ExportFormat.xlsx else None)

    assert runner.invoke(app_, ["xlsx"]).exit_code == 0
    sheet = openpyxl.load_workbook(out)["rows"]
    name, amount, share, count = (sheet.cell(row=2, column=i) for i in range(1, 5))
    assert name.value == "'=HYPERLINK(\"http://x\")" and name.data_type == "s"
    assert amount.value == 2.58e11 and amount.number_format == "#,##0"
    assert share.value == 1.5e-05 and share.number_format.endswith("%")
    assert count.value == 15815 and count.number_format == "#,##0"
    text = runner.invoke(app_, ["csv"]).stdout
    assert "258000000000" in text and "0.000015" in text and not SCIENTIFIC.search(text)


def test_weather_threshold_reads_in_full() -> None:
    from observatory.targets.weather import assess_every_year

    series = pd.Series([2.0e11, 2.2e11, 2.4e11, 2.5e11], index=[2021, 2022, 2023, 2024])
    result = assess_every_year(series, 2.58e11, direction=1)
    assert "258000000000" in result.reason and not SCIENTIFIC.search(result.reason)
