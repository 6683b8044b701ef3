"""Reverse-reachable (RR) sets and greedy maximum coverage.

RR set ``i`` is a pure function of ``(key, i)`` and the graph: its world key is
``world_key(key, i, DOMAIN_REVERSE)``; its root is drawn from the stream of
the pseudo-node ``n_nodes`` (one past the last node) in that world; then the
set grows backwards over in-edges, node ``v``'s live in-edges being drawn from
``v``'s own stream by :func:`~viralsim._kernels.ic.expand_node` run on the
reverse CSR (rows sorted by decreasing probability, same coin/skip logic as the
forward walk). Each in-edge is examined from one side only (its follower's), so
every edge is live independently with its probability: RR set ``i`` is the set
of nodes that reach the root in a live-edge sample of the independent cascade
(Borgs et al. 2014).

Storage is flat: ``offsets`` (int64, ``n_sets + 1``) and ``members`` (int32),
4 bytes per member plus 8 per set.

When all in-edges of each node share one probability (weighted cascade, one
probability everywhere), the reverse CSR may carry one probability per row
instead of one per edge and no table per node (:data:`MODE_ROW_PROBS`, 4 bytes per
node instead of 4 per edge plus 8 per node): the same live edges, drawn by
:func:`draw_live_row`.
"""

import math
import operator

import numba
import numpy as np
from numba import njit, prange, types
from numba.core.extending import overload
from numba.experimental import structref

from .config import NJIT, NJIT_PARALLEL
from .ic import (
    BINOM_MAX_MEAN,
    ROW_BINOMIAL,
    ROW_COIN,
    ROW_SKIP,
    SKIP_BELOW,
    TWO32,
    draw_binomial_row,
    draw_coin_row_uniform,
    draw_live,
    keep_fresh,
    make_room,
    none_live_prob,
)
from .rng import (
    DOMAIN_REVERSE,
    DOMAIN_REVERSE_COMMENT,
    next_u64,
    node_state,
    to_unit,
    to_unit_open0,
    world_key,
)

#: how an RR set grows backwards from a node (see rr_generate)
MODE_IC = 0
MODE_LT = 1
MODE_IC_COMMENT = 2
#: flag or-ed into a mode: the set of an *exposure* root (see rr_generate)
MODE_EXPOSURE = 4
#: flag or-ed into a mode: ``rprobs`` holds one probability per row (node), shape
#: ``(n,)``, every in-edge of ``v`` having probability ``rprobs[v]`` (see rr_generate)
MODE_ROW_PROBS = 8
#: queue entries an RR block starts with (grown by doubling, at most n + max degree)
_QUEUE_START = 1 << 16


#: slots of the per-block cache of ``(1 - q) ** d`` by in-degree (MODE_ROW_PROBS)
_Z_SLOTS = 1024


@njit(inline="always", **NJIT)
def _none_live_cached(q, d, zcache):
    """``none_live_prob(q, d)``, kept in ``zcache`` (float64 ``(3, _Z_SLOTS)``: degree,
    probability, value; degree -1 for an empty slot) under slot ``d mod _Z_SLOTS``.
    Rows of one probability repeat ``(q, d)`` a lot (every row of a degree under
    weighted cascade or one probability everywhere): one logarithm and exponential
    per degree instead of per visit, and the very number the per-edge table holds."""
    slot = d & (_Z_SLOTS - 1)
    if zcache[0, slot] == d and zcache[1, slot] == q:
        return zcache[2, slot]
    z = none_live_prob(q, d)
    zcache[0, slot] = d
    zcache[1, slot] = q
    zcache[2, slot] = z
    return z


@njit(inline="always", **NJIT)
def draw_live_row(indptr, indices, q_row, u, wkey, queue, k, lq_cache, zcache):
    """:func:`~viralsim._kernels.ic.draw_live` (with tables) for a row whose edges all
    have probability ``q_row[u]``: the same live edges, in the same order, from the
    same stream, with no table per node. Coin rows compare integers with the
    threshold ``ceil(q 2**32)``; binomial rows draw their count and positions; skip
    rows jump with no thinning, every edge having the row's probability; both take
    ``(1 - q) ** d`` from ``zcache`` (:func:`_none_live_cached`), the number
    :func:`~viralsim._kernels.ic.skip_row_none_live` would hold."""
    ui = np.uint64(u)
    start = indptr[ui]
    end = indptr[ui + np.uint64(1)]
    if start == end:
        return k
    d = end - start
    st = node_state(wkey, u)
    q = np.float64(q_row[ui])
    z0 = 0.0
    if q >= SKIP_BELOW:
        kind = ROW_COIN
    else:
        z0 = _none_live_cached(q, d, zcache)
        if q > 0.0 and d * q <= BINOM_MAX_MEAN:
            kind = ROW_BINOMIAL
        else:
            kind = ROW_SKIP
    if kind == ROW_COIN:
        t = np.uint64(math.ceil(q * TWO32))
        k = draw_coin_row_uniform(indices, start, end, t, st, queue, k)
    elif kind == ROW_BINOMIAL:
        k = draw_binomial_row(indices, start, end, q, z0, st, queue, k)
    elif q > 0.0:
        if q != lq_cache[0]:
            lq_cache[0] = q
            lq_cache[1] = 1.0 / math.log1p(-q)
        pos = start
        first = True
        while pos < end:
            st, x = next_u64(st)
            ux = to_unit_open0(x)
            if first:
                first = False
                if ux <= z0:
                    break
            gap = math.floor(math.log(ux) * lq_cache[1])
            if gap >= end - pos:
                break
            cand = pos + np.int64(gap)
            queue[np.uint64(k)] = indices[np.uint64(cand)]
            k += 1
            pos = cand + 1
    return k


@njit(**NJIT)
def _grown(queue, keep, need, most):
    """``queue`` with room for ``need`` entries (doubling, at most ``most``), its first
    ``keep`` entries kept."""
    if need <= queue.shape[0]:
        return queue
    out = np.empty(min(max(need, 2 * queue.shape[0]), most), dtype=queue.dtype)
    out[:keep] = queue[:keep]
    return out


@njit(inline="always", **NJIT)
def draw_root(wkey, n, cum_w, total_w):
    """Root of the RR set with world key ``wkey``.

    Uniform over ``0 .. n - 1`` when ``cum_w`` is empty, else node ``i`` with
    probability ``w_i / total_w`` (``cum_w`` = inclusive cumulative weights;
    zero-weight nodes are never drawn).
    """
    st = node_state(wkey, n)
    st, x = next_u64(st)
    u = to_unit(x)
    if cum_w.shape[0] == 0:
        r = np.int64(u * n)
        return r if r < n else n - 1
    t = u * total_w
    lo = 0
    hi = n - 1
    # first index with cum_w[idx] > t
    while lo < hi:
        mid = (lo + hi) >> 1
        if cum_w[mid] > t:
            hi = mid
        else:
            lo = mid + 1
    # float round-off at the top end: step back to the last positive weight
    while lo > 0 and (cum_w[lo] - (cum_w[lo - 1] if lo > 0 else 0.0)) <= 0.0:
        lo -= 1
    return lo


#: node numbers below this fit the 3-byte reverse indices of :class:`SplitIndices`
SPLIT_MAX_NODES = 1 << 24


@structref.register
class SplitIndicesType(types.StructRef):
    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(t)) for name, t in fields)


class SplitIndices(structref.StructRefProxy):
    """Node numbers below 2**24 in 3 bytes each: ``lo`` (uint16, the low 16 bits) and
    ``hi`` (uint8, the rest). Kernels index it like the int32 array it stands for
    (``x[e]`` is ``hi[e] << 16 | lo[e]``, an int32): the reverse CSR's indices in
    0.3 GB instead of 0.4 at 100M edges, read by the same sampling code."""

    def __new__(cls, lo, hi):
        return structref.StructRefProxy.__new__(cls, lo, hi)

    def __reduce__(self):
        # pickled as its two arrays (Ray's object store, multiprocessing), made again there
        return split_indices, _split_parts(self)

    @property
    def nbytes(self):
        """Bytes of the two arrays, as ``ndarray.nbytes`` counts them."""
        lo, hi = _split_parts(self)
        return lo.nbytes + hi.nbytes


structref.define_proxy(SplitIndices, SplitIndicesType, ["lo", "hi"])


@overload(operator.getitem)
def _split_getitem(obj, i):
    if isinstance(obj, SplitIndicesType) and isinstance(i, types.Integer):
        def impl(obj, i):
            return np.int32((np.int32(obj.hi[i]) << np.int32(16)) | np.int32(obj.lo[i]))

        return impl
    return None


@njit(**NJIT)
def _split_indices(lo, hi):
    return SplitIndices(lo, hi)


@njit(**NJIT)
def _split_parts(x):
    return x.lo, x.hi


def split_indices(lo, hi):
    """The :class:`SplitIndices` of ``lo`` and ``hi``, made in compiled code (no
    constructor compiled per process); with the JIT off (plain-Python kernels) the
    int32 array it stands for."""
    if numba.config.DISABLE_JIT:
        return (hi.astype(np.int32) << 16) | lo
    return _split_indices(lo, hi)


@njit(**NJIT)
def reverse_rows_split(indptr, indices, n):
    """``(rindptr, lo, hi)``: :func:`~viralsim._kernels.csr.transpose`'s row pointers and
    indices (a counting sort by follower, sources in increasing order) with int32 row
    pointers and each index in a uint16 and a uint8 (:class:`SplitIndices`), for
    fewer than 2**31 edges and :data:`SPLIT_MAX_NODES` nodes: 4 bytes per node and 3
    per edge instead of 8 and 4. The row pointers serve as fill pointers, as in the
    int64 one: no other scratch."""
    m = indices.shape[0]
    rindptr = np.zeros(n + 1, dtype=np.int32)
    for e in range(m):
        rindptr[indices[e] + 1] += 1
    for v in range(n):
        rindptr[v + 1] += rindptr[v]
    lo = np.empty(m, dtype=np.uint16)
    hi = np.empty(m, dtype=np.uint8)
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            k = rindptr[v]
            lo[k] = u & 0xFFFF
            hi[k] = u >> 16
            rindptr[v] = k + 1
    for v in range(n, 0, -1):  # rindptr[v] is now row v's end: shift to the starts
        rindptr[v] = rindptr[v - 1]
    rindptr[0] = 0
    return rindptr, lo, hi


@njit(**NJIT)
def max_degree(indptr):
    m = 0
    for u in range(indptr.shape[0] - 1):
        d = indptr[u + 1] - indptr[u]
        if d > m:
            m = d
    return m


@njit(**NJIT_PARALLEL)
def rr_generate(rindptr, rindices, rprobs, none_live, key, start, count, cum_w, total_w,
                mode, comment_prob, n_chunks, cap_per_chunk, out_members, out_sizes, done, used):
    """Generate RR sets ``start .. start + count - 1`` in ``n_chunks`` parallel blocks.

    ``mode`` says which live-edge model the sets sample:

    - ``MODE_IC``: every in-edge live independently with its probability
      (:func:`~viralsim._kernels.ic.draw_live` on the reverse CSR);
    - ``MODE_LT`` (linear threshold): node ``v`` keeps at most one in-edge,
      edge ``e`` with probability ``rprobs[e]`` (its normalised weight), none
      with the rest; one uniform from v's stream picks it by cumulative
      weight in row order. The set is a backward walk, stopped at a repeat;
    - ``MODE_IC_COMMENT`` (word of mouth with comment probability ``c``):
      in-edges as for IC, but the set grows past a node other than the root
      only if that node comments (probability ``c``, one uniform from its
      stream in ``world_key(key, i, DOMAIN_REVERSE_COMMENT)``): a seed
      always comments, anyone else relays only when they comment.

    ``mode | MODE_EXPOSURE``: the set of consumers whose seeding would make
    the root *see* the campaign (exposure: the root adopts, or someone it
    follows adopts and comments). Every in-edge of the root is taken (the
    root sees each comment of an account it follows, whatever the
    persuasion coin), and the set grows from those followees as above (a
    followee relays only when it comments; under LT, one backward walk from
    each, stopped at a node already in the set). In the same live-edge
    world, "some node of {root} ∪ followees adopts (and comments)" is
    exactly "a seed reaches one of them", so a seed set meets the set iff it
    exposes the root: ``n`` times the fraction of such sets met is an
    unbiased estimate of expected exposure (Borgs et al.'s argument with the
    root's row made certain).

    ``mode | MODE_ROW_PROBS``: ``rprobs`` has one probability per node (every
    in-edge of ``v`` has ``rprobs[v]``, float32 ``(n,)``) and ``none_live`` is not
    read (may be empty); the sets are those of the per-edge reverse CSR
    with the same probabilities, bit for bit.

    Scratch per block: one byte per node (marks, cleared after each set) and a
    queue grown as sets need it (at most ``n`` plus the largest in-degree).

    Parameters
    ----------
    rindptr, rindices, rprobs : reverse CSR (in-edges), rows by decreasing probability
        (or, with ``MODE_ROW_PROBS``, one probability per row).
    none_live : float64 (n,), ``skip_row_none_live(rindptr, rprobs)`` (tables for
        :func:`~viralsim._kernels.ic.draw_live`; same live edges as ``expand_node``);
        not read with ``MODE_ROW_PROBS``.
    key : uint64 user key.
    start, count : int64, the RR indices to make.
    cum_w, total_w : root weights (empty array for uniform roots).
    n_chunks, cap_per_chunk : block ``c`` makes indices ``[count*c//n_chunks,
        count*(c+1)//n_chunks)`` and writes their members, in index order, to
        ``out_members[c*cap_per_chunk : (c+1)*cap_per_chunk]``.
    out_members : int32 (n_chunks * cap_per_chunk,).
    out_sizes : int64 (count,), size of each set made.
    done, used : int64 (n_chunks,): sets completed and members written per
        block. A block stops early (``done[c]`` short of its share) when its
        region is full; the caller makes the rest in another call.
    """
    n = rindptr.shape[0] - 1
    maxd = max_degree(rindptr)
    most = n + maxd  # a set of every node and a row of candidates past it
    expo = (mode & MODE_EXPOSURE) != 0
    per_row = (mode & MODE_ROW_PROBS) != 0
    base_mode = mode & ~(MODE_EXPOSURE | MODE_ROW_PROBS)
    for c in prange(n_chunks):
        lo = count * c // n_chunks
        hi = count * (c + 1) // n_chunks
        stamp = np.zeros(n, dtype=np.uint8)  # marks of the set being made, cleared after it
        mark = np.uint8(1)
        # expand_node uses scratch past the tail: grown before any row could overflow it
        queue = np.empty(min(_QUEUE_START + maxd, most), dtype=np.int32)
        flags = np.empty(max(maxd, 1), dtype=np.uint8)
        lq_cache = np.array([-1.0, 0.0])
        zcache = np.full((3, _Z_SLOTS if per_row else 1), -1.0)
        base = c * cap_per_chunk
        pos = 0
        i = lo
        while i < hi:
            wkey = world_key(key, start + i, DOMAIN_REVERSE)
            root = draw_root(wkey, n, cum_w, total_w)
            stamp[root] = mark
            queue[0] = root
            tail = 1
            head = 0
            if base_mode == MODE_LT:
                if expo:  # every followee of the root starts a walk of its own
                    queue = _grown(queue, tail, tail + rindptr[root + 1] - rindptr[root], most)
                    for e in range(rindptr[root], rindptr[root + 1]):
                        u = rindices[e]
                        if stamp[u] != mark:
                            stamp[u] = mark
                            queue[tail] = u
                            tail += 1
                n_starts = tail
                for s in range(n_starts):
                    v = queue[s]
                    while True:
                        _, x = next_u64(node_state(wkey, v))
                        t = to_unit(x)
                        acc = 0.0
                        nxt = -1
                        for e in range(rindptr[v], rindptr[v + 1]):
                            acc += np.float64(rprobs[v if per_row else e])
                            if t < acc:
                                nxt = rindices[e]
                                break
                        if nxt < 0 or stamp[nxt] == mark:
                            break
                        stamp[nxt] = mark
                        queue = _grown(queue, tail, tail + 1, most)
                        queue[tail] = nxt
                        tail += 1
                        v = nxt
            else:
                ckey = world_key(key, start + i, DOMAIN_REVERSE_COMMENT)
                # level by level: live in-edges pile up in queue[tail:k] and the
                # new members are kept once per level, in first-come order (the
                # order of a node-by-node breadth-first search)
                while head < tail:
                    level_end = tail
                    k = tail
                    for qi in range(head, level_end):
                        v = np.uint64(queue[np.uint64(qi)])  # unsigned: no wraparound code
                        if base_mode == MODE_IC_COMMENT and qi > 0:
                            _, cx = next_u64(node_state(ckey, v))
                            if not to_unit(cx) < comment_prob:
                                continue
                        d = rindptr[v + np.uint64(1)] - rindptr[v]
                        # keeping the fresh candidates early (make_room) leaves the same
                        # members in the same order: only a set of nearly every node grows
                        # the queue
                        tail, k = make_room(queue, tail, k, d, stamp, mark)
                        queue = _grown(queue, k, k + d, most)
                        if expo and qi == 0:  # the root sees every followee's comment
                            for e in range(rindptr[v], rindptr[v + np.uint64(1)]):
                                queue[k] = rindices[e]
                                k += 1
                        elif per_row:
                            k = draw_live_row(rindptr, rindices, rprobs, v, wkey, queue, k,
                                              lq_cache, zcache)
                        else:
                            k = draw_live(rindptr, rindices, rprobs, v, wkey, queue, k,
                                          lq_cache, none_live, flags, True)
                    tail = keep_fresh(queue, tail, k, stamp, mark)
                    head = level_end
            for j in range(tail):
                stamp[queue[j]] = 0
            if pos + tail > cap_per_chunk:
                break
            for j in range(tail):
                out_members[np.uint64(base + pos + j)] = queue[np.uint64(j)]
            out_sizes[i] = tail
            pos += tail
            i += 1
        done[c] = i - lo
        used[c] = pos


_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@njit(inline="always", **NJIT)
def _popcount(x):
    """Set bits of the uint64 ``x`` (SWAR), as uint64."""
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return (x * _H01) >> np.uint64(56)


@njit(inline="always", **NJIT)
def place_of(bits, ranks, u):
    """Place of node ``u`` in ``active`` (:func:`active_nodes`): the active nodes before
    it, ``ranks`` of its 64-node word plus the set bits below it in the word."""
    uu = np.uint64(u)
    w = uu >> np.uint64(6)
    below = bits[w] & ((np.uint64(1) << (uu & np.uint64(63))) - np.uint64(1))
    return np.int64(ranks[w]) + np.int64(_popcount(below))


@njit(**NJIT)
def active_nodes(members, n):
    """``(bits, ranks, active)``: ``active`` (int32, increasing) the nodes in some set;
    ``bits`` (uint64, one bit per node) marks them and ``ranks`` (int32, one per
    64-node word of ``bits``) counts those before each word, so that
    :func:`place_of` gives a node's place in ``active`` (1.1 bits per node of the
    graph; an int32 place per node was 32). Greedy and the inverted index run over
    ``active`` alone when it is much smaller than ``n`` (few sets on a large graph):
    memory per node in some set instead of per node of the graph."""
    nw = (n + 63) >> 6
    bits = np.zeros(nw, dtype=np.uint64)
    for j in range(members.shape[0]):
        v = np.uint64(members[j])
        bits[v >> np.uint64(6)] |= np.uint64(1) << (v & np.uint64(63))
    ranks = np.empty(nw, dtype=np.int32)
    na = 0
    for w in range(nw):
        ranks[w] = na
        na += np.int64(_popcount(bits[w]))
    active = np.empty(na, dtype=np.int32)
    i = 0
    for v in range(n):
        uv = np.uint64(v)
        if (bits[uv >> np.uint64(6)] >> (uv & np.uint64(63))) & np.uint64(1):
            active[i] = v
            i += 1
    return bits, ranks, active


@njit(**NJIT_PARALLEL)
def invert_where(offsets, members, bits, ranks, n, n_chunks):
    """:func:`invert` with members renumbered to their places in ``active``
    (:func:`place_of`; empty ``bits`` keeps the numbers): the index of place ``j``
    lists the sets of ``active[j]``."""
    ident = bits.shape[0] == 0
    n_sets = offsets.shape[0] - 1
    n_chunks = max(1, min(n_chunks, n_sets))
    cnt = np.zeros((n_chunks, n), dtype=np.int64)  # a row per block: no false sharing
    for c in prange(n_chunks):
        a = offsets[n_sets * c // n_chunks]
        b = offsets[n_sets * (c + 1) // n_chunks]
        for j in range(a, b):
            v = np.int64(members[j]) if ident else place_of(bits, ranks, members[j])
            cnt[c, v] += 1
    # node v's list is its block-c entries for c = 0, 1, ... (sets in order)
    node_ptr = np.empty(n + 1, dtype=np.int64)
    pos = 0
    for v in range(n):
        node_ptr[v] = pos
        for c in range(n_chunks):
            t = cnt[c, v]
            cnt[c, v] = pos
            pos += t
    node_ptr[n] = pos
    node_sets = np.empty(members.shape[0], dtype=np.int32)
    for c in prange(n_chunks):
        for s in range(n_sets * c // n_chunks, n_sets * (c + 1) // n_chunks):
            for j in range(offsets[s], offsets[s + 1]):
                v = np.int64(members[j]) if ident else place_of(bits, ranks, members[j])
                node_sets[cnt[c, v]] = s
                cnt[c, v] += 1
    return node_ptr, node_sets


_SAME = np.zeros(0, dtype=np.int32)
_NO_BITS = np.zeros(0, dtype=np.uint64)


def invert(offsets, members, n, n_chunks=1):
    """Node -> RR sets index: ``(node_ptr int64 (n+1,), node_sets int32)``.

    Sets of each node are listed in increasing set index. ``n_chunks``
    blocks of sets are counted and filled in parallel (a counting sort with
    one count per node and block: ``8 n n_chunks`` bytes of scratch); the
    result does not depend on ``n_chunks``.
    """
    return invert_where(offsets, members, _NO_BITS, _SAME, n, n_chunks)


# ------------------------------------------------------------------ a max-heap of (score, node)
@njit(inline="always", **NJIT)
def _before(ka, na, kb, nb):
    """Heap order: larger score first, then smaller node index."""
    return ka > kb or (ka == kb and na < nb)


@njit(**NJIT)
def heap_push(keys, nodes, size, k, v):
    i = size
    keys[i] = k
    nodes[i] = v
    while i > 0:
        p = (i - 1) >> 1
        if _before(keys[i], nodes[i], keys[p], nodes[p]):
            keys[i], keys[p] = keys[p], keys[i]
            nodes[i], nodes[p] = nodes[p], nodes[i]
            i = p
        else:
            break
    return size + 1


@njit(**NJIT)
def heap_pop(keys, nodes, size):
    """Remove the top; returns (key, node, new_size)."""
    k = keys[0]
    v = nodes[0]
    size -= 1
    keys[0] = keys[size]
    nodes[0] = nodes[size]
    i = 0
    while True:
        a = 2 * i + 1
        b = a + 1
        best = i
        if a < size and _before(keys[a], nodes[a], keys[best], nodes[best]):
            best = a
        if b < size and _before(keys[b], nodes[b], keys[best], nodes[best]):
            best = b
        if best == i:
            break
        keys[i], keys[best] = keys[best], keys[i]
        nodes[i], nodes[best] = nodes[best], nodes[i]
        i = best
    return k, v, size


@njit(**NJIT)
def _top_sum(deg, picked, k):
    """Sum of the k largest ``deg`` over nodes not picked (a size-k min-heap)."""
    if k <= 0:
        return 0.0
    h = np.zeros(k, dtype=np.float64)
    size = 0
    for v in range(deg.shape[0]):
        if picked[v]:
            continue
        x = np.float64(deg[v])
        if size < k:
            i = size
            h[i] = x
            size += 1
            while i > 0:
                p = (i - 1) >> 1
                if h[i] < h[p]:
                    h[i], h[p] = h[p], h[i]
                    i = p
                else:
                    break
        elif x > h[0]:
            h[0] = x
            i = 0
            while True:
                a = 2 * i + 1
                b = a + 1
                m = i
                if a < size and h[a] < h[m]:
                    m = a
                if b < size and h[b] < h[m]:
                    m = b
                if m == i:
                    break
                h[i], h[m] = h[m], h[i]
                i = m
    return h[:size].sum()


def greedy_cover(offsets, members, node_ptr, node_sets, n, k, costs, budget, ratio, upper):
    """Greedy maximum coverage with lazy evaluation (deterministic tie-breaking).

    Picks, one at a time, the node covering the most not-yet-covered sets
    (``ratio``: the most per unit cost), among nodes whose cost fits the budget
    left, until ``k`` picks or nothing fits. Ties go to the smaller node index,
    exactly as a full scan with ``argmax`` would.

    Parameters
    ----------
    costs : float64 (n,) or empty (unit costs).
    budget : float, ``inf`` for a pure cardinality constraint.
    ratio : bool, rank by gain / cost instead of gain.
    upper : bool, also compute OPIM-C's upper bound on the best coverage of
        any ``k`` nodes: ``min_j (cov(S_j) + sum of the k largest marginal
        coverages w.r.t. S_j)`` over the greedy prefixes ``S_0 .. S_k``.

    Returns
    -------
    seeds : int32 (<= k,), in pick order.
    gains : int64, sets newly covered by each pick.
    bound : float, the upper bound (``inf`` unless ``upper``).

    :func:`greedy_cover_where` is the same greedy over an index of the nodes in
    some set (:func:`active_nodes`).
    """
    return greedy_cover_where(offsets, members, node_ptr, node_sets, _NO_BITS, _SAME, _SAME,
                              n, k, costs, budget, ratio, upper)


@njit(**NJIT)
def greedy_cover_where(offsets, members, node_ptr, node_sets, bits, ranks, active, n, k,
                       costs, budget, ratio, upper):
    """:func:`greedy_cover` with the index over the nodes ``active`` (:func:`active_nodes`;
    empty: over all ``n`` nodes). ``members`` are node numbers turned into places in
    ``active`` by ``bits`` and ``ranks`` (:func:`place_of`), or (``bits`` empty)
    already places in ``active``, or node numbers when ``active`` is empty.

    The heap holds the nodes covering some set. Once none covers a new set, every
    node scores 0 and the rest go by node index, as the full heap would give them:
    the same picks, gains and bound as :func:`greedy_cover` over all nodes.
    """
    n_sets = offsets.shape[0] - 1
    if n_sets >= 2**31:
        raise ValueError("greedy over 2**31 RR sets or more: counts are int32")
    ident = active.shape[0] == 0
    remap = bits.shape[0] > 0
    na = node_ptr.shape[0] - 1
    deg = np.empty(na, dtype=np.int32)  # sets of each node not yet covered, < 2**31
    for j in range(na):
        deg[j] = node_ptr[j + 1] - node_ptr[j]
    covered = np.zeros(n_sets, dtype=np.bool_)
    picked = np.zeros(na, dtype=np.bool_)
    unit = costs.shape[0] == 0
    n_heap = 0
    for j in range(na):
        v = j if ident else active[j]
        if deg[j] > 0 and (1.0 if unit else costs[v]) <= budget:
            n_heap += 1
    keys = np.empty(n_heap + 1, dtype=np.float64)
    nodes = np.empty(n_heap + 1, dtype=np.int32)  # places, < 2**31
    size = 0
    for j in range(na):
        v = j if ident else active[j]
        c = 1.0 if unit else costs[v]
        if deg[j] > 0 and c <= budget:
            sc = np.float64(deg[j]) / c if ratio else np.float64(deg[j])
            size = heap_push(keys, nodes, size, sc, j)
    seeds = np.empty(k, dtype=np.int32)
    gains = np.empty(k, dtype=np.int64)
    left = budget
    npick = 0
    cov = 0
    bound = np.inf
    if upper:
        bound = _top_sum(deg, picked, k)
    while npick < k and size > 0:
        sc, j, size = heap_pop(keys, nodes, size)
        v = j if ident else active[j]
        c = 1.0 if unit else costs[v]
        if c > left:
            continue  # budgets only shrink: never affordable again
        cur = np.float64(deg[j]) / c if ratio else np.float64(deg[j])
        if cur != sc:
            size = heap_push(keys, nodes, size, cur, j)
            continue
        if deg[j] == 0:
            break  # every score is 0 now: the rest by node index, below
        seeds[npick] = v
        gains[npick] = deg[j]
        picked[j] = True
        npick += 1
        left -= c
        cov += deg[j]
        for i in range(node_ptr[j], node_ptr[j + 1]):
            s = node_sets[i]
            if not covered[s]:
                covered[s] = True
                for t in range(offsets[s], offsets[s + 1]):
                    u = members[t]
                    deg[place_of(bits, ranks, u) if remap else np.int64(u)] -= 1
        if upper:
            b = cov + _top_sum(deg, picked, k)
            if b < bound:
                bound = b
    # nothing covers a new set: nodes not picked yet, by index, while they fit (the
    # order in which the full heap pops nodes of score 0)
    p = 0
    for v in range(n):
        if npick >= k:
            break
        j = v
        if not ident:  # v's place in active, -1 if in no set
            while p < na and active[p] < v:
                p += 1
            j = p if p < na and active[p] == v else -1
        if j >= 0 and picked[j]:
            continue
        c = 1.0 if unit else costs[v]
        if c > left:
            continue
        seeds[npick] = v
        gains[npick] = 0
        if j >= 0:
            picked[j] = True
        npick += 1
        left -= c
        if upper:  # nodes over the budget may still cover new sets
            b = cov + _top_sum(deg, picked, k)
            if b < bound:
                bound = b
    return seeds[:npick], gains[:npick], bound


@njit(**NJIT_PARALLEL)
def coverage(offsets, members, n, seeds, n_chunks):
    """Number of sets holding at least one of ``seeds``."""
    n_sets = offsets.shape[0] - 1
    is_seed = np.zeros(n, dtype=np.bool_)
    for s in seeds:
        is_seed[s] = True
    part = np.zeros(n_chunks, dtype=np.int64)
    for c in prange(n_chunks):
        lo = n_sets * c // n_chunks
        hi = n_sets * (c + 1) // n_chunks
        tot = 0
        for s in range(lo, hi):
            for j in range(offsets[s], offsets[s + 1]):
                if is_seed[members[j]]:
                    tot += 1
                    break
        part[c] = tot
    return part.sum()
