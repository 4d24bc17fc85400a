"""Benchmark: /overview under 20 readers while an enterprise edits its listing once a second.

Issue 15 finding 1: every write emptied the page cache (keyed on the newest audit id) and the
overview took 1.2 s to rebuild, so one editor collapsed the overview for everyone (p95 88 ms
-> 6.6 s). Now the cache is keyed on the versions of the tables a figure reads and, after a
write that touches them, serves the previous overview (with its "as of" time) while one
background rebuild runs.

Machine: whatever runs it (printed); the server (uvicorn in a thread of this process, on
loopback) and the 20 reader threads share its cores. Sizes: the example city (seed 42) at
``--scale`` (default 0.2, built into a temporary folder in about 20 s) on SQLite, or
``--db`` for an existing database. Load: ``--readers`` (20) closed-loop clients on
``/overview`` for ``--seconds`` (15) per phase; the edit phase adds one listing-title edit a
second by an enterprise user (``POST /api/market/listings/{code}``, bearer token), which moves
``achievements``, a table figures read, so every edit outdates the overview. Baseline, same
process, same server: the same readers without edits, measured first. Bounded: about 60 s with
the build. Goal (issue 15): p95 with edits <= 2 x p95 without, no errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import uvicorn
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.config import Settings
from observatory.db import make_engine
from observatory.examples import EXAMPLE_CITY_SETTINGS
from observatory.examples.generator import generate_city
from observatory.registry import models as m
from observatory.registry.setup import init_database
from observatory.services.accounts import ensure_demo_accounts
from observatory.services.auth import create_api_token
from observatory.services.tables import User
from observatory.web.app import create_app

AS_OF = re.compile(r'<time datetime="([^"]+)"')
STALE = "newer data is being computed"


def build_city(folder: Path, scale: float) -> Engine:
    engine = make_engine(f"sqlite:///{folder / 'observatory.db'}")
    init_database(engine)
    generate_city(engine, seed=42, scale=scale)
    return engine


def editor_token(engine: Engine) -> tuple[str, str]:
    """(bearer token, listing code) of an enterprise user and one of its listings."""
    ensure_demo_accounts(engine)
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.role == "enterprise")).first()
        code = None if user is None else session.scalar(
            select(m.Achievement.code).where(
                m.Achievement.owner_organisation_id == user.organisation_id).limit(1))
        if user is None or code is None:  # no listing of its own: an analyst edits one
            user = session.scalars(select(User).where(User.role == "admin")).one()
            code = session.scalar(select(m.Achievement.code).limit(1))
        user_id = user.id
    return create_api_token(engine, user_id, "bench"), str(code)


def serve(engine: Engine, settings: Settings) -> tuple[uvicorn.Server, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(engine, settings=settings, matching="bm25")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, base


def phase(base: str, readers: int, seconds: float, edit: tuple[str, str] | None
          ) -> dict[str, float]:
    """Closed-loop readers on /overview for ``seconds``; with ``edit``, one edit a second."""
    stop = time.perf_counter() + seconds
    times: list[float] = []
    ages: list[float] = []
    errors: list[str] = []
    edits = [0]

    def read() -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while time.perf_counter() < stop:
                start = time.perf_counter()
                r = client.get("/overview?lang=en")
                times.append(time.perf_counter() - start)
                if r.status_code != 200:
                    errors.append(str(r.status_code))
                    continue
                found = AS_OF.search(r.text)
                if found and STALE in r.text:  # served while newer data was being computed
                    as_of = dt.datetime.fromisoformat(found.group(1))
                    ages.append((dt.datetime.now(dt.UTC) - as_of).total_seconds())

    def write() -> None:
        assert edit is not None
        token, code = edit
        with httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            while time.perf_counter() < stop:
                tick = time.perf_counter()
                r = client.post(f"/api/market/listings/{code}",
                                json={"title_en": f"Edited at {time.time():.3f}"})
                if r.status_code != 200:
                    errors.append(f"edit {r.status_code}")
                edits[0] += 1
                time.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))

    threads = [threading.Thread(target=read) for _ in range(readers)]
    if edit is not None:
        threads.append(threading.Thread(target=write))
    load = os.getloadavg()[0]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    ms = np.array(times) * 1000
    return {"n": len(times), "errors": len(errors), "p50": float(np.percentile(ms, 50)),
            "p95": float(np.percentile(ms, 95)), "rps": len(times) / wall, "load": load,
            "edits": edits[0], "stale": len(ages) / max(1, len(times)),
            "max_age": max(ages) if ages else 0.0}


def report(name: str, r: dict[str, float]) -> None:
    print(f"{name:22s} n={r['n']:5.0f} errors={r['errors']:.0f} p50={r['p50']:7.1f} ms "
          f"p95={r['p95']:7.1f} ms throughput={r['rps']:6.1f} req/s edits={r['edits']:.0f} "
          f"stale answers={100 * r['stale']:4.1f} % (oldest 'as of' {r['max_age']:4.1f} s) "
          f"(load average {r['load']:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLite/PostgreSQL URL of an example city (default: build)")
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="overview_edits_"))
    try:
        t0 = time.perf_counter()
        engine = make_engine(args.db) if args.db else build_city(tmp, args.scale)
        built = time.perf_counter() - t0
        with Session(engine) as session:
            orgs = session.scalar(select(func.count()).select_from(m.Organisation))
            listings = session.scalar(select(func.count()).select_from(m.Achievement))
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}; server and readers share them")
        print(f"sizes: example city seed 42 scale {args.scale} on "
              f"{engine.url.get_backend_name()} ({orgs:,} organisations, {listings:,} "
              f"achievements; ready in {built:.0f} s); {args.readers} readers x "
              f"{args.seconds:.0f} s per phase")
        edit = editor_token(engine)
        server, base = serve(engine, Settings(home=tmp, **EXAMPLE_CITY_SETTINGS))
        try:
            t0 = time.perf_counter()
            httpx.get(f"{base}/overview", timeout=300)
            print(f"cold overview build: {time.perf_counter() - t0:.2f} s")
            quiet = phase(base, args.readers, args.seconds, None)
            report("without edits (base)", quiet)
            busy = phase(base, args.readers, args.seconds, edit)
            report("1 edit per second", busy)
            dep = server.config.app.state.deployment
            dep.cache.wait_rebuilds(120)
            last = httpx.get(f"{base}/api/overview", timeout=60).json()
            print(f"after the edits: overview stale={last['stale']} as of {last['as_of']}")
        finally:
            server.should_exit = True
        ratio = busy["p95"] / quiet["p95"]
        ok = ratio <= 2 and busy["errors"] == 0 and quiet["errors"] == 0
        print(f"p95 with edits = {ratio:.2f} x without; throughput "
              f"{busy['rps'] / quiet['rps']:.2f} x ({'meets' if ok else 'MISSES'} the goal "
              f"<= 2 x, no errors)")
        engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
