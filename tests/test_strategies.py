"""Strategies: one contract battery over the registry, CELF against plain greedy, heuristics by hand."""

import math

import numpy as np
import pytest

import viralsim as vs
from viralsim._validation import seed_from_rng
from viralsim.models import IC, DiffusionModel
from viralsim.strategies import available_strategies, get_strategy
from viralsim.strategies.celf import lazy_greedy

from .naive import exact_ic_reach
from .naive_strategies import naive_greedy_exact, naive_greedy_worlds

FAST = {"celf": {"n_worlds": 50}, "imm": {"min_rr_sets": 2000}, "opim_c": {"min_rr_sets": 2000}}


def small_graph(seed=0, n=40, p=0.12):
    g = vs.generators.erdos_renyi(n, p, rng=seed, probabilities="weighted_cascade")
    return g


def tiny_graph(seed, n=6, m=9):
    """Random directed graph with dyadic probabilities (exact float arithmetic)."""
    gen = np.random.default_rng(seed)
    pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
    pick = gen.choice(len(pairs), size=m, replace=False)
    src = [pairs[i][0] for i in pick]
    dst = [pairs[i][1] for i in pick]
    probs = gen.choice([0.25, 0.5, 0.75, 1.0], size=m)
    return vs.FollowerGraph.from_edges(src, dst, probs=probs, n_nodes=n)


def make(name, **extra):
    return get_strategy(name, **{**FAST.get(name, {}), **extra})


# ---------------------------------------------------------------------------- contract battery
@pytest.mark.parametrize("name", available_strategies())
def test_contract(name):
    g = small_graph()
    before = (g.indptr.copy(), g.indices.copy(), g.probs.copy(), g.labels.copy())
    strat = make(name)
    sel = strat.select(g, k=5, rng=3)
    assert isinstance(sel, vs.SeedSelection)
    assert len(sel.seeds) == 5 and len(set(sel.seeds)) == 5
    assert set(sel.seeds) <= set(g.labels.tolist())
    assert sel.indices.dtype == np.int32
    assert g.labels[sel.indices].tolist() == sel.seeds
    assert sel.strategy == name and sel.k == 5 and sel.budget is None
    assert sel.cost == 5.0 and sel.elapsed >= 0.0
    # same rng -> same seeds; the graph is not modified
    assert strat.select(g, k=5, rng=3).seeds == sel.seeds
    assert all(np.array_equal(a, b) for a, b in zip(before, (g.indptr, g.indices, g.probs, g.labels)))
    # k = 0 is an empty selection; k > n raises
    empty = strat.select(g, k=0, rng=3)
    assert empty.seeds == [] and empty.cost == 0.0
    with pytest.raises(ValueError, match="at most the number of nodes"):
        strat.select(g, k=g.n_nodes + 1)
    with pytest.raises(ValueError, match="exactly one of 'k'"):
        strat.select(g)
    with pytest.raises(ValueError, match="exactly one of 'k'"):
        strat.select(g, k=2, budget=3.0)
    # function twin and registry give the same seeds
    twin = getattr(vs.strategies, name)
    assert twin(g, 5, rng=3, **FAST.get(name, {})).seeds == sel.seeds
    assert vs.select_seeds(g, k=5, strategy=name, rng=3, **FAST.get(name, {})).seeds == sel.seeds


@pytest.mark.parametrize("name", available_strategies())
def test_contract_budget(name):
    g = small_graph(1)
    rule = vs.strategies.cost_rule(1.0, 0.5, 1.0)
    costs = rule(g)
    strat = make(name)
    if not strat.supports_budget:
        with pytest.raises(ValueError, match="does not take a budget"):
            strat.select(g, budget=10.0, costs=rule)
        return
    sel = strat.select(g, budget=12.0, costs=rule, rng=0)
    assert sel.budget == 12.0 and sel.k is None
    assert len(sel.seeds) >= 1 and len(set(sel.seeds)) == len(sel.seeds)
    assert sel.cost == pytest.approx(costs[sel.indices].sum()) and sel.cost <= 12.0 + 1e-9
    # nothing else still fits (every strategy spends while something fits)
    left = 12.0 - sel.cost
    rest = np.setdiff1d(np.arange(g.n_nodes), sel.indices)
    if name != "celf":  # CELF stops when the better run stopped; the other may fit more
        assert (costs[rest] > left + 1e-9).all()
    with pytest.raises(ValueError, match="cheapest seed"):
        strat.select(g, budget=float(costs.min()) * 0.99, costs=rule)
    # string labels come back as labels
    gs = vs.FollowerGraph.from_edges(
        [f"u{i}" for i in g.edges()[0].tolist()], [f"u{i}" for i in g.edges()[1].tolist()],
        probs=g.probs,
    )
    sel = strat.select(gs, k=3, rng=0)
    assert all(isinstance(x, str) for x in sel.seeds)


@pytest.mark.parametrize("name", [n for n in available_strategies() if make(n).supports_budget])
def test_budget_equal_to_a_sets_cost_buys_it(name):
    # every node costs 1.1 but one, which costs 0.6: 1.7 - 1.1 < 0.6 and 1.1 + 0.6 > 1.7
    # in floats, yet a budget of 1.7 buys two seeds (the strategies allow budget_slack)
    g = small_graph(2)
    costs = np.full(g.n_nodes, 1.1)
    costs[7] = 0.6
    sel = make(name).select(g, budget=1.7, costs=costs, rng=0)
    assert len(sel.seeds) == 2 and 7 in sel.indices
    assert sel.cost == 1.1 + 0.6 <= 1.7 + vs.strategies._base.budget_slack(1.7)


def test_cost_errors():
    g = small_graph()
    bad = np.ones(g.n_nodes)
    bad[3] = -1.0
    with pytest.raises(ValueError, match="must be finite and > 0"):
        vs.strategies.degree(g, budget=5.0, costs=bad)
    with pytest.raises(KeyError, match="does not have"):
        vs.strategies.degree(g, budget=5.0, costs="price")
    with pytest.raises(ValueError, match="one number per node"):
        vs.strategies.degree(g, budget=5.0, costs=[1.0, 2.0])
    with pytest.raises(ValueError, match="fixed fee"):
        vs.strategies.cost_rule(0.0, 1.0, 1.0)
    g2 = g.with_node_attr("cost", np.full(g.n_nodes, 2.0))
    sel = vs.strategies.degree(g2, budget=7.0)  # the "cost" attribute is the default
    assert sel.cost == 6.0 and len(sel) == 3
    with pytest.raises(ValueError, match="Unknown strategy"):
        vs.select_seeds(g, k=2, strategy="nope")
    # the node is named by its label, integer or string, as the user gave it
    with pytest.raises(ValueError, match=r"cost 1 \(node 0\)"):
        vs.strategies.degree(g, budget=0.5, costs=np.ones(g.n_nodes))
    gs = vs.FollowerGraph.from_edges(["a", "b"], ["b", "c"])
    with pytest.raises(ValueError, match=r"cost 1 \(node 'a'\)"):
        vs.strategies.degree(gs, budget=0.5, costs=np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="'b'"):
        vs.strategies.degree(gs, budget=5.0, costs=np.array([1.0, -2.0, 3.0]))
    with pytest.raises(TypeError, match="no parameter"):
        vs.select_seeds(g, k=2, strategy="imm", epsilon=0.1)
    with pytest.raises(TypeError, match="FollowerGraph"):
        vs.strategies.degree(g.to_networkx(), k=2)


# ---------------------------------------------------------------------------- heuristics by hand
def mutual(pairs, p=None):
    src = [u for u, v in pairs] + [v for u, v in pairs]
    dst = [v for u, v in pairs] + [u for u, v in pairs]
    return vs.FollowerGraph.from_edges(src, dst, probs=p)


def test_degree_discount_hand_example():
    # degrees 0:3 1:2 2:2 3:3 4:2 5:2; p = 0.1 (worked in the comments)
    g = mutual([(0, 1), (0, 2), (0, 3), (1, 2), (3, 4), (3, 5), (4, 5)], p=0.1)
    sel = vs.strategies.degree_discount(g, k=3)
    # pick 0 (3, tie with 3 to the smaller index); then dd(3) = 3 - 2*1 - (3-1)*1*0.1 = 0.8,
    # dd(4) = dd(5) = 2 -> pick 4; then dd(3) = 3 - 4 - 1*2*0.1 = -1.2, dd(5) = 2 - 2 - 1*1*0.1,
    # dd(1) = dd(2) = 2 - 2 - 1*1*0.1 = -0.1 -> pick 1 (smaller index)
    assert sel.seeds == [0, 4, 1]
    np.testing.assert_allclose(sel.scores, [3.0, 2.0, -0.1])
    # an explicit p overrides the graph's; p = 0 is single discount doubled (d - 2t)
    assert vs.strategies.degree_discount(g, k=3, p=0.0).seeds == [0, 4, 1]


def test_degree_discount_general_probs_use_the_mean():
    # non-uniform: the paper's formula with the mean probability (0.5625 here)
    g = vs.FollowerGraph.from_edges([0, 0, 1, 2], [1, 2, 2, 3], probs=[0.5, 0.25, 0.5, 1.0])
    sel = vs.strategies.degree_discount(g, k=2)
    # initial dd = out-degree: 0: 2, 1: 1, 2: 1, 3: 0 -> pick 0; then 1 and 2 follow 0 (a = 1):
    # dd(1) = 1 - 1 - 0 - 1*1*p < 0, dd(2) likewise, dd(3) = 0 -> pick 3 (score 0)
    assert sel.seeds == [0, 3]
    np.testing.assert_allclose(sel.scores, [2.0, 0.0])
    assert "mean edge probability" in " ".join(sel.notes)
    same = vs.strategies.degree_discount(g, k=2, p=0.5625)
    assert same.seeds == sel.seeds


def test_single_discount_and_degree():
    g = mutual([(0, 1), (0, 2), (0, 3), (1, 2), (3, 4), (3, 5), (4, 5)])
    # 0 and 3 have 3 followers; after 0: 3 has 2 left (0 is a seed), 4 and 5 have 2 -> 3 wins by index
    assert vs.strategies.single_discount(g, k=3).seeds == [0, 3, 1]
    assert vs.strategies.degree(g, k=3).seeds == [0, 3, 1]


def test_pagerank_matches_networkx():
    import networkx as nx

    g = small_graph(2)
    ours = vs.strategies.PageRankSeeds().scores(g)
    G = nx.DiGraph()
    G.add_nodes_from(range(g.n_nodes))
    src, dst, p = g.edges()
    G.add_weighted_edges_from((int(v), int(u), float(w)) for u, v, w in zip(src, dst, p))
    ref = nx.pagerank(G, alpha=0.85, weight="weight", tol=1e-12)
    np.testing.assert_allclose(ours, [ref[i] for i in range(g.n_nodes)], atol=1e-8)


# ---------------------------------------------------------------------------- CELF
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("lookahead", [False, True])
def test_celf_equals_naive_greedy_on_fixed_worlds(seed, lookahead):
    g = tiny_graph(seed, n=8, m=14)
    sel = vs.strategies.celf(g, k=4, n_worlds=25, rng=seed, lookahead=lookahead)
    picks, gains = naive_greedy_worlds(g, 4, seed_from_rng(seed), 25)
    assert sel.indices.tolist() == picks
    np.testing.assert_array_equal(sel.gains, np.asarray(gains) / 25)
    # the spread is the mean over the same worlds estimate_reach runs
    est = vs.estimate_reach(g, sel.seeds, n_sims=25, rng=seed)
    assert sel.spread == est.mean


@pytest.mark.parametrize("seed", range(3))
def test_celf_budget_is_better_of_two_greedies(seed):
    g = tiny_graph(seed, n=8, m=14)
    costs = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.5, 2.5])
    sel = vs.strategies.celf(g, budget=5.0, costs=costs, n_worlds=20, rng=seed)
    key = seed_from_rng(seed)
    runs = [naive_greedy_worlds(g, 8, key, 20, costs, 5.0, ratio=r) for r in (True, False)]
    best = max(runs, key=lambda pg: sum(pg[1]))
    assert sel.indices.tolist() == best[0]
    assert sel.cost <= 5.0


class ExactEngine:
    """CELF's engine interface backed by the exact σ oracle (enumeration)."""

    def __init__(self, g):
        self.g = g
        self.seeds = []
        self.base = 0.0

    def reset(self):
        self.seeds, self.base = [], 0.0

    def gain(self, v, best=-1):
        return exact_ic_reach(self.g, self.seeds + [v])[0] - self.base, None

    def commit(self, v):
        new = exact_ic_reach(self.g, self.seeds + [v])[0]
        gain, self.base = new - self.base, new
        self.seeds.append(v)
        return gain


@pytest.mark.parametrize("seed", range(5))
def test_celf_lazy_greedy_equals_greedy_under_exact_oracle(seed):
    g = tiny_graph(100 + seed, n=6, m=10)
    singles = np.array([exact_ic_reach(g, [v])[0] for v in range(g.n_nodes)])
    picks, _, _ = lazy_greedy(ExactEngine(g), singles, 3, None, math.inf, False, False)
    assert picks == naive_greedy_exact(g, 3)


class CountingBatches:
    """An engine's ``gains`` calls recorded (to know batches were asked for)."""

    def __init__(self, engine):
        self.engine, self.sizes = engine, []

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def gains(self, nodes):
        self.sizes.append(len(nodes))
        return self.engine.gains(nodes)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("batch", [2, 3, 8, 100])
def test_celf_batched_reevaluation_picks_as_plain_greedy(seed, batch):
    """Re-evaluating several stale candidates at once (one round trip to Ray's actors)
    changes no pick, gain or score, plain or budgeted (gain per cost and gain), ties
    included (probabilities of 1 make many)."""
    from viralsim.strategies.celf import _IncrementalWorlds

    g = tiny_graph(seed, n=8, m=14)
    key = seed_from_rng(seed)
    costs = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.5, 2.5])
    cases = [(4, None, math.inf, False), (8, costs, 5.0, True), (8, costs, 5.0, False)]
    for k, c, budget, ratio in cases:
        engine = _IncrementalWorlds(g, key, 25, None, False)
        singles = engine.singletons()
        plain = lazy_greedy(engine, singles, k, c, budget, ratio, False)
        counted = CountingBatches(engine)
        batched = lazy_greedy(counted, singles, k, c, budget, ratio, False, batch=batch)
        assert batched == plain
        assert counted.sizes and max(counted.sizes) <= batch
        if c is None:
            assert batched[0] == naive_greedy_worlds(g, k, key, 25)[0]
    assert max(counted.sizes) > 1 or batch == 1  # batches of several were evaluated


def test_celf_batch_must_be_a_positive_int():
    g = tiny_graph(0)
    with pytest.raises(ValueError, match="batch"):
        vs.strategies.celf(g, k=2, n_worlds=10, rng=0, batch=0)


class NotLiveEdgeIC(DiffusionModel):
    """IC's kernel under a model that does not claim the live-edge property."""

    is_live_edge = False
    name = "not-live-edge"

    def _simulate(self, graph, seeds, key, start, n, **kw):
        return IC()._simulate(graph, seeds, key, start, n, **kw)

    def __repr__(self):
        return "NotLiveEdgeIC()"


def test_celf_any_model_by_simulation_and_ris_refuses():
    g = tiny_graph(7, n=8, m=14)
    sel = vs.strategies.celf(g, k=3, n_worlds=30, rng=1, model=NotLiveEdgeIC())
    ref = vs.strategies.celf(g, k=3, n_worlds=30, rng=1)
    assert sel.seeds == ref.seeds and sel.spread == ref.spread  # same worlds, same kernel
    assert any("guarantee does not hold" in n for n in sel.notes)
    for name in ("imm", "opim_c"):
        with pytest.raises(vs.ModelNotSupported, match=r"NotLiveEdgeIC\(\).*celf"):
            vs.select_seeds(g, k=2, strategy=name, model=NotLiveEdgeIC())


def test_celf_weighted_reach():
    g = tiny_graph(3, n=8, m=14)
    w = np.zeros(g.n_nodes)
    w[[2, 5]] = 1.0
    g = g.with_node_attr("segment", w)
    sel = vs.strategies.celf(g, k=2, n_worlds=40, rng=0, weight_attr="segment")
    assert 0.0 <= sel.spread <= 2.0
    with pytest.raises(KeyError, match="does not have"):
        vs.strategies.celf(g, k=2, weight_attr="nope")


# ---------------------------------------------------------------------------- budgets, weights
def two_stars(big=10, small=2, p=1.0):
    """Hub 0 with ``big`` followers, hub 1 with ``small`` followers (disjoint)."""
    src = [0] * big + [1] * small
    dst = list(range(2, 2 + big)) + list(range(2 + big, 2 + big + small))
    return vs.FollowerGraph.from_edges(src, dst, probs=p)


def test_cost_effective_forward_beats_ratio_greedy():
    # ratio greedy takes hub 1 (3 adopters for 1) and can then afford nothing big;
    # plain greedy takes hub 0 (11 for 10): the better of the two wins
    g = two_stars()
    costs = np.ones(g.n_nodes) * 100.0
    costs[0], costs[1] = 10.0, 1.0
    for sel in (
        vs.strategies.celf(g, budget=10.0, costs=costs, n_worlds=5, rng=0),
        vs.strategies.imm(g, budget=10.0, costs=costs, rng=0, min_rr_sets=5000),
    ):
        assert sel.seeds == [0] and sel.cost == 10.0
    # heuristics rank by score per cost: hub 1 (2 followers per unit) first
    assert vs.strategies.degree(g, budget=10.0, costs=costs).seeds == [1]


def test_weighted_reach_targets_the_segment():
    g = two_stars()
    seg = np.zeros(g.n_nodes)
    seg[12:14] = 1.0  # only hub 1's followers are in the target segment
    g = g.with_node_attr("segment", seg)
    assert vs.strategies.celf(g, k=1, n_worlds=5, rng=0).seeds == [0]
    assert vs.strategies.celf(g, k=1, n_worlds=5, rng=0, weight_attr="segment").seeds == [1]
    sel = vs.strategies.imm(g, k=1, rng=0, weight_attr="segment")
    assert sel.seeds == [1] and sel.spread == pytest.approx(2.0)
    assert vs.strategies.opim_c(g, k=1, rng=0, weight_attr="segment").seeds == [1]


def test_strategy_configs_instantiate():
    from importlib import resources

    import yaml
    from hydra.utils import instantiate

    root = resources.files("viralsim") / "conf" / "strategy"
    names = sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))
    assert names == available_strategies()
    for name in names:
        cfg = yaml.safe_load((root / f"{name}.yaml").read_text())
        inst = instantiate(cfg)
        assert inst.name == name and inst == get_strategy(name)


def test_params_and_repr():
    s = vs.strategies.IMM(eps=0.2)
    assert s.get_params()["eps"] == 0.2 and "eps=0.2" in repr(s)
    assert s.set_params(eps=0.3).eps == 0.3
    with pytest.raises(ValueError, match="no parameter"):
        s.set_params(epsilon=1)
    with pytest.raises(ValueError, match="'eps' parameter of IMM"):
        vs.strategies.imm(small_graph(), k=2, eps=0.0)
