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

__all__ = ["ScalingConf", "run_scaling", "scaling_report", "fit_slope"]

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
    repeats : int, default 3
        Timed estimates per size (same graph, seeds and worlds): the slope is
        fitted over all of them, with its interval.
    """

    name: str = "scaling"
    sizes: list = MISSING
    size_key: str = "n_nodes"
    plans: list = field(default_factory=list)
    n_sims: int | None = 1_000
    repeats: int = 3


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
        One row per size and repeat (``repeat`` 0, 1, ...); ``extra["slope"]``:
        the fitted exponent of time against edges over every timing, with
        ``extra["slope_stderr"]`` and ``extra["slope_ci"]`` (:func:`fit_slope`);
        ``label`` is ``size``.

    Raises
    ------
    ValueError
        Fewer than two sizes, ``repeats`` not a whole number >= 1, or a graph
        without ``size_key``.

    Examples
    --------
    >>> import tempfile
    >>> from viralsim.experiments import run_scaling
    >>> cfg = {"experiment": {"name": "scaling", "sizes": [40, 80], "n_sims": 20, "repeats": 1},
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
    repeats = exp.get("repeats", 3)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"experiment.repeats={repeats!r}: the timings per size must be a "
                         "whole number >= 1, e.g. experiment.repeats=3.")
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
        for rep in range(repeats):
            est = _rows.timed_estimate(graph, seeds, model, estimation.backend,
                                       **estimation.kwargs())
            base, tail = _rows.base_row(info, graph)
            row = dict(base, plan=plan.get("name") or plan.get("strategy"), k=len(seeds),
                       repeat=rep)
            row.update(_rows.estimate_row(est))
            row.update(build_time=t_build, graph_mib=graph.nbytes / 2**20,
                       max_rss_mib=_rss_mib(),
                       worlds_per_s=est.n_sims / est.elapsed if est.elapsed > 0 else None,
                       **tail)
            rows.append(row)
            log.info("%s=%d (repeat %d): %d edges, %.3f s, %s", size_key, s, rep + 1,
                     graph.n_edges, est.elapsed, est)
    files = _rows.write_rows(rows, out_dir)
    fit = fit_slope(rows, info.confidence)
    _figure(rows, est.n_sims, out_dir, info, files, fit)
    text = scaling_report(rows, fit, {"Scaling": "scaling.png", "Memory": "scaling_memory.png"},
                          info.report_settings)
    files.append(report.write(out_dir, text))
    disp = [dict(r, size=f"{r['n_nodes']:,} / {r['n_edges']:,}"
                 + (f" #{r['repeat'] + 1}" if repeats > 1 else "")) for r in rows]
    return _rows.Outcome(rows, files, {"slope": fit["slope"], "slope_stderr": fit["stderr"],
                                       "slope_ci": (fit["ci_low"], fit["ci_high"]),
                                       "display": disp}, text, label="size")


def fit_slope(rows, confidence=0.95, x="n_edges", y="elapsed"):
    """The exponent of time against edges: least squares of log ``y`` on log ``x``
    over every row (each repeat of each size a point), with its t interval.

    Parameters
    ----------
    rows : list of dict
    confidence : float, default 0.95
    x, y : str
        The columns (both > 0 where used).

    Returns
    -------
    dict
        ``slope``, ``intercept`` (natural logs), ``stderr``, ``ci_low``,
        ``ci_high`` (:func:`viralsim.stats.slope_interval`; NaN with fewer
        than three points or no two sizes), ``n`` (points fitted),
        ``sizes`` (distinct ``x``).

    Examples
    --------
    >>> from viralsim.experiments.scaling import fit_slope
    >>> rows = [{"n_edges": m, "elapsed": m / 1000 * f} for m in (10, 100, 1000)
    ...         for f in (0.9, 1.1)]
    >>> fit = fit_slope(rows)
    >>> round(fit["slope"], 9), fit["n"], fit["sizes"], round(fit["stderr"], 4)
    (1.0, 6, 3, 0.0267)
    """
    import math

    import numpy as np

    from ..stats import slope_interval

    pts = [(r[x], r[y]) for r in rows
           if isinstance(r.get(x), (int, float)) and isinstance(r.get(y), (int, float))
           and r[x] > 0 and r[y] > 0]
    out = {"slope": math.nan, "intercept": math.nan, "stderr": math.nan, "ci_low": math.nan,
           "ci_high": math.nan, "n": len(pts), "sizes": len({p[0] for p in pts}),
           "confidence": confidence}
    if out["sizes"] >= 2:
        xs, ys = np.log(np.array(pts, dtype=float)).T
        b, a, se, lo, hi = slope_interval(xs, ys, confidence)
        out.update(slope=b, intercept=a, stderr=se, ci_low=lo, ci_high=hi)
    return out


def _figure(rows, n_sims, out_dir, info, files, fit):
    from .. import plots

    ax, _ = plots.scaling_curve(rows, x="n_edges", y="elapsed", label="simulation time (s)",
                                fit=fit)
    reps = len(rows) // max(fit["sizes"], 1)
    ax.set_title(f"time vs edges ({n_sims:,} worlds each"
                 + (f", {reps} repeats per size)" if reps > 1 else ")"))
    _rows.save_figure(ax, out_dir, "scaling", info, files)
    _memory_figure(rows, out_dir, info, files)


def _memory_figure(rows, out_dir, info, files):
    """``scaling_memory``: the graph's bytes and the process's peak resident memory
    against edges (log-log), one point per size."""
    from matplotlib.figure import Figure

    per = {}
    for r in rows:  # the largest peak of each size's repeats
        key = r["n_edges"]
        per[key] = (r["graph_mib"], max(r["max_rss_mib"], per.get(key, (0, 0))[1]))
    xs = sorted(per)
    ax = Figure(figsize=(6.4, 4.2), layout="constrained").add_subplot()
    ax.plot(xs, [per[x][1] for x in xs], marker="o", label="peak resident memory (process)")
    ax.plot(xs, [per[x][0] for x in xs], marker="s", label="graph (CSR arrays)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n_edges")
    ax.set_ylabel("MiB")
    ax.set_title("memory vs edges")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small")
    _rows.save_figure(ax, out_dir, "scaling_memory", info, files)


def scaling_report(rows, fit, figs, cfg):
    """``report.md`` of a scaling study: the fitted slope with its interval and each
    size's time (mean over repeats, with its t interval) and memory.

    Parameters
    ----------
    rows : list of dict
        One per size and repeat.
    fit : dict or float
        :func:`fit_slope` of the rows (a bare slope, as before repeats, is
        read as a slope without an interval).
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
    import numpy as np

    from ..stats import sample_interval

    if not isinstance(fit, dict):
        fit = {"slope": fit, "stderr": float("nan"), "ci_low": float("nan"),
               "ci_high": float("nan"), "n": len(rows), "sizes": len(rows)}
    conf = cfg.get("confidence", 0.95)
    pct = f"{100 * conf:g}%"
    edges = sorted({r["n_edges"] for r in rows})
    words = [f"- Simulation time grows as edges^{fit['slope']:.2f}" + (
        f" ({pct} CI {fit['ci_low']:.2f} to {fit['ci_high']:.2f}, standard error "
        f"{fit['stderr']:.3f})" if np.isfinite(fit["ci_low"]) else "")
        + f" over {edges[0]:,} .. {edges[-1]:,} edges: least squares of log time on log "
        f"edges over all {fit['n']} timings ({fit['sizes']} sizes), t interval with "
        f"{fit['n'] - 2} degrees of freedom."]
    if not np.isfinite(fit["ci_low"]):
        words.append("- No interval: it needs three timings or more "
                     "(experiment.repeats=3 times each size).")
    per_size = {}
    for r in rows:
        per_size.setdefault((r["n_nodes"], r["n_edges"]), []).append(r)
    table = []
    for (n, m), rs in per_size.items():
        t = np.array([r["elapsed"] for r in rs], dtype=float)
        tm, _, tlo, thi = sample_interval(t, conf)
        r0 = rs[0]
        time_cell = (report.plus_minus(tm, tlo, thi) if t.size > 1 else f"{tm:.3f}")
        words.append(f"- {n:,} consumers / {m:,} edges: graph {r0['graph_mib']:.1f} MiB, "
                     f"{time_cell} s for {r0['n_sims']:,} worlds"
                     + (f" (mean of {t.size} repeats)" if t.size > 1 else "")
                     + (f", built in {r0['build_time']:.2f} s" if "build_time" in r0 else "")
                     + f", peak RSS {max(r['max_rss_mib'] for r in rs):.0f} MiB.")
        table.append(dict(r0, size=f"{n:,}", elapsed=tm))
    return (report.header("Scaling", rows, cfg) + "\n" + report.markdown_table(table, "size")
            + "\n\nTime per size is the mean over its repeats (the table's time column).\n\n"
            + "\n".join(words) + "\n\n" + report.figure_links(figs) + "\n")
