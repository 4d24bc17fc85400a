"""``observatory indicators`` commands: parse, call, format."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from observatory.cli.indicators import app
from observatory.config import write_settings
from observatory.examples import EXAMPLE_CITY_SETTINGS

runner = CliRunner()


@pytest.fixture(autouse=True)
def example_deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example city's deployment settings in a private home (region, years, period)."""
    home = tmp_path / "home"
    write_settings(home, EXAMPLE_CITY_SETTINGS)
    monkeypatch.setenv("OBSERVATORY_HOME", str(home))
    return home


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


def test_a_piped_list_is_not_cut_and_csv_json_parse_back() -> None:
    table = _run("list")  # CliRunner's output is not a terminal, as in a pipe
    assert "…" not in table
    rows = json.loads(_run("list", "--format", "json"))
    longest = max(rows, key=lambda r: len(r["name_en"]))
    assert longest["name_en"] in table and longest["code"] in table
    frame = pd.read_csv(io.StringIO(_run("list", "--format", "csv")))
    assert list(frame["code"]) == [r["code"] for r in rows]


def test_table_formats_numbers_as_the_web_does(city_path: Path) -> None:
    url = f"sqlite:///{city_path}"
    table = _run("compute", "-i", "hte_count", "-i", "tech_contract_amount", "--period", "2024",
                 "--format", "table", "--database-url", url)
    assert "8,000" in table and "亿元" in table
    assert not re.search(r"\d[eE][+-]\d", table)
    rows = json.loads(_run("compute", "-i", "tech_contract_amount", "--period", "2024",
                           "--format", "json", "--database-url", url))
    assert isinstance(rows[0]["value"], float) and rows[0]["value"] > 1e9  # raw yuan


def test_defaults_follow_the_deployment_settings(city_path: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{city_path}"
    rows = json.loads(_run("compute", "-i", "hte_count", "--format", "json",
                           "--database-url", url))
    assert {r["region"] for r in rows} == {"370200"}
    assert [r["period"] for r in rows] == list(range(2019, 2026))
    # Another deployment: a district as the home region, two years, another default period.
    home = tmp_path / "laoshan"
    write_settings(home, {"region": "370212", "first_year": 2023, "last_year": 2024,
                          "default_period": 2023})
    monkeypatch.setenv("OBSERVATORY_HOME", str(home))
    rows = json.loads(_run("compute", "-i", "vr_platforms_provincial_plus", "--format", "json",
                           "--database-url", url))
    assert {r["region"] for r in rows} == {"370212"} and [r["period"] for r in rows] == [2023,
                                                                                        2024]
    title = _run("records", "vr_platforms_provincial_plus", "--database-url", url)
    assert "370212 2023" in title


def test_bad_settings_file_is_a_bilingual_error(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "broken"
    home.mkdir()
    (home / "observatory.toml").write_text('region = "qingdao"\n', encoding="utf-8")
    monkeypatch.setenv("OBSERVATORY_HOME", str(home))
    result = runner.invoke(app, ["compute", "-i", "hte_count"])
    assert result.exit_code == 2
    assert "region" in result.output and "行政区划代码" in result.output
    assert "Traceback" not in result.output
