"""``observatory generate``: the example city and its deployment settings, written together."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatory.cli import app
from observatory.config import Settings
from observatory.db import make_engine
from observatory.examples import EXAMPLE_CITY_SETTINGS
from observatory.examples.demo import build_demo, demo_summary


def test_generate_writes_the_example_city_settings(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["generate", "--scale", "0.02", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "observatory.db").exists()
    settings = Settings(home=tmp_path)
    assert settings.region == EXAMPLE_CITY_SETTINGS["region"]
    assert settings.key_plan == EXAMPLE_CITY_SETTINGS["key_plan"]
    assert settings.period == EXAMPLE_CITY_SETTINGS["default_period"]
    again = CliRunner().invoke(app, ["generate", "--scale", "0.02"])
    assert again.exit_code == 2 and "Traceback" not in again.output
    engine = make_engine(settings.url)
    assert build_demo(engine) is False  # already there: the demo builds nothing
    summary = demo_summary(engine)
    counts = dict(summary.counts)
    assert counts["organisations"] > 0 and counts["targets"] > 0
    assert any(f.computed is not None for f in summary.figures)
    engine.dispose()


def test_generate_refuses_an_unknown_city(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["generate", "--city", "atlantis"])
    assert result.exit_code == 2 and "atlantis" in result.output
    assert not (tmp_path / "observatory.toml").exists()
