"""Rule packs: versioned, bilingual YAML definitions of a designation's criteria and score tables.

A pack never needs code: criteria and score items are built from a fixed vocabulary (see
``docs/methodology/eligibility.md``) that :mod:`observatory.eligibility.evaluator` interprets.
Packs are validated on load: unknown keys, missing translations, malformed expressions, bad
bands and dangling references raise :class:`PackError` with the file and the path inside it.
"""

from __future__ import annotations

import string
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from observatory.eligibility.expressions import ExpressionError, validate_expression
from observatory.eligibility.model import IP_FIELDS, YEAR_FIELDS

PACK_DIR = Path(__file__).with_name("rulepacks")
COMMON_FILE = "_common.yaml"

Op = Literal[">=", ">", "<=", "<", "==", "!="]
Unit = Literal[
    "percent", "yuan", "usd", "count", "days", "years", "points", "ratio", "bool", "text"
]
Points = float | tuple[float, float]
TEMPLATE_FIELDS = frozenset(
    {"name", "value", "op", "threshold", "band", "status", "points", "lever", "delta", "target"}
)


class PackError(ValueError):
    """A rule pack is invalid. ``message_en`` / ``message_zh`` say where and why."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        self.message_en = f"invalid rule pack {source}: " + "; ".join(problems)
        self.message_zh = f"规则包 {source} 校验失败：" + "；".join(problems)
        super().__init__(f"{self.message_en}\n{self.message_zh}")


def _check_template(text: str | None, where: str) -> None:
    if text is None:
        return
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None and name not in TEMPLATE_FIELDS:
            raise ValueError(
                f"{where}: unknown placeholder {{{name}}}; allowed {sorted(TEMPLATE_FIELDS)}"
            )


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Bilingual(Strict):
    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)


def points_range(points: Points) -> tuple[float, float]:
    """Points as a (low, high) range; a single number is a range of one."""
    return (float(points), float(points)) if isinstance(points, int | float) else points


class Source(Strict):
    """A legal or published basis for a pack's rules."""

    id: str
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    ref: str | None = None
    issued: date | None = None
    url: str | None = None


class Basis(Strict):
    """Where a criterion comes from: a source id plus the article or table."""

    source: str
    article: str | None = None


class Lever(Strict):
    """What the enterprise could change to close a gap: the figure, and which way it moves."""

    kind: Literal["year", "fact", "ip", "time"]
    field: str = "days"
    offset: int = 0
    also: tuple[str, ...] = ()
    direction: Literal["increase", "decrease"] = "increase"
    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    unit: Unit = "count"
    integer: bool = False
    gap_en: str | None = None
    gap_zh: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Lever:
        if self.kind == "year" and self.field not in YEAR_FIELDS:
            raise ValueError(f"lever.field {self.field!r} is not a yearly figure")
        for f in self.also:
            if f not in YEAR_FIELDS:
                raise ValueError(f"lever.also {f!r} is not a yearly figure")
        if self.kind == "ip" and self.field not in IP_FIELDS:
            raise ValueError(f"lever.field {self.field!r} is not an IP class")
        _check_template(self.gap_en, "lever.gap_en")
        _check_template(self.gap_zh, "lever.gap_zh")
        return self


class ThresholdBand(Strict):
    """One band of a banded threshold: applies while band_by <= upper (or < when exclusive)."""

    upper: float | None = None
    upper_inclusive: bool = True
    threshold: float
    label_en: str = Field(min_length=1)
    label_zh: str = Field(min_length=1)


class Condition(Strict):
    value: dict[str, Any]
    op: Op
    threshold: float

    @field_validator("value")
    @classmethod
    def _expr(cls, v: dict[str, Any]) -> dict[str, Any]:
        validate_expression(v, "condition.value")
        return v


class ScoreBand(Strict):
    """A score band: the first band (in listed order) whose bounds hold gives its points."""

    min: float | None = None
    min_exclusive: bool = False
    max: float | None = None
    max_exclusive: bool = True
    points: Points
    label: str | None = None

    def contains(self, value: float) -> bool:
        from observatory.eligibility.expressions import compare

        low_op = ">" if self.min_exclusive else ">="
        if self.min is not None and not compare(value, low_op, self.min):
            return False
        return self.max is None or compare(value, "<" if self.max_exclusive else "<=", self.max)


class Case(Strict):
    when: Condition | list[Condition] = Field(alias="if")
    points: Points
    label: str | None = None

    def conditions(self) -> list[Condition]:
        return self.when if isinstance(self.when, list) else [self.when]


class ScoreItem(Bilingual):
    """One scored indicator."""

    id: str
    kind: Literal["bands", "cases", "categorical", "self_graded", "per_item", "step", "max_of"]
    value: dict[str, Any] | None = None
    unit: Unit = "count"
    bands: tuple[ScoreBand, ...] = ()
    cases: tuple[Case, ...] = ()
    else_points: Points = 0.0
    map: dict[str, Points] = Field(default_factory=dict)
    default: Points = 0.0
    grades: dict[str, Points] = Field(default_factory=dict)
    max: float | None = None
    items: tuple[dict[str, Any], ...] = ()
    points: float | None = None
    per: float | None = None
    cap: float | None = None
    options: tuple[ScoreItem, ...] = ()
    refine_with: str | None = None
    lever: Lever | None = None
    basis: Basis | None = None
    verified: bool = True
    note_en: str | None = None
    note_zh: str | None = None

    @model_validator(mode="after")
    def _check(self) -> ScoreItem:
        where = f"score item {self.id!r}"
        if self.value is not None:
            validate_expression(self.value, f"{where}.value")
        for i, e in enumerate(self.items):
            validate_expression(e, f"{where}.items[{i}]")
        need_value = {"bands", "cases", "categorical", "step"}
        if self.kind in need_value - {"cases"} and self.value is None:
            raise ValueError(f"{where}: kind {self.kind!r} needs 'value'")
        if self.kind == "bands":
            self._check_bands(where)
        if self.kind == "cases" and not self.cases:
            raise ValueError(f"{where}: kind 'cases' needs 'cases'")
        if self.kind == "categorical" and not self.map:
            raise ValueError(f"{where}: kind 'categorical' needs 'map'")
        if self.kind == "self_graded" and not self.grades and self.max is None:
            raise ValueError(f"{where}: kind 'self_graded' needs 'grades' or 'max'")
        if self.kind == "per_item" and (not self.items or self.points is None or self.cap is None):
            raise ValueError(f"{where}: kind 'per_item' needs 'items', 'points' and 'cap'")
        if self.kind == "step" and (self.per is None or self.points is None or self.cap is None):
            raise ValueError(f"{where}: kind 'step' needs 'per', 'points' and 'cap'")
        if self.kind == "max_of" and len(self.options) < 2:
            raise ValueError(f"{where}: kind 'max_of' needs at least two 'options'")
        for p in [*(b.points for b in self.bands), *(c.points for c in self.cases),
                  *self.map.values(), *self.grades.values(), self.else_points, self.default]:
            lo, hi = points_range(p)
            if lo < 0 or hi < lo:
                raise ValueError(f"{where}: bad points {p!r} (need 0 <= low <= high)")
        return self

    def _check_bands(self, where: str) -> None:
        if not self.bands:
            raise ValueError(f"{where}: kind 'bands' needs 'bands'")
        if any(b.min is not None or b.max is not None for b in self.bands[-1:]):
            raise ValueError(f"{where}: the last band must be the catch-all (no min/max)")
        body = self.bands[:-1]
        if any(b.min is None and b.max is None for b in body):
            raise ValueError(f"{where}: only the last band may be a catch-all")
        # Not a catch-all (checked above), so a band without a max has a min and vice versa.
        mins = [b.min for b in body if b.max is None and b.min is not None]
        maxs = [b.max for b in body if b.min is None and b.max is not None]
        if len(mins) == len(body) and any(a <= b for a, b in zip(mins, mins[1:], strict=False)):
            raise ValueError(f"{where}: band minimums must strictly decrease, got {mins}")
        if len(maxs) == len(body) and any(a >= b for a, b in zip(maxs, maxs[1:], strict=False)):
            raise ValueError(f"{where}: band maximums must strictly increase, got {maxs}")
        pts = [points_range(b.points)[1] for b in self.bands]
        if any(a < b for a, b in zip(pts, pts[1:], strict=False)):
            raise ValueError(f"{where}: bands must be listed best first, got points {pts}")

    def max_points(self) -> float:
        if self.kind == "max_of":
            return max(o.max_points() for o in self.options)
        if self.kind in {"per_item", "step"}:
            return float(self.cap or 0)
        if self.kind == "self_graded" and not self.grades:
            return float(self.max or 0)
        ranges = [*(b.points for b in self.bands), *(c.points for c in self.cases),
                  *self.map.values(), *self.grades.values(), self.else_points, self.default]
        return max(points_range(p)[1] for p in ranges)


class ScoreGroup(Bilingual):
    id: str
    max: float = Field(gt=0)
    items: tuple[ScoreItem, ...] = Field(min_length=1)


class ScoreTable(Bilingual):
    id: str
    groups: tuple[ScoreGroup, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> ScoreTable:
        ids = [i.id for g in self.groups for i in g.items] + [g.id for g in self.groups]
        dup = sorted({x for x in ids if ids.count(x) > 1})
        if dup:
            raise ValueError(f"score {self.id!r}: duplicate group/item ids {dup}")
        for g in self.groups:
            if sum(i.max_points() for i in g.items) + 1e-9 < g.max:
                raise ValueError(
                    f"score {self.id!r} group {g.id!r}: items can reach only "
                    f"{sum(i.max_points() for i in g.items)} of max {g.max}"
                )
        return self


class SwitchCase(Strict):
    upper: float | None = None
    upper_inclusive: bool = True
    label_en: str = Field(min_length=1)
    label_zh: str = Field(min_length=1)
    criterion: Criterion


CriterionKind = Literal[
    "threshold", "banded_threshold", "boolean", "in_set", "score", "all_of", "any_of", "switch"
]


class Criterion(Bilingual):
    """One criterion; the kind decides which other keys it needs."""

    id: str
    kind: CriterionKind
    value: dict[str, Any] | None = None
    op: Op = ">="
    threshold: float | None = None
    unit: Unit = "count"
    band_by: dict[str, Any] | None = None
    band_unit: Unit = "yuan"
    bands: tuple[ThresholdBand, ...] = ()
    cases: tuple[SwitchCase, ...] = ()
    expect: bool = True
    values: tuple[str, ...] = ()
    score: str | None = None
    group: str | None = None
    item: str | None = None
    criteria: tuple[Criterion, ...] = ()
    lever: Lever | None = None
    basis: Basis | None = None
    verified: bool = True
    sentence_en: str | None = None
    sentence_zh: str | None = None
    note_en: str | None = None
    note_zh: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Criterion:
        where = f"criterion {self.id!r}"
        for key in ("value", "band_by"):
            expr = getattr(self, key)
            if expr is not None:
                validate_expression(expr, f"{where}.{key}")
        needs: dict[str, tuple[str, ...]] = {
            "threshold": ("value", "threshold"),
            "banded_threshold": ("value", "band_by", "bands"),
            "boolean": ("value",),
            "in_set": ("value", "values"),
            "score": ("score", "threshold"),
            "all_of": ("criteria",),
            "any_of": ("criteria",),
            "switch": ("band_by", "cases"),
        }
        for key in needs[self.kind]:
            if getattr(self, key) in (None, (), []):
                raise ValueError(f"{where}: kind {self.kind!r} needs {key!r}")
        if self.kind != "score" and (self.group or self.item):
            raise ValueError(f"{where}: 'group'/'item' only apply to kind 'score'")
        if self.kind == "banded_threshold":
            _check_uppers([b.upper for b in self.bands], where)
        if self.kind == "switch":
            _check_uppers([c.upper for c in self.cases], where)
        if (self.sentence_en is None) != (self.sentence_zh is None):
            raise ValueError(f"{where}: give both sentence_en and sentence_zh, or neither")
        if (self.note_en is None) != (self.note_zh is None):
            raise ValueError(f"{where}: give both note_en and note_zh, or neither")
        _check_template(self.sentence_en, f"{where}.sentence_en")
        _check_template(self.sentence_zh, f"{where}.sentence_zh")
        return self

    def walk(self) -> list[Criterion]:
        out: list[Criterion] = [self]
        for c in self.criteria:
            out += c.walk()
        for case in self.cases:
            out += case.criterion.walk()
        return out


def _check_uppers(uppers: list[float | None], where: str) -> None:
    if uppers[-1] is not None:
        raise ValueError(f"{where}: the last band must be open-ended (no 'upper')")
    body = [u for u in uppers[:-1] if u is not None]
    if len(body) < len(uppers) - 1:
        raise ValueError(f"{where}: only the last band may be open-ended")
    if any(a >= b for a, b in zip(body, body[1:], strict=False)):
        raise ValueError(f"{where}: band uppers must strictly increase, got {body}")


class Templates(Strict):
    """Sentence templates per criterion kind and status words, in both languages."""

    sentences: dict[str, dict[Literal["en", "zh"], str]]
    status: dict[str, dict[Literal["en", "zh"], str]]
    gap: dict[Literal["en", "zh"], str]
    gap_score: dict[Literal["en", "zh"], str]
    gap_time: dict[Literal["en", "zh"], str]
    gap_unreachable: dict[Literal["en", "zh"], str]
    gap_boolean: dict[Literal["en", "zh"], str]

    @model_validator(mode="after")
    def _check(self) -> Templates:
        kinds = set(get_args(CriterionKind))
        missing = kinds - set(self.sentences)
        if missing:
            raise ValueError(f"templates.sentences lacks kinds {sorted(missing)}")
        statuses = {"passed", "failed", "insufficient_data", "borderline"}
        if statuses - set(self.status):
            raise ValueError(f"templates.status lacks {sorted(statuses - set(self.status))}")
        groups = {"gap": self.gap, "gap_score": self.gap_score, "gap_time": self.gap_time,
                  "gap_unreachable": self.gap_unreachable, "gap_boolean": self.gap_boolean}
        for key, langs in [*self.sentences.items(), *self.status.items(), *groups.items()]:
            if set(langs) != {"en", "zh"}:
                raise ValueError(f"templates.{key}: needs both 'en' and 'zh'")
            for lang, text in langs.items():
                _check_template(text, f"templates.{key}.{lang}")
        return self


class Pack(Bilingual):
    """A designation's rule pack."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str
    level: Literal["national", "provincial", "municipal", "district"]
    valid_from: date | None = None
    validity_years: int | None = Field(default=None, ge=1)
    verified: bool = True
    description_en: str | None = None
    description_zh: str | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    scores: tuple[ScoreTable, ...] = ()
    templates: Templates | None = None

    @model_validator(mode="after")
    def _refs(self) -> Pack:
        source_ids = {s.id for s in self.sources}
        scores = {s.id: s for s in self.scores}
        all_criteria = [c for top in self.criteria for c in top.walk()]
        ids = [c.id for c in all_criteria]
        dup = sorted({x for x in ids if ids.count(x) > 1})
        if dup:
            raise ValueError(f"duplicate criterion ids {dup}")
        items = [(t, i) for t in self.scores for g in t.groups for i in g.items]
        cited: list[Criterion | ScoreItem] = [*all_criteria, *(i for _, i in items)]
        for c in cited:
            if c.basis is not None and c.basis.source not in source_ids:
                raise ValueError(f"{c.id!r}: basis.source {c.basis.source!r} not in sources")
        for c in all_criteria:
            if c.kind != "score":
                continue
            table = scores.get(c.score or "")
            if table is None:
                raise ValueError(f"criterion {c.id!r}: unknown score {c.score!r}")
            if c.group and c.group not in {g.id for g in table.groups}:
                raise ValueError(f"criterion {c.id!r}: unknown group {c.group!r}")
            if c.item and c.item not in {i.id for g in table.groups for i in g.items}:
                raise ValueError(f"criterion {c.id!r}: unknown item {c.item!r}")
        return self

    @property
    def unverified(self) -> list[str]:
        """Ids of criteria and score items marked ``verified: false`` (from memory, to check)."""
        out = [] if self.verified else ["(whole pack)"]
        out += [c.id for top in self.criteria for c in top.walk() if not c.verified]
        out += [i.id for t in self.scores for g in t.groups for i in g.items if not i.verified]
        return out


def _format_error(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        problems.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    return problems


def parse_pack(data: Any, source: str, templates: Templates | None = None) -> Pack:
    """Validate a parsed YAML mapping into a :class:`Pack` (default templates: the common file)."""
    if not isinstance(data, dict):
        raise PackError(source, ["the file must hold a mapping / 文件内容须为映射"])
    try:
        pack = Pack.model_validate(data)
    except ValidationError as exc:
        raise PackError(source, _format_error(exc)) from None
    except ExpressionError as exc:
        raise PackError(source, [str(exc)]) from None
    if pack.templates is None:
        pack = pack.model_copy(update={"templates": templates or common_templates()})
    return pack


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PackError(str(path), [f"YAML syntax / YAML语法错误: {exc}"]) from None


@lru_cache(maxsize=1)
def common_templates() -> Templates:
    path = PACK_DIR / COMMON_FILE
    try:
        return Templates.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise PackError(str(path), _format_error(exc)) from None


def load_pack_file(path: str | Path) -> Pack:
    """Load and validate one pack file."""
    path = Path(path)
    pack = parse_pack(_read_yaml(path), str(path))
    if pack.code != path.stem:
        raise PackError(str(path), [f"code {pack.code!r} differs from the file name {path.stem!r}"])
    return pack


def pack_files(directory: str | Path | None = None) -> list[Path]:
    base = Path(directory) if directory is not None else PACK_DIR
    return sorted(p for p in base.glob("*.yaml") if not p.name.startswith("_"))


def load_packs(directory: str | Path | None = None) -> dict[str, Pack]:
    """Load every pack in ``directory`` (the bundled packs by default), keyed by code."""
    return {p.code: p for p in (load_pack_file(f) for f in pack_files(directory))}


def get_pack(code_or_path: str) -> Pack:
    """A bundled pack by code, or a pack file by path."""
    path = Path(code_or_path)
    if path.suffix in {".yaml", ".yml"} and path.exists():
        return load_pack_file(path)
    candidate = PACK_DIR / f"{code_or_path}.yaml"
    if not candidate.exists():
        known = [p.stem for p in pack_files()]
        raise PackError(code_or_path, [f"no such pack; bundled packs: {known} / 无此规则包"])
    return load_pack_file(candidate)


SwitchCase.model_rebuild()
Criterion.model_rebuild()
ScoreItem.model_rebuild()
