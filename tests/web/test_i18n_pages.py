"""Every HTML page, in Chinese and in English, speaks the page's language to the last label:
no raw codes (snake_case identifiers) outside <code>, no English words on a Chinese page (but a
short list of names and abbreviations that Chinese text uses as they are), in the text and in
the charts' titles, axes and legends."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.services.tables import ImportRun
from observatory.web.app import ROUTERS
from tests.web.conftest import CITY, bearer, some_listing

RAW_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# A run of Latin words (Chinese text keeps acronyms and product names such as OLED or
# Micro LED; a lowercase word or three words in a row are an untranslated label or phrase).
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9'’.-]*(?:[ ,]+[A-Za-z][A-Za-z0-9'’.-]*)*")
ALLOWED_IN_ZH = {  # names and formats a Chinese page writes in Latin letters, each for a reason
    "OpenAPI", "ECharts", "pyecharts", "Plotly", "MIT", "Open", "SDG",  # names, licences
    "YYYY-MM-DD",  # the date format a form asks for
    "English",  # the language switch names the other language in it
}
NOT_PAGES = {"/lang/{lang}"}  # a redirect that sets the language
ERROR_PAGES = ["/indicators/tech_contract_amount?by=bogus", "/market?kind=bogus&q=x",
               f"/report/annual?year={CITY.first_year - 5}"]  # answered with 422 pages


def _examples(engine) -> dict[str, list[str]]:
    """Concrete URLs for each page route, with ids from the example city."""
    with Session(engine) as session:
        district = session.scalars(select(m.Region.code).where(
            m.Region.parent_code == CITY.region).order_by(m.Region.code)).first()
        fund = session.scalars(select(m.Fund.code).order_by(m.Fund.id)).first()
        org = session.scalars(select(m.Organisation.id).where(
            m.Organisation.kind == "enterprise").order_by(m.Organisation.id)).first()
        match = session.scalars(select(m.Match.code).where(
            m.Match.status == "negotiating").order_by(m.Match.id)).first()
        run = session.scalars(select(ImportRun.id).order_by(ImportRun.id)).first()
        fair = session.scalars(select(m.Fair.code).order_by(m.Fair.id)).first()
    year = CITY.period
    return {
        "/report/annual": [f"/report/annual?year={year}"],
        "/indicators/{code}": ["/indicators/tech_contract_amount?by=district",
                               "/indicators/tech_contract_amount", "/indicators/gii_rank"],
        "/indicators/{code}/records": [
            f"/indicators/tech_contract_amount/records?region={district}&period={year - 1}"],
        "/market": ["/market", "/market?q=海洋"],
        "/market/listings/{code}": [f"/market/listings/{some_listing(engine)}"],
        "/market/match/{code}": [f"/market/match/{some_listing(engine, kind=m.Demand)}"],
        "/market/matches/{code}/contract": [f"/market/matches/{match}/contract"] if match else [],
        "/funds/{code}": [f"/funds/{fund}"],
        "/enterprises/{org_id}": [f"/enterprises/{org}"],
        "/data/imports/{run_id}": [f"/data/imports/{run}"] if run else [],
        "/fairs/{code}": [f"/fairs/{fair}"] if fair else [],
        "/no/such/page": ["/no/such/page"],  # the 404 page
        "errors": ERROR_PAGES,
    }


def _pages(engine) -> list[str]:
    examples = _examples(engine)
    paths = {r.path for mod in ROUTERS for r in mod.router.routes
             if "GET" in (getattr(r, "methods", None) or set())
             and not r.path.startswith("/api") and r.path not in NOT_PAGES}
    missing = {p for p in paths if "{" in p and p not in examples}
    assert not missing, f"give an example id for {missing}"
    out = [u for p in sorted(paths) for u in examples.get(p, [p])]
    return out + examples["/no/such/page"] + examples["errors"]


def _visible(html: str, lang: str = "en") -> str:
    """What a reader sees: text outside <script>, <style> and <code>, plus placeholders; on a
    Chinese page, without what is declared English on purpose (``lang="en"``: the English
    version of a text being edited, the second language of a bilingual error)."""
    html = re.sub(r"<(script|style|code)\b.*?</\1>", " ", html, flags=re.S)
    if lang == "zh":
        html = re.sub(r'<(\w+)[^>]*\blang="en"[^>]*>.*?</\1>', " ", html, flags=re.S)
    attrs = " ".join(re.findall(r'(?:placeholder|title|aria-label)="([^"]*)"', html))
    return unescape(re.sub(r"<[^>]+>", " ", html) + " " + attrs)


def _chart_words(html: str) -> str:
    """Titles, axis titles, legends and colour bars of the embedded Plotly figures."""
    out = []
    for raw in re.findall(r'<script type="application/json" data-chart="[^"]*">(.*?)</script>',
                          html, re.S):
        fig = json.loads(raw)
        layout = fig.get("layout", {})
        for part in (layout, layout.get("xaxis", {}), layout.get("yaxis", {})):
            title = part.get("title")
            out.append(title.get("text", "") if isinstance(title, dict) else str(title or ""))
        for trace in fig.get("data", []):
            out.append(str(trace.get("name", "")))
            out.append(str(trace.get("colorbar", {}).get("title", {}).get("text", "")))
    return " ".join(out)


def _problems(text: str, lang: str) -> list[str]:
    found = [f"code {c!r}" for c in RAW_CODE.findall(text)]
    if lang == "zh":
        for run in LATIN_RUN.findall(RAW_CODE.sub(" ", text)):
            words = [w for w in re.split(r"[ ,]+", run) if len(w) > 1 and w not in ALLOWED_IN_ZH]
            if len(words) >= 3:
                found.append(f"English {' '.join(words)!r}")
            else:
                found += [f"English {w!r}" for w in words if w[0].islower()]
    return found


@pytest.fixture(scope="module")
def pages(shared_engine, shared_client, tokens) -> list[str]:
    with Session(shared_engine) as session:
        fairs = session.scalar(select(m.Fair.id).limit(1))
    if fairs is None:  # the example city holds no fair: one, so the fair page is checked too
        r = shared_client.post("/api/fairs", headers=bearer(tokens, "admin"), json={
            "name_zh": "海洋技术对接会", "name_en": "Marine technology fair",
            "held_on": "2026-09-18", "place": "崂山"})
        assert r.status_code == 201, r.text
    return _pages(shared_engine)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_speaks_its_language(shared_client, tokens, pages, lang) -> None:
    h = bearer(tokens, "admin")
    report = {}
    for url in pages:
        sep = "&" if "?" in url else "?"
        r = shared_client.get(f"{url}{sep}lang={lang}", headers=h)
        expected = 404 if url == "/no/such/page" else 422 if url in ERROR_PAGES else 200
        assert r.status_code == expected, (url, r.status_code)
        assert r.headers["content-type"].startswith("text/html"), url
        found = _problems(_visible(r.text, lang), lang) + _problems(_chart_words(r.text), lang)
        if found:
            report[url] = sorted(set(found))[:12]
    assert not report, json.dumps(report, ensure_ascii=False, indent=1)


def test_the_check_catches_what_it_should() -> None:
    page = ('<p>市南区 marine_equipment <code>hte_count</code> forecast R&amp;D Micro OLED 显示'
            '</p><script>var not_seen = 1;</script><input placeholder="Search the market">'
            '<span lang="en">declared English</span>')
    assert _problems(_visible(page, "zh"), "zh") == [
        "code 'marine_equipment'", "English 'forecast'", "English 'Search the market'"]
    assert _problems(_visible(page, "en"), "en") == ["code 'marine_equipment'"]


def test_engine_text_gets_words_and_code_markup() -> None:
    from observatory.web.markup import marked

    reason = "数据不足［缺少：facts.hte_field］ 领域 marine_bio <b>"
    html = str(marked(reason, "zh"))
    assert "<code>facts.hte_field</code>" in html and "&lt;b&gt;" in html
    assert "marine_bio" not in html and "海洋" in html  # the field's name, not its code
    why = str(marked("匹配词：energy、efficiency", "zh", foreign="lang"))
    assert why == '匹配词：<span lang="en">energy</span>、<span lang="en">efficiency</span>'
    assert str(marked("matched terms: energy", "en", foreign="lang")) == "matched terms: energy"
    assert str(marked("by 须为 year 或 district", "zh", foreign="code")) == (
        "<code>by</code> 须为 <code>year</code> 或 <code>district</code>")
