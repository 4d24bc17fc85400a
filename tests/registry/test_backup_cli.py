"""The backup and restore commands: output, exit codes, bilingual refusals."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from observatory.cli import app
from tests.registry.test_backup import populate, table_rows

runner = CliRunner()


def test_backup_then_restore_via_cli(sqlite_engine: Engine, tmp_path: Path) -> None:
    populate(sqlite_engine)
    url = sqlite_engine.url.render_as_string()
    file = tmp_path / "b.zip"
    made = runner.invoke(app, ["backup", "--out", str(file), "--format", "csv",
                               "--database-url", url])
    assert made.exit_code == 0, made.output
    assert "web_api_tokens,1" in made.output and "audit_log," in made.output
    target = f"sqlite:///{tmp_path / 'new.db'}"
    done = runner.invoke(app, ["restore", str(file), "--database-url", target])
    assert done.exit_code == 0, done.output
    from observatory.db import make_engine
    restored = make_engine(target)
    assert table_rows(restored) == table_rows(sqlite_engine)
    restored.dispose()
    again = runner.invoke(app, ["restore", str(file), "--database-url", target])
    assert again.exit_code == 2
    assert "not empty" in again.output and "不是空的" in again.output
    assert "Traceback" not in again.output
    forced = runner.invoke(app, ["restore", str(file), "--force", "--database-url", target])
    assert forced.exit_code == 0, forced.output


def test_restore_of_a_damaged_file_exits_2(sqlite_engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    target = f"sqlite:///{tmp_path / 'new.db'}"
    result = runner.invoke(app, ["restore", str(bad), "--database-url", target])
    assert result.exit_code == 2
    assert "damaged" in result.output and "已损坏" in result.output
    missing = runner.invoke(app, ["restore", str(tmp_path / "none.zip"),
                                  "--database-url", target])
    assert missing.exit_code == 2 and "文件不存在" in missing.output
    folder = runner.invoke(app, ["backup", "--out", str(tmp_path),
                                 "--database-url", sqlite_engine.url.render_as_string()])
    assert folder.exit_code == 2 and "是文件夹" in folder.output
