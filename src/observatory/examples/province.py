"""The province example: Shandong (370000) with its 16 cities, calibrated to the NBS figures.

Why this way: Qingdao inside the province is exactly the example city (``generate_city``, every
seed figure intact); the other fifteen cities get synthetic firms, R&D spending, technology
contracts (with counterparts in other provinces) and high-tech certificates that fill what
Qingdao leaves of the published provincial totals, so that the province's computed figures
equal the National Bureau of Statistics' for 2019–2023: R&D expenditure, contracts and turnover
by the seller's and by the buyer's region, and high-tech enterprises recognised in the year.
Later years grow at the published 2019–2023 rate. The NBS figures load as observations with
their source; ``observatory indicators reconcile`` shows them beside the computed ones.

Calibration holds at scale 1; another scale scales the firm counts and keeps the totals.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

import numpy as np
import yaml
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.examples.generator import (
    OTHER_PROVINCES,
    YEARS,
    GenerationReport,
    ProgressFn,
    Rows,
    _base31,
    _reset_sequences,
    bulk_write,
    generate_city,
)
from observatory.registry import models as m
from observatory.registry.audit import append_records
from observatory.registry.codes import make_uscc
from observatory.registry.schema import table_columns

PROVINCE = "370000"
HOME_CITY = "370200"
CALIBRATED_YEARS = range(2019, 2024)
#: catalogue indicator computed from records -> the NBS indicator it reproduces
TWINS = {"society_rd_expenditure": "rd_expenditure", "tech_contract_count":
         "techmarket_outflow_contracts", "tech_contract_turnover": "techmarket_outflow_turnover",
         "tech_contract_inflow_count": "techmarket_inflow_contracts",
         "tech_contract_inflow_turnover": "techmarket_inflow_turnover",
         "hte_granted": "hte_recognised"}
#: The other cities' shares of the province's activity outside Qingdao (synthetic weights of
#: the order of their GDP shares).
CITY_WEIGHTS = {"370100": 14.0, "370300": 5.0, "370400": 2.2, "370500": 3.8, "370600": 11.0,
                "370700": 8.5, "370800": 5.7, "370900": 3.5, "371000": 3.7, "371100": 2.6,
                "371300": 6.5, "371400": 4.0, "371500": 3.0, "371600": 3.2, "371700": 4.4}
STEMS = (("华信", "Huaxin"), ("鲁泰", "Lutai"), ("泰和", "Taihe"), ("齐鲁", "Qilu"),
         ("海岱", "Haidai"), ("汇丰", "Huifeng"), ("恒远", "Hengyuan"), ("金诺", "Jinnuo"),
         ("瑞康", "Ruikang"), ("天元", "Tianyuan"), ("东岳", "Dongyue"), ("宏达", "Hongda"),
         ("凯盛", "Kaisheng"), ("正阳", "Zhengyang"), ("博远", "Boyuan"), ("新华", "Xinhua"),
         ("中泰", "Zhongtai"), ("通达", "Tongda"), ("永盛", "Yongsheng"), ("晨光", "Chenguang"),
         ("华泰", "Huatai"), ("宇航", "Yuhang"), ("鸿图", "Hongtu"), ("嘉信", "Jiaxin"),
         ("瑞丰", "Ruifeng"), ("盛世", "Shengshi"), ("方圆", "Fangyuan"), ("致远", "Zhiyuan"),
         ("弘毅", "Hongyi"), ("立信", "Lixin"), ("明德", "Mingde"), ("信诚", "Xincheng"),
         ("泓源", "Hongyuan"), ("昊天", "Haotian"), ("卓越", "Zhuoyue"), ("远景", "Yuanjing"),
         ("合力", "Heli"), ("兴业", "Xingye"), ("德润", "Derun"), ("佳和", "Jiahe"))
WORDS = (("科技", "Technology"), ("化工", "Chemical"), ("机械", "Machinery"),
         ("新材料", "New Materials"), ("生物", "Biotech"), ("电子", "Electronics"),
         ("能源", "Energy"), ("食品", "Foods"), ("纺织", "Textiles"), ("汽车部件", "Auto Parts"),
         ("医药", "Pharmaceutical"), ("智能装备", "Intelligent Equipment"),
         ("环保", "Environmental"), ("信息技术", "Information Technology"),
         ("精密制造", "Precision Manufacturing"))
FORMS = (("有限公司", "Co., Ltd."), ("股份有限公司", "Co., Ltd. (joint-stock)"),
         ("集团有限公司", "Group Co., Ltd."))

RowFn = Callable[[str], Rows]


@dataclass(frozen=True)
class Targets:
    """Per year, what the fifteen other cities must add to Qingdao's records."""

    rd: dict[int, int]  # yuan (whole)
    out_count: dict[int, int]
    out_cents: dict[int, int]
    in_count: dict[int, int]
    in_cents: dict[int, int]
    hte: dict[int, int]


def shandong_regions() -> list[dict[str, Any]]:
    raw = resources.files("observatory.examples").joinpath("shandong_regions.yaml")
    return list(yaml.safe_load(raw.read_text(encoding="utf-8")))


def nbs_path() -> Any:
    """The shipped Shandong rows of the NBS/MOST provincial statistics (a Traversable)."""
    return resources.files("observatory.examples").joinpath("data/shandong_nbs.csv")


def nbs_figures() -> dict[tuple[str, int], Decimal]:
    """(NBS indicator, year) -> value in base units (yuan, contracts, enterprises)."""
    from observatory.indicators.stats import observation_tables

    with resources.as_file(nbs_path()) as path:
        tables = dict(observation_tables(path))
    return {(r["indicator_code"], int(r["period"])): Decimal(r["value"])
            for r in tables["observations"].rows if r["region_code"] == PROVINCE}


def _published(figures: dict[tuple[str, int], Decimal], code: str) -> dict[int, Decimal]:
    """A figure for every year the province covers: the published one where there is one,
    later years grown at the published 2019-2023 rate."""
    known = {y: figures[(code, y)] for y in YEARS if (code, y) in figures}
    first, last = min(CALIBRATED_YEARS), max(known)
    base = known.get(first) or known[min(known)]
    rate = (known[max(CALIBRATED_YEARS)] / base) ** Decimal(1 / (max(CALIBRATED_YEARS) - first)) \
        if base else Decimal(1)
    return {y: known.get(y, known[last] * rate ** (y - last)) for y in YEARS}


def remainders(engine: Engine, figures: dict[tuple[str, int], Decimal]) -> Targets:
    """The province's published figures minus what the registry (Qingdao) already gives."""
    from observatory import indicators

    frame = indicators.compute(engine, list(TWINS), YEARS, PROVINCE)
    have = {(r.indicator, int(r.period)): Decimal(str(r.value)) for r in frame.itertuples()}
    need: dict[str, dict[int, int]] = {}
    for code, nbs in TWINS.items():
        cents = code.endswith("turnover")
        scale = 100 if cents else 1
        need[code] = {}
        for year, value in _published(figures, nbs).items():
            rest = (value - have.get((code, year), Decimal(0))) * scale
            if rest < 0:
                raise ValueError(f"{code} {year}: the home city alone exceeds the published "
                                 f"provincial figure / 本市已超过全省公布数")
            need[code][year] = int(rest.to_integral_value())
    return Targets(rd=need["society_rd_expenditure"], out_count=need["tech_contract_count"],
                   out_cents=need["tech_contract_turnover"],
                   in_count=need["tech_contract_inflow_count"],
                   in_cents=need["tech_contract_inflow_turnover"], hte=need["hte_granted"])


def split_exactly(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers in proportion to ``weights`` that add up to ``total`` exactly.

    >>> split_exactly(10, np.array([1.0, 1.0, 1.0])).tolist()
    [4, 3, 3]
    """
    if len(weights) == 0:
        return np.zeros(0, dtype=np.int64)
    shares = weights / weights.sum() * total
    parts = np.floor(shares).astype(np.int64)
    short = int(total - parts.sum())
    parts[np.argsort(-(shares - parts), kind="stable")[:short]] += 1
    return parts


def yuan(cents: int) -> str:
    """An amount in cents as exact decimal text (SQLite's driver takes no Decimal).

    >>> yuan(123456), yuan(7)
    ('1234.56', '0.07')
    """
    return f"{cents // 100}.{cents % 100:02d}"


class ProvinceBuilder:
    """The fifteen other cities' records, as row tuples in ``registry.schema`` column order."""

    def __init__(self, seed: int, scale: float, first_ids: dict[str, int], source_id: int,
                 external: list[tuple[int, str]]) -> None:
        self.rng = np.random.default_rng([seed, int(PROVINCE)])
        self.scale, self.source_id, self.external = scale, source_id, external
        self.next = dict(first_ids)
        self.tables: dict[str, Rows] = {}
        self.orgs: list[tuple[int, str]] = []  # (id, district) of the other cities' firms

    def _rows(self, table: str) -> Rows:
        """The rows of one table so far (its column list built once per table, not per row)."""
        rows = self.tables.get(table)
        if rows is None:
            rows = self.tables[table] = Rows(table, table_columns(table))
        return rows

    def add(self, table: str, values: dict[str, Any]) -> int:
        rows = self._rows(table)
        values = {"id": self.next[table], "source_id": self.source_id, **values}
        self.next[table] += 1
        # Decimals as text: SQLite's driver takes no Decimal, and both backends parse it exactly
        rows.rows.append(tuple(str(v) if isinstance(v, Decimal) else v
                               for v in (values.get(c) for c in rows.columns)))
        return int(values["id"])

    def add_many(self, table: str, columns: dict[str, Sequence[Any]]) -> None:
        """Many rows at once, given column by column (columns not given are NULL): the
        contracts are hundreds of thousands of rows, and a dictionary per row cost most of
        the province's generation time."""
        rows = self._rows(table)
        count = len(next(iter(columns.values())))
        first = self.next[table]
        self.next[table] += count
        given = {"id": range(first, first + count),
                 "source_id": itertools.repeat(self.source_id, count), **columns}
        rows.rows.extend(zip(*(given.get(c, itertools.repeat(None, count))
                               for c in rows.columns), strict=True))

    def organisations(self, regions: list[dict[str, Any]], needed: int) -> None:
        """Firms in each city's districts, in proportion to the cities' weights."""
        districts = {c: [r for r in regions if r["parent"] == c] for c in CITY_WEIGHTS}
        cities = {r["code"]: r for r in regions if r["level"] == "city"}
        total = max(needed, round(40_000 * self.scale))
        counts = split_exactly(total, np.array(list(CITY_WEIGHTS.values())))
        for (city, _), count in zip(CITY_WEIGHTS.items(), counts, strict=True):
            prefixes = [(cities[city]["name_zh"].removesuffix("市"), cities[city]["name_en"])]
            prefixes += [(d["name_zh"][:-1], d["name_en"].split()[0]) for d in districts[city]]
            names = [(p, s, w, f) for p in prefixes for s in STEMS for w in WORDS for f in FORMS]
            for i in self.rng.permutation(len(names))[:count]:
                (pz, pe), (sz, se), (wz, we), (fz, fe) = names[i]
                district = districts[city][int(self.rng.integers(len(districts[city])))]
                oid = self.next["organisations"]
                self.add("organisations", {
                    "uscc": make_uscc("91" + district["code"], _base31(oid)),
                    "name_zh": f"{pz}{sz}{wz}{fz}", "name_en": f"{pe} {se} {we} {fe}",
                    "kind": "enterprise", "region_code": district["code"],
                    "industry_code": "3969", "employees": int(self.rng.lognormal(4.2, 1.0)) + 5,
                    "founded_on": dt.date(int(self.rng.integers(1995, 2019)), 1 + oid % 12,
                                          1 + oid % 28), "source_ref": f"province-org-{oid}"})
                self.orgs.append((oid, district["code"]))

    def denominators(self) -> None:
        """Resident population and GDP of the fifteen cities for every year (synthetic)."""
        spec = yaml.safe_load(resources.files("observatory.examples").joinpath(
            "shandong_denominators.yaml").read_text(encoding="utf-8"))
        for year in YEARS:
            people = (1 + spec["population_growth"]) ** (year - spec["base_year"])
            output = (1 + spec["gdp_growth"]) ** (year - spec["base_year"])
            for city, d in spec["cities"].items():
                for code, value, unit in (
                        ("resident_population", round(d["population_10k"] * 10_000 * people),
                         "persons"),
                        ("gdp", round(d["gdp_100m"] * output) * 100_000_000, "yuan")):
                    self.add("observations", {"indicator_code": code, "region_code": city,
                                              "period": str(year), "value": value,
                                              "unit": unit, "note": "synthetic denominator"})

    def rd(self, targets: dict[int, int]) -> None:
        """R&D spending per firm and year adding up to each year's target exactly."""
        performers = self.orgs[: max(1, len(self.orgs) // 4)]
        weights = self.rng.lognormal(0, 1.2, size=len(performers))
        for year, total in sorted(targets.items()):
            wobble = weights * self.rng.uniform(0.85, 1.15, size=len(performers))
            for (oid, _), amount in zip(performers, split_exactly(total, wobble), strict=True):
                if amount > 0:
                    self.add("rd_expenditures", {"organisation_id": oid, "year": year,
                                                 "funding_source": "enterprise",
                                                 "amount_yuan": Decimal(int(amount))})

    def contracts(self, t: Targets) -> None:
        """Each year: contracts inside the province (counted out and in), to buyers in other
        provinces (out only) and from sellers there (in only), so that counts and turnover by
        the seller's and by the buyer's region both meet their targets to the cent."""
        for year in sorted(t.out_count):
            out, inn = t.out_count[year], t.in_count[year]
            inside = int(min(out, inn) * 0.35)
            both = (min(t.out_cents[year] * inside // out, t.in_cents[year] * inside // inn)
                    if inside else 0)
            groups = ((inside, both, "in", "in"), (out - inside, t.out_cents[year] - both,
                                                   "in", "out"),
                      (inn - inside, t.in_cents[year] - both, "out", "in"))
            for count, cents, seller, buyer in groups:
                self._contract_group(year, count, cents, seller, buyer)

    def _parties(self, where: str, count: int) -> tuple[list[int], list[str]]:
        """Ids and regions of ``count`` firms drawn at random from one side's pool."""
        pool = self.orgs if where == "in" else self.external
        picked = self.rng.integers(len(pool), size=count)
        return [pool[i][0] for i in picked], [pool[i][1] for i in picked]

    def _contract_group(self, year: int, count: int, cents: int, seller: str, buyer: str
                        ) -> None:
        """``count`` contracts of one year adding up to ``cents``; the technology part is
        55-100 % of each total (whole percent), rounded down to the cent."""
        from observatory.market.contracts import CONTRACT_TYPES

        if count <= 0:
            return
        amounts = split_exactly(cents, self.rng.lognormal(0, 1.3, size=count))
        days = self.rng.integers(0, 365 if year % 4 else 366, size=count)
        sellers, seller_regions = self._parties(seller, count)
        buyers, buyer_regions = self._parties(buyer, count)
        percent = np.round(self.rng.uniform(0.55, 1.0, size=count) * 100).astype(np.int64)
        technology = amounts * percent // 100
        kinds = self.rng.integers(len(CONTRACT_TYPES), size=count)
        registered = np.datetime64(f"{year}-01-01") + days
        signed = registered - self.rng.integers(0, 60, size=count)
        first = self.next["technology_contracts"]
        self.add_many("technology_contracts", {
            "registration_no": [f"37{year}SD{seq:08d}" for seq in range(first, first + count)],
            "contract_type": [CONTRACT_TYPES[k] for k in kinds],
            "seller_organisation_id": sellers, "buyer_organisation_id": buyers,
            "seller_region_code": seller_regions, "buyer_region_code": buyer_regions,
            "total_amount_yuan": [yuan(c) for c in amounts.tolist()],
            "technology_amount_yuan": [yuan(c) for c in technology.tolist()],
            "signed_on": signed.astype(str).tolist(),
            "registered_on": registered.astype(str).tolist(),
            "source_ref": ["province-contract"] * count})

    def certificates(self, grants: dict[int, int]) -> None:
        """High-tech certificates granted each year (three years' validity; a firm is granted
        again when its certificate runs out), as many firms as the year's target."""
        last_grant: dict[int, int] = {}
        for year in sorted(grants):
            free = [oid for oid, _ in self.orgs if year - last_grant.get(oid, -99) >= 3]
            if grants[year] > len(free):
                raise ValueError(f"{grants[year]} certificates in {year} need more firms")
            for i in self.rng.permutation(len(free))[: grants[year]]:
                oid = free[int(i)]
                start = dt.date(year, 1, 1) + dt.timedelta(days=int(self.rng.integers(0, 365)))
                end = dt.date(start.year + 3, start.month, min(start.day, 28)) \
                    - dt.timedelta(days=1)
                self.add("designations", {
                    "certificate_no": f"GR{year}37{self.next['designations']:07d}",
                    "organisation_id": oid, "type_code": "high_tech_enterprise",
                    "level": "national", "issuer": "山东省高新技术企业认定管理机构",
                    "valid_from": start, "valid_to": end, "status": "granted",
                    "source_ref": "province-certificate"})
                last_grant[oid] = year


def _insert_regions(engine: Engine, regions: list[dict[str, Any]], actor: str) -> None:
    rows = Rows("regions", table_columns("regions"))
    for r in regions:
        rows.rows.append(tuple({"code": r["code"], "name_en": r["name_en"],
                                "name_zh": r["name_zh"], "level": r["level"],
                                "parent_code": r["parent"]}.get(c) for c in rows.columns))
    with engine.begin() as connection:
        bulk_write(connection, rows)
        append_records(connection, [{"entity": "regions", "entity_key": "*",
                                     "action": "bulk_insert", "before": None,
                                     "after": {"rows": len(regions)}}],
                       actor=actor, operation="generate shandong-example: regions")


def _context(engine: Engine) -> tuple[dict[str, int], int, list[tuple[int, str]]]:
    """Next ids of the tables the builder fills, the synthetic source, firms elsewhere."""
    ids = {"organisations": m.Organisation.id, "rd_expenditures": m.RdExpenditure.id,
           "technology_contracts": m.TechnologyContract.id, "designations": m.Designation.id,
           "observations": m.Observation.id}
    with Session(engine) as s:
        first = {name: int(s.scalar(select(func.max(column))) or 0) + 1
                 for name, column in ids.items()}
        source = s.scalar(select(m.Source.id).where(m.Source.code == "synthetic-example"))
        external = [(int(i), str(r)) for i, r in s.execute(
            select(m.Organisation.id, m.Organisation.region_code)
            .where(m.Organisation.region_code.in_(OTHER_PROVINCES)).order_by(m.Organisation.id))]
    if source is None or not external:
        raise ValueError("the home city must be generated first / 须先生成本市示例数据")
    return first, int(source), external


def _write(engine: Engine, builder: ProvinceBuilder, seed: int, scale: float, actor: str,
           progress: ProgressFn | None) -> dict[str, int]:
    from observatory.registry.schema import insert_order

    order = insert_order(builder.tables)
    with engine.begin() as connection:
        for name in order:
            bulk_write(connection, builder.tables[name], progress)
        _reset_sequences(connection, order)
        append_records(connection, [
            {"entity": name, "entity_key": "*", "action": "bulk_insert", "before": None,
             "after": {"rows": builder.tables[name].total, "seed": seed, "scale": scale}}
            for name in order], actor=actor,
            operation=f"generate shandong-example seed={seed} scale={scale}")
    return {name: builder.tables[name].total for name in order}


def generate_province(engine: Engine, seed: int = 42, scale: float = 1.0,
                      progress: ProgressFn | None = None, actor: str = "generator"
                      ) -> GenerationReport:
    """Shandong with its 16 cities into an empty, migrated registry: Qingdao as the example
    city, the other cities calibrated to the NBS provincial figures (module docstring)."""
    started = time.perf_counter()
    city = generate_city(engine, seed=seed, scale=scale, progress=progress, actor=actor)
    counts = add_province(engine, seed=seed, scale=scale, progress=progress, actor=actor)
    rows = {k: city.rows.get(k, 0) + counts.get(k, 0) for k in {*city.rows, *counts}}
    return GenerationReport(seed, scale, rows, time.perf_counter() - started)


def add_province(engine: Engine, seed: int = 42, scale: float = 1.0,
                 progress: ProgressFn | None = None, actor: str = "generator"
                 ) -> dict[str, int]:
    """The province around a home city already generated with the same seed and scale: its
    regions, the NBS figures, the other cities' records; rows written per table.

    Apart from :func:`generate_province` so that a registry holding the example city already
    (a copy of one generated before) needs only this part."""
    from observatory.indicators.stats import import_province_stats

    regions = shandong_regions()
    _insert_regions(engine, regions, actor)
    with resources.as_file(nbs_path()) as path:
        import_province_stats(engine, path, actor=actor)
    targets = remainders(engine, nbs_figures())
    first, source, external = _context(engine)
    builder = ProvinceBuilder(seed, scale, first, source, external)
    grants = [targets.hte[y] for y in sorted(targets.hte)]
    needed = max(sum(grants[i:i + 3]) for i in range(len(grants))) * 6 // 5
    builder.organisations(regions, needed)
    builder.denominators()
    builder.rd(targets.rd)
    builder.contracts(targets)
    builder.certificates(targets.hte)
    counts = _write(engine, builder, seed, scale, actor, progress)
    counts["regions"] = len(regions)
    return counts


def province_settings() -> dict[str, Any]:
    """The deployment settings of the province example."""
    return {"region": PROVINCE, "first_year": YEARS[0], "last_year": YEARS[-1],
            "default_period": CALIBRATED_YEARS[-1], "languages": ["zh", "en"],
            "data_as_of": f"{YEARS[-1]}-12-31"}
