"""Indicator catalogue and the engine that computes it on any backend.

Stable Python API (the CLI, the web app and the targets module call these)::

    from observatory.indicators import compute, series, records, explain, load_catalogue

    load_catalogue() -> Catalogue                 # validated catalogue.yaml; cat["hte_count"]
    compute(engine, codes, periods, region, by=(), backend=None) -> pd.DataFrame
        # codes: a list, or None for the whole catalogue; periods: years; region: a GB/T
        # 2260 code or a list. Nothing defaults to a city: callers pass the deployment
        # settings' years and home region (observatory.config.get_settings()).
        # columns: indicator, region, period, <one column per breakdown in `by`>, value,
        # unit, n_records (contributing records), method. `region` is a GB/T 2260 code or a
        # list; by=("region",) adds every region below it (roll-up district > city > province
        # > nation); other breakdowns: industry (GB/T 4754 section), field, designation_type,
        # lp_type, lp_class, contract_type, funding_source, org_kind, level, platform_type,
        # programme, fund_kind, round (null where an indicator has no such breakdown).
        # backend: None = the database's own (sqlite/postgres), or "duckdb".
        # A region/period with no contributing records has no row.
    series(engine, code, region, periods) -> pd.Series by year
    records(engine, code, region, period) -> pd.DataFrame  # drill-down
    explain(code, periods, backend="sqlite") -> str  # definition and the SQL it compiles to
    import_province_stats(engine, path) -> ImportResult   # NBS provincial statistics

``Runner(engine, backend)`` with ``compute_with(runner, ...)`` reuses one connection (and
DuckDB's copy of the tables) across calls.
"""

from observatory.indicators.catalogue import Catalogue, CatalogueError, load_catalogue
from observatory.indicators.engine import (
    IndicatorError,
    Runner,
    compute,
    compute_with,
    explain,
    records,
    series,
)
from observatory.indicators.stats import import_province_stats

__all__ = ["Catalogue", "CatalogueError", "IndicatorError", "Runner", "compute",
           "compute_with", "explain", "import_province_stats", "load_catalogue", "records",
           "series"]
