"""The pipeline's enterprises built on Spark from a Parquet lake, not loaded by one process.

``observatory export --format parquet`` writes the registry as a lake; a ministry's copy of it
sits where its cluster reads. :func:`lake_enterprises` turns the five tables the evaluator
reads (organisations, their yearly figures, facts, R&D spending and designations) into the
enterprises frame the batch assesses (:data:`~observatory.eligibility.spark.ENTERPRISE_SCHEMA`),
with no step on the driver:

1. each table is read and filtered on the workers exactly as
   :func:`~observatory.eligibility.inputs.load_enterprises` filters it (R&D summed per
   organisation and year by Spark, exactly, in decimals);
2. the rows of all five become one frame tagged with their part, hash-partitioned by
   organisation and sorted within each partition, so that every organisation's rows arrive
   together, in the order the registry queries return them;
3. ``mapInArrow`` walks each partition and builds each enterprise with the same row-to-model
   functions the registry path uses (:func:`~observatory.eligibility.inputs.year_record` and
   the rest), so both give equal models from equal rows.

The ordinal is the organisation id: the registry path lists enterprises in id order, so ties
break the same way. Rows of organisations that are not enterprises as of the date are dropped
as their partition is walked.

:func:`lake_pipeline` runs the whole pipeline this way, assessing each enterprise on the worker
that builds it (:func:`lake_assessed`): no model is written to JSON and read back but the few
near-threshold candidates', which the driver ranks as the in-process run does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from observatory.eligibility.evaluator import Evaluator
from observatory.eligibility.inputs import (
    IP_COLUMNS,
    YEAR_COLUMNS,
    designation_type,
    designations_frame,
    enterprise_model,
    held_record,
    ip_record,
    year_record,
)
from observatory.eligibility.model import Enterprise
from observatory.eligibility.packs import Pack
from observatory.eligibility.spark import (
    ASSESSED_ARROW,
    ASSESSED_COLUMNS,
    ASSESSED_SCHEMA,
    ENTERPRISE_ARROW,
    ENTERPRISE_SCHEMA,
    SparkPipeline,
    assessed_rows,
    summarise_assessed,
)
from observatory.registry.models import fact_value
from observatory.spark import read_lake_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: The part each tagged row comes from, in the order an organisation's rows are walked.
ORGANISATION, YEAR, FACT, RD, HELD = range(5)
#: Enterprises per Arrow batch a worker returns.
OUT_BATCH = 2_000


def _parts(spark: SparkSession, lake: Path, as_of: date) -> list[DataFrame]:
    """The five tables filtered as the registry queries filter them, each row tagged with its
    part and the keys it is walked in (text, date, number)."""
    from pyspark.sql import functions as F

    figures = [*YEAR_COLUMNS, *IP_COLUMNS]
    years = read_lake_table(spark, lake, "organisation_years",
                            ["organisation_id", "year", *figures]).where(
        F.col("year") < as_of.year)
    orgs = read_lake_table(spark, lake, "organisations",
                           ["id", "uscc", "name_zh", "founded_on", "kind"]).where(
        F.col("founded_on").isNotNull() & (F.col("founded_on") <= F.lit(as_of))
        & (F.col("kind") == "enterprise"))
    # only enterprises with at least one fiscal year of figures (the others can only be
    # insufficient data), as the registry path loads them
    orgs = orgs.join(years.select(F.col("organisation_id").alias("id")), "id", "left_semi")
    facts = read_lake_table(spark, lake, "organisation_facts", [
        "id", "organisation_id", "fact_code", "value_bool", "value_number", "value_text",
        "observed_on"]).where(F.col("observed_on") <= F.lit(as_of))
    spent = read_lake_table(spark, lake, "rd_expenditures",
                            ["organisation_id", "year", "amount_yuan"]).where(
        F.col("year") < as_of.year).groupBy("organisation_id", "year").agg(
        F.sum("amount_yuan").alias("rd_amount"))
    held = read_lake_table(spark, lake, "designations", [
        "id", "organisation_id", "type_code", "valid_from", "valid_to", "status"]).where(
        (F.col("status") == "granted")
        & (F.col("valid_from").isNull() | (F.col("valid_from") <= F.lit(as_of))))

    def tag(frame: DataFrame, part: int, keep: list[str], text: str | None = None,
            day: str | None = None, number: str | None = None) -> DataFrame:
        return frame.select(
            F.col("organisation_id").cast("long").alias("organisation_id"),
            F.lit(part).alias("part"),
            (F.col(text) if text else F.lit(None)).cast("string").alias("k_text"),
            (F.col(day) if day else F.lit(None)).cast("date").alias("k_date"),
            (F.col(number) if number else F.lit(None)).cast("long").alias("k_number"),
            *keep)

    return [
        tag(orgs.withColumnRenamed("id", "organisation_id"), ORGANISATION,
            ["uscc", "name_zh", "founded_on"]),
        tag(years, YEAR, ["year", *figures], number="year"),
        tag(facts, FACT, ["fact_code", "value_bool", "value_number", "value_text"],
            text="fact_code", day="observed_on", number="id"),
        tag(spent, RD, ["year", "rd_amount"], number="year"),
        tag(held, HELD, ["type_code", "valid_from", "valid_to"], number="id"),
    ]


#: The columns each part's rows carry besides the organisation id, in the order read.
PART_COLUMNS: dict[int, list[str]] = {
    ORGANISATION: ["uscc", "name_zh", "founded_on"],
    YEAR: ["year", *YEAR_COLUMNS, *IP_COLUMNS],
    FACT: ["fact_code", "value_bool", "value_number", "value_text"],
    RD: ["year", "rd_amount"],
    HELD: ["type_code", "valid_from", "valid_to"],
}
_N_YEAR = len(YEAR_COLUMNS)


class _Builder:
    """One organisation's rows, added part by part in order, and the enterprise they make."""

    def __init__(self, key: int, fiscal_year: int) -> None:
        self.key = key
        self.fiscal_year = fiscal_year
        self.org: tuple[Any, ...] | None = None
        self.years: dict[int, dict[str, Any]] = {}
        self.ip: dict[str, int] = {}
        self.facts: dict[str, Any] = {}
        self.held: list[dict[str, Any]] = []

    def add(self, part: int, values: tuple[Any, ...]) -> None:
        """One row's values (:data:`PART_COLUMNS` of its part)."""
        if part == ORGANISATION:
            self.org = values
        elif part == YEAR:
            year = values[0]
            self.years[year] = year_record(year, values[1:1 + _N_YEAR])
            if year == self.fiscal_year:  # the fiscal year's year-end stock, nothing older
                self.ip = ip_record(values[1 + _N_YEAR:])
        elif part == FACT:  # in date order: the newest observation wins
            self.facts[values[0]] = fact_value(*values[1:])
        elif part == RD:
            year, amount = values
            if amount is not None:
                self.years.setdefault(year, {"year": year})["rd_expense"] = float(amount)
        else:
            self.held.append(held_record(*values))

    def finish(self) -> tuple[int, Enterprise] | None:
        """(ordinal, model) of the organisation, if it is an enterprise."""
        if self.org is None:
            return None
        uscc, name, founded = self.org
        return self.key, enterprise_model(uscc, name, founded, self.years, self.ip,
                                          self.facts, self.held)


def walk(batches: Iterator[pa.RecordBatch], as_of: date
         ) -> Iterator[list[tuple[int, Enterprise]]]:
    """The enterprises finished in each sorted, tagged batch of a partition (the last one
    after its final batch), as (ordinal, model).

    Each part's rows are taken out of the batch and converted on their own: converting the
    wide union row by row cost more than building the models (every row carries every part's
    columns, mostly empty). Parts are added in their order, so an organisation's yearly
    figures are in place before its R&D sums, as in the registry loader; the last
    organisation of a batch may go on in the next one."""
    import pyarrow.compute as pc

    fiscal_year = as_of.year - 1
    carry: _Builder | None = None
    for batch in batches:
        keys = batch.column("organisation_id").to_pylist()
        if not keys:  # an empty batch ends no organisation
            continue
        done: list[tuple[int, Enterprise]] = []
        builders: dict[int, _Builder] = {}
        if carry is not None:
            if keys[0] == carry.key:
                builders[carry.key] = carry
            elif (finished := carry.finish()) is not None:
                done.append(finished)
            carry = None
        for key in dict.fromkeys(keys):
            if key not in builders:
                builders[key] = _Builder(key, fiscal_year)
        tags = batch.column("part")
        for part, names in PART_COLUMNS.items():
            rows = batch.filter(pc.equal(tags, part))
            columns = [rows.column(n).to_pylist() for n in ("organisation_id", *names)]
            for values in zip(*columns, strict=True):
                builders[values[0]].add(part, values[1:])
        walked = list(builders.values())  # in key order: the batch is sorted
        if walked:
            carry = walked.pop()
        done.extend(f for f in (b.finish() for b in walked) if f is not None)
        yield done
    last = carry.finish() if carry is not None else None
    yield [last] if last is not None else []


def _assembler(as_of: date) -> Any:
    """The ``mapInArrow`` function: enterprises (as JSON) from one partition's rows."""
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        done: list[tuple[int, str | None, str]] = []
        for finished in walk(batches, as_of):
            done.extend((key, ent.id, ent.model_dump_json()) for key, ent in finished)
            if len(done) >= OUT_BATCH:
                yield _batch(done, ENTERPRISE_ARROW)
                done = []
        if done:
            yield _batch(done, ENTERPRISE_ARROW)
    return run


def _assessing(pack: Pack, as_of: date, max_failed: int, max_shortfall: float) -> Any:
    """The ``mapInArrow`` function that assesses each enterprise as it is built: no JSON in
    between, only a near-threshold candidate's (as :func:`assess_frame` gives)."""
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ev = Evaluator(pack)
        for finished in walk(batches, as_of):
            if finished:
                rows = assessed_rows(ev, pack, as_of, max_failed, max_shortfall,
                                     ((key, ent, None) for key, ent in finished))
                yield pa.RecordBatch.from_pandas(pd.DataFrame(rows, columns=ASSESSED_COLUMNS),
                                                 schema=ASSESSED_ARROW, preserve_index=False)
    return run


def _batch(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([r[i] for r in rows], type=t)
                                       for i, t in enumerate(schema.types)], schema=schema)


def _walked(spark: SparkSession, lake: Path, as_of: date, partitions: int | None
            ) -> DataFrame:
    """Every row of the five tables, tagged, partitioned by organisation and sorted."""
    parts = _parts(spark, lake, as_of)
    tagged = parts[0]
    for part in parts[1:]:
        tagged = tagged.unionByName(part, allowMissingColumns=True)
    spread = (tagged.repartition(partitions, "organisation_id") if partitions
              else tagged.repartition("organisation_id"))
    return spread.sortWithinPartitions("organisation_id", "part", "k_text", "k_date",
                                       "k_number")


def lake_enterprises(spark: SparkSession, lake: Path, as_of: date,
                     partitions: int | None = None) -> DataFrame:
    """Every enterprise with yearly figures as of ``as_of``, built on the workers from the
    lake (lazy): a frame of :data:`ENTERPRISE_SCHEMA` whose ordinal is the organisation id.
    ``partitions``: how many groups of organisations (default: Spark's shuffle setting)."""
    return _walked(spark, lake, as_of, partitions).mapInArrow(_assembler(as_of),
                                                              ENTERPRISE_SCHEMA)


def lake_assessed(spark: SparkSession, lake: Path, pack: Pack, as_of: date,
                  max_failed: int = 2, max_shortfall: float = 0.25,
                  partitions: int | None = None) -> DataFrame:
    """:func:`~observatory.eligibility.spark.assess_frame` of :func:`lake_enterprises`, each
    enterprise assessed on the worker that builds it (lazy)."""
    return _walked(spark, lake, as_of, partitions).mapInArrow(
        _assessing(pack, as_of, max_failed, max_shortfall), ASSESSED_SCHEMA)


def lake_pipeline(spark: SparkSession, lake: Path, pack: Pack, as_of: date, top: int = 100,
                  within_days: int = 90, max_failed: int = 2, max_shortfall: float = 0.25,
                  include_holders: bool = False, partitions: int | None = None
                  ) -> SparkPipeline:
    """:func:`~observatory.eligibility.pipeline.run_pipeline` over every enterprise of the
    lake, on Spark end to end; equal to the in-process run on the registry the lake was
    written from."""
    assessed = lake_assessed(spark, lake, pack, as_of, max_failed, max_shortfall, partitions)
    return summarise_assessed(pack, assessed, lake_designations(spark, lake, pack.code), as_of,
                              top, within_days, max_failed, max_shortfall, include_holders)


def lake_designations(spark: SparkSession, lake: Path, pack_code: str) -> pd.DataFrame:
    """:func:`~observatory.eligibility.inputs.load_designations` from the lake (the renewals'
    input: one pack's granted designations, in designation id order)."""
    from pyspark.sql import functions as F

    held = read_lake_table(spark, lake, "designations", [
        "id", "organisation_id", "certificate_no", "valid_from", "valid_to", "type_code",
        "status"]).where((F.col("type_code") == designation_type(pack_code))
                         & (F.col("status") == "granted"))
    orgs = read_lake_table(spark, lake, "organisations", ["id", "uscc", "name_zh"])
    rows = held.join(orgs.withColumnRenamed("id", "org"), held["organisation_id"] == F.col(
        "org")).orderBy(held["id"]).select("uscc", "name_zh", "certificate_no", "valid_from",
                                           "valid_to").collect()
    return designations_frame([tuple(r) for r in rows], pack_code)


__all__ = ["lake_assessed", "lake_designations", "lake_enterprises", "lake_pipeline", "walk"]
