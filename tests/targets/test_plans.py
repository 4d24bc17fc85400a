"""Plans from the registry assessed end to end with a series provider."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.examples.generator import generate_city
from observatory.registry import models as m
from observatory.targets.forms import (
    CumulativeTarget,
    EveryYearTarget,
    MultipleTarget,
    ReductionTarget,
    TargetError,
)
from observatory.targets.plans import plan_statuses, target_form


def _row(**kw) -> m.Target:
    base = {"code": "T", "name_en": "t", "name_zh": "t", "plan_id": 1, "form": "level",
            "direction": "higher", "target_year": 2028, "method": "forecast", "params": {}}
    base.update(kw)
    return m.Target(**base)


def test_rows_become_progress_forms() -> None:
    assert target_form(_row(form="multiple", base_year=2023, params={"multiple": 2})) == \
        MultipleTarget(2.0, 2023, 2028)
    assert target_form(_row(form="reduction", base_year=2020, target_year=2025,
                            direction="lower", params={"percent": 13.5})) == \
        ReductionTarget(13.5, 2020, 2025)
    assert target_form(_row(form="cumulative", target_value=10, target_year=2027,
                            params={"window": [2025, 2027], "strict": True})) == \
        CumulativeTarget(10.0, 2025, 2027, strict=True)
    assert target_form(_row(form="every_year", target_value=30, target_year=2026,
                            params={"from_year": 2022})) == \
        EveryYearTarget(30.0, 1, from_year=2022, to_year=2026)
    with pytest.raises(TargetError):
        target_form(_row(form="level"))  # no target value
    with pytest.raises(TargetError):
        target_form(_row(form="multiple", params={"multiple": 2}))  # no base year


@pytest.fixture
def city(engine):
    generate_city(engine, seed=2, scale=0.02)
    return engine


def test_example_plans_assessed_with_the_method_named(city) -> None:
    # Every indicator doubles its 2023 value by 2025 -> the doubling targets are achieved;
    # flows (new platforms, talents...) run at 50 a year.
    def provider(code: str, region: str) -> pd.Series:
        if code in ("energy_intensity",):
            return pd.Series({2019: 1.0, 2020: 1.0, 2021: 0.97, 2022: 0.94, 2023: 0.91,
                              2024: 0.88, 2025: 0.85})
        if code in ("tech_enterprise_count", "society_rd_expenditure",
                    "platforms_provincial_plus", "tech_contract_amount", "tech_broker_count"):
            return pd.Series({2021: 80.0, 2022: 90.0, 2023: 100.0, 2024: 150.0, 2025: 210.0})
        return pd.Series({y: 50.0 for y in range(2019, 2026)})

    with Session(city) as session:
        plans = {p.code: p for p in plan_statuses(session, provider, method="opensdg")}
    assert set(plans) == {"DOUBLE5-2028", "HAICHUANG-2", "VR-2026", "GREEN-2025"}
    double = plans["DOUBLE5-2028"]
    assert [t.status for t in double.targets] == ["target_achieved"] * 5
    assert all(t.method == "opensdg" for t in double.targets)
    assert double.targets[0].assessment.target_value == pytest.approx(200.0)
    haichuang = plans["HAICHUANG-2"]
    assert len([i for i in haichuang.items if i.kind == "major_project"]) == 6
    assert len([i for i in haichuang.items if i.kind == "key_task"]) == 18
    # A task holding a target takes its status; its major project rolls it up.
    status_of = {t.code: t.status for t in haichuang.targets}
    with_target = [i for i in haichuang.items if i.targets and i.kind == "key_task"]
    assert len(with_target) == 4
    assert all(i.status == status_of[i.targets[0]] for i in with_target)
    projects = {i.code: i for i in haichuang.items if i.kind == "major_project"}
    assert projects["HAICHUANG-2-MP1"].targets == ["HC-PLATFORMS"]
    energy = next(t for t in plans["GREEN-2025"].targets if t.code == "GR-ENERGY")
    # 1.0 -> 0.85 in 2025 = -15 % against a -13.5 % target: achieved.
    assert energy.status == "target_achieved" and energy.illustrative


def test_forecast_statuses_carry_probabilities_and_paces(city) -> None:
    def provider(code: str, region: str) -> pd.Series:
        return pd.Series({2019: 60.0, 2020: 66.0, 2021: 72.0, 2022: 80.0, 2023: 88.0,
                          2024: 97.0, 2025: 106.0})

    def districts(code: str, region: str) -> pd.DataFrame:
        rows = []
        for region_code, growth in (("370212", 0.2), ("370211", 0.05)):
            for year in range(2019, 2026):
                rows.append({"region": region_code, "year": year,
                             "value": 10 * (1 + growth) ** (year - 2019)})
        return pd.DataFrame(rows)

    with Session(city) as session:
        [double] = plan_statuses(session, provider, plan="DOUBLE5-2028", districts_for=districts)
    target = double.targets[0]
    assert target.method == "forecast"
    assert 0 <= target.assessment.probability <= 1
    assert target.assessment.p10 <= target.assessment.p50 <= target.assessment.p90
    # Doubling 88 (2023) by 2028 = 176 from 106 in 2025: (176/106)^(1/3) - 1.
    assert target.pace.required_rate == pytest.approx((176 / 106) ** (1 / 3) - 1)
    by_district = target.pace_by_district.set_index("region")
    # Slow district needs the most acceleration and is listed first.
    assert list(by_district.index) == ["370211", "370212"]
    # Laoshan: goal 2 x 10 x 1.2^4 in 2028 from 10 x 1.2^6 in 2025 -> (2 / 1.2^2)^(1/3) - 1,
    # below the 20 % it has been growing: no acceleration needed.
    assert by_district.loc["370212", "required_rate"] == pytest.approx((2 / 1.44) ** (1 / 3) - 1)
    assert by_district.loc["370212", "acceleration"] < 0 < by_district.loc["370211",
                                                                          "acceleration"]


def test_unknown_plan_and_bad_target_definition(city) -> None:
    with Session(city) as session:
        with pytest.raises(LookupError):
            plan_statuses(session, lambda c, r: pd.Series(dtype=float), plan="NOPE")
        target = session.scalars(select(m.Target).where(m.Target.code == "VR-PROJECTS")).one()
        target.target_value = None
        session.flush()
        [vr] = plan_statuses(session, lambda c, r: pd.Series({2022: 30.0, 2023: 31.0}),
                             plan="VR-2026")
        bad = next(t for t in vr.targets if t.code == "VR-PROJECTS")
        assert bad.status == "not_available" and "target value" in bad.error


def test_targets_status_command_end_to_end_from_the_indicator_engine(sqlite_engine) -> None:
    import json

    from typer.testing import CliRunner

    from observatory.cli import app

    generate_city(sqlite_engine, seed=4, scale=0.05)
    url = sqlite_engine.url.render_as_string()
    result = CliRunner().invoke(app, ["targets", "status", "--format", "json",
                                      "--database-url", url])
    assert result.exit_code == 0, result.output
    plans = {p["code"]: p for p in json.loads(result.output)}
    double = plans["DOUBLE5-2028"]
    assert {t["method"] for t in double["targets"]} == {"forecast"}
    assert {t["method"] for t in plans["GREEN-2025"]["targets"]} == {"opensdg"}
    assert {t["method"] for t in plans["VR-2026"]["targets"]} == {"forecast", "weather"}
    for target in double["targets"]:
        assert target["status"] != "not_available", target
        assert 0 <= target["probability"] <= 1
        assert target["history"]["2023"] > 0
        # Doubling: the target is twice the 2023 value of the same series.
        assert target["target_value"] == target["history"]["2023"] * 2
        if target["code"] == "D5-BROKERS":  # brokers are registered city-wide, not by district
            assert "pace_by_district" not in target
            continue
        districts = {d["region"] for d in target["pace_by_district"]}
        assert districts <= {"370202", "370203", "370211", "370212", "370213", "370214",
                             "370215", "370281", "370283", "370285"} and len(districts) >= 5
    bad = CliRunner().invoke(app, ["targets", "status", "--plan", "NOPE", "--database-url", url])
    assert bad.exit_code == 2 and "no plan" in bad.output
