"""Cell values as people write them: dates in the usual forms, and labels for codes.

A code-list cell may give the code or its label: a district by its name within the
deployment's region (from the ``regions`` table: ``市南区``, ``市南``, ``青岛市市南区``, or
either part of ``黄岛区（西海岸新区）``), an industry by its GB/T 4754 code or division name
(``C39``, ``39 计算机、通信和其他电子设备制造业``), a vocabulary term by its Chinese or English
label, and a fixed choice by the labels in ``data/headers.yaml``. A code is always taken as it
is; a label that names two codes is refused, never guessed.

>>> parse_date("2024年5月1日"), parse_date("2024/5/1"), parse_date(45413)
(datetime.date(2024, 5, 1), datetime.date(2024, 5, 1), datetime.date(2024, 5, 1))
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.registry.entities import Field
from observatory.registry.headers import choice_labels, normalise

_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                  r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SUFFIXES = ("新区", "区", "市", "县")
_INDUSTRY = re.compile(r"^[A-T]?(\d{2,4})(?:\D.*)?$")

DATE_FORMS = "2024-05-01, 2024/5/1, 2024年5月1日, 2024.5.1, 20240501 or an Excel date"


def parse_date(raw: Any) -> dt.date | None:
    """A date from the forms people type, Excel dates and Excel serial numbers; None if not."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _serial(raw)
    text = str(raw).strip()
    found = _YMD.match(text) or _COMPACT.match(text)
    if found:
        try:
            return dt.date(*(int(g) for g in found.groups()))
        except ValueError:
            return None
    if _SERIAL.match(text):
        return _serial(float(text))
    return None


def _serial(number: float) -> dt.date | None:
    """An Excel serial day number (1900 system) as a date."""
    if not 1 <= number < 2_958_466:
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=int(number))


@cache
def industry_names() -> dict[str, str]:
    """Normalised GB/T 4754 division name -> two-digit code."""
    text = resources.files("observatory.registry").joinpath("data", "industries.yaml").read_text(
        encoding="utf-8")
    return {normalise(name): str(code) for code, name in yaml.safe_load(text).items()}


def _keys(name: str, prefixes: list[str]) -> set[str]:
    """The forms a region's name may be written in."""
    base = normalise(name)
    forms = {base}
    inner = re.findall(r"\(([^()]*)\)", base)
    outer = re.sub(r"\([^()]*\)", "", base)
    forms |= {outer, *inner}
    for form in list(forms):
        for suffix in _SUFFIXES:
            if form.endswith(suffix) and len(form) > len(suffix) + 1:
                forms.add(form.removesuffix(suffix))
    for prefix in prefixes:
        forms |= {prefix + f for f in list(forms) if prefix and not f.startswith(prefix)}
    return {f for f in forms if f}


@dataclass
class Lookups:
    """Labels -> codes for one import, read once from the database."""

    regions: dict[str, set[str]] = field(default_factory=dict)
    region_codes: set[str] = field(default_factory=set)
    vocab: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    vocab_codes: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, home: str | None) -> Lookups:
        """Region names within ``home`` (every region when None) and vocabulary labels."""
        rows = session.execute(select(m.Region.code, m.Region.name_zh, m.Region.name_en,
                                      m.Region.parent_code)).all()
        parent = {code: up for code, _zh, _en, up in rows}
        names = {code: (zh, en) for code, zh, en, _up in rows}

        def inside(code: str | None) -> bool:
            seen = 0
            while code is not None and seen < 10:
                if code == home:
                    return True
                code, seen = parent.get(code), seen + 1
            return False

        within = [c for c in names if home is None or inside(c)]
        prefixes = ([normalise(names[home][0]), normalise(names[home][0]).removesuffix("市")]
                    if home in names else [])
        regions: dict[str, set[str]] = defaultdict(set)
        for code in within:
            zh, en = names[code]
            for key in _keys(zh, prefixes) | {normalise(en)}:
                regions[key].add(code)
        vocab: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for scheme, code, zh, en in session.execute(select(
                m.VocabTerm.scheme_code, m.VocabTerm.code, m.VocabTerm.name_zh,
                m.VocabTerm.name_en)):
            for label in (zh, en):
                vocab[scheme][normalise(label)].add(code)
        codes = {scheme: set().union(*labels.values()) for scheme, labels in vocab.items()}
        return cls(dict(regions), set(names), {k: dict(v) for k, v in vocab.items()}, codes)

    def resolve(self, spec: Field, value: Any) -> tuple[Any, tuple[str, str] | None]:
        """The code a label names (or the value as it is); a problem when ambiguous."""
        if not isinstance(value, str):
            return value, None
        found: set[str] = set()
        if spec.choices is not None and value not in spec.choices:
            key = normalise(value)
            found = {c for c in spec.choices
                     if key in {normalise(x) for x in [c, *choice_labels(c)]}}
        elif spec.vocab is not None and value not in self.vocab_codes.get(spec.vocab, set()):
            found = self.vocab.get(spec.vocab, {}).get(normalise(value), set())
        elif spec.ref is not None and spec.ref.entity == "regions" \
                and value not in self.region_codes:
            found = self.regions.get(normalise(value), set())
        elif spec.name == "industry_code" and not value.isdigit():
            found = _industry(value)
        if len(found) == 1:
            return next(iter(found)), None
        if len(found) > 1:
            codes = ", ".join(sorted(found))
            return value, (f"names more than one code ({codes}); give the code",
                           f"对应多个代码（{codes}），请填写代码")
        return value, None


def _industry(value: str) -> set[str]:
    text = normalise(value).upper()
    found = _INDUSTRY.match(text)
    if found:
        return {found.group(1)}
    code = industry_names().get(normalise(value))
    return {code} if code else set()
