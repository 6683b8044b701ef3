"""Word-of-mouth and linear-threshold models: reductions, twins, exact oracles, bad input.

Statistical checks compare a Monte Carlo mean over N worlds (fixed rng) with
an exact expectation; the slack is Z = 5 standard errors computed from the
exact variance (a false alarm has probability about 6e-7 per check under the
normal approximation, and at most 4% by Chebyshev's inequality).
"""

import math
import os

import numba
import numpy as np
import pytest

import viralsim as vs
from viralsim import models as M

from .naive_models import exact_lt_reach, naive_lt_world, naive_wom_world

Z = 5.0


def star(n, p):
    return vs.FollowerGraph.from_edges([0] * (n - 1), list(range(1, n)), probs=p)


def path(n, p):
    return vs.FollowerGraph.from_edges(list(range(n - 1)), list(range(1, n)), probs=p)


def batch(model, g, seeds, *, n=200, key=7, start=0, max_rounds=None, tl_len=None,
          exposure=True):
    idx = g.index_of(seeds)
    tl_len = tl_len or g.n_nodes + 2
    return model._simulate(g, idx, key, start, n, max_rounds=max_rounds, tl_len=tl_len,
                           exposure=exposure)


def small_graphs():
    yield "ba_wc", vs.generators.barabasi_albert(60, 2, rng=1).with_probabilities(
        "weighted_cascade")
    yield "er_skip", vs.generators.erdos_renyi(80, 0.2, rng=2).with_probabilities(0.03)
    yield "sf_tri", vs.generators.scale_free(80, rng=3).with_probabilities("trivalency", rng=4)
    yield "ws_mixed", vs.generators.watts_strogatz(50, 4, 0.2, rng=5).with_probabilities(
        "uniform_random", rng=6, low=0.0, high=0.6)


# ---------------------------------------------------------------- exact reduction to IC
@pytest.mark.parametrize("max_rounds", [None, 2])
@pytest.mark.parametrize("scheme", ["weighted_cascade", 0.02, 0.3, "trivalency"])
def test_wom_defaults_are_ic_bit_for_bit(scheme, max_rounds):
    g = vs.generators.barabasi_albert(400, 3, rng=11).with_probabilities(scheme, rng=12)
    seeds = [0, 17, 99]
    kw = dict(n_sims=300, rng=5, max_rounds=max_rounds, return_sizes=True)
    a = vs.estimate_reach(g, seeds, model=vs.IC(), **kw)
    b = vs.estimate_reach(g, seeds, model=vs.WordOfMouth(), **kw)
    c = vs.estimate_reach(g, seeds, **kw)  # default model
    assert np.array_equal(a.sizes, b.sizes) and np.array_equal(a.sizes, c.sizes)
    assert a.metrics == b.metrics
    for k in a.timelines:
        for x, y in zip(a.timelines[k], b.timelines[k]):
            assert np.array_equal(x, y)
    # and both equal the plain-Python definition of IC's worlds, world by world
    from .naive import naive_ic_world

    idx = g.index_of(seeds)
    for r in range(40):
        reach, seen, rounds = naive_ic_world(g, idx, a.rng_key, r, max_rounds)
        assert b.sizes[r] == reach
    bb = batch(vs.WordOfMouth(), g, seeds, n=40, key=a.rng_key, max_rounds=max_rounds, tl_len=40)
    want = np.zeros(40, dtype=np.int64)
    for r in range(40):
        rounds = naive_ic_world(g, idx, a.rng_key, r, max_rounds)[2]
        want[: len(rounds)] += rounds
    assert np.array_equal(bb.timelines["adopters"][0], want)
    assert np.array_equal(bb.metrics["exposure"],
                          [naive_ic_world(g, idx, a.rng_key, r, max_rounds)[1] for r in range(40)])


def test_per_edge_path_equals_live_path_on_coin_rows():
    # every row's largest probability >= 1/16, so expand_node flips one 32-bit coin per
    # edge: the per-edge world definition with beta = alpha = 0 draws the same coins
    g = vs.generators.barabasi_albert(300, 3, rng=2).with_probabilities(
        "uniform_random", rng=3, low=0.07, high=0.5)
    idx = g.index_of([0, 5])
    kw = dict(max_rounds=None, tl_len=50, exposure=True, comment_prob=0.7)
    a = M._run_wom(g, idx, 3, 0, 200, per_edge=False, **kw)
    b = M._run_wom(g, idx, 3, 0, 200, per_edge=True, **kw)
    for k in a.metrics:
        assert np.array_equal(a.metrics[k], b.metrics[k]), k


# ---------------------------------------------------------------- kernels == plain-Python twins
WOM_CASES = [
    dict(c=0.6),
    dict(c=0.8, gamma=0.3),
    dict(c=1.0, beta=0.7, per_edge=True),
    dict(c=0.7, alpha=0.4, per_edge=True),
    dict(c=0.5, beta=0.5, alpha=0.2, gamma=0.5, per_edge=True),
    dict(c=0.9, per_edge=True, max_rounds=2),
]


@pytest.mark.parametrize("case", WOM_CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_wom_kernel_matches_naive_twin(case):
    case = dict(case)
    gamma = case.pop("gamma", 1.0)
    max_rounds = case.pop("max_rounds", None)
    per_edge = case.pop("per_edge", False)
    for name, g in small_graphs():
        rng = np.random.default_rng(len(name))
        target = rng.random(g.n_nodes) < 0.5
        g = g.with_node_attr("target", target)
        seeds = [0, 3, 10]
        idx = g.index_of(seeds)
        thin = np.where(target, 1.0, gamma) if gamma < 1 else None
        n = 25
        b = M._run_wom(g, idx, 99, 40, n, max_rounds=max_rounds, tl_len=g.n_nodes + 2,
                       exposure=True, comment_prob=case["c"],
                       reinforcement=case.get("beta", 0.0),
                       amplification=case.get("alpha", 0.0), segment_attr="target",
                       off_target_factor=gamma, per_edge=per_edge)
        tl = {k: np.zeros(g.n_nodes + 2, np.int64) for k in b.timelines}
        for w in range(n):
            ref = naive_wom_world(g, idx, 99, 40 + w, c=case["c"], beta=case.get("beta", 0.0),
                                  alpha=case.get("alpha", 0.0), thin=thin,
                                  segw=target.astype(float), max_rounds=max_rounds,
                                  per_edge=per_edge)
            for k in ("reach", "exposure", "comments", "impressions", "segment_reach"):
                assert b.metrics[k][w] == ref[k], (name, w, k)
            for k in tl:
                s = ref[f"{k}_tl"]
                tl[k][: len(s)] += s
        for k in tl:
            assert np.array_equal(b.timelines[k][0], tl[k]), (name, k)


@pytest.mark.parametrize("weights", ["probs", "weighted_cascade"])
@pytest.mark.parametrize("max_rounds", [None, 2])
def test_lt_kernel_matches_naive_twin(weights, max_rounds):
    model = vs.LinearThreshold(weights=weights)
    for name, g in small_graphs():
        w = model.edge_weights(g)
        seeds = [1, 2, 7]  # seeds with in-edges: a live in-edge must not re-add them
        idx = g.index_of(seeds)
        n = 30
        b = batch(model, g, seeds, n=n, key=5, start=3, max_rounds=max_rounds)
        tl = np.zeros(g.n_nodes + 2, np.int64)
        for r in range(n):
            ref = naive_lt_world(g, idx, 5, 3 + r, w, max_rounds=max_rounds)
            for k in ("reach", "exposure", "comments", "impressions"):
                assert b.metrics[k][r] == ref[k], (name, r, k)
            tl[: len(ref["adopters_tl"])] += ref["adopters_tl"]
        assert np.array_equal(b.timelines["adopters"][0], tl), name
        # one world per call never switches to the table of uniforms (the first
        # world of a chunk hashes them): the same worlds either way
        for r in range(0, n, 7):
            one = batch(model, g, seeds, n=1, key=5, start=3 + r, max_rounds=max_rounds)
            assert one.metrics["reach"][0] == b.metrics["reach"][r], (name, r)


# ---------------------------------------------------------------- closed forms (WOM)
def mc_check(est, mean, var, n):
    assert abs(est - mean) <= Z * math.sqrt(var / n), (est, mean, Z * math.sqrt(var / n))


@pytest.mark.parametrize("c", [0.0, 0.4, 1.0])
def test_wom_star_from_hub(c):
    n, p, N = 21, 0.3, 20_000
    est = vs.estimate_reach(star(n, p), [0], model=vs.WordOfMouth(comment_prob=c),
                            n_sims=N, rng=1)
    mc_check(est.mean, 1 + (n - 1) * p, (n - 1) * p * (1 - p), N)
    assert est.metrics["impressions"].mean == n - 1  # leaves comment to nobody
    if c == 0.0:
        assert est.metrics["comments"].mean == 1.0


@pytest.mark.parametrize("c", [0.0, 0.5, 0.9])
def test_wom_directed_path(c):
    L, p, N = 7, 0.8, 20_000
    tail = [p**i * c ** (i - 1) for i in range(1, L)]  # P(K >= i), K = adopters past the seed
    mean = 1 + sum(tail)
    var = sum((2 * i - 1) * t for i, t in enumerate(tail, 1)) - sum(tail) ** 2
    est = vs.estimate_reach(path(L, p), [0], model=vs.WordOfMouth(comment_prob=c),
                            n_sims=N, rng=2)
    mc_check(est.mean, mean, var, N)


@pytest.mark.parametrize("gamma", [0.0, 0.3, 1.0])
def test_wom_off_target_star(gamma):
    n, p, N = 21, 0.6, 20_000
    h = (n - 1) // 2
    target = np.array([True] + [True] * h + [False] * h)
    g = star(n, p).with_node_attr("target", target)
    m = vs.WordOfMouth(segment_attr="target", off_target_factor=gamma)
    est = vs.estimate_reach(g, [0], model=m, n_sims=N, rng=3)
    mean = 1 + (n - 1) * p * (1 + gamma) / 2
    var = h * p * (1 - p) + h * gamma * p * (1 - gamma * p)
    mc_check(est.mean, mean, var, N)
    # segment reach counts the hub and on-target adopters only
    mc_check(est.metrics["segment_reach"].mean, 1 + h * p, h * p * (1 - p), N)
    # weights: every leaf half in the target adopts with p (1/2 + gamma/2): same mean
    gw = star(n, p).with_node_attr("interest", np.full(n, 0.5))
    mw = vs.WordOfMouth(segment_attr="interest", off_target_factor=gamma)
    a = p * (1 + gamma) / 2
    est_w = vs.estimate_reach(gw, [0], model=mw, n_sims=N, rng=4)
    mc_check(est_w.mean, 1 + (n - 1) * a, (n - 1) * a * (1 - a), N)


def test_comment_prob_moves_no_edge_coin():
    # c only removes commenters: per world, reach(c=0.5) <= reach(c=1) and the IC world's
    # adopters of round 1 (seeds always comment) are identical
    g = vs.generators.barabasi_albert(300, 3, rng=8).with_probabilities(0.2)
    a = batch(vs.WordOfMouth(), g, [0, 1], n=300, tl_len=3, max_rounds=1)
    b = batch(vs.WordOfMouth(comment_prob=0.5), g, [0, 1], n=300, tl_len=3, max_rounds=1)
    assert np.array_equal(a.metrics["reach"], b.metrics["reach"])
    a = batch(vs.WordOfMouth(), g, [0, 1], n=300)
    b = batch(vs.WordOfMouth(comment_prob=0.5), g, [0, 1], n=300)
    assert np.all(b.metrics["reach"] <= a.metrics["reach"])
    assert np.all(b.metrics["comments"] <= b.metrics["reach"])


# ---------------------------------------------------------------- reinforcement, amplification
def bipartite(n_seeds, n_targets, p, rng):
    gen = np.random.default_rng(rng)
    src, dst = [], []
    for s in range(n_seeds):
        for t in range(n_targets):
            if gen.random() < 0.6:
                src.append(s)
                dst.append(n_seeds + t)
    return vs.FollowerGraph.from_edges(src, dst, probs=p, n_nodes=n_seeds + n_targets)


def layered(widths, p, rng):
    gen = np.random.default_rng(rng)
    src, dst, off = [], [], 0
    for a, b in zip(widths, widths[1:]):
        for i in range(a):
            for j in range(b):
                if gen.random() < 0.5:
                    src.append(off + i)
                    dst.append(off + a + j)
        off += a
    return vs.FollowerGraph.from_edges(src, dst, probs=p, n_nodes=sum(widths))


def test_reinforcement_monotone_per_world_when_only_seeds_comment():
    # comments come from the seeds only (one round), in the seeds' order, so raising beta
    # raises every edge's threshold against the same uniform: reach is monotone per world
    g = bipartite(6, 40, 0.15, rng=1)
    seeds = list(range(6))
    prev = None
    for beta in [0.0, 0.3, 1.0, 3.0]:
        r = M._run_wom(g, g.index_of(seeds), 4, 0, 500, max_rounds=None, tl_len=4,
                       exposure=False, reinforcement=beta, per_edge=True).metrics["reach"]
        if prev is not None:
            assert np.all(r >= prev)
            assert r.sum() > prev.sum()
        prev = r


def test_amplification_monotone_per_world_on_layered_graph():
    # a node in layer k can only adopt in round k, so C_{t-1} and every edge's threshold
    # grow with alpha: reach is monotone per world
    g = layered([3, 8, 8, 8, 8], 0.2, rng=2)
    prev = None
    for alpha in [0.0, 0.5, 2.0]:
        r = M._run_wom(g, g.index_of([0, 1, 2]), 5, 0, 500, max_rounds=None, tl_len=8,
                       exposure=False, amplification=alpha, comment_prob=0.8,
                       per_edge=True).metrics["reach"]
        if prev is not None:
            assert np.all(r >= prev)
            assert r.sum() > prev.sum()
        prev = r


@pytest.mark.parametrize("param", ["reinforcement", "amplification"])
def test_extras_raise_expected_reach(param):
    # general graph: per-world monotonicity can fail (arrival order changes), so compare
    # means in the same worlds: paired difference > -Z standard errors, and > 0 here
    g = vs.generators.holme_kim(400, 3, 0.3, rng=3).with_probabilities("weighted_cascade")
    idx = g.index_of([0, 1, 2])
    N = 2000
    base = M._run_wom(g, idx, 6, 0, N, max_rounds=None, tl_len=3, exposure=False,
                      per_edge=True).metrics["reach"]
    more = M._run_wom(g, idx, 6, 0, N, max_rounds=None, tl_len=3, exposure=False,
                      per_edge=True, **{param: 0.5}).metrics["reach"]
    d = (more - base).astype(float)
    assert d.mean() > Z * d.std(ddof=1) / math.sqrt(N) > 0


def test_p_zero_nothing_spreads():
    g = vs.generators.barabasi_albert(200, 3, rng=4).with_probabilities(0.0)
    m = vs.WordOfMouth(comment_prob=0.5, reinforcement=10.0, amplification=10.0)
    b = batch(m, g, [0, 1, 2], n=100)
    assert np.all(b.metrics["reach"] == 3)
    assert np.all(b.metrics["comments"] == 3)
    assert np.all(b.metrics["impressions"] == g.out_degree()[[0, 1, 2]].sum())


def test_amplification_without_earlier_comments_changes_nothing():
    # star and seeds->targets: every adoption happens in round 1, where C_0 = 0
    for g, seeds in [(star(30, 0.4), [0]), (bipartite(4, 30, 0.3, rng=5), [0, 1, 2, 3])]:
        idx = g.index_of(seeds)
        a = M._run_wom(g, idx, 8, 0, 300, max_rounds=None, tl_len=4, exposure=True,
                       per_edge=True)
        b = M._run_wom(g, idx, 8, 0, 300, max_rounds=None, tl_len=4, exposure=True,
                       per_edge=True, amplification=5.0)
        for k in a.metrics:
            assert np.array_equal(a.metrics[k], b.metrics[k])


def test_is_live_edge():
    assert vs.IC().is_live_edge
    assert vs.WordOfMouth(comment_prob=0.3).is_live_edge
    assert not vs.WordOfMouth(reinforcement=0.1).is_live_edge
    assert not vs.WordOfMouth(amplification=0.1).is_live_edge
    assert vs.LinearThreshold().is_live_edge


# ---------------------------------------------------------------- linear threshold
def tiny_lt_graph():
    src = [0, 0, 1, 1, 2, 3, 4, 2]
    dst = [1, 2, 2, 3, 3, 4, 1, 4]
    probs = [0.5, 0.3, 0.6, 0.4, 0.5, 0.9, 0.3, 0.05]
    return vs.FollowerGraph.from_edges(src, dst, probs=probs)


@pytest.mark.parametrize("weights", ["probs", "weighted_cascade"])
@pytest.mark.parametrize("max_rounds", [None, 1, 2])
def test_lt_against_enumeration(weights, max_rounds):
    g = tiny_lt_graph()
    m = vs.LinearThreshold(weights=weights)
    w = m.edge_weights(g)
    for seeds in ([0], [4], [0, 3]):
        mean, var = exact_lt_reach(g, g.index_of(seeds), w, max_rounds=max_rounds)
        N = 20_000
        est = vs.estimate_reach(g, seeds, model=m, n_sims=N, rng=9, max_rounds=max_rounds)
        mc_check(est.mean, mean, var, N)


def threshold_lt_rounds(g, seed_idx, w, n_worlds, rounds, gen):
    """Plain threshold-form LT (Granovetter; Kempe et al. 2003), independent of our worlds.

    Per world: thresholds uniform on [0, 1); a follower adopts in the round its
    adopted in-neighbours' weights exceed its threshold. Returns per-world
    adopters per round, shape (n_worlds, rounds + 1).
    """
    n = g.n_nodes
    out = np.zeros((n_worlds, rounds + 1))
    for r in range(n_worlds):
        theta = gen.random(n)
        active = np.zeros(n, bool)
        active[seed_idx] = True
        press = np.zeros(n)
        frontier = list(seed_idx)
        out[r, 0] = len(frontier)
        for t in range(1, rounds + 1):
            new = []
            for u in frontier:
                for e in range(g.indptr[u], g.indptr[u + 1]):
                    v = g.indices[e]
                    if not active[v]:
                        press[v] += w[e]
            for v in np.flatnonzero(~active & (press > theta)):
                active[v] = True
                new.append(v)
            out[r, t] = len(new)
            frontier = new
    return out


@pytest.mark.parametrize("weights", ["probs", "weighted_cascade"])
def test_lt_live_edge_kernel_matches_threshold_form_per_round(weights):
    # the kernel runs LT's live-edge form; Kempe et al.'s Claim 2.6 says the
    # adopters of every round have the distribution of the threshold form
    g = tiny_lt_graph()
    m = vs.LinearThreshold(weights=weights)
    w = m.edge_weights(g)
    idx = g.index_of([0])
    n, rounds = 20_000, 4
    ref = threshold_lt_rounds(g, idx, w, n, rounds, np.random.default_rng(3))
    b = batch(m, g, [0], n=n, key=11, tl_len=rounds + 2)
    s, s2 = b.timelines["adopters"]
    checked = 0
    for t in range(1, rounds + 1):
        mk, vk = s[t] / n, s2[t] / n - (s[t] / n) ** 2
        mr, vr = ref[:, t].mean(), ref[:, t].var()
        tol = Z * math.sqrt(vk / n + vr / n)
        assert abs(mk - mr) <= tol, (t, mk, mr, tol)
        checked += mr > 10 * tol  # rounds where a wrong round structure would show
    assert checked >= 2
    assert abs(b.metrics["reach"].mean() - ref.sum(axis=1).mean()) <= Z * math.sqrt(
        b.metrics["reach"].var() / n + ref.sum(axis=1).var() / n)


def test_lt_weights_normalised_and_validated():
    g = vs.FollowerGraph.from_edges([0, 1, 2], [3, 3, 3], probs=[0.9, 0.6, 0.3])
    w = vs.LinearThreshold(weights="probs").edge_weights(g)
    assert np.isclose(w.sum(), 1.0) and np.allclose(w, np.array([0.9, 0.6, 0.3]) / 1.8)
    w2 = vs.LinearThreshold(weights=[0.1, 0.2, 0.3]).edge_weights(g)
    assert np.allclose(sorted(w2), [0.1, 0.2, 0.3])  # sum <= 1 kept
    # weights that sum to 1: the follower adopts for sure once all three comment
    est = vs.estimate_reach(g, [0, 1, 2], model=vs.LinearThreshold(), n_sims=50, rng=0)
    assert est.mean == 4.0
    with pytest.raises(ValueError, match="'weights' parameter of LinearThreshold.*>= 0"):
        vs.LinearThreshold(weights=[0.1, -0.2, 0.3])
    with pytest.raises(ValueError, match="one weight per edge"):
        vs.estimate_reach(g, [0], model=vs.LinearThreshold(weights=[0.1, 0.2]), n_sims=5)
    with pytest.raises(ValueError, match="'weights' parameter"):
        vs.LinearThreshold(weights="nope")
    assert vs.LinearThreshold() == vs.LinearThreshold()
    assert vs.LinearThreshold(weights=[1.0, 2.0]) == vs.LinearThreshold(weights=[1.0, 2.0])
    assert vs.LinearThreshold(weights=[1.0, 2.0]) != vs.LinearThreshold()
    assert len({vs.LinearThreshold(), vs.LinearThreshold()}) == 1


def test_lt_without_probabilities_uses_weighted_cascade():
    g = vs.FollowerGraph.from_edges([0, 1], [2, 2])
    assert vs.estimate_reach(g, [0], model=vs.LinearThreshold(), n_sims=10, rng=0).n_sims == 10
    with pytest.raises(ValueError, match="no edge probabilities"):
        vs.estimate_reach(g, [0], model=vs.LinearThreshold(weights="probs"), n_sims=10)


# ---------------------------------------------------------------- outputs
def test_metrics_and_timelines_on_deterministic_path():
    g = path(5, 1.0)
    for m in (vs.IC(), vs.WordOfMouth(reinforcement=1.0), vs.LinearThreshold()):
        est = vs.estimate_reach(g, [0], model=m, n_sims=10, rng=0)
        assert est.mean == 5 and est.exposure.mean == 5
        assert est.metrics["comments"].mean == 5
        assert est.metrics["impressions"].mean == 4
        assert est.timeline.tolist() == [1, 1, 1, 1, 1]
        assert est.timelines["comments"][0].tolist() == [0, 1, 1, 1, 1, 1]
        est = vs.estimate_reach(g, [0], model=m, n_sims=10, rng=0, max_rounds=2)
        assert est.mean == 3 and est.metrics["comments"].mean == 2
        assert est.metrics["impressions"].mean == 2 and est.exposure.mean == 3
        assert est.timelines["adopters"][0].tolist() == [1, 1, 1]


def test_exposure_and_impressions_on_star_with_silent_adopters():
    # hub posts once to 4 followers; with c = 0 only the seed comments
    g = vs.FollowerGraph.from_edges([0, 0, 0, 0, 1, 1], [1, 2, 3, 4, 5, 6], probs=1.0)
    est = vs.estimate_reach(g, [0], model=vs.WordOfMouth(comment_prob=0.0), n_sims=10, rng=0)
    assert (est.mean, est.exposure.mean) == (5.0, 5.0)
    assert est.metrics["comments"].mean == 1 and est.metrics["impressions"].mean == 4
    est = vs.estimate_reach(g, [0], model=vs.WordOfMouth(), n_sims=10, rng=0)
    assert (est.mean, est.exposure.mean) == (7.0, 7.0)
    assert est.metrics["comments"].mean == 7 and est.metrics["impressions"].mean == 6
    assert est.timelines["impressions"][0].tolist() == [0, 4, 2]
    assert est.timelines["exposure"][0].tolist() == [1, 4, 2]


def test_segment_reach_boolean_and_weights():
    g = path(4, 1.0)
    gb = g.with_node_attr("t", np.array([True, False, True, True]))
    gw = g.with_node_attr("w", np.array([0.5, 0.25, 0.0, 1.0]))
    for m in (vs.IC, vs.LinearThreshold, vs.WordOfMouth):
        b = batch(m(segment_attr="t"), gb, [0], n=5)
        assert b.metrics["segment_reach"].dtype.kind == "i"
        assert np.all(b.metrics["segment_reach"] == 3)
        w = batch(m(segment_attr="w"), gw, [0], n=5)
        assert np.all(w.metrics["segment_reach"] == 1.75)
    est = vs.estimate_reach(gw, [0], model=vs.IC(segment_attr="w"), n_sims=5, rng=0)
    assert est.metrics["segment_reach"].mean == 1.75
    assert np.all(batch(vs.IC(), g, [0], n=5).metrics["segment_reach"] == 4)


# ---------------------------------------------------------------- reproducibility, threads
MODELS = [
    vs.IC(),
    vs.WordOfMouth(comment_prob=0.5, off_target_factor=0.4, segment_attr="t"),
    vs.WordOfMouth(comment_prob=0.5, reinforcement=0.5, amplification=0.2),
    vs.LinearThreshold(),
]


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_thread_count_and_batching_invariance(model):
    g = vs.generators.barabasi_albert(500, 3, rng=6).with_probabilities("weighted_cascade")
    g = g.with_node_attr("t", np.arange(500) % 3 == 0)
    old = numba.get_num_threads()
    runs = []
    try:
        for t in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(t)
            runs.append(batch(model, g, [0, 1], n=150, key=3, tl_len=30))
    finally:
        numba.set_num_threads(old)
    a = runs[0]
    parts = [batch(model, g, [0, 1], n=n, key=3, start=s, tl_len=30) for s, n in [(0, 61), (61, 89)]]
    for b in runs[1:]:
        for k in a.metrics:
            assert np.array_equal(a.metrics[k], b.metrics[k])
        for k in a.timelines:
            assert np.array_equal(a.timelines[k][0], b.timelines[k][0])
            assert np.array_equal(a.timelines[k][1], b.timelines[k][1])
    for k in a.metrics:
        assert np.array_equal(a.metrics[k], np.concatenate([p.metrics[k] for p in parts]))
    for k in a.timelines:
        assert np.array_equal(a.timelines[k][0], parts[0].timelines[k][0] + parts[1].timelines[k][0])
    e1 = vs.estimate_reach(g, [0, 1], model=model, n_sims=100, rng=12)
    e2 = vs.estimate_reach(g, [0, 1], model=model, n_sims=100, rng=12)
    assert e1.metrics == e2.metrics


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(comment_prob=1.5), ValueError, "'comment_prob' parameter of WordOfMouth must be a float in \\[0, 1\\]"),
        (dict(comment_prob=-0.1), ValueError, "comment_prob"),
        (dict(comment_prob="high"), TypeError, "comment_prob"),
        (dict(reinforcement=-1.0), ValueError, "'reinforcement' parameter of WordOfMouth must be a finite float >= 0"),
        (dict(amplification=-0.5), ValueError, "'amplification' parameter"),
        (dict(amplification=float("nan")), ValueError, "'amplification' parameter"),
        (dict(reinforcement=float("inf")), ValueError, "'reinforcement' parameter"),
        (dict(off_target_factor=1.2, segment_attr="t"), ValueError, "'off_target_factor' parameter"),
        (dict(off_target_factor=0.5), ValueError, "needs a target segment"),
        (dict(segment_attr=3), TypeError, "'segment_attr' parameter"),
    ],
)
def test_wom_bad_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        vs.WordOfMouth(**kwargs)


def test_bad_segment_attr_names_the_attributes():
    g = path(4, 0.5).with_node_attr("interest", np.full(4, 0.5)).with_node_attr(
        "segment", np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match="'segment_attr'.*'nope'.*'interest', 'segment'"):
        vs.estimate_reach(g, [0], model=vs.WordOfMouth(segment_attr="nope"), n_sims=5)
    with pytest.raises(ValueError, match="node attributes are: none"):
        vs.estimate_reach(path(3, 0.5), [0], model=vs.LinearThreshold(segment_attr="x"), n_sims=5)
    with pytest.raises(TypeError, match="segment_attr.*dtype int64.*== 0"):
        vs.estimate_reach(g, [0], model=vs.IC(segment_attr="segment"), n_sims=5)
    g2 = g.with_node_attr("big", np.array([0.0, 2.0, 1.0, 0.5]))
    with pytest.raises(ValueError, match="weights in \\[0, 1\\]"):
        vs.estimate_reach(g2, [0], model=vs.WordOfMouth(segment_attr="big"), n_sims=5)


@pytest.mark.parametrize("model", [vs.IC(), vs.WordOfMouth(comment_prob=0.5), vs.LinearThreshold()],
                         ids=repr)
@pytest.mark.parametrize("h", [0, -1])
def test_horizon_must_be_positive(model, h):
    with pytest.raises(ValueError, match="'max_rounds' parameter of estimate_reach must be an int >= 1"):
        vs.estimate_reach(path(3, 0.5), [0], model=model, n_sims=5, max_rounds=h)


def test_wom_needs_probabilities():
    g = vs.FollowerGraph.from_edges([0], [1])
    with pytest.raises(ValueError, match="no edge probabilities"):
        vs.estimate_reach(g, [0], model=vs.WordOfMouth(), n_sims=5)


# ---------------------------------------------------------------- segments generator
def within_share(g, s):
    src = np.repeat(np.arange(g.n_nodes), np.diff(g.indptr))
    return float(np.mean(s[src] == s[g.indices]))


def test_assign_segments_homophily():
    # Given the regions (step 1, the same for every homophily with the same rng), a tie
    # is within a segment with probability h^2 s1 + (1 - h^2) / k, s1 being the share at
    # h = 1 (if either end is resampled, the labels agree with probability 1/k). The share
    # is a function of the n independent mixing draws, each changing at most deg(u) / m of
    # it: McDiarmid's inequality bounds the deviation by t = sqrt(ln(2/delta) sum c_u^2 / 2).
    g = vs.generators.watts_strogatz(2000, 6, 0.05, rng=1)
    k, m, delta = 4, g.n_edges, 1e-6
    deg = g.out_degree() + g.in_degree()
    t = math.sqrt(math.log(2 / delta) * np.sum((deg / m) ** 2) / 2)
    shares = {}
    for h in (0.0, 0.5, 1.0):
        s = vs.generators.assign_segments(g, k, h, rng=2).node_attrs["segment"]
        assert s.dtype == np.int64 and s.min() >= 0 and s.max() < k
        shares[h] = within_share(g, s)
        if h == 1.0:
            assert np.ptp(np.bincount(s, minlength=k)) <= 1  # round robin: balanced
    s1 = shares[1.0]
    for h in (0.0, 0.5):
        assert abs(shares[h] - (h * h * s1 + (1 - h * h) / k)) <= t, (h, shares, t)
    assert s1 - 1 / k > 2 * t  # contiguous regions are homophilous beyond the noise
    a = vs.generators.assign_segments(g, k, 0.5, rng=3).node_attrs["segment"]
    b = vs.generators.assign_segments(g, k, 0.5, rng=3).node_attrs["segment"]
    assert np.array_equal(a, b)


def test_assign_segments_disconnected_and_bad_input():
    g = vs.FollowerGraph.from_edges([0, 2], [1, 3], n_nodes=7)
    s = vs.generators.assign_segments(g, 3, 1.0, rng=0, attr="seg").node_attrs["seg"]
    assert sorted(set(s.tolist())) == [0, 1, 2]
    with pytest.raises(ValueError, match="'n_segments' parameter of assign_segments"):
        vs.generators.assign_segments(g, 0, 0.5)
    with pytest.raises(ValueError, match="'n_segments' parameter"):
        vs.generators.assign_segments(g, 8, 0.5)
    with pytest.raises(ValueError, match="'homophily' parameter of assign_segments"):
        vs.generators.assign_segments(g, 2, 1.5)
    with pytest.raises(TypeError, match="'graph' parameter"):
        vs.generators.assign_segments("g", 2, 0.5)


# ---------------------------------------------------------------- config files
@pytest.mark.parametrize("name, cls", [("ic", vs.IC), ("wom", vs.WordOfMouth),
                                       ("lt", vs.LinearThreshold)])
def test_model_configs_instantiate(name, cls):
    hydra_utils = pytest.importorskip("hydra.utils")
    from omegaconf import OmegaConf

    path_ = os.path.join(os.path.dirname(vs.__file__), "conf", "model", f"{name}.yaml")
    cfg = OmegaConf.load(path_)
    assert cfg._target_ == f"viralsim.{cls.__name__}"
    model = hydra_utils.instantiate(cfg)
    assert isinstance(model, cls) and model == cls()  # the defaults are the model's defaults
    if name == "wom":
        cfg.reinforcement = 0.5
        assert hydra_utils.instantiate(cfg).reinforcement == 0.5


# ---------------------------------------------------------------- exposure: shared viewers
def family_graphs():
    """One graph of every generator family, probabilities of every row kind."""
    gen = vs.generators
    yield "ba", gen.barabasi_albert(300, 3, rng=1).with_probabilities("weighted_cascade")
    yield "hk", gen.holme_kim(250, 3, 0.4, rng=2).with_probabilities(0.05)
    yield "ws", gen.watts_strogatz(200, 6, 0.2, rng=3).with_probabilities(
        "uniform_random", rng=4, low=0.0, high=0.5)
    yield "er", gen.erdos_renyi(150, 0.06, rng=5).with_probabilities("trivalency", rng=6)
    yield "sf", gen.scale_free(300, rng=7).with_probabilities(0.2)
    yield "sbm", gen.stochastic_block([60, 60, 40], 0.15, 0.01, rng=8).with_probabilities(0.3)
    # seeds that follow each other, a seed nobody follows, a seed with no followers
    yield "toy", vs.FollowerGraph.from_edges([0, 0, 1, 1, 2, 3, 3, 5, 6], [1, 2, 0, 3, 4, 4, 5, 6, 0],
                                              probs=0.7)


def run_both(monkeypatch, g, idx, n, **kw):
    """The kernel with the shared viewers (and, per ``kw``, the residual rows) and the
    reference path (every commenter's row scanned in every world), same worlds."""
    from viralsim._kernels import wom

    monkeypatch.setattr(wom, "SHARE_VIEWERS", True)
    a = M._run_wom(g, idx, 21, 7, n, **kw)
    monkeypatch.setattr(wom, "SHARE_VIEWERS", False)
    b = M._run_wom(g, idx, 21, 7, n, **kw)
    monkeypatch.setattr(wom, "SHARE_VIEWERS", True)
    return a, b


@pytest.mark.parametrize(
    "flush_at, coin_lists, c, gamma",
    [(f, None, c, g) for f in (None, 0) for c, g in ((1.0, 1.0), (0.6, 1.0), (0.0, 1.0), (0.8, 0.3))]
    + [(None, 0, 1.0, 1.0), (None, 0, 0.8, 0.3)])
def test_shared_viewers_give_the_reference_counts_world_by_world(monkeypatch, flush_at,
                                                                 coin_lists, c, gamma):
    """The residual lists and the viewer buffer (its own size, or one that is marked
    after nearly every commenter; coin rows with lists, or marked while their coins
    are tossed) give the reference path's numbers in every world, round by round;
    lists longer than one chunk included."""
    from viralsim._kernels import wom

    if flush_at is not None:
        monkeypatch.setattr(wom, "FLUSH_AT", flush_at)
    if coin_lists is not None:
        monkeypatch.setattr(wom, "COIN_LISTS_MAX", coin_lists)
    longest = []  # the longest residual list of each call
    real = wom.residual_lists

    def spy(*args):
        out = real(*args)
        longest.append(int(np.diff(out[0]).max(initial=0)))
        return out

    monkeypatch.setattr(wom, "residual_lists", spy)
    for name, g in family_graphs():
        target = np.random.default_rng(len(name)).random(g.n_nodes) < 0.4
        g = g.with_node_attr("t", target)
        seed_sets = [[0], [0, 1, 2], list(range(0, g.n_nodes, max(1, g.n_nodes // 12)))]
        if name == "toy":
            seed_sets += [[0, 1], [4], [3, 0, 6, 1]]
        for seeds in seed_sets:
            idx = g.index_of(seeds)
            for max_rounds in (None, 1, 2, 3):
                for n in (1, 40):
                    a, b = run_both(monkeypatch, g, idx, n, max_rounds=max_rounds, tl_len=12,
                                    exposure=True, comment_prob=c, segment_attr="t",
                                    off_target_factor=gamma, per_edge=False)
                    for k in b.metrics:
                        assert np.array_equal(a.metrics[k], b.metrics[k]), (name, seeds, k)
                    for k in b.timelines:
                        for x, y in zip(a.timelines[k], b.timelines[k]):
                            assert np.array_equal(x, y), (name, seeds, k)
                    assert a.edge_visits == b.edge_visits
    assert max(longest) > wom.VIEW_CHUNK  # some list is copied in several chunks


def test_shared_viewers_through_estimate_reach(monkeypatch):
    from viralsim._kernels import wom
    from viralsim._kernels.ic import skip_row_none_live

    g = vs.generators.barabasi_albert(2000, 4, rng=3).with_probabilities(0.03)
    seeds = np.argsort(-g.out_degree(), kind="stable")[:20]
    labels = g.labels[seeds].tolist()
    for model in (vs.IC(), vs.WordOfMouth(comment_prob=0.5)):
        for max_rounds in (None, 2):
            kw = dict(model=model, n_sims=500, rng=4, max_rounds=max_rounds, return_sizes=True)
            a = vs.estimate_reach(g, labels, **kw)
            monkeypatch.setattr(wom, "SHARE_VIEWERS", False)
            b = vs.estimate_reach(g, labels, **kw)
            monkeypatch.setattr(wom, "SHARE_VIEWERS", True)
            assert np.array_equal(a.sizes, b.sizes)
            assert a.metrics == b.metrics and a.exposure == b.exposure
            for k in b.timelines:
                for x, y in zip(a.timelines[k], b.timelines[k]):
                    assert np.array_equal(x, y)
    # the residual lists of this call hold no follower of a seed
    nl = g._derived("skip_row_none_live", skip_row_none_live)
    share, nodes, rptr, rlist = wom.shared_viewer_data(g.indptr, g.indices, nl,
                                                       seeds.astype(np.int32), 500)
    assert share and rptr.shape == (g.n_nodes + 1,) and rlist.size == rptr[-1] + wom.VIEW_CHUNK
    held = rlist[:rptr[-1]]
    assert held.size and not np.isin(held, nodes).any()
    assert not wom.shared_viewer_data(g.indptr, g.indices, nl, seeds.astype(np.int32), 1)[0]


def test_shared_viewers_and_residual_lists_by_hand():
    from viralsim._kernels import wom
    from viralsim._kernels.ic import skip_row_none_live

    src, dst = [0, 0, 1, 1, 2, 3, 3, 5, 6, 5, 5, 5], [1, 2, 0, 3, 4, 4, 5, 6, 0, 2, 1, 3]
    for p in (0.01, 0.5):  # skip rows, coin rows
        g = vs.FollowerGraph.from_edges(src, dst, probs=p)
        assert g.labels.tolist() == list(range(7))
        seeds = np.array([3, 1], dtype=np.int32)  # followers: 3 -> 4, 5; 1 -> 0, 3
        flag, nodes = wom.shared_viewers(g.indptr, g.indices, seeds)
        assert nodes.tolist() == [3, 1, 4, 5, 0]
        assert flag.tolist() == [1, 1, 0, 1, 1, 1, 0]
        rows = [g.indices[g.indptr[u]:g.indptr[u + 1]].tolist() for u in range(7)]
        assert rows[0] == [1, 2] and rows[5] == [1, 2, 3, 6]
        nl = skip_row_none_live(g.indptr, g.probs)
        for top in (3, 100):  # all the lists hold 3 followers: every row has its list
            rptr, rlist, every_row = wom.residual_lists(g.indptr, g.indices, flag, nl, top,
                                                        False)
            assert every_row
            assert rptr.tolist() == [0, 1, 1, 1, 1, 1, 3, 3]  # 0 -> 2; 5 -> 2, 6
            assert rlist.tolist() == [2, 2, 6] + [0] * wom.VIEW_CHUNK  # then the padding
        # fewer allowed: coin rows get none (they are marked in the pass that tosses
        # their coins); skip rows keep theirs
        rptr, rlist, every_row = wom.residual_lists(g.indptr, g.indices, flag, nl, 2, False)
        assert not every_row
        if p == 0.5:
            assert not rptr.any() and rlist.size == wom.VIEW_CHUNK
        else:
            assert rptr.tolist() == [0, 1, 1, 1, 1, 1, 3, 3]
    # fuse_mixed (the kernel has integer coin thresholds): a coin row of mixed
    # probabilities (5) has no list however many are allowed, one with a p = 0 edge keeps
    # its list (its coins are compared in float64), one-probability coin rows keep theirs
    from viralsim._kernels.ic import COIN_MIXED, COIN_MIXED_ZERO

    for p5, want in ((0.3, COIN_MIXED), (0.0, COIN_MIXED_ZERO)):
        probs = [0.5] * len(src)
        probs[7], probs[9] = 0.9, p5  # 5 -> 6, 5 -> 2
        g = vs.FollowerGraph.from_edges(src, dst, probs=probs)
        nl = skip_row_none_live(g.indptr, g.probs)
        assert nl[5] == want and nl[0] <= -2.0
        flag, _ = wom.shared_viewers(g.indptr, g.indices, np.array([3, 1], dtype=np.int32))
        for fuse in (False, True):
            rptr, rlist, every_row = wom.residual_lists(g.indptr, g.indices, flag, nl, 100,
                                                        fuse)
            assert every_row
            if fuse and want == COIN_MIXED:
                assert rptr.tolist() == [0, 1, 1, 1, 1, 1, 1, 1]
                assert rlist.tolist() == [2] + [0] * wom.VIEW_CHUNK
            else:  # row 5 in CSR order: 6 (p = 0.9) before 2 (p5)
                assert rptr.tolist() == [0, 1, 1, 1, 1, 1, 3, 3]
                assert rlist.tolist() == [2, 6, 2] + [0] * wom.VIEW_CHUNK
