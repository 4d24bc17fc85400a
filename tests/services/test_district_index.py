"""The example city's district index, from the indicator engine to rank intervals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from observatory.cli import app
from observatory.examples import EXAMPLE_CITY_SETTINGS
from observatory.examples.generator import generate_city
from observatory.index.meta import IndexInputError
from observatory.services.district_index import district_index, load_structure, parse_structure


@pytest.fixture(scope="module")
def city(tmp_path_factory, sqlite_template):
    import shutil

    from observatory.db import make_engine

    path = tmp_path_factory.mktemp("district") / "city.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    generate_city(engine, seed=11, scale=0.1)
    return engine


HOME = {"region": EXAMPLE_CITY_SETTINGS["region"], "year": EXAMPLE_CITY_SETTINGS["default_period"]}


def test_index_of_every_district_with_intervals(city) -> None:
    result = district_index(city, runs=200, **HOME)
    table = result.results
    assert len(table) == 10 and sorted(table["rank"]) == list(range(1, 11))
    pillars = [p.code for p in result.structure.pillars]
    # Equal weights and an arithmetic mean: the index is the mean of its pillars.
    assert np.allclose(table["score"], table[pillars].mean(axis=1))
    assert ((table[pillars] >= 1 - 1e-9) & (table[pillars] <= 100 + 1e-9)).all().all()
    assert (table["rank_q5"] <= table["median_rank"]).all()
    assert (table["median_rank"] <= table["rank_q95"]).all()
    again = district_index(city, runs=200, **HOME)
    assert again.results.equals(table)  # seeded: the same runs give the same intervals
    # The best district on the index leads at least one pillar or is close to the top in all.
    best = table.index[0]
    assert table.loc[best, pillars].max() >= table[pillars].max().min()


def test_structure_is_validated() -> None:
    raw = load_structure().model_dump()
    unknown = {**raw, "indicators": [*raw["indicators"],
                                     {"code": "no_such_indicator", "pillar": "ENT"}]}
    with pytest.raises(IndexInputError, match="not in the indicator catalogue"):
        parse_structure(unknown)
    orphan = {**raw, "indicators": [*raw["indicators"], {"code": "hte_count", "pillar": "XX"}]}
    with pytest.raises(IndexInputError):
        parse_structure({**raw, "runs": -1})
    with pytest.raises(IndexInputError, match="unknown pillar"):
        parse_structure(orphan)
    with pytest.raises(IndexInputError):
        parse_structure({**raw, "colour": "red"})


def test_the_deployment_names_the_year_and_region(city) -> None:
    with pytest.raises(IndexInputError, match="year and a region"):
        district_index(city, runs=0)


def test_cli_district_json(city, monkeypatch) -> None:
    # The command compares the districts of the deployment's home region in its default period.
    monkeypatch.setenv("OBSERVATORY_REGION", HOME["region"])
    monkeypatch.setenv("OBSERVATORY_DEFAULT_PERIOD", str(HOME["year"]))
    url = city.url.render_as_string()
    result = CliRunner().invoke(app, ["index", "district", "--runs", "50", "--format", "json",
                                      "--database-url", url])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["code"] == "DII" and len(payload["districts"]) == 10
    assert payload["year"] == HOME["year"] and payload["runs"] == 50
    assert {"score", "rank", "rank_q5", "rank_q95"} <= set(payload["districts"][0])


def test_indicators_are_size_adjusted_by_the_districts_denominators(city) -> None:
    """Every indicator is per resident, per GDP or a share: the largest district does not lead
    by its size, and each raw value is its numerator over the district's denominator."""
    from observatory.indicators import compute, load_catalogue

    catalogue = load_catalogue()
    structure = load_structure()
    for member in structure.indicators:
        unit = catalogue[member.code].unit
        assert unit == "percent" or "per 10000 residents" in unit, member.code
    result = district_index(city, runs=0, **HOME)
    raw = result.pipeline.get("Raw")
    frame = compute(city, ["hte_count", "resident_population"], [HOME["year"]], HOME["region"],
                    by=("region",)).pivot_table(index="region", columns="indicator",
                                                values="value")
    for district in raw.index:
        expected = frame.at[district, "hte_count"] / frame.at[district, "resident_population"]
        assert raw.at[district, "hte_per_10k_residents"] == pytest.approx(expected * 10_000)


def test_what_if_weights_reaggregate_and_are_checked(city) -> None:
    from observatory.services.errors import Invalid
    from observatory.services.index import parse_weights, what_if

    result = district_index(city, runs=0, **HOME)
    same = what_if(result, {})
    assert [s.rank for s in same.scores] == [s.rank_before for s in same.scores]
    only_rd = what_if(result, {"ENT": 0, "PLAT": 0, "MKT": 0, "RD": 1})
    rd = result.results["RD"]
    for score in only_rd.scores:  # the RD pillar alone decides
        assert score.score == pytest.approx(rd[score.region])
    assert [s.score for s in only_rd.scores] == sorted((s.score for s in only_rd.scores),
                                                       reverse=True)
    for bad in ({"XX": 1.0}, {"ENT": -1.0}, {"ENT": float("inf")}):
        with pytest.raises(Invalid):
            what_if(result, bad)
    with pytest.raises(Invalid):
        parse_weights("ENT=2")
