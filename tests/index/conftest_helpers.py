"""Helpers shared by the index tests: locate the COINr reference files and compare numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.reference_data import reference_path

TOL = 1e-9
BASE = "composite_index_validation/coinr_v1.1.14_asem"


def ref_path(rel: str):
    return reference_path(f"{BASE}/{rel}")


def read_ref(rel: str, index: str | list[str] | None = "uCode") -> pd.DataFrame:
    df = pd.read_csv(ref_path(rel))
    return df.set_index(index) if index is not None else df


def assert_frame_close(got: pd.DataFrame, ref: pd.DataFrame, tol: float = TOL) -> None:
    """Same NaN pattern and every number within ``tol`` (relative for large values)."""
    got = got.loc[ref.index, list(ref.columns)]
    a = got.to_numpy(dtype=float)
    b = ref.to_numpy(dtype=float)
    assert np.array_equal(np.isnan(a), np.isnan(b)), "missing-value pattern differs"
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


def asem_pipeline():
    from observatory.index.coinr_io import pipeline_from_files

    return pipeline_from_files(ref_path("inputs/ASEM_iData.csv"),
                               ref_path("inputs/ASEM_iMeta.csv"))


def asem_example():
    """COINr's build_example_coin(), step by step."""
    p = asem_pipeline()
    p.denominate("Raw")
    p.impute("Denominated", method="mean_grp", group="EurAsia_group")
    p.screen("Imputed", dat_thresh=0.9)
    p.treat("Screened", winmax=5, skew_thresh=2.0, kurt_thresh=3.5, fallback="log_CT")
    p.normalise("Treated", method="minmax", params={"lower": 0, "upper": 100})
    p.aggregate("Normalised", method="amean")
    return p
