"""Plain-Python twins of the word-of-mouth and linear-threshold kernels, and exact oracles.

Nothing here imports the kernels: each world is re-derived from the
documented definitions (``viralsim._kernels.wom`` and ``viralsim._kernels.lt``
module docstrings) with the stream helpers of ``tests/naive.py``.
"""

import itertools
import math

import numpy as np

from .naive import GOLDEN, MASK64, NodeStream, live_followers, mix64, reachable, unit, world_key

DOMAIN_COMMENT = 0x5A5A5A5A5A5A5A5A
DOMAIN_THRESHOLD = 0x6969696969696969
DOMAIN_OFFTARGET = 0x7878787878787878


def coin(key, r, domain, x_id):
    """First uniform of the stream keyed by (world r, domain, node or edge id)."""
    return unit(NodeStream(world_key(key, r, domain), x_id).next())


def comment_coin(key, r, v):
    """The comment coin of v in world r: the start state of its DOMAIN_COMMENT stream, as a uniform."""
    return unit(NodeStream(world_key(key, r, DOMAIN_COMMENT), v).state)


def edge_uniform(wkey, u, i):
    """U_e of row position i of u (per-edge world definition), as a 32-bit integer."""
    st0 = NodeStream(wkey, u).state
    x = mix64((st0 + (i // 2 + 1) * GOLDEN) & MASK64)
    return (x & 0xFFFFFFFF) if i % 2 == 0 else (x >> 32)


def naive_wom_world(graph, seed_idx, key, r, *, c=1.0, beta=0.0, alpha=0.0, thin=None,
                    segw=None, max_rounds=None, per_edge=False):
    """One word-of-mouth world, by rounds. Returns a dict of per-world outputs.

    ``thin``: per-follower acceptance (None: everyone 1); ``segw``: per-node
    segment weights (None: segment reach = reach).
    """
    indptr, indices, probs = graph.indptr, graph.indices, graph.probs
    wkey = world_key(key, r)
    seeds = [int(s) for s in seed_idx]
    seed_set = set(seeds)
    active = list(seeds)
    is_active = set(seeds)
    seen = set(seeds)
    recv = {}
    frontier = list(seeds)
    adopters_tl, comments_tl, impr_tl, expo_tl = [len(seeds)], [0], [0], [len(seeds)]
    n_com = 0
    n_imp = 0
    t = 0

    def accept(u, v):
        if thin is None or thin[v] >= 1.0:
            return True
        inner = NodeStream(world_key(key, r, DOMAIN_OFFTARGET), u).state
        return unit(NodeStream(inner, v).state) < thin[v]

    while frontier and (max_rounds is None or t < max_rounds):
        amp = 1.0 + alpha * math.log1p(n_com) if alpha != 0.0 else 1.0
        new = []
        rc = ri = 0
        seen_before = len(seen)
        for u in frontier:
            if c < 1.0 and u not in seed_set and not comment_coin(key, r, u) < c:
                continue
            rc += 1
            ri += int(indptr[u + 1] - indptr[u])
            for e in range(indptr[u], indptr[u + 1]):
                seen.add(int(indices[e]))
            if per_edge:
                for e in range(indptr[u], indptr[u + 1]):
                    v = int(indices[e])
                    if v in is_active:
                        continue
                    pe = float(probs[e]) * amp
                    if beta != 0.0:
                        pe *= 1.0 + beta * recv.get(v, 0)
                        recv[v] = recv.get(v, 0) + 1
                    if edge_uniform(wkey, u, int(e - indptr[u])) < pe * 4294967296.0 and accept(u, v):
                        is_active.add(v)
                        new.append(v)
            else:
                for e in live_followers(indptr, indices, probs, u, wkey):
                    v = int(indices[e])
                    if v not in is_active and accept(u, v):
                        is_active.add(v)
                        new.append(v)
        n_com += rc
        n_imp += ri
        active.extend(new)
        adopters_tl.append(len(new))
        comments_tl.append(rc)
        impr_tl.append(ri)
        expo_tl.append(len(seen) - seen_before)
        frontier = new
        t += 1
    seg = float(sum(segw[v] for v in active)) if segw is not None else float(len(active))
    return dict(reach=len(active), exposure=len(seen), comments=n_com, impressions=n_imp,
                segment_reach=seg, adopters_tl=adopters_tl, comments_tl=comments_tl,
                impressions_tl=impr_tl, exposure_tl=expo_tl)


def naive_lt_world(graph, seed_idx, key, r, weights, max_rounds=None):
    """One LT world in live-edge form (``viralsim._kernels.lt`` docstring).

    Follower v's in-edges take consecutive intervals of [0, 2**31) in CSR
    order (running sums of the weights times 2**31, rounded half up, capped);
    the one holding v's 31-bit uniform is v's live in-edge.
    """
    indptr, indices = graph.indptr, graph.indices
    n = graph.n_nodes
    hkey = world_key(key, r, DOMAIN_THRESHOLD)

    def grid(c):
        return min(math.floor(c * 2**31 + 0.5), 2**31)

    run = [0.0] * n
    live = set()
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            v = int(indices[e])
            lo = grid(run[v])
            run[v] += float(weights[e])
            hi = grid(run[v])
            if lo <= NodeStream(hkey, v).state >> 33 < hi:
                live.add((u, v))
    seeds = [int(s) for s in seed_idx]
    is_active = set(seeds)
    seen = set(seeds)
    frontier = list(seeds)
    tl = [len(seeds)]
    n_com = n_imp = 0
    t = 0
    while frontier and (max_rounds is None or t < max_rounds):
        new = []
        for u in frontier:
            n_com += 1
            n_imp += int(indptr[u + 1] - indptr[u])
            for e in range(indptr[u], indptr[u + 1]):
                v = int(indices[e])
                seen.add(v)
                if v not in is_active and (u, v) in live:
                    is_active.add(v)
                    new.append(v)
        tl.append(len(new))
        frontier = new
        t += 1
    return dict(reach=len(is_active), exposure=len(seen), comments=n_com, impressions=n_imp,
                adopters_tl=tl)


def exact_lt_reach(graph, seed_idx, weights, max_rounds=None):
    """Exact LT expected reach and variance: each node picks at most one live in-edge.

    Node v picks in-edge (u, v) with probability b(u, v) and none with
    probability 1 - sum_u b(u, v) (Kempe et al. 2003); reach is what the
    seeds reach over the picked edges (within ``max_rounds`` hops when given).
    Enumerates prod_v (in_degree(v) + 1) worlds; for tiny graphs.
    """
    n = graph.n_nodes
    src = np.repeat(np.arange(n), np.diff(graph.indptr))
    dst = graph.indices
    choices = []
    for v in range(n):
        ins = [(int(src[e]), float(weights[e])) for e in np.flatnonzero(dst == v)]
        opts = [(None, max(0.0, 1.0 - sum(w for _, w in ins)))] + ins
        choices.append([(u, w) for u, w in opts if w > 0.0])
    total = math.prod(len(c) for c in choices)
    assert total <= 200_000, "enumeration is for tiny graphs"
    seeds = [int(s) for s in seed_idx]
    mean = second = 0.0
    for pick in itertools.product(*choices):
        w = 1.0
        edges = []
        for v, (u, b) in enumerate(pick):
            w *= b
            if u is not None:
                edges.append((u, v))
        if max_rounds is None:
            rch = len(reachable(n, edges, seeds))
        else:
            from .naive import _within

            rch = len(_within(n, edges, seeds, max_rounds))
        mean += w * rch
        second += w * rch * rch
    return mean, second - mean * mean
