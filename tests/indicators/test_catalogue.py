"""The catalogue is data, validated on load with precise, bilingual errors."""

from __future__ import annotations

import copy
from importlib import resources

import pytest
import yaml

from observatory.indicators.catalogue import CatalogueError, load_catalogue, parse_catalogue

_REQUIRED = """tech_sme_count hte_count hidden_champion_count single_champion_count unicorn_count
green_manufacturer_count green_factory_provincial_count green_supply_chain_count
efficiency_leader_count tech_enterprise_count national_incubator_count
national_innovation_space_count demonstration_base_count sme_cluster_national_count
platforms_provincial_plus vr_platforms_provincial_plus marine_platforms_new achievement_count
fund_count fund_size_total fund_invested_projects key_project_count vr_park_projects
marine_technologies_cracked society_rd_expenditure industry_rd_share tech_contract_amount
tech_broker_count marine_top_talents hte_new energy_intensity gii_rank vr_park_output_expected
vr_park_production_lines tech_contract_inflow_amount tech_contract_count
tech_contract_inflow_count fund_commitment_government fund_commitment_social"""
REQUIRED = _REQUIRED.split()


def raw() -> dict:
    text = resources.files("observatory.indicators").joinpath("catalogue.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def problems(data: dict) -> list:
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(data, "test.yaml")
    return info.value.problems


def test_bundled_catalogue_has_the_required_codes() -> None:
    cat = load_catalogue()
    assert [c for c in REQUIRED if c not in cat] == []
    assert sorted(c for c in cat if cat[c].key) == sorted(
        ["tech_enterprise_count", "society_rd_expenditure", "platforms_provincial_plus",
         "tech_contract_amount", "tech_broker_count"])
    assert all(cat[c].name_zh and cat[c].name_en for c in cat)
    assert cat.classifications["lp_class"]["guidance_fund"] == "government"
    assert cat.classifications["lp_class"]["central_soe"] == "state_capital"


def _indicator(data: dict, code: str) -> dict:
    return next(i for i in data["indicators"] if i["code"] == code)


def test_unknown_key_is_named() -> None:
    data = raw()
    _indicator(data, "hte_count")["colour"] = "red"
    [p] = problems(data)
    assert (p.indicator, p.key) == ("hte_count", "colour")
    assert p.reason_zh


def test_unknown_field_and_record_set() -> None:
    data = copy.deepcopy(raw())
    _indicator(data, "hte_count")["where"] = {"type_kode": "high_tech_enterprise"}
    _indicator(data, "tech_sme_count")["records"] = "companies"
    found = {(p.indicator, p.key, p.value) for p in problems(data)}
    assert ("hte_count", "where.type_kode", "type_kode") in found
    assert ("tech_sme_count", "records", "companies") in found


def test_sum_of_a_text_field_is_refused() -> None:
    data = raw()
    _indicator(data, "society_rd_expenditure")["measure"] = "funding_source"
    [p] = problems(data)
    assert p.key == "measure" and "expected" in p.reason_en


def test_cycle_is_reported() -> None:
    data = raw()
    data["indicators"] += [
        {"code": "a_x", "name_en": "a", "name_zh": "甲", "unit": "yuan", "nature": "flow",
         "definition_en": "a", "source": "t", "domain": "t", "kind": "derived",
         "op": "difference", "inputs": ["b_x", "society_rd_expenditure"]},
        {"code": "b_x", "name_en": "b", "name_zh": "乙", "unit": "yuan", "nature": "flow",
         "definition_en": "b", "source": "t", "domain": "t", "kind": "derived",
         "op": "difference", "inputs": ["a_x", "society_rd_expenditure"]}]
    assert any(p.key == "inputs" and "cycle" in p.reason_en for p in problems(data))


def test_unit_mismatches() -> None:
    data = raw()
    share = _indicator(data, "industry_rd_share")
    share["inputs"] = ["industry_rd_expenditure", "tech_contract_count"]  # yuan vs contracts
    diff = _indicator(data, "hte_new")
    diff["unit"] = "yuan"
    ratio = _indicator(data, "fiscal_leverage")
    ratio["unit"] = "yuan"  # yuan / yuan has no unit
    found = {(p.indicator, p.key) for p in problems(data)}
    assert {("industry_rd_share", "unit"), ("hte_new", "unit"),
            ("fiscal_leverage", "unit")} <= found


def test_unknown_input_and_duplicate_code() -> None:
    data = raw()
    _indicator(data, "hte_new")["inputs"] = ["hte_cnt", {"code": "hte_count", "lag": 1}]
    data["indicators"].append(dict(_indicator(data, "gii_rank")))
    found = {(p.indicator, p.key, p.value) for p in problems(data)}
    assert ("hte_new", "inputs", "hte_cnt") in found
    assert ("gii_rank", "code", "gii_rank") in found


def test_stock_flow_must_match_the_time_rule() -> None:
    data = raw()
    _indicator(data, "key_project_count")["nature"] = "stock"
    [p] = problems(data)
    assert (p.indicator, p.key) == ("key_project_count", "nature")
