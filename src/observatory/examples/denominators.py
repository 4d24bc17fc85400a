"""Synthetic district denominators (resident population, GDP) for the example city.

Why they exist: a district comparison of absolute totals ranks districts by size; per-resident
and per-GDP indicators need each district's population and GDP, which a deployment loads from
its statistics bureau as observations. The example city's are rounded, plausible values from
``district_denominators.yaml`` (no random draws, so every other figure stays as calibrated),
labelled synthetic by the generator's source.

>>> rows = district_denominators("370200", [2023])
>>> [r for r in rows if r[0] == "370211"][1][3]
510000000000
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources

import yaml

Row = tuple[str, int, str, int, str]  # region, year, indicator, value, unit


def district_denominators(city: str, years: Iterable[int]) -> list[Row]:
    """(region, year, indicator, value, unit) for each district and the city's totals."""
    spec = yaml.safe_load(resources.files("observatory.examples").joinpath(
        "district_denominators.yaml").read_text(encoding="utf-8"))
    rows: list[Row] = []
    for year in years:
        people = (1 + spec["population_growth"]) ** (year - spec["population_base_year"])
        output = (1 + spec["gdp_growth"]) ** (year - spec["gdp_base_year"])
        totals = [0, 0]
        for code, d in spec["districts"].items():
            population = round(d["population_10k"] * 10_000 * people)
            gdp = round(d["gdp_100m"] * output) * 100_000_000
            totals = [totals[0] + population, totals[1] + gdp]
            rows += [(code, year, "resident_population", population, "persons"),
                     (code, year, "gdp", gdp, "yuan")]
        rows += [(city, year, "resident_population", totals[0], "persons"),
                 (city, year, "gdp", totals[1], "yuan")]
    return rows
