"""Deployment settings: file, environment, validation, and what `write_settings` keeps."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from observatory.config import Settings, SettingsError, get_settings, write_settings


def test_file_then_environment_then_arguments(tmp_path: Path, monkeypatch) -> None:
    write_settings(tmp_path, {"region": "440300", "first_year": 2020, "last_year": 2024,
                              "key_plan": "SZ-2030"})
    s = Settings(home=tmp_path)
    assert (s.region, s.period, s.key_plan, list(s.years)) == ("440300", 2024, "SZ-2030",
                                                                [2020, 2021, 2022, 2023, 2024])
    monkeypatch.setenv("OBSERVATORY_REGION", "440305")
    assert Settings(home=tmp_path).region == "440305"
    assert Settings(home=tmp_path, region="440306").region == "440306"


def test_bad_values_are_refused_in_both_languages(tmp_path: Path) -> None:
    for values, words in (({"region": "4403"}, "6 位"),
                          ({"first_year": 2025, "last_year": 2020}, "晚于"),
                          ({"default_period": 2030}, "不在"),
                          ({"languages": ["fr"]}, "只能取")):
        with pytest.raises(ValidationError, match=words):
            Settings(home=tmp_path, **values)


def test_a_typo_in_the_file_stops_the_program(tmp_path: Path) -> None:
    (tmp_path / "observatory.toml").write_text('regoin = "440300"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="regoin"):
        Settings(home=tmp_path)
    (tmp_path / "observatory.toml").write_text('region = "440300\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="TOML"):
        Settings(home=tmp_path)


def test_writing_keeps_the_operator_s_connection_keys(tmp_path: Path) -> None:
    (tmp_path / "observatory.toml").write_text(
        'database_url = "postgresql://obs@db/obs"\nsecret_key = "k"\nregion = "110000"\n',
        encoding="utf-8")
    write_settings(tmp_path, {"region": "370200", "first_year": 2019, "last_year": 2025})
    s = Settings(home=tmp_path)
    assert (s.database_url, s.secret_key, s.region) == ("postgresql://obs@db/obs", "k", "370200")
    with pytest.raises(SettingsError, match="secret"):
        write_settings(tmp_path, {"secret_key": "x"})


def test_get_settings_names_each_bad_field(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    monkeypatch.setenv("OBSERVATORY_REGION", "12")
    with pytest.raises(SettingsError, match=r"^region: region must be a 6-digit .* 6 位"):
        get_settings()


def test_every_command_stops_on_broken_settings(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from observatory.cli import app

    monkeypatch.setenv("OBSERVATORY_HOME", str(tmp_path))
    monkeypatch.setenv("OBSERVATORY_REGION", "12")
    for args in (["targets", "status"], ["indicators", "compute"], ["report", "annual",
                                                                    "--out", "r.html"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "部署设置有误" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "observatory.db").exists()  # stopped before opening a database
