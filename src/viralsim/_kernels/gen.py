"""Kernels of the NetworkX-free power-law generator (:func:`viralsim.generators.power_law`).

Chung-Lu with Poisson rows: node ``u`` gets ``Poisson(lam[u])`` follower
draws, each a node drawn from the in-weights by an alias table; self-draws
are dropped and repeated draws collapse to one edge. Every random number of
row ``u`` comes from ``u``'s own counter-based stream (:mod:`.rng`), so the
CSR is a pure function of the key, whatever the thread count, and it is built
row by row in place: no edge list is ever held.
"""

import math

import numpy as np
from numba import njit, prange

from .config import NJIT, NJIT_PARALLEL
from .rng import next_u64, node_state, to_unit, to_unit_open0, world_key

DOMAIN_GEN_COUNT = np.uint64(0x1E1E1E1E1E1E1E1E)  # row lengths (Poisson draws)
DOMAIN_GEN_ROW = np.uint64(0x2D2D2D2D2D2D2D2D)  # the followers drawn in a row


@njit(**NJIT)
def alias_table(w):
    """Vose's alias table of weights ``w`` (any positive scale): ``(prob, alias)``."""
    n = w.shape[0]
    total = 0.0
    for i in range(n):
        total += w[i]
    prob = np.empty(n, np.float64)
    alias = np.arange(n).astype(np.int32)
    small = np.empty(n, np.int64)
    large = np.empty(n, np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        prob[i] = w[i] * n / total
        if prob[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        alias[s] = g
        prob[g] = (prob[g] + prob[s]) - 1.0
        if prob[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    for i in range(nl):
        prob[large[i]] = 1.0
    for i in range(ns):  # rounding leftovers
        prob[small[i]] = 1.0
    return prob, alias


@njit(inline="always", **NJIT)
def _poisson(state, lam):
    """A Poisson(lam) draw from the stream ``state``: ``(state, k)``.

    Inversion by products of uniforms below 10, Hörmann's PTRS (transformed
    rejection, 1993; numpy's method) above: exact in both regimes.
    """
    if lam <= 0.0:
        return state, 0
    if lam < 10.0:
        limit = math.exp(-lam)
        k = 0
        state, x = next_u64(state)
        prod = to_unit(x)
        while prod > limit:
            k += 1
            state, x = next_u64(state)
            prod *= to_unit(x)
        return state, k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        state, x = next_u64(state)
        U = to_unit(x) - 0.5
        state, x = next_u64(state)
        V = to_unit_open0(x)
        us = 0.5 - abs(U)
        k = math.floor((2.0 * a / us + b) * U + lam + 0.43)
        if us >= 0.07 and V <= vr:
            return state, np.int64(k)
        if k < 0 or (us < 0.013 and V > us):
            continue
        if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)
                <= -lam + k * loglam - math.lgamma(k + 1.0)):
            return state, np.int64(k)


@njit(**NJIT_PARALLEL)
def row_draws(key, lam):
    """Number of follower draws of each row, ``Poisson(lam[u])`` (int64)."""
    n = lam.shape[0]
    out = np.empty(n, np.int64)
    wkey = world_key(key, 0, DOMAIN_GEN_COUNT)
    for u in prange(n):
        st = node_state(wkey, u)
        st, k = _poisson(st, lam[u])
        out[u] = k
    return out


@njit(**NJIT_PARALLEL)
def fill_rows(key, ptr, prob, alias, perm, tmp):
    """Draw row ``u``'s followers into ``tmp[ptr[u]:ptr[u+1]]``, sorted, self-draws
    and repeats removed; returns each row's kept length."""
    n = ptr.shape[0] - 1
    nw = prob.shape[0]
    kept = np.zeros(n, np.int64)
    wkey = world_key(key, 0, DOMAIN_GEN_ROW)
    for u in prange(n):
        a = ptr[u]
        b = ptr[u + 1]
        if a == b:
            continue
        st = node_state(wkey, u)
        m = a
        for _ in range(b - a):
            st, x = next_u64(st)
            r = min(np.int64(to_unit(x) * nw), nw - 1)
            st, y = next_u64(st)
            if to_unit(y) >= prob[r]:
                r = alias[r]
            v = perm[r]
            if v != u:
                tmp[m] = v
                m += 1
        if m == a:
            continue
        row = tmp[a:m]
        row.sort()
        k = a + 1
        for i in range(a + 1, m):
            if tmp[i] != tmp[k - 1]:
                tmp[k] = tmp[i]
                k += 1
        kept[u] = k - a
    return kept


@njit(**NJIT_PARALLEL)
def compact_rows(ptr, tmp, indptr, out):
    """Copy row ``u``'s kept followers ``tmp[ptr[u]:ptr[u] + len]`` to ``out[indptr[u]:]``."""
    n = ptr.shape[0] - 1
    for u in prange(n):
        a = ptr[u]
        c = indptr[u]
        for i in range(indptr[u + 1] - c):
            out[c + i] = tmp[a + i]


@njit(**NJIT)
def check_csr(indptr, indices, probs, has_probs):
    """Index of the first edge out of canonical CSR order (out of range, a self-loop,
    a repeat or a row out of order), or -1. ``indptr`` is checked by the caller."""
    n = indptr.shape[0] - 1
    for u in range(n):
        a = indptr[u]
        b = indptr[u + 1]
        for e in range(a, b):
            v = indices[e]
            if v < 0 or v >= n or v == u:
                return e
            if e > a:
                w = indices[e - 1]
                if has_probs:
                    if probs[e] > probs[e - 1] or (probs[e] == probs[e - 1] and v <= w):
                        return e
                elif v <= w:
                    return e
            if has_probs and not (probs[e] >= 0.0 and probs[e] <= 1.0):
                return e
    return -1
