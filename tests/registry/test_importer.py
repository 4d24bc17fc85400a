"""The importer's all-or-nothing contract, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.errors import ImportFailed
from observatory.registry.importer import import_path
from tests.registry.builders import (
    contract_row,
    org_rows,
    to_csv,
    uscc,
)


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def failing(engine, path: Path, entity: str | None = None, **kw):
    with pytest.raises(ImportFailed) as info:
        import_path(engine, path, entity, **kw)
    return info.value.errors


def test_import_then_reimport_is_idempotent_and_audited(engine, tmp_path: Path) -> None:
    path = write(tmp_path, "orgs.csv", to_csv(org_rows(5)))
    result = import_path(engine, path, "organisations")
    assert result.as_dict() == {"organisations": {"inserted": 5, "updated": 0, "unchanged": 0}}
    again = import_path(engine, path, "organisations")
    assert again.as_dict() == {"organisations": {"inserted": 0, "updated": 0, "unchanged": 5}}
    rows = org_rows(5)
    rows[2]["employees"] = "999"
    changed = import_path(engine, write(tmp_path, "orgs2.csv", to_csv(rows)), "organisations")
    assert changed.as_dict()["organisations"] == {"inserted": 0, "updated": 1, "unchanged": 4}
    with Session(engine) as session:
        audit = session.scalars(select(m.AuditLog).where(m.AuditLog.entity == "organisations")
                                .order_by(m.AuditLog.id)).all()
        assert [a.action for a in audit] == ["insert"] * 5 + ["update"]
        assert audit[-1].entity_key == rows[2]["uscc"]
        assert audit[-1].before == {"employees": 12} and audit[-1].after == {"employees": 999}
        assert session.scalar(select(m.Organisation.employees)
                              .where(m.Organisation.uscc == rows[2]["uscc"])) == 999


def test_bad_row_in_the_middle_of_a_large_file_writes_nothing(engine, tmp_path: Path) -> None:
    rows = org_rows(20000)
    rows[12345]["uscc"] = rows[12345]["uscc"][:17] + ("0" if rows[12345]["uscc"][17] != "0"
                                                       else "1")
    path = write(tmp_path, "big.csv", to_csv(rows))
    errors = failing(engine, path, "organisations")
    assert len(errors) == 1
    error = errors[0]
    assert (error.file, error.row, error.column) == ("big.csv", 12345 + 2, "uscc")
    assert error.value == rows[12345]["uscc"]
    assert "check character" in error.reason_en and error.reason_zh
    assert count(engine, m.Organisation) == 0
    assert count(engine, m.AuditLog) == 0 or all(
        a == "reference data" for a in _operations(engine))


def _operations(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(m.AuditLog.operation).distinct()))


def test_every_kind_of_bad_value_is_reported_with_row_and_column(engine, tmp_path: Path) -> None:
    import_path(engine, write(tmp_path, "o.csv", to_csv(org_rows(3))), "organisations")
    rows = [
        contract_row(1),
        contract_row(2, total_amount_yuan="-5"),                       # negative amount
        contract_row(3, technology_amount_yuan="2000000"),             # tech > total
        contract_row(4, seller_uscc=uscc(77)),                         # dangling reference
        contract_row(5, contract_type="gift"),                         # unknown code
        contract_row(6, registered_on="2024-02-30"),                   # impossible date
        contract_row(7, signed_on="2024-04-01"),                       # registered before signed
        contract_row(1),                                               # duplicate key
        contract_row(8, buyer_region_code="999999"),                   # unknown region
        contract_row(9, total_amount_yuan="1,000"),                    # thousands separator
    ]
    errors = failing(engine, write(tmp_path, "c.csv", to_csv(rows)), "technology_contracts")
    found = {(e.row, e.column) for e in errors}
    assert found == {
        (3, "total_amount_yuan"), (3, "technology_amount_yuan"),  # -5 < 800,000 as well
        (4, "technology_amount_yuan"), (5, "seller_uscc"),
        (6, "contract_type"), (7, "registered_on"), (8, "registered_on"),
        (9, "registration_no"), (10, "buyer_region_code"), (11, "total_amount_yuan"),
    }
    by_row = {e.row: e for e in errors if e.column != "technology_amount_yuan" or e.row == 4}
    assert by_row[3].reason_en == "must not be negative"
    assert "exceeds total amount" in by_row[4].reason_en
    assert "same as row 2" in by_row[9].reason_en
    assert count(engine, m.TechnologyContract) == 0


def test_gbk_file_loads_and_latin1_is_refused(engine, tmp_path: Path) -> None:
    gbk = write(tmp_path, "gbk.csv", to_csv(org_rows(2)), encoding="gbk")
    assert import_path(engine, gbk, "organisations").counts["organisations"].inserted == 2
    with Session(engine) as session:
        assert session.scalar(select(m.Organisation.name_zh).order_by(m.Organisation.id)) \
            == "测试企业0"
    rows = org_rows(1, start=5)
    rows[0]["name_zh"] = "Société Générale"
    latin = write(tmp_path, "latin.csv", to_csv(rows), encoding="latin-1")
    errors = failing(engine, latin, "organisations")
    assert errors[0].file == "latin.csv" and "--encoding" in errors[0].reason_en
    forced = import_path(engine, latin, "organisations", encoding="latin-1")
    assert forced.counts["organisations"].inserted == 1


def test_truncated_and_malformed_files(engine, tmp_path: Path) -> None:
    text = to_csv(org_rows(50))
    cut = write(tmp_path, "cut.csv", text[: len(text) // 2])
    errors = failing(engine, cut, "organisations")
    assert errors[0].row is not None and "fields" in errors[0].reason_en
    quoted = write(tmp_path, "q.csv", text + '"' + "9137,unterminated")
    assert "cut off" in failing(engine, quoted, "organisations")[0].reason_en
    bad_json = write(tmp_path, "o.json", json.dumps(org_rows(3))[:-20])
    assert "invalid JSON" in failing(engine, bad_json, "organisations")[0].reason_en
    buffer = io.BytesIO()
    wb = Workbook()
    wb.active.append(["uscc"])
    wb.save(buffer)
    half = tmp_path / "o.xlsx"
    half.write_bytes(buffer.getvalue()[:300])
    assert "XLSX" in failing(engine, half, "organisations")[0].reason_en
    assert count(engine, m.Organisation) == 0


def test_unknown_and_missing_columns(engine, tmp_path: Path) -> None:
    rows = org_rows(1)
    rows[0]["colour"] = "red"
    del rows[0]["name_zh"]
    errors = failing(engine, write(tmp_path, "o.csv", to_csv(rows)), "organisations")
    assert {(e.row, e.column) for e in errors} >= {(1, "colour"), (1, "name_zh")}


def test_xlsx_and_json_inputs(engine, tmp_path: Path) -> None:
    wb = Workbook()
    sheet = wb.active
    rows = org_rows(3)
    sheet.append(list(rows[0]))
    for row in rows:
        values = list(row.values())
        values[-1] = int(values[-1])  # a real number cell
        sheet.append(values)
    wb.save(tmp_path / "o.xlsx")
    assert import_path(engine, tmp_path / "o.xlsx", "organisations").counts[
        "organisations"].inserted == 3
    more = write(tmp_path, "o.json", json.dumps(org_rows(2, start=3), ensure_ascii=False))
    assert import_path(engine, more, "organisations").counts["organisations"].inserted == 2


def test_bundle_resolves_references_within_itself_in_dependency_order(engine, tmp_path) -> None:
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        # Listed contracts-first: the importer orders by dependency, not by manifest.
        archive.writestr("manifest.json", json.dumps({"files": [
            {"entity": "technology_contracts", "path": "c.csv"},
            {"entity": "organisations", "path": "o.csv"}]}))
        archive.writestr("c.csv", to_csv([contract_row(1), contract_row(2)]))
        archive.writestr("o.csv", to_csv(org_rows(2)))
    result = import_path(engine, bundle)
    assert result.counts["organisations"].inserted == 2
    assert result.counts["technology_contracts"].inserted == 2
    with Session(engine) as session:
        contract = session.scalars(select(m.TechnologyContract)).first()
        seller = session.get(m.Organisation, contract.seller_organisation_id)
        assert seller.uscc == uscc(0)


def test_bundle_with_a_bad_file_writes_none_of_the_files(engine, tmp_path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"files": [
        {"entity": "organisations", "path": "o.csv"},
        {"entity": "technology_contracts", "path": "c.csv"}]}))
    (folder / "o.csv").write_text(to_csv(org_rows(2)), encoding="utf-8")
    (folder / "c.csv").write_text(to_csv([contract_row(1, total_amount_yuan="abc")]),
                                  encoding="utf-8")
    errors = failing(engine, folder)
    assert [(e.file, e.row, e.column) for e in errors] == [("c.csv", 2, "total_amount_yuan")]
    assert count(engine, m.Organisation) == 0


def test_dry_run_validates_and_writes_nothing(engine, tmp_path: Path) -> None:
    path = write(tmp_path, "o.csv", to_csv(org_rows(4)))
    result = import_path(engine, path, "organisations", dry_run=True)
    assert result.dry_run and result.counts["organisations"].inserted == 4
    assert count(engine, m.Organisation) == 0


def test_self_references_within_one_file(engine, tmp_path: Path) -> None:
    import_path(engine, write(tmp_path, "o.csv", to_csv(org_rows(1))), "organisations")
    funds = [
        {"code": "SUB1", "name_zh": "子基金", "kind": "sub", "level": "city",
         "parent_fund": "MOTHER", "vintage": "2021", "size_yuan": "100"},
        {"code": "MOTHER", "name_zh": "母基金", "kind": "mother", "level": "city",
         "parent_fund": "", "vintage": "2020", "size_yuan": "1000"},
    ]
    import_path(engine, write(tmp_path, "f.csv", to_csv(funds)), "funds")
    with Session(engine) as session:
        sub = session.scalars(select(m.Fund).where(m.Fund.code == "SUB1")).one()
        assert session.get(m.Fund, sub.parent_fund_id).code == "MOTHER"


def test_organisation_facts_and_yearly_calibers(engine, tmp_path: Path) -> None:
    """Dated facts hold exactly one value; parts may not exceed their wholes; both round-trip."""
    import_path(engine, write(tmp_path, "o.csv", to_csv(org_rows(2))), "organisations")
    head = "uscc,fact_code,observed_on,value_bool,value_number,value_text\n"
    good = (f"{uscc(0)},hte_field,2015-03-01,,,electronic_information\n"
            f"{uscc(0)},major_incident_last_year,2023-09-01,true,,\n"
            f"{uscc(1)},niche_years,2024-12-31,,7,\n")
    result = import_path(engine, write(tmp_path, "f.csv", head + good), "organisation_facts")
    assert result.as_dict()["organisation_facts"]["inserted"] == 3
    with Session(engine) as s:
        rows = {r.fact_code: r for r in s.scalars(select(m.OrganisationFact))}
    assert rows["hte_field"].value_text == "electronic_information"
    assert rows["major_incident_last_year"].value_bool is True
    assert float(rows["niche_years"].value_number) == 7.0
    bad = (f"{uscc(0)},no_value,2024-01-01,,,\n"              # row 2: no value at all
           f"{uscc(0)},two_values,2024-01-01,true,1,\n"       # row 3: two values
           f"{uscc(0)},Bad-Code,2024-01-01,true,,\n"          # row 4: not a pack name
           f"{uscc(1)},niche_years,2024-12-31,,8,\n"          # row 5: fine (an update)
           f"{uscc(1)},niche_years,2024-12-31,,9,\n")         # row 6: same key as row 5
    errors = failing(engine, write(tmp_path, "g.csv", head + bad), "organisation_facts")
    by_row = {e.row: e for e in errors}
    assert set(by_row) == {2, 3, 4, 6}
    assert "found: none" in by_row[2].reason_en and "须且仅须" in by_row[2].reason_zh
    assert "value_bool, value_number" in by_row[3].reason_en
    assert by_row[4].column == "fact_code" and by_row[4].value == "Bad-Code"
    assert count(engine, m.OrganisationFact) == 3  # nothing written, not even row 5's update

    years = ("uscc,year,revenue_yuan,main_business_revenue_yuan,employees,rd_staff,ip_class1,"
             "ip_class1_own_rd\n")
    ok = f"{uscc(0)},2023,100,90,10,4,3,2\n"
    import_path(engine, write(tmp_path, "y.csv", years + ok), "organisation_years")
    bad_year = f"{uscc(1)},2023,100,120,10,11,3,4\n"
    errors = failing(engine, write(tmp_path, "z.csv", years + bad_year), "organisation_years")
    assert {e.column for e in errors} == {"main_business_revenue_yuan", "rd_staff",
                                          "ip_class1_own_rd"}
    assert all(e.row == 2 and "exceeds" in e.reason_en and "超过" in e.reason_zh for e in errors)


def test_commitment_lp_fund_link(engine, tmp_path: Path) -> None:
    """A commitment names its LP fund by code; a dangling code or the fund itself is refused."""
    funds = ("code,name_zh,kind,level,parent_fund,vintage,size_yuan\n"
             "M,母基金,mother,city,,2020,1000\nS,子基金,sub,city,M,2021,400\n")
    import_path(engine, write(tmp_path, "funds.csv", funds), "funds")
    head = "code,fund,lp_fund,lp_name,lp_type,amount_yuan,committed_on\n"
    ok = ("C1,S,M,母基金,guidance_fund,100,2021-03-01\n"
          "C2,S,,银行,financial_institution,300,2021-03-01\n")
    import_path(engine, write(tmp_path, "c.csv", head + ok), "fund_commitments")
    with Session(engine) as s:
        links = dict(s.execute(select(m.FundCommitment.code, m.FundCommitment.lp_fund_id)).all())
        mother = s.scalar(select(m.Fund.id).where(m.Fund.code == "M"))
    assert links == {"C1": mother, "C2": None}
    bad = ("C3,S,S,子基金,guidance_fund,10,2021-03-01\n"      # row 2: its own LP
           "C4,S,NOPE,某基金,guidance_fund,10,2021-03-01\n")  # row 3: no such fund
    errors = failing(engine, write(tmp_path, "d.csv", head + bad), "fund_commitments")
    assert {(e.row, e.column) for e in errors} == {(2, "lp_fund"), (3, "lp_fund")}
    own = next(e for e in errors if e.row == 2)
    assert "its own limited partner" in own.reason_en and "自身的出资人" in own.reason_zh
    assert count(engine, m.FundCommitment) == 2
