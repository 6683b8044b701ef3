"""CSR construction kernels: counting sorts instead of comparison sorts over all edges.

A graph's rows are canonical when each lists its edges by decreasing probability
(float32), ties by increasing neighbour index. Building that order with
``np.lexsort`` over all m edges costs O(m log m) time and several m-sized
temporaries (the keys, the int64 permutation, the gathered copies). Here rows come
from a counting sort (O(n + m), one pass to count, one to scatter) and only each
row is sorted, in parallel, when it is not already in order: the same arrays,
bit for bit, with output-sized buffers only.

Public wrappers live in :mod:`viralsim.graph` (``FollowerGraph._canonical_from_sorted``,
``FollowerGraph.reverse_csr``, ``FollowerGraph._build``).
"""

import numpy as np
from numba import njit, prange

from .config import NJIT, NJIT_PARALLEL


@njit(**NJIT)
def rows_of_sorted(src, n):
    """``(indptr, ok)``: the row pointers of edges whose sources ``src`` are
    non-decreasing and in ``[0, n)``; ``ok`` is False (and indptr unusable) otherwise."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    prev = 0
    for i in range(src.shape[0]):
        u = src[i]
        if u < prev or u >= n:
            return indptr, False
        indptr[u + 1] += 1
        prev = u
    for u in range(n):
        indptr[u + 1] += indptr[u]
    return indptr, True


@njit(**NJIT)
def _row_in_order(p, v, a, b):
    """Whether edges ``a:b`` are by decreasing ``p``, ties by increasing ``v``."""
    for e in range(a + 1, b):
        if p[e] > p[e - 1] or (p[e] == p[e - 1] and v[e] < v[e - 1]):
            return False
    return True


_SMALL_ROW = 32


@njit(**NJIT)
def _sort_row(p, v, a, b, by_index):
    """Sort edges ``a:b`` in place by decreasing ``p``, ties by increasing ``v``
    (``np.lexsort((v, -p))``; the ``v`` of a row are distinct, so the order is
    total and every correct sort gives it). Long rows: a stable sort by ``-p``,
    after a sort by ``v`` when ``by_index`` (rows not already by ``v``)."""
    if b - a <= _SMALL_ROW:  # most rows: an insertion sort in place, no allocation
        for i in range(a + 1, b):
            pi = p[i]
            vi = v[i]
            j = i - 1
            while j >= a and (p[j] < pi or (p[j] == pi and v[j] > vi)):
                p[j + 1] = p[j]
                v[j + 1] = v[j]
                j -= 1
            p[j + 1] = pi
            v[j + 1] = vi
        return
    pv = p[a:b].copy()
    vv = v[a:b].copy()
    if by_index:
        o1 = np.argsort(vv, kind="mergesort")
        pv = pv[o1]
        vv = vv[o1]
    o2 = np.argsort(-pv, kind="mergesort")
    for i in range(b - a):
        p[a + i] = pv[o2[i]]
        v[a + i] = vv[o2[i]]


@njit(**NJIT_PARALLEL)
def canonical_rows(indptr, indices, probs):
    """Each row ``indptr[u]:indptr[u+1]`` of ``(indices, probs)`` put in canonical
    order in place (decreasing probability, ties by increasing index; indices
    distinct within a row). Rows already in order are left as they are."""
    n = indptr.shape[0] - 1
    for u in prange(n):
        a = indptr[u]
        b = indptr[u + 1]
        if b - a > 1 and not _row_in_order(probs, indices, a, b):
            _sort_row(probs, indices, a, b, True)


@njit(**NJIT)
def _transpose_scatter(indptr, indices, probs, n, with_probs):
    """Counting sort of the edges by target, sources scanned in increasing order.

    The row pointers serve as the fill pointers (each ends at the next row's start
    and is shifted back afterwards): no scratch beyond the outputs. Without
    ``with_probs`` the returned probabilities are empty."""
    m = indices.shape[0]
    rindptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(m):
        rindptr[indices[e] + 1] += 1
    for v in range(n):
        rindptr[v + 1] += rindptr[v]
    rindices = np.empty(m, dtype=np.int32)
    rprobs = np.empty(m if with_probs else 0, dtype=np.float32)
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            k = rindptr[v]
            rindices[k] = u
            if with_probs:
                rprobs[k] = probs[e]
            rindptr[v] = k + 1
    for v in range(n, 0, -1):  # rindptr[v] is now row v's end: shift to the starts
        rindptr[v] = rindptr[v - 1]
    rindptr[0] = 0
    return rindptr, rindices, rprobs


@njit(**NJIT)
def in_row_probabilities(indices, probs, n):
    """``(q, ok)``: ``q[v]`` (float32, ``(n,)``) the one probability of all of ``v``'s
    in-edges (0 for a node without any), ``ok`` False when some node's in-edges have
    different probabilities (``q`` is then unusable). True under weighted cascade and
    uniform probabilities; one pass over the edges, no other scratch."""
    q = np.full(n, -1.0, dtype=np.float32)  # probabilities are in [0, 1]: -1 is "unseen"
    for e in range(indices.shape[0]):
        v = indices[e]
        p = probs[e]
        if q[v] < 0.0:
            q[v] = p
        elif q[v] != p:
            return q, False
    for v in range(n):
        if q[v] < 0.0:
            q[v] = 0.0
    return q, True


@njit(**NJIT_PARALLEL)
def _stable_rows_by_prob(rindptr, rindices, rprobs):
    n = rindptr.shape[0] - 1
    for v in prange(n):
        a = rindptr[v]
        b = rindptr[v + 1]
        if b - a > 1 and not _row_in_order(rprobs, rindices, a, b):
            _sort_row(rprobs, rindices, a, b, False)


def transpose(indptr, indices, probs):
    """The reverse CSR ``(rindptr, rindices, rprobs)`` of a canonical graph, rows in
    canonical order: the arrays of ``np.lexsort((src, -probs, dst))``, in O(n + m)
    plus the sort of the rows that need it.

    A counting sort by target, scanning sources in increasing order, leaves each
    reverse row by increasing source; a stable sort by decreasing probability then
    gives the canonical order (rows with one probability, as under weighted
    cascade, need none)."""
    n = indptr.shape[0] - 1
    rindptr, rindices, rprobs = _transpose_scatter(indptr, indices, probs, n, True)
    _stable_rows_by_prob(rindptr, rindices, rprobs)
    return rindptr, rindices, rprobs


def transpose_rows(indptr, indices, probs):
    """The reverse CSR with one probability per row, when every node's in-edges share
    one: ``(rindptr, rindices, q)`` with ``q`` float32 ``(n,)``, or None when they do
    not. ``rindptr`` and ``rindices`` equal :func:`transpose`'s (a row of one
    probability is canonical by increasing source, as the counting sort leaves it)
    and ``q[v]`` is every ``rprobs`` of row ``v``: 4 bytes per node instead of 4 per
    edge (0.4 GB at 100M edges)."""
    n = indptr.shape[0] - 1
    q, ok = in_row_probabilities(indices, probs, n)
    if not ok:
        return None
    rindptr, rindices, _ = _transpose_scatter(indptr, indices, probs, n, False)
    return rindptr, rindices, q


@njit(**NJIT)
def _count_by_row(src, n):
    indptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(src.shape[0]):
        indptr[src[i] + 1] += 1
    for u in range(n):
        indptr[u + 1] += indptr[u]
    return indptr


@njit(**NJIT)
def _scatter_by_row(src, dst, indptr, order):
    fill = indptr[:-1].copy()
    for i in range(src.shape[0]):
        u = src[i]
        k = fill[u]
        order[k] = i
        fill[u] = k + 1


@njit(**NJIT_PARALLEL)
def _sort_rows_by_index(indptr, dst, order):
    """Within each row, ``order`` (edge numbers in input order) stably sorted by
    ``dst``; the number of repeated ``dst`` within rows."""
    n = indptr.shape[0] - 1
    dups = np.zeros(n, dtype=np.int64)
    for u in prange(n):
        a = indptr[u]
        b = indptr[u + 1]
        sorted_ = True
        for e in range(a + 1, b):
            if dst[order[e]] < dst[order[e - 1]]:
                sorted_ = False
                break
        if not sorted_:
            keys = np.empty(b - a, dtype=np.int64)
            for i in range(b - a):
                keys[i] = dst[order[a + i]]
            o = np.argsort(keys, kind="mergesort")
            seg = order[a:b].copy()
            for i in range(b - a):
                order[a + i] = seg[o[i]]
        c = 0
        for e in range(a + 1, b):
            if dst[order[e]] == dst[order[e - 1]]:
                c += 1
        dups[u] = c
    return dups.sum()


def sort_by_row(src, dst, n):
    """``(indptr, order, n_repeats)``: ``order`` is the permutation of the stable sort of
    the edges by ``(src, dst)`` (the order of ``np.argsort(src * n + dst,
    kind="stable")``), from a counting sort by ``src`` and a stable sort of each row by
    ``dst``; ``n_repeats`` counts edges equal to the one before them."""
    src = np.ascontiguousarray(src)  # callers pass strided columns: one compiled kernel
    dst = np.ascontiguousarray(dst)
    indptr = _count_by_row(src, n)
    order = np.empty(src.shape[0], dtype=np.int64)
    _scatter_by_row(src, dst, indptr, order)
    dups = _sort_rows_by_index(indptr, dst, order)
    return indptr, order, int(dups)


@njit(**NJIT_PARALLEL)
def index_order(indptr, indices):
    """Edge positions of a CSR in (row, index) order: ``np.lexsort((indices, src))``
    for rows of distinct indices, one row at a time."""
    n = indptr.shape[0] - 1
    out = np.empty(indices.shape[0], dtype=np.int64)
    for u in prange(n):
        a = indptr[u]
        b = indptr[u + 1]
        in_order = True
        for e in range(a + 1, b):
            if indices[e] < indices[e - 1]:
                in_order = False
                break
        if in_order:
            for e in range(a, b):
                out[e] = e
        else:
            o = np.argsort(indices[a:b], kind="mergesort")
            for i in range(b - a):
                out[a + i] = a + o[i]
    return out
