"""``observatory check`` and the analysts' check page: the data-quality checks of
``observatory.quality.checks`` run on the registry, with their definitions and findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from observatory.quality.checks import (
    CheckDefinitionError,
    load_checks,
    run_checks,
    with_thresholds,
)
from observatory.services.access import allow
from observatory.services.auth import Principal
from observatory.services.context import Deployment
from observatory.services.errors import Invalid


class CheckDefinition(BaseModel):
    code: str
    name_en: str
    name_zh: str
    severity: str
    threshold: float
    about_en: str
    about_zh: str
    findings: int


class CheckFinding(BaseModel):
    check: str
    severity: str
    entity: str
    key: str
    value: float | None
    limit: float
    message_en: str
    message_zh: str


class CheckReport(BaseModel):
    """The checks run (with the thresholds used) and what each found; clean = no finding."""

    clean: bool
    checks: list[CheckDefinition]
    findings: list[CheckFinding]


def parse_thresholds(items: Sequence[str]) -> dict[str, float]:
    """``CODE=VALUE`` items (the CLI's ``--threshold``, the page's ``threshold``) as numbers."""
    out: dict[str, float] = {}
    for item in items:
        code, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError(item)
            out[code.strip()] = float(value)
        except ValueError:
            raise Invalid(f"threshold {item!r}: expected CODE=NUMBER, e.g. figure_moved=0.3",
                          f"阈值 {item!r} 格式应为 检查代码=数值，例如 figure_moved=0.3") from None
    return out


def check_report(engine: Engine, thresholds: Mapping[str, float] | None = None,
                 only: Sequence[str] = ()) -> CheckReport:
    """Run the checks (all, or ``only`` those codes) with any thresholds replaced."""
    try:
        checks = with_thresholds(load_checks(), thresholds or {})
    except CheckDefinitionError as exc:
        raise Invalid(exc.en, exc.zh) from None
    unknown = [c for c in only if c not in {x.code for x in checks}]
    if unknown:
        codes = ", ".join(x.code for x in checks)
        raise Invalid(f"check {unknown[0]!r}: no such check; one of {codes}",
                      f"没有检查 {unknown[0]!r}；可选：{codes}")
    if only:
        checks = [c for c in checks if c.code in only]
    with Session(engine) as session:
        found = run_checks(session, checks)
    findings = [CheckFinding(**vars(f)) for f in found]
    counts = {c.code: sum(f.check == c.code for f in found) for c in checks}
    return CheckReport(clean=not findings, findings=findings, checks=[
        CheckDefinition(code=c.code, name_en=c.name_en, name_zh=c.name_zh, severity=c.severity,
                        threshold=c.threshold, about_en=c.about_en, about_zh=c.about_zh,
                        findings=counts[c.code])
        for c in checks])


def check_view(dep: Deployment, p: Principal, thresholds: Sequence[str] = (),
               only: Sequence[str] = ()) -> CheckReport:
    """The check page for an analyst (cached per database state and parameters)."""
    allow(p, "check")
    parsed = parse_thresholds(thresholds)
    key = (tuple(sorted(parsed.items())), tuple(only))
    return dep.cache.get("check", lambda: check_report(dep.engine, parsed, only), key)
