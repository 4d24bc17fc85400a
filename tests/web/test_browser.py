"""Chromium drives the app served by uvicorn on loopback: login, language, pages, a match,
an import with an error. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from observatory.db import make_engine
from observatory.services.accounts import DEMO_PASSWORDS
from observatory.web.app import create_app
from tests.web.conftest import CITY

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI: apt-get install -y chromium")
    pytest.skip("chromium not installed (apt-get install -y chromium)")


@pytest.fixture(scope="module")
def server(city_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_chromium()
    path = tmp_path_factory.mktemp("browser") / "city.db"
    shutil.copy(city_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(engine, settings=CITY), host="127.0.0.1",
                                        port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    engine.dispose()


def test_browser_walkthrough(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    external: list[str] = []
    refused: list[str] = []  # what the Content-Security-Policy blocked (charts must not need it)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: external.append(r.url)
                if not r.url.startswith(server) and not r.url.startswith("data:") else None)
        page.on("console", lambda m: refused.append(m.text)
                if "Content Security Policy" in m.text else None)
        page.set_default_timeout(60_000)
        page.goto(f"{server}/login")
        page.fill("input[name=username]", "demo-analyst")
        page.fill("input[name=password]", DEMO_PASSWORDS["analyst"])
        page.click("button[type=submit]")
        page.wait_for_url("**/overview")
        page.wait_for_selector(".chart .main-svg")  # Plotly drew from the bundled script
        assert "总览" in page.inner_text("h1")
        page.screenshot(path=str(ARTIFACTS / "overview-zh.png"), full_page=True)
        page.click("#lang-switch")
        page.wait_for_selector("html[lang=en]")
        assert page.inner_text("h1") == "Overview"
        page.screenshot(path=str(ARTIFACTS / "overview-en.png"), full_page=True)
        for path in ("/plans", "/indicators", "/indicators/hte_count", "/index", "/funds",
                     "/enterprises", "/data", "/data/audit"):
            response = page.goto(server + path)
            assert response is not None and response.status == 200, path
            name = path.strip("/").replace("/", "-")
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        page.goto(f"{server}/market")
        page.fill("#market-search input[name=q]", "technology")
        page.select_option("#market-search select[name=kind]", "demand")
        page.click("#market-search button")
        page.wait_for_selector("#results")
        page.click("#results a.match-link >> nth=0")
        page.wait_for_selector("#match-results")
        assert page.locator("#match-results tr").count() > 1
        page.screenshot(path=str(ARTIFACTS / "match.png"), full_page=True)
        # propose the best achievement, move it to negotiation on the broker board (which
        # already holds the example city's seeded matches: act on the new card only)
        negotiating = page.locator("#col-negotiating .match-card")
        match_url = page.url
        for nth in range(page.locator("#match-results button.propose").count()):
            with page.expect_navigation():
                page.click(f"#match-results button.propose >> nth={nth}")
            if "done=" in page.url:
                break
            # the generator's brokers already matched this pair: the board says so
            assert "already matched" in page.inner_text("#workflow-error")
            page.goto(match_url)
        code = page.inner_text("#workflow-done").split()[-1]
        card = f"#m-{code}"
        assert page.locator(f"#col-proposed {card}").count() == 1
        before = negotiating.count()
        for step in ("contacted", "negotiating"):
            page.select_option(f"{card} form.advance select[name=to]", step)
            with page.expect_navigation():
                page.click(f"{card} form.advance button")
            assert page.inner_text("#workflow-done").split()[-1] == code
        assert page.locator(f"#col-negotiating {card}").count() == 1
        assert negotiating.count() == before + 1
        page.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)
        # a contract whose non-technical part exceeds its total: refused field by field
        page.click(f"{card} a.contract-link")
        page.fill("#contract-form input[name=registration_no]", "2024370200BROWSER")
        page.fill("#contract-form input[name=total_amount_yuan]", "100000")
        page.fill("#contract-form input[name=non_technical_amount_yuan]", "250000")
        page.click("#contract-form button")
        page.wait_for_selector("#contract-errors")
        err = page.inner_text(".field-error[data-field=non_technical_amount_yuan]")
        assert "exceeds the total amount" in err and "超过合同总额" in err
        page.screenshot(path=str(ARTIFACTS / "contract-errors.png"), full_page=True)
        bad = tmp_path / "observations.csv"
        bad.write_text("indicator_code,region_code,period,value,unit\n"
                       "browser_test,370200,2024,not-a-number,percent\n", encoding="utf-8")
        page.goto(f"{server}/data")
        page.set_input_files("#upload-form input[type=file]", str(bad))
        page.select_option("#upload-form select[name=entity]", "observations")
        page.click("#upload-form button")
        page.wait_for_selector("#errors")
        assert page.inner_text("#run-status") == "invalid"
        assert "not-a-number" in page.inner_text("#errors")
        page.screenshot(path=str(ARTIFACTS / "import-errors.png"), full_page=True)
        browser.close()
    assert external == [], external
    assert refused == [], refused
