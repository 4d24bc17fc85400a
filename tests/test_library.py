"""The notebook face: ``observatory.connect`` answers from the same services as the web."""

from __future__ import annotations

import doctest
import shutil
from pathlib import Path

import pytest

import observatory
from observatory import library
from observatory.config import write_settings
from observatory.examples import EXAMPLE_CITY_SETTINGS
from observatory.services import funds as funds_service


@pytest.fixture(scope="module")
def example_home(example_city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    shutil.copy(example_city_path, home / "observatory.db")
    write_settings(home, EXAMPLE_CITY_SETTINGS)
    return home


def test_docstring_examples_run_on_the_example_city(example_home: Path) -> None:
    result = doctest.testmod(library, extraglobs={"example_home": str(example_home)},
                             optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 4 and result.failed == 0


def test_each_area_answers_from_the_services(example_home: Path) -> None:
    city = observatory.connect(example_home)
    frame = city.indicators.compute(["hte_count", "tech_sme_count"], periods=[2023, 2024])
    assert set(frame["indicator"]) == {"hte_count", "tech_sme_count"}
    assert set(frame["period"]) == {2023, 2024}
    assert set(frame["region"]) == {"370200"}
    targets = city.targets.frame()
    assert {"plan", "code", "status"} <= set(targets.columns) and len(targets) > 0
    funds = city.funds.metrics()
    page = funds_service.funds_page(city.deployment.engine)
    assert list(funds["code"]) == [f.code for f in page.funds]
    hits = city.market.search("海洋", kind="achievement", k=5)
    assert hits.results, "the example city has marine achievements"
    match = city.market.match(hits.results[0].code, k=3)
    assert match.source.code == hits.results[0].code and len(match.results) <= 3
    assert {p.code for p in city.eligibility.packs()} >= {"hte"}


def test_a_missing_home_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="observatory init"):
        observatory.connect(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()
