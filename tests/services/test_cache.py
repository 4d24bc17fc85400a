"""The figure cache: survives unrelated writes, sees related ones from any process, serves the
previous result while one rebuild runs, and never builds a result from stale parts."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from observatory.db import make_engine
from observatory.registry import models as m
from observatory.registry.audit import record_change
from observatory.services.cache import StateCache, data_versions, figure_tables
from tests.web import conftest as web

city_template, shared_engine, shared_client = (  # the web tests' example city
    web.city_template, web.shared_engine, web.shared_client)


def _write(engine: Engine, entity: str) -> None:
    """An audited write under ``entity`` (what every write path does)."""
    with Session(engine) as session, session.begin():
        record_change(session, actor="test", entity=entity, entity_key="k", action="update",
                      before=None, after={"n": 1})


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_an_unrelated_write_keeps_figures_and_a_related_one_moves_them(engine: Engine) -> None:
    cache, compute = StateCache(engine), Counter()
    figures = figure_tables()
    assert "organisations" in figures and "saved_searches" not in figures
    assert cache.get("f", compute, depends=figures) == 1
    _write(engine, "saved_searches")
    _write(engine, "web_api_tokens")
    assert cache.get("f", compute, depends=figures) == 1
    _write(engine, "organisations")
    assert cache.get("f", compute, depends=figures) == 2
    assert cache.get("any", Counter()) == 1  # the default depends on every write
    _write(engine, "matches")
    assert cache.get("any", Counter()) == 1 and cache.get("f", compute, depends=figures) == 2


def test_a_write_through_another_process_is_seen(engine: Engine) -> None:
    """A second engine on the same database stands for another server worker."""
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        cache, compute = StateCache(engine), Counter()
        before = data_versions(engine)
        assert cache.get("f", compute, depends=("observations",)) == 1
        _write(other, "observations")
        after = data_versions(engine)
        assert after["observations"] == before.get("observations", 0) + 1
        assert after["*"] == before["*"] + 1
        assert cache.get("f", compute, depends=("observations",)) == 2
    finally:
        other.dispose()


def test_an_audit_name_that_is_no_table_outdates_every_figure(sqlite_engine: Engine) -> None:
    cache, compute = StateCache(sqlite_engine), Counter()
    cache.get("f", compute, depends=figure_tables())
    _write(sqlite_engine, "something_new")
    assert cache.get("f", compute, depends=figure_tables()) == 2


def test_readers_get_the_previous_result_while_one_rebuild_runs(sqlite_engine: Engine) -> None:
    cache = StateCache(sqlite_engine)
    release, calls = threading.Event(), []

    def slow() -> int:
        calls.append(1)
        if len(calls) > 1:
            release.wait(10)
        return len(calls)

    first = cache.entry("o", slow, depends=("observations",), stale_ok=True)
    assert first.value == 1 and not first.stale
    _write(sqlite_engine, "observations")
    started = time.perf_counter()
    for _ in range(5):  # many readers, none waits, one rebuild
        hit = cache.entry("o", slow, depends=("observations",), stale_ok=True)
        assert hit.value == 1 and hit.stale and hit.as_of == first.as_of
    assert time.perf_counter() - started < 2
    time.sleep(0.1)
    assert len(calls) == 2
    release.set()
    assert cache.wait_rebuilds(10)
    fresh = cache.entry("o", slow, depends=("observations",), stale_ok=True)
    assert fresh.value == 2 and not fresh.stale and fresh.as_of > first.as_of


def test_each_outdated_result_is_rebuilt_without_waiting_for_another_request(
        sqlite_engine: Engine) -> None:
    cache, compute = StateCache(sqlite_engine), Counter()
    cache.get("o", compute, depends=("observations",), stale_ok=True)
    for expected in (2, 3):  # the second rebuild is scheduled after the first one's duration
        _write(sqlite_engine, "observations")
        assert cache.get("o", compute, depends=("observations",), stale_ok=True) == \
            expected - 1
        assert cache.wait_rebuilds(10)
        assert compute.calls == expected
    hit = cache.entry("o", compute, depends=("observations",), stale_ok=True)
    assert hit.value == 3 and not hit.stale


def test_staleness_is_bounded(sqlite_engine: Engine) -> None:
    cache, compute = StateCache(sqlite_engine, max_stale=0.0), Counter()
    cache.get("o", compute, depends=("observations",), stale_ok=True)
    _write(sqlite_engine, "observations")
    time.sleep(0.01)
    # the first reader marks it outdated; past max_stale the reader waits for the rebuild
    cache.get("o", compute, depends=("observations",), stale_ok=True)
    time.sleep(0.01)
    assert cache.get("o", compute, depends=("observations",), stale_ok=True) >= 2


def test_a_result_is_never_built_from_stale_parts(sqlite_engine: Engine) -> None:
    """The overview is built from the cached plans: inside a rebuild the parts are fresh."""
    cache, part = StateCache(sqlite_engine), Counter()

    def whole() -> int:
        return 100 + cache.get("part", part, depends=("targets",), stale_ok=True)

    assert cache.get("whole", whole, depends=("targets",), stale_ok=True) == 101
    _write(sqlite_engine, "targets")
    assert cache.get("whole", whole, depends=("targets",), stale_ok=True) == 101  # stale
    assert cache.wait_rebuilds(10)
    assert cache.get("whole", whole, depends=("targets",), stale_ok=True) == 102


def test_the_overview_shows_a_changed_figure_after_its_rebuild(
        shared_client: TestClient, shared_engine: Engine) -> None:
    """End to end: a published figure the overview shows changes; the next request may show
    the previous overview (marked stale, with its time), the one after the rebuild the new."""
    before = shared_client.get("/api/overview").json()
    assert before["as_of"] and before["stale"] is False and before["gii_rank"]
    period, value = before["gii_rank"][-1]
    with Session(shared_engine) as session, session.begin():
        row = session.scalar(select(m.Observation).where(
            m.Observation.indicator_code == "gii_rank", m.Observation.period == str(period)))
        assert row is not None
        session.execute(update(m.Observation).where(m.Observation.id == row.id)
                        .values(value=value + 7))
        record_change(session, actor="test", entity="observations", entity_key="gii_rank",
                      action="update", before={"value": value}, after={"value": value + 7})
    during = shared_client.get("/api/overview").json()
    assert during["gii_rank"][-1][1] in (value, value + 7)
    if during["gii_rank"][-1][1] == value:
        assert during["stale"] is True and during["as_of"] == before["as_of"]
    assert shared_client.app.state.deployment.cache.wait_rebuilds(120)
    after = shared_client.get("/api/overview").json()
    assert after["gii_rank"][-1][1] == value + 7 and after["stale"] is False
    page = shared_client.get("/overview?lang=en")
    assert 'id="as-of"' in page.text and "Figures as of" in page.text
