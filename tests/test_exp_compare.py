"""``experiment=compare`` (viralsim.experiments.compare) end to end."""


import pytest

hydra = pytest.importorskip("hydra")

import viralsim as vs  # noqa: E402
from viralsim import app, experiments  # noqa: E402
from viralsim import results as res  # noqa: E402

from .app_helpers import (  # noqa: E402
    TINY,
    cfg_of,
)


def test_compare_end_to_end(tmp_path):
    cfg = cfg_of("graph.n_nodes=300", "formats=[png]", "experiment=compare", "experiment.k=[1,4]",
                 "experiment.n_sims=300")
    out = app.run(cfg, str(tmp_path), quiet=True)
    assert "cost" not in out.display_rows()[0]  # no seed costs: no cost column on the console
    rows = res.read_table(tmp_path / "results.csv")
    assert all(r["elapsed"] == r["select_time"] for r in rows)  # each row's own selection time
    assert [(r["strategy"], r["k"]) for r in rows] == [("random", 1), ("random", 4),
                                                       ("degree", 1), ("degree", 4)]
    for r in rows:
        assert r["n_sims"] == 300 and r["ci_low"] <= r["mean"] <= r["ci_high"]
        assert r["experiment"] == "compare" and r["rng_seed"] == 0 and r["version"] == vs.__version__
    assert rows[3]["baseline"] == "random" and "diff_ci_low" in rows[3]
    assert rows[3]["diff_ci_low"] <= rows[3]["diff"] <= rows[3]["diff_ci_high"]
    # the most-followed four, evaluated in the comparison's worlds, equal a direct estimate
    g = vs.generators.holme_kim(300, 4, 0.3, rng=0).with_probabilities("weighted_cascade")
    top4 = vs.select_seeds(g, k=4, strategy="degree").seeds
    table = vs.compare_strategies(g, ["random", "degree"], k=[1, 4], n_sims=300, rng=0)
    assert rows[3]["mean"] == [r for r in table.rows if r["strategy"] == "degree" and r["k"] == 4][0]["reach_mean"]
    assert sorted(rows[3]["seeds"].split()) == sorted(str(x) for x in top4)
    assert (tmp_path / "reach_vs_k.png").exists() and (tmp_path / "paired_differences.png").exists()
    text = (tmp_path / "report.md").read_text()
    assert "degree reaches" in text and "random reaches" not in text  # not against itself


class _Table:
    def __init__(self, rows):
        self.rows = rows


def test_compare_uses_compare_strategies_when_present(tmp_path, monkeypatch):
    """The seam for the strategies module: its table's columns become the tidy ones."""
    calls = {}

    def fake(graph, strategies, *, k=None, budget=None, model=None, n_sims=None, rng=None,
             confidence=0.95, **kw):
        calls.update(strategies=strategies, k=k, budget=budget, n_sims=n_sims, rng=rng)
        return _Table([{"strategy": s, "k": x, "budget": None, "reach_mean": 10.0 * x,
                        "reach_stderr": 1.0, "reach_ci_low": 10.0 * x - 2, "reach_ci_high": 10.0 * x + 2,
                        "exposure_mean": 5.0, "diff_mean": 0.0, "diff_ci_low": -1.0, "diff_ci_high": 1.0,
                        "selection_s": 0.5, "n_sims": n_sims}
                       for s in strategies for x in k])

    monkeypatch.setattr(vs, "compare_strategies", fake, raising=False)
    cfg = cfg_of(*TINY, "experiment=compare", "experiment.strategies=[degree,imm]",
                 "experiment.k=[1,5]", "experiment.n_sims=123", "rng_seed=4")
    app.run(cfg, str(tmp_path), quiet=True)
    assert calls == {"strategies": ["degree", "imm"], "k": [1, 5], "budget": None, "n_sims": 123,
                     "rng": 4}
    rows = res.read_table(tmp_path / "results.csv")
    assert [(r["strategy"], r["k"], r["mean"], r["ci_high"]) for r in rows] == [
        ("degree", 1, 10.0, 12.0), ("degree", 5, 50.0, 52.0), ("imm", 1, 10.0, 12.0),
        ("imm", 5, 50.0, 52.0)]
    assert "budget" not in rows[0] and rows[0]["select_time"] == 0.5 and rows[0]["rng_seed"] == 4


def test_compare_table_keeps_every_seed():
    row = experiments._standard_columns({"seeds": list(range(25)), "reach_mean": 1.0})
    assert row["seeds"].split() == [str(i) for i in range(25)] and row["mean"] == 1.0
