"""Benchmark: the province example generated on SQLite and PostgreSQL, and a city-scoped
user's pages under 20 clients with one and with two server processes (issue 13, item 6).

Machine: whatever runs it (printed, with the load average); the server processes and the 20
client threads share its cores. Sizes: ``generate --province shandong-example`` at seed 42,
scale 1 (16 cities; rows printed). Generation runs in a child process per backend, so its peak
memory is that child's maximum resident size. Load: a city analyst (home region 370200, an API
token) requests ``/overview`` and ``/indicators/tech_contract_amount?by=district`` in a closed
loop for ``--seconds`` per phase, after one warm-up request each; the server is
``observatory serve --workers N`` on PostgreSQL. Baseline, same run: one worker; the figure
is two workers' p95 as a ratio to it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

PG_ADMIN = os.environ.get("OBSERVATORY_TEST_POSTGRES_URL",
                          "postgresql://postgres@127.0.0.1:5432/postgres")
PAGES = ("/overview?lang=zh", "/indicators/tech_contract_amount?by=district&lang=zh")


def _generate(url: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from observatory.db import make_engine
    from observatory.examples.province import generate_province
    from observatory.registry.setup import init_database

    engine = make_engine(url)
    init_database(engine)
    report = generate_province(engine, seed=42)
    queue.put((sum(report.rows.values()), report.seconds))


def generate(url: str) -> tuple[int, float, float]:
    """(rows, seconds, peak resident MB) of one generation in a child process."""
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    child = multiprocessing.get_context("fork").Process(target=_generate, args=(url, queue))
    child.start()
    rows, seconds = queue.get()
    child.join()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return rows, seconds, peak


def fresh_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def city_token(url: str) -> str:
    from observatory.db import make_engine
    from observatory.services.accounts import NewUser, add_user
    from observatory.services.auth import create_api_token

    engine = make_engine(url)
    view = add_user(engine, "bench", NewUser(username="city-analyst", role="analyst",
                                             password="Bench-city-2026", region="370200"))
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from observatory.services.tables import User

    with Session(engine) as s:
        user_id = s.scalars(select(User.id).where(User.username == view.username)).one()
    return create_api_token(engine, user_id, "bench")


def serve(url: str, home: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "OBSERVATORY_DATABASE_URL": url, "OBSERVATORY_HOME": str(home),
           "OBSERVATORY_WEB_MATCHING": "bm25"}
    proc = subprocess.Popen([sys.executable, "-m", "observatory.cli", "serve", "--port",
                             str(port), "--workers", str(workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    return proc, base


def load(base: str, token: str, seconds: float, clients: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    for page in PAGES:  # warm: the caches of every worker fill on first use
        for _ in range(4):
            httpx.get(base + page, headers=headers, timeout=600)
    stop = time.perf_counter() + seconds
    times: dict[str, list[float]] = {p: [] for p in PAGES}
    errors = [0]

    def run(i: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            k = i
            while time.perf_counter() < stop:
                page = PAGES[k % len(PAGES)]
                k += 1
                t0 = time.perf_counter()
                r = client.get(page)
                times[page].append(time.perf_counter() - t0)
                errors[0] += r.status_code != 200

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {p: float(np.percentile(np.array(v) * 1000, 95)) for p, v in times.items()}
    out["n"] = sum(len(v) for v in times.values())
    out["errors"] = errors[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="province_bench_"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; load average {os.getloadavg()[0]:.2f}")
    sqlite_url = f"sqlite:///{tmp / 'province.db'}"
    pg_url = fresh_postgres("bench_province")
    for name, url in (("SQLite", sqlite_url), ("PostgreSQL", pg_url)):
        rows, seconds, peak = generate(url)
        print(f"province on {name}: {rows:,} rows in {seconds:.0f} s "
              f"({rows / seconds:,.0f} rows/s); peak memory {peak:,.0f} MB")
    token = city_token(pg_url)
    results = {}
    for workers in (1, 2):
        proc, base = serve(pg_url, tmp, workers)
        try:
            results[workers] = load(base, token, args.seconds, args.clients)
        finally:
            proc.terminate()
            proc.wait(30)
        r = results[workers]
        print(f"{workers} worker(s), {args.clients} clients, {args.seconds:.0f} s: n={r['n']:.0f} "
              f"errors={r['errors']:.0f} " + " ".join(f"p95 {p.split('?')[0]}={r[p]:.0f} ms"
                                                     for p in PAGES)
              + f" (load average {os.getloadavg()[0]:.2f})")
    for page in PAGES:
        ratio = results[2][page] / results[1][page]
        print(f"{page.split('?')[0]}: p95 with 2 workers = {ratio:.2f} x one worker")


if __name__ == "__main__":
    main()
