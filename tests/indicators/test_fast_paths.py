"""The engine's shortcuts give the figures the definitions do: distinct counts that must not
add up over regions, inputs pinned to a region, only the periods an input needs, and compiled
SQL reused only for the same definition. Expected values are worked out by hand."""

from __future__ import annotations

import copy
import datetime as dt
from importlib import resources

import pandas as pd
import pytest
import yaml
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from observatory.indicators import compute
from observatory.indicators.catalogue import Catalogue, parse_catalogue
from observatory.registry import models as m

D = dt.date
LAOSHAN, SHINAN, CITY, NATION, BEIJING = "370212", "370202", "370200", "100000", "110000"


def _catalogue(extra: list[dict], replace: dict[str, dict] | None = None) -> Catalogue:
    """The bundled catalogue plus ``extra`` definitions (and some fields of some replaced)."""
    text = resources.files("observatory.indicators").joinpath("catalogue.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    for ind in data["indicators"]:
        ind.update((replace or {}).get(ind["code"], {}))
    data["indicators"] += extra
    return parse_catalogue(data, "test.yaml")


def _base(code: str) -> dict:
    text = resources.files("observatory.indicators").joinpath("catalogue.yaml").read_text("utf-8")
    found = next(i for i in yaml.safe_load(text)["indicators"] if i["code"] == code)
    return copy.deepcopy(found)


@pytest.fixture
def registry(engine: Engine) -> Engine:
    with Session(engine) as s, s.begin():
        s.add_all([
            m.Organisation(id=i, uscc=f"91370200MA{i:08d}", name_zh=f"企业{i}", kind="enterprise",
                           region_code=region, industry_code="3969")
            for i, region in ((1, LAOSHAN), (2, LAOSHAN), (3, SHINAN), (4, BEIJING))])
        s.add_all([m.Person(id=1, code="P1", name_zh="甲"),
                   m.Person(id=2, code="P2", name_zh="乙")])
        s.flush()
        s.add_all([
            m.Designation(id=i, certificate_no=f"C{i}", organisation_id=org,
                          type_code="high_tech_enterprise", level="national", status="granted",
                          valid_from=start, valid_to=end)
            for i, org, start, end in ((1, 1, D(2021, 1, 1), None),
                                       (2, 2, D(2023, 6, 1), D(2024, 6, 30)),
                                       (3, 3, D(2024, 3, 1), None),
                                       (4, 4, D(2020, 1, 1), None))])
        s.add_all([
            # Person 1 holds two qualifications in two districts; person 2 one in Shinan.
            m.BrokerQualification(id=1, certificate_no="B1", person_id=1, level="junior",
                                  region_code=LAOSHAN, valid_from=D(2022, 1, 1), valid_to=None),
            m.BrokerQualification(id=2, certificate_no="B2", person_id=1, level="senior",
                                  region_code=SHINAN, valid_from=D(2023, 1, 1), valid_to=None),
            m.BrokerQualification(id=3, certificate_no="B3", person_id=2, level="senior",
                                  region_code=SHINAN, valid_from=D(2024, 1, 1),
                                  valid_to=D(2024, 12, 31)),
        ])
    return engine


def _value(frame: pd.DataFrame, code: str, region: str, period: int = 2024) -> float | None:
    rows = frame[(frame.indicator == code) & (frame.region == region) & (frame.period == period)]
    assert len(rows) <= 1
    return None if rows.empty else float(rows["value"].iloc[0])


@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_a_person_in_two_districts_counts_once_above_them(registry: Engine,
                                                           backend: str | None) -> None:
    senior = _base("tech_broker_count") | {
        "code": "senior_broker_count", "name_en": "Senior brokers", "name_zh": "高级技术经纪人数量",
        "where": {"level": "senior"}}
    senior.pop("key", None)
    senior.pop("methodology", None)
    cat = _catalogue([senior])
    f = compute(registry, ["tech_broker_count", "senior_broker_count"], [2023, 2024], CITY,
                by=("region",), backend=backend, catalogue=cat)
    # 2024: person 1 (Laoshan and Shinan) and person 2 (Shinan): 2 people in the city,
    # not 3, though the districts' own counts add up to 3.
    assert _value(f, "tech_broker_count", CITY) == 2
    assert _value(f, "tech_broker_count", LAOSHAN) == 1
    assert _value(f, "tech_broker_count", SHINAN) == 2
    assert _value(f, "senior_broker_count", CITY) == 2
    assert _value(f, "senior_broker_count", LAOSHAN) is None
    assert _value(f, "tech_broker_count", CITY, 2023) == 1  # person 1, qualified twice
    rows = f[(f.indicator == "tech_broker_count") & (f.region == CITY) & (f.period == 2024)]
    assert int(rows["n_records"].iloc[0]) == 3


@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_an_input_pinned_to_the_nation_is_counted_there(registry: Engine,
                                                         backend: str | None) -> None:
    share = {"code": "hte_share_of_nation", "name_en": "Share of the nation's HTEs",
             "name_zh": "占全国高新技术企业比重", "unit": "percent", "nature": "stock",
             "domain": "enterprises", "definition_en": "100 x HTEs / the nation's HTEs.",
             "source": "registry", "kind": "derived", "op": "share",
             "inputs": ["hte_count", {"code": "hte_count", "region": NATION}]}
    cat = _catalogue([share])
    f = compute(registry, ["hte_share_of_nation"], [2023, 2024], CITY, by=("region",),
                backend=backend, catalogue=cat)
    # 31 Dec 2024: orgs 1 and 3 in the city, plus org 4 in Beijing -> 3 in the nation.
    assert _value(f, "hte_share_of_nation", CITY) == pytest.approx(200 / 3)
    assert _value(f, "hte_share_of_nation", LAOSHAN) == pytest.approx(100 / 3)
    # 31 Dec 2023: orgs 1, 2 (Laoshan) and 4: 2 of 3.
    assert _value(f, "hte_share_of_nation", CITY, 2023) == pytest.approx(200 / 3)
    assert set(f.indicator) == {"hte_share_of_nation"}
    assert NATION not in set(f.region)


@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_one_period_gives_the_rows_of_a_longer_request(registry: Engine,
                                                       backend: str | None) -> None:
    for codes in (["hte_new"], ["hte_count_growth"], ["hte_count", "tech_broker_count"]):
        one = compute(registry, codes, [2024], CITY, by=("region",), backend=backend)
        many = compute(registry, codes, [2022, 2023, 2024], CITY, by=("region",),
                       backend=backend)
        pd.testing.assert_frame_equal(one, many[many.period == 2024].reset_index(drop=True))
        assert not one.empty
    one = compute(registry, ["hte_new"], [2024], CITY, by=("region",), backend=backend)
    # Net new HTEs in 2024: orgs 1, 3 at the end of 2024 against 1, 2 at the end of 2023.
    assert _value(one, "hte_new", CITY) == 0
    assert _value(one, "hte_new", SHINAN) is None  # no HTE in Shinan at the end of 2023


def test_a_changed_definition_is_compiled_again(registry: Engine) -> None:
    before = compute(registry, ["hte_count"], [2024], CITY)
    revoked = _catalogue([], {"hte_count": {"where": {"type_code": "high_tech_enterprise",
                                                      "status": "revoked"}}})
    after = compute(registry, ["hte_count"], [2024], CITY, catalogue=revoked)
    assert _value(before, "hte_count", CITY) == 2
    assert after.empty
