"""Chromium saves a chart as PNG and as SVG from its modebar and a table as XLSX from its link,
with nothing fetched from outside the app (the bundled plotly.js draws and exports; the PNG
passes through a blob: image, which the Content-Security-Policy allows for that reason)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_browser import ARGS, CHROMIUM, server  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_chart_and_table_downloads_offline(server: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="en-GB", accept_downloads=True)
        page.on("request", lambda r: external.append(r.url)
                if not r.url.startswith(server) and not r.url.startswith(("data:", "blob:"))
                else None)
        page.set_default_timeout(60_000)
        page.goto(f"{server}/overview")
        page.wait_for_selector(".chart .main-svg")
        chart = page.locator(".chart").first
        chart.hover()
        with page.expect_download() as download:  # our modebar button: SVG
            chart.locator('.modebar-btn[data-title*="SVG"]').first.click(force=True)
        assert Path(download.value.path()).read_bytes().lstrip().startswith(b"<svg")
        assert download.value.suggested_filename.endswith(".svg")
        with page.expect_download() as download:  # Plotly's camera (toImageButtonOptions)
            chart.locator('.modebar-btn[data-title*="PNG"]').first.click(force=True)
        assert Path(download.value.path()).read_bytes().startswith(b"\x89PNG")
        assert download.value.suggested_filename.endswith(".png")
        with page.expect_download() as download:
            page.locator("a.table-xlsx").first.click()
        assert Path(download.value.path()).read_bytes().startswith(b"PK")  # a zip: XLSX
        assert download.value.suggested_filename.endswith(".xlsx")
        browser.close()
    assert external == []
