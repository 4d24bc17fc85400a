"""The example city for ``observatory demo``: built once, then summarised as plain data.

Why no printing or serving here: the example city is data and its generator; how a summary
looks and how the web app is served belong to the command line (``observatory.cli.demo``),
so this package imports neither the web app nor the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.examples.generator import ProgressFn, existing_generation, generate_city
from observatory.registry import models as m
from observatory.registry.setup import init_database

DEMO_SEED = 42
#: The one example city bundled (``observatory generate --city``).
EXAMPLE_CITY = "qingdao-example"
SUMMARY_MODELS = (m.Organisation, m.Designation, m.Platform, m.Person, m.Project,
                  m.Achievement, m.Demand, m.TechnologyContract, m.Fund, m.FundInvestment,
                  m.Observation, m.Plan, m.Target)


@dataclass(frozen=True)
class PublishedFigure:
    """A figure the seed article publishes, beside what the generated records give."""

    indicator: str
    region: str
    period: str
    published: float
    computed: float | None
    unit: str | None


@dataclass(frozen=True)
class DemoSummary:
    """Record counts per table and the article's figures against the records."""

    counts: list[tuple[str, int]]
    figures: list[PublishedFigure]


def build_demo(engine: Engine, progress: ProgressFn | None = None) -> bool:
    """Migrate, then generate the example city unless it is already there. True if built."""
    init_database(engine, actor="demo")
    if existing_generation(engine) is not None:
        return False
    generate_city(engine, seed=DEMO_SEED, progress=progress)
    return True


def demo_summary(engine: Engine) -> DemoSummary:
    """How many records each table holds, and the published figures beside the computed."""
    with Session(engine) as session:
        counts = [(model.__tablename__,
                   session.scalar(select(func.count()).select_from(model)) or 0)
                  for model in SUMMARY_MODELS]
        published = list(session.execute(
            select(m.Observation).join(m.Source).where(m.Source.synthetic.is_(False))
            .order_by(m.Observation.indicator_code)).scalars())
    computed = _computed_figures(engine, published)
    figures = [PublishedFigure(o.indicator_code, o.region_code, o.period, float(o.value),
                               computed.get((o.indicator_code, o.region_code, o.period)), o.unit)
               for o in published]
    return DemoSummary(counts, figures)


def _computed_figures(engine: Engine, observations: list[m.Observation]
                      ) -> dict[tuple[str, str, str], float]:
    """The calibrated figures computed by the indicator engine from the generated records."""
    from observatory import indicators
    from observatory.examples.generator import calibration_targets

    wanted = [o for o in observations if o.indicator_code in calibration_targets()]
    if not wanted:
        return {}
    frame = indicators.compute(engine, sorted({o.indicator_code for o in wanted}),
                               periods=sorted({int(o.period) for o in wanted}),
                               region=sorted({o.region_code for o in wanted}))
    return {(r.indicator, r.region, str(r.period)): float(r.value)
            for r in frame.itertuples()}
