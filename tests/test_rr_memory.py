"""Reverse-reachable sampling in less memory, against the per-edge path it replaces.

- One probability per reverse row (weighted cascade, one probability everywhere),
  int32 row pointers and 3-byte indices (``SplitIndices``): the same RR sets, bit
  for bit, as the per-edge reverse CSR, for every live-edge mode and every kind of
  row (coin, binomial, skip, p = 0); mixed probabilities fall back to the per-edge
  CSR, graphs over ``SPLIT_MAX_NODES`` nodes to int32 indices.
- Greedy and the inverted index over the nodes in some set only: the same picks,
  gains and bound as a full argmax each step (a plain-Python twin), budgets and
  picks past the last covering node included.
- RR blocks whose queue grows (sets of more than 65,536 members).
"""

import math

import numpy as np
import pytest
from numba import njit

import viralsim as vs
from viralsim._kernels import rr as _rr
from viralsim._kernels.csr import in_row_probabilities, transpose, transpose_rows
from viralsim.strategies.ris import RRCollection


@njit
def _place_jit(bits, ranks, v):
    return _rr.place_of(bits, ranks, v)


def _place(bits, ranks, v):
    """A node's place in ``active`` (the inlined kernel helper, called from Python)."""
    return int(_place_jit(bits, ranks, np.int64(v)))


def _joined(g):
    """The int32 indices a graph's :class:`~viralsim._kernels.rr.SplitIndices` stand for."""
    rindptr, lo, hi, q = g._cache["reverse_rows"]
    assert lo.dtype == np.uint16 and hi.dtype == np.uint8
    return (hi.astype(np.int32) << 16) | lo


def _copy(g):
    """The same graph, another object (its own cache)."""
    src, dst, p = g.edges()
    return vs.FollowerGraph.from_edges(src, dst, probs=p, n_nodes=g.n_nodes)


def _per_edge(g):
    """A copy of ``g`` that samples from the per-edge reverse CSR (asked for first)."""
    h = _copy(g)
    h.reverse_csr()
    assert h._rr_reverse()[4] is False
    return h


def _hub_graph(p, rng=0):
    """Random edges plus a node with 800 in-edges (a skip row when 800 p > 16)."""
    gen = np.random.default_rng(rng)
    src = np.concatenate([gen.integers(0, 900, 4000), np.arange(1, 801)])
    dst = np.concatenate([gen.integers(0, 900, 4000), np.zeros(800, np.int64)])
    pairs = np.unique((src * 900 + dst)[src != dst])  # no self-loops, no repeats
    g = vs.FollowerGraph.from_edges(pairs // 900, pairs % 900, n_nodes=900)
    return g.with_probabilities(p)


GRAPHS = {
    "wc_power_law": lambda: vs.generators.power_law(3000, 6, 2.2, rng=1,
                                                    probabilities="weighted_cascade"),
    "wc_hub": lambda: _hub_graph("weighted_cascade"),
    "p_coin": lambda: _hub_graph(0.3),
    "p_binomial": lambda: _hub_graph(0.01),
    "p_skip": lambda: _hub_graph(0.03),
    "p_zero": lambda: _hub_graph(0.0),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_row_probabilities_give_the_same_sets(name):
    g = GRAPHS[name]()
    h = _per_edge(g)
    rindptr, rindices, q, none_live, per_row = g._rr_reverse()
    assert per_row and q.shape == (g.n_nodes,) and rindptr.dtype == np.int32
    assert isinstance(rindices, _rr.SplitIndices)
    # the per-row arrays are the per-edge reverse CSR, one probability a row
    e_ptr, e_idx, e_probs = h.reverse_csr()
    assert np.array_equal(rindptr, e_ptr) and np.array_equal(_joined(g), e_idx)
    assert np.array_equal(np.repeat(q, np.diff(rindptr)), e_probs)
    assert none_live.shape == (0,)  # no table per node
    modes = [(_rr.MODE_IC, 1.0), (_rr.MODE_IC | _rr.MODE_EXPOSURE, 1.0),
             (_rr.MODE_IC_COMMENT, 0.4)]
    for mode, c in modes:
        a = RRCollection(g, key=7, mode=mode, comment_prob=c).extend_to(1500)
        b = RRCollection(h, key=7, mode=mode, comment_prob=c).extend_to(1500)
        assert a._kernel_mode == mode | _rr.MODE_ROW_PROBS and b._kernel_mode == mode
        for x, y in zip(a.arrays(), b.arrays()):
            assert np.array_equal(x, y)
        assert a.n_members > 1500 or name == "p_zero"


def test_row_probabilities_linear_threshold():
    g = GRAPHS["wc_power_law"]()
    lt = vs.LinearThreshold(weights="probs")
    wg = g.with_probabilities(lt.edge_weights(g))  # normalised in-weights: one per row
    wh = _per_edge(wg)
    assert wg._rr_reverse()[4]
    for mode in (_rr.MODE_LT, _rr.MODE_LT | _rr.MODE_EXPOSURE):
        a = RRCollection(wg, key=3, mode=mode).extend_to(2000)
        b = RRCollection(wh, key=3, mode=mode).extend_to(2000)
        for x, y in zip(a.arrays(), b.arrays()):
            assert np.array_equal(x, y)


@pytest.mark.parametrize("scheme", ["trivalency", "uniform_random"])
def test_mixed_probabilities_fall_back(scheme):
    g = vs.generators.power_law(2000, 6, 2.2, rng=2, probabilities=scheme)
    q, ok = in_row_probabilities(g.indices, g.probs, g.n_nodes)
    assert not ok and transpose_rows(g.indptr, g.indices, g.probs) is None
    rindptr, rindices, rprobs, _, per_row = g._rr_reverse()
    assert not per_row and rprobs.shape == (g.n_edges,)
    assert all(np.array_equal(x, y) for x, y in zip((rindptr, rindices, rprobs),
                                                     transpose(g.indptr, g.indices, g.probs)))


def test_reverse_csr_after_row_sampling_and_bytes():
    g = GRAPHS["wc_hub"]()
    g._rr_reverse()
    n, m = g.n_nodes, g.n_edges
    assert g.reverse_nbytes == 4 * (n + 1) + 3 * m + 4 * n  # int32 rows, 3-byte indices, q
    want = transpose(g.indptr, g.indices, g.probs)
    got = g.reverse_csr()  # spread out per edge, the indices shared, int64 row pointers
    assert all(np.array_equal(x, y) and x.dtype == y.dtype for x, y in zip(got, want))
    assert not g._rr_reverse()[4]  # the per-edge arrays exist now: sampled from them
    assert g.reverse_nbytes == 8 * (n + 1) + 8 * m + 8 * n  # and the per-node table


def test_split_indices_read_as_int32_and_wide_graphs_fall_back(monkeypatch):
    # node numbers with every bit of the 24 in use read back whole from 3 bytes
    big = np.array([0, 1, 65535, 65536, 70000, (1 << 24) - 1, 123456], dtype=np.int32)
    lo, hi = (big & 0xFFFF).astype(np.uint16), (big >> 16).astype(np.uint8)
    got = _read_all(_rr.split_indices(lo, hi), big.shape[0])
    assert got.dtype == np.int32 and got.tolist() == big.tolist()
    # over SPLIT_MAX_NODES nodes: int64 row pointers and int32 indices, the same sets
    g, small = GRAPHS["wc_hub"](), GRAPHS["wc_hub"]()
    monkeypatch.setattr(_rr, "SPLIT_MAX_NODES", g.n_nodes - 1)
    rindptr, rindices, _, _, per_row = g._rr_reverse()
    assert per_row and rindptr.dtype == np.int64 and rindices.dtype == np.int32
    monkeypatch.undo()
    assert isinstance(small._rr_reverse()[1], _rr.SplitIndices)
    a = RRCollection(g, key=4).extend_to(800)
    b = RRCollection(small, key=4).extend_to(800)
    assert all(np.array_equal(x, y) for x, y in zip(a.arrays(), b.arrays()))


def test_split_indices_pickle_as_their_arrays():
    # Ray's object store and multiprocessing pickle the sampling arrays: the 3-byte
    # indices go as their two arrays and come back as the same numbers (read-only too)
    import pickle

    big = np.array([0, 1, 65535, 65536, (1 << 24) - 1], dtype=np.int32)
    lo, hi = (big & 0xFFFF).astype(np.uint16), (big >> 16).astype(np.uint8)
    idx = _rr.split_indices(lo, hi)
    back = pickle.loads(pickle.dumps(idx, protocol=5))
    assert isinstance(back, _rr.SplitIndices) and back.nbytes == idx.nbytes == 15
    assert _read_all(back, 5).tolist() == big.tolist()
    lo.flags.writeable = hi.flags.writeable = False
    assert _read_all(_rr.split_indices(lo, hi), 5).tolist() == big.tolist()


@njit
def _read_all(idx, m):
    out = np.empty(m, dtype=np.int32)
    for e in range(m):
        out[e] = idx[np.uint64(e)]
    return out


def test_imm_and_opim_c_the_same_on_both_paths():
    g = vs.generators.barabasi_albert(600, 3, rng=5, probabilities="weighted_cascade")
    for f in (vs.strategies.imm, vs.strategies.opim_c):
        a = f(g, k=6, rng=2, min_rr_sets=8000)
        b = f(_per_edge(g), k=6, rng=2, min_rr_sets=8000)
        assert (a.seeds, a.spread, a.gains.tolist()) == (b.seeds, b.spread, b.gains.tolist())


# ---------------------------------------------------------------------------- compact greedy
def _twin_greedy(sets, n, k, costs, budget, ratio):
    """Greedy by a full argmax each step among nodes not picked whose cost fits the
    budget left (ties: smaller index), and OPIM-C's upper bound over the prefixes."""
    covered = [False] * len(sets)
    picks, gains, left, cov = [], [], budget, 0

    def degrees():
        deg = [0] * n
        for j, s in enumerate(sets):
            if not covered[j]:
                for v in s:
                    deg[int(v)] += 1
        return deg

    def top_k(deg):
        return float(sum(sorted((deg[v] for v in range(n) if v not in picks),
                                reverse=True)[:k]))

    bound = top_k(degrees())
    while len(picks) < k:
        deg = degrees()
        fit = [v for v in range(n) if v not in picks and costs[v] <= left]
        if not fit:
            break
        best = max(fit, key=lambda v: ((deg[v] / costs[v]) if ratio else deg[v], -v))
        picks.append(best)
        gains.append(deg[best])
        left -= costs[best]
        cov += deg[best]
        for j, s in enumerate(sets):
            if best in set(int(x) for x in s):
                covered[j] = True
        bound = min(bound, cov + top_k(degrees()))
    return picks, gains, bound


@pytest.mark.parametrize("seed", range(6))
def test_compact_greedy_equals_twin(seed):
    gen = np.random.default_rng(seed)
    n, used = 200, 40  # sets over nodes 5 .. 44 only: the index is over 40 nodes
    sets = [5 + gen.choice(used, size=gen.integers(1, 6), replace=False).astype(np.int32)
            for _ in range(70)]
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(s) for s in sets])
    members = np.concatenate(sets)
    bits, ranks, active = _rr.active_nodes(members, n)
    assert active.tolist() == sorted(set(members.tolist()))
    where = np.full(n, -1, dtype=np.int64)  # each node's place in active, the plain way
    where[active] = np.arange(active.shape[0])
    assert [_place(bits, ranks, v) for v in active] == where[active].tolist()
    assert bits.nbytes + ranks.nbytes <= n // 8 + n // 16 + 16  # 1.5 bits per node at most
    ptr, node_sets = _rr.invert_where(offsets, members, bits, ranks, active.shape[0], 3)
    full_ptr, full_sets = _rr.invert(offsets, members, n)
    for j, v in enumerate(active):  # the same lists, node by node
        assert (node_sets[ptr[j]:ptr[j + 1]].tolist()
                == full_sets[full_ptr[v]:full_ptr[v + 1]].tolist())
    costs = gen.uniform(0.5, 2.0, n)
    cases = [(5, np.zeros(0), math.inf, False), (60, np.zeros(0), math.inf, False),
             (60, costs, 12.0, True), (60, costs, 30.0, False), (8, costs, 6.0, True)]
    places = where[members].astype(np.int32)
    for k, c, budget, ratio in cases:
        seeds, gains, bound = _rr.greedy_cover_where(offsets, members, ptr, node_sets, bits,
                                                     ranks, active, n, k, c, budget, ratio, True)
        again = _rr.greedy_cover_where(offsets, places, ptr, node_sets, bits[:0], ranks[:0],
                                       active, n, k, c, budget, ratio, True)
        assert [a.tolist() for a in again[:2]] == [seeds.tolist(), gains.tolist()]
        assert again[2] == bound
        full = _rr.greedy_cover(offsets, members, full_ptr, full_sets, n, k, c, budget, ratio,
                                True)
        twin = _twin_greedy(sets, n, k, c if c.shape[0] else np.ones(n), budget, ratio)
        assert seeds.tolist() == twin[0] == full[0].tolist()
        assert gains.tolist() == twin[1] == full[1].tolist()
        assert bound == twin[2] == full[2]


def test_collection_index_is_compact_on_few_nodes():
    g = GRAPHS["p_zero"]()  # every set is its root alone
    coll = RRCollection(g, key=1).extend_to(50)
    node_ptr, node_sets, bits, ranks, active = coll.index()
    members = coll.arrays()[1]
    assert active.tolist() == sorted(set(members.tolist()))
    assert node_ptr.shape == (active.shape[0] + 1,)
    assert bits.shape == ((g.n_nodes + 63) // 64,) and ranks.shape == bits.shape
    assert [active[_place(bits, ranks, v)] for v in members] == members.tolist()
    seeds, gains, _ = coll.greedy(len(active) + 3)  # three picks past the last covering node
    rest = [v for v in range(g.n_nodes) if v not in set(active.tolist())][:3]
    assert seeds.tolist()[-3:] == rest and gains.tolist()[-3:] == [0, 0, 0]
    assert sorted(seeds.tolist()[:-3]) == active.tolist()


# ---------------------------------------------------------------------------- queue growth
def test_sets_larger_than_the_first_queue():
    # a chain 0 -> 1 -> ... with p = 1: the set of root r is r, r - 1, ..., 0
    n = 3 * _rr._QUEUE_START
    g = vs.FollowerGraph.from_edges(np.arange(n - 1), np.arange(1, n), probs=1.0)
    coll = RRCollection(g, key=11).extend_to(6)
    assert max(len(s) for s in coll.sets()) > _rr._QUEUE_START
    for s in coll.sets():
        assert s.tolist() == list(range(s[0], -1, -1))
    wg = g.with_probabilities(vs.LinearThreshold(weights="probs").edge_weights(g))
    for s in RRCollection(wg, key=11, mode=_rr.MODE_LT).extend_to(6).sets():
        assert s.tolist() == list(range(s[0], -1, -1))
