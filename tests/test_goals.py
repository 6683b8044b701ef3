"""Goal-aware optimisers: exposure and segment reach, against exact enumeration.

The exact oracles enumerate every live-edge world (and, under word of mouth,
every comment coin) of graphs with at most 12 edges, from the models'
definitions: an adopter comments (seeds always, others with probability c);
a follower of a commenter sees the campaign; exposure counts adopters and
everyone who saw it.
"""

import itertools
import math

import numpy as np
import pytest

import viralsim as vs
from viralsim._kernels import rr as _rr
from viralsim.strategies.ris import RRCollection


def _worlds(g, c=1.0):
    """Every world as ``(weight, live edges (u, v), commenters mask or None)``."""
    src = np.repeat(np.arange(g.n_nodes), np.diff(g.indptr)).tolist()
    dst = g.indices.tolist()
    p = g.probs.astype(np.float64).tolist()
    m, n = len(dst), g.n_nodes
    assert m <= 12
    coin_sets = [None] if c == 1.0 else list(itertools.product((0, 1), repeat=n))
    for mask in itertools.product((0, 1), repeat=m):
        w = math.prod(p[i] if b else 1.0 - p[i] for i, b in enumerate(mask))
        if w == 0.0:
            continue
        live = [(src[i], dst[i]) for i, b in enumerate(mask) if b]
        for coins in coin_sets:
            wc = w if coins is None else w * math.prod(c if b else 1.0 - c for b in coins)
            if wc > 0.0:
                yield wc, live, coins


def _outcome(g, live, coins, seeds):
    """``(adopters, exposed)`` in one world."""
    adj = [[] for _ in range(g.n_nodes)]
    for u, v in live:
        adj[u].append(v)
    adopted, stack = set(seeds), list(seeds)
    speaks = lambda u: u in seeds or coins is None or coins[u]  # noqa: E731
    while stack:
        u = stack.pop()
        if not speaks(u):
            continue
        for v in adj[u]:
            if v not in adopted:
                adopted.add(v)
                stack.append(v)
    exposed = set(adopted)
    for u in adopted:
        if speaks(u):
            exposed.update(g.indices[g.indptr[u]: g.indptr[u + 1]].tolist())
    return adopted, exposed


def exact(g, seeds, *, c=1.0, weights=None, worlds=None):
    """Exact expected ``(reach, exposure)``, weighted by ``weights`` when given."""
    w = np.ones(g.n_nodes) if weights is None else np.asarray(weights, dtype=float)
    reach = expo = 0.0
    for pw, live, coins in (worlds if worlds is not None else _worlds(g, c)):
        a, e = _outcome(g, live, coins, list(seeds))
        reach += pw * w[list(a)].sum()
        expo += pw * w[list(e)].sum()
    return reach, expo


def _tiny(seed, n=7, m=11):
    rng = np.random.default_rng(seed)
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    pick = rng.choice(len(pairs), size=m, replace=False)
    src = [pairs[i][0] for i in pick]
    dst = [pairs[i][1] for i in pick]
    return vs.FollowerGraph.from_edges(src, dst, probs=rng.uniform(0.1, 0.9, size=m),
                                       n_nodes=n)


def _binomial_tol(value, scale, n_sets):
    """4.5 standard errors of ``scale * Binomial(n_sets, value/scale) / n_sets``."""
    q = min(max(value / scale, 0.0), 1.0)
    return 4.5 * scale * math.sqrt(q * (1 - q) / n_sets) + 1e-9


@pytest.mark.parametrize("gi", range(3))
def test_exposure_rr_estimate_is_exact_exposure(gi):
    g = _tiny(gi)
    worlds = list(_worlds(g))
    coll = RRCollection(g, key=11 + gi, mode=_rr.MODE_IC | _rr.MODE_EXPOSURE).extend_to(40_000)
    plain = RRCollection(g, key=11 + gi).extend_to(40_000)
    for seeds in ([0], [1, 4], [2, 5, 6]):
        reach, expo = exact(g, seeds, worlds=worlds)
        est = coll.estimate(seeds)
        assert abs(est - expo) <= _binomial_tol(expo, g.n_nodes, coll.n_sets), (seeds, est, expo)
        # ordinary sets estimate reach, not exposure (what the flag changes)
        assert abs(plain.estimate(seeds) - reach) <= _binomial_tol(reach, g.n_nodes, 40_000)


def test_exposure_rr_under_word_of_mouth_comments():
    g = _tiny(7, n=6, m=8)
    c = 0.5
    model = vs.WordOfMouth(comment_prob=c)
    worlds = list(_worlds(g, c))
    coll = RRCollection(g, key=3, mode=_rr.MODE_IC_COMMENT | _rr.MODE_EXPOSURE,
                        comment_prob=c).extend_to(40_000)
    for seeds in ([0], [1, 3]):
        reach, expo = exact(g, seeds, c=c, worlds=worlds)
        assert abs(coll.estimate(seeds) - expo) <= _binomial_tol(expo, g.n_nodes, 40_000)
        # the oracle is the simulator's definition of exposure
        sim = vs.estimate_reach(g, seeds, model=model, n_sims=20_000, rng=1)
        assert abs(sim.exposure.mean - expo) <= 4.5 * sim.exposure.stderr + 1e-9


def test_exposure_rr_under_linear_threshold():
    g = _tiny(8, n=6, m=9)
    model = vs.LinearThreshold()
    wg = g.with_probabilities(model.edge_weights(g))
    coll = RRCollection(wg, key=5, mode=_rr.MODE_LT | _rr.MODE_EXPOSURE).extend_to(40_000)
    for seeds in ([0], [2, 4]):
        sim = vs.estimate_reach(g, seeds, model=model, n_sims=40_000, rng=2)
        e = sim.exposure
        tol = _binomial_tol(e.mean, g.n_nodes, 40_000) + 4.5 * e.stderr
        assert abs(coll.estimate(seeds) - e.mean) <= tol


def test_segment_rooted_rr_estimate_is_exact_segment_reach():
    g = _tiny(4)
    seg = np.array([1, 0, 1, 1, 0, 0, 1], dtype=float)
    worlds = list(_worlds(g))
    coll = RRCollection(g, key=21, weights=seg).extend_to(40_000)
    assert coll.scale == seg.sum()
    for seeds in ([1], [0, 5]):
        reach, _ = exact(g, seeds, weights=seg, worlds=worlds)
        assert abs(coll.estimate(seeds) - reach) <= _binomial_tol(reach, seg.sum(), 40_000)


def _opt(g, k, objective):
    best = max(objective(list(s)) for s in itertools.combinations(range(g.n_nodes), k))
    return best


@pytest.mark.parametrize("gi", range(2))
def test_imm_goals_within_guarantee_of_brute_force(gi):
    g = _tiny(20 + gi)
    seg = (np.arange(g.n_nodes) % 3 == 0)
    gs = g.with_node_attr("seg", seg)
    worlds = list(_worlds(g))
    eps = 0.1
    bound = 1 - 1 / math.e - eps
    k = 2
    ex = lambda s: exact(g, s, worlds=worlds)[1]  # noqa: E731
    sel = vs.select_seeds(g, k=k, strategy="imm", goal="exposure", eps=eps, rng=gi)
    assert ex(sel.indices.tolist()) >= bound * _opt(g, k, ex) - 1e-9
    sr = lambda s: exact(g, s, weights=seg, worlds=worlds)[0]  # noqa: E731
    sel = vs.select_seeds(gs, k=k, strategy="imm", weight_attr="seg", eps=eps, rng=gi)
    assert sr(sel.indices.tolist()) >= bound * _opt(g, k, sr) - 1e-9
    sel = vs.select_seeds(g, k=k, strategy="opim_c", goal="exposure", eps=eps, rng=gi)
    assert ex(sel.indices.tolist()) >= bound * _opt(g, k, ex) - 1e-9


def _reach_vs_exposure_graph():
    """Node 0: six followers, each persuaded with 0.05 (sees 7, sells 1.3);
    node 7: a sure chain 7 -> 8 -> 9 (sees 3, sells 3)."""
    src = [0] * 6 + [7, 8]
    dst = [1, 2, 3, 4, 5, 6, 8, 9]
    return vs.FollowerGraph.from_edges(src, dst, probs=[0.05] * 6 + [1.0, 1.0], n_nodes=10)


@pytest.mark.parametrize("strategy", ["imm", "opim_c", "celf"])
def test_the_goal_changes_the_pick(strategy):
    g = _reach_vs_exposure_graph()
    kw = {"n_worlds": 300} if strategy == "celf" else {}
    adopters = vs.select_seeds(g, k=1, strategy=strategy, rng=0, **kw)
    exposure = vs.select_seeds(g, k=1, strategy=strategy, goal="exposure", rng=0, **kw)
    assert adopters.seeds == [7] and exposure.seeds == [0]
    assert any("exposure" in n for n in exposure.notes)
    _, want = exact(g, [0])
    assert abs(exposure.spread - want) < 0.5


def test_celf_exposure_under_a_budget_is_brute_force_best_on_its_worlds():
    g = _tiny(30, n=6, m=9)
    costs = np.array([1.0, 2.0, 1.0, 3.0, 1.0, 2.0])
    sel = vs.select_seeds(g, budget=3.0, costs=costs, strategy="celf", goal="exposure",
                          n_worlds=200, rng=5)
    est = vs.estimate_reach(g, sel.seeds, n_sims=200, rng=5)
    assert sel.spread == pytest.approx(est.exposure.mean)
    assert costs[sel.indices].sum() <= 3.0


def test_bad_goal_is_one_line():
    g = _reach_vs_exposure_graph()
    for s in ("imm", "celf", "opim_c"):
        with pytest.raises(ValueError, match="'adopters' .* or 'exposure'"):
            vs.select_seeds(g, k=1, strategy=s, goal="buyers", rng=0)
