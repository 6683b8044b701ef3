"""``viralsim.app.run``: the run's files, resume, re-runs, and the checks every experiment shares."""

import os

import pytest

hydra = pytest.importorskip("hydra")

from viralsim import app, experiments  # noqa: E402
from viralsim import results as res  # noqa: E402

from .app_helpers import (  # noqa: E402
    TINY,
    cfg_of,
)


def test_run_skips_a_finished_directory(tmp_path):
    cfg = cfg_of(*TINY)
    assert app.run(cfg, str(tmp_path), quiet=True) is not None
    assert app.run(cfg, str(tmp_path), quiet=True) is None  # resume: same config, done
    assert app.run(cfg_of(*TINY, "rng_seed=5"), str(tmp_path), quiet=True) is not None


def test_rerun_clears_the_old_marker_and_sees_changed_inputs(tmp_path, edgelist, monkeypatch):

    d = str(tmp_path / "run")
    cfg = cfg_of("n_sims=200", "formats=[png]", "graph=edgelist", f"graph.path={edgelist}",
                 "experiment.plans=[{name: hub, seeds: [hub]}]")
    assert app.run(cfg, d, quiet=True) is not None and res.is_done(d)
    assert app.run(cfg, d, quiet=True) is None  # resume: same config, same file
    # the edge list changes (size and mtime): not the run that finished
    with open(edgelist, "a") as fh:
        fh.write("f g\n")
    # ... and the re-run dies midway: no marker may vouch for the old results
    monkeypatch.setattr(experiments, "run_experiment", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        app.run(cfg, d, quiet=True)
    # the old run's files went when the new one started
    assert not res.is_done(d) and not (tmp_path / "run" / "results.csv").exists()
    rows, missing = res.merge_sweep(str(tmp_path))
    assert rows == [] and missing == ["run"]


@pytest.mark.parametrize("overrides, match", [
    (["n_sims=1"], r"n_sims=1: a confidence interval needs at least 2 worlds"),
    (["formats=[png,xyz]"], r"\['xyz'\] cannot be written; choose among \[.*'svg'"),
    (["rng_seed=99999999999999999999"], r"rng_seed=99999999999999999999: give an integer from 0"),
    (["+study=no_such_study"], r"study='no_such_study': no study config of that name"),
    (["experiment=scaling", "experiment.sizes=[1000]"], r"needs at least two graph sizes"),
    (["experiment=compare", "experiment.budgets=[5]"], r"exactly one of them \(with budgets, add "
     r"experiment.k=null\)"),
    (["experiment.plans=[{name: x, seeds: [0]}, {name: x, seeds: [1]}]"],
     r"more than one plan named 'x'"),
    (["experiment.plans=[{name: 5, seeds: [0]}, {name: '5', seeds: [1]}]"],
     r"more than one plan named '5'"),
    (["experiment.plans=[{name: 'plan 2', seeds: [0]}, {seeds: [1]}, "
      "{name: 'plan 2 #2', seeds: [2]}]"], r"more than one plan named 'plan 2 #2'"),
])
def test_bad_experiment_settings_fail_before_simulating(tmp_path, monkeypatch, overrides, match):

    monkeypatch.setattr("viralsim.estimate.estimate_reach", lambda *a, **k: pytest.fail("simulated"))
    with pytest.raises(ValueError, match=match):
        app.run(cfg_of(*TINY, *overrides), str(tmp_path), quiet=True)
    assert not res.is_done(str(tmp_path))


def test_upper_case_format_is_written_and_linked(tmp_path):
    app.run(cfg_of(*TINY, "formats=[PNG]"), str(tmp_path), quiet=True)
    assert (tmp_path / "adoption.png").exists()
    assert "![Adoption per round](adoption.png)" in (tmp_path / "report.md").read_text()


def test_a_new_run_removes_the_files_of_the_run_it_replaces(tmp_path, edgelist):
    base = ["graph=edgelist", f"graph.path={edgelist}", "probabilities=uniform",
            "formats=[png]", "n_sims=100"]
    out = str(tmp_path / "run")
    app.run(cfg_of(*base, "experiment=campaign", "experiment.costs.per_follower=0.0",
                   "experiment.plans=[{name: A, seeds: [hub]}]", "experiment.budgets=[1,2]"),
            out, quiet=True)
    assert (tmp_path / "run" / "budget_curve.csv").exists()
    (tmp_path / "run" / "notes.txt").write_text("mine")  # not viralsim's: stays
    app.run(cfg_of(*base, "experiment.plans=[{name: A, seeds: [hub]}]"), out, quiet=True)
    names = set(os.listdir(out))
    assert "budget_curve.csv" not in names and "reach_vs_budget.png" not in names
    assert {"results.csv", "report.md", "notes.txt", "DONE"} <= names
    assert "Expected reach" in (tmp_path / "run" / "report.md").read_text()


def test_one_number_is_a_list_of_one(tmp_path, edgelist):
    base = ["graph=edgelist", f"graph.path={edgelist}", "probabilities=uniform",
            "formats=[png]", "experiment.costs.per_follower=0.0"]
    app.run(cfg_of(*base, "experiment=campaign", "n_sims=100", "experiment.budgets=2",
                   "experiment.plans=[{name: A, seeds: [hub]}, {name: B, strategy: degree}]"),
            str(tmp_path / "a"), quiet=True)
    assert {r["budget"] for r in res.read_table(tmp_path / "a" / "budget_curve.csv")} == {2.0}
    app.run(cfg_of(*base, "experiment=compare", "experiment.strategies=[degree]",
                   "experiment.k=2", "experiment.n_sims=100"), str(tmp_path / "b"), quiet=True)
    assert [r["k"] for r in res.read_table(tmp_path / "b" / "results.csv")] == [2]
    with pytest.raises(ValueError, match=r"experiment.k=\[2.5\]: seed counts must be whole"):
        app.run(cfg_of(*base, "experiment=compare", "experiment.strategies=[degree]",
                       "experiment.k=[2.5]"), str(tmp_path / "c"), quiet=True)
    with pytest.raises(ValueError, match=r"experiment.budgets=.*expected numbers"):
        app.run(cfg_of(*base, "experiment=campaign", "experiment.budgets=[lots]",
                       "experiment.plans=[{name: A, seeds: [hub]}]"), str(tmp_path / "d"),
                quiet=True)


def test_clear_previous_removes_listed_names_only(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "mine.csv").write_text("keep me")
    os.symlink(run / "mine.csv", run / "results.csv")  # the user replaced a listed file by a link
    (tmp_path / "outside.txt").write_text("keep me too")
    (run / "report.md").write_text("old")
    res.write_json(str(run / res.DONE), {"files": ["results.csv", "report.md", "../outside.txt"]})
    res.clear_previous(str(run))
    assert sorted(os.listdir(run)) == ["mine.csv"]  # the link went, not what it pointed to
    assert (tmp_path / "outside.txt").exists()
