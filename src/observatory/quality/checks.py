"""Data-quality checks on the registry, each a definition (``checks.yaml``: code, bilingual
name, severity, threshold) and a query returning findings.

What each check means (and why a statistics office runs it) is in docs/methodology/check.md.
Dissolution is recorded as an organisation fact ``dissolved`` (yes) dated at the dissolution.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory.registry import models as m

SEVERITIES = ("error", "warning")
DISSOLVED_FACT = "dissolved"


class CheckDefinitionError(ValueError):
    """A check definition or a threshold that cannot be used (English and Chinese)."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(f"{en} / {zh}")
        self.en, self.zh = en, zh


@dataclass(frozen=True)
class Check:
    code: str
    name_en: str
    name_zh: str
    severity: str
    threshold: float
    about_en: str
    about_zh: str


@dataclass(frozen=True)
class Finding:
    """One record a check reports: where it is, what was found and against which limit."""

    check: str
    severity: str
    entity: str
    key: str
    value: float | None
    limit: float
    message_en: str
    message_zh: str


def _validated(raw: Mapping[str, Any], where: str) -> Check:
    missing = [k for k in ("code", "name_en", "name_zh", "severity", "threshold") if k not in raw]
    if missing:
        raise CheckDefinitionError(f"{where}: field {missing[0]!r} missing",
                                   f"{where}：缺少字段 {missing[0]!r}")
    if raw["code"] not in RUNNERS:
        raise CheckDefinitionError(f"{where}: no check named {raw['code']!r}",
                                   f"{where}：没有名为 {raw['code']!r} 的检查")
    if raw["severity"] not in SEVERITIES:
        raise CheckDefinitionError(f"{where}: severity {raw['severity']!r} is not one of "
                                   f"{', '.join(SEVERITIES)}", f"{where}：严重程度 "
                                   f"{raw['severity']!r} 无效")
    threshold = raw["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold < 0:
        raise CheckDefinitionError(f"{where}: threshold {threshold!r} must be a number ≥ 0",
                                   f"{where}：阈值 {threshold!r} 须为不小于0的数")
    return Check(str(raw["code"]), str(raw["name_en"]), str(raw["name_zh"]),
                 str(raw["severity"]), float(threshold), str(raw.get("about_en", "")),
                 str(raw.get("about_zh", "")))


def load_checks(text: str | None = None) -> list[Check]:
    """The check definitions (the bundled ``checks.yaml`` unless ``text`` is given), validated."""
    if text is None:
        text = resources.files("observatory.quality").joinpath("checks.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    items = data.get("checks") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise CheckDefinitionError("checks.yaml: a list 'checks' is needed",
                                   "checks.yaml：需要列表 checks")
    checks = [_validated(raw if isinstance(raw, dict) else {}, f"checks.yaml item {i + 1}")
              for i, raw in enumerate(items)]
    codes = [c.code for c in checks]
    dup = next((c for c in codes if codes.count(c) > 1), None)
    if dup:
        raise CheckDefinitionError(f"checks.yaml: check {dup!r} defined twice",
                                   f"checks.yaml：检查 {dup!r} 重复定义")
    return checks


def with_thresholds(checks: list[Check], thresholds: Mapping[str, float]) -> list[Check]:
    """The checks with some thresholds replaced (unknown codes and negative values refused)."""
    known = {c.code for c in checks}
    for code, value in thresholds.items():
        if code not in known:
            raise CheckDefinitionError(f"threshold for {code!r}: no such check; one of "
                                       f"{', '.join(sorted(known))}",
                                       f"阈值 {code!r}：没有该检查")
        if value < 0:
            raise CheckDefinitionError(f"threshold for {code!r}: {value} must be ≥ 0",
                                       f"阈值 {code!r}：{value} 须不小于0")
    return [replace(c, threshold=float(thresholds[c.code])) if c.code in thresholds else c
            for c in checks]


# -- the checks -----------------------------------------------------------------------------------
def _funds_paid_in(session: Session, check: Check) -> Iterable[Finding]:
    committed = dict(session.execute(select(m.FundCommitment.fund_id,
                                            func.sum(m.FundCommitment.amount_yuan))
                                     .group_by(m.FundCommitment.fund_id)).all())
    paid = session.execute(select(m.FundCashFlow.fund_id, func.sum(m.FundCashFlow.amount_yuan))
                           .where(m.FundCashFlow.kind.in_(("call", "fee")))
                           .group_by(m.FundCashFlow.fund_id)).all()
    codes = dict(session.execute(select(m.Fund.id, m.Fund.code)).all())
    for fund_id, amount in paid:
        over = float(amount) - float(committed.get(fund_id) or 0)
        if over > check.threshold:
            yield Finding(check.code, check.severity, "funds", codes[fund_id], float(amount),
                          float(committed.get(fund_id) or 0),
                          f"fund {codes[fund_id]}: paid in {float(amount):,.0f} yuan, "
                          f"{over:,.0f} above its commitments",
                          f"基金 {codes[fund_id]}：实缴 {float(amount):,.0f} 元，超过认缴 "
                          f"{over:,.0f} 元")


def _overlapping(session: Session, check: Check) -> Iterable[Finding]:
    d = m.Designation
    rows = session.execute(
        select(d.organisation_id, d.type_code, d.certificate_no, d.valid_from, d.valid_to)
        .where(d.status.in_(("granted", "expired")), d.valid_from.is_not(None))
        .order_by(d.organisation_id, d.type_code, d.valid_from, d.id)).all()
    last: dict[tuple[int, str], tuple[str, date | None]] = {}
    for org, type_code, cert, start, end in rows:
        if start is None:
            continue
        prev = last.get((org, type_code))
        if prev is not None:
            prev_cert, prev_end = prev
            overlap = None if prev_end is None else (prev_end - start).days + 1
            if prev_end is None or (overlap is not None and overlap > check.threshold):
                days = "open-ended" if overlap is None else f"{overlap} days"
                yield Finding(check.code, check.severity, "designations", cert,
                              None if overlap is None else float(overlap), check.threshold,
                              f"certificate {cert} ({type_code}) starts {start} while "
                              f"{prev_cert} of the same organisation runs on ({days} overlap)",
                              f"证书 {cert}（{type_code}）于 {start} 生效时，同一机构的 "
                              f"{prev_cert} 仍有效（重叠 {days}）")
        if prev is None or prev[1] is not None and (end is None or end > prev[1]):
            last[(org, type_code)] = (cert, end)


def _contract_amounts(session: Session, check: Check) -> Iterable[Finding]:
    c = m.TechnologyContract
    rows = session.execute(select(c.registration_no, c.total_amount_yuan,
                                  c.technology_amount_yuan)
                           .where(c.technology_amount_yuan > c.total_amount_yuan
                                  + check.threshold)).all()
    for reg, total, tech in rows:
        yield Finding(check.code, check.severity, "technology_contracts", reg, float(tech),
                      float(total), f"contract {reg}: technology amount {float(tech):,.0f} "
                      f"yuan exceeds the total {float(total):,.0f}",
                      f"合同 {reg}：技术交易额 {float(tech):,.0f} 元超过合同总额 "
                      f"{float(total):,.0f} 元")


def _dissolved(session: Session, check: Check) -> Iterable[Finding]:
    f, d = m.OrganisationFact, m.Designation
    facts = session.execute(select(f.organisation_id, f.observed_on, f.value_bool)
                            .where(f.fact_code == DISSOLVED_FACT)
                            .order_by(f.organisation_id, f.observed_on)).all()
    dissolved: dict[int, date | None] = {}
    for org, on, flag in facts:  # the newest fact is in force: a reinstatement clears it
        dissolved[org] = on if flag else None
    ended = {org: on for org, on in dissolved.items() if on is not None}
    if not ended:
        return
    rows = session.execute(select(d.organisation_id, d.certificate_no, d.type_code, d.valid_to)
                           .where(d.organisation_id.in_(list(ended)),
                                  d.status == "granted")).all()
    for org, cert, type_code, valid_to in rows:
        on = ended[org]
        days = None if valid_to is None else (valid_to - on).days
        if days is None or days > check.threshold:
            until = "with no end" if valid_to is None else f"until {valid_to}"
            until_zh = "无截止" if valid_to is None else f"至 {valid_to}"
            yield Finding(check.code, check.severity, "designations", cert,
                          None if days is None else float(days), check.threshold,
                          f"designation {cert} ({type_code}) is valid {until}, but its "
                          f"organisation was dissolved on {on}",
                          f"资质 {cert}（{type_code}）有效期{until_zh}，"
                          f"但该机构已于 {on} 注销")


_PERIOD_KIND = (("Q", re.compile(r"^(\d{4})-Q([1-4])$")), ("M", re.compile(r"^(\d{4})-(\d{2})$")),
                ("H", re.compile(r"^(\d{4})-H([12])$")), ("Y", re.compile(r"^(\d{4})()$")))


def _period_key(period: str) -> tuple[str, int] | None:
    """(kind, ordinal) of a period, so consecutive periods of one kind can be compared."""
    for kind, pattern in _PERIOD_KIND:
        hit = pattern.match(period.strip())
        if hit:
            year, sub = int(hit.group(1)), int(hit.group(2) or 0)
            per_year = {"Q": 4, "M": 12, "H": 2, "Y": 1}[kind]
            return kind, year * per_year + max(sub - 1, 0)
    return None


def _figure_moved(session: Session, check: Check) -> Iterable[Finding]:
    o = m.Observation
    series: dict[tuple[str, str, str], list[tuple[int, str, float]]] = {}
    for code, region, period, value in session.execute(
            select(o.indicator_code, o.region_code, o.period, o.value)):
        key = _period_key(period)
        if key is not None and value is not None:
            series.setdefault((code, region, key[0]), []).append((key[1], period, float(value)))
    for (code, region, _), points in sorted(series.items()):
        points.sort()
        for (n0, p0, v0), (n1, p1, v1) in zip(points, points[1:], strict=False):
            if n1 != n0 + 1 or v0 == 0:
                continue
            change = v1 / v0 - 1
            if abs(change) > check.threshold:
                yield Finding(check.code, check.severity, "observations",
                              f"{code}/{region}/{p1}", change, check.threshold,
                              f"{code} for {region}: {v0:,.6g} in {p0} → {v1:,.6g} in {p1} "
                              f"({change:+.1%}, limit ±{check.threshold:.0%})",
                              f"{code}（{region}）：{p0} 为 {v0:,.6g}，{p1} 为 {v1:,.6g}"
                              f"（变动 {change:+.1%}，阈值 ±{check.threshold:.0%}）")


RUNNERS: dict[str, Callable[[Session, Check], Iterable[Finding]]] = {
    "fund_paid_in_over_commitments": _funds_paid_in,
    "overlapping_certificates": _overlapping,
    "contract_technology_over_total": _contract_amounts,
    "designation_of_dissolved_organisation": _dissolved,
    "figure_moved": _figure_moved,
}


def run_checks(session: Session, checks: Iterable[Check]) -> list[Finding]:
    """Every finding of the checks given, in check order then by record key."""
    out: list[Finding] = []
    for check in checks:
        out += sorted(RUNNERS[check.code](session, check), key=lambda f: f.key)
    return out


__all__ = ["DISSOLVED_FACT", "RUNNERS", "SEVERITIES", "Check", "CheckDefinitionError",
           "Finding", "load_checks", "run_checks", "with_thresholds"]
