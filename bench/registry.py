"""Registry throughput: the example-city generator and the importer, in rows per second.

Baselines run in the same process on the same rows:
- generator vs a plain executemany of the already-built rows (the cost of writing alone);
- importer (validation, references, upsert, audit) vs a plain csv.reader + executemany of the
  same contract rows.

Usage: python bench/registry.py [--scale 1.0] [--import-rows 100000]
Machine: whatever runs it (the figures in docs/benchmarks.md came from the 2-core dev box).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session

from observatory.db import make_engine
from observatory.examples.generator import CityBuilder, bulk_write, generate_city
from observatory.registry.exporter import export_bundle, export_entity
from observatory.registry.importer import import_path
from observatory.registry.schema import insert_order
from observatory.registry.setup import init_database


def fresh_db(template: Path, folder: Path, name: str) -> str:
    path = folder / name
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--import-rows", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_registry_"))
    template = folder / "template.db"
    template_engine = make_engine(f"sqlite:///{template}")
    init_database(template_engine)
    with template_engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    template_engine.dispose()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, SQLite, scale {args.scale}")

    # Generator: build + write, versus writing the same rows alone.
    engine = make_engine(fresh_db(template, folder, "gen.db"))
    report = generate_city(engine, seed=42, scale=args.scale)
    rows = sum(report.rows.values())
    print(f"generator: {rows:,} rows in {report.seconds:.1f} s = "
          f"{report.rows_per_second:,.0f} rows/s "
          f"(organisations {report.rows['organisations']:,}, "
          f"contracts {report.rows['technology_contracts']:,})")
    tables = CityBuilder(42, args.scale).build()
    baseline = make_engine(fresh_db(template, folder, "plain.db"))
    started = time.perf_counter()
    with baseline.begin() as connection:
        for name in insert_order(tables):
            bulk_write(connection, tables[name])
    plain = time.perf_counter() - started
    print(f"baseline plain executemany of the same rows: {plain:.1f} s = {rows / plain:,.0f} "
          f"rows/s; generator/baseline time ratio {report.seconds / plain:.2f}x")

    # Importer: contracts CSV into a database that holds their organisations.
    prerequisites = folder / "prerequisites"
    with Session(engine) as session:
        data = export_entity(session, "technology_contracts", "csv")
        export_bundle(session, prerequisites, "csv",
                      ["sources", "organisations", "persons", "achievements", "demands"])
    lines = data.decode().splitlines(keepends=True)
    data = "".join(lines[: args.import_rows + 1]).encode()
    n = len(lines[: args.import_rows + 1]) - 1
    (folder / "contracts.csv").write_bytes(data)
    target = make_engine(fresh_db(template, folder, "import.db"))
    import_path(target, prerequisites)
    started = time.perf_counter()
    result = import_path(target, folder / "contracts.csv", "technology_contracts")
    ours = time.perf_counter() - started
    assert result.counts["technology_contracts"].inserted == n
    plain_engine = make_engine(fresh_db(template, folder, "plain_import.db"))
    import_path(plain_engine, prerequisites)
    started = time.perf_counter()
    reader = csv.DictReader(io.StringIO(data.decode()))
    with plain_engine.begin() as connection:
        raw = connection.connection.driver_connection
        ids = dict(raw.execute("SELECT uscc, id FROM organisations").fetchall())
        people = dict(raw.execute("SELECT code, id FROM persons").fetchall())
        achs = dict(raw.execute("SELECT code, id FROM achievements").fetchall())
        batch = [(r["registration_no"], r["contract_type"], ids[r["seller_uscc"]],
                  ids[r["buyer_uscc"]], people.get(r["broker"]), r["seller_region_code"],
                  r["buyer_region_code"], r["total_amount_yuan"], r["technology_amount_yuan"],
                  r["signed_on"], r["registered_on"], r["field_code"] or None,
                  achs.get(r["achievement"])) for r in reader]
        raw.executemany(
            "INSERT INTO technology_contracts (registration_no, contract_type, "
            "seller_organisation_id, buyer_organisation_id, broker_person_id, "
            "seller_region_code, buyer_region_code, total_amount_yuan, technology_amount_yuan, "
            "signed_on, registered_on, field_code, achievement_id) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
    plain = time.perf_counter() - started
    print(f"importer: {n:,} contracts in {ours:.1f} s = {n / ours:,.0f} rows/s "
          "(validated, references resolved, upserted, audited)")
    print(f"baseline plain csv.reader + executemany: {plain:.2f} s = {n / plain:,.0f} rows/s; "
          f"importer/baseline time ratio {ours / plain:.1f}x")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
