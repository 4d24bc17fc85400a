"""Careless input answered precisely: report years outside the deployment, search wildcards."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.registry import models as m
from tests.web.conftest import bearer


def test_a_report_year_outside_the_deployment_is_a_422(shared_client) -> None:
    for year in ("1", "-5", "99999999999", "2031"):
        r = shared_client.get(f"/report/annual?year={year}&lang=zh")
        assert r.status_code == 422, (year, r.status_code)
        assert "本部署覆盖 2019-2025 年" in r.text or "输入无效" in r.text
    assert shared_client.get("/report/annual?year=2024").status_code == 200


def test_the_cli_refuses_a_report_year_outside_the_deployment(tmp_path: Path, monkeypatch
                                                              ) -> None:
    monkeypatch.setenv("OBSERVATORY_FIRST_YEAR", "2019")
    monkeypatch.setenv("OBSERVATORY_LAST_YEAR", "2025")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", "annual", "--year", "1", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "2019-2025" in result.output and "本部署覆盖" in result.output
    assert not out.exists()


def test_search_wildcards_are_letters(shared_client, shared_engine, tokens) -> None:
    h = bearer(tokens, "analyst")
    with Session(shared_engine) as session:
        total = len(session.scalars(select(m.Organisation.id).where(
            m.Organisation.kind == "enterprise").limit(100)).all())
    everything = shared_client.get("/api/enterprises?q=", headers=h).json()["enterprises"]
    assert len(everything) == total
    for q in ("%", "_", "%_%"):
        found = shared_client.get("/api/enterprises", params={"q": q}, headers=h).json()
        assert found["enterprises"] == [], q
