"""Every published figure the example city is calibrated to comes out of its records."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from observatory.examples.generator import CITY, published_figures
from observatory.indicators import compute, load_catalogue

CALIBRATED = [f for f in published_figures()["figures"] if f.get("calibrate")]
PLAN_CODES = sorted({t["indicator"] for p in published_figures()["plans"] for t in p["targets"]})


def test_every_published_and_planned_code_is_in_the_catalogue() -> None:
    cat = load_catalogue()
    codes = {f["code"] for f in published_figures()["figures"]} | set(PLAN_CODES)
    codes -= {"national_vr_industry_scale_target"}  # a plan's target, not a statistic
    assert sorted(codes - set(cat)) == []


@pytest.fixture(scope="module")
def computed(city: Engine) -> pd.DataFrame:
    regions = sorted({f.get("region", CITY) for f in CALIBRATED})
    return compute(city, sorted({f["code"] for f in CALIBRATED}), [2024], regions)


@pytest.mark.parametrize("figure", CALIBRATED, ids=[f["code"] for f in CALIBRATED])
def test_calibrated_figure_equals_published(figure: dict, computed: pd.DataFrame,
                                           city: Engine) -> None:
    region = figure.get("region", CITY)
    row = computed[(computed.indicator == figure["code"]) & (computed.region == region)
                   & (computed.period == int(figure["period"]))]
    assert len(row) == 1
    value = float(row["value"].iloc[0])
    with city.connect() as conn:
        published = conn.execute(text(
            "SELECT value FROM observations o JOIN sources s ON s.id = o.source_id "
            "WHERE indicator_code = :c AND region_code = :r AND period = :p "
            "AND s.code = 'seed-china-daily-2024'"),
            {"c": figure["code"], "r": region, "p": figure["period"]}).scalar_one()
    assert float(published) == figure["value"]
    if figure["code"] == "industry_rd_share":  # "more than 60 %"
        assert value > figure["value"]
    else:
        assert value == figure["value"]
    assert row["unit"].iloc[0] == figure["unit"]
