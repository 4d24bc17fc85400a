"""Backup and restore of a whole database: every table, as one portable ZIP file.

Why one format for both backends: a backup taken on SQLite restores into PostgreSQL and back,
and one verifier checks every file before anything is written. The file holds
``manifest.json`` (format, schema revision, the tables in foreign-key order with their columns,
row counts and SHA-256 checksums) and ``tables/<name>.jsonl`` (one JSON array per row, ordered
by primary key). The table list is reflected from the database, never kept by hand, so a
table added by a later migration is carried without a change here.

Consistency while the app runs: on SQLite the rows are read from a snapshot taken with the
online backup API (``sqlite3.Connection.backup``); on PostgreSQL from one REPEATABLE READ
transaction. A restore verifies the whole file first, then empties the target and loads every
table in one transaction, and resets PostgreSQL sequences so new rows get fresh ids.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from observatory.registry.migrate import alembic_config, upgrade_to_head
from observatory.version import __version__

FORMAT = "observatory-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000
#: Where SQLite keeps a DateTime: SQLAlchemy's storage format, naive (UTC by convention).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class BackupError(Exception):
    """A backup or restore refused, with the reason in English and Chinese."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh


@dataclass(frozen=True)
class TableCount:
    name: str
    rows: int


@dataclass(frozen=True)
class BackupResult:
    """What a backup wrote or a restore loaded."""

    path: Path
    revision: str
    backend: str
    tables: list[TableCount]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


# --- column kinds: how a value travels between backends ------------------------------------

def column_kind(column: sa.Column[Any]) -> str:
    """The portable kind of a reflected column (decides how its values are written and read)."""
    checks: list[tuple[type[Any], str]] = [
        (sa.JSON, "json"), (sa.LargeBinary, "binary"), (sa.DateTime, "datetime"),
        (sa.Date, "date"), (sa.Boolean, "boolean"), (sa.Integer, "integer"),
        (sa.Float, "float"), (sa.Numeric, "numeric")]
    for type_, kind in checks:
        if isinstance(column.type, type_):
            return kind
    return "text"


def encode(kind: str, value: Any) -> Any:
    """A value read from either backend (raw SQLite storage or a psycopg value) as JSON holds
    it: decimals as exact text, dates and times in ISO form, bytes in base64, JSON as its text."""
    if value is None:
        return None
    if kind == "binary":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "boolean":
        return bool(value)
    if kind == "numeric":
        return repr(value) if isinstance(value, float) else str(value)
    if kind in ("date", "datetime") and isinstance(value, dt.date):
        return value.isoformat()
    return value


#: Kinds the drivers take as JSON gives them.
AS_READ = frozenset({"integer", "float", "text", "json"})


def _needs_decoding(kind: str, backend: str) -> bool:
    """Whether :func:`decode` can change a value of this kind on this backend."""
    return kind not in AS_READ and not (kind == "date" and backend == "sqlite")


def decode(kind: str, value: Any, backend: str, aware: bool) -> Any:
    """A value from the file as the target's driver takes it (``aware``: a timestamptz)."""
    if value is None or kind in AS_READ:
        return value
    if kind == "binary":
        return base64.b64decode(value)
    if kind == "boolean":
        return int(value) if backend == "sqlite" else bool(value)
    if kind == "numeric":
        number = Decimal(value)
        return float(number) if backend == "sqlite" else number
    if kind == "date":
        return value if backend == "sqlite" else dt.date.fromisoformat(value)
    return _decode_datetime(value, backend, aware)


def _decode_datetime(value: str, backend: str, aware: bool) -> Any:
    """SQLite keeps naive text as it was (byte-exact); aware times become naive UTC there.
    PostgreSQL gets a datetime; a naive one for a timestamptz column is read as UTC."""
    parsed = dt.datetime.fromisoformat(value)
    if backend == "sqlite":
        if parsed.tzinfo is None:
            return value
        return parsed.astimezone(dt.UTC).replace(tzinfo=None).strftime(SQLITE_DATETIME)
    if aware and parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    if not aware and parsed.tzinfo is not None:
        return parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


# --- backup ---------------------------------------------------------------------------------

def code_revision() -> str:
    """The schema revision this version of the code migrates to (a backup must match it)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def backup_database(engine: Engine, out: Path) -> BackupResult:
    """Write every table of the database to ``out`` (a ZIP), consistently while the app runs.

    The file appears only when complete (written beside it, then renamed), so a failed backup
    never leaves a truncated file under the final name.
    """
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            if engine.dialect.name == "sqlite":
                result = _backup_sqlite(engine, archive)
            else:
                result = _backup_postgres(engine, archive)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(out, result[0], engine.dialect.name, result[1])


def _backup_sqlite(engine: Engine, archive: zipfile.ZipFile) -> tuple[str, list[TableCount]]:
    """Snapshot through the online backup API, then read the snapshot (no lock held after)."""
    with tempfile.TemporaryDirectory(prefix="observatory-backup-") as folder:
        snapshot_path = Path(folder) / "snapshot.db"
        raw = engine.raw_connection()
        try:
            source = raw.driver_connection
            assert isinstance(source, sqlite3.Connection)
            with sqlite3.connect(snapshot_path) as snapshot:
                source.backup(snapshot)
            snapshot.close()
        finally:
            raw.close()
        snap_engine = sa.create_engine(f"sqlite:///{snapshot_path}")
        try:
            with snap_engine.connect() as conn:
                return _write_archive(conn, archive, "sqlite")
        finally:
            snap_engine.dispose()


def _backup_postgres(engine: Engine, archive: zipfile.ZipFile) -> tuple[str, list[TableCount]]:
    """Read every table inside one REPEATABLE READ, read-only transaction (one snapshot)."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                            postgresql_readonly=True) as conn, conn.begin():
        return _write_archive(conn, archive, "postgresql")


def _reflect(conn: Connection) -> sa.MetaData:
    metadata = sa.MetaData()
    metadata.reflect(bind=conn)
    return metadata


def _revision(conn: Connection, metadata: sa.MetaData) -> str | None:
    if "alembic_version" not in metadata.tables:
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _write_archive(conn: Connection, archive: zipfile.ZipFile,
                   backend: str) -> tuple[str, list[TableCount]]:
    metadata = _reflect(conn)
    revision = _revision(conn, metadata)
    if revision is None:
        raise BackupError("the database has no schema (run `observatory init` first); "
                          "nothing to back up",
                          "数据库尚无表结构（请先运行 `observatory init`），无可备份内容")
    tables = []
    counts = []
    for table in metadata.sorted_tables:
        entry = _write_table(conn, archive, table, backend)
        tables.append(entry)
        counts.append(TableCount(table.name, entry["rows"]))
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "schema_revision": revision,
                "backend": backend, "observatory_version": __version__,
                "created_at": dt.datetime.now(dt.UTC).isoformat(), "tables": tables}
    archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    return revision, counts


def _order(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns) or list(table.columns)


def _select(table: sa.Table, kinds: Sequence[str], backend: str) -> sa.Select[Any]:
    """Raw values: SQLite's storage as it is, PostgreSQL's JSON as its original text."""
    columns: list[Any] = []
    for column, kind in zip(table.columns, kinds, strict=True):
        if kind == "json" and backend != "sqlite":
            columns.append(sa.cast(column, sa.Text))
        else:
            columns.append(sa.type_coerce(column, sa.types.NullType()))
    return sa.select(*columns).order_by(*_order(table))


def _write_table(conn: Connection, archive: zipfile.ZipFile, table: sa.Table,
                 backend: str) -> dict[str, Any]:
    kinds = [column_kind(c) for c in table.columns]
    member = f"tables/{table.name}.jsonl"
    digest = hashlib.sha256()
    rows = 0
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
        _select(table, kinds, backend))
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with archive.open(member, "w") as handle:
        # Lines go to the archive a batch at a time: one compressor call per row cost
        # more than encoding the row (same bytes, same digest).
        for batch in result.partitions():
            text = "".join([dumps([encode(k, v) for k, v in zip(kinds, row, strict=True)])
                            + "\n" for row in batch]).encode("utf-8")
            digest.update(text)
            handle.write(text)
            rows += len(batch)
    return {"name": table.name, "file": member, "rows": rows, "sha256": digest.hexdigest(),
            "columns": [[c.name, k] for c, k in zip(table.columns, kinds, strict=True)]}


# --- verify ---------------------------------------------------------------------------------

def _damaged(path: Path, en: str, zh: str) -> BackupError:
    return BackupError(f"{path}: damaged or not a backup file: {en}; nothing written",
                       f"{path}：文件已损坏或不是备份文件：{zh}；未写入任何数据")


def read_manifest(path: Path) -> dict[str, Any]:
    """Open and fully verify a backup file: format, schema revision, every checksum and count.

    Why before anything else: a restore must refuse a damaged or foreign file while the target
    is still untouched.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file", f"{path}：文件不存在")
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = _load_manifest(path, archive)
            for entry in manifest["tables"]:
                _verify_member(path, archive, entry)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise _damaged(path, str(exc), str(exc)) from exc
    expected = code_revision()
    if manifest["schema_revision"] != expected:
        found = manifest["schema_revision"]
        raise BackupError(
            f"{path}: the backup is of schema revision {found!r}, this version of observatory "
            f"restores only {expected!r}; restore it with the version that wrote it "
            f"({manifest.get('observatory_version')}); nothing written",
            f"{path}：备份的表结构版本为 {found!r}，本版本只能恢复 {expected!r}；请用写出它的版本"
            f"（{manifest.get('observatory_version')}）恢复；未写入任何数据")
    return manifest


def _load_manifest(path: Path, archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError as exc:
        raise _damaged(path, "no manifest.json", "缺少 manifest.json") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise _damaged(path, f"manifest.json is not JSON ({exc})",
                       f"manifest.json 不是有效的 JSON（{exc}）") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(path, "manifest.json is not an observatory backup manifest",
                       "manifest.json 不是 observatory 备份清单")
    if manifest.get("format_version") != FORMAT_VERSION:
        version = manifest.get("format_version")
        raise BackupError(f"{path}: backup format version {version!r}; this version reads only "
                          f"{FORMAT_VERSION}; nothing written",
                          f"{path}：备份格式版本为 {version!r}，本版本只能读取 {FORMAT_VERSION}；"
                          "未写入任何数据")
    if not isinstance(manifest.get("tables"), list) or not all(
            isinstance(t, dict) and {"name", "file", "rows", "sha256", "columns"} <= t.keys()
            for t in manifest["tables"]):
        raise _damaged(path, "manifest.json lists no valid tables", "manifest.json 的表清单无效")
    return manifest


def _verify_member(path: Path, archive: zipfile.ZipFile, entry: dict[str, Any]) -> None:
    digest = hashlib.sha256()
    rows = 0
    try:
        with archive.open(entry["file"]) as handle:
            for line in handle:
                digest.update(line)
                rows += 1
    except KeyError as exc:
        raise _damaged(path, f"table {entry['name']}: {entry['file']} is missing",
                       f"表 {entry['name']}：缺少 {entry['file']}") from exc
    if digest.hexdigest() != entry["sha256"] or rows != entry["rows"]:
        raise _damaged(path, f"table {entry['name']}: checksum or row count does not match "
                       f"the manifest ({rows} rows read, {entry['rows']} listed)",
                       f"表 {entry['name']}：校验和或行数与清单不符（读到 {rows} 行，清单为 "
                       f"{entry['rows']} 行）")


# --- restore --------------------------------------------------------------------------------

def restore_database(engine: Engine, path: Path, force: bool = False) -> BackupResult:
    """Replace the database's contents with a backup's, in one transaction.

    The file is verified first; a target holding any row (outside ``alembic_version``) is
    refused unless ``force``; a target without schema is migrated to head first.
    """
    path = Path(path)
    manifest = read_manifest(path)
    with engine.connect() as conn:
        metadata = _reflect(conn)
        _refuse_occupied(conn, metadata, force)
        current = _revision(conn, metadata)
    if current != manifest["schema_revision"]:
        _migrate(engine, current)
    if engine.dialect.name == "sqlite":
        tables = _restore_sqlite(engine, path, manifest, force)
    else:
        with engine.begin() as conn:
            tables = _load(conn, path, manifest, force)
            _reset_sequences(conn, _reflect(conn))
    return BackupResult(path, manifest["schema_revision"], engine.dialect.name, tables)


def _migrate(engine: Engine, current: str | None) -> None:
    """Bring a new (or older) target to the code's schema, which the backup was checked for."""
    from alembic.util import CommandError

    try:
        upgrade_to_head(engine)
    except CommandError as exc:
        raise BackupError(
            f"the target database is at schema revision {current!r}, which this version of "
            f"observatory cannot migrate ({exc}); nothing written",
            f"目标数据库的表结构版本为 {current!r}，本版本无法迁移（{exc}）；"
            "未写入任何数据") from exc


def _refuse_occupied(conn: Connection, metadata: sa.MetaData, force: bool) -> None:
    """Why: a restore replaces everything, so a database in use is replaced only on request."""
    occupied = [] if force else _occupied(conn, metadata)
    if occupied:
        listed = ", ".join(f"{name} ({rows})" for name, rows in occupied[:5])
        raise BackupError(
            f"the target database is not empty: {listed}; restore into a new, empty database, "
            "or pass --force to replace everything in it; nothing written",
            f"目标数据库不是空的：{listed}；请恢复到新的空数据库，或加 --force 替换其中全部数据；"
            "未写入任何数据")


def _occupied(conn: Connection, metadata: sa.MetaData) -> list[tuple[str, int]]:
    """Tables holding rows (alembic_version aside): what --force would replace."""
    found = []
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        if count:
            found.append((table.name, count))
    return found


def _restore_sqlite(engine: Engine, path: Path, manifest: dict[str, Any],
                    force: bool) -> list[TableCount]:
    """Foreign keys are off while loading (self-references need not come in order) and
    checked in full before the commit; a violation rolls everything back."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()  # the PRAGMA only takes effect outside a transaction
        try:
            with conn.begin():
                tables = _load(conn, path, manifest, force)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise BackupError(
                        f"the backup breaks {len(broken)} foreign key(s), first in table "
                        f"{broken[0][0]}; nothing written",
                        f"备份中有 {len(broken)} 处外键不成立，第一处在表 {broken[0][0]}；"
                        "未写入任何数据")
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()
    return tables


def _load(conn: Connection, path: Path, manifest: dict[str, Any],
          force: bool) -> list[TableCount]:
    """Empty every table and load the backup's rows, parents before children."""
    metadata = _reflect(conn)
    entries = manifest["tables"]
    _check_tables(metadata, entries)
    _refuse_occupied(conn, metadata, force)  # again, inside the transaction that writes
    for table in reversed(metadata.sorted_tables):
        conn.execute(table.delete())
    by_name = {e["name"]: e for e in entries}
    counts = []
    with zipfile.ZipFile(path) as archive:
        for table in metadata.sorted_tables:
            entry = by_name[table.name]
            names = [c[0] for c in entry["columns"]]
            insert = _insert_sql(conn, table.name, names)
            with archive.open(entry["file"]) as handle:
                rows = _decoded_rows(table, entry, handle, conn.dialect.name)
                if _self_references(table):
                    rows = iter(_parents_first(table, names, list(rows)))
                for batch in _batches(rows):
                    conn.exec_driver_sql(insert, batch)
            counts.append(TableCount(table.name, entry["rows"]))
    return counts


def _check_tables(metadata: sa.MetaData, entries: list[dict[str, Any]]) -> None:
    """The backup and the target must have the same tables and columns (same revision)."""
    target = {t.name: [c.name for c in t.columns] for t in metadata.sorted_tables}
    backup = {e["name"]: [c[0] for c in e["columns"]] for e in entries}
    if target.keys() != backup.keys():
        extra = sorted(set(target) ^ set(backup))
        raise BackupError(f"the backup's tables differ from the database's: {', '.join(extra)}; "
                          "nothing written",
                          f"备份中的表与数据库的表不一致：{'、'.join(extra)}；未写入任何数据")
    for name, columns in target.items():
        if sorted(columns) != sorted(backup[name]):
            raise BackupError(f"table {name}: the backup's columns differ from the database's; "
                              "nothing written",
                              f"表 {name}：备份中的列与数据库的列不一致；未写入任何数据")


def _insert_sql(conn: Connection, table: str, names: Sequence[str]) -> str:
    """A positional INSERT in the driver's own parameter style: rows go to the driver as
    decoded tuples, without SQLAlchemy building a parameter dictionary per row."""
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return (f"INSERT INTO {quote(table)} ({', '.join(quote(n) for n in names)}) "
            f"VALUES ({', '.join([mark] * len(names))})")


def _decoded_rows(table: sa.Table, entry: dict[str, Any], handle: Iterable[bytes],
                  backend: str) -> Iterator[tuple[Any, ...]]:
    """The archive's lines as tuples for the driver. Only the columns whose kind needs a
    conversion on this backend are touched (integers, floats, text and JSON pass as read):
    a province's restore decodes tens of millions of values."""
    names = [c[0] for c in entry["columns"]]
    kinds = [c[1] for c in entry["columns"]]
    converted = [(i, kind, bool(getattr(table.columns[name].type, "timezone", False)))
                 for i, (name, kind) in enumerate(zip(names, kinds, strict=True))
                 if _needs_decoding(kind, backend)]
    width = len(names)
    parse = json.JSONDecoder().decode
    for number, line in enumerate(handle, start=1):
        try:
            values = parse(line.decode("utf-8"))
            if not isinstance(values, list) or len(values) != width:
                raise ValueError(f"a row of {width} values expected, not {line[:80]!r}")
            for i, kind, aware in converted:
                if values[i] is not None:
                    values[i] = decode(kind, values[i], backend, aware)
            yield tuple(values)
        except (ValueError, TypeError, InvalidOperation) as exc:
            raise BackupError(f"table {table.name}, row {number}: unreadable value ({exc}); "
                              "nothing written",
                              f"表 {table.name} 第 {number} 行：无法读取的值（{exc}）；"
                              "未写入任何数据") from exc


def _self_references(table: sa.Table) -> list[sa.ForeignKey]:
    return [fk for fk in table.foreign_keys if fk.column.table.name == table.name]


def _parents_first(table: sa.Table, names: Sequence[str], rows: list[tuple[Any, ...]]
                   ) -> list[tuple[Any, ...]]:
    """Rows of a self-referencing table (regions, plan items, funds) ordered so that every row
    follows the row it points to: PostgreSQL checks each foreign key as rows arrive."""
    at = {name: i for i, name in enumerate(names)}
    links = [(at[fk.parent.name], at[fk.column.name]) for fk in _self_references(table)]
    placed: dict[int, set[Any]] = {target: set() for _, target in links}
    present = {target: {row[target] for row in rows} for _, target in links}
    ordered: list[tuple[Any, ...]] = []
    waiting = rows
    while waiting:
        ready: list[tuple[Any, ...]] = []
        later: list[tuple[Any, ...]] = []
        for row in waiting:
            ok = all(row[src] is None or row[src] not in present[dst] or row[src] in placed[dst]
                     for src, dst in links)
            (ready if ok else later).append(row)
        if not ready:  # a cycle: leave the rest in order, the database reports it
            ready, later = later, []
        for row in ready:
            for _, target in links:
                placed[target].add(row[target])
        ordered += ready
        waiting = later
    return ordered


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _reset_sequences(conn: Connection, metadata: sa.MetaData) -> None:
    """Point each PostgreSQL sequence past the largest restored id, so new rows get fresh ids."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column_kind(column) != "integer":
                continue
            sequence = conn.execute(sa.select(sa.func.pg_get_serial_sequence(
                table.name, column.name))).scalar()
            if sequence is None:
                continue
            top = conn.execute(sa.select(sa.func.max(column))).scalar()
            conn.execute(sa.select(sa.func.setval(sequence, top or 1, top is not None)))


def describe(result: BackupResult) -> list[dict[str, object]]:
    """Rows per table, for a command's report."""
    return [{"table": t.name, "rows": t.rows} for t in result.tables]


__all__ = ["BackupError", "BackupResult", "backup_database", "read_manifest",
           "restore_database", "describe", "code_revision"]
