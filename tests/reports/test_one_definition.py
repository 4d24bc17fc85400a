"""One figure, one definition: what the annual report prints for an indicator equals the
catalogue's value for that code, region and year."""

from __future__ import annotations

import shutil

import pytest

from observatory.indicators import compute
from observatory.reports.annual import report_data
from observatory.services.yearly import MARKET_CODES
from tests.web.conftest import CITY, city_template  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def report_engine(city_template, tmp_path_factory):  # noqa: F811
    from observatory.db import make_engine

    path = tmp_path_factory.mktemp("one-definition") / "city.db"
    shutil.copy(city_template, path)
    return make_engine(f"sqlite:///{path}")


def test_market_and_fund_sections_equal_the_catalogue(report_engine) -> None:
    year = 2024
    data = report_data(report_engine, year, "en", CITY)
    codes = [*MARKET_CODES, "fund_count", "fund_size_total"]
    frame = compute(report_engine, codes, [year], CITY.region).set_index("indicator")["value"]
    market, funds = data["market"], data["funds"]
    assert market["contracts"] == frame["tech_contract_count"]
    assert market["tech_amount"] == pytest.approx(frame["tech_contract_amount"])
    assert market["turnover"] == pytest.approx(frame["tech_contract_turnover"])
    assert market["inflow_contracts"] == frame["tech_contract_inflow_count"]
    assert market["inflow_amount"] == pytest.approx(frame["tech_contract_inflow_amount"])
    assert sum(v for _, v in market["by_type"]) == pytest.approx(market["tech_amount"])
    assert funds["count"] == frame["fund_count"]
    assert funds["size_yuan"] == pytest.approx(frame["fund_size_total"])
    # The key-indicator table (the plans' targets) shows the same values for the same codes.
    compared = []
    for plan in data["plans"]:
        for target in plan["targets"]:
            if target["indicator"] in frame.index and target.get("current_year") == year \
                    and (target.get("region") in (None, CITY.region)):
                assert target["current_value"] == pytest.approx(frame[target["indicator"]]), \
                    target["code"]
                compared.append(target["indicator"])
    assert "tech_contract_amount" in compared
