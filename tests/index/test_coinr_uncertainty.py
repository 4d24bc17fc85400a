"""COINr 1.1.14 uncertainty analysis (40 replayable runs) and Sobol estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from observatory.index import sensitivity as sa
from observatory.index import uncertainty as ua

from .conftest_helpers import TOL, asem_example, read_ref

NORM = {
    "n_zscore(10,2)": {"method": "zscore", "params": {"mean": 10, "sd": 2}},
    "n_minmax(1,100)": {"method": "minmax", "params": {"lower": 1, "upper": 100}},
}


def reference_runs() -> list[dict]:
    """The 40 runs of the fixture, as edits to the pipeline log."""
    params = read_ref("uncertainty/ua_run_params.csv", None)
    wl = read_ref("uncertainty/ua_run_weights_long.csv", None)
    runs = []
    for _, r in params.iterrows():
        w = wl[wl["run"] == r["run"]]
        runs.append({
            "treat": {"winmax": int(r["winmax"])},
            "normalise": NORM[r["normalisation"]],
            "aggregate": {"method": r["aggregation"].removeprefix("a_"),
                          "weights": dict(zip(w["iCode"], w["Weight"].astype(float),
                                              strict=True))},
        })
    return runs


@pytest.fixture(scope="module")
def coin():
    return asem_example()


@pytest.fixture(scope="module")
def scores(coin):
    return ua.run_scores(coin, reference_runs())


def test_every_run_replays_exactly(coin):
    ref = read_ref("uncertainty/ua_scores.csv")
    runs = reference_runs()
    got = ua.replay_scores(coin, runs)
    np.testing.assert_allclose(got.loc[ref.index].to_numpy(),
                               ref.drop(columns="Nominal").to_numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(coin.get("Aggregated").loc[ref.index, "Index"], ref["Nominal"],
                               rtol=TOL)


def test_vectorised_scores_equal_replay(scores):
    ref = read_ref("uncertainty/ua_scores.csv")
    np.testing.assert_allclose(scores.loc[ref.index].to_numpy(),
                               ref.drop(columns="Nominal").to_numpy(), rtol=TOL, atol=TOL)


def test_ranks_and_rank_statistics(coin, scores):
    ranks = read_ref("uncertainty/ua_ranks.csv")
    got = scores.rank(ascending=False, method="min")
    np.testing.assert_array_equal(got.loc[ranks.index].to_numpy(),
                                  ranks.drop(columns="Nominal").to_numpy())
    ref = read_ref("uncertainty/ua_rankstats.csv")
    st = ua.rank_stats(scores, coin.get("Aggregated")["Index"]).loc[ref.index]
    np.testing.assert_allclose(st[ref.columns].to_numpy(), ref.to_numpy(), rtol=TOL, atol=TOL)


def test_sampled_runs_are_seeded_and_replayable(coin):
    spec = ua.UncertaintySpec(
        [ua.UncertainInput("treat", [1, 2, 3, 4, 5], "winmax"),
         ua.UncertainInput("normalise", list(NORM.values())),
         ua.UncertainInput("aggregate", ["amean", "gmean"], "method")],
        ua.WeightNoise([2, 3], 0.25))
    runs = ua.sample_runs(coin, spec, 12, seed=7)
    assert runs == ua.sample_runs(coin, spec, 12, seed=7)
    assert runs != ua.sample_runs(coin, spec, 12, seed=8)
    w = runs[0]["aggregate"]["weights"]
    assert all(0.75 <= w[c] <= 1.25 for c in coin.meta.codes(2))
    assert all(w[c] == 1.0 for c in coin.meta.indicators)
    fast = ua.run_scores(coin, runs)
    slow = ua.replay_scores(coin, runs)
    np.testing.assert_allclose(fast.to_numpy(), slow.to_numpy(), rtol=1e-12, atol=1e-12)


def test_sobol_estimators():
    X = read_ref("uncertainty/sa_sample_N200_d3.csv", None).to_numpy()
    y = read_ref("uncertainty/sa_y_linear_x1_plus_10x2.csv", None)["y"].to_numpy()
    np.testing.assert_allclose(X[:, 0] + 10 * X[:, 1], y, rtol=1e-12)
    ref = read_ref("uncertainty/sa_estimate_linear.csv", None)
    got = sa.sobol_indices(y, 200, 3, n_boot=200, seed=1)
    for c in ("Si", "STi", "Variance"):
        np.testing.assert_allclose(got[c], ref[c], rtol=TOL, atol=TOL)
    assert (got["Si_lo"] <= got["Si"] + 1e-12).all() and (got["Si"] <= got["Si_hi"] + 1e-12).all()
    again = sa.sobol_indices(y, 200, 3, n_boot=200, seed=1)
    pd.testing.assert_frame_equal(got, again)


def test_sobol_sample_layout():
    X = sa.sobol_sample(50, 3, seed=3)
    assert X.shape == (250, 3)
    A, B = X[:50], X[50:100]
    AB2 = X[150:200]
    np.testing.assert_array_equal(AB2[:, 1], B[:, 1])
    np.testing.assert_array_equal(AB2[:, [0, 2]], A[:, [0, 2]])


def test_index_sensitivity_is_seeded_and_bounded(coin):
    spec = ua.UncertaintySpec(
        [ua.UncertainInput("treat", [1, 5], "winmax"),
         ua.UncertainInput("aggregate", ["amean", "gmean"], "method")])
    spec.inputs.append(ua.UncertainInput("normalise", list(NORM.values())))
    a = sa.index_sensitivity(coin, spec, N=40, seed=2, n_boot=50)
    b = sa.index_sensitivity(coin, spec, N=40, seed=2, n_boot=50)
    pd.testing.assert_frame_equal(a, b)
    assert list(a["Variable"]) == ["treat.winmax", "aggregate.method", "normalise.spec"]
    # normalisation (z-score vs min-max) moves ranks more than the winsorisation limit
    st = a.set_index("Variable")["STi"]
    assert st["normalise.spec"] > st["treat.winmax"]
    assert (a["STi"] >= 0).all()
