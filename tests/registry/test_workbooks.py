"""Workbooks as bureaus keep them (issue 16): Chinese headers and synonyms, labels for codes,
dates and amounts as people write them, title rows, merged headers, sheets, totals and notes,
mapping files, and the round trip back to the same workbook."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.entities import SPECS
from observatory.registry.errors import ImportFailed
from observatory.registry.exporter import export_entity
from observatory.registry.headers import (
    doc_tables,
    label_data,
    labels,
    match_field,
    normalise,
    unit_scale,
)
from observatory.registry.importer import import_path
from observatory.registry.mapping import load_mapping, read_mapped
from observatory.registry.readers import ReadFailed
from observatory.registry.values import parse_date
from tests.registry.builders import org_rows, to_csv, uscc
from tests.registry.workbooks import plain_workbook, write_bureau_workbook

HOME = "370200"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("entity", "header", "field"), [
    ("organisations", "统一社会信用代码", "uscc"), ("organisations", "信用代码", "uscc"),
    ("organisations", "社会信用代码", "uscc"), ("organisations", "企业名称", "name_zh"),
    ("organisations", "单位名称", "name_zh"), ("organisations", "名称", "name_zh"),
    ("organisations", "所属区县", "region_code"), ("organisations", "区（市）", "region_code"),
    ("organisations", "区(市)", "region_code"), ("organisations", "所在区域", "region_code"),
    ("organisations", "行政区划", "region_code"),
    ("organisations", "国民经济行业代码", "industry_code"),
    ("organisations", "行业代码", "industry_code"), ("organisations", "成立日期", "founded_on"),
    ("organisations", "注册日期", "founded_on"), ("organisations", "从业人员", "employees"),
    ("organisations", "职工人数", "employees"), ("organisations", "英文名称", "name_en"),
    ("organisations", "机构类型", "kind"), ("designations", "证书编号", "certificate_no"),
    ("designations", "发证日期", "valid_from"), ("designations", "认定日期", "valid_from"),
    ("designations", "统一社会信用代码", "uscc"),
    ("technology_contracts", "合同登记号", "registration_no"),
    ("technology_contracts", "成交额", "total_amount_yuan"),
    ("organisation_years", "从业人员", "employees"),
    ("organisation_years", "职工人数", "employees"),
])
def test_the_usual_headers_name_their_fields(entity: str, header: str, field: str) -> None:
    assert match_field(entity, header) == field


@pytest.mark.parametrize(("header", "field"), [
    ("统一社会信用代码（18位）", "uscc"), (" 统一 社会信用代码 ", "uscc"), ("*企业名称", "name_zh"),
    ("企业名称：", "name_zh"), ("ＵＳＣＣ", "uscc"), ("uscc", "uscc"),
    ("所属区县(区市)", "region_code"),
    ("从业人员（人）", "employees"), ("成立日期[yyyy-mm-dd]", "founded_on"),
])
def test_headers_match_whatever_their_width_spaces_and_units(header: str, field: str) -> None:
    assert match_field("organisations", header) == field


def test_every_field_of_every_entity_has_a_label_and_every_label_finds_its_field() -> None:
    label_data()  # validated on load: would raise on an unknown field or an ambiguous label
    for name, spec in SPECS.items():
        for field in spec.columns:
            names = labels(name, field)
            assert names, (name, field)
            assert all(match_field(name, label) == field for label in names), (name, field)


def test_the_import_doc_lists_what_the_data_says() -> None:
    text = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    assert doc_tables() in text, "regenerate: python -m observatory.registry.headers"


@pytest.mark.parametrize("raw", [
    "2024-05-01", "2024/5/1", "2024年5月1日", "2024.5.1", "2024年05月01日", "20240501",
    45413, 45413.0, "45413", dt.datetime(2024, 5, 1), dt.date(2024, 5, 1),
    "2024-05-01 00:00:00"])
def test_dates_as_people_write_them(raw: Any) -> None:
    assert parse_date(raw) == dt.date(2024, 5, 1)


@pytest.mark.parametrize("raw", ["2024-13-01", "2024/2/30", "五月", "0", 3_000_000, "2024"])
def test_what_is_no_date(raw: Any) -> None:
    assert parse_date(raw) is None


@pytest.mark.parametrize(("header", "scale"), [
    ("成交额（万元）", Decimal(10_000)), ("成交额(亿元)", Decimal(100_000_000)),
    ("成交额（元）", Decimal(1)), ("成交额（千元）", Decimal(1000)), ("成交额", None)])
def test_units_in_headers(header: str, scale: Decimal | None) -> None:
    assert unit_scale(header) == scale
    assert match_field("technology_contracts", header) == "total_amount_yuan"


def _contracts_sheet(amount_header: str, amounts: tuple[Any, Any],
                     title: list[list[Any]] | None = None) -> list[list[Any]]:
    head = ["合同登记号", "合同类型", "卖方统一社会信用代码", "买方统一社会信用代码",
            "卖方所属区县",
            "买方所属区县", amount_header, "技术交易额（元）", "签订日期", "登记日期"]
    row = ["2024370200000001", "技术开发", uscc(0), uscc(1), "崂山区", "西海岸新区", amounts[0],
           amounts[1], "2024/3/1", "2024年3月15日"]
    return [*(title or []), head, row]


@pytest.mark.parametrize(("header", "title", "raw", "yuan"), [
    ("成交额（万元）", None, 12.5, Decimal("125000")),
    ("成交额(亿元)", None, "0.015", Decimal("1500000")),
    ("成交额", None, "800000", Decimal("800000")),
    ("成交额", [["技术合同登记表"], ["单位：万元"]], 100, Decimal("1000000")),
])
def test_amounts_are_scaled_to_yuan(engine, tmp_path: Path, header: str,
                                    title: list[list[Any]] | None, raw: Any,
                                    yuan: Decimal) -> None:
    import_path(engine, _orgs_csv(tmp_path), "organisations")
    path = plain_workbook(tmp_path / "c.xlsx",
                          {"合同": _contracts_sheet(header, (raw, "1000"), title)})
    import_path(engine, path, "technology_contracts", region=HOME)
    with Session(engine) as session:
        contract = session.scalars(select(m.TechnologyContract)).one()
    assert contract.total_amount_yuan == yuan
    assert (contract.seller_region_code, contract.buyer_region_code) == ("370212", "370211")
    assert contract.contract_type == "development"
    assert contract.signed_on == dt.date(2024, 3, 1)
    assert contract.registered_on == dt.date(2024, 3, 15)


def _orgs_csv(tmp_path: Path) -> Path:
    path = tmp_path / "orgs.csv"
    path.write_text(to_csv(org_rows(3)), encoding="utf-8")
    return path


def test_a_bureau_workbook_with_titles_merged_headers_and_totals_imports(
        engine, tmp_path: Path) -> None:
    source = write_bureau_workbook(tmp_path / "名单.xlsx", 5)
    result = import_path(engine, tmp_path / "名单.xlsx", "organisations", region=HOME)
    assert result.counts["organisations"].inserted == 5
    [mapping] = result.mappings
    assert (mapping.header_row, mapping.header_rows) == (3, 2)
    assert {c.column: c.field for c in mapping.columns if c.field} == {
        "企业名称": "name_zh", "统一社会信用代码": "uscc", "所属区县": "region_code",
        "基本情况/行业代码": "industry_code", "基本情况/成立日期": "founded_on",
        "基本情况/从业人员": "employees"}
    assert mapping.unmapped == ["序号"]
    reasons = [(w.row, w.reason_en) for w in result.warnings]
    assert (3, "column ignored: it names no field of organisations (map it with --mapping)") \
        in reasons
    assert [w.row for w in result.warnings if "totals" in w.reason_en] == [10, 11]
    with Session(engine) as session:
        found = {o.uscc: o for o in session.scalars(select(m.Organisation))}
    assert [found[r["uscc"]].region_code for r in source] == [
        "370202", "370212", "370211", "370203", "370202"]
    assert [found[r["uscc"]].founded_on for r in source] == [
        dt.date(2015, 3, 1), dt.date(2016, 5, 1), dt.date(2017, 6, 8), dt.date(2018, 7, 9),
        dt.date(2020, 1, 1)]
    assert all(found[r["uscc"]].kind == "enterprise" for r in source)  # the model's default


@pytest.mark.parametrize(("value", "code"), [
    ("市南区", "370202"), ("市南", "370202"), ("青岛市市南区", "370202"), ("黄岛区", "370211"),
    ("西海岸新区", "370211"), ("黄岛区（西海岸新区）", "370211"), ("Laoshan District", "370212"),
    ("370203", "370203")])
def test_districts_by_name_within_the_home_region(engine, tmp_path: Path, value: str,
                                                  code: str) -> None:
    rows = [["统一社会信用代码", "企业名称", "区（市）", "机构类型", "国民经济行业"],
            [uscc(7), "测试", value, "企业", "计算机、通信和其他电子设备制造业"]]
    import_path(engine, plain_workbook(tmp_path / "o.xlsx", {"Sheet": rows}),
                "organisations", region=HOME)
    with Session(engine) as session:
        org = session.scalars(select(m.Organisation)).one()
    assert (org.region_code, org.kind, org.industry_code) == (code, "enterprise", "39")


def test_a_district_outside_the_home_region_or_unknown_is_an_error(engine, tmp_path: Path) -> None:
    rows = [["统一社会信用代码", "企业名称", "区（市）"], [uscc(7), "测试", "朝阳区"],
            [uscc(8), "测试2", "北京"]]
    with pytest.raises(ImportFailed) as info:
        import_path(engine, plain_workbook(tmp_path / "o.xlsx", {"S": rows}), "organisations",
                    region=HOME)
    assert [(e.row, e.column, e.value) for e in info.value.errors] == [
        (2, "region_code", "朝阳区"), (3, "region_code", "北京")]


@pytest.mark.parametrize(("value", "code"), [("C39", "39"), ("3921", "3921"),
                                             ("39 计算机、通信和其他电子设备制造业", "39"),
                                             ("软件和信息技术服务业", "65")])
def test_industries_by_code_or_name(engine, tmp_path: Path, value: str, code: str) -> None:
    rows = [["信用代码", "单位名称", "所在区域", "行业代码"], [uscc(3), "测试", "370202", value]]
    import_path(engine, plain_workbook(tmp_path / "o.xlsx", {"S": rows}), "organisations")
    with Session(engine) as session:
        assert session.scalar(select(m.Organisation.industry_code)) == code


def test_designations_with_vocabulary_and_choice_labels_and_several_sheets(
        engine, tmp_path: Path) -> None:
    orgs = [["统一社会信用代码", "企业名称", "所属区县"], [uscc(1), "甲公司", "崂山区"],
            [uscc(2), "乙公司", "市北区"]]
    designations = [["证书编号", "统一社会信用代码", "认定类型", "认定级别", "状态", "认定日期",
                     "有效期至"],
                    ["GR202437000001", uscc(1), "国家高新技术企业", "国家级", "有效", "2024/12/1",
                     "2027年11月30日"],
                    ["GR202437000002", uscc(2), "National high-tech enterprise", "national",
                     "granted", 45627, "2027-11-30"]]
    path = plain_workbook(tmp_path / "book.xlsx",
                          {"说明": [["本工作簿说明"]], "机构": orgs, "企业认定": designations})
    result = import_path(engine, path, region=HOME)
    assert result.as_dict() == {
        "organisations": {"inserted": 2, "updated": 0, "unchanged": 0},
        "designations": {"inserted": 2, "updated": 0, "unchanged": 0}}
    assert any(w.value == "说明" and "sheet ignored" in w.reason_en for w in result.warnings)
    with Session(engine) as session:
        rows = session.execute(select(m.Designation.type_code, m.Designation.level,
                                      m.Designation.status, m.Designation.valid_from)
                               .order_by(m.Designation.certificate_no)).all()
    assert rows == [("high_tech_enterprise", "national", "granted", dt.date(2024, 12, 1))] * 2
    one = import_path(engine, path, "organisations", sheet="机构", dry_run=True)
    assert one.counts["organisations"].unchanged == 2


def test_a_missing_sheet_and_an_unnamed_workbook_are_errors(engine, tmp_path: Path) -> None:
    path = plain_workbook(tmp_path / "b.xlsx", {"Sheet1": [["名称"], ["x"]]})
    with pytest.raises(ImportFailed) as info:
        import_path(engine, path, "organisations", sheet="机构")
    assert "no sheet '机构'" in info.value.errors[0].reason_en
    with pytest.raises(ImportFailed) as info:
        import_path(engine, path)
    assert "--entity is required" in info.value.errors[0].reason_en
    assert info.value.errors[0].reason_zh.startswith("必须指定 --entity")


def test_a_mapping_file_names_what_the_labels_do_not(engine, tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("entity: technology_contracts\nheader_row: 2\ncolumns:\n"
                       "  登记编码: registration_no\n  卖方: seller_uscc\n  买方: buyer_uscc\n"
                       "  成交金额: {field: total_amount_yuan, unit: 万元}\n", encoding="utf-8")
    import_path(engine, _orgs_csv(tmp_path), "organisations")
    sheet = [["技术合同"],
             ["登记编码", "合同类型", "卖方", "买方", "卖方所属区县", "买方所属区县", "成交金额",
              "技术交易额",
              "签订日期", "登记日期"],
             ["R1", "development", uscc(0), uscc(1), "370212", "370211", 3, 20000, "2024-03-01",
              "2024-03-02"]]
    path = plain_workbook(tmp_path / "c.xlsx", {"S": sheet})
    import_path(engine, path, mapping=load_mapping(mapping))
    with Session(engine) as session:
        contract = session.scalars(select(m.TechnologyContract)).one()
    assert (contract.registration_no, contract.total_amount_yuan) == ("R1", Decimal(30000))


@pytest.mark.parametrize(("text", "fragment"), [
    ("columns: [1, 2]\n", "columns"), ("colums: {}\n", "colums"),
    ("columns:\n  x: no_such_field\n", "no_such_field"), ("header_row: 0\n", "header_row"),
    (": : :\n", "cannot read")])
def test_a_bad_mapping_file_is_a_bilingual_error(tmp_path: Path, text: str,
                                                 fragment: str) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text, encoding="utf-8")
    with pytest.raises(ReadFailed) as info:
        read_mapped(b"uscc\n1\n", "o.csv", "organisations", mapping=load_mapping(mapping))
    error = info.value.error
    assert fragment in error.reason_en and error.reason_zh and error.file == "map.yaml" \
        or fragment in error.reason_en and error.column == "x"


def test_two_columns_for_one_field_are_refused() -> None:
    with pytest.raises(ReadFailed) as info:
        read_mapped("信用代码,统一社会信用代码\n1,2\n".encode(), "o.csv", "organisations")
    assert "both name field uscc" in info.value.error.reason_en


def _cells(path: Path) -> list[list[Any]]:
    """A sheet's text, trailing empty cells dropped (openpyxl writes none)."""
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        row = ["" if v is None else str(v) for v in values]
        while row and row[-1] == "":
            row.pop()
        rows.append(row)
    return rows


def test_round_trip_chinese_workbook_to_database_and_back(engine, tmp_path: Path) -> None:
    """Issue 16's "done when": Chinese headers and district names in, the same rows out."""
    headers = ["统一社会信用代码", "企业名称", "英文名称", "机构类型", "所属区县",
               "国民经济行业代码",
               "成立日期", "从业人员", "来源", "来源标识"]
    rows = [[uscc(i), f"青岛测试{i}有限公司", f"Test {i}", ["企业", "高等学校"][i % 2],
             ["市南区", "崂山区", "黄岛区（西海岸新区）"][i % 3], "3921", f"2020-0{i + 1}-15",
             str(10 + i), "", ""] for i in range(6)]
    source = plain_workbook(tmp_path / "in.xlsx", {"机构": [headers, *rows]})
    import_path(engine, source, "organisations", region=HOME)
    out = tmp_path / "out.xlsx"
    with Session(engine) as session:
        out.write_bytes(export_entity(session, "organisations", "xlsx", "zh", HOME))
    assert _cells(out) == _cells(source)
    again = import_path(engine, out, "organisations", region=HOME)
    assert again.counts["organisations"].unchanged == 6


def test_normalise_folds_width_and_space() -> None:
    assert normalise("（ＡＢ　c）") == "(abc)"


def test_rows_after_mapping_can_keep_the_columns_that_name_no_field() -> None:
    """What name resolution reads: a published list's firm names beside the mapped fields."""
    data = "序号,企业名称,证书编号,发证日期\n1,青岛甲公司,GR1,2024/5/1\n合计,1,,\n".encode()
    [(entity, table)] = read_mapped(data, "list.csv", "designations", keep_unmapped=True)
    assert entity == "designations" and table.first_row == 2
    assert table.rows == [{"序号": "1", "企业名称": "青岛甲公司", "certificate_no": "GR1",
                           "valid_from": "2024/5/1"}]
    [(_e, plain)] = read_mapped(data, "list.csv", "designations")
    assert plain.rows == [{"certificate_no": "GR1", "valid_from": "2024/5/1"}]
    assert [w.row for w in plain.warnings if "totals" in w.reason_en] == [3]


def test_json_keys_are_read_as_headers(engine, tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    row = {"统一社会信用代码": uscc(4), "企业名称": "甲", "所属区县": "崂山区",
           "成立日期": "2020年1月2日"}
    path.write_text(json.dumps([row], ensure_ascii=False), encoding="utf-8")
    assert import_path(engine, path, "organisations", region=HOME).counts[
        "organisations"].inserted == 1
    with Session(engine) as session:
        org = session.scalars(select(m.Organisation)).one()
    assert (org.region_code, org.founded_on) == ("370212", dt.date(2020, 1, 2))
