"""Benchmark: the overview page and its JSON twin under 50 concurrent users, against /health.

Machine: the 2-core development box; the server (one uvicorn process) and this load generator
share the two cores, so absolute figures are pessimistic. Sizes: the example city (seed 42) at
``--scale`` (default 0.25 of the full city, built into a temporary folder in about half a
minute; pass ``--db`` to reuse an existing database, e.g. the full demo at
``.observatory/observatory.db``). Load: ``--users`` (50) closed-loop clients, each sending
``--requests`` (20) requests one after another, over loopback with httpx/asyncio.
Baseline, same server, same run: the trivial ``/health`` endpoint. The computed figures are
cached per version of the tables they read (data_versions), so after the first request the overview
costs one small query plus template rendering.
Goal: overview p95 < 5 x health p95, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np


def build_city(folder: Path, scale: float) -> str:
    from observatory.db import make_engine
    from observatory.examples.generator import generate_city
    from observatory.registry.setup import init_database

    url = f"sqlite:///{folder / 'observatory.db'}"
    engine = make_engine(url)
    init_database(engine)
    generate_city(engine, seed=42, scale=scale)
    engine.dispose()
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def user(client: httpx.AsyncClient, path: str, n: int, times: list[float],
               errors: list[str]) -> None:
    for _ in range(n):
        start = time.perf_counter()
        try:
            r = await client.get(path)
            if r.status_code != 200:
                errors.append(f"{path}: HTTP {r.status_code}")
        except httpx.HTTPError as exc:
            errors.append(f"{path}: {exc!r}")
        times.append(time.perf_counter() - start)


async def load(base: str, path: str, users: int, requests: int) -> dict[str, float]:
    times: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        await client.get(path)  # warm: the first request computes and caches the figures
        start = time.perf_counter()
        await asyncio.gather(*(user(client, path, requests, times, errors)
                               for _ in range(users)))
        wall = time.perf_counter() - start
    ms = np.array(times) * 1000
    return {"n": len(times), "errors": len(errors), "p50": float(np.percentile(ms, 50)),
            "p95": float(np.percentile(ms, 95)), "rps": len(times) / wall,
            "first_error": errors[0] if errors else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL to serve (default: build the example city)")
    parser.add_argument("--scale", type=float, default=0.25)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="web_load_"))
    try:
        if args.db:
            url = args.db
        else:
            t0 = time.perf_counter()
            url = build_city(tmp, args.scale)
            print(f"built the example city at scale {args.scale} in "
                  f"{time.perf_counter() - t0:.0f} s")
        port = free_port()
        env = {**os.environ, "OBSERVATORY_DATABASE_URL": url}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "observatory.web.app:create_app_from_settings",
             "--factory", "--host", "127.0.0.1", "--port", str(port), "--log-level",
             "warning", "--no-access-log"], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            print(f"machine: {os.cpu_count()} cores (server and load generator share them); "
                  f"{args.users} users x {args.requests} requests per endpoint")
            results = {}
            for path in ("/health", "/api/overview", "/overview"):
                t0 = time.perf_counter()
                results[path] = asyncio.run(load(base, path, args.users, args.requests))
                r = results[path]
                print(f"{path:14s} n={r['n']:5d} errors={r['errors']} p50={r['p50']:7.1f} ms "
                      f"p95={r['p95']:7.1f} ms throughput={r['rps']:7.1f} req/s "
                      f"(incl. first request {time.perf_counter() - t0:.1f} s)"
                      + (f" first error: {r['first_error']}" if r["errors"] else ""))
        finally:
            server.terminate()
            server.wait(10)
        base_p95 = results["/health"]["p95"]
        for path in ("/api/overview", "/overview"):
            ratio = results[path]["p95"] / base_p95
            ok = ratio < 5 and results[path]["errors"] == 0
            print(f"{path:14s} p95 = {ratio:.2f} x health p95 "
                  f"({'meets' if ok else 'MISSES'} the goal < 5x, no errors)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
