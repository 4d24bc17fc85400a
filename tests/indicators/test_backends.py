"""The whole catalogue gives the same values on SQLite, PostgreSQL and DuckDB (small city)."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine

from observatory.examples.generator import generate_city
from observatory.indicators import compute

PERIODS = range(2019, 2026)


def _full(engine: Engine, backend: str | None) -> pd.DataFrame:
    frame = compute(engine, None, PERIODS, "370200", by=("region",), backend=backend)
    return frame.set_index(["indicator", "region", "period"]).sort_index()


@pytest.mark.slow
@pytest.mark.postgres
def test_all_backends_agree(sqlite_engine: Engine, postgres_engine: Engine) -> None:
    for e in (sqlite_engine, postgres_engine):
        generate_city(e, seed=7, scale=0.05)
    results = {"sqlite": _full(sqlite_engine, None), "postgres": _full(postgres_engine, None),
               "duckdb": _full(sqlite_engine, "duckdb"),
               "duckdb-from-postgres": _full(postgres_engine, "duckdb")}
    reference = results["sqlite"]
    assert len(reference) > 500
    assert reference.index.get_level_values("indicator").nunique() >= 60
    for name, other in results.items():
        assert list(other.index) == list(reference.index), name
        pd.testing.assert_series_equal(other["n_records"], reference["n_records"],
                                       check_names=False, obj=name)
        pd.testing.assert_series_equal(other["value"], reference["value"], rtol=1e-12,
                                       check_names=False, obj=name)
