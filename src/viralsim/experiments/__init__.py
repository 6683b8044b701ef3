"""Experiments behind the command line, as plain functions of a plain config.

``run_experiment(cfg, out_dir)`` takes the composed configuration as a plain
``dict`` (the application resolves it with OmegaConf; tests and notebooks can
write it by hand) and runs ``cfg["experiment"]["name"]``. Each experiment is
one module, mirroring ``conf/experiment/<name>.yaml``:

=============== ============================================ =====================
name            what it answers                              module
=============== ============================================ =====================
``estimate``    the expected reach of each seed plan         :mod:`.estimate`
``compare``     strategies x seed counts (or budgets)        :mod:`.compare`
``campaign``    which plan, how much better, what budgets buy :mod:`.campaign`
``sensitivity`` reach over a grid of config keys             :mod:`.sensitivity`
``scaling``     time and memory against graph size           :mod:`.scaling`
``learn``       learned influence, backtested on held-out    :mod:`.learn`
=============== ============================================ =====================

and ``campaign_mix`` (:mod:`.campaign_mix`): which influencer posts, ads and
free samples one budget buys across platforms (``campaign_influencers``: the
same from an influencer list).

Each module holds its config schema (a plain dataclass), its runner and its
report text. Shared pieces are private modules: ``_build`` (objects from the
config, read once there), ``_plans`` (plans and their costs), ``_rows``
(estimates to rows). Data flows one way: config -> objects -> estimates ->
rows -> report. Each runner writes its tidy table, figures and ``report.md``
into ``out_dir`` and returns an :class:`Outcome`. Nothing here imports Hydra,
and importing this package loads neither NumPy nor the kernels (the command
line's launcher imports it for the schemas).

A new experiment is one module (schema ``<Name>Conf``, ``run_<name>``) and
one YAML file, added to :data:`EXPERIMENTS` and :data:`SCHEMAS`.
"""

import importlib
import os

from . import campaign, campaign_mix, compare, estimate, learn, scaling, sensitivity
from ._build import (
    Estimation,
    RunInfo,
    apply_probabilities,
    build,
    build_graph,
    build_model,
    check_formats,
    graph_name,
    model_name,
    probabilities_name,
    probability_assumption,
    sub_rng,
)
from ._plans import _ALIASES, _coerce_labels, numbers, plan_names, resolve_plan, seed_costs
from ._rows import Outcome, estimate_row, paired, short
from .campaign import run_campaign
from .compare import _RENAME, _as_rows, _standard_columns, run_compare
from .estimate import run_estimate
from .learn import run_learn
from .scaling import run_scaling
from .sensitivity import grid_configs, run_sensitivity

__all__ = ["run_experiment", "build", "build_graph", "build_model", "resolve_plan", "Outcome",
           "EXPERIMENTS", "SCHEMAS", "seed_costs", "apply_probabilities", "read_follower_csv",
           "run_estimate", "run_compare", "run_campaign", "run_sensitivity", "run_scaling",
           "run_learn",
           "Estimation", "RunInfo", "probability_assumption"]

#: name -> runner ``run(cfg, out_dir, keys)``; each lives in the module of that name
EXPERIMENTS = {
    "estimate": run_estimate,
    "compare": run_compare,
    "campaign": run_campaign,
    "campaign_mix": campaign_mix.run_campaign_mix,
    "campaign_influencers": campaign_mix.run_campaign_mix,
    "sensitivity": run_sensitivity,
    "scaling": run_scaling,
    "learn": run_learn,
}

#: name -> the config schema of ``conf/experiment/<name>.yaml`` (registered by viralsim.app)
SCHEMAS = {
    "estimate": estimate.EstimateConf,
    "compare": compare.CompareConf,
    "campaign": campaign.CampaignConf,
    "campaign_mix": campaign_mix.CampaignMixConf,
    "campaign_influencers": campaign_mix.CampaignInfluencersConf,
    "sensitivity": sensitivity.SensitivityConf,
    "scaling": scaling.ScalingConf,
    "learn": learn.LearnConf,
}

# the names this module had before it became a package (private ones included: tests
# and notebooks used them); those below load on first use, as they import NumPy
_plan_names, _numbers, _check_formats = plan_names, numbers, check_formats
_short, _est_row = short, estimate_row
_LAZY = {
    "read_follower_csv": "viralsim.io", "_csv_delimiter": "viralsim.io",
    "_csv_number": "viralsim.io", "_is_number": "viralsim.io", "_read_consumers": "viralsim.io",
    "_to_float": "viralsim.io", "estimate_reach": "viralsim.estimate", "IC": "viralsim.models",
    "within_budget": "viralsim.strategies._base",
}
_ = (_ALIASES, _coerce_labels, _RENAME, _as_rows, _standard_columns, graph_name, model_name,
     probabilities_name, sub_rng, paired, grid_configs, build_model, apply_probabilities,
     Estimation, RunInfo)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _check_run(cfg, name):
    """The checks every experiment shares, made before any work."""
    if name not in EXPERIMENTS:
        raise ValueError(f"Unknown experiment {name!r}; choose one of {sorted(EXPERIMENTS)}.")
    check_formats(cfg.get("formats"))
    if cfg.get("strategy") and name != "estimate":
        raise ValueError(f"strategy=... adds a plan to experiment=estimate only; for "
                         f"experiment={name} list strategies in its own config (see "
                         f"experiment.{'strategies' if name == 'compare' else 'plans'}).")
    seed = cfg.get("rng_seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError(f"rng_seed={seed!r}: give an integer from 0 to 2**63 - 1.")
    _check_sizes(cfg)
    study = cfg.get("study")
    if study is not None:  # +study=<name> found no config group: it became a plain key
        raise ValueError(f"study={study!r}: no study config of that name was found. The studies "
                         "are configs/study/<name>.yaml in the repository: run from its root "
                         "(or add hydra.searchpath=[file://<repo>/configs]).")


def _check_sizes(cfg):
    """What no run can do (2**63 worlds, a batch of -1 worlds), refused before any work."""
    from .._limits import check_batch_size, check_run_size

    exp = cfg.get("experiment") or {}
    for node in (cfg, exp):  # other types and values below 1: the experiment's own checks
        sizes = {k: node.get(k) for k in ("n_sims", "max_sims", "max_rounds")}
        check_run_size(**{k: v for k, v in sizes.items()
                          if isinstance(v, int) and not isinstance(v, bool) and v >= 1},
                       precision=(node.get("precision") if isinstance(node.get("precision"), float)
                                  else None), func="the config")
    backend = cfg.get("backend")
    if isinstance(backend, dict) and "batch_size" in backend:
        check_batch_size(backend["batch_size"])


def run_experiment(cfg, out_dir, *, keys=None):
    """Run ``cfg["experiment"]["name"]`` into ``out_dir``.

    Parameters
    ----------
    cfg : dict
        The composed config, plain (OmegaConf's ``to_container``, or by hand).
    out_dir : str
        Where the files go (created when missing).
    keys : dict, optional
        Extra columns for every row (the sweep's overrides, for example).

    Returns
    -------
    Outcome

    Raises
    ------
    ValueError
        An unknown experiment, a figure format matplotlib cannot write, a
        ``strategy`` outside ``experiment=estimate``, a bad ``rng_seed``, an
        unknown study; then the experiment's own errors.

    Examples
    --------
    >>> import os, tempfile
    >>> from viralsim.experiments import run_experiment
    >>> cfg = {"experiment": {"name": "estimate", "plans": [{"seeds": [0]}]},
    ...        "graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 60, "m": 2,
    ...                  "p_triangle": 0.3}, "probabilities": {"scheme": "weighted_cascade"},
    ...        "n_sims": 50, "formats": ["png"]}
    >>> sorted(os.path.basename(f) for f in run_experiment(cfg, tempfile.mkdtemp()).files)[:2]
    ['adoption.png', 'cascade_sizes.png']
    """
    name = cfg["experiment"]["name"]
    _check_run(cfg, name)
    os.makedirs(out_dir, exist_ok=True)
    return EXPERIMENTS[name](cfg, out_dir, keys)
