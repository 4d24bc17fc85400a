"""Texts of the example city's achievements and demands: distinct, bilingual, read as real.

Achievement titles combine a field's technology, a qualifier that fits the whole field and a
title form (技术 / 关键技术及产业化 / 研制与应用 ...); each field's combinations are dealt out in
a seeded shuffled order, so titles repeat only once a field has used every combination.
Universities and institutes also offer results under the titles of real Chinese papers (the CSL
set, Apache-2.0, a subset copied to ``data/csl_listings.json``); like many listings on Chinese
platforms those are in Chinese only. Demands are written as firms write needs: what they make,
the problem, what the solution must do, the budget and the deadline. Everything draws from its
own random stream (seed, 13), so the texts never move another generated figure.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from observatory.examples import texts

Text = dict[str, Any]  # listing column -> value (title_zh, summary_en, keywords_zh ...)


@dataclass(frozen=True)
class CslRow:
    field: str
    title: str
    keywords: str
    abstract: str


def csl_rows() -> list[CslRow]:
    """The bundled CSL subset (titles, keywords, abstracts of real papers), by file order."""
    path = resources.files("observatory.examples.data").joinpath("csl_listings.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [CslRow(r["field"], r["title"], r["keywords"], r["abstract"]) for r in doc["rows"]]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fill(pattern: str, values: dict[str, int]) -> str:
    return pattern.format(**values) if "{" in pattern else pattern


class ListingWriter:
    """Deals out bilingual listing texts per field from a seeded stream."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng([seed, 13])
        self._achievement_titles: dict[str, Iterator[tuple[str, str, str, str]]] = {}
        self._demand_titles: dict[str, Iterator[tuple[str, str, str, str, str, str]]] = {}
        self._csl: dict[str, list[CslRow]] = {}
        for row in csl_rows():
            self._csl.setdefault(row.field, []).append(row)
        for rows in self._csl.values():
            self.rng.shuffle(rows)

    def _pick(self, options: list[Any]) -> Any:
        return options[int(self.rng.integers(len(options)))]

    def _numbers(self) -> dict[str, int]:
        rng = self.rng
        return {"n": int(rng.integers(12, 46)), "k": int(rng.integers(2, 16)),
                "r": int(rng.integers(72, 93)), "m": int(rng.integers(3, 16)),
                "h": int(rng.integers(60, 400)), "y": int(rng.integers(2, 5))}

    def _dealt(self, combos: list[Any]) -> Iterator[Any]:
        """The combinations in a shuffled order, again in a new order once all are used."""
        while True:
            for i in self.rng.permutation(len(combos)):
                yield combos[int(i)]

    def _achievement_title(self, field: str) -> tuple[str, str, str, str]:
        """(title zh, title en, technology zh, technology en), distinct within the field."""
        if field not in self._achievement_titles:
            combos = []
            for (t_zh, t_en), (q_zh, q_en), (f_zh, f_en) in itertools.product(
                    texts.TECHNOLOGIES[field], texts.FIELD_QUALIFIERS[field],
                    texts.ACHIEVEMENT_FORMS):
                if q_zh and (q_zh[:2] in t_zh or q_en.split("-")[0] in t_en):
                    continue  # "智能 智能投喂", "low-power low-power module"
                qt = f"{q_en} {t_en}".strip()
                combos.append((f_zh.format(qt=q_zh + t_zh), f_en.format(qt=qt, QT=_cap(qt)),
                               t_zh, t_en))
            self._achievement_titles[field] = self._dealt(combos)
        return next(self._achievement_titles[field])

    def achievement(self, field: str, trl: int, research: bool) -> Text:
        """One achievement's texts; a research owner sometimes offers a paper's result."""
        if research and self._csl.get(field) and self.rng.random() < 0.45:
            return self._csl_achievement(field, self._csl[field].pop())
        title_zh, title_en, t_zh, t_en = self._achievement_title(field)
        nums = self._numbers()
        first, second = self.rng.choice(len(texts.ADVANTAGE_TEMPLATES), 2, replace=False)
        more = self._numbers()  # the second advantage gets numbers of its own
        adv_zh, adv_en = (_fill(s, nums) for s in texts.ADVANTAGE_TEMPLATES[int(first)])
        adv2_zh, adv2_en = (_fill(s, more) for s in texts.ADVANTAGE_TEMPLATES[int(second)])
        app_zh, app_en = self._pick(texts.PRODUCTS[field])
        prob_zh, prob_en = self._pick(texts.PROBLEMS)
        mode_zh, mode_en = self._pick(texts.TRANSFER_MODES)
        stage_zh, stage_en = next((_fill(zh, nums), _fill(en, nums))
                                  for band, zh, en in texts.STAGES if trl in band)
        word_zh, word_en = texts.FIELD_WORDS[field]
        return {
            "title_zh": title_zh, "title_en": title_en,
            "summary_zh": f"本成果针对{word_zh}领域{prob_zh}的问题，研发了{t_zh}技术，{adv_zh}，"
                          f"{adv2_zh}；{stage_zh}。可应用于{app_zh}，合作方式为{mode_zh}。",
            "summary_en": f"{_cap(t_en)} that addresses {prob_en} in {word_en.lower()}: "
                          f"{adv_en}, {adv2_en}; {stage_en}. It can be applied to {app_en} "
                          f"and is available for {mode_en}.",
            "problem_zh": f"解决{word_zh}领域{prob_zh}的问题",
            "problem_en": _cap(f"{prob_en} in {word_en.lower()}"),
            "advantages_zh": f"{adv_zh}；{adv2_zh}", "advantages_en": f"{_cap(adv_en)}; {adv2_en}",
            "applications_zh": app_zh, "applications_en": app_en,
            "keywords_zh": f"{word_zh};{t_zh}", "keywords_en": f"{word_en.lower()};{t_en}",
        }

    def _csl_achievement(self, field: str, row: CslRow) -> Text:
        """A university's result under a real paper's title, abstract and keywords (zh only)."""
        app_zh, _ = self._pick(texts.PRODUCTS[field])
        return {
            "title_zh": row.title, "title_en": None,
            "summary_zh": f"{row.abstract}可开展技术许可或合作开发。", "summary_en": None,
            "problem_zh": None, "problem_en": None, "advantages_zh": None, "advantages_en": None,
            "applications_zh": app_zh, "applications_en": None,
            "keywords_zh": row.keywords[:390], "keywords_en": None,
        }

    def _demand_title(self, field: str) -> tuple[str, str, str, str, str, str]:
        if field not in self._demand_titles:
            combos = []
            for (t_zh, t_en), (f_zh, f_en) in itertools.product(texts.TECHNOLOGIES[field],
                                                                texts.DEMAND_FORMS):
                products = texts.PRODUCTS[field] if "{p}" in f_zh else texts.PRODUCTS[field][:1]
                for p_zh, p_en in products:
                    combos.append((f_zh.format(t=t_zh, p=p_zh),
                                   f_en.format(t=t_en, T=_cap(t_en), p=p_en),
                                   t_zh, t_en, p_zh, p_en))
            self._demand_titles[field] = self._dealt(combos)
        return next(self._demand_titles[field])

    def demand(self, field: str, published: dt.date, budget_yuan: int) -> Text:
        """A firm's need: product, problem, requirement, budget and deadline."""
        title_zh, title_en, t_zh, t_en, p_zh, p_en = self._demand_title(field)
        nums = self._numbers()
        need_zh, need_en = (_fill(s, nums) for s in self._pick(texts.NEEDS))
        req_zh, req_en = (_fill(s, nums) for s in self._pick(texts.REQUIREMENTS))
        ms_zh, ms_en = self._pick(texts.MILESTONES)
        months = int(self.rng.integers(6, 19))
        due_month = published.month - 1 + months
        due = dt.date(published.year + due_month // 12, due_month % 12 + 1, 1)
        wan = budget_yuan // 10_000
        word_zh, word_en = texts.FIELD_WORDS[field]
        return {
            "title_zh": title_zh, "title_en": title_en,
            "summary_zh": f"我公司主要从事{p_zh}相关业务。目前{need_zh}。拟通过技术转让、许可或联合"
                          f"开发引进{t_zh}技术，要求{req_zh}。项目预算约{wan}万元，希望在"
                          f"{due.year}年{due.month}月前{ms_zh}。",
            "summary_en": f"Our business: {p_en}. At present {need_en}. Technology sought: "
                          f"{t_en}, through transfer, licensing or joint development; it must "
                          f"{req_en}. Budget: about {wan * 10_000:,} yuan; we want {ms_en} by "
                          f"{texts.MONTHS_EN[due.month - 1]} {due.year}.",
            "problem_zh": need_zh, "problem_en": _cap(need_en),
            "advantages_zh": None, "advantages_en": None,
            "applications_zh": p_zh, "applications_en": p_en,
            "keywords_zh": f"{word_zh};{t_zh};{p_zh}",
            "keywords_en": f"{word_en.lower()};{t_en};{p_en}",
        }

    def owner(self, drawn: int, research_ids: list[int]) -> int:
        """About a quarter of achievements come from universities and institutes, as on the
        city's technology market; the rest keep the owner the city drew."""
        if research_ids and self.rng.random() < 0.25:
            return int(research_ids[int(self.rng.integers(len(research_ids)))])
        return drawn
