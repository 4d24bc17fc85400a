"""Plotly figure dicts (plain JSON) for the pages; drawn in the browser by the bundled plotly.js.

Why dicts and not plotly's Python objects: the page only needs the JSON, and building dicts is
fast enough to do on every request for cached figures.
"""

from __future__ import annotations

from typing import Any

from observatory.i18n import pick, t, yuan_scale


def _layout(title: str, y_title: str = "") -> dict[str, Any]:
    return {"title": {"text": title, "font": {"size": 14}},
            "margin": {"l": 50, "r": 10, "t": 40, "b": 40}, "height": 280,
            "legend": {"orientation": "h", "y": -0.2}, "yaxis": {"title": y_title},
            "xaxis": {"dtick": 1}}


def target_figure(target: dict[str, Any], lang: str) -> dict[str, Any]:
    """History, the 10-90 % forecast band with its median, and the target as a marker."""
    data: list[dict[str, Any]] = []
    hist = target.get("history") or []
    fan = target.get("fan") or []
    unit = target.get("unit")
    every = [r[1] for r in hist] + [v for r in fan for v in r[1:]] + [target.get("target_value")]
    _, label = _scaled(every, unit, lang)
    div = yuan_scale(every, lang)[0] if unit == "yuan" else 1.0

    def sc(v: float | None) -> float | None:
        return None if v is None else v / div
    if fan:
        years = [r[0] for r in fan]
        data.append({"x": years + years[::-1],
                     "y": [sc(r[3]) for r in fan] + [sc(r[1]) for r in fan][::-1],
                     "fill": "toself", "fillcolor": "rgba(31,119,180,0.2)",
                     "line": {"width": 0}, "name": t("forecast", lang), "hoverinfo": "skip",
                     "type": "scatter"})
        data.append({"x": years, "y": [sc(r[2]) for r in fan], "mode": "lines",
                     "line": {"dash": "dot", "color": "#1f77b4"}, "name": "p50",
                     "type": "scatter"})
    if hist:
        data.append({"x": [r[0] for r in hist], "y": [sc(r[1]) for r in hist],
                     "mode": "lines+markers", "name": t("history", lang), "type": "scatter",
                     "line": {"color": "#0b3d63"}})
    if target.get("target_value") is not None and target.get("target_year"):
        data.append({"x": [target["target_year"]], "y": [sc(target["target_value"])],
                     "mode": "markers", "marker": {"symbol": "star", "size": 14,
                                                   "color": "#d62728"},
                     "name": t("target", lang), "type": "scatter"})
    return {"data": data, "layout": _layout(pick(lang, target.get("name_zh"),
                                                 target.get("name_en")), label)}


def _scaled(values: list[float | None], unit: str | None, lang: str
            ) -> tuple[list[float | None], str]:
    """Yuan amounts in 亿元 / bn yuan (as the tables show them); other units unchanged."""
    if unit != "yuan":
        return values, unit or ""
    div, label = yuan_scale(values, lang)
    return [None if v is None else v / div for v in values], label


def series_figure(points: list[list[float]], title: str, reversed_y: bool = False,
                  unit: str | None = None, lang: str = "en") -> dict[str, Any]:
    ys, label = _scaled([p[1] for p in points], unit, lang)
    layout = _layout(title, label)
    if reversed_y:
        layout["yaxis"]["autorange"] = "reversed"
    return {"data": [{"x": [p[0] for p in points], "y": ys,
                      "mode": "lines+markers", "type": "scatter", "name": title}],
            "layout": layout}


def district_figure(comparison: dict[str, Any], lang: str) -> dict[str, Any]:
    """Districts side by side for one period, largest first (a horizontal bar chart)."""
    rows = comparison["districts"][::-1]  # Plotly draws the first bar at the bottom
    xs, label = _scaled([r["value"] for r in rows], comparison.get("unit"), lang)
    layout = _layout(f"{t('district_comparison', lang)} · {comparison['period']}")
    layout.update({"height": 60 + 28 * len(rows), "xaxis": {"title": label},
                   "yaxis": {"automargin": True}, "margin": {"l": 10, "r": 10, "t": 40,
                                                             "b": 40}})
    return {"data": [{"type": "bar", "orientation": "h", "x": xs,
                      "y": [pick(lang, r["name_zh"], r["name_en"]) for r in rows],
                      "marker": {"color": [f"rgba(11,61,99,{0.25 + 0.7 * r['share']:.2f})"
                                           for r in rows]}}],
            "layout": layout}

