"""A served app builds the overview's figures at start: the first reader finds them ready."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from observatory.services import plans
from observatory.web.app import create_app
from tests.web.conftest import CITY


def test_served_app_has_the_overview_ready_for_its_first_reader(
        city_engine, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(city_engine, settings=CITY, matching="bm25", warm_pages=True)
    with TestClient(app) as client:
        app.state.warming.join(120)
        assert not app.state.warming.is_alive()

        def not_again(*args: object, **kwargs: object) -> None:
            raise AssertionError("the overview was built again for its first reader")

        monkeypatch.setattr(plans, "plans_tree", not_again)
        r = client.get("/overview?lang=en")
        assert r.status_code == 200 and 'id="index-map"' in r.text
    # an app for tests or scripts builds nothing it is not asked for
    quiet = create_app(city_engine, settings=CITY, matching="bm25")
    with TestClient(quiet):
        assert not hasattr(quiet.state, "warming")
