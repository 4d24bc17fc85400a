"""The web import page (issue 16 item 5, issue 15 findings 5 and 6): upload -> mapping
preview (header row, mapped and unmapped columns, first rows) -> validate -> confirm, with its
JSON twin; bad file names, oversized files and capped error lists."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.importer import import_tables, read_inputs
from observatory.services.accounts import DEMO_PASSWORDS
from observatory.services.tables import ImportRun
from observatory.web.app import create_app
from tests.registry.builders import org_rows, to_csv
from tests.registry.workbooks import write_bureau_workbook
from tests.web.conftest import CITY, csrf_of, login


def _client(engine, **settings: int) -> tuple[TestClient, str]:
    client = TestClient(create_app(engine, settings=CITY.model_copy(update=settings)))
    login(client, "demo-analyst", DEMO_PASSWORDS["analyst"])
    return client, csrf_of(client.get("/data").text)


def _upload(client: TestClient, token: str, name: str, data: bytes, entity: str = "",
            **extra: tuple[str, bytes, str]):
    return client.post("/data/imports", data={"csrf": token, "entity": entity},
                       files={"file": (name, data, "application/octet-stream"), **extra})


def test_upload_previews_the_mapping_then_confirms(city_engine, tmp_path) -> None:
    client, token = _client(city_engine)
    path = tmp_path / "名单.xlsx"
    source = write_bureau_workbook(path, 4)
    page = _upload(client, token, "名单.xlsx", path.read_bytes(), "organisations")
    assert page.status_code == 200 and 'data-status="validated"' in page.text
    assert '<span class="header-row">3–4</span>' in page.text
    assert '<span class="unmapped">序号</span>' in page.text
    assert "青岛测试科技有限公司0" in page.text  # first rows
    run = client.get(page.url.path.replace("/data/", "/api/data/")).json()
    [preview] = run["preview"]
    assert (preview["header_row"], preview["header_rows"]) == (3, 2)
    assert {c["column"]: c["field"] for c in preview["columns"]}["所属区县"] == "region_code"
    assert preview["unmapped"] == ["序号"]
    assert [r["uscc"] for r in preview["first_rows"]] == [r["uscc"] for r in source]
    assert [w["row"] for w in run["warnings"] if "totals" in w["reason_en"]] == [9, 10]
    with Session(city_engine) as session:
        assert session.scalar(select(m.Organisation).where(
            m.Organisation.uscc == source[0]["uscc"])) is None
    done = client.post(page.url.path, data={"csrf": token, "action": "confirm"})
    assert 'data-status="committed"' in done.text
    with Session(city_engine) as session:
        org = session.scalars(select(m.Organisation).where(
            m.Organisation.uscc == source[1]["uscc"])).one()
    assert org.region_code == "370212"


def test_sheet_and_mapping_file_are_used_on_validate_and_confirm(city_engine) -> None:
    client, token = _client(city_engine)
    rows = org_rows(2, start=900)
    text = "说明行\n" + to_csv(rows).replace("name_zh", "企业全称")
    mapping = "header_row: 2\ncolumns:\n  企业全称: name_zh\n".encode()
    page = _upload(client, token, "o.csv", text.encode(), "organisations",
                   mapping=("m.yaml", mapping, "text/yaml"))
    assert 'data-status="validated"' in page.text, page.text
    done = client.post(page.url.path, data={"csrf": token, "action": "confirm"})
    assert 'data-status="committed"' in done.text
    with Session(city_engine) as session:
        assert session.scalar(select(m.Organisation.name_zh).where(
            m.Organisation.uscc == rows[0]["uscc"])) == rows[0]["name_zh"]


@pytest.mark.parametrize("name", [".", "..", "x" * 400 + ".csv"])
def test_bad_file_names_are_refused_with_a_reason(city_engine, name: str) -> None:
    client, token = _client(city_engine)
    page = _upload(client, token, name, b"uscc\n", "organisations")
    assert page.status_code == 422
    assert "file name" in page.text or "文件名" in page.text
    with Session(city_engine) as session:
        assert session.scalars(select(ImportRun)).first() is None


def test_an_upload_past_the_size_limit_is_413(city_engine) -> None:
    client, token = _client(city_engine, import_max_file_bytes=100)
    page = _upload(client, token, "o.csv", to_csv(org_rows(5)).encode(), "organisations")
    assert page.status_code == 413
    assert "文件超过 100 字节的上限" in page.text or "file is larger" in page.text


def test_row_limits_and_capped_errors(city_engine) -> None:
    client, token = _client(city_engine, import_max_rows=4, import_max_stored_errors=3)
    page = _upload(client, token, "o.csv", to_csv(org_rows(10)).encode(), "organisations")
    run = client.get(page.url.path.replace("/data/", "/api/data/")).json()
    assert run["status"] == "invalid" and "more than 4 rows" in run["errors"][0]["reason_en"]
    rows = org_rows(3)
    for row in rows:
        row["employees"], row["founded_on"] = "-1", "someday"
    page = _upload(client, token, "o.csv", to_csv(rows).encode(), "organisations")
    run = client.get(page.url.path.replace("/data/", "/api/data/")).json()
    assert (len(run["errors"]), run["error_total"]) == (3, 6)
    assert 'id="error-total">6' in page.text


def test_a_region_with_its_parent_in_the_database_imports_through_the_web(city_engine) -> None:
    client, token = _client(city_engine)
    data = ("code,name_en,name_zh,level,parent_code\n"
            "370298,Web District,网页区,district,370200\n").encode()
    page = _upload(client, token, "r.csv", data, "regions")
    assert 'data-status="validated"' in page.text
    done = client.post(page.url.path, data={"csrf": token, "action": "confirm"})
    assert done.status_code == 200 and 'data-status="committed"' in done.text


def test_the_run_json_twin_documents_the_preview(city_engine) -> None:
    client, _token = _client(city_engine)
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"preview", "warnings", "error_total"} <= set(schema["ImportRunView"]["properties"])
    assert "first_rows" in schema["SheetPreview"]["properties"]


def test_a_concurrent_import_of_the_same_keys_answers_409(city_engine, tmp_path) -> None:
    """Another import writes the same new keys while a run is confirmed: a bilingual 409,
    the run stays validated, never a 500."""
    client, token = _client(city_engine)
    rows = org_rows(3, start=700)
    page = _upload(client, token, "o.csv", to_csv(rows).encode(), "organisations")
    assert 'data-status="validated"' in page.text
    path = tmp_path / "o.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    answer: dict[str, object] = {}

    def confirm() -> None:
        answer["r"] = client.post(page.url.path, data={"csrf": token, "action": "confirm"})

    with Session(city_engine) as other:
        import_tables(other, read_inputs(path, "organisations"))
        other.flush()
        thread = threading.Thread(target=confirm)
        thread.start()
        thread.join(timeout=2)
        other.commit()
    thread.join(timeout=60)
    response = answer["r"]
    assert response.status_code == 409, response.text
    assert "nothing was written" in response.text or "未写入任何数据" in response.text
    run = client.get(page.url.path.replace("/data/", "/api/data/")).json()
    assert run["status"] == "validated"
