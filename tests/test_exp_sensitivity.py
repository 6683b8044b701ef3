"""``experiment=sensitivity`` (viralsim.experiments.sensitivity) end to end."""


import pytest

hydra = pytest.importorskip("hydra")

from viralsim import app  # noqa: E402
from viralsim import results as res  # noqa: E402

from .app_helpers import (  # noqa: E402
    TINY,
    cfg_of,
)


def test_sensitivity_end_to_end(tmp_path):
    cfg = cfg_of(*TINY, "experiment=sensitivity", "probabilities=uniform",
                 "experiment.x.key=probabilities.p",
                 "experiment.x.values=[0.0,0.05]", "experiment.n_sims=100",
                 "experiment.y={key: rng_seed, values: [0, 1]}")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = res.read_table(tmp_path / "results.csv")
    assert [(r["probabilities.p"], r["rng_seed"]) for r in rows] == [(0.0, 0), (0.05, 0), (0.0, 1), (0.05, 1)]
    # p = 0: only the 10 seeds adopt, in every world
    assert [r["mean"] for r in rows if r["probabilities.p"] == 0.0] == [10.0, 10.0]
    assert all(r["mean"] > 10 for r in rows if r["probabilities.p"] == 0.05)
    assert (tmp_path / "sensitivity.png").exists()
    report = (tmp_path / "report.md").read_text()
    assert "| setting | k |" in report and "| probabilities.p = 0.0, rng_seed = 1 | 10 | 10 ± 0 |" in report


@pytest.mark.parametrize("overrides, match", [
    (["experiment.x.key=probabilities.p"],
     r"probabilities=weighted_cascade does not use 'p'.*add probabilities=uniform"),
    (["experiment.x.key=probabilities.pp", "probabilities=uniform"],
     r"probabilities has no key 'pp'.*Keys there: \[.*'p'"),
    (["experiment.x.key=model.foo"], r"model has no key 'foo'"),
])
def test_sensitivity_refuses_keys_that_change_nothing(tmp_path, overrides, match):
    with pytest.raises(ValueError, match=match):
        app.run(cfg_of(*TINY, "experiment=sensitivity", *overrides), str(tmp_path), quiet=True)


def test_sensitivity_default_sweeps_something(tmp_path):
    app.run(cfg_of(*TINY, "experiment=sensitivity", "experiment.n_sims=200"), str(tmp_path),
            quiet=True)
    rows = res.read_table(tmp_path / "results.csv")
    assert len({r["mean"] for r in rows}) == len(rows) == 4  # the default x has an effect
