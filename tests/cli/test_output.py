"""The shared output helper: tables formatted as the web does, CSV and JSON raw."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from observatory.cli.output import Column, Kind, cell, emit, infer_columns

ROWS = [{"region": "370200", "period": 2024, "amount_yuan": 258_345_000_000.0,
         "count": 15815.0, "share": 0.00725, "note": None},
        {"region": "370212", "period": 2024, "amount_yuan": np.float64(1.5e7),
         "count": np.int64(7), "share": math.nan, "note": "[bold]x[/bold]"}]


def _capture(fmt: str, columns: list[Column] | None = None) -> str:
    import typer

    app = typer.Typer()

    @app.command()
    def show() -> None:
        emit(ROWS, fmt, columns, title="t", lang="en")

    result = CliRunner().invoke(app, [])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cells_read_as_on_the_web() -> None:
    amount = Column("amount_yuan", Kind.yuan)
    assert cell(258_345_000_000.0, amount, {}, "zh") == "2,583.45 亿元"
    assert cell(258_351_000_000.0, amount, {}, "en") == "258.35 bn yuan"
    assert cell(15815.3, Column("n", Kind.number), {}, "en") == "15,815"
    assert cell(0.00725, Column("p", Kind.percent), {}, "en") == "0.7%"
    assert cell(0.25, Column("p", Kind.percent), {}, "en") == "25%"
    assert cell(None, Column("p", Kind.percent), {}, "en") == "—"
    assert cell(2024.0, Column("period"), {}, "en") == "2024"
    value = Column("value", Kind.amount, unit_key="unit")
    assert cell(2.5e11, value, {"unit": "yuan"}, "zh") == "2,500.00 亿元"
    assert cell(8000.0, value, {"unit": "enterprises"}, "zh") == "8,000"


def test_inferred_columns_keep_years_and_codes_as_text() -> None:
    kinds = {c.key: c.kind for c in infer_columns(ROWS)}
    assert kinds == {"region": Kind.text, "period": Kind.text, "amount_yuan": Kind.yuan,
                     "count": Kind.number, "share": Kind.number, "note": Kind.text}


def test_table_csv_and_json() -> None:
    table = _capture("table")
    assert "258.34 bn yuan" in table and "15,815" in table and "2,024" not in table
    assert "[bold]x[/bold]" in table  # data is never read as markup
    assert "e+" not in table and "e-" not in table
    frame = pd.read_csv(io.StringIO(_capture("csv")), dtype={"region": str})
    assert frame["amount_yuan"].tolist() == pytest.approx([258_345_000_000.0, 1.5e7])
    assert frame["region"].tolist() == ["370200", "370212"]
    rows = json.loads(_capture("json"))
    assert rows[0]["share"] == 0.00725 and rows[1]["share"] is None
    assert rows[1]["count"] == 7 and isinstance(rows[1]["count"], int)
