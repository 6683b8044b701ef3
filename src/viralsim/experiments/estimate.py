"""``experiment=estimate``: the expected reach of each seed plan, with its interval.

Config: ``conf/experiment/estimate.yaml`` (schema :class:`EstimateConf`).
Writes ``results.csv``, the adoption-per-round and cascade-size figures and
``report.md``.
"""

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from .. import report
from . import _band, _build, _plans, _rows

__all__ = ["EstimateConf", "run_estimate", "estimate_report"]

log = logging.getLogger("viralsim")


@dataclass
class EstimateConf:
    """Schema of ``experiment=estimate``.

    Parameters
    ----------
    plans : list
        Seed plans (``{name, seeds}`` or ``{name, strategy, k}``).
    k : int, optional
        The seeds of the plan ``strategy=<name>`` adds.
    n_sims, precision : optional
        Worlds per plan, or a target precision (else the top-level ones).
    size_distribution : bool
        Draw the cascade-size distribution.
    uncertainty : {"none", "assumptions", "parameters"}
        A band beside each plan's simulation ± (as in ``experiment=campaign``:
        across ``band_assumptions``, or across ``band_draws`` parameter sets
        of a fitted graph, ``graph=fitted``).
    band_assumptions, band_draws, band_level, band_sims
        As in :class:`~viralsim.experiments.campaign.CampaignConf`.
    """

    name: str = "estimate"
    plans: list = field(default_factory=list)
    k: int | None = None
    n_sims: int | None = None
    precision: float | None = None
    size_distribution: bool = True
    uncertainty: str = "none"
    band_assumptions: list = field(default_factory=lambda: list(_band.DEFAULT_ASSUMPTIONS))
    band_draws: int = 20
    band_level: float = 0.9
    band_sims: int | None = None


@dataclass(frozen=True)
class _Setup:
    """The run's objects, read from its config once."""

    graph: Any
    model: Any
    plans: list  # (name, plan mapping, strategy object or None)
    estimation: _build.Estimation
    info: _build.RunInfo
    size_distribution: bool
    band: Any = None  # BandSettings


def _setup(cfg, keys):
    exp = cfg["experiment"]
    band = _band.BandSettings.from_config(cfg, exp)
    graph = _build.build_graph(cfg)
    model = _build.build_model(cfg)
    plans = [(dict(p), None) for p in exp.get("plans") or []]
    if cfg.get("strategy"):
        sname = str(cfg["strategy"].get("_target_", "strategy")).rsplit(".", 1)[-1]
        if not exp.get("k"):
            raise ValueError(f"strategy={sname} adds a plan of experiment.k seeds; give "
                             "experiment.k=<number of seeds>.")
        plans.append(({"name": sname, "strategy": sname, "k": exp["k"]},
                      _build.build(cfg["strategy"])))
    if not plans:
        raise ValueError("experiment.plans is empty: give at least one plan "
                         "(seeds: [...] or strategy: degree with k: 5).")
    info = _build.RunInfo.from_config(cfg, keys)
    names = _plans.plan_names([p for p, _ in plans], lambda i, p: f"plan {i + 1}")
    return _Setup(graph, model, [(n, p, s) for n, (p, s) in zip(names, plans)],
                  _build.Estimation.from_config(cfg, exp), info,
                  bool(exp.get("size_distribution", True)), band)


def _seeds(s, i, plan, strategy):
    rng = _build.sub_rng(s.estimation.rng_seed, 2, i)
    if strategy is not None:
        return list(strategy.select(s.graph, k=plan["k"], model=_plans.selection_model(s.model),
                                    rng=rng).seeds)
    return _plans.resolve_plan(s.graph, plan, model=s.model, rng=rng, func="experiment=estimate")


def _estimate_plans(s):
    """Each plan's seeds and estimate: ``(rows, {name: estimate}, {name: band})``."""
    from ..uncertainty import band_columns

    base, tail = _rows.base_row(s.info, s.graph)
    rows, ests, bands = [], {}, {}
    for i, (name, plan, strategy) in enumerate(s.plans):
        t0 = time.perf_counter()
        seeds = _seeds(s, i, plan, strategy)
        sel_time = time.perf_counter() - t0
        est = _rows.timed_estimate(s.graph, seeds, s.model, s.estimation.backend,
                                   **s.estimation.kwargs(return_sizes=True))
        ests[name] = est
        row = dict(base, plan=name, strategy=plan.get("strategy") or "seeds", k=len(seeds))
        row.update(_rows.estimate_row(est), select_time=sel_time, seeds=_rows.short(seeds),
                   **tail)
        if s.band is not None and s.band.on:
            # the band's run under this run's probabilities is this estimate, world for world
            bands[name] = s.band.band(s.graph, s.model, seeds, n_sims=est.n_sims,
                                      rng_seed=s.estimation.rng_seed,
                                      max_rounds=s.estimation.max_rounds)
            row.update(band_columns(bands[name]))
        rows.append(row)
        log.info("%s: %s", name, est)
    return rows, ests, bands


def _no_ci(ax):
    h, lab = ax.get_legend_handles_labels()
    keep = [(a, b) for a, b in zip(h, lab) if not b.endswith(" CI")]
    return (list(zip(*keep)) if keep else ([], []))


def _figures(s, ests, out_dir, files):
    from .. import plots

    figs = {}
    ax = None
    for name, est in ests.items():
        ax = plots.adoption_timeline(est.timeline, *est.timeline_ci, label=name, ax=ax)
    ax.legend(*_no_ci(ax), fontsize="small")
    ax.set_title("adoption per round (95% band)" if s.info.confidence == 0.95
                 else "adoption per round")
    _rows.save_figure(ax, out_dir, "adoption", s.info, files)
    figs["Adoption per round"] = "adoption.png"
    if s.size_distribution:
        ax = None
        for name, est in ests.items():
            ax = plots.size_distribution(est.sizes, label=name, ax=ax)
        if ax.get_legend_handles_labels()[0]:  # none when no plan had an adopter
            ax.legend(fontsize="small")
        _rows.save_figure(ax, out_dir, "cascade_sizes", s.info, files)
        figs["Cascade-size distribution"] = "cascade_sizes.png"
    return figs


def run_estimate(cfg, out_dir, keys=None):
    """Estimate each plan's reach into ``out_dir`` (table, figures, report).

    Parameters
    ----------
    cfg : dict
        The composed config (plain), ``experiment`` as :class:`EstimateConf`.
    out_dir : str
        Where the files go (it exists).
    keys : dict, optional
        Extra columns for every row (a sweep's overrides).

    Returns
    -------
    Outcome
        ``extra["estimates"]``: each plan's :class:`~viralsim.ReachEstimate`.

    Raises
    ------
    ValueError
        No plan, a plan without seeds or strategy, two plans of one name.

    Examples
    --------
    >>> import tempfile
    >>> from viralsim.experiments import run_estimate
    >>> cfg = {"experiment": {"name": "estimate", "plans": [{"seeds": [0]}]},
    ...        "graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 60, "m": 2,
    ...                  "p_triangle": 0.3}, "probabilities": {"scheme": "weighted_cascade"},
    ...        "n_sims": 50, "formats": []}
    >>> run_estimate(cfg, tempfile.mkdtemp()).rows[0]["n_sims"]
    50
    """
    s = _setup(cfg, keys)
    rows, ests, bands = _estimate_plans(s)
    files = _rows.write_rows(rows, out_dir)
    figs = _figures(s, ests, out_dir, files)
    if bands and s.info.formats:
        from .campaign import _band_figure

        figs.update(_band_figure(s.info, rows, out_dir, files))
    text = estimate_report(rows, figs, dict(s.info.report_settings,
                           assumption=_build.probability_assumption(cfg)), bands=bands)
    files.append(report.write(out_dir, text))
    return _rows.Outcome(rows, files, {"estimates": ests, "bands": bands}, text)


def estimate_report(rows, figs, cfg, bands=None):
    """``report.md`` of an estimate run: the table and each plan's reach in words.

    Parameters
    ----------
    rows : list of dict
        The run's rows.
    figs : dict
        Figure title -> file name.
    cfg : mapping
        ``confidence`` and ``rng_seed`` (the config, or :attr:`RunInfo.report_settings`).
    bands : dict, optional
        ``{plan: ReachBand}``: each plan's band beside its simulation ±.

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.experiments.estimate import estimate_report
    >>> rows = [{"plan": "a", "strategy": "degree", "k": 2, "mean": 12.0, "ci_low": 11.0,
    ...          "ci_high": 13.0, "n_sims": 100, "elapsed": 0.1, "rng_seed": 0}]
    >>> print(estimate_report(rows, {}, {}).splitlines()[0])
    # Expected reach
    """
    best = max(rows, key=lambda r: r["mean"])
    pm = report.plus_minus
    words = [
        f"- **{report.escape_md(r['plan'])}** ({r['k']} seeds) reaches {pm(r['mean'], r['ci_low'], r['ci_high'])} "
        f"consumers on average"
        + (f" and is seen by {pm(r['exposure'], r['exposure_ci_low'], r['exposure_ci_high'])}"
           if "exposure" in r else "")
        + f" ({r['n_sims']:,} simulated worlds"
        + ("" if r.get("converged", True) else ", target precision NOT reached")
        + ")."
        for r in rows
    ]
    words.append(f"- The largest expected reach is **{report.escape_md(best['plan'])}**'s.")
    from .campaign import band_section

    return (report.header("Expected reach", rows, cfg) + "\n" + report.markdown_table(rows)
            + "\n\n" + "\n".join(words) + "\n\n" + band_section(rows, bands, "seeds")
            + report.figure_links(figs) + "\n")
