"""Per-round bookkeeping shared by the cascade kernels (word of mouth, linear threshold).

``bucket`` is an int64 (4, tl_len) scratch of one world's per-round totals of
the series ``adopters, comments, impressions, exposure``; its last column
collects its round and every later one.
"""

import numpy as np
from numba import njit

from .config import NJIT


@njit(inline="always", **NJIT)
def open_world(bucket, n_seeds):
    """Round 0: the seeds adopt and are seen; nobody has commented yet."""
    bucket[0, 0] = n_seeds
    bucket[1, 0] = 0
    bucket[2, 0] = 0
    bucket[3, 0] = n_seeds


@njit(inline="always", **NJIT)
def close_round(bucket, rnd, adopters, comments, impressions, viewers):
    """Add round ``rnd``'s totals (resetting a column the first time it is used)."""
    b = min(rnd, bucket.shape[1] - 1)
    if b == rnd:
        for k in range(4):
            bucket[k, b] = 0
    bucket[0, b] += adopters
    bucket[1, b] += comments
    bucket[2, b] += impressions
    bucket[3, b] += viewers


@njit(inline="always", **NJIT)
def used_columns(bucket, rnd):
    """Columns of ``bucket`` written by a world that played ``rnd`` rounds."""
    return min(rnd, bucket.shape[1] - 1) + 1


@njit(inline="always", **NJIT)
def accumulate(tl_sum, tl_sumsq, ch, bucket, used):
    """Add one world's per-round totals and their squares to chunk ``ch``'s sums."""
    for k in range(bucket.shape[0]):
        for i in range(used):
            x = bucket[k, i]
            tl_sum[ch, k, i] += x
            tl_sumsq[ch, k, i] += x * np.int64(x)


@njit(inline="always", **NJIT)
def record_world(w, ch, result, bucket, out_reach, out_exposure, out_comments, out_impressions,
                 out_segment, tl_sum, tl_sumsq):
    """Store world ``w``'s ``result`` = ``(reach, exposure, comments, impressions,
    segment reach, used columns)`` and add its per-round totals to chunk ``ch``'s
    sums; returns its impressions."""
    r, x, nc, ni, sg, used = result
    out_reach[w] = r
    out_exposure[w] = x
    out_comments[w] = nc
    out_impressions[w] = ni
    out_segment[w] = sg
    accumulate(tl_sum, tl_sumsq, ch, bucket, used)
    return ni
