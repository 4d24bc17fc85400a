"""The example city reads as real: distinct listing titles, names without serials, real English."""

from __future__ import annotations

import json
import re
from importlib import resources

from observatory.examples.generator import LISTING_TEXT_COLUMNS, CityBuilder
from observatory.examples.listing_texts import ListingWriter, csl_rows
from observatory.examples.names import OrgNamer

# Enough of the city for organisations and listings at full size, without the slow steps.
STEPS = ("sources", "organisations", "designations", "organisation_years_and_rd", "platforms",
         "persons", "plans", "projects", "listings")


def _city(seed: int) -> CityBuilder:
    builder = CityBuilder(seed=seed)
    for step in STEPS:
        getattr(builder, step)()
    return builder


def _texts(builder: CityBuilder, table: str) -> list[tuple[object, ...]]:
    start = 2  # id, code, then the text columns
    return [row[start:start + len(LISTING_TEXT_COLUMNS)] for row in builder.tables[table].rows]


def _share_distinct(values: list[object]) -> float:
    present = [v for v in values if v]
    return len(set(present)) / len(present)


def test_listing_titles_are_distinct_and_names_carry_no_serials() -> None:
    city = _city(42)
    for table in ("achievements", "demands"):
        rows = _texts(city, table)
        assert len(rows) > 1000, table
        assert _share_distinct([r[0] for r in rows]) >= 0.95, table  # title_zh
        assert _share_distinct([r[1] for r in rows]) >= 0.95, table  # title_en
        with_en = [r for r in rows if r[1]]
        assert len(with_en) / len(rows) > 0.85, table  # most listings are bilingual
        # English is English: no Chinese characters in any English column.
        english = [v for r in rows for v in r[1::2] if v]
        assert not [v for v in english if re.search(r"[\u4e00-\u9fff]", str(v))]
    demands = [r[2] for r in _texts(city, "demands")]
    # A need says its budget and deadline.
    assert all(re.search(r"预算约\d+万元", s) and re.search(r"\d{4}年\d{1,2}月前", s)
               for s in demands)
    orgs = city.tables["organisations"].rows
    names_zh, names_en = [r[2] for r in orgs], [r[3] for r in orgs]
    assert len(set(names_zh)) == len(orgs) and len(set(names_en)) == len(orgs)
    with_digits = [n for n in names_zh + names_en if re.search(r"\d", n)]
    assert len(with_digits) <= 0.01 * len(orgs) * 2
    kinds = {r[4] for r in orgs}
    assert {"university", "institute", "enterprise"} <= kinds
    research = [r[2] for r in orgs if r[4] in ("university", "institute")]
    assert all(re.search("大学|学院|研究院|研究所|中心", n) for n in research)
    projects = [r[2] for r in city.tables["projects"].rows]
    assert len(set(projects)) >= 0.75 * len(projects)
    platforms = [r[2] for r in city.tables["platforms"].rows]
    assert len(set(platforms)) == len(platforms)
    assert sum(bool(re.search(r"\d", n)) for n in platforms) <= 0.01 * len(platforms)


def test_same_seed_gives_the_same_texts_and_another_seed_others() -> None:
    def sample(seed: int) -> list[object]:
        writer, namer = ListingWriter(seed), OrgNamer(seed)
        out: list[object] = [namer.enterprise("vr") for _ in range(50)]
        out += [writer.achievement("ai", 5, research=i % 3 == 0) for i in range(50)]
        import datetime as dt

        out += [writer.demand("ict", dt.date(2024, 3, 1), 500_000) for _ in range(50)]
        return out

    assert sample(7) == sample(7)
    assert sample(7) != sample(8)


def test_titles_repeat_only_after_a_field_used_every_combination() -> None:
    writer = ListingWriter(1)
    titles = [writer.achievement("fisheries", 6, research=False)["title_zh"] for _ in range(200)]
    assert len(set(titles)) == len(titles)


def test_the_bundled_csl_subset_is_small_cited_and_real() -> None:
    path = resources.files("observatory.examples.data").joinpath("csl_listings.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert len(path.read_bytes()) <= 2_000_000
    assert "Apache-2.0" in doc["licence"] and "COLING 2022" in doc["cite"]
    assert resources.files("observatory.examples.data").joinpath("CSL-LICENSE.txt").is_file()
    rows = csl_rows()
    assert len(rows) > 200 and len({r.title for r in rows}) == len(rows)
    from observatory.examples.texts import FIELD_WORDS

    assert {r.field for r in rows} <= set(FIELD_WORDS)


def test_names_stay_unique_beyond_the_vocabulary() -> None:
    """At scales far above one the brands run out; names then carry a number, still unique."""
    namer = OrgNamer(3)
    names = [namer.enterprise("vr") for _ in range(16_000)]
    assert len({zh for zh, _ in names}) == len(names) == len({en for _, en in names})
    assert re.search(r"\d", names[-1][0]) and not re.search(r"\d", names[0][0])
