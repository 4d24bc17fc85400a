"""The funds CLI over a folder of CSV files."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from observatory.cli.funds import app


def test_metrics_from_csv_folder(tmp_path):
    (tmp_path / "commitments.csv").write_text(
        "fund,lp_type,amount\nF,fiscal,250\nF,private,750\n", encoding="utf-8")
    (tmp_path / "cashflows.csv").write_text(
        "fund,date,kind,amount\nF,2021-01-01,call,100\nF,2022-01-01,distribution,60\n",
        encoding="utf-8")
    (tmp_path / "valuations.csv").write_text("fund,date,nav\nF,2022-01-01,60\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["--input", str(tmp_path), "--as-of", "2022-01-01",
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.output)[0]
    # 100 in, 60 + 60 back after 365 days -> IRR 20 %, TVPI 1.2; F/G = 1000/250 = 4
    assert abs(row["irr"] - 0.2) < 1e-9
    assert abs(row["tvpi"] - 1.2) < 1e-12
    assert row["fiscal_leverage_F_over_G"] == 4
    # no deal yet, but the first call was 365 days ago: idle only after more than a year
    assert row["no_investment_12m"] is False


def test_metrics_bad_row(tmp_path):
    (tmp_path / "commitments.csv").write_text("fund,lp_type,amount\nF,fiscal,x\n")
    (tmp_path / "cashflows.csv").write_text("fund,date,kind,amount\n")
    res = CliRunner().invoke(app, ["--input", str(tmp_path), "--as-of", "2022-01-01"])
    assert res.exit_code == 2
    assert "row 1" in res.output and "'amount'" in res.output
