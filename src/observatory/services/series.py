"""The yearly series behind targets and indicators: the indicator engine's when it knows the
indicator, else the recorded observations (published or reported statistics)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory import indicators
from observatory.registry import models as m


def observation_series(engine: Engine, code: str, region: str) -> pd.Series:
    """Published or reported statistics (observations) of one indicator as a yearly series."""
    with Session(engine) as session:
        rows = session.execute(select(m.Observation.period, m.Observation.value)
                               .where(m.Observation.indicator_code == code,
                                      m.Observation.region_code == region)).all()
    data = {int(p): float(v) for p, v in rows if str(p).isdigit()}
    return pd.Series(data, dtype="float64").sort_index()


def target_series(engine: Engine, code: str | None, region: str | None, years: Iterable[int]
                  ) -> tuple[pd.Series | None, str]:
    """The yearly series a target is assessed on (over the deployment's ``years``), and where
    it came from."""
    if not code or not region:
        return None, "none"
    try:
        s = indicators.series(engine, code, region, periods=years)
        if s is not None and len(s):
            return pd.Series(s, dtype="float64").dropna().sort_index(), "indicators"
    except (KeyError, LookupError, ValueError):
        pass  # not a catalogue indicator: fall back to recorded observations
    s = observation_series(engine, code, region)
    return (s, "observations") if len(s) else (None, "none")


def series_provider(engine: Engine, years: Iterable[int]) -> Callable[[str, str], pd.Series]:
    """``(code, region) -> series`` as the target engine asks for it."""
    def series_for(code: str, region: str) -> pd.Series:
        series, _ = target_series(engine, code, region, years)
        return series if series is not None else pd.Series(dtype="float64")
    return series_for


def indicator_unit(engine: Engine, code: str | None) -> str | None:
    """The unit of an indicator: the catalogue's, else the recorded observations'."""
    if not code:
        return None
    try:
        return getattr(indicators.load_catalogue()[code], "unit", None)
    except (KeyError, LookupError):
        pass
    with Session(engine) as session:
        return session.scalar(select(m.Observation.unit)
                              .where(m.Observation.indicator_code == code).limit(1))
