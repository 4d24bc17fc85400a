"""``observatory resolve organisations``, ``import --resolve-names`` and ``observatory review``
on a small registry, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.registry import models as m
from observatory.registry.importer import import_path
from tests.registry.builders import ORG_COLUMNS, to_csv, uscc

runner = CliRunner()
FIRMS = {1: ("青岛海澜新能源5号有限公司", "370212"), 2: ("青岛海澜新能源15号有限公司", "370211"),
         3: ("青岛瑞泰海洋装备有限公司", "370212"), 4: ("青岛鼎新生物医药股份有限公司", "370203")}


def seed(engine: Engine, tmp_path: Path) -> str:
    """Four firms (one with a former name); the database URL."""
    rows = [{"uscc": uscc(i), "name_zh": name, "name_en": "", "kind": "enterprise",
             "region_code": region, "industry_code": "3921", "founded_on": "2015-03-01",
             "employees": "20"} for i, (name, region) in FIRMS.items()]
    path = tmp_path / "orgs.csv"
    path.write_text(to_csv(rows, ORG_COLUMNS), encoding="utf-8")
    import_path(engine, path, "organisations")
    former = tmp_path / "names.csv"
    former.write_text(to_csv([{"uscc": uscc(4), "name_zh": "青岛旧名制药有限公司"}]),
                      encoding="utf-8")
    import_path(engine, former, "organisation_names")
    return engine.url.render_as_string(hide_password=False)


def test_resolve_keeps_input_order_and_columns(engine, tmp_path: Path) -> None:
    url = seed(engine, tmp_path)
    names = ["海澜新能源5号（青岛）有限责任公司", "完全不相干的名字", "青岛海兰新能源15号有限公司",
             "旧名制药有限公司", "瑞泰海洋装备有限公司"]
    source = tmp_path / "names.csv"
    source.write_text(to_csv([{"企业名称": n, "所属区县": "崂山区" if i == 4 else ""}
                              for i, n in enumerate(names)]), encoding="utf-8")
    out = tmp_path / "result.csv"
    result = runner.invoke(app, ["resolve", "organisations", str(source), "--out", str(out),
                                 "--database-url", url])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == ["name", "uscc", "matched_name", "score", "decision"]
    assert [r["name"] for r in rows] == names
    assert [(r["uscc"], r["decision"]) for r in rows] == [
        (uscc(1), "auto"), ("", "none"), (uscc(2), "review"), (uscc(4), "auto"),
        (uscc(3), "auto")]
    assert rows[3]["matched_name"] == "青岛鼎新生物医药股份有限公司"
    assert float(rows[0]["score"]) == 100.0 and 75 <= float(rows[2]["score"]) < 100
    assert "auto 3, review 1, none 1" in result.output


def test_resolve_refuses_bad_input_with_exit_2(sqlite_engine, tmp_path: Path) -> None:
    url = seed(sqlite_engine, tmp_path)
    source = tmp_path / "names.csv"
    source.write_text(to_csv([{"firm": "x"}]), encoding="utf-8")
    no_column = runner.invoke(app, ["resolve", "organisations", str(source),
                                    "--database-url", url])
    assert no_column.exit_code == 2 and "缺少名称列" in no_column.output
    source.write_text(to_csv([{"name": "青岛瑞泰海洋装备有限公司", "region": "火星"}]),
                      encoding="utf-8")
    bad_region = runner.invoke(app, ["resolve", "organisations", str(source),
                                     "--database-url", url])
    assert bad_region.exit_code == 2 and "row 2, column region" in bad_region.output
    region_option = runner.invoke(app, ["resolve", "organisations", str(source), "--region",
                                        "nowhere", "--database-url", url])
    assert region_option.exit_code == 2 and "--region" in region_option.output


def published_list(path: Path) -> None:
    """A list as a bureau publishes it: names as printed, certificates, dates, no USCC."""
    book = Workbook()
    sheet = book.active
    sheet.append(["企业名称", "certificate_no", "type_code", "level", "valid_from", "status"])
    sheet.append(["海澜新能源5号有限公司", "GR202437000001", "high_tech_enterprise", "national",
                  "2024-12-01", "granted"])
    sheet.append(["青岛 瑞泰海洋装备 有限责任公司", "GR202437000002", "high_tech_enterprise",
                  "national", "2024-12-01", "granted"])
    sheet.append(["青岛海兰新能源15号有限公司", "GR202437000003", "high_tech_enterprise",
                  "national", dt.datetime(2024, 12, 1), "granted"])  # a date cell
    sheet.append(["青岛从未登记的企业有限公司", "GR202437000004", "high_tech_enterprise",
                  "national", "2024-12-01", "granted"])
    book.save(path)


def _count(engine: Engine, model: type[m.Base]) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_published_list_imports_sure_rows_and_queues_the_rest(engine, tmp_path: Path) -> None:
    url = seed(engine, tmp_path)
    path = tmp_path / "list.xlsx"
    published_list(path)
    args = ["import", str(path), "--entity", "designations", "--resolve-names",
            "--database-url", url]
    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert _count(engine, m.Designation) == 0 and _count(engine, m.NameReview) == 0
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "2 resolved automatically (imported), 1 queued for review, 1 unknown" in done.output
    with Session(engine) as session:
        held = dict(session.execute(select(m.Designation.certificate_no, m.Organisation.uscc)
                                    .join(m.Organisation)).all())
        queued = session.scalars(select(m.NameReview).order_by(m.NameReview.id)).all()
        audited = session.scalar(select(func.count()).select_from(m.AuditLog)
                                 .where(m.AuditLog.entity == "name_reviews"))
    assert held == {"GR202437000001": uscc(1), "GR202437000002": uscc(3)}
    assert [(q.row_no, q.decision, q.row_key) for q in queued] == [
        (4, "review", "GR202437000003"), (5, "none", "GR202437000004")]
    assert queued[0].candidates[0]["uscc"] == uscc(2)
    assert queued[0].row["valid_from"] == "2024-12-01" and audited == 2
    again = runner.invoke(app, args)  # importing the list again queues nothing twice
    assert again.exit_code == 0 and "2 already queued" in again.output
    assert _count(engine, m.NameReview) == 2


def test_review_list_accept_and_reject_from_the_command_line(engine, tmp_path: Path) -> None:
    url = seed(engine, tmp_path)
    path = tmp_path / "list.xlsx"
    published_list(path)
    runner.invoke(app, ["import", str(path), "--entity", "designations", "--resolve-names",
                        "--database-url", url])
    listed = runner.invoke(app, ["review", "list", "--format", "csv", "--database-url", url])
    assert listed.exit_code == 0
    items = list(csv.DictReader(io.StringIO(listed.output)))
    assert [i["name"] for i in items] == ["青岛海兰新能源15号有限公司",
                                          "青岛从未登记的企业有限公司"]
    first, second = (int(i["id"]) for i in items)
    no_candidate = runner.invoke(app, ["review", "accept", str(second), "--database-url", url])
    assert no_candidate.exit_code == 2 and "USCC" in no_candidate.output
    unknown = runner.invoke(app, ["review", "accept", str(second), "--uscc", uscc(77),
                                  "--database-url", url])
    assert unknown.exit_code == 2 and "no organisation" in unknown.output
    accepted = runner.invoke(app, ["review", "accept", str(first), "--database-url", url])
    assert accepted.exit_code == 0, accepted.output
    rejected = runner.invoke(app, ["review", "reject", str(second), "--database-url", url])
    assert rejected.exit_code == 0
    twice = runner.invoke(app, ["review", "reject", str(second), "--database-url", url])
    assert twice.exit_code == 2 and "already rejected" in twice.output
    with Session(engine) as session:
        holder = session.scalar(select(m.Organisation.uscc).join(m.Designation).where(
            m.Designation.certificate_no == "GR202437000003"))
        statuses = session.scalars(select(m.NameReview.status).order_by(m.NameReview.id)).all()
        ops = session.scalars(select(m.AuditLog.operation).where(
            m.AuditLog.operation.like("review %"))).all()
    assert holder == uscc(2)
    assert statuses == ["accepted", "rejected"]
    assert sorted(set(ops)) == [f"review accept {first}", f"review reject {second}"]
    assert _count(engine, m.Designation) == 3
    left = runner.invoke(app, ["review", "list", "--format", "json", "--database-url", url])
    assert left.output.strip() == "[]"


def test_import_resolving_refuses_what_it_cannot_do(sqlite_engine, tmp_path: Path) -> None:
    url = seed(sqlite_engine, tmp_path)
    path = tmp_path / "list.xlsx"
    published_list(path)
    no_entity = runner.invoke(app, ["import", str(path), "--resolve-names",
                                    "--database-url", url])
    assert no_entity.exit_code == 2 and "--resolve-names" in no_entity.output
    regions = runner.invoke(app, ["import", str(path), "--entity", "regions",
                                  "--resolve-names", "--database-url", url])
    assert regions.exit_code == 2 and "designations" in regions.output
    nameless = tmp_path / "nameless.csv"
    nameless.write_text(to_csv([{"certificate_no": "GR1", "type_code": "tech_sme"}]),
                        encoding="utf-8")
    missing = runner.invoke(app, ["import", str(nameless), "--entity", "designations",
                                  "--resolve-names", "--database-url", url])
    assert missing.exit_code == 2 and "no name column" in missing.output
    bad = tmp_path / "bad.csv"
    bad.write_text(to_csv([{"name": "青岛瑞泰海洋装备有限公司", "certificate_no": "GR2",
                            "type_code": "tech_sme", "level": "national",
                            "valid_from": "someday", "status": "granted"},
                           {"name": "无人知晓的公司", "certificate_no": "GR3",
                            "type_code": "no_such_type", "level": "national",
                            "valid_from": "", "status": "granted"}]), encoding="utf-8")
    invalid = runner.invoke(app, ["import", str(bad), "--entity", "designations",
                                  "--resolve-names", "--database-url", url])
    assert invalid.exit_code == 2
    assert "row 2, column valid_from" in invalid.output  # a sure row's error
    assert "row 3, column type_code" in invalid.output  # a queued row's error, too
    assert _count(sqlite_engine, m.Designation) == 0
    assert _count(sqlite_engine, m.NameReview) == 0


def test_resolve_reads_workbooks_with_chinese_headers_and_uscc_hints(engine,
                                                                      tmp_path: Path) -> None:
    url = seed(engine, tmp_path)
    book = Workbook()
    sheet = book.active
    sheet.append(["单位名称", "统一社会信用代码", "区（市）"])
    sheet.append(["海澜新能源5号公司", uscc(1), ""])  # the hint decides, the name agrees
    sheet.append(["青岛瑞泰海洋装备有限公司", uscc(1), ""])  # the name contradicts the hint
    sheet.append(["青岛瑞泰海洋装备有限公司", "", "黄岛区"])  # the firm is in 崂山区
    path = tmp_path / "names.xlsx"
    book.save(path)
    result = runner.invoke(app, ["resolve", "organisations", str(path), "--database-url", url])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["uscc"], r["decision"]) for r in rows] == [
        (uscc(1), "auto"), (uscc(1), "review"), (uscc(3), "review")]
