"""Extreme parameters raise no overflow/invalid/divide RuntimeWarning (issue 20 #13):
probabilities 1e-300, 5e-324 and 1 - 1e-16, huge degrees, huge and tiny costs,
comment_prob extremes, max_rounds near 2**62, confidence near 0 and 1. pytest
turns every warning into an error (filterwarnings=error), so each call either
gives a result or one clean error."""

import numpy as np
import pytest

import viralsim as vs
from viralsim.strategies import cost_rule

EXTREME_P = {"1e-300": 1e-300, "denormal": 5e-324, "1-1e-16": 1 - 1e-16, "1": 1.0, "0": 0.0}
STRATEGIES = ["degree_discount", "single_discount", "pagerank", "imm", "opim_c", "celf",
              "degree", "random"]


@pytest.fixture(scope="module")
def g():
    return vs.generators.barabasi_albert(40, 3, rng=1)


def _one_line(exc_info):
    msg = str(exc_info.value)
    assert msg and "\n" not in msg
    return msg


@pytest.mark.parametrize("p", EXTREME_P.values(), ids=list(EXTREME_P))
def test_estimates_at_extreme_probabilities(g, p):
    gp = g.with_probabilities(p)
    models = [vs.IC(), vs.LinearThreshold(),
              vs.WordOfMouth(comment_prob=p, reinforcement=min(p, 1 - 1e-16), amplification=1e6)]
    for m in models:
        fixed = vs.estimate_reach(gp, [0, 1], model=m, n_sims=200, rng=1)
        prec = vs.estimate_reach(gp, [0, 1], model=m, precision=0.1, max_sims=500, rng=1)
        for r in (fixed, prec):
            assert 2 <= r.mean <= g.n_nodes and np.isfinite([r.ci_low, r.ci_high]).all()
    c = vs.estimate_campaign(gp, [vs.SeedList([0]), vs.InfluencerPost(
        n_followers=40, organic_reach=p, adoption_rate=1 - 1e-16)], n_sims=100, rng=1)
    assert np.isfinite(c.reach.mean)


@pytest.mark.parametrize("p", EXTREME_P.values(), ids=list(EXTREME_P))
def test_strategies_at_extreme_probabilities(g, p):
    gp = g.with_probabilities(p)
    for s in STRATEGIES:
        kw = {"n_worlds": 20} if s == "celf" else {"eps": 0.5} if s in ("imm", "opim_c") else {}
        sel = vs.select_seeds(gp, 3, strategy=s, rng=1, **kw)
        assert len(sel.seeds) == 3


def test_huge_degree_star():
    n = 5_000
    star = vs.FollowerGraph.from_edges(np.zeros(n, dtype=np.int64), np.arange(1, n + 1))
    for scheme in ("weighted_cascade", 1 - 1e-16):
        gs = star.with_probabilities(scheme)
        for s in ("degree_discount", "single_discount", "pagerank", "imm"):
            assert vs.select_seeds(gs, 2, strategy=s, rng=1).seeds[0] == 0
    assert vs.estimate_reach(star.with_probabilities(1 - 1e-16), [0], n_sims=20,
                             rng=1).mean > n


@pytest.mark.parametrize("cost", [1e300, 1e-300])
def test_huge_and_tiny_costs(g, cost):
    gc = g.with_probabilities(0.05).with_node_attr("cost", np.full(g.n_nodes, cost))
    for s in ("degree", "degree_discount", "imm", "celf", "pagerank", "random",
              "single_discount"):
        kw = {"n_worlds": 20} if s == "celf" else {"eps": 0.5} if s == "imm" else {}
        sel = vs.select_seeds(gc, budget=cost * 3, strategy=s, costs="cost", rng=1, **kw)
        assert len(sel.seeds) == 3


@pytest.mark.parametrize("a, b, e", [(1e300, 0.0, 2.0), (1.0, 0.0, 50.0), (1e-300, 0.0, 1.0),
                                     (1.0, 0.0, -5.0), (1.0, 1e300, 1.0)])
def test_extreme_cost_rules(g, a, b, e):
    gp = g.with_probabilities(0.05)
    for s in ("degree", "imm", "degree_discount"):
        try:
            vs.select_seeds(gp, budget=1e300, strategy=s, costs=cost_rule(a, b, e), rng=1)
        except ValueError as exc:  # a budget below every cost: one line naming the fix
            assert "budget" in str(exc) and "\n" not in str(exc)


def test_huge_max_rounds_is_capped_by_the_graph(g):
    # was (estimate_campaign): "array is too big" from numpy, sizing timelines by 2**62
    gp = g.with_probabilities(0.1)
    for call in (lambda r: vs.estimate_reach(gp, [0], n_sims=100, max_rounds=r, rng=1),
                 lambda r: vs.estimate_campaign(gp, [vs.SeedList([0])], n_sims=100,
                                                max_rounds=r, rng=1)):
        big, capped = call(2**62), call(g.n_nodes)
        assert big.reach.mean == capped.reach.mean


@pytest.mark.parametrize("confidence", [1e-300, 0.5, 1 - 1e-12])
def test_extreme_confidence(g, confidence):
    gp = g.with_probabilities(0.05)
    r = vs.estimate_reach(gp, [0], n_sims=100, confidence=confidence, rng=1)
    assert r.ci_low <= r.mean <= r.ci_high
    vs.compare_strategies(gp, ["degree", "random"], k=[2], n_sims=100, confidence=confidence,
                          rng=1)
    vs.estimate_campaign(gp, [vs.SeedList([0])], n_sims=100, confidence=confidence, rng=1)


def test_confidence_too_close_to_one_is_one_line(g):
    with pytest.raises(ValueError) as ei:
        vs.estimate_reach(g.with_probabilities(0.05), [0], n_sims=100, confidence=1 - 1e-16)
    assert "too close to 1" in _one_line(ei)


def test_campaign_extremes(g):
    gp = g.with_probabilities(1e-300).with_node_attr("seg", np.arange(g.n_nodes) % 2 == 0)
    ch = [vs.AdBuy(spend=10.0, cpm=1e-3, conversion_rate=1e-300, frequency_cap=10**12),
          vs.InfluencerPost(n_followers=g.n_nodes, organic_reach=1e-300,
                            adoption_rate=1 - 1e-16),
          vs.AdBuy(spend=1.0, cpm=1e6, conversion_rate=1 - 1e-16, segment="seg")]
    vs.estimate_campaign(gp, ch, n_sims=5, rng=1)  # 10 million impressions a world
    vs.allocate_budget(gp, ch, 1e300, n_sims=3, rng=1)


def test_campaign_sizes_refused_before_any_work(g):
    gp = g.with_probabilities(0.1)
    with pytest.raises(ValueError) as ei:  # was: numpy's MemoryError allocating 2**41 counts
        vs.estimate_campaign(gp, [vs.SeedList([0])], n_sims=2**41)
    assert "more worlds than estimate_campaign runs" in _one_line(ei)
    ad = vs.AdBuy(spend=1e6, cpm=1e-3, frequency_cap=10**12)  # 1e12 impressions a world
    for call in (lambda: vs.estimate_campaign(gp, [ad], n_sims=1000),
                 lambda: vs.allocate_budget(gp, [ad], 1e9, n_sims=1000)):
        with pytest.raises(ValueError) as ei:  # was: hours of one-at-a-time deliveries
            call()
        assert "one at a time" in _one_line(ei)


def test_learning_from_extreme_times_and_priors(g):
    gp = g.with_probabilities(0.1)
    rng = np.random.default_rng(0)
    items, users, times = [], [], []
    for it in range(30):
        for j, u in enumerate(rng.choice(g.n_nodes, 5, replace=False).tolist()):
            items.append(it)
            users.append(u)
            times.append(1e300 if j else -1e300)
    log = vs.ActionLog.from_arrays(gp, items, users, times)
    for prior in ["auto", (1e-300, 1e-300), (1e300, 0.5), (10.0, 1 - 1e-16)]:
        for method in ("em", "frequency"):
            try:
                fit = vs.fit_influence(gp, log, method=method, prior=prior, max_iter=50, tol=0.0)
            except (ValueError, TypeError) as exc:
                assert "\n" not in str(exc)
                continue
            assert np.isfinite(fit.graph.probs).all()
    fit = vs.fit_influence(gp, log, max_iter=20)
    vs.backtest(fit, log, n_sims=50, n_draws=3, rng=1)
