"""`observatory demo`: build the example city once, summarise it, serve it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.examples.generator import existing_generation, generate_city
from observatory.registry import models as m
from observatory.registry.setup import init_database

DEMO_SEED = 42


def build_demo(engine: Engine, progress_factory: Callable[[Progress], Any] | None = None,
               progress: Progress | None = None) -> bool:
    """Migrate, then generate the example city unless it is already there. True if built."""
    init_database(engine, actor="demo")
    existing = existing_generation(engine)
    if existing is not None:
        return False
    if progress is not None and progress_factory is not None:
        with progress:
            generate_city(engine, seed=DEMO_SEED, progress=progress_factory(progress))
    else:
        generate_city(engine, seed=DEMO_SEED)
    return True


def print_summary(engine: Engine, console: Console, freshly_built: bool) -> None:
    """Record counts and the article's published figures."""
    state = "built" if freshly_built else "already built (re-running changes nothing)"
    console.print(f"[bold]Example city (synthetic, seed {DEMO_SEED}) {state}[/bold] "
                  f"in {engine.url.render_as_string()}")
    counts = Table("records", "rows", title="Registry")
    with Session(engine) as session:
        for model in (m.Organisation, m.Designation, m.Platform, m.Person, m.Project,
                      m.Achievement, m.Demand, m.TechnologyContract, m.Fund,
                      m.FundInvestment, m.Observation, m.Plan, m.Target):
            n = session.scalar(select(func.count()).select_from(model))
            counts.add_row(model.__tablename__, f"{n:,}")
        console.print(counts)
        rows = list(session.execute(select(m.Observation).join(m.Source)
                                    .where(m.Source.synthetic.is_(False))
                                    .order_by(m.Observation.indicator_code)).scalars())
    computed = _computed_figures(engine, rows)
    figures = Table("indicator", "region", "period", "published", "from the records", "unit",
                    title="Published figures (seed article) and the example city's records")
    for obs in rows:
        value = computed.get((obs.indicator_code, obs.region_code, obs.period))
        figures.add_row(obs.indicator_code, obs.region_code, obs.period,
                        f"{obs.value.normalize():,f}",
                        "" if value is None else
                        f"{value:,.0f}" if value.is_integer() else f"{value:,.4g}", obs.unit)
    console.print(figures)


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


def print_accounts(engine: Engine, console: Console) -> None:
    """Create the demo accounts (once) and show how to log in."""
    from observatory.web.accounts import ensure_demo_accounts

    accounts = Table("username", "password", "role", title="Demo accounts / 演示账号")
    for username, password, role in ensure_demo_accounts(engine):
        accounts.add_row(username, password, role)
    console.print(accounts)


def serve_app(engine: Engine, host: str, port: int, console: Console) -> None:
    """Serve the web app (until Ctrl-C)."""
    import uvicorn

    from observatory.web.app import create_app

    console.print(f"[bold]Serving http://{host}:{port}[/bold] (Ctrl-C stops)")
    uvicorn.run(create_app(engine), host=host, port=port)
