"""District maps: shipped boundaries keyed by current GB/T 2260 codes, chosen from the data's
region codes, and drawn with the same numbers as the table beside them."""

from __future__ import annotations

import json
import re
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.i18n import yuan_scale
from observatory.registry import models as m
from observatory.services import maps
from tests.web.conftest import CITY

CODE = "tech_contract_amount"


def _figure(html: str, chart_id: str) -> dict:
    found = re.search(r'<script type="application/json" data-chart="' + chart_id
                      + r'">(.*?)</script>', html, re.S)
    assert found, chart_id
    return json.loads(found.group(1))


def _table(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr data-region=\"(\d+)\">(.*?)</tr>", body, re.S)
    return [[code, *[re.sub(r"<.*?>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells)]]
            for code, cells in rows]


def test_shipped_boundaries_carry_the_current_codes(shared_engine) -> None:
    with Session(shared_engine) as session:
        districts = set(session.scalars(select(m.Region.code)
                                        .where(m.Region.parent_code == CITY.region)))
        province = session.scalars(select(m.Region.parent_code)
                                   .where(m.Region.code == CITY.region)).one()
    # the city's map: exactly its current districts (即墨区, no 四方区/胶南市/即墨市)
    city_map = maps.map_for(districts)
    assert city_map == CITY.region and set(maps.feature_codes(city_map)) == districts
    # the province's map: its 16 cities (莱芜 merged into 济南), the city among them
    cities = maps.feature_codes(province)
    assert len(cities) == 16 and CITY.region in cities
    assert all(c.startswith(province[:2]) and c.endswith("00") for c in cities)
    assert maps.map_for(cities[:3]) == province and maps.map_for(["110101"]) is None
    for code in (city_map, province):
        for f in maps.geojson(code)["features"]:
            assert f["geometry"]["type"] == "MultiPolygon" and f["geometry"]["coordinates"]
            lon, lat = maps.centroid(f)
            assert 114 < lon < 123 and 34 < lat < 39
    notice = resources.files("observatory.registry").joinpath("data", "maps", "NOTICE")
    text = notice.read_text(encoding="utf-8")
    assert "MIT" in text and "审图号" in text and "schematic" in text.lower()


def test_indicator_map_has_the_table_s_numbers(shared_client) -> None:
    twin = shared_client.get(f"/api/indicators/{CODE}?by=district").json()["districts"]["districts"]
    for lang in ("zh", "en"):
        html = shared_client.get(f"/indicators/{CODE}?by=district&lang={lang}").text
        fig = _figure(html, "dist-map")
        trace = fig["data"][0]
        assert trace["type"] == "choropleth" and trace["featureidkey"] == "id"
        table = _table(html, "district-table")
        assert trace["locations"] == [r[0] for r in table] == [d["code"] for d in twin]
        div, label = yuan_scale([d["value"] for d in twin], lang)
        assert trace["z"] == [d["value"] / div for d in twin]
        # the table prints the same figures, rounded, in the colour bar's unit
        assert [float(row[2].replace(",", "")) for row in table] == [round(z, 2)
                                                                      for z in trace["z"]]
        assert f"({label})" in html.split('id="district-table"', 1)[1].split("</tr>", 1)[0]
        assert trace["colorbar"]["title"]["text"] == label
        assert fig["layout"]["geo"]["visible"] is False
        assert {f["id"] for f in trace["geojson"]["features"]} >= set(trace["locations"])
        notice = {"zh": "审图号", "en": "review number"}[lang]
        assert notice in html.split('data-chart="dist-map"', 1)[1].split("</figure>", 1)[0]
    assert 'data-chart="dist-map"' not in shared_client.get(f"/indicators/{CODE}").text


def test_index_and_overview_maps_have_the_index_table_s_scores(shared_client) -> None:
    api = shared_client.get("/api/index").json()["district_index"]
    for path in ("/index", "/overview"):
        html = shared_client.get(f"{path}?lang=zh").text
        trace = _figure(html, "index-map")["data"][0]
        table = _table(html, "index-table")
        assert trace["locations"] == [r[0] for r in table] == [r["region"] for r in api]
        assert [f"{z:.1f}" for z in trace["z"]] == [r[3] for r in table]
        assert trace["z"] == [round(r["score"], 1) for r in api]


def test_mode_bar_stays_clear_of_titles(shared_client) -> None:
    html = shared_client.get(f"/indicators/{CODE}?by=district").text
    ids = re.findall(r'data-chart="([^"]+)"', html)
    assert len(ids) >= 3
    for chart_id in ids:
        layout = _figure(html, chart_id)["layout"]
        assert layout["modebar"]["orientation"] == "v"
        assert layout["title"]["xanchor"] == "left" and layout["margin"]["r"] >= 40
