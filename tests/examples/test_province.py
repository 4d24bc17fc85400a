"""The province example: Shandong's 16 cities, Qingdao as the example city, the province
calibrated to the NBS figures for 2019-2023 (what `indicators reconcile` shows)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.examples.generator import calibration_targets
from observatory.examples.province import (
    CALIBRATED_YEARS,
    PROVINCE,
    TWINS,
    add_province,
)
from observatory.indicators import compute
from observatory.registry import models as m
from observatory.services.reconcile import reconcile
from tests.conftest import copy_example_city

CITY = "370200"


@pytest.fixture(scope="module")
def province(example_city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The province around a copy of the session's example city (seed 42, scale 1): what
    ``generate_province(engine, seed=42)`` writes, without generating the city again."""
    engine = copy_example_city(example_city_path, tmp_path_factory.mktemp("province"))
    add_province(engine, seed=42)
    return engine


@pytest.mark.slow
def test_nbs_figures_are_reproduced_for_2019_to_2023(province: Engine) -> None:
    report = reconcile(province, region=PROVINCE, years=CALIBRATED_YEARS)
    twins = {r.indicator: r for r in report.rows if r.indicator in TWINS.values()}
    assert set(twins) == set(TWINS.values())
    rows = [r for r in report.rows if r.indicator in TWINS.values()]
    assert len(rows) == len(TWINS) * len(CALIBRATED_YEARS)
    assert all(r.status == "match" for r in rows), [
        (r.indicator, r.period, r.published, r.computed) for r in rows if r.status != "match"]
    assert {r.source for r in rows} == {"nbs-province-stats"}


@pytest.mark.slow
def test_sixteen_cities_and_qingdao_still_the_seed_city(province: Engine) -> None:
    with Session(province) as s:
        cities = s.scalars(select(m.Region.code).where(m.Region.parent_code == PROVINCE,
                                                       m.Region.level == "city")).all()
        districts = dict(s.execute(select(m.Region.parent_code, func.count())
                                   .where(m.Region.level == "district")
                                   .group_by(m.Region.parent_code)).tuples().all())
        outside = s.scalar(select(func.count()).select_from(m.TechnologyContract).where(
            ~m.TechnologyContract.buyer_region_code.like("37%")))
    assert len(cities) == 16 and "371200" not in cities  # Laiwu is part of Jinan since 2019
    assert all(districts.get(c, 0) >= 4 for c in cities)
    assert outside and outside > 1000  # counterparts in other provinces
    by_city = compute(province, ["hte_count", "society_rd_expenditure"], [2023], PROVINCE,
                      by=("region",))
    assert set(by_city["region"]) >= set(cities)
    # the seed article's figures for the city and its districts, as printed
    seed = [r for r in reconcile(province).rows if r.source == "seed-china-daily-2024"]
    assert not [r for r in seed if r.status == "differs"]
    assert {r.indicator for r in seed if r.status == "match"} >= set(calibration_targets())
    rd = by_city[by_city.indicator == "society_rd_expenditure"].set_index("region")["value"]
    assert rd[CITY] / rd[PROVINCE] < 0.4  # a plausible share, not most of the province


def test_unknown_province_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "--province", "atlantis", "--database-url",
                                      f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2 and "shandong-example" in result.output


@pytest.mark.slow
def test_the_cities_are_compared_on_the_size_adjusted_index(province: Engine) -> None:
    from observatory.services.district_index import district_index

    result = district_index(province, runs=0, region=PROVINCE, year=2023)
    assert result.left_out == [] and len(result.results) == 16
    assert result.results["score"].nunique() > 8  # the cities differ, not ties of imputed means
