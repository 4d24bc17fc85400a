"""Benchmark: the eligibility pipeline and the fund report over the example city (SQLite).

1. Eligibility: ``observatory eligibility pipeline --pack hte`` over every enterprise with yearly
   figures (about 21,600 at scale 1): bulk loader (four queries) + batch assessment, against the
   baseline in the same process — a naive loader that runs three queries per organisation
   (years, R&D, designations), timed on the first ``--naive-sample`` enterprises (default
   5,000; 0 = all) and extrapolated per enterprise — and checked to build identical inputs.
   The assessment stage is the same code for both, so the end-to-end baseline is the naive
   load plus that stage.
2. Funds: ``observatory funds metrics`` (144 funds, 520 deals as of 2024-12-31), absolute time.
Machine: the team's 2-core box. Sizes: the example city at seed 42, scale 1.
Run: .venv/bin/python bench/funds_eligibility.py [--database-url URL] (default: generate the
city into a temporary SQLite file first, about 20 s, not timed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.db import make_engine
from observatory.eligibility.inputs import (
    DESIGNATION_PACKS,
    IP_COLUMNS,
    YEAR_COLUMNS,
    load_designations,
    load_enterprises,
)
from observatory.eligibility.model import Enterprise
from observatory.eligibility.packs import get_pack
from observatory.eligibility.pipeline import run_pipeline
from observatory.examples.generator import generate_city
from observatory.funds.programme import fund_report
from observatory.registry import models as m
from observatory.registry.setup import init_database

AS_OF = date(2025, 6, 30)


def naive_enterprises(engine: Engine, as_of: date, limit: int | None = None) -> list[Enterprise]:
    """Baseline: the same inputs, four queries per organisation (the obvious ORM loop)."""
    out = []
    with Session(engine) as s:
        has_years = select(m.OrganisationYear.organisation_id).where(
            m.OrganisationYear.year < as_of.year)
        orgs = s.scalars(select(m.Organisation).where(
            m.Organisation.kind == "enterprise", m.Organisation.founded_on <= as_of,
            m.Organisation.id.in_(has_years)).order_by(m.Organisation.id).limit(limit)).all()
        for org in orgs:
            years: dict[int, dict] = defaultdict(dict)
            ip: dict[str, int] = {}
            for y in s.scalars(select(m.OrganisationYear).where(
                    m.OrganisationYear.organisation_id == org.id,
                    m.OrganisationYear.year < as_of.year)):
                rec = {"year": y.year}
                for col, name in YEAR_COLUMNS.items():
                    if getattr(y, col) is not None:
                        rec[name] = float(getattr(y, col))
                years[y.year] = rec
                if y.year == as_of.year - 1:
                    ip = {name: int(getattr(y, col)) for col, name in IP_COLUMNS.items()
                          if getattr(y, col) is not None}
            facts: dict[str, object] = {}
            for f in s.scalars(select(m.OrganisationFact).where(
                    m.OrganisationFact.organisation_id == org.id,
                    m.OrganisationFact.observed_on <= as_of)
                    .order_by(m.OrganisationFact.observed_on)):
                facts[f.fact_code] = f.value
            for year, amount in s.execute(
                    select(m.RdExpenditure.year, func.sum(m.RdExpenditure.amount_yuan))
                    .where(m.RdExpenditure.organisation_id == org.id,
                           m.RdExpenditure.year < as_of.year)
                    .group_by(m.RdExpenditure.year)):
                years.setdefault(year, {"year": year})["rd_expense"] = float(amount)
            held = [{"code": DESIGNATION_PACKS.get(d.type_code, d.type_code),
                     "valid_from": d.valid_from, "valid_to": d.valid_to}
                    for d in s.scalars(select(m.Designation).where(
                        m.Designation.organisation_id == org.id,
                        m.Designation.status == "granted",
                        m.Designation.valid_from <= as_of))]
            out.append(Enterprise.model_validate({
                "id": org.uscc, "name": org.name_zh, "founded": org.founded_on,
                "years": [years[y] for y in sorted(years)], "ip": ip, "facts": facts,
                "designations": held}))
    return out

T = TypeVar("T")


def timed(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """``fn``'s result and the seconds it took."""
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an example-city database (default: generate)")
    parser.add_argument("--naive-sample", type=int, default=5000,
                        help="time the naive loader on this many enterprises (0: all)")
    args = parser.parse_args()
    tmp = None
    if args.database_url:
        engine = make_engine(args.database_url)
    else:
        tmp = tempfile.TemporaryDirectory()
        engine = make_engine(f"sqlite:///{Path(tmp.name) / 'city.db'}")
        init_database(engine)
        print("generating the example city (seed 42, scale 1; not timed) ...", flush=True)
        generate_city(engine, seed=42)
    pack = get_pack("hte")
    print("Machine: 2 cores (shared). Pack: hte. As of:", AS_OF)

    bulk, t_bulk = timed(load_enterprises, engine, AS_OF)
    designations, t_des = timed(load_designations, engine, "hte")
    result, t_assess = timed(run_pipeline, pack, bulk, designations, AS_OF)
    naive, t_naive = timed(naive_enterprises, engine, AS_OF, args.naive_sample or None)
    key = {e.id: e for e in bulk}
    if (not args.naive_sample and len(naive) != len(bulk)) or any(key[e.id] != e for e in naive):
        raise SystemExit("naive and bulk loaders disagree: the benchmark is invalid")
    n, k = len(bulk), len(naive)
    print(f"\nEligibility pipeline over {n:,} enterprises ({result.assessed:,} assessed, "
          f"{result.holders_excluded:,} current holders left out; {len(result.near)} "
          f"near-threshold rows, {len(result.renewals)} renewals in 90 days)")
    print(f"  bulk load (5 queries)      {t_bulk:7.2f} s  ({t_bulk / n * 1e3:.3f} ms/enterprise)"
          f" + designations {t_des:.2f} s")
    naive_all = t_naive / k * n  # extrapolated when timed on a sample
    print(f"  naive load ({4 * k + 1:,} queries for {k:,} enterprises) {t_naive:.2f} s "
          f"({t_naive / k * 1e3:.3f} ms/enterprise; all {n:,}: "
          f"{'measured' if k == n else 'extrapolated'} {naive_all:.1f} s)  "
          f"ratio {naive_all / t_bulk:.1f}x the bulk load")
    print(f"  assessment + near + renewals {t_assess:7.2f} s  "
          f"({t_assess / max(result.assessed, 1) * 1e3:.2f} ms/assessed enterprise)")
    total, naive_total = t_bulk + t_des + t_assess, naive_all + t_des + t_assess
    print(f"  end to end: {total:.2f} s vs baseline {naive_total:.2f} s "
          f"(ratio {naive_total / total:.2f}x)")

    report, t_funds = timed(fund_report, engine, date(2024, 12, 31))
    p = report.programme
    print(f"\nFund report as of 2024-12-31: {p['funds']} funds, {p['declared_size'] / 1e9:.1f} bn "
          f"yuan declared, {p['deals']} deals: {t_funds:.2f} s")
    engine.dispose()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
