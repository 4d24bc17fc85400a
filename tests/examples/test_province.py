"""The province example: Shandong's 16 cities, Qingdao as the example city, the province
calibrated to the NBS figures for 2019-2023 (what `indicators reconcile` shows)."""

from __future__ import annotations

import datetime as dt
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


@pytest.mark.slow
def test_the_other_cities_contracts_are_well_formed(province: Engine) -> None:
    """Each contract the province adds: a known type, a technology part of 55-100 % of its
    total (rounded down to the cent), signed up to 60 days before it is registered."""
    from observatory.market.contracts import CONTRACT_TYPES

    with province.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT contract_type, CAST(ROUND(total_amount_yuan * 100) AS INTEGER), "
            "CAST(ROUND(technology_amount_yuan * 100) AS INTEGER), signed_on, registered_on, "
            "registration_no FROM technology_contracts "
            "WHERE source_ref = 'province-contract'").fetchall()
    assert len(rows) > 100_000
    assert {r[0] for r in rows} == set(CONTRACT_TYPES)
    assert all(total * 55 // 100 <= tech <= total for _, total, tech, *_ in rows)
    assert sum(tech < total for _, total, tech, *_ in rows) > len(rows) // 2
    gaps = {(dt.date.fromisoformat(reg) - dt.date.fromisoformat(signed)).days
            for _, _, _, signed, reg, _ in rows}
    assert min(gaps) == 0 and max(gaps) == 59
    assert all(no.startswith(f"37{reg[:4]}SD") for *_, reg, no in rows)
    assert len({r[5] for r in rows}) == len(rows)


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
