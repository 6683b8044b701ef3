"""Linear-threshold kernels on fixed worlds, in live-edge form (Kempe, Kleinberg & Tardos 2003).

Each follower ``v`` splits [0, 1) into consecutive intervals, one per in-edge
``(u, v)`` of length ``b(u, v)`` (the in-weights, summing to at most 1), in
the order of the edges in the graph's CSR arrays; the rest of [0, 1) means
"no in-edge". World ``r`` gives ``v`` one uniform, a pure function of
``(key, r, v)``, and the in-edge whose interval holds it is v's one live
in-edge. In round ``t`` the adopters of round ``t - 1`` comment, and a
follower ``v`` not yet adopted adopts in round ``t`` iff its live in-edge
comes from one of them.

This is LT itself, not an approximation: a threshold ``theta_v`` uniform on
[0, 1) and the pressure rule "adopt once the in-weights of adopted
neighbours exceed theta_v" give the same distribution of adopters round by
round as the live-edge choice above (Kempe et al. 2003, Claim 2.6). The
live-edge form costs one uniform and two comparisons per comment view, with
no per-follower pressure to read and write.

Exactly, on a grid of 2**-31: the uniform is the integer
``U_v = node_state(world_key(key, r, DOMAIN_THRESHOLD), v) >> 33`` (31
bits) and edge ``e`` is v's live in-edge iff ``lo[e] <= U_v < hi[e]``, where
``lo``/``hi`` are the running sums of v's in-weights (float64, in CSR order)
times ``2**31``, rounded half up and capped at ``2**31`` (:func:`lt_intervals`).
Adjacent intervals share their endpoint, so at most one in-edge is live; a
weight-0 edge is never live, a weight-1 edge always is, and every other
probability is exact to ``2**-31``.
"""

import numpy as np
from numba import njit, prange

from .config import NJIT, NJIT_PARALLEL
from .ic import keep_fresh, make_room
from .prefetch import prefetch_rows
from .rng import DOMAIN_THRESHOLD, node_state, world_key
from .rr import max_degree
from .timeline import close_round, open_world, record_world, used_columns

#: the uniforms and interval ends live on a grid of 2**-31
SCALE = 2147483648.0
S33 = np.uint64(33)


@njit(**NJIT)
def lt_intervals(indptr, indices, weights):
    """Per edge (CSR order): ``(lo, hi)`` uint32, its interval among its follower's in-edges.

    Follower ``v``'s in-edges take consecutive intervals in CSR order, starting
    at 0, on the 2**-31 grid: ``hi`` of one in-edge is ``lo`` of v's next one.
    """
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    run = np.zeros(n, dtype=np.float64)
    lo = np.empty(m, dtype=np.uint32)
    hi = np.empty(m, dtype=np.uint32)
    for e in range(m):
        v = indices[e]
        lo[e] = _grid(run[v])
        run[v] += weights[e]
        hi[e] = _grid(run[v])
    return lo, hi


@njit(inline="always", **NJIT)
def _grid(c):
    """``c * 2**31`` rounded half up, capped at ``2**31``."""
    return np.uint32(min(np.floor(c * SCALE + 0.5), SCALE))


@njit(inline="always", **NJIT)
def lt_uniform(hkey, v):
    """``U_v`` (31 bits) of the world with threshold key ``hkey``."""
    return np.uint32(node_state(hkey, v) >> S33)


@njit(inline="always", **NJIT)
def lt_one_world(indptr, indices, lo, hi, seeds, key, world, max_rounds, segw, has_seg,
                 track_exposure, stamp, seen, mark, queue, bucket, ubuf, use_table):
    """One LT cascade; same returns and ``bucket`` layout as ``wom_one_world``.

    ``stamp[v] == mark`` marks v as adopted, ``seen[v] == mark`` as having
    seen a comment (with ``track_exposure``). ``queue`` has room for
    ``n + max degree`` entries (candidates are written before filtering).
    With ``use_table`` every ``U_v`` is drawn up front into ``ubuf`` (uint32,
    n; one vectorisable pass) and read per comment view instead of hashed:
    the same uniforms, cheaper when the views outnumber the nodes.
    """
    hkey = world_key(key, world, DOMAIN_THRESHOLD)
    if use_table:
        for v in range(ubuf.shape[0]):
            ubuf[np.uint64(v)] = lt_uniform(hkey, v)
    tail = 0
    seg = 0.0
    for s in seeds:
        stamp[s] = mark
        if track_exposure:
            seen[s] = mark
        queue[tail] = s
        tail += 1
        if has_seg:
            seg += segw[s]
    expo = tail
    open_world(bucket, tail)
    head = 0
    rnd = 0
    n_com = 0
    n_imp = 0
    while head < tail and (max_rounds < 0 or rnd < max_rounds):
        round_end = tail
        ri = 0
        expo0 = expo
        k = tail
        for qi in range(head, round_end):
            prefetch_rows(indptr, queue, qi, round_end, indices, lo, hi)  # a hint only
            u = np.uint64(queue[np.uint64(qi)])  # unsigned: no wraparound code
            start = indptr[u]
            end = indptr[u + np.uint64(1)]
            ri += end - start
            tail, k = make_room(queue, tail, k, end - start, stamp, mark)
            # four copies of one loop on purpose: with the two choices made
            # inside one loop it runs 3-4% slower (LLVM does not split it)
            if use_table and track_exposure:
                for e in range(start, end):
                    eu = np.uint64(e)  # unsigned indices: no negative-index wraparound code
                    v = np.uint64(indices[eu])
                    x = ubuf[v]
                    queue[np.uint64(k)] = v
                    k += (lo[eu] <= x) & (x < hi[eu])
                    expo += seen[v] != mark
                    seen[v] = mark
            elif use_table:
                for e in range(start, end):
                    eu = np.uint64(e)
                    v = np.uint64(indices[eu])
                    x = ubuf[v]
                    queue[np.uint64(k)] = v
                    k += (lo[eu] <= x) & (x < hi[eu])
            elif track_exposure:
                for e in range(start, end):
                    eu = np.uint64(e)
                    v = np.uint64(indices[eu])
                    x = lt_uniform(hkey, v)
                    queue[np.uint64(k)] = v
                    k += (lo[eu] <= x) & (x < hi[eu])
                    expo += seen[v] != mark
                    seen[v] = mark
            else:
                for e in range(start, end):
                    eu = np.uint64(e)
                    v = np.uint64(indices[eu])
                    x = lt_uniform(hkey, v)
                    queue[np.uint64(k)] = v
                    k += (lo[eu] <= x) & (x < hi[eu])
        # once per round: a follower has one live in-edge, so only a seed comes twice
        tail = keep_fresh(queue, tail, k, stamp, mark)
        rc = round_end - head
        n_com += rc
        n_imp += ri
        if has_seg:
            for qi in range(round_end, tail):
                seg += segw[queue[qi]]
        head = round_end
        rnd += 1
        close_round(bucket, rnd, tail - round_end, rc, ri,
                    (expo - expo0) if track_exposure else (tail - round_end))
    if not track_exposure:
        expo = tail
    return tail, expo, n_com, n_imp, seg, used_columns(bucket, rnd)


@njit(**NJIT_PARALLEL)
def lt_worlds(indptr, indices, lo, hi, seeds, key, world_start, n_worlds, max_rounds,
              segw, has_seg, track_exposure, out_reach, out_exposure, out_comments,
              out_impressions, out_segment, tl_sum, tl_sumsq, visits):
    """Run the LT cascade in worlds ``world_start .. world_start + n_worlds - 1``.

    Parameters are those of :func:`viralsim._kernels.wom.wom_worlds` with the
    in-edge intervals ``lo, hi`` of :func:`lt_intervals` in place of the
    probabilities and the word-of-mouth parameters. Every adopter comments.

    Notes
    -----
    Cost per world: every out-edge of every adopter, one hash and two
    comparisons each (plus a mark per viewer with exposure). Chunks of worlds
    run in parallel with per-chunk scratch; results are bit-identical for any
    thread count.
    """
    n = indptr.shape[0] - 1
    n_chunks = tl_sum.shape[0]
    tl_len = tl_sum.shape[2]
    max_deg = max_degree(indptr)
    for ch in prange(n_chunks):
        lo_w = n_worlds * ch // n_chunks
        hi_w = n_worlds * (ch + 1) // n_chunks
        stamp = np.zeros(n, dtype=np.int32)
        seen = np.zeros(n if track_exposure else 1, dtype=np.int32)
        queue = np.empty(n + max_deg, dtype=np.int32)
        ubuf = np.empty(n, dtype=np.uint32)
        bucket = np.zeros((4, tl_len), dtype=np.int64)
        vis_total = 0
        for w in range(lo_w, hi_w):
            mark = np.int32(w - lo_w + 1)
            # draw all uniforms up front once the views of the worlds so far
            # average over half the nodes (the outcome is the same either way)
            use_table = w > lo_w and 2 * vis_total > n * (w - lo_w)
            res = lt_one_world(
                indptr, indices, lo, hi, seeds, key, world_start + w, max_rounds, segw,
                has_seg, track_exposure, stamp, seen, mark, queue, bucket, ubuf, use_table,
            )
            vis_total += record_world(w, ch, res, bucket, out_reach, out_exposure, out_comments,
                                      out_impressions, out_segment, tl_sum, tl_sumsq)
        visits[ch] = vis_total
