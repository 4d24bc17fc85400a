"""Small static SVG charts for the printed report (no JavaScript in a PDF).

Why by hand: a line with a forecast band and a target marker is a few dozen lines of SVG, and
text stays real text, so WeasyPrint sets Chinese labels with the page's CJK font.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape
from typing import Any

#: Light to dark blue for choropleths (as on the web pages).
LOW, HIGH = (0xE3, 0xED, 0xF6), (0x0B, 0x3D, 0x63)


def _scale(lo: float, hi: float, a: float, b: float) -> Callable[[float], float]:
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering ``lo``..``hi``."""
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def tick_label(value: float, step: float) -> str:
    """A tick as a reader writes it: thousands separated, only the decimals the step needs."""
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    text = f"{value:,.{decimals}f}"
    return "0" if text.strip("-0.,") == "" else text


def line_chart(history: list[list[float]], fan: list[list[float | None]] | None = None,
               target: tuple[int, float] | None = None, title: str = "",
               width: int = 420, height: int = 200, invert: bool = False) -> str:
    """History line, optional 10-90 % band with median, optional target star, as SVG text."""
    band = [[v for v in r if v is not None] for r in (fan or []) if None not in r]
    return _line_chart(history, band, target, title, width, height, invert)


def _line_chart(history: list[list[float]], fan: list[list[float]],
                target: tuple[int, float] | None, title: str, width: int, height: int,
                invert: bool) -> str:
    xs = [p[0] for p in history] + [r[0] for r in fan] + ([target[0]] if target else [])
    ys = ([p[1] for p in history] + [v for r in fan for v in r[1:]]
          + ([target[1]] if target else []))
    if not xs:
        return ""
    left, right, top, bottom = 56, width - 18, 24, height - 24
    sx = _scale(min(xs), max(xs), left, right)
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    sy = _scale(lo, hi, top, bottom) if invert else _scale(lo, hi, bottom, top)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart">',
           f'<text x="{left}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
           f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#888"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#888"/>']
    ticks = nice_ticks(lo, hi)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    for v in ticks:
        out.append(f'<text x="{left - 4}" y="{sy(v) + 3:.1f}" font-size="9" '
                   f'text-anchor="end">{tick_label(v, step)}</text>')
        out.append(f'<line x1="{left}" y1="{sy(v):.1f}" x2="{right}" y2="{sy(v):.1f}" '
                   f'stroke="#dde3ea" stroke-width="0.5"/>')
    years = sorted({int(x) for x in xs})
    step = max(1, len(years) // 8)
    for y in years[::step]:
        out.append(f'<text x="{sx(y):.1f}" y="{bottom + 14}" font-size="9" '
                   f'text-anchor="middle">{y}</text>')
    if fan:
        upper = " ".join(f"{sx(r[0]):.1f},{sy(r[3]):.1f}" for r in fan)
        lower = " ".join(f"{sx(r[0]):.1f},{sy(r[1]):.1f}" for r in reversed(fan))
        out.append(f'<polygon points="{upper} {lower}" fill="#1f77b4" fill-opacity="0.2"/>')
        med = " ".join(f"{sx(r[0]):.1f},{sy(r[2]):.1f}" for r in fan)
        out.append(f'<polyline points="{med}" fill="none" stroke="#1f77b4" '
                   f'stroke-dasharray="4 3"/>')
    if history:
        pts = " ".join(f"{sx(p[0]):.1f},{sy(p[1]):.1f}" for p in history)
        out.append(f'<polyline points="{pts}" fill="none" stroke="#0b3d63" stroke-width="2"/>')
        out.extend(f'<circle cx="{sx(p[0]):.1f}" cy="{sy(p[1]):.1f}" r="2.5" fill="#0b3d63"/>'
                   for p in history)
    if target:
        out.append(f'<circle cx="{sx(target[0]):.1f}" cy="{sy(target[1]):.1f}" r="5" '
                   f'fill="#d62728"/>')
    out.append("</svg>")
    return "".join(out)


def bar_chart(labels: list[str], values: list[float], title: str = "", width: int = 420,
              height: int = 200) -> str:
    if not values:
        return ""
    left, right, top, bottom = 12, width - 10, 34, height - 24
    hi = max(values) or 1.0
    bw = (right - left) / len(values)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart">',
           f'<text x="{left}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
           f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#888"/>']
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        h = (bottom - top) * v / hi
        x = left + i * bw
        out.append(f'<rect x="{x + 2:.1f}" y="{bottom - h:.1f}" width="{bw - 4:.1f}" '
                   f'height="{h:.1f}" fill="#0b3d63"/>')
        out.append(f'<text x="{x + bw / 2:.1f}" y="{bottom - h - 3:.1f}" font-size="8" '
                   f'text-anchor="middle">{tick_label(v, 0.01 if hi < 100 else 1)}</text>')
        out.append(f'<text x="{x + bw / 2:.1f}" y="{bottom + 12}" font-size="8" '
                   f'text-anchor="middle">{escape(label[:10])}</text>')
    out.append("</svg>")
    return "".join(out)


def _colour(share: float) -> str:
    r, g, b = (round(a + (z - a) * share) for a, z in zip(LOW, HIGH, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def choropleth(features: list[dict[str, Any]], values: dict[str, float | None],
               names: dict[str, str], title: str = "", width: int = 420, height: int = 300
               ) -> str:
    """Areas (GeoJSON MultiPolygons keyed by ``id``) coloured light to dark by value, with
    their names, and a legend from the smallest to the largest value."""
    shown = [f for f in features if values.get(str(f["id"])) is not None]
    if not shown:
        return ""
    pts = [p for f in shown for poly in f["geometry"]["coordinates"] for p in poly[0]]
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    aspect = math.cos(math.radians((y0 + y1) / 2))  # equirectangular at the map's latitude
    top, bottom = 24, height - 28
    k = min((width - 20) / ((x1 - x0) * aspect or 1), (bottom - top) / ((y1 - y0) or 1))
    ox = (width - (x1 - x0) * aspect * k) / 2

    def xy(p: list[float]) -> str:
        return f"{ox + (p[0] - x0) * aspect * k:.1f},{top + (y1 - p[1]) * k:.1f}"
    nums = [float(v) for v in values.values() if v is not None]
    lo, hi = min(nums), max(nums)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart map">',
           f'<text x="10" y="14" font-size="12" font-weight="bold">{escape(title)}</text>']
    labels = []
    for f in shown:
        code = str(f["id"])
        share = (float(values[code] or 0) - lo) / (hi - lo) if hi > lo else 1.0
        d = " ".join("M" + " L".join(xy(p) for p in ring) + " Z"
                     for poly in f["geometry"]["coordinates"] for ring in poly)
        out.append(f'<path d="{d}" fill="{_colour(share)}" stroke="#fff" stroke-width="0.6" '
                   f'fill-rule="evenodd"/>')
        ring = max((poly[0] for poly in f["geometry"]["coordinates"]), key=len)
        cx = sum(p[0] for p in ring) / len(ring)
        cy = sum(p[1] for p in ring) / len(ring)
        x, y = xy([cx, cy]).split(",")
        colour = "#fff" if share > 0.55 else "#1d2733"
        labels.append(f'<text x="{x}" y="{y}" font-size="7" text-anchor="middle" '
                      f'fill="{colour}">{escape(names.get(code, code))}</text>')
    out.extend(labels)
    step = (hi - lo) / 4 if hi > lo else 1.0
    for i in range(5):
        out.append(f'<rect x="{10 + i * 40}" y="{height - 20}" width="40" height="8" '
                   f'fill="{_colour(i / 4)}"/>')
    out.append(f'<text x="10" y="{height - 3}" font-size="8">{tick_label(lo, step)}</text>')
    out.append(f'<text x="210" y="{height - 3}" font-size="8" text-anchor="end">'
               f'{tick_label(hi, step)}</text>')
    out.append("</svg>")
    return "".join(out)
