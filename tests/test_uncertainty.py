"""``vs.estimate_reach_band``: the assumption band against reach computed by hand on an
enumerable graph, the parameter band's draws reproducible, the bands' bounds."""

import itertools

import numpy as np
import pytest

import viralsim as vs

from .test_learn import dag_case, make_log


def _exact_reach(p01, p02, p12):
    """Expected adopters from seed 0 on 0 -> 1, 0 -> 2, 1 -> 2 (IC): every live-edge world
    (2**3 of them) enumerated."""
    total = 0.0
    for live in itertools.product((0, 1), repeat=3):
        w = 1.0
        for on, p in zip(live, (p01, p02, p12)):
            w *= p if on else 1 - p
        reached1 = live[0]
        reached2 = live[1] or (reached1 and live[2])
        total += w * (1 + reached1 + reached2)
    return total


def test_assumption_band_equals_reach_by_hand():
    g = vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2], probs=[0.3, 0.6, 0.2])
    band = vs.estimate_reach_band(g, [0], assumptions=["weighted_cascade", 0.01, 0.1],
                                  n_sims=40_000, rng=0)
    # by hand: the graph's own, weighted cascade (1 has 1 followed account, 2 has 2),
    # uniform 0.01 and 0.1
    exact = [_exact_reach(0.3, 0.6, 0.2), _exact_reach(1.0, 0.5, 0.5),
             _exact_reach(0.01, 0.01, 0.01), _exact_reach(0.1, 0.1, 0.1)]
    assert exact[1] == pytest.approx(2.75)
    assert band.kind == "assumptions" and band.level is None
    assert band.labels == ["as given", "weighted cascade", "uniform 0.01", "uniform 0.1"]
    # each mean within 5 standard errors of its exact value (the reach per world is at most
    # 3, so the standard error is small and positive unless the reach is constant)
    for m, se, ex in zip(band.means, band.stderrs, exact):
        assert abs(m - ex) <= 5 * se + 1e-12
    assert band.low == band.means.min() and band.high == band.means.max()
    assert band.central == band.means[0]
    assert band.low <= band.central <= band.high
    assert abs(band.low - min(exact)) < 0.02 and abs(band.high - max(exact)) < 0.02
    # common random numbers: the graph's own run is estimate_reach's, world for world
    assert band.central == vs.estimate_reach(g, [0], n_sims=40_000, rng=0).mean
    assert "across 4 probability assumptions (as given, weighted cascade" in band.describe()


def test_assumption_band_trivalency_is_one_of_its_enumerated_draws():
    g = vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2])  # no probabilities of its own
    band = vs.estimate_reach_band(g, [0], assumptions=["trivalency"], n_sims=40_000, rng=1)
    assert band.labels == ["trivalency"] and band.central == band.means[0]
    values = [_exact_reach(*ps) for ps in itertools.product((0.1, 0.01, 0.001), repeat=3)]
    assert min(abs(band.means[0] - v) for v in values) <= 5 * band.stderrs[0]
    again = vs.estimate_reach_band(g, [0], assumptions=["trivalency"], n_sims=40_000, rng=1)
    assert np.array_equal(again.means, band.means)


@pytest.fixture(scope="module")
def fit():
    g, _, _, _, casc = dag_case(n=20, m=50, n_casc=80, seed=4)
    return vs.fit_influence(g, make_log(g, casc), prior=2.0, outside=False)


def test_parameter_band_is_reproducible_and_contains_the_fit(fit):
    a = vs.estimate_reach_band(fit, [0, 1], n_draws=20, n_sims=500, rng=3)
    b = vs.estimate_reach_band(fit, [0, 1], n_draws=20, n_sims=500, rng=3)
    assert np.array_equal(a.means, b.means) and a.n == 20 and a.kind == "parameters"
    c = vs.estimate_reach_band(fit, [0, 1], n_draws=20, n_sims=500, rng=np.random.default_rng(9))
    d = vs.estimate_reach_band(fit, [0, 1], n_draws=20, n_sims=500, rng=np.random.default_rng(9))
    assert np.array_equal(c.means, d.means)
    assert not np.array_equal(a.means, c.means)
    lo, mid, hi = np.quantile(a.means, [0.05, 0.5, 0.95])
    assert (a.low, a.central, a.high) == (lo, mid, hi)
    # the draws differ (parameter uncertainty), and the fit's own estimate in the same
    # worlds lies inside the 90% band
    assert a.high > a.low
    point = vs.estimate_reach(fit.graph, [0, 1], model=fit.model, n_sims=500, rng=3).mean
    assert a.low <= point <= a.high
    assert a.describe().startswith("across 20 plausible fitted parameter sets, ")
    assert a.describe().endswith("(90% band)")


def test_band_bad_input_is_one_line():
    g = vs.FollowerGraph.from_edges([0], [1], probs=0.5)
    with pytest.raises(ValueError, match=r"names 'wc'; give 'weighted_cascade'"):
        vs.estimate_reach_band(g, [0], assumptions=["wc"], n_sims=10)
    with pytest.raises(TypeError, match=r"must be a FollowerGraph .* or an InfluenceFit"):
        vs.estimate_reach_band("g", [0])
