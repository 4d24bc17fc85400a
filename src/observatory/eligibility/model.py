"""The enterprise input schema for eligibility assessment (a dict / JSON validated by pydantic).

Money is in yuan, ratios are fractions (0.05 = 5 %), headcounts are annual averages. Every field is
optional except the founding date: a criterion that needs a missing figure reports
``insufficient_data`` and names the figure, instead of guessing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

YEAR_FIELDS: dict[str, tuple[str, str]] = {
    # field: (English description, Chinese description)
    "revenue": ("sales / operating revenue (main + other business)", "销售收入/营业收入"),
    "main_business_revenue": ("main-business revenue", "主营业务收入"),
    "total_revenue": ("total revenue (gross revenue − non-taxable income)", "总收入"),
    "high_tech_revenue": ("high-tech product (service) revenue", "高新技术产品（服务）收入"),
    "rd_expense": ("R&D expense", "研究开发费用"),
    "rd_expense_domestic": ("R&D expense incurred in China", "境内研究开发费用"),
    "total_cost_expense": ("total cost and expense", "成本费用总额"),
    "net_profit": ("net profit", "净利润"),
    "net_assets": ("net assets at year end", "年末净资产"),
    "total_assets": ("total assets at year end", "年末资产总额"),
    "total_liabilities": ("total liabilities at year end", "年末负债总额"),
    "employees": ("employees (annual average)", "职工总数（年平均）"),
    "tech_staff": ("S&T personnel", "科技人员数"),
    "rd_staff": ("R&D personnel", "研发人员数"),
    "transformations": ("S&T achievements transformed", "科技成果转化数"),
    "equity_financing": ("new paid-in equity financing", "新增股权融资额"),
}

IP_FIELDS: dict[str, tuple[str, str]] = {
    "class1": ("Class I IP (invention patents etc.)", "I类知识产权"),
    "class1_own_rd": ("Class I IP from own R&D", "自主研发I类知识产权"),
    "class1_high_value": ("high-value Class I IP", "高价值I类知识产权"),
    "class2": ("Class II IP not used in earlier applications", "未使用过的II类知识产权"),
}


class YearFigures(BaseModel):
    """One fiscal year's figures."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1900, le=2200)
    revenue: float | None = None
    main_business_revenue: float | None = None
    total_revenue: float | None = None
    high_tech_revenue: float | None = None
    rd_expense: float | None = Field(default=None, ge=0)
    rd_expense_domestic: float | None = Field(default=None, ge=0)
    total_cost_expense: float | None = None
    net_profit: float | None = None
    net_assets: float | None = None
    total_assets: float | None = None
    total_liabilities: float | None = None
    employees: float | None = Field(default=None, ge=0)
    tech_staff: float | None = Field(default=None, ge=0)
    rd_staff: float | None = Field(default=None, ge=0)
    transformations: float | None = Field(default=None, ge=0)
    equity_financing: float | None = Field(default=None, ge=0)


class IPCounts(BaseModel):
    """Valid intellectual property owned, by class (see the HTE guidelines for the classes)."""

    model_config = ConfigDict(extra="forbid")

    class1: int | None = Field(default=None, ge=0)
    class1_own_rd: int | None = Field(default=None, ge=0)
    class1_high_value: int | None = Field(default=None, ge=0)
    class2: int | None = Field(default=None, ge=0)


class HeldDesignation(BaseModel):
    """A designation the enterprise holds (e.g. a valid HTE certificate)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    valid_from: date | None = None
    valid_to: date | None = None


class Enterprise(BaseModel):
    """An enterprise to assess.

    ``fiscal_year`` is the last complete fiscal year before the application; it defaults to the
    year before ``as_of``. ``facts`` holds yes/no and other single values a pack refers to by
    name (e.g. ``major_violation_last_year``, ``niche_years``); ``self_grades`` the applicant's own
    grades for judgemental score items (a letter such as ``"B"`` or a number of points).
    """

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    name: str | None = None
    founded: date
    as_of: date | None = None
    fiscal_year: int | None = None
    years: list[YearFigures] = Field(default_factory=list)
    ip: IPCounts = Field(default_factory=IPCounts)
    facts: dict[str, bool | int | float | str | None] = Field(default_factory=dict)
    self_grades: dict[str, str | float] = Field(default_factory=dict)
    designations: list[HeldDesignation] = Field(default_factory=list)

    @field_validator("years")
    @classmethod
    def _unique_years(cls, years: list[YearFigures]) -> list[YearFigures]:
        seen = [y.year for y in years]
        dup = sorted({y for y in seen if seen.count(y) > 1})
        if dup:
            raise ValueError(f"year listed twice / 年份重复: {dup}")
        return years

    @model_validator(mode="after")
    def _dates(self) -> Enterprise:
        if self.as_of is not None and self.as_of < self.founded:
            raise ValueError("as_of is before founded / 评价日早于成立日期")
        return self

    def year(self, year: int) -> YearFigures | None:
        for rec in self.years:
            if rec.year == year:
                return rec
        return None


def load_enterprise(data: dict[str, Any]) -> Enterprise:
    """Validate a plain dict (e.g. parsed JSON) into an :class:`Enterprise`."""
    return Enterprise.model_validate(data)
