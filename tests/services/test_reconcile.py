"""Published figures beside the registry's: the catalogue twin of an observed statistic, the
published precision, bounds printed as "more than", and figures with no counterpart."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from observatory.cli import app
from observatory.db import make_engine
from observatory.registry import models as m
from observatory.services.errors import Invalid
from observatory.services.reconcile import published_tolerance, reconcile

CITY, LAOSHAN = "370200", "370212"


def _registry(engine: Engine, observations: list[tuple[str, str, str, str | None]]) -> None:
    """Three high-tech certificates granted in 2023 (one a renewal) and published figures."""
    with Session(engine) as s, s.begin():
        s.add_all([m.Organisation(id=i, uscc=f"91370200MA{i:08d}", name_zh=f"企业{i}",
                                  kind="enterprise", region_code=LAOSHAN, industry_code="3969")
                   for i in (1, 2, 3)])
        s.add(m.Source(id=1, code="bulletin", name_en="Bulletin", name_zh="公报",
                       synthetic=False))
        s.add(m.Source(id=2, code="made-up", name_en="Synthetic", name_zh="合成",
                       synthetic=True))
        s.flush()
        s.add_all([m.Designation(id=i, certificate_no=f"C{i}", organisation_id=org,
                                 type_code="high_tech_enterprise", level="national",
                                 status="granted", valid_from=start,
                                 valid_to=dt.date(start.year + 3, start.month, 1))
                   for i, org, start in ((1, 1, dt.date(2023, 3, 1)), (2, 2, dt.date(2023, 9, 1)),
                                         (3, 3, dt.date(2020, 1, 1)),
                                         (4, 3, dt.date(2023, 1, 1)))])
        s.add_all([m.Observation(indicator_code=code, region_code=CITY, period=period,
                                 value=Decimal(value), unit="enterprises", note=note,
                                 source_id=1)
                   for code, period, value, note in observations])
        s.add(m.Observation(indicator_code="hte_count", region_code=LAOSHAN, period="2023",
                            value=Decimal(99), unit="enterprises", source_id=2))


def _by_code(engine: Engine) -> dict[str, object]:
    return {r.indicator: r for r in reconcile(engine).rows}


@pytest.mark.postgres
def test_published_figures_meet_their_registry_counterparts(engine: Engine) -> None:
    _registry(engine, [
        ("hte_recognised", "2023", "3", None),  # observed: compared with hte_granted
        ("hte_count", "2023", "4", None),  # 3 valid on 31 Dec: differs
        ("tech_sme_count", "2023", "0", None),  # no records: nothing to compare with
        ("hte_new", "2023", "1", "as printed: more than"),  # 3 - 1 = 2 is more than 1
        ("gii_rank", "2023", "20", None),  # observed, no twin
        ("gdp_made_up", "2023", "7", None),  # not in the catalogue
        ("hte_granted", "2023-Q1", "1", None),  # not a year
    ])
    rows = _by_code(engine)
    assert set(rows) == {"hte_recognised", "hte_count", "tech_sme_count", "hte_new", "gii_rank",
                         "gdp_made_up", "hte_granted"}  # the synthetic figure is left out
    recognised = rows["hte_recognised"]
    assert (recognised.computed_as, recognised.computed, recognised.status) == (
        "hte_granted", 3.0, "match")
    count = rows["hte_count"]
    assert (count.computed, count.difference, count.status) == (3.0, -1.0, "differs")
    assert count.relative_difference == pytest.approx(-0.25)
    assert rows["hte_new"].status == "match" and rows["hte_new"].qualifier == "more than"
    assert rows["gii_rank"].status == "observed" and rows["gii_rank"].computed is None
    assert rows["gdp_made_up"].status == "not_in_catalogue"
    assert rows["hte_granted"].status == "not_a_year"
    assert rows["tech_sme_count"].status in ("no_records", "match")
    report = reconcile(engine, region=CITY, period="2023")
    assert report.counts["differs"] == 1 and len(report.rows) == 6
    with pytest.raises(Invalid):
        reconcile(engine, region="Qingdao")


def test_precision_is_the_printed_one() -> None:
    hundred_million = "published in 100 million yuan"
    assert published_tolerance(Decimal("238600000000"), hundred_million) == Decimal("5E+7")
    assert published_tolerance(Decimal("238640000000"), hundred_million) == Decimal("5E+6")
    assert published_tolerance(Decimal("8000"), None) == Decimal("0.5")
    assert published_tolerance(Decimal("2.59"), None) == Decimal("0.005")


def test_the_example_citys_seed_figures_are_reproduced(example_city_path: Path) -> None:
    engine = make_engine(f"sqlite:///{example_city_path}")
    report = reconcile(engine)
    matched = [r for r in report.rows if r.status == "match"]
    assert len(matched) >= 20 and report.counts["differs"] == 0
    assert all(r.source == "seed-china-daily-2024" for r in report.rows)


def test_command_lists_figures_and_fails_on_a_difference(engine: Engine, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _registry(engine, [("hte_recognised", "2023", "3", None)])
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    ok = runner.invoke(app, ["indicators", "reconcile", "--format", "json",
                             "--database-url", url])
    assert ok.exit_code == 0, ok.output
    rows = json.loads(ok.stdout)
    assert [(r["indicator"], r["computed"], r["status"]) for r in rows] == [
        ("hte_recognised", 3.0, "match")]
    with Session(engine) as s, s.begin():
        s.add(m.Observation(indicator_code="hte_count", region_code=CITY, period="2023",
                            value=Decimal(5), unit="enterprises", source_id=1))
    differs = runner.invoke(app, ["indicators", "reconcile", "--database-url", url,
                                  "--format", "csv"])
    assert differs.exit_code == 1
    assert "hte_count,hte_count,370200,2023,5.0,3.0,-2.0" in differs.stdout
    bad = runner.invoke(app, ["indicators", "reconcile", "--region", "x1",
                              "--database-url", url])
    assert bad.exit_code == 2 and "GB/T 2260" in bad.output
