"""The comparison sorts that built canonical CSR arrays before the counting-sort
kernels of ``viralsim._kernels.csr``: the reference the tests hold those to, bit for bit."""

import warnings

import numpy as np


def build(src, dst, probs, n):
    """``(indptr, indices, probs, n_loops, n_dup)`` as ``FollowerGraph._build`` made them
    with ``np.argsort`` and ``np.lexsort`` (self-loops dropped, repeats merged into
    ``1 - prod(1 - p)``)."""
    src, dst = np.asarray(src, np.int64), np.asarray(dst, np.int64)
    probs = None if probs is None else np.asarray(probs, np.float64)
    keep = src != dst
    n_loops = int((~keep).sum())
    src, dst = src[keep], dst[keep]
    probs = None if probs is None else probs[keep]
    order = np.argsort(src * np.int64(n) + dst, kind="stable")
    src, dst = src[order], dst[order]
    if probs is not None:
        probs = probs[order]
    new = np.ones(src.size, dtype=bool)
    new[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    n_dup = int(src.size - new.sum())
    if n_dup:
        starts = np.flatnonzero(new)
        if probs is not None:
            with np.errstate(divide="ignore"):
                logq = np.log1p(-probs)
            probs = -np.expm1(np.add.reduceat(logq, starts))
        src, dst = src[starts], dst[starts]
    return (*canonical(src, dst, probs, n), n_loops, n_dup)


def canonical(src, dst, probs, n):
    """``(indptr, indices, probs)``: unique edges, rows by decreasing float32
    probability then index (``np.lexsort``)."""
    if probs is not None:
        order = np.lexsort((dst, -np.asarray(probs, dtype=np.float32), src))
        src, dst, probs = src[order], dst[order], probs[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return (indptr, np.asarray(dst, np.int32),
            None if probs is None else np.asarray(probs, np.float32))


def reverse_csr(indptr, indices, probs):
    """The reverse CSR by ``np.lexsort((src, -probs, dst))``."""
    n = indptr.shape[0] - 1
    src = np.repeat(np.arange(n, dtype=np.int32), np.diff(indptr))
    order = np.lexsort((src, -probs, indices))
    rindptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(indices, minlength=n), out=rindptr[1:])
    return rindptr, src[order], probs[order]


def with_probabilities(graph, probs):
    """The arrays of ``graph`` with per-edge ``probs`` (in the graph's edge order)."""
    n = graph.n_nodes
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(graph.indptr))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return canonical(src, graph.indices, probs, n)


def scheme_probabilities(graph, scheme, rng):
    """Edge probabilities of ``scheme`` as viralsim.probabilities computed them with
    ``np.lexsort`` (random draws in (source, follower) order) and in-degrees."""
    n = graph.n_nodes
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(graph.indptr))
    dst = graph.indices.astype(np.int64)
    if scheme == "weighted_cascade":
        return 1.0 / np.bincount(dst, minlength=n)[dst]
    if not isinstance(scheme, str):
        return np.full(graph.n_edges, float(scheme))
    gen = np.random.default_rng(rng)
    probs = np.empty(graph.n_edges)
    if scheme == "trivalency":
        probs[np.lexsort((dst, src))] = np.array([0.1, 0.01, 0.001])[gen.integers(0, 3, graph.n_edges)]
    else:
        probs[np.lexsort((dst, src))] = gen.uniform(0.0, 1.0, size=graph.n_edges)
    return probs
