"""Greedy seed selection on fixed worlds: singleton spreads and incremental marginal gains.

World ``r`` is the one :func:`viralsim.estimate_reach` runs for IC:
``world_key(key, r, DOMAIN_FORWARD)`` and :func:`expand_node`. For the current
seed set S, each world keeps the set it reaches as a bitmap (one bit per node,
``reached[r]``). The marginal gain of ``v`` in world ``r`` is the number (or
weight) of nodes reachable from ``v`` that are not in ``reached[r]``; a
breadth-first search from ``v`` that stops at reached nodes finds exactly
them, because whatever a reached node reaches is reached too.
"""

import numpy as np
from numba import njit, prange

from .config import NJIT, NJIT_PARALLEL
from .ic import expand_node
from .rng import DOMAIN_FORWARD, world_key
from .rr import max_degree

U1 = np.uint64(1)
S6 = np.uint64(6)
M63 = np.uint64(63)
MARK_LIMIT = 2_000_000_000


@njit(inline="always", **NJIT)
def _has(row, v):
    return (row[np.uint64(v) >> S6] >> (np.uint64(v) & M63)) & U1


@njit(inline="always", **NJIT)
def _set(row, v):
    row[np.uint64(v) >> S6] |= U1 << (np.uint64(v) & M63)


@njit(inline="always", **NJIT)
def _bfs(indptr, indices, probs, v, wkey, row, stamp, mark, queue, lq_cache, use_row):
    """Nodes reachable from v in the world, not crossing ``row``'s nodes; returns the count."""
    stamp[v] = mark
    queue[0] = v
    tail = 1
    head = 0
    while head < tail:
        u = queue[head]
        head += 1
        old = tail
        tail = expand_node(indptr, indices, probs, u, wkey, stamp, mark, queue, tail, lq_cache)
        if use_row:
            t = old
            for j in range(old, tail):
                w = queue[j]
                if not _has(row, w):
                    queue[t] = w
                    t += 1
            tail = t
    return tail


@njit(**NJIT_PARALLEL)
def singleton_spreads(indptr, indices, probs, key, world_start, n_worlds, weights, n_chunks,
                      out, node_lo, node_hi):
    """``out[v]`` = sum over worlds ``world_start .. + n_worlds - 1`` of the reach (or weight) of ``{v}``,
    for ``v`` in ``node_lo .. node_hi - 1``.

    Parallel over blocks of nodes; each node sums its worlds in order, so the
    result does not depend on the thread count or on the node range.
    """
    n = indptr.shape[0] - 1
    span = node_hi - node_lo
    weighted = weights.shape[0] > 0
    dummy = np.zeros(1, dtype=np.uint64)
    maxd = max_degree(indptr)
    for c in prange(n_chunks):
        lo = node_lo + span * c // n_chunks
        hi = node_lo + span * (c + 1) // n_chunks
        stamp = np.zeros(n, dtype=np.int32)
        queue = np.empty(n + maxd, dtype=np.int32)  # expand_node uses scratch past the tail
        lq_cache = np.array([-1.0, 0.0])
        mark = 0
        for v in range(lo, hi):
            tot = 0.0
            for r in range(n_worlds):
                mark += 1
                if mark >= MARK_LIMIT:
                    stamp[:] = 0
                    mark = 1
                wkey = world_key(key, world_start + r, DOMAIN_FORWARD)
                tail = _bfs(indptr, indices, probs, v, wkey, dummy, stamp, np.int32(mark), queue,
                            lq_cache, False)
                if weighted:
                    g = 0.0
                    for j in range(tail):
                        g += weights[queue[j]]
                    tot += g
                else:
                    tot += tail
            out[v] = tot


@njit(**NJIT_PARALLEL)
def marginal_gains(indptr, indices, probs, key, world_start, v, reached, weights, stamps, queues,
                   marks, commit, best, stamps2, out, out2):
    """Per-world marginal gain of ``v`` given the reached bitmaps; optionally commit v.

    Parameters
    ----------
    world_start : int, the world index of ``reached[0]`` (a shard of the worlds).
    reached : uint64 (n_worlds, ceil(n / 64)), bitmaps of the current seed set's reach.
    weights : float64 (n,) or empty (count nodes).
    stamps : int32 (n_chunks, n) scratch, one row per block of worlds.
    queues : int32 (n_chunks, n + max out-degree) scratch (expand_node writes past the tail).
    marks : int64 (n_chunks,), last mark used in each block (updated).
    commit : bool, add v's new nodes to ``reached``.
    best : int, -1 or a node ``b``: also compute into ``out2`` the gain of v
        given S ∪ {b} (CELF++ look-ahead), using ``stamps2``.
    out, out2 : float64 (n_worlds,), per-world gains.
    """
    n_worlds = reached.shape[0]
    n_chunks = stamps.shape[0]
    weighted = weights.shape[0] > 0
    for c in prange(n_chunks):
        lo = n_worlds * c // n_chunks
        hi = n_worlds * (c + 1) // n_chunks
        stamp = stamps[c]
        queue = queues[c]
        lq_cache = np.array([-1.0, 0.0])
        mark = marks[c]
        for r in range(lo, hi):
            row = reached[r]
            if _has(row, v):
                out[r] = 0.0
                if best >= 0:
                    out2[r] = 0.0
                continue
            mark += 1
            if mark >= MARK_LIMIT:
                stamp[:] = 0
                if best >= 0:
                    stamps2[c][:] = 0
                mark = 1
            wkey = world_key(key, world_start + r, DOMAIN_FORWARD)
            # first (CELF++ look-ahead) b's search, marking b's new nodes in stamps2, then
            # v's, which tells which are b's; one call site: the search (the whole cascade
            # expansion) is inlined once, not twice (first-call compile of CELF 20.8 -> 13.0 s)
            tail = 0
            for step in range(2):
                if step == 0 and (best < 0 or _has(row, best)):
                    continue
                src = best if step == 0 else v
                st = stamps2[c] if step == 0 else stamp
                tail = _bfs(indptr, indices, probs, src, wkey, row, st, np.int32(mark), queue,
                            lq_cache, True)
            g = 0.0
            g2 = 0.0
            for j in range(tail):
                w = queue[j]
                x = weights[w] if weighted else 1.0
                g += x
                if best >= 0 and stamps2[c][w] != mark:
                    g2 += x
            out[r] = g
            if best >= 0:
                out2[r] = g2
            if commit:
                for j in range(tail):
                    _set(row, queue[j])
        marks[c] = mark


@njit(**NJIT_PARALLEL)
def weighted_reach_worlds(indptr, indices, probs, seeds, key, n_worlds, weights, n_chunks, out):
    """``out[r]`` = total weight of the nodes the seeds reach in world ``r`` (0 .. n_worlds - 1).

    The same worlds as :func:`viralsim.estimate_reach` for IC (no horizon):
    with unit weights ``out`` equals its per-world reach.
    """
    n = indptr.shape[0] - 1
    maxd = max_degree(indptr)
    for c in prange(n_chunks):
        lo = n_worlds * c // n_chunks
        hi = n_worlds * (c + 1) // n_chunks
        stamp = np.zeros(n, dtype=np.int32)
        queue = np.empty(n + maxd, dtype=np.int32)
        lq_cache = np.array([-1.0, 0.0])
        for w in range(lo, hi):
            mark = np.int32(w - lo + 1)
            wkey = world_key(key, w, DOMAIN_FORWARD)
            tail = 0
            for s in seeds:
                stamp[s] = mark
                queue[tail] = s
                tail += 1
            head = 0
            while head < tail:
                u = queue[head]
                head += 1
                tail = expand_node(indptr, indices, probs, u, wkey, stamp, mark, queue, tail,
                                   lq_cache)
            g = 0.0
            for j in range(tail):
                g += weights[queue[j]]
            out[w] = g
