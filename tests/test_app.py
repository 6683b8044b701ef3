"""The command-line application's config tree: every group option composes and builds; composition errors."""

import os

import numpy as np
import pytest

hydra = pytest.importorskip("hydra")
from hydra.errors import ConfigCompositionException, MissingConfigException  # noqa: E402
from hydra.utils import instantiate  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from omegaconf.errors import MissingMandatoryValue, ValidationError  # noqa: E402

import viralsim as vs  # noqa: E402
from viralsim import app, experiments  # noqa: E402
from viralsim import results as res  # noqa: E402
from viralsim.exceptions import EdgeListError  # noqa: E402

from .app_helpers import (  # noqa: E402
    CONF,
    DATA,
    REPO,
    cfg_of,
    options,
    plain,
)


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
    elif name == "fitted":  # a saved fit (experiment=learn's fit.npz)
        g0 = vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2])
        log = vs.ActionLog.from_arrays(g0, [1, 1, 1, 2, 2], [0, 1, 2, 0, 2], [0, 1, 2, 0, 1])
        d = os.path.dirname(edgelist)
        vs.fit_influence(g0, log, prior=0).save(os.path.join(d, "fit.npz"))
        over += [f"graph.path={d}"]
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


def test_n_sims_on_the_command_line_applies_to_every_experiment():
    cfg = cfg_of("experiment=compare", "n_sims=300")
    assert app._worlds_from_command_line(cfg, ["experiment=compare", "n_sims=300"]).experiment.n_sims == 300
    # the specific key, when given too, wins; and without n_sims= nothing changes
    assert app._worlds_from_command_line(cfg, ["n_sims=300", "experiment.n_sims=50"]) is cfg
    assert app._worlds_from_command_line(cfg, ["experiment=compare"]) is cfg
    assert cfg.experiment.n_sims == 2000  # the original is left as it was
