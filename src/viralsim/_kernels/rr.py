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
"""

import numpy as np
from numba import njit, prange

from .config import NJIT, NJIT_PARALLEL
from .ic import draw_live, keep_fresh, make_room
from .rng import DOMAIN_REVERSE, DOMAIN_REVERSE_COMMENT, next_u64, node_state, to_unit, world_key

#: how an RR set grows backwards from a node (see rr_generate)
MODE_IC = 0
MODE_LT = 1
MODE_IC_COMMENT = 2
#: flag or-ed into a mode: the set of an *exposure* root (see rr_generate)
MODE_EXPOSURE = 4


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

    Parameters
    ----------
    rindptr, rindices, rprobs : reverse CSR (in-edges), rows by decreasing probability.
    none_live : float64 (n,), ``skip_row_none_live(rindptr, rprobs)`` (tables for
        :func:`~viralsim._kernels.ic.draw_live`; same live edges as ``expand_node``).
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
    expo = (mode & MODE_EXPOSURE) != 0
    base_mode = mode & ~MODE_EXPOSURE
    for c in prange(n_chunks):
        lo = count * c // n_chunks
        hi = count * (c + 1) // n_chunks
        stamp = np.zeros(n, dtype=np.int32)
        queue = np.empty(n + maxd, dtype=np.int32)  # expand_node uses scratch past the tail
        flags = np.empty(max(maxd, 1), dtype=np.uint8)
        lq_cache = np.array([-1.0, 0.0])
        base = c * cap_per_chunk
        pos = 0
        i = lo
        while i < hi:
            wkey = world_key(key, start + i, DOMAIN_REVERSE)
            mark = np.int32(i - lo + 1)
            root = draw_root(wkey, n, cum_w, total_w)
            stamp[root] = mark
            queue[0] = root
            tail = 1
            head = 0
            if base_mode == MODE_LT:
                if expo:  # every followee of the root starts a walk of its own
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
                            acc += np.float64(rprobs[e])
                            if t < acc:
                                nxt = rindices[e]
                                break
                        if nxt < 0 or stamp[nxt] == mark:
                            break
                        stamp[nxt] = mark
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
                        tail, k = make_room(queue, tail, k, rindptr[v + np.uint64(1)] - rindptr[v],
                                            stamp, mark)
                        if expo and qi == 0:  # the root sees every followee's comment
                            for e in range(rindptr[v], rindptr[v + np.uint64(1)]):
                                queue[k] = rindices[e]
                                k += 1
                        else:
                            k = draw_live(rindptr, rindices, rprobs, v, wkey, queue, k,
                                          lq_cache, none_live, flags, True)
                    tail = keep_fresh(queue, tail, k, stamp, mark)
                    head = level_end
            if pos + tail > cap_per_chunk:
                break
            for j in range(tail):
                out_members[np.uint64(base + pos + j)] = queue[np.uint64(j)]
            out_sizes[i] = tail
            pos += tail
            i += 1
        done[c] = i - lo
        used[c] = pos


@njit(**NJIT_PARALLEL)
def invert(offsets, members, n, n_chunks=1):
    """Node -> RR sets index: ``(node_ptr int64 (n+1,), node_sets int32)``.

    Sets of each node are listed in increasing set index. ``n_chunks``
    blocks of sets are counted and filled in parallel (a counting sort with
    one count per node and block: ``8 n n_chunks`` bytes of scratch); the
    result does not depend on ``n_chunks``.
    """
    n_sets = offsets.shape[0] - 1
    n_chunks = max(1, min(n_chunks, n_sets))
    cnt = np.zeros((n_chunks, n), dtype=np.int64)  # a row per block: no false sharing
    for c in prange(n_chunks):
        a = offsets[n_sets * c // n_chunks]
        b = offsets[n_sets * (c + 1) // n_chunks]
        for j in range(a, b):
            cnt[c, members[j]] += 1
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
                v = members[j]
                node_sets[cnt[c, v]] = s
                cnt[c, v] += 1
    return node_ptr, node_sets


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


@njit(**NJIT)
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
    """
    n_sets = offsets.shape[0] - 1
    deg = np.empty(n, dtype=np.int64)
    for v in range(n):
        deg[v] = node_ptr[v + 1] - node_ptr[v]
    covered = np.zeros(n_sets, dtype=np.bool_)
    picked = np.zeros(n, dtype=np.bool_)
    unit = costs.shape[0] == 0
    keys = np.empty(n + 1, dtype=np.float64)
    nodes = np.empty(n + 1, dtype=np.int64)
    size = 0
    for v in range(n):
        c = 1.0 if unit else costs[v]
        if c <= budget:
            sc = np.float64(deg[v]) / c if ratio else np.float64(deg[v])
            size = heap_push(keys, nodes, size, sc, v)
    seeds = np.empty(k, dtype=np.int32)
    gains = np.empty(k, dtype=np.int64)
    left = budget
    npick = 0
    cov = 0
    bound = np.inf
    if upper:
        bound = _top_sum(deg, picked, k)
    while npick < k and size > 0:
        sc, v, size = heap_pop(keys, nodes, size)
        c = 1.0 if unit else costs[v]
        if c > left:
            continue  # budgets only shrink: never affordable again
        cur = np.float64(deg[v]) / c if ratio else np.float64(deg[v])
        if cur != sc:
            size = heap_push(keys, nodes, size, cur, v)
            continue
        seeds[npick] = v
        gains[npick] = deg[v]
        picked[v] = True
        npick += 1
        left -= c
        cov += deg[v]
        for j in range(node_ptr[v], node_ptr[v + 1]):
            s = node_sets[j]
            if not covered[s]:
                covered[s] = True
                for t in range(offsets[s], offsets[s + 1]):
                    deg[members[t]] -= 1
        if upper:
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
