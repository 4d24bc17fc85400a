"""In-memory listings (achievements = supply, demands = needs) and loading them from files.

The engine works on these plain records so that any source can feed it: the bundled fixture, a
JSON/CSV file, or (later) the database. A file with a bad row raises :class:`ListingsFileError`
naming file, row, field, value and reason in English and Chinese, and nothing is returned.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Literal

ListingKind = Literal["achievement", "demand"]
KINDS: tuple[str, ...] = ("achievement", "demand")
STATUSES: tuple[str, ...] = ("draft", "published", "expired", "withdrawn")
VISIBILITIES: tuple[str, ...] = ("public", "members", "private")
LANGS: tuple[str, ...] = ("zh", "en")
TEXT_FIELDS: tuple[str, ...] = (
    "title",
    "summary",
    "problem",
    "advantages",
    "applications",
)
_REGION = re.compile(r"^\d{6}$")

# Field codes with bilingual names (Qingdao's priority industries).
FIELDS: dict[str, tuple[str, str]] = {
    "marine": ("Marine science and technology", "海洋科技"),
    "smart_home": ("Smart home appliances", "智能家电"),
    "rail_transit": ("Rail transit equipment", "轨道交通装备"),
    "vr": ("Virtual reality", "虚拟现实"),
    "ai": ("Artificial intelligence", "人工智能"),
    "synbio": ("Synthetic biology", "合成生物"),
    "new_energy": ("New energy", "新能源"),
    "new_materials": ("New materials", "新材料"),
    "biomedicine": ("Biomedicine", "生物医药"),
    "intelligent_manufacturing": ("Intelligent manufacturing", "智能制造"),
}


@dataclass(frozen=True)
class ListingText:
    """One language's text of a listing."""

    title: str = ""
    summary: str = ""
    problem: str = ""
    advantages: str = ""
    applications: str = ""
    keywords: tuple[str, ...] = ()

    def joined(self) -> str:
        """All text of this language in one passage (title first: it carries most weight)."""
        parts = [getattr(self, f) for f in TEXT_FIELDS]
        if self.keywords:
            parts.append(" ".join(self.keywords))
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Listing:
    """An achievement (asking ``price_yuan``) or a demand (``budget_yuan``; ``trl`` = minimum)."""

    id: str
    kind: ListingKind
    texts: dict[str, ListingText]
    field: str | None = None
    trl: int | None = None
    price_yuan: Decimal | None = None
    budget_yuan: Decimal | None = None
    region_code: str | None = None
    status: str = "published"
    visibility: str = "public"
    published_on: date | None = None
    owner: str | None = None
    extra: dict[str, Any] = dc_field(default_factory=dict, compare=False)

    def text(self, lang: str | None = None) -> str:
        """The listing's text in ``lang``, or all languages joined (zh first) when None."""
        if lang is not None:
            t = self.texts.get(lang)
            return t.joined() if t else ""
        return "\n".join(self.texts[x].joined() for x in LANGS if x in self.texts)

    def title(self, lang: str = "en") -> str:
        """Title in ``lang``, falling back to the other language."""
        for x in (lang, *LANGS):
            if x in self.texts and self.texts[x].title:
                return self.texts[x].title
        return self.id

    @property
    def money_yuan(self) -> Decimal | None:
        """Asking price of an achievement or budget of a demand."""
        return self.price_yuan if self.kind == "achievement" else self.budget_yuan


class ListingsFileError(ValueError):
    """A listings file that cannot be read; says where and why in English and Chinese."""

    def __init__(
        self, file: str, row: int | None, fieldname: str | None, value: Any, en: str, zh: str
    ) -> None:
        self.file, self.row, self.field, self.value = file, row, fieldname, value
        self.reason_en, self.reason_zh = en, zh
        where = f"{file}" + (f", row {row}" if row is not None else "")
        where_zh = f"{file}" + (f"，第 {row} 行" if row is not None else "")
        what = f", field {fieldname!r} = {value!r}" if fieldname else ""
        what_zh = f"，字段 {fieldname!r} = {value!r}" if fieldname else ""
        super().__init__(f"{where}{what}: {en} / {where_zh}{what_zh}：{zh}")


_Err = Callable[[str, Any, str, str], ListingsFileError]


def _money(raw: Any, err: _Err, name: str) -> Decimal | None:
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise err(name, raw, "not a number", "不是数字") from None
    if not value.is_finite() or value < 0:
        raise err(name, raw, "must be a non-negative amount in yuan", "须为非负的人民币金额")
    return value


def listing_from_record(
    rec: dict[str, Any], file: str = "<record>", row: int | None = None
) -> Listing:
    """Validate one record (JSON object or flattened CSV row) into a :class:`Listing`."""

    def err(name: str, value: Any, en: str, zh: str) -> ListingsFileError:
        return ListingsFileError(file, row, name, value, en, zh)

    lid = str(rec.get("id") or "").strip()
    if not lid:
        raise err("id", rec.get("id"), "missing listing id", "缺少编号")
    kind = rec.get("kind")
    if kind not in KINDS:
        raise err(
            "kind", kind, f"must be one of {KINDS}", "须为 achievement（成果）或 demand（需求）"
        )
    texts = _texts(rec, err)
    fld = rec.get("field") or None
    if fld is not None and fld not in FIELDS:
        raise err("field", fld, f"unknown field; known: {', '.join(FIELDS)}", "未知的技术领域")
    trl = _trl(rec.get("trl"), err)
    region = _region(rec.get("region_code"), err)
    status = _choice(rec.get("status") or "published", STATUSES, "status", err,
                     "状态须为草稿、已发布、已过期或已撤回")
    vis = _choice(rec.get("visibility") or "public", VISIBILITIES, "visibility", err,
                  "可见范围须为 public、members 或 private")
    pub = _published_on(rec.get("published_on"), err)
    return Listing(
        id=lid,
        kind=kind,
        texts=texts,
        field=fld,
        trl=trl,
        price_yuan=_money(rec.get("price_yuan"), err, "price_yuan"),
        budget_yuan=_money(rec.get("budget_yuan"), err, "budget_yuan"),
        region_code=region,
        status=status,
        visibility=vis,
        published_on=pub,
        owner=rec.get("owner") or None,
        extra={k: v for k, v in rec.items() if k in ("synthetic", "note")},
    )


def _texts(rec: dict[str, Any], err: _Err) -> dict[str, ListingText]:
    """Texts per language from a ``texts`` object and/or flattened columns such as title_zh."""
    texts: dict[str, ListingText] = {}
    raw_texts = rec.get("texts") or {}
    if not isinstance(raw_texts, dict):
        raise err("texts", raw_texts, "must be an object keyed by language", "须为按语言分组的对象")
    for lang in LANGS:
        src = dict(raw_texts.get(lang) or {})
        for f in (*TEXT_FIELDS, "keywords"):
            if f"{f}_{lang}" in rec and rec[f"{f}_{lang}"] not in (None, ""):
                src[f] = rec[f"{f}_{lang}"]
        kws = src.get("keywords") or ()
        if isinstance(kws, str):
            kws = tuple(k.strip() for k in re.split(r"[;；,，、|]", kws) if k.strip())
        lt = ListingText(
            **{f: str(src.get(f) or "").strip() for f in TEXT_FIELDS}, keywords=tuple(kws)
        )
        if lt.joined():
            texts[lang] = lt
    if not texts:
        raise err("texts", None, "no text in Chinese or English", "没有中文或英文文本")
    return texts


def _trl(raw: Any, err: _Err) -> int | None:
    if raw in ("", None):
        return None
    try:
        trl = int(str(raw))
    except ValueError:
        raise err("trl", raw, "TRL must be an integer 1-9", "技术就绪度须为 1-9 的整数") from None
    if not 1 <= trl <= 9:
        raise err("trl", trl, "TRL must be an integer 1-9", "技术就绪度须为 1-9 的整数")
    return trl


def _region(raw: Any, err: _Err) -> str | None:
    region = str(raw).strip() if raw not in (None, "") else None
    if region is not None and not _REGION.match(region):
        raise err("region_code", region, "must be a 6-digit GB/T 2260 code",
                  "须为 6 位 GB/T 2260 行政区划代码")
    return region


def _choice(value: Any, allowed: tuple[str, ...], name: str, err: _Err, zh: str) -> Any:
    if value not in allowed:
        raise err(name, value, f"must be one of {allowed}", zh)
    return value


def _published_on(raw: Any, err: _Err) -> date | None:
    if raw in ("", None):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise err(
            "published_on", raw, "not an ISO date (YYYY-MM-DD)", "日期格式须为 YYYY-MM-DD"
        ) from None


def load_listings_file(path: str | Path) -> list[Listing]:
    """Read listings from a JSON list (or ``{"listings": [...]}``) or a flat CSV file.

    CSV columns: id, kind, field, trl, price_yuan, budget_yuan, region_code, status,
    visibility, published_on, owner, and per language title_zh, summary_en, keywords_zh ...
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise ListingsFileError(name, None, None, None, "file not found", "文件不存在")
    suffix = path.suffix.lower()
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ListingsFileError(
            name, None, None, None, f"not UTF-8 text ({exc.reason})", "不是 UTF-8 文本"
        ) from None
    if suffix == ".json":
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ListingsFileError(
                name,
                exc.lineno,
                None,
                None,
                f"invalid JSON: {exc.msg}",
                f"JSON 格式错误：{exc.msg}",
            ) from None
        if isinstance(data, dict):
            data = data.get("listings")
        if not isinstance(data, list):
            raise ListingsFileError(
                name, None, None, None, "expected a list of listings", "应为成果/需求列表"
            )
        records = [(i + 1, r) for i, r in enumerate(data)]
    elif suffix == ".csv":
        reader = csv.DictReader(raw.splitlines())
        if (
            not reader.fieldnames
            or "id" not in reader.fieldnames
            or "kind" not in reader.fieldnames
        ):
            raise ListingsFileError(
                name, 1, None, None, "header must include id and kind", "表头须包含 id 和 kind"
            )
        records = [(i + 2, r) for i, r in enumerate(reader)]  # row numbers as a spreadsheet shows
    else:
        raise ListingsFileError(
            name, None, None, suffix, "use a .json or .csv file", "请使用 .json 或 .csv 文件"
        )
    out: list[Listing] = []
    seen: set[str] = set()
    for row, rec in records:
        if not isinstance(rec, dict):
            raise ListingsFileError(
                name, row, None, rec, "each listing must be an object", "每条记录须为对象"
            )
        listing = listing_from_record(rec, name, row)
        if listing.id in seen:
            raise ListingsFileError(name, row, "id", listing.id, "duplicate id", "编号重复")
        seen.add(listing.id)
        out.append(listing)
    return out


def fixture_path() -> Path:
    """The bundled synthetic bilingual fixture (hand-written texts; not real listings)."""
    return Path(str(resources.files("observatory.market") / "fixtures" / "listings.json"))


def load_fixture() -> list[Listing]:
    """Listings of the bundled synthetic fixture."""
    return load_listings_file(fixture_path())
