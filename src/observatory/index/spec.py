"""Build specification (YAML): the method of each step, validated on load.

```yaml
name_en: ASEM example            # optional labels
name_zh: 亚欧互联互通示例
steps:                           # run in order; each reads the previous step's output
  - denominate: {}               # by the iMeta Denominator column
  - impute: {method: mean_grp, group: EurAsia_group}
  - screen: {dat_thresh: 0.9}
  - treat: {winmax: 5, skew_thresh: 2.25, kurt_thresh: 3.5, fallback: log_CT}
  - normalise: {method: minmax, params: {lower: 0, upper: 100}}
  - aggregate: {method: amean, per_level: {3: gmean}}
uncertainty:                     # optional, used by `observatory index uncertainty`
  seed: 1
  inputs:
    - {step: treat, param: winmax, values: [1, 2, 3, 4, 5]}
    - {step: aggregate, param: method, values: [amean, gmean]}
  weights: {levels: [2, 3], noise: 0.25}
```
Unknown keys, unknown methods and out-of-range values are rejected with the file, the step and
the field named (English and Chinese).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .meta import IndexInputError
from .pipeline import Pipeline
from .uncertainty import UncertainInput, UncertaintySpec, WeightNoise

Norm = Literal["minmax", "zscore", "rank", "prank", "borda", "fracmax", "dist2max",
               "dist2targ", "goalposts"]
Agg = Literal["amean", "gmean", "hmean", "genmean", "mpi", "copeland"]
Imp = Literal["none", "mean", "median", "mean_grp", "median_grp", "row_mean", "latest",
              "constant", "linear"]
Log = Literal["log_CT", "log_CT_plus", "log_CT_orig", "log_GII", "log_GII_coinr", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Denominate(_Strict):
    dset: str | None = None
    denominators: dict[str, str] | None = None
    write_to: str = "Denominated"


class Screen(_Strict):
    dset: str | None = None
    dat_thresh: float = Field(0.66, ge=0, le=1)
    nonzero_thresh: float = Field(0.5, ge=0, le=1)
    by: Literal["byNA", "byNA_and_zero", "none"] = "byNA"
    write_to: str = "Screened"


class ImputeSpec(_Strict):
    method: Imp
    group: str | None = None


class Impute(_Strict):
    dset: str | None = None
    method: Imp = "mean"
    group: str | None = None
    per_indicator: dict[str, Imp | ImputeSpec] | None = None
    level: int = Field(2, ge=2)
    normalise_first: bool = True
    write_to: str = "Imputed"


class TreatSpec(_Strict):
    winmax: int | Literal["10pc"] | None = None
    skew_thresh: float | None = Field(None, gt=0)
    kurt_thresh: float | None = None
    fallback: Log | None = None
    count: Literal["points", "coinr"] | None = None


class Treat(_Strict):
    dset: str | None = None
    winmax: int | Literal["10pc"] | None = Field(5)
    skew_thresh: float = Field(2.25, gt=0)
    kurt_thresh: float = 3.5
    fallback: Log = "log_CT"
    count: Literal["points", "coinr"] = "points"
    per_indicator: dict[str, Literal["none"] | TreatSpec] | None = None
    write_to: str = "Treated"


class NormSpec(_Strict):
    method: Norm
    params: dict[str, float | int | bool] = Field(default_factory=dict)


class Normalise(_Strict):
    dset: str | None = None
    method: Norm = "minmax"
    params: dict[str, float | int | bool] | None = None
    per_indicator: dict[str, NormSpec] | None = None
    pooled: bool = True
    write_to: str = "Normalised"


class AggSpec(_Strict):
    method: Agg
    params: dict[str, Any] = Field(default_factory=dict)


class Aggregate(_Strict):
    dset: str | None = None
    method: Agg = "amean"
    params: dict[str, Any] | None = None
    per_level: dict[int, Agg | AggSpec] | None = None
    per_node: dict[str, Agg | AggSpec] | None = None
    weights: str | dict[str, float] = "Original"
    dat_thresh: float | dict[int, float] | None = None
    write_to: str = "Aggregated"


STEPS: dict[str, type[_Strict]] = {"denominate": Denominate, "screen": Screen,
                                   "impute": Impute, "treat": Treat,
                                   "normalise": Normalise, "aggregate": Aggregate}


class UInput(_Strict):
    step: Literal["denominate", "screen", "impute", "treat", "normalise", "aggregate"]
    param: str | None = None
    values: list[Any] = Field(min_length=1)


class UWeights(_Strict):
    levels: list[int]
    noise: float = Field(0.25, ge=0, lt=1)


class Uncertainty(_Strict):
    seed: int = 0
    runs: int = Field(100, ge=1)
    inputs: list[UInput] = Field(default_factory=list)
    weights: UWeights | None = None


class IndexSpec(_Strict):
    name_en: str | None = None
    name_zh: str | None = None
    steps: list[dict[str, dict[str, Any] | None]]
    uncertainty: Uncertainty | None = None


def _err(source: str, e: ValidationError, prefix: str = "") -> IndexInputError:
    first = e.errors()[0]
    loc = ".".join(str(x) for x in first["loc"])
    return IndexInputError(source, prefix + loc, first.get("input"), first["msg"],
                           "规格校验失败：" + first["msg"])


def parse_spec(raw: dict[str, Any], source: str = "spec") -> IndexSpec:
    """Validate a spec dict (from YAML); every step's parameters checked against its model."""
    try:
        spec = IndexSpec.model_validate(raw)
    except ValidationError as e:
        raise _err(source, e) from None
    for i, step in enumerate(spec.steps):
        if len(step) != 1:
            raise IndexInputError(source, f"steps.{i}", list(step), "each step has one name",
                                  "每个步骤只能有一个名称")
        (name, params), = step.items()
        if name not in STEPS:
            raise IndexInputError(source, f"steps.{i}", name,
                                  f"unknown step; choose one of {sorted(STEPS)}",
                                  "未知步骤")
        try:
            STEPS[name].model_validate(params or {})
        except ValidationError as e:
            raise _err(source, e, prefix=f"steps.{i}.{name}.") from None
    return spec


def load_spec(path: str | Path) -> IndexSpec:
    """Read and validate a YAML spec file."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexInputError(str(path), "-", None, "file not found", "文件不存在") from None
    except yaml.YAMLError as e:
        raise IndexInputError(str(path), "-", None, f"not valid YAML: {e}",
                              "不是有效的 YAML") from None
    if not isinstance(raw, dict):
        raise IndexInputError(str(path), "-", None, "top level must be a mapping",
                              "顶层必须是映射")
    return parse_spec(raw, str(path))


DEFAULT_STEPS: list[dict[str, dict[str, Any]]] = [
    {"normalise": {"method": "minmax", "params": {"lower": 0, "upper": 100}}},
    {"aggregate": {"method": "amean"}},
]


def apply_spec(p: Pipeline, spec: IndexSpec | None) -> Pipeline:
    """Run the spec's steps on ``p`` in order, chaining data sets."""
    steps = spec.steps if spec is not None else DEFAULT_STEPS
    prev = "Raw"
    for step in steps:
        (name, params), = step.items()
        model = STEPS[name].model_validate(params or {})
        kw = model.model_dump(exclude_none=False)
        kw = {k: _plain(v) for k, v in kw.items()}
        if kw.get("dset") is None:
            kw["dset"] = prev
        if name == "normalise" and kw.get("params") is None:
            kw.pop("params")
        getattr(p, name)(**kw)
        prev = kw["write_to"]
    return p


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if x is not None}
    return v


def uncertainty_spec(spec: IndexSpec) -> UncertaintySpec:
    """The uncertainty part of a spec as an UncertaintySpec."""
    if spec.uncertainty is None:
        raise IndexInputError("spec", "uncertainty", None, "no uncertainty section",
                              "缺少不确定性分析部分")
    u = spec.uncertainty
    return UncertaintySpec(
        [UncertainInput(i.step, i.values, i.param) for i in u.inputs],
        WeightNoise(u.weights.levels, u.weights.noise) if u.weights else None,
    )
