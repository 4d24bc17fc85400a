"""Column headers and code-list labels as people write them, held as data (``data/headers.yaml``).

Every import field has a Chinese label (what ``export --headers zh`` writes) and the usual
synonyms; a header matches a field when its normalised text equals the field name or one of
them. Normalising folds full-width forms to half width (NFKC), drops spaces, a leading ``*``
(the "required" mark) and a trailing colon, and lower-cases; a header that does not match as it
stands is tried again without a unit in brackets (``营业收入（万元）`` is ``营业收入`` in 万元).

>>> normalise(" 所属区县（区市） ")
'所属区县(区市)'
>>> match_field("organisations", "统一社会信用代码"), match_field("organisations", "区（市）")
('uscc', 'region_code')
>>> unit_scale("成交额（万元）"), unit_scale("成交额")
(Decimal('10000'), None)
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from observatory.registry.entities import SPECS

#: Units an amount header may name, and the factor to yuan.
UNITS: dict[str, Decimal] = {"亿元": Decimal(100_000_000), "万元": Decimal(10_000),
                             "千元": Decimal(1_000), "元": Decimal(1)}
_UNIT = re.compile("|".join(UNITS))
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


class EntityLabels(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sheets: list[str] = []
    fields: dict[str, list[str]] = {}


class LabelData(BaseModel):
    """The shape of ``headers.yaml``."""

    model_config = ConfigDict(extra="forbid")
    common: dict[str, list[str]]
    entities: dict[str, EntityLabels]
    choices: dict[str, list[str]]


class LabelError(ValueError):
    """``headers.yaml`` does not fit the entities it describes."""


def normalise(text: object) -> str:
    """Header or label text folded for comparison (width, spaces, marks, case)."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    folded = re.sub(r"\s+", "", folded).lstrip("*").rstrip(":").lower()
    return folded


def variants(header: object) -> list[str]:
    """The forms a header is matched in: as written, then without bracketed parts."""
    full = normalise(header)
    bare = _BRACKETED.sub("", full)
    return [full] if bare == full or not bare else [full, bare]


def unit_scale(header: object) -> Decimal | None:
    """The factor to yuan that a header's unit says (万元 -> 10000), or None if none."""
    found = _UNIT.search(unicodedata.normalize("NFKC", str(header or "")))
    return UNITS[found.group(0)] if found else None


@cache
def label_data() -> LabelData:
    """The validated label data (checked against the entity specs once per process)."""
    text = resources.files("observatory.registry").joinpath("data", "headers.yaml").read_text(
        encoding="utf-8")
    try:
        data = LabelData.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        raise LabelError(f"headers.yaml: {exc}") from exc
    _check(data)
    return data


def _check(data: LabelData) -> None:
    """Every entity and field named exists, every field has a label, no label is ambiguous."""
    problems = [f"entity {e} does not exist" for e in data.entities if e not in SPECS]
    for name, spec in SPECS.items():
        own = data.entities.get(name, EntityLabels())
        problems += [f"{name}.{f}: no such field" for f in own.fields if f not in spec.columns]
        seen: dict[str, str] = {}
        for f in spec.columns:
            labels = own.fields.get(f) or data.common.get(f)
            if not labels:
                problems.append(f"{name}.{f}: no Chinese label")
                continue
            for label in [f, *labels]:
                key = normalise(label)
                if seen.setdefault(key, f) != f:
                    problems.append(f"{name}: {label!r} names both {seen[key]} and {f}")
    all_choices = {c for s in SPECS.values() for f in s.fields for c in (f.choices or ())}
    problems += [f"choice {c} is no field's value" for c in data.choices if c not in all_choices]
    for spec in SPECS.values():
        for one in spec.fields:
            keys = [normalise(label) for c in one.choices or ()
                    for label in data.choices.get(c, [])]
            if len(keys) != len(set(keys)):
                problems.append(f"{spec.name}.{one.name}: a value label names two codes")
    if problems:
        raise LabelError("headers.yaml: " + "; ".join(sorted(set(problems))))


def labels(entity: str, field: str) -> list[str]:
    """The Chinese label and synonyms of a field, label first."""
    data = label_data()
    own = data.entities.get(entity, EntityLabels()).fields.get(field)
    return list(own or data.common.get(field, []))


def zh_label(entity: str, field: str) -> str:
    return labels(entity, field)[0]


@cache
def header_index(entity: str) -> dict[str, str]:
    """Normalised header text -> field, for every field name, label and synonym."""
    index: dict[str, str] = {}
    for f in SPECS[entity].columns:
        for text in [f, *labels(entity, f)]:
            index[normalise(text)] = f
    return index


def match_field(entity: str, header: object, extra: dict[str, str] | None = None) -> str | None:
    """The field a header names (``extra``: a mapping file's normalised header -> field)."""
    index = header_index(entity)
    for form in variants(header):
        if extra and form in extra:
            return extra[form]
        if form in index:
            return index[form]
    return None


def sheet_entity(sheet: str) -> str | None:
    """The entity a sheet's name means (its entity name, English or Chinese name, or a
    ``sheets`` synonym), or None."""
    key = normalise(sheet)
    for name, spec in SPECS.items():
        names = [name, spec.name_en, spec.name_zh,
                 *label_data().entities.get(name, EntityLabels()).sheets]
        if key in {normalise(n) for n in names if n}:
            return name
    return None


def choice_labels(code: str) -> list[str]:
    """The Chinese labels of a code-list value (first: the one an export writes)."""
    return list(label_data().choices.get(code, []))


def doc_table(entity: str) -> str:
    """The Markdown table of one entity's columns for ``docs/import.md``."""
    spec = SPECS[entity]
    lines = [f"### {spec.name_zh} / {spec.name_en} (`{entity}`)", "",
             "| field | required | Chinese label | also accepted |", "|---|---|---|---|"]
    for f in spec.fields:
        names = labels(entity, f.name)
        lines.append(f"| `{f.name}` | {'yes' if f.required else ''} | {names[0]} | "
                     f"{'、'.join(names[1:])} |")
    return "\n".join(lines)


def doc_tables() -> str:
    """Every entity's table, in the order of the specs (the generated part of the doc)."""
    return "\n\n".join(doc_table(name) for name in SPECS) + "\n"


BEGIN, END = "<!-- generated: columns -->", "<!-- end generated -->"


def write_doc(path: str) -> None:
    """Rewrite the generated part of ``docs/import.md`` from the data."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"{head}{BEGIN}\n\n{doc_tables()}\n{END}{tail}")


if __name__ == "__main__":  # python -m observatory.registry.headers docs/import.md
    import sys

    write_doc(sys.argv[1] if len(sys.argv) > 1 else "docs/import.md")
