"""Benchmark: the indicator engine over the whole catalogue, 7 years x the city and every district.

Prints, in one run (same data, same process):
1. the engine on DuckDB (tables copied once from SQLite; the copy timed separately),
2. the engine on SQLite, and on PostgreSQL when OBSERVATORY_TEST_POSTGRES_URL is set
   (the city is generated there too, not timed),
3. a straightforward pandas implementation of the same catalogue (per indicator, per year:
   boolean masks and groupby on frames already in memory) - the baseline,
4. hand-written DuckDB SQL for the five key indicators against the engine computing only those.
The pandas results are checked against the engine's before timing is reported.
Goals: engine on DuckDB >= 5x faster than pandas; within 1.5x of the hand-written SQL.
Machine: the team's 2-core box. Sizes: the example city, seed 42, --scale (default 2: about
54,000 organisations and 190,000 contracts); --scale 40 gives about a million organisations and
3.7 million contracts (generation alone then takes tens of minutes here).
Run: .venv/bin/python bench/indicators.py [--scale S] [--repeat N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from observatory.db import make_engine
from observatory.examples.generator import generate_city
from observatory.indicators.catalogue import CountDef, DerivedDef, ObservedDef, SumDef
from observatory.indicators.engine import Runner, compute_with, derive, load_catalogue
from observatory.indicators.entities import CLASSIFIED_FIELDS, RECORD_SETS
from observatory.registry.setup import init_database

CITY = "370200"
PERIODS = list(range(2019, 2026))
KEY = ["tech_enterprise_count", "society_rd_expenditure", "platforms_provincial_plus",
       "tech_contract_amount", "tech_broker_count"]


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


# -- pandas baseline -------------------------------------------------------------------------

def load_frames(runner: Runner) -> dict[str, pd.DataFrame]:
    """Every record set as a pandas frame (the baseline's starting point; not timed)."""
    cat = load_catalogue()
    frames = {}
    for name, rs in RECORD_SETS.items():
        df = runner.execute(rs.build())
        for field, (source, scheme) in CLASSIFIED_FIELDS.items():
            if source in df.columns and scheme in cat.classifications:
                df[field] = df[source].map(cat.classifications[scheme])
        for c in df.columns:
            if str(df[c].dtype) == "object" and c.endswith(("_on", "_from", "_to")):
                df[c] = pd.to_datetime(df[c])
        frames[name] = df
    return frames


def pandas_catalogue(frames: dict[str, pd.DataFrame], districts: list[str],
                     observations: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The catalogue with pandas: for each indicator and year, mask and group by district."""
    cat = load_catalogue()
    out: dict[str, pd.DataFrame] = {}
    periods = list(range(PERIODS[0] - 5, PERIODS[-1] + 1))
    for code in cat:
        ind = cat[code]
        if isinstance(ind, ObservedDef):
            o = observations[observations.indicator_code == (ind.observation_code or code)]
            out[code] = pd.DataFrame({"region": o.region_code, "period": o.period.astype(int),
                                      "value": o.value.astype(float), "n_records": 1})
            continue
        if isinstance(ind, DerivedDef):
            out[code] = derive(ind, out, [])
            continue
        df = frames[ind.records]
        mask = pd.Series(True, index=df.index)
        for name, value in ind.where.items():
            mask &= df[name].isin(value) if isinstance(value, list) else df[name] == value
        df = df[mask]
        region = df[ind.region_field or RECORD_SETS[ind.records].region]
        df = df[region.isin([CITY, *districts])]
        rows = []
        for year in periods:
            end = pd.Timestamp(year, 12, 31)
            t = ind.time
            if t.rule == "valid_at_end":
                stop = df[t.valid_to]
                still = stop >= end if t.to_inclusive else stop > end
                sel = df[(df[t.valid_from] <= end) & (stop.isna() | still)]
            elif t.rule == "up_to_end":
                col = df[t.field]
                sel = df[col <= (end if np.issubdtype(col.dtype, np.datetime64) else year)]
            else:
                col = df[t.field]
                sel = df[(col.dt.year if np.issubdtype(col.dtype, np.datetime64) else col)
                         == year]
            if sel.empty:
                continue
            key = sel[ind.region_field or RECORD_SETS[ind.records].region]
            groups = [(CITY, sel)] + [g for g in sel.groupby(key) if g[0] != CITY]
            for region_code, g in groups:
                if isinstance(ind, SumDef):
                    value = float(g[ind.measure].astype(float).sum())
                elif ind.distinct:
                    value = float(g[ind.distinct].nunique())
                else:
                    value = float(len(g))
                rows.append((region_code, year, value, len(g)))
        out[code] = pd.DataFrame(rows, columns=["region", "period", "value", "n_records"])
    return out


# -- hand-written SQL for the five key indicators ---------------------------------------------

HAND_SQL = """
WITH regs AS (SELECT * FROM (VALUES {closure}) AS t(ancestor, descendant)),
years AS (SELECT range AS period, make_date(range::INT, 12, 31) AS period_end
          FROM range(2019, 2026))
SELECT 'tech_enterprise_count' AS indicator, r.ancestor AS region, y.period,
       COUNT(DISTINCT d.organisation_id)::DOUBLE AS value
FROM designations d JOIN organisations o ON o.id = d.organisation_id
JOIN regs r ON r.descendant = o.region_code CROSS JOIN years y
WHERE d.type_code IN ('tech_sme', 'high_tech_enterprise') AND d.status = 'granted'
  AND d.valid_from <= y.period_end AND (d.valid_to IS NULL OR d.valid_to >= y.period_end)
GROUP BY 1, 2, 3
UNION ALL
SELECT 'society_rd_expenditure', r.ancestor, e.year, SUM(e.amount_yuan)::DOUBLE
FROM rd_expenditures e JOIN organisations o ON o.id = e.organisation_id
JOIN regs r ON r.descendant = o.region_code
WHERE e.year BETWEEN 2019 AND 2025 GROUP BY 1, 2, 3
UNION ALL
SELECT 'platforms_provincial_plus', r.ancestor, y.period, COUNT(*)::DOUBLE
FROM platforms p JOIN regs r ON r.descendant = p.region_code CROSS JOIN years y
WHERE p.type_code IN ('key_lab', 'engineering_centre', 'tech_innovation_centre',
                      'new_rd_institution') AND p.level IN ('provincial', 'national')
  AND p.established_on <= y.period_end AND (p.closed_on IS NULL OR p.closed_on > y.period_end)
GROUP BY 1, 2, 3
UNION ALL
SELECT 'tech_contract_amount', r.ancestor, year(c.registered_on),
       SUM(c.technology_amount_yuan)::DOUBLE
FROM technology_contracts c JOIN regs r ON r.descendant = c.seller_region_code
WHERE c.registered_on BETWEEN DATE '2019-01-01' AND DATE '2025-12-31' GROUP BY 1, 2, 3
UNION ALL
SELECT 'tech_broker_count', r.ancestor, y.period, COUNT(DISTINCT q.person_id)::DOUBLE
FROM broker_qualifications q JOIN regs r ON r.descendant = q.region_code CROSS JOIN years y
WHERE q.valid_from <= y.period_end AND (q.valid_to IS NULL OR q.valid_to >= y.period_end)
GROUP BY 1, 2, 3
"""


def hand_sql(runner: Runner, closure: pd.DataFrame) -> pd.DataFrame:
    values = ", ".join(f"('{a}', '{d}')" for a, d in closure.itertuples(index=False))
    return runner.con.con.execute(HAND_SQL.format(closure=values)).df()


# -- main ------------------------------------------------------------------------------------

def city_engine(url: str | None, scale: float, workdir: Path) -> Engine:
    if url:
        return make_engine(url)
    engine = make_engine(f"sqlite:///{workdir / 'city.db'}")
    init_database(engine)
    started = time.perf_counter()
    report = generate_city(engine, seed=42, scale=scale)
    print(f"generated the city at scale {scale}: {report.rows['organisations']:,} organisations,"
          f" {report.rows['technology_contracts']:,} contracts, "
          f"{report.rows['designations']:,} designations in "
          f"{time.perf_counter() - started:.0f} s (not timed)")
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    cat = load_catalogue()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start "
          f"(shared machines inflate wall times); catalogue: {len(cat)} indicators "
          f"({sum(isinstance(cat[c], CountDef) for c in cat)} counts/sums), "
          f"periods {PERIODS[0]}-{PERIODS[-1]}, region {CITY} and every district")
    with tempfile.TemporaryDirectory() as tmp:
        engine = city_engine(args.database_url, args.scale, Path(tmp))
        duck = Runner(engine, "duckdb")
        tables = {t for rs in RECORD_SETS.values() for t in rs.tables} | {"observations"}
        started = time.perf_counter()
        duck.prepare(tables)
        copy_s = time.perf_counter() - started

        def full(runner: Runner) -> Callable[[], pd.DataFrame]:
            return lambda: compute_with(runner, None, PERIODS, CITY, by=("region",))

        duck_s, duck_result = best(full(duck), args.repeat)
        native = Runner(engine)
        native_s, native_result = best(full(native), 1)
        districts = [d for d in duck.regions.descendants(CITY) if d != CITY]
        frames = load_frames(duck)
        observations = duck.con.con.execute("SELECT * FROM observations").df()
        pandas_s, pandas_result = best(
            lambda: pandas_catalogue(frames, districts, observations), 1)
        # Check the baseline computes the same figures.
        mine = duck_result.set_index(["indicator", "region", "period"])["value"]
        theirs = pd.concat([f.assign(indicator=c) for c, f in pandas_result.items()])
        theirs = theirs[theirs.period.isin(PERIODS) & theirs.region.isin([CITY, *districts])]
        theirs = theirs.set_index(["indicator", "region", "period"])["value"]
        joined = pd.concat([mine, theirs], axis=1, join="inner").astype(float).dropna()
        mismatch = int((~np.isclose(joined.iloc[:, 0], joined.iloc[:, 1], rtol=1e-9)).sum())
        print(f"check: {len(joined):,} figures compared with pandas, {mismatch} differ; "
              f"engine rows {len(mine):,}, pandas rows {len(theirs):,}")

        closure = duck.regions.closure([CITY, *districts])
        hand_s, hand_result = best(lambda: hand_sql(duck, closure), args.repeat)
        key_s, key_result = best(lambda: compute_with(duck, KEY, PERIODS, CITY,
                                                      by=("region",)), args.repeat)
        hand = hand_result.set_index(["indicator", "region", "period"])["value"].sort_index()
        key = key_result.set_index(["indicator", "region", "period"])["value"].sort_index()
        same = hand.index.equals(key.index) and np.allclose(hand.to_numpy(), key.to_numpy())
        print(f"check: hand-written SQL gives the engine's {len(key)} key figures: {same}")

        print(f"\nengine, DuckDB   : {duck_s:7.3f} s  (+ {copy_s:.2f} s one-off copy from "
              f"SQLite)  pandas/engine = {pandas_s / duck_s:5.1f}x  (goal >= 5x)")
        print(f"engine, SQLite   : {native_s:7.3f} s  pandas/engine = {pandas_s / native_s:5.1f}x")
        pg_url = os.environ.get("OBSERVATORY_TEST_POSTGRES_URL")
        if pg_url and not args.database_url:
            print(pg_bench(pg_url, args.scale, pandas_s))
        else:
            print("engine, PostgreSQL: skipped (set OBSERVATORY_TEST_POSTGRES_URL)")
        print(f"pandas baseline  : {pandas_s:7.3f} s  (frames already in memory)")
        print(f"five key indicators: engine on DuckDB {key_s:.3f} s, hand-written DuckDB SQL "
              f"{hand_s:.3f} s, engine/hand = {key_s / hand_s:4.2f}x  (goal <= 1.5x)")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        duck.close()
        native.close()


def pg_bench(admin_url: str, scale: float, pandas_s: float) -> str:
    """Generate the same city into a scratch PostgreSQL database and time the engine there."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_ind_{uuid.uuid4().hex[:8]}"
    url = make_url(admin_url)
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
        init_database(engine)
        generate_city(engine, seed=42, scale=scale)
        runner = Runner(engine)
        seconds, _ = best(lambda: compute_with(runner, None, PERIODS, CITY, by=("region",)), 1)
        runner.close()
        engine.dispose()
        return (f"engine, PostgreSQL: {seconds:7.3f} s  pandas/engine = "
                f"{pandas_s / seconds:5.1f}x")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
