"""`make screenshots`: Chromium walks every page (each HTML route, with example ids) in Chinese
and English and saves it under docs/screenshots/ as a small PNG. Skipped unless
OBSERVATORY_SCREENSHOTS names the folder (the Makefile sets it)."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest

from observatory.db import make_engine
from observatory.services.accounts import DEMO_PASSWORDS
from tests.web.test_browser import ARGS, CHROMIUM, server  # noqa: F401 - fixture
from tests.web.test_i18n_pages import _pages

OUT = os.environ.get("OBSERVATORY_SCREENSHOTS")
VIEWPORT = {"width": 1200, "height": 760}
COLOURS = 128  # a palette PNG: small files, charts and text stay sharp

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not OUT, reason="set OBSERVATORY_SCREENSHOTS=folder")]


def _name(url: str) -> str:
    """overview, indicators-tech_contract_amount-by-district, ... (file-name safe)."""
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", url.strip("/")).strip("-")
    return slug or "home"


def _small_png(raw: bytes, path: Path) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(raw)).convert("RGB")
    image.quantize(colors=COLOURS).save(path, optimize=True)


def test_save_every_page_in_both_languages(server: str, city_template: Path,  # noqa: F811
                                           tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    folder = Path(str(OUT))
    folder.mkdir(parents=True, exist_ok=True)
    copy = tmp_path / "city.db"
    shutil.copy(city_template, copy)
    engine = make_engine(f"sqlite:///{copy}")
    urls = [u for u in _pages(engine) if u != "/no/such/page"] + ["/no/such/page"]
    engine.dispose()
    saved = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(60_000)
        page.goto(f"{server}/login")
        page.fill("input[name=username]", "demo-admin")
        page.fill("input[name=password]", DEMO_PASSWORDS["admin"])
        page.click("button[type=submit]")
        page.wait_for_url("**/overview")
        for url in urls:
            for lang in ("zh", "en"):
                sep = "&" if "?" in url else "?"
                page.goto(f"{server}{url}{sep}lang={lang}")
                if page.locator("div.chart").count():  # a Plotly chart (the report's are SVG)
                    page.wait_for_selector("div.chart .main-svg")
                path = folder / f"{_name(url)}-{lang}.png"
                _small_png(page.screenshot(), path)
                saved.append(path)
        browser.close()
    assert len(saved) == 2 * len(urls) and all(p.stat().st_size > 0 for p in saved)
