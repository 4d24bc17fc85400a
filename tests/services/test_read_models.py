"""The services answer without the web: typed read models, bilingual refusals, object rules."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.db import make_engine
from observatory.registry import models as m
from observatory.services import enterprises, indicators, plans
from observatory.services.auth import ANONYMOUS, Principal
from observatory.services.context import Deployment
from observatory.services.errors import Denied, Invalid, NotFound
from tests.web.conftest import CITY, city_template  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def dep(city_template: Path, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
        ) -> Iterator[Deployment]:
    path = tmp_path_factory.mktemp("services") / "city.db"
    shutil.copy(city_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield Deployment(engine, CITY, matching="bm25")
    engine.dispose()


def _two_enterprises(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return list(session.scalars(select(m.Organisation.id)
                                    .where(m.Organisation.kind == "enterprise")
                                    .order_by(m.Organisation.id).limit(2)))


def test_overview_is_a_typed_model_led_by_the_key_plan(dep: Deployment) -> None:
    over = plans.cached_overview(dep)
    assert isinstance(over, plans.Overview)
    assert over.key_plan is not None and over.key_plan.code == CITY.key_plan
    assert over.key_indicators and all(t.status for t in over.key_indicators)
    assert plans.cached_overview(dep) is over  # cached while the data is unchanged


def test_indicator_values_use_the_home_region_and_refuse_bad_input(dep: Deployment) -> None:
    values = indicators.indicator_view(dep, "hte_count", "year")
    assert values.region == CITY.region and values.rows
    with pytest.raises(Invalid) as refused:
        indicators.indicator_view(dep, "hte_count", "month")
    assert "by must be year or district" in str(refused.value) and "须为" in str(refused.value)
    with pytest.raises(NotFound):
        indicators.indicator_view(dep, "no_such_indicator", "year")


def test_object_rules_hold_outside_the_web(dep: Deployment) -> None:
    own, other = _two_enterprises(dep.engine)
    user = Principal("e", "enterprise", user_id=1, organisation_id=own)
    assert enterprises.enterprise_profile(dep.engine, user, own).id == own
    with pytest.raises(NotFound):
        enterprises.enterprise_profile(dep.engine, user, other)
    with pytest.raises(Denied):
        enterprises.enterprise_list(dep.engine, ANONYMOUS, "")
