"""Saving and loading an InfluenceFit (``fit.save`` / ``vs.load_fit``): the loaded fit
simulates, samples and forecasts exactly as the one saved; bad paths are one-line errors."""

import numpy as np
import pytest

import viralsim as vs

from .test_learn import dag_case, make_log


@pytest.fixture(scope="module")
def fitted():
    g0, s, d, _, casc = dag_case(n=20, m=50, n_casc=60, outside=0.05, seed=3)
    # text labels and a node attribute: both must come back as they were
    g = vs.FollowerGraph.from_edges(s, d, n_nodes=g0.n_nodes,
                                    labels=[f"u{i}" for i in range(g0.n_nodes)])
    g = g.with_node_attr("segment", np.arange(g.n_nodes) % 3)
    log = make_log(g, [{g.labels[v]: t for v, t in c.items()} for c in casc])
    return vs.fit_influence(g, log, prior="auto", outside=True)


def test_saved_fit_loads_back_the_same(fitted, tmp_path):
    fit = fitted
    fit.notes = {"source": "adoptions.csv", "backtest": {"coverage": 0.9, "n_items": 5}}
    path = fit.save(tmp_path / "my_fit")
    assert path.endswith("my_fit.npz")
    back = vs.load_fit(path)
    assert fit.graph.labels[0] == "u0"
    assert back.graph == fit.graph and back.input_graph.labels.tolist() == fit.graph.labels.tolist()
    assert back.model == fit.model and type(back.model).__name__ == "OutsideIC"
    assert np.array_equal(back.graph.node_attrs["segment"], fit.graph.node_attrs["segment"])
    for a in ("probs", "trials", "successes", "outside_rates"):
        assert np.array_equal(getattr(back, a), getattr(fit, a)), a
    assert back.summary() == fit.summary() and "chosen by held-out likelihood" in fit.summary()
    assert back.prior_scores == fit.prior_scores and back.prior_strength == fit.prior_strength
    assert back.notes == fit.notes
    assert back.log.n_items == fit.log.n_items and np.array_equal(back.log.nodes, fit.log.nodes)
    # the same draws and forecasts from the same rng
    assert back.sample(7) == fit.sample(7)
    seeds = [fit.graph.labels[0]]
    assert np.array_equal(back.forecast(seeds, n_sims=40, n_draws=4, rng=1),
                          fit.forecast(seeds, n_sims=40, n_draws=4, rng=1))
    # a directory holding fit.npz (what experiment=learn writes) loads too
    fit.save(tmp_path / "fit.npz")
    assert vs.load_fit(tmp_path).graph == fit.graph


def test_load_fit_bad_paths_are_one_line_errors(tmp_path):
    with pytest.raises(vs.ViralsimError, match=r"does not exist"):
        vs.load_fit(tmp_path / "nope.npz")
    with pytest.raises(vs.ViralsimError, match=r"holds no fit.npz: give the run directory"):
        vs.load_fit(tmp_path)
    txt = tmp_path / "fitted_graph.txt"
    txt.write_text("0 1 0.5\n")
    with pytest.raises(vs.ViralsimError, match=r"not a fit saved by viralsim.*fitted edge list"):
        vs.load_fit(txt)
    g = vs.FollowerGraph.from_edges([0], [1])
    gpath = g.save(tmp_path / "graph.npz")
    with pytest.raises(vs.ViralsimError, match=r"not a fit saved by viralsim"):
        vs.load_fit(gpath)
