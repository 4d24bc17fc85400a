"""The pipeline as a Spark batch equals the in-process run on a small example city: every
assessment row, the status and missing-data counts, the near-threshold list, the per-criterion
counts and the renewals; and ``observatory eligibility pipeline --backend spark`` prints what
the default backend prints."""

from __future__ import annotations

import shutil
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from observatory.cli import app
from observatory.db import make_engine
from observatory.eligibility.inputs import (
    iter_enterprises,
    load_designations,
    load_enterprises,
    registry_pipeline,
)
from observatory.eligibility.lake import lake_designations, lake_enterprises, lake_pipeline
from observatory.eligibility.model import Enterprise
from observatory.eligibility.packs import get_pack
from observatory.eligibility.pipeline import PipelineResult, assess_many, run_pipeline
from observatory.eligibility.spark import (
    assessment_rows,
    enterprises_frame,
    frame_enterprises,
    read_enterprises_parquet,
    run_pipeline_spark,
    write_enterprise_files,
    write_enterprises_parquet,
)
from observatory.examples.generator import generate_city
from observatory.registry.parquet import export_parquet
from tests.conftest import spoil_pages

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

AS_OF = date(2025, 6, 30)
runner = CliRunner()


@pytest.fixture(scope="module")
def city_url(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("spark_city") / "city.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    generate_city(engine, seed=7, scale=0.05)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def enterprises(city_url: str) -> list[Enterprise]:
    engine = make_engine(city_url)
    try:
        return load_enterprises(engine, AS_OF)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def frame(spark: SparkSession, enterprises: list[Enterprise]) -> DataFrame:
    return enterprises_frame(spark, enterprises, partitions=3).cache()


def _designations(city_url: str, code: str) -> pd.DataFrame:
    engine = make_engine(city_url)
    try:
        return load_designations(engine, code)
    finally:
        engine.dispose()


def _assert_same(got: PipelineResult, want: PipelineResult) -> None:
    for f in fields(PipelineResult):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if isinstance(b, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f.name)
        else:
            assert a == b, f.name
    assert list(got.status_counts) == list(want.status_counts)  # the JSON's order too


def test_enterprises_round_trip(spark: SparkSession, enterprises: list[Enterprise],
                                frame: DataFrame, tmp_path: Path) -> None:
    assert len(enterprises) > 500
    write_enterprises_parquet(frame, tmp_path / "enterprises.parquet")
    again = read_enterprises_parquet(spark, tmp_path / "enterprises.parquet")
    assert frame_enterprises(again) == enterprises  # every field, nested lists and dicts


#: pack, options, whether the designations come as a Spark DataFrame
CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("hte", {}, False),
    ("hte", {"include_holders": True, "top": 7}, True),
    ("little_giant", {"max_failed": 3, "max_shortfall": 1.0, "within_days": 1200}, False),
]


@pytest.mark.parametrize(("code", "options", "spark_designations"), CASES,
                         ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_spark_equals_in_process(spark: SparkSession, city_url: str,
                                 enterprises: list[Enterprise], frame: DataFrame, code: str,
                                 options: dict[str, Any], spark_designations: bool) -> None:
    pack = get_pack(code)
    designations = _designations(city_url, code)
    want = run_pipeline(pack, enterprises, designations, AS_OF, **options)
    given = spark.createDataFrame(designations) if spark_designations else designations
    run = run_pipeline_spark(pack, frame, given, AS_OF, **options)
    try:
        _assert_same(run.result, want)
        rows = assessment_rows(run.assessments)
        summary, _ = assess_many(pack, enterprises, AS_OF)
        pd.testing.assert_frame_equal(rows, summary, check_exact=True)
        flagged = {r["enterprise_id"] for r in run.assessments.where("holder").collect()}
        assert flagged == {e.id for e in enterprises if any(  # a valid designation of the pack
            h.code == code and (h.valid_from or AS_OF) <= AS_OF <= (h.valid_to or AS_OF)
            for h in e.designations)}
    finally:
        run.release()
    # the comparison is not vacuous: something in each list
    assert want.assessed > 0 and want.status_counts
    assert len(want.near) and len(want.renewals) and len(want.by_criterion)


def _pipeline(url: str, *args: str) -> str:
    res = runner.invoke(app, ["eligibility", "pipeline", "--pack", "hte", "--as-of",
                              AS_OF.isoformat(), "--top", "20", "--database-url", url, *args])
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_cli_spark_backend_prints_the_same(spark: SparkSession, city_url: str, fmt: str) -> None:
    default = _pipeline(city_url, "--format", fmt, "--lang", "en")
    assert default.strip()
    assert _pipeline(city_url, "--format", fmt, "--lang", "en", "--backend", "spark") == default


def test_cli_spark_missing_is_a_bilingual_error(city_url: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from observatory import spark as spark_module

    def missing() -> None:
        raise spark_module.SparkUnavailable(
            "PySpark is not installed: pip install '.[spark]' / 未安装 PySpark")
    monkeypatch.setattr(spark_module, "check_available", missing)
    res = runner.invoke(app, ["eligibility", "pipeline", "--pack", "hte", "--as-of",
                              AS_OF.isoformat(), "--database-url", city_url,
                              "--backend", "spark"])
    assert res.exit_code == 2
    assert "PySpark is not installed" in res.stderr and "未安装 PySpark" in res.stderr
    assert "Traceback" not in res.output


def test_cli_spark_backend_refuses_by_district(city_url: str) -> None:
    res = runner.invoke(app, ["eligibility", "pipeline", "--by-district", "--pack", "hte",
                              "--database-url", city_url, "--backend", "spark"])
    assert res.exit_code == 2
    assert "--by-district" in res.stderr and "按区" in res.stderr


def test_enterprises_stream_in_batches_as_they_load_at_once(city_url: str,
                                                            enterprises: list[Enterprise],
                                                            spark: SparkSession,
                                                            tmp_path: Path) -> None:
    """A nation's enterprises are streamed: loaded 37 organisation ids at a time they are the
    same models in the same order, and written 100 to a file Spark reads them back so."""
    engine = make_engine(city_url)
    try:
        streamed = list(iter_enterprises(engine, AS_OF, batch=37))
        assert streamed == enterprises
        assert len(enterprises) > 300
        written = write_enterprise_files(iter_enterprises(engine, AS_OF, batch=37),
                                         tmp_path / "ents", batch=100)
    finally:
        engine.dispose()
    assert written == len(enterprises)
    assert len(list((tmp_path / "ents").glob("*.parquet"))) == -(-written // 100)
    back = frame_enterprises(read_enterprises_parquet(spark, tmp_path / "ents"))
    assert back == enterprises


def test_the_registry_pipeline_streams_to_the_in_process_result(city_url: str,
                                                                enterprises: list[Enterprise]
                                                                ) -> None:
    pack = get_pack("hte")
    want = run_pipeline(pack, enterprises, _designations(city_url, "hte"), AS_OF)
    engine = make_engine(city_url)
    try:
        _assert_same(registry_pipeline(engine, pack, AS_OF), want)
    finally:
        engine.dispose()


# ----- the enterprises built on Spark from a Parquet lake ---------------------------------------

@pytest.fixture(scope="module")
def lake(city_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spark_lake") / "lake"
    engine = make_engine(city_url)
    try:
        export_parquet(engine, folder)
    finally:
        engine.dispose()
    return folder


def test_lake_enterprises_equal_the_registry_load(spark: SparkSession, lake: Path,
                                                  enterprises: list[Enterprise]) -> None:
    """Built on the workers from the lake (the organisations spread over three partitions;
    the CLI test runs the default spread), every enterprise equals the registry's model, in
    the same order."""
    frame = lake_enterprises(spark, lake, AS_OF, 3)
    assert frame_enterprises(frame) == enterprises
    ordinals = [r["ordinal"] for r in frame.orderBy("ordinal").select("ordinal").collect()]
    assert ordinals == sorted(set(ordinals))  # organisation ids: one each, input order
    # not vacuous: R&D summed over funding sources, designations, facts, IP stocks
    assert any(len(e.designations) > 1 for e in enterprises)
    assert any(e.facts for e in enterprises) and any(e.ip for e in enterprises)


def test_lake_enterprises_take_the_newest_fact_before_the_date(
        spark: SparkSession, city_url: str, tmp_path: Path) -> None:
    """Observations inserted out of date order: both paths keep the newest on or before the
    date and ignore a later one (a walk in id order would keep the wrong one)."""
    path = tmp_path / "city.db"
    shutil.copy(city_url.removeprefix("sqlite:///"), path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            oid = conn.execute(text("SELECT MIN(id) FROM organisations o WHERE kind = "
                                    "'enterprise' AND EXISTS (SELECT 1 FROM "
                                    "organisation_years y WHERE y.organisation_id = o.id)")
                               ).scalar_one()
            for day, share in (("2024-06-30", 0.25), ("2020-01-01", 0.1),
                               ("2025-07-01", 0.9)):
                conn.execute(text(
                    "INSERT INTO organisation_facts (organisation_id, fact_code, observed_on, "
                    "value_number, source_id) VALUES (:o, 'probe_share', :d, :v, 1)"),
                    {"o": oid, "d": day, "v": share})
        want = load_enterprises(engine, AS_OF)
        export_parquet(engine, tmp_path / "lake")
    finally:
        engine.dispose()
    got = frame_enterprises(lake_enterprises(spark, tmp_path / "lake", AS_OF))
    assert got == want
    assert [e.facts["probe_share"] for e in got if "probe_share" in e.facts] == [0.25]


@pytest.mark.parametrize("code", ["hte", "little_giant"])
def test_lake_designations_equal_the_registry(spark: SparkSession, city_url: str, lake: Path,
                                              code: str) -> None:
    want = _designations(city_url, code)
    assert len(want) > 0
    pd.testing.assert_frame_equal(lake_designations(spark, lake, code), want, check_exact=True)


def test_cli_spark_from_the_lake_prints_the_same(spark: SparkSession, city_url: str,
                                                 lake: Path) -> None:
    """The JSON holds every part of the result (counts, near list, criteria, renewals)."""
    default = _pipeline(city_url, "--format", "json", "--lang", "en")
    assert default.strip()
    assert _pipeline(city_url, "--format", "json", "--lang", "en", "--backend", "spark",
                     "--lake", str(lake)) == default


def test_cli_lake_errors_are_bilingual(spark: SparkSession, city_url: str, lake: Path,
                                       tmp_path: Path) -> None:
    """A lake without spark, a missing folder, a missing table: exit 2, both languages, the
    folder or table named, no traceback."""
    partial = tmp_path / "partial"
    shutil.copytree(lake, partial)
    (partial / "organisation_facts.parquet").unlink()
    cases = [([], "--backend spark", "--backend spark"),
             (["--backend", "spark"], "no Parquet lake", "数据湖目录不存在")]
    for extra, en, zh in cases:
        res = runner.invoke(app, ["eligibility", "pipeline", "--pack", "hte", "--as-of",
                                  AS_OF.isoformat(), "--database-url", city_url,
                                  "--lake", str(tmp_path / "none"), *extra])
        assert res.exit_code == 2, res.output
        assert en in res.stderr and zh in res.stderr and "Traceback" not in res.output
    res = runner.invoke(app, ["eligibility", "pipeline", "--pack", "hte", "--as-of",
                              AS_OF.isoformat(), "--database-url", city_url, "--backend",
                              "spark", "--lake", str(partial)])
    assert res.exit_code == 2, res.output
    assert "organisation_facts" in res.stderr and "缺少表" in res.stderr
    assert "Traceback" not in res.output


def test_cli_lake_with_a_bad_file_names_it(spark: SparkSession, city_url: str, lake: Path,
                                          tmp_path: Path) -> None:
    """Each fault in a copy of the lake: a table lacking a column, a table file that is not
    Parquet, a bad file inside a partitioned table, an amount stored as floats, one file of
    a partitioned table with its ids as text. Exit 2, both languages, what is wrong named."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def rewrite(path: Path, change: Any) -> None:
        pq.write_table(change(pq.ParquetFile(path).read()), path)

    def recast(column: str, kind: pa.DataType) -> Any:
        return lambda t: t.set_column(t.schema.get_field_index(column), column,
                                      t.column(column).cast(kind))

    inside = sorted((lake / "designations").rglob("*.parquet"))[-1].relative_to(lake)
    faults = [
        ("organisations.parquet", lambda p: rewrite(p, lambda t: t.drop(["founded_on"])),
         ["organisations", "founded_on", "缺少字段"]),
        ("organisation_facts.parquet", lambda p: p.write_text("not parquet"),
         ["organisation_facts", "not a readable Parquet table", "不是可读的 Parquet 表"]),
        (inside, lambda p: p.write_bytes(b"PAR1"),
         [str(inside), "not a readable Parquet table", "不是可读的 Parquet 表"]),
        ("rd_expenditures.parquet",
         lambda p: rewrite(p, recast("amount_yuan", pa.float64())),
         ["amount_yuan", "holds double, where the registry holds decimal", "定点小数"]),
        (inside, lambda p: rewrite(p, recast("organisation_id", pa.string())),
         [str(inside), "organisation_id", "holds string", "整数"]),
        ("organisations.parquet", spoil_pages,  # only Spark finds this one bad
         ["could not read", "organisations.parquet", "无法读取数据湖文件"]),
    ]
    for number, (file, fault, named) in enumerate(faults):
        bad = tmp_path / f"bad{number}"
        shutil.copytree(lake, bad)
        fault(bad / file)
        res = runner.invoke(app, ["eligibility", "pipeline", "--pack", "hte", "--as-of",
                                  AS_OF.isoformat(), "--database-url", city_url,
                                  "--backend", "spark", "--lake", str(bad)])
        assert res.exit_code == 2, res.output
        assert all(part.replace(str(inside), str(bad / inside)) in res.stderr
                   for part in named), res.stderr
        assert "Traceback" not in res.output


@pytest.mark.parametrize(("code", "options", "spark_designations"), CASES,
                         ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_lake_pipeline_equals_in_process(spark: SparkSession, city_url: str, lake: Path,
                                         enterprises: list[Enterprise], code: str,
                                         options: dict[str, Any],
                                         spark_designations: bool) -> None:
    """Built and assessed on the workers from the lake: the in-process result on the registry
    the lake came from, and every assessment row."""
    del spark_designations  # the lake route reads its own
    pack = get_pack(code)
    want = run_pipeline(pack, enterprises, _designations(city_url, code), AS_OF, **options)
    run = lake_pipeline(spark, lake, pack, AS_OF, partitions=3, **options)
    try:
        _assert_same(run.result, want)
        summary, _ = assess_many(pack, enterprises, AS_OF)
        pd.testing.assert_frame_equal(assessment_rows(run.assessments), summary,
                                      check_exact=True)
    finally:
        run.release()
    assert len(want.near) and len(want.renewals)


def test_walking_batches_cut_anywhere_gives_the_same_enterprises(spark: SparkSession,
                                                                 lake: Path) -> None:
    """A partition's rows arrive in batches that may cut an organisation's rows anywhere (and
    may be empty): the walk carries it over and builds the same enterprises as from one
    batch."""
    import pyarrow as pa

    from observatory.eligibility.lake import _walked, walk

    table = _walked(spark, lake, AS_OF, 1).toArrow()
    assert table.num_rows > 1000
    whole = [e for done in walk(iter(table.combine_chunks().to_batches()), AS_OF)
             for e in done]
    pieces = table.to_batches(max_chunksize=7)
    empty = pa.RecordBatch.from_pylist([], schema=table.schema)
    cut = [e for done in walk(iter([pieces[0], empty, *pieces[1:], empty]), AS_OF)
           for e in done]
    assert len(whole) > 500
    assert cut == whole
    assert [k for k, _ in whole] == sorted(k for k, _ in whole)
