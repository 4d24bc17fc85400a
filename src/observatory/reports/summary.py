"""One paragraph per plan for the annual report: what is on track, what lags, what pace the
targets not yet reached need. Built from the targets service's statuses and paces, so the
paragraph and the table beside it cannot disagree."""

from __future__ import annotations

from observatory import i18n
from observatory.services.plans import TargetView

ON_TRACK = frozenset({"target_achieved", "substantial_progress", "sun", "sun_cloud"})
NOT_ASSESSED = "not_available"
MAX_PACES = 5  # a paragraph, not a table: the table lists every target


def _names(targets: list[TargetView], lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(i18n.pick(lang, t.name_zh, t.name_en) or t.code for t in targets)


def _rate(rate: float, lang: str) -> str:
    return i18n.fmt_percent(rate, lang, 1)


def _pace(tg: TargetView, lang: str) -> str:
    """"X needs r a year to <year> (observed o)" for a target with a required growth rate."""
    name = i18n.pick(lang, tg.name_zh, tg.name_en) or tg.code
    need, seen = tg.required_rate or 0.0, tg.observed_rate
    if lang == "zh":
        text = f"{name}须在{tg.target_year}年前年均增长{_rate(need, lang)}"
        return text + (f"（近年实际{_rate(seen, lang)}）" if seen is not None else "")
    text = f"{name} needs {_rate(need, lang)} a year to {tg.target_year}"
    return text + (f" (observed: {_rate(seen, lang)})" if seen is not None else "")


def plan_summary(targets: list[TargetView], lang: str) -> str:
    """The paragraph: counts and names by standing, then the pace the others need."""
    if not targets:
        return i18n.t("rep_no_targets", lang)
    on = [t for t in targets if t.status in ON_TRACK]
    na = [t for t in targets if t.status == NOT_ASSESSED]
    lag = [t for t in targets if t not in on and t not in na]
    needs = [t for t in lag + on if t.status != "target_achieved"
             and t.required_rate is not None and t.required_rate > 0][:MAX_PACES]
    if lang == "zh":
        parts = [f"本计划共{len(targets)}项目标"]
        parts.append(f"其中{len(on)}项已达成或进展显著（{_names(on, lang)}）" if on
                     else "暂无目标进展显著")
        if lag:
            parts.append(f"{len(lag)}项进展不足（{_names(lag, lang)}）")
        if na:
            parts.append(f"{len(na)}项因数据不足无法评估")
        text = "，".join(parts) + "。"
        if needs:
            text += "按期达成目标，" + "；".join(_pace(t, lang) for t in needs) + "。"
        return text
    parts = [f"Of this plan's {len(targets)} targets, "
             + (f"{len(on)} are achieved or on track ({_names(on, lang)})" if on
                else "none is on track yet")]
    if lag:
        parts.append(f"{len(lag)} lag ({_names(lag, lang)})")
    if na:
        parts.append(f"{len(na)} cannot be assessed for lack of data")
    text = "; ".join(parts) + "."
    if needs:
        text += " To be met in time, " + "; ".join(_pace(t, lang) for t in needs) + "."
    return text
