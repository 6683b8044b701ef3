"""Learn suite: fitting influence probabilities from action logs.

Cases:

- ``android``: :func:`viralsim.fit_influence` (EM with outside rates and the
  prior strength chosen by held-out likelihood, the defaults) on the Stack
  Exchange Android cascades (train + val: 543 cascades, 23,472 adoptions,
  85,830 follower edges), from ``<data>/cascades/stackexchange-android``
  (skipped when absent). Target (issue 16): warm fit <= 2 s.
- ``synthetic``: a log of about 1,000,000 adoptions (quick: 100,000) on a
  graph of about 1,000,000 edges (quick: 100,000): a Barabasi-Albert graph,
  both directions, and cascades grown from random outside adopters by
  independent cascade with p = 0.02 in continuous time (an exponential delay
  per hop). Target: fit <= 30 s (full size only). Also reported: the trial
  arrays' bytes per tried edge (memory linear in the tried edges).

Checks: the EM log-likelihood history never decreases for the unshrunk fit
(``prior=0``) of the synthetic log.
"""

# ruff: noqa: NPY002  (Numba kernels seed and draw from the legacy global stream, per thread)
import math
import time

import numpy as np
from numba import njit

from . import first_call, row, target_note

SUITE = "learn"


@njit(cache=True)
def _grow(indptr, indices, n, n_casc, outside, p, seed, cap):
    """Cascades: ``outside`` random first adopters at times U(0, 10), then IC spread
    with p per edge and an Exp(1) delay per hop (not in time order of processing,
    but every child later than its parent). Returns (item, node, time) arrays."""
    np.random.seed(seed)
    items = np.empty(cap, dtype=np.int64)
    nodes = np.empty(cap, dtype=np.int64)
    times = np.empty(cap)
    mark = np.full(n, -1, dtype=np.int64)
    k = 0
    for c in range(n_casc):
        start = k
        for _ in range(outside):
            v = np.random.randint(n)
            if mark[v] != c and k < cap:
                mark[v] = c
                items[k], nodes[k], times[k] = c, v, np.random.random() * 10.0
                k += 1
        j = start
        while j < k:
            u = nodes[j]
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                if mark[v] != c and np.random.random() < p and k < cap:
                    mark[v] = c
                    items[k], nodes[k] = c, v
                    times[k] = times[j] + np.random.exponential(1.0)
                    k += 1
            j += 1
    return items[:k], nodes[:k], times[:k]


def _synthetic(vs, n_edges_target, n_adopt_target):
    n = n_edges_target // 10
    g = vs.generators.barabasi_albert(n, 5, rng=1)
    items, nodes, times = _grow(g.indptr, g.indices, g.n_nodes, n_adopt_target // 20, 12, 0.02,
                                7, n_adopt_target + 1000)
    # the ActionLog's arrays straight from the generator (node labels are 0..n-1)
    order = np.lexsort((times, items))
    items, nodes, times = items[order], nodes[order], times[order]
    start = np.full(items.max() + 1, np.inf)
    np.minimum.at(start, items, times)
    rank = np.empty(start.size, dtype=np.int64)
    rank[np.argsort(start, kind="stable")] = np.arange(start.size)
    order = np.lexsort((times, rank[items]))
    items, nodes, times = rank[items][order], nodes[order], times[order]
    indptr = np.zeros(start.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(items, minlength=start.size), out=indptr[1:])
    log = vs.ActionLog(g, np.arange(start.size), indptr, nodes.astype(np.int32), times)
    return g, log


def run(ctx):
    import os
    import warnings

    import viralsim as vs

    rows = []
    folder = ctx.data_path(os.path.join("cascades", "stackexchange-android"))
    if folder is None:
        ctx.log("cascades/stackexchange-android absent: android case skipped")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", vs.ViralsimWarning)
            g, train, _ = vs.datasets.load_cascades("stackexchange-android", path=folder)
        dt, how = first_call(lambda: vs.fit_influence(g, train))
        rows.append(row(SUITE, "android", "fit first call", dt, "s", how))
        best = math.inf
        for _ in range(3):
            t = time.perf_counter()
            fit = vs.fit_influence(g, train)
            best = min(best, time.perf_counter() - t)
        rows.append(row(SUITE, "android", "fit warm (best of 3)", best, "s",
                        f"{fit.n_iter} EM sweeps in the final fit, prior {fit.prior_strength:g}; "
                        + target_note(best, 2.0, unit=" s")))
    m_target = 100_000 if ctx.quick else 1_000_000
    t = time.perf_counter()
    g, log = _synthetic(vs, m_target, m_target)
    ctx.log(f"synthetic: {g.n_edges:,} edges, {log.counts['actions']:,} adoptions in "
            f"{log.n_items:,} cascades, built in {time.perf_counter() - t:.1f} s")
    case = f"synthetic {log.counts['actions'] / 1e6:.2f}M adoptions, {g.n_edges / 1e6:.2f}M edges"
    vs.fit_influence(g, log.subset(np.arange(min(50, log.n_items))))  # compile outside the timing
    t = time.perf_counter()
    fit = vs.fit_influence(g, log)
    dt = time.perf_counter() - t
    note = (f"{fit.n_iter} EM sweeps in the final fit, {int((fit.trials > 0).sum()):,} tried edges"
            + ("; " + target_note(dt, 30.0, unit=" s") if not ctx.quick else
               " (quick size; the 30 s target is for the full size)"))
    rows.append(row(SUITE, case, "fit (defaults)", dt, "s", note))
    from viralsim.learn import _trials

    tr = _trials(g, log, "earlier")
    nbytes = tr.set_edges.nbytes + tr.set_ptr.nbytes + tr.set_casc.nbytes
    tried = int(((tr.pos + tr.neg) > 0).sum())
    rows.append(row(SUITE, case, "set arrays per tried edge", nbytes / max(tried, 1), "bytes",
                    f"{tr.set_edges.size:,} (adopter, possible influencer) pairs"))
    f0 = vs.fit_influence(g, log, prior=0.0, max_iter=50)
    h = np.array(f0.log_likelihood_history)
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:])), "EM log-likelihood decreased"
    return rows
