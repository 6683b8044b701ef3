"""fit_influence, OutsideIC and backtest: twins, exactness, recovery, scores by hand."""

import math
import os
import warnings

import numpy as np
import pytest

import viralsim as vs
from viralsim._kernels import em
from viralsim.learn import OutsideIC, _run_em, _trials, score_sizes

from . import naive_learn as nl

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "cascades")


def make_log(g, cascades):
    """An ActionLog from a list of {node: time} (item c = cascade c)."""
    items, users, times = [], [], []
    for c, casc in enumerate(cascades):
        for v, t in sorted(casc.items(), key=lambda kv: (kv[1], kv[0])):
            items.append(c)
            users.append(v)
            times.append(t)
    return vs.ActionLog.from_arrays(g, items, users, times)


def dag_case(n=14, m=30, n_casc=40, outside=0.0, seed=0, p_range=(0.1, 0.6)):
    rng = np.random.default_rng(seed)
    src, dst = nl.random_dag(n, m, rng)
    p = rng.uniform(*p_range, size=m)
    g = vs.FollowerGraph.from_edges(src, dst, n_nodes=n)
    s, d, _ = g.edges()
    # the graph's edge order, with the true probabilities carried along
    lookup = {(a, b): q for a, b, q in zip(src.tolist(), dst.tolist(), p.tolist())}
    p = np.array([lookup[(a, b)] for a, b in zip(s.tolist(), d.tolist())])
    casc = []
    for _ in range(n_casc):
        seeds = rng.choice(n // 2, size=int(rng.integers(1, 3)), replace=False).tolist()
        casc.append(nl.simulate_rounds(s.tolist(), d.tolist(), p.tolist(), n, seeds, rng,
                                       outside=outside))
    return g, s, d, p, casc


# ---------------------------------------------------------------- twins
@pytest.mark.parametrize("rule", ["earlier", "previous_step"])
@pytest.mark.parametrize("seed", [0, 1])
def test_trials_and_em_sweeps_equal_the_naive_twin(rule, seed):
    g, s, d, _, casc = dag_case(outside=0.05, seed=seed)
    log = make_log(g, casc)
    tr = _trials(g, log, rule)
    sets, neg, orphans, at_risk = nl.trials(s.tolist(), d.tolist(), g.n_nodes, casc, rule)
    got = sorted((int(tr.set_casc[k]), sorted(tr.set_edges[tr.set_ptr[k]:tr.set_ptr[k + 1]].tolist()))
                 for k in range(tr.set_ptr.size - 1))
    assert got == sorted((c, sorted(par)) for c, par in sets)
    assert tr.neg.tolist() == neg and tr.orphans.tolist() == orphans
    assert tr.at_risk.tolist() == at_risk
    p = np.full(g.n_edges, 0.2)
    r = np.full(len(casc), 0.03)
    pn, rn = p.tolist(), r.tolist()
    p_new, r_new, resp = np.empty_like(p), np.empty_like(r), np.empty_like(p)
    for prior in (0.0, 3.0):
        for _ in range(5):
            ll = em.em_sweep(tr.set_ptr, tr.set_edges, tr.set_casc, tr.neg, tr.pos, tr.orphans,
                             tr.at_risk, p, r, True, True, prior, 0.1, p_new, r_new, resp,
                             np.flatnonzero(tr.pos + tr.neg), True)
            untried = (tr.pos + tr.neg) == 0
            p_new[untried] = 0.1  # the kernel leaves them; the twin gives them the prior mean
            pn, rn, lln = nl.em_sweep(sets, neg, orphans, at_risk, pn, rn, True, prior, 0.1)
            assert ll == pytest.approx(lln, rel=1e-12)
            np.testing.assert_allclose(p_new, pn, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(r_new, rn, rtol=1e-12, atol=1e-15)
            p, r = p_new.copy(), r_new.copy()


# ---------------------------------------------------------------- EM properties
@pytest.mark.parametrize("outside", [True, False])
@pytest.mark.parametrize("rule", ["earlier", "previous_step"])
def test_log_likelihood_never_decreases(outside, rule):
    g, _, _, _, casc = dag_case(n=30, m=90, n_casc=150, outside=0.03, seed=5)
    log = make_log(g, casc)
    tr = _trials(g, log, rule)
    r0 = np.full(len(casc), 0.05 if outside else 0.0)
    *_, hist, _, n_iter = _run_em(tr, np.full(g.n_edges, 0.1), r0, use_r=outside, fit_p=True,
                                  prior_s=0.0, prior_m=0.0, max_iter=300, tol=1e-14, every=1)
    h = np.array(hist)
    assert len(h) == n_iter + 1 and np.all(np.isfinite(h))
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:])), np.diff(h).min()
    assert h[-1] > h[0] + 1.0  # it did climb
    fit = vs.fit_influence(g, log, rule=rule, outside=outside, prior=0.0, tol=1e-14)
    h = np.array(fit.log_likelihood_history)  # every 5th sweep
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:]))


def test_em_fixed_point_is_the_maximum_of_the_exact_likelihood():
    """Round-stamped IC cascades on a 4-edge graph: the exact likelihood (all 16
    live-edge worlds enumerated) equals the factorized one EM climbs, and EM's
    fixed point maximizes it."""
    from scipy.optimize import minimize

    src, dst = [0, 0, 1, 2], [1, 2, 2, 3]
    g = vs.FollowerGraph.from_edges(src, dst, n_nodes=4)
    s, d, _ = g.edges()
    s, d = s.tolist(), d.tolist()
    truth = {(0, 1): 0.6, (0, 2): 0.3, (1, 2): 0.5, (2, 3): 0.7}
    rng = np.random.default_rng(3)
    casc = [nl.simulate_rounds(s, d, [truth[(a, b)] for a, b in zip(s, d)], 4, [0], rng)
            for _ in range(40)]
    fit = vs.fit_influence(g, make_log(g, casc), rule="previous_step", outside=False, prior=0.0,
                           tol=1e-15, max_iter=100_000)
    p_em = fit.probs
    exact = nl.exact_loglik(s, d, 4, casc, p_em.tolist())
    assert exact == pytest.approx(fit.log_likelihood, rel=1e-10)

    def nll(x):
        return -nl.exact_loglik(s, d, 4, casc, x.tolist())

    best = min((minimize(nll, x0, method="L-BFGS-B", bounds=[(1e-9, 1 - 1e-9)] * 4)
                for x0 in ([0.5] * 4, [0.2, 0.8, 0.2, 0.8])), key=lambda r: r.fun)
    assert -best.fun <= exact + 1e-6  # nothing beats the EM fixed point
    np.testing.assert_allclose(p_em, best.x, atol=2e-3)


# ---------------------------------------------------------------- recovery
def test_estimates_converge_and_intervals_cover():
    errs = []
    for n_casc in (150, 1500):
        g, _, _, p, casc = dag_case(n=40, m=100, n_casc=n_casc, seed=11)
        fit = vs.fit_influence(g, make_log(g, casc), rule="previous_step", outside=False,
                               prior=0.0, tol=1e-10)
        well = fit.trials >= 30
        errs.append(float(np.mean(np.abs(fit.probs[well] - p[well]))))
    assert errs[1] < 0.6 * errs[0]  # about 1 / sqrt(10) expected
    # at 1,500 cascades: each estimate within 4 binomial standard errors of the truth
    # (inflated by 1.5 for the credit split between parents active in the same round)
    t = fit.trials[well]
    se = np.sqrt(p[well] * (1 - p[well]) / t)
    assert np.all(np.abs(fit.probs[well] - p[well]) <= 1.5 * 4 * se + 1e-3)
    lo, hi = fit.intervals(0.95)
    cover = np.mean((lo[well] <= p[well]) & (p[well] <= hi[well]))
    # ~90 well-tried edges: 95% nominal; 0.85 is > 4 binomial standard errors below
    assert 0.85 <= cover <= 1.0, cover


def test_outside_rate_recovered_and_near_zero_without_one():
    """The model's outside coin has no time: it can also explain an adoption that
    had an influencer in the graph. The simulator's outside adoptions all come
    first (round 1), so edges are kept weak (p <= 0.08) for the two to agree
    within the tolerance. Without outside adoptions, edges are strong (0.1 to
    0.6): with an edge weaker than 1 / (consumers at risk) a lone adoption is
    as well explained by the outside, and the maximum-likelihood rate is not 0."""
    for rate, p_range in ((0.04, (0.01, 0.08)), (0.0, (0.1, 0.6))):
        g, _, _, _, casc = dag_case(n=40, m=100, n_casc=800, seed=21, outside=rate,
                                    p_range=p_range)
        fit = vs.fit_influence(g, make_log(g, casc), rule="previous_step", prior=0.0,
                               tol=1e-10)
        tr = _trials(g, fit.log, "previous_step")
        pooled = float(np.sum(fit.outside_rates * tr.at_risk) / tr.at_risk.sum())
        at_risk = tr.at_risk.sum()
        if rate == 0.0:  # EM's r shrinks geometrically toward 0 without orphans
            assert pooled < 0.1 * 0.04 and fit.outside_share < 0.01, (pooled, fit.outside_share)
        else:
            se = math.sqrt(rate * (1 - rate) / at_risk)
            assert abs(pooled - rate) <= 4 * se + 0.15 * rate, (pooled, rate)
            assert fit.outside_share > 0.05


def test_frequency_by_hand():
    g = vs.FollowerGraph.from_edges([0, 0, 3], [1, 2, 2], n_nodes=4)
    casc = [{0: 0, 1: 1}, {0: 0, 3: 1, 2: 2}, {0: 0}]
    fit = vs.fit_influence(g, make_log(g, casc), method="frequency", prior=0.0, outside=False)
    s, d, p, _, _ = fit.edge_table()
    got = {(a, b): q for a, b, q in zip(s.tolist(), d.tolist(), p.tolist())}
    # A_0 = 3 cascades, A_3 = 1; node 2's adoption split between 0 and 3
    assert got == pytest.approx({(0, 1): 1 / 3, (0, 2): 0.5 / 3, (3, 2): 0.5})


def test_prior_shrinks_toward_the_pooled_rate_and_auto_picks_from_the_grid():
    g, _, _, _, casc = dag_case(n=30, m=80, n_casc=60, seed=4)
    log = make_log(g, casc)
    f0 = vs.fit_influence(g, log, prior=0.0, outside=False)
    f1 = vs.fit_influence(g, log, prior=50.0, outside=False)
    tried = f0.trials > 0
    assert np.mean(np.abs(f1.probs[tried] - f1.prior_mean)) < np.mean(
        np.abs(f0.probs[tried] - f0.prior_mean))
    fa = vs.fit_influence(g, log, outside=False, rng=0)
    assert fa.prior_strength in fa.prior_scores
    assert fa.prior_scores[fa.prior_strength] == max(fa.prior_scores.values())
    assert "Shrinkage" in fa.summary() and "edges were ever tried" in fa.summary()


def test_sample_is_reproducible_and_centred():
    g, _, _, _, casc = dag_case(n=30, m=80, n_casc=400, seed=6)
    fit = vs.fit_influence(g, make_log(g, casc), prior=2.0, outside=False)
    a, b = fit.sample(1), fit.sample(1)
    assert a == b and a.n_edges == g.n_edges
    draws = np.array([fit.input_graph.with_probabilities(0.0).edges()[2] * 0 +
                      _aligned(fit.sample(k), g) for k in range(200)])
    well = fit.trials >= 50
    # Beta mean (a / (a + b)) vs the MAP-like estimate: within 3 posterior sd / sqrt(200) + slack
    assert np.max(np.abs(draws.mean(axis=0)[well] - fit.probs[well])) < 0.03


def _aligned(h, g):
    """h's probabilities in g's edge order."""
    s, d, p = h.edges()
    look = {(a, b): q for a, b, q in zip(s.tolist(), d.tolist(), p.tolist())}
    gs, gd, _ = g.edges()
    return np.array([look[(a, b)] for a, b in zip(gs.tolist(), gd.tolist())])


# ---------------------------------------------------------------- OutsideIC
def test_outside_ic_simulates_outside_adoption():
    g = vs.FollowerGraph.from_edges([0], [1], probs=0.0, n_nodes=50)
    assert vs.estimate_reach(g, [0], model=OutsideIC(1.0), n_sims=20, rng=0).mean == 50.0
    a = vs.estimate_reach(g, [0], model=OutsideIC(0.0), n_sims=50, rng=1, return_sizes=True)
    assert a.mean == 1.0
    n = 4000
    est = vs.estimate_reach(g, [0], model=OutsideIC(0.2), n_sims=n, rng=2, return_sizes=True)
    mean, var = 1 + 49 * 0.2, 49 * 0.2 * 0.8
    assert abs(est.mean - mean) <= 4 * math.sqrt(var / n)
    assert est.timeline[0] == 1.0  # the virtual source is not counted
    h = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=0.5, n_nodes=3)
    x = vs.estimate_reach(h, [0], model=vs.IC(), n_sims=500, rng=3, return_sizes=True)
    y = vs.estimate_reach(h, [0], model=OutsideIC(0.0), n_sims=500, rng=3, return_sizes=True)
    assert np.array_equal(x.sizes, y.sizes)
    with pytest.raises(ValueError, match="rate"):
        OutsideIC(1.5)


# ---------------------------------------------------------------- scores and backtest
def test_score_sizes_by_hand():
    sizes = np.array([1, 1, 2, 3, 3, 3, 5, 8, 8, 13])
    sc = score_sizes(sizes, 3, 1, 20)
    assert sc["mean"] == 4.7 and sc["abs_error"] == pytest.approx(1.7)
    assert (sc["low"], sc["high"], sc["covered"]) == (1.0, 13.0, True)
    assert sc["log_score"] == pytest.approx(math.log((3 + 1 / 20) / 11))
    assert sc["pit"] == pytest.approx(0.45)
    sc = score_sizes(sizes, 17, 1, 20)  # never simulated: the smoothing's floor
    assert sc["log_score"] == pytest.approx(math.log((1 / 20) / 11)) and not sc["covered"]
    rng = np.random.default_rng(0)
    for _ in range(20):
        s = rng.integers(1, 30, size=int(rng.integers(5, 60)))
        y = int(rng.integers(1, 35))
        want = nl.score(s, y, 1, 40)
        got = score_sizes(s, y, 1, 40)
        assert got == pytest.approx(want)


def test_backtest_rows_scores_and_determinism():
    g, _, _, _, casc = dag_case(n=30, m=80, n_casc=120, seed=8, outside=0.02)
    log = make_log(g, casc)
    train, test = log.split("item", test_size=0.25, rng=0)
    fit = vs.fit_influence(g, train, prior=2.0)
    bt = vs.backtest(fit, test, n_sims=200, rng=5, n_draws=5)
    bt2 = vs.backtest(fit, test, n_sims=200, rng=5, n_draws=5)
    assert bt.scores == bt2.scores
    names = {"learned", "learned, no outside", "weighted cascade", "trivalency",
             f"uniform p={bt.uniform_p:g}"}
    assert set(bt.scores) == names
    for name, sc in bt.scores.items():
        rs = [r for r in bt.rows if r["method"] == name]
        assert len(rs) == len(test) == sc["n_items"]
        assert sc["log_score"] == pytest.approx(np.mean([r["log_score"] for r in rs]))
        assert sc["coverage"] == pytest.approx(np.mean([r["covered"] for r in rs]))
        assert sum(sc["pit_hist"]) == len(rs)
        for r in rs:
            assert r["observed"] == test.sizes()[list(test.items).index(r["item"])]
    assert "cascades it never saw" in bt.summary()


# ---------------------------------------------------------------- bad input
def test_bad_inputs_are_one_line_errors():
    g, _, _, _, casc = dag_case(n=10, m=15, n_casc=5)
    log = make_log(g, casc)
    for kw, match in [({"method": "mle"}, "'method'"), ({"rule": "later"}, "'rule'"),
                      ({"prior": -1.0}, "'prior'"), ({"tol": 0.0}, "'tol'")]:
        with pytest.raises(ValueError, match=match) as ei:
            vs.fit_influence(g, log, **kw)
        assert "\n" not in str(ei.value)
    with pytest.raises(TypeError, match="'outside'"):
        vs.fit_influence(g, log, outside="yes")
    with pytest.raises(TypeError, match="ActionLog"):
        vs.fit_influence(g, casc)
    other = vs.FollowerGraph.from_edges([0], [1], n_nodes=3)
    with pytest.raises(ValueError, match="another graph"):
        vs.fit_influence(other, log)
    with pytest.raises(TypeError, match="InfluenceFit"):
        vs.backtest(None, log)


def test_single_adopter_items_are_counted_and_used():
    g = vs.FollowerGraph.from_edges([0], [1], n_nodes=2)
    log = vs.ActionLog.from_arrays(g, [1, 2, 2, 3], [0, 0, 1, 0], [0, 0, 1, 0])
    assert log.counts["single_adopter_items"] == 2
    fit = vs.fit_influence(g, log, prior=0.0, outside=False)
    assert fit.trials.tolist() == [3.0] and fit.probs[0] == pytest.approx(1 / 3)


# ---------------------------------------------------------------- real data
def _android():
    d = os.path.join(DATA, "stackexchange-android")
    if not os.path.isdir(d):
        pytest.skip("shared/data/cascades absent")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", vs.ViralsimWarning)
        return vs.datasets.load_cascades("stackexchange-android", path=d)


def test_android_fit_credits_outside_and_graph():
    graph, train, test = _android()
    assert (len(train), len(test)) == (543, 136)
    fit = vs.fit_influence(graph, train, prior=8.0)
    assert fit.converged and np.isfinite(fit.log_likelihood)
    # the dataset's README: about half the non-seed activations have an earlier neighbour
    assert 0.3 < fit.outside_share < 0.7


def test_shuffle_test_tells_influence_from_none():
    from viralsim.learn import shuffle_test

    g, _, _, _, casc = dag_case(n=40, m=100, n_casc=300, seed=31, p_range=(0.2, 0.6))
    res = shuffle_test(g, make_log(g, casc), n_shuffles=3, rng=0, prior=0.0)
    assert res["excess"] > 0.2 and len(res["shuffled_shares"]) == 3
    # outside adoptions only (no edge fires): order along edges carries nothing
    g, _, _, _, casc = dag_case(n=40, m=100, n_casc=300, seed=32, p_range=(0.0, 0.0),
                                outside=0.1)
    res = shuffle_test(g, make_log(g, casc), n_shuffles=3, rng=0, prior=0.0)
    assert abs(res["excess"]) < 0.05 and res["graph_share"] < 0.1
