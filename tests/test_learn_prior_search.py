"""The prior-strength search's shortcuts (issue 16, speed): the training part's trials
derived from the whole log's, and the held-out outside rates solved exactly."""

import numpy as np
import pytest

import viralsim as vs
from viralsim import learn
from viralsim._kernels import em


def _log(seed=0, n=80, m=4, items=60, p=0.2):
    g = vs.generators.barabasi_albert(n, m, rng=seed)
    src, dst, _ = g.edges()
    out = {}
    for s, d in zip(src.tolist(), dst.tolist()):
        out.setdefault(s, []).append(d)
    rng = np.random.default_rng(seed)
    its, us, ts = [], [], []
    for i in range(items):
        t = {int(v): float(rng.random()) for v in rng.choice(n, size=2, replace=False)}
        front = list(t)
        while front:
            nxt = []
            for u in front:
                for v in out.get(u, []):
                    if v not in t and rng.random() < p:
                        t[v] = t[u] + float(rng.exponential())
                        nxt.append(v)
            front = nxt
        for u, tt in t.items():
            its.append(i)
            us.append(u)
            ts.append(tt)
    return g, vs.ActionLog.from_arrays(g, its, us, ts)


@pytest.mark.parametrize("rule", ["earlier", "previous_step"])
def test_training_trials_from_the_whole_minus_the_held_out(rule):
    g, log = _log()
    test = np.zeros(log.n_items, dtype=bool)
    test[np.random.default_rng(1).choice(log.n_items, size=12, replace=False)] = True
    whole, held = learn._trials(g, log, rule), learn._trials(g, log.subset(test), rule)
    built = learn._trials(g, log.subset(~test), rule)
    derived = learn._minus(whole, held, test)
    for f in built.__dataclass_fields__:
        a, b = getattr(built, f), getattr(derived, f)
        assert a.dtype == b.dtype and np.array_equal(a, b), f


def test_held_out_outside_rates_are_the_exact_maximum():
    g, log = _log(seed=2)
    tr = learn._trials(g, log, "earlier")
    p = np.clip(np.random.default_rng(0).uniform(0.0, 0.3, g.n_edges), 1e-9, 1 - 1e-9)
    r = em.outside_rates(tr.set_ptr, tr.set_edges, tr.set_casc, tr.orphans, tr.at_risk, p)
    assert ((r >= 0) & (r <= 1)).all()

    def ll(rr):
        return em.log_likelihood(tr.set_ptr, tr.set_edges, tr.set_casc, tr.neg, tr.orphans,
                                 tr.at_risk, p, rr, True)

    best = ll(r)
    # no better rate nearby for any cascade (each cascade's term depends on its own rate)
    for c in range(r.size):
        for step in (1e-4, 1e-6):
            for sgn in (-1, 1):
                rr = r.copy()
                rr[c] = min(max(r[c] + sgn * step, 0.0), 1.0)
                assert ll(rr) <= best + 1e-9 * abs(best)
    # the EM sweeps with p fixed approach the same point from below
    r0 = np.minimum((tr.orphans + 1.0) / np.maximum(tr.at_risk, 1), 0.5)
    _, r_em, _, hist, _, _ = learn._run_em(tr, p, r0, use_r=True, fit_p=False, prior_s=0.0,
                                           prior_m=0.0, max_iter=5000, tol=1e-13)
    assert hist[-1] <= best + 1e-9 * abs(best)
    assert best - hist[-1] < 1e-6 * abs(best)
    np.testing.assert_allclose(r_em, r, atol=1e-4)


def test_cascades_without_orphans_or_rest_reach_the_bounds():
    # one cascade: one set whose edge explains everything (r -> 0); another where every
    # consumer at risk adopted (r -> 1)
    set_ptr = np.array([0, 1, 2], dtype=np.int64)
    set_edges = np.array([0, 0], dtype=np.int64)
    set_casc = np.array([0, 1], dtype=np.int64)
    orphans = np.array([0, 1], dtype=np.int64)
    at_risk = np.array([10, 2], dtype=np.int64)
    r = em.outside_rates(set_ptr, set_edges, set_casc, orphans, at_risk, np.array([0.5]))
    assert r.tolist() == [0.0, 1.0]
