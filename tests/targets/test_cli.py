"""``observatory progress assess``: outputs and precise bilingual errors (exit code 2)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from observatory.cli import app

runner = CliRunner()
SERIES = "series_id,year,value\nA,2015,10\nA,2016,11\nA,2017,12\nA,2018,12.5\nA,2019,13.4\n" \
         "B,2015,5\nB,2016,4.8\nB,2017,4.9\nB,2018,4.5\nB,2019,4.4\n"
TARGETS = "series_id,direction,base_year,target_year,target_value,limit\n" \
          "A,higher,2015,2025,20,\nB,lower,2015,2030,,\n"


def _files(tmp_path: Path, series: str = SERIES, targets: str = TARGETS) -> list[str]:
    (tmp_path / "s.csv").write_text(series, encoding="utf-8")
    (tmp_path / "t.csv").write_text(targets, encoding="utf-8")
    return [str(tmp_path / "s.csv"), str(tmp_path / "t.csv")]


def test_csv_output_matches_the_method(tmp_path: Path) -> None:
    res = runner.invoke(app, ["progress", "assess", *_files(tmp_path), "--format", "csv"])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(io.StringIO(res.stdout))
    assert list(out.columns) == ["series_id", "base_year", "base_value", "current_year",
                                 "current_value", "target_value", "progress_value", "score",
                                 "status"]
    a = out.set_index("series_id").loc["A"]
    growth = (13.4 / 10) ** 0.25 - 1
    required = (20 / 10) ** 0.1 - 1
    assert a.progress_value == pytest.approx(growth / required)
    assert growth / required >= 0.95 and a.status == "substantial_progress"
    assert out.set_index("series_id").loc["B", "status"] == "substantial_progress"


def test_forecast_json_has_probability_and_fan_columns(tmp_path: Path) -> None:
    args = ["progress", "assess", *_files(tmp_path), "--method", "forecast", "--format", "json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {"probability", "p10", "p50", "p90"} <= set(rows[0])
    assert 0 <= rows[0]["probability"] <= 1
    assert rows[0]["p10"] < rows[0]["p50"] < rows[0]["p90"]
    assert runner.invoke(app, args).stdout == res.stdout  # seeded


def test_weather_table(tmp_path: Path) -> None:
    res = runner.invoke(app, ["progress", "assess", *_files(tmp_path), "--method", "weather"])
    assert res.exit_code == 0, res.output
    assert "cloud" in res.stdout or "sun" in res.stdout


@pytest.mark.parametrize(
    ("series", "targets", "expected"),
    [
        (SERIES.replace("series_id,", "id,"), TARGETS, ["s.csv", "column 'series_id'",
                                                       "required column is missing",
                                                       "缺少必需的列"]),
        (SERIES.replace("A,2017,12", "A,2017,twelve"), TARGETS,
         ["s.csv, row 4, column 'value', value 'twelve'", "not a number", "不是数字"]),
        (SERIES + "A,2019,13.5\n", TARGETS,
         ["s.csv, row 12, column 'year', value '2019'", "duplicate series/year (first at row 6)",
          "重复"]),
        (SERIES, TARGETS + "C,higher,2015,2030,1,\n",
         ["t.csv, row 4, column 'series_id', value 'C'", "series not found", "没有该序列"]),
        (SERIES, TARGETS.replace("A,higher", "A,up"),
         ["t.csv, row 2, column 'direction', value 'up'", "'higher' or 'lower'", "方向"]),
        (SERIES, TARGETS.replace("2025,20", "2025,lots"),
         ["t.csv, row 2, column 'target_value', value 'lots'", "not a number"]),
    ],
)
def test_bad_input_gives_precise_bilingual_error(tmp_path, series, targets, expected) -> None:
    res = runner.invoke(app, ["progress", "assess", *_files(tmp_path, series, targets)])
    assert res.exit_code == 2
    for fragment in expected:
        assert fragment in res.stderr
    assert "status" not in res.stdout  # nothing assessed


def test_targets_status_prints_no_scientific_notation(sqlite_engine, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Values in their units (亿元 for yuan), probabilities as %; csv and json keep raw numbers."""
    import re

    from observatory.config import write_settings
    from observatory.examples import EXAMPLE_CITY_SETTINGS
    from observatory.examples.generator import generate_city

    write_settings(tmp_path / "home", EXAMPLE_CITY_SETTINGS)
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path / "home"))
    generate_city(sqlite_engine, seed=4, scale=0.05)
    url = sqlite_engine.url.render_as_string()
    table = runner.invoke(app, ["targets", "status", "--database-url", url])
    assert table.exit_code == 0, table.output
    assert not re.search(r"\d[eE][+-]?\d", table.stdout)
    assert "亿元" in table.stdout and "%" in table.stdout and "…" not in table.stdout
    assert re.search(r"\d,\d{3}", table.stdout)  # thousands separators
    csv_out = runner.invoke(app, ["targets", "status", "--format", "csv", "--database-url", url])
    assert csv_out.exit_code == 0, csv_out.output
    rows = pd.read_csv(io.StringIO(csv_out.stdout))
    assert {"plan", "target", "status", "current_value", "probability"} <= set(rows.columns)
    rd = rows[rows["target"] == "D5-RD"].iloc[0]
    assert rd["unit"] == "yuan" and rd["current_value"] > 1e8 and 0 <= rd["probability"] <= 1
    plans = json.loads(runner.invoke(app, ["targets", "status", "--format", "json",
                                           "--database-url", url]).stdout)
    [double] = [p for p in plans if p["code"] == "DOUBLE5-2028"]
    by_code = {t["code"]: t for t in double["targets"]}
    assert by_code["D5-RD"]["current_value"] == pytest.approx(rd["current_value"])


def test_progress_assess_csv_and_json_agree(tmp_path: Path) -> None:
    files = _files(tmp_path)
    as_csv = runner.invoke(app, ["progress", "assess", *files, "--format", "csv"])
    as_json = runner.invoke(app, ["progress", "assess", *files, "--format", "json"])
    table = runner.invoke(app, ["progress", "assess", *files])
    frame = pd.read_csv(io.StringIO(as_csv.stdout))
    rows = json.loads(as_json.stdout)
    assert list(frame["series_id"]) == [r["series_id"] for r in rows]
    assert list(frame["score"]) == pytest.approx([r["score"] for r in rows])
    assert "2015" in table.stdout and "2,015" not in table.stdout  # years are not quantities
