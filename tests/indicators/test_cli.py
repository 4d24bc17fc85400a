"""``observatory indicators`` commands: parse, call, format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from observatory.cli.indicators import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_list_shows_the_catalogue() -> None:
    rows = json.loads(_run("list", "--format", "json"))
    assert {"hte_count", "tech_contract_amount"} <= {r["code"] for r in rows}


def test_compute_csv_with_metadata_and_sdmx(city_path: Path) -> None:
    url = f"sqlite:///{city_path}"
    text = _run("compute", "-i", "hte_count", "-i", "tech_contract_amount", "--period",
                "2023:2024", "--format", "csv", "--database-url", url)
    assert text.startswith("# Innovation Observatory")
    frame = pd.read_csv(io.StringIO(text), comment="#", dtype={"region": str})
    assert {"name_en", "name_zh", "unit", "n_records", "method"} <= set(frame.columns)
    assert frame[(frame.indicator == "hte_count") & (frame.period == 2024)]["value"].item() == 8000
    sdmx_text = _run("compute", "-i", "tech_contract_amount", "--period", "2024", "--by",
                     "contract_type", "--format", "sdmx-csv", "--database-url", url)
    sdmx = pd.read_csv(io.StringIO(sdmx_text), dtype={"REF_AREA": str})
    assert list(sdmx.columns[:3]) == ["STRUCTURE", "STRUCTURE_ID", "ACTION"]
    assert set(sdmx["CONTRACT_TYPE"]) == {"development", "transfer", "licensing", "consulting",
                                          "service"}
    assert (sdmx["UNIT_MEASURE"] == "yuan").all()


def test_explain_prints_sql() -> None:
    text = _run("explain", "tech_enterprise_count", "--backend", "postgres")
    assert "COUNT(DISTINCT" in text and "high_tech_enterprise" in text


def test_records_drill_down(city_path: Path) -> None:
    text = _run("records", "vr_platforms_provincial_plus", "--region", "370212", "--period",
                "2024", "--format", "csv", "--database-url", f"sqlite:///{city_path}")
    frame = pd.read_csv(io.StringIO(text))
    assert len(frame) == 13 and set(frame["field_code"]) == {"vr"}


def test_bad_period_and_unknown_indicator(city_path: Path) -> None:
    result = runner.invoke(app, ["compute", "--period", "2025:2019"])
    assert result.exit_code != 0
    result = runner.invoke(app, ["compute", "-i", "nope", "--database-url",
                                 f"sqlite:///{city_path}"])
    assert result.exit_code == 1 and "unknown indicator" in result.output
