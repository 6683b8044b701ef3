"""The multiplex campaign kernels against their plain-Python twin and against the
single-layer kernel, on rows of every kind the live-edge draw has (issue 18)."""

import numba
import numpy as np
import pytest

import viralsim as vs
from viralsim._kernels.ic import ROW_BINOMIAL, ROW_COIN, ROW_SKIP, row_kind

from .naive_multiplex import multiplex_world

N = 80


def _layer(seed, m, probs):
    """A random graph whose rows are of all kinds: coin rows with one and with mixed
    probabilities, binomial rows, skip rows (with thinning), empty rows."""
    r = np.random.default_rng(seed)
    pairs = np.unique(r.integers(0, N, (m, 2)), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    g = vs.FollowerGraph.from_edges(pairs[:, 0], pairs[:, 1], n_nodes=N, probs=1.0)
    p = np.asarray(probs)[np.arange(N) % len(probs)]  # a probability per source node...
    row_of = np.repeat(np.arange(N), np.diff(g.indptr))
    pe = p[row_of] * np.where(r.random(g.n_edges) < 0.3, 0.5, 1.0)  # ...some edges halved
    return vs.FollowerGraph.from_edges(row_of, g.indices, probs=pe, n_nodes=N)


def _layers():
    return [_layer(1, 700, [0.3, 0.9, 0.04, 0.01]),
            _layer(2, 500, [0.5, 0.02, 0.2]),
            _layer(3, 900, [0.005, 0.1, 1.0])]


def test_the_layers_have_rows_of_every_kind():
    kinds = set()
    for g in _layers():
        for u in range(N):
            if g.indptr[u + 1] > g.indptr[u]:
                kinds.add(int(row_kind(g.probs, g.indptr[u], g.indptr[u + 1])))
    assert kinds == {ROW_COIN, ROW_BINOMIAL, ROW_SKIP}


@pytest.mark.parametrize("max_rounds", [None, 2])
def test_three_layers_match_their_plain_python_twin_world_by_world(max_rounds):
    layers = _layers()
    r = np.random.default_rng(4)
    members = [np.ones(N, bool), r.random(N) < 0.7, r.random(N) < 0.6]
    cprobs = [1.0, 0.6, 0.8]
    seg = r.random(N)
    base = layers[0].with_node_attr("fans", seg)
    mg = vs.MultiplexGraph({"a": base, "b": layers[1], "c": layers[2]},
                           comment_probs={"a": 1.0, "b": 0.6, "c": 0.8},
                           members={"b": members[1], "c": members[2]})
    seeds = [3, 17, 40, 41]
    n_sims = 12
    est = vs.estimate_campaign(mg, [vs.SeedList(seeds)], n_sims=n_sims, rng=5,
                               max_rounds=max_rounds,
                               model=vs.WordOfMouth(segment_attr="fans"))
    key = est.rng_key
    names = ("exposure", "comments", "impressions")
    for w in range(n_sims):
        reach, expo, com, imp, sg, per = multiplex_world(
            layers, members, cprobs, seeds, 0, key, w, max_rounds, segw=seg)
        got = est.per_world
        assert (got["reach"][w], got["exposure"][w], got["comments"][w],
                got["impressions"][w]) == (reach, expo, com, imp), w
        assert got["segment_reach"][w] == sg  # the same sum, in the same order
        for lay, p in enumerate(("a", "b", "c")):
            assert tuple(int(est.platform_per_world[p][k][w]) for k in names) == per[lay]


@pytest.mark.parametrize("c", [1.0, 0.6])
def test_one_layer_of_every_row_kind_is_the_single_layer_kernel(c):
    g = _layers()[0]
    chans = [vs.SeedList([0, 5, 9]),
             vs.InfluencerPost(account=2, organic_reach=0.8, adoption_rate=0.3)]
    model = vs.WordOfMouth(comment_prob=c)
    old = numba.get_num_threads()
    try:
        for nt in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(nt)
            for max_rounds in (None, 1, 3):
                a = vs.estimate_campaign(g, chans, model=model, n_sims=300, rng=2,
                                         max_rounds=max_rounds)
                b = vs.estimate_campaign(vs.MultiplexGraph({"x": g}), chans, model=model,
                                         n_sims=300, rng=2, max_rounds=max_rounds)
                for k in a.per_world:
                    np.testing.assert_array_equal(a.per_world[k], b.per_world[k], err_msg=k)
                np.testing.assert_array_equal(a.timeline, b.timeline)
    finally:
        numba.set_num_threads(old)


def test_by_day_with_one_day_delays_is_by_round_on_rows_of_every_kind():
    layers = _layers()
    mg = vs.MultiplexGraph({"a": layers[0], "b": layers[1], "c": layers[2]},
                           comment_probs={"b": 0.5})
    chans = [vs.SeedList([1, 2, 3])]
    day = vs.estimate_campaign(mg, chans, n_sims=200, rng=3, delay=vs.Delay.fixed(1))
    rnd = vs.estimate_campaign(mg, chans, n_sims=200, rng=3)
    for k in rnd.per_world:
        np.testing.assert_array_equal(day.per_world[k], rnd.per_world[k], err_msg=k)
