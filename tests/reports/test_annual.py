"""The annual report: same figures as the app, bilingual, charts inline, PDF with CJK text."""

from __future__ import annotations

import re
import shutil
import zlib
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
