"""Property tests: whatever bytes, cells, rows and query strings come in, the importer and the
API answer with a precise refusal or a result, never a traceback (hypothesis)."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from observatory.registry.entities import SPECS, Field
from observatory.registry.errors import ImportFailed
from observatory.registry.importer import convert_value, import_tables
from observatory.registry.readers import ReadFailed, Table, read_table
from tests.web.conftest import bearer

BOUNDED = settings(max_examples=60, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))
KINDS = ("str", "int", "decimal", "date", "bool", "json")
DEEP = "[" * 50_000 + "]" * 50_000

cells = st.one_of(st.none(), st.text(max_size=40), st.integers(), st.booleans(),
                  st.floats(allow_nan=True, allow_infinity=True),
                  st.sampled_from(["1e999999", "-0", "2024-02-30", "TRUE", "{", DEEP, "１２",
                                   "=1+1", "'=1", "\t", "9" * 400]))


@BOUNDED
@given(kind=st.sampled_from(KINDS), raw=cells)
@example(kind="json", raw=DEEP)
def test_a_cell_converts_or_says_why_in_both_languages(kind: str, raw: object) -> None:
    value, problem = convert_value(Field("x", kind), raw)
    if problem is not None:
        assert value is None and all(problem)


@BOUNDED
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".json", ".xlsx"]))
@example(data=b"a,b\n1,2,3\n4\n", suffix=".csv")
@example(data=b"\xff\xfe\x00\x00garbage", suffix=".csv")
@example(data=b"PK\x03\x04not a zip", suffix=".xlsx")
@example(data=DEEP.encode(), suffix=".json")
@example(data=b'{"files": 1}', suffix=".json")
def test_any_bytes_read_as_a_table_or_a_precise_refusal(data: bytes, suffix: str) -> None:
    try:
        table = read_table(data, "upload" + suffix)
    except ReadFailed as failed:
        assert failed.error.reason_en and failed.error.reason_zh
        return
    assert isinstance(table, Table)
    assert all(isinstance(row, dict) for row in table.rows)


FIELD_NAMES = sorted({f.name for spec in SPECS.values() for f in spec.fields})
names = st.one_of(st.sampled_from(FIELD_NAMES),
                  st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12))
ragged_rows = st.lists(st.dictionaries(names, st.one_of(st.none(), st.text(max_size=20)),
                                       max_size=8), max_size=6)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(entity=st.sampled_from(sorted(SPECS)), rows=ragged_rows)
def test_ragged_rows_import_or_fail_with_reasons(sqlite_engine: Engine, entity: str,
                                                 rows: list[dict[str, object]]) -> None:
    columns = sorted({c for row in rows for c in row})
    table = Table("rows.csv", columns, rows)
    with Session(sqlite_engine) as session:
        try:
            import_tables(session, [(entity, table)])
        except ImportFailed as failed:
            assert failed.errors and all(e.reason_en and e.reason_zh for e in failed.errors)
        finally:
            session.rollback()


queries = st.one_of(st.text(max_size=30), st.integers().map(str),
                    st.sampled_from(["-1", "0", "99999999999999999999", "%", "_", "\x00",
                                     "1e9", "2024", "370200", "district", "year", "../.."]))


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from([
    "/api/indicators/rd_expenditure", "/api/indicators/rd_expenditure/records",
    "/api/enterprises", "/api/market", "/api/funds", "/api/data/audit",
    "/api/enterprises/1/eligibility", "/api/market/matches", "/report/annual"]),
    params=st.dictionaries(st.sampled_from(["by", "region", "period", "q", "kind", "lang",
                                            "year", "format", "pack", "as_of", "limit",
                                            "status", "entity"]), queries, max_size=4))
def test_query_parameters_never_break_the_api(shared_client, tokens, path: str,
                                              params: dict[str, str]) -> None:
    r = shared_client.get(path, params=params, headers=bearer(tokens, "admin"))
    assert r.status_code < 500, (path, params, r.status_code, r.text[:300])
    if r.status_code == 422 and path.startswith("/api/"):
        assert r.json()["detail"]
