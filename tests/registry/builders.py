"""Small valid input files for importer tests."""

from __future__ import annotations

import csv
import io

from observatory.registry.codes import make_uscc

ORG_COLUMNS = ["uscc", "name_zh", "name_en", "kind", "region_code", "industry_code",
               "founded_on", "employees"]


def uscc(i: int) -> str:
    return make_uscc("91370212", f"{i:08d}")


def org_rows(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"uscc": uscc(i), "name_zh": f"测试企业{i}", "name_en": f"Test Co {i}",
             "kind": "enterprise", "region_code": "370212", "industry_code": "3921",
             "founded_on": "2015-03-01", "employees": str(10 + i % 50)}
            for i in range(start, start + n)]


def to_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    columns = columns or list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


CONTRACT_COLUMNS = ["registration_no", "contract_type", "seller_uscc", "buyer_uscc",
                    "seller_region_code", "buyer_region_code", "total_amount_yuan",
                    "technology_amount_yuan", "signed_on", "registered_on", "field_code"]


def contract_row(i: int, seller: int = 0, buyer: int = 1, **overrides: str) -> dict[str, str]:
    row = {"registration_no": f"2024370200{i:06d}", "contract_type": "development",
           "seller_uscc": uscc(seller), "buyer_uscc": uscc(buyer),
           "seller_region_code": "370212", "buyer_region_code": "370211",
           "total_amount_yuan": "1000000.00", "technology_amount_yuan": "800000.00",
           "signed_on": "2024-03-01", "registered_on": "2024-03-15", "field_code": "marine"}
    row.update(overrides)
    return row
