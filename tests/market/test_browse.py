"""The marketplace's facets on both backends: band counts, visibility, query within facets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from observatory.config import Settings
from observatory.examples import EXAMPLE_CITY_SETTINGS
from observatory.registry import models as m
from observatory.registry.codes import make_uscc
from observatory.services.auth import ANONYMOUS, Principal
from observatory.services.context import Deployment
from observatory.services.errors import Invalid
from observatory.services.market import browse

SETTINGS = Settings(home=Path(__file__).resolve().parent, **EXAMPLE_CITY_SETTINGS)
ADMIN = Principal(username="admin", role="admin", user_id=1)


def _ach(code: str, title: str, field: str, trl: int, price: int, day: int, **kw: str
         ) -> m.Achievement:
    return m.Achievement(code=code, title_zh=title, title_en=title, summary_zh=title,
                         field_code=field, trl=trl, asking_price_yuan=price,
                         region_code=kw.pop("region", "370212"),
                         status=kw.pop("status", "published"),
                         visibility=kw.pop("visibility", "public"),
                         published_on=dt.date(2025, 1, day))


@pytest.fixture
def dep(engine) -> Deployment:
    with Session(engine) as session, session.begin():
        org = m.Organisation(uscc=make_uscc("91370212", "00000019"),
                             name_zh="青岛瑞达海洋装备有限公司", kind="enterprise",
                             region_code="370212")
        session.add(org)
        session.add_all([
            _ach("A1", "海参良种选育", "fisheries", 2, 300_000, 1),
            _ach("A2", "海参苗种繁育技术", "fisheries", 5, 800_000, 2, region="370211"),
            _ach("A3", "钙钛矿太阳能电池", "new_energy", 8, 6_000_000, 3),
            _ach("A4", "储能电池热管理", "new_energy", 6, 1_000_000, 4),
            _ach("A5", "海参加工", "fisheries", 5, 900_000, 5, status="draft"),
            _ach("A6", "海参冷链", "fisheries", 5, 900_000, 6, visibility="private"),
            _ach("A7", "海参净化", "fisheries", 5, 900_000, 7, status="expired"),
        ])
    return Deployment(engine, settings=SETTINGS, matching="bm25")


def _counts(page, name: str) -> dict[str, int]:
    return {v.value: v.count for f in page.facets if f.name == name for v in f.values}


@pytest.mark.parametrize("who", [ANONYMOUS, ADMIN])
def test_bands_and_counts_hold_on_both_backends(dep: Deployment, who: Principal) -> None:
    page = browse(dep, who, "", "zh")
    assert [c.code for c in page.listings] == ["A4", "A3", "A2", "A1"]  # newest first
    assert _counts(page, "kind") == {"achievement": 4, "demand": 0}
    assert _counts(page, "field") == {"fisheries": 2, "new_energy": 2}
    assert _counts(page, "trl") == {"1-3": 1, "4-6": 2, "7-9": 1}
    # bands are [low, high): 1,000,000 is in 100-500, 6,000,000 in 500+
    assert _counts(page, "price") == {"lt50": 1, "50-100": 1, "100-500": 1, "500+": 1}
    assert _counts(page, "region") == {"370212": 3, "370211": 1}
    narrowed = browse(dep, who, "", "zh", field="fisheries", trl="4-6")
    assert [c.code for c in narrowed.listings] == ["A2"]
    # each facet counts with the other facets applied, its own left open
    assert _counts(narrowed, "trl") == {"1-3": 1, "4-6": 1}
    assert _counts(narrowed, "field") == {"fisheries": 1, "new_energy": 1}
    assert narrowed.listings[0].field_zh == "现代渔业"


def test_a_query_ranks_within_the_facets(dep: Deployment) -> None:
    found = browse(dep, ANONYMOUS, "海参", "zh")
    assert {c.code for c in found.listings} == {"A1", "A2"}  # not the hidden A5-A7
    assert _counts(found, "field") == {"fisheries": 2}
    only = browse(dep, ANONYMOUS, "海参", "zh", region="370211")
    assert [c.code for c in only.listings] == ["A2"] and only.results[0].code == "A2"
    with pytest.raises(Invalid):
        browse(dep, ANONYMOUS, "", "zh", price="cheap")
