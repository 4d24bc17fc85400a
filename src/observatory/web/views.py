"""What each page shows, as plain JSON-ready dicts: the HTML page and its JSON twin both call
these, and so does the annual report.

Why here and not in the engines: these functions only load rows, call the domain engines
(targets, funds, market, eligibility; indicators and the composite index when they exist) and
shape the answer. Where an engine is not available they say so ("available": false) rather
than invent numbers. Figures are cached per database state (the newest audit-log id, since every
write goes through the audit log), so a busy overview costs one small query.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.targets.rollup import LAGGING, worst_status

KEY_PLAN = "DOUBLE5-2028"


# ----- cache per database state ------------------------------------------------------------
def db_state(engine: Engine) -> int:
    """A number that changes whenever data changes: the newest audit-log record."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(m.AuditLog.id))).scalar() or 0)


class StateCache:
    """Results keyed by (name, arguments) and valid while the database state is unchanged."""

    def __init__(self, engine: Engine, max_items: int = 256) -> None:
        self.engine, self.max_items = engine, max_items
        self._data: dict[tuple[Any, ...], tuple[int, Any]] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[Any, ...], threading.Lock] = {}

    def get(self, name: str, compute: Callable[[], Any], *args: Any) -> Any:
        key = (name, *args)
        state = db_state(self.engine)
        hit = self._data.get(key)
        if hit is not None and hit[0] == state:
            return hit[1]
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one computation per key; concurrent callers wait for it
            hit = self._data.get(key)
            if hit is not None and hit[0] == state:
                return hit[1]
            value = compute()
            with self._lock:
                if len(self._data) >= self.max_items:
                    self._data.pop(next(iter(self._data)))
                self._data[key] = (state, value)
            return value


def _num(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) or math.isinf(f) else f


# ----- series behind targets and indicators -------------------------------------------------
def _indicator_engine() -> Any | None:
    """The indicators engine module when it provides ``series``; None until it does."""
    try:
        import observatory.indicators as ind
    except ImportError:
        return None
    return ind if hasattr(ind, "series") else None


def observation_series(engine: Engine, code: str, region: str) -> pd.Series:
    """Published or reported statistics (observations) of one indicator as a yearly series."""
    with Session(engine) as session:
        rows = session.execute(select(m.Observation.period, m.Observation.value)
                               .where(m.Observation.indicator_code == code,
                                      m.Observation.region_code == region)).all()
    data = {int(p): float(v) for p, v in rows if str(p).isdigit()}
    return pd.Series(data, dtype="float64").sort_index()


def target_series(engine: Engine, code: str | None, region: str | None
                  ) -> tuple[pd.Series | None, str]:
    """The yearly series a target is assessed on, and where it came from."""
    if not code or not region:
        return None, "none"
    ind = _indicator_engine()
    if ind is not None:
        try:
            s = ind.series(engine, code, region)
            if s is not None and len(s):
                return pd.Series(s, dtype="float64").dropna().sort_index(), "indicators"
        except (KeyError, LookupError, ValueError):
            pass  # not a catalogue indicator: fall back to recorded observations
    s = observation_series(engine, code, region)
    return (s, "observations") if len(s) else (None, "none")


def _series_provider(engine: Engine) -> Callable[[str, str], pd.Series]:
    def series_for(code: str, region: str) -> pd.Series:
        series, _ = target_series(engine, code, region)
        return series if series is not None else pd.Series(dtype="float64")
    return series_for


def indicator_unit(engine: Engine, code: str | None) -> str | None:
    """The unit of an indicator: the catalogue's, else the recorded observations'."""
    if not code:
        return None
    ind = _indicator_engine()
    if ind is not None:
        try:
            return getattr(ind.load_catalogue()[code], "unit", None)
        except (KeyError, LookupError):
            pass
    with Session(engine) as session:
        return session.scalar(select(m.Observation.unit)
                              .where(m.Observation.indicator_code == code).limit(1))


def _target_dict(ts: Any, origin: str, unit: str | None = None) -> dict[str, Any]:
    """A ``targets.plans.TargetStatus`` as the pages and the report show it."""
    d = ts.as_dict()
    fan = []
    for rec in d.get("fan") or []:
        year = rec.get("year", rec.get("index"))
        fan.append([int(year), _num(rec.get("p10")), _num(rec.get("p50")), _num(rec.get("p90"))])
    return {
        "code": d["code"], "name_en": d["name_en"], "name_zh": d["name_zh"],
        "indicator": d["indicator"], "unit": unit, "region": d["region"], "form": d["form"],
        "item": d["item"], "owner": d["owner"], "illustrative": d["illustrative"],
        "method": d["method"], "status": d["status"], "probability": _num(d["probability"]),
        "base_year": d["base_year"], "current_year": d["current_year"],
        "current_value": _num(d["current_value"]), "target_year": d["target_year"],
        "target_value": _num(d["target_value"]), "required_rate": _num(d.get("required_rate")),
        "observed_rate": _num(d.get("observed_rate")), "series_source": origin,
        "history": [[int(y), float(v)] for y, v in sorted(d["history"].items())],
        "fan": fan, "note": d["error"] or d["note"] or (
            "" if d["history"] else "no series for this indicator"),
    }


# ----- overview and plans -------------------------------------------------------------------
def plans_tree(engine: Engine, assessment_year: int | None = None) -> dict[str, Any]:
    """Plan > major projects > key tasks > targets with owners and statuses, assessed by
    ``observatory.targets.plans`` (the same path as ``observatory targets status``)."""
    from observatory.targets.plans import plan_statuses

    with Session(engine) as session:
        statuses = plan_statuses(session, _series_provider(engine),
                                 assessment_year=assessment_year, seed=0)
        order = {c: i for i, c in enumerate(session.scalars(select(m.Plan.code)
                                                            .order_by(m.Plan.id)))}
        items = {i.code: i for i in session.scalars(select(m.PlanItem))}
    origins: dict[str | None, str] = {}
    units: dict[str | None, str | None] = {}
    out = []
    for ps in sorted(statuses, key=lambda p: order.get(p.code, 0)):
        targets = []
        for ts in ps.targets:
            key = ts.indicator
            if key not in origins:
                origins[key] = target_series(engine, ts.indicator, ts.region or "")[1] \
                    if ts.indicator else "none"
            if key not in units:
                units[key] = indicator_unit(engine, key)
            targets.append(_target_dict(ts, origins[key], units[key]))
        by_item: dict[str | None, list[dict[str, Any]]] = {}
        for tg in targets:
            by_item.setdefault(tg["item"], []).append(tg)

        def node(task: Any, ps: Any = ps, by_item: dict[str | None, list[dict[str, Any]]]
                 = by_item) -> dict[str, Any]:
            row = items.get(task.code)
            kids = [node(k, ps, by_item) for k in ps.items if k.parent == task.code]
            return {"code": task.code, "kind": task.kind, "name_en": task.name_en,
                    "name_zh": task.name_zh, "owner": task.owner,
                    "status": row.status if row is not None else None,
                    "due_on": row.due_on.isoformat() if row is not None and row.due_on else None,
                    "targets": by_item.get(task.code, []), "children": kids,
                    "rollup_status": task.status}
        out.append({
            "code": ps.code, "name_en": ps.name_en, "name_zh": ps.name_zh, "owner": ps.owner,
            "major_projects": [node(i) for i in ps.items if i.parent is None],
            "targets": targets, "rollup_status": worst_status([t["status"] for t in targets]),
            "summary": {"counts": ps.summary.counts, "lagging": ps.summary.lagging,
                        "not_assessed": ps.summary.not_assessed, "total": ps.summary.total},
        })
    return {"assessment_year": assessment_year, "plans": out}


def overview(engine: Engine, tree: dict[str, Any] | None = None) -> dict[str, Any]:
    """The five key indicators against the 2028 doubling, the other plans' targets, what lags."""
    tree = tree or plans_tree(engine)
    key = next((p for p in tree["plans"] if p["code"] == KEY_PLAN), None)
    others = [p for p in tree["plans"] if p["code"] != KEY_PLAN]
    lagging = [t for p in tree["plans"] for t in p["targets"] if t["status"] in LAGGING]
    with Session(engine) as session:
        synthetic = bool(session.scalar(select(func.count()).select_from(m.Source)
                                        .where(m.Source.synthetic.is_(True))))
        gii = session.execute(select(m.Observation.period, m.Observation.value)
                              .where(m.Observation.indicator_code == "gii_rank")
                              .order_by(m.Observation.period)).all()
    return {
        "synthetic": synthetic,
        "key_plan": {k: key[k] for k in ("code", "name_en", "name_zh", "owner")} if key else None,
        "key_indicators": key["targets"] if key else [],
        "other_plans": [{k: p[k] for k in ("code", "name_en", "name_zh", "owner",
                                           "rollup_status", "targets")} for p in others],
        "lagging": [{k: t[k] for k in ("code", "name_en", "name_zh", "status", "method")}
                    for t in lagging],
        "gii_rank": [[int(p), float(v)] for p, v in gii],
    }


# ----- indicators explorer ------------------------------------------------------------------
def indicator_catalogue(engine: Engine) -> dict[str, Any]:
    """Catalogue indicators (when the engine is there) and the recorded statistics."""
    ind = _indicator_engine()
    catalogue: list[dict[str, Any]] = []
    if ind is not None:
        cat = ind.load_catalogue()
        for code in cat:
            item = cat[code]
            catalogue.append({"code": code, "name_en": getattr(item, "name_en", None),
                              "name_zh": getattr(item, "name_zh", None),
                              "unit": getattr(item, "unit", None)})
    with Session(engine) as session:
        rows = session.execute(
            select(m.Observation.indicator_code, m.Observation.unit, func.count(),
                   func.min(m.Observation.period), func.max(m.Observation.period))
            .group_by(m.Observation.indicator_code, m.Observation.unit)
            .order_by(m.Observation.indicator_code)).all()
    observed = [{"code": c, "unit": u, "observations": n, "first": a, "last": b}
                for c, u, n, a, b in rows]
    return {"engine_available": ind is not None, "catalogue": catalogue, "observed": observed}


def indicator_values(engine: Engine, code: str, by: str = "year",
                     region: str = "370200") -> dict[str, Any]:
    """Values of one indicator by year, or by year and district (the engine's roll-up)."""
    ind = _indicator_engine()
    if ind is not None:
        try:
            df = ind.compute(engine, [code], region=region,
                             by=("region",) if by == "district" else ())
            meta = ind.load_catalogue()[code]
            return {"code": code, "source": "indicators", "region": region,
                    "name_en": getattr(meta, "name_en", None),
                    "name_zh": getattr(meta, "name_zh", None),
                    "rows": json_records(pd.DataFrame(df))}
        except (KeyError, LookupError, ValueError):
            pass  # not in the catalogue: show the recorded observations
    with Session(engine) as session:
        rows = session.execute(
            select(m.Observation, m.Source.code, m.Source.synthetic)
            .join(m.Source, m.Source.id == m.Observation.source_id, isouter=True)
            .where(m.Observation.indicator_code == code)
            .order_by(m.Observation.region_code, m.Observation.period)).all()
    return {"code": code, "source": "observations", "region": region, "name_en": None,
            "name_zh": None, "rows": [
                {"indicator": code, "region": o.region_code, "period": o.period,
                 "value": _num(o.value), "unit": o.unit, "source": src,
                 "synthetic": bool(syn), "source_ref": o.source_ref, "note": o.note}
                for o, src, syn in rows]}


def district_comparison(engine: Engine, data: dict[str, Any]) -> dict[str, Any] | None:
    """The districts of ``data``'s region in the latest period that has a value for them,
    with each value's position between the smallest and largest (for the tile colours)."""
    with Session(engine) as session:
        names = {c: (zh, en) for c, zh, en in session.execute(
            select(m.Region.code, m.Region.name_zh, m.Region.name_en)
            .where(m.Region.parent_code == data["region"]))}
    rows = [r for r in data["rows"] if r.get("region") in names and r.get("value") is not None
            and len([k for k in r if k not in FIXED_COLUMNS]) == 0]
    if not rows:
        return None
    period = max(int(r["period"]) for r in rows)
    latest = sorted((r for r in rows if int(r["period"]) == period),
                    key=lambda r: -float(r["value"]))
    values = [float(r["value"]) for r in latest]
    lo, hi = min(values), max(values)
    return {"period": period, "unit": latest[0].get("unit"), "districts": [
        {"code": r["region"], "name_zh": names[r["region"]][0], "name_en": names[r["region"]][1],
         "value": float(r["value"]),
         "share": (float(r["value"]) - lo) / (hi - lo) if hi > lo else 1.0} for r in latest]}


FIXED_COLUMNS = {"indicator", "region", "period", "value", "unit", "n_records", "method",
                 "source", "synthetic", "source_ref", "note"}
EXPORT_COLUMNS = ["indicator", "region", "period", "value", "unit"]


def indicator_frame(data: dict[str, Any]) -> pd.DataFrame:
    """The rows of an indicator page as the export functions take them."""
    frame = pd.DataFrame(data["rows"])
    if data["source"] != "indicators":  # recorded observations: only the SDMX columns
        frame = frame[EXPORT_COLUMNS]
    return frame[frame["value"].notna()].reset_index(drop=True)


def indicator_sdmx_csv(data: dict[str, Any]) -> str:
    """SDMX-CSV by ``observatory.indicators.export`` (dataflow OBSERVATORY:INDICATORS)."""
    from observatory.indicators.export import to_sdmx_csv

    frame = indicator_frame(data)
    frame["period"] = frame["period"].astype(str)
    return to_sdmx_csv(frame)


def indicator_xlsx(data: dict[str, Any]) -> bytes:
    """A workbook: the values with the catalogue's bilingual metadata, and a sheet saying
    what was computed and how (the same content as ``observatory indicators export``)."""
    import io

    from observatory.indicators.export import with_metadata

    frame = indicator_frame(data)
    if data["source"] == "indicators":
        frame = with_metadata(frame)
    about = pd.DataFrame({"item": ["indicator", "name_en", "name_zh", "source", "generated",
                                   "method"],
                          "value": [data["code"], data.get("name_en"), data.get("name_zh"),
                                    data["source"],
                                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                                    "docs/methodology/indicators.md"]})
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="data", index=False)
        about.to_excel(writer, sheet_name="about", index=False)
    return buffer.getvalue()


def indicator_records(engine: Engine, code: str, region: str, period: int,
                      limit: int = 500) -> dict[str, Any] | None:
    """The records behind one figure (drill-down); None when the engine cannot say."""
    ind = _indicator_engine()
    if ind is None:
        return None
    try:
        df = pd.DataFrame(ind.records(engine, code, region=region, period=period))
    except (KeyError, LookupError, ValueError):
        return None
    return {"code": code, "region": region, "period": period, "total": len(df),
            "rows": json_records(df.head(limit))}


def json_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({k: _jsonable(v) for k, v in rec.items()})
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


# ----- composite index ----------------------------------------------------------------------
def index_page(engine: Engine, runs: int = 300) -> dict[str, Any]:
    """The city's GII rank history (published) and the district index with rank intervals."""
    from observatory.index.district import district_index

    s = observation_series(engine, "gii_rank", "370200")
    result = district_index(engine, runs=runs)
    structure = result.structure
    return {"gii_rank": [[int(y), float(v)] for y, v in s.items()],
            "district_index_available": True,
            "structure": {"code": structure.code, "name_en": structure.name_en,
                          "name_zh": structure.name_zh, "year": structure.year,
                          "pillars": [p.model_dump() for p in structure.pillars],
                          "indicators": [i.model_dump() for i in structure.indicators],
                          "method": {"normalise": "min-max 1-100", "aggregate":
                                     "weighted arithmetic mean, equal weights",
                                     "uncertainty": "weights ±25 %, min-max or z-score, "
                                     "arithmetic or geometric mean", "runs": runs}},
            "district_index": json_records(result.results.reset_index())}


# ----- funds --------------------------------------------------------------------------------
def funds_page(engine: Engine, codes: set[str] | None = None,
               as_of: dt.date | None = None) -> dict[str, Any]:
    """Per-fund figures from ``observatory.funds.registry.fund_report`` (as ``observatory funds
    metrics`` prints them), restricted to ``codes`` when given (a fund manager's funds)."""
    from observatory.funds.registry import fund_report

    as_of = as_of or dt.date.today()
    report = fund_report(engine, as_of)
    df = report.funds
    if codes is not None:
        df = df[df["fund"].isin(codes)]
    out = []
    for rec in json_records(df):
        out.append({"code": rec["fund"], "parent": rec.get("parent"),
                    "name_zh": rec.get("name_zh"), "name_en": rec.get("name_en"),
                    "kind": rec.get("kind"), "vintage": rec.get("vintage"),
                    "size_yuan": rec.get("size"), "committed": rec.get("committed"),
                    "paid_in": rec.get("paid_in"), "distributed": rec.get("distributed"),
                    "nav": rec.get("nav"), "invested": rec.get("invested"),
                    "dpi": rec.get("dpi"), "tvpi": rec.get("tvpi"), "irr": rec.get("irr"),
                    "deals": rec.get("deals")})
    return {"as_of": as_of.isoformat(), "funds": out}


# ----- marketplace --------------------------------------------------------------------------
def _listing_record(row: Any, kind: str) -> dict[str, Any]:
    from observatory.market.listing import FIELDS

    rec: dict[str, Any] = {"id": row.code, "kind": kind,
                           "field": row.field_code if row.field_code in FIELDS else None,
                           "trl": row.trl, "region_code": row.region_code,
                           "status": row.status, "visibility": row.visibility,
                           "published_on": row.published_on.isoformat()
                           if row.published_on else None,
                           "owner": str(row.owner_organisation_id or "")}
    for f in ("title", "summary", "problem", "advantages", "applications", "keywords"):
        for lang in ("zh", "en"):
            rec[f"{f}_{lang}"] = getattr(row, f"{f}_{lang}")
    money = row.asking_price_yuan if kind == "achievement" else row.budget_yuan
    rec["price_yuan" if kind == "achievement" else "budget_yuan"] = (
        None if money is None else str(money))
    return rec


# ----- enterprises --------------------------------------------------------------------------
def enterprise_profile(engine: Engine, org_id: int) -> dict[str, Any] | None:
    with Session(engine) as session:
        org = session.get(m.Organisation, org_id)
        if org is None:
            return None
        designations = session.scalars(select(m.Designation)
                                       .where(m.Designation.organisation_id == org_id)
                                       .order_by(m.Designation.valid_from)).all()
        years = session.scalars(select(m.OrganisationYear)
                                .where(m.OrganisationYear.organisation_id == org_id)
                                .order_by(m.OrganisationYear.year)).all()
        rd = session.execute(select(m.RdExpenditure.year, func.sum(m.RdExpenditure.amount_yuan))
                             .where(m.RdExpenditure.organisation_id == org_id)
                             .group_by(m.RdExpenditure.year)).all()
        in_force: dict[str, m.OrganisationFact] = {}
        for fact in session.scalars(select(m.OrganisationFact).where(
                m.OrganisationFact.organisation_id == org_id,
                m.OrganisationFact.observed_on <= dt.date.today())
                .order_by(m.OrganisationFact.observed_on)):
            in_force[fact.fact_code] = fact  # date order: the newest observation wins
        facts = [{"code": f.fact_code, "observed_on": f.observed_on.isoformat(),
                  "value": f.value} for _, f in sorted(in_force.items())]
        listings = []
        for model, kind in ((m.Achievement, "achievement"), (m.Demand, "demand")):
            for row in session.scalars(select(model).where(
                    model.owner_organisation_id == org_id).order_by(model.code)):
                listings.append({"code": row.code, "kind": kind, "title_zh": row.title_zh,
                                 "title_en": row.title_en, "status": row.status})
    rd_by_year = {int(y): _num(v) for y, v in rd}
    return {
        "id": org.id, "uscc": org.uscc, "name_zh": org.name_zh, "name_en": org.name_en,
        "kind": org.kind, "region": org.region_code, "industry": org.industry_code,
        "founded_on": org.founded_on.isoformat() if org.founded_on else None,
        "designations": [{"type": d.type_code, "level": d.level, "status": d.status,
                          "certificate_no": d.certificate_no,
                          "valid_from": d.valid_from.isoformat() if d.valid_from else None,
                          "valid_to": d.valid_to.isoformat() if d.valid_to else None}
                         for d in designations],
        "years": [{"year": y.year, "revenue": _num(y.revenue_yuan),
                   "total_revenue": _num(y.total_revenue_yuan),
                   "high_tech_revenue": _num(y.high_tech_revenue_yuan),
                   "employees": y.employees, "tech_staff": y.tech_staff,
                   "rd_expense": rd_by_year.get(y.year),
                   "rd_expense_domestic": _num(y.rd_expense_domestic_yuan),
                   "transformations": y.achievements_transformed,
                   "ip_class1": y.ip_class1, "ip_class2": y.ip_class2} for y in years],
        "facts": facts,
        "listings": listings,
    }


def eligibility_packs() -> list[dict[str, str]]:
    from observatory.eligibility.packs import load_packs

    return [{"code": p.code, "name_en": p.name_en, "name_zh": p.name_zh}
            for p in load_packs().values()]


def self_assess(pack_code: str, founded: dt.date, figures: dict[str, float | None],
                ip_class1: int | None, year: int, lang: str) -> dict[str, Any]:
    """Run the eligibility evaluator on figures a user typed in (nothing is stored)."""
    from observatory.eligibility.evaluator import assess as assess_pack

    enterprise = {"founded": founded, "fiscal_year": year,
                  "as_of": dt.date(year + 1, 6, 30),
                  "years": [{"year": year, **{k: v for k, v in figures.items()
                                              if v is not None}}],
                  "ip": {"class1": ip_class1} if ip_class1 is not None else {}}
    result = assess_pack(bundled_pack(pack_code), enterprise)
    failing = result.failing()
    return {"pack": result.pack, "status": result.status, "as_of": result.as_of.isoformat(),
            "shortfall": _num(result.shortfall), "unverified": list(result.unverified),
            "failing": [_criterion_text(c, lang) for c in failing],
            "criteria": [_criterion_text(c, lang) for c in result.criteria]}


def bundled_pack(code: str) -> Any:
    """A pack shipped with the platform, by code. Never a path: web input must not name files.

    >>> bundled_pack("../../etc/passwd.yaml")
    Traceback (most recent call last):
    ...
    ValueError: pack '../../etc/passwd.yaml': no such pack / 没有该规则包
    """
    from observatory.eligibility.packs import get_pack, pack_files

    if code not in {p.stem for p in pack_files()}:
        raise ValueError(f"pack {code!r}: no such pack / 没有该规则包")
    return get_pack(code)


def registry_assessment(engine: Engine, org_id: int, pack_code: str, as_of: dt.date,
                        lang: str) -> dict[str, Any]:
    """Assess an organisation from what the registry holds (the CLI's ``--org`` path).

    Raises ``LookupError`` for an organisation not in the registry and ``ValueError``
    (bilingual message) for an unknown pack or an organisation that cannot be assessed at
    ``as_of`` (no founding date, founded later).
    """
    from observatory.eligibility.evaluator import Evaluator
    from observatory.eligibility.registry import RegistryInputError, load_enterprise

    pack = bundled_pack(pack_code)
    with Session(engine) as session:
        uscc = session.scalar(select(m.Organisation.uscc).where(m.Organisation.id == org_id))
        if uscc is None:
            raise LookupError(f"organisation {org_id}: not in the registry / 登记库中没有该组织")
        try:
            enterprise = load_enterprise(session, uscc, as_of)
        except RegistryInputError as exc:
            raise ValueError(f"{exc.message_en} / {exc.message_zh}") from None
    result = Evaluator(pack).assess(enterprise, as_of)
    missing = sorted({f for c in result.criteria for leaf in c.leaves() for f in leaf.missing})
    return {"pack": result.pack, "pack_version": result.pack_version,
            "status": result.status, "as_of": result.as_of.isoformat(),
            "fiscal_year": result.fiscal_year, "source": "registry",
            "missing": missing, "unverified": list(result.unverified),
            "failing": [_criterion_text(c, lang) for c in result.failing()],
            "criteria": [_criterion_text(c, lang) for c in result.criteria]}


def _criterion_text(c: Any, lang: str) -> dict[str, Any]:
    name = c.name_zh if lang == "zh" else c.name_en
    sentence = c.sentence_zh if lang == "zh" else c.sentence_en
    return {"criterion": name or c.id, "status": str(c.status), "reason": sentence}
