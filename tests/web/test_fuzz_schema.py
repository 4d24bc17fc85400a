"""Schemathesis over ``/openapi.json`` against the app in process (ASGI, no network): random
valid and invalid requests to every documented operation, anonymous and as an admin, find no
5xx and no successful response outside its declared schema.

Bounded: a few examples per operation (``FUZZ_EXAMPLES``, default 10), no deadline per example,
so the run takes about a minute on two cores; raise ``OBSERVATORY_FUZZ_EXAMPLES`` to dig deeper.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks
from sqlalchemy import Engine

from observatory.db import make_engine
from observatory.services.auth import create_api_token
from observatory.web.app import create_app
from tests.web.conftest import CITY, demo_user

FUZZ_EXAMPLES = int(os.environ.get("OBSERVATORY_FUZZ_EXAMPLES", "10"))
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_engine(city_template: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[Engine]:
    """A private copy: the fuzzer's writes (as an admin) land here only."""
    path = tmp_path_factory.mktemp("fuzz") / "city.db"
    shutil.copy(city_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def admin_headers(fuzz_engine: Engine) -> dict[str, str]:
    token = create_api_token(fuzz_engine, demo_user(fuzz_engine, "admin").id, "fuzz")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def api_schema(fuzz_engine: Engine):
    app = create_app(fuzz_engine, settings=CITY, matching="bm25")
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _fuzz(operation, admin_headers: dict[str, str], tried: list[str]) -> list[str]:
    """Valid and invalid requests to one operation, anonymous then as an admin; what broke."""
    found: list[str] = []
    strategy = (operation.as_strategy(GenerationMode.POSITIVE)
                | operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        tried.append(operation.label)
        for headers in (None, admin_headers):
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # collect all, then report
                who = "admin" if headers else "anonymous"
                found.append(f"{operation.label} as {who}: {str(exc)[:600]}")
                return

    run()
    return found


def test_no_operation_answers_5xx_or_outside_its_schema(api_schema, admin_headers) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    tried: list[str] = []
    failures = [f for op in operations for f in _fuzz(op, admin_headers, tried)]
    assert set(tried) == {op.label for op in operations}  # every operation was called
    assert len(tried) >= 3 * len(operations)
    assert not failures, "\n\n".join(failures)
