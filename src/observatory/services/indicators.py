"""The indicators explorer: the catalogue, one indicator's values by year or district, the
records behind a figure, and the same values as CSV, SDMX-CSV and a workbook."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
from pydantic import BaseModel
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory import indicators
from observatory.config import Settings
from observatory.indicators.as_of import PeriodCheck, check_periods, data_as_of
from observatory.indicators.export import to_sdmx_csv, with_metadata
from observatory.indicators.periods import FULL_YEAR
from observatory.registry import models as m
from observatory.registry.cells import neutralise, neutralise_row, type_text_cells
from observatory.services.access import allow
from observatory.services.auth import Principal
from observatory.services.cache import figure_tables
from observatory.services.context import Deployment
from observatory.services.drilldown import RecordRule, record_rule, visible
from observatory.services.errors import Invalid, NotFound
from observatory.services.records import Row, as_number, json_records

FIXED_COLUMNS = {"indicator", "region", "period", "value", "unit", "n_records", "method",
                 "source", "synthetic", "source_ref", "note"}
EXPORT_COLUMNS = ["indicator", "region", "period", "value", "unit"]
BREAKDOWNS = ("year", "district")


class CatalogueEntry(BaseModel):
    code: str
    name_en: str | None
    name_zh: str | None
    unit: str | None


class ObservedIndicator(BaseModel):
    """An indicator with recorded statistics (observations) and the periods they cover."""

    code: str
    unit: str | None
    observations: int
    first: str | None
    last: str | None


class Catalogue(BaseModel):
    engine_available: bool
    catalogue: list[CatalogueEntry]
    observed: list[ObservedIndicator]


class DistrictValue(BaseModel):
    code: str
    name_zh: str | None
    name_en: str | None
    value: float
    share: float  # position between the smallest (0) and the largest (1) value


class DistrictComparison(BaseModel):
    period: int
    unit: str | None
    districts: list[DistrictValue]


class IndicatorValues(BaseModel):
    """One indicator's values; ``source`` says whether the engine or observations gave them."""

    code: str
    source: str
    region: str
    name_en: str | None
    name_zh: str | None
    rows: list[Row]
    districts: DistrictComparison | None = None
    #: The day the data runs to; years after it are left out, a year it cuts is provisional.
    as_of: str | None = None
    provisional: list[int] = []


class FigureRecords(BaseModel):
    """The records behind one figure (the drill-down), at most ``limit`` of ``total``; the
    ``withheld`` records are ones the user may not see (``services.drilldown``)."""

    code: str
    region: str
    period: int
    total: int
    rows: list[Row]
    withheld: int = 0


def catalogue(engine: Engine) -> Catalogue:
    """Catalogue indicators and the recorded statistics."""
    cat = indicators.load_catalogue()
    entries = [CatalogueEntry(code=code, name_en=getattr(cat[code], "name_en", None),
                              name_zh=getattr(cat[code], "name_zh", None),
                              unit=getattr(cat[code], "unit", None)) for code in cat]
    with Session(engine) as session:
        rows = session.execute(
            select(m.Observation.indicator_code, m.Observation.unit, func.count(),
                   func.min(m.Observation.period), func.max(m.Observation.period))
            .group_by(m.Observation.indicator_code, m.Observation.unit)
            .order_by(m.Observation.indicator_code)).all()
    observed = [ObservedIndicator(code=c, unit=u, observations=n,
                                  first=None if a is None else str(a),
                                  last=None if b is None else str(b))
                for c, u, n, a, b in rows]
    return Catalogue(engine_available=True, catalogue=entries, observed=observed)


def data_period_check(engine: Engine, settings: Settings) -> PeriodCheck:
    """The settings' years against the data's as-of day (the settings', else the newest
    event the registry records)."""
    return check_periods(list(settings.years), FULL_YEAR,
                         settings.data_as_of or data_as_of(engine))


def values(engine: Engine, settings: Settings, code: str, by: str = "year") -> IndicatorValues:
    """Values of one indicator in the home region by year, or by year and district; years
    after the data's as-of day are not computed (they would read as a collapse)."""
    region = settings.region
    check = data_period_check(engine, settings)
    years = [y for y in settings.years if y not in check.refused]
    try:
        df = indicators.compute(engine, [code], periods=years, region=region,
                                by=("region",) if by == "district" else ())
        meta = indicators.load_catalogue()[code]
        return IndicatorValues(code=code, source="indicators", region=region,
                               name_en=getattr(meta, "name_en", None),
                               name_zh=getattr(meta, "name_zh", None),
                               rows=json_records(pd.DataFrame(df)),
                               as_of=check.as_of.isoformat() if check.as_of else None,
                               provisional=check.provisional)
    except (KeyError, LookupError, ValueError):
        pass  # not in the catalogue: show the recorded observations
    with Session(engine) as session:
        rows = session.execute(
            select(m.Observation, m.Source.code, m.Source.synthetic)
            .join(m.Source, m.Source.id == m.Observation.source_id, isouter=True)
            .where(m.Observation.indicator_code == code)
            .order_by(m.Observation.region_code, m.Observation.period)).all()
    return IndicatorValues(code=code, source="observations", region=region, name_en=None,
                           name_zh=None, rows=[
        {"indicator": code, "region": o.region_code, "period": o.period,
         "value": as_number(o.value), "unit": o.unit, "source": src,
         "synthetic": bool(syn), "source_ref": o.source_ref, "note": o.note}
        for o, src, syn in rows])


def district_comparison(engine: Engine, data: IndicatorValues) -> DistrictComparison | None:
    """The districts of ``data``'s region in the latest period that has a value for them,
    with each value's position between the smallest and largest (for the tile colours)."""
    with Session(engine) as session:
        names = {c: (zh, en) for c, zh, en in session.execute(
            select(m.Region.code, m.Region.name_zh, m.Region.name_en)
            .where(m.Region.parent_code == data.region))}
    rows = [r for r in data.rows if r.get("region") in names and r.get("value") is not None
            and len([k for k in r if k not in FIXED_COLUMNS]) == 0]
    if not rows:
        return None
    period = max(int(str(r["period"])) for r in rows)
    latest = sorted((r for r in rows if int(str(r["period"])) == period),
                    key=lambda r: -float(r["value"]))  # type: ignore[arg-type]
    numbers = [float(r["value"]) for r in latest]  # type: ignore[arg-type]
    lo, hi = min(numbers), max(numbers)
    unit = latest[0].get("unit")
    return DistrictComparison(period=period, unit=None if unit is None else str(unit), districts=[
        DistrictValue(code=str(r["region"]), name_zh=names[str(r["region"])][0],
                      name_en=names[str(r["region"])][1], value=value,
                      share=(value - lo) / (hi - lo) if hi > lo else 1.0)
        for r, value in zip(latest, numbers, strict=True)])


def indicator_view(dep: Deployment, code: str, by: str) -> IndicatorValues:
    """What the indicator page shows: values (cached), with the district comparison."""
    if by not in BREAKDOWNS:
        raise Invalid("by must be year or district", "by 须为 year 或 district")
    data = dep.cache.get("indicator", lambda: values(dep.engine, dep.settings, code, by),
                         code, by, depends=figure_tables())
    if not data.rows:
        raise NotFound()
    if by == "district":
        data = data.model_copy(update={"districts": district_comparison(dep.engine, data)})
    return data


def figure_records(engine: Engine, code: str, region: str, period: int, rule: RecordRule,
                   limit: int = 500) -> FigureRecords | None:
    """The records behind one figure that ``rule`` shows (drill-down); None when the engine
    cannot say."""
    try:
        df = pd.DataFrame(indicators.records(engine, code, region=region, period=period))
    except (KeyError, LookupError, ValueError):
        return None
    if rule.sees_all:  # nothing to filter: convert only the rows shown
        return FigureRecords(code=code, region=region, period=period, total=len(df),
                             rows=json_records(df.head(limit)))
    rows = [r for r in json_records(df) if visible(rule, code, r)]
    return FigureRecords(code=code, region=region, period=period, total=len(rows),
                         rows=rows[:limit], withheld=len(df) - len(rows))


def records_view(dep: Deployment, p: Principal, code: str, region: str | None,
                 period: int | None) -> FigureRecords:
    """The drill-down page's records that ``p`` may see; region and period default to the
    deployment's."""
    allow(p, "indicators")
    region = region or dep.settings.region
    period = period if period is not None else dep.settings.period
    rule = record_rule(dep.engine, p)
    data = dep.cache.get("records",
                         lambda: figure_records(dep.engine, code, region, period, rule),
                         code, region, period, rule, depends=figure_tables())
    if data is None:
        raise NotFound()
    return data


# ----- downloads ----------------------------------------------------------------------------
def export_frame(data: IndicatorValues) -> pd.DataFrame:
    """The rows of an indicator page as the export functions take them."""
    frame = pd.DataFrame(data.rows)
    if data.source != "indicators":  # recorded observations: only the SDMX columns
        frame = frame[EXPORT_COLUMNS]
    return frame[frame["value"].notna()].reset_index(drop=True)


def as_csv(data: IndicatorValues) -> str:
    """The rows as CSV with a byte-order mark, so spreadsheet programs read Chinese right;
    text that a spreadsheet would run as a formula is neutralised (``registry.cells``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(data.rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(neutralise_row(row) for row in data.rows)
    return "\ufeff" + buffer.getvalue()


def as_sdmx_csv(data: IndicatorValues) -> str:
    """SDMX-CSV by ``observatory.indicators.export`` (dataflow OBSERVATORY:INDICATORS)."""
    frame = export_frame(data)
    frame["period"] = frame["period"].astype(str)
    return to_sdmx_csv(frame.map(neutralise))


def as_xlsx(data: IndicatorValues) -> bytes:
    """A workbook: the values with the catalogue's bilingual metadata, and a sheet saying
    what was computed and how (the same content as ``observatory indicators export``). Text
    cells are typed as strings and neutralised, so none of them is a formula."""
    frame = export_frame(data)
    if data.source == "indicators":
        frame = with_metadata(frame)
    about = pd.DataFrame({"item": ["indicator", "name_en", "name_zh", "source", "generated",
                                   "method"],
                          "value": [data.code, data.name_en, data.name_zh, data.source,
                                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                                    "docs/methodology/indicators.md"]})
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="data", index=False)
        about.to_excel(writer, sheet_name="about", index=False)
        for sheet in writer.sheets.values():
            type_text_cells(sheet)
    return buffer.getvalue()
