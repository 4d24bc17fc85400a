"""The registry as Spark views over Parquet, for the indicator engine's ``spark`` backend.

Why Parquet and not JDBC: Spark reads a Parquet lake in parallel, partition by partition, on
every executor, and the files are what a ministry's data lake holds already
(``observatory export --format parquet``). JDBC would need a driver JAR on every executor,
which nothing here downloads (docs/decisions.md). Without a lake, the tables a request needs
are first written from the database to a temporary folder with the same exporter, so the
numbers come from exactly the rows a lake would hold.

The engine's compiled SQL runs unchanged (Ibis compiles it for Spark SQL); each registry
table becomes a temporary view of the columns the engine reads, named as in the database.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine

from observatory.registry.parquet import export_parquet, table_path
from observatory.spark import job_failure, read_lake_table, spark_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def sql_string(value: str) -> str:
    """A Spark SQL string literal (quotes and backslashes escaped).

    >>> sql_string("O'Brien")
    "'O\\\\'Brien'"
    """
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class SparkLake:
    """Registry tables as temporary views of one Spark session (see the module doc)."""

    def __init__(self, engine: Engine, folder: Path | None = None,
                 master: str | None = None) -> None:
        self.engine = engine
        self.folder = folder
        self.master = master
        self._session: SparkSession | None = None
        self._temporary: Path | None = None
        self._views: set[str] = set()

    @property
    def session(self) -> SparkSession:
        if self._session is None:
            self._session = spark_session(self.master)
        return self._session

    def _source(self, names: Sequence[str]) -> Path:
        """The lake folder (``read_lake_table`` says if it is missing); without one, a
        temporary export of the tables not yet in it."""
        if self.folder is not None:
            return self.folder
        if self._temporary is None:
            self._temporary = Path(tempfile.mkdtemp(prefix="observatory-lake-"))
        missing = [n for n in names if table_path(self._temporary, n) is None]
        if missing:
            export_parquet(self.engine, self._temporary, missing)
        return self._temporary

    def register(self, tables: dict[str, list[str]]) -> None:
        """Make each table (only the listed columns) a view named after it."""
        folder = self._source(list(tables))
        for name, columns in tables.items():
            read_lake_table(self.session, folder, name, columns).createOrReplaceTempView(name)
            self._views.add(name)

    def context(self, closure: str, pairs: Sequence[tuple[str, str]], period_ends: str,
                ends: Sequence[tuple[int, dt.date]]) -> None:
        """The region closure and the period ends as small views.

        They are written as SQL ``VALUES`` (a local relation the planner knows the size of,
        so every join with them is a broadcast) rather than ``createDataFrame`` of Python
        rows, an RDD fed by Python workers, with which the queries planned sort-merge joins
        and Cartesian products (3.6 of 13.8 s for the catalogue at scale 2)."""
        regions = [f"({sql_string(a)}, {sql_string(d)})" for a, d in pairs]
        years = [f"(CAST({int(p)} AS BIGINT), DATE '{e.isoformat()}')" for p, e in ends]
        self._values_view(closure, regions, "pairs(ancestor, descendant)",
                          "CAST(NULL AS STRING), CAST(NULL AS STRING)")
        self._values_view(period_ends, years, "ends(period, period_end)",
                          "CAST(NULL AS BIGINT), CAST(NULL AS DATE)")

    def _values_view(self, name: str, rows: Sequence[str], alias: str, empty: str) -> None:
        """A view of literal rows (no rows: one typed row filtered out)."""
        body = (f"SELECT * FROM VALUES {', '.join(rows)} AS {alias}" if rows else
                f"SELECT * FROM VALUES ({empty}) AS {alias} WHERE FALSE")
        self.session.sql(f"CREATE OR REPLACE TEMPORARY VIEW {name} AS {body}")
        self._views.add(name)

    def query(self, sql: str) -> pd.DataFrame:
        """Run Spark SQL; decimals arrive as Python Decimals (exact), through Arrow. A failed
        job is a :class:`~observatory.spark.SparkJobFailed` naming the file it could not read."""
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        try:
            with warnings.catch_warnings():  # a failure's Java stack, said again as a warning
                warnings.filterwarnings("ignore", "toPandas attempted Arrow", UserWarning)
                result: Any = self.session.sql(sql).toPandas()
        except (PySparkException, Py4JError) as exc:
            raise job_failure(exc) from None
        return result

    def close(self) -> None:
        """Drop the views and the temporary copy; the session stays for the next request."""
        if self._session is not None:
            for name in self._views:
                self._session.catalog.dropTempView(name)
        self._views.clear()
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None
