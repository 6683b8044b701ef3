"""Independent-cascade worlds: which edges are live in world ``r``.

World ``r``'s live out-edges of node ``u`` are a pure function of
``(key, r, u)``: the stream ``node_state(world_key(key, r), u)`` drives a
skip-and-thin walk over u's row (see :func:`expand_node`). So world ``r``'s
live-edge graph is fixed before any cascade runs and every seed set is
evaluated in the same worlds (common random numbers).
"""

import math

import numpy as np
from numba import njit

from .config import NJIT
from .rng import (
    DOMAIN_FORWARD,
    GOLDEN,
    ONE,
    mix64,
    next_u64,
    node_state,
    to_unit,
    to_unit_open0,
    world_key,
)

#: rows whose largest probability is at least this flip one coin per edge;
#: below it the walk jumps from live edge to live edge (a logarithm per live
#: edge costs about as much as ten 32-bit coins)
SKIP_BELOW = 0.0625
#: uniform skip rows with at most this many live edges on average draw their
#: number of live edges by binomial inversion instead of one logarithm each
BINOM_MAX_MEAN = 16.0
#: coin rows with mixed probabilities at least this long are flipped in a separate,
#: vectorisable pass (one-probability rows never: their integer loop is faster)
VECTOR_MIN_DEGREE = 32
TWO32 = 4294967296.0
TWO32_U = np.uint64(4294967296)
MASK32 = np.uint64(0xFFFFFFFF)
S32 = np.uint64(32)

ROW_COIN = 0
ROW_BINOMIAL = 1
ROW_SKIP = 2


@njit(inline="always", **NJIT)
def row_kind(probs, start, end):
    """How a row's live edges are drawn (a pure function of the row)."""
    q0 = np.float64(probs[np.uint64(start)])
    if q0 >= SKIP_BELOW:
        return ROW_COIN
    if q0 > 0.0 and probs[np.uint64(end - 1)] == q0 and (end - start) * q0 <= BINOM_MAX_MEAN:
        return ROW_BINOMIAL
    return ROW_SKIP


@njit(inline="always", **NJIT)
def none_live_prob(q, d):
    """``(1 - q) ** d``, computed the same way everywhere (tables and on the fly)."""
    return math.exp(d * math.log1p(-q))


#: :func:`skip_row_none_live`'s mark of coin rows with mixed probabilities, all above 0
#: (and of empty rows); a coin row with one probability p gets ``-2 - ceil(p 2**32)``
COIN_MIXED = -1.0
#: :func:`skip_row_none_live`'s mark of coin rows with mixed probabilities and an edge of
#: probability 0 (its coins are always compared in float64: see :func:`coin_thresholds`)
COIN_MIXED_ZERO = -1.5
#: :func:`coin_thresholds` builds no table for graphs with more edges than this (4 bytes
#: per edge: 64 MiB at the limit; beyond, the coins of mixed rows are compared in float64,
#: and a 100M-edge graph keeps its memory at the graph's bytes plus the per-node tables)
COIN_THRESHOLDS_MAX_EDGES = 1 << 24
#: the table of graphs without one (:func:`coin_thresholds`): empty, typed as a table
NO_THRESHOLDS = np.zeros(0, dtype=np.uint32)
NO_THRESHOLDS.flags.writeable = False


@njit(**NJIT)
def skip_row_none_live(indptr, probs):
    """Per node: ``(1 - p_max) ** degree`` for binomial and skip rows; for coin rows
    with one probability p, ``-2 - ceil(p 2**32)`` (the integer coin threshold,
    exact in float64); for other coin rows and empty rows :data:`COIN_MIXED`, or
    :data:`COIN_MIXED_ZERO` for a coin row with an edge of probability 0.

    For a binomial row it is P(no live edge); for a skip row the probability
    that the first geometric skip leaves the row, so a uniform draw below it
    ends the row without a logarithm (the same outcome as computing the skip,
    ``floor(log(U) / log(1 - q)) >= d`` iff ``U <= (1 - q) ** d``, up to
    rounding at the boundary).
    """
    n = indptr.shape[0] - 1
    z = np.full(n, COIN_MIXED)
    for u in range(n):
        start, end = indptr[u], indptr[u + 1]
        if end == start:
            continue
        if row_kind(probs, start, end) != ROW_COIN:
            z[u] = none_live_prob(np.float64(probs[start]), end - start)
        elif probs[end - 1] == probs[start]:
            z[u] = -2.0 - math.ceil(np.float64(probs[start]) * TWO32)
        elif probs[end - 1] <= 0.0:  # rows are sorted: its last edge is its smallest
            z[u] = COIN_MIXED_ZERO
    return z


@njit(**NJIT)
def _coin_thresholds(indptr, probs):
    n = indptr.shape[0] - 1
    mixed = False
    for u in range(n):
        start, end = indptr[u], indptr[u + 1]
        if (end > start and row_kind(probs, start, end) == ROW_COIN
                and probs[end - 1] != probs[start] and probs[end - 1] > 0.0):
            mixed = True
            break
    if not mixed:
        return np.zeros(0, dtype=np.uint32)
    m = probs.shape[0]
    t = np.zeros(m, dtype=np.uint32)
    for e in range(m):
        p = np.float64(probs[e])
        if p > 0.0:
            t[e] = np.uint32(np.int64(math.ceil(p * TWO32)) - 1)
    return t


def coin_thresholds(indptr, probs):
    """Per edge, ``ceil(p 2**32) - 1`` as uint32: the integer form of the coin test of
    :func:`draw_live` for coin rows with mixed probabilities.

    A coin ``x32`` (an integer, ``0 <= x32 < 2**32``) makes the edge live iff
    ``x32 < p 2**32``; ``p 2**32`` is exact in float64 (p is a float32), so this is
    ``x32 < ceil(p 2**32)``, i.e. ``x32 <= ceil(p 2**32) - 1`` for ``p > 0``: the
    same live edges, bit for bit, compared as integers. ``ceil(p 2**32)`` runs from 1
    to ``2**32`` (p = 1) for ``p > 0``, so ``- 1`` fits 32 bits; a p = 0 edge (never
    live) has no such threshold, and its row (:data:`COIN_MIXED_ZERO` in
    :func:`skip_row_none_live`) keeps the float64 comparison.

    Returns :data:`NO_THRESHOLDS` (empty, the same type) when the graph has no coin
    row with mixed probabilities all above 0, or more than
    :data:`COIN_THRESHOLDS_MAX_EDGES` edges (the table costs 4 bytes per edge).

    Examples
    --------
    >>> import numpy as np
    >>> from viralsim._kernels.ic import coin_thresholds
    >>> indptr = np.array([0, 3, 3])
    >>> probs = np.array([1.0, 0.5, 2.0 ** -40], dtype=np.float32)
    >>> coin_thresholds(indptr, probs).tolist() == [2**32 - 1, 2**31 - 1, 0]
    True
    >>> coin_thresholds(indptr, np.full(3, 0.5, dtype=np.float32)).size  # one probability
    0
    """
    if probs.shape[0] > COIN_THRESHOLDS_MAX_EDGES:
        return NO_THRESHOLDS
    return _coin_thresholds(indptr, probs)


@njit(inline="always", **NJIT)
def expand_node(indptr, indices, probs, u, wkey, stamp, mark, queue, tail, lq_cache):
    """Append u's not-yet-marked live followers to ``queue``; return the new tail.

    Preconditions: ``probs`` within each row is non-increasing (FollowerGraph's
    canonical order); ``stamp[v] == mark`` marks v as already active;
    ``queue`` has room for ``tail + degree(u)`` entries (scratch past the
    tail); ``lq_cache`` is a float64 scratch of 2 holding ``(q, 1 / log1p(-q))``
    for the last q seen (initialise to ``(-1, 0)``; shared across calls so a
    uniform probability costs one ``log1p`` per batch, not per node).

    Notes
    -----
    Which edges of u are live in a world is a pure function of the world key,
    u and u's row (so of the graph), drawn from u's own stream
    ``node_state(wkey, u)`` (see :func:`row_kind`):

    - *coin rows* (largest probability ``>= SKIP_BELOW``): one coin per edge,
      two 32-bit coins per 64 random bits, edge e is live iff
      ``x32 < p_e * 2**32`` (u < p with u uniform on a 2**-32 grid);
    - *binomial rows* (one probability q < SKIP_BELOW on all d edges, d·q <=
      BINOM_MAX_MEAN): the number K of live edges is drawn by inverting the
      Binomial(d, q) distribution function with one uniform, then K distinct
      positions by Floyd's algorithm with exact bounded integers (Lemire);
    - *skip rows* (other rows below SKIP_BELOW): geometric skips drawn with
      the probability q of the next edge, which bounds every later
      probability in the row (rows are sorted); a candidate edge with p < q is
      kept with probability p / q (thinning).

    Each edge is then live independently with its own probability; the cost
    is proportional to the live edges rather than the degree outside coin
    rows. ``p = 1`` edges are always live; ``p = 0`` edges never are.

    :func:`expand_node_fast` gives the same live edges, faster, with tables.
    """
    return expand_node_fast(indptr, indices, probs, u, wkey, stamp, mark, queue, tail, lq_cache,
                            lq_cache, stamp, False, NO_THRESHOLDS)


@njit(inline="always", **NJIT)
def expand_node_fast(indptr, indices, probs, u, wkey, stamp, mark, queue, tail, lq_cache,
                     none_live, flags, tables, thresholds):
    """:func:`expand_node` with tables: same live edges.

    With ``tables``, ``none_live`` is :func:`skip_row_none_live` of the graph
    (saves an exp/log per binomial row and a logarithm per skip row),
    ``thresholds`` its :func:`coin_thresholds` (or :data:`NO_THRESHOLDS`) and
    ``flags`` a uint8 scratch of the largest degree (coins are flipped in a
    vectorisable pass, then collected without branches).
    """
    k = draw_live_t(indptr, indices, probs, u, wkey, queue, tail, lq_cache, none_live, flags,
                    tables, thresholds)
    return keep_fresh(queue, tail, k, stamp, mark)


@njit(inline="always", **NJIT)
def keep_fresh(queue, tail, k, stamp, mark):
    """Keep the entries of ``queue[tail:k]`` not marked yet, in order, marking them.

    Returns the new tail; a node that comes twice is kept the first time.
    Branch-free (whether a follower is new is unpredictable).
    """
    for i in range(tail, k):  # in place: tail <= i
        v = np.uint64(queue[np.uint64(i)])  # unsigned: no wraparound code
        fresh = stamp[v] != mark
        stamp[v] = mark
        queue[np.uint64(tail)] = v
        tail += fresh
    return tail


@njit(inline="always", **NJIT)
def make_room(queue, tail, k, d, stamp, mark):
    """Before drawing a row of ``d`` candidates at ``queue[k:]``: if they might not
    fit, keep the fresh ones so far (:func:`keep_fresh`). Returns ``(tail, k)``."""
    if k + d > queue.shape[0]:
        tail = keep_fresh(queue, tail, k, stamp, mark)
        k = tail
    return tail, k


@njit(inline="always", **NJIT)
def draw_coin_row_uniform(indices, start, end, t, st, queue, k):
    """Append the live edges of the coin row ``start:end`` whose edges all have one
    probability ``p`` to ``queue[k:]``, from the stream ``st``; return the end.

    One 64-bit draw per two edges, each half compared as an integer,
    ``x32 < t = ceil(p 2**32)`` (the same test as ``x32 < p 2**32``). The coins of
    :func:`draw_live` (and :func:`~viralsim._kernels.rr.draw_live_row`) for such a row.
    """
    d = end - start
    half = d // 2
    # indices as uint64 below: Numba then emits no negative-index wraparound
    su = np.uint64(start)
    for i in range(half):
        st, x = next_u64(st)
        e = su + np.uint64(2 * i)
        queue[np.uint64(k)] = indices[e]
        k += (x & MASK32) < t
        queue[np.uint64(k)] = indices[e + ONE]
        k += (x >> S32) < t
    if d > 2 * half:
        st, x = next_u64(st)
        queue[np.uint64(k)] = indices[np.uint64(end - 1)]
        k += (x & MASK32) < t
    return k


@njit(inline="always", **NJIT)
def draw_binomial_row(indices, start, end, q, z, st, queue, k):
    """Append the live edges of the row ``start:end`` whose ``d`` edges all have
    probability ``q`` to ``queue[k:]``, from the stream ``st``; return the end.

    ``z = (1 - q) ** d`` (:func:`none_live_prob`, or the table's copy of it). The
    number of live edges is drawn by inversion of the binomial law (one draw),
    then their positions, distinct, by Floyd's algorithm with Lemire's bounded
    integers. The binomial rows of :func:`draw_live` (and
    :func:`~viralsim._kernels.rr.draw_live_row`).
    """
    d = end - start
    st, x = next_u64(st)
    uu = to_unit(x)
    if uu < z:
        return k
    k0 = k
    ratio = q / (1.0 - q)
    pk = z
    cdf = z
    n_live = 0
    while uu >= cdf and n_live < d:
        pk *= (d - n_live) / (n_live + 1) * ratio
        n_live += 1
        cdf += pk
    for j in range(d - n_live, d):  # Floyd: n_live distinct positions
        s = np.uint64(j + 1)
        st, x = next_u64(st)
        m = (x & MASK32) * s
        if (m & MASK32) < s:
            thresh = (TWO32_U - s) % s
            while (m & MASK32) < thresh:
                st, x = next_u64(st)
                m = (x & MASK32) * s
        v = indices[np.uint64(start) + (m >> S32)]
        for i in range(k0, k):
            if queue[np.uint64(i)] == v:
                v = indices[np.uint64(start + j)]
                break
        queue[np.uint64(k)] = v
        k += 1
    return k


@njit(inline="always", **NJIT)
def draw_coin_row_thresholds(indices, thresholds, start, end, st, queue, k):
    """Append the live edges of the coin row ``start:end`` to ``queue[k:]`` from the
    stream ``st``, its coins compared with the edges' integer thresholds
    (:func:`coin_thresholds`: ``x32 <= ceil(p 2**32) - 1``, the same test as
    ``x32 < p 2**32``); return the end. The coins of :func:`draw_live` for a coin
    row with mixed probabilities all above 0.

    One loop for every row length: a separate vectorisable pass (as the float64
    comparison takes for rows of at least :data:`VECTOR_MIN_DEGREE`) was slower
    with integer thresholds, from 128 edges up too (BA n=10k, weighted cascade).
    """
    d = end - start
    half = d // 2
    su = np.uint64(start)  # unsigned indices: no wraparound code
    for i in range(half):
        st, x = next_u64(st)
        e = su + np.uint64(2 * i)
        queue[np.uint64(k)] = indices[e]
        k += (x & MASK32) <= thresholds[e]
        queue[np.uint64(k)] = indices[e + ONE]
        k += (x >> S32) <= thresholds[e + ONE]
    if d > 2 * half:
        st, x = next_u64(st)
        e = np.uint64(end - 1)
        queue[np.uint64(k)] = indices[e]
        k += (x & MASK32) <= thresholds[e]
    return k


@njit(inline="always", **NJIT)
def draw_live(indptr, indices, probs, u, wkey, queue, k, lq_cache, none_live, flags, tables):
    """Append u's live followers in world ``wkey`` to ``queue[k:]``, unfiltered; return the end.

    The live edges of :func:`expand_node` (see its Notes), before the check
    that a follower is not active yet: callers that defer that check to the
    end of a round (:func:`keep_fresh`) save a short, unpredictable loop per
    node. ``queue`` needs room for ``k + degree(u)`` entries. Coin rows with
    mixed probabilities are compared in float64 (:func:`draw_live_t` with the
    graph's :func:`coin_thresholds` compares integers: the same live edges).
    """
    return draw_live_t(indptr, indices, probs, u, wkey, queue, k, lq_cache, none_live, flags,
                       tables, NO_THRESHOLDS)


@njit(inline="always", **NJIT)
def draw_live_t(indptr, indices, probs, u, wkey, queue, k, lq_cache, none_live, flags, tables,
                thresholds):
    """:func:`draw_live` with the graph's :func:`coin_thresholds` (or
    :data:`NO_THRESHOLDS`): with tables, a coin row with mixed probabilities all above
    0 (:data:`COIN_MIXED`) compares its coins as integers when ``thresholds`` is not
    empty. The same live edges either way."""
    ui = np.uint64(u)  # unsigned: no wraparound code
    start = indptr[ui]
    end = indptr[ui + ONE]
    if start == end:
        return k
    d = end - start
    st = node_state(wkey, u)
    t = np.uint64(0)
    z0 = 0.0
    if tables:  # the row's kind (and coin threshold) from the table, loaded off the row
        z0 = none_live[ui]
        kind = ROW_COIN if z0 < 0.0 else row_kind(probs, start, end)
        uniform = z0 <= -2.0
        if uniform:
            t = np.uint64(-2.0 - z0)
    else:
        kind = row_kind(probs, start, end)
        uniform = kind == ROW_COIN and probs[np.uint64(end - 1)] == probs[np.uint64(start)]
        if uniform:
            t = np.uint64(math.ceil(np.float64(probs[np.uint64(start)]) * TWO32))
    if kind == ROW_COIN:
        half = d // 2
        # indices as uint64 below: Numba then emits no negative-index wraparound
        su = np.uint64(start)
        if uniform:
            # one probability on the whole row (rows are sorted): the same
            # coins as below, compared as integers, x32 < p 2**32 iff
            # x32 < t = ceil(p 2**32); a separate vectorisable pass does not pay
            # here. (Its loop repeats the mixed one below on purpose: one loop
            # with the comparison chosen inside costs 8%.)
            k = draw_coin_row_uniform(indices, start, end, t, st, queue, k)
        elif tables and z0 == COIN_MIXED and thresholds.shape[0] > 0:
            k = draw_coin_row_thresholds(indices, thresholds, start, end, st, queue, k)
        elif tables and d >= VECTOR_MIN_DEGREE:
            for i in range(half):
                x = mix64(st + np.uint64(i + 1) * GOLDEN)
                e = su + np.uint64(2 * i)
                j = np.uint64(2 * i)
                flags[j] = np.float64(np.int64(x & MASK32)) < np.float64(probs[e]) * TWO32
                flags[j + ONE] = np.float64(np.int64(x >> S32)) < np.float64(
                    probs[e + ONE]) * TWO32
            if d > 2 * half:
                x = mix64(st + np.uint64(half + 1) * GOLDEN)
                e = np.uint64(end - 1)
                flags[np.uint64(d - 1)] = np.float64(np.int64(x & MASK32)) < np.float64(
                    probs[e]) * TWO32
            for j in range(d):
                ju = np.uint64(j)
                queue[np.uint64(k)] = indices[su + ju]
                k += flags[ju]
        else:
            for i in range(half):
                st, x = next_u64(st)
                e = su + np.uint64(2 * i)
                queue[np.uint64(k)] = indices[e]
                k += np.float64(np.int64(x & MASK32)) < np.float64(probs[e]) * TWO32
                queue[np.uint64(k)] = indices[e + ONE]
                k += np.float64(np.int64(x >> S32)) < np.float64(probs[e + ONE]) * TWO32
            if d > 2 * half:
                st, x = next_u64(st)
                e = np.uint64(end - 1)
                queue[np.uint64(k)] = indices[e]
                k += np.float64(np.int64(x & MASK32)) < np.float64(probs[e]) * TWO32
    elif kind == ROW_BINOMIAL:
        q = np.float64(probs[np.uint64(start)])
        z = none_live[ui] if tables else none_live_prob(q, d)
        k = draw_binomial_row(indices, start, end, q, z, st, queue, k)
    else:
        pos = start
        first = True
        while pos < end:
            q = np.float64(probs[np.uint64(pos)])
            if q <= 0.0:
                break
            st, x = next_u64(st)
            ux = to_unit_open0(x)
            if first:
                first = False
                z = none_live[ui] if tables else none_live_prob(q, d)
                if ux <= z:
                    break
            if q != lq_cache[0]:
                lq_cache[0] = q
                lq_cache[1] = 1.0 / math.log1p(-q)
            gap = math.floor(math.log(ux) * lq_cache[1])
            if gap >= end - pos:
                break
            cand = pos + np.int64(gap)
            p = np.float64(probs[np.uint64(cand)])
            if p < q:
                st, x = next_u64(st)
                if to_unit(x) * q >= p:
                    pos = cand + 1
                    continue
            queue[np.uint64(k)] = indices[np.uint64(cand)]
            k += 1
            pos = cand + 1
    return k


@njit(**NJIT)
def ic_world_live_edges(indptr, indices, probs, key, world):
    """Boolean mask of the live edges of world ``world`` (every node expanded).

    For tests and for building explicit live-edge graphs on small inputs.
    """
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    live = np.zeros(m, dtype=np.bool_)
    wkey = world_key(key, world, DOMAIN_FORWARD)
    # mark each live edge by expanding every node into an empty stamp each time
    stamp = np.zeros(n, dtype=np.int32)
    queue = np.empty(2 * n, dtype=np.int32)
    lq_cache = np.array([-1.0, 0.0])
    for u in range(n):
        mark = np.int32(u + 1)
        tail = expand_node(indptr, indices, probs, u, wkey, stamp, mark, queue, 0, lq_cache)
        # followers are unique within a row, so each queued v is one live edge
        for i in range(tail):
            v = queue[i]
            for e in range(indptr[u], indptr[u + 1]):
                if indices[e] == v:
                    live[e] = True
                    break
    return live
