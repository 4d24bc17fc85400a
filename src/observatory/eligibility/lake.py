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
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from observatory.eligibility.inputs import (
    IP_COLUMNS,
    YEAR_COLUMNS,
    designation_type,
    enterprise_model,
    held_record,
    ip_record,
    year_record,
)
from observatory.eligibility.spark import ENTERPRISE_SCHEMA
from observatory.registry.models import fact_value
from observatory.spark import read_lake_table

if TYPE_CHECKING:
    import pyarrow as pa
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
    orgs = read_lake_table(spark, lake, "organisations", ["id", "uscc", "name_zh", "founded_on",
                                                     "kind"]).where(
        F.col("founded_on").isNotNull() & (F.col("founded_on") <= F.lit(as_of))
        & (F.col("kind") == "enterprise"))
    # only enterprises with at least one fiscal year of figures (the others can only be
    # insufficient data), as the registry path loads them
    orgs = orgs.join(years.select(F.col("organisation_id").alias("id")), "id", "left_semi")
    facts = read_lake_table(spark, lake, "organisation_facts", [
        "id", "organisation_id", "fact_code", "value_bool", "value_number", "value_text",
        "observed_on"]).where(F.col("observed_on") <= F.lit(as_of))
    spent = read_lake_table(spark, lake, "rd_expenditures", ["organisation_id", "year",
                                                        "amount_yuan"]).where(
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


class _Builder:
    """One organisation's rows, walked in order, and the enterprise they make."""

    def __init__(self, fiscal_year: int) -> None:
        self.fiscal_year = fiscal_year
        self.key: int | None = None
        self.reset(None)

    def reset(self, key: int | None) -> None:
        self.key = key
        self.org: tuple[str, str, date | None] | None = None
        self.years: dict[int, dict[str, Any]] = {}
        self.ip: dict[str, int] = {}
        self.facts: dict[str, Any] = {}
        self.held: list[dict[str, Any]] = []

    def add(self, part: int, row: dict[str, Any]) -> None:
        if part == ORGANISATION:
            self.org = (row["uscc"], row["name_zh"], row["founded_on"])
        elif part == YEAR:
            year = row["year"]
            self.years[year] = year_record(year, [row[c] for c in YEAR_COLUMNS])
            if year == self.fiscal_year:  # the fiscal year's year-end stock, nothing older
                self.ip = ip_record([row[c] for c in IP_COLUMNS])
        elif part == FACT:  # in date order: the newest observation wins
            self.facts[row["fact_code"]] = fact_value(row["value_bool"], row["value_number"],
                                                      row["value_text"])
        elif part == RD:
            if row["rd_amount"] is not None:
                self.years.setdefault(row["year"], {"year": row["year"]})["rd_expense"] = \
                    float(row["rd_amount"])
        else:
            self.held.append(held_record(row["type_code"], row["valid_from"], row["valid_to"]))

    def finish(self) -> tuple[int, str | None, str] | None:
        """(ordinal, id, JSON) of the organisation walked, if it is an enterprise."""
        if self.org is None or self.key is None:
            return None
        uscc, name, founded = self.org
        ent = enterprise_model(uscc, name, founded, self.years, self.ip, self.facts,
                               self.held)
        return self.key, ent.id, ent.model_dump_json()


def _assembler(as_of: date) -> Any:
    """The ``mapInArrow`` function: enterprises from one partition's sorted, tagged rows."""
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        schema = pa.schema([("ordinal", pa.int64()), ("enterprise_id", pa.string()),
                            ("enterprise", pa.string())])
        builder = _Builder(as_of.year - 1)
        done: list[tuple[int, str | None, str]] = []

        def emit() -> pa.RecordBatch:
            columns = [pa.array([d[i] for d in done], type=t)
                       for i, t in enumerate(schema.types)]
            done.clear()
            return pa.RecordBatch.from_arrays(columns, schema=schema)

        for batch in batches:
            for row in batch.to_pylist():
                key = row["organisation_id"]
                if key != builder.key:
                    finished = builder.finish()
                    if finished is not None:
                        done.append(finished)
                    builder.reset(key)
                builder.add(row["part"], row)
            if len(done) >= OUT_BATCH:
                yield emit()
        finished = builder.finish()
        if finished is not None:
            done.append(finished)
        if done:
            yield emit()
    return run


def lake_enterprises(spark: SparkSession, lake: Path, as_of: date,
                     partitions: int | None = None) -> DataFrame:
    """Every enterprise with yearly figures as of ``as_of``, built on the workers from the
    lake (lazy): a frame of :data:`ENTERPRISE_SCHEMA` whose ordinal is the organisation id.
    ``partitions``: how many groups of organisations (default: Spark's shuffle setting)."""
    parts = _parts(spark, lake, as_of)
    tagged = parts[0]
    for part in parts[1:]:
        tagged = tagged.unionByName(part, allowMissingColumns=True)
    spread = (tagged.repartition(partitions, "organisation_id") if partitions
              else tagged.repartition("organisation_id"))
    walked = spread.sortWithinPartitions("organisation_id", "part", "k_text", "k_date",
                                         "k_number")
    return walked.mapInArrow(_assembler(as_of), ENTERPRISE_SCHEMA)


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
    frame = pd.DataFrame([tuple(r) for r in rows],
                         columns=["org_id", "name", "certificate_no", "valid_from", "valid_to"])
    frame.insert(2, "code", pack_code)
    return frame


__all__ = ["lake_designations", "lake_enterprises"]
