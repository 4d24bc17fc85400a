"""Organisation names for the example city: brand, industry word and legal form, never a serial.

Enterprises are named the way Chinese firms register (city, two-character brand, industry,
legal form: 青岛瑞达海洋装备有限公司 / Qingdao Ruida Marine Equipment Co., Ltd.); universities,
institutes and bureaus come from hand-written lists of plausible (fictional) names. Every name is
unique in Chinese and in English. Names draw from their own random stream, so naming does not
move any other generated figure.
"""

from __future__ import annotations

import numpy as np

from observatory.examples import texts

LOCAL_CITY = ("青岛", "Qingdao")


class OrgNamer:
    """Unique bilingual organisation names from realistic parts, deterministic from the seed."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng([seed, 11])
        self.used_zh: set[str] = set()
        self.used_en: set[str] = set()
        self.issued: dict[tuple[str, tuple[str, str]], int] = {}
        self.numbered = 0

    def _claim(self, zh: str, en: str) -> bool:
        if zh in self.used_zh or en in self.used_en:
            return False
        self.used_zh.add(zh)
        self.used_en.add(en)
        return True

    def _stem(self) -> tuple[str, str]:
        first = texts.STEM_FIRST[int(self.rng.integers(len(texts.STEM_FIRST)))]
        second = texts.STEM_SECOND[int(self.rng.integers(len(texts.STEM_SECOND)))]
        return first[0] + second[0], first[1] + second[1]

    def enterprise(self, field: str, city: tuple[str, str] = LOCAL_CITY) -> tuple[str, str]:
        """A company name of the field in the city: fresh brands until one is free. Past half
        the vocabulary's combinations (only at scales far above one) a name gets a number."""
        words = texts.INDUSTRY_WORDS[field]
        forms = texts.COMPANY_FORMS
        capacity = len(texts.STEM_FIRST) * len(texts.STEM_SECOND) * len(words) * len(forms)
        issued = self.issued.get((field, city), 0)
        self.issued[(field, city)] = issued + 1
        for _ in range(40 if issued < capacity // 2 else 1):
            stem_zh, stem_en = self._stem()
            word_zh, word_en = words[int(self.rng.integers(len(words)))]
            # Most firms are plain limited companies; a few are corporations or groups.
            form = forms[int(self.rng.choice(len(forms), p=[0.82, 0.08, 0.05, 0.05]))]
            zh = f"{city[0]}{stem_zh}{word_zh}{form[0]}"
            en = f"{city[1]} {stem_en} {word_en} {form[1]}"
            if self._claim(zh, en):
                return zh, en
        self.numbered += 1
        zh, en = f"{zh}（{self.numbered}）", f"{en} ({self.numbered})"
        self._claim(zh, en)
        return zh, en

    def external(self, field: str, province: str) -> tuple[str, str]:
        """An out-of-city company, named after a large city of its province."""
        return self.enterprise(field, texts.EXTERNAL_CITIES[province])

    def university(self, index: int) -> tuple[str, str]:
        zh, en = texts.UNIVERSITIES[index % len(texts.UNIVERSITIES)]
        if index >= len(texts.UNIVERSITIES):  # only at scales above one: a second campus
            zh, en = f"{zh}分校", f"{en}, Branch Campus"
        self._claim(zh, en)
        return zh, en

    def institute(self, index: int, field: str) -> tuple[str, str]:
        """Field ``field``'s institute in form ``index // 16``: city, province or university."""
        topic_zh, topic_en = texts.INSTITUTE_TOPICS[field]
        forms = texts.INSTITUTE_FORMS
        form_zh, form_en = forms[(index // len(texts.INSTITUTE_TOPICS)) % len(forms)]
        uni_zh, uni_en = texts.UNIVERSITIES[index % len(texts.UNIVERSITIES)]
        zh = form_zh.format(topic=topic_zh, uni=uni_zh)
        en = form_en.format(Topic=topic_en, Uni=uni_en)
        if not self._claim(zh, en):
            zh, en = f"{uni_zh}{topic_zh}研究中心", f"{uni_en} Centre for {topic_en}"
            self._claim(zh, en)
        return zh, en

    def government(self, index: int) -> tuple[str, str]:
        zh, en = texts.GOVERNMENT_BODIES[index % len(texts.GOVERNMENT_BODIES)]
        self._claim(zh, en)
        return zh, en


#: Platform types (zh, en) and whether they are named after a technology (research platforms)
#: or after a brand (incubators, spaces, bases, clusters).
PLATFORM_TYPES: dict[str, tuple[str, str, bool]] = {
    "key_lab": ("重点实验室", "Key Laboratory of {topic}", True),
    "engineering_centre": ("工程研究中心", "Engineering Research Centre for {topic}", True),
    "tech_innovation_centre": ("技术创新中心", "Technology Innovation Centre for {topic}", True),
    "new_rd_institution": ("研究院", "Research Institute of {topic}", True),
    "incubator": ("科技企业孵化器", "{topic} Technology Business Incubator", False),
    "innovation_space": ("众创空间", "{topic} Maker Space", False),
    "demonstration_base": ("新型工业化产业示范基地",
                           "{topic} New Industrialisation Demonstration Base", False),
    "sme_cluster": ("中小企业特色产业集群", "{topic} SME Industrial Cluster", False),
}
LEVELS: dict[str, tuple[str, str]] = {
    "national": ("国家", "National"), "provincial": ("山东省", "Shandong"),
    "city": ("青岛市", "Qingdao"),
}
ROMAN = ["", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X"]
CHINESE_ORDINALS = ["", *(f"（{n}）" for n in "二三四五六七八九十")]


def _title_case(text: str) -> str:
    """'catalyst for high-end polyolefins' -> 'Catalyst for High-End Polyolefins'."""
    small = {"for", "of", "and", "in", "on", "at", "the", "a", "to"}
    words = text.split()
    return " ".join(w if (i and w in small) or not w[:1].islower() else
                    "-".join(p[:1].upper() + p[1:] for p in w.split("-"))
                    for i, w in enumerate(words))


PROJECT_FORMS: list[tuple[str, str]] = [
    ("{t}研发与产业化", "R&D and industrialisation of {t}"),
    ("{t}关键技术攻关", "Key technology breakthroughs in {t}"),
    ("{t}示范应用", "Demonstration of {t}"),
    ("{t}中试平台建设", "Pilot platform for {t}"),
    ("{t}产业化项目", "Industrialisation project: {t}"),
]


class PlatformNamer:
    """Platform names without serial numbers: 山东省海参良种选育工程研究中心,
    青岛瑞达海洋装备科技企业孵化器; a repeated name gets a second-site ordinal (（二）, II).
    Project titles come from the same kind of stream (qualifier and form per project)."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng([seed, 17])
        self.seen: dict[str, int] = {}

    def project_title(self, field: str, tech_zh: str, tech_en: str) -> tuple[str, str]:
        """A project's title: the technology with one of the field's qualifiers and a form."""
        quals = texts.FIELD_QUALIFIERS[field]
        q_zh, q_en = quals[int(self.rng.integers(len(quals)))]
        if q_zh and (q_zh[:2] in tech_zh or q_en.split("-")[0] in tech_en):
            q_zh, q_en = "", ""
        f_zh, f_en = PROJECT_FORMS[int(self.rng.integers(len(PROJECT_FORMS)))]
        return f_zh.format(t=q_zh + tech_zh), f_en.format(t=f"{q_en} {tech_en}".strip())

    def name(self, type_code: str, level: str, field: str, number: int) -> tuple[str, str]:
        type_zh, type_en, by_technology = PLATFORM_TYPES[type_code]
        level_zh, level_en = LEVELS[level]
        if by_technology:
            techs = texts.TECHNOLOGIES[field]
            topic_zh, topic_en = techs[int(self.rng.integers(len(techs)))]
            zh = f"{level_zh}{topic_zh}{type_zh}"
            en = f"{level_en} {type_en.format(topic=_title_case(topic_en))}"
        else:
            first = texts.STEM_FIRST[int(self.rng.integers(len(texts.STEM_FIRST)))]
            second = texts.STEM_SECOND[int(self.rng.integers(len(texts.STEM_SECOND)))]
            word_zh, word_en = texts.FIELD_WORDS[field]
            if type_zh.startswith("科技"):  # not "智能科技科技企业孵化器"
                word_zh = word_zh.removesuffix("科技")
                word_en = word_en.removesuffix(" Technology")
            zh = f"青岛{first[0]}{second[0]}{word_zh}{type_zh}"
            en = "Qingdao " + type_en.format(topic=f"{first[1]}{second[1]} {word_en}")
        seen = self.seen.get(zh, 0)
        self.seen[zh] = seen + 1
        if seen and seen < len(ROMAN):
            return zh + CHINESE_ORDINALS[seen], en + ROMAN[seen]
        if seen:  # only at large scales: the platform's number after all
            return f"{zh}（{number}）", f"{en} ({number})"
        return zh, en
