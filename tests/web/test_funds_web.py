"""/funds on the example city: leverage, deployment, the city's return-investment multiple
and flags as of the data's date, server-side sorting and the XLSX download."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory.registry import models as m
from tests.web.conftest import bearer


def test_funds_add_up_and_flags_are_measured_at_the_data_date(shared_client, shared_engine,
                                                              tokens) -> None:
    h = bearer(tokens, "analyst")
    page = shared_client.get("/api/funds", headers=h).json()
    with Session(shared_engine) as s:
        last_flow = s.scalar(select(func.max(m.FundCashFlow.flow_on)))
    assert page["as_of"] >= last_flow.isoformat()
    funds = page["funds"]
    assert all(f["paid_in"] <= f["committed"] + 1e-6 for f in funds)
    deployed = [f for f in funds if f["deployment_of_paid_in"] is not None]
    assert deployed and all(0 <= f["deployment_of_paid_in"] <= 1.2 for f in deployed)
    idle = sum(f["no_investment_12m"] for f in funds)
    assert idle < len(funds)  # not every fund idle at the date the data runs to
    pr = page["programme"]
    assert pr["return_multiple_committed"] == pr["in_region_invested"] / (
        pr["committed"] / pr["fiscal_leverage"])
    assert pr["deployment_of_paid_in"] == pr["invested"] / pr["paid_in"]
    # later, with no new records, every fund still investing has gone a year without a deal
    later = shared_client.get(f"/api/funds?as_of={int(page['as_of'][:4]) + 1}-12-31",
                              headers=h).json()["funds"]
    investing = [f for f in later if f["vintage"] >= int(page["as_of"][:4]) - 3]
    assert investing and all(f["no_investment_12m"] for f in investing)


def test_sorting_is_server_side_and_validated(shared_client, tokens) -> None:
    h = bearer(tokens, "analyst")
    rows = shared_client.get("/api/funds?sort=deployment_of_paid_in&desc=true",
                             headers=h).json()["funds"]
    values = [f["deployment_of_paid_in"] for f in rows if f["deployment_of_paid_in"] is not None]
    assert values == sorted(values, reverse=True) and len(set(values)) > 1
    assert rows[-1]["deployment_of_paid_in"] is None or len(values) == len(rows)
    bad = shared_client.get("/api/funds?sort=drop_table", headers=h)
    assert bad.status_code == 422 and "排序" in bad.text
    assert shared_client.get("/api/funds?as_of=2024-13-01", headers=h).status_code == 422
    page = shared_client.get("/funds?sort=nope", headers=h)
    assert page.status_code == 422 and "<html" in page.text.lower()


def test_page_shows_the_new_columns_and_links_the_workbook(shared_client, tokens) -> None:
    h = bearer(tokens, "analyst")
    html = shared_client.get("/funds?sort=return_multiple&desc=true&lang=en", headers=h).text
    for label in ("Fiscal leverage", "Deployed ÷ paid-in", "Return-investment multiple",
                  "city-return-multiple", "format=xlsx"):
        assert label in html
    zh = shared_client.get("/funds?lang=zh", headers=h).text
    assert "返投倍数" in zh and "投放率" in zh and 'id="fund-families"' in zh
    code = shared_client.get("/api/funds", headers=h).json()["funds"][-1]["code"]
    one = shared_client.get(f"/funds/{code}?lang=en", headers=h).text
    assert 'id="fund-figures"' in one and "Deployed ÷ paid-in" in one


def test_xlsx_has_the_sorted_rows(shared_client, tokens) -> None:
    h = bearer(tokens, "analyst")
    data = shared_client.get("/api/funds?sort=paid_in&desc=true", headers=h).json()
    got = shared_client.get("/api/funds?format=xlsx&sort=paid_in&desc=true", headers=h)
    assert got.status_code == 200 and "spreadsheet" in got.headers["content-type"]
    sheet = openpyxl.load_workbook(io.BytesIO(got.content))["funds"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Fund / 基金代码" and len(rows) == len(data["funds"]) + 1
    assert [r[0] for r in rows[1:]] == [f["code"] for f in data["funds"]]
    assert shared_client.get("/api/funds?format=pdf", headers=h).status_code == 422
