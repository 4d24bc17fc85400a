"""Compile catalogue definitions to Ibis expressions and run them where the data lives.

Counts and sums over the same records and time rule compile to one SQL query per group
(compiled once per process, see :func:`group_sql`), run on SQLite or PostgreSQL (the registry's
own database) or on DuckDB. DuckDB cannot read the SQLite file here: its ``sqlite_scanner``
extension is downloaded on first use and nothing downloads at run time, so the DuckDB backend
copies the columns the record sets read into an in-memory DuckDB (through pandas/Arrow, decimals
and dates cast back to their types) once per :class:`Runner`. Derived indicators are computed
from their inputs' results (matched in Python, NumPy arithmetic); observed ones are read from
the observations table. Each indicator is computed only for the periods its users read.

Every query joins the records to a region-closure table (ancestor, descendant) built from the
``regions`` table, so one query returns each requested region with everything below it rolled
up: district > city > province > nation. Counts that add up over regions are counted per record
region before that join (docs/methodology/indicators.md, "Engine").
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from observatory.indicators.catalogue import (
    Catalogue,
    CountDef,
    DerivedDef,
    ObservedDef,
    SumDef,
    TimeRule,
    load_catalogue,
)
from observatory.indicators.entities import (
    BREAKDOWNS,
    CLASSIFIED_FIELDS,
    RECORD_SETS,
    RecordSet,
    classify,
    relation,
    table,
)
from observatory.indicators.periods import FULL_YEAR, Window
from observatory.indicators.spark import SparkLake

BACKENDS = ("sqlite", "postgres", "duckdb", "spark")
SPARK_CONCURRENT_QUERIES = 4
#: Backends that read copies of the registry rather than the database itself.
COPYING_BACKENDS = ("duckdb", "spark")


class IndicatorError(ValueError):
    """A request the engine cannot serve (unknown backend, region, breakdown...)."""


# -- regions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Regions:
    """The region hierarchy: parent of each code, and every code's ancestors (itself included)."""

    parent: dict[str, str | None]
    level: dict[str, str]

    def ancestors(self, code: str) -> list[str]:
        out = []
        current: str | None = code
        while current is not None:
            out.append(current)
            current = self.parent.get(current)
        return out

    def descendants(self, code: str) -> list[str]:
        """``code`` and every region below it, top-down."""
        return [c for c in self.parent if code in self.ancestors(c)]

    def closure(self, wanted: Iterable[str]) -> pd.DataFrame:
        """(ancestor, descendant) pairs for the wanted ancestors."""
        wanted = set(wanted)
        pairs = [(a, d) for d in self.parent for a in self.ancestors(d) if a in wanted]
        return pd.DataFrame(pairs, columns=["ancestor", "descendant"])


def read_regions(engine: Engine) -> Regions:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT code, parent_code, level FROM regions")).all()
    if not rows:
        raise IndicatorError("the regions table is empty: run `observatory init` first / "
                             "行政区划表为空，请先初始化数据库")
    return Regions({r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows})


# -- connections ---------------------------------------------------------------------------

@cache
def used_columns() -> dict[str, list[str]]:
    """Registry table -> columns any record set reads (what the DuckDB backend copies)."""
    used: dict[str, set[str]] = {}
    for rs in RECORD_SETS.values():
        for f in rs.build().op().find(ops.Field):
            rel = f.rel.parent if isinstance(f.rel, ops.JoinReference) else f.rel
            if isinstance(rel, ops.UnboundTable):
                used.setdefault(rel.name, set()).add(f.name)
    # Observations and their sources are read whole (drill-down joins them; both are small).
    for name in ("observations", "sources"):
        used.setdefault(name, set()).update(table(name).schema())
    order = {t: list(table(t).schema()) for t in used}
    return {t: [c for c in order[t] if c in cols] for t, cols in used.items()}


class Runner:
    """Runs compiled expressions for one database on one backend.

    ``backend`` None means the database's own engine (SQLite or PostgreSQL); ``duckdb`` copies
    the tables it needs into an in-memory DuckDB the first time they are used; ``spark``
    reads them from a Parquet lake (``lake``: a folder ``export --format parquet`` wrote) or,
    without one, from a Parquet copy of the tables it needs written to a temporary folder
    (see :mod:`observatory.indicators.spark`).
    """

    def __init__(self, engine: Engine, backend: str | None = None,
                 lake: Path | None = None) -> None:
        dialect = engine.dialect.name
        native = "postgres" if dialect == "postgresql" else dialect
        backend = backend or native
        if backend not in BACKENDS:
            raise IndicatorError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}"
                                 f" / 未知的计算后端 {backend!r}")
        if backend not in COPYING_BACKENDS and backend != native:
            raise IndicatorError(f"backend {backend} cannot run on a {dialect} database; use "
                                 f"{native}, duckdb or spark / "
                                 f"{dialect} 数据库只能用 {native}、duckdb 或 spark 计算")
        if lake is not None and backend != "spark":
            raise IndicatorError("a Parquet lake is read by the spark backend only / "
                                 "只有 spark 后端读取 Parquet 数据湖")
        self.engine = engine
        self.backend = backend
        self._con: Any = None
        self._copied: set[str] = set()
        self.regions = read_regions(engine)
        self.copy_seconds = 0.0
        self._context: tuple[Any, ...] | None = None
        self._lake = SparkLake(engine, lake) if backend == "spark" else None
        #: group queries in flight at once (Spark's scheduler runs concurrent jobs)
        self.concurrent_queries = SPARK_CONCURRENT_QUERIES if backend == "spark" else 1

    @property
    def con(self) -> Any:
        if self._con is None:
            url = self.engine.url
            if self.backend == "sqlite":
                self._con = ibis.sqlite.connect(url.database)
            elif self.backend == "postgres":
                import psycopg

                uri = url.set(drivername="postgresql").render_as_string(hide_password=False)
                self._con = ibis.postgres.from_connection(psycopg.connect(uri, autocommit=True))
            elif self.backend == "spark":
                assert self._lake is not None
                self._con = ibis.pyspark.connect(self._lake.session)
            else:
                self._con = ibis.duckdb.connect()
        return self._con

    def prepare(self, tables: Iterable[str]) -> None:
        """DuckDB: copy the registry tables (the columns the engine reads) once; Spark: make
        them views over their Parquet files."""
        if self.backend not in COPYING_BACKENDS:
            return
        import time

        todo = sorted(set(tables) - self._copied)
        if not todo:
            return
        started = time.perf_counter()
        columns = used_columns()
        if self._lake is not None:
            self._lake.register({name: columns.get(name, list(table(name).schema()))
                                 for name in todo})
            self._copied.update(todo)
            self.copy_seconds += time.perf_counter() - started
            return
        for name in todo:
            cols = columns.get(name, list(table(name).schema()))
            self._copy(name, cols)
            self._copied.add(name)
        self.copy_seconds += time.perf_counter() - started

    def _copy(self, name: str, cols: list[str]) -> None:
        schema = table(name).schema()
        select = ", ".join(
            f"CAST({c} AS REAL) AS {c}" if schema[c].is_decimal() and
            self.engine.dialect.name == "sqlite" else c for c in cols)
        with self.engine.connect() as conn:
            frame = pd.read_sql_query(text(f"SELECT {select} FROM {name}"), conn)
        casts = []
        for c in cols:
            dtype = schema[c]
            if dtype.is_decimal():
                casts.append(f"CAST({c} AS DECIMAL({dtype.precision}, {dtype.scale})) AS {c}")
            elif dtype.is_date():
                casts.append(f"CAST({c} AS DATE) AS {c}")
            elif dtype.is_integer():
                casts.append(f"CAST({c} AS BIGINT) AS {c}")
            elif dtype.is_string():
                casts.append(f"CAST({c} AS VARCHAR) AS {c}")
            elif dtype.is_boolean():
                casts.append(f"CAST({c} AS BOOLEAN) AS {c}")
            else:
                casts.append(c)
        raw = self.con.con  # the duckdb connection under Ibis
        raw.register("_incoming", frame)
        raw.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {', '.join(casts)} FROM _incoming")
        raw.unregister("_incoming")

    def execute(self, expr: ir.Expr) -> pd.DataFrame:
        return self.con.execute(expr)

    def set_context(self, closure: pd.DataFrame, periods: Sequence[int],
                    window: Window = FULL_YEAR) -> None:
        """(Re)create the temporary tables compiled queries read: region closure, period ends
        (the last day of each year's window: 31 December for whole years).

        Unchanged context is kept; SQLite and DuckDB tables are written directly (Ibis'
        memtables cost more than the queries on small requests)."""
        pairs = [(str(a), str(d)) for a, d in closure.itertuples(index=False, name=None)]
        key = (tuple(pairs), tuple(periods), window.key())
        ends = [window.end_date(p) for p in periods]
        if key == self._context:
            return
        if self.backend == "sqlite":
            raw = self.con.con
            for name, columns, rows in (
                    (CLOSURE, '"ancestor" TEXT, "descendant" TEXT', pairs),
                    (PERIOD_ENDS, '"period" INTEGER, "period_end" DATE',
                     [(p, e.isoformat()) for p, e in zip(periods, ends, strict=True)])):
                raw.execute(f'DROP TABLE IF EXISTS temp."{name}"')
                raw.execute(f'CREATE TEMP TABLE "{name}" ({columns})')
                raw.executemany(f'INSERT INTO temp."{name}" VALUES (?, ?)', rows)
            if raw.in_transaction:
                raw.commit()
        elif self._lake is not None:
            self._lake.context(CLOSURE, pairs, PERIOD_ENDS, list(zip(periods, ends, strict=True)))
        elif self.backend == "duckdb":
            raw = self.con.con
            frames = (
                (CLOSURE, pd.DataFrame(pairs, columns=["ancestor", "descendant"]),
                 "CAST(ancestor AS VARCHAR) AS ancestor, CAST(descendant AS VARCHAR) AS "
                 "descendant"),
                (PERIOD_ENDS, pd.DataFrame({"period": list(periods), "period_end": ends}),
                 "CAST(period AS BIGINT) AS period, CAST(period_end AS DATE) AS period_end"))
            for name, frame, select in frames:
                raw.register("_ind_context", frame)
                raw.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT {select} '
                            "FROM _ind_context")
                raw.unregister("_ind_context")
        else:
            years = pd.DataFrame({"period": list(periods), "period_end": ends})
            for name, frame, schema in ((CLOSURE, closure, CLOSURE_SCHEMA),
                                        (PERIOD_ENDS, years, PERIODS_SCHEMA)):
                self.con.create_table(name, ibis.memtable(frame, schema=schema), temp=True,
                                      overwrite=True)
        self._context = key

    def query(self, sql: str, exact_decimals: bool = False) -> pd.DataFrame:
        """Run compiled SQL text (cached per request shape) and return a DataFrame.

        ``exact_decimals``: DuckDB hands decimals over as Python Decimals (through Arrow, as
        Ibis does) instead of converting them to floats itself (Spark always does)."""
        if self._lake is not None:
            return self._lake.query(sql)
        if self.backend == "duckdb":
            if exact_decimals:
                table = self.con.con.sql(sql).to_arrow_table()
                return pd.DataFrame({name: col.to_pandas() for name, col
                                     in zip(table.column_names, table.columns, strict=True)})
            return self.con.con.execute(sql).df()
        cursor = self.con.raw_sql(sql)
        try:
            columns = [d[0] for d in cursor.description]
            return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
        finally:
            cursor.close()

    def close(self) -> None:
        # Ibis' PySpark backend stops the whole Spark session on disconnect: the session is
        # the process's, shared with other runners and the eligibility batch, so it stays.
        if self._con is not None and self._lake is None and hasattr(self._con, "disconnect"):
            self._con.disconnect()
        self._con = None
        self._copied.clear()
        self._context = None
        if self._lake is not None:
            self._lake.close()


# -- compiling -----------------------------------------------------------------------------

def _memtable(frame: pd.DataFrame, prefix: str, schema: dict[str, str]) -> ir.Table:
    del prefix  # Ibis names memtables itself
    return ibis.memtable(frame, schema=schema)


CLOSURE, PERIOD_ENDS = "ind_region_closure", "ind_period_ends"
CLOSURE_SCHEMA = {"ancestor": "string", "descendant": "string"}
PERIODS_SCHEMA = {"period": "int64", "period_end": "date"}


def periods_table(periods: Sequence[int], window: Window = FULL_YEAR) -> ir.Table:
    frame = pd.DataFrame({"period": list(periods),
                          "period_end": [window.end_date(p) for p in periods]})
    return _memtable(frame, "period_ends", {"period": "int64", "period_end": "date"})


def closure_table(closure: pd.DataFrame) -> ir.Table:
    return _memtable(closure, "region_closure", {"ancestor": "string", "descendant": "string"})


def _classify(rel: ir.Table, needed: Iterable[str], catalogue: Catalogue) -> ir.Table:
    for name in dict.fromkeys(needed):
        if name in CLASSIFIED_FIELDS and name not in rel.columns:
            rel = classify(rel, name, catalogue.classifications)
    return rel


def _time_filter(rule: TimeRule, rel: ir.Table, periods: Sequence[int],
                 years: ir.Table | None = None, window: Window = FULL_YEAR) -> ir.Table:
    """Attach ``period`` to every record that belongs to one of the periods (``years``: a
    table of period ends, default an in-memory one).

    Flows keep the records dated inside each year's window (the whole year by default);
    records dated by a year only (R&D spent in a year) have no part of a year, so a shorter
    window keeps none of them. Stocks join the period ends on the rule's own (range)
    predicates, so a record meets only the period ends it covers; DuckDB runs this as a range
    join."""
    first, last = min(periods), max(periods)
    if rule.rule == "in_year":
        col = rel[rule.field]
        if col.type().is_date():
            rel = rel.filter((col >= window.start_date(first)) & (col <= window.end_date(last)))
            if not window.full_year:
                (sm, sd), (em, ed) = window.start, window.end
                day = col.month() * 100 + col.day()
                rel = rel.filter(day.between(sm * 100 + sd, em * 100 + ed))
            rel = rel.mutate(period=col.year().cast("int64"))
        else:
            rel = rel.filter(col.between(first, last) & ibis.literal(window.full_year)
                             ).mutate(period=col.cast("int64"))
        if len(periods) != last - first + 1:
            rel = rel.filter(rel.period.isin(list(periods)))
        return rel
    years = periods_table(periods, window) if years is None else years
    end = years.period_end
    if rule.rule == "valid_at_end":
        start, stop = rel[rule.valid_from], rel[rule.valid_to]
        still = stop >= end if rule.to_inclusive else stop > end
        return rel.join(years, [start <= end, stop.isnull() | still])
    col = rel[rule.field]
    return rel.join(years, [col <= end if col.type().is_date() else col <= years.period])


def _period_bounds(rule: TimeRule, rel: ir.Table, periods: Sequence[int],
                   window: Window = FULL_YEAR) -> ir.Table:
    """Drop records that belong to none of the periods before anything is joined to them
    (the same test as :func:`_time_filter` against the first and last period ends)."""
    first, last = window.end_date(min(periods)), window.end_date(max(periods))
    if rule.rule == "valid_at_end":
        start, stop = rel[rule.valid_from], rel[rule.valid_to]
        still = stop >= first if rule.to_inclusive else stop > first
        return rel.filter((start <= last) & (stop.isnull() | still))
    if rule.rule == "up_to_end":
        col = rel[rule.field]
        return rel.filter(col <= last if col.type().is_date() else col <= last.year)
    return rel  # in_year: _time_filter bounds it already


def _where(ind: CountDef, rel: ir.Table) -> ir.BooleanValue | None:
    conds = [rel[name].isin(value) if isinstance(value, list) else rel[name] == value
             for name, value in ind.where.items()]
    return ibis.and_(*conds) if conds else None


def _base_records(ind: CountDef, catalogue: Catalogue, needed: Iterable[str] = ()
                  ) -> tuple[RecordSet, ir.Table]:
    rs = RECORD_SETS[ind.records]
    rel = _classify(relation(rs.name), [*ind.where, *needed], catalogue)
    cond = _where(ind, rel)
    return rs, rel if cond is None else rel.filter(cond)


def _distinct(ind: CountDef) -> str | None:
    """The field a count counts distinct values of (None: sums and plain counts)."""
    return None if isinstance(ind, SumDef) else ind.distinct


def group_key(ind: CountDef) -> tuple[str, str, str, str]:
    """Indicators with the same key share one scan: same records, time rule and region, and
    (for distinct counts) the same distinct field."""
    rs = RECORD_SETS[ind.records]
    return (ind.records, ind.time.model_dump_json(), ind.region_field or rs.region,
            _distinct(ind) or "")


#: Backends whose amounts are exact decimals: per-region sums add up to the same figure.
EXACT_SUM_BACKENDS = ("postgres", "duckdb", "spark")


def _exact(ind: CountDef, rel: ir.Table) -> bool:
    """Whether a sum's measure is an integer or decimal column (floats are not summed
    region by region: the last digits would depend on the order)."""
    dtype = rel.schema()[ind.measure] if isinstance(ind, SumDef) else None
    return dtype is None or dtype.is_integer() or dtype.is_decimal()


def _rolls_up(inds: Sequence[CountDef], exact_sums: bool = False) -> bool:
    """Whether the group can be counted per record region first and then added up over the
    region closure: counts (integers add up exactly) and, where ``exact_sums`` (the backend
    holds amounts as decimals: not SQLite, whose amounts are floating point), sums of
    integer or decimal measures; a distinct field must fix the region."""
    first = inds[0]
    rs = RECORD_SETS[first.records]
    if any(isinstance(ind, SumDef) for ind in inds):
        rel = relation(rs.name)
        if not exact_sums or not all(_exact(ind, rel) for ind in inds):
            return False
    distinct = _distinct(first)
    return distinct is None or ((first.region_field or rs.region) == rs.region
                                and distinct in rs.region_fixed_by)


def compile_group(inds: Sequence[CountDef], catalogue: Catalogue, periods: Sequence[int],
                  closure: ir.Table, by: Sequence[str] = (), years: ir.Table | None = None,
                  window: Window = FULL_YEAR, exact_sums: bool = False) -> ir.Table:
    """Counts and sums over the same records as one query: one scan, one aggregate per
    indicator restricted by its own filter (``value_<i>``, ``n_records_<i>``).

    Several distinct counts of the same field share one de-duplication: the records are
    first grouped by (region, period, breakdowns, distinct value) counting each indicator's
    matching records, then each indicator counts the groups where it matched. One grouping
    replaces a COUNT(DISTINCT) per indicator, and gives the same integers.

    Counts that add up over regions (see :func:`_rolls_up`; sums too where ``exact_sums``)
    are counted per record region and only those few rows are joined to the region closure
    and added up, instead of every record once per ancestor."""
    first = inds[0]
    rs = RECORD_SETS[first.records]
    dims = {d: rs.dims[d] for d in by if d in rs.dims}
    needed = [*dims.values(), *(n for ind in inds for n in ind.where)]
    rel = _classify(relation(rs.name), needed, catalogue)
    conds = [_where(ind, rel) for ind in inds]
    if all(c is not None for c in conds):
        rel = rel.filter(ibis.or_(*conds))
    rel = _period_bounds(first.time, rel, periods, window)
    region_field = first.region_field or rs.region
    rolls_up = _rolls_up(inds, exact_sums)
    if not rolls_up:
        rel = rel.join(closure, rel[region_field] == closure.descendant)
    if years is not None:
        years = years.filter(years.period.isin(list(periods))
                             if len(periods) != max(periods) - min(periods) + 1
                             else years.period.between(min(periods), max(periods)))
    rel = _time_filter(first.time, rel, periods, years, window)
    keys = {"region": rel[region_field] if rolls_up else rel.ancestor, "period": rel.period}
    for d in by:
        keys[d] = rel[dims[d]].cast("string") if d in dims else ibis.null("string")
    distinct = _distinct(first)
    if distinct is not None and len(inds) > 1:
        matched = {f"m_{i}": rel.count(where=_where(ind, rel)) for i, ind in enumerate(inds)}
        per_value = rel.group_by(**keys, _value=rel[distinct]).aggregate(**matched)
        aggs = {}
        for i in range(len(inds)):
            m = per_value[f"m_{i}"]
            aggs[f"value_{i}"] = per_value["_value"].count(where=m > 0)
            aggs[f"n_records_{i}"] = m.sum().cast("int64")
        counted = per_value.group_by(list(keys)).aggregate(**aggs)
    else:
        aggs = {}
        for i, ind in enumerate(inds):
            # One indicator: its condition is the scan's filter already, and an aggregate
            # without FILTER runs faster (DuckDB's DISTINCT with FILTER especially).
            cond = None if len(inds) == 1 else _where(ind, rel)
            if isinstance(ind, SumDef):
                aggs[f"value_{i}"] = rel[ind.measure].sum(where=cond)
            elif ind.distinct:
                aggs[f"value_{i}"] = rel[ind.distinct].nunique(where=cond)
            else:
                aggs[f"value_{i}"] = rel.count(where=cond)
            aggs[f"n_records_{i}"] = rel.count(where=cond)
        counted = rel.group_by(**keys).aggregate(**aggs)
    if not rolls_up:
        return counted
    up = counted.join(closure, counted.region == closure.descendant)
    sums = {f"value_{i}" for i, ind in enumerate(inds) if isinstance(ind, SumDef)}
    totals = {c: up[c].sum() if c in sums else up[c].sum().cast("int64") for c in aggs}
    return up.group_by(region=up.ancestor, **{k: up[k] for k in keys if k != "region"}
                       ).aggregate(**totals)


def compile_indicator(ind: CountDef, catalogue: Catalogue, periods: Sequence[int],
                      closure: ir.Table, by: Sequence[str] = (), exact_sums: bool = False
                      ) -> ir.Table:
    """A count or sum as one expression: region, period, breakdowns, value, n_records."""
    expr = compile_group([ind], catalogue, periods, closure, by, exact_sums=exact_sums)
    return expr.rename(value="value_0", n_records="n_records_0")


_SQL_CACHE: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_SQL_CACHE_SIZE = 512
_SQL_LOCK = threading.Lock()


def group_sql(backend: str, inds: Sequence[CountDef], catalogue: Catalogue,
              periods: Sequence[int], by: Sequence[str], window: Window = FULL_YEAR) -> str:
    """The SQL of one group, compiled once per process (least recently used of 512 dropped).

    It reads the runner's context tables, so it depends only on the definitions (with the
    classifications they use), the periods and the breakdowns, which make up the key:
    every request of the same shape, from any Runner, reuses it."""
    key = (backend, tuple(i.model_dump_json() for i in inds),
           json.dumps(catalogue.classifications, sort_keys=True), tuple(periods), tuple(by),
           window.key())
    with _SQL_LOCK:
        sql = _SQL_CACHE.get(key)
        if sql is not None:
            _SQL_CACHE.move_to_end(key)
            return sql
    closure = ibis.table(CLOSURE_SCHEMA, name=CLOSURE)
    years = ibis.table(PERIODS_SCHEMA, name=PERIOD_ENDS)
    expr = compile_group(inds, catalogue, periods, closure, by, years, window,
                         exact_sums=backend in EXACT_SUM_BACKENDS)
    sql = str(ibis.to_sql(expr, dialect=DIALECTS[backend]))
    with _SQL_LOCK:
        _SQL_CACHE[key] = sql
        while len(_SQL_CACHE) > _SQL_CACHE_SIZE:
            _SQL_CACHE.popitem(last=False)
    return sql


def run_group(runner: Runner, inds: Sequence[CountDef], catalogue: Catalogue,
              periods: Sequence[int], by: Sequence[str], window: Window = FULL_YEAR
              ) -> dict[str, pd.DataFrame]:
    """Run one group; a region/period with no contributing records gets no row."""
    frame = runner.query(group_sql(runner.backend, inds, catalogue, periods, by, window))
    keys = ["region", "period", *by]
    out = {}
    key_columns = {k: (frame[k].astype(int) if k == "period" else frame[k]).array for k in keys}
    for i, ind in enumerate(inds):
        counts = frame[f"n_records_{i}"]
        rows = np.flatnonzero((counts > 0).to_numpy(dtype=bool))
        part = {k: column.take(rows) for k, column in key_columns.items()}
        part["value"] = frame[f"value_{i}"].astype(float).to_numpy()[rows]
        part["n_records"] = counts.astype(int).to_numpy()[rows]
        out[ind.code] = pd.DataFrame(part)
    return out


def records_expr(ind: CountDef, catalogue: Catalogue, region: str, period: int,
                 regions: Regions, window: Window = FULL_YEAR) -> ir.Table:
    """The records behind one figure (one region, one period), with the period attached."""
    rs, rel = _base_records(ind, catalogue, RECORD_SETS[ind.records].dims.values())
    closure = closure_table(regions.closure([region]))
    region_field = ind.region_field or rs.region
    rel = rel.join(closure, rel[region_field] == closure.descendant)
    rel = _time_filter(ind.time, rel, [period], window=window)
    keep = [c for c in rel.columns if c not in ("ancestor", "descendant", "period_end")]
    return rel.select(keep).order_by(rs.key)


def method_of(ind: Any) -> str:
    if isinstance(ind, DerivedDef):
        return f"derived:{ind.op}"
    if isinstance(ind, ObservedDef):
        return f"observed:{ind.source}"
    what = ind.kind + (f" distinct {ind.distinct}" if getattr(ind, "distinct", None) else "")
    return f"{what}:{ind.records}:{ind.time.rule}"


# -- computing -----------------------------------------------------------------------------

@dataclass
class Request:
    codes: list[str]
    periods: list[int]
    regions: list[str]
    by: list[str]
    catalogue: Catalogue
    extra_regions: set[str] = field(default_factory=set)


def _observed(runner: Runner, inds: Sequence[ObservedDef], periods: Sequence[int],
              regions: Sequence[str], by: Sequence[str], window: Window = FULL_YEAR
              ) -> dict[str, pd.DataFrame]:
    """Published statistics of several indicators in one query (no roll-up: as published);
    a shorter window reads the observations labelled with it (``2026-Q3``)."""
    runner.prepare(["observations"])
    wanted = {ind.observation_code or ind.code: ind.code for ind in inds}
    labels = {window.label(p): p for p in periods}
    key = ("observed", runner.backend, tuple(wanted), tuple(regions), tuple(labels))
    with _SQL_LOCK:
        sql = _SQL_CACHE.get(key)
    if sql is None:
        o = table("observations")
        expr = o.filter(o.indicator_code.isin(list(wanted)) & o.region_code.isin(list(regions))
                        & o.period.isin(list(labels)))
        expr = expr.select(code=o.indicator_code, region=o.region_code, period=o.period,
                           value=o.value)
        sql = str(ibis.to_sql(expr, dialect=DIALECTS[runner.backend]))
        with _SQL_LOCK:
            _SQL_CACHE[key] = sql
            while len(_SQL_CACHE) > _SQL_CACHE_SIZE:
                _SQL_CACHE.popitem(last=False)
    frame = runner.query(sql, exact_decimals=True)
    out = {}
    for obs_code, code in wanted.items():
        part = frame[frame["code"] == obs_code]
        f = pd.DataFrame({"region": part["region"].astype(str),
                          "period": part["period"].map(labels).astype(int),
                          "value": part["value"].astype(float), "n_records": 1})
        for d in by:
            f[d] = None
        out[code] = f.reset_index(drop=True)
    return out


def _key_tuples(frame: pd.DataFrame, on: Sequence[str], lag: int = 0) -> list[tuple[Any, ...]]:
    """Row keys for matching (period moved forward by ``lag``; any missing value as None, as
    pandas' merge matches missing with missing)."""
    cols: list[list[Any]] = []
    for k in on:
        if k == "period":
            cols.append((frame[k].to_numpy(dtype="int64") + lag).tolist())
        else:
            values = frame[k].to_numpy(dtype=object)
            none = np.array(None, dtype=object)  # numpy's stubs take no bare None here
            cols.append(np.where(pd.isna(values), none, values).tolist())
    return list(zip(*cols, strict=True))


def _match(ind: DerivedDef, frames: dict[str, pd.DataFrame], keys: list[str]
           ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Inner join of a derived indicator's inputs on their keys (an input's period moved by
    its lag; a pinned input matched on everything but the region): positions in the first
    input's frame and, per input, the positions of the matching rows, in the order successive
    pandas inner merges give."""
    first = ind.inputs[0]
    if first.region is not None:
        raise IndicatorError(f"{ind.code}: the first input cannot be pinned to a region")
    left = frames[first.code]
    lookups: list[tuple[list[int], dict[tuple[Any, ...], list[int]]]] = []
    for inp in ind.inputs[1:]:
        f = frames[inp.code]
        on = keys
        rows = list(range(len(f)))
        if inp.region is not None:
            on = [k for k in keys if k != "region"]
            rows = np.flatnonzero((f["region"] == inp.region).to_numpy(dtype=bool)).tolist()
            f = f.iloc[rows]
        lookup: dict[tuple[Any, ...], list[int]] = {}
        for row, key in zip(rows, _key_tuples(f, on, inp.lag), strict=True):
            lookup.setdefault(key, []).append(row)
        positions = [keys.index(k) for k in on]
        lookups.append(([*positions], lookup))
    taken: list[list[int]] = [[] for _ in ind.inputs]
    for row, key in enumerate(_key_tuples(left, keys, first.lag)):
        combos: list[list[int]] = [[row]]
        for positions, lookup in lookups:
            found = lookup.get(tuple(key[i] for i in positions))
            if not found:
                combos = []
                break
            combos = [[*c, r] for c in combos for r in found]
        for combo in combos:
            for n, r in enumerate(combo):
                taken[n].append(r)
    arrays = [np.asarray(t, dtype=np.intp) for t in taken]
    return arrays[0], arrays


def derive(ind: DerivedDef, frames: dict[str, pd.DataFrame], by: Sequence[str]
            ) -> pd.DataFrame:
    """A derived indicator from its inputs' frames. The inputs are matched in plain Python
    (frames are small; pandas' merge costs more in fixed overhead than in work) and the
    arithmetic is the same NumPy arithmetic on the same values."""
    keys = ["region", "period", *by]
    rows, taken = _match(ind, frames, keys)
    v = [frames[inp.code]["value"].to_numpy(dtype=float)[t] for inp, t in zip(ind.inputs, taken,
                                                                              strict=True)]
    counts = [frames[inp.code]["n_records"].to_numpy()[t]
              for inp, t in zip(ind.inputs, taken, strict=True)]
    first = frames[ind.inputs[0].code]
    out = {k: first[k].array.take(rows) for k in keys}
    out["period"] = first["period"].to_numpy()[rows] + ind.inputs[0].lag
    with np.errstate(divide="ignore", invalid="ignore"):
        if ind.op in ("ratio", "per_capita", "per_gdp"):
            value = v[0] / v[1] * ind.scale
        elif ind.op == "share":
            value = 100 * v[0] / v[1]
        elif ind.op == "difference":
            value = v[0] - v[1]
        elif ind.op == "sum":
            value = sum(v[1:], v[0])
        else:  # yoy_growth, cagr: against the first input ``span`` years earlier
            span = 1 if ind.op == "yoy_growth" else int(ind.years or 1)
            return _growth(ind, out, v[0], counts[0], first, keys, span)
    out["value"] = value
    out["n_records"] = sum(counts[1:], counts[0])
    return pd.DataFrame(out)[np.isfinite(value)]


def _growth(ind: DerivedDef, current: dict[str, Any], v0: np.ndarray, n: np.ndarray,
            prev: pd.DataFrame, keys: list[str], span: int) -> pd.DataFrame:
    """Growth of the first input over ``span`` years: the current rows matched with the same
    input's rows ``span`` years earlier."""
    lookup: dict[tuple[Any, ...], list[int]] = {}
    for row, key in enumerate(_key_tuples(prev, keys, span + ind.inputs[0].lag)):
        lookup.setdefault(key, []).append(row)
    rows: list[int] = []
    base_rows: list[int] = []
    for row, key in enumerate(_key_tuples(pd.DataFrame(current), keys)):
        for b in lookup.get(key, ()):
            rows.append(row)
            base_rows.append(b)
    r, br = np.asarray(rows, dtype=np.intp), np.asarray(base_rows, dtype=np.intp)
    base = prev["value"].to_numpy(dtype=float)[br]
    out = {k: column[r] for k, column in current.items()}
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = v0[r] / base
        out["value"] = value = 100 * (ratio ** (1 / span) - 1)
    out["n_records"] = n[r] + prev["n_records"].to_numpy()[br]
    return pd.DataFrame(out)[np.isfinite(value)]


def _resolve_regions(runner: Runner, region: str | Sequence[str], by: Sequence[str]
                     ) -> list[str]:
    wanted = [region] if isinstance(region, str) else list(region)
    for r in wanted:
        if r not in runner.regions.parent:
            raise IndicatorError(f"unknown region {r!r} (GB/T 2260 code expected) / "
                                 f"未知的行政区划代码 {r!r}")
    if "region" in by:
        expanded: list[str] = []
        for r in wanted:
            expanded += [d for d in runner.regions.descendants(r) if d not in expanded]
        return expanded
    return wanted


def needed_periods(cat: Catalogue, needed: Sequence[str], codes: Sequence[str],
                   periods: Sequence[int]) -> dict[str, set[int]]:
    """The periods each indicator in ``needed`` (inputs before users) must be computed for:
    the requested ones for the requested codes, and for an input what its users read (the
    period minus the input's lag; for growth also the base period). Computing no more than
    that leaves every figure unchanged: each period's figure depends on its own records."""
    need: dict[str, set[int]] = {c: set() for c in needed}
    for c in codes:
        need[c].update(periods)
    for code in reversed(needed):  # users before their inputs
        ind = cat[code]
        if not isinstance(ind, DerivedDef):
            continue
        for inp in ind.inputs:
            need[inp.code].update(p - inp.lag for p in need[code])
        if ind.op in ("yoy_growth", "cagr"):
            span = 1 if ind.op == "yoy_growth" else int(ind.years or 1)
            first = ind.inputs[0]
            need[first.code].update(p - span - first.lag for p in need[code])
    return need


def pinned_at(cat: Catalogue, needed: Sequence[str]) -> set[str]:
    """Regions some count or sum is read at because a derived input is pinned there."""
    out: set[str] = set()
    for code in needed:
        ind = cat[code]
        if isinstance(ind, DerivedDef):
            for inp in ind.inputs:
                if inp.region and any(isinstance(cat[d], CountDef)
                                      for d in cat.dependencies(inp.code)):
                    out.add(inp.region)
    return out


def _run_groups(runner: Runner, groups: list[list[CountDef]], need: dict[str, set[int]],
                cat: Catalogue, dims: list[str], window: Window) -> dict[str, pd.DataFrame]:
    """Every group's query; on Spark several at once (Spark runs concurrent jobs), so that
    one query's planning and task start-up overlap another's work. Results are the same
    whatever the order they finish in."""
    def one_group(members: list[CountDef]) -> dict[str, pd.DataFrame]:
        wanted = sorted({p for ind in members for p in need[ind.code]})
        return run_group(runner, members, cat, list(range(wanted[0], wanted[-1] + 1)), dims,
                         window)

    frames: dict[str, pd.DataFrame] = {}
    if runner.concurrent_queries > 1 and len(groups) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(runner.concurrent_queries) as pool:
            for found in pool.map(one_group, groups):
                frames.update(found)
    else:
        for members in groups:
            frames.update(one_group(members))
    return frames


def compute_with(runner: Runner, codes: Sequence[str] | None, periods: Iterable[int],
                 region: str | Sequence[str], by: Sequence[str] = (),
                 catalogue: Catalogue | None = None, window: Window = FULL_YEAR
                 ) -> pd.DataFrame:
    """:func:`compute` on an existing Runner (reuse it to keep DuckDB's copy between calls)."""
    cat = catalogue or load_catalogue()
    codes = list(cat) if codes is None else list(codes)
    for c in codes:
        cat[c]  # raises a clear KeyError for unknown codes
    dims = [d for d in by if d != "region"]
    for d in dims:
        if d not in BREAKDOWNS:
            raise IndicatorError(f"unknown breakdown {d!r}; use region or one of "
                                 f"{', '.join(BREAKDOWNS)} / 未知的分组维度 {d!r}")
    periods = sorted(set(periods))
    if not periods:
        raise IndicatorError("no periods requested / 未指定统计期")
    regions = _resolve_regions(runner, region, by)
    needed: list[str] = []
    for c in codes:
        for d in cat.dependencies(c):
            if d not in needed:
                needed.append(d)
    need = needed_periods(cat, needed, codes, periods)
    defs = [cat[c] for c in needed]
    pinned = {i.region for ind in defs if isinstance(ind, DerivedDef)
              for i in ind.inputs if i.region}
    all_regions = regions + sorted(pinned - set(regions))
    base = [ind for ind in defs if isinstance(ind, CountDef)]
    runner.prepare({t for ind in base for t in RECORD_SETS[ind.records].tables})
    frames: dict[str, pd.DataFrame] = {}
    groups: dict[tuple[str, ...], list[CountDef]] = {}
    for count in base:
        groups.setdefault(group_key(count), []).append(count)
    if base:
        # Pinned regions (a national total as a denominator) join the closure only when a
        # count or sum is read at one; otherwise every record would be rolled up twice.
        counted = regions + sorted(r for r in pinned_at(cat, needed) if r not in regions)
        context = sorted({p for ind in base for p in need[ind.code]})
        runner.set_context(runner.regions.closure(counted),
                           list(range(context[0], context[-1] + 1)), window)
    frames.update(_run_groups(runner, list(groups.values()), need, cat, dims, window))
    observed = [ind for ind in defs if isinstance(ind, ObservedDef)]
    if observed:
        wanted = sorted({p for ind in observed for p in need[ind.code]})
        frames.update(_observed(runner, observed, list(range(wanted[0], wanted[-1] + 1)),
                                all_regions, dims, window))
    for code in needed:
        ind = cat[code]
        if isinstance(ind, DerivedDef):
            frame = derive(ind, frames, dims)
            frame["period"] = frame["period"].astype(int)
            frames[code] = frame
    columns = ["indicator", "region", "period", *dims, "value", "unit", "n_records", "method"]
    if not codes:
        return pd.DataFrame(columns=columns)
    # One concatenation, one filter, one sort for every requested indicator.
    parts = [frames[code] for code in codes]
    sizes = [len(p) for p in parts]
    out = pd.concat(parts, ignore_index=True)
    order = {c: i for i, c in enumerate(codes)}
    out["indicator"] = np.repeat(np.array(codes, dtype=object), sizes)
    out["unit"] = np.repeat(np.array([cat[c].unit for c in codes], dtype=object), sizes)
    out["method"] = np.repeat(np.array([method_of(cat[c]) for c in codes], dtype=object), sizes)
    out["_o"] = np.repeat(np.array([order[c] for c in codes], dtype="int64"), sizes)
    out = out[(out["region"].isin(regions) & out["period"].isin(periods)).to_numpy(dtype=bool)]
    out = out.reindex(columns=[*columns, "_o"])
    out = out.sort_values(["_o", "region", "period", *dims], na_position="first")
    return out.drop(columns="_o").reset_index(drop=True)


def compute(engine: Engine, codes: Sequence[str] | None, periods: Iterable[int],
            region: str | Sequence[str], by: Sequence[str] = (), backend: str | None = None,
            catalogue: Catalogue | None = None, window: Window = FULL_YEAR,
            lake: Path | None = None) -> pd.DataFrame:
    """Compute indicators as a tidy table (see the package docstring).

    ``codes`` None means the whole catalogue; the periods and regions are always the caller's
    (the deployment settings' years and home region, usually), never a built-in city's.
    ``window`` narrows every year to a quarter, month or year-to-date (:mod:`.periods`); the
    ``period`` column stays the year. ``lake``: the Parquet folder the spark backend reads.
    """
    runner = Runner(engine, backend, lake)
    try:
        return compute_with(runner, codes, periods, region, by, catalogue, window)
    finally:
        runner.close()


def series(engine: Engine, code: str, region: str, periods: Iterable[int],
           backend: str | None = None) -> pd.Series:
    """One indicator for one region as a Series indexed by year (missing years absent)."""
    frame = compute(engine, [code], periods, region, backend=backend)
    return pd.Series(frame["value"].to_numpy(), index=frame["period"].to_numpy(), name=code)


def records(engine: Engine, code: str, region: str, period: int, backend: str | None = None,
            catalogue: Catalogue | None = None, window: Window = FULL_YEAR) -> pd.DataFrame:
    """The records behind one figure: for a derived indicator those of each input (column
    ``input``), for an observed one the observation with its source."""
    cat = catalogue or load_catalogue()
    ind = cat[code]
    runner = Runner(engine, backend)
    try:
        if region not in runner.regions.parent:
            raise IndicatorError(f"unknown region {region!r} / 未知的行政区划代码 {region!r}")
        if isinstance(ind, CountDef):
            runner.prepare(RECORD_SETS[ind.records].tables)
            return runner.execute(records_expr(ind, cat, region, int(period), runner.regions,
                                               window))
        if isinstance(ind, ObservedDef):
            runner.prepare(["observations", "sources"])
            o, s = table("observations"), table("sources")
            j = o.left_join(s, o.source_id == s.id)
            expr = j.filter((o.indicator_code == (ind.observation_code or code))
                            & (o.region_code == region)
                            & (o.period == window.label(int(period))))
            return runner.execute(expr.select(
                "id", "indicator_code", "region_code", "period", "value", "unit", "note",
                source=s.code, source_ref=o.source_ref))
    finally:
        runner.close()
    parts = []
    for inp in ind.inputs:
        sub = records(engine, inp.code, inp.region or region, int(period) - inp.lag, backend,
                      cat, window)
        sub.insert(0, "input", inp.code)
        parts.append(sub)
    return pd.concat(parts, ignore_index=True)


DIALECTS = {"sqlite": "sqlite", "postgres": "postgres", "duckdb": "duckdb", "spark": "pyspark"}


def compiled_sql(code: str, periods: Sequence[int], backend: str = "sqlite",
                 catalogue: Catalogue | None = None) -> str:
    """The SQL a count or sum compiles to for the periods (the regions' closure a table)."""
    cat = catalogue or load_catalogue()
    ind = cat[code]
    if not isinstance(ind, CountDef):
        raise IndicatorError(f"{code} is {ind.kind}: it does not compile to SQL on its own")
    closure = ibis.table({"ancestor": "string", "descendant": "string"}, name="region_closure")
    expr = compile_indicator(ind, cat, list(periods), closure,
                             exact_sums=backend in EXACT_SUM_BACKENDS)
    return ibis.to_sql(expr, dialect=DIALECTS[backend])


def explain(code: str, periods: Sequence[int], backend: str = "sqlite",
            catalogue: Catalogue | None = None) -> str:
    """The definition of ``code`` in words and YAML, and the SQL it compiles to for the
    periods."""
    import yaml

    cat = catalogue or load_catalogue()
    ind = cat[code]
    data = ind.model_dump(mode="json", by_alias=True, exclude_none=True)
    lines = [f"{ind.code}: {ind.name_en} / {ind.name_zh} [{ind.unit}]",
             f"  {ind.definition_en}"]
    if ind.methodology:
        lines.append(f"  {ind.methodology}")
    lines += ["", "definition:", yaml.safe_dump(data, allow_unicode=True, sort_keys=False)]
    if isinstance(ind, CountDef):
        lines += [f"SQL ({backend}; region_closure = (ancestor, descendant) pairs of the "
                  f"requested regions, period_ends = one row per year):",
                  compiled_sql(code, periods, backend, catalogue=cat)]
    elif isinstance(ind, DerivedDef):
        lines.append("inputs: " + ", ".join(
            i.code + (f" (lag {i.lag})" if i.lag else "") + (f" (region {i.region})"
                                                           if i.region else "")
            for i in ind.inputs))
        for i in ind.inputs:
            if isinstance(cat[i.code], CountDef):
                lines += ["", f"SQL of input {i.code} ({backend}):",
                          compiled_sql(i.code, periods, backend, catalogue=cat)]
    else:
        o = table("observations")
        expr = o.filter(o.indicator_code == (ind.observation_code or code))
        lines += [f"SQL ({backend}):", str(ibis.to_sql(expr, dialect=DIALECTS[backend]))]
    return "\n".join(lines)
