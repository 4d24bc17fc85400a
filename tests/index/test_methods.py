"""Methods where we follow the published definition (and offer COINr's behaviour), checked on
small hand-worked cases; input validation; the CLI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from observatory.cli.index import app
from observatory.index import aggregate as agg
from observatory.index import normalise as nrm
from observatory.index import treat as trt
from observatory.index.meta import IndexInputError
from observatory.index.spec import parse_spec

from .conftest_helpers import ref_path


def test_gii_log_is_applied_and_coinr_variant_is_identity():
    x = np.array([1.0, 2.0, 3.0, 50.0])
    got = trt.log_transform(x, "log_GII")
    # ln[(max - 1)(x - min)/(max - min) + 1]: min -> 0, max -> ln(max)
    assert got[0] == 0.0 and got[-1] == pytest.approx(math.log(50.0))
    assert got[1] == pytest.approx(math.log(49 * 1 / 49 + 1))
    np.testing.assert_array_equal(trt.log_transform(x, "log_GII_coinr"), x)


def test_winsorisation_thresholds_published_default_and_10pc_limit():
    x = np.r_[np.arange(1.0, 30.0), 200.0, 400.0]
    assert trt.treat_column.__kwdefaults__["skew_thresh"] == 2.25
    r = trt.treat_column(x, winmax="10pc")
    assert trt.resolve_winmax("10pc", 31) == 4
    assert r.treatment == "winsorise" and r.nwin == 2 and r.pass1
    assert sorted(r.x)[-1] == 29.0 and r.points.count("winhi") == 2
    r1 = trt.treat_column(x, winmax=1)  # one point is not enough: log of the original
    assert r1.treatment == "log_CT" and r1.nwin == 1
    np.testing.assert_allclose(r1.x, np.log(x - 1 + 0.01 * 399))
    assert "log_CT" in r1.reason


def test_small_samples_warn():
    with pytest.warns(RuntimeWarning, match="< 10"):
        trt.treat_column(np.array([1.0, 2.0, 3.0, 4.0, 100.0]))


def test_mazziotta_pareto_penalised_mean():
    X = np.array([[100.0, 100.0], [90.0, 110.0]])
    got = agg.aggregate_block(X, np.array([1.0, 1.0]), "mpi")
    # unit 2: M = 100, S = 10 (population), cv = 0.1 -> 100 - 10 * 0.1 = 99
    np.testing.assert_allclose(got, [100.0, 99.0])


def test_generalised_mean_limits_and_missing_values():
    X = np.array([[1.0, 4.0, np.nan]])
    w = np.array([1.0, 1.0, 2.0])
    assert agg.aggregate_block(X, w, "amean")[0] == 2.5
    assert agg.aggregate_block(X, w, "gmean")[0] == pytest.approx(2.0)
    assert agg.aggregate_block(X, w, "hmean")[0] == pytest.approx(1.6)
    assert agg.aggregate_block(X, w, "genmean", {"p": 1})[0] == pytest.approx(2.5)
    assert math.isnan(agg.aggregate_block(X, w, "amean", dat_thresh=0.7)[0])
    with pytest.raises(ValueError, match="positive"):
        agg.aggregate_block(np.array([[0.0, 1.0]]), np.ones(2), "gmean")


def test_goalposts_and_zscore_population_sd():
    x = np.array([[0.0], [5.0], [20.0]])
    np.testing.assert_allclose(nrm.goalposts(x, [0.0], [10.0], [1.0]).ravel(), [0, 50, 100])
    np.testing.assert_allclose(nrm.goalposts(x, [0.0], [10.0], [-1.0]).ravel(), [100, 50, 0])
    z = nrm.zscore(np.array([1.0, 3.0]), ddof=0).ravel()
    np.testing.assert_allclose(z, [-1.0, 1.0])


def test_spec_errors_name_the_field():
    with pytest.raises(IndexInputError) as e:
        parse_spec({"steps": [{"treat": {"winmax": 5, "skew": 2}}]}, "s.yaml")
    assert e.value.field == "steps.0.treat.skew" and e.value.where == "s.yaml"
    with pytest.raises(IndexInputError, match="unknown step"):
        parse_spec({"steps": [{"weigh": {}}]})
    with pytest.raises(IndexInputError):
        parse_spec({"steps": [{"aggregate": {"method": "median"}}]})


def test_bad_data_value_is_located():
    from observatory.index import Pipeline

    data = pd.DataFrame({"uCode": ["A", "B"], "x": ["1", "oops"]})
    meta = pd.DataFrame([{"iCode": "x", "Level": 1, "Parent": "I", "Direction": 1,
                          "Weight": 1, "Type": "Indicator"},
                         {"iCode": "I", "Level": 2, "Parent": None, "Direction": 1,
                          "Weight": 1, "Type": "Aggregate"}])
    with pytest.raises(IndexInputError) as e:
        Pipeline(data, meta)
    assert (e.value.where, e.value.field, e.value.value) == ("data row 3", "x", "oops")


def test_cli_build_and_uncertainty(tmp_path):
    data, meta = ref_path("inputs/ASEM_iData.csv"), ref_path("inputs/ASEM_iMeta.csv")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "steps:\n  - denominate: {}\n  - impute: {method: mean_grp, group: EurAsia_group}\n"
        "  - screen: {dat_thresh: 0.9}\n  - treat: {winmax: 5, skew_thresh: 2.0}\n"
        "  - normalise: {method: minmax}\n  - aggregate: {method: amean}\n"
        "uncertainty:\n  seed: 4\n  inputs:\n"
        "    - {step: aggregate, param: method, values: [amean, gmean]}\n"
        "    - {step: normalise, values: [{method: minmax, params: {lower: 1, upper: 100}}]}\n"
        "  weights: {levels: [2, 3], noise: 0.25}\n", encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["build", "--data", str(data), "--meta", str(meta),
                                 "--spec", str(spec), "--out", str(out)])
    assert r.exit_code == 0, r.output
    res = pd.read_csv(out / "results.csv", index_col=0)
    ref = pd.read_csv(ref_path("pipeline/07_Aggregated.csv"), index_col=0)
    np.testing.assert_allclose(res.loc[ref.index, "Index"], ref["Index"], rtol=1e-9)
    assert (out / "log.yaml").exists() and (out / "data_Treated.csv").exists()
    r = CliRunner().invoke(app, ["uncertainty", "--data", str(data), "--meta", str(meta),
                                 "--spec", str(spec), "--out", str(tmp_path / "ua"),
                                 "--runs", "10"])
    assert r.exit_code == 0, r.output
    st = pd.read_csv(tmp_path / "ua" / "rank_stats.csv", index_col=0)
    assert (st["Q5"] <= st["Median"]).all() and (st["Median"] <= st["Q95"]).all()
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps:\n  - normalise: {method: minmix}\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["build", "--data", str(data), "--meta", str(meta),
                                 "--spec", str(bad), "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and not (tmp_path / "x").exists()
