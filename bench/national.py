"""Benchmark: the catalogue and the eligibility pipeline at national size, engine by engine.

One run over one generated registry (``--database-url``; default: generate the example city at
``--scale`` into a temporary SQLite file, untimed). Each engine runs in its own child process,
one after another, so that its peak memory (VmHWM; for Spark the driver and the JVM) is its
own; the baselines run in the same child as the engine they are compared with:

* ``duckdb``: the engine's whole catalogue by region (the city and every district, 7 years) on
  DuckDB (the one-off copy from the database timed apart); the five key indicators against
  hand-written DuckDB SQL; a plain pandas implementation of the catalogue (frames already in
  memory) checked figure by figure. Goals: engine <= 1.5x hand SQL, >= 5x faster than pandas.
* ``postgres`` (``--postgres-url``, a database holding the same registry): the same catalogue on
  PostgreSQL. ``--load-postgres`` first copies the tables the catalogue reads from the Parquet
  lake into a new database there (untimed).
* ``spark``: the same catalogue on Spark local[2] reading the Parquet lake (``--lake``; written
  by ``export --format parquet`` first, timed, when missing); checked against DuckDB value by
  value. Goal: within 3x of DuckDB.
* ``eligibility``: the cultivation pipeline (high-tech enterprise pack) over every enterprise,
  in process and on Spark (``mapInPandas``), checked equal.

Results go to ``--results FILE.json``; ``--linearity A.json B.json`` compares two sizes (time
against data) and projects the Spark run to a cluster (see :func:`projection`).
Machine: the team's 2-core box (load average printed). Sizes: printed per run.
Run: .venv/bin/python bench/national.py --database-url sqlite:///s54.db --lake lake54
     --results s54.json [--engines duckdb,spark,eligibility] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from indicators import KEY, PERIODS, city_engine, hand_sql, load_frames, pandas_catalogue
from observatory.db import make_engine
from observatory.indicators.engine import Runner, compute_with
from observatory.indicators.entities import RECORD_SETS

CITY = "370200"
ENGINES = ("duckdb", "postgres", "spark", "eligibility")
#: How the eligibility child runs the pipeline besides in process: on Spark from the registry
#: (the enterprises loaded by this process, written to Parquet), on Spark from the lake.
ELIGIBILITY_ROUTES = ("registry", "lake")
COUNTED = ("organisations", "designations", "technology_contracts", "rd_expenditures",
           "platforms", "achievements", "projects", "talent_recruitments",
           "broker_qualifications", "fund_investments")


def peak_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def whole_catalogue(runner: Runner) -> pd.DataFrame:
    return compute_with(runner, None, PERIODS, CITY, by=("region",))


def keyed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index(["indicator", "region", "period"]).sort_index()


# -- children ------------------------------------------------------------------------------

def run_duckdb(url: str, out: Path) -> dict[str, Any]:
    """Engine on DuckDB, hand SQL for the five key indicators, pandas; one process."""
    engine = make_engine(url)
    duck = Runner(engine, "duckdb")
    tables = {t for rs in RECORD_SETS.values() for t in rs.tables} | {"observations", "sources"}
    copy_s, _ = timed(lambda: duck.prepare(tables))
    first_s, result = timed(lambda: whole_catalogue(duck))
    warm_s, _ = timed(lambda: whole_catalogue(duck))
    result.to_parquet(out / "duckdb.parquet")
    after_engine = peak_mb()
    districts = [d for d in duck.regions.descendants(CITY) if d != CITY]
    closure = duck.regions.closure([CITY, *districts])
    hand = [timed(lambda: hand_sql(duck, closure))
            for _ in range(3)]
    key = [timed(lambda: compute_with(duck, KEY, PERIODS, CITY, by=("region",)))
           for _ in range(3)]
    hand_frame = hand[0][1].set_index(["indicator", "region", "period"])["value"].sort_index()
    key_frame = keyed(key[0][1])["value"]
    hand_same = bool(hand_frame.index.equals(key_frame.index)
                     and np.allclose(hand_frame.to_numpy(), key_frame.to_numpy()))
    frames = load_frames(duck)
    observations = duck.con.con.execute("SELECT * FROM observations").df()
    pandas_s, by_pandas = timed(lambda: pandas_catalogue(frames, districts, observations))
    mine = keyed(result)["value"]
    theirs = pd.concat([f.assign(indicator=c) for c, f in by_pandas.items()])
    theirs = theirs[theirs.period.isin(PERIODS) & theirs.region.isin([CITY, *districts])]
    joined = pd.concat([mine, theirs.set_index(["indicator", "region", "period"])["value"]],
                       axis=1, join="inner").astype(float).dropna()
    differ = int((~np.isclose(joined.iloc[:, 0], joined.iloc[:, 1], rtol=1e-9)).sum())
    return {"copy_s": copy_s, "engine_first_s": first_s, "engine_s": min(first_s, warm_s),
            "figures": len(result), "hand_s": min(s for s, _ in hand),
            "key_s": min(s for s, _ in key), "hand_equal": hand_same, "pandas_s": pandas_s,
            "pandas_compared": len(joined), "pandas_differ": differ,
            "peak_engine_mb": after_engine, "peak_with_pandas_mb": peak_mb()}


def run_postgres(url: str, out: Path) -> dict[str, Any]:
    engine = make_engine(url)
    runner = Runner(engine)
    first_s, result = timed(lambda: whole_catalogue(runner))
    warm_s, _ = timed(lambda: whole_catalogue(runner))
    result.to_parquet(out / "postgres.parquet")
    runner.close()
    server = _database_size(engine)
    return {"engine_first_s": first_s, "engine_s": min(first_s, warm_s),
            "figures": len(result), "peak_mb": peak_mb(), "server_note": server}


def _database_size(engine: Engine) -> str:
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    return f"database {size / 2**20:,.0f} MB"


def spark_jvm_peak_mb() -> float:
    """Peak memory of the JVM the driver started (the child running java)."""
    import psutil

    peaks = [peak_mb(p.pid) for p in psutil.Process().children(recursive=True)
             if "java" in p.name()]
    return max(peaks) if peaks else float("nan")


def run_spark(url: str, lake: Path, out: Path) -> dict[str, Any]:
    from observatory.spark import spark_session

    start_s, session = timed(spark_session)
    runner = Runner(make_engine(url), "spark", lake)
    first_s, result = timed(lambda: whole_catalogue(runner))
    warm_s, _ = timed(lambda: whole_catalogue(runner))
    result.to_parquet(out / "spark.parquet")
    partitions = {t: session.table(t).rdd.getNumPartitions()
                  for t in ("technology_contracts", "designations", "organisations")}
    queries = len(set(_group_keys()))
    runner.close()
    return {"session_s": start_s, "engine_first_s": first_s, "engine_s": min(first_s, warm_s),
            "figures": len(result), "partitions": partitions, "queries": queries,
            "driver_peak_mb": peak_mb(), "jvm_peak_mb": spark_jvm_peak_mb(),
            "master": session.sparkContext.master}


def _group_keys() -> list[tuple[str, ...]]:
    from observatory.indicators.catalogue import CountDef, load_catalogue
    from observatory.indicators.engine import group_key

    cat = load_catalogue()
    return [group_key(cat[c]) for c in cat if isinstance(cat[c], CountDef)]


def run_eligibility(url: str, out: Path, lake: Path | None = None,
                    routes: tuple[str, ...] = ELIGIBILITY_ROUTES) -> dict[str, Any]:
    """The high-tech enterprise pipeline over every enterprise, as the CLI runs it: in process
    (enterprises streamed from the registry and assessed as they load); on Spark from the
    registry (the same stream written to Parquet files, assessed in ``mapInPandas``); on
    Spark from the lake (the enterprises built on the workers); results compared with the
    in-process one."""
    from sqlalchemy.orm import Session

    from observatory.eligibility.inputs import iter_enterprises, load_designations
    from observatory.eligibility.lake import lake_pipeline
    from observatory.eligibility.packs import get_pack
    from observatory.eligibility.pipeline import run_pipeline
    from observatory.eligibility.spark import (
        read_enterprises_parquet,
        run_pipeline_spark,
        write_enterprise_files,
    )
    from observatory.spark import spark_session

    pack = get_pack("hte")
    engine = make_engine(url)
    with Session(engine) as session:
        designations = load_designations(session, pack.code)
        local_s, local = timed(lambda: run_pipeline(
            pack, iter_enterprises(session, ELIGIBILITY_AS_OF), designations,
            ELIGIBILITY_AS_OF))
    result: dict[str, Any] = {"assessed": local.assessed, "inprocess_s": local_s,
                              "holders_excluded": local.holders_excluded,
                              "peak_inprocess_mb": peak_mb()}
    start_s, spark = timed(spark_session)
    result["spark_session_s"] = start_s
    if "registry" in routes:
        files = out / "enterprises"
        with Session(engine) as session:
            write_s, written = timed(lambda: write_enterprise_files(
                iter_enterprises(session, ELIGIBILITY_AS_OF), files))
        frame = read_enterprises_parquet(spark, files)
        spark_s, run = timed(lambda: run_pipeline_spark(pack, frame, designations,
                                                        ELIGIBILITY_AS_OF))
        result.update({"enterprises": written, "write_s": write_s, "spark_s": spark_s,
                       "partitions": frame.rdd.getNumPartitions(),
                       "equal": same_pipeline(local, run.result)})
        run.release()
    if "lake" in routes and lake is not None:
        lake_s, run = timed(lambda: lake_pipeline(spark, lake, pack, ELIGIBILITY_AS_OF))
        result.update({"lake_s": lake_s, "lake_equal": same_pipeline(local, run.result),
                       "lake_enterprises": run.assessments.count()})
        run.release()
    result.update({"peak_driver_mb": peak_mb(), "jvm_peak_mb": spark_jvm_peak_mb()})
    return result


ELIGIBILITY_AS_OF = dt.date(2025, 6, 30)


def same_pipeline(a: Any, b: Any) -> bool:
    """Two PipelineResults equal field by field (tables compared cell by cell)."""
    for name in ("pack", "as_of", "assessed", "holders_excluded", "status_counts", "missing"):
        if getattr(a, name) != getattr(b, name):
            return False
    return all(getattr(a, n).reset_index(drop=True).equals(getattr(b, n).reset_index(drop=True))
               for n in ("near", "by_criterion", "renewals"))


def run_lake(url: str, lake: Path) -> dict[str, Any]:
    from observatory.registry.parquet import export_parquet

    seconds, written = timed(lambda: export_parquet(make_engine(url), lake))
    size = sum(f.stat().st_size for f in lake.rglob("*.parquet"))
    return {"export_s": seconds, "rows": sum(w.rows for w in written),
            "size_mb": size / 2**20, "peak_mb": peak_mb()}


# -- PostgreSQL from the lake ---------------------------------------------------------------

def load_postgres(lake: Path, admin_url: str, name: str) -> str:
    """A new database with the registry's schema and the tables the catalogue reads, copied
    from the lake (foreign-key triggers off during the copy: the lake is a consistent export).
    Returns its URL."""
    import io

    import psycopg
    import pyarrow.csv as pacsv
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from observatory.indicators.engine import used_columns
    from observatory.indicators.spark import table_path
    from observatory.registry import models as m
    from observatory.registry.parquet import read_back

    url = make_url(admin_url)
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    target = url.set(database=name).render_as_string(hide_password=False)
    m.Base.metadata.create_all(make_engine(target))
    wanted = sorted(set(used_columns()) | {"regions"})
    with psycopg.connect(url.set(database=name, drivername="postgresql").render_as_string(
            hide_password=False)) as conn:
        conn.execute("SET session_replication_role = replica")
        for table in wanted:
            path = table_path(lake, table)
            assert path is not None, table
            data = read_back(path)
            columns = [c.name for c in m.Base.metadata.tables[table].columns]
            data = data.select(columns)
            buffer = io.BytesIO()
            pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=False))
            cols = ", ".join(f'"{c}"' for c in columns)
            with conn.cursor().copy(f'COPY "{table}" ({cols}) FROM STDIN (FORMAT csv)') as copy:
                copy.write(buffer.getvalue())
        conn.execute("ANALYZE")
    return target


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "duckdb": run_duckdb, "postgres": run_postgres, "spark": run_spark,
    "eligibility": run_eligibility}


# -- the run ---------------------------------------------------------------------------------

def child(name: str, args: argparse.Namespace) -> None:
    out = Path(args.work)
    if name == "lake":
        result = run_lake(args.database_url, Path(args.lake))
    elif name == "postgres":
        result = run_postgres(args.postgres_url, out)
    elif name == "spark":
        result = run_spark(args.database_url, Path(args.lake), out)
    elif name == "eligibility":
        result = run_eligibility(args.database_url, out, Path(args.lake),
                                 tuple(args.eligibility_routes.split(",")))
    else:
        result = CHILDREN[name](args.database_url, out)
    (out / f"{name}.json").write_text(json.dumps(result, default=str))


def spawn(name: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", name, "--work", args.work,
               "--database-url", args.database_url, "--lake", args.lake,
               "--eligibility-routes", args.eligibility_routes]
    if args.postgres_url:
        command += ["--postgres-url", args.postgres_url]
    print(f"-- {name} (load average {os.getloadavg()[0]:.1f})", flush=True)
    started = time.perf_counter()
    subprocess.run(command, check=True)
    result: dict[str, Any] = json.loads((Path(args.work) / f"{name}.json").read_text())
    result["wall_s"] = time.perf_counter() - started
    print(f"   {json.dumps(result, default=str)}", flush=True)
    return result


def sizes(url: str) -> dict[str, int]:
    with make_engine(url).connect() as conn:
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in COUNTED}


def same_figures(a: Path, b: Path) -> tuple[int, int]:
    """(figures, how many differ) between two engines' whole-catalogue results."""
    left, right = keyed(pd.read_parquet(a)), keyed(pd.read_parquet(b))
    if not left.index.equals(right.index):
        return len(left), abs(len(left) - len(right)) or -1
    differ = ~np.isclose(left["value"].astype(float), right["value"].astype(float),
                         rtol=1e-12) | (left["n_records"] != right["n_records"])
    return len(left), int(differ.sum())


def report(result: dict[str, Any]) -> None:
    d, rows = result.get("duckdb"), result["sizes"]
    print(f"\nsizes: {', '.join(f'{t} {n:,}' for t, n in rows.items())}")
    if "lake" in result:
        lake = result["lake"]
        print(f"Parquet export: {lake['export_s']:.0f} s, {lake['rows']:,} rows, "
              f"{lake['size_mb']:,.0f} MB, peak {lake['peak_mb']:,.0f} MB")
    if d:
        print(f"engine, DuckDB : {d['engine_s']:8.2f} s (first call {d['engine_first_s']:.2f} s;"
              f" + {d['copy_s']:.0f} s one-off copy), {d['figures']:,} figures, peak "
              f"{d['peak_engine_mb']:,.0f} MB")
        print(f"five key indicators: engine {d['key_s']:.3f} s, hand-written DuckDB SQL "
              f"{d['hand_s']:.3f} s: engine/hand = {d['key_s'] / d['hand_s']:.2f}x (goal <= "
              f"1.5x); same figures: {d['hand_equal']}")
        print(f"pandas baseline: {d['pandas_s']:8.2f} s: pandas/engine = "
              f"{d['pandas_s'] / d['engine_s']:.1f}x (goal >= 5x); {d['pandas_compared']:,} "
              f"figures compared, {d['pandas_differ']} differ; peak with the frames "
              f"{d['peak_with_pandas_mb']:,.0f} MB")
    for name, label in (("postgres", "PostgreSQL"), ("spark", "Spark local[2]")):
        e = result.get(name)
        if not e:
            continue
        ratio = f", {e['engine_s'] / d['engine_s']:.2f}x DuckDB" if d else ""
        goal = " (goal <= 3x)" if name == "spark" else ""
        memory = (f"driver {e['driver_peak_mb']:,.0f} MB + JVM {e['jvm_peak_mb']:,.0f} MB"
                  if name == "spark" else f"client {e['peak_mb']:,.0f} MB, {e['server_note']}")
        print(f"engine, {label}: {e['engine_s']:8.2f} s (first call "
              f"{e['engine_first_s']:.2f} s){ratio}{goal}; peak {memory}; same figures as "
              f"DuckDB: {e.get('check')}")
    if "eligibility" in result:
        e = result["eligibility"]
        print(f"eligibility (hte, as of {ELIGIBILITY_AS_OF}): {e['assessed']:,} assessed "
              f"({e['holders_excluded']:,} holders left out); in process, streamed load + "
              f"assessment: {e['inprocess_s']:.1f} s, peak {e['peak_inprocess_mb']:,.0f} MB")
        if "spark_s" in e:
            total = e["write_s"] + e["spark_s"]
            print(f"  on Spark local[2] from the registry: {e['write_s']:.1f} s writing "
                  f"{e['enterprises']:,} enterprises to Parquet + {e['spark_s']:.1f} s "
                  f"assessing ({e['partitions']} partitions) = {total:.1f} s (in process / "
                  f"this = {e['inprocess_s'] / total:.2f}x); same result: {e['equal']}")
        if "lake_s" in e:
            print(f"  on Spark local[2] from the lake (enterprises built on the workers): "
                  f"{e['lake_s']:.1f} s for {e['lake_enterprises']:,} enterprises (in process "
                  f"/ this = {e['inprocess_s'] / e['lake_s']:.2f}x); same result: "
                  f"{e['lake_equal']}")
        print(f"  driver {e['peak_driver_mb']:,.0f} MB, JVM {e['jvm_peak_mb']:,.0f} MB")


def projection(small: dict[str, Any], large: dict[str, Any], nodes: int = 10,
               cores: int = 16) -> list[str]:
    """Time against data between two sizes, and the Spark run projected to a cluster.

    The Spark time is split, from the two sizes, into a part that does not grow with the data
    (query planning, task start-up, the driver's work: ``fixed``) and a part that does
    (``per_row``: scans, joins, aggregations over the partitions). The projection assumes the
    growing part spreads evenly over ``nodes`` x ``cores`` task slots as it does over the two
    here (the lake's partitions outnumber the slots), the data is read from storage local to the
    executors at this machine's speed, and the shuffles stay as small as here (partial
    aggregates per region and period); the fixed part does not shrink."""
    lines = []
    rows_s, rows_l = sum(small["sizes"].values()), sum(large["sizes"].values())
    lines.append(f"data: {rows_l / rows_s:.2f}x the rows ({rows_s:,} -> {rows_l:,})")
    for name in ("duckdb", "postgres", "spark"):
        if name in small and name in large:
            ts, tl = small[name]["engine_s"], large[name]["engine_s"]
            lines.append(f"{name}: {ts:.2f} s -> {tl:.2f} s = {tl / ts:.2f}x the time")
    if "spark" in small and "spark" in large:
        ts, tl = small["spark"]["engine_s"], large["spark"]["engine_s"]
        per_row = max(tl - ts, 0.0) / (rows_l - rows_s)
        fixed = max(ts - per_row * rows_s, 0.0)
        slots = nodes * cores
        here = 2
        projected = fixed + per_row * rows_l * here / slots
        parts = large["spark"]["partitions"]
        lines.append(f"spark split: fixed {fixed:.1f} s, growing {per_row * rows_l:.1f} s at "
                     f"the large size ({per_row * 1e6:.2f} s per million rows on {here} cores; "
                     f"input partitions {parts})")
        lines.append(f"projection to {nodes} nodes x {cores} cores: about {projected:.1f} s for "
                     f"this size, about {fixed + per_row * rows_l * 10 * here / slots:.1f} s "
                     f"for ten times the data")
    if "eligibility" in small and "eligibility" in large:
        es, el = small["eligibility"], large["eligibility"]
        n_s, n_l = es["assessed"] + es["holders_excluded"], el["assessed"] + el["holders_excluded"]
        lines.append(f"eligibility: {n_l / n_s:.2f}x the enterprises; in process "
                     f"{es['inprocess_s']:.0f} -> {el['inprocess_s']:.0f} s = "
                     f"{el['inprocess_s'] / es['inprocess_s']:.2f}x")
        key = "lake_s" if "lake_s" in es and "lake_s" in el else "spark_s"
        if key in es and key in el:
            route = "from the lake" if key == "lake_s" else "from the registry (assessment)"
            per = (el[key] - es[key]) / (n_l - n_s)
            fixed = max(es[key] - per * n_s, 0.0)
            lines.append(f"eligibility on Spark {route}: {es[key]:.0f} -> {el[key]:.0f} s; on "
                         f"{nodes} x {cores} cores about "
                         f"{fixed + per * n_l * 2 / (nodes * cores):.0f} s (fixed {fixed:.0f} s, "
                         f"{per * 1e3:.3f} ms per enterprise on 2 cores)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--lake", default="")
    parser.add_argument("--postgres-url", default="")
    parser.add_argument("--load-postgres", default="",
                        help="an admin URL: copy the lake into a new database there first")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--eligibility-routes", default=",".join(ELIGIBILITY_ROUTES),
                        help="registry, lake or both: the Spark runs besides the in-process one")
    parser.add_argument("--results", default="")
    parser.add_argument("--linearity", nargs=2, default=None)
    parser.add_argument("--child", default="")
    parser.add_argument("--work", default="")
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return
    if args.linearity:
        small, large = (json.loads(Path(p).read_text()) for p in args.linearity)
        print("\n".join(projection(small, large)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(args, Path(tmp))


def run(args: argparse.Namespace, tmp: Path) -> None:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {os.cpu_count()} cores, {memory:.0f} GiB; load average "
          f"{os.getloadavg()[0]:.1f} at the start", flush=True)
    if not args.database_url:
        engine = city_engine(None, args.scale, tmp)
        args.database_url = engine.url.render_as_string(hide_password=False)
    args.work = str(tmp)
    args.lake = args.lake or str(tmp / "lake")
    result: dict[str, Any] = {"sizes": sizes(args.database_url),
                              "database_url": args.database_url}
    if not Path(args.lake).exists():
        result["lake"] = spawn("lake", args)
    if args.load_postgres:
        seconds, args.postgres_url = timed(lambda: load_postgres(
            Path(args.lake), args.load_postgres, "observatory_national_bench"))
        print(f"-- PostgreSQL loaded from the lake in {seconds:.0f} s (not timed)", flush=True)
    for name in args.engines.split(","):
        if name == "postgres" and not args.postgres_url:
            continue
        result[name] = spawn(name, args)
        if name in ("postgres", "spark") and "duckdb" in result:
            figures, differ = same_figures(tmp / "duckdb.parquet", tmp / f"{name}.parquet")
            result[name]["check"] = f"{figures:,} figures, {differ} differ"
    result["load_end"] = os.getloadavg()[0]
    report(result)
    print(f"load average at the end: {result['load_end']:.1f}")
    if args.results:
        Path(args.results).write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
