"""The command-line application: config tree, composition errors, each experiment end to end."""

import contextlib
import os
import shutil
import subprocess
import sys
import time
import venv

import numpy as np
import pytest

hydra = pytest.importorskip("hydra")
from hydra import compose, initialize_config_module  # noqa: E402
from hydra.errors import ConfigCompositionException, MissingConfigException  # noqa: E402
from hydra.utils import instantiate  # noqa: E402
from omegaconf import OmegaConf, open_dict  # noqa: E402
from omegaconf.errors import MissingMandatoryValue, ValidationError  # noqa: E402

import viralsim as vs  # noqa: E402
from viralsim import app, experiments  # noqa: E402
from viralsim import results as res  # noqa: E402
from viralsim.exceptions import EdgeListError, NodeNotFound  # noqa: E402

CONF = os.path.join(os.path.dirname(vs.__file__), "conf")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("VIRALSIM_DATA") or os.path.join(REPO, "..", "shared", "data")

TINY = ["graph.n_nodes=300", "n_sims=200", "formats=[png]"]


def options(group):
    d = os.path.join(CONF, group)
    return sorted(f[:-5] for f in os.listdir(d) if f.endswith(".yaml"))


def cfg_of(*overrides):
    with initialize_config_module("viralsim.conf", version_base="1.3"):
        return compose("config", overrides=list(overrides))


def plain(cfg):
    return OmegaConf.to_container(cfg, resolve=True)


@pytest.fixture
def edgelist(tmp_path):
    p = tmp_path / "followers.txt"
    # a small follower graph with string ids: hub -> a..e, a -> f, b -> f
    lines = [f"hub {x}" for x in "abcde"] + ["a f", "b f", "f hub"]
    p.write_text("\n".join(lines) + "\n")
    return str(p)


# ---------------------------------------------------------------------- composition
def test_default_config_is_the_built_in_run():
    cfg = cfg_of()
    assert cfg.rng_seed == 0
    assert cfg.graph._target_ == "viralsim.generators.holme_kim"
    assert (cfg.graph.n_nodes, cfg.graph.m, cfg.graph.p_triangle) == (10_000, 4, 0.3)
    assert cfg.probabilities.scheme == "weighted_cascade"
    assert cfg.precision == 0.01 and cfg.n_sims is None
    assert cfg.experiment.name == "estimate"
    assert [p.strategy for p in cfg.experiment.plans] == ["random", "degree", "degree"]


@pytest.mark.parametrize("name", options("graph"))
def test_every_graph_config_composes_and_builds(name, edgelist):
    over = [f"graph={name}"]
    if name == "edgelist":
        over += [f"graph.path={edgelist}", "probabilities=uniform"]
    elif name == "dataset":
        path = os.path.join(DATA, "email-Eu-core.txt")
        if not os.path.exists(path):
            pytest.skip("shared data absent")
        over += ["graph.name=email-Eu-core", f"graph.path={path}"]
    elif name == "follower_csv":
        p = os.path.join(os.path.dirname(edgelist), "f.csv")
        c = os.path.join(os.path.dirname(edgelist), "c.csv")
        with open(p, "w") as fh:
            fh.write("source,target\nann,bob\nann,cid\nbob,cid\n")
        with open(c, "w") as fh:
            fh.write("id,cost,segment\nann,3.5,1\nbob,1,0\ncid,2,0\nzed,9,9\n")
        over += [f"graph.path={p}", f"graph.consumers={c}"]
    elif name == "stochastic_block":
        over += ["graph.sizes=[60,40]", "graph.p_in=0.1", "graph.p_out=0.01"]
    else:
        over += ["graph.n_nodes=200"]
    if name == "erdos_renyi":
        over += ["graph.p_edge=0.02"]
    if name == "watts_strogatz":
        over += ["graph.k=4"]
    g = experiments.build_graph(plain(cfg_of(*over)))
    assert isinstance(g, vs.FollowerGraph) and g.n_edges > 0 and g.has_probabilities
    if name == "follower_csv":
        # zed has a consumers row but no follow tie: an isolated consumer, not dropped
        assert g.labels.tolist() == ["ann", "bob", "cid", "zed"]
        assert g.out_degree().tolist() == [2, 1, 0, 0]
        np.testing.assert_array_equal(g.node_attrs["cost"], [3.5, 1.0, 2.0, 9.0])
        with open(c, "w") as fh:
            fh.write("id,cost\nann,3.5\n")
        with pytest.raises(EdgeListError, match="2 consumer.*'bob', 'cid'"):
            experiments.build_graph(plain(cfg_of(*over)))


STUDIES = sorted(f[:-5] for f in os.listdir(os.path.join(REPO, "configs", "study"))) \
    if os.path.isdir(os.path.join(REPO, "configs", "study")) else []


@pytest.mark.parametrize("study", STUDIES)
def test_every_study_preset_composes(study):
    cfg = cfg_of(f"hydra.searchpath=[file://{REPO}/configs]", f"+study={study}")
    c = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    assert c["experiment"]["name"] in experiments.EXPERIMENTS


@pytest.mark.parametrize("name", options("probabilities"))
def test_every_probability_config(name, edgelist):
    over = [f"probabilities={name}"]
    if name == "keep":  # keep needs probabilities in the file
        p = os.path.join(os.path.dirname(edgelist), "p.txt")
        with open(p, "w") as fh:
            fh.write("1 2 0.5\n2 3 0.25\n")
        over += ["graph=edgelist", f"graph.path={p}"]
    else:
        over += ["graph.n_nodes=100"]
    g = experiments.build_graph(plain(cfg_of(*over)))
    assert g.has_probabilities
    if name == "uniform":
        np.testing.assert_allclose(g.probs, 0.01, rtol=1e-6)
    if name == "weighted_cascade":
        np.testing.assert_allclose(g.probs, 1.0 / g.in_degree()[g.indices], rtol=1e-6)


@pytest.mark.parametrize("name", options("model"))
def test_every_model_config_builds(name):
    cfg = cfg_of(f"model={name}")
    assert isinstance(experiments.build_model(plain(cfg)), vs.DiffusionModel)
    assert isinstance(instantiate(cfg.model), vs.DiffusionModel)


@pytest.mark.parametrize("name", options("experiment"))
def test_every_experiment_config_composes(name):
    cfg = cfg_of(f"experiment={name}")
    assert cfg.experiment.name == name
    OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)


@pytest.mark.parametrize("name", options("backend"))
def test_every_backend_config_composes(name):
    assert cfg_of(f"backend={name}").backend.name == name


def test_strategy_configs_build_when_present():
    names = options("strategy") if os.path.isdir(os.path.join(CONF, "strategy")) else []
    for name in names:
        cfg = cfg_of(f"strategy={name}")
        assert experiments.build(plain(cfg)["strategy"]) is not None


def test_type_error_at_composition():
    with pytest.raises(ConfigCompositionException) as e:
        cfg_of("graph.n_nodes=ten")
    assert "n_nodes" in str(e.value.__cause__ or e.value)
    with pytest.raises((ConfigCompositionException, ValidationError)):
        cfg_of("rng_seed=zero")


def test_unknown_group_choice_lists_the_valid_ones():
    with pytest.raises(MissingConfigException) as e:
        cfg_of("graph=holme_kimm")
    msg = str(e.value)
    assert "holme_kimm" in msg and "holme_kim" in msg.replace("holme_kimm", "") and "edgelist" in msg


def test_required_value_left_unset_names_it(tmp_path):
    cfg = cfg_of("graph=edgelist")
    with pytest.raises(MissingMandatoryValue, match="graph.path"):
        app.run(cfg, str(tmp_path))
    assert not res.is_done(str(tmp_path))


def test_edge_list_path_missing(tmp_path):
    cfg = cfg_of("graph=edgelist", f"graph.path={tmp_path / 'nope.txt'}")
    with pytest.raises(EdgeListError, match="nope.txt"):
        app.run(cfg, str(tmp_path / "out"), quiet=True)


def test_searchpath_added_only_when_configs_exists(tmp_path):
    assert app._with_searchpath(["a=1"], cwd=str(tmp_path)) == ["a=1"]
    (tmp_path / "configs").mkdir()
    out = app._with_searchpath(["a=1"], cwd=str(tmp_path))
    assert out[-1] == f"hydra.searchpath=['file://{tmp_path / 'configs'}']"
    assert app._with_searchpath(["hydra.searchpath=[x]"], cwd=str(tmp_path)) == ["hydra.searchpath=[x]"]


# ---------------------------------------------------------------------- end to end (in process)
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


def test_run_skips_a_finished_directory(tmp_path):
    cfg = cfg_of(*TINY)
    assert app.run(cfg, str(tmp_path), quiet=True) is not None
    assert app.run(cfg, str(tmp_path), quiet=True) is None  # resume: same config, done
    assert app.run(cfg_of(*TINY, "rng_seed=5"), str(tmp_path), quiet=True) is not None


def test_rerun_clears_the_old_marker_and_sees_changed_inputs(tmp_path, edgelist, monkeypatch):
    from viralsim import experiments

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
    from viralsim import experiments

    monkeypatch.setattr("viralsim.estimate.estimate_reach", lambda *a, **k: pytest.fail("simulated"))
    with pytest.raises(ValueError, match=match):
        app.run(cfg_of(*TINY, *overrides), str(tmp_path), quiet=True)
    assert not res.is_done(str(tmp_path))


def test_scaling_names_size_key_when_the_graph_has_no_n_nodes(tmp_path):
    with pytest.raises(ValueError, match=r"this graph has no 'n_nodes'.*experiment.size_key"):
        app.run(cfg_of("formats=[png]", "experiment=scaling", "graph=stochastic_block"),
                str(tmp_path), quiet=True)


def test_strategy_plan_needs_k_and_applies_to_estimate_only(tmp_path):
    with pytest.raises(ValueError, match=r"strategy=MaxDegree adds a plan of experiment.k seeds"):
        app.run(cfg_of(*TINY, "strategy=degree"), str(tmp_path / "a"), quiet=True)
    with pytest.raises(ValueError, match=r"for experiment=compare list strategies in its own"):
        app.run(cfg_of(*TINY, "strategy=degree", "experiment=compare"), str(tmp_path / "b"),
                quiet=True)
    app.run(cfg_of(*TINY, "strategy=degree", "experiment.k=3"), str(tmp_path / "c"), quiet=True)
    row = res.read_table(tmp_path / "c" / "results.csv")[-1]
    assert (row["plan"], row["strategy"], row["k"]) == ("MaxDegree", "MaxDegree", 3)


def test_campaign_budget_below_every_cost_skips_budget_sized_plans(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text("source,target\nann,bob\nann,cid\nbob,cid\ncid,dan\n")
    c.write_text("id,cost\nann,5\nbob,2\ncid,1\ndan,0.5\n")
    cfg = cfg_of("formats=[png]", "experiment=campaign", "graph=follower_csv", f"graph.path={f}",
                 f"graph.consumers={c}", "experiment.costs.attr=cost", "experiment.n_sims=200",
                 "experiment.budgets=[0.2,10]",
                 "experiment.plans=[{name: A, seeds: [ann, bob]}, {name: deg, strategy: degree}]")
    app.run(cfg, str(tmp_path / "run"), quiet=True)
    curve = res.read_table(tmp_path / "run" / "budget_curve.csv")
    assert {(r["plan"], r["budget"]) for r in curve} == {("A", 10.0), ("deg", 10.0),
                                                         ("best plan", 10.0)}


def test_n_sims_on_the_command_line_applies_to_every_experiment():
    cfg = cfg_of("experiment=compare", "n_sims=300")
    assert app._worlds_from_command_line(cfg, ["experiment=compare", "n_sims=300"]).experiment.n_sims == 300
    # the specific key, when given too, wins; and without n_sims= nothing changes
    assert app._worlds_from_command_line(cfg, ["n_sims=300", "experiment.n_sims=50"]) is cfg
    assert app._worlds_from_command_line(cfg, ["experiment=compare"]) is cfg
    assert cfg.experiment.n_sims == 2000  # the original is left as it was


def test_plans_with_the_same_strategy_get_distinct_names(tmp_path):
    cfg = cfg_of("graph.n_nodes=300", "formats=[png]", "experiment=campaign",
                 "experiment.n_sims=200", "experiment.budgets=[100,200]",
                 "experiment.plans=[{strategy: degree, k: 2}, {strategy: degree, k: 10}, "
                 "{strategy: random, k: 5}]")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = {r["plan"]: r for r in res.read_table(tmp_path / "results.csv")}
    assert set(rows) == {"degree #1", "degree #2", "random"}
    assert rows["degree #1"]["k"] == 2 and rows["degree #2"]["k"] == 10
    best = max(rows.values(), key=lambda r: r["mean"])
    assert best["plan"] == "degree #2" and rows["degree #1"]["diff"] < 0  # not "0 ± 0"
    curve = [r for r in res.read_table(tmp_path / "budget_curve.csv") if r["plan"] == "best plan"]
    for r in curve:  # the best plan that fits each budget, with its own cost and k
        want = max((x for x in rows.values() if x["cost"] <= r["budget"]), key=lambda x: x["mean"])
        assert (r["mean"], r["k"], r["cost"]) == (want["mean"], want["k"], want["cost"])
    assert len(curve) == 2


def test_upper_case_format_is_written_and_linked(tmp_path):
    app.run(cfg_of(*TINY, "formats=[PNG]"), str(tmp_path), quiet=True)
    assert (tmp_path / "adoption.png").exists()
    assert "![Adoption per round](adoption.png)" in (tmp_path / "report.md").read_text()


def _as_a_sweep_job(monkeypatch, out_dir):
    class HC:  # what _task reads of Hydra's runtime config, in a multirun
        class runtime:
            output_dir = str(out_dir)
            choices = {"hydra/launcher": "basic"}

        class job:
            num = 0

        class overrides:
            task = []

    from hydra.types import RunMode

    HC.mode = RunMode.MULTIRUN
    monkeypatch.setattr(app.HydraConfig, "get", staticmethod(lambda: HC))


def test_a_sweep_job_returns_nothing_to_its_launcher(tmp_path, monkeypatch):
    """Its results are on disk; a launcher keeps (basic) or sends (joblib) what it returns."""
    d = tmp_path / "job"
    _as_a_sweep_job(monkeypatch, d)
    assert app._task(cfg_of(*TINY)) is None
    assert res.is_done(str(d)) and len(res.read_table(d / "results.csv")) > 0


def test_a_job_failing_early_leaves_no_older_done(tmp_path, monkeypatch):
    d = tmp_path / "job"
    res.mark_done(str(d), {"old": 1})
    res.write_table([{"plan": "old", "mean": 1.0}], d / "results.csv", parquet=False)
    _as_a_sweep_job(monkeypatch, d)
    monkeypatch.setattr(app, "_plain", lambda cfg: 1 / 0)  # fails before anything is written
    assert app._task(cfg_of(*TINY)) is None
    assert not res.is_done(str(d)) and res.failure(str(d)) == "division by zero"
    assert res.merge_sweep(str(tmp_path))[0] == []


def test_campaign_plan_without_seeds_has_no_cost_per_adopter(tmp_path):
    app.run(cfg_of("graph.n_nodes=300", "formats=[png]", "experiment=campaign",
                   "experiment.n_sims=200", "experiment.plans=[{name: none, seeds: []}, "
                   "{name: top, strategy: degree, k: 3}]"), str(tmp_path), quiet=True)
    rows = {r["plan"]: r for r in res.read_table(tmp_path / "results.csv")}
    assert rows["none"]["mean"] == 0 and rows["none"]["cost_per_adopter"] is None
    assert rows["none"]["ci_low"] == rows["none"]["ci_high"] == 0  # no seeds: certain


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


def test_campaign_end_to_end(tmp_path, edgelist):
    plans = ("experiment.plans=[{name: Hub, seeds: [hub]}, {name: Leaves, seeds: [c, d]},"
             " {name: Best by followers, strategy: degree}]")
    cfg = cfg_of("experiment=campaign", "graph=edgelist", f"graph.path={edgelist}",
                 "probabilities=uniform", "probabilities.p=0.5", "formats=[png]", plans, "experiment.budgets=[2,4]",
                 "experiment.costs.per_follower=0.0", "experiment.n_sims=4000")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = res.read_table(tmp_path / "results.csv")
    assert [r["rank"] for r in rows] == [1, 2, 3]
    means = [r["mean"] for r in rows]
    assert means == sorted(means, reverse=True)
    by = {r["plan"]: r for r in rows}
    assert by["Hub"]["cost"] == 1.0 and by["Leaves"]["cost"] == 2.0
    # the budget-sized plan buys the 4 most-followed consumers at cost 1 each
    assert by["Best by followers"]["k"] == 4 and by["Best by followers"]["cost"] == 4.0
    best = rows[0]
    assert best["diff"] == 0.0 and all(r["vs_best"] == best["plan"] for r in rows)
    for r in rows:
        assert r["cost_per_adopter"] == pytest.approx(r["cost"] / r["mean"])
        assert r["diff_ci_low"] <= r["diff"] <= r["diff_ci_high"]
    curve = res.read_table(tmp_path / "budget_curve.csv")
    assert {r["budget"] for r in curve} == {2.0, 4.0}
    assert (tmp_path / "reach_vs_budget.png").exists()
    text = (tmp_path / "report.md").read_text()
    assert "more consumers than" in text and best["plan"] in text


def test_campaign_cost_equal_to_budget_fits(tmp_path, edgelist):
    # a, b, f cost 0.6 + 0.5 * 1 follower = 1.1 and c, d, e cost 0.6: both plans cost
    # 1.1 + 0.6, which is 1.7000000000000002 in floats, and must fit a budget of 1.7
    cfg = cfg_of("experiment=campaign", "graph=edgelist", f"graph.path={edgelist}",
                 "probabilities=uniform", "probabilities.p=0.5", "formats=[png]",
                 "experiment.plans=[{name: List, seeds: [a, c]}, {name: Budget, strategy: degree}]",
                 "experiment.budgets=[1.7]", "experiment.costs.base=0.6",
                 "experiment.costs.per_follower=0.5", "experiment.n_sims=200")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = {r["plan"]: r for r in res.read_table(tmp_path / "results.csv")}
    assert set(rows) == {"List", "Budget"}
    assert rows["List"]["cost"] == rows["Budget"]["cost"] == 1.1 + 0.6 > 1.7
    assert rows["Budget"]["k"] == 2
    curve = res.read_table(tmp_path / "budget_curve.csv")
    assert {r["plan"] for r in curve} == {"List", "Budget", "best plan"}


def test_campaign_target_segment(tmp_path):
    # p = 0: only seeds adopt, so reach in segment 1 is the number of seeds there
    cfg = cfg_of("experiment=campaign", "graph=stochastic_block", "graph.sizes=[30,30]",
                 "graph.p_in=0.2", "graph.p_out=0.01", "probabilities=uniform", "probabilities.p=0.0",
                 "formats=[png]", "experiment.n_sims=50", "experiment.budgets=[]",
                 "experiment.target_segment=1",
                 "experiment.plans=[{name: A, seeds: [0, 1]}, {name: B, seeds: [30, 31, 0]}]")
    app.run(cfg, str(tmp_path), quiet=True)
    rows = {r["plan"]: r for r in res.read_table(tmp_path / "results.csv")}
    assert (rows["A"]["mean"], rows["A"]["segment_reach"]) == (2.0, 0.0)
    assert (rows["B"]["mean"], rows["B"]["segment_reach"]) == (3.0, 2.0)
    assert rows["B"]["rank"] == 1 and rows["A"]["diff"] == -1.0


def test_campaign_bad_inputs(tmp_path, edgelist):
    base = ["experiment=campaign", "graph=edgelist", f"graph.path={edgelist}",
            "probabilities=uniform", "formats=[png]",
            "experiment.n_sims=100"]
    cfg = cfg_of(*base, "experiment.plans=[{name: A, seeds: [hub, zed, yan]}]")
    with pytest.raises(NodeNotFound, match="zed.*yan|'zed'"):
        app.run(cfg, str(tmp_path / "a"), quiet=True)
    cfg = cfg_of(*base, "experiment.plans=[{name: A, seeds: [hub, a]}]",
                 "experiment.budgets=[1.5]")
    with pytest.raises(ValueError, match="below the cost of every plan"):
        app.run(cfg, str(tmp_path / "b"), quiet=True)
    assert not os.path.exists(tmp_path / "b" / "results.csv")
    for plans, match in [
        ("[{name: A, seeds: hub}]", r"Plan 'A': seeds must be a list of consumer ids, e.g. "
                                    r"seeds: \[hub\]"),
        ("[{name: A, seeds: [hub], strategy: degree}]", r"gives seeds and strategy"),
        ("[{name: A, strategy: degree, k: -1}]", r"k must be a whole number >= 0"),
        ("[{name: A, strategy: degree, k: 2.5}]", r"k must be a whole number >= 0"),
    ]:
        with pytest.raises(ValueError, match=match):
            app.run(cfg_of(*base, f"experiment.plans={plans}"), str(tmp_path / "c"), quiet=True)
    with pytest.raises(ValueError, match=r"Plan 'big' \(strategy degree, k=50\): The 'k' "
                                         r"parameter .* at most the number of nodes"):
        app.run(cfg_of(*base, "experiment.plans=[{name: big, strategy: degree, k: 50}]"),
                str(tmp_path / "e"), quiet=True)
    with pytest.raises(ValueError, match=r"every budget must be a number > 0"):
        app.run(cfg_of(*base, "experiment.plans=[{name: A, seeds: [hub]}]",
                       "experiment.budgets=[-5,40]"), str(tmp_path / "d"), quiet=True)
    assert not os.path.exists(tmp_path / "c" / "results.csv")


def test_campaign_reports_plans_left_out_and_unknown_segments(tmp_path, edgelist):
    base = ["experiment=campaign", "graph=edgelist", f"graph.path={edgelist}",
            "probabilities=uniform", "formats=[png]", "experiment.n_sims=100",
            "experiment.costs.per_follower=0.0"]
    app.run(cfg_of(*base, "experiment.plans=[{name: A, seeds: [hub]}, {name: B, seeds: [a, b, c]}]",
                   "experiment.budgets=[1,2]"), str(tmp_path / "a"), quiet=True)
    assert [r["plan"] for r in res.read_table(tmp_path / "a" / "results.csv")] == ["A"]
    text = (tmp_path / "a" / "report.md").read_text()
    assert "Left out: **B** costs 3.00, over the largest budget (2.00)." in text
    curve = res.read_table(tmp_path / "a" / "budget_curve.csv")
    assert {r["best_of"] for r in curve if r["plan"] == "best plan"} == {"A"}
    # a target segment no consumer is in: an error naming the segments there are
    cfg = cfg_of("experiment=campaign", "graph=stochastic_block", "graph.sizes=[30,30]",
                 "graph.p_in=0.2", "graph.p_out=0.01", "probabilities=uniform", "formats=[png]",
                 "experiment.n_sims=50", "experiment.budgets=[]", "experiment.target_segment=7",
                 "experiment.plans=[{name: A, seeds: [0, 1]}]")
    with pytest.raises(ValueError, match=r"target_segment=7: no consumer is in that segment "
                                         r"\(the 'segment' values are 0, 1\)"):
        app.run(cfg, str(tmp_path / "b"), quiet=True)


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


# ---------------------------------------------------------------------- the console script
def _cli(args, cwd, env=None, timeout=300):
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "viralsim", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=e)


def test_cli_multirun_merge_and_resume(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["-m", "graph.n_nodes=200", "n_sims=100", "formats=[png]", "rng_seed=0,1,2",
            "experiment.size_distribution=false", f"hydra.sweep.dir={sweep}"]
    p = _cli(args, tmp_path)
    assert p.returncode == 0, p.stderr
    merged = res.read_table(sweep / "results.csv")
    assert len(merged) == 9 and sorted({r["job"] for r in merged}) == [0, 1, 2]
    assert {r["rng_seed"] for r in merged} == {0, 1, 2}
    for j in range(3):
        job = res.read_table(sweep / str(j) / "results.csv")
        assert [r["mean"] for r in merged if r["job"] == j] == [r["mean"] for r in job]
    assert (sweep / "report.md").exists()
    # job 1 killed before it finished: its marker is gone; the others must not re-run
    os.remove(sweep / "1" / "DONE")
    rows, missing = res.merge_sweep(str(sweep))
    assert missing == ["1"] and len(rows) == 6
    stamp = {j: os.stat(sweep / str(j) / "DONE").st_mtime_ns for j in (0, 2)}
    p = _cli(args, tmp_path)
    assert p.returncode == 0, p.stderr
    assert {j: os.stat(sweep / str(j) / "DONE").st_mtime_ns for j in (0, 2)} == stamp
    assert res.is_done(str(sweep / "1"))
    assert len(res.read_table(sweep / "results.csv")) == 9


def test_cli_sweep_with_a_failing_job_merges_the_others_and_exits_1(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["-m", "graph.n_nodes=200", "n_sims=100", "formats=[png]", "probabilities=uniform",
            "probabilities.p=0.01,1.5,0.02", "experiment.size_distribution=false",
            f"hydra.sweep.dir={sweep}"]
    p = _cli(args, tmp_path)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "Error (job 1): The 'probabilities.p' parameter of probabilities=uniform" in p.stderr
    assert "1 of the sweep's jobs failed" in p.stderr
    assert sorted({r["job"] for r in res.read_table(sweep / "results.csv")}) == [0, 2]
    assert res.failure(str(sweep / "1")).startswith("The 'probabilities.p' parameter")
    assert "Not finished (left out): 1." in (sweep / "report.md").read_text()
    assert not res.is_done(str(sweep / "1"))


def test_cli_sweep_with_nested_job_dirs_merges_and_reports_failures(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["-m", "graph.n_nodes=200", "n_sims=100", "formats=[png]", "probabilities=uniform",
            "probabilities.p=0.01,1.5,0.02", "experiment.size_distribution=false",
            "hydra.sweep.subdir=s/${hydra.job.num}", f"hydra.sweep.dir={sweep}"]
    p = _cli(args, tmp_path)
    assert p.returncode == 1 and "job s/1 failed" in p.stderr, p.stderr
    rows = res.read_table(sweep / "results.csv")
    assert sorted({r["job"] for r in rows}) == ["s/0", "s/2"] and len(rows) == 6
    assert res.job_dirs(str(sweep)) == ["s/0", "s/1", "s/2"]


def _multirun_cfg(*overrides, params=None, sweeper=None):
    """The composed config of a multirun, as the sweep callback receives it."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    with initialize_config_module("viralsim.conf", version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        cfg = loader.load_configuration("config", list(overrides), run_mode=RunMode.MULTIRUN)
    with open_dict(cfg):
        if params is not None:
            cfg.hydra.sweeper.params = params
        if sweeper is not None:
            cfg.hydra.sweeper._target_ = sweeper
    return cfg


def _basic_sweeper_jobs(cfg):
    """The jobs Hydra's own basic sweeper makes of this config: the reference."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = cfg.hydra.sweeper.params or {}
    args = [f"{k}={v}" for k, v in params.items()] + list(cfg.hydra.overrides.task)
    parsed = OverridesParser.create().parse_overrides(args)
    return len(BasicSweeper.split_arguments(parsed, None)[0])


@pytest.mark.parametrize("overrides, params, n", [
    (["rng_seed=0,1,2"], None, 3),
    (["rng_seed=0,1,2", "n_sims=10,20"], None, 6),
    ([], {"rng_seed": "range(4)"}, 4),
    (["n_sims=10,20"], {"rng_seed": "range(4)"}, 8),
    # a key in both: the command line's values replace the params'
    (["rng_seed=0,1"], {"rng_seed": "range(4)", "graph.n_nodes": "100,200"}, 4),
    (["rng_seed=5"], {"rng_seed": "range(4)"}, 1),
])
def test_sweep_job_count_is_the_basic_sweepers(overrides, params, n):
    cfg = _multirun_cfg(*overrides, params=params)
    assert app._sweep_jobs(cfg) == _basic_sweeper_jobs(cfg) == n


@pytest.mark.parametrize("overrides, sweeper", [
    (["probabilities.p=interval(0.01,0.1)"], None),  # the basic sweeper refuses it
    (["strategy=glob(*)"], None),  # only the config loader can list the choices
    (["rng_seed=0,1,2"], "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper"),
])
def test_sweep_job_count_unknown(overrides, sweeper):
    """Unknown, not guessed: another sweeper runs its own number of trials, and a
    count that is too small would leave finished jobs out of the merge."""
    assert app._sweep_jobs(_multirun_cfg(*overrides, sweeper=sweeper)) is None


def test_cli_sweep_defined_in_a_config_merges_only_its_jobs(tmp_path):
    """``hydra.sweeper.params`` in a config (here a study preset in ./configs) counts
    its jobs like the command line: an earlier, larger sweep's job 3 in the same
    directory is not merged."""
    study = tmp_path / "configs" / "study"
    study.mkdir(parents=True)
    sweep = tmp_path / "sweep"
    args = ["-m", "+study=seeds", "n_sims=100", "formats=[png]",
            "experiment.size_distribution=false", f"hydra.sweep.dir={sweep}"]
    for seeds in ("0,1,2,3", "0,1,2"):
        (study / "seeds.yaml").write_text(
            "# @package _global_\ngraph:\n  n_nodes: 200\n"
            f"hydra:\n  sweeper:\n    params:\n      rng_seed: {seeds}\n")
        p = _cli(args, tmp_path)
        assert p.returncode == 0, p.stderr
    assert res.is_done(str(sweep / "3"))
    merged = res.read_table(sweep / "results.csv")
    assert sorted({r["job"] for r in merged}) == [0, 1, 2] and len(merged) == 9


def test_cli_joblib_launcher_sweep_merges(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    sweep = tmp_path / "sweep"
    p = _cli(["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "graph.n_nodes=200",
              "n_sims=100", "formats=[png]", "rng_seed=0,1,2", f"hydra.sweep.dir={sweep}"],
             tmp_path, env={"PYTHONWARNINGS": "ignore"})
    assert p.returncode == 0, p.stderr
    merged = res.read_table(sweep / "results.csv")
    assert sorted({r["job"] for r in merged}) == [0, 1, 2] and len(merged) == 9
    # the same numbers as in-process runs of the same configs
    app.run(cfg_of("graph.n_nodes=200", "n_sims=100", "formats=[png]", "rng_seed=2"),
            str(tmp_path / "one"), quiet=True)
    one = res.read_table(tmp_path / "one" / "results.csv")
    assert [r["mean"] for r in merged if r["job"] == 2] == [r["mean"] for r in one]


def _hydra_cfg_of(*overrides):
    with initialize_config_module("viralsim.conf", version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=True)


def _shut_down_loky_pool():
    """Shut joblib's pool down, if one is up (without starting one to do so)."""
    pool = app._live_loky_pool()
    if pool is not None:
        pool.shutdown(wait=True, kill_workers=True)


@contextlib.contextmanager
def _viralsim_messages(level=None):
    """The messages logged to the ``viralsim`` logger meanwhile (at ``level``, if given)."""
    import logging

    logger, seen = logging.getLogger("viralsim"), []
    handler = logging.Handler()
    handler.emit = lambda r: seen.append(r.getMessage())
    old = logger.level
    logger.addHandler(handler)
    if level is not None:
        logger.setLevel(level)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def test_joblib_parallel_kwargs_are_the_launchers(tmp_path, monkeypatch):
    """The workers started as the sweep starts are the launcher's only if joblib is
    given the same arguments as by Hydra's plugin: its Parallel is spied on here."""
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    from hydra.core.utils import JobReturn
    from hydra_plugins.hydra_joblib_launcher import _core
    from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher

    seen = []

    class Spy:
        def __init__(self, **kwargs):
            seen.append(kwargs)

        def __call__(self, tasks):
            return [JobReturn() for _ in tasks]

    monkeypatch.setattr(_core, "Parallel", Spy)
    for extra in ([], ["hydra.launcher.batch_size=4", "hydra.launcher.pre_dispatch=3"]):
        cfg = _hydra_cfg_of("hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                            f"hydra.sweep.dir={tmp_path}", *extra)
        launcher = JoblibLauncher(**{k: v for k, v in OmegaConf.to_container(
            cfg.hydra.launcher, resolve=True).items() if k != "_target_"})
        launcher.setup(hydra_context=object(), task_function=print, config=cfg)
        launcher.launch([["rng_seed=0"]], initial_job_idx=0)
        assert seen[-1] == app._joblib_parallel_kwargs(cfg)
    assert seen[-1]["batch_size"] == 4 and seen[-1]["pre_dispatch"] == 3
    # other launchers, or one job at a time, start nothing
    assert app._joblib_parallel_kwargs(_hydra_cfg_of()) is None
    assert app._joblib_parallel_kwargs(_hydra_cfg_of("hydra/launcher=joblib",
                                                     "hydra.launcher.n_jobs=1")) is None


@pytest.mark.parametrize("extra", [[], ["hydra.launcher.verbose=10"]])
def test_joblib_workers_started_early_run_the_jobs(extra):
    """joblib reuses the workers started with the launcher's arguments (each prepared
    once, its modules imported): the jobs run in those processes, not in new ones.
    The preparing tasks print no progress line of joblib's (verbose=10 would)."""
    joblib = pytest.importorskip("joblib")
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    cfg = _hydra_cfg_of("hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *extra)
    kwargs = app._joblib_parallel_kwargs(cfg)
    _shut_down_loky_pool()
    try:
        start = app._WorkerStart(kwargs)
        assert start._parallel.verbose == 0
        pids = start.join(timeout=120)
        assert len(pids) == 2 and os.getpid() not in pids
        ran = joblib.Parallel(**kwargs)(joblib.delayed(os.getpid)() for _ in range(6))
        assert set(ran) <= set(pids), (ran, pids)  # one worker may run all six
    finally:
        _shut_down_loky_pool()


def test_joblib_workers_prepared_are_no_more_than_the_jobs():
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    kwargs = app._joblib_parallel_kwargs(_hydra_cfg_of("hydra/launcher=joblib",
                                                       "hydra.launcher.n_jobs=2"))
    _shut_down_loky_pool()
    try:
        start = app._WorkerStart(kwargs, n_tasks=1)
        assert start.n_tasks == 1 and len(start.join(timeout=120)) == 1
    finally:
        _shut_down_loky_pool()
    try:  # more jobs than workers: one task per worker
        start = app._WorkerStart(kwargs, n_tasks=50)
        assert start.n_tasks == 2 and len(start.join(timeout=120)) == 2
    finally:
        _shut_down_loky_pool()  # once its tasks are done: loky's pool cannot shut down under them


def test_preparing_a_worker_never_raises(tmp_path, monkeypatch):
    """A module failing with something else than ImportError is left to the job that
    needs it: a failing preparation would have shut joblib's pool down under Hydra."""
    import gc

    (tmp_path / "broken_for_viralsim.py").write_text("raise AttributeError('broken')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(app, "_JOB_MODULES", ("broken_for_viralsim", "no_such_module_x"))
    monkeypatch.setattr(gc, "freeze", lambda: None)  # not this test process
    assert app._prepare_worker() == os.getpid()


def test_sweep_finished_in_a_joblib_worker(tmp_path, monkeypatch):
    """With joblib's workers up, a worker merges the sweep (its table and report are
    those of a merge in this process); with them gone, this process does."""
    joblib = pytest.importorskip("joblib")
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    from viralsim import report

    sweep = tmp_path / "sweep"
    for j in range(2):
        app.run(cfg_of("graph.n_nodes=200", "n_sims=100", "formats=[png]", f"rng_seed={j}",
                       "experiment.size_distribution=false"), str(sweep / str(j)), quiet=True)
    here_rows, here_missing = report.finish_sweep(str(sweep), n_jobs=2)
    here = {f: (sweep / f).read_bytes() for f in ("results.csv", "report.md")}

    calls = []
    monkeypatch.setattr(report, "finish_sweep",
                        lambda *a, **k: calls.append(a) or ([], ["not in a worker"]))
    _shut_down_loky_pool()
    try:
        joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(abs)(i) for i in range(2))
        for f in here:
            (sweep / f).unlink()
        rows, missing = app._finish_sweep(str(sweep), 2, in_workers=True)
        assert not calls and (rows, missing) == (here_rows, here_missing)
        assert {f: (sweep / f).read_bytes() for f in here} == here
    finally:
        _shut_down_loky_pool()
    # no pool: merged here (the spy), and no pool is started for it
    assert app._finish_sweep(str(sweep), 2, in_workers=True) == ([], ["not in a worker"])
    assert len(calls) == 1 and app._live_loky_pool() is None
    # not a joblib sweep: here, whatever pool is up
    assert app._finish_sweep(str(sweep), 2) == ([], ["not in a worker"]) and len(calls) == 2


def test_sweep_finished_here_when_the_worker_dies_and_merge_errors_raised(tmp_path,
                                                                          monkeypatch):
    pytest.importorskip("joblib")
    from concurrent.futures import Future

    from joblib.externals.loky.process_executor import (
        ShutdownExecutorError,
        TerminatedWorkerError,
    )

    from viralsim import report

    class Pool:
        def __init__(self, exc):
            self.exc = exc

        def submit(self, *a):
            if isinstance(self.exc, ShutdownExecutorError):
                raise self.exc
            f = Future()
            f.set_exception(self.exc)
            return f

    monkeypatch.setattr(report, "finish_sweep", lambda *a, **k: (["here"], []))
    for exc in (TerminatedWorkerError("worker killed"), ShutdownExecutorError("shut down")):
        monkeypatch.setattr(app, "_live_loky_pool", lambda exc=exc: Pool(exc))
        assert app._finish_sweep(str(tmp_path), 1, in_workers=True) == (["here"], [])
    # the worker's records are handled at this process's levels
    import logging

    class Done:
        def submit(self, *a):
            f = Future()
            recs = [logging.makeLogRecord({"name": "viralsim", "levelno": lv, "msg": m,
                                           "levelname": logging.getLevelName(lv)})
                    for lv, m in ((logging.DEBUG, "quiet"), (logging.WARNING, "loud"))]
            f.set_result((["there"], [], recs))
            return f

    monkeypatch.setattr(app, "_live_loky_pool", Done)
    with _viralsim_messages(level=logging.INFO) as seen:
        assert app._finish_sweep(str(tmp_path), 1, in_workers=True) == (["there"], [])
    assert seen == ["loud"]
    # an error of the merge itself is raised, not retried here
    monkeypatch.setattr(app, "_live_loky_pool", lambda: Pool(RuntimeError("merge failed")))
    with pytest.raises(RuntimeError, match="merge failed"):
        app._finish_sweep(str(tmp_path), 1, in_workers=True)


def test_a_sweep_whose_merge_fails_exits_with_1(tmp_path, monkeypatch, capsys):
    """Hydra turns a callback's exception into a warning (exit 0): the merge's error
    is reported and the sweep exits with 1."""
    from viralsim import report

    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(report, "finish_sweep", fail)
    cfg = OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}, "sweeper": {},
                                      "overrides": {"task": ["rng_seed=0,1"]},
                                      "launcher": {"_target_": "basic"}}})
    with pytest.raises(SystemExit) as e:
        app.SweepCallback().on_multirun_end(cfg)
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert "could not be merged: disk full" in err and str(tmp_path) in err
    assert "Traceback" not in err
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(SystemExit):
        app.SweepCallback().on_multirun_end(cfg)
    err = capsys.readouterr().err
    assert "Traceback" in err and "set HYDRA_FULL_ERROR" not in err


def test_a_merge_failing_in_a_worker_still_sends_its_log_records(tmp_path, monkeypatch):
    pytest.importorskip("joblib")
    import logging

    from viralsim import report

    def merge(sweep_dir, n_jobs=None):
        logging.getLogger("viralsim").warning("job 2 unreadable")
        raise OSError("disk full")

    monkeypatch.setattr(report, "finish_sweep", merge)
    with pytest.raises(OSError) as e:
        app._finish_sweep_in_worker(str(tmp_path), 3)
    assert [r.getMessage() for r in e.value._viralsim_log] == ["job 2 unreadable"]

    from concurrent.futures import Future

    class Pool:  # the exception as it comes back from the worker
        def submit(self, *a):
            f = Future()
            f.set_exception(e.value)
            return f

    monkeypatch.setattr(app, "_live_loky_pool", Pool)
    with _viralsim_messages() as seen, pytest.raises(OSError, match="disk full"):
        app._finish_sweep(str(tmp_path), 3, in_workers=True)
    assert seen == ["job 2 unreadable"]


def test_sweep_finished_in_a_worker_sends_its_log_records(tmp_path, monkeypatch):
    """A worker's root logger writes to its last job's log file: the merge's records
    are kept and handled by the launching process instead, message and traceback."""
    import logging

    from viralsim import report

    def merge(sweep_dir, n_jobs=None):
        logging.getLogger("viralsim").warning("job %s has %d rows", "3", 0)
        try:
            raise ValueError("bad row")
        except ValueError:
            logging.getLogger("viralsim").exception("skipped")
        return [{"a": 1}], ["3"]

    monkeypatch.setattr(report, "finish_sweep", merge)
    root = logging.getLogger()
    before = root.handlers[:]
    rows, missing, records = app._finish_sweep_in_worker(str(tmp_path), 4)
    assert root.handlers == before
    assert (rows, missing) == ([{"a": 1}], ["3"])
    assert [r.getMessage() for r in records] == ["job 3 has 0 rows", "skipped"]
    assert "ValueError: bad row" in records[1].exc_text and records[1].exc_info is None
    import pickle

    assert pickle.loads(pickle.dumps(records))[0].levelname == "WARNING"


def _cli_in_terminal(args, cwd, timeout=300):
    """Run the command line with stdout and stderr on a pseudo-terminal (progress bars on)."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 24 x 80
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    e["PYTHONWARNINGS"] = "ignore"
    proc = subprocess.Popen([sys.executable, "-m", "viralsim", *args], cwd=cwd, stdin=slave,
                            stdout=slave, stderr=slave, env=e)
    os.close(slave)
    out = bytearray()
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                proc.kill()
                raise TimeoutError(out.decode(errors="replace"))
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    return proc.wait(timeout=timeout), out.decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_cli_sweep_in_a_terminal(tmp_path, launcher):
    """In a terminal the sweep shows a bar over its jobs; with a parallel launcher the
    jobs (and Hydra's callbacks, sent with them) still reach the workers: the job
    bar could not be pickled and every job failed to start."""
    args = ["-m", "graph.n_nodes=200", "n_sims=100", "formats=[png]", "rng_seed=0,1,2",
            "experiment.size_distribution=false", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    if launcher == "joblib":
        pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
        args += ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
    rc, out = _cli_in_terminal(args, tmp_path)
    assert rc == 0, out
    assert len(res.read_table(tmp_path / "sweep" / "results.csv")) == 9
    # the bar over jobs: moved by on_job_end in this process (basic), by the jobs'
    # markers on disk where they run in workers (joblib)
    assert "sweep: 100%" in out and "3/3" in out, out
    # run again: every job is skipped as done, and counted
    rc, out = _cli_in_terminal(args, tmp_path)
    assert rc == 0 and "already done, skipped" in out, out
    assert "sweep: 100%" in out and "3/3" in out, out


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


def test_sweep_bar_watcher_counts_nested_finished_jobs(tmp_path):
    class Bar:
        total, n = 6, 0

        def update(self, k):
            self.n += k

    old = tmp_path / "old"  # finished before this sweep started, not started again: not counted
    (old / ".hydra").mkdir(parents=True)
    (old / ".hydra" / "config.yaml").write_text("")
    (old / "DONE").write_text("")
    past = time.time() - 3600
    os.utime(old / ".hydra" / "config.yaml", (past, past))
    watch = app._JobWatcher(str(tmp_path), Bar(), interval=0.02)
    for job, marker in [("0", "DONE"), ("a=1/0", "DONE"), ("a=1/1", "FAILED"),
                        ("b/c/d", "DONE"), ("running", None)]:
        (tmp_path / job / ".hydra").mkdir(parents=True)
        (tmp_path / job / ".hydra" / "config.yaml").write_text("")
        if marker:
            (tmp_path / job / marker).write_text("")
    watch.stop()
    assert watch.bar.n == 4


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


def test_compare_table_keeps_every_seed():
    row = experiments._standard_columns({"seeds": list(range(25)), "reach_mean": 1.0})
    assert row["seeds"].split() == [str(i) for i in range(25)] and row["mean"] == 1.0


def test_cli_shows_viralsim_warnings_as_log_lines(tmp_path):
    f = tmp_path / "loops.txt"
    f.write_text("0 1 0.5\n1 1 0.5\n1 2 0.5\n")
    p = _cli(["graph=edgelist", f"graph.path={f}", "probabilities=keep", "n_sims=100",
              "formats=[png]", "hydra.run.dir=run", "experiment.plans=[{name: a, seeds: [0]}]"],
             tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "[viralsim][WARNING] - " in p.stdout + p.stderr and "self-loop" in p.stdout + p.stderr
    assert "ViralsimWarning" not in p.stderr and "warnings.warn" not in p.stderr
    assert "self-loop" in (tmp_path / "run" / "viralsim.log").read_text()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_is_a_message_not_a_traceback(tmp_path):
    import signal

    def default_sigint():  # a shell's background job inherits SIGINT ignored: Ctrl-C must count
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    sweep = tmp_path / "sweep"
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    proc = subprocess.Popen([sys.executable, "-m", "viralsim", "-m", "graph.n_nodes=20000",
                             "n_sims=200000", "rng_seed=0,1", f"hydra.sweep.dir={sweep}"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=e, preexec_fn=default_sigint)
    deadline = time.time() + 120
    while not (sweep / "0" / "config.yaml").exists() and time.time() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Interrupted." in err and "Fatal" not in err
    # the sweep stops: job 0 is neither done nor failed, job 1 never starts
    assert not (sweep / "0" / "DONE").exists() and not (sweep / "0" / "FAILED").exists()
    assert not (sweep / "1").exists()


def _group_members(pgid):
    """Live (not zombie) processes of a process group, from /proc."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                pids.append(int(d))
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_ctrl_c_stops_a_joblib_sweep_and_its_workers(tmp_path):
    """A terminal's Ctrl-C reaches the whole foreground group: the launcher and its
    workers. The sweep exits 130 with the message, leaves no worker behind and no
    job marked done or failed."""
    import signal

    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    sweep = tmp_path / "sweep"
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    proc = subprocess.Popen([sys.executable, "-m", "viralsim", "-m", "graph.n_nodes=20000",
                             "n_sims=200000", "rng_seed=0,1,2,3", f"hydra.sweep.dir={sweep}",
                             "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=e, start_new_session=True)
    deadline = time.time() + 120
    while not (sweep / "0" / "config.yaml").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert len(_group_members(proc.pid)) > 1, "no worker process started"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Interrupted." in err
    assert not list(sweep.glob("*/DONE")) and not list(sweep.glob("*/FAILED"))
    deadline = time.time() + 30  # loky's workers end as they see their parent gone
    while _group_members(proc.pid) and time.time() < deadline:
        time.sleep(0.1)
    assert _group_members(proc.pid) == []


def _interrupted_import():
    """What a Ctrl-C landing in a compiled module's initialisation raises."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as kbi:
        try:
            raise ImportError("initialization failed") from kbi
        except ImportError as exc:
            return exc


def test_interrupted_sees_a_ctrl_c_behind_an_error():
    assert app._interrupted(KeyboardInterrupt())
    assert app._interrupted(_interrupted_import())
    try:  # raised while handling it (__context__), not from it
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ValueError("x")  # noqa: B904
    except ValueError as exc:
        assert app._interrupted(exc)
    assert not app._interrupted(ValueError("x")) and not app._interrupted(None)
    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a  # a cycle ends the walk
    assert not app._interrupted(a)


def test_a_ctrl_c_inside_an_import_stops_the_sweep(tmp_path, monkeypatch):
    """Not a failed job the sweep goes on from (the next job then failed on the
    half-imported module): the sweep is interrupted, the job left unfinished."""
    d = tmp_path / "job"
    _as_a_sweep_job(monkeypatch, d)

    def run(*a, **k):
        raise _interrupted_import()

    monkeypatch.setattr(app, "run", run)
    with pytest.raises(KeyboardInterrupt):
        app._task(cfg_of(*TINY))
    assert res.failure(str(d)) is None and not res.is_done(str(d))


def test_a_ctrl_c_inside_an_import_interrupts_a_single_run(monkeypatch):
    from hydra.types import RunMode

    class HC:
        mode = RunMode.RUN

        class runtime:
            output_dir = "unused"
            choices = {"hydra/launcher": "basic"}

        class overrides:
            task = []

    monkeypatch.setattr(app.HydraConfig, "get", staticmethod(lambda: HC))

    def run(*a, **k):
        raise _interrupted_import()

    monkeypatch.setattr(app, "run", run)
    with pytest.raises(KeyboardInterrupt):
        app._task(cfg_of(*TINY))


def test_exit_after_ctrl_c_is_130_with_handlers_run(tmp_path):
    """Under ``python -m``, CPython 3.8+ ends a process by SIGINT (not 130) when a
    KeyboardInterrupt was ever raised in code run by ``exec`` of a string, even
    caught; a SystemExit(130) here exits -2 on CPython 3.11. Threads are joined and
    exit handlers run first, and what was printed is flushed."""
    (tmp_path / "ctrlc_mod.py").write_text("\n".join([
        "import atexit, threading, time, viralsim.app as a",
        "atexit.register(lambda: print('handler ran'))",
        "threading.Thread(target=lambda: (time.sleep(0.2), print('thread joined'))).start()",
        "try:",
        "    exec('raise KeyboardInterrupt')",
        "except KeyboardInterrupt:",
        "    print('caught', end=' ')",
        "a._exit_interrupted()",
        "print('not reached')",
    ]))
    p = subprocess.run([sys.executable, "-m", "ctrlc_mod"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 130, p.stderr
    assert p.stdout.split() == ["caught", "thread", "joined", "handler", "ran"]


def test_exit_skips_the_final_collection_once_per_process():
    code = "\n".join([
        "import atexit, gc, viralsim.app as a",
        "atexit.register(lambda: print('frozen last', gc.get_freeze_count() > 0))",
        "n = atexit._ncallbacks()",
        "a._no_collection_at_exit(); a._no_collection_at_exit()",
        "assert atexit._ncallbacks() == n + 1, 'registered once'",
        # handlers registered later run first (LIFO): nothing is frozen yet for them
        "atexit.register(lambda: print('frozen before', gc.get_freeze_count()))",
        "atexit.register(lambda: print('frozen after', gc.get_freeze_count()))",
    ])
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[:3] == ["frozen after 0", "frozen before 0", "frozen last True"]


def test_cli_unknown_choice_lists_options(tmp_path):
    p = _cli(["graph=nope"], tmp_path, timeout=120)
    assert p.returncode != 0
    assert "nope" in p.stderr and "holme_kim" in p.stderr and "barabasi_albert" in p.stderr


@pytest.mark.slow
def test_non_editable_install_runs_default_from_empty_dir(tmp_path):
    """``pip install .`` (not editable) into a fresh venv, then ``viralsim`` from an empty dir."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                            "-w", str(wheels), REPO],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    whl = next(wheels.glob("viralsim-*.whl"))
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(whl)],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr
    # only then the dependencies, from this environment (a .pth line is appended to
    # sys.path after the venv's own site-packages, and runs no editable-install hook,
    # so viralsim itself still comes from the wheel)
    import site

    new_site = subprocess.run([str(py), "-c", "import site; print(site.getsitepackages()[0])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(new_site, "_viralsim_test_deps.pth"), "w") as fh:
        fh.write("\n".join(site.getsitepackages()) + "\n")
    work = tmp_path / "empty"
    work.mkdir()
    exe = shutil.which("viralsim", path=str(env_dir / "bin"))
    assert exe is not None
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    p = subprocess.run([exe], cwd=work, capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr
    assert "5 most followed" in p.stdout and "reach (mean ± CI)" in p.stdout
    # the package came from site-packages, not this checkout
    loc = subprocess.run([str(py), "-c", "import viralsim; print(viralsim.__file__)"], cwd=work,
                         capture_output=True, text=True, env=env).stdout
    assert loc.startswith(str(env_dir)), loc
    runs = [os.path.join(d, f) for d, _, fs in os.walk(work / "outputs") for f in fs]
    names = {os.path.basename(f) for f in runs}
    assert {"results.csv", "adoption.png", "report.md", "DONE"} <= names
    table = res.read_table(next(f for f in runs if f.endswith("results.csv")))
    assert len(table) == 3 and all(r["converged"] for r in table)
    assert all((r["ci_high"] - r["ci_low"]) / 2 <= 0.01 * r["mean"] for r in table)


def test_cli_bad_input_is_one_clear_line(tmp_path):
    p = _cli(["probabilities=uniform", "probabilities.p=1.5"], tmp_path, timeout=120)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert p.stderr.startswith("Error: The 'probabilities.p' parameter of probabilities=uniform "
                               "must be a float in [0, 1]. Got 1.5 instead.")
    (tmp_path / "b").mkdir()
    p = _cli(["graph=edgelist", "graph.path=nope.txt"], tmp_path / "b", timeout=120)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "Edge list 'nope.txt' does not exist" in p.stderr
    (logfile,) = (tmp_path / "b").glob("outputs/*/*/viralsim.log")  # the traceback: in the log
    assert "Traceback" in logfile.read_text() and "EdgeListNotFound" in logfile.read_text()
    # and the traceback on request
    p = _cli(["graph=edgelist", "graph.path=nope.txt"], tmp_path, env={"HYDRA_FULL_ERROR": "1"},
             timeout=120)
    assert p.returncode == 1 and "Traceback" in p.stderr and "EdgeListNotFound" in p.stderr


@pytest.mark.parametrize("followers, consumers, kwargs, match", [
    ("source,target\na,b\nc\n", None, {}, r"f.csv:3: a row needs both 'source' and 'target'"),
    ("source,target\na,b\n,c\n", None, {}, r"f.csv:3: a row needs both"),
    ("source,target,p\na,b,0.5\nb,c,x\n", None, {"probability": "p"}, r"f.csv:3: the 'p' value 'x' is not a number"),
    ("source,target,p\na,b,0.5\nb,c,1.5\n", None, {"probability": "p"}, r"f.csv:3: the 'p' is 1.5, outside \[0, 1\]"),
    ("source,target,probability\na,b,0.5\nb,c,1.5\n", None, {}, r"f.csv:3: the 'probability' is 1.5"),
    ("", None, {}, r"f.csv' is empty: it needs a header row"),
    ("source,target\na,b\n", "id,cost\na,1\nb,x\n", {}, r"c.csv:3: the 'cost' value 'x' is not a number"),
    ("source,target\na,b\n", "id,cost\na,1\nb,nan\n", {}, r"c.csv:3: the 'cost' value 'nan' is not a finite"),
    ("source,target,p\na,b,inf\n", None, {"probability": "p"}, r"f.csv:2: the 'p' value 'inf' is not a finite"),
    ("source,target\na,b\n", "id,cost\na,1\nb,2\na,3\n", {}, r"c.csv:4: consumer 'a' again \(first on line 2\)"),
    ("source,target\na,b\n", "id,cost\na,1\n,2\n", {}, r"c.csv:3: no 'id'"),
    ("source,target\na,b\n", "name,cost\na,1\n", {}, r"c.csv: needs a header with an 'id' column"),
    ("source,target\na,b\n", "id,cost\na,1\nb,\n", {}, r"c.csv:3: no 'cost' value"),
])
def test_follower_csv_bad_rows_name_the_line(tmp_path, followers, consumers, kwargs, match):
    f = tmp_path / "f.csv"
    f.write_text(followers)
    if consumers is not None:
        (tmp_path / "c.csv").write_text(consumers)
        kwargs = dict(kwargs, consumers=str(tmp_path / "c.csv"))
    with pytest.raises(EdgeListError, match=match):
        experiments.read_follower_csv(str(f), **kwargs)


def test_follower_csv_probability_column_and_keep(tmp_path, caplog):
    f = tmp_path / "f.csv"
    f.write_text("source,target,probability\na,b,0.25\nb,c,0.5\n")
    g = experiments.read_follower_csv(str(f))  # the documented column name is found
    assert g.probs.tolist() == [0.25, 0.5]
    keep = experiments.apply_probabilities(g, {"scheme": "keep"}, None)
    assert keep.probs.tolist() == [0.25, 0.5]
    with caplog.at_level("INFO", logger="viralsim"):
        wc = experiments.apply_probabilities(g, {"scheme": "weighted_cascade"}, None)
    assert wc.probs.tolist() == [1.0, 1.0] and "replaces the probabilities read" in caplog.text
    # a scheme sets the probabilities: the column is not read, whatever it holds
    f.write_text("source,target,probability\na,b,\nb,c,3\n")
    cfg = {"graph": {"_target_": "viralsim.experiments.read_follower_csv", "path": str(f)},
           "probabilities": {"scheme": "weighted_cascade"}}
    assert experiments.build_graph(cfg).probs.tolist() == [1.0, 1.0]
    with pytest.raises(EdgeListError, match="f.csv:2: the 'probability' value '' is not"):
        experiments.build_graph(dict(cfg, probabilities={"scheme": "keep"}))
    # keep without a probability column: the fix is named in command-line terms
    f.write_text("source,target\na,b\n")
    with pytest.raises(ValueError, match=r"graph.probability=<column>.*probabilities=weighted"):
        experiments.apply_probabilities(experiments.read_follower_csv(str(f)),
                                        {"scheme": "keep"}, None)


def test_negative_cost_names_the_consumers(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text("source,target\nann,bob\n")
    c.write_text("id,cost\nann,1\nbob,-3\n")
    g = experiments.read_follower_csv(str(f), consumers=str(c))
    with pytest.raises(ValueError, match=r"attribute 'cost' .* gives 'bob' \(-3\)"):
        experiments.seed_costs(g, {"attr": "cost"})
    with pytest.raises(ValueError, match=r"gives 'ann' \(-1\), 'bob' \(-1\)\. Fix costs.base"):
        experiments.seed_costs(g, {"base": -1.0})


def test_follower_csv_ids_text_columns_and_blanks(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text("source,target\n 1 , 2\n2,3\n")
    c.write_text("id,name,cost,segment\n1,Ann,1.5,0\n2,Bob,2,1\n3,Cid,1,0\n7,Dee,4,2\n")
    g = experiments.read_follower_csv(str(f), consumers=str(c))
    assert g.labels.tolist() == [1, 2, 3, 7] and g.labels.dtype.kind == "i"  # ids stripped, ints
    assert "name" not in g.node_attrs  # a text column is no node attribute (logged)
    np.testing.assert_array_equal(g.node_attrs["cost"], [1.5, 2.0, 1.0, 4.0])
    np.testing.assert_array_equal(g.node_attrs["segment"], [0.0, 1.0, 0.0, 2.0])


def test_follower_csv_with_a_byte_order_mark(tmp_path):
    # spreadsheet exports start with a BOM: it must not become part of the header or an id
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_bytes("\ufeffsource,target\nann,bob\n".encode())
    c.write_bytes("\ufeffid,cost\nann,1\nbob,2\n".encode())
    g = experiments.read_follower_csv(str(f), consumers=str(c))
    assert g.labels.tolist() == ["ann", "bob"] and g.node_attrs["cost"].tolist() == [1.0, 2.0]


def test_follower_csv_semicolons_with_decimal_commas(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text("source;target;p\nann;bob;0,5\nbob;cid;1\n")
    c.write_text("id;cost\nann;1,5\nbob;2\ncid;3\n")
    g = experiments.read_follower_csv(str(f), probability="p", consumers=str(c))
    assert g.node_attrs["cost"].tolist() == [1.5, 2.0, 3.0]
    assert sorted(g.edges()[2].tolist()) == [0.5, 1.0]
    c.write_text("id;cost\nann;1.234,5\nbob;2\ncid;3\n")  # a thousands mark: not guessed
    with pytest.raises(EdgeListError, match=r"c.csv:2: the 'cost' value '1.234,5' is not a number"):
        experiments.read_follower_csv(str(f), consumers=str(c))
    f.write_text("source,target,p\nann,bob,\"0,5\"\n")  # comma-separated: no decimal comma
    with pytest.raises(EdgeListError, match="is not a number"):
        experiments.read_follower_csv(str(f), probability="p")


@pytest.mark.parametrize("sep", [";", "\t"])
def test_follower_csv_other_separators(tmp_path, sep):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text(f"source{sep}target\nann{sep}bob\nbob{sep}cid\n")
    c.write_text(f"id{sep}cost\nann{sep}1.5\nbob{sep}2\ncid{sep}3\n")
    g = experiments.read_follower_csv(str(f), consumers=str(c))
    assert g.labels.tolist() == ["ann", "bob", "cid"] and g.out_degree().tolist() == [1, 1, 0]
    assert g.node_attrs["cost"].tolist() == [1.5, 2.0, 3.0]


def test_follower_csv_ids_beyond_int64_are_strings(tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("source,target\n99999999999999999999,2\n2,3\n")
    g = experiments.read_follower_csv(str(f))
    assert g.labels.tolist() == ["2", "3", "99999999999999999999"]


def test_follower_csv_keeps_ids_that_differ_by_leading_zeros(tmp_path):
    f, c = tmp_path / "f.csv", tmp_path / "c.csv"
    f.write_text("source,target\n001,002\n001,003\n2,3\n")
    c.write_text("id,cost\n001,1\n002,2\n003,3\n2,4\n3,5\n")
    g = experiments.read_follower_csv(str(f), consumers=str(c))
    assert g.labels.tolist() == ["001", "002", "003", "2", "3"] and g.n_edges == 3
    assert g.node_attrs["cost"].tolist() == [1, 2, 3, 4, 5]
    f.write_text("source,target\n1,2\n-3,2\n")  # canonical integers stay integers
    assert experiments.read_follower_csv(str(f)).labels.tolist() == [-3, 1, 2]


def test_follower_csv_undirected_tie_listed_twice(tmp_path):
    f = tmp_path / "f.csv"
    f.write_text("source,target,p\na,b,0.5\nb,a,0.5\n")
    g = experiments.read_follower_csv(str(f), probability="p", directed=False)
    assert g.n_edges == 2 and g.probs.tolist() == [0.5, 0.5]
    f.write_text("source,target,p\na,b,0.5\nb,a,0.25\n")
    with pytest.raises(vs.EdgeListError, match="the tie a - b is listed with different"):
        experiments.read_follower_csv(str(f), probability="p", directed=False)
