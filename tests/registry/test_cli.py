"""The import/export commands: exit codes, error reports, output."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from observatory.cli import app
from tests.registry.builders import org_rows, to_csv

runner = CliRunner()


def test_import_error_exits_2_and_writes_the_report(sqlite_engine, tmp_path: Path) -> None:
    url = sqlite_engine.url.render_as_string()
    rows = org_rows(3)
    rows[1]["region_code"] = "370299"
    rows[2]["employees"] = "-4"
    path = tmp_path / "orgs.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    report = tmp_path / "errors.csv"
    result = runner.invoke(app, ["import", str(path), "--entity", "organisations",
                                 "--errors-out", str(report), "--database-url", url])
    assert result.exit_code == 2
    assert "nothing written" in result.output
    with report.open(encoding="utf-8-sig") as handle:
        errors = list(csv.DictReader(handle))
    assert [(e["row"], e["column"], e["value"]) for e in errors] == [
        ("3", "region_code", "370299"), ("4", "employees", "-4")]
    assert all(e["reason_en"] and e["reason_zh"] for e in errors)


def test_import_then_export_roundtrip_via_cli(sqlite_engine, tmp_path: Path) -> None:
    url = sqlite_engine.url.render_as_string()
    path = tmp_path / "orgs.csv"
    path.write_text(to_csv(org_rows(3)), encoding="utf-8")
    dry = runner.invoke(app, ["import", str(path), "--entity", "organisations", "--dry-run",
                              "--database-url", url])
    assert dry.exit_code == 0 and "dry run" in dry.output
    done = runner.invoke(app, ["import", str(path), "--entity", "organisations",
                               "--database-url", url])
    assert done.exit_code == 0, done.output
    out = tmp_path / "export.csv"
    exported = runner.invoke(app, ["export", "--entity", "organisations", "--format", "csv",
                                   "--out", str(out), "--database-url", url])
    assert exported.exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("uscc,name_zh,name_en,kind,region_code")
    assert len(lines) == 4


def test_unknown_entity_and_missing_file(sqlite_engine, tmp_path: Path) -> None:
    url = sqlite_engine.url.render_as_string()
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path), "--entity", "widgets",
                                 "--database-url", url])
    assert result.exit_code == 2 and "unknown entity" in result.output
    missing = runner.invoke(app, ["import", str(tmp_path / "nope.csv"), "--entity",
                                  "organisations", "--database-url", url])
    assert missing.exit_code == 2 and "file not found" in missing.output
