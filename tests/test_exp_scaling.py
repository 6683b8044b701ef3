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
                 "experiment.n_sims=100")
    out = app.run(cfg, str(tmp_path), quiet=True)
    # each timed estimate follows two untimed worlds on its graph (kernels loaded first)
    assert calls == [(200, 2), (200, 100), (400, 2), (400, 100), (800, 2), (800, 100)]
    rows = res.read_table(tmp_path / "results.csv")
    assert [r["n_nodes"] for r in rows] == [200, 400, 800]
    assert all(r["graph_mib"] > 0 and r["max_rss_mib"] > 0 and r["n_sims"] == 100 for r in rows)
    assert np.isfinite(out.extra["slope"])
    assert (tmp_path / "scaling.png").exists()
