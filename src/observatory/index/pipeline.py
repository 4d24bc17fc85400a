"""The pipeline object: data sets of every step, metadata, and a replayable log.

Each step method (``denominate``, ``screen``, ``impute``, ``treat``, ``normalise``,
``aggregate``) reads one named data set, writes another, and appends ``Step(name, params)`` to
``log``. ``replay(edits)`` rebuilds a fresh pipeline from the raw inputs by re-running the log
with some parameters changed: this is how uncertainty analysis works (COINr's "regen").

Data sets are DataFrames indexed by unit code (one year) or by (Time, unit) for a panel, with
one column per indicator (and per aggregate after ``aggregate``).

Example::

    >>> p = Pipeline(data, meta)               # doctest: +SKIP
    >>> p.normalise("Raw").aggregate("Normalised")   # doctest: +SKIP
    >>> p.results()            # doctest: +SKIP
    (scores and ranks at every level)
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from . import aggregate as agg
from . import impute as imp
from . import normalise as nrm
from . import treat as trt
from .meta import IndexInputError, IndexMeta


class _ImputeSpec(TypedDict):
    method: str
    group: str | None


def _keyed(table: Mapping[Any, Any], key: int | str) -> Any:
    """``table[key]`` or, as YAML/JSON may give the key as text, ``table[str(key)]``; else None."""
    return table.get(key, table.get(str(key)))


@dataclass
class Step:
    """One logged build step: method name and its parameters (plain, YAML-able values)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


class Pipeline:
    """Composite-index builder holding data sets, metadata, analysis tables and a step log."""

    def __init__(
        self, data: pd.DataFrame, meta: pd.DataFrame | IndexMeta, *, unit_col: str = "uCode",
        time_col: str | None = "Time", name_col: str | None = "uName", source: str = "data",
    ) -> None:
        self._inputs = (data, meta, unit_col, time_col, name_col, source)
        self.meta = meta if isinstance(meta, IndexMeta) else IndexMeta(meta)
        if unit_col not in data.columns:
            raise IndexInputError(source, unit_col, None, "unit code column is missing",
                                  "缺少单位代码列")
        inds = self.meta.indicators
        missing = [c for c in inds if c not in data.columns]
        if missing:
            raise IndexInputError(source, missing[0], None,
                                  "indicator in the metadata has no data column",
                                  "元数据中的指标在数据中没有对应列")
        df = data.copy()
        self.panel = bool(time_col and time_col in df.columns and df[time_col].nunique() > 1)
        self.time_col = time_col if self.panel else None
        self.unit_col = unit_col
        keys = [time_col, unit_col] if self.panel else [unit_col]
        dup = df.duplicated(keys)
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise IndexInputError(f"{source} row {i + 2}", unit_col, df[unit_col].iloc[i],
                                  "duplicate unit (and time)", "单位（及年份）重复")
        for c in inds:
            conv = pd.to_numeric(df[c], errors="coerce")
            bad = conv.isna() & df[c].notna()
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise IndexInputError(f"{source} row {i + 2}", c, df[c].iloc[i],
                                      "not a number", "不是数字")
            df[c] = conv.astype(float)
        df = df.set_index(keys)
        self.units = df.drop(columns=inds)
        self.dsets: dict[str, pd.DataFrame] = {"Raw": df[inds].astype(float)}
        self.log: list[Step] = []
        self.analysis: dict[str, Any] = {}
        self.weight_sets: dict[str, dict[str, float]] = {"Original": self.meta.weights()}

    # -- generic machinery -----------------------------------------------------------------
    def _record(self, name: str, params: dict[str, Any]) -> None:
        self.log.append(Step(name, copy.deepcopy(params)))

    def get(self, dset: str) -> pd.DataFrame:
        """A named data set (a copy-safe view; do not modify in place)."""
        if dset not in self.dsets:
            raise KeyError(f"data set {dset!r} not built; have {list(self.dsets)}")
        return self.dsets[dset]

    def _by_time(self, df: pd.DataFrame):
        if self.panel:
            yield from df.groupby(level=self.time_col, sort=True)
        else:
            yield None, df

    def replay(self, edits: dict[str | int, dict[str, Any]] | None = None,
               stop: int | None = None, reuse: bool = True) -> Pipeline:
        """Rebuild from the raw inputs, re-running the log with ``edits`` merged into the
        parameters (keys: step name, or step position in the log). Leading steps whose
        parameters are unchanged are reused, not recomputed, when ``reuse``; ``stop`` runs only
        the first ``stop`` steps."""
        new = self._blank()
        edits = edits or {}
        steps = self.log if stop is None else self.log[:stop]
        unchanged = reuse
        for i, step in enumerate(steps):
            params = dict(step.params)
            params.update(edits.get(step.name, {}))
            params.update(edits.get(i, {}))
            if unchanged and params == step.params and "write_to" in params:
                new.log.append(Step(step.name, copy.deepcopy(params)))
                out = params["write_to"]
                new.dsets[out] = self.dsets[out]
                if out in self.analysis:
                    new.analysis[out] = self.analysis[out]
                continue
            unchanged = False
            getattr(new, step.name)(**params)
        return new

    def _blank(self) -> Pipeline:
        """A pipeline with the same inputs and no steps run (no re-parsing)."""
        new = object.__new__(Pipeline)
        new._inputs, new.meta, new.panel = self._inputs, self.meta, self.panel
        new.time_col, new.unit_col, new.units = self.time_col, self.unit_col, self.units
        new.dsets = {"Raw": self.dsets["Raw"]}
        new.log, new.analysis = [], {}
        new.weight_sets = copy.deepcopy(self.weight_sets)
        return new

    # -- steps -----------------------------------------------------------------------------
    def denominate(self, dset: str = "Raw", denominators: dict[str, str] | None = None,
                   write_to: str = "Denominated") -> Pipeline:
        """Divide indicators by a named denominator column (default: iMeta 'Denominator')."""
        self._record("denominate", {"dset": dset, "denominators": denominators,
                                    "write_to": write_to})
        x = self.get(dset).copy()
        if denominators is None:
            den = self.meta.tree["Denominator"]
            denominators = {c: str(den[c]) for c in x.columns
                            if c in den.index and pd.notna(den[c]) and str(den[c]) != ""}
        for ind, dcol in denominators.items():
            if dcol not in self.units.columns:
                raise IndexInputError("denominate", "Denominator", dcol,
                                      f"no denominator column for {ind}", f"{ind} 缺少分母列")
            d = pd.to_numeric(self.units.loc[x.index, dcol], errors="coerce")
            x[ind] = x[ind] / d
        self.dsets[write_to] = x
        return self

    def screen(self, dset: str = "Raw", dat_thresh: float = 0.66, nonzero_thresh: float = 0.5,
               by: str = "byNA", write_to: str = "Screened") -> Pipeline:
        """Drop units whose data availability (share of indicators present) is below
        ``dat_thresh`` (``byNA``), or also whose non-zero share is below ``nonzero_thresh``
        (``byNA_and_zero``), or keep all (``none``)."""
        self._record("screen", {"dset": dset, "dat_thresh": dat_thresh,
                                "nonzero_thresh": nonzero_thresh, "by": by,
                                "write_to": write_to})
        x = self.get(dset)
        summ = data_availability(x)
        summ["LowData"] = summ["Dat_Avail"] < dat_thresh
        summ["LowNonZero"] = summ["Non_Zero"] < nonzero_thresh
        if by == "byNA":
            flag = summ["LowData"]
        elif by == "byNA_and_zero":
            flag = summ["LowData"] | summ["LowNonZero"]
        elif by == "none":
            flag = summ["LowData"] & False
        else:
            raise ValueError(f"screen 'by' must be byNA, byNA_and_zero or none, not {by!r}")
        summ["LowDatOrZeroFlag"] = flag
        summ["Included"] = ~flag
        self.analysis[write_to] = {"summary": summ,
                                   "removed": list(summ.index[flag])}
        self.dsets[write_to] = x.loc[summ.index[~flag]]
        return self

    def impute(self, dset: str = "Raw", method: str = "mean", group: str | None = None,
               per_indicator: dict[str, Any] | None = None, level: int = 2,
               normalise_first: bool = True, write_to: str = "Imputed") -> Pipeline:
        """Impute missing values; ``method`` applies to every indicator unless overridden in
        ``per_indicator`` ({iCode: method} or {iCode: {method:, group:}})."""
        self._record("impute", {"dset": dset, "method": method, "group": group,
                                "per_indicator": per_indicator, "level": level,
                                "normalise_first": normalise_first, "write_to": write_to})
        x = self.get(dset).copy()
        specs: dict[str, _ImputeSpec] = {c: {"method": method, "group": group}
                                         for c in x.columns}
        for c, s in (per_indicator or {}).items():
            specs[c] = {"method": s, "group": group} if isinstance(s, str) else {
                "method": s.get("method", method), "group": s.get("group", group)}
        for c, s in specs.items():
            if s["method"] not in imp.METHODS:
                raise ValueError(f"unknown imputation {s['method']!r} for {c}")
        # row method first needs a whole block, handled together
        row_cols = [c for c, s in specs.items() if s["method"] == "row_mean"]
        if row_cols:
            parents = {c: self.meta.ancestor(c, level) for c in x.columns}
            dirs = {c: float(self.meta.tree.at[c, "Direction"]) for c in x.columns}
            for _, block in self._by_time(x):
                filled = imp.impute_row_mean(block, parents, dirs, normalise_first)
                x.loc[block.index, row_cols] = filled[row_cols]
        panel_cols = [c for c, s in specs.items() if s["method"] in imp.PANEL]
        for m in imp.PANEL:
            cols = [c for c in panel_cols if specs[c]["method"] == m]
            if cols:
                if self.time_col is None:  # set exactly when the data are a panel
                    raise ValueError(f"panel imputation {m!r} needs panel data (a Time column)")
                x[cols] = imp.impute_panel(x[cols], m, self.time_col)
        col_cols = [c for c, s in specs.items() if s["method"] in imp.COLUMN]
        for _, block in self._by_time(x):
            for c in col_cols:
                g = specs[c]["group"]
                groups = None
                if g is not None:
                    if g not in self.units.columns:
                        raise IndexInputError("impute", "group", g, "no such group column",
                                              "没有该分组列")
                    groups = self.units.loc[block.index, g]
                x.loc[block.index, c] = imp.impute_column(block[c], specs[c]["method"], groups)
        self.dsets[write_to] = x
        return self

    def treat(self, dset: str = "Raw", winmax: int | str | None = 5, skew_thresh: float = 2.25,
              kurt_thresh: float = 3.5, fallback: str = "log_CT", count: str = "points",
              per_indicator: dict[str, Any] | None = None, write_to: str = "Treated"
              ) -> Pipeline:
        """Outlier treatment per indicator (see ``treat.treat_column``); ``per_indicator`` maps
        an iCode to 'none' or to a dict overriding any of the parameters. Panels: per year."""
        self._record("treat", {"dset": dset, "winmax": winmax, "skew_thresh": skew_thresh,
                               "kurt_thresh": kurt_thresh, "fallback": fallback,
                               "count": count, "per_indicator": per_indicator,
                               "write_to": write_to})
        x = self.get(dset).copy()
        rows, points = [], {}
        base = {"winmax": winmax, "skew_thresh": skew_thresh, "kurt_thresh": kurt_thresh,
                "fallback": fallback, "count": count}
        for t, block in self._by_time(x):
            arr = block.to_numpy(dtype=float).copy()
            for j, c in enumerate(x.columns):
                spec = (per_indicator or {}).get(c, {})
                if spec == "none":
                    continue
                r = trt.treat_column(arr[:, j], **{**base, **spec})
                arr[:, j] = r.x
                row = trt.treat_details_row(c, r)
                if self.panel:
                    row["Time"] = t
                rows.append(row)
                points[(t, c)] = pd.Series(r.points, index=block.index)
            x.loc[block.index, :] = arr
        details = pd.DataFrame(rows)
        pts = pd.concat(
            {c: pd.concat([s for (t, cc), s in points.items() if cc == c]) for c in x.columns
             if any(cc == c for (_, cc) in points)}, axis=1)
        self.analysis[write_to] = {"details": details, "points": pts}
        self.dsets[write_to] = x
        return self

    def normalise(self, dset: str = "Raw", method: str = "minmax",
                  params: dict[str, Any] | None = None,
                  per_indicator: dict[str, Any] | None = None, pooled: bool = True,
                  write_to: str = "Normalised") -> Pipeline:
        """Normalise every indicator (direction applied first). ``per_indicator``: {iCode:
        {method:, params:}}. Panels: ``pooled=True`` uses all years together (comparable over
        time), otherwise each year separately."""
        params = params if params is not None else default_params(method)
        self._record("normalise", {"dset": dset, "method": method, "params": params,
                                   "per_indicator": per_indicator, "pooled": pooled,
                                   "write_to": write_to})
        x = self.get(dset)
        inds = [c for c in x.columns if c in self.meta.indicators]
        spec = {c: (method, params) for c in inds}
        for c, s in (per_indicator or {}).items():
            m = s.get("method", method)
            spec[c] = (m, s.get("params", default_params(m) if m != method else params))
        out = x.copy()
        groups: dict[tuple[str, str], list[str]] = {}
        for c, (m, p) in spec.items():
            groups.setdefault((m, repr(sorted(p.items()))), []).append(c)
        blocks = [(None, x)] if (pooled or not self.panel) else list(self._by_time(x))
        for (m, _), cols in groups.items():
            p = spec[cols[0]][1]
            for _, block in blocks:
                vals = nrm.normalise_block(
                    block[cols].to_numpy(dtype=float), m, p, self.meta.directions(cols),
                    targets=self.meta.column("Target", cols),
                    goalposts_lu=(self.meta.column("GoalLower", cols),
                                  self.meta.column("GoalUpper", cols)),
                )
                out.loc[block.index, cols] = vals
        self.dsets[write_to] = out
        return self

    def aggregate(self, dset: str = "Normalised", method: str = "amean",
                  params: dict[str, Any] | None = None,
                  per_level: dict[int, Any] | None = None,
                  per_node: dict[str, Any] | None = None,
                  weights: str | dict[str, float] = "Original",
                  dat_thresh: float | dict[int, float] | None = None,
                  write_to: str = "Aggregated") -> Pipeline:
        """Aggregate level by level up the tree. Method per level (``per_level``: {level:
        method or {method:, params:}}, level = the level being computed) or per node
        (``per_node``). Missing children are skipped with weights renormalised; ``dat_thresh``
        (one value, or {level: value}) makes a score missing below that share of children."""
        self._record("aggregate", {"dset": dset, "method": method, "params": params,
                                   "per_level": per_level, "per_node": per_node,
                                   "weights": weights, "dat_thresh": dat_thresh,
                                   "write_to": write_to})
        w = self.resolve_weights(weights)
        x = self.get(dset)
        cols = {c: x[c].to_numpy(dtype=float) for c in self.meta.indicators}
        for lev in range(2, self.meta.n_levels + 1):
            for node in self.meta.codes(lev):
                m, p = method, params or {}
                for src, key in ((per_level or {}, lev), (per_node or {}, node)):
                    s = _keyed(src, key)
                    if s is not None:
                        m, p = (s, {}) if isinstance(s, str) else (
                            s.get("method", m), s.get("params", {}))
                ch = self.meta.children(node)
                X = np.column_stack([cols[c] for c in ch])
                thr = _keyed(dat_thresh, lev) if isinstance(dat_thresh, dict) else dat_thresh
                cols[node] = agg.aggregate_block(X, np.array([w[c] for c in ch]), m, p, thr)
        self.dsets[write_to] = pd.DataFrame(cols, index=x.index)
        self.analysis[write_to] = {"effective_weights": self.meta.effective_weights(w)}
        return self

    # -- weights and results ---------------------------------------------------------------
    def resolve_weights(self, weights: str | dict[str, float]) -> dict[str, float]:
        """A named weight set, or the original weights overridden by the given ones."""
        if isinstance(weights, str):
            if weights not in self.weight_sets:
                raise KeyError(f"no weight set {weights!r}; have {list(self.weight_sets)}")
            return self.weight_sets[weights]
        w = dict(self.weight_sets["Original"])
        w.update({k: float(v) for k, v in weights.items()})
        return w

    def results(self, dset: str = "Aggregated") -> pd.DataFrame:
        """Scores of every aggregate (top level first) with the rank of each (1 = best, ties
        take the minimum rank; ranked within each year for a panel)."""
        x = self.get(dset)
        codes = [c for lev in range(self.meta.n_levels, 1, -1) for c in self.meta.codes(lev)]
        out = x[codes].copy()
        for c in codes:
            if self.panel:
                out[f"Rank_{c}"] = out.groupby(level=self.time_col)[c].rank(
                    ascending=False, method="min")
            else:
                out[f"Rank_{c}"] = out[c].rank(ascending=False, method="min")
        return out


def default_params(method: str) -> dict[str, Any]:
    """Default parameters of each normalisation method."""
    return {"minmax": {"lower": 0.0, "upper": 100.0}, "zscore": {"mean": 0.0, "sd": 1.0}}.get(
        method, {})


def data_availability(x: pd.DataFrame) -> pd.DataFrame:
    """Per unit: missing and zero counts, data availability and non-zero shares."""
    k = x.shape[1]
    n_miss = x.isna().sum(axis=1)
    n_zero = (x == 0).sum(axis=1)
    return pd.DataFrame({
        "N_missing": n_miss, "N_zero": n_zero, "N_miss_or_zero": n_miss + n_zero,
        "Dat_Avail": 1 - n_miss / k, "Non_Zero": 1 - n_zero / (k - n_miss),
    })
