"""IMM and OPIM-C on a MultiplexGraph: the coupled graph (viralsim.multiplex_ris).

The reference is the multiplex model enumerated directly, in plain Python
(:func:`naive_multiplex`): every comment coin of (consumer, platform) and
every edge coin of each platform, a round-by-round cascade in each world. It
shares no code with the coupled graph.
"""

import itertools
import math

import numpy as np
import pytest

import viralsim as vs
from viralsim._kernels import rr as _rr
from viralsim.multiplex_ris import CoupledRRCollection

Z = 4.5  # statistical tests: |estimate - exact| <= Z standard errors (fixed rng)
E1 = 1.0 - 1.0 / math.e


# ---------------------------------------------------------------- references
def naive_multiplex(layers, members, cprobs, seeds):
    """Exact expected (adopters, exposure) of the multiplex model from ``seeds``.

    ``layers[l]``: list of edges ``(u, v, p)`` of platform l; ``members[l]``: set of
    consumers on l; ``cprobs[l]``: its comment probability. An adopter comments on
    each platform it is on (a seed always; anyone else with probability c_l,
    one coin per (world, consumer, platform)); a comment shows it to every
    follower there and persuades each along its own edge coin.
    """
    seeds = set(seeds)
    out = {}
    for lay, edges in enumerate(layers):
        for i, (u, v, p) in enumerate(edges):
            out.setdefault((lay, u), []).append((i, v, p))
    # the coins that matter (a certain or impossible event is no coin)
    coins = [("c", lay, u) for (lay, u) in sorted(out) if u in members[lay]
             and 0.0 < cprobs[lay] < 1.0]
    coins += [("e", lay, i) for lay, edges in enumerate(layers)
              for i, (_, _, p) in enumerate(edges) if 0.0 < p < 1.0]

    def chance(c):
        return cprobs[c[1]] if c[0] == "c" else layers[c[1]][c[2]][2]

    reach = expo = 0.0
    for bits in itertools.product((False, True), repeat=len(coins)):
        live = dict(zip(coins, bits))
        w = 1.0
        for c, b in live.items():
            w *= chance(c) if b else 1.0 - chance(c)
        adopted, seen = set(seeds), set(seeds)
        frontier = list(seeds)
        while frontier:
            nxt = []
            for u in frontier:
                for lay in range(len(layers)):
                    if u not in members[lay] or (lay, u) not in out:
                        continue
                    c = cprobs[lay]
                    if u not in seeds and not (c >= 1.0 or (c > 0.0 and live[("c", lay, u)])):
                        continue
                    for i, v, p in out[(lay, u)]:
                        seen.add(v)
                        if (p >= 1.0 or (p > 0.0 and live[("e", lay, i)])) and v not in adopted:
                            adopted.add(v)
                            nxt.append(v)
            frontier = nxt
        reach += w * len(adopted)
        expo += w * len(seen)
    return reach, expo


def coupled_exact(cg, seed_sets, weights=None):
    """Exact expected (adopters, exposure) of each consumer seed set under IC on the
    coupled graph (every live-edge world enumerated, vectorised over worlds), each
    consumer counted with its weight (default 1)."""
    g = cg.graph
    src, dst, p = g.edges()
    p = p.astype(np.float64)
    coin = np.flatnonzero((p > 0) & (p < 1))
    n_w = 1 << coin.size
    assert g.n_nodes <= 62 and coin.size <= 18
    wid = np.arange(n_w, dtype=np.int64)
    live = np.zeros((n_w, src.size), dtype=bool)
    live[:, p >= 1.0] = True
    prob = np.ones(n_w)
    for j, e in enumerate(coin):
        b = ((wid >> j) & 1).astype(bool)
        live[:, e] = b
        prob *= np.where(b, p[e], 1.0 - p[e])
    reach = np.tile(np.int64(1) << np.arange(g.n_nodes, dtype=np.int64), (n_w, 1))
    while True:  # reach[w, x]: the nodes x reaches in world w
        old = reach.copy()
        for e in range(src.size):
            reach[:, src[e]] |= np.where(live[:, e], reach[:, dst[e]], 0)
        if np.array_equal(old, reach):
            break
    cons = np.flatnonzero(cg.is_consumer)
    w = np.ones(cons.size) if weights is None else np.asarray(weights, dtype=np.float64)
    out = []
    for s in seed_sets:
        m = np.zeros(n_w, dtype=np.int64)
        for x in cg.seeds_of(s):
            m |= reach[:, x]
        seen = m.copy()
        for e in range(src.size):  # a reached node shows it to its followers
            seen |= np.where((m >> src[e]) & 1 == 1, np.int64(1) << dst[e], 0)
        r = sum(w[v] * ((m >> v) & 1) for v in cons)
        x = sum(w[v] * ((seen >> v) & 1) for v in cons)
        out.append((float(prob @ r), float(prob @ x)))
    return out


# ---------------------------------------------------------------- instances
def _instance(n, m_per_layer, seed, cprobs, probs=(0.25, 0.75, 1.0), member_share=0.7,
              max_coins=11):
    """A random multiplex graph: ``(mg, layers, members, cprobs)`` (edge lists for
    :func:`naive_multiplex`), drawn again until it has at most ``max_coins`` coins."""
    r = np.random.default_rng(seed)
    while True:
        layers, graphs, members = [], {}, []
        for lay in range(len(cprobs)):
            pairs = {(int(a), int(b)) for a, b in r.integers(0, n, (m_per_layer, 2)) if a != b}
            edges = [(u, v, float(r.choice(probs))) for u, v in sorted(pairs)]
            mem = r.random(n) < member_share
            mem[r.integers(0, n)] = True
            layers.append(edges)
            members.append(set(np.flatnonzero(mem).tolist()))
            graphs[f"p{lay}"] = (vs.FollowerGraph.from_edges(
                [e[0] for e in edges], [e[1] for e in edges], probs=[e[2] for e in edges],
                n_nodes=n), mem)
        coins = sum(1 for edges in layers for e in edges if 0 < e[2] < 1)
        coins += sum(1 for lay, edges in enumerate(layers) for u in {e[0] for e in edges}
                     if u in members[lay] and 0 < cprobs[lay] < 1)
        if coins <= max_coins:
            break
    mg = vs.MultiplexGraph({k: v[0] for k, v in graphs.items()},
                           comment_probs={f"p{i}": c for i, c in enumerate(cprobs)},
                           members={k: v[1] for k, v in graphs.items()})
    return mg, layers, members, list(cprobs)


# (n, edges per layer, rng seed, comment probabilities); probabilities are dyadic,
# exact in the graphs' float32, so the two enumerations agree to rounding
TINY = [
    (5, 5, 0, (0.5, 0.75)),
    (5, 4, 1, (1.0, 0.375)),
    (4, 4, 2, (0.0, 0.625)),
    (5, 4, 3, (1.0, 1.0)),
    (5, 3, 4, (0.25, 0.5, 0.875)),
]


@pytest.mark.parametrize("n, m, seed, cps", TINY)
def test_coupled_graph_is_the_multiplex_model_exactly(n, m, seed, cps):
    mg, layers, members, cprobs = _instance(n, m, seed, cps)
    cg = mg.coupled()
    assert cg.n_consumers == n and cg.is_consumer.sum() == n
    assert np.array_equal(cg.owner[:n], np.arange(n))
    seed_sets = [[0], [1, 3], [2], list(range(n))]
    got = coupled_exact(cg, seed_sets)
    for s, (r, x) in zip(seed_sets, got):
        want = naive_multiplex(layers, members, cprobs, s)
        assert r == pytest.approx(want[0], abs=1e-9), s
        assert x == pytest.approx(want[1], abs=1e-9), s


@pytest.mark.parametrize("n, m, seed, cps", TINY[:3])
def test_exact_spread_is_inside_estimate_campaigns_interval(n, m, seed, cps):
    mg, layers, members, cprobs = _instance(n, m, seed, cps)
    for s in ([0], [1, 3]):
        r, x = naive_multiplex(layers, members, cprobs, s)
        est = vs.estimate_campaign(mg, [vs.SeedList(s)], n_sims=20_000, rng=seed)
        assert abs(est.reach.mean - r) <= Z * est.reach.stderr + 1e-12
        assert abs(est.exposure.mean - x) <= Z * est.exposure.stderr + 1e-12


@pytest.mark.parametrize("goal", ["adopters", "exposure"])
@pytest.mark.parametrize("n, m, seed, cps", [TINY[0], TINY[2], TINY[4]])
def test_rr_sets_estimate_the_exact_spread(n, m, seed, cps, goal):
    mg, layers, members, cprobs = _instance(n, m, seed, cps)
    mode = _rr.MODE_IC | (_rr.MODE_EXPOSURE if goal == "exposure" else 0)
    theta = 20_000
    coll = CoupledRRCollection(mg.coupled(), 7 + seed, mode=mode).extend_to(theta)
    for s in ([0], [1, 3]):
        exact = naive_multiplex(layers, members, cprobs, s)[goal == "exposure"]
        frac = exact / n
        se = n * math.sqrt(max(frac * (1 - frac), 1e-12) / theta)
        assert abs(coll.estimate(s) - exact) <= Z * se + 1e-12
    # members are consumers, each once, root first
    for st in coll.sets()[:200]:
        assert st.max() < n and len(set(st.tolist())) == st.size


def test_weighted_roots_estimate_the_segment_reach():
    mg, *_ = _instance(5, 5, 0, (0.5, 0.75))
    cg = mg.coupled()
    w = np.array([1.0, 0.0, 2.0, 1.0, 0.0])
    theta = 20_000
    coll = CoupledRRCollection(cg, 3, weights=w).extend_to(theta)
    assert coll.scale == 4.0
    roots = np.array([st[0] for st in coll.sets()])
    assert set(roots.tolist()) <= {0, 2, 3}  # never a weight-0 consumer nor a comment node
    for s in ([0], [1, 3]):
        exact = coupled_exact(cg, [s], weights=w)[0][0]
        frac = exact / 4.0
        se = 4.0 * math.sqrt(max(frac * (1 - frac), 1e-12) / theta)
        assert abs(coll.estimate(s) - exact) <= Z * se + 1e-12


def test_rr_collection_does_not_depend_on_how_it_grew():
    mg, *_ = _instance(5, 5, 0, (0.5, 0.75))
    cg = mg.coupled()
    a = CoupledRRCollection(cg, 11).extend_to(50).extend_to(300)
    b = CoupledRRCollection(cg, 11).extend_to(300)
    assert all(np.array_equal(x, y) for x, y in zip(a.sets(), b.sets()))
    assert a.arrays()[0].tolist() == b.arrays()[0].tolist()


# ---------------------------------------------------------------- IMM / OPIM-C
def _two_platforms():
    """10 consumers on 2 platforms (comment probabilities 0.5 and 0.75), 12 coins."""
    n = 10
    ig = [(0, 1, 1.0), (1, 2, 1.0), (2, 3, 0.5), (0, 4, 0.5)]
    tt = [(3, 5, 1.0), (5, 6, 1.0), (6, 7, 0.5), (7, 8, 1.0), (8, 9, 0.5), (1, 9, 1.0)]
    layers = {"ig": ig, "tt": tt}
    gs = {k: vs.FollowerGraph.from_edges([e[0] for e in v], [e[1] for e in v],
                                         probs=[e[2] for e in v], n_nodes=n)
          for k, v in layers.items()}
    mem_tt = np.ones(n, dtype=bool)
    mem_tt[[0, 1, 2]] = False
    return vs.MultiplexGraph(gs, comment_probs={"ig": 0.5, "tt": 0.75},
                             members={"tt": mem_tt})


@pytest.mark.parametrize("strategy", ["imm", "opim_c"])
@pytest.mark.parametrize("goal", ["adopters", "exposure"])
def test_seeds_within_the_guarantee_of_brute_force(strategy, goal):
    mg = _two_platforms()
    cg = mg.coupled()
    k, eps = 2, 0.1
    pairs = list(itertools.combinations(range(mg.n_nodes), k))
    vals = coupled_exact(cg, pairs)
    i = int(goal == "exposure")
    opt = max(v[i] for v in vals)
    assert min(v[i] for v in vals) < (E1 - eps) * opt  # a bad pair fails the test
    sel = vs.select_seeds(mg, k=k, strategy=strategy, rng=0, eps=eps, goal=goal)
    got = dict(zip(pairs, vals))[tuple(sorted(sel.indices.tolist()))][i]
    assert got >= (E1 - eps) * opt
    assert sel.seeds == sel.indices.tolist()  # labels 0..n-1
    # the selection's own estimate is about the seeds' exact spread
    assert sel.spread == pytest.approx(got, rel=0.1)


def test_budgeted_imm_on_a_multiplex_graph_fits_the_budget():
    mg = _two_platforms()
    costs = np.array([3.0, 1.0, 1.0, 2.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0])
    sel = vs.strategies.imm(mg, budget=3.0, costs=costs, rng=0)
    assert 0 < sel.cost <= 3.0 and sel.budget == 3.0


@pytest.mark.parametrize("strategy", ["imm", "opim_c"])
@pytest.mark.parametrize("cp, goal, weight", [(None, "adopters", None), (0.5, "adopters", None),
                                              (None, "exposure", "seg"),
                                              (0.3, "exposure", None)])
def test_one_platform_gives_the_single_graphs_seeds_bit_for_bit(strategy, cp, goal, weight):
    g = vs.generators.erdos_renyi(150, 0.03, rng=1).with_probabilities("weighted_cascade")
    g = g.with_node_attr("seg", np.arange(150) % 3 == 0)
    mg = vs.MultiplexGraph({"ig": g}, comment_probs=None if cp is None else {"ig": cp})
    model = None if cp is None else vs.WordOfMouth(comment_prob=cp)
    params = dict(k=4, rng=5, goal=goal, weight_attr=weight, min_rr_sets=2000)
    a = vs.select_seeds(g, strategy=strategy, model=model, **params)
    b = vs.select_seeds(mg, strategy=strategy, **params)
    assert a.seeds == b.seeds
    assert np.array_equal(a.gains, b.gains) and a.spread == b.spread


def test_a_platform_with_comment_probability_0_carries_only_the_seeds_posts():
    """Seeds always comment (as in estimate_campaign), nobody else does there: the
    platform is worth exactly its edges out of the seeds, posted for sure."""
    mg = _two_platforms()
    ig, tt = mg.layers["ig"], mg.layers["tt"]
    zero = vs.MultiplexGraph({"ig": ig, "tt": tt}, comment_probs={"ig": 0.5, "tt": 0.0},
                             members=mg.members)
    cg = zero.coupled()
    tt_nodes = np.flatnonzero(cg.platform == 1)
    assert np.isin(tt_nodes, cg.graph.indices).sum() == 0  # nothing reaches them
    s = [1, 3]
    src, dst, p = tt.edges()
    keep = np.isin(src, s)
    only_seeds = vs.MultiplexGraph(
        {"ig": ig, "tt": vs.FollowerGraph.from_edges(src[keep], dst[keep], probs=p[keep],
                                                     n_nodes=10)},
        comment_probs={"ig": 0.5, "tt": 1.0}, members=mg.members)
    (r0, x0), = coupled_exact(cg, [s])
    (r1, x1), = coupled_exact(only_seeds.coupled(), [s])
    assert r0 == pytest.approx(r1) and x0 == pytest.approx(x1)
    # and a seed not on it: the platform adds nothing
    no_tt = vs.MultiplexGraph({"ig": ig}, comment_probs={"ig": 0.5})
    assert coupled_exact(cg, [[0]])[0] == pytest.approx(coupled_exact(no_tt.coupled(),
                                                                      [[0]])[0])


def test_sure_comment_platforms_merge_parallel_edges():
    a = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=[0.5, 0.2], n_nodes=3)
    b = vs.FollowerGraph.from_edges([0], [1], probs=[0.4], n_nodes=3)
    cg = vs.MultiplexGraph({"a": a, "b": b}).coupled()
    assert cg.graph.n_nodes == 3
    src, dst, p = cg.graph.edges()
    assert dict(zip(zip(src.tolist(), dst.tolist()), p.tolist())) == pytest.approx(
        {(0, 1): 1 - 0.5 * 0.6, (1, 2): 0.2})


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("model", [vs.LinearThreshold(), vs.WordOfMouth(reinforcement=0.5)])
def test_a_non_ic_model_is_one_line_naming_the_fix(model):
    mg = _two_platforms()
    with pytest.raises(vs.ModelNotSupported) as ei:
        vs.select_seeds(mg, k=2, strategy="imm", model=model, rng=0)
    msg = str(ei.value)
    assert "\n" not in msg and "MultiplexGraph" in msg and "model=vs.IC()" in msg
    with pytest.raises(vs.ModelNotSupported):
        mg.coupled(model)


def test_off_target_thinning_and_other_backends_are_refused():
    mg = _two_platforms()
    seg = mg.base.with_node_attr("s", np.ones(10, dtype=bool))
    mg2 = vs.MultiplexGraph({"ig": seg, "tt": mg.layers["tt"]})
    with pytest.raises(vs.ModelNotSupported, match="model=vs.IC"):
        vs.strategies.opim_c(mg2, k=2, rng=0, model=vs.WordOfMouth(
            segment_attr="s", off_target_factor=0.5))

    class Remote:  # a backend other than serial
        name = "ray"

        def simulate(self, *a, **k):
            raise AssertionError

    with pytest.raises(ValueError, match="backend=None") as ei:
        vs.strategies.IMM(backend=Remote()).select(mg, k=2, rng=0)
    assert "\n" not in str(ei.value)
    with pytest.raises(ValueError, match="exactly one of"):
        vs.strategies.imm(mg, rng=0)


def test_seeds_of_takes_consumer_indices():
    cg = _two_platforms().coupled()
    with pytest.raises(ValueError, match="consumer indices must be in") as ei:
        cg.seeds_of([10])
    assert "\n" not in str(ei.value)


def test_the_selection_says_how_it_sampled():
    mg = _two_platforms()
    sel = vs.strategies.opim_c(mg, k=2, rng=0)
    assert sel.info["coupled_nodes"] == mg.coupled().graph.n_nodes
    assert any("coupled graph" in n for n in sel.notes)
    assert vs.strategies.imm(mg, k=0, rng=0).seeds == []
