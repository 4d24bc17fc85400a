"""Published statistics beside what the registry computes: how a statistics office checks its
records against the official figures.

Every observation from a non-synthetic source is a published figure. Where the catalogue can
compute the same indicator from records (not from observations, which would compare a figure
with itself), the engine computes it for the observation's region and year and the two stand
side by side. A figure *matches* when the computed value, rounded to the published precision,
is the published one: to the unit when the number was printed whole, else to its last decimal,
in the unit it was printed in (an observation's note ``published in 100 million yuan`` says
which). A figure printed as a bound (note ``as printed: more than``) matches any computed value
beyond it.

>>> float(published_tolerance(Decimal("238640000000"), "published in 100 million yuan"))
5000000.0
>>> float(published_tolerance(Decimal("238600000000"), "published in 100 million yuan"))
50000000.0
>>> float(published_tolerance(Decimal("12.15"), None))
0.005
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Context, Decimal

from pydantic import BaseModel
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from observatory import indicators
from observatory.indicators.catalogue import Catalogue, ObservedDef, load_catalogue
from observatory.indicators.stats import UNITS
from observatory.registry import models as m
from observatory.services.errors import Invalid

#: Why a published figure has no computed counterpart, or how the two compare.
STATUSES = ("match", "differs", "observed", "not_in_catalogue", "not_a_year", "no_records")
PRINTED_IN = "published in "
AS_PRINTED = "as printed:"
BOUNDS = ("more than", "less than")


class ReconcileRow(BaseModel):
    """One published figure and its computed counterpart."""

    indicator: str
    name_en: str | None
    name_zh: str | None
    region: str
    region_name_en: str | None
    region_name_zh: str | None
    period: str
    published: float
    computed: float | None
    computed_as: str | None
    unit: str | None
    qualifier: str | None
    source: str | None
    source_name_en: str | None
    source_name_zh: str | None
    difference: float | None
    relative_difference: float | None
    status: str


class Reconciliation(BaseModel):
    """Every published figure in the filter, and how many match, differ or cannot be computed."""

    region: str | None
    period: str | None
    rows: list[ReconcileRow]
    counts: dict[str, int]


def _printed_factor(note: str | None) -> Decimal:
    """The stored value per printed unit, from a note ``published in <unit>`` (else 1)."""
    if note and note.startswith(PRINTED_IN):
        return UNITS.get(note[len(PRINTED_IN):].strip(), (Decimal(1), ""))[0]
    return Decimal(1)


def published_tolerance(value: Decimal, note: str | None) -> Decimal:
    """Half a unit of the last digit the figure was printed with, in stored units."""
    factor = _printed_factor(note)
    # at most 15 significant digits: a figure SQLite stored as a double reads back with
    # binary noise in the last places, which is no precision the publication had
    printed = Context(prec=15).create_decimal(value / factor).normalize()
    exponent = printed.as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(5).scaleb(min(exponent, 0) - 1) * factor


def qualifier(note: str | None) -> str | None:
    """``more than`` / ``less than`` when the figure was printed as a bound."""
    if note and note.startswith(AS_PRINTED):
        words = note[len(AS_PRINTED):].strip()
        return words if words in BOUNDS else None
    return None


def _agrees(value: float, published: Decimal, note: str | None) -> bool:
    computed = Decimal(repr(value))
    bound = qualifier(note)
    if bound == "more than":
        return computed >= published
    if bound == "less than":
        return computed <= published
    return abs(computed - published) <= published_tolerance(published, note)


def counterpart(cat: Catalogue, code: str) -> tuple[str | None, str | None]:
    """The registry indicator to compute beside a published ``code``, or why there is none.

    A published figure of an indicator computed from records is compared with itself; one of an
    observed indicator with the catalogue's ``computed_by`` twin (NBS R&D expenditure with the
    records' R&D expenditure); any other observed figure has no counterpart.
    """
    if code not in cat:
        return None, "not_in_catalogue"
    definition = cat[code]
    if isinstance(definition, ObservedDef):
        return (definition.computed_by, None) if definition.computed_by else (None, "observed")
    if any(isinstance(cat[d], ObservedDef) for d in cat.dependencies(code)):
        return None, "observed"
    return code, None


def _published(engine: Engine, region: str | None, period: str | None,
               years: range | None = None
               ) -> list[tuple[m.Observation, m.Source | None, m.Region | None]]:
    query = (select(m.Observation, m.Source, m.Region)
             .join(m.Source, m.Observation.source_id == m.Source.id)
             .outerjoin(m.Region, m.Observation.region_code == m.Region.code)
             .where(m.Source.synthetic.is_(False)))
    if region:
        query = query.where(m.Observation.region_code == region)
    if period:
        query = query.where(m.Observation.period == period)
    elif years is not None:  # the years the deployment covers, and their sub-year periods
        query = query.where(or_(*(m.Observation.period.like(f"{y}%") for y in years)))
    query = query.order_by(m.Observation.indicator_code, m.Observation.region_code,
                           m.Observation.period)
    with Session(engine) as session:
        return [(o, s, r) for o, s, r in session.execute(query)]


def _compute(engine: Engine, wanted: dict[str, set[tuple[str, int]]]
             ) -> dict[tuple[str, str, int], float]:
    """The engine's values for each wanted (indicator, region, year), one call per region."""
    by_region: dict[str, tuple[set[str], set[int]]] = defaultdict(lambda: (set(), set()))
    for code, places in wanted.items():
        for region, year in places:
            by_region[region][0].add(code)
            by_region[region][1].add(year)
    values: dict[tuple[str, str, int], float] = {}
    for region, (codes, years) in sorted(by_region.items()):
        try:
            frame = indicators.compute(engine, sorted(codes), sorted(years), region)
        except (KeyError, ValueError, indicators.IndicatorError):
            continue  # a region the registry does not hold: those figures stay uncomputed
        for row in frame.itertuples():
            if row.value is not None and row.value == row.value:  # NaN: no records
                values[(str(row.indicator), str(row.region), int(row.period))] = float(
                    row.value)
    return values


def _year(period: str) -> int | None:
    return int(period) if period.isdigit() and len(period) == 4 else None


def reconcile(engine: Engine, region: str | None = None, period: str | None = None,
              years: range | None = None) -> Reconciliation:
    """Every published observation (optionally one region's, one period's, or those of the
    ``years`` a deployment covers) beside the catalogue's value for the same indicator, region
    and year."""
    if region is not None and not region.isdigit():
        raise Invalid(f"region {region!r} is not a GB/T 2260 code",
                      f"地区 {region!r} 不是 GB/T 2260 代码")
    cat = load_catalogue()
    published = _published(engine, region, period, years)
    wanted: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for obs, _, _ in published:
        year, twin = _year(obs.period), counterpart(cat, obs.indicator_code)[0]
        if year is not None and twin is not None:
            wanted[twin].add((obs.region_code, year))
    computed = _compute(engine, wanted)
    rows = [_row(cat, obs, source, place, computed) for obs, source, place in published]
    counts = {status: sum(r.status == status for r in rows) for status in STATUSES}
    return Reconciliation(region=region, period=period, rows=rows, counts=counts)


def _row(cat: Catalogue, obs: m.Observation, source: m.Source | None, place: m.Region | None,
         computed: dict[tuple[str, str, int], float]) -> ReconcileRow:
    definition = cat.indicators.get(obs.indicator_code)
    year = _year(obs.period)
    twin, status = counterpart(cat, obs.indicator_code)
    status = status or ("not_a_year" if year is None else None)
    value = None if status or year is None or twin is None else computed.get(
        (twin, obs.region_code, year))
    published = Decimal(obs.value)
    difference = relative = None
    if status is None and value is None:
        status = "no_records"
    elif value is not None:
        difference = value - float(published)
        relative = difference / float(published) if published else None
        status = "match" if _agrees(value, published, obs.note) else "differs"
    return ReconcileRow(
        indicator=obs.indicator_code,
        name_en=definition.name_en if definition else None,
        name_zh=definition.name_zh if definition else None,
        region=obs.region_code, region_name_en=place.name_en if place else None,
        region_name_zh=place.name_zh if place else None, period=obs.period,
        published=float(published), computed=value, computed_as=twin, unit=obs.unit,
        qualifier=qualifier(obs.note),
        source=source.code if source else None,
        source_name_en=source.name_en if source else None,
        source_name_zh=source.name_zh if source else None,
        difference=difference, relative_difference=relative, status=status or "match")
