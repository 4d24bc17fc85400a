"""Name resolution: normalisation, decisions, and precision/recall on the example city."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.importer import import_path
from observatory.registry.names import NameIndex, RegionNames
from tests.conftest import copy_example_city
from tests.registry import names_testset
from tests.registry.builders import org_rows, to_csv, uscc

REGIONS = [("370000", "山东", "Shandong", "province", None),
           ("310000", "上海", "Shanghai", "province", None),
           ("370200", "青岛市", "Qingdao", "city", "370000"),
           ("370211", "黄岛区（西海岸新区）", "Huangdao District (West Coast New Area)",
            "district", "370200"),
           ("370212", "崂山区", "Laoshan District", "district", "370200")]


def small_index() -> NameIndex:
    index = NameIndex(RegionNames(REGIONS))
    index.add_organisation(uscc(1), "青岛海澜新能源5号有限公司", "370212")
    index.add_organisation(uscc(2), "青岛海澜新能源15号有限公司", "370211")
    index.add_organisation(uscc(3), "青岛瑞泰海洋装备有限公司", "370212")
    index.add_organisation(uscc(4), "上海瑞泰海洋装备有限公司", "310000")
    renamed = index.add_organisation(uscc(5), "青岛鼎新生物医药股份有限公司", "370211")
    index.add_name(renamed, "青岛旧名制药有限公司", former=True)
    return index


@pytest.mark.parametrize("printed", [
    "青岛海澜新能源5号有限公司", "海澜新能源5号有限公司", "山东省青岛市崂山区海澜新能源5号有限公司",
    "海澜新能源5号（青岛）有限公司", "海澜新能源5号(青岛)有限责任公司",
    "海澜 新能源 ５号 股份有限公司",
    "崂山海澜新能源5号集团有限公司", "QINGDAO海澜新能源5号有限公司",
])
def test_the_same_firm_written_as_lists_write_it_is_matched_automatically(printed: str) -> None:
    result = small_index().resolve(printed)
    assert (result.decision, result.candidates[0].uscc) == ("auto", uscc(1))


def test_region_names_come_from_the_registry_not_the_code() -> None:
    regions = RegionNames(REGIONS)
    assert regions.normalise("黄岛区海澜有限公司").named == (frozenset({"370211"}),)
    assert regions.normalise("西海岸新区海澜有限公司").core == "海澜"
    assert regions.normalise("烟台海澜有限公司").core == "烟台海澜"  # not a registry region
    assert regions.lookup("崂山") == regions.lookup("Laoshan District") == "370212"
    assert regions.lookup("黄岛区（西海岸新区）") == regions.lookup("西海岸新区") == "370211"
    assert regions.lookup("火星") is None


def test_a_branch_is_not_its_parent() -> None:
    result = small_index().resolve("青岛海澜新能源5号有限公司崂山分公司")
    assert result.decision != "auto"


def test_a_typo_goes_to_review_with_the_firm_offered() -> None:
    result = small_index().resolve("青岛海兰新能源5号有限公司")
    assert result.decision == "review"
    assert uscc(1) in [c.uscc for c in result.candidates]
    assert result.score is not None and 75 <= result.score < 100


def test_a_former_name_matches_and_says_so() -> None:
    result = small_index().resolve("旧名制药有限公司")
    assert result.decision == "auto"
    assert (result.candidates[0].uscc, result.candidates[0].via) == (uscc(5), "former_name")
    assert result.candidates[0].name == "青岛鼎新生物医药股份有限公司"


def test_the_region_in_the_name_or_hint_picks_between_namesakes() -> None:
    index = small_index()
    assert index.resolve("瑞泰海洋装备有限公司").decision == "review"  # two namesakes
    sure = index.resolve("青岛瑞泰海洋装备有限公司")
    assert (sure.decision, sure.candidates[0].uscc) == ("auto", uscc(3))
    hinted = index.resolve("瑞泰海洋装备有限公司", region="370212")
    assert (hinted.decision, hinted.candidates[0].uscc) == ("auto", uscc(3))
    # the same name in a district that does not hold the firm: not sure
    assert index.resolve("黄岛区瑞泰海洋装备有限公司").decision == "review"
    assert index.resolve("海澜新能源5号有限公司", region="370211").decision == "review"


def test_firms_not_in_the_registry_are_not_matched_automatically() -> None:
    index = small_index()
    for name in ("上海海澜新能源5号有限公司", "烟台海澜新能源5号有限公司",
                 "青岛海澜新能源5号科技有限公司", "青岛海澜新能源25号有限公司"):
        assert index.resolve(name).decision in ("review", "none"), name
    assert index.resolve("北京完全不同的公司").decision == "none"


def test_a_uscc_hint_decides_unless_the_name_contradicts_it() -> None:
    index = small_index()
    agreed = index.resolve("海澜新能源5号公司", uscc_hint=uscc(1).lower())
    assert (agreed.decision, agreed.candidates[0].via) == ("auto", "uscc")
    contradicted = index.resolve("青岛瑞泰海洋装备有限公司", uscc_hint=uscc(1))
    assert contradicted.decision == "review"
    assert [c.uscc for c in contradicted.candidates][:2] == [uscc(1), uscc(3)]
    unknown = index.resolve("青岛海澜新能源5号有限公司", uscc_hint=uscc(99))
    assert unknown.decision == "review" and "not in the registry" in unknown.reason_en


def test_former_names_import_and_export_and_are_read_by_the_index(engine, tmp_path) -> None:
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(to_csv(org_rows(3)), encoding="utf-8")
    import_path(engine, orgs, "organisations")
    names = tmp_path / "names.csv"
    names.write_text(to_csv([{"uscc": uscc(2), "name_zh": "青岛老字号机械厂",
                              "valid_to": "2019-12-31"}]), encoding="utf-8")
    result = import_path(engine, names, "organisation_names")
    assert result.counts["organisation_names"].inserted == 1
    again = import_path(engine, names, "organisation_names")
    assert again.counts["organisation_names"].unchanged == 1
    from observatory.registry.exporter import export_entity

    with Session(engine) as session:
        exported = export_entity(session, "organisation_names", "csv").decode("utf-8-sig")
        index = NameIndex.load(session)
    assert "青岛老字号机械厂" in exported and uscc(2) in exported
    found = index.resolve("老字号机械厂")
    assert (found.decision, found.candidates[0].uscc) == ("auto", uscc(2))
    assert index.resolve("测试企业1").candidates[0].uscc == uscc(1)


@pytest.fixture(scope="module")
def city_with_former_names(example_city_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """The example city, its labelled cases, and former names imported for some firms."""
    engine = copy_example_city(example_city_path, tmp_path_factory.mktemp("names_city"))
    with Session(engine) as session:
        cases, renames = names_testset.build(session)
    folder = tmp_path_factory.mktemp("former_names")
    path = folder / "organisation_names.csv"
    path.write_text(to_csv([{"uscc": u, "name_zh": n} for u, n in renames]), encoding="utf-8")
    import_path(engine, path, "organisation_names")
    yield engine, cases
    engine.dispose()


def test_precision_and_recall_on_the_example_city(city_with_former_names) -> None:
    """auto must be sure (precision >= 0.995) and auto + review must find the firm (recall
    >= 0.98); firms not in the registry are never matched automatically."""
    engine, cases = city_with_former_names
    with Session(engine) as session:
        organisations = len(session.scalars(select(m.Organisation.id)).all())
        started = time.perf_counter()
        index = NameIndex.load(session)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    figures = names_testset.measure(index, cases)
    resolved = time.perf_counter() - started
    print(f"\n{organisations} organisations, index {loaded:.1f} s, "
          f"{len(cases)} names {resolved:.1f} s: {figures}")
    assert figures["positives"] >= 1500 and figures["cases"] - figures["positives"] >= 400
    assert figures["negatives_auto"] == 0
    assert figures["precision"] >= 0.995
    assert figures["recall"] >= 0.98
    assert figures["auto_share"] >= 0.5  # the sure cases are most cases, not a token few
    kinds = {c.kind for c in cases}
    assert {"typo", "former_name", "dropped_prefix", "company_form", "region_in_brackets",
            "same_name_other_city", "branch"} <= kinds
