"""Learning independent-cascade probabilities from cascades: trials and EM sweeps.

Data layout (built by :func:`build_trials`, consumed by :func:`em_sweep`):

- a *set* is one adopter ``v`` of one cascade who had at least one possible
  influencer: the edges ``u -> v`` from in-neighbours ``u`` that adopted in
  time (see ``rule``). ``set_ptr``/``set_edges`` (int64 / int64 edge ids)
  list them, ``set_casc`` gives each set's cascade;
- ``neg[e]``: cascades in which ``u`` adopted and the follower ``v`` did
  not adopt in time (a failed trial of edge ``e``);
- ``pos[e]``: sets that contain ``e`` (trials of ``e`` that may have succeeded);
- per cascade: ``orphans`` (adopters, not first, with no possible influencer)
  and ``at_risk`` (graph nodes that were not first adopters).

Memory is linear in the tried edges (``set_edges``) plus one counter per
edge. No validation here: the public wrapper :func:`viralsim.fit_influence`
establishes the preconditions (times sorted within a cascade, nodes in
``0 .. n - 1`` or ``-1`` for outside adopters, each node at most once per
cascade).
"""

import numpy as np
from numba import njit

from .config import NJIT

RULE_EARLIER = 0  # possible influencers: in-neighbours that adopted strictly earlier
RULE_PREVIOUS_STEP = 1  # ... that adopted exactly one time step earlier (Saito et al.'s rounds)


@njit(**NJIT)
def _cascade_pass(indptr, fwd, rptr, rsrc, reid, cptr, nodes, times, rule, n_nodes, fill,
                  set_ptr, set_edges, set_casc, neg, pos, orphans, at_risk, n_first, adopted):
    tnode = np.full(n_nodes, np.inf)
    n_sets = 0
    n_ent = 0
    for c in range(cptr.shape[0] - 1):
        a, b = cptr[c], cptr[c + 1]
        t0 = np.inf
        for k in range(a, b):
            v = nodes[k]
            if v >= 0:
                tnode[v] = times[k]
                if times[k] < t0:
                    t0 = times[k]
        nf = 0
        for k in range(a, b):
            v = nodes[k]
            if v < 0:
                continue
            if not fill:
                adopted[v] += 1
            tv = times[k]
            if tv == t0:
                nf += 1
                continue
            cnt = 0
            for j in range(rptr[v], rptr[v + 1]):
                tu = tnode[rsrc[j]]
                if (rule == RULE_EARLIER and tu < tv) or (rule == RULE_PREVIOUS_STEP and tu == tv - 1.0):
                    if fill:
                        set_edges[n_ent + cnt] = reid[j]
                        pos[reid[j]] += 1
                    cnt += 1
            if cnt == 0:
                if fill:
                    orphans[c] += 1
            else:
                if fill:
                    set_casc[n_sets] = c
                    set_ptr[n_sets + 1] = n_ent + cnt
                n_sets += 1
                n_ent += cnt
        if fill:
            n_first[c] = nf
            at_risk[c] = n_nodes - nf
            for k in range(a, b):
                u = nodes[k]
                if u < 0:
                    continue
                tu = tnode[u]
                for e in range(indptr[u], indptr[u + 1]):
                    tv = tnode[fwd[e]]
                    if tv == np.inf or (rule == RULE_PREVIOUS_STEP and tv > tu + 1.0):
                        neg[e] += 1
        for k in range(a, b):
            v = nodes[k]
            if v >= 0:
                tnode[v] = np.inf
    return n_sets, n_ent


def build_trials(indptr, fwd, rptr, rsrc, reid, cptr, nodes, times, rule, n_nodes):
    """Trials of every edge in every cascade (two passes: count, then fill).

    Returns ``(set_ptr, set_edges, set_casc, neg, pos, orphans, at_risk,
    n_first, adopted)``; ``adopted[u]``: cascades ``u`` adopted in.
    """
    m = fwd.shape[0]
    n_c = cptr.shape[0] - 1
    z = np.zeros(1, dtype=np.int64)
    adopted = np.zeros(n_nodes, dtype=np.int64)
    n_sets, n_ent = _cascade_pass(indptr, fwd, rptr, rsrc, reid, cptr, nodes, times, rule, n_nodes,
                                  False, z, z, z, z, z, z, z, z, adopted)
    set_ptr = np.zeros(n_sets + 1, dtype=np.int64)
    set_edges = np.empty(n_ent, dtype=np.int64)
    set_casc = np.empty(n_sets, dtype=np.int64)
    neg = np.zeros(m, dtype=np.int64)
    pos = np.zeros(m, dtype=np.int64)
    orphans = np.zeros(n_c, dtype=np.int64)
    at_risk = np.zeros(n_c, dtype=np.int64)
    n_first = np.zeros(n_c, dtype=np.int64)
    _cascade_pass(indptr, fwd, rptr, rsrc, reid, cptr, nodes, times, rule, n_nodes, True,
                  set_ptr, set_edges, set_casc, neg, pos, orphans, at_risk, n_first, z)
    return set_ptr, set_edges, set_casc, neg, pos, orphans, at_risk, n_first, adopted


@njit(**NJIT)
def log_likelihood(set_ptr, set_edges, set_casc, neg, orphans, at_risk, p, r, use_r):
    """The log-likelihood of the trials at ``(p, r)`` (see :func:`em_sweep`)."""
    ll = 0.0
    n_c = orphans.shape[0]
    sets_c = np.zeros(n_c, dtype=np.int64)
    for s in range(set_ptr.shape[0] - 1):
        c = set_casc[s]
        sets_c[c] += 1
        q = 1.0 - r[c] if use_r else 1.0
        for k in range(set_ptr[s], set_ptr[s + 1]):
            q *= 1.0 - p[set_edges[k]]
        ll += np.log(1.0 - q) if q < 1.0 else -np.inf
    for e in range(neg.shape[0]):
        if neg[e] > 0:
            ll += neg[e] * np.log1p(-p[e]) if p[e] < 1.0 else -np.inf
    if use_r:
        for c in range(n_c):
            if orphans[c] > 0:
                ll += orphans[c] * np.log(r[c]) if r[c] > 0.0 else -np.inf
            rest = at_risk[c] - orphans[c] - sets_c[c]
            if rest > 0:
                ll += rest * np.log1p(-r[c]) if r[c] < 1.0 else -np.inf
    return ll


@njit(**NJIT)
def em_sweep(set_ptr, set_edges, set_casc, neg, pos, orphans, at_risk, p, r, use_r, fit_p,
             prior_s, prior_m, p_new, r_new, resp, tried, want_ll):
    """One EM step (Saito, Nakano & Kimura 2008, with an outside source per cascade).

    Each set ``s`` (adopter ``v`` of cascade ``c`` with possible influencer
    edges ``E_s``) adopted with probability ``P_s = 1 - (1 - r_c) prod_{e in
    E_s} (1 - p_e)``. E-step: edge ``e`` fired with posterior probability
    ``p_e / P_s`` and the outside with ``r_c / P_s``. M-step:
    ``p_e = (sum_s p_e / P_s + prior_s * prior_m) / (pos_e + neg_e + prior_s)``
    (the MAP estimate under a Beta(prior_s*prior_m + 1, prior_s*(1-prior_m) + 1)
    prior; plain maximum likelihood at ``prior_s = 0``), and
    ``r_c = (orphans_c + sum_{s in c} r_c / P_s) / at_risk_c``.

    Only the edges listed in ``tried`` (those with ``pos + neg > 0``) are
    read or written: ``p_new`` of the other edges is left as it is. Writes
    ``p_new``, ``r_new``, ``resp`` (expected successes per tried edge);
    returns the log-likelihood at the *old* parameters when ``want_ll``
    (else 0.0: the logarithms are most of a sweep's cost).
    """
    n_c = orphans.shape[0]
    for i in range(tried.shape[0]):
        resp[tried[i]] = 0.0
    out = np.zeros(n_c)
    sets_c = np.zeros(n_c, dtype=np.int64)
    ll = 0.0
    for s in range(set_ptr.shape[0] - 1):
        c = set_casc[s]
        sets_c[c] += 1
        q = 1.0 - r[c] if use_r else 1.0
        for k in range(set_ptr[s], set_ptr[s + 1]):
            q *= 1.0 - p[set_edges[k]]
        P = 1.0 - q
        if P <= 0.0:  # every cause at 0: spread the credit evenly (only at a degenerate start)
            w = 1.0 / (set_ptr[s + 1] - set_ptr[s] + (1 if use_r else 0))
            for k in range(set_ptr[s], set_ptr[s + 1]):
                resp[set_edges[k]] += w
            if use_r:
                out[c] += w
            ll += -np.inf
            continue
        if want_ll:
            ll += np.log(P)
        for k in range(set_ptr[s], set_ptr[s + 1]):
            e = set_edges[k]
            resp[e] += p[e] / P
        if use_r:
            out[c] += r[c] / P
    for i in range(tried.shape[0]):
        e = tried[i]
        if want_ll and neg[e] > 0:
            ll += neg[e] * np.log1p(-p[e]) if p[e] < 1.0 else -np.inf
        if fit_p:
            p_new[e] = (resp[e] + prior_s * prior_m) / (pos[e] + neg[e] + prior_s)
        else:
            p_new[e] = p[e]
    for c in range(n_c):
        if use_r:
            if want_ll:
                if orphans[c] > 0:
                    ll += orphans[c] * np.log(r[c]) if r[c] > 0.0 else -np.inf
                rest = at_risk[c] - orphans[c] - sets_c[c]
                if rest > 0:
                    ll += rest * np.log1p(-r[c]) if r[c] < 1.0 else -np.inf
            r_new[c] = (orphans[c] + out[c]) / at_risk[c] if at_risk[c] > 0 else 0.0
        else:
            r_new[c] = 0.0
    return ll


@njit(**NJIT)
def credit(set_ptr, set_edges, m):
    """Goyal et al.'s partial credit: each set's adoption split evenly among its edges."""
    cr = np.zeros(m)
    for s in range(set_ptr.shape[0] - 1):
        w = 1.0 / (set_ptr[s + 1] - set_ptr[s])
        for k in range(set_ptr[s], set_ptr[s + 1]):
            cr[set_edges[k]] += w
    return cr


@njit(**NJIT)
def outside_rates(set_ptr, set_edges, set_casc, orphans, at_risk, p):
    """Each cascade's outside rate that maximizes the likelihood with ``p`` fixed.

    Per cascade ``c`` the log-likelihood in ``r`` is ``sum_s log(1 - (1 - r) Q_s)
    + orphans_c log r + rest_c log(1 - r)`` (``Q_s``: the product of ``1 - p_e``
    over the set's edges; ``rest_c``: consumers at risk who did not adopt), a
    concave function: its derivative is decreasing, and the maximum is where it
    crosses zero (found by bisection to about 1e-16), or at 0 or 1. The limit
    of the EM sweeps with ``fit_p=False``, without their slow approach to it.
    Sets are in cascade order (as :func:`build_trials` writes them).
    """
    n_c = orphans.shape[0]
    n_s = set_ptr.shape[0] - 1
    q = np.empty(n_s)
    start = np.zeros(n_c + 1, dtype=np.int64)
    for s in range(n_s):
        v = 1.0
        for k in range(set_ptr[s], set_ptr[s + 1]):
            v *= 1.0 - p[set_edges[k]]
        q[s] = v
        start[set_casc[s] + 1] += 1
    for c in range(n_c):
        start[c + 1] += start[c]
    r = np.zeros(n_c)
    for c in range(n_c):
        if at_risk[c] <= 0:
            continue
        a, b = start[c], start[c + 1]
        n_o = orphans[c]
        rest = at_risk[c] - n_o - (b - a)
        if rest <= 0:
            r[c] = 1.0
            continue
        if n_o == 0:
            g0 = -float(rest)
            inf0 = False
            for s in range(a, b):
                if q[s] >= 1.0:
                    inf0 = True
                    break
                g0 += q[s] / (1.0 - q[s])
            if not inf0 and g0 <= 0.0:
                continue  # r = 0
        lo, hi = 0.0, 1.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:
                break
            g = n_o / mid - rest / (1.0 - mid)
            for s in range(a, b):
                g += q[s] / (1.0 - (1.0 - mid) * q[s])
            if g > 0.0:
                lo = mid
            else:
                hi = mid
        r[c] = 0.5 * (lo + hi)
    return r
