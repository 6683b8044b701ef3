"""Plain-Python twins for viralsim.learn: an IC simulator that records rounds,
the trials and one EM sweep written out line by line, and the exact IC
likelihood of round-stamped cascades by enumerating live-edge worlds."""

import itertools
import math

import numpy as np


def simulate_rounds(src, dst, probs, n, seeds, rng, outside=0.0):
    """One IC cascade with rounds: returns {node: round}. ``outside``: each
    consumer not yet active adopts from outside in round 1 with that probability."""
    out = {}
    for u, v, p in zip(src, dst, probs):
        out.setdefault(u, []).append((v, p))
    t = {s: 0 for s in seeds}
    frontier = list(seeds)
    if outside > 0:
        extra = [v for v in range(n) if v not in t and rng.random() < outside]
        for v in extra:
            t[v] = 1
        new1 = extra
    else:
        new1 = []
    r = 0
    while frontier:
        nxt = []
        for u in frontier:
            for v, p in out.get(u, []):
                if v not in t and rng.random() < p:
                    t[v] = r + 1
                    nxt.append(v)
        if r == 0:
            nxt += new1
        frontier = nxt
        r += 1
    return t


def trials(src, dst, n, cascades, rule="earlier"):
    """Per cascade, per adopter: the parent edge ids; per edge: failures. Returns
    (sets [(cascade, [edge ids])], neg [per edge], orphans [per cascade], at_risk [per cascade])."""
    m = len(src)
    sets, neg = [], [0] * m
    orphans, at_risk = [], []
    for c, casc in enumerate(cascades):
        t = dict(casc)
        t0 = min(t.values())
        first = [v for v in t if t[v] == t0]
        at_risk.append(n - len(first))
        o = 0
        for v, tv in t.items():
            if tv == t0:
                continue
            par = [e for e in range(m) if dst[e] == v and src[e] in t and (
                t[src[e]] < tv if rule == "earlier" else t[src[e]] == tv - 1)]
            if par:
                sets.append((c, par))
            else:
                o += 1
        orphans.append(o)
        for e in range(m):
            if src[e] in t:
                if dst[e] not in t:
                    neg[e] += 1
                elif rule == "previous_step" and t[dst[e]] > t[src[e]] + 1:
                    neg[e] += 1
    return sets, neg, orphans, at_risk


def em_sweep(sets, neg, orphans, at_risk, p, r, use_r, prior_s=0.0, prior_m=0.0):
    """One EM sweep; returns (new p, new r, log-likelihood at the old p, r)."""
    m = len(p)
    resp = [0.0] * m
    pos = [0] * m
    out = [0.0] * len(orphans)
    nsets = [0] * len(orphans)
    ll = 0.0
    for c, par in sets:
        nsets[c] += 1
        q = (1 - r[c]) if use_r else 1.0
        for e in par:
            q *= 1 - p[e]
            pos[e] += 1
        P = 1 - q
        ll += math.log(P)
        for e in par:
            resp[e] += p[e] / P
        if use_r:
            out[c] += r[c] / P
    for e in range(m):
        if neg[e]:
            ll += neg[e] * math.log(1 - p[e])
    newp = []
    for e in range(m):
        t = pos[e] + neg[e]
        newp.append((resp[e] + prior_s * prior_m) / (t + prior_s) if t + prior_s > 0 else prior_m)
    newr = []
    for c in range(len(orphans)):
        if use_r:
            if orphans[c]:
                ll += orphans[c] * math.log(r[c])
            rest = at_risk[c] - orphans[c] - nsets[c]
            if rest:
                ll += rest * math.log(1 - r[c])
            newr.append((orphans[c] + out[c]) / at_risk[c])
        else:
            newr.append(0.0)
    return newp, newr, ll


def exact_loglik(src, dst, n, cascades, p):
    """log P(every cascade's observed rounds | its round-0 adopters) under IC with edge
    probabilities ``p``, by enumerating all live-edge worlds (2 ** m of them)."""
    m = len(src)
    total = 0.0
    for casc in cascades:
        t = dict(casc)
        seeds = [v for v in t if t[v] == 0]
        prob = 0.0
        for live in itertools.product((0, 1), repeat=m):
            w = 1.0
            for e in range(m):
                w *= p[e] if live[e] else 1 - p[e]
            if w == 0.0:
                continue
            d = {s: 0 for s in seeds}
            frontier = list(seeds)
            r = 0
            while frontier:
                nxt = []
                for u in frontier:
                    for e in range(m):
                        if live[e] and src[e] == u and dst[e] not in d:
                            d[dst[e]] = r + 1
                            nxt.append(dst[e])
                frontier = nxt
                r += 1
            if d == t:
                prob += w
        total += math.log(prob) if prob > 0 else -math.inf
    return total


def score(sizes, y, n_seeds, n_nodes, smoothing=1.0, level=0.9):
    """score_sizes written out: sorted sizes, counts by hand."""
    s = sorted(int(x) for x in sizes)
    N = len(s)
    K = n_nodes - n_seeds + 1
    hit = sum(1 for x in s if x == y)
    below = sum(1 for x in s if x < y)
    a = (1 - level) / 2
    # inverted-CDF quantile: the smallest x with F(x) >= q
    lo = s[max(math.ceil(a * N) - 1, 0)]
    hi = s[max(math.ceil((1 - a) * N) - 1, 0)]
    return {"mean": sum(s) / N, "low": lo, "high": hi, "covered": lo <= y <= hi,
            "log_score": math.log((hit + smoothing / K) / (N + smoothing)),
            "abs_error": abs(sum(s) / N - y), "pit": (below + 0.5 * hit) / N}


def random_dag(n, m, rng):
    """m distinct edges u -> v with u < v (no cycles)."""
    seen = set()
    while len(seen) < m:
        u, v = sorted(rng.choice(n, size=2, replace=False).tolist())
        seen.add((u, v))
    e = sorted(seen)
    return np.array([a for a, _ in e]), np.array([b for _, b in e])
