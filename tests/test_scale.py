"""Larger statistical checks, marked ``slow``.

CI runs them at reduced size (``VIRALSIM_TEST_SCALE=ci``, the default);
``VIRALSIM_TEST_SCALE=full`` runs them at full size for a release.
"""

import math
import os

import numpy as np
import pytest

import viralsim as vs
from viralsim._kernels.baseline import ic_plain

SCALE = os.environ.get("VIRALSIM_TEST_SCALE", "ci")
FULL = SCALE == "full"
DATA = os.environ.get("VIRALSIM_DATA") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
NETHEPT = os.path.join(DATA, "nethept_imm_graph_ic.inf")


def _graphs():
    out = [("BA 10k weighted cascade", lambda: vs.generators.barabasi_albert(10_000, 5, rng=1).with_probabilities("weighted_cascade")),
           ("BA 10k p=0.01", lambda: vs.generators.barabasi_albert(10_000, 5, rng=1).with_probabilities(0.01)),
           ("scale-free trivalency", lambda: vs.generators.scale_free(20_000, rng=3).with_probabilities("trivalency", rng=0))]
    if os.path.exists(NETHEPT):
        out.append(("NetHEPT (file probabilities)", lambda: vs.read_edgelist(NETHEPT, directed=True)))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name, make", _graphs(), ids=[n for n, _ in _graphs()])
def test_skipping_kernel_agrees_with_the_plain_per_edge_kernel(name, make):
    """Two independent definitions of the worlds (skip/binomial/coin rows vs one coin per edge
    from one stream per world) must give the same expected reach: |diff| <= 5 joint standard
    errors (a false alarm has probability < 1e-6)."""
    g = make()
    seeds = np.argsort(-g.out_degree(), kind="stable")[:50].astype(np.int32)
    n = 200_000 if FULL else 10_000
    est = vs.estimate_reach(g, g.labels[seeds].tolist(), n_sims=n, rng=0, exposure=False)
    out = np.empty(n, dtype=np.int64)
    ic_plain(g.indptr, g.indices, g.probs, seeds, np.uint64(12345), n, out)
    se = math.sqrt(est.stderr**2 + out.var(ddof=1) / n)
    assert abs(est.mean - out.mean()) <= 5 * se + 1e-9, (est.mean, out.mean(), se)
