"""Linear-threshold kernels on fixed worlds (Kempe, Kleinberg & Tardos 2003).

World ``r`` gives every node ``v`` a threshold
``theta_v = to_unit(next(node_state(world_key(key, r, DOMAIN_THRESHOLD), v)))``,
uniform in [0, 1) and a pure function of ``(key, r, v)``. In round ``t`` the
adopters of round ``t - 1`` comment; each follower ``v`` not yet adopted adds
the weight ``b(u, v)`` of every such comment to its pressure, in queue order,
and adopts in round ``t`` as soon as the pressure exceeds ``theta_v``
(``pressure > theta``: a zero pressure never adopts, a full one always does).
The in-weights of each follower sum to at most 1.
"""

import numpy as np
from numba import njit, prange

from .config import NJIT, NJIT_PARALLEL
from .rng import DOMAIN_THRESHOLD, next_u64, node_state, to_unit, world_key
from .timeline import accumulate, close_round, open_world, used_columns


@njit(inline="always", **NJIT)
def lt_one_world(indptr, indices, weights, seeds, key, world, max_rounds, segw, has_seg,
                 track_exposure, state, pt, mark, queue, bucket):
    """One LT cascade; same returns and ``bucket`` layout as ``wom_one_world``.

    ``state[v]`` (int64) is below ``base = mark << 1`` for nodes untouched in
    this world, ``base`` once v has seen a comment (its pressure ``pt[v, 0]``
    and threshold ``pt[v, 1]`` are then valid) and ``base + 1`` once v has
    adopted: one array for the seen, touched and adopted marks.
    """
    hkey = world_key(key, world, DOMAIN_THRESHOLD)
    base = np.int64(mark) << 1
    adopted = base + 1
    tail = 0
    seg = 0.0
    for s in seeds:
        state[s] = adopted
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
        for qi in range(head, round_end):
            u = queue[qi]
            start = indptr[u]
            end = indptr[u + 1]
            ri += end - start
            for e in range(start, end):
                v = indices[e]
                sv = state[v]
                if sv == adopted:
                    continue
                if sv < base:
                    expo += 1
                    _, x = next_u64(node_state(hkey, v))
                    pt[v, 1] = to_unit(x)
                    pr = weights[e]
                else:
                    pr = pt[v, 0] + weights[e]
                pt[v, 0] = pr
                if pr > pt[v, 1]:
                    state[v] = adopted
                    queue[tail] = v
                    tail += 1
                elif sv < base:
                    state[v] = base
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
def lt_worlds(indptr, indices, weights, seeds, key, world_start, n_worlds, max_rounds,
              segw, has_seg, track_exposure, out_reach, out_exposure, out_comments,
              out_impressions, out_segment, tl_sum, tl_sumsq, visits):
    """Run the LT cascade in worlds ``world_start .. world_start + n_worlds - 1``.

    Parameters are those of :func:`viralsim._kernels.wom.wom_worlds` with
    ``weights`` (float64, one per edge in CSR order, each follower's
    in-weights summing to at most 1) in place of the probabilities and the
    word-of-mouth parameters. Every adopter comments.

    Notes
    -----
    Cost per world: every out-edge of every adopter (one threshold draw per
    follower touched). Chunks of worlds run in parallel with per-chunk
    scratch; results are bit-identical for any thread count.
    """
    n = indptr.shape[0] - 1
    n_chunks = tl_sum.shape[0]
    tl_len = tl_sum.shape[2]
    for ch in prange(n_chunks):
        lo = n_worlds * ch // n_chunks
        hi = n_worlds * (ch + 1) // n_chunks
        state = np.zeros(n, dtype=np.int64)
        pt = np.zeros((n, 2), dtype=np.float64)
        queue = np.empty(n, dtype=np.int32)
        bucket = np.zeros((4, tl_len), dtype=np.int64)
        vis_total = 0
        for w in range(lo, hi):
            mark = np.int32(w - lo + 1)
            r, x, nc, ni, sg, used = lt_one_world(
                indptr, indices, weights, seeds, key, world_start + w, max_rounds, segw,
                has_seg, track_exposure, state, pt, mark, queue, bucket,
            )
            out_reach[w] = r
            out_exposure[w] = x
            out_comments[w] = nc
            out_impressions[w] = ni
            out_segment[w] = sg
            vis_total += ni
            accumulate(tl_sum, tl_sumsq, ch, bucket, used)
        visits[ch] = vis_total
