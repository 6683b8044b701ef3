"""The NetworkX-free power-law generator (viralsim.generators.power_law).

Poissonisation makes the model exact to test: the draws of ``v`` in row ``u``
are Poisson(lam[u] * q[v]), independently over pairs, so ``v -> u``'s edge is
an independent Bernoulli(1 - exp(-lam[u] * q[v])) for ``u != v``; the edge
count's mean and variance are sums over pairs, and the tails are compared
with NetworkX's Chung-Lu generator (``expected_degree_graph``) on the same
expected degrees.
"""

import math

import networkx as nx
import numba
import numpy as np
import pytest

import viralsim as vs
from viralsim._kernels.gen import check_csr
from viralsim.generators import power_law, power_law_expected_degrees


def _pair_probs(n, d, gamma, gamma_in=None):
    lam = power_law_expected_degrees(n, d, gamma)
    w = np.arange(1, n + 1, dtype=np.float64) ** (-1.0 / ((gamma_in or gamma) - 1.0))
    return lam, w / w.sum()


def _tail_exponent(deg, dmin):
    """Discrete power-law MLE (Clauset, Shalizi & Newman 2009, eq. 3.7) and its s.e."""
    x = deg[deg >= dmin].astype(np.float64)
    a = 1.0 + x.size / np.log(x / (dmin - 0.5)).sum()
    return a, (a - 1.0) / math.sqrt(x.size)


def test_same_rng_same_graph_whatever_the_thread_count():
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = power_law(20_000, 8, 2.3, rng=3)
    finally:
        numba.set_num_threads(before)
    b = power_law(20_000, 8, 2.3, rng=3)
    assert a == b
    assert power_law(20_000, 8, 2.3, rng=4) != b


def test_canonical_csr_no_self_loops_no_repeats():
    g = power_law(5000, 20, 2.1, rng=0)  # heavy tail: many repeated draws collapsed
    assert check_csr(g.indptr, g.indices, np.zeros(0, np.float32), False) == -1
    assert g == vs.FollowerGraph.from_edges(*g.edges()[:2], n_nodes=g.n_nodes)
    assert g.labels.tolist() == list(range(5000))


def test_edge_count_matches_its_exact_mean_and_variance():
    n, d, gamma = 3000, 12, 2.2
    lam, q = _pair_probs(n, d, gamma)
    # the in-weights go to the consumers in a random order, which only decides which
    # pair in each row is the excluded u == v one: bound that by the row's largest p
    p = -np.expm1(-np.outer(lam, q))
    mean_all, var_all = p.sum(), (p * (1 - p)).sum()
    diag_max = p.max(axis=1).sum()
    counts = [power_law(n, d, gamma, rng=s).n_edges for s in range(5)]
    for c in counts:
        # mean - diag <= E[count] <= mean; 5 sd around that
        assert mean_all - diag_max - 5 * math.sqrt(var_all) <= c <= mean_all + 5 * math.sqrt(var_all)
    assert len(set(counts)) > 1


def test_out_degree_expectations_per_row():
    n, d, gamma = 4000, 10, 2.5
    lam, q = _pair_probs(n, d, gamma)
    p = -np.expm1(-np.outer(lam[:20], q))  # the 20 most followed rows
    deg = np.zeros(20)
    reps = 8
    for s in range(reps):
        deg += power_law(n, d, gamma, rng=s).out_degree()[:20]
    mean = deg / reps
    # exact row mean lies in [sum_v p - max_v p, sum_v p]; variance <= sum_v p(1-p)
    hi = p.sum(axis=1)
    lo = hi - p.max(axis=1)
    sd = np.sqrt((p * (1 - p)).sum(axis=1) / reps)
    assert ((mean >= lo - 5 * sd) & (mean <= hi + 5 * sd)).all()


@pytest.mark.parametrize("gamma", [2.2, 2.7])
def test_tail_exponent_matches_networkx_chung_lu(gamma):
    n, d, dmin = 20_000, 10, 30
    lam = power_law_expected_degrees(n, d, gamma)
    ours = power_law(n, d, gamma, rng=1)
    G = nx.expected_degree_graph(lam.tolist(), seed=1, selfloops=False)
    theirs = np.array([x for _, x in G.degree()])
    a1, s1 = _tail_exponent(ours.out_degree(), dmin)
    a2, s2 = _tail_exponent(ours.in_degree(), dmin)
    a3, s3 = _tail_exponent(theirs, dmin)
    # followers, followees and NetworkX's degrees agree with one another within 4 s.e.
    assert abs(a1 - a3) < 4 * math.hypot(s1, s3)
    assert abs(a2 - a3) < 4 * math.hypot(s2, s3)
    # and with the asked exponent, within the finite-size bias of the fit (0.25)
    assert abs(a1 - gamma) < 0.25 + 4 * s1
    # total edges: NetworkX's undirected ties vs our directed edges (each ~ n*d/2 vs n*d)
    assert abs(ours.n_edges / (2 * G.number_of_edges()) - 1) < 0.05


def test_clustering_like_networkx_chung_lu():
    n, d, gamma = 5000, 10, 2.5
    lam = power_law_expected_degrees(n, d, gamma)
    ours = power_law(n, d, gamma, rng=2)
    s, t, _ = ours.edges()
    U = nx.Graph()
    U.add_nodes_from(range(n))
    U.add_edges_from(zip(s.tolist(), t.tolist()))
    G = nx.expected_degree_graph(lam.tolist(), seed=2, selfloops=False)
    c1, c2 = nx.transitivity(U), nx.transitivity(G)
    # no clustering beyond chance in either; the chance level is set by the degree
    # sequence, which differ (ours: followers and followees independent)
    assert c1 < 0.05 and c2 < 0.05


def test_expected_degrees_sum_and_cap():
    lam = power_law_expected_degrees(10_000, 10, 2.1, max_degree=100)
    assert lam.sum() == pytest.approx(100_000)
    assert lam.max() == pytest.approx(100) and (np.diff(lam) <= 1e-12).all()
    assert power_law(10_000, 10, 2.1, max_degree=100, rng=0).out_degree().max() < 160


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(n_nodes=100, avg_degree=10, exponent=1.0), ValueError, "'exponent'"),
    (dict(n_nodes=100, avg_degree=200, exponent=2.5), ValueError, "lower avg_degree"),
    (dict(n_nodes=1, avg_degree=1, exponent=2.5), ValueError, "'n_nodes'"),
    (dict(n_nodes=100, avg_degree="x", exponent=2.5), TypeError, "'avg_degree'"),
])
def test_bad_parameters_name_the_fix(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        power_law(**kwargs)


def test_probabilities_set_and_zero_degree():
    g = power_law(1000, 5, probabilities="weighted_cascade", rng=0)
    assert g.has_probabilities
    assert power_law(100, 0, rng=0).n_edges == 0
