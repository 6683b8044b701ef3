"""Estimates to result rows, and what an experiment hands back (:class:`Outcome`).

Every row of an experiment's ``results.csv`` is the run's description
(:func:`base_row`), the plan's columns, the estimate's (:func:`estimate_row`)
and the run's seed and version, in that order. Paired differences
(:func:`paired`) are computed here, the one place the experiments take them
from.
"""

import math
import os
from dataclasses import dataclass, field

__all__ = ["Outcome", "estimate", "timed_estimate", "estimate_row", "base_row", "paired",
           "short", "save_figure", "write_rows"]


@dataclass
class Outcome:
    """What an experiment produced: its rows and the files it wrote.

    Parameters
    ----------
    rows : list of dict
        The rows of its ``results.csv``.
    files : list of str
        The files it wrote.
    extra : dict
        Experiment-specific results (``estimates``, ``curve``, ``slope``,
        ``display``: the rows the console shows, when not ``rows``).
    text : str
        Its ``report.md``.
    label : str
        The column that names a row in the console table.

    Examples
    --------
    >>> from viralsim.experiments import Outcome
    >>> Outcome([{"plan": "a"}]).display_rows()
    [{'plan': 'a'}]
    """

    rows: list
    files: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    text: str = ""
    label: str = "plan"  # the column that names a row in the console table

    def display_rows(self):
        """The rows the console table shows (``extra["display"]``, else ``rows``).

        Returns
        -------
        list of dict
        """
        return self.extra.get("display", self.rows)


def estimate(graph, seeds, model, backend, **kw):
    """:func:`viralsim.estimate_reach` on the backend ``backend`` names (None: serial).

    Parameters
    ----------
    graph, seeds, model
        As for :func:`viralsim.estimate_reach`.
    backend : str, mapping or None
        For :func:`viralsim.distributed.get_backend`.
    **kw
        :func:`viralsim.estimate_reach`'s other arguments.

    Returns
    -------
    ReachEstimate
    """
    from .._limits import rounds_that_can_happen
    from ..distributed import get_backend
    from ..estimate import estimate_reach

    if kw.get("max_rounds") is not None:  # timelines sized by the graph, same outcomes
        kw["max_rounds"] = rounds_that_can_happen(kw["max_rounds"], graph.n_nodes)
    return estimate_reach(graph, seeds, model=model, backend=get_backend(backend or "serial"),
                          **kw)


def timed_estimate(graph, seeds, model, backend, **kw):
    """:func:`estimate` after two untimed worlds on the same graph and model.

    The time reported is then the simulation's: the first call in a process
    also loads (or compiles) the kernels, which made the scaling study's
    smallest graph its slowest and its fitted slope meaningless, and gave the
    first plan of a fresh install 20 s of compilation as its time.

    Parameters and Returns are :func:`estimate`'s.
    """
    warm = {k: v for k, v in kw.items() if k not in ("n_sims", "precision", "max_sims")}
    estimate(graph, seeds, model, backend, n_sims=2, **warm)
    return estimate(graph, seeds, model, backend, **kw)


def estimate_row(est):
    """The columns of one estimate: reach with its CI, exposure, the model's metrics.

    Parameters
    ----------
    est : ReachEstimate

    Returns
    -------
    dict
        ``mean``, ``ci_low``, ``ci_high``, ``stderr``, ``n_sims``, ``elapsed``;
        ``exposure`` (with its CI), each metric (with its CI) and ``converged``
        where the estimate has them.
    """
    row = {
        "mean": est.mean,
        "ci_low": est.ci_low,
        "ci_high": est.ci_high,
        "stderr": est.stderr,
        "n_sims": est.n_sims,
        "elapsed": est.elapsed,
    }
    if est.exposure is not None:
        row.update(
            exposure=est.exposure.mean,
            exposure_ci_low=est.exposure.ci_low,
            exposure_ci_high=est.exposure.ci_high,
        )
    for name, e in (est.metrics or {}).items():  # model-specific metrics (segment_reach, ...)
        if name not in ("reach", "exposure"):
            row.update({name: e.mean, f"{name}_ci_low": e.ci_low, f"{name}_ci_high": e.ci_high})
    if est.converged is not None:
        row["converged"] = bool(est.converged)
    return row


def base_row(info, graph):
    """``(first columns, last columns)`` of every row of a run: the sweep's keys and
    the run's description first, its ``rng_seed`` and viralsim's version last.

    Parameters
    ----------
    info : RunInfo
    graph : FollowerGraph
        Its size is described.

    Returns
    -------
    (dict, dict)
    """
    from .. import __version__

    row = dict(info.keys)
    row.update(
        experiment=info.experiment,
        graph=info.graph,
        n_nodes=graph.n_nodes,
        n_edges=graph.n_edges,
        probabilities=info.probabilities,
        model=info.model,
    )
    return row, {"rng_seed": info.rng_seed, "version": __version__}


def paired(a, b, confidence):
    """Mean of ``a - b`` per world with its t CI (same worlds: common random numbers).

    Parameters
    ----------
    a, b : numpy.ndarray
        Per-world reach of two plans (the first ``min`` of their sizes pair up).
    confidence : float

    Returns
    -------
    (mean, stderr, low, high)

    Examples
    --------
    >>> import numpy as np
    >>> from viralsim.experiments import paired
    >>> m, se, lo, hi = paired(np.array([3, 5, 4]), np.array([1, 2, 2]), 0.95)
    >>> round(m, 6), lo < m < hi
    (2.333333, True)
    """
    from ..estimate import _quantile

    n = min(a.size, b.size)
    d = a[:n].astype("float64") - b[:n].astype("float64")
    m = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    h = _quantile(confidence, n) * se
    return m, se, m - h, m + h


def short(seeds, limit=20):
    """The seeds column: the first ``limit`` labels and how many more.

    Parameters
    ----------
    seeds : list
    limit : int, default 20

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.experiments import short
    >>> short(range(3)), short(range(30), limit=2)
    ('0 1 2', '0 1 ...(+28)')
    """
    s = [str(x) for x in seeds]
    return " ".join(s if len(s) <= limit else s[:limit] + [f"...(+{len(s) - limit})"])


def save_figure(ax, out_dir, name, info, files):
    """Save ``ax`` as ``out_dir/name.<format>`` in the run's formats; add the files to ``files``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    out_dir, name : str
    info : RunInfo
        Its ``formats``.
    files : list
        Extended with the files written.
    """
    from .. import plots

    formats = tuple(str(f).lower() for f in info.formats)
    files += plots.save(ax, os.path.join(out_dir, name), formats)


def write_rows(rows, out_dir):
    """Write ``out_dir/results.csv`` (and the other table formats).

    Parameters
    ----------
    rows : list of dict
    out_dir : str

    Returns
    -------
    list of str
        The files written.
    """
    from .. import results as res

    return res.write_table(rows, os.path.join(out_dir, "results.csv"))
