"""The cultivation pipeline as a Spark batch: the same evaluator, run over enterprises in
``mapInPandas``, for a nation's worth of enterprises.

How it splits the work (docs/methodology/eligibility.md, "On Spark"):

* The enterprises are a Spark DataFrame of :data:`ENTERPRISE_SCHEMA`: one row per enterprise,
  the whole :class:`Enterprise` as its JSON (``model_dump_json``), which validates back into an
  equal model, and its position in the input (``ordinal``), which breaks exact ties the way the
  in-process run does (input order).
* Workers receive the :class:`Pack` itself (pickled with the function), build one
  :class:`Evaluator` per partition and assess every enterprise without gap solving, exactly as
  :func:`~observatory.eligibility.pipeline.run_pipeline` does: the summary row of
  :data:`ASSESS_COLUMNS` (``failing`` and ``missing`` as arrays), whether it holds the pack's
  designation, the fields it lacks, and whether it may be near the thresholds.
* Spark counts the statuses and the missing fields. Only the near-threshold candidates (a few
  per thousand enterprises) come back to the driver, with their JSON; they are ranked, their
  gaps solved and counted per criterion by the in-process functions
  (:func:`~observatory.eligibility.pipeline.rank_candidates`,
  :func:`~observatory.eligibility.pipeline.criterion_counts`).
* Renewals are the in-process :func:`~observatory.eligibility.pipeline.renewals` on the
  designations table (a Spark DataFrame is collected first: one pack's designations are small).

The result is the in-process :class:`PipelineResult`, equal to ``run_pipeline`` on the same
enterprises, plus the assessment rows as a Spark DataFrame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from observatory.eligibility.evaluator import Evaluator
from observatory.eligibility.model import Enterprise
from observatory.eligibility.packs import Pack
from observatory.eligibility.pipeline import (
    ASSESS_COLUMNS,
    Candidate,
    PipelineResult,
    criterion_counts,
    is_holder,
    missing_names,
    pack_renewals,
    rank_candidates,
    screen,
    summary_row,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: One row per enterprise: its input position and the whole model as JSON.
ENTERPRISE_SCHEMA = "ordinal LONG, enterprise_id STRING, enterprise STRING"
#: What a worker returns per enterprise: the summary row, then what the pipeline needs.
ASSESSED_SCHEMA = (
    "enterprise_id STRING, name STRING, pack STRING, status STRING, n_failed LONG, "
    "shortfall DOUBLE, score_min DOUBLE, score_max DOUBLE, failing ARRAY<STRING>, "
    "missing ARRAY<STRING>, ordinal LONG, holder BOOLEAN, missing_names ARRAY<STRING>, "
    "candidate BOOLEAN, near_failed LONG, near_shortfall DOUBLE, near_ids ARRAY<STRING>, "
    "enterprise STRING")
ASSESSED_COLUMNS = [c.split(" ")[0] for c in ASSESSED_SCHEMA.split(", ")]
#: The same two schemas in Arrow: what the driver writes and the workers return.
ENTERPRISE_ARROW = pa.schema([("ordinal", pa.int64()), ("enterprise_id", pa.string()),
                              ("enterprise", pa.string())])
_TEXTS = pa.list_(pa.string())
ASSESSED_ARROW = pa.schema([
    ("enterprise_id", pa.string()), ("name", pa.string()), ("pack", pa.string()),
    ("status", pa.string()), ("n_failed", pa.int64()), ("shortfall", pa.float64()),
    ("score_min", pa.float64()), ("score_max", pa.float64()), ("failing", _TEXTS),
    ("missing", _TEXTS), ("ordinal", pa.int64()), ("holder", pa.bool_()),
    ("missing_names", _TEXTS), ("candidate", pa.bool_()), ("near_failed", pa.int64()),
    ("near_shortfall", pa.float64()), ("near_ids", _TEXTS), ("enterprise", pa.string())])


@dataclass
class SparkPipeline:
    """The pipeline's result (equal to ``run_pipeline``'s) and every assessment row.

    ``assessments`` has :data:`ASSESS_COLUMNS` for every enterprise, holders included, plus
    ``ordinal`` and ``holder``; it reads a cached frame: :meth:`release` frees it."""

    result: PipelineResult
    assessments: DataFrame
    cached: DataFrame

    def release(self) -> None:
        """Drop the cached assessments from Spark's memory."""
        self.cached.unpersist()


def enterprises_frame(spark: SparkSession, enterprises: Iterable[Enterprise],
                      partitions: int | None = None) -> DataFrame:
    """Enterprises as a DataFrame of :data:`ENTERPRISE_SCHEMA`, in input order."""
    rows = pd.DataFrame([(i, e.id, e.model_dump_json()) for i, e in enumerate(enterprises)],
                        columns=["ordinal", "enterprise_id", "enterprise"])
    frame = spark.createDataFrame(rows, ENTERPRISE_SCHEMA)
    return frame.repartition(partitions) if partitions else frame


def write_enterprise_files(enterprises: Iterable[Enterprise], folder: Path,
                           batch: int = 20_000) -> int:
    """Enterprises (a stream: :func:`~observatory.eligibility.inputs.iter_enterprises`) as
    Parquet files of :data:`ENTERPRISE_SCHEMA`, ``batch`` rows a file, written by this process
    without Spark: the driver holds one batch, not a nation's enterprises, and Spark reads the
    folder in parallel (:func:`read_enterprises_parquet`). Returns how many were written."""
    import pyarrow.parquet as pq

    schema = ENTERPRISE_ARROW
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[int, str | None, str]] = []
    written = files = 0

    def flush() -> None:
        nonlocal files
        columns: list[list[Any]] = [[r[i] for r in rows] for i in range(3)]
        table = pa.Table.from_arrays([pa.array(c, type=t) for c, t in
                                      zip(columns, schema.types, strict=True)], schema=schema)
        pq.write_table(table, folder / f"part-{files:05d}.parquet")
        files += 1
        rows.clear()

    for ordinal, ent in enumerate(enterprises):
        rows.append((ordinal, ent.id, ent.model_dump_json()))
        written += 1
        if len(rows) == batch:
            flush()
    if rows or files == 0:
        flush()
    return written


def write_enterprises_parquet(frame: DataFrame, path: str | Path) -> None:
    """Save an enterprises frame as Parquet (a cluster reads it back without the registry)."""
    frame.write.mode("overwrite").parquet(str(path))


def read_enterprises_parquet(spark: SparkSession, path: str | Path) -> DataFrame:
    """An enterprises frame saved by :func:`write_enterprises_parquet`."""
    return spark.read.parquet(str(path)).select("ordinal", "enterprise_id", "enterprise")


def frame_enterprises(frame: DataFrame) -> list[Enterprise]:
    """The enterprises of a frame, in input order (for checks and small frames)."""
    rows = frame.orderBy("ordinal").select("enterprise").collect()
    return [Enterprise.model_validate_json(r["enterprise"]) for r in rows]


def assessed_rows(ev: Evaluator, pack: Pack, as_of: date, max_failed: int,
                  max_shortfall: float, items: Iterable[tuple[int, Enterprise, str | None]]
                  ) -> list[dict[str, Any]]:
    """:data:`ASSESSED_SCHEMA` rows of (ordinal, enterprise, its JSON or None) items: the
    gap-free assessment, whether it holds the pack, and, for a near-threshold candidate only,
    its JSON (made here when not given)."""
    rows = []
    for ordinal, ent, payload in items:
        a = ev.assess(ent, as_of, gaps=False)
        near = screen(a, max_failed, max_shortfall)
        rows.append({**summary_row(a), "ordinal": int(ordinal),
                     "holder": is_holder(ent, pack, as_of),
                     "missing_names": missing_names(a), "candidate": near is not None,
                     "near_failed": near[0] if near else 0,
                     "near_shortfall": float(near[1]) if near else 0.0,
                     "near_ids": near[2] if near else [],
                     "enterprise": (payload or ent.model_dump_json()) if near else None})
    return rows


def _assessor(pack: Pack, as_of: date, max_failed: int, max_shortfall: float
              ) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The ``mapInPandas`` function: one evaluator per partition, gap-free assessments."""
    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        ev = Evaluator(pack)
        for batch in batches:
            items = ((ordinal, Enterprise.model_validate_json(payload), payload)
                     for ordinal, payload in zip(batch["ordinal"], batch["enterprise"],
                                                 strict=True))
            rows = assessed_rows(ev, pack, as_of, max_failed, max_shortfall, items)
            yield pd.DataFrame(rows, columns=ASSESSED_COLUMNS)
    return run


def assess_frame(pack: Pack, enterprises: DataFrame, as_of: date, max_failed: int = 2,
                 max_shortfall: float = 0.25) -> DataFrame:
    """Every enterprise assessed on the workers (lazy): :data:`ASSESSED_SCHEMA` rows."""
    return enterprises.select("ordinal", "enterprise").mapInPandas(
        _assessor(pack, as_of, max_failed, max_shortfall), ASSESSED_SCHEMA)


def assessment_rows(assessments: DataFrame) -> pd.DataFrame:
    """The assessment rows in input order, built as :func:`assess_many` builds its frame
    (lists for ``failing`` and ``missing``, None where a pack has no score)."""
    rows = assessments.orderBy("ordinal").select(*ASSESS_COLUMNS).collect()
    return pd.DataFrame([{**r.asDict(), "failing": list(r["failing"]),
                          "missing": list(r["missing"])} for r in rows], columns=ASSESS_COLUMNS)


def run_pipeline_spark(pack: Pack, enterprises: DataFrame, designations: pd.DataFrame | Any,
                       as_of: date, top: int = 100, within_days: int = 90, max_failed: int = 2,
                       max_shortfall: float = 0.25, include_holders: bool = False
                       ) -> SparkPipeline:
    """:func:`~observatory.eligibility.pipeline.run_pipeline` on Spark (same arguments, the
    enterprises as a frame of :data:`ENTERPRISE_SCHEMA`, the designations as a pandas or Spark
    DataFrame); the result equals the in-process one."""
    assessed = assess_frame(pack, enterprises, as_of, max_failed, max_shortfall)
    return summarise_assessed(pack, assessed, designations, as_of, top, within_days,
                              max_failed, max_shortfall, include_holders)


def summarise_assessed(pack: Pack, assessed: DataFrame, designations: pd.DataFrame | Any,
                       as_of: date, top: int = 100, within_days: int = 90, max_failed: int = 2,
                       max_shortfall: float = 0.25, include_holders: bool = False
                       ) -> SparkPipeline:
    """The pipeline's result from a frame of :data:`ASSESSED_SCHEMA` rows (cached here):
    counts on Spark, the few candidates ranked and their gaps solved on the driver."""
    from pyspark.sql import functions as F

    assessed = assessed.cache()
    pool = assessed if include_holders else assessed.where(~F.col("holder"))
    groups = assessed.groupBy("holder", "status").agg(
        F.count("*").alias("n"), F.min("ordinal").alias("first")).collect()
    holders = 0 if include_holders else sum(int(r["n"]) for r in groups if r["holder"])
    # statuses in the order they first occur in the input, as the in-process dict has them
    counts: dict[str, int] = {}
    for r in sorted((r for r in groups if include_holders or not r["holder"]),
                    key=lambda r: r["first"]):
        counts[r["status"]] = counts.get(r["status"], 0) + int(r["n"])
    missing = {r["name"]: int(r["n"]) for r in pool.select(
        F.explode("missing_names").alias("name")).groupBy("name").agg(
        F.count("*").alias("n")).collect()}
    picked = pool.where(F.col("candidate")).select(
        "ordinal", "enterprise_id", "near_failed", "near_shortfall", "near_ids",
        "enterprise").orderBy("ordinal").collect()
    candidates: list[Candidate] = [
        (int(r["near_failed"]), float(r["near_shortfall"]), str(r["enterprise_id"]),
         Enterprise.model_validate_json(r["enterprise"]), list(r["near_ids"])) for r in picked]
    near = rank_candidates(pack, candidates, as_of, top, max_failed, max_shortfall)
    by_criterion = criterion_counts((c[1], c[4]) for c in candidates)
    table = designations if isinstance(designations, pd.DataFrame) else designations.toPandas()
    due = pack_renewals(pack, table, as_of, within_days)
    result = PipelineResult(pack.code, as_of, sum(counts.values()), holders, counts, near,
                            by_criterion, due, dict(sorted(missing.items())))
    return SparkPipeline(result, assessed.select(*ASSESS_COLUMNS, "ordinal", "holder"), assessed)


__all__ = ["ASSESSED_ARROW", "ASSESSED_SCHEMA", "ENTERPRISE_ARROW", "ENTERPRISE_SCHEMA",
           "SparkPipeline", "assess_frame", "assessed_rows", "assessment_rows",
           "enterprises_frame", "frame_enterprises", "read_enterprises_parquet",
           "run_pipeline_spark", "summarise_assessed", "write_enterprise_files",
           "write_enterprises_parquet"]
