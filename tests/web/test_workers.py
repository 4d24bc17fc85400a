"""``observatory serve --workers 2``: what one worker writes, the other shows on its next
request; login throttling counts failures across workers; search sees an edited listing in
every worker. A real server in a subprocess on a free loopback port, bounded in time."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from observatory.config import write_settings
from observatory.examples import EXAMPLE_CITY_SETTINGS
from observatory.services.accounts import DEMO_PASSWORDS
from tests.web.conftest import some_listing

SRC = Path(__file__).resolve().parents[2] / "src"
START_TIMEOUT = 90.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(city_template: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of ``observatory serve --workers 2`` on a copy of the city."""
    db = tmp_path / "city.db"
    shutil.copy(city_template, db)
    home = tmp_path / "home"
    home.mkdir()
    write_settings(home, EXAMPLE_CITY_SETTINGS)
    port, url = _free_port(), f"sqlite:///{db}"
    env = {**os.environ, "PYTHONPATH": str(SRC), "OBSERVATORY_HOME": str(home),
           "OBSERVATORY_WEB_MATCHING": "bm25", "OBSERVATORY_WORKER_HEADER": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "observatory.cli", "serve", "--workers", "2", "--port", str(port),
         "--database-url", url], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base)
        yield base, url
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """The server and its workers (one process group), however far it got."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_ready(proc: subprocess.Popen[bytes], base: str) -> None:
    """Until both workers answer (each names itself), or fail with the server's output."""
    seen: set[str] = set()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and len(seen) < 2:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            pytest.fail(f"server exited with {proc.returncode}:\n{out[-3000:]}")
        try:
            with httpx.Client(base_url=base, timeout=5) as fresh:
                seen.add(fresh.get("/health").headers["x-observatory-worker"])
        except httpx.HTTPError:
            time.sleep(0.3)
    if len(seen) < 2:
        pytest.fail(f"two workers did not answer within {START_TIMEOUT:.0f} s: {seen}")


def _fresh_get(base: str, path: str, cookies: httpx.Cookies | None = None) -> httpx.Response:
    """A request on a new connection, so the kernel may hand it to either worker."""
    with httpx.Client(base_url=base, timeout=30, cookies=cookies) as client:
        return client.get(path)


def _login(base: str, username: str, password: str) -> tuple[httpx.Response, httpx.Cookies]:
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        answer = client.post("/login", data={"username": username, "password": password,
                                             "csrf": csrf.group(1), "next": "/overview"})
        return answer, client.cookies


def test_two_workers_share_writes_searches_and_login_failures(server, city_engine) -> None:
    base, _ = server
    code = some_listing(city_engine)
    answer, cookies = _login(base, "demo-admin", DEMO_PASSWORDS["admin"])
    assert answer.status_code == 303, answer.text[:300]
    page = _fresh_get(base, f"/market/listings/{code}", cookies)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and csrf is not None
    title = f"Quasarfluxion worker test {time.time_ns()}"
    with httpx.Client(base_url=base, timeout=60, cookies=cookies) as client:
        wrote = client.post(f"/api/market/listings/{code}", json={"title_en": title},
                            headers={"X-CSRF-Token": csrf.group(1)})
    assert wrote.status_code == 200, wrote.text[:300]
    writer = wrote.headers["x-observatory-worker"]

    readers: set[str] = set()
    for _ in range(40):  # the very next request through either worker shows the edit
        got = _fresh_get(base, f"/api/market/listings/{code}", cookies)
        assert got.status_code == 200 and got.json()["title_en"] == title
        readers.add(got.headers["x-observatory-worker"])
        if len(readers) == 2:
            break
    assert len(readers) == 2 and writer in readers

    searchers: set[str] = set()
    for _ in range(40):  # each worker's match engine is rebuilt for the edited listing
        found = _fresh_get(base, "/api/market?q=Quasarfluxion&kind=achievement&lang=en")
        assert found.status_code == 200
        assert code in [c["code"] for c in found.json()["results"]], found.json()
        searchers.add(found.headers["x-observatory-worker"])
        if len(searchers) == 2:
            break
    assert len(searchers) == 2

    for _ in range(5):  # the limit (5 failures) is counted across workers
        failed, _ = _login(base, "demo-analyst", "wrong")
        assert failed.status_code == 401
    limited: set[str] = set()
    for _ in range(30):
        again, _ = _login(base, "demo-analyst", DEMO_PASSWORDS["analyst"])
        assert again.status_code == 429
        limited.add(again.headers["x-observatory-worker"])
        if len(limited) == 2:
            break
    assert len(limited) == 2
