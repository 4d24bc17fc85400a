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
        figures = Table("indicator", "region", "period", "published value", "unit",
                        title="Published figures (seed article)")
        rows = session.execute(select(m.Observation).join(m.Source)
                               .where(m.Source.synthetic.is_(False))
                               .order_by(m.Observation.indicator_code)).scalars()
        for obs in rows:
            figures.add_row(obs.indicator_code, obs.region_code, obs.period,
                            f"{obs.value.normalize():,f}", obs.unit)
        console.print(figures)


def serve_app(engine: Engine, host: str, port: int, console: Console) -> None:
    """Serve the web app when it is installed; otherwise say what to run instead."""
    try:
        from observatory.web.app import create_app
    except ImportError:
        console.print("The web app is not part of this build yet; explore with "
                      "`observatory export`, `observatory progress`, `observatory index`.")
        return
    import uvicorn

    uvicorn.run(create_app(engine), host=host, port=port)
