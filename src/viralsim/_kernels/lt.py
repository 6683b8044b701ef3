"""Linear-threshold kernels on fixed worlds, in live-edge form (Kempe, Kleinberg & Tardos 2003).

Each follower ``v`` splits [0, 1) into consecutive intervals, one per in-edge
``(u, v)`` of length ``b(u, v)`` (the in-weights, summing to at most 1), in
the order of the edges in the graph's CSR arrays; the rest of [0, 1) means
"no in-edge". World ``r`` gives ``v`` one uniform
``U_v = to_unit(node_state(world_key(key, r, DOMAIN_THRESHOLD), v))``, a
pure function of ``(key, r, v)``, and the in-edge whose interval holds
``U_v`` is v's one live in-edge. In round ``t`` the adopters of round
``t - 1`` comment, and a follower ``v`` not yet adopted adopts in round ``t``
iff its live in-edge comes from one of them.

This is LT itself, not an approximation: a threshold ``theta_v`` uniform on
[0, 1) and the pressure rule "adopt once the in-weights of adopted
neighbours exceed theta_v" give the same distribution of adopters round by
round as the live-edge choice above (Kempe et al. 2003, Claim 2.6). The
live-edge form costs one hash and two comparisons per comment view, with no
per-follower pressure to read and write.

The interval endpoints are the running sums of the in-weights in float64,
stored as float32 (:func:`lt_intervals`): adjacent intervals share their
endpoint exactly, an edge of weight 0 is never live and a weight-1 edge is
always live; other probabilities are exact to float32 rounding (about 3e-8).
"""

import numpy as np
from numba import njit, prange

from .config import NJIT, NJIT_PARALLEL
from .ic import keep_fresh
from .rng import DOMAIN_THRESHOLD, node_state, to_unit, world_key
from .timeline import accumulate, close_round, open_world, used_columns


@njit(**NJIT)
def lt_intervals(indptr, indices, weights):
    """Per edge (CSR order): ``(lo, hi)`` float32, its interval among its follower's in-edges.

    Follower ``v``'s in-edges take consecutive intervals in CSR order, starting
    at 0: ``hi`` of one in-edge is ``lo`` of v's next one, bit for bit.
    """
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    run = np.zeros(n, dtype=np.float64)
    lo = np.empty(m, dtype=np.float32)
    hi = np.empty(m, dtype=np.float32)
    for e in range(m):
        v = indices[e]
        lo[e] = np.float32(run[v])
        run[v] += weights[e]
        hi[e] = np.float32(run[v])
    return lo, hi


@njit(inline="always", **NJIT)
def lt_uniform(hkey, v):
    """``U_v`` of the world with threshold key ``hkey``."""
    return to_unit(node_state(hkey, v))


@njit(inline="always", **NJIT)
def lt_one_world(indptr, indices, lo, hi, seeds, key, world, max_rounds, segw, has_seg,
                 track_exposure, stamp, seen, mark, queue, bucket):
    """One LT cascade; same returns and ``bucket`` layout as ``wom_one_world``.

    ``stamp[v] == mark`` marks v as adopted, ``seen[v] == mark`` as having
    seen a comment (with ``track_exposure``). ``queue`` has room for
    ``n + max degree`` entries (candidates are written before filtering).
    """
    hkey = world_key(key, world, DOMAIN_THRESHOLD)
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
            u = queue[qi]
            start = indptr[u]
            end = indptr[u + 1]
            ri += end - start
            if k + (end - start) > queue.shape[0]:
                tail = keep_fresh(queue, tail, k, stamp, mark)
                k = tail
            if track_exposure:
                for e in range(start, end):
                    v = indices[e]
                    x = lt_uniform(hkey, v)
                    queue[k] = v
                    k += (np.float64(lo[e]) <= x) & (x < np.float64(hi[e]))
                    expo += seen[v] != mark
                    seen[v] = mark
            else:
                for e in range(start, end):
                    v = indices[e]
                    x = lt_uniform(hkey, v)
                    queue[k] = v
                    k += (np.float64(lo[e]) <= x) & (x < np.float64(hi[e]))
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
    max_deg = 0
    for u in range(n):
        max_deg = max(max_deg, indptr[u + 1] - indptr[u])
    for ch in prange(n_chunks):
        lo_w = n_worlds * ch // n_chunks
        hi_w = n_worlds * (ch + 1) // n_chunks
        stamp = np.zeros(n, dtype=np.int32)
        seen = np.zeros(n if track_exposure else 1, dtype=np.int32)
        queue = np.empty(n + max_deg, dtype=np.int32)
        bucket = np.zeros((4, tl_len), dtype=np.int64)
        vis_total = 0
        for w in range(lo_w, hi_w):
            mark = np.int32(w - lo_w + 1)
            r, x, nc, ni, sg, used = lt_one_world(
                indptr, indices, lo, hi, seeds, key, world_start + w, max_rounds, segw,
                has_seg, track_exposure, stamp, seen, mark, queue, bucket,
            )
            out_reach[w] = r
            out_exposure[w] = x
            out_comments[w] = nc
            out_impressions[w] = ni
            out_segment[w] = sg
            vis_total += ni
            accumulate(tl_sum, tl_sumsq, ch, bucket, used)
        visits[ch] = vis_total
