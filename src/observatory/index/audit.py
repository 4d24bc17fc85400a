"""Statistical audit: indicator statistics with flags, correlations within and across levels
with flags, data availability (JRC/COIN handbook practice; COINr get_stats / get_corr)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import pearsonr

from .meta import IndexMeta
from .pipeline import data_availability
from .treat import kurt, skew

__all__ = ["indicator_stats", "corr_with_parent", "corr_flags", "data_availability"]


def indicator_stats(
    x: pd.DataFrame, t_skew: float = 2.0, t_kurt: float = 3.5, t_avail: float = 0.65,
    t_zero: float = 0.5, t_unq: float = 0.5,
) -> pd.DataFrame:
    """Per indicator: min, max, mean, median, SD, skew, kurtosis, availability, zeros, unique
    values, most repeated value count; flags LOW availability / non-zero / unique and OUT for
    |skew| > t_skew with kurtosis > t_kurt."""
    rows = []
    n = len(x)
    for c in x.columns:
        v = x[c].to_numpy(dtype=float)
        a = v[~np.isnan(v)]
        uniq, counts = np.unique(a, return_counts=True)
        sk, ku = skew(a), kurt(a)
        r = {
            "iCode": c, "Min": a.min(), "Max": a.max(), "Mean": a.mean(),
            "Median": float(np.median(a)), "Std": a.std(ddof=1), "Skew": sk, "Kurt": ku,
            "N.Avail": a.size, "N.NonZero": int(np.sum(a != 0)), "N.Unique": uniq.size,
            "N.Same": int(counts.max()) if counts.size else 0,
        }
        r["Frc.Avail"] = r["N.Avail"] / n
        r["Frc.NonZero"] = r["N.NonZero"] / a.size
        r["Frc.Unique"] = r["N.Unique"] / a.size
        r["Frc.Same"] = r["N.Same"] / a.size
        r["Flag.Avail"] = "LOW" if r["Frc.Avail"] < t_avail else "ok"
        r["Flag.NonZero"] = "LOW" if r["Frc.NonZero"] < t_zero else "ok"
        r["Flag.Unique"] = "LOW" if r["Frc.Unique"] < t_unq else "ok"
        r["Flag.SkewKurt"] = "OUT" if (abs(sk) > t_skew and ku > t_kurt) else "ok"
        rows.append(r)
    return pd.DataFrame(rows).set_index("iCode")


def corr_with_parent(x: pd.DataFrame, meta: IndexMeta, level: int,
                     pval: float | None = 0.05) -> pd.DataFrame:
    """Pearson correlation of each node at ``level`` with its parent (columns Parent, Code,
    Correlation, P). With ``pval``, correlations not significant at that level (two-sided
    t-test) are reported as NaN, as COINr's get_corr does by default."""
    rows = []
    for c in meta.codes(level):
        p = meta.parent(c)
        ok = x[[c, p]].dropna()
        r, pv = pearsonr(ok[c], ok[p])
        rows.append({"Parent": p, "Code": c, "P": float(pv),
                     "Correlation": np.nan if pval is not None and pv > pval else float(r)})
    return pd.DataFrame(rows)


def corr_flags(x: pd.DataFrame, meta: IndexMeta, threshold: float, kind: str = "high",
               group_level: int = 2, method: str = "pearson") -> pd.DataFrame:
    """Pairs of indicators in the same group (ancestor at ``group_level``) whose correlation is
    above (``high``) or below (``low``) the threshold."""
    inds = [c for c in meta.indicators if c in x.columns]
    cm = x[inds].corr(method=method)
    rows = []
    for i, a in enumerate(inds):
        for b in inds[i + 1:]:
            ga, gb = meta.ancestor(a, group_level), meta.ancestor(b, group_level)
            if ga != gb:
                continue
            r = cm.at[a, b]
            if (kind == "high" and r > threshold) or (kind == "low" and r < threshold):
                rows.append({"Group": ga, "Ind1": a, "Ind2": b, "Corr": r})
    return pd.DataFrame(rows, columns=["Group", "Ind1", "Ind2", "Corr"])


def correlation(a: pd.Series, b: pd.Series, pval: float | None = 0.05) -> float:
    """Pearson correlation over complete pairs; NaN when not significant at ``pval``."""
    ok = pd.concat([a, b], axis=1).dropna()
    r, pv = pearsonr(ok.iloc[:, 0], ok.iloc[:, 1])
    return np.nan if pval is not None and pv > pval else float(r)
