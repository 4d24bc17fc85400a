"""Pages answer errors as pages, in the reader's language with a way back; the API keeps JSON."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from observatory.web.app import create_app
from tests.web.conftest import CITY, bearer


def _page(r, status: int) -> str:
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    assert 'href="/overview"' in r.text  # a way back
    return r.text


def test_a_bad_parameter_on_a_page_is_a_422_page(shared_client) -> None:
    html = _page(shared_client.get("/indicators/hte_count/records?period=abc&lang=zh"), 422)
    assert "输入无效" in html and "<code>period</code>" in html and "abc" in html
    html = _page(shared_client.get("/indicators/hte_count/records?period=abc&lang=en"), 422)
    assert "Invalid input" in html
    api = shared_client.get("/api/indicators/hte_count/records?period=abc")
    assert api.status_code == 422 and api.headers["content-type"] == "application/json"


def test_unknown_pages_and_records_are_404_pages(shared_client) -> None:
    assert "未找到" in _page(shared_client.get("/no/such/page?lang=zh"), 404)
    assert "Not found" in _page(shared_client.get("/indicators/no_such_code?lang=en"), 404)
    api = shared_client.get("/api/indicators/no_such_code")
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"


def test_a_forbidden_page_is_a_403_page(shared_client, tokens) -> None:
    html = _page(shared_client.get("/data?lang=zh", headers=bearer(tokens, "broker")), 403)
    assert "无权访问" in html
    api = shared_client.get("/api/data", headers=bearer(tokens, "broker"))
    assert api.status_code == 403 and api.json() == {"detail": "forbidden"}


def test_a_crash_is_a_500_page_without_a_traceback(shared_engine: Engine) -> None:
    app = create_app(shared_engine, settings=CITY)
    boom = APIRouter()

    @boom.get("/boom")
    def page() -> None:
        raise RuntimeError("secret internals")

    @boom.get("/api/boom")
    def api() -> None:
        raise RuntimeError("secret internals")

    app.include_router(boom)
    client = TestClient(app, raise_server_exceptions=False)
    html = _page(client.get("/boom?lang=en"), 500)
    assert "Something went wrong" in html and "secret internals" not in html
    r = client.get("/api/boom")
    assert r.status_code == 500 and "secret" not in r.text
    assert r.json() == {"detail": "internal error / 服务器内部错误"}


def test_a_bad_parameter_on_a_chinese_page_is_explained_in_chinese(shared_client) -> None:
    r = shared_client.get("/enterprises/abc?lang=zh")
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "应为整数" in r.text and "Input should be" not in r.text
    en = shared_client.get("/enterprises/abc?lang=en")
    assert "Input should be a valid integer" in en.text
