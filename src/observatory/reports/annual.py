"""The annual monitoring report: indicators, targets with statuses and forecasts, the index, the
marketplace and the funds, in Chinese or English, as HTML or PDF (WeasyPrint).

Why it reuses ``observatory.web.views``: the report must say exactly what the dashboards say;
both call the same functions, with the assessment cut at the report year.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory import i18n
from observatory.registry import models as m
from observatory.reports import svg
from observatory.web import views

HERE = Path(__file__).resolve().parent

TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Annual innovation monitoring report", "zh": "科技创新年度监测报告"},
    "intro": {"en": "Figures as recorded in the observatory database; target statuses use the "
                    "method named beside each one, with data up to the report year.",
              "zh": "数据取自监测平台数据库；各目标的状态按所注明的方法、"
                    "以截至报告年度的数据评估。"},
    "targets": {"en": "Targets and progress", "zh": "目标与进展"},
    "market": {"en": "Technology market", "zh": "技术市场"},
    "contracts": {"en": "Technology contracts registered", "zh": "登记技术合同"},
    "tech_amount": {"en": "Technology transaction amount", "zh": "技术交易额"},
    "achievements_published": {"en": "Achievements published", "zh": "发布科技成果"},
    "demands_published": {"en": "Demands published", "zh": "发布技术需求"},
    "funds_summary": {"en": "Guidance funds (as of 31 December)", "zh": "引导基金（截至12月31日）"},
    "fund_count": {"en": "Funds", "zh": "基金数量"},
    "generated": {"en": "Generated", "zh": "生成时间"},
}


def _x(key: str, lang: str) -> str:
    return TEXT[key][lang]


def report_data(engine: Engine, year: int, lang: str) -> dict[str, Any]:
    """Everything the report prints for ``year``, with its charts as SVG text."""
    tree = views.plans_tree(engine, assessment_year=year)
    over = views.overview(engine, tree)
    for plan in tree["plans"]:
        for tg in plan["targets"]:
            tv = (tg["target_year"], tg["target_value"]) if tg["target_value"] is not None \
                else None
            tg["svg"] = svg.line_chart(tg["history"], tg["fan"], tv,
                                       i18n.pick(lang, tg["name_zh"], tg["name_en"]),
                                       invert=tg["indicator"] == "gii_rank") \
                if tg["history"] else ""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    with Session(engine) as session:
        contracts, amount = session.execute(
            select(func.count(), func.sum(m.TechnologyContract.technology_amount_yuan))
            .where(m.TechnologyContract.registered_on.between(start, end))).one()
        published = {
            kind: session.scalar(select(func.count()).select_from(model)
                                 .where(model.published_on.between(start, end)))
            for kind, model in (("achievements", m.Achievement), ("demands", m.Demand))}
        by_type = session.execute(
            select(m.TechnologyContract.contract_type,
                   func.sum(m.TechnologyContract.technology_amount_yuan))
            .where(m.TechnologyContract.registered_on.between(start, end))
            .group_by(m.TechnologyContract.contract_type)
            .order_by(m.TechnologyContract.contract_type)).all()
    funds = views.funds_page(engine, as_of=end)
    fund_rows = funds["funds"]
    totals = {k: sum(f.get(k) or 0.0 for f in fund_rows)
              for k in ("size_yuan", "paid_in", "distributed", "nav")}
    index = views.index_page(engine)
    gii = [p for p in index["gii_rank"] if p[0] <= year]
    return {
        "year": year, "lang": lang, "plans": tree["plans"], "lagging": over["lagging"],
        "synthetic": over["synthetic"],
        "market": {"contracts": int(contracts or 0), "tech_amount": float(amount or 0),
                   **{k: int(v or 0) for k, v in published.items()},
                   "svg": svg.bar_chart([str(t) for t, _ in by_type],
                                        [float(v or 0) / 1e8 for _, v in by_type],
                                        _x("tech_amount", lang) + (" (亿元)" if lang == "zh"
                                                                  else " (100 m yuan)"))},
        "funds": {"count": len(fund_rows), **totals},
        "gii": gii,
        "gii_svg": svg.line_chart(gii, None, None, i18n.t("gii_rank", lang), invert=True)
        if gii else "",
        "district_index_available": index["district_index_available"],
        "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                      autoescape=select_autoescape(["html"]))
    env.globals.update(t=i18n.t, x=_x, pick=i18n.pick, fmt_number=i18n.fmt_number,
                       fmt_yuan=i18n.fmt_yuan, fmt_percent=i18n.fmt_percent,
                       status_label=i18n.status_label)
    return env


def render_html(engine: Engine, year: int, lang: str = "zh") -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no external assets)."""
    if lang not in i18n.LANGS:
        raise ValueError(f"lang must be one of {i18n.LANGS}")
    return _env().get_template("annual.html").render(**report_data(engine, year, lang))


def render_pdf(engine: Engine, year: int, lang: str = "zh") -> bytes:
    """The same report as PDF; Chinese needs a CJK font (Debian: fonts-noto-cjk)."""
    from weasyprint import HTML

    return HTML(string=render_html(engine, year, lang)).write_pdf()


def write_report(engine: Engine, year: int, lang: str, out: Path) -> Path:
    """Write HTML or PDF by the extension of ``out``."""
    suffix = out.suffix.lower()
    if suffix == ".pdf":
        out.write_bytes(render_pdf(engine, year, lang))
    elif suffix in (".html", ".htm"):
        out.write_text(render_html(engine, year, lang), encoding="utf-8")
    else:
        raise ValueError(f"--out must end in .pdf or .html, got {out.name!r}")
    return out
