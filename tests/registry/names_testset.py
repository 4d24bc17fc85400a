"""A labelled test set for name resolution, built from a registry (the example city).

Positives are registry organisations written as published lists write them: the region prefix
dropped or spelt out (山东省青岛市, the district), the region in （） or () after the brand,
有限责任公司 / 股份有限公司 / 集团 for 有限公司, spaces and full-width digits, a typo, a former
name; several at once. Negatives are firms that are not in the registry but look like ones that
are: another industry word or number, a new brand, an extra word, a branch, the same name in
another city. Every perturbation is drawn from a seeded generator; nothing is hand-picked.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.names import NameIndex, RegionNames, squash

#: Common characters for typos and new brands; those any registry name uses are left out.
POOL = ("安邦宝博昌晨驰创淳达德东方丰峰福富冠广贵国瀚禾弘鸿虎华桦辉佳嘉建江杰锦晶景骏凯康坤"
        "朗乐力利联林龙隆茂美铭明南宁鹏平奇琪谦强庆仁荣瑞森善尚盛晟世顺思泰天通同万旺威伟文"
        "祥鑫兴星旭轩雅扬耀一亿益毅银英永优宇元园跃云泽展章兆振正志智中众卓")
OTHER_CITIES = ("烟台", "潍坊", "威海", "淄博", "临沂")
FORMS = ("有限责任公司", "股份有限公司", "集团有限公司", "有限公司")


@dataclass(frozen=True)
class Case:
    name: str
    truth: str | None  # the USCC, or None for a firm not in the registry
    kind: str
    region: str | None = None


class Builder:
    def __init__(self, session: Session, seed: int) -> None:
        self.rng = random.Random(seed)
        rows = session.execute(select(m.Organisation.uscc, m.Organisation.name_zh,
                                      m.Organisation.region_code)).all()
        self.orgs = sorted(rows)
        self.regions = {r.code: r for r in session.scalars(select(m.Region))}
        self.names = RegionNames((r.code, r.name_zh, r.name_en, r.level, r.parent_code)
                                 for r in self.regions.values())
        self.cores = {self.names.normalise(n).core for _, n, _ in self.orgs}
        self.core_regions: dict[str, set[str]] = {}
        for _, n, region in self.orgs:
            self.core_regions.setdefault(self.names.normalise(n).core, set()).add(region)
        used = {c for core in self.cores for c in core}
        self.pool = [c for c in POOL if c not in used]
        assert len(self.pool) > 30
        self.fresh_brands: set[str] = set()

    # -- pieces of a name ------------------------------------------------------------------
    def chain(self, code: str) -> list[m.Region]:
        out = []
        current: str | None = code
        while current is not None and self.regions[current].level != "nation":
            out.append(self.regions[current])
            current = self.regions[current].parent_code
        return out[::-1]  # province, city, district

    def split(self, name: str) -> tuple[str, str, str]:
        """(region prefix, middle, form) of a registry name."""
        prefix = ""
        for region in self.regions.values():
            for alias in (region.name_zh, region.name_zh[:-1]):
                if len(alias) >= 2 and name.startswith(alias) and len(alias) > len(prefix):
                    prefix = alias
        rest = name[len(prefix):]
        form = next((f for f in FORMS if rest.endswith(f)), "")
        return prefix, rest[: len(rest) - len(form)], form

    def brand(self) -> str:
        while True:
            word = "".join(self.rng.sample(self.pool, 2))
            if word not in self.fresh_brands:
                self.fresh_brands.add(word)
                return word

    def typo(self, middle: str) -> str:
        spots = [i for i, c in enumerate(middle) if unicodedata.category(c) == "Lo"]
        i = self.rng.choice(spots)
        return middle[:i] + self.rng.choice(self.pool) + middle[i + 1:]

    def spaces(self, text: str) -> str:
        chars = list(text)
        for _ in range(self.rng.randint(1, 3)):
            chars.insert(self.rng.randint(1, len(chars) - 1), self.rng.choice(" 　"))
        return "".join(chars)

    @staticmethod
    def wide(text: str) -> str:
        """Digits and brackets in full width (０-９, （）)."""
        return "".join(chr(ord(c) + 0xFEE0) if c in "0123456789()" else c for c in text)

    @staticmethod
    def narrow(text: str) -> str:
        return unicodedata.normalize("NFKC", text)

    def city(self, code: str) -> str:
        """The shortest name of the city (or province) above an organisation: 青岛, 上海."""
        top = [r for r in self.chain(code) if r.level in ("city", "province")][-1]
        return top.name_zh.removesuffix("市")

    # -- cases -----------------------------------------------------------------------------
    def positive(self, uscc: str, name: str, region: str) -> Case:
        prefix, middle, form = self.split(name)
        other_form = self.rng.choice([f for f in FORMS if f != form]) if form else ""
        chain = self.chain(region)
        spelled = "".join(r.name_zh.split("（")[0] + ("省" if r.level == "province" and
                                                      r.name_zh[-1] not in "省市区" else "")
                          for r in chain)
        where = prefix or self.city(region)
        kinds = {
            "exact": lambda: name,
            "dropped_prefix": lambda: middle + form,
            "spelled_out_region": lambda: spelled + middle + form,
            "region_in_brackets": lambda: middle + f"（{where}）" + form,
            "half_width_brackets": lambda: middle + f"({where})" + form,
            "company_form": lambda: prefix + middle + other_form,
            "spaces_and_width": lambda: self.wide(self.spaces(name)),
            "typo": lambda: prefix + self.typo(middle) + form,
            "typo_dropped_prefix": lambda: self.typo(middle) + other_form,
            "combined": lambda: self.spaces(middle + f"({where})" + other_form),
        }
        kind = self.rng.choice(list(kinds))
        hint = None
        if self.rng.random() < 0.3:
            hint = self.rng.choice([region, chain[-1].name_zh.split("（")[0]])
        return Case(kinds[kind](), uscc, kind, hint)

    def former(self, uscc: str, name: str) -> tuple[str, Case]:
        """A former name for the registry (a new brand) and the case that prints it."""
        prefix, middle, form = self.split(name)
        old = prefix + self.brand() + middle[2:] + form
        printed = self.rng.choice([old, old.removeprefix(prefix), self.spaces(old)])
        return old, Case(printed, uscc, "former_name")

    def negative(self, name: str, region: str) -> Case | None:
        prefix, middle, form = self.split(name)
        form = form or "有限公司"
        others = [r for r in self.regions.values() if r.level == "province"
                  and r.code not in {c.code for c in self.chain(region)}]
        digits = "".join(c for c in middle if c.isdigit())
        kinds = {
            "new_brand": lambda: prefix + self.brand() + middle[2:] + form,
            "inserted_word": lambda: prefix + middle[:2] + self.brand() + middle[2:] + form,
            "extra_word": lambda: prefix + middle + self.rng.choice(
                ["科技", "实业", "发展", "控股", "贸易"]) + form,
            "other_number": lambda: prefix + middle.replace(
                digits, str(int(digits) + 5000)) + form if digits else None,
            "branch": lambda: name + self.chain(region)[-1].name_zh[:2] + "分公司",
            "same_name_other_province": lambda: self.rng.choice(others).name_zh + middle + form,
            "same_name_other_city": lambda: self.rng.choice(OTHER_CITIES) + middle + form,
        }
        kind = self.rng.choice(list(kinds))
        made = kinds[kind]()
        if made is None:
            return None
        core = self.names.normalise(made).core
        if core in self.cores and kind != "same_name_other_province":
            return None
        if kind == "same_name_other_province" and self._firm_in(made, core):
            return None  # a registry firm of that name lies in that province: not a negative
        return Case(made, None, kind)

    def _firm_in(self, made: str, core: str) -> bool:
        """Whether a registry firm with this core lies in the province ``made`` names."""
        province = next((r.code for r in self.regions.values()
                         if r.level == "province" and made.startswith(r.name_zh)), None)
        return any(province in {c.code for c in self.chain(region)}
                   for region in self.core_regions.get(self.names.normalise(made[
                       len(self.regions[province].name_zh):] if province else made).core,
                       set()) | self.core_regions.get(core, set()))


def build(session: Session, seed: int = 2026, positives: int = 1500, formers: int = 200,
          negatives: int = 600) -> tuple[list[Case], list[tuple[str, str]]]:
    """The cases, and the former names (USCC, name) to add to the registry first."""
    builder = Builder(session, seed)
    sample = builder.rng.sample(builder.orgs, positives + formers + negatives)
    cases = [builder.positive(*org) for org in sample[:positives]]
    renames = []
    for uscc, name, _ in sample[positives:positives + formers]:
        old, case = builder.former(uscc, name)
        renames.append((uscc, old))
        cases.append(case)
    for _, name, region in sample[positives + formers:]:
        case = builder.negative(name, region)
        if case is not None:
            cases.append(case)
    builder.rng.shuffle(cases)
    return cases, renames


def measure(index: NameIndex, cases: list[Case]) -> dict[str, float]:
    """Precision of ``auto``, recall of ``auto`` + ``review`` (the true firm among the
    candidates shown), and what became of the firms that are not in the registry."""
    auto = correct = found = positives = negatives_auto = 0
    for case in cases:
        region = index.regions.lookup(case.region) if case.region else None
        result = index.resolve(case.name, region=region)
        if case.truth is not None:
            positives += 1
        if result.decision == "auto":
            auto += 1
            chosen = result.candidates[0].uscc
            correct += chosen == case.truth
            negatives_auto += case.truth is None
            found += chosen == case.truth
        elif result.decision == "review" and case.truth is not None:
            found += case.truth in {c.uscc for c in result.candidates}
    return {"cases": len(cases), "positives": positives, "auto": auto,
            "precision": correct / auto if auto else 1.0,
            "recall": found / positives, "negatives_auto": negatives_auto,
            "auto_share": auto / positives}


__all__ = ["Case", "build", "measure", "squash"]
