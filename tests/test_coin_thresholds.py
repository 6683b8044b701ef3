"""Integer coin thresholds (``ic.coin_thresholds``): the same live edges as the float test.

A coin ``x32`` makes an edge of probability p live iff ``x32 < p 2**32`` in float64;
the kernels compare ``x32 <= ceil(p 2**32) - 1`` instead for coin rows with mixed
probabilities all above 0. These tests check the thresholds exactly (rational
arithmetic), the two tests at every boundary coin, the live edges of whole rows, and
whole estimates with and without the table (exposure on and off, 1 and 2 threads).
"""

import math
from fractions import Fraction

import numba
import numpy as np
import pytest

import viralsim as vs
from viralsim._kernels import ic as _ic
from viralsim._kernels import wom as _wom
from viralsim._kernels.rng import DOMAIN_FORWARD, world_key

TWO32 = 2**32


def _f32(x):
    return np.float32(x)


def special_probs():
    """float32 probabilities where the test is delicate: p = 1, p 2**32 an exact
    integer (``ceil`` changes nothing there), tiny p below and just above 2**-32,
    subnormals, the float32 just below 1, and some in between."""
    one_below = np.nextafter(_f32(1.0), _f32(0.0))
    tiny = _f32(2.0**-32)
    ps = [1.0, one_below, 0.5, 0.25, 0.75, 0.125, 3 * 2.0**-20, 2.0**-31, tiny,
          np.nextafter(tiny, _f32(1.0)), np.nextafter(tiny, _f32(0.0)), 2.0**-33, 2.0**-40,
          np.float32(1e-45), 1 / 3, 0.1, 0.0625, 0.9, 2 / 3]
    ps = [_f32(p) for p in ps]
    ps += list(np.random.default_rng(0).random(200).astype(np.float32))
    assert all(p > 0 for p in ps)
    return ps


def test_thresholds_are_ceil_p_two32_minus_one_exactly():
    ps = special_probs()
    probs = np.array(sorted(ps, reverse=True), dtype=np.float32)  # one row, sorted
    indptr = np.array([0, probs.size])
    t = _ic.coin_thresholds(indptr, probs)
    assert t.dtype == np.uint32 and t.shape == probs.shape
    for p, ti in zip(probs, t):
        exact = math.ceil(Fraction(float(p)) * TWO32)  # p is a float32: Fraction is exact
        assert 1 <= exact <= TWO32
        assert int(ti) == exact - 1, (p, exact, ti)
    # p 2**32 an exact integer: ceil is the value itself; tiny p: the threshold 0
    where = {float(p): int(ti) for p, ti in zip(probs, t)}
    assert where[1.0] == TWO32 - 1 and where[0.5] == 2**31 - 1 and where[0.75] == 3 * 2**30 - 1
    assert where[float(_f32(2.0**-32))] == 0 and where[float(_f32(2.0**-40))] == 0
    assert where[float(np.nextafter(_f32(2.0**-32), _f32(1.0)))] == 1


def test_integer_and_float_tests_agree_at_every_boundary_coin():
    """At the coins around each threshold (where the two tests could differ), the
    kernels' float test ``float64(x32) < float64(p) * 2**32`` and the integer test
    ``x32 <= t`` give the same answer; both answers occur."""
    ps = special_probs()
    probs = np.array(sorted(ps, reverse=True), dtype=np.float32)
    t = _ic.coin_thresholds(np.array([0, probs.size]), probs)
    outcomes = set()
    for p, ti in zip(probs, t):
        ti = int(ti)
        for x32 in {0, 1, ti - 1, ti, ti + 1, ti + 2, TWO32 - 1}:
            if not 0 <= x32 < TWO32:
                continue
            by_float = float(np.float64(x32)) < float(np.float64(p)) * 4294967296.0
            by_int = x32 <= ti
            assert by_float == by_int, (p, x32, ti)
            outcomes.add(by_int)
    assert outcomes == {True, False}


def _mixed_graph():
    """Coin rows of mixed probabilities (p = 1, exact p 2**32, tiny p below and above
    2**-32, random), rows that also hold a p = 0 edge, one-probability rows and skip rows."""
    rng = np.random.default_rng(5)
    n = 60
    special = special_probs()[:19]
    src, dst, p = [], [], []
    for u in range(n):
        d = int(rng.integers(2, 40))
        vs_ = (u + 1 + rng.choice(n - 1, size=d, replace=False)) % n  # no self-loop
        if u % 4 == 0:
            pu = [_f32(1.0)] + [special[int(i)] for i in rng.integers(0, len(special), d - 1)]
        elif u % 4 == 1:  # mixed with p = 0 edges (the float path)
            pu = list(rng.random(d).astype(np.float32) * 0.9 + 0.1)
            pu[-1] = pu[-2] = _f32(0.0)
        elif u % 4 == 2:
            pu = list(rng.random(d).astype(np.float32))
        else:
            pu = [_f32(0.3)] * d if u % 8 == 3 else [_f32(0.01)] * d  # uniform coin / skip
        src += [u] * d
        dst += list(vs_)
        p += pu
    return vs.FollowerGraph.from_edges(src, dst, probs=np.array(p, dtype=np.float32), n_nodes=n)


def test_rows_give_the_float_path_live_edges(monkeypatch):
    g = _mixed_graph()
    nl = _ic.skip_row_none_live(g.indptr, g.probs)
    t = _ic.coin_thresholds(g.indptr, g.probs)
    deg = np.diff(g.indptr)
    # not vacuous: rows that take the integer path, rows with p = 0 that keep floats
    assert t.size == g.n_edges
    assert np.sum((nl == _ic.COIN_MIXED) & (deg > 0)) >= 20
    assert np.sum(nl == _ic.COIN_MIXED_ZERO) >= 10
    assert np.any(nl <= -2.0) and np.any(nl >= 0.0)
    assert np.any(g.probs == 1.0) and np.any(g.probs == 0.0)
    maxd = int(deg.max())
    queue = np.empty(2 * maxd, dtype=np.int32)
    flags = np.empty(maxd, dtype=np.uint8)
    lq = np.array([-1.0, 0.0])
    int_rows = live_by_int = 0
    p1_live = p0_live = 0
    for w in range(60):
        wkey = np.uint64(world_key(np.uint64(123), w, DOMAIN_FORWARD))
        for u in range(g.n_nodes):
            a = _ic.draw_live_t(g.indptr, g.indices, g.probs, u, wkey, queue, 0, lq, nl, flags,
                                True, t)
            got = queue[:a].copy()
            b = _ic.draw_live(g.indptr, g.indices, g.probs, u, wkey, queue, 0, lq, nl, flags,
                              True)
            assert np.array_equal(got, queue[:b]), (w, u)
            c = _ic.draw_live_t(g.indptr, g.indices, g.probs, u, wkey, queue, 0, lq, nl, flags,
                                False, t)  # no tables: row kinds from the row, floats
            assert np.array_equal(got, queue[:c]), (w, u)
            row = slice(g.indptr[u], g.indptr[u + 1])
            live = np.isin(g.indices[row], got)
            p1_live += int(np.sum(live & (g.probs[row] == 1.0)))
            assert not np.any(live & (g.probs[row] == 0.0))
            p0_live += int(np.sum(g.probs[row] == 0.0))
            if nl[u] == _ic.COIN_MIXED and a > 0:
                int_rows += 1
                live_by_int += a
            if w == 0:
                assert np.all(live[g.probs[row] == 1.0])
    assert int_rows > 500 and live_by_int > 5000 and p1_live > 0 and p0_live > 0


def test_no_table_for_one_probability_rows_or_large_graphs(monkeypatch):
    g = vs.generators.barabasi_albert(200, 3, rng=1)
    for p in (0.2, 0.01):  # coin rows of one probability; skip rows
        assert _ic.coin_thresholds(g.indptr, g.with_probabilities(p).probs).size == 0
    wc = g.with_probabilities("weighted_cascade")
    t = _ic.coin_thresholds(wc.indptr, wc.probs)
    assert t.size == wc.n_edges
    # the empty table has the real one's type (one compiled kernel)
    assert numba.typeof(_ic.NO_THRESHOLDS) == numba.typeof(wc._derived(
        "coin_thresholds", _ic.coin_thresholds))
    monkeypatch.setattr(_ic, "COIN_THRESHOLDS_MAX_EDGES", wc.n_edges - 1)
    assert _ic.coin_thresholds(wc.indptr, wc.probs) is _ic.NO_THRESHOLDS


def _estimates(g, labels, **kw):
    out = []
    for expo in (True, False):
        for threads in (1, 2):
            before = numba.get_num_threads()
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            try:
                out.append(vs.estimate_reach(g, labels, n_sims=300, rng=7, exposure=expo,
                                             return_sizes=True, **kw))
            finally:
                numba.set_num_threads(before)
    return out


@pytest.mark.parametrize("probs", ["weighted_cascade", "uniform_random"])
def test_estimates_are_the_same_with_and_without_the_table(monkeypatch, probs):
    """Whole estimates (IC and word of mouth, exposure on and off, shared viewers with
    coin lists or not, mixed rows listed or not, 1 and 2 threads) are identical world by world with the table and
    without it (every coin of mixed rows compared in float64)."""
    base = vs.generators.barabasi_albert(400, 3, rng=2)
    kw = dict(rng=3, low=0.0, high=0.6) if probs == "uniform_random" else {}
    labels = np.argsort(-base.out_degree(), kind="stable")[:8].tolist()
    # coin lists with mixed rows fused, with mixed rows listed too (mode 3), and none
    for coin_lists, mixed_share in ((_wom.COIN_LISTS_MAX, 0.0), (_wom.COIN_LISTS_MAX, 1.0),
                                    (0, 1.0)):
        monkeypatch.setattr(_wom, "COIN_LISTS_MAX", coin_lists)
        monkeypatch.setattr(_wom, "MIXED_LISTS_MAX_SHARE", mixed_share)
        for model in (vs.IC(), vs.WordOfMouth(comment_prob=0.6)):
            runs = []
            for cap in (_ic.COIN_THRESHOLDS_MAX_EDGES, 0):
                monkeypatch.setattr(_ic, "COIN_THRESHOLDS_MAX_EDGES", cap)
                g = base.with_probabilities(probs, **kw)  # a fresh graph: no cached table
                runs.append(_estimates(g, labels, model=model))
                has = g._derived("coin_thresholds", _ic.coin_thresholds).size > 0
                assert has == (cap > 0)  # the first run used the table, the second not
            monkeypatch.setattr(_ic, "COIN_THRESHOLDS_MAX_EDGES", 1 << 24)
            for a, b in zip(*runs):
                assert np.array_equal(a.sizes, b.sizes)
                assert repr(a.metrics) == repr(b.metrics) and repr(a.exposure) == repr(b.exposure)
            first = runs[0]
            assert np.array_equal(first[0].sizes, first[1].sizes)  # 1 and 2 threads


def test_mixed_rows_are_listed_only_below_the_share(monkeypatch):
    """With thresholds, coin rows of mixed probabilities get residual lists (mode 3)
    when the lists hold at most MIXED_LISTS_MAX_SHARE of their followers, else none
    (mode 2: marked in the coin pass); without thresholds, mode 2 lists them as before."""
    g = vs.generators.barabasi_albert(400, 3, rng=2).with_probabilities("weighted_cascade")
    seeds = np.argsort(-g.out_degree(), kind="stable")[:8].astype(np.int32)
    nl = g._derived("skip_row_none_live", _ic.skip_row_none_live)
    mixed = nl == _ic.COIN_MIXED
    assert mixed.sum() > 100  # weighted cascade: mostly mixed coin rows
    got = {}
    for share in (0.0, 1.0):
        monkeypatch.setattr(_wom, "MIXED_LISTS_MAX_SHARE", share)
        mode, _, rptr, _ = _wom.shared_viewer_data(g.indptr, g.indices, nl, seeds, 10**6,
                                                   True, True)
        got[share] = mode, int(np.diff(rptr)[mixed].sum())
    assert got[0.0] == (2, 0)  # fused: the mixed rows have no lists
    assert got[1.0][0] == 3 and got[1.0][1] > 0
    mode, _, rptr, _ = _wom.shared_viewer_data(g.indptr, g.indices, nl, seeds, 10**6, True,
                                               False)
    assert mode == 2 and int(np.diff(rptr)[mixed].sum()) == got[1.0][1]
