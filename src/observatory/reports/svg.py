"""Small static SVG charts for the printed report (no JavaScript in a PDF).

Why by hand: a line with a forecast band and a target marker is a few dozen lines of SVG, and
text stays real text, so WeasyPrint sets Chinese labels with the page's CJK font.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape


def _scale(lo: float, hi: float, a: float, b: float) -> Callable[[float], float]:
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


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
    left, right, top, bottom = 48, width - 10, 24, height - 24
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
    for v in (lo + pad, (lo + hi) / 2, hi - pad):
        out.append(f'<text x="{left - 4}" y="{sy(v) + 4:.1f}" font-size="9" '
                   f'text-anchor="end">{v:,.4g}</text>')
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
    left, right, top, bottom = 48, width - 10, 24, height - 40
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
        out.append(f'<text x="{x + bw / 2:.1f}" y="{bottom + 12}" font-size="8" '
                   f'text-anchor="middle">{escape(label[:10])}</text>')
    out.append("</svg>")
    return "".join(out)
