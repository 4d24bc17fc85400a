"""The example city: deterministic, synthetic-labelled, calibrated, and round-trippable."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from observatory.db import make_engine
from observatory.examples.generator import (
    SYNTHETIC_SOURCE,
    CityBuilder,
    calibration_targets,
    generate_city,
    stock_path,
)
from observatory.registry import models as m
from observatory.registry.exporter import export_bundle
from observatory.registry.importer import import_path
from observatory.registry.schema import insert_order, table_columns

SMALL = 0.02


def _dump(engine) -> dict[str, list[tuple]]:
    # the audit log and the cache versions record when, not what
    names = [n for n in inspect(engine).get_table_names()
             if n not in ("audit_log", "alembic_version", "data_versions")]
    with engine.connect() as conn:
        return {n: conn.execute(text(f"SELECT * FROM {n} ORDER BY 1")).all() for n in names}


def test_same_seed_gives_an_identical_database(sqlite_template, tmp_path: Path) -> None:
    dumps = []
    for name in ("a.db", "b.db"):
        shutil.copy(sqlite_template, tmp_path / name)
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        generate_city(engine, seed=7, scale=SMALL)
        dumps.append(_dump(engine))
        engine.dispose()
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["technology_contracts"]) > 1000
    assert len(dumps[0]["matches"]) >= 6 and len(dumps[0]["match_events"]) > 6
    shutil.copy(sqlite_template, tmp_path / "c.db")
    other = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    generate_city(other, seed=8, scale=SMALL)
    assert _dump(other)["technology_contracts"] != dumps[0]["technology_contracts"]


def test_rows_have_one_value_per_metadata_column_in_insert_order() -> None:
    tables = CityBuilder(seed=3, scale=SMALL).build()
    for name, rows in tables.items():
        assert rows.columns == table_columns(name)
        assert set(rows.columns) == set(m.Base.metadata.tables[name].columns.keys()), name
        assert {len(row) for row in rows.rows} == {len(rows.columns)}, name
    order = insert_order(tables)
    assert sorted(order) == sorted(tables)
    for name in order:
        for fk in m.Base.metadata.tables[name].foreign_keys:
            target = fk.column.table.name
            if target in tables and target != name:
                assert order.index(target) < order.index(name), (target, name)


def test_every_generated_record_says_it_is_synthetic(engine) -> None:
    generate_city(engine, seed=1, scale=SMALL)
    with Session(engine) as session:
        synthetic = session.scalar(select(m.Source.id).where(m.Source.code == SYNTHETIC_SOURCE))
        assert session.get(m.Source, synthetic).synthetic is True
        for model in (m.Organisation, m.Designation, m.Platform, m.TechnologyContract, m.Fund,
                      m.FundInvestment, m.Achievement, m.Demand, m.Project, m.RdExpenditure,
                      m.OrganisationYear, m.OrganisationFact, m.FundCommitment, m.Match):
            sources = set(session.scalars(select(model.source_id).distinct()))
            assert sources == {synthetic}, model.__tablename__
        # The article's figures cite the article, the synthetic series cite the generator.
        published = session.scalars(select(m.Observation).join(m.Source)
                                    .where(m.Source.synthetic.is_(False))).all()
        assert {o.indicator_code for o in published} >= set(calibration_targets())
        audit = session.scalars(select(m.AuditLog).where(m.AuditLog.action == "bulk_insert"))
        assert {a.entity for a in audit} >= {"organisations", "technology_contracts"}


def test_generated_usccs_are_valid_and_unique(sqlite_engine) -> None:
    from observatory.registry.codes import uscc_problem

    generate_city(sqlite_engine, seed=3, scale=SMALL)
    with Session(sqlite_engine) as session:
        usccs = list(session.scalars(select(m.Organisation.uscc)))
    assert len(usccs) == len(set(usccs))
    assert [u for u in usccs if uscc_problem(u)] == []


def test_calibrated_stocks_hold_exactly_at_scale_one(example_city_path: Path) -> None:
    """Direct SQL checks of the stock definitions (the indicator engine has its own test)."""
    sqlite_engine = make_engine(f"sqlite:///{example_city_path}")
    targets = calibration_targets()
    end = "2024-12-31"
    valid = (f"valid_from <= '{end}' AND (valid_to IS NULL OR valid_to >= '{end}') "
             "AND status = 'granted'")
    checks = {
        "hte_count": f"SELECT COUNT(DISTINCT organisation_id) FROM designations WHERE {valid} "
                     "AND type_code = 'high_tech_enterprise'",
        "tech_sme_count": f"SELECT COUNT(DISTINCT organisation_id) FROM designations WHERE "
                          f"{valid} AND type_code = 'tech_sme'",
        "green_factory_provincial_count": "SELECT COUNT(DISTINCT organisation_id) FROM "
        f"designations WHERE {valid} AND type_code = 'green_factory' AND level = 'provincial'",
        "national_incubator_count": "SELECT COUNT(*) FROM platforms WHERE type_code = "
        f"'incubator' AND level = 'national' AND established_on <= '{end}' "
        f"AND (closed_on IS NULL OR closed_on > '{end}')",
        "achievement_count": f"SELECT COUNT(*) FROM achievements WHERE published_on <= '{end}'",
        "fund_count": "SELECT COUNT(*) FROM funds WHERE vintage <= 2024",
        "fund_size_total": "SELECT SUM(size_yuan) FROM funds WHERE vintage <= 2024",
        "fund_invested_projects": "SELECT COUNT(*) FROM fund_investments WHERE invested_on <= "
                                  f"'{end}'",
        "key_project_count": "SELECT COUNT(*) FROM projects WHERE programme_code = "
                             "'key_project' AND year = 2024",
    }
    with sqlite_engine.connect() as conn:
        for code, sql in checks.items():
            assert conn.execute(text(sql)).scalar() == targets[code], code
        industry, total = conn.execute(text(
            "SELECT SUM(CASE WHEN o.kind = 'enterprise' THEN r.amount_yuan ELSE 0 END), "
            "SUM(r.amount_yuan) FROM rd_expenditures r JOIN organisations o "
            "ON o.id = r.organisation_id WHERE r.year = 2024")).one()
        assert industry / total > 0.60


def test_stock_path_hits_the_anchor_and_never_falls() -> None:
    import numpy as np

    path = stock_path(1000, 0.1, np.random.default_rng(0))
    assert path[2024] == 1000
    years = sorted(path)
    assert all(path[a] <= path[b] for a, b in zip(years, years[1:], strict=False))


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_import_export_is_byte_identical(engine, sqlite_template, tmp_path: Path,
                                                fmt: str) -> None:
    generate_city(engine, seed=5, scale=SMALL)
    first = tmp_path / "first"
    with Session(engine) as session:
        export_bundle(session, first, fmt)
    shutil.copy(sqlite_template, tmp_path / "empty.db")
    fresh = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    result = import_path(fresh, first)
    assert result.counts["technology_contracts"].inserted > 1000
    assert result.counts["regions"].inserted == 0  # reference data was already there
    second = tmp_path / "second"
    with Session(fresh) as session:
        export_bundle(session, second, fmt)
        assert session.scalar(select(func.count()).select_from(m.Organisation)) > 400
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_xlsx_bundle_round_trip_keeps_every_value(sqlite_engine, sqlite_template,
                                                 tmp_path: Path) -> None:
    """XLSX files embed timestamps, so compare what they hold: CSV exports before and after."""
    generate_city(sqlite_engine, seed=6, scale=0.01)
    with Session(sqlite_engine) as session:
        export_bundle(session, tmp_path / "xlsx", "xlsx")
        export_bundle(session, tmp_path / "before", "csv")
    shutil.copy(sqlite_template, tmp_path / "empty.db")
    fresh = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    import_path(fresh, tmp_path / "xlsx")
    with Session(fresh) as session:
        export_bundle(session, tmp_path / "after", "csv")
    for path in sorted((tmp_path / "before").iterdir()):
        assert path.read_bytes() == (tmp_path / "after" / path.name).read_bytes(), path.name


def _facts_named(node: object) -> set[str]:
    """Every ``{fact: NAME}`` in a parsed rule pack."""
    if isinstance(node, dict):
        found = {node["fact"]} if isinstance(node.get("fact"), str) else set()
        return found.union(*(_facts_named(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_facts_named(v) for v in node))
    return set()


def test_designation_inputs_are_consistent_and_cover_the_packs(example_city_path: Path) -> None:
    """Calibers nest (total ≥ sales ≥ main business...), IP stocks never shrink, the facts
    survey answers every fact the national and provincial packs name, mother funds are linked."""
    import yaml

    from observatory.eligibility.packs import pack_files

    engine = make_engine(f"sqlite:///{example_city_path}")
    with engine.connect() as conn:
        def zero(where: str, table: str = "organisation_years y") -> None:
            bad = conn.execute(text(f"SELECT COUNT(*) FROM {table} WHERE {where}")).scalar()
            assert bad == 0, where

        zero("y.total_revenue_yuan < y.revenue_yuan OR y.main_business_revenue_yuan > "
             "y.revenue_yuan OR y.high_tech_revenue_yuan > y.total_revenue_yuan")
        zero("y.rd_staff > y.tech_staff OR y.tech_staff > y.employees")
        zero("y.ip_class1_own_rd > y.ip_class1 OR y.ip_class1_high_value > y.ip_class1")
        zero("y.total_assets_yuan <> y.net_assets_yuan + y.total_liabilities_yuan")
        zero("y.rd_expense_domestic_yuan > (SELECT SUM(r.amount_yuan) FROM rd_expenditures r "
             "WHERE r.organisation_id = y.organisation_id AND r.year = y.year)")
        zero("n.year = y.year + 1 AND (n.ip_class1 < y.ip_class1 OR n.ip_class2 < y.ip_class2)",
             "organisation_years y JOIN organisation_years n "
             "ON n.organisation_id = y.organisation_id")
        zero("y.main_business_revenue_yuan IS NULL OR y.ip_class1 IS NULL "
             "OR y.achievements_transformed IS NULL")
        with_years, surveyed = conn.execute(text(
            "SELECT COUNT(DISTINCT y.organisation_id), COUNT(DISTINCT f.organisation_id) FROM "
            "organisation_years y LEFT JOIN organisation_facts f "
            "ON f.organisation_id = y.organisation_id")).one()
        assert 0.22 < surveyed / with_years < 0.28  # SURVEY_SHARE = 0.25
        codes = {c for (c,) in conn.execute(text(
            "SELECT DISTINCT fact_code FROM organisation_facts"))}
        # a major incident: True on its date, then False 365 days later
        series = conn.execute(text(
            "SELECT organisation_id, observed_on, value_bool FROM organisation_facts WHERE "
            "fact_code = 'major_incident_last_year' AND organisation_id IN (SELECT "
            "organisation_id FROM organisation_facts WHERE fact_code = "
            "'major_incident_last_year' AND value_bool) ORDER BY 1, 2")).all()
        assert series and len(series) % 3 == 0
        for start in range(0, len(series), 3):
            (_, _, a), (_, on, b), (_, off, c) = series[start:start + 3]
            assert (a, b, c) == (False, True, False)
            assert (date.fromisoformat(str(off)) - date.fromisoformat(str(on))).days == 365
        links = conn.execute(text(
            "SELECT c.lp_type, c.lp_fund_id, f.parent_fund_id FROM fund_commitments c "
            "JOIN funds f ON f.id = c.fund_id")).all()
    engine.dispose()
    assert all(lp == (parent if t == "guidance_fund" else None) for t, lp, parent in links)
    assert sum(lp is not None for _, lp, _ in links) > 100
    for path in pack_files():
        pack = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(pack, dict) and pack.get("level") in ("national", "provincial"):
            missing = _facts_named(pack) - codes
            assert not missing, (path.name, missing)
