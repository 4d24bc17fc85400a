"""The public annual report renders once per year, language and format while the figures'
tables are unchanged (issue 15: five concurrent requests took 32 s each)."""

from __future__ import annotations

import pytest

from observatory.web.routers import overview
from tests.web.conftest import CITY


def test_report_is_rendered_once_until_the_figures_change(
        shared_client, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, str]] = []
    real = overview.render_html

    def counted(engine, year, lang, settings):  # type: ignore[no-untyped-def]
        calls.append((year, lang))
        return real(engine, year, lang, settings)

    monkeypatch.setattr(overview, "render_html", counted)
    year = CITY.period - 1  # a year no other test asks for, so the cache starts empty
    first = shared_client.get(f"/report/annual?year={year}&lang=en")
    again = shared_client.get(f"/report/annual?year={year}&lang=en")
    other = shared_client.get(f"/report/annual?year={year}&lang=zh")
    assert first.status_code == again.status_code == other.status_code == 200
    assert first.text == again.text and calls == [(year, "en"), (year, "zh")]
    assert shared_client.get(f"/report/annual?year={year}&format=odt").status_code == 422
