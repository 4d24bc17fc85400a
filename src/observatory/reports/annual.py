"""The annual monitoring report: indicators, targets with statuses and forecasts, a summary per
plan, district maps, the index, the marketplace and the funds, in Chinese or English, as HTML,
PDF (WeasyPrint) or DOCX (python-docx, ``reports/word.py``).

Why it calls ``observatory.services``: the report must say exactly what the dashboards say;
both call the same services, with the assessment cut at the report year. Words and number
formats come from ``observatory.i18n``, as on the pages; figures print as a published report
prints them (亿元 / bn yuan, counts without decimals, units in the report's language).
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
from observatory.reports.summary import plan_summary
from observatory.services import maps
from observatory.services.district_index import district_index
from observatory.services.indicators import district_comparison, values
from observatory.services.plans import TargetView, overview, plans_tree
from observatory.services.records import json_records
from observatory.services.series import observation_series
from observatory.services.yearly import MarketYear, fund_totals, market_year, report_year

HERE = Path(__file__).resolve().parent
INDEX_RUNS = 300  # as the index page


def fmt_figure(value: float | None, unit: str | None, lang: str) -> str:
    """A figure with its unit as a published report prints it: yuan in 亿元 / bn yuan, counts
    without decimals, shares as percentages, units in the report's language."""
    if value is None:
        return "—"
    if unit and unit.startswith("yuan"):
        return i18n.fmt_value(value, unit, lang)
    if unit == "percent":
        return f"{i18n.fmt_number(value, lang, 2)}%"
    number = i18n.fmt_number(value, lang, 0 if float(value).is_integer() else 2)
    label = i18n.unit_label(unit, lang)
    if not label or unit == "rank":
        return number
    return f"{number}{label}" if lang == "zh" else f"{number} {label}"


def _target_svg(tg: TargetView, lang: str) -> str:
    if not tg.history:
        return ""
    every: list[float | None] = [v for _, v in tg.history]
    every += [v for f in tg.fan for v in f[1:]]
    div, label = (i18n.yuan_scale(every, lang) if tg.unit == "yuan"
                  else (1.0, i18n.unit_label(tg.unit, lang)))
    tv = (tg.target_year, tg.target_value / div) \
        if tg.target_year is not None and tg.target_value is not None else None
    fan = [[f[0], *[None if v is None else v / div for v in f[1:]]] for f in tg.fan]
    title = i18n.pick(lang, tg.name_zh, tg.name_en) + (f" ({label})" if label else "")
    return svg.line_chart([[y, v / div] for y, v in tg.history], fan, tv, title,
                          invert=tg.unit == "rank")


def _market(figures: MarketYear, lang: str) -> dict[str, Any]:
    div, unit = i18n.yuan_scale([v for _, v in figures.by_type], lang)
    labels = [i18n.t(f"ct_{t}", lang) if f"ct_{t}" in i18n.CATALOGUE else t
              for t, _ in figures.by_type]
    chart = svg.bar_chart(labels, [v / div for _, v in figures.by_type],
                          f"{i18n.t('rep_tech_amount', lang)} ({unit})")
    return {**figures.model_dump(), "svg": chart, "by_type_labels": labels}


def _district_maps(engine: Engine, settings: Settings, year: int, codes: list[str],
                   lang: str) -> list[dict[str, Any]]:
    """The key indicators by district in the report year's latest period, each as a map and
    a table with the same numbers."""
    out = []
    for code in codes:
        data = values(engine, settings, code, "district")
        data.rows = [r for r in data.rows if int(str(r.get("period"))) <= year]
        comp = district_comparison(engine, data) if data.rows else None
        if comp is None:
            continue
        areas = [maps.MapArea(code=d.code, name_zh=d.name_zh, name_en=d.name_en, value=d.value)
                 for d in comp.districts]
        title = f"{i18n.pick(lang, data.name_zh, data.name_en) or code} · {comp.period}"
        out.append(_map_block(areas, comp.unit, title, lang))
    return [m for m in out if m]


def _map_block(areas: list[maps.MapArea], unit: str | None, title: str, lang: str
               ) -> dict[str, Any]:
    """A map's SVG and its table rows, both in one unit (亿元 / bn yuan for yuan)."""
    ch = maps.choropleth(areas, unit)
    if ch is None or not ch.areas:
        return {}
    nums = [a.value for a in ch.areas]
    div, label = (i18n.yuan_scale(nums, lang) if unit == "yuan"
                  else (1.0, i18n.unit_label(unit, lang)))
    names = {a.code: i18n.pick(lang, a.name_zh, a.name_en) or a.code for a in ch.areas}
    scaled = {a.code: None if a.value is None else a.value / div for a in ch.areas}
    full = f"{title} ({label})" if label else title
    short = {code: maps.short_name(name) for code, name in names.items()}
    return {"title": full, "unit": label,
            "svg": svg.choropleth(maps.geojson(ch.map_code)["features"], scaled, short, full),
            "rows": [(names[a.code], _number(scaled[a.code], lang, unit)) for a in ch.areas]}


def _number(value: float | None, lang: str, unit: str | None = None) -> str:
    """A map table's figure: scores to one decimal (as the index table), counts whole."""
    if value is None:
        return "—"
    if unit == "score":
        return i18n.fmt_number(value, lang, 1)
    return i18n.fmt_number(value, lang, 0 if float(value).is_integer() else 2)


def _index(engine: Engine, settings: Settings, year: int, lang: str) -> dict[str, Any]:
    """The district index of the report year: its table and its map (scores to one decimal)."""
    try:
        result = district_index(engine, runs=INDEX_RUNS, region=settings.region, year=year)
    except (LookupError, ValueError):
        return {}
    rows: list[dict[str, Any]] = [r for r in json_records(result.results.reset_index())
                                  if r.get("score") is not None]  # no data, no place
    if not rows:
        return {}
    areas = [maps.MapArea(code=str(r["region"]), name_zh=r.get("name_zh"),
                          name_en=r.get("name_en"), value=round(float(r["score"]), 1))
             for r in rows]
    block = _map_block(areas, "score", f"{i18n.t('index_map', lang)} · {year}", lang)
    return {**block, "table": [
        {"rank": int(r["rank"]), "name": i18n.pick(lang, r.get("name_zh"), r.get("name_en")),
         "score": f"{float(r['score']):.1f}",
         "interval": "—" if r.get("rank_q5") is None or r.get("rank_q95") is None
         else f"{int(r['rank_q5'])}–{int(r['rank_q95'])}"} for r in rows]}


def report_data(engine: Engine, year: int, lang: str, settings: Settings | None = None
                ) -> dict[str, Any]:
    """Everything the report prints for ``year``, with its charts as SVG text."""
    settings = settings or get_settings()
    report_year(settings, year)
    tree = plans_tree(engine, settings, assessment_year=year)
    over = overview(engine, settings, tree)
    plans = []
    for plan in tree.plans:
        targets = [{**tg.model_dump(), "svg": _target_svg(tg, lang),
                    "current_text": fmt_figure(tg.current_value, tg.unit, lang),
                    "target_text": fmt_figure(tg.target_value, tg.unit, lang),
                    "method_text": i18n.method_label(tg.method, lang)} for tg in plan.targets]
        plans.append({**plan.model_dump(), "targets": targets,
                      "summary_text": plan_summary(plan.targets, lang)})
    gii = [[int(y), float(v)] for y, v in observation_series(engine, "gii_rank",
                                                              settings.region).items()
           if int(y) <= year]  # the index page's published rank history
    key_codes = [tg.indicator for tg in over.key_indicators if tg.indicator]
    return {
        "year": year, "lang": lang, "plans": plans,
        "lagging": [{**x.model_dump(), "method_text": i18n.method_label(x.method, lang)}
                    for x in over.lagging], "synthetic": over.synthetic,
        "market": _market(market_year(engine, settings, year), lang),
        "funds": fund_totals(engine, settings, year).model_dump(),
        "gii": gii,
        "gii_svg": svg.line_chart(gii, None, None, i18n.t("gii_rank", lang), invert=True)
        if gii else "",
        "district_index": _index(engine, settings, year, lang),
        "district_maps": _district_maps(engine, settings, year, key_codes, lang),
        "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                      autoescape=select_autoescape(["html"]))
    env.globals.update(t=i18n.t, pick=i18n.pick, fmt_number=i18n.fmt_number,
                       fmt_yuan=i18n.fmt_yuan, fmt_percent=i18n.fmt_percent,
                       status_label=i18n.status_label)
    return env


def _check_lang(lang: str) -> None:
    if lang not in i18n.LANGS:
        raise ValueError(f"lang must be one of {i18n.LANGS} / 语言须为 {'、'.join(i18n.LANGS)}")


def render_html(engine: Engine, year: int, lang: str = "zh",
                settings: Settings | None = None, data: dict[str, Any] | None = None) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no external assets)."""
    _check_lang(lang)
    data = data or report_data(engine, year, lang, settings)
    return _env().get_template("annual.html").render(**data)


def render_pdf(engine: Engine, year: int, lang: str = "zh",
               settings: Settings | None = None, data: dict[str, Any] | None = None) -> bytes:
    """The same report as PDF; Chinese needs a CJK font (Debian: fonts-noto-cjk)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_html(engine, year, lang, settings, data)).write_pdf()
    return pdf


def render_docx(engine: Engine, year: int, lang: str = "zh",
                settings: Settings | None = None, data: dict[str, Any] | None = None) -> bytes:
    """The same report as a Word document (for editing in Word or WPS), built from the HTML."""
    from observatory.reports.word import html_to_docx

    return html_to_docx(render_html(engine, year, lang, settings, data))


def write_report(engine: Engine, year: int, lang: str, out: Path,
                 settings: Settings | None = None) -> Path:
    """Write HTML, PDF or DOCX by the extension of ``out``."""
    suffix = out.suffix.lower()
    if suffix == ".pdf":
        out.write_bytes(render_pdf(engine, year, lang, settings))
    elif suffix in (".html", ".htm"):
        out.write_text(render_html(engine, year, lang, settings), encoding="utf-8")
    elif suffix == ".docx":
        out.write_bytes(render_docx(engine, year, lang, settings))
    else:
        raise ValueError(f"--out must end in .pdf, .html or .docx, got {out.name!r} / "
                         f"--out 须以 .pdf、.html 或 .docx 结尾，实为 {out.name!r}")
    return out
