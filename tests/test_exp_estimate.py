"""``experiment=estimate`` (viralsim.experiments.estimate) end to end."""


import numpy as np
import pytest

hydra = pytest.importorskip("hydra")

import viralsim as vs  # noqa: E402
from viralsim import app, experiments  # noqa: E402
from viralsim import results as res  # noqa: E402

from .app_helpers import (  # noqa: E402
    TINY,
    cfg_of,
)


def test_estimate_end_to_end_and_seed_zero(tmp_path):
    cfg = cfg_of(*TINY, "rng_seed=0")
    out = app.run(cfg, str(tmp_path / "a"), quiet=True)
    rows = res.read_table(tmp_path / "a" / "results.csv")
    assert [r["plan"] for r in rows] == ["5 random consumers", "5 most followed", "10 most followed"]
    for c in ("experiment", "graph", "n_nodes", "k", "strategy", *res.RESULT_COLUMNS, "exposure"):
        assert c in rows[0]
    # the table's numbers are the estimate's, recomputed independently
    g = vs.generators.holme_kim(300, 4, 0.3, rng=0).with_probabilities("weighted_cascade")
    top5 = np.argsort(-g.out_degree(), kind="stable")[:5].tolist()
    est = vs.estimate_reach(g, top5, n_sims=200, rng=0)
    assert rows[1]["mean"] == est.mean and rows[1]["ci_low"] == est.ci_low
    assert rows[1]["n_sims"] == 200 and rows[1]["rng_seed"] == 0 and rows[1]["version"] == vs.__version__
    assert out.rows[1]["mean"] == est.mean
    assert res.is_done(str(tmp_path / "a"))
    for f in ("adoption.png", "cascade_sizes.png", "report.md", "config.yaml", "meta.json"):
        assert (tmp_path / "a" / f).exists(), f
    # rng_seed 0 is a seed, not "no seed": same numbers twice, other seeds differ
    app.run(cfg_of(*TINY, "rng_seed=0"), str(tmp_path / "b"), quiet=True)
    app.run(cfg_of(*TINY, "rng_seed=1"), str(tmp_path / "c"), quiet=True)
    rb = res.read_table(tmp_path / "b" / "results.csv")
    rc = res.read_table(tmp_path / "c" / "results.csv")
    assert [r["mean"] for r in rb] == [r["mean"] for r in rows]
    assert [r["mean"] for r in rc] != [r["mean"] for r in rows]


def test_strategy_plan_needs_k_and_applies_to_estimate_only(tmp_path):
    with pytest.raises(ValueError, match=r"strategy=MaxDegree adds a plan of experiment.k seeds"):
        app.run(cfg_of(*TINY, "strategy=degree"), str(tmp_path / "a"), quiet=True)
    with pytest.raises(ValueError, match=r"for experiment=compare list strategies in its own"):
        app.run(cfg_of(*TINY, "strategy=degree", "experiment=compare"), str(tmp_path / "b"),
                quiet=True)
    app.run(cfg_of(*TINY, "strategy=degree", "experiment.k=3"), str(tmp_path / "c"), quiet=True)
    row = res.read_table(tmp_path / "c" / "results.csv")[-1]
    assert (row["plan"], row["strategy"], row["k"]) == ("MaxDegree", "MaxDegree", 3)


def test_a_plan_without_seeds_runs_and_plots(tmp_path):
    app.run(cfg_of(*TINY, "experiment.plans=[{name: a, strategy: degree, k: 0}]"), str(tmp_path),
            quiet=True)
    (row,) = res.read_table(tmp_path / "results.csv")
    assert row["mean"] == 0 and res.is_done(str(tmp_path))
    assert (tmp_path / "cascade_sizes.png").exists()


def test_estimate_with_seed_list(tmp_path, edgelist):
    cfg = cfg_of("graph=edgelist", f"graph.path={edgelist}", "probabilities=uniform",
                 "probabilities.p=1.0", "n_sims=50", "formats=[png]",
                 "experiment.plans=[{name: hub, seeds: [hub]}, {name: pair, seeds: [a, b]}]")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = res.read_table(tmp_path / "results.csv")
    # p = 1: reach = everything reachable; hub reaches all 7, {a, b} reach a, b, f, hub, c, d, e
    assert [(r["plan"], r["mean"], r["stderr"]) for r in rows] == [("hub", 7.0, 0.0), ("pair", 7.0, 0.0)]


def test_estimate_times_each_plan_after_warm_up(tmp_path, monkeypatch):
    calls = []
    real = experiments.estimate_reach

    def spy(graph, seeds, **kw):
        calls.append(kw["n_sims"])
        return real(graph, seeds, **kw)

    monkeypatch.setattr("viralsim.estimate.estimate_reach", spy)
    app.run(cfg_of(*TINY, "n_sims=50"), str(tmp_path), quiet=True)
    # three plans, each timed after two untimed worlds (a fresh install compiles there)
    assert calls == [2, 50, 2, 50, 2, 50]
    rows = res.read_table(tmp_path / "results.csv")
    assert [r["n_sims"] for r in rows] == [50, 50, 50]
