"""Index metadata: the structure tree, directions, weights, targets; validated on construction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

REQUIRED = ("iCode", "Level", "Parent", "Direction", "Weight", "Type")


class IndexInputError(ValueError):
    """Bad index input: says where and why, in English and Chinese."""

    def __init__(self, where: str, field: str, value: object, reason_en: str, reason_zh: str):
        self.where, self.field, self.value = where, field, value
        self.reason_en, self.reason_zh = reason_en, reason_zh
        super().__init__(f"{where}: field {field!r} = {value!r}: {reason_en} / {reason_zh}")


@dataclass
class IndexMeta:
    """Structure of a composite index (COINr iMeta conventions).

    Rows with Type 'Indicator' (Level 1) and 'Aggregate' (Level >= 2) make the tree; 'Group'
    rows name unit grouping columns, 'Denominator' rows name denominator columns.
    """

    table: pd.DataFrame
    source: str = "iMeta"

    def __post_init__(self) -> None:
        t = self._checked_columns(self.table.copy())
        tree = self._checked_tree(t[t["Type"].isin(["Indicator", "Aggregate"])].copy())
        self.table = t
        self.tree = tree.set_index("iCode")
        self._children: dict[str, list[str]] = {}
        self._level = {str(c): int(v) for c, v in self.tree["Level"].items()}
        self._parent = {str(c): v for c, v in self.tree["Parent"].items()}
        for c, p in self._parent.items():
            self._children.setdefault(str(p), []).append(c)
        self._indicators = [c for c, v in self._level.items() if v == 1]

    def _checked_columns(self, t: pd.DataFrame) -> pd.DataFrame:
        """Required columns present, known row types, unique codes; optional columns added."""
        for col in REQUIRED:
            if col not in t.columns:
                raise IndexInputError(self.source, col, None, "required column is missing",
                                      "缺少必需的列")
        t["Type"] = t["Type"].astype(str)
        bad = ~t["Type"].isin(["Indicator", "Aggregate", "Group", "Denominator", "Other"])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise IndexInputError(f"{self.source} row {i + 2}", "Type", t["Type"].iloc[i],
                                  "must be Indicator, Aggregate, Group, Denominator or Other",
                                  "类型必须是 Indicator、Aggregate、Group、Denominator 或 Other")
        if t["iCode"].duplicated().any():
            i = int(np.flatnonzero(t["iCode"].duplicated())[0])
            raise IndexInputError(f"{self.source} row {i + 2}", "iCode", t["iCode"].iloc[i],
                                  "duplicate code", "代码重复")
        for col in ("Target", "Denominator", "iName", "GoalLower", "GoalUpper"):
            if col not in t.columns:
                t[col] = np.nan
        return t

    def _checked_tree(self, tree: pd.DataFrame) -> pd.DataFrame:
        """Tree rows with numeric level, weight and direction, each parent one level up."""
        for i, row in tree.iterrows():
            where = f"{self.source} row {int(i) + 2}"
            for col in ("Level", "Weight", "Direction"):
                v = pd.to_numeric(row[col], errors="coerce")
                if pd.isna(v):
                    raise IndexInputError(where, col, row[col], "must be a number", "必须是数字")
            if float(row["Direction"]) not in (-1.0, 1.0):
                raise IndexInputError(where, "Direction", row["Direction"], "must be 1 or -1",
                                      "方向必须是 1 或 -1")
        tree["Level"] = tree["Level"].astype(int)
        tree["Weight"] = tree["Weight"].astype(float)
        tree["Direction"] = tree["Direction"].astype(float)
        codes, top = set(tree["iCode"]), int(tree["Level"].max())
        for i, row in tree.iterrows():
            self._check_parent(tree, codes, top, f"{self.source} row {int(i) + 2}", row)
        return tree

    @staticmethod
    def _check_parent(
        tree: pd.DataFrame, codes: set[str], top: int, where: str, row: pd.Series
    ) -> None:
        """Below the top level a row's parent is a code one level up; level 1 is indicators."""
        if row["Level"] < top:
            if pd.isna(row["Parent"]) or row["Parent"] not in codes:
                raise IndexInputError(where, "Parent", row["Parent"],
                                      "parent is not a code of the structure",
                                      "上级代码不在结构中")
            plev = int(tree.loc[tree["iCode"] == row["Parent"], "Level"].iloc[0])
            if plev != row["Level"] + 1:
                raise IndexInputError(where, "Parent", row["Parent"],
                                      f"parent must be at level {row['Level'] + 1}",
                                      f"上级必须位于第 {row['Level'] + 1} 层")
        if row["Level"] == 1 and row["Type"] != "Indicator":
            raise IndexInputError(where, "Type", row["Type"], "level 1 rows are Indicators",
                                  "第 1 层必须是指标")

    # -- accessors -------------------------------------------------------------------------
    @property
    def indicators(self) -> list[str]:
        """Level-1 codes in metadata order."""
        return list(self._indicators)

    @property
    def n_levels(self) -> int:
        return max(self._level.values())

    def codes(self, level: int) -> list[str]:
        return [c for c, v in self._level.items() if v == level]

    def children(self, code: str) -> list[str]:
        return list(self._children.get(code, []))

    def parent(self, code: str) -> str:
        return str(self._parent[code])

    def level(self, code: str) -> int:
        return self._level[code]

    def directions(self, codes: list[str] | None = None) -> np.ndarray:
        codes = codes or self.indicators
        return self.tree.loc[codes, "Direction"].to_numpy(dtype=float)

    def column(self, name: str, codes: list[str] | None = None) -> np.ndarray:
        codes = codes or self.indicators
        return pd.to_numeric(self.tree.loc[codes, name], errors="coerce").to_numpy(dtype=float)

    def weights(self) -> dict[str, float]:
        return {c: float(w) for c, w in self.tree["Weight"].items()}

    def ancestor(self, code: str, level: int) -> str:
        """The node at ``level`` above ``code``."""
        while self.level(code) < level:
            code = self.parent(code)
        return code

    def effective_weights(self, weights: dict[str, float] | None = None) -> pd.DataFrame:
        """Weight of each node in the index: weights normalised within each parent, multiplied
        down the tree (a node's share of the top score under arithmetic aggregation)."""
        w = dict(self.weights())
        if weights:
            w.update(weights)
        eff: dict[str, float] = {}
        top = self.n_levels
        for lev in range(top, 0, -1):
            for c in self.codes(lev):
                if lev == top:
                    eff[c] = 1.0
                    continue
                p = self.parent(c)
                sib = self.children(p)
                eff[c] = eff[p] * w[c] / sum(w[s] for s in sib)
        return pd.DataFrame(
            {"iCode": list(eff), "Level": [self.level(c) for c in eff],
             "Weight": [w[c] for c in eff], "EffWeight": list(eff.values())}
        )
