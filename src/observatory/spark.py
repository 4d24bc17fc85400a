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
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from observatory.registry.parquet import LakeError, check_lake_table, table_path

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import DataFrame, SparkSession

MASTER_ENV = "OBSERVATORY_SPARK_MASTER"
DRIVER_MEMORY_ENV = "OBSERVATORY_SPARK_DRIVER_MEMORY"
DEFAULT_MASTER = "local[2]"
DEFAULT_DRIVER_MEMORY = "2g"
LOG_LEVEL_ENV = "OBSERVATORY_SPARK_LOG_LEVEL"
#: Spark's own log on the driver's stderr: off but for fatal errors, because every failure
#: reaches the person as one bilingual line (:func:`job_failure`) rather than a Java stack;
#: ``OBSERVATORY_SPARK_LOG_LEVEL=WARN`` (or ERROR, INFO) brings the log back to diagnose.
DEFAULT_LOG_LEVEL = "FATAL"
#: Shuffle partitions in local mode: Spark's default of 200 costs more in task start-up than
#: the work of a city's catalogue; a cluster keeps its own setting.
LOCAL_SHUFFLE_PARTITIONS = 8


class SparkUnavailable(RuntimeError):
    """PySpark or Java is missing: the message says what to install."""


class SparkJobFailed(RuntimeError):
    """A Spark job failed; ``en`` and ``zh`` say why, naming the lake file where Spark did."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(f"{en} / {zh}")
        self.en, self.zh = en, zh


_READING = re.compile(r"while reading file (\S+?\.parquet)")
_CAUSE = re.compile(r"^Caused by: [\w.$]+: (.+)$", re.MULTILINE)


def job_failure(exc: BaseException) -> SparkJobFailed:
    """What a failed Spark job says to a person: the file Spark could not read and the
    cause it gives for that file, else the error's first line (never a Java stack).

    >>> job_failure(RuntimeError("An error occurred\\nCaused by: x.SparkException: "
    ...     "Encountered error while reading file file:///lake/a.parquet. SQLSTATE: KD001\\n"
    ...     "Caused by: java.io.IOException: can not read class PageHeader: bad type\\n"
    ...     "Caused by: thrift.TProtocolException: bad type")).en
    'could not read /lake/a.parquet: can not read class PageHeader: bad type'
    """
    text = str(exc)
    reading = _READING.search(text)
    if reading is not None:
        path = reading.group(1)  # a local file's URI as a path; hdfs:// and the like kept
        path = unquote(re.sub(r"^file:/*", "/", path)) if path.startswith("file:") else path
        # the cause Spark gives for the file (the next "Caused by"), not the thrift detail
        cause = _CAUSE.search(text, reading.end())
        cause_text = cause.group(1).strip() if cause else "unreadable"
        return SparkJobFailed(f"could not read {path}: {cause_text}",
                              f"无法读取数据湖文件 {path}：{cause_text}")
    first = (text.strip().splitlines() or [type(exc).__name__])[0]
    return SparkJobFailed(f"the Spark job failed: {first}", f"Spark 批处理失败：{first}")


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
    session.sparkContext.setLogLevel(os.environ.get(LOG_LEVEL_ENV, DEFAULT_LOG_LEVEL))
    return session


def read_lake_table(session: SparkSession, lake: Path, name: str, columns: Sequence[str]
                    ) -> DataFrame:
    """One table of a Parquet lake (``export --format parquet``) as a DataFrame of the listed
    columns, or a :class:`~observatory.registry.parquet.LakeError` saying, in English and
    Chinese, which folder, table or columns are missing, which file is not Parquet, or which
    file holds a column of another type than the registry's."""
    if not lake.is_dir():
        raise LakeError(f"no Parquet lake at {lake} / Parquet 数据湖目录不存在：{lake}")
    path = table_path(lake, name)
    if path is None:
        raise LakeError(f"table {name} is not in the lake {lake}: write it with `observatory "
                        f"export --format parquet --out {lake}` / 数据湖 {lake} 中缺少表 {name}")
    check_lake_table(path, name, list(columns))
    return session.read.parquet(str(path)).select(*columns)
