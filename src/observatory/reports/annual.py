"""The annual monitoring report: indicators, targets with statuses and forecasts, the index, the
marketplace and the funds, in Chinese or English, as HTML or PDF (WeasyPrint).

Why it calls ``observatory.services``: the report must say exactly what the dashboards say;
both call the same services, with the assessment cut at the report year. Words and number
formats come from ``observatory.i18n``, as on the pages.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine

from observatory import i18n
from observatory.config import Settings, get_settings
from observatory.reports import svg
from observatory.services.plans import TargetView, overview, plans_tree
from observatory.services.series import observation_series
from observatory.services.yearly import MarketYear, fund_totals, market_year, report_year

HERE = Path(__file__).resolve().parent


def _target_svg(tg: TargetView, lang: str) -> str:
    if not tg.history:
        return ""
    tv = (tg.target_year, tg.target_value) \
        if tg.target_year is not None and tg.target_value is not None else None
    return svg.line_chart([list(p) for p in tg.history], [list(f) for f in tg.fan], tv,
                          i18n.pick(lang, tg.name_zh, tg.name_en),
                          invert=tg.indicator == "gii_rank")


def _market(figures: MarketYear, lang: str) -> dict[str, Any]:
    div, unit = i18n.yuan_scale([v for _, v in figures.by_type], lang)
    chart = svg.bar_chart([t for t, _ in figures.by_type], [v / div for _, v in figures.by_type],
                          f"{i18n.t('rep_tech_amount', lang)} ({unit})")
    return {**figures.model_dump(), "svg": chart}


def report_data(engine: Engine, year: int, lang: str, settings: Settings | None = None
                ) -> dict[str, Any]:
    """Everything the report prints for ``year``, with its charts as SVG text."""
    settings = settings or get_settings()
    report_year(settings, year)
    tree = plans_tree(engine, settings, assessment_year=year)
    over = overview(engine, settings, tree)
    plans = []
    for plan in tree.plans:
        targets = [{**tg.model_dump(), "svg": _target_svg(tg, lang)} for tg in plan.targets]
        plans.append({**plan.model_dump(), "targets": targets})
    gii = [[int(y), float(v)] for y, v in observation_series(engine, "gii_rank",
                                                              settings.region).items()
           if int(y) <= year]  # the index page's published rank history
    return {
        "year": year, "lang": lang, "plans": plans,
        "lagging": [x.model_dump() for x in over.lagging], "synthetic": over.synthetic,
        "market": _market(market_year(engine, settings, year), lang),
        "funds": fund_totals(engine, settings, year).model_dump(),
        "gii": gii,
        "gii_svg": svg.line_chart(gii, None, None, i18n.t("gii_rank", lang), invert=True)
        if gii else "",
        "district_index_available": True,
        "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                      autoescape=select_autoescape(["html"]))
    env.globals.update(t=i18n.t, pick=i18n.pick, fmt_number=i18n.fmt_number,
                       fmt_yuan=i18n.fmt_yuan, fmt_percent=i18n.fmt_percent,
                       status_label=i18n.status_label)
    return env


def render_html(engine: Engine, year: int, lang: str = "zh",
                settings: Settings | None = None) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no external assets)."""
    if lang not in i18n.LANGS:
        raise ValueError(f"lang must be one of {i18n.LANGS} / 语言须为 {'、'.join(i18n.LANGS)}")
    data = report_data(engine, year, lang, settings)
    return _env().get_template("annual.html").render(**data)


def render_pdf(engine: Engine, year: int, lang: str = "zh",
               settings: Settings | None = None) -> bytes:
    """The same report as PDF; Chinese needs a CJK font (Debian: fonts-noto-cjk)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_html(engine, year, lang, settings)).write_pdf()
    return pdf


def write_report(engine: Engine, year: int, lang: str, out: Path,
                 settings: Settings | None = None) -> Path:
    """Write HTML or PDF by the extension of ``out``."""
    suffix = out.suffix.lower()
    if suffix == ".pdf":
        out.write_bytes(render_pdf(engine, year, lang, settings))
    elif suffix in (".html", ".htm"):
        out.write_text(render_html(engine, year, lang, settings), encoding="utf-8")
    else:
        raise ValueError(f"--out must end in .pdf or .html, got {out.name!r} / "
                         f"--out 须以 .pdf 或 .html 结尾，实为 {out.name!r}")
    return out
