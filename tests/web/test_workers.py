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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from observatory.config import write_settings
from observatory.examples import EXAMPLE_CITY_SETTINGS
from observatory.services.accounts import DEMO_PASSWORDS, ensure_demo_accounts
from tests.web.conftest import some_listing

SRC = Path(__file__).resolve().parents[2] / "src"
START_TIMEOUT = 90.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(url: str, home: Path, port: int) -> subprocess.Popen[bytes]:
    """``observatory serve --workers 2`` on ``url`` in a process group of its own."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "OBSERVATORY_HOME": str(home),
           "OBSERVATORY_WEB_MATCHING": "bm25", "OBSERVATORY_WORKER_HEADER": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "observatory.cli", "serve", "--workers", "2", "--port",
         str(port), "--database-url", url], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True)


@contextmanager
def _serving(url: str, tmp_path: Path) -> Iterator[str]:
    """The base URL of two workers serving ``url`` with the example city's settings."""
    home = tmp_path / "home"
    home.mkdir()
    write_settings(home, EXAMPLE_CITY_SETTINGS)
    port = _free_port()
    proc = _start(url, home, port)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base)
        yield base
    finally:
        _stop(proc)


@pytest.fixture
def server(city_template: Path, tmp_path: Path) -> Iterator[str]:
    """Two workers on a copy of the example city (SQLite, WAL)."""
    db = tmp_path / "city.db"
    shutil.copy(city_template, db)
    with _serving(f"sqlite:///{db}", tmp_path) as base:
        yield base


@pytest.fixture
def pg_server(postgres_engine: Engine, tmp_path: Path) -> Iterator[str]:
    """Two workers on a fresh PostgreSQL database with the demo accounts."""
    ensure_demo_accounts(postgres_engine)
    url = postgres_engine.url.render_as_string(hide_password=False)
    with _serving(url, tmp_path) as base:
        yield base


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
            with ThreadPoolExecutor(4) as pool:  # concurrent, so both workers accept
                seen.update(pool.map(lambda _: httpx.get(
                    f"{base}/health", timeout=5).headers["x-observatory-worker"], range(4)))
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


def _through_both(send: Callable[[], httpx.Response],
                  check: Callable[[httpx.Response], None]) -> set[str]:
    """Send in rounds of concurrent requests (so the kernel hands connections to both
    workers) until both answered, checking every answer; the workers that answered."""
    seen: set[str] = set()
    with ThreadPoolExecutor(4) as pool:
        for _ in range(25):
            for answer in pool.map(lambda _: send(), range(4)):
                check(answer)
                seen.add(answer.headers["x-observatory-worker"])
            if len(seen) == 2:
                break
    return seen


def test_two_workers_share_writes_searches_and_login_failures(server, city_engine) -> None:
    base = server
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

    def shows_edit(got: httpx.Response) -> None:  # the next request through either worker
        assert got.status_code == 200 and got.json()["title_en"] == title

    readers = _through_both(lambda: _fresh_get(base, f"/api/market/listings/{code}", cookies),
                            shows_edit)
    assert len(readers) == 2 and writer in readers

    def finds_edit(found: httpx.Response) -> None:  # each worker's match engine is rebuilt
        assert found.status_code == 200
        assert code in [c["code"] for c in found.json()["results"]], found.json()

    assert len(_through_both(lambda: _fresh_get(
        base, "/api/market?q=Quasarfluxion&kind=achievement&lang=en"), finds_edit)) == 2

    _throttled_across_workers(base)


def _throttled_across_workers(base: str) -> None:
    """Five failures spread over the workers block the pair in every worker."""
    for _ in range(5):
        failed, _ = _login(base, "demo-analyst", "wrong")
        assert failed.status_code == 401

    def refused(again: httpx.Response) -> None:
        assert again.status_code == 429

    assert len(_through_both(lambda: _login(base, "demo-analyst",
                                            DEMO_PASSWORDS["analyst"])[0], refused)) == 2


def test_two_workers_on_postgresql_share_sessions_writes_and_failures(pg_server) -> None:
    base = pg_server
    answer, cookies = _login(base, "demo-admin", DEMO_PASSWORDS["admin"])
    assert answer.status_code == 303
    page = _fresh_get(base, "/account", cookies)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and csrf is not None
    name = f"worker-test-{time.time_ns()}"
    with httpx.Client(base_url=base, timeout=60, cookies=cookies) as client:
        made = client.post("/account/tokens", data={"name": name, "days": "3",
                                                    "csrf": csrf.group(1)})
    assert made.status_code == 200, made.text[:300]
    def lists_token(got: httpx.Response) -> None:  # the session and the new token
        assert got.status_code == 200
        assert name in [t["name"] for t in got.json()["tokens"]]

    assert len(_through_both(lambda: _fresh_get(base, "/api/account", cookies),
                             lists_token)) == 2
    _throttled_across_workers(base)
