"""Every registry table to Parquet and back: the same rows and values, read by DuckDB too."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Column, Connection, Engine, Table, select
from typer.testing import CliRunner

from observatory.cli import app
from observatory.examples.generator import generate_city
from observatory.registry import models as m
from observatory.registry.parquet import PARTITIONS, export_parquet, read_back, registry_tables


def _normal(value: object) -> object:
    """Values as both sides carry them: timestamps without zone, JSON as text."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def _database_rows(conn: Connection, name: str
                   ) -> tuple[Table, list[Column[Any]], list[tuple[object, ...]]]:
    """A registry table, its primary key and its rows in key order, normalised."""
    table = m.Base.metadata.tables[name]
    order = list(table.primary_key.columns)
    rows = [tuple(_normal(v) for v in r) for r in conn.execute(select(table).order_by(*order))]
    return table, order, rows


@pytest.mark.postgres
@pytest.mark.slow
def test_every_table_round_trips(engine: Engine, tmp_path: Path) -> None:
    generate_city(engine, seed=3, scale=0.02)
    written = {w.table: w for w in export_parquet(engine, tmp_path / "lake")}
    assert set(written) == set(registry_tables())
    assert "organisations" in written and not any(t.startswith("web_") for t in written)
    con = duckdb.connect()
    with engine.connect() as conn:
        for name in registry_tables():
            table, order, rows = _database_rows(conn, name)
            back = read_back(written[name].path).to_pylist()
            columns = [c.name for c in table.columns]
            back.sort(key=lambda r: tuple(r[c.name] for c in order))
            got = [tuple(_normal(r[c]) for c in columns) for r in back]
            assert got == rows, name
            assert written[name].rows == len(rows)
            pattern = (f"{written[name].path}/**/*.parquet" if PARTITIONS.get(name)
                       else str(written[name].path))
            count = con.execute(f"SELECT count(*) FROM read_parquet('{pattern}', "
                                "hive_partitioning=true)").fetchall()
            assert count == [(len(rows),)], name
    assert written["technology_contracts"].rows > 100
    years = {p.name for p in written["technology_contracts"].path.iterdir()}
    assert "year=2024" in years


def test_command_writes_one_table_and_refuses_unknown_ones(engine: Engine,
                                                          tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    ok = runner.invoke(app, ["export", "--format", "parquet", "--out", str(tmp_path / "lake"),
                             "--entity", "regions", "--database-url", url])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout.strip().splitlines()[-1])
    assert report["written"][0]["table"] == "regions" and report["written"][0]["rows"] > 30
    assert read_back(tmp_path / "lake" / "regions.parquet").num_rows == report["written"][0][
        "rows"]
    bad = runner.invoke(app, ["export", "--format", "parquet", "--out", str(tmp_path / "x"),
                              "--entity", "web_users", "--database-url", url])
    assert bad.exit_code == 2 and "不是登记库的表" in bad.output
    no_out = runner.invoke(app, ["export", "--format", "parquet", "--database-url", url])
    assert no_out.exit_code == 2, no_out.output


@pytest.mark.slow
def test_spark_reads_every_table_back(sqlite_engine: Engine, spark: object,
                                      tmp_path: Path) -> None:
    """What a Spark cluster reads from the lake is the database, row by row."""
    generate_city(sqlite_engine, seed=3, scale=0.02)
    written = {w.table: w for w in export_parquet(sqlite_engine, tmp_path / "lake")}
    with sqlite_engine.connect() as conn:
        for name in registry_tables():
            table, order, rows = _database_rows(conn, name)
            frame = spark.read.parquet(str(written[name].path))  # type: ignore[attr-defined]
            columns = [c.name for c in table.columns]
            back = [r.asDict() for r in frame.select(*columns).collect()]
            back.sort(key=lambda r: tuple(r[c.name] for c in order))
            got = [tuple(_normal(bytes(v) if isinstance(v, bytearray) else v
                                 for v in (r[c] for c in columns))) for r in back]
            assert got == rows, name


def test_lake_types_are_checked_file_by_file(sqlite_engine: Engine, tmp_path: Path) -> None:
    """An id written as int32 by another tool reads as the registry's integer; an amount
    stored as floats, or ids as text in one file of a partitioned table, are named with the
    file, the column and both types, in both languages."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from observatory.registry.parquet import LakeError, check_lake_table

    generate_city(sqlite_engine, seed=3, scale=0.02)
    lake = tmp_path / "lake"
    export_parquet(sqlite_engine, lake, ["rd_expenditures", "designations"])
    rd = lake / "rd_expenditures.parquet"
    columns = ["organisation_id", "year", "amount_yuan"]
    check_lake_table(rd, "rd_expenditures", columns)
    table = pq.read_table(rd)

    def recast(name: str, kind: pa.DataType) -> pa.Table:
        at = table.schema.get_field_index(name)
        return table.set_column(at, name, table.column(name).cast(kind))

    pq.write_table(recast("organisation_id", pa.int32()), rd)
    check_lake_table(rd, "rd_expenditures", columns)
    pq.write_table(recast("amount_yuan", pa.float64()), rd)
    with pytest.raises(LakeError) as raised:
        check_lake_table(rd, "rd_expenditures", columns)
    assert all(part in str(raised.value) for part in (
        str(rd), "amount_yuan", "holds double", "registry holds decimal", "定点小数"))
    with pytest.raises(LakeError, match="lacks the columns uscc.*缺少字段"):
        check_lake_table(rd, "rd_expenditures", [*columns, "uscc"])

    files = sorted((lake / "designations").rglob("*.parquet"))
    assert len(files) > 1
    part = pq.ParquetFile(files[1]).read()
    at = part.schema.get_field_index("organisation_id")
    pq.write_table(part.set_column(at, "organisation_id",
                                   part.column("organisation_id").cast(pa.string())), files[1])
    with pytest.raises(LakeError) as raised:
        check_lake_table(lake / "designations", "designations", ["organisation_id", "year"])
    assert str(files[1]) in str(raised.value) and "整数" in str(raised.value)
    check_lake_table(lake / "designations", "designations", ["valid_from", "year"])
