"""The synthetic example city over Qingdao's real districts, calibrated to published figures.

``generate_city(engine, seed=42, scale=1.0)`` builds 2019-2025 records from one seed: the same
seed gives an identical database. Every count the seed article publishes (``qingdao_published.yaml``
with ``calibrate: true``) comes out of the records exactly in its year at scale 1; other years
follow smooth growth paths with noise. Every generated record carries the source
"synthetic example"; the published figures themselves are loaded as observations citing the article.

Rows are produced as column tuples and written with executemany (SQLite) or COPY (PostgreSQL),
which is what lets ``--scale`` reach a million organisations and five million contracts.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import yaml
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from observatory.examples import texts
from observatory.examples.denominators import district_denominators
from observatory.examples.eligibility_profiles import EligibilityProfiles
from observatory.examples.listing_texts import ListingWriter
from observatory.examples.names import OrgNamer, PlatformNamer
from observatory.registry import models as m
from observatory.registry.audit import append_records
from observatory.registry.codes import make_uscc
from observatory.registry.schema import insert_order, table_columns

YEARS = list(range(2019, 2026))
ANCHOR_YEAR = 2024
ANCHOR_DATE = dt.date(ANCHOR_YEAR, 12, 31)  # stocks are calibrated at this year-end
FLUSH_ORGS = 10_000  # organisations per write in the per-organisation loops (memory)
CITY = "370200"
DISTRICTS = ["370202", "370203", "370211", "370212", "370213", "370214", "370215", "370281",
             "370283", "370285"]
DISTRICT_WEIGHTS = np.array([0.08, 0.07, 0.22, 0.17, 0.06, 0.14, 0.09, 0.07, 0.05, 0.05])
OTHER_PROVINCES = ["110000", "310000", "320000", "330000", "440000", "340000", "420000",
                   "510000", "610000", "120000"]
FIELDS = list(texts.FIELD_WORDS)
MARINE_FIELDS = ["marine_equipment", "marine_bio", "fisheries", "desalination"]
SYNTHETIC_SOURCE = "synthetic-example"
LISTING_TEXT_COLUMNS = ("title_zh", "title_en", "summary_zh", "summary_en", "problem_zh",
                        "problem_en", "advantages_zh", "advantages_en", "applications_zh",
                        "applications_en", "keywords_zh", "keywords_en")
ProgressFn = Callable[[str, int, int], None]


def published_figures() -> dict[str, Any]:
    """The article's figures and plans, as bundled data."""
    path = resources.files("observatory.examples").joinpath("qingdao_published.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def calibration_targets() -> dict[str, int]:
    """Published values the generator must reproduce exactly (code -> value)."""
    return {f["code"]: f["value"] for f in published_figures()["figures"] if f.get("calibrate")}


@dataclass
class Rows:
    """Column names and row tuples of one table, in insertion order."""

    table: str
    columns: list[str]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    written: int = 0  # rows already handed to the sink and cleared

    def next_id(self) -> int:
        return self.written + len(self.rows) + 1

    @property
    def total(self) -> int:
        return self.written + len(self.rows)


@dataclass
class GenerationReport:
    seed: int
    scale: float
    rows: dict[str, int]
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return sum(self.rows.values()) / self.seconds if self.seconds else 0.0


def stock_path(anchor: float, growth: float, rng: np.random.Generator,
               years: Sequence[int] = YEARS, noise: float = 0.02) -> dict[int, int]:
    """A year-end stock equal to ``anchor`` in the anchor year, growing ~``growth`` a year."""
    path = {}
    for year in years:
        wobble = 1.0 if year == ANCHOR_YEAR else 1 + rng.normal(0, noise)
        path[year] = max(0, round(anchor * (1 + growth) ** (year - ANCHOR_YEAR) * wobble))
    # Keep the path increasing so that cumulative designations never need revoking.
    for year in years[1:]:
        path[year] = max(path[year], path[year - 1])
    for year in reversed(years[:-1]):
        if year < ANCHOR_YEAR:
            path[year] = min(path[year], path[year + 1])
    return path


def _date(year: int, rng: np.random.Generator, start_month: int = 1, end_month: int = 12
          ) -> dt.date:
    month = int(rng.integers(start_month, end_month + 1))
    day = int(rng.integers(1, 29))
    return dt.date(year, month, day)


def _base31(n: int, width: int = 8) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    out = []
    for _ in range(width):
        n, r = divmod(n, 31)
        out.append(alphabet[r])
    return "".join(reversed(out))


LP_TYPES = ["central_soe", "local_soe", "financial_institution", "private", "individual",
            "foreign"]
LP_SHARES = [0.25, 0.25, 0.2, 0.2, 0.05, 0.05]
#: Share of a fund's deals in each year after first close (a five-year investment period).
FUND_PACING = [0.3, 0.3, 0.2, 0.12, 0.08]


_Grants = tuple[dict[int, list[int]], dict[int, set[int]]]
"""Certificates granted each year (organisation ids) and the holders valid at each year end."""


def _supersede(rows: list[tuple[Any, ...]], first: int) -> None:
    """A renewed certificate supersedes the one it renews: the old one ends the day before
    the new one starts, so no organisation holds two overlapping certificates of a type
    (``observatory check`` reports overlaps). Rows are designation tuples from ``first`` on."""
    latest: dict[tuple[int, str], int] = {}
    for i in range(first, len(rows)):
        org, type_code, start = rows[i][2], rows[i][3], rows[i][6]
        prev = latest.get((org, type_code))
        if prev is not None and rows[prev][6] < start and rows[prev][7] is not None \
                and rows[prev][7] >= start:
            rows[prev] = (*rows[prev][:7], start - dt.timedelta(days=1), *rows[prev][8:])
        latest[(org, type_code)] = i


@dataclass(frozen=True)
class _FundPlan:
    """The funds to generate: calibrated ones first, then those of 2025."""

    calibrated: int  # funds whose sizes add up to the published total
    total: int
    mothers: int  # the first funds are mother funds
    units: np.ndarray  # sizes of the calibrated funds in 10 m yuan
    vintages: np.ndarray
    extra_units: np.ndarray  # sizes of the 2025 funds
    managers: Sequence[int]
    sponsors: Sequence[int]


class CityBuilder:
    """Builds all rows of the example city in memory, deterministically from the seed."""

    def __init__(self, seed: int = 42, scale: float = 1.0, baseline_year: int = 2023) -> None:
        self.seed = seed
        self.scale = scale
        self.baseline_year = baseline_year
        self.rng = np.random.default_rng(seed)
        self.figures = published_figures()
        self.calibrated = calibration_targets()
        self.tables: dict[str, Rows] = {}
        self.sink: Callable[[Rows], None] | None = None
        self.source_id = 1
        self.article_source_id = 2

    # -- helpers ---------------------------------------------------------------------------
    def n(self, base: float) -> int:
        return max(1, round(base * self.scale))

    def target(self, code: str) -> float:
        """A calibrated figure, multiplied by the scale (exact at scale 1)."""
        return self.calibrated[code] * self.scale

    def table(self, name: str) -> Rows:
        """The rows of a table; tuples hold every column in ``registry.schema`` file order."""
        if name not in self.tables:
            self.tables[name] = Rows(name, table_columns(name))
        return self.tables[name]

    def pick(self, options: Sequence[Any]) -> Any:
        return options[int(self.rng.integers(0, len(options)))]

    # -- build -----------------------------------------------------------------------------
    def flush(self) -> None:
        """Hand every table's pending rows to the sink (in dependency order) and free them."""
        if self.sink is None:
            return
        for name in insert_order(self.tables):
            rows = self.tables[name]
            if rows.rows:
                self.sink(rows)
                rows.written += len(rows.rows)
                rows.rows = []

    def _flush_every(self, i: int) -> None:
        """Inside a long loop over organisations: write the rows every ``FLUSH_ORGS`` of them,
        so the yearly figures and facts (millions of rows at scale 10) are never all in memory.
        Ids are counted from the rows written, so the rows are the same either way."""
        if (i + 1) % FLUSH_ORGS == 0:
            self.flush()

    def build(self) -> dict[str, Rows]:
        """Run every step; with a sink, rows are written after each step, not kept."""
        for step in (self.sources, self.organisations, self.designations,
                     self.organisation_years_and_rd, self.platforms, self.persons, self.plans,
                     self.projects, self.listings, self.contracts, self.funds,
                     self.observations):
            step()
            self.flush()
        return self.tables

    def sources(self) -> None:
        rows = self.table("sources")
        note = json.dumps({"seed": self.seed, "scale": self.scale,
                           "baseline_year": self.baseline_year}, sort_keys=True)
        rows.rows.append((1, SYNTHETIC_SOURCE, "Synthetic example city (generated)",
                          "合成示例城市（程序生成）", "Innovation Observatory", None, None, True,
                          note))
        src = self.figures["source"]
        rows.rows.append((2, src["code"], src["name_en"], src["name_zh"], src["publisher"], None,
                          None, False, src.get("note")))

    def organisations(self) -> None:
        rows = self.table("organisations")
        rng = self.rng
        self.n_enterprises = self.n(24000)
        self.n_external = self.n(3000)
        kinds = ([("university", 25), ("institute", 60), ("government", 6)])
        namer = OrgNamer(self.seed)
        district_idx = rng.choice(len(DISTRICTS), size=self.n_enterprises, p=DISTRICT_WEIGHTS)
        field_idx = rng.integers(0, len(FIELDS), size=self.n_enterprises)
        founded_year = rng.integers(1995, 2024, size=self.n_enterprises)
        employees = np.maximum(5, rng.lognormal(4.0, 1.1, size=self.n_enterprises)).astype(int)
        self.org_field: list[str] = []
        self.org_region: list[str] = []
        self.enterprise_ids: list[int] = []
        self.founded_on: dict[int, dt.date] = {}
        org_id = 0

        def add(kind: str, region: str, fld: str, name_zh: str, name_en: str, year: int,
                staff: int) -> int:
            nonlocal org_id
            org_id += 1
            uscc = make_uscc(("91" if kind == "enterprise" else "12") + region, _base31(org_id))
            founded = dt.date(int(year), 1 + org_id % 12, 1 + org_id % 28)
            self.founded_on[org_id] = founded
            rows.rows.append((org_id, uscc, name_zh, name_en, kind, region,
                              texts.FIELD_INDUSTRY[fld] if kind == "enterprise" else
                              ("8341" if kind == "university" else "7310"),
                              founded, int(staff), self.source_id, f"org-{org_id}"))
            self.org_field.append(fld)
            self.org_region.append(region)
            return org_id

        for i in range(self.n_enterprises):
            fld = FIELDS[field_idx[i]]
            oid = add("enterprise", DISTRICTS[district_idx[i]], fld, *namer.enterprise(fld),
                      founded_year[i], employees[i])
            self.enterprise_ids.append(oid)
        self.research_ids: list[int] = []
        for kind, count in kinds:
            for j in range(count if self.scale >= 1 else max(1, round(count * self.scale))):
                fld = FIELDS[j % len(FIELDS)]
                name = (namer.university(j) if kind == "university" else
                        namer.institute(j, fld) if kind == "institute" else namer.government(j))
                oid = add(kind, self.pick(DISTRICTS), fld, *name, 1950 + j, 300 + 40 * j)
                if kind != "government":
                    self.research_ids.append(oid)
                else:
                    self.government_ids = [*getattr(self, "government_ids", []), oid]
        self.external_ids: list[int] = []
        for k in range(self.n_external):
            region = OTHER_PROVINCES[k % len(OTHER_PROVINCES)]
            fld = FIELDS[k % len(FIELDS)]
            oid = add("enterprise", region, fld, *namer.external(fld, region), 2005, 200)
            self.external_ids.append(oid)

    def _designate(self, type_code: str, level: str, issuer: str, prefix: str,
                   stock: dict[int, int], pool: list[int], validity_years: int | None,
                   month_range: tuple[int, int] = (9, 12)) -> dict[int, set[int]]:
        """Grant certificates so that the year-end stock of valid ones equals ``stock``.

        ``validity_years``: None = valid until revoked (cumulative stock); 1 = calendar-year
        registration (tech SMEs); 3 = three-year certificates with renewals (high-tech).
        Returns the holders valid at each year end.
        """
        rows = self.table("designations")
        rng = self.rng
        fresh = iter(list(rng.permutation(pool)))
        if validity_years is None:
            grants, holders = self._cumulative_grants(stock, fresh)
        elif validity_years == 1:
            grants, holders = self._yearly_grants(stock, fresh)
        else:
            grants, holders = self._cohort_grants(type_code, stock, fresh, validity_years)
        seq = rows.next_id() - 1
        first = len(rows.rows)
        for year in sorted(grants):
            for org in grants[year]:
                seq += 1
                if validity_years == 1:
                    start = _date(year, rng, 1, 6)
                    end: dt.date | None = dt.date(year, 12, 31)
                else:
                    start = _date(year, rng, *month_range)
                    end = (dt.date(start.year + validity_years, start.month, start.day)
                           - dt.timedelta(days=1)) if validity_years else None
                rows.rows.append((seq, f"{prefix}{year}{seq:07d}", int(org), type_code, level,
                                  issuer, start, end, "granted", self.source_id, None))
        _supersede(rows.rows, first)
        return holders

    @staticmethod
    def _cumulative_grants(stock: dict[int, int], fresh: Iterator[int]) -> _Grants:
        """Certificates valid until revoked: each year grants the stock's growth."""
        grants: dict[int, list[int]] = {}
        holders: dict[int, set[int]] = {}
        previous = 0
        held: set[int] = set()
        for year in sorted(stock):
            count = stock[year] - previous
            grants[year] = [next(fresh) for _ in range(count)]
            held |= set(grants[year])
            holders[year] = set(held)
            previous = stock[year]
        return grants, holders

    def _yearly_grants(self, stock: dict[int, int], fresh: Iterator[int]) -> _Grants:
        """Calendar-year registrations: most of last year's holders register again."""
        grants: dict[int, list[int]] = {}
        holders: dict[int, set[int]] = {}
        last: list[int] = []
        for year in sorted(stock):
            renewing = [o for o in last if self.rng.random() < 0.8][: stock[year]]
            chosen = set(renewing)
            while len(chosen) < stock[year]:
                chosen.add(next(fresh))
            grants[year] = sorted(chosen)
            holders[year] = chosen
            last = grants[year]
        return grants, holders

    def _cohort_grants(self, type_code: str, stock: dict[int, int], fresh: Iterator[int],
                       span: int) -> _Grants:
        """Certificates valid ``span`` years: yearly cohorts that add up to the stock, most
        expiring holders renewing."""
        years = sorted(stock)
        first = years[0]
        cohort: dict[int, int] = {}
        pre = round(stock[first] / span)
        for year in range(first - span + 1, first):
            cohort[year] = pre
        for year in years:
            cohort[year] = stock[year] - sum(cohort[year - k] for k in range(1, span))
            if cohort[year] < 0:
                raise ValueError(f"{type_code}: stock path needs a negative cohort in {year}")
        members: dict[int, list[int]] = {}
        for year in sorted(cohort):
            expiring = members.get(year - span, [])
            busy = {o for k in range(1, span) for o in members.get(year - k, [])}
            renew = [o for o in expiring if o not in busy and self.rng.random() < 0.7]
            chosen = renew[: cohort[year]]
            taken = set(chosen) | busy
            while len(chosen) < cohort[year]:
                candidate = next(fresh)
                if candidate not in taken:
                    chosen.append(candidate)
                    taken.add(candidate)
            members[year] = chosen
        holders = {year: {o for k in range(span) for o in members.get(year - k, [])}
                   for year in years}
        return members, holders

    def designations(self) -> None:
        rng = self.rng
        pool = self.enterprise_ids
        self.hte_stock = stock_path(self.target("hte_count"), 0.12, rng, noise=0.0)
        self.hte_holders = self._designate("high_tech_enterprise", "national",
                                           "Shandong recognition office", "GR",
                                           self.hte_stock, pool, 3)
        tsme = stock_path(self.target("tech_sme_count"), 0.15, rng)
        self.tsme_holders = self._designate("tech_sme", "national", "MOST Torch Centre", "TS",
                                            tsme, pool, 1)
        cumulative = [
            ("hidden_champion", "city", "Qingdao MIIT bureau", "HC", "hidden_champion_count",
             0.10),
            ("single_champion", "national", "MIIT", "SC", "single_champion_count", 0.12),
            ("unicorn", "city", "Qingdao development office", "UN", "unicorn_count", 0.15),
            ("green_manufacturer", "national", "MIIT", "GM", "green_manufacturer_count", 0.15),
            ("green_factory", "provincial", "Shandong DIIT", "GF",
             "green_factory_provincial_count", 0.12),
            ("green_supply_chain", "national", "MIIT", "GS", "green_supply_chain_count", 0.15),
            ("efficiency_leader", "national", "MIIT", "EL", "efficiency_leader_count", 0.10),
        ]
        for type_code, level, issuer, prefix, figure, growth in cumulative:
            path = stock_path(self.target(figure), growth, rng, noise=0.0)
            self._designate(type_code, level, issuer, prefix, path, pool, None)
        little = stock_path(self.n(120), 0.2, rng, noise=0.0)
        self._designate("little_giant", "national", "MIIT", "LG", little, pool, None)
        zjtx = stock_path(self.n(900), 0.2, rng, noise=0.0)
        self._designate("zhuanjingtexin_sme", "provincial", "Shandong DIIT", "ZJ", zjtx, pool,
                        None)

    def organisation_years_and_rd(self) -> None:
        """Yearly revenue/staff and R&D spending; industry's share of R&D above 60 %."""
        rng = self.rng
        oy = self.table("organisation_years")
        rd = self.table("rd_expenditures")
        active = sorted(set().union(*self.hte_holders.values(), *self.tsme_holders.values()))
        # ~9 m yuan median sales in 2019, growing ~8 % a year: with R&D at ~5.5 % of sales and
        # research institutions on top, society's R&D comes to about 2.8 % of a GDP of
        # Qingdao's size (1.67 trillion yuan in 2024), where published R&D intensities lie.
        base_revenue = np.exp(rng.normal(16.0, 1.1, size=len(active)))
        growth = rng.normal(0.08, 0.10, size=len(active))
        rd_ratio = np.clip(rng.normal(0.055, 0.02, size=len(active)), 0.01, 0.2)
        hte_ever = set().union(*self.hte_holders.values())
        profiles = EligibilityProfiles(np.random.default_rng([self.seed, 4]),
                                       [org in hte_ever for org in active])
        oy_id = 0
        rd_id = 0
        self.rd_total: dict[int, int] = {}
        for i, org in enumerate(active):
            for year in YEARS:
                revenue = int(base_revenue[i] * (1 + growth[i]) ** (year - 2019))
                revenue = max(revenue, 100_000)
                oy_id += 1
                staff = max(5, int(revenue / 900_000))
                tech_staff = max(1, int(staff * 0.18))
                amount = int(revenue * rd_ratio[i])
                oy.rows.append((oy_id, int(org), year, revenue, int(revenue * 0.65),
                                int(revenue * 0.8), staff, tech_staff,
                                *profiles.next_year(i, revenue, int(revenue * 0.8), amount,
                                                    tech_staff, staff),
                                self.source_id, None))
                rd_id += 1
                rd.rows.append((rd_id, int(org), year, "enterprise", amount, self.source_id, None))
                self.rd_total[year] = self.rd_total.get(year, 0) + amount
            self._flush_every(i)
        self.organisation_facts(active, profiles)
        # Universities and institutes: sized so that industry's share is about 64 % each year.
        share_target = 0.64
        for year in YEARS:
            industry = self.rd_total[year]
            research_total = int(industry * (1 - share_target) / share_target)
            weights = rng.dirichlet(np.ones(len(self.research_ids)))
            for org, w in zip(self.research_ids, weights, strict=True):
                amount = int(research_total * w)
                gov = int(amount * 0.7)
                for source, value in (("government", gov), ("other", amount - gov)):
                    rd_id += 1
                    rd.rows.append((rd_id, org, year, source, value, self.source_id, None))

    def organisation_facts(self, active: list[int], profiles: EligibilityProfiles) -> None:
        """The single facts the designation rule packs name, from one synthetic survey.

        The bureau's cultivation survey reaches a quarter of the enterprises with yearly figures
        (``EligibilityProfiles.SURVEY_SHARE``); the others have no facts, so criteria that need
        one come out as insufficient data for them. Lasting facts (technology field, residence)
        are observed on the founding date; the rest on the survey date, 31 Dec 2024. A major
        incident is a True observation on its date followed by False a year later, so "in the
        last year" holds for exactly 365 days.
        """
        facts = self.table("organisation_facts")
        surveyed = profiles.rng.random(len(active)) < profiles.SURVEY_SHARE
        for i, org in enumerate(active):
            if not surveyed[i]:
                continue
            founded = self.founded_on[int(org)]
            for code, value, lasting in profiles.facts(i, founded, self.org_field[int(org) - 1]):
                on = founded if lasting else ANCHOR_DATE
                if isinstance(value, tuple):  # (date, bool) transitions
                    for when, flag in value:
                        facts.rows.append((facts.next_id(), int(org), code, when, flag, None,
                                           None, self.source_id, None))
                    continue
                facts.rows.append((facts.next_id(), int(org), code, on,
                                   value if isinstance(value, bool) else None,
                                   value if isinstance(value, int | float)
                                   and not isinstance(value, bool) else None,
                                   value if isinstance(value, str) else None,
                                   self.source_id, None))
            self._flush_every(i)

    def platforms(self) -> None:
        rng = self.rng
        rows = self.table("platforms")
        links = self.table("platform_links")
        pid = 0
        self.platform_ids_by_key: dict[str, list[int]] = {}

        def add(type_code: str, level: str, region: str, fld: str, year: int,
                name: tuple[str, str], area: int | None = None,
                host: int | None = None) -> int:
            nonlocal pid
            pid += 1
            start = _date(year, rng)
            rows.rows.append((pid, f"PF{pid:06d}", name[0], name[1], type_code, level, region,
                              fld, start, None, area, self.source_id, None))
            host = host or int(self.pick(self.research_ids + self.enterprise_ids[:2000]))
            links.rows.append((links.next_id(), pid, host, "host", start, None,
                               self.source_id, None))
            return pid

        def grow(type_code: str, level: str, figure_or_value: float, growth: float,
                 fields: Sequence[str] | None = None, regions: Sequence[str] | None = None,
                 first_year: int = 2010) -> None:
            path = stock_path(figure_or_value, growth, rng, noise=0.0)
            previous = 0
            for year in YEARS:
                for _ in range(path[year] - previous):
                    fld = self.pick(fields or FIELDS)
                    # The first year's stock was established over the years before it.
                    est = (int(rng.integers(first_year, YEARS[0] + 1)) if year == YEARS[0]
                           else year)
                    add(type_code, level, self.pick(regions or DISTRICTS), fld, est,
                        self._platform_name(type_code, level, fld, pid + 1))
                previous = path[year]

        grow("incubator", "national", self.target("national_incubator_count"), 0.08)
        grow("innovation_space", "national", self.target("national_innovation_space_count"),
             0.08)
        grow("demonstration_base", "national", self.target("demonstration_base_count"), 0.15)
        grow("sme_cluster", "national", self.target("sme_cluster_national_count"), 0.25)
        grow("incubator", "provincial", self.n(60), 0.08)
        grow("innovation_space", "provincial", self.n(150), 0.08)
        # Research platforms at provincial level and above: the doubling indicator.
        non_vr = [f for f in FIELDS if f != "vr" and f not in MARINE_FIELDS]
        for type_code, base in (("key_lab", 160), ("engineering_centre", 180),
                                ("tech_innovation_centre", 90), ("new_rd_institution", 40)):
            grow(type_code, "provincial", self.n(base), 0.09, fields=non_vr)
            grow(type_code, "national", self.n(base / 8), 0.05, fields=non_vr)
            grow(type_code, "provincial", self.n(base / 5), 0.14, fields=MARINE_FIELDS)
        # VR platforms in Laoshan at provincial level and above: 13 in 2024.
        vr = stock_path(self.target("vr_platforms_provincial_plus"), 0.15, rng, noise=0.0)
        previous = 0
        for year in YEARS:
            for _ in range(vr[year] - previous):
                level = "national" if rng.random() < 0.2 else "provincial"
                add(self.pick(["key_lab", "engineering_centre", "tech_innovation_centre"]),
                    level, "370212", "vr", year if year > YEARS[0] else 2016,
                    self._platform_name("tech_innovation_centre", level, "vr", pid + 1))
            previous = vr[year]
        grow("engineering_centre", "city", self.n(300), 0.1)
        # Parks named in the article.
        vr_park = add("industrial_park", "provincial", "370212", "vr", 2022,
                      ("青岛虚拟现实产业园", "Qingdao Virtual Reality Industrial Park"))
        add("industrial_park", "national", "370281", "green_tech", 2023,
            ("上合绿色低碳科创产业园", "SCO Green and Low-Carbon Sci-Tech Innovation Park"),
            area=int(self.figures_by_code("sco_park_area")))
        vr_firms = [o for o, f in zip(range(1, len(self.org_field) + 1), self.org_field,
                                      strict=True)
                    if f == "vr" and self.org_region[o - 1] == "370212"][: self.n(40)]
        for org in vr_firms:
            links.rows.append((links.next_id(), vr_park, org, "tenant",
                               _date(int(rng.integers(2022, 2026)), rng), None,
                               self.source_id, None))

    def figures_by_code(self, code: str) -> float:
        return next(f["value"] for f in self.figures["figures"] if f["code"] == code)

    def _platform_name(self, type_code: str, level: str, fld: str, number: int
                       ) -> tuple[str, str]:
        """A platform named as such platforms are: research platforms after a technology of
        their field, incubators and spaces after a brand (``names.platform_name``)."""
        if not hasattr(self, "_platform_namer"):
            self._platform_namer = PlatformNamer(self.seed)
        return self._platform_namer.name(type_code, level, fld, number)

    def persons(self) -> None:
        rng = self.rng
        people = self.table("persons")
        quals = self.table("broker_qualifications")
        talents = self.table("talent_recruitments")
        jobs = self.table("employments")

        def person(fld: str) -> int:
            pid = people.next_id()
            sur_zh, sur_en = self.pick(texts.SURNAMES)
            giv_zh, giv_en = self.pick(texts.GIVEN_NAMES)
            people.rows.append((pid, f"P{pid:07d}", sur_zh + giv_zh, f"{giv_en} {sur_en}", fld,
                                self.pick(DISTRICTS), self.source_id, None))
            return pid

        broker_stock = stock_path(self.n(1100), 0.18, rng, noise=0.01)
        previous = 0
        self.broker_ids: list[int] = []
        for year in YEARS:
            for _ in range(broker_stock[year] - previous):
                pid = person(self.pick(FIELDS))
                level = self.pick(["junior", "junior", "junior", "intermediate", "senior"])
                quals.rows.append((quals.next_id(), f"JJ{year}{quals.next_id():06d}",
                                   pid, level, CITY, _date(year, rng), None, self.source_id,
                                   None))
                jobs.rows.append((jobs.next_id(), pid,
                                  int(self.pick(self.enterprise_ids[:3000] + self.research_ids)),
                                  "technology broker", _date(year, rng, 1, 1), None,
                                  self.source_id, None))
                self.broker_ids.append(pid)
            previous = broker_stock[year]
        for year in YEARS:
            plan = [("top_talent", self.n(int(rng.integers(25, 45))), FIELDS)]
            if year >= 2025:
                plan.append(("marine_talent", self.n(72), MARINE_FIELDS))
            elif year >= 2021:
                plan.append(("marine_talent", self.n(int(rng.integers(20, 35))), MARINE_FIELDS))
            plan.append(("young_talent", self.n(int(rng.integers(80, 140))), FIELDS))
            for programme, count, fields in plan:
                for _ in range(count):
                    fld = self.pick(fields)
                    pid = person(fld)
                    talents.rows.append((talents.next_id(), pid, programme, year, fld, CITY,
                                         self.source_id, None))
                    jobs.rows.append((jobs.next_id(), pid,
                                      int(self.pick(self.research_ids + self.enterprise_ids[:500])),
                                      "researcher", _date(year, rng), None, self.source_id,
                                      None))

    def plans(self) -> None:
        plans = self.table("plans")
        items = self.table("plan_items")
        targets = self.table("targets")
        self.marine_task_ids: list[int] = []
        owners = ["Bureau of Science and Technology", "Bureau of Ocean Development",
                  "Bureau of Industry and Information Technology", "Laoshan District",
                  "West Coast New Area", "Jimo District"]
        for plan in self.figures["plans"]:
            pid = plans.next_id()
            plans.rows.append((pid, plan["code"], plan["name_en"], plan["name_zh"],
                               plan["owner"], plan["start_on"], plan["end_on"], "active",
                               self.article_source_id, None))
            task_ids: list[int] = []
            for p in range(plan.get("major_projects", 0)):
                mp = items.next_id()
                items.rows.append((mp, f"{plan['code']}-MP{p + 1}", pid, None, "major_project",
                                   f"Major project {p + 1}", f"重大工程{p + 1}", owners[p],
                                   plan["start_on"], plan["end_on"], "in_progress",
                                   self.article_source_id, None))
                for t in range(plan.get("tasks_per_project", 0)):
                    tid = items.next_id()
                    items.rows.append((tid, f"{plan['code']}-MP{p + 1}-T{t + 1}", pid, mp,
                                       "key_task", f"Key task {p + 1}.{t + 1}",
                                       f"重点任务{p + 1}.{t + 1}", owners[(p + t) % len(owners)],
                                       plan["start_on"], plan["end_on"], "in_progress",
                                       self.article_source_id, None))
                    task_ids.append(tid)
            if plan["code"].startswith("HAICHUANG"):
                self.marine_task_ids = task_ids
            for k, tgt in enumerate(plan["targets"]):
                form = tgt.get("form", "multiple")
                params: dict[str, Any] = {}
                if form == "multiple":
                    params = {"multiple": 2}
                    base_year, target_year, value = self.baseline_year, 2028, None
                elif form == "cumulative":
                    params = {"window": tgt["window"]}
                    base_year, target_year, value = tgt["window"][0] - 1, tgt["window"][1], \
                        tgt["value"]
                elif form == "reduction":
                    params = {"percent": tgt["value"]}
                    base_year, target_year, value = tgt["base_year"], tgt["target_year"], None
                else:
                    base_year, target_year, value = None, tgt["target_year"], tgt["value"]
                for flag in ("illustrative", "strict"):
                    if tgt.get(flag):
                        params[flag] = True
                if "from_year" in tgt:
                    params["from_year"] = tgt["from_year"]
                item = task_ids[k * 3] if task_ids and k * 3 < len(task_ids) else None
                method = tgt.get("method", "forecast")
                targets.rows.append((targets.next_id(), tgt["code"], pid, item,
                                     tgt["name_en"], tgt["name_zh"], tgt["indicator"],
                                     tgt.get("region", CITY), form,
                                     tgt.get("direction", "higher"), base_year, target_year,
                                     value, json.dumps(params, sort_keys=True), method,
                                     plan["owner"], self.article_source_id, None))

    def projects(self) -> None:
        rng = self.rng
        rows = self.table("projects")
        parts = self.table("project_participants")
        key_target = self.target("key_project_count")
        namer = PlatformNamer(self.seed)  # project titles: a qualifier and a form of their own
        vr_target = self.target("vr_park_projects")
        for year in YEARS:
            plan: list[tuple[str, float, list[str], str | None]] = [
                ("key_project", key_target if year == ANCHOR_YEAR else
                 round(key_target * (1 + rng.uniform(0.0, 0.2))), FIELDS, None),
                ("demonstration", self.n(int(rng.integers(8, 14))), FIELDS, None),
            ]
            if year >= 2022:
                plan.append(("vr_project", vr_target if year == ANCHOR_YEAR else
                             round(vr_target * rng.uniform(0.85, 1.15)), ["vr"], "370212"))
            if year >= 2021:
                plan.append(("marine_tech", self.n(38 if year >= 2025 else
                                                   int(rng.integers(15, 30))),
                             MARINE_FIELDS, None))
            for programme, count, fields, region in plan:
                for _ in range(int(count)):
                    fld = self.pick(fields)
                    tech_zh, tech_en = self.pick(texts.TECHNOLOGIES[fld])
                    lead = int(self.pick(self.enterprise_ids))
                    budget = int(rng.integers(2, 60)) * 1_000_000
                    status = "completed" if year < 2024 or (programme == "marine_tech") else \
                        "ongoing"
                    item = (self.pick(self.marine_task_ids)
                            if programme == "marine_tech" and year >= 2025 else None)
                    pid = rows.next_id()
                    rows.rows.append((pid, f"PJ{year}{pid:06d}",
                                      *namer.project_title(fld, tech_zh, tech_en), programme, fld,
                                      year, budget, int(budget * rng.uniform(0.1, 0.5)), lead,
                                      region or self.org_region[lead - 1], status, item,
                                      self.source_id, None))
                    parts.rows.append((parts.next_id(), pid, lead, "lead", self.source_id,
                                       None))
                    partner = int(self.pick(self.research_ids))
                    parts.rows.append((parts.next_id(), pid, partner, "partner",
                                       self.source_id, None))

    def listings(self) -> None:
        """Achievements and demands; their texts come from ``ListingWriter``'s own stream."""
        rng = self.rng
        writer = ListingWriter(self.seed)
        ach = self.table("achievements")
        dem = self.table("demands")
        stock = stock_path(self.target("achievement_count"), 0.14, rng, noise=0.0)
        previous = 0
        self.achievement_ids: list[int] = []
        research = set(self.research_ids)
        for year in YEARS:
            for _ in range(stock[year] - previous):
                fld = self.pick(FIELDS)
                owner = writer.owner(int(self.pick(self.research_ids + self.enterprise_ids[:4000])),
                                     self.research_ids)
                aid = ach.next_id()
                status = "published" if rng.random() < 0.9 else "expired"
                trl = int(rng.integers(3, 10))
                t = writer.achievement(fld, trl, owner in research)
                ach.rows.append((
                    aid, f"ACH{aid:07d}", *(t[c] for c in LISTING_TEXT_COLUMNS), fld, trl, owner,
                    self.org_region[owner - 1], "public", status, _date(year, rng),
                    int(rng.integers(5, 500)) * 10_000, self.source_id, None))
                self.achievement_ids.append(aid)
            previous = stock[year]
        for _ in range(self.n(60)):  # drafts, not yet published: a title and nothing else
            fld = self.pick(FIELDS)
            t = writer.achievement(fld, 4, research=False)
            aid = ach.next_id()
            ach.rows.append((aid, f"ACH{aid:07d}", t["title_zh"], t["title_en"], None, None,
                             None, None, None, None, None, None, None, None, fld, None,
                             int(self.pick(self.research_ids)), None, "private", "draft", None,
                             None, self.source_id, None))
        self.demand_ids: list[int] = []
        for year in YEARS:
            for _ in range(self.n(int(rng.integers(160, 240)))):
                fld = self.pick(FIELDS)
                owner = int(self.pick(self.enterprise_ids))
                did = dem.next_id()
                trl = int(rng.integers(4, 10))
                published = _date(year, rng)
                budget = int(rng.integers(10, 300)) * 10_000
                t = writer.demand(fld, published, budget)
                dem.rows.append((
                    did, f"DEM{did:07d}", *(t[c] for c in LISTING_TEXT_COLUMNS), fld, trl, owner,
                    self.org_region[owner - 1], "public",
                    "published" if year >= 2024 else "expired", published, budget,
                    self.source_id, None))
                self.demand_ids.append(did)

    def contracts(self) -> None:
        """Technology contracts: outflow by seller region, inflow by buyer region."""
        rng = self.rng
        rows = self.table("technology_contracts")
        local = np.array(self.enterprise_ids + self.research_ids)
        external = np.array(self.external_ids)
        brokers = np.array(self.broker_ids)
        types = np.array(["development", "transfer", "licensing", "consulting", "service"])
        type_p = np.array([0.45, 0.08, 0.05, 0.07, 0.35])
        cid = 0
        for year in YEARS:
            count = self.n(9000 * 1.13 ** (year - 2019))
            sellers_local = rng.random(count) < 0.85
            buyers_local = rng.random(count) < 0.55
            sellers = np.where(sellers_local, rng.choice(local, count),
                               rng.choice(external, count))
            buyers = np.where(buyers_local, rng.choice(local, count), rng.choice(external, count))
            same = sellers == buyers
            buyers[same] = rng.choice(external, int(same.sum()))
            totals = (np.exp(rng.normal(13.3, 1.3, count)) // 100 * 100).astype(np.int64) + 1000
            tech_share = rng.uniform(0.6, 1.0, count)
            techs = (totals * tech_share).astype(np.int64)
            kinds = rng.choice(types, count, p=type_p)
            has_broker = rng.random(count) < 0.3
            broker_pick = rng.choice(brokers, count)
            day_offsets = rng.integers(0, 330, count)
            lags = rng.integers(1, 30, count)
            ach_link = rng.random(count) < 0.1
            ach_pick = rng.choice(np.array(self.achievement_ids), count)
            start = dt.date(year, 1, 1).toordinal()
            regions = self.org_region
            fields = self.org_field
            for i in range(count):
                cid += 1
                seller = int(sellers[i])
                buyer = int(buyers[i])
                signed = dt.date.fromordinal(start + int(day_offsets[i]))
                registered = dt.date.fromordinal(start + int(day_offsets[i]) + int(lags[i]))
                rows.rows.append((
                    cid, f"{registered.year}3702{cid:09d}", str(kinds[i]), seller, buyer,
                    int(broker_pick[i]) if has_broker[i] else None, regions[seller - 1],
                    regions[buyer - 1], int(totals[i]), int(techs[i]), signed, registered,
                    fields[seller - 1], int(ach_pick[i]) if ach_link[i] else None, None,
                    self.source_id, None))
            self.flush()

    def funds(self) -> None:
        """Guidance funds: mother funds and sub-funds, their LPs, deals, cash flows and NAVs.

        Every figure adds up: a fund's calls and fees stay within its commitments, calls
        follow the deals they pay for, distributions come only from exits of those deals, and
        a mother fund's flows are its share of its sub-funds' (it invests through them).
        """
        plan = self._fund_plan()
        room = {m: int(plan.units[m - 1]) * 10_000_000 * 9 // 10
                for m in range(1, plan.mothers + 1)}
        for f in range(plan.total):
            fid = f + 1
            is_mother = f < plan.mothers
            vintage = int(plan.vintages[f]) if f < plan.calibrated else 2025
            units = plan.units[f] if f < plan.calibrated else plan.extra_units[f - plan.calibrated]
            size = int(units) * 10_000_000
            parent = self._fund(fid, is_mother, vintage, size, plan, room)
            self._fund_commitments(fid, size, parent, is_mother, vintage, room)
        deals = self._fund_investments(plan)
        self._fund_flows(plan, deals)

    def _fund_plan(self) -> _FundPlan:
        """How many funds, their sizes (10 m yuan units) and vintages: the calibrated total."""
        rng = self.rng
        n_funds = max(2, round(self.target("fund_count")))
        total_units = round(self.target("fund_size_total") / 10_000_000)  # 10 m yuan units
        n_mothers = 4 if n_funds >= 20 else 1
        weights = rng.lognormal(0, 0.9, n_funds)
        weights[:n_mothers] *= 8
        units = np.maximum(1, np.floor(weights / weights.sum() * total_units)).astype(int)
        units[int(np.argmax(units))] += total_units - int(units.sum())
        vintages = np.sort(rng.integers(2015, ANCHOR_YEAR + 1, n_funds))
        vintages[:n_mothers] = 2015
        extra_2025 = self.n(6)
        return _FundPlan(calibrated=n_funds, total=n_funds + extra_2025, mothers=n_mothers,
                         units=units, vintages=vintages,
                         extra_units=rng.integers(20, 150, extra_2025),
                         managers=self.enterprise_ids[-40:],
                         sponsors=getattr(self, "government_ids", self.research_ids[:1]))

    def _fund(self, fid: int, is_mother: bool, vintage: int, size: int, plan: _FundPlan,
              room: dict[int, int]) -> int | None:
        """Add one fund; returns its mother fund's id (None for a mother fund), drawn in
        proportion to the commitment each mother has left to give."""
        rng = self.rng
        left = np.array([max(room[k], 0) for k in sorted(room)], dtype=float)
        parent = None if is_mother else int(rng.choice(sorted(room), p=left / left.sum())) \
            if left.sum() > 0 else int(rng.integers(1, plan.mothers + 1))
        kind = "mother" if is_mother else ("sub" if rng.random() < 0.8 else "direct")
        fld_zh, fld_en = texts.FIELD_WORDS[self.pick(FIELDS)]
        name_zh = f"青岛{'科技创新母' if is_mother else fld_zh + '产业'}基金{fid}号"
        self.table("funds").rows.append((
            fid, f"FUND{fid:04d}", name_zh,
            f"Qingdao {'Innovation Mother' if is_mother else fld_en} Fund {fid}",
            kind, "city", int(self.pick(plan.sponsors)), int(self.pick(plan.managers)),
            parent, CITY, vintage, size, 10, 1.5 if not is_mother else None,
            self.source_id, None))
        return parent

    def _fund_commitments(self, fid: int, size: int, parent: int | None, is_mother: bool,
                          vintage: int, room: dict[int, int]) -> None:
        """The government side first, then social capital. A sub-fund's guidance money (at
        most a quarter, the classic cap) comes from its mother while the mother has
        commitment left (90 % of its size, the rest pays its fees); beyond, from the budget."""
        rng = self.rng
        commits = self.table("fund_commitments")
        if is_mother:
            parts: list[tuple[str, int]] = [("fiscal", size)]
        else:
            gov_amount = int(size * float(rng.uniform(0.1, 0.25))) // 10_000 * 10_000
            from_mother = min(gov_amount, room[parent] // 10_000 * 10_000) if parent else 0
            room[parent or 0] = room.get(parent or 0, 0) - from_mother
            parts = [("guidance_fund", from_mother)] if from_mother else []
            if gov_amount > from_mother:
                parts.append(("fiscal", gov_amount - from_mother))
            rest = size - gov_amount
            k = int(rng.integers(2, 5))
            split = rng.dirichlet(np.ones(k))
            amounts = [int(rest * s) // 10_000 * 10_000 for s in split]
            amounts[-1] = rest - sum(amounts[:-1])
            parts += [(str(rng.choice(LP_TYPES, p=LP_SHARES)), a) for a in amounts]
        committed = dt.date(vintage, 3, 1)
        for lp_type, amount in parts:
            cid = commits.next_id()
            # A sub-fund's guidance money comes from its mother fund (an LP that is a fund).
            lp_fund = parent if lp_type == "guidance_fund" else None
            lp_name = {"fiscal": "青岛市财政局",
                       "guidance_fund": f"青岛科技创新母基金{parent}号"}.get(
                           lp_type, f"出资人{cid}")
            commits.rows.append((cid, f"CM{cid:06d}", fid, None, lp_fund, lp_name, lp_type,
                                 amount, committed, self.source_id, None))

    def _deal_year(self, vintage: int, last: int) -> int:
        """Guidance-fund pacing: most deals in the first three years after first close,
        some in years four and five, none after (the investment period)."""
        weights = np.array(FUND_PACING[: max(1, min(len(FUND_PACING), last - vintage + 1))])
        return vintage + int(self.rng.choice(len(weights), p=weights / weights.sum()))

    def _fund_investments(self, plan: _FundPlan) -> dict[int, list[tuple[dt.date, int]]]:
        """Exactly the published number of invested projects by the end of the anchor year at
        scale 1, more in 2025; each fund invests at most 80 % of its size (the rest pays its
        fees) within its investment period. Returns each fund's (date, amount) deals."""
        rng = self.rng
        funds = self.table("funds")
        invs = self.table("fund_investments")
        target_2024 = round(self.target("fund_invested_projects"))
        fund_vintage = {row[0]: row[10] for row in funds.rows}
        fund_size = {row[0]: row[11] for row in funds.rows}
        left = {f + 1: fund_size[f + 1] * 8 // 10 for f in range(plan.mothers, plan.total)}
        deals: dict[int, list[tuple[dt.date, int]]] = {f: [] for f in fund_vintage}
        count_2025 = self.n(70)
        for i in range(target_2024 + count_2025):
            last = ANCHOR_YEAR if i < target_2024 else 2025
            open_ = [f for f, v in left.items() if v >= 10_000 and fund_vintage[f] <= last]
            fid = int(self.pick([f for f in open_ if last == ANCHOR_YEAR
                                 or last - fund_vintage[f] < len(FUND_PACING)] or open_
                                or [f for f in left if fund_vintage[f] <= last]))
            year = self._deal_year(fund_vintage[fid], last) if last == ANCHOR_YEAR else 2025
            when = _date(year, rng, 4 if year == fund_vintage[fid] else 1)
            # 4-15 % of the fund's size per deal, in 10,000-yuan units, within what is left
            amount = max(10_000, min(left[fid], int(fund_size[fid] * rng.uniform(0.04, 0.15))
                                     // 10_000 * 10_000))
            left[fid] -= amount
            deals[fid].append((when, amount))
            in_region = rng.random() < 0.78
            investee = int(self.pick(self.enterprise_ids if in_region else self.external_ids))
            iid = invs.next_id()
            invs.rows.append((iid, f"IV{iid:06d}", fid, investee, None, when,
                              self.pick(["seed", "A", "B", "C", "pre-IPO"]), amount,
                              bool(in_region), self.source_id, None))
        return deals

    def _fund_flows(self, plan: _FundPlan, deals: dict[int, list[tuple[dt.date, int]]]) -> None:
        """Cash flows and year-end NAVs: sub-funds from their deals, then each mother fund
        as its share of its sub-funds' flows and NAVs plus its own fee."""
        funds = {row[0]: row for row in self.table("funds").rows}
        share: dict[int, float] = {}
        for row in self.table("fund_commitments").rows:
            if row[4] is not None:  # guidance money from a mother fund
                share[row[2]] = row[7] / funds[row[2]][11]
        mother_flows: dict[int, Counter[tuple[str, dt.date]]] = {
            f: Counter() for f in range(1, plan.mothers + 1)}
        mother_navs: dict[int, Counter[dt.date]] = {f: Counter() for f in mother_flows}
        given: dict[int, Counter[int]] = {f: Counter() for f in mother_flows}
        for row in self.table("fund_commitments").rows:
            if row[4] in given:
                given[row[4]][row[8].year] += row[7]
        for fid in range(plan.mothers + 1, plan.total + 1):
            flows, navs = self._sub_fund_flows(fid, funds[fid][10], funds[fid][11], deals[fid])
            self._write_flows(fid, flows, navs)
            parent = funds[fid][8]
            if fid in share and parent in mother_flows:
                for kind, when, amount in flows:
                    mother_flows[parent][("call" if kind == "fee" else kind, when)] += \
                        int(amount * share[fid])
                for when, nav in navs:
                    mother_navs[parent][when] += int(nav * share[fid])
        for fid in mother_flows:
            vintage = funds[fid][10]
            own = [(k, w, a) for (k, w), a in sorted(mother_flows[fid].items(),
                                                     key=lambda kv: (kv[0][1], kv[0][0])) if a]
            # the mother's fee: 0.5 % a year of what it has committed to sub-funds so far
            own += [("fee", dt.date(y, 12, 20),
                     sum(a for v, a in given[fid].items() if v <= y) // 200 // 10_000 * 10_000)
                    for y in range(vintage, 2026)]
            own = [x for x in own if x[2] > 0]
            self._write_flows(fid, own, sorted(mother_navs[fid].items()))

    def _sub_fund_flows(self, fid: int, vintage: int, size: int,
                        deals: list[tuple[dt.date, int]]
                        ) -> tuple[list[tuple[str, dt.date, int]], list[tuple[dt.date, int]]]:
        """One fund's calls (a first call at first close, then what each year's deals need),
        fees (2 % a year in the investment period, 1 % after), distributions (exits of deals
        held three to seven years; a fifth written off) and year-end NAVs (deals held at a
        mark, plus cash)."""
        rng = self.rng
        flows: list[tuple[str, dt.date, int]] = []
        exits: list[tuple[dt.date, int, int]] = []  # exit date, cost, proceeds
        for when, cost in deals:
            exit_year = when.year + int(rng.integers(3, 8))
            if exit_year <= 2025 and rng.random() < 0.6:
                multiple = 0.0 if rng.random() < 0.2 else float(rng.lognormal(0.4, 0.5))
                exits.append((dt.date(exit_year, 9, 30), cost,
                              int(cost * multiple) // 10_000 * 10_000))
        paid = calls = 0  # paid = calls + fees, never above the size
        navs = []
        for year in range(vintage, 2026):
            fee = size * (2 if year - vintage < len(FUND_PACING) else 1) // 100
            spent = sum(a for d, a in deals if d.year <= year)
            need = (size // 10 if year == vintage else 0) + spent - calls
            call = -(-max(0, min(need, size - paid - fee)) // 10_000) * 10_000
            if 0 < call <= size - paid:
                paid, calls = paid + call, calls + call
                flows.append(("call", dt.date(year, 3, 15) if year == vintage
                              else dt.date(year, 1, 2), call))
            if 0 < fee <= size - paid:
                paid += fee
                flows.append(("fee", dt.date(year, 12, 20), fee))
            for when, _, proceeds in exits:
                if when.year == year and proceeds > 0:
                    flows.append(("distribution", when, proceeds))
            held = spent - sum(c for w, c, _ in exits if w.year <= year)
            navs.append((dt.date(year, 12, 31),
                         int(held * rng.uniform(0.9, 1.4)) + max(calls - spent, 0)))
        return flows, navs

    def _write_flows(self, fid: int, flows: list[tuple[str, dt.date, int]],
                     navs: list[tuple[dt.date, int]]) -> None:
        rows, values = self.table("fund_cash_flows"), self.table("fund_valuations")
        for kind, when, amount in flows:
            rows.rows.append((rows.next_id(), f"CF{rows.next_id():07d}", fid, kind, when,
                              amount, self.source_id, None))
        for when, nav in navs:
            values.rows.append((values.next_id(), fid, when, nav, self.source_id, None))

    def observations(self) -> None:
        rows = self.table("observations")
        for figure in self.figures["figures"]:
            qualifier = figure.get("qualifier")
            rows.rows.append((rows.next_id(), figure["code"], figure.get("region", CITY),
                              figure["period"], figure["value"], figure["unit"],
                              f"as printed: {qualifier.replace('_', ' ')}" if qualifier else None,
                              self.article_source_id, "seed article"))
        # Energy intensity (tce per 10,000 yuan of GDP): synthetic series consistent with the
        # article's cumulative 10.3 % reduction from 2020 to 2024.
        reduction = self.figures_by_code("energy_intensity_reduction_cumulative") / 100
        base = 0.45
        annual = (1 - reduction) ** (1 / 4)
        for year in YEARS:
            if year == 2019:
                value = base * 1.02
            elif year <= 2024:
                value = base * annual ** (year - 2020)
            else:
                value = base * annual ** 4 * 0.975
            rows.rows.append((rows.next_id(), "energy_intensity", CITY, str(year),
                              round(value, 6), "tce per 10,000 yuan", "synthetic series",
                              self.source_id, None))
        for region, year, code, value, unit in district_denominators(CITY, YEARS):
            rows.rows.append((rows.next_id(), code, region, str(year), value, unit,
                              "synthetic denominator", self.source_id, None))


# -- writing ---------------------------------------------------------------------------------

def _sqlite_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows with their dates as ISO text, for SQLite's driver. Only the columns that hold a
    date are rewritten: the rows are transposed, and each column's types found, in C.

    >>> _sqlite_rows([(1, dt.date(2024, 1, 2)), (2, None)])
    [(1, '2024-01-02'), (2, None)]
    """
    if not rows:
        return rows
    columns = list(zip(*rows, strict=True))
    dated = False
    for i, column in enumerate(columns):
        if any(issubclass(kind, dt.date) for kind in set(map(type, column))):
            columns[i] = tuple(v.isoformat() if isinstance(v, dt.date) else v for v in column)
            dated = True
    return list(zip(*columns, strict=True)) if dated else rows


#: SQLite page cache while bulk rows are written (KiB): 256 MB, freed when the write ends.
BULK_CACHE_KIB = 262_144


def bulk_write(connection: Any, rows: Rows, progress: ProgressFn | None = None) -> None:
    """Write rows with executemany (SQLite) or COPY (PostgreSQL) on a raw DBAPI connection."""
    dialect = connection.dialect.name
    columns = ", ".join(rows.columns)
    raw = connection.connection.driver_connection
    batch = 50_000
    total = len(rows.rows)
    if dialect == "postgresql":
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {rows.table} ({columns}) FROM STDIN") as copy:
            for i, row in enumerate(rows.rows):
                copy.write_row(row)
                if progress is not None and i % batch == 0:
                    progress(rows.table, i, total)
        return
    placeholders = ", ".join("?" for _ in rows.columns)
    sql = f"INSERT INTO {rows.table} ({columns}) VALUES ({placeholders})"
    cursor = raw.cursor()
    # A larger page cache while the rows go in: each row also goes into every index of the
    # table in key order, not in row order, and with SQLite's default 2 MB those index pages
    # were read again and again (add_province, 821,580 rows: 77 and 87 s -> 51 and 62 s).
    before = cursor.execute("PRAGMA cache_size").fetchone()[0]
    cursor.execute(f"PRAGMA cache_size={-BULK_CACHE_KIB}")
    try:
        for start in range(0, total, batch):
            cursor.executemany(sql, _sqlite_rows(rows.rows[start:start + batch]))
            if progress is not None:
                progress(rows.table, min(start + batch, total), total)
    finally:
        cursor.execute(f"PRAGMA cache_size={int(before)}")
        cursor.close()


def _reset_sequences(connection: Any, tables: Sequence[str]) -> None:
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


def registry_is_empty(engine: Engine) -> bool:
    with Session(engine) as session:
        return not session.scalar(select(func.count()).select_from(m.Organisation))


def existing_generation(engine: Engine) -> dict[str, Any] | None:
    """Parameters of the example city already in the database, if any."""
    with Session(engine) as session:
        note = session.scalar(select(m.Source.note).where(m.Source.code == SYNTHETIC_SOURCE))
    return json.loads(note) if note else None


def generate_city(engine: Engine, seed: int = 42, scale: float = 1.0, baseline_year: int = 2023,
                  progress: ProgressFn | None = None, actor: str = "generator"
                  ) -> GenerationReport:
    """Generate the example city into an empty, migrated registry in one transaction, then
    its synthetic broker activity (matches, their events and contracts) through the broker
    workflow in a second one (``examples.broker_activity``)."""
    if not registry_is_empty(engine):
        raise ValueError("the registry already holds organisations; generate into an empty "
                         "database (observatory generate --replace starts afresh)")
    started = time.perf_counter()
    builder = CityBuilder(seed, scale, baseline_year)
    with engine.begin() as connection:
        builder.sink = lambda rows: bulk_write(connection, rows, progress)
        tables = builder.build()
        order = insert_order(tables)
        counts = {name: tables[name].total for name in order}
        _reset_sequences(connection, order)
        append_records(connection, [
            {"entity": name, "entity_key": "*", "action": "bulk_insert", "before": None,
             "after": {"rows": counts[name], "seed": seed, "scale": scale}}
            for name in order],
            actor=actor, operation=f"generate qingdao-example seed={seed} scale={scale}")
    # Broker activity goes through the workflow (its own audit records and match events), so it
    # runs on the committed city in a second transaction: the match engine reads the registry.
    # The builder's per-organisation lists are freed first: the match engine needs the room.
    from observatory.examples.broker_activity import seed_broker_activity

    source_id = builder.source_id
    del builder, tables
    activity = seed_broker_activity(engine, seed=seed, scale=scale, anchor=ANCHOR_DATE,
                                    source_id=source_id, actor=actor, progress=progress)
    counts["matches"] = activity.matches
    counts["match_events"] = activity.events
    counts["technology_contracts"] += activity.contracts
    return GenerationReport(seed, scale, counts, time.perf_counter() - started)
