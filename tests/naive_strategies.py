"""Plain-Python twins of the strategy kernels (RR sets, fixed-world greedy, max coverage).

They re-derive everything from the documented definitions with the world
twin of ``tests/naive.py`` (``live_followers``), never calling the kernels.
"""

import itertools
import math

import numpy as np

from .naive import DOMAIN_REVERSE, NodeStream, exact_ic_reach, live_followers, unit, world_key

__all__ = [
    "naive_rr_set",
    "naive_lt_rr_set",
    "naive_world_reach",
    "naive_greedy_worlds",
    "naive_greedy_exact",
    "naive_max_cover",
    "brute_force_opt",
    "reverse_arrays",
]


def reverse_arrays(graph):
    return graph.reverse_csr()


DOMAIN_REVERSE_COMMENT = 0x4B4B4B4B4B4B4B4B


def naive_lt_rr_set(wgraph, key, i):
    """LT RR set: a backward walk, node v keeping in-edge e when u < cumulative weight.

    ``wgraph`` carries the normalised in-weights as its edge probabilities.
    """
    rindptr, rindices, rprobs = wgraph.reverse_csr()
    n = wgraph.n_nodes
    wkey = world_key(key, i, DOMAIN_REVERSE)
    root = min(int(unit(NodeStream(wkey, n).next()) * n), n - 1)
    order, seen, v = [root], {root}, root
    while True:
        t = unit(NodeStream(wkey, v).next())
        acc, nxt = 0.0, -1
        for e in range(rindptr[v], rindptr[v + 1]):
            acc += float(rprobs[e])
            if t < acc:
                nxt = int(rindices[e])
                break
        if nxt < 0 or nxt in seen:
            return order
        seen.add(nxt)
        order.append(nxt)
        v = nxt


def naive_rr_set(graph, key, i, weights=None, comment_prob=None):
    """RR set ``i`` of ``key``: root from pseudo-node n's stream, then reverse BFS.

    Uniform root ``floor(u * n)``; with weights, the first node whose
    inclusive cumulative weight exceeds ``u * total``.
    """
    rindptr, rindices, rprobs = graph.reverse_csr()
    n = graph.n_nodes
    wkey = world_key(key, i, DOMAIN_REVERSE)
    x = NodeStream(wkey, n).next()
    if weights is None:
        root = min(int(unit(x) * n), n - 1)
    else:
        cum = np.cumsum(np.asarray(weights, dtype=np.float64))
        t = unit(x) * cum[-1]
        root = next(j for j in range(n) if cum[j] > t)
    order = [root]
    seen = {root}
    head = 0
    ckey = world_key(key, i, DOMAIN_REVERSE_COMMENT)
    while head < len(order):
        v = order[head]
        head += 1
        if comment_prob is not None and head > 1:
            if not unit(NodeStream(ckey, v).next()) < comment_prob:
                continue  # v does not comment: it cannot relay towards the root
        for e in live_followers(rindptr, rindices, rprobs, v, wkey):
            u = int(rindices[e])
            if u not in seen:
                seen.add(u)
                order.append(u)
    return order


def _live_adj(graph, key, r):
    wkey = world_key(key, r)
    return [
        [int(graph.indices[e]) for e in live_followers(graph.indptr, graph.indices, graph.probs,
                                                       u, wkey)]
        for u in range(graph.n_nodes)
    ]


def naive_world_reach(adj, seeds):
    seen = set(seeds)
    stack = list(seeds)
    while stack:
        u = stack.pop()
        for v in adj[u]:
            if v not in seen:
                seen.add(v)
                stack.append(v)
    return seen


def naive_greedy_worlds(graph, k, key, n_worlds, costs=None, budget=math.inf, ratio=False):
    """Plain greedy (full argmax each step, ties to the smaller index) on worlds 0..W-1."""
    adjs = [_live_adj(graph, key, r) for r in range(n_worlds)]
    n = graph.n_nodes
    c = np.ones(n) if costs is None else costs
    reached = [set() for _ in range(n_worlds)]
    picks, gains = [], []
    left = budget
    while len(picks) < k:
        best, best_s, best_g = -1, -math.inf, 0.0
        for v in range(n):
            if v in picks or c[v] > left:
                continue
            g = 0.0
            for r in range(n_worlds):
                g += float(len(naive_world_reach(adjs[r], [v]) - reached[r]))
            s = g / c[v] if ratio else g
            if s > best_s:
                best, best_s, best_g = v, s, g
        if best < 0:
            break
        picks.append(best)
        gains.append(best_g)
        left -= c[best]
        for r in range(n_worlds):
            reached[r] |= naive_world_reach(adjs[r], [best])
    return picks, gains


def naive_greedy_exact(graph, k):
    """Plain greedy under the exact σ oracle (enumeration); ties to the smaller index."""
    picks = []
    base = 0.0
    for _ in range(k):
        best, best_g = -1, -math.inf
        for v in range(graph.n_nodes):
            if v in picks:
                continue
            g = exact_ic_reach(graph, picks + [v])[0] - base
            if g > best_g:
                best, best_g = v, g
        picks.append(best)
        base += best_g
    return picks


def naive_max_cover(sets, n, k):
    """Greedy max coverage with a full argmax each step (ties: smaller index)."""
    covered = [False] * len(sets)
    picks, gains = [], []
    for _ in range(k):
        deg = [0] * n
        for j, s in enumerate(sets):
            if not covered[j]:
                for v in s:
                    deg[v] += 1
        best = max((v for v in range(n) if v not in picks), key=lambda v: (deg[v], -v))
        picks.append(best)
        gains.append(deg[best])
        for j, s in enumerate(sets):
            if best in set(int(x) for x in s):
                covered[j] = True
    return picks, gains


def brute_force_opt(graph, k):
    """Best k-set by exact σ over all subsets."""
    best = -1.0
    for combo in itertools.combinations(range(graph.n_nodes), k):
        best = max(best, exact_ic_reach(graph, list(combo))[0])
    return best
