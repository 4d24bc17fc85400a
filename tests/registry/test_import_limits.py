"""Issue 15 on the import side: size limits checked while reading (finding 5), and the cases
that ended in a traceback (finding 6): parents already in the database, huge numbers,
concurrent imports. Also the CLI's --dry-run mapping, --mapping and --sheet."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.registry import models as m
from observatory.registry.errors import ImportFailed
from observatory.registry.importer import import_path, import_tables, read_inputs
from observatory.registry.readers import Limits
from tests.registry.builders import contract_row, org_rows, to_csv
from tests.registry.workbooks import write_bureau_workbook

runner = CliRunner()


def _error(engine, path: Path, entity: str | None = "organisations", **kw) -> tuple[str, str]:
    with pytest.raises(ImportFailed) as info:
        import_path(engine, path, entity, **kw)
    error = info.value.errors[0]
    return error.reason_en, error.reason_zh


def _orgs(tmp_path: Path, n: int = 3, name: str = "o.csv") -> Path:
    path = tmp_path / name
    path.write_text(to_csv(org_rows(n)), encoding="utf-8")
    return path


@pytest.mark.parametrize(("limits", "fragment_en", "fragment_zh"), [
    (Limits(file_bytes=100), "more than the limit of 100", "超过上限 100"),
    (Limits(rows=3), "more than 3 rows", "超过 3 行"),
    (Limits(columns=5), "more than the limit of 5", "超过 5 列"),
    (Limits(cell_chars=8), "more than the limit of 8", "超过 8 的上限"),
])
def test_csv_limits_stop_the_read_with_a_bilingual_error(sqlite_engine, tmp_path: Path,
                                                         limits: Limits, fragment_en: str,
                                                         fragment_zh: str) -> None:
    en, zh = _error(sqlite_engine, _orgs(tmp_path, 5), limits=limits)
    assert fragment_en in en and fragment_zh in zh


def _sheet_of(rows: int, columns: int = 2) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("S")
    for i in range(rows):
        sheet.append([f"v{i}"] * columns)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_rows_and_columns_are_limited_while_streaming(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    path.write_bytes(_sheet_of(2000, 3))
    with pytest.raises(ImportFailed) as info:
        read_inputs(path, "organisations", limits=Limits(rows=100))
    assert info.value.errors[0].row == 101 and "more than 100 rows" in \
        info.value.errors[0].reason_en
    with pytest.raises(ImportFailed) as info:
        read_inputs(path, "organisations", limits=Limits(columns=2))
    assert "3 columns" in info.value.errors[0].reason_en


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(
            {"files": [{"entity": "organisations", "path": "o.csv"}]}))
        archive.writestr("o.csv", b"0" * 5_000_000)
    assert bomb.stat().st_size < 50_000
    with pytest.raises(ImportFailed) as info:
        read_inputs(bomb, None, limits=Limits(unzipped_bytes=1_000_000))
    error = info.value.errors[0]
    assert "unpacks to" in error.reason_en and "压缩炸弹" in error.reason_zh
    with pytest.raises(ImportFailed) as info:
        read_inputs(bomb, None, limits=Limits(zip_members=1))
    assert "2 files inside" in info.value.errors[0].reason_en
    workbook = tmp_path / "w.xlsx"
    workbook.write_bytes(_sheet_of(5000, 20))
    with pytest.raises(ImportFailed) as info:
        read_inputs(workbook, "organisations", limits=Limits(unzipped_bytes=100_000))
    assert "unpacks to" in info.value.errors[0].reason_en


def test_deep_json_is_an_error_not_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        read_inputs(path, "organisations")
    assert info.value.errors[0].reason_zh.startswith("JSON 嵌套层数过多")


def test_errors_are_capped_and_counted(sqlite_engine, tmp_path: Path) -> None:
    rows = org_rows(30)
    for row in rows:
        row["employees"] = "-1"
    path = tmp_path / "bad.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    tables = read_inputs(path, "organisations")
    with Session(sqlite_engine) as session, pytest.raises(ImportFailed) as info:
        import_tables(session, tables, max_errors=7)
    assert (len(info.value.errors), info.value.total) == (7, 30)


def test_a_region_whose_parent_is_already_in_the_database_imports(engine,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("code,name_en,name_zh,level,parent_code\n"
                    "370299,Test District,测试区,district,370200\n", encoding="utf-8")
    assert import_path(engine, path, "regions").counts["regions"].inserted == 1
    with Session(engine) as session:
        assert session.scalar(select(m.Region.parent_code).where(m.Region.code == "370299")) \
            == "370200"


def test_a_fund_whose_parent_is_already_in_the_database_imports(engine, tmp_path: Path) -> None:
    head = "code,name_zh,kind,level,vintage,size_yuan,parent_fund\n"
    parent = tmp_path / "p.csv"
    parent.write_text(head + "F1,母基金,angel,city,2020,100000000,\n", encoding="utf-8")
    with Session(engine) as session:
        kind = session.scalar(select(m.VocabTerm.code).where(m.VocabTerm.scheme_code
                                                             == "fund_kind"))
    parent.write_text(head + f"F1,母基金,{kind},city,2020,100000000,\n", encoding="utf-8")
    import_path(engine, parent, "funds")
    child = tmp_path / "c.csv"
    child.write_text(head + f"F2,子基金,{kind},city,2021,5000000,F1\n", encoding="utf-8")
    assert import_path(engine, child, "funds").counts["funds"].inserted == 1
    with Session(engine) as session:
        funds = {f.code: f for f in session.scalars(select(m.Fund))}
    assert funds["F2"].parent_fund_id == funds["F1"].id


@pytest.mark.parametrize(("amount", "fragment"), [
    ("1e30", "at most 18 digits"), ("1000000000000000000", "at most 18 digits")])
def test_a_huge_amount_is_a_row_error(engine, tmp_path: Path, amount: str,
                                      fragment: str) -> None:
    import_path(engine, _orgs(tmp_path), "organisations")
    path = tmp_path / "c.csv"
    path.write_text(to_csv([contract_row(1, total_amount_yuan=amount)]), encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        import_path(engine, path, "technology_contracts")
    [error] = info.value.errors
    assert (error.row, error.column) == (2, "total_amount_yuan")
    assert fragment in error.reason_en and "数值过大" in error.reason_zh


def test_a_huge_whole_number_is_a_row_error(engine, tmp_path: Path) -> None:
    rows = org_rows(1)
    rows[0]["employees"] = "99999999999"
    path = tmp_path / "o.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        import_path(engine, path, "organisations")
    assert info.value.errors[0].column == "employees"
    assert "数值过大" in info.value.errors[0].reason_zh


def test_concurrent_imports_of_the_same_keys_fail_with_a_conflict(engine,
                                                                  tmp_path: Path) -> None:
    """The first import holds its transaction; the second, with the same new keys, gets a
    bilingual conflict (never an IntegrityError) once the first commits."""
    path = _orgs(tmp_path, 3)
    tables = read_inputs(path, "organisations")
    outcome: dict[str, BaseException | None] = {}

    def second() -> None:
        try:
            import_path(engine, path, "organisations")
            outcome["error"] = None
        except BaseException as exc:
            outcome["error"] = exc

    with Session(engine) as first:
        import_tables(first, tables)
        first.flush()
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=2)  # the second waits for the first's lock
        first.commit()
    thread.join(timeout=60)
    error = outcome["error"]
    assert isinstance(error, ImportFailed) and error.conflict, error
    assert "nothing was written" in error.errors[0].reason_en
    assert "未写入任何数据" in error.errors[0].reason_zh


def test_cli_dry_run_prints_the_mapping_and_writes_nothing(sqlite_engine, tmp_path: Path) -> None:
    url = sqlite_engine.url.render_as_string()
    path = tmp_path / "名单.xlsx"
    write_bureau_workbook(path, 3)
    result = runner.invoke(app, ["import", str(path), "--entity", "organisations",
                                 "--dry-run", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "header rows 3-4" in result.output
    assert "C 统一社会信用代码 -> uscc" in result.output
    assert "unmapped / 未映射: 序号" in result.output
    assert "totals or notes row skipped" in result.output
    with Session(sqlite_engine) as session:
        assert session.scalars(select(m.Organisation)).first() is None


def test_cli_mapping_file_errors_exit_2_bilingual(sqlite_engine, tmp_path: Path) -> None:
    url = sqlite_engine.url.render_as_string()
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  企业: no_such_field\n", encoding="utf-8")
    path = _orgs(tmp_path)
    result = runner.invoke(app, ["import", str(path), "--entity", "organisations",
                                 "--mapping", str(mapping), "--database-url", url])
    assert result.exit_code == 2
    assert "no_such_field" in result.output and "映射文件" in result.output
    mapping.write_text("columns: {uscc: uscc}\nheader_row: 1\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path), "--entity", "organisations",
                                 "--mapping", str(mapping), "--database-url", url])
    assert result.exit_code == 0, result.output


def test_cli_limits_come_from_the_settings(sqlite_engine, tmp_path: Path) -> None:
    url = sqlite_engine.url.render_as_string()
    result = runner.invoke(app, ["import", str(_orgs(tmp_path, 5)), "--entity",
                                 "organisations", "--database-url", url],
                           env={"OBSERVATORY_IMPORT_MAX_ROWS": "3"})
    assert result.exit_code == 2
    assert "more than 3 rows" in result.output and "超过 3 行" in result.output


def test_cli_export_with_chinese_headers(sqlite_engine, tmp_path: Path) -> None:
    url = sqlite_engine.url.render_as_string()
    runner.invoke(app, ["import", str(_orgs(tmp_path, 2)), "--entity", "organisations",
                        "--database-url", url])
    result = runner.invoke(app, ["export", "--entity", "organisations", "--headers", "zh",
                                 "--database-url", url], env={"OBSERVATORY_REGION": "370200"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("统一社会信用代码,企业名称,英文名称,机构类型,所属区县")
    assert ",企业,崂山区," in lines[1]
    bad = runner.invoke(app, ["export", "--entity", "organisations", "--headers", "fr",
                              "--database-url", url])
    assert bad.exit_code == 2 and "--headers" in bad.output


def test_cli_sheet_option_reads_the_named_sheet(sqlite_engine, tmp_path: Path) -> None:
    url = sqlite_engine.url.render_as_string()
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.append(["说明"])
    second = workbook.create_sheet("数据")
    rows = org_rows(2)
    second.append(list(rows[0]))
    for row in rows:
        second.append(list(row.values()))
    path = tmp_path / "b.xlsx"
    workbook.save(path)
    missing = runner.invoke(app, ["import", str(path), "--entity", "organisations", "--sheet",
                                  "无此表", "--database-url", url])
    assert missing.exit_code == 2 and "没有名为" in missing.output
    done = runner.invoke(app, ["import", str(path), "--entity", "organisations", "--sheet",
                               "数据", "--database-url", url])
    assert done.exit_code == 0, done.output
    with Session(sqlite_engine) as session:
        assert len(session.scalars(select(m.Organisation)).all()) == 2
