"""Plotly figure dicts (plain JSON) for the pages; drawn in the browser by the bundled plotly.js.

Why dicts and not plotly's Python objects: the page only needs the JSON, and building dicts is
fast enough to do on every request for cached figures.
"""

from __future__ import annotations

from typing import Any

from observatory.i18n import pick, t, unit_label, yuan_scale
from observatory.services import maps
from observatory.services.maps import Choropleth

MODEBAR_MARGIN = 40  # px on the right: room for the upright mode bar beside the plot


def _layout(title: str, y_title: str = "") -> dict[str, Any]:
    """The house layout: the title on the left of the top margin and Plotly's mode bar upright
    in the right margin, so the bar never covers the title."""
    return {"title": {"text": title, "font": {"size": 14}, "x": 0, "xanchor": "left",
                      "xref": "container", "pad": {"l": 8}},
            "modebar": {"orientation": "v"},
            "margin": {"l": 50, "r": MODEBAR_MARGIN, "t": 40, "b": 40}, "height": 280,
            "legend": {"orientation": "h", "y": -0.2}, "yaxis": {"title": {"text": y_title}},
            "xaxis": {"tickformat": "d", "nticks": 7, "tickangle": 0}}


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
                     "line": {"dash": "dot", "color": "#1f77b4"}, "name": t("median", lang),
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
        return values, unit_label(unit, lang)
    div, label = yuan_scale(values, lang)
    return [None if v is None else v / div for v in values], label


def table_scale(values: list[float | None], unit: str | None, lang: str) -> tuple[float, str]:
    """Divisor and unit label that a table beside a chart uses, so both print one number."""
    if unit == "yuan":
        return yuan_scale(values, lang)
    return 1.0, unit_label(unit, lang)


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
    layout.update({"height": 60 + 28 * len(rows), "xaxis": {"title": {"text": label}},
                   "yaxis": {"automargin": True}, "margin": {"l": 10, "r": MODEBAR_MARGIN,
                                                             "t": 40, "b": 40}})
    return {"data": [{"type": "bar", "orientation": "h", "x": xs,
                      "y": [pick(lang, r["name_zh"], r["name_en"]) for r in rows],
                      "marker": {"color": [f"rgba(11,61,99,{0.25 + 0.7 * r['share']:.2f})"
                                           for r in rows]}}],
            "layout": layout}



def choropleth_figure(ch: Choropleth | None, title: str, lang: str) -> dict[str, Any] | None:
    """A district (or city) map coloured by value, on the shipped schematic boundaries; its z
    values are the table's figures (yuan in 亿元 / bn yuan, as the table shows them)."""
    if ch is None or not ch.areas:
        return None
    gj = maps.geojson(ch.map_code)
    zs, label = _scaled([a.value for a in ch.areas], ch.unit, lang)
    unit = label
    names = [pick(lang, a.name_zh, a.name_en) or a.code for a in ch.areas]
    by_code = {str(f["id"]): f for f in gj["features"]}
    centres = [maps.centroid(by_code[a.code]) for a in ch.areas]
    layout = _layout(title)
    layout.update({"height": 380, "margin": {"l": 0, "r": MODEBAR_MARGIN, "t": 40, "b": 0},
                   "geo": {"fitbounds": "locations", "visible": False,
                           "projection": {"type": "mercator"}}})
    return {"data": [
        {"type": "choropleth", "geojson": gj, "featureidkey": "id",
         "locations": [a.code for a in ch.areas], "z": zs, "text": names,
         "colorscale": [[0, "#e3edf6"], [1, "#0b3d63"]],
         "marker": {"line": {"color": "#ffffff", "width": 1}},
         "hovertemplate": "%{text}: %{z:,.2f} " + unit + "<extra></extra>",
         "colorbar": {"title": {"text": unit}, "thickness": 12}},
        {"type": "scattergeo", "mode": "text", "lon": [c[0] for c in centres],
         "lat": [c[1] for c in centres], "text": [maps.short_name(n) for n in names],
         "hoverinfo": "skip",
         "textfont": {"size": 9, "color": "#1d2733"}, "showlegend": False}],
        "layout": layout}


def district_map(comparison: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    """The district comparison (the table beside it) on the map of the districts' parent."""
    if not comparison:
        return None
    areas = [maps.MapArea(code=d["code"], name_zh=d["name_zh"], name_en=d["name_en"],
                          value=d["value"]) for d in comparison["districts"]]
    title = f"{t('district_map', lang)} · {comparison['period']}"
    return choropleth_figure(maps.choropleth(areas, comparison.get("unit")), title, lang)


def index_map(rows: list[dict[str, Any]], year: int | None, lang: str) -> dict[str, Any] | None:
    """The district index scores (the index table's column) on the districts' map."""
    areas = [maps.MapArea(code=str(r["region"]), name_zh=r.get("name_zh"),
                          name_en=r.get("name_en"),
                          value=None if r.get("score") is None else round(r["score"], 1))
             for r in rows]  # one decimal, as the index table prints the scores
    title = t("index_map", lang) + (f" · {year}" if year else "")
    return choropleth_figure(maps.choropleth(areas, "score"), title, lang)
