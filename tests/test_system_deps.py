"""`make test` sets up the system packages it needs, or stops with the command to run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "system-deps.sh"


def _run(tmp_path: Path, chromium: Path, uid: str) -> subprocess.CompletedProcess[str]:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir(exist_ok=True)
    fake_id = fake_bin / "id"
    fake_id.write_text(f"#!/bin/sh\necho {uid}\n")
    fake_id.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}",
           "OBSERVATORY_CHROMIUM": str(chromium)}
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_without_root_it_stops_and_prints_the_command(tmp_path: Path) -> None:
    done = _run(tmp_path, tmp_path / "no-chromium", uid="1000")
    assert done.returncode == 2
    assert "apt-get install -y chromium fonts-noto-cjk" in done.stderr


def test_nothing_to_do_when_both_are_there(tmp_path: Path) -> None:
    # The suite itself needs both (browser and PDF tests), so here they are installed.
    chromium = Path(os.environ.get("OBSERVATORY_CHROMIUM", "/usr/bin/chromium"))
    done = _run(tmp_path, chromium, uid="1000")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
