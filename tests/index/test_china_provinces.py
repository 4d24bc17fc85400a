"""A provincial innovation index over real Chinese statistics (NBS R&D bulletin, China
Statistical Yearbook on Science and Technology, via the techme package), built with the public
DataFrame API. Checks structural facts, not numbers copied from our own output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory.index import build_index
from observatory.index import uncertainty as ua
from tests.reference_data import reference_path

PILLARS = {
    "rd_intensity": "Input", "rd_expenditure": "Input",
    "patent_grants_invention": "Output", "patent_valid_invention": "Output",
    "techmarket_outflow_turnover": "Market", "techmarket_inflow_turnover": "Market",
}


def _meta() -> pd.DataFrame:
    rows = [{"iCode": c, "Level": 1, "Parent": p, "Direction": 1, "Weight": 1,
             "Type": "Indicator"} for c, p in PILLARS.items()]
    rows += [{"iCode": p, "Level": 2, "Parent": "Index", "Direction": 1, "Weight": 1,
              "Type": "Aggregate"} for p in ("Input", "Output", "Market")]
    rows += [{"iCode": "Index", "Level": 3, "Parent": None, "Direction": 1, "Weight": 1,
              "Type": "Aggregate"}]
    return pd.DataFrame(rows)


def _data(years: list[int]) -> pd.DataFrame:
    d = pd.read_csv(reference_path("china_innovation_stats/province_year.csv"))
    d = d[(d["province_en"] != "National Total") & d["year"].isin(years)
          & d["indicator_code"].isin(list(PILLARS))]
    w = d.pivot_table(index=["year", "province_en"], columns="indicator_code",
                      values="value").reset_index()
    return w.rename(columns={"year": "Time", "province_en": "uCode"})


SPEC = {"steps": [
    {"treat": {"winmax": "10pc", "skew_thresh": 2.25}},
    {"normalise": {"method": "minmax", "params": {"lower": 0, "upper": 100}}},
    {"aggregate": {"method": "amean"}},
]}


def test_provincial_index_2022():
    p = build_index(_data([2022]), _meta(), SPEC)
    res = p.results()
    assert len(res) == 31 and res["Index"].between(0, 100).all()
    top5 = set(res.sort_values("Index", ascending=False).index[:5])
    assert {"Beijing", "Guangdong", "Jiangsu"} <= top5  # the three largest R&D spenders
    assert res.loc["Xizang", "Rank_Index"] >= 25
    det = p.analysis["Treated"]["details"]
    assert (det.loc[det["treatment"] != "none", "nwin"].fillna(0) <= 4).all()  # ceil(0.1*31)


def test_provincial_panel_pooled_and_uncertainty():
    p = build_index(_data([2018, 2019, 2020, 2021, 2022]), _meta(), SPEC)
    assert p.panel
    agg = p.get("Aggregated")
    # pooled min-max: one scale for all years, so the R&D spending of the leader grows over time
    top = agg.xs("Guangdong", level="uCode")["rd_expenditure"]
    assert top.is_monotonic_increasing and top.iloc[-1] == 100
    spec = ua.UncertaintySpec([ua.UncertainInput("aggregate", ["amean", "gmean"], "method"),
                               ua.UncertainInput("normalise", [
                                   {"method": "minmax", "params": {"lower": 1, "upper": 100}},
                                   {"method": "zscore", "params": {"mean": 10, "sd": 2}}])],
                              ua.WeightNoise([1, 2], 0.25))
    runs = ua.sample_runs(p, spec, 20, seed=3)
    fast = ua.run_scores(p, runs)
    slow = ua.replay_scores(p, runs[:4])
    np.testing.assert_allclose(fast.iloc[:, :4].to_numpy(), slow.to_numpy(), rtol=1e-12)


def test_bad_metadata_is_rejected_with_location():
    from observatory.index import IndexInputError

    meta = _meta()
    meta.loc[0, "Parent"] = "Nowhere"
    with pytest.raises(IndexInputError) as e:
        build_index(_data([2022]), meta)
    assert e.value.field == "Parent" and "row 2" in e.value.where and e.value.reason_zh
