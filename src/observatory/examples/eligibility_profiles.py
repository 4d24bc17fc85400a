"""Synthetic designation inputs for the example city: financial calibers, IP counts and facts.

The rule packs (``observatory.eligibility``) read figures the indicator side of the registry does
not need: main-business and total revenue, R&D incurred in China, costs, assets and liabilities,
IP held by class, achievements transformed, and yes/no facts such as "no major incident in the
last year". :class:`EligibilityProfiles` draws them per enterprise from its own random stream
(so the rest of the city, and every calibrated published figure, is unchanged), consistently
with the figures already generated: total revenue ≥ sales revenue ≥ main-business revenue,
R&D in China ≤ R&D, R&D staff ≤ S&T staff, high-value and own-R&D Class I IP ≤ Class I IP,
and IP stocks that never shrink. Enterprises that hold the high-tech designation at some time
draw from stronger distributions than the others, which is what puts the others near the
thresholds. Everything here is synthetic and says so through the generator's source record.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

#: City field (examples/texts.py) -> State-supported high-tech field code (rule pack ``hte``).
HTE_FIELD_OF: dict[str, str] = {
    "marine_equipment": "advanced_manufacturing_automation",
    "marine_bio": "biology_new_medicine",
    "fisheries": "biology_new_medicine",
    "desalination": "resources_environment",
    "smart_home": "electronic_information",
    "rail_transit": "advanced_manufacturing_automation",
    "vr": "electronic_information",
    "ai": "electronic_information",
    "synthetic_bio": "biology_new_medicine",
    "biomedicine": "biology_new_medicine",
    "new_energy": "new_energy_energy_saving",
    "new_materials": "new_materials",
    "chemicals": "new_materials",
    "ict": "electronic_information",
    "green_tech": "resources_environment",
    "tech_services": "high_tech_services",
}

#: The 2011 SME size standard's industrial upper bounds (either keeps a firm an SME).
SME_MAX_EMPLOYEES = 1000
SME_MAX_REVENUE_YUAN = 400_000_000

FactValue = bool | int | float | str | tuple[tuple[dt.date, bool], ...]


class EligibilityProfiles:
    """Per-enterprise draws, then per-year figures and single facts on request.

    ``strong[i]`` says whether enterprise ``i`` holds the high-tech designation at some time.
    Call :meth:`next_year` in year order for each enterprise (IP stocks accumulate), then
    :meth:`facts` once.

    >>> p = EligibilityProfiles(np.random.default_rng(0), [True])
    >>> row = p.next_year(0, revenue=50_000_000, net_assets=40_000_000, rd=3_000_000,
    ...                   tech_staff=10, employees=60)
    >>> dict(zip(p.YEAR_COLUMNS, row))["rd_expense_domestic_yuan"] <= 3_000_000
    True
    """

    SURVEY_SHARE = 0.25  # enterprises with yearly figures that answered the facts survey
    YEAR_COLUMNS = ("main_business_revenue_yuan", "total_revenue_yuan",
                    "rd_expense_domestic_yuan", "total_cost_expense_yuan", "net_profit_yuan",
                    "total_assets_yuan", "total_liabilities_yuan", "equity_financing_yuan",
                    "rd_staff", "achievements_transformed", "ip_class1", "ip_class1_own_rd",
                    "ip_class1_high_value", "ip_class2")

    def __init__(self, rng: np.random.Generator, strong: list[bool]) -> None:
        n = len(strong)
        self.rng = rng
        self.strong = np.array(strong, dtype=bool)
        self.main_share = rng.uniform(0.85, 1.0, n)
        self.other_income = rng.uniform(0.0, 0.10, n)  # total revenue = sales × (1 + this)
        self.foreign_rd = rng.beta(0.6, 10.0, n)  # share of R&D incurred abroad
        self.cost_ratio = np.clip(rng.normal(0.90, 0.06, n), 0.65, 1.15)
        self.leverage = rng.uniform(0.25, 1.6, n)  # liabilities / net assets
        self.rd_staff_share = rng.uniform(0.4, 0.9, n)
        self.transform_rate = np.where(self.strong, rng.gamma(3.0, 1.0, n),
                                       rng.gamma(1.2, 0.8, n))
        self.ip1 = np.where(self.strong, rng.poisson(3.0, n), rng.poisson(0.6, n))
        self.ip1_rate = np.where(self.strong, 1.2, 0.3)
        self.ip2 = np.where(self.strong, rng.poisson(6.0, n), rng.poisson(2.5, n))
        # The opening stock splits like every later grant: 85 % own R&D, 30 % high value.
        self.own_rd = rng.binomial(self.ip1, 0.85)
        self.high_value = rng.binomial(self.ip1, 0.3)
        self.last_size: dict[int, tuple[int, int]] = {}

    def next_year(self, i: int, revenue: int, net_assets: int, rd: int, tech_staff: int,
                  employees: int) -> tuple[int, ...]:
        """Enterprise ``i``'s extra columns (``YEAR_COLUMNS`` order) for its next year."""
        rng = self.rng
        cost = int(revenue * self.cost_ratio[i])
        pre_tax = revenue - cost
        net_profit = int(pre_tax * 0.85) if pre_tax > 0 else pre_tax
        liabilities = int(net_assets * self.leverage[i])
        equity = int(np.exp(rng.normal(16.0, 1.0))) if rng.random() < 0.08 else 0
        new1 = int(rng.poisson(self.ip1_rate[i]))
        self.ip1[i] += new1
        self.own_rd[i] += int(rng.binomial(new1, 0.85))
        self.high_value[i] += int(rng.binomial(new1, 0.3))
        self.ip2[i] += int(rng.poisson(1.5))
        self.last_size[i] = (employees, revenue)
        return (int(revenue * self.main_share[i]), int(revenue * (1 + self.other_income[i])),
                int(rd * (1 - self.foreign_rd[i])), cost, net_profit, net_assets + liabilities,
                liabilities, equity, int(tech_staff * self.rd_staff_share[i]),
                int(rng.poisson(self.transform_rate[i])), int(self.ip1[i]), int(self.own_rd[i]),
                int(self.high_value[i]), int(self.ip2[i]))

    def facts(self, i: int, founded: dt.date, city_field: str
              ) -> list[tuple[str, FactValue, bool]]:
        """(fact code, value, lasting) for enterprise ``i``; lasting facts date from founding.

        A value that is a tuple of (date, bool) is a dated series (observed on those dates).
        """
        rng = self.rng
        strong = bool(self.strong[i])

        def yes(p_strong: float, p_other: float) -> bool:
            return bool(rng.random() < (p_strong if strong else p_other))

        def one_of(options: list[str], p: list[float]) -> str:
            return str(options[int(rng.choice(len(options), p=p))])

        field = HTE_FIELD_OF.get(city_field, "high_tech_services")
        if rng.random() < 0.03:
            field = "not_listed"  # main products outside the State-supported catalogue
        incident: tuple[tuple[dt.date, bool], ...] = ((founded, False),)
        if rng.random() < 0.015:
            day = max(founded, dt.date(2023, 1, 1)) + dt.timedelta(days=int(rng.integers(0, 700)))
            incident = (*incident, (day, True), (day + dt.timedelta(days=365), False))
        employees, revenue = self.last_size.get(i, (0, 0))
        niche_start = max(founded.year, 2024 - int(rng.integers(1, 20)))
        return [
            ("hte_field", field, True),
            ("resident_enterprise", bool(rng.random() < 0.995), True),
            ("ip_acquisition", one_of(["own_rd", "transfer_only"], [0.85, 0.15]), False),
            ("major_incident_last_year", incident, False),
            ("took_part_in_standards", yes(0.25, 0.08), False),
            ("restricted_industry", bool(rng.random() < 0.02), False),
            ("serious_violation", bool(rng.random() < 0.01), False),
            ("provincial_rd_institution", yes(0.25, 0.08), False),
            ("led_standard_5y", yes(0.06, 0.02), False),
            ("national_st_award_top3_5y", yes(0.015, 0.003), False),
            ("is_sme", employees < SME_MAX_EMPLOYEES or revenue < SME_MAX_REVENUE_YUAN, False),
            ("strategic_emerging_field", yes(0.7, 0.45), False),
            ("innovation_or_ip_demonstration", yes(0.08, 0.02), False),
            ("st_award_3y", yes(0.06, 0.02), False),
            ("niche_years", 2024 - niche_start, False),
            ("own_brand", yes(0.7, 0.5), False),
            ("qms_certified", yes(0.7, 0.45), False),
            ("quality_award", yes(0.08, 0.03), False),
            ("standards_drafting", yes(0.25, 0.08), False),
            ("digital_level", int(rng.choice([1, 2, 3, 4], p=[0.35, 0.35, 0.2, 0.1])), False),
            ("rd_institution", yes(0.5, 0.25), False),
            ("rd_institution_level", one_of(
                ["national", "provincial", "municipal", "below_municipal", "none"],
                [0.02, 0.12, 0.2, 0.16, 0.5]), False),
            ("lead_product_field", one_of(["chain_key_link", "six_foundations", "other"],
                                          [0.15, 0.25, 0.6]), False),
            ("core_business_information_system", yes(0.8, 0.6), False),
            ("key_chain_link", yes(0.2, 0.08), False),
            ("national_market_share", round(float(rng.beta(1.2, 20.0)), 4), False),
            ("award_top_unit_3y", yes(0.03, 0.01), False),
            ("maker_china_top500_3y", yes(0.03, 0.01), False),
            ("maker_china_top50_3y", yes(0.005, 0.001), False),
            ("national_st_award_top3_3y", yes(0.01, 0.002), False),
            ("compliant_operation", bool(rng.random() < 0.97), False),
            ("priority_field_product", yes(0.3, 0.12), False),
            ("domestic_market_rank", int(rng.integers(1, 30)), False),
            ("provincial_market_rank", int(rng.integers(1, 15)), False),
        ]


__all__ = ["HTE_FIELD_OF", "EligibilityProfiles", "SME_MAX_EMPLOYEES", "SME_MAX_REVENUE_YUAN"]
