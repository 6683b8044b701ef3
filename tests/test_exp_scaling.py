"""``experiment=scaling`` (viralsim.experiments.scaling) end to end."""


import numpy as np
import pytest

hydra = pytest.importorskip("hydra")

from viralsim import app, experiments  # noqa: E402
from viralsim import results as res  # noqa: E402

from .app_helpers import (  # noqa: E402
    TINY,
    cfg_of,
)


def test_scaling_names_size_key_when_the_graph_has_no_n_nodes(tmp_path):
    with pytest.raises(ValueError, match=r"this graph has no 'n_nodes'.*experiment.size_key"):
        app.run(cfg_of("formats=[png]", "experiment=scaling", "graph=stochastic_block"),
                str(tmp_path), quiet=True)


def test_scaling_end_to_end(tmp_path, monkeypatch):
    calls = []
    real = experiments.estimate_reach

    def spy(graph, seeds, **kw):
        calls.append((graph.n_nodes, kw["n_sims"]))
        return real(graph, seeds, **kw)

    monkeypatch.setattr("viralsim.estimate.estimate_reach", spy)
    cfg = cfg_of(*TINY, "experiment=scaling", "experiment.sizes=[200,400,800]",
                 "experiment.n_sims=100", "experiment.repeats=2")
    out = app.run(cfg, str(tmp_path), quiet=True)
    # each timed estimate follows two untimed worlds on its graph (kernels loaded first)
    assert calls == [(n, w) for n in (200, 400, 800) for _ in range(2) for w in (2, 100)]
    rows = res.read_table(tmp_path / "results.csv")
    assert [(r["n_nodes"], r["repeat"]) for r in rows] == [
        (n, rep) for n in (200, 400, 800) for rep in (0, 1)]
    assert all(r["graph_mib"] > 0 and r["max_rss_mib"] > 0 and r["n_sims"] == 100 for r in rows)
    # the same worlds each repeat: only the time differs
    assert rows[0]["mean"] == rows[1]["mean"]
    # the slope: least squares of log time on log edges over all six timings, by hand
    x = np.log([r["n_edges"] for r in rows])
    y = np.log([r["elapsed"] for r in rows])
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    se = np.sqrt(resid @ resid / 4 / ((x - x.mean()) @ (x - x.mean())))
    t4 = 2.7764451051977987  # Student's t, 4 degrees of freedom, 97.5%
    assert out.extra["slope"] == pytest.approx(b, rel=1e-9)
    assert out.extra["slope_stderr"] == pytest.approx(se, rel=1e-9)
    assert out.extra["slope_ci"] == pytest.approx((b - t4 * se, b + t4 * se), rel=1e-9)
    text = (tmp_path / "report.md").read_text()
    ci = f"95% CI {b - t4 * se:.2f} to {b + t4 * se:.2f}"
    assert f"edges^{b:.2f} ({ci}" in text and "over all 6 timings (3 sizes)" in text
    assert "(mean of 2 repeats)" in text
    assert (tmp_path / "scaling.png").exists()


def test_scaling_repeats_three_by_default_and_checks_them(tmp_path):
    cfg = cfg_of(*TINY, "experiment=scaling")
    assert cfg.experiment.repeats == 3
    with pytest.raises(ValueError, match=r"experiment.repeats=0: .*experiment.repeats=3"):
        app.run(cfg_of(*TINY, "experiment=scaling", "experiment.repeats=0"), str(tmp_path),
                quiet=True)


def test_scaling_report_without_repeats_says_why_no_interval():
    from viralsim.experiments.scaling import fit_slope, scaling_report

    rows = [{"plan": "a", "k": 1, "mean": 1.0, "ci_low": 0.5, "ci_high": 1.5, "n_sims": 10,
             "elapsed": 0.01 * m, "n_nodes": m, "n_edges": 10 * m, "graph_mib": 0.1,
             "max_rss_mib": 90.0, "rng_seed": 0} for m in (10, 100)]
    fit = fit_slope(rows)
    assert fit["slope"] == pytest.approx(1.0) and np.isnan(fit["ci_low"])
    text = scaling_report(rows, fit, {}, {})
    assert "edges^1.00 over" in text and "No interval: it needs three timings" in text


def test_scaling_100m_study_at_ci_size(tmp_path):
    """configs/study/scaling_100m.yaml (power-law graphs, 1M to 100M edges) run at tiny
    sizes: the power_law graph config, repeats, the slope, time and memory per size."""
    import os

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.exists(os.path.join(repo, "configs", "study", "scaling_100m.yaml")):
        pytest.skip("no configs/ (an sdist)")
    cfg = cfg_of(f"hydra.searchpath=[file://{repo}/configs]", "+study=scaling_100m",
                 "experiment.sizes=[1000,2000,4000]", "experiment.n_sims=50",
                 "experiment.repeats=2", "formats=[png]")
    assert cfg.graph._target_ == "viralsim.generators.power_law"
    out = app.run(cfg, str(tmp_path), quiet=True)
    rows = res.read_table(tmp_path / "results.csv")
    assert [(r["n_nodes"], r["repeat"]) for r in rows] == [
        (n, rep) for n in (1000, 2000, 4000) for rep in (0, 1)]
    import viralsim as vs

    for r in rows:  # the study's graph: power_law(n, 10, 2.5, rng=rng_seed)
        g = vs.generators.power_law(r["n_nodes"], 10, 2.5, rng=0)
        assert r["n_edges"] == g.n_edges and r["graph"] == "power_law"
        assert r["max_rss_mib"] > 0 and r["build_time"] > 0 and r["n_sims"] == 50
    assert np.isfinite(out.extra["slope_ci"][0])
    text = (tmp_path / "report.md").read_text()
    assert "4,000 consumers" in text and "built in" in text and "peak RSS" in text
    assert (tmp_path / "scaling.png").exists() and (tmp_path / "scaling_memory.png").exists()
    assert "scaling_memory.png" in text
