"""Briefings that export: the district pace on the plans page and its JSON, every page table as
XLSX, charts that save as PNG or SVG offline, and the analysts' cultivation pipeline."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from observatory.config import Settings
from observatory.registry import models as m
from observatory.web.app import create_app
from tests.web.conftest import CITY, bearer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _names(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return dict(session.execute(select(m.Region.code, m.Region.name_zh)).all())


def _book(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def test_district_pace_on_the_plans_page_and_its_json(shared_client: TestClient,
                                                      shared_engine: Engine) -> None:
    plans = shared_client.get("/api/plans").json()["plans"]
    [double] = [p for p in plans if p["code"] == CITY.key_plan]
    paced = [t for t in double["targets"] if t["district_pace"]]
    assert paced, "the key plan's multiple targets break down by district"
    names = _names(shared_engine)
    for t in paced:
        for d in t["district_pace"]:
            assert d["name_zh"] == names[d["region"]]
            assert d["required_rate"] is not None and d["observed_rate"] is not None
    page = shared_client.get("/plans").text
    first = paced[0]["district_pace"][0]
    assert 'class="district-pace"' in page and first["name_zh"] in page
    schema = shared_client.get("/openapi.json").json()["components"]["schemas"]
    assert "DistrictPace" in schema and "district_pace" in schema["TargetView"]["properties"]


@pytest.mark.parametrize("path,role", [("/plans", "anonymous"), ("/overview", "anonymous"),
                                       ("/indicators", "anonymous"), ("/funds", "analyst")])
def test_every_table_of_a_page_downloads_as_xlsx(shared_client: TestClient,
                                                 tokens: dict[str, str], path: str,
                                                 role: str) -> None:
    headers = bearer(tokens, role)
    page = shared_client.get(path, headers=headers)
    assert page.status_code == 200
    count = len(re.findall(r"<table[\s>]", page.text))
    assert count >= 1
    whole = shared_client.get(f"{path}?format=xlsx", headers=headers)
    assert whole.status_code == 200 and whole.headers["content-type"] == XLSX
    assert "attachment" in whole.headers["content-disposition"]
    book = _book(whole.content)
    assert len(book.sheetnames) == count
    last = shared_client.get(f"{path}?format=xlsx&table={count - 1}", headers=headers)
    assert last.status_code == 200 and len(_book(last.content).sheetnames) == 1
    assert shared_client.get(f"{path}?format=xlsx&table={count}",
                             headers=headers).status_code == 404
    assert shared_client.get(f"{path}?format=xlsx&table=x", headers=headers).status_code == 422


def test_page_tables_keep_raw_numbers(shared_client: TestClient) -> None:
    """The district pace sheet holds the JSON's numbers, not the page's formatted text."""
    plans = shared_client.get("/api/plans").json()["plans"]
    target = next(t for p in plans for t in p["targets"] if t["district_pace"])
    book = _book(shared_client.get("/plans?format=xlsx").content)
    title = next(s for s in book.sheetnames if s.startswith(target["code"]))
    rows = list(book[title].values)
    assert len(rows) == 1 + len(target["district_pace"])
    for rec, row in zip(target["district_pace"], rows[1:], strict=True):
        assert row[0] == rec["name_zh"]
        assert row[1] == pytest.approx(rec["current_value"])
        assert row[4] == pytest.approx(rec["required_rate"])
    share = book[title].cell(row=2, column=5)
    assert share.number_format.endswith("%")


def test_charts_save_as_png_and_svg_from_the_bundled_script(shared_client: TestClient) -> None:
    page = shared_client.get("/overview").text
    assert "data-chart" in page and "/assets/plotly.min.js" in page
    assert not re.search(r"<script[^>]+src=\"https?://", page)  # nothing from a CDN
    script = shared_client.get("/static/app.js").text
    assert 'toImageButtonOptions: {format: "png"' in script
    assert 'Plotly.downloadImage(gd, {format: "svg"' in script
    bundled = shared_client.get("/assets/plotly.min.js")
    assert bundled.status_code == 200 and b"downloadImage" in bundled.content


def _pipeline(client: TestClient, tokens: dict[str, str], query: str = "") -> dict:
    res = client.get(f"/api/eligibility/pipeline?pack=hte&top=3{query}",
                     headers=bearer(tokens, "analyst"))
    assert res.status_code == 200, res.text
    return res.json()


def test_pipeline_by_district_json_page_and_xlsx(shared_client: TestClient,
                                                 tokens: dict[str, str]) -> None:
    data = _pipeline(shared_client, tokens, "&as_of=2025-06-30")
    assert data["filters"]["pack"] == "hte"
    listed = [(g, f) for g in data["districts"] for f in g["candidates"] + g["renewals"]]
    assert listed and {g["district"] for g in data["districts"]} == {
        c["code"] for c in data["district_choices"]}
    for group in data["districts"]:
        for kind, firms in (("candidate", group["candidates"]), ("renewal", group["renewals"])):
            assert [f["rank"] for f in firms] == list(range(1, len(firms) + 1))
            assert all(f["kind"] == kind and f["district"] == group["district"] for f in firms)
            assert all((f["renewal"] is None) == (kind == "candidate") for f in firms)
    for _, firm in listed:
        assert len(firm["conditions"]) == firm["n_failed"] + firm["n_undecided"] + \
            firm["n_missing"]
        assert all(c["status"] in ("failed", "undecided", "missing") for c in firm["conditions"])
    # the registry holds no self-grades: the score's expert-graded items are named, not hidden
    graded = [c for _, f in listed for c in f["conditions"] if c["self_graded"]]
    assert graded and all(f"self_grades.{c['self_graded'][0]}" in c["missing"] for c in graded)

    page = shared_client.get("/eligibility/pipeline?pack=hte&top=3&as_of=2025-06-30",
                             headers=bearer(tokens, "analyst"))
    assert page.status_code == 200
    group = next(g for g, _ in listed)
    assert group["name_zh"] in page.text and 'id="pipeline-filters"' in page.text
    assert "缺少数据" in page.text or "待定" in page.text  # each condition's standing, in words
    xlsx = shared_client.get("/api/eligibility/pipeline.xlsx?pack=hte&top=3&as_of=2025-06-30",
                             headers=bearer(tokens, "analyst"))
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX
    book = _book(xlsx.content)
    firms = list(book[book.sheetnames[0]].values)
    assert len(firms) == 1 + len(listed)
    conditions = list(book["conditions"].values)
    assert len(conditions) == 1 + sum(len(f["conditions"]) for _, f in listed)


def test_pipeline_filters(shared_client: TestClient, tokens: dict[str, str]) -> None:
    full = _pipeline(shared_client, tokens, "&as_of=2025-06-30")
    code = next(g["district"] for g in full["districts"] if g["renewals"])
    one = _pipeline(shared_client, tokens, f"&as_of=2025-06-30&district={code}&kind=renewal")
    assert [g["district"] for g in one["districts"]] == [code]
    assert not one["districts"][0]["candidates"] and one["districts"][0]["renewals"]
    top1 = _pipeline(shared_client, tokens, "&as_of=2025-06-30&top=1")
    assert all(len(g["candidates"]) <= 1 and len(g["renewals"]) <= 1
               for g in top1["districts"])
    analyst = bearer(tokens, "analyst")
    bad = shared_client.get("/api/eligibility/pipeline?kind=nope", headers=analyst)
    assert bad.status_code == 422 and "类别" in bad.text
    bad = shared_client.get("/api/eligibility/pipeline?district=999999", headers=analyst)
    assert bad.status_code == 422 and "区（市）" in bad.text
    page = shared_client.get("/eligibility/pipeline?top=0", headers=analyst)
    assert page.status_code == 422 and "<html" in page.text


@pytest.mark.parametrize("role,status", [("anonymous", 401), ("public", 403),
                                         ("enterprise", 403), ("broker", 403)])
def test_pipeline_is_for_analysts(shared_client: TestClient, tokens: dict[str, str],
                                  role: str, status: int) -> None:
    res = shared_client.get("/api/eligibility/pipeline", headers=bearer(tokens, role))
    assert res.status_code == status


def _first_pack(client: TestClient, tokens: dict[str, str], engine: Engine
                ) -> tuple[str, list[str]]:
    with Session(engine) as session:
        org = session.scalars(select(m.Organisation.id)
                              .where(m.Organisation.kind == "enterprise").limit(1)).one()
    page = client.get(f"/enterprises/{org}", headers=bearer(tokens, "analyst")).text
    form = page[page.index('id="eligibility-form"'):]
    options = re.findall(r'<option value="([^"]+)"', form[:form.index("</select>")])
    return options[0], options


def test_the_form_starts_on_the_deployment_s_pack(shared_engine: Engine, shared_client,
                                                  tokens: dict[str, str]) -> None:
    first, offered = _first_pack(shared_client, tokens, shared_engine)
    assert first == "hte" and "gazelle" not in offered  # the example city: no Huangpu packs
    other = Settings(home=Path(CITY.home), **{**CITY.model_dump(
        include={"region", "first_year", "last_year", "default_period", "key_plan",
                 "languages"}), "eligibility_packs": ("hte", "tsme"), "default_pack": "tsme"})
    client = TestClient(create_app(shared_engine, settings=other))
    first, offered = _first_pack(client, tokens, shared_engine)
    assert (first, sorted(offered)) == ("tsme", ["hte", "tsme"])
    assert _pipeline(client, tokens)["pack"] == "hte"  # asked for
    res = client.get("/api/eligibility/pipeline?top=1", headers=bearer(tokens, "analyst"))
    assert res.json()["pack"] == "tsme"  # not asked for: the deployment's default


def test_a_district_analyst_sees_only_their_district(shared_engine: Engine) -> None:
    from observatory.services import eligibility
    from observatory.services.auth import Principal
    from observatory.services.errors import Invalid

    whole = eligibility.cultivation_list(shared_engine, CITY, "hte", top=2, as_of="2025-06-30")
    mine, other = (g.district for g in whole.districts[:2])
    p = Principal(username="district-analyst", role="analyst", user_id=1, region=mine,
                  scope=frozenset({mine}))
    scoped = eligibility.cultivation_list(shared_engine, CITY, "hte", top=2,
                                          as_of="2025-06-30", p=p)
    assert [g.district for g in scoped.districts] == [mine]
    assert [c.code for c in scoped.district_choices] == [mine]
    assert scoped.districts[0] == whole.districts[0]
    with pytest.raises(Invalid):
        eligibility.cultivation_list(shared_engine, CITY, "hte", district=other,
                                     as_of="2025-06-30", p=p)
