"""On the example city: roll-up, breakdowns and drill-down agree with the records."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine

from observatory.indicators import compute, records, series

DISTRICTS = ["370202", "370203", "370211", "370212", "370213", "370214", "370215", "370281",
             "370283", "370285"]


@pytest.fixture(scope="module")
def by_region(city: Engine) -> pd.DataFrame:
    codes = ["tech_contract_amount", "tech_contract_inflow_amount", "hte_count",
             "society_rd_expenditure", "platforms_provincial_plus"]
    return compute(city, codes, [2023, 2024], "370200", by=("region",), backend="duckdb")


@pytest.mark.parametrize("code", ["tech_contract_amount", "tech_contract_inflow_amount",
                                  "hte_count", "society_rd_expenditure",
                                  "platforms_provincial_plus"])
def test_districts_add_up_to_the_city(by_region: pd.DataFrame, code: str) -> None:
    f = by_region[(by_region.indicator == code) & (by_region.period == 2024)]
    city_value = f[f.region == "370200"]["value"].item()
    assert f[f.region.isin(DISTRICTS)]["value"].sum() == pytest.approx(city_value, rel=1e-12)
    assert set(f.region) == {"370200", *DISTRICTS}


def test_flows_follow_seller_and_buyer_regions(city: Engine) -> None:
    contracts = pd.read_sql(
        "SELECT seller_region_code, buyer_region_code, technology_amount_yuan, registered_on "
        "FROM technology_contracts", city)
    year = pd.to_datetime(contracts["registered_on"]).dt.year == 2024
    c = contracts[year]
    out_hand = c[c.seller_region_code.str.startswith("3702")]["technology_amount_yuan"].sum()
    in_hand = c[c.buyer_region_code.str.startswith("3702")]["technology_amount_yuan"].sum()
    f = compute(city, ["tech_contract_amount", "tech_contract_inflow_amount"], [2024], "370200")
    got = dict(zip(f.indicator, f.value, strict=True))
    assert got["tech_contract_amount"] == pytest.approx(float(out_hand), rel=1e-12)
    assert got["tech_contract_inflow_amount"] == pytest.approx(float(in_hand), rel=1e-12)
    assert out_hand != in_hand


def test_breakdown_by_type_adds_up(city: Engine) -> None:
    total = compute(city, ["tech_contract_amount", "fund_commitment_total"], [2024], "370200")
    split = compute(city, ["tech_contract_amount", "fund_commitment_total"], [2024], "370200",
                    by=("contract_type", "lp_class"))
    for code in ("tech_contract_amount", "fund_commitment_total"):
        whole = total[total.indicator == code]["value"].item()
        assert split[split.indicator == code]["value"].sum() == pytest.approx(whole)
    lp = split[split.indicator == "fund_commitment_total"]
    assert set(lp["lp_class"]) == {"government", "state_capital", "private"}
    assert set(split[split.indicator == "tech_contract_amount"]["contract_type"]) == {
        "development", "transfer", "licensing", "consulting", "service"}


def test_government_and_social_capital_partition_commitments(city: Engine) -> None:
    f = compute(city, ["fund_commitment_total", "fund_commitment_government",
                       "fund_commitment_social", "fiscal_leverage",
                       "social_capital_mobilisation"], [2024], "370200")
    v = dict(zip(f.indicator, f.value, strict=True))
    assert v["fund_commitment_government"] + v["fund_commitment_social"] == pytest.approx(
        v["fund_commitment_total"])
    assert v["fiscal_leverage"] == pytest.approx(v["social_capital_mobilisation"] + 1)


def test_drill_down_matches_the_figure(city: Engine) -> None:
    f = compute(city, ["tech_broker_count", "tech_contract_amount"], [2024], "370200")
    v = dict(zip(f.indicator, f.value, strict=True))
    brokers = records(city, "tech_broker_count", "370200", 2024)
    assert brokers["person_id"].nunique() == v["tech_broker_count"]
    contracts = records(city, "tech_contract_amount", "370200", 2024)
    assert contracts["technology_amount_yuan"].astype(float).sum() == pytest.approx(
        v["tech_contract_amount"])


def test_series_and_hte_new(city: Engine) -> None:
    hte = series(city, "hte_count", "370200", periods=range(2018, 2026))
    # 2019 reaches back to certificates valid at the end of 2018
    new = series(city, "hte_new", "370200", range(2019, 2026))
    assert list(new.index) == list(range(2019, 2026))
    for year in new.index:
        assert new[year] == hte[year] - hte[year - 1]
