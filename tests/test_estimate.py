"""estimate_reach's steps: precision mode, the seeds' reachable set, the layering.

The simulation itself is tested in test_ic.py and test_models.py; these tests pin
down how estimate_reach runs batches and assembles its result.
"""

import subprocess
import sys

import numpy as np
import pytest

import viralsim as vs
from viralsim import estimate, stats


def _graph(p):
    return vs.generators.barabasi_albert(300, 2, rng=0).with_probabilities(p)


def test_precision_run_equals_a_fixed_run_of_as_many_worlds():
    # precision mode runs worlds 0 .. n - 1 in batches; exact sums make the batching
    # invisible, so the result is the fixed run's, bit for bit
    g = _graph(0.05)
    p = vs.estimate_reach(g, [0, 1], precision=0.02, rng=3)
    f = vs.estimate_reach(g, [0, 1], n_sims=p.n_sims, rng=3)
    assert p.converged and p.n_sims > estimate.FIRST_BATCH  # more than one batch ran
    assert (p.mean, p.stderr, p.ci_low, p.ci_high) == (f.mean, f.stderr, f.ci_low, f.ci_high)
    assert p.exposure == f.exposure
    np.testing.assert_array_equal(p.timeline, f.timeline)
    assert p.half_width <= 0.02 * p.mean and f.converged is None and f.precision is None


def test_precision_stops_at_max_sims_and_says_so():
    g = _graph(0.05)
    est = vs.estimate_reach(g, [0], precision=1e-4, rng=0, max_sims=1500)
    assert est.n_sims == 1500 and est.converged is False
    assert "precision NOT reached" in str(est)


def test_reach_interval_is_the_t_interval_of_the_sizes():
    g = _graph(0.1)
    est = vs.estimate_reach(g, [0, 5], n_sims=500, rng=1, return_sizes=True)
    m, se, lo, hi = stats.sample_interval(est.sizes.astype(np.float64), 0.95)
    assert est.mean == pytest.approx(m, rel=1e-15) and est.stderr == pytest.approx(se, rel=1e-12)
    assert (est.ci_low, est.ci_high) == pytest.approx((lo, hi), rel=1e-12)


def test_reachable_set_is_searched_at_most_once_and_only_when_needed(monkeypatch):
    calls = []
    real = estimate._reachable

    def counting(graph, seeds_idx):
        calls.append(1)
        return real(graph, seeds_idx)

    monkeypatch.setattr(estimate, "_reachable", counting)
    vs.estimate_reach(_graph(0.1), [0], n_sims=300, rng=0)  # reach varies: never needed
    assert calls == []
    # p = 1e-7: every world alike (no edge fires), through two rounds of precision mode
    # and the rule of three's interval at the end
    est = vs.estimate_reach(_graph(1e-7), [0], precision=0.5, rng=0, max_sims=20_000)
    assert len(calls) == 1 and est.n_sims > estimate.FIRST_BATCH


def test_timelines_hold_every_reported_quantity():
    g = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=1.0)
    est = vs.estimate_reach(g, [0], n_sims=4, rng=0)
    mean, low, high = est.timelines["adopters"]
    assert mean.tolist() == [1.0, 1.0, 1.0] and low.tolist() == mean.tolist() == high.tolist()
    assert est.timeline_ci[0].tolist() == low.tolist()


def test_core_modules_import_no_presentation():
    code = ("import sys, viralsim.estimate, viralsim.compare, viralsim.stats, "
            "viralsim.probabilities, viralsim.formatting, viralsim.graph; "
            "bad = [m for m in ('viralsim.report', 'viralsim.results', 'matplotlib', "
            "'scipy.stats', 'hydra') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)
