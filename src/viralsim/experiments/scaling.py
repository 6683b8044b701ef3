"""``experiment=scaling``: time and memory against graph size.

Config: ``conf/experiment/scaling.yaml`` (schema :class:`ScalingConf`). The
graph's ``size_key`` (``n_nodes``) is set to each size in turn.
"""

import logging
import resource
import time
from dataclasses import dataclass, field

from .. import report
from . import _build, _plans, _rows
from ._schema import MISSING

__all__ = ["ScalingConf", "run_scaling", "scaling_report"]

log = logging.getLogger("viralsim")


@dataclass
class ScalingConf:
    """Schema of ``experiment=scaling``.

    Parameters
    ----------
    sizes : list of int
        Graph sizes (at least two).
    size_key : str
        The graph parameter set to each size.
    plans : list
        The plan estimated at each size (the first; default: the 10 most followed).
    n_sims : int, optional
        Worlds per size.
    """

    name: str = "scaling"
    sizes: list = MISSING
    size_key: str = "n_nodes"
    plans: list = field(default_factory=list)
    n_sims: int | None = 1_000


def _rss_mib():
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024.0  # Linux reports KiB


def _graph_of_size(cfg, size_key, s):
    """The config's graph with ``size_key`` set to ``s``, and the time it took."""
    t0 = time.perf_counter()
    try:
        graph = _build.build_graph(cfg, **{size_key: s})
    except TypeError as exc:
        if repr(size_key) not in str(exc):
            raise
        raise ValueError(f"experiment=scaling sets graph.{size_key} to each size, but this "
                         f"graph has no {size_key!r} ({exc}). Pick a generator graph or name "
                         "its size parameter with experiment.size_key.") from None
    return graph, time.perf_counter() - t0


def run_scaling(cfg, out_dir, keys=None):
    """Time and memory against graph size (the graph's ``size_key`` swept), into ``out_dir``.

    Parameters
    ----------
    cfg : dict
        The composed config (plain), ``experiment`` as :class:`ScalingConf`.
    out_dir : str
    keys : dict, optional
        Extra columns for every row.

    Returns
    -------
    Outcome
        One row per size; ``extra["slope"]``: the fitted exponent of time
        against edges; ``label`` is ``size``.

    Raises
    ------
    ValueError
        Fewer than two sizes, or a graph without ``size_key``.

    Examples
    --------
    >>> import tempfile
    >>> from viralsim.experiments import run_scaling
    >>> cfg = {"experiment": {"name": "scaling", "sizes": [40, 80], "n_sims": 20},
    ...        "graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 60, "m": 2,
    ...                  "p_triangle": 0.3}, "probabilities": {"scheme": "weighted_cascade"},
    ...        "formats": []}
    >>> [r["n_nodes"] for r in run_scaling(cfg, tempfile.mkdtemp()).rows]
    [40, 80]
    """
    exp = cfg["experiment"]
    sizes = [int(s) for s in exp["sizes"]]
    if len(sizes) < 2:
        raise ValueError(f"experiment.sizes={sizes}: a scaling curve needs at least two graph "
                         "sizes, e.g. experiment.sizes=[1000,10000,100000].")
    size_key = exp.get("size_key", "n_nodes")
    plan = (exp.get("plans") or [{"name": "top 10", "strategy": "degree", "k": 10}])[0]
    estimation = _build.Estimation.from_config(cfg, exp)
    info = _build.RunInfo.from_config(cfg, keys)
    rows = []
    for s in sizes:
        graph, t_build = _graph_of_size(cfg, size_key, s)
        model = _build.build_model(cfg)
        seeds = _plans.resolve_plan(graph, plan, model=model,
                                    rng=_build.sub_rng(estimation.rng_seed, 6),
                                    func="experiment=scaling")
        est = _rows.timed_estimate(graph, seeds, model, estimation.backend,
                                   **estimation.kwargs())
        base, tail = _rows.base_row(info, graph)
        row = dict(base, plan=plan.get("name") or plan.get("strategy"), k=len(seeds))
        row.update(_rows.estimate_row(est))
        row.update(build_time=t_build, graph_mib=graph.nbytes / 2**20, max_rss_mib=_rss_mib(),
                   worlds_per_s=est.n_sims / est.elapsed if est.elapsed > 0 else None, **tail)
        rows.append(row)
        log.info("%s=%d: %d edges, %.3f s, %s", size_key, s, graph.n_edges, est.elapsed, est)
    files = _rows.write_rows(rows, out_dir)
    slope = _figure(rows, est.n_sims, out_dir, info, files)
    text = scaling_report(rows, slope, {"Scaling": "scaling.png"}, info.report_settings)
    files.append(report.write(out_dir, text))
    disp = [dict(r, size=f"{r['n_nodes']:,} / {r['n_edges']:,}") for r in rows]
    return _rows.Outcome(rows, files, {"slope": slope, "display": disp}, text, label="size")


def _figure(rows, n_sims, out_dir, info, files):
    from .. import plots

    ax, slope = plots.scaling_curve(rows, x="n_edges", y="elapsed", label="simulation time (s)")
    ax.set_title(f"time vs edges ({n_sims:,} worlds each)")
    _rows.save_figure(ax, out_dir, "scaling", info, files)
    return slope


def scaling_report(rows, slope, figs, cfg):
    """``report.md`` of a scaling study: the fitted slope and each size's time and memory.

    Parameters
    ----------
    rows : list of dict
    slope : float
        Least-squares slope of log time against log edges.
    figs : dict
        Figure title -> file name.
    cfg : mapping
        ``confidence`` and ``rng_seed``.

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.experiments.scaling import scaling_report
    >>> rows = [{"plan": "a", "strategy": "degree", "k": 2, "mean": 12.0, "ci_low": 11.0,
    ...          "ci_high": 13.0, "n_sims": 100, "elapsed": 0.1, "rng_seed": 0, "n_nodes": 10, "n_edges": 20, "graph_mib": 0.1, "max_rss_mib": 100.0}]
    >>> print(scaling_report(rows, 1.0, {}, {}).splitlines()[0])
    # Scaling
    """
    words = [f"- Simulation time grows as edges^{slope:.2f} over "
             f"{rows[0]['n_edges']:,} .. {rows[-1]['n_edges']:,} edges "
             f"(least-squares slope on log-log axes)."]
    for r in rows:
        words.append(f"- {r['n_nodes']:,} consumers / {r['n_edges']:,} edges: graph "
                     f"{r['graph_mib']:.1f} MiB, {r['elapsed']:.3f} s for {r['n_sims']:,} worlds, "
                     f"peak RSS {r['max_rss_mib']:.0f} MiB.")
    table_rows = [dict(r, size=f"{r['n_nodes']:,}") for r in rows]
    return (report.header("Scaling", rows, cfg) + "\n" + report.markdown_table(table_rows, "size")
            + "\n\n" + "\n".join(words) + "\n\n" + report.figure_links(figs) + "\n")
