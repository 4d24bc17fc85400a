"""Every registry table as Parquet, for a data lake: what DuckDB, Spark or pandas read directly.

Why the database's own tables and not the import/export entities: analytics engines join on the
numeric keys, and a lake keeps the schema the registry has (decimals with their precision,
dates as dates). Large tables are written in batches, so memory stays flat at national size;
the tables whose rows carry a year of their own are partitioned by it (``year=2024/``, hive
style), so a query for one year reads one folder.

Web accounts, sessions, tokens and staged uploads (``services.tables``, tables ``web_*``) share
the metadata but never leave the database this way.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    select,
)
from sqlalchemy.types import JSON

from observatory.registry import models as m

#: table -> the date column whose year partitions it (the busiest tables at national size)
PARTITIONS = {"technology_contracts": "registered_on", "designations": "valid_from",
              "fund_cash_flows": "flow_on", "audit_log": "at"}
BATCH_ROWS = 200_000

ProgressFn = Callable[[str, int], None]


@dataclass(frozen=True)
class Written:
    """One table written: where, how many rows, and the year partitions if any."""

    table: str
    path: Path
    rows: int
    partitioned_by: str | None


#: Tables of the web app on the same metadata (accounts, sessions, tokens, staged uploads):
#: never part of an analytics export.
WEB_PREFIX = "web_"


def registry_tables() -> list[str]:
    """Every registry table, parents before children (the order a loader needs)."""
    return [t.name for t in m.Base.metadata.sorted_tables
            if not t.name.startswith(WEB_PREFIX)]


def arrow_type(column: object) -> pa.DataType:
    """The Parquet type of a registry column: decimals keep their precision and scale."""
    kind = getattr(column, "type", None)
    if isinstance(kind, Boolean):
        return pa.bool_()
    if isinstance(kind, Integer):
        return pa.int64()
    if isinstance(kind, Float) or (isinstance(kind, Numeric) and not kind.asdecimal):
        return pa.float64()
    if isinstance(kind, Numeric):
        return pa.decimal128(kind.precision or 38, kind.scale or 0)
    if isinstance(kind, DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, Date):
        return pa.date32()
    if isinstance(kind, LargeBinary):
        return pa.binary()
    if isinstance(kind, JSON):
        return pa.string()  # JSON text, as the CSV export writes it
    return pa.string()


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c), nullable=True) for c in table.columns])


def _batches(engine: Engine, table: Table, schema: pa.Schema) -> Iterable[pa.RecordBatch]:
    """The table's rows in primary-key order, BATCH_ROWS at a time, as Arrow batches."""
    import json

    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    order = list(table.primary_key.columns) or list(table.columns)[:1]
    with engine.connect().execution_options(stream_results=True) as conn:
        result = conn.execute(select(table).order_by(*order))
        while rows := result.fetchmany(BATCH_ROWS):
            columns = {name: [row[i] for row in rows] for i, name in enumerate(schema.names)}
            for name in json_columns:
                columns[name] = [None if v is None else json.dumps(v, ensure_ascii=False)
                                 for v in columns[name]]
            yield pa.RecordBatch.from_pydict(columns, schema=schema)


def _write_partitioned(batches: Iterable[pa.RecordBatch], schema: pa.Schema, folder: Path,
                       column: str) -> int:
    rows = 0
    part_schema = schema.append(pa.field("year", pa.int32()))
    for i, batch in enumerate(batches):
        dates = batch.column(column)
        years = pc.year(dates).cast(pa.int32())
        table = pa.Table.from_batches([batch]).append_column("year", years)
        ds.write_dataset(table, folder, format="parquet", schema=part_schema,
                         partitioning=ds.partitioning(pa.schema([("year", pa.int32())]),
                                                      flavor="hive"),
                         basename_template=f"part-{i:05d}-{{i}}.parquet",
                         existing_data_behavior="overwrite_or_ignore")
        rows += batch.num_rows
    if rows == 0:  # an empty table still reads back, with its columns
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(schema.empty_table(), folder / "part-empty.parquet")
    return rows


def export_parquet(engine: Engine, folder: Path, tables: Iterable[str] | None = None,
                   progress: ProgressFn | None = None) -> list[Written]:
    """Write each table to ``folder/<table>.parquet`` or, partitioned, ``folder/<table>/``.

    An existing file or folder of the same table is replaced; other files are left alone."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = registry_tables() if tables is None else [t for t in registry_tables()
                                                        if t in set(tables)]
    written = []
    for name in wanted:
        table = m.Base.metadata.tables[name]
        schema = arrow_schema(table)
        column = PARTITIONS.get(name)
        target = folder / name if column else folder / f"{name}.parquet"
        if target.is_dir():
            shutil.rmtree(target)
        batches = _batches(engine, table, schema)
        if column:
            rows = _write_partitioned(batches, schema, target, column)
        else:
            rows = 0
            with pq.ParquetWriter(target, schema) as writer:
                for batch in batches:
                    writer.write_batch(batch)
                    rows += batch.num_rows
        written.append(Written(name, target, rows, column))
        if progress is not None:
            progress(name, rows)
    return written


class LakeError(ValueError):
    """A table a request needs is missing from a lake, or lacks a column."""


def table_path(folder: Path, name: str) -> Path | None:
    """Where :func:`export_parquet` put a table: ``<name>.parquet`` or, partitioned,
    ``<name>/`` (None: not in this lake)."""
    for candidate in (folder / f"{name}.parquet", folder / name):
        if candidate.exists():
            return candidate
    return None


def table_files(path: Path) -> list[tuple[Path, pa.Schema]]:
    """Each file of a table as :func:`export_parquet` wrote it, with the schema its Parquet
    footer records (a partitioned folder: every file, without the ``year`` of its folder).
    Only footers are read (small); a file that is not Parquet is a :class:`LakeError` in both
    languages naming it, so that a reader says which file, not deep inside an engine."""
    current = path
    try:
        if not path.is_dir():
            return [(path, pq.read_schema(path))]
        dataset = ds.dataset(path, format="parquet", partitioning="hive")
        found = []
        for fragment in dataset.get_fragments():
            current = Path(fragment.path)
            found.append((current, fragment.physical_schema))
        return found
    except (pa.ArrowException, OSError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LakeError(f"{current} is not a readable Parquet table ({reason}) / {current} "
                        f"不是可读的 Parquet 表（{reason}）") from None


def type_family(kind: pa.DataType) -> str:
    """What a reader can count on of a Parquet type: integer widths or string sizes differ
    between writers, an amount stored as a float or text is another thing.

    >>> type_family(pa.int32()), type_family(pa.decimal128(20, 2)), type_family(pa.utf8())
    ('integer', 'decimal', 'text')
    """
    checks = ((pa.types.is_boolean, "boolean"), (pa.types.is_integer, "integer"),
              (pa.types.is_decimal, "decimal"), (pa.types.is_floating, "float"),
              (pa.types.is_timestamp, "timestamp"), (pa.types.is_date, "date"),
              (pa.types.is_string, "text"), (pa.types.is_large_string, "text"),
              (pa.types.is_binary, "binary"), (pa.types.is_large_binary, "binary"))
    return next((family for test, family in checks if test(kind)), str(kind))


def check_lake_table(path: Path, name: str, columns: list[str]) -> None:
    """Every file of a lake table holds the listed columns with the registry's kind of type,
    or a :class:`LakeError` in both languages naming the file, the column, what it holds and
    what the registry holds (a column an engine would fail on, or sum as floats)."""
    files = table_files(path)
    present = {n for _, schema in files for n in schema.names} | (
        {"year"} if path.is_dir() else set())
    absent = [c for c in columns if c not in present]
    if absent:
        raise LakeError(f"table {name} in {path.parent} lacks the columns {', '.join(absent)} / "
                        f"数据湖中的表 {name} 缺少字段 {', '.join(absent)}")
    registry = m.Base.metadata.tables.get(name)
    expected = {} if registry is None else {
        c.name: type_family(arrow_type(c)) for c in registry.columns}
    for file, schema in files:
        absent = [c for c in columns if c not in schema.names and c != "year"]
        if absent:
            raise LakeError(f"table {name}: {file} lacks the columns {', '.join(absent)} / "
                            f"表 {name} 的文件 {file} 缺少字段 {', '.join(absent)}")
        for column in columns:
            want = expected.get(column)
            if want is None or column not in schema.names:
                continue
            found = schema.field(column).type
            if type_family(found) != want:
                raise LakeError(
                    f"table {name}: column {column} in {file} holds {found}, where the "
                    f"registry holds {want} / 表 {name} 的文件 {file} 中字段 {column} 的类型为 "
                    f"{found}，登记库中为 {type_family_zh(want)}")


def type_family_zh(family: str) -> str:
    """A type family's name in Chinese (an unknown one as it is)."""
    return {"boolean": "布尔值", "integer": "整数", "decimal": "定点小数", "float": "浮点数",
            "timestamp": "时间戳", "date": "日期", "text": "文本", "binary": "二进制"
            }.get(family, family)


def read_back(path: Path) -> pa.Table:
    """A table as written (a file, or a partitioned folder with its ``year`` column)."""
    if path.is_dir():
        return ds.dataset(path, format="parquet", partitioning="hive").to_table()
    return pq.read_table(path)
