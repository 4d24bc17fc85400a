"""The annual report: same figures as the app, bilingual, charts inline, PDF with CJK text."""

from __future__ import annotations

import re
import shutil
import zlib
from html import unescape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from observatory.cli.report import app as report_app
from observatory.reports.annual import render_html, render_pdf
from observatory.services.plans import plans_tree
from tests.web.conftest import CITY, city_template  # noqa: F401 - fixture

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def report_engine(city_template, tmp_path_factory):  # noqa: F811
    from observatory.db import make_engine

    path = tmp_path_factory.mktemp("report") / "city.db"
    shutil.copy(city_template, path)
    return make_engine(f"sqlite:///{path}")


def test_html_report_in_both_languages(report_engine) -> None:
    tree = plans_tree(report_engine, CITY, assessment_year=2024)
    for lang in ("zh", "en"):
        html = render_html(report_engine, 2024, lang, CITY)
        assert not EXTERNAL.search(html)
        assert html.count("<svg") >= 5  # the key indicators' charts, drawn server-side
        for plan in tree.plans:
            name = plan.name_zh if lang == "zh" else plan.name_en
            assert str(name).replace("&", "&amp;").replace("'", "&#39;") in html
    assert "亿元" in render_html(report_engine, 2024, "zh", CITY)


def test_report_uses_data_up_to_its_year(report_engine) -> None:
    tree = plans_tree(report_engine, CITY, assessment_year=2022)
    for plan in tree.plans:
        for tg in plan.targets:
            assert all(year <= 2022 for year, _ in tg.history)


def _pdf_parts(pdf: bytes) -> list[bytes]:
    """Raw and inflated streams of a PDF (font names sit in compressed object streams)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return parts


@pytest.mark.slow
def test_pdf_renders_with_chinese_text(report_engine, tmp_path: Path) -> None:
    pdf = render_pdf(report_engine, 2024, "zh", CITY)
    assert pdf.startswith(b"%PDF")
    assert any(b"CJK" in part for part in _pdf_parts(pdf)), "a CJK font is embedded"
    out = tmp_path / "r.html"
    result = CliRunner().invoke(report_app, ["annual", "--year", "2024", "--lang", "en",
                                             "--out", str(out)],
                                env={"OBSERVATORY_DATABASE_URL": str(report_engine.url)})
    assert result.exit_code == 0, result.output
    assert "Annual innovation monitoring report" in out.read_text()


RAW_YUAN = re.compile(r"\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?")  # 222,692,442,940.00 and the like
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
CUT_TICK = re.compile(r">[\d.,]*e[+-]\d+<")  # .561e+04 on an axis


def _text(html: str, keep_svg: bool = False) -> str:
    """The report's visible text (charts dropped unless asked), as DOCX paragraphs hold it."""
    if not keep_svg:
        html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    html = re.sub(r"<(style|title)>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture(scope="module")
def reports(report_engine) -> dict[str, dict]:
    from observatory.reports.annual import report_data

    return {lang: report_data(report_engine, 2024, lang, CITY) for lang in ("zh", "en")}


def test_figures_read_as_in_a_published_report(report_engine, reports) -> None:
    for lang, data in reports.items():
        html = render_html(report_engine, 2024, lang, CITY, data)
        text = _text(html)
        assert not RAW_YUAN.search(text), RAW_YUAN.search(text).group(0)
        assert not CUT_TICK.search(html), CUT_TICK.search(html).group(0)
        for plan in data["plans"]:
            assert plan["summary_text"] in text
            for tg in plan["targets"]:
                if tg["unit"] == "yuan" and tg["current_value"]:
                    assert tg["current_text"].endswith(("亿元", "万元", "bn yuan", "m yuan"))
                if tg["unit"] in ("enterprises", "platforms", "persons", "projects") \
                        and tg["current_value"] is not None:
                    assert "." not in tg["current_text"], tg["current_text"]  # counts: 14,267
        if lang == "zh":  # methods and statuses in the report's language
            assert not re.search(r"\b(forecast|opensdg|weather|on track|limited)\b", text)
            assert "预测法" in text
        else:
            assert "forecast" in text and "预测" not in text


def test_plan_summaries_follow_the_statuses_and_paces(reports) -> None:
    from observatory.reports.summary import ON_TRACK

    for lang, data in reports.items():
        for plan in data["plans"]:
            targets, summary = plan["targets"], plan["summary_text"]
            on = [t for t in targets if t["status"] in ON_TRACK]
            if lang == "en":
                assert f"Of this plan's {len(targets)} targets" in summary
                assert (f"{len(on)} are achieved or on track" in summary) == bool(on)
            else:
                assert f"本计划共{len(targets)}项目标" in summary
            for t in targets:
                rate = t["required_rate"]
                if rate and rate > 0 and t["status"] not in ("target_achieved", "not_available") \
                        and sum(1 for x in targets if x["required_rate"]) <= 5:
                    shown = f"{rate * 100:,.1f}%"
                    assert shown in summary, (shown, summary)


def test_report_maps_have_the_numbers_of_their_tables(reports) -> None:
    from observatory.services import maps

    for data in reports.values():
        blocks = data["district_maps"]
        assert blocks, "the key indicators by district"
        index = data["district_index"]
        assert [r["score"] for r in index["table"]] == [v for _, v in index["rows"]]
        for block in [*blocks, index]:
            assert 'class="chart map"' in block["svg"]
            assert block["svg"].count("<path") == len(block["rows"])
            assert len(block["rows"]) <= len(maps.feature_codes(maps.map_for(
                maps.feature_codes(CITY.region))))


def test_docx_says_what_the_pdf_says(report_engine, reports, tmp_path: Path) -> None:
    import io

    import docx

    from observatory.reports.annual import render_docx

    for lang, data in reports.items():
        html = render_html(report_engine, 2024, lang, CITY, data)
        document = docx.Document(io.BytesIO(render_docx(report_engine, 2024, lang, CITY, data)))
        parts = [p.text for p in document.paragraphs]
        body = document.element.body
        for table in document.tables:
            parts += [cell.text for row in table.rows for cell in row.cells]
        words = " ".join(" ".join(parts).split())
        # every figure of the HTML (the PDF's source), and no other, in the same order per table
        assert sorted(NUMBER.findall(words)) == sorted(NUMBER.findall(_text(html)))
        for plan in data["plans"]:
            assert plan["summary_text"] in words
        # each inline chart or map is a picture
        svgs = html.count("<svg")
        assert len(body.findall(".//" + docx.oxml.ns.qn("w:drawing"))) == svgs
        assert len(document.tables) == html.count("<table")
    out = tmp_path / "r.docx"
    result = CliRunner().invoke(report_app, ["annual", "--year", "2024", "--lang", "zh",
                                             "--out", str(out)],
                                env={"OBSERVATORY_DATABASE_URL": str(report_engine.url)})
    assert result.exit_code == 0, result.output
    assert docx.Document(str(out)).paragraphs[0].text.startswith("科技创新年度监测报告")


def test_axis_ticks_are_round_and_written_out() -> None:
    from observatory.reports.svg import line_chart, nice_ticks, tick_label

    # the cut axis: 15,610 .. 19,150 printed as .561e+04
    ticks = nice_ticks(15_610, 19_150)
    assert ticks == [16_000, 17_000, 18_000, 19_000]
    assert [tick_label(v, 1_000) for v in ticks] == ["16,000", "17,000", "18,000", "19,000"]
    assert [tick_label(v, 0.5) for v in nice_ticks(0.9, 3.2)] == ["1.0", "1.5", "2.0", "2.5",
                                                                  "3.0"]
    chart = line_chart([[2020, 15_610.0], [2024, 19_150.0]], title="t")
    assert "e+" not in chart and ">17,000<" in chart


def test_the_web_serves_the_docx(report_engine) -> None:
    import io

    import docx
    from fastapi.testclient import TestClient

    from observatory.web.app import create_app

    client = TestClient(create_app(report_engine, settings=CITY, matching="bm25"))
    link = re.search(r'id="report-docx" href="([^"]+)"|href="([^"]+)" id="report-docx"',
                     client.get("/overview?lang=en").text)
    assert link, "the overview links the Word report"
    url = unescape(link.group(1) or link.group(2))
    r = client.get(url)
    assert r.status_code == 200 and "wordprocessingml" in r.headers["content-type"]
    assert "attachment" in r.headers["content-disposition"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs)
    assert text.startswith("Annual innovation monitoring report")
    bad = client.get("/report/annual?format=odt")
    assert bad.status_code == 422 and "docx" in bad.text
