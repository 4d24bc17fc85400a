"""The phrase catalogue is complete in both languages; numbers and yuan follow the locale."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import get_args

from observatory import i18n
from observatory.eligibility.evaluator import Status as EligibilityStatus
from observatory.market.contracts import CONTRACT_TYPES
from observatory.market.workflow import STATUSES
from observatory.registry.entities import SPECS
from observatory.services.reconcile import BOUNDS
from observatory.services.reconcile import STATUSES as RECONCILE_STATUSES
from observatory.targets.rollup import NOT_AVAILABLE, SEVERITY

PACKAGE = Path(i18n.__file__).parent
PLAN_ITEM_STATUSES = SPECS["plan_items"].field("status").choices or ()
TEMPLATES = [PACKAGE / "web" / "templates", PACKAGE / "reports" / "templates"]


def test_every_key_has_both_languages() -> None:
    for key, texts in i18n.CATALOGUE.items():
        assert set(texts) == {"zh", "en"}, key
        assert all(v.strip() for v in texts.values()), key
        # the language switch names the other language
        assert re.search(r"[\u4e00-\u9fff]", texts["zh"]) or key == "language", key


def test_every_key_used_in_templates_exists() -> None:
    used = set()
    for path in (p for folder in TEMPLATES for p in folder.glob("*.html")):
        used |= set(re.findall(r"""\bt\(\s*'([a-z_0-9]+)'""", path.read_text()))
    assert used, "templates use the catalogue"
    # keys built from a value (t('ct_' ~ type)): every value of that family needs a phrase
    families = {"ct_": CONTRACT_TYPES, "mode_": ("bm25", "hybrid"),
                "source_": ("indicators", "observations"),
                "run_": ("invalid", "validated", "committed", "discarded"),  # import runs
                "ps_": PLAN_ITEM_STATUSES, "ds_": ("applied", "granted", "revoked", "expired"),
                "el_": get_args(EligibilityStatus), "rc_": (*RECONCILE_STATUSES, *BOUNDS),
                "sev_": ("error", "warning"),
                "rv_": ("pending", "accepted", "rejected", "all", "auto", "review", "none")}
    for prefix in {k for k in used if k.endswith("_") and k not in i18n.CATALOGUE}:
        assert prefix in families, prefix
        used.discard(prefix)
        used |= {prefix + v for v in families[prefix]}
    assert used <= set(i18n.CATALOGUE), used - set(i18n.CATALOGUE)


def test_every_unit_and_method_has_words_in_both_languages() -> None:
    from observatory import indicators
    from observatory.targets.assess import METHODS

    cat = indicators.load_catalogue()
    units = {getattr(cat[code], "unit", None) for code in cat} - {None}
    assert units <= set(i18n.UNITS), units - set(i18n.UNITS)
    assert i18n.unit_label("enterprises", "zh") == "家" and i18n.unit_label("odd", "zh") == "odd"
    assert set(METHODS) <= set(i18n.METHODS)
    for method in METHODS:
        assert re.search(r"[\u4e00-\u9fff]", i18n.method_label(method, "zh")), method
    assert i18n.fmt_value(1234, "enterprises", "zh") == "1,234 家"


def test_every_workflow_status_has_a_label() -> None:
    for status in STATUSES:
        assert f"st_{status}" in i18n.CATALOGUE, status


def test_every_progress_status_has_a_label() -> None:
    for status in [*SEVERITY, NOT_AVAILABLE]:
        assert f"st_{status}" in i18n.CATALOGUE, status


def test_yuan_in_each_audience_s_units() -> None:
    # the seed's 145.9 bn yuan of guidance funds
    assert i18n.fmt_yuan(145_900_000_000, "zh") == "1,459.00 亿元"
    assert i18n.fmt_yuan(145_900_000_000, "en") == "145.90 bn yuan"
    assert i18n.fmt_yuan(7_000_000, "zh") == "700.0 万元"
    assert i18n.fmt_yuan(7_000_000, "en") == "7.0 m yuan"
    assert i18n.fmt_yuan(None, "en") == "—"


def test_dates_and_percentages_per_locale() -> None:
    day = dt.date(2024, 12, 31)
    assert i18n.fmt_date(day, "zh") == "2024年12月31日"
    assert i18n.fmt_date(day, "en") == "31 Dec 2024"
    assert i18n.fmt_percent(0.264, "en") == "26%"
