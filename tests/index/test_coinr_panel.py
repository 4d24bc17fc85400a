"""COINr 1.1.14 panel imputation and the pooled (global) normalisation of a purse."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory.index.coinr_io import read_idata, read_imeta
from observatory.index.pipeline import Pipeline

from .conftest_helpers import assert_frame_close, ref_path


def _ref(rel: str) -> pd.DataFrame:
    return read_idata(ref_path(rel)).set_index(["Time", "uCode"])


@pytest.mark.parametrize("method", ["latest", "constant", "linear"])
def test_panel_imputation(method):
    meta = read_imeta(ref_path("inputs/ASEM_iMeta.csv"))
    p = Pipeline(read_idata(ref_path("panel/iData_p_with_NAs.csv")), meta)
    assert p.panel
    p.impute("Raw", method=method)
    ref = _ref(f"panel/impute_panel_{method}.csv")
    assert_frame_close(p.get("Imputed"), ref[p.meta.indicators])


def test_linear_and_constant_differ_on_the_interior_gap():
    meta = read_imeta(ref_path("inputs/ASEM_iMeta.csv"))
    p = Pipeline(read_idata(ref_path("panel/iData_p_with_NAs.csv")), meta)
    lin = p.impute("Raw", method="linear").get("Imputed").loc[(2020, "AUT"), "Flights"]
    con = p.replay({"impute": {"method": "constant"}}).get("Imputed").loc[(2020, "AUT"),
                                                                         "Flights"]
    assert lin != con


def test_purse_pooled_normalisation():
    meta = read_imeta(ref_path("inputs/ASEM_iMeta.csv"))
    p = Pipeline(read_idata(ref_path("inputs/ASEM_iData_p.csv")), meta)
    p.screen("Raw", dat_thresh=0.9).treat("Screened", skew_thresh=2.0)
    p.normalise("Treated", pooled=True).aggregate("Normalised")
    norm = pd.read_csv(ref_path("panel/purse_normalised_global_minmax.csv")).set_index(
        ["Time", "uCode"])
    aggd = pd.read_csv(ref_path("panel/purse_aggregated_global_minmax.csv")).set_index(
        ["Time", "uCode"])
    assert len(p.get("Normalised")) == len(norm) == 230
    assert_frame_close(p.get("Normalised"), norm)
    assert_frame_close(p.get("Aggregated"), aggd)
    # pooled: one min and max over all years, so a single year need not reach 0 or 100
    per_year = p.replay({"normalise": {"pooled": False}}).get("Normalised")
    assert (per_year.groupby(level="Time")["LPI"].max() == 100).all()
    assert not (p.get("Normalised").groupby(level="Time")["LPI"].max() == 100).all()
