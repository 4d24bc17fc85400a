"""District and city maps: which shipped boundary set fits a set of region codes, and the
figures to colour on it (a choropleth's areas, in the order of the table beside it).

Why the boundaries are files in the package (``registry/data/maps/*.geo.json``): a bureau's
server often has no internet, so nothing is fetched at run time. Which map to draw follows from
the region codes in the data: the set whose features cover most of them, so a province's data
gets its cities' map and a city's data its districts' map, with no code naming a region.
The boundaries are schematic (see the NOTICE beside them), not an approved map.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

from pydantic import BaseModel

MAPS_PACKAGE = "observatory.registry"
MAPS_FOLDER = "data/maps"
SOURCE = ("ECharts China maps (MIT), packaged for pyecharts (echarts-china-cities-pypkg, "
          "echarts-china-provinces-pypkg), converted to GeoJSON")


class MapArea(BaseModel):
    code: str
    name_zh: str | None
    name_en: str | None
    value: float | None


class Choropleth(BaseModel):
    """One figure per area of a shipped map; ``areas`` keeps the caller's (the table's) order."""

    map_code: str
    areas: list[MapArea]
    unit: str | None = None
    source: str = SOURCE


@functools.cache
def _shipped() -> dict[str, dict[str, Any]]:
    """Every shipped boundary set, by the code of the division it maps (its file name)."""
    folder = resources.files(MAPS_PACKAGE).joinpath(*MAPS_FOLDER.split("/"))
    out: dict[str, dict[str, Any]] = {}
    for item in folder.iterdir():
        if item.name.endswith(".geo.json"):
            out[item.name.removesuffix(".geo.json")] = json.loads(
                item.read_text(encoding="utf-8"))
    return out


def geojson(map_code: str) -> dict[str, Any]:
    """The FeatureCollection of ``map_code``; features carry ``id`` = GB/T 2260 code."""
    return _shipped()[map_code]


def feature_codes(map_code: str) -> list[str]:
    return [str(f["id"]) for f in geojson(map_code)["features"]]


def map_for(codes: Iterable[str]) -> str | None:
    """The shipped map whose features cover most of ``codes`` (None if none covers any)."""
    wanted = set(codes)
    best, hits = None, 0
    for code in sorted(_shipped()):
        n = len(wanted & set(feature_codes(code)))
        if n > hits:
            best, hits = code, n
    return best


def choropleth(areas: list[MapArea], unit: str | None = None) -> Choropleth | None:
    """The areas that the best-fitting map can place (None when no shipped map fits)."""
    code = map_for(a.code for a in areas)
    if code is None:
        return None
    have = set(feature_codes(code))
    return Choropleth(map_code=code, areas=[a for a in areas if a.code in have], unit=unit)


def short_name(name: str) -> str:
    """A map label: the name without its parenthesised alias (黄岛区（西海岸新区） -> 黄岛区)."""
    return name.split("（", 1)[0].split(" (", 1)[0].removesuffix(" District").strip() or name


def centroid(feature: dict[str, Any]) -> tuple[float, float]:
    """A label point: the vertex mean of the feature's largest outer ring (good enough for a
    schematic map)."""
    rings = [poly[0] for poly in feature["geometry"]["coordinates"] if poly]
    ring = max(rings, key=_area)
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return sum(xs) / len(xs), sum(ys) / len(ys)


def _area(ring: list[list[float]]) -> float:
    return abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False))) / 2
