"""The Spark session the batch analytics run on: the catalogue and the eligibility pipeline.

Local mode on this machine by default (``local[2]``: the two cores of the team's box); a
cluster through ``OBSERVATORY_SPARK_MASTER`` (``spark://host:7077``, ``yarn``...). PySpark and
Java are optional: ``pip install '.[spark]'`` and a Java 17 runtime. Without them
:func:`spark_session` raises :class:`SparkUnavailable` with what to install, never a
traceback from deep inside py4j.

Python workers run the interpreter that runs the platform (``PYSPARK_PYTHON`` defaults to
it), so ``mapInPandas`` functions see the same packages as the driver.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from observatory.registry.parquet import LakeError, table_columns, table_path

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import DataFrame, SparkSession

MASTER_ENV = "OBSERVATORY_SPARK_MASTER"
DRIVER_MEMORY_ENV = "OBSERVATORY_SPARK_DRIVER_MEMORY"
DEFAULT_MASTER = "local[2]"
DEFAULT_DRIVER_MEMORY = "2g"
#: Shuffle partitions in local mode: Spark's default of 200 costs more in task start-up than
#: the work of a city's catalogue; a cluster keeps its own setting.
LOCAL_SHUFFLE_PARTITIONS = 8


class SparkUnavailable(RuntimeError):
    """PySpark or Java is missing: the message says what to install."""


def master_url(master: str | None = None) -> str:
    """The master to use: the argument, else ``OBSERVATORY_SPARK_MASTER``, else local[2]."""
    return master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER


def check_available() -> None:
    """Raise :class:`SparkUnavailable` unless PySpark and a Java runtime are installed."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise SparkUnavailable(
            "PySpark is not installed: pip install '.[spark]' (PySpark 4.3, Java 17) / "
            "未安装 PySpark：请执行 pip install '.[spark]'（需 Java 17）") from exc
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and os.path.exists(
            os.path.join(java_home, "bin", "java"))):
        raise SparkUnavailable("no Java runtime found: install Java 17 or set JAVA_HOME / "
                               "未找到 Java 运行环境：请安装 Java 17 或设置 JAVA_HOME")


def spark_session(master: str | None = None, app_name: str = "observatory") -> SparkSession:
    """The process's Spark session (created on first use, reused after).

    >>> spark = spark_session()  # doctest: +SKIP
    >>> spark.range(3).count()  # doctest: +SKIP
    3
    """
    check_available()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    url = master_url(master)
    builder = (SparkSession.builder.master(url).appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.driver.memory",
                       os.environ.get(DRIVER_MEMORY_ENV, DEFAULT_DRIVER_MEMORY)))
    if url.startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", str(LOCAL_SHUFFLE_PARTITIONS))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def read_lake_table(session: SparkSession, lake: Path, name: str, columns: Sequence[str]
                    ) -> DataFrame:
    """One table of a Parquet lake (``export --format parquet``) as a DataFrame of the listed
    columns, or a :class:`~observatory.registry.parquet.LakeError` saying, in English and
    Chinese, which folder, table or columns are missing, or which file is not Parquet."""
    if not lake.is_dir():
        raise LakeError(f"no Parquet lake at {lake} / Parquet 数据湖目录不存在：{lake}")
    path = table_path(lake, name)
    if path is None:
        raise LakeError(f"table {name} is not in the lake {lake}: write it with `observatory "
                        f"export --format parquet --out {lake}` / 数据湖 {lake} 中缺少表 {name}")
    present = table_columns(path)
    absent = [c for c in columns if c not in present]
    if absent:
        raise LakeError(f"table {name} in {lake} lacks the columns {', '.join(absent)} / "
                        f"数据湖中的表 {name} 缺少字段 {', '.join(absent)}")
    return session.read.parquet(str(path)).select(*columns)
