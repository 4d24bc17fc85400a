"""Organisation name resolution: which registry organisation a name as printed refers to.

Published lists (high-tech enterprise recognitions, little giants, award lists) print a firm's
name, often without its credit code, and print it loosely: without the city, with ``（）`` or
``()``, 有限责任公司 for 有限公司, spaces, a typo, or a name the firm has since changed. This
module turns every name into a *core* (:meth:`RegionNames.normalise`: full/half width, brackets,
company-form suffixes, region prefixes taken from the registry's own region names, spaces and
punctuation), compares cores with rapidfuzz's normalised Indel similarity (``fuzz.ratio``) over
a bigram-blocked candidate pool, and decides:

* ``auto`` only when the core equals the core of exactly one organisation's current or former
  name whose region fits every region the name (or the row's region hint) mentions;
* ``review`` when some organisation scores at least :data:`REVIEW_MIN` but the match is not
  sure (a typo, two firms with the same core, a region that does not fit);
* ``none`` otherwise.

A USCC hint found in the registry decides, unless the name contradicts it (then ``review``);
a hint the registry lacks never lets a name match go through automatically.

>>> regions = RegionNames([("320000", "江苏", "Jiangsu", "province", None),
...                        ("320500", "苏州市", "Suzhou", "city", "320000")])
>>> regions.normalise("江苏省苏州市 海澜科技（集团）有限责任公司").core
'海澜科技'
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.registry import models as m

REVIEW_MIN = 75.0
"""Below this similarity (0-100) no organisation is offered: the decision is ``none``."""
HINT_AGREES = 75.0
"""A USCC hint's organisation whose names score below this against the name contradicts it."""
MIN_CORE = 2
"""A prefix or suffix is not stripped if fewer characters than this would remain."""
SHOWN = 12
"""Candidates kept for a person to choose from."""
POOL_GRAMS = 4
"""Blocking: candidates are the names that share at least two of the query's four rarest
bigrams (all but two when it has fewer): one typo spoils at most two bigrams."""

FORMS = tuple(sorted((
    "股份有限公司", "有限责任公司", "集团有限公司", "集团股份有限公司", "有限公司", "股份公司",
    "集团公司", "集团", "总公司", "公司", "有限合伙", "普通合伙", "合伙企业",
    "companylimited", "coltd", "colimited", "limited", "ltd", "inc", "corporation", "corp",
    "group", "llc", "plc",
), key=len, reverse=True))
"""Company-form suffixes stripped from the end of a name (longest first). 分公司 (a branch)
is deliberately absent: a branch is another registration than its parent."""

_ZH_REGION_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "新区", "省", "市", "区", "县")
_EN_REGION_SUFFIXES = ("newarea", "district", "province", "county", "city")
_OPEN = "（【〔［[{｛〖"
_CLOSE = "）】〕］]}｝〗"
_BRACKETS = str.maketrans({**dict.fromkeys(_OPEN, "("), **dict.fromkeys(_CLOSE, ")")})
_BRACKETED = re.compile(r"\(([^()]*)\)")
_NOT_WORD = re.compile(r"[\W_]+")


def squash(text: str) -> str:
    """Letters and digits only, half width, lower case: spaces and punctuation go."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def _strip_form(text: str) -> str | None:
    if not text.endswith(FORMS):
        return None
    for form in FORMS:
        if (text.endswith(form) and len(text) - len(form) >= MIN_CORE
                and not text.endswith("分" + form)):  # 分公司: a branch keeps its form
            return text[: -len(form)]
    return None


@dataclass(frozen=True)
class Normalised:
    """A name's comparable core and the regions it names (each a set of possible codes)."""

    core: str
    named: tuple[frozenset[str], ...] = ()


class RegionNames:
    """The registry's region names as they appear in organisation names, and their nesting.

    Every region gives its name, the name without 省/市/区/县 (黄岛区 -> 黄岛), a bracketed
    alternative (西海岸新区) and, for a province, the name with 省 or 市 added (山东 -> 山东省);
    English names likewise. Nothing about one city is written here: it all comes from the
    ``regions`` table.
    """

    def __init__(self, rows: Iterable[tuple[str, str, str | None, str, str | None]]) -> None:
        self.parent: dict[str, str | None] = {}
        aliases: dict[str, set[str]] = defaultdict(set)
        for code, name_zh, name_en, level, parent in rows:
            self.parent[code] = parent
            if level == "nation":
                continue
            for alias in _aliases(name_zh, name_en or "", level):
                aliases[alias].add(code)
        self.aliases = {a: frozenset(c) for a, c in aliases.items()}
        self._longest = max((len(a) for a in self.aliases), default=0)

    def chain(self, code: str) -> set[str]:
        """The region and every region above it."""
        seen: set[str] = set()
        current: str | None = code
        while current is not None and current not in seen:
            seen.add(current)
            current = self.parent.get(current)
        return seen

    def compatible(self, a: str, b: str) -> bool:
        """One region lies within the other (or they are the same)."""
        return a in self.chain(b) or b in self.chain(a)

    def lookup(self, text: str) -> str | None:
        """A region code from a code or a name (崂山区, 崂山, Laoshan); None if unknown or
        ambiguous."""
        text = text.strip()
        if text in self.parent:
            return text
        plain = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
        for form in (plain, plain.split("(")[0]):  # 黄岛区（西海岸新区） as the registry writes it
            codes = self.aliases.get(squash(form), frozenset())
            if codes:
                return next(iter(codes)) if len(codes) == 1 else None
        return None

    def _prefix(self, text: str) -> tuple[str, frozenset[str]] | None:
        for size in range(min(self._longest, len(text) - MIN_CORE), 1, -1):
            codes = self.aliases.get(text[:size])
            if codes is not None:
                return text[size:], codes
        return None

    def normalise(self, name: str) -> Normalised:
        """The core of ``name`` and the regions it names (see the module's docstring)."""
        named: list[frozenset[str]] = []
        text = unicodedata.normalize("NFKC", name).translate(_BRACKETS)

        def inner(match: re.Match[str]) -> str:
            part = squash(match[1])
            if part in self.aliases:
                named.append(self.aliases[part])
                return ""
            return "" if part in FORMS else part

        text = squash(_BRACKETED.sub(inner, text))
        while True:
            stripped = _strip_form(text)
            if stripped is not None:
                text = stripped
                continue
            prefix = self._prefix(text)
            if prefix is None:
                break
            text, codes = prefix
            named.append(codes)
        return Normalised(text, tuple(named))

    def fits(self, region_code: str, named: Iterable[frozenset[str]]) -> bool:
        """Every region a name mentions could hold an organisation registered in
        ``region_code``."""
        return all(any(self.compatible(c, region_code) for c in codes) for codes in named)


def _aliases(name_zh: str, name_en: str, level: str) -> set[str]:
    out: set[str] = set()
    zh = unicodedata.normalize("NFKC", name_zh).translate(_BRACKETS)
    parts = [zh.split("(")[0], *_BRACKETED.findall(zh)]
    en = unicodedata.normalize("NFKC", name_en).translate(_BRACKETS)
    en_parts = [en.split("(")[0], *_BRACKETED.findall(en)]
    for part in map(squash, parts):
        out.add(part)
        out |= {part[: -len(s)] for s in _ZH_REGION_SUFFIXES
                if part.endswith(s) and len(part) - len(s) >= 2}
        if level == "province" and not part.endswith(_ZH_REGION_SUFFIXES):
            out |= {part + "省", part + "市", part + "自治区"}
    for part in map(squash, en_parts):
        out.add(part)
        out |= {part[: -len(s)] for s in _EN_REGION_SUFFIXES
                if part.endswith(s) and len(part) - len(s) >= 3}
    return {a for a in out if len(a) >= 2}


@dataclass(frozen=True)
class Candidate:
    """An organisation a name may refer to, and how well it fits."""

    uscc: str
    name: str
    """The organisation's current (registry) name."""
    matched: str
    """The registry name that matched best: the current name or a former one."""
    via: str
    """``name``, ``former_name`` or ``uscc`` (the row's USCC hint)."""
    score: float
    """rapidfuzz ``fuzz.ratio`` of the two cores, 0-100."""
    region_code: str
    fits: bool
    """Whether the organisation's region fits the regions the name and the hints mention."""


@dataclass(frozen=True)
class Resolution:
    """The decision for one name: ``auto`` (the first candidate), ``review`` or ``none``."""

    name: str
    decision: str
    candidates: tuple[Candidate, ...]
    reason_en: str
    reason_zh: str
    score: float | None = None

    @property
    def chosen(self) -> Candidate | None:
        """The automatic match, or the best candidate offered for review."""
        return self.candidates[0] if self.candidates and self.decision != "none" else None


@dataclass
class _Org:
    uscc: str
    name: str
    region_code: str
    entries: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    core: str
    org: int
    text: str
    former: bool
    named: tuple[frozenset[str], ...]


def _grams(core: str) -> set[str]:
    return {core[i:i + 2] for i in range(len(core) - 1)} or {core}


class NameIndex:
    """Every organisation's current and former names, normalised and blocked by bigram."""

    def __init__(self, regions: RegionNames) -> None:
        self.regions = regions
        self.orgs: list[_Org] = []
        self.by_uscc: dict[str, int] = {}
        self.entries: list[_Entry] = []
        self.exact: dict[str, set[int]] = defaultdict(set)
        self.postings: dict[str, list[int]] = defaultdict(list)

    @classmethod
    def load(cls, session: Session) -> NameIndex:
        """The index of the registry as ``session`` sees it."""
        regions = RegionNames(session.execute(select(
            m.Region.code, m.Region.name_zh, m.Region.name_en, m.Region.level,
            m.Region.parent_code)))
        index = cls(regions)
        ids: dict[int, int] = {}
        for oid, uscc, name_zh, name_en, region in session.execute(select(
                m.Organisation.id, m.Organisation.uscc, m.Organisation.name_zh,
                m.Organisation.name_en, m.Organisation.region_code)):
            ids[oid] = index.add_organisation(uscc, name_zh, region, [name_en or ""])
        for oid, name_zh, name_en in session.execute(select(
                m.OrganisationName.organisation_id, m.OrganisationName.name_zh,
                m.OrganisationName.name_en)):
            if oid in ids:
                index.add_name(ids[oid], name_zh, former=True)
                index.add_name(ids[oid], name_en or "", former=True)
        return index

    def add_organisation(self, uscc: str, name: str, region_code: str,
                         other_names: Iterable[str] = ()) -> int:
        """Index an organisation under its current name (and English name); its position."""
        position = len(self.orgs)
        self.orgs.append(_Org(uscc, name, region_code))
        self.by_uscc[uscc] = position
        self.add_name(position, name, former=False)
        for other in other_names:
            self.add_name(position, other, former=False)
        return position

    def add_name(self, org: int, name: str, *, former: bool) -> None:
        """Index one more name of an organisation (a former name, an English name)."""
        normal = self.regions.normalise(name)
        if not normal.core:
            return
        entry = len(self.entries)
        self.entries.append(_Entry(normal.core, org, name, former, normal.named))
        self.orgs[org].entries.append(entry)
        self.exact[normal.core].add(entry)
        for gram in _grams(normal.core):
            self.postings[gram].append(entry)

    def _pool(self, core: str) -> set[int]:
        """Blocking: the names sharing the query's rarest bigrams (plus exact cores)."""
        lists = sorted((self.postings[g] for g in _grams(core) if g in self.postings),
                       key=len)[:POOL_GRAMS]
        counts: Counter[int] = Counter()
        for posting in lists:
            counts.update(posting)
        need = max(1, len(lists) - 2)
        pool = {entry for entry, shared in counts.items() if shared >= need}
        pool.update(self.exact.get(core, ()))
        return pool

    def _scores(self, normal: Normalised) -> dict[int, tuple[float, int]]:
        """Best (score, entry) per organisation among the blocked pool."""
        pool = list(self._pool(normal.core))
        choices = [self.entries[i].core for i in pool]
        best: dict[int, tuple[float, int]] = {}
        for _, score, at in process.extract(normal.core, choices, scorer=fuzz.ratio,
                                            limit=4 * SHOWN, score_cutoff=50):
            entry = pool[at]
            org = self.entries[entry].org
            if org not in best or score > best[org][0]:
                best[org] = (float(score), entry)
        return best

    def _fits(self, entry: _Entry, normal: Normalised, region: str | None) -> bool:
        org = self.orgs[entry.org]
        named = [*normal.named, *([frozenset({region})] if region else [])]
        if not self.regions.fits(org.region_code, named):
            return False
        return all(any(self.regions.compatible(a, b) for a in mine for b in theirs)
                   for mine in normal.named for theirs in entry.named)

    def _candidate(self, entry_no: int, score: float, fits: bool, via: str | None = None
                   ) -> Candidate:
        entry = self.entries[entry_no]
        org = self.orgs[entry.org]
        return Candidate(org.uscc, org.name, entry.text,
                         via or ("former_name" if entry.former else "name"),
                         round(score, 1), org.region_code, fits)

    def resolve(self, name: str, *, region: str | None = None,
                uscc_hint: str | None = None) -> Resolution:
        """Decide which organisation ``name`` is (``region``: a region code it must fit;
        ``uscc_hint``: a credit code printed beside it)."""
        normal = self.regions.normalise(name or "")
        hint = (uscc_hint or "").strip().upper()
        if hint and hint in self.by_uscc:
            return self._by_hint(name, normal, region, self.by_uscc[hint])
        result = self._by_name(name, normal, region)
        if hint and result.decision == "auto":
            return Resolution(name, "review", result.candidates,
                              f"the name matches, but USCC hint {hint} is not in the registry",
                              f"名称可匹配，但统一社会信用代码 {hint} 不在登记库中", result.score)
        return result

    def _by_name(self, name: str, normal: Normalised, region: str | None) -> Resolution:
        if not normal.core:
            return Resolution(name, "none", (), "the name is empty", "名称为空")
        scores = self._scores(normal)
        ranked = sorted(((s, e, self._fits(self.entries[e], normal, region))
                         for s, e in scores.values()),
                        key=lambda t: (-t[0], not t[2], self.orgs[self.entries[t[1]].org].uscc))
        exact = sorted(self.exact.get(normal.core, ()),
                       key=lambda e: (self.entries[e].former, e))
        fitting: dict[int, int] = {}
        for e in exact:
            if self._fits(self.entries[e], normal, region):
                fitting.setdefault(self.entries[e].org, e)
        if len(fitting) == 1:
            org, entry = next(iter(fitting.items()))
            chosen = self._candidate(entry, 100.0, True)
            others = [self._candidate(e, s, f) for s, e, f in ranked
                      if self.entries[e].org != org][: SHOWN - 1]
            via = "a former name" if self.entries[entry].former else "the name"
            via_zh = "曾用名" if self.entries[entry].former else "名称"
            return Resolution(name, "auto", (chosen, *others),
                              f"{via} of exactly one organisation, after normalisation",
                              f"规范化后与唯一一家机构的{via_zh}相同", 100.0)
        best = ranked[0][0] if ranked else None
        if best is None or best < REVIEW_MIN:
            return Resolution(name, "none", (), "no organisation with a similar name",
                              "没有名称相近的机构", best)
        top = tuple(self._candidate(e, s, f) for s, e, f in ranked[:SHOWN])
        if len(fitting) > 1:
            why = ("several organisations bear this name", "多家机构名称相同")
        elif exact:
            why = ("the same name, but in another region than the name or hint says",
                   "名称相同，但所在地区与名称或提示不符")
        else:
            why = ("a similar name, not the same", "名称相近但不相同")
        return Resolution(name, "review", top, *why, best)

    def _by_hint(self, name: str, normal: Normalised, region: str | None,
                 org_no: int) -> Resolution:
        """The USCC hint's organisation, unless the name contradicts it."""
        entries = self.orgs[org_no].entries
        if not entries:
            return Resolution(name, "review", (), "the hinted organisation has no usable name",
                              "提示的机构没有可比对的名称")
        scored = [(100.0 if not normal.core else float(fuzz.ratio(normal.core,
                                                                  self.entries[e].core)), e)
                  for e in entries]
        score, entry = max(scored, key=lambda t: (t[0], -t[1]))
        hinted = self._candidate(entry, score, self._fits(self.entries[entry], normal, region),
                                 via="uscc")
        if score >= HINT_AGREES:
            return Resolution(name, "auto", (hinted,), "the USCC hint, and the name agrees",
                              "依据统一社会信用代码，且名称相符", score)
        others = [c for c in self._by_name(name, normal, region).candidates
                  if c.uscc != hinted.uscc]
        return Resolution(name, "review", (hinted, *others)[:SHOWN],
                          f"the name contradicts USCC hint {hinted.uscc} ({hinted.name})",
                          f"名称与统一社会信用代码 {hinted.uscc}（{hinted.name}）不符", score)
