"""viralsim.probabilities: each scheme, the registry, and the config entry point."""

import numpy as np
import pytest

import viralsim as vs
from viralsim import probabilities


def test_with_probabilities_schemes():
    g = vs.FollowerGraph.from_edges([0, 1, 2, 3], [3, 3, 3, 0])
    assert not g.has_probabilities
    wc = g.with_probabilities("weighted_cascade")
    src, dst, p = wc.edges()
    for _s, d, q in zip(src, dst, p):
        assert q == pytest.approx(1 / {3: 3, 0: 1}[d])
    tri = g.with_probabilities("trivalency", rng=0)
    assert set(tri.probs.tolist()) <= {np.float32(x) for x in (0.1, 0.01, 0.001)}
    assert tri == g.with_probabilities("trivalency", rng=0)
    arr = g.with_probabilities(np.array([0.1, 0.2, 0.3, 0.4]))
    got = {(int(a), int(b)): float(c) for a, b, c in zip(*arr.edges())}
    want = {(int(a), int(b)): c for (a, b), c in zip(zip(*g.edges()[:2]), [0.1, 0.2, 0.3, 0.4])}
    assert got == pytest.approx(want)
    assert g.with_probabilities(0.3).probability_summary == "uniform 0.3"
    u = g.with_probabilities("uniform_random", low=0.2, high=0.4, rng=1)
    assert np.all((u.probs >= 0.2) & (u.probs <= 0.4))



def test_bad_probability_schemes():
    g = vs.FollowerGraph.from_edges([0], [1])
    with pytest.raises(ValueError, match="Unknown probability scheme 'wc'.*weighted_cascade"):
        g.with_probabilities("wc")
    with pytest.raises(ValueError, match=r"must be a float in \[0, 1\]"):
        g.with_probabilities(1.1)
    with pytest.raises(ValueError):
        g.with_probabilities(float("nan"))
    with pytest.raises(ValueError, match="no edge probabilities"):
        vs.estimate_reach(g, [0])


def _graph():
    # rows of different lengths, a node with no follower, in-degrees 3, 1 and 1
    return vs.FollowerGraph.from_edges([0, 1, 2, 3, 0], [3, 3, 3, 0, 2], n_nodes=5)


def test_with_probabilities_equals_the_scheme_functions_bit_for_bit():
    g = _graph()
    for scheme, fn in [("weighted_cascade", lambda: probabilities.weighted_cascade(g)),
                       ("trivalency", lambda: probabilities.trivalency(g, rng=3)),
                       ("uniform_random", lambda: probabilities.uniform_random(g, rng=3))]:
        h = vs.FollowerGraph.from_edges(*(np.repeat(np.arange(5), np.diff(g.indptr)),
                                          g.indices), probs=fn(), n_nodes=5)
        assert h == g.with_probabilities(scheme, rng=3), scheme
    assert np.array_equal(probabilities.uniform(g, 0.3), np.full(g.n_edges, 0.3))


def test_weighted_cascade_sums_to_one_per_follower():
    g = vs.generators.barabasi_albert(200, 3, rng=0)
    p = probabilities.weighted_cascade(g)
    per_follower = np.bincount(g.indices, weights=p, minlength=g.n_nodes)
    has_in = g.in_degree() > 0
    np.testing.assert_allclose(per_follower[has_in], 1.0, rtol=1e-12)
    assert probabilities.weighted_cascade(vs.FollowerGraph.from_edges([], [], n_nodes=2)).size == 0


def test_random_schemes_ignore_earlier_probabilities_and_draw_per_edge():
    g = _graph()
    a = g.with_probabilities(0.5).with_probabilities("trivalency", rng=7)
    b = g.with_probabilities(np.linspace(0, 1, g.n_edges)).with_probabilities("trivalency", rng=7)
    assert a == b
    # draws go to edges in (source, follower) order: the i-th draw lands on the i-th edge
    want = np.asarray(probabilities.TRIVALENCY_VALUES)[
        np.random.default_rng(7).integers(0, 3, size=g.n_edges)]
    src, dst = np.repeat(np.arange(5), np.diff(g.indptr)), g.indices
    order = np.lexsort((dst, src))
    np.testing.assert_array_equal(probabilities.trivalency(g, rng=7)[order], want)
    u = probabilities.uniform_random(g, rng=7, low=0.1, high=0.2)
    np.testing.assert_array_equal(u[order], np.random.default_rng(7).uniform(0.1, 0.2, g.n_edges))


def test_registry_names_every_scheme():
    assert set(probabilities.PROBABILITY_SCHEMES) <= set(probabilities.SCHEMES)
    assert probabilities.SCHEMES["uniform"] is probabilities.uniform
    from viralsim.graph import PROBABILITY_SCHEMES  # the old import path

    assert PROBABILITY_SCHEMES == probabilities.PROBABILITY_SCHEMES


def test_scheme_errors_name_the_fix():
    g = _graph()
    with pytest.raises(ValueError, match="with_probabilities: low=0.5 must be <= high=0.1"):
        g.with_probabilities("uniform_random", low=0.5, high=0.1)
    with pytest.raises(ValueError, match="'low' parameter of with_probabilities"):
        g.with_probabilities("uniform_random", low=-1)
    with pytest.raises(ValueError, match="'scheme' parameter of with_probabilities must have one"):
        g.with_probabilities([0.5, 0.5])
    with pytest.raises(TypeError, match="must be numeric"):
        g.with_probabilities(np.array(["a"] * g.n_edges))
    with pytest.raises(ValueError, match=r"Got 2.0 at edge 1 \(1 bad value"):
        probabilities.per_edge(g, [0.5, 2.0, 0, 0, 0])


def test_apply_as_the_command_line_uses_it(caplog):
    g = _graph()
    with pytest.raises(ValueError, match=r"graph.probability=<column>.*probabilities=weighted"):
        probabilities.apply(g, "keep")
    wc = probabilities.apply(g, "weighted_cascade", p=0.3, low=0.2)  # p, low: not its keys
    assert wc == g.with_probabilities("weighted_cascade")
    for keep in ("keep", "file", None):
        assert probabilities.apply(wc, keep) is wc
    with caplog.at_level("INFO", logger="viralsim"):
        u = probabilities.apply(wc, "uniform", p=0.25)
    assert u.probability_summary == "uniform 0.25" and "replaces the probabilities" in caplog.text
    with pytest.raises(ValueError, match=r"The 'probabilities.p' parameter of "
                                         r"probabilities=uniform must be a float in \[0, 1\]"):
        probabilities.apply(g, "uniform", p=1.5)
    r = probabilities.apply(g, "uniform_random", rng=4, low=0.1, high=0.2)
    assert r == g.with_probabilities("uniform_random", rng=4, low=0.1, high=0.2)
    assert probabilities.apply(g, "trivalency", rng=4) == g.with_probabilities("trivalency", rng=4)
    with pytest.raises(ValueError, match="Unknown probability scheme 'wc'"):
        probabilities.apply(g, "wc")
