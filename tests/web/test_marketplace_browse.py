"""The marketplace to browse: newest listings, facets with counts, search within facets,
related listings, and visibility rules that hold in all of them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from observatory.registry import models as m
from observatory.services.market import PAGE_SIZE
from observatory.web.app import create_app
from tests.web.conftest import CITY


def _published(engine: Engine, model: type = m.Achievement) -> list[m.Achievement]:
    with Session(engine) as session:
        return list(session.scalars(select(model).where(
            model.status == "published", model.visibility == "public")
            .order_by(model.published_on.desc(), model.id.desc())))


@pytest.fixture
def hidden(city_engine: Engine) -> dict[str, str]:
    """Three listings no one may browse: a private one, a draft and an expired one, each with
    the text of a public listing that stays (so search and related listings would find them)."""
    with Session(city_engine) as session, session.begin():
        rows = session.scalars(select(m.Achievement).where(
            m.Achievement.status == "published", m.Achievement.visibility == "public")
            .order_by(m.Achievement.id).limit(4)).all()
        model_row, *others = rows
        changes = {"private": {"visibility": "private"}, "draft": {"status": "draft"},
                   "expired": {"status": "expired"}}
        codes = {"twin": model_row.code}
        for row, (name, change) in zip(others, changes.items(), strict=True):
            for col in ("title_zh", "title_en", "summary_zh", "summary_en", "keywords_zh",
                        "keywords_en", "field_code", "trl"):
                setattr(row, col, getattr(model_row, col))
            session.execute(update(m.Achievement).where(m.Achievement.id == row.id)
                            .values(**change))
            codes[name] = row.code
    return codes


@pytest.fixture
def client(city_engine: Engine, hidden: dict[str, str]) -> Iterator[TestClient]:
    yield TestClient(create_app(city_engine, settings=CITY, matching="bm25"))


def _codes(res: dict) -> list[str]:
    return [x["code"] for x in res["listings"]]


def _facet(res: dict, name: str) -> dict[str, dict]:
    return {v["value"]: v for f in res["facets"] if f["name"] == name for v in f["values"]}


def test_landing_page_lists_the_newest_listings_with_facets(client, city_engine, hidden
                                                           ) -> None:
    res = client.get("/api/market?lang=zh").json()
    visible = _published(city_engine)
    assert res["q"] == "" and res["total"] == len(visible) > PAGE_SIZE
    assert _codes(res) == [a.code for a in visible[:PAGE_SIZE]]  # newest first
    assert not {hidden["private"], hidden["draft"], hidden["expired"]} & set(_codes(res))
    kinds = _facet(res, "kind")
    assert kinds["achievement"]["count"] == len(visible) and kinds["achievement"]["selected"]
    assert kinds["demand"]["count"] == len(_published(city_engine, m.Demand))
    for name in ("field", "trl", "region", "price"):
        values = _facet(res, name)
        assert values, name
        if name in ("field", "trl", "region"):  # every listing has one value
            assert sum(v["count"] for v in values.values()) == len(visible), name
    fields = _facet(res, "field")
    by_field: dict[str, int] = {}
    for a in visible:
        by_field[a.field_code] = by_field.get(a.field_code, 0) + 1
    assert {k: v["count"] for k, v in fields.items()} == by_field
    assert all(re.search(r"[\u4e00-\u9fff]", v["label_zh"]) for v in fields.values())
    page2 = client.get("/api/market?page=2").json()
    assert _codes(page2) == [a.code for a in visible[PAGE_SIZE:2 * PAGE_SIZE]]
    html = client.get("/market?lang=zh").text
    assert visible[0].title_zh in html and "最新发布" in html
    field = next(iter(fields))
    assert fields[field]["label_zh"] in html
    # field codes appear only inside <code> or as link parameters, never as shown text
    shown = re.sub(r"<code[^>]*>.*?</code>|<[^>]+>", " ", html)
    assert field not in shown.split()


def test_facets_narrow_and_combine_with_the_query(client, city_engine) -> None:
    start = client.get("/api/market?lang=en").json()
    field, value = max(_facet(start, "field").items(), key=lambda kv: kv[1]["count"])
    narrowed = client.get(f"/api/market?{value['query']}").json()
    assert narrowed["filters"]["field"] == field and narrowed["total"] == value["count"]
    assert {x["field"] for x in narrowed["listings"]} == {field}
    # a second facet combines with the first
    band, trl = next(iter(_facet(narrowed, "trl").items()))
    both = client.get(f"/api/market?{trl['query']}").json()
    assert both["total"] == trl["count"] and both["filters"]["field"] == field
    low, high = (int(x) for x in band.split("-"))
    assert all(low <= x["trl"] <= high and x["field"] == field for x in both["listings"])
    # a query ranks within the facets: its hits are the unfiltered query's hits in the field
    word = narrowed["listings"][0]["title_en"].split()[0]
    everywhere = client.get("/api/market", params={"q": word, "lang": "en"}).json()
    in_field = client.get("/api/market", params={"q": word, "field": field, "lang": "en"}).json()
    assert 0 < in_field["total"] <= everywhere["total"]
    assert in_field["total"] == _facet(everywhere, "field")[field]["count"]
    assert {x["field"] for x in in_field["listings"]} == {field}
    assert [x["rank"] for x in in_field["listings"]] == sorted(x["rank"] for x in
                                                             in_field["listings"])
    assert in_field["results"] and in_field["results"][0]["why"]
    # the facet links keep the query
    assert all(f"q={word}" in v["query"] for v in _facet(in_field, "trl").values())


def test_hidden_listings_stay_out_of_search_counts_and_related(client, city_engine, hidden
                                                               ) -> None:
    with Session(city_engine) as session:
        twin = session.scalars(select(m.Achievement).where(
            m.Achievement.code == hidden["twin"])).one()
        same_field = session.scalar(select(func.count()).select_from(m.Achievement).where(
            m.Achievement.field_code == twin.field_code, m.Achievement.status == "published",
            m.Achievement.visibility == "public"))
    res = client.get("/api/market", params={"q": twin.title_zh, "lang": "zh"}).json()
    found = _codes(res) + [x["code"] for x in res["results"]]
    assert hidden["twin"] in found
    assert not {hidden["private"], hidden["draft"], hidden["expired"]} & set(found)
    counts = _facet(client.get("/api/market").json(), "field")
    assert counts[twin.field_code]["count"] == same_field
    related = client.get(f"/api/market/listings/{hidden['twin']}?lang=zh").json()["related"]
    assert related and hidden["twin"] not in {r["code"] for r in related}
    assert not {hidden["private"], hidden["draft"], hidden["expired"]} & {
        r["code"] for r in related}
    assert {r["kind"] for r in related} == {"achievement"}
    page = client.get(f"/market/listings/{hidden['twin']}?lang=zh").text
    assert 'id="related"' in page and related[0]["title"] in page
    # the hidden ones themselves: not found for a visitor
    for code in (hidden["private"], hidden["draft"]):
        assert client.get(f"/api/market/listings/{code}").status_code == 404


def test_a_bad_facet_value_is_an_html_page_or_json_422(client) -> None:
    for query in ("kind=bogus&q=x", "field=nope", "trl=0-1", "region=999999", "price=cheap",
                  "page=0", "page=x"):
        page = client.get(f"/market?{query}&lang=zh")
        assert page.status_code == 422, query
        assert page.headers["content-type"].startswith("text/html"), query
        assert "<html" in page.text.lower() and "/overview" in page.text or "返回" in page.text
        api = client.get(f"/api/market?{query}")
        assert api.status_code == 422 and api.headers["content-type"] == "application/json"
    named = client.get("/market?field=nope&lang=zh").text
    assert "nope" in named and "领域" in named
    assert "nope" in client.get("/api/market?field=nope").json()["detail"]
