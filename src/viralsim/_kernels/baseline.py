"""The simplest correct independent-cascade kernel: one coin per edge, one world at a time.

Kept as the yardstick of ``python -m viralsim.bench`` (how much the skipping,
the 32-bit coins and the parallel worlds buy) and as an independent check of
the means. Serial; a coin per out-edge of every adopter from one SplitMix64
stream per world (its worlds are not those of :mod:`viralsim._kernels.ic`).
"""

import numpy as np
from numba import njit

from .config import NJIT
from .rng import DOMAIN_FORWARD, next_u64, to_unit, world_key


@njit(**NJIT)
def ic_plain(indptr, indices, probs, seeds, key, n_worlds, out_reach):
    """Reach of ``seeds`` in worlds ``0 .. n_worlds - 1``, written to ``out_reach``."""
    n = indptr.shape[0] - 1
    active = np.zeros(n, dtype=np.bool_)
    queue = np.empty(n, dtype=np.int32)
    for w in range(n_worlds):
        st = world_key(key, w, DOMAIN_FORWARD)
        tail = 0
        for s in seeds:
            active[s] = True
            queue[tail] = s
            tail += 1
        head = 0
        while head < tail:
            u = queue[head]
            head += 1
            for e in range(indptr[u], indptr[u + 1]):
                st, x = next_u64(st)
                v = indices[e]
                if not active[v] and to_unit(x) < probs[e]:
                    active[v] = True
                    queue[tail] = v
                    tail += 1
        out_reach[w] = tail
        for i in range(tail):
            active[queue[i]] = False
