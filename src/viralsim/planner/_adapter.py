"""The planner's doors to the library's readers: the follower-CSV reader and the
reader of a fit saved by ``viralsim experiment=learn``.

The readers live in :mod:`viralsim.io` and :mod:`viralsim.learn`; this module
is the one place that names them (the browser test replaces the CSV reader
through here). :func:`load_fitted_graph` reads a learn run's saved fit with
the library's stable loader ``viralsim.learn.load_fit`` where this viralsim
has it (``fit.npz``), and otherwise (or for the edge files themselves) the
fitted edge lists every learn run writes (``fitted_edges.csv``,
``fitted_graph.txt``).
"""

import os

from ..exceptions import ViralsimError

#: what a learn run directory holds, in the order tried (fit.npz: with load_fit only)
FITTED_FILES = ("fit.npz", "fitted_edges.csv", "fitted_graph.txt")


def follower_csv_reader():
    """The library's follower-CSV reader (:func:`viralsim.io.read_follower_csv`)."""
    from ..io import read_follower_csv

    return read_follower_csv


def fit_loader():
    """The library's loader of saved fits (``viralsim.learn.load_fit``), or None
    where this viralsim has none yet."""
    from .. import learn

    return getattr(learn, "load_fit", None)


def _learn_log(run_dir):
    """The action log a learn run directory was fitted on (its ``config.yaml``), or None."""
    cfg = os.path.join(run_dir, "config.yaml")
    if not os.path.isfile(cfg):
        return None
    try:
        from omegaconf import OmegaConf

        return OmegaConf.select(OmegaConf.load(cfg), "log.path", default=None)
    except Exception:  # an unreadable config only loses the sentence naming the log
        return None


def _in_run_dir(path, loader):
    """The fitted file a learn run directory holds, or the error naming what to give."""
    from .core import PlannerError

    for name in FITTED_FILES:
        if name == "fit.npz" and loader is None:
            continue
        if os.path.isfile(os.path.join(path, name)):
            return os.path.join(path, name)
    raise PlannerError(
        f"{path!r} holds no fitted graph ({', '.join(FITTED_FILES)}): give the run directory "
        f"of viralsim experiment=learn (outputs/<date>/<time>), or one of those files.")


def load_fitted_graph(path):
    """A fitted follower graph and what the page says about it.

    Parameters
    ----------
    path : str
        A learn run's directory, its ``fit.npz``, its ``fitted_edges.csv`` or
        its ``fitted_graph.txt``.

    Returns
    -------
    graph : FollowerGraph
        With the learned probabilities.
    info : dict
        ``file`` (what was read), ``log`` (the action log it was learned
        from, when known), ``method`` (when known), ``outside_rate`` (the
        fitted rate of adoptions from outside the graph, when known).

    Raises
    ------
    PlannerError
        A missing path, a directory without a fit, a file that is not one.
    """
    from .core import PlannerError

    path = os.path.expanduser(str(path).strip().strip('"').strip("'"))
    if not os.path.exists(path):
        raise PlannerError(f"{path!r} does not exist: give the run directory of viralsim "
                           f"experiment=learn, or its fitted_edges.csv.")
    loader = fit_loader()
    run_dir = path if os.path.isdir(path) else os.path.dirname(path)
    if os.path.isdir(path):
        path = _in_run_dir(path, loader)
    info = {"file": os.path.basename(path), "log": _learn_log(run_dir)}
    try:
        if path.endswith(".npz"):
            if loader is None:
                raise PlannerError(f"{os.path.basename(path)}: this viralsim cannot read saved "
                                   f"fits yet; give the run's fitted_edges.csv instead.")
            fit = loader(path)
            notes = getattr(fit, "notes", None) or {}
            rate = getattr(getattr(fit, "model", None), "rate", None)
            info.update(method=getattr(fit, "method", None),
                        log=notes.get("source") or info["log"],
                        outside_rate=float(rate) if rate else None)
            return fit.graph, info
        if path.lower().endswith(".csv"):
            g = follower_csv_reader()(path, source="source", target="target",
                                      probability="probability")
        else:
            from ..io import read_edgelist

            g = read_edgelist(path, directed=True)
    except PlannerError:
        raise
    except (ValueError, KeyError, OSError, ViralsimError) as exc:  # the library's messages
        msg = str(exc.args[0]) if exc.args else str(exc)
        raise PlannerError(f"{os.path.basename(path)} is not a fitted graph of viralsim "
                           f"experiment=learn ({msg})") from None
    if not g.has_probabilities:
        raise PlannerError(f"{os.path.basename(path)} has no probability column: give the "
                           f"fitted_edges.csv or fitted_graph.txt of a learn run.")
    return g, info
