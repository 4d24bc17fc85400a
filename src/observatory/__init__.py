"""Innovation Observatory: run and measure a city's innovation programme.

In a notebook: ``import observatory as obs; city = obs.connect(".observatory")``, then
``city.indicators.compute(...)``, ``city.targets.status()``, ``city.market.match(...)``,
``city.funds.metrics()``, ``city.eligibility.assess(...)`` (see :mod:`observatory.library`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from observatory.library import Observatory

from observatory.version import __version__

__all__ = ["__version__", "connect"]


def connect(home_or_url: str | Path) -> Observatory:
    """Open a deployment (a home folder or a database URL); imported lazily so that
    ``import observatory`` stays cheap for the CLI."""
    from observatory.library import connect as open_deployment

    return open_deployment(home_or_url)
