"""Objects from config: the one place where the composed config is read.

Each experiment module calls these once, at its start, to turn its config
into plain objects (a graph, a model, :class:`Estimation` settings, a
:class:`RunInfo` describing the run), and passes only those objects on.
Parts of the config that name code (``graph``, ``model``, ``strategy``)
carry a ``_target_`` (a dotted path to a function or class) and its keyword
arguments; :func:`build` calls it.

The probability schemes are dispatched in :func:`apply_probabilities` (the
single place to swap for a scheme registry).
"""

import importlib
import logging
import os
from dataclasses import dataclass, field
from typing import Any

__all__ = ["build", "build_graph", "build_model", "apply_probabilities", "graph_name",
           "model_name", "probabilities_name", "sub_rng", "Estimation", "RunInfo",
           "check_formats", "probability_assumption", "FITTED_MARK", "FITTED_TARGET",
           "is_fitted", "fit_of"]

log = logging.getLogger("viralsim")


#: Extra module prefixes whose classes and functions a config may build, comma-separated
#: (the documented extension point: ``VIRALSIM_ALLOWED_TARGETS=mypkg.strategies``).
ALLOWED_TARGETS_ENV = "VIRALSIM_ALLOWED_TARGETS"


def _allowed_prefixes():
    extra = os.environ.get(ALLOWED_TARGETS_ENV, "")
    return ("viralsim",) + tuple(p.strip().rstrip(".") for p in extra.split(",") if p.strip())


def _allowed(dotted, prefixes):
    return any(dotted == p or dotted.startswith(p + ".") for p in prefixes)


def _import_allowed(path):
    """:func:`_import`, for viralsim's own classes and functions only (and those of
    the modules named in ``$VIRALSIM_ALLOWED_TARGETS``): a config must not run
    arbitrary code (``subprocess.getoutput``, ``viralsim.io.os.system``)."""
    prefixes = _allowed_prefixes()
    fix = (f"A config may build viralsim's own classes and functions (viralsim.IC, "
           f"viralsim.strategies.CELFGreedy, ...); to allow your own package's, set "
           f"{ALLOWED_TARGETS_ENV}=yourpackage.")
    if not isinstance(path, str) or not _allowed(path, prefixes):
        raise ValueError(f"'_target_' {path!r} is not allowed. {fix}")
    obj = _import(path)
    # the object itself must be defined there: viralsim.io.os.system is os.system
    home = getattr(obj, "__module__", None) or ""
    if not (callable(obj) and _allowed(home, prefixes)):
        raise ValueError(f"'_target_' {path!r} is {home or 'not'} code, not allowed. {fix}")
    return obj


def _import(path):
    mod, _, name = path.rpartition(".")
    if not mod:
        raise ValueError(f"'_target_' must be a dotted path such as viralsim.IC. Got {path!r}.")
    try:
        obj = importlib.import_module(mod)
    except ModuleNotFoundError:
        # a class nested in a module path, e.g. viralsim.strategies.Degree
        obj = _import(mod)
    try:
        return getattr(obj, name)
    except AttributeError:
        raise ValueError(f"'_target_' {path!r}: {mod} has no attribute {name!r}.") from None


def build(spec, **override):
    """Call ``spec["_target_"]`` with the other keys of ``spec`` updated by ``override``.

    Parameters
    ----------
    spec : mapping or None
        A config node with a ``_target_`` (dotted path to a callable); keys
        starting with ``_`` are reserved and not passed.
    **override
        Keyword arguments that replace those of ``spec``.

    Returns
    -------
    object
        What the target returned; None when ``spec`` is None.

    Raises
    ------
    ValueError
        ``spec`` has no ``_target_``, or it names nothing importable, or
        something other than viralsim's own classes and functions (and those
        of the module prefixes listed, comma-separated, in the environment
        variable ``VIRALSIM_ALLOWED_TARGETS``: the extension point for your
        own strategies or graph readers).

    Examples
    --------
    >>> from viralsim.experiments import build
    >>> type(build({"_target_": "viralsim.IC"})).__name__
    'IC'
    """
    if spec is None:
        return None
    spec = dict(spec)
    target = spec.pop("_target_", None)
    if target is None:
        raise ValueError(f"A config node that builds an object needs a '_target_'. Got {spec!r}.")
    kwargs = {k: v for k, v in spec.items() if not k.startswith("_")}
    kwargs.update(override)
    return _import_allowed(target)(**kwargs)


def graph_name(gcfg):
    """The name a graph config goes by in tables: its ``name``, its file's, or its target's.

    Parameters
    ----------
    gcfg : mapping
        The ``graph`` config node.

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.experiments import graph_name
    >>> graph_name({"_target_": "viralsim.generators.holme_kim"})
    'holme_kim'
    >>> graph_name({"_target_": "viralsim.io.read_edgelist", "path": "data/wiki.txt"})
    'wiki.txt'
    """
    if gcfg.get("name"):
        return str(gcfg["name"])
    t = str(gcfg.get("_target_", "graph"))
    if t == FITTED_TARGET:
        return f"fitted ({os.path.basename(os.path.normpath(str(gcfg.get('path'))))})"
    if t.endswith(("read_edgelist", "read_follower_csv")):
        return os.path.basename(str(gcfg.get("path")))
    return t.rsplit(".", 1)[-1]


def apply_probabilities(graph, pcfg, rng):
    """Set edge probabilities from the ``probabilities`` config node.

    Parameters
    ----------
    graph : FollowerGraph
    pcfg : mapping or None
        ``scheme`` (``keep``, ``uniform`` with ``p``, ``uniform_random`` with
        ``low``/``high``, ``weighted_cascade``, ``trivalency``, ...). None or
        empty leaves the graph as it is.
    rng : numpy.random.Generator
        For the random schemes.

    Returns
    -------
    FollowerGraph

    Raises
    ------
    ValueError
        ``keep`` on a graph read without probabilities, or a bad ``p``.

    Examples
    --------
    >>> import numpy as np, viralsim as vs
    >>> from viralsim.experiments import apply_probabilities
    >>> g = vs.FollowerGraph.from_edges([0, 1], [1, 2])
    >>> apply_probabilities(g, {"scheme": "uniform", "p": 0.25}, None).edges()[2].tolist()
    [0.25, 0.25]
    """
    if not pcfg:
        return graph
    from ..probabilities import apply

    return apply(graph, pcfg.get("scheme", "keep"), rng=rng, p=pcfg.get("p"),
                 low=pcfg.get("low"), high=pcfg.get("high"))


def probabilities_name(pcfg):
    """The probabilities column of a table: ``keep``, ``uniform 0.05``, the scheme's name.

    Parameters
    ----------
    pcfg : mapping or None
        The ``probabilities`` config node.

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.experiments import probabilities_name
    >>> probabilities_name({"scheme": "uniform", "p": 0.05}), probabilities_name(None)
    ('uniform 0.05', 'keep')
    """
    if not pcfg:
        return "keep"
    s = pcfg.get("scheme", "keep")
    return f"uniform {pcfg['p']:g}" if s == "uniform" else str(s)


#: the first line of the fitted graph that ``experiment=learn`` writes (``fitted_graph.txt``)
FITTED_MARK = "# learned influence probabilities"

_ASSUMED = "assumed, not learned from data"

#: ``graph=fitted``'s target: a graph with the probabilities a saved fit learned
FITTED_TARGET = "viralsim.learn.fitted_graph"


def is_fitted(cfg):
    """Whether ``cfg``'s graph is a saved fit's (``graph=fitted``)."""
    return str((cfg.get("graph") or {}).get("_target_", "")) == FITTED_TARGET


def fit_of(cfg):
    """The :class:`~viralsim.InfluenceFit` of a ``graph=fitted`` config (read once per
    file), else None."""
    if not is_fitted(cfg):
        return None
    from ..learn import _load_cached

    return _load_cached(cfg["graph"]["path"])


def _fitted_model(cfg, override):
    """The fit's model (IC plus outside influence) when ``graph=fitted`` asks for it
    (``graph.outside``, the fit has outside influence), else None."""
    fit = fit_of(cfg)
    if fit is None or not cfg["graph"].get("outside", True) or not fit.outside:
        return None
    m = cfg.get("model") or {}
    target = str(m.get("_target_", "viralsim.IC"))
    if target != "viralsim.IC":
        name = target.rsplit(".", 1)[-1]
        raise ValueError(
            f"graph=fitted simulates what the fit learned, the independent cascade plus "
            f"outside influence, and model={name} cannot add the outside influence. Drop "
            f"model= (or use model=ic), or set graph.outside=false to simulate {name} over the "
            f"learned probabilities without it.")
    if any(v is not None for v in override.values()) or m.get("segment_attr") is not None:
        raise ValueError(
            "graph=fitted with the fit's outside influence does not count a target segment; "
            "set graph.outside=false to measure the segment over the learned probabilities "
            "(without the outside influence), or drop experiment.target_segment.")
    return fit.model


def _fitted_assumption(cfg):
    """The probability sentence of a ``graph=fitted`` run (:meth:`InfluenceFit.assumption`)."""
    fit = fit_of(cfg)
    simulated = bool(cfg["graph"].get("outside", True)) and fit.outside and \
        fit.model == _fitted_model_quiet(cfg)
    return fit.assumption(outside=simulated)


def _fitted_model_quiet(cfg):
    try:
        return _fitted_model(cfg, {})
    except ValueError:
        return None


def _learned_file(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.readline().startswith(FITTED_MARK)
    except (OSError, TypeError):
        return False


def probability_assumption(cfg):
    """One plain sentence: where the run's influence probabilities come from.

    Every campaign and estimate report states it, so that a forecast says
    what it assumes (the same plan's reach differs by a factor of 30 between
    schemes on one graph).

    Parameters
    ----------
    cfg : mapping
        The composed config (``probabilities``, ``graph``).

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.experiments import probability_assumption
    >>> probability_assumption({"probabilities": {"scheme": "uniform", "p": 0.02}})
    'Probabilities: uniform (every follow persuades with probability 0.02); assumed, not learned from data.'
    """
    pcfg = cfg.get("probabilities") or {}
    scheme = pcfg.get("scheme", "keep")
    if is_fitted(cfg):
        return _fitted_assumption(cfg)
    if scheme == "weighted_cascade":
        what = ("weighted cascade (each consumer is persuaded by each account they follow with "
                "probability 1 / the number of accounts they follow)")
    elif scheme == "trivalency":
        what = "trivalency (each follow persuades with probability 0.1, 0.01 or 0.001, at random)"
    elif scheme == "uniform":
        what = f"uniform (every follow persuades with probability {pcfg.get('p'):g})"
    elif scheme == "uniform_random":
        what = (f"uniform random (each follow's probability drawn between {pcfg.get('low'):g} "
                f"and {pcfg.get('high'):g})")
    elif scheme in (None, "keep", "file"):
        gcfg = cfg.get("graph") or {}
        path = gcfg.get("path")
        if path and _learned_file(path):
            return (f"Probabilities: learned from data (the fitted graph of experiment=learn, "
                    f"{os.path.basename(str(path))}); the outside influence that fit found is "
                    "not simulated here.")
        if path:
            return (f"Probabilities: as given in the graph's file ({os.path.basename(str(path))});"
                    " viralsim neither set nor checked them (learn them with experiment=learn).")
        return ("Probabilities: as the graph was built (probabilities=keep); assumed, not "
                "learned from data.")
    else:
        what = str(scheme)
    return f"Probabilities: {what}; {_ASSUMED}."


def sub_rng(rng_seed, *tag):
    """An independent, reproducible Generator for one purpose (graph, plans, ...).

    Parameters
    ----------
    rng_seed : int
        The run's ``rng_seed``.
    *tag : int
        What it is for (1: the probabilities; 2, 4, 5, 6: each experiment's
        plans, with the plan's number).

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> from viralsim.experiments import sub_rng
    >>> int(sub_rng(0, 2, 0).integers(100)) == int(sub_rng(0, 2, 0).integers(100))
    True
    """
    import numpy as np

    return np.random.default_rng([int(rng_seed), *tag])


def build_graph(cfg, **override):
    """The follower graph of ``cfg`` with its probabilities set.

    Parameters
    ----------
    cfg : mapping
        The composed config (``graph``, ``probabilities``, ``rng_seed``).
    **override
        Arguments for the graph's ``_target_`` (a scaling study's size).

    Returns
    -------
    FollowerGraph

    Examples
    --------
    >>> from viralsim.experiments import build_graph
    >>> cfg = {"graph": {"_target_": "viralsim.generators.holme_kim", "n_nodes": 50, "m": 2,
    ...                  "p_triangle": 0.3, "rng": None},
    ...        "probabilities": {"scheme": "weighted_cascade"}, "rng_seed": 0}
    >>> build_graph(cfg).n_nodes
    50
    """
    gcfg = dict(cfg["graph"])
    target = str(gcfg.get("_target_", ""))
    scheme = (cfg.get("probabilities") or {}).get("scheme", "keep")
    if target == FITTED_TARGET and scheme not in (None, "keep", "file"):
        raise ValueError(
            f"graph=fitted keeps the probabilities the fit learned; drop "
            f"probabilities={scheme}. To replace them with a scheme, read the learn run's "
            f"edge list instead: graph=edgelist graph.path=<run>/fitted_graph.txt "
            f"probabilities={scheme}.")
    if (target.endswith("read_follower_csv") and gcfg.get("probability") is None
            and scheme not in (None, "keep", "file")):
        gcfg["probability"] = False  # a scheme sets them: the file's column is not read
    if gcfg.get("rng") is None and ("rng" in gcfg or target.startswith("viralsim.generators.")):
        gcfg["rng"] = int(cfg.get("rng_seed", 0))
    g = build(gcfg, **override)
    return apply_probabilities(g, cfg.get("probabilities"), sub_rng(cfg.get("rng_seed", 0), 1))


def build_model(cfg, **override):
    """The diffusion model of ``cfg`` (its ``model`` node; :class:`~viralsim.IC` without one).

    Parameters
    ----------
    cfg : mapping
        The composed config.
    **override
        Arguments for the model's ``_target_`` (the campaign's ``segment_attr``).

    Returns
    -------
    DiffusionModel

    Examples
    --------
    >>> from viralsim.experiments import build_model
    >>> type(build_model({})).__name__
    'IC'
    """
    fitted = _fitted_model(cfg, override)
    if fitted is not None:
        return fitted
    m = cfg.get("model")
    if not m:
        from ..models import IC

        return IC()
    return build(m, **override)


def model_name(cfg):
    """The model column of a table: the class name of ``cfg``'s model.

    Parameters
    ----------
    cfg : mapping
        The composed config.

    Returns
    -------
    str

    Examples
    --------
    >>> from viralsim.experiments import model_name
    >>> model_name({"model": {"_target_": "viralsim.WordOfMouth"}}), model_name({})
    ('WordOfMouth', 'IC')
    """
    m = cfg.get("model") or {}
    return str(m.get("_target_", "viralsim.IC")).rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Estimation:
    """How reach is estimated: the settings of :func:`viralsim.estimate_reach`, read once.

    Parameters
    ----------
    confidence, max_rounds, exposure : as in :func:`viralsim.estimate_reach`
    rng_seed : int
        The worlds' seed (every plan runs in the same worlds).
    n_sims, precision, max_sims : optional
        A fixed number of worlds, or a target precision (with its cap).
    backend : str, mapping or None
        For :func:`viralsim.distributed.get_backend` (None: serial).

    Examples
    --------
    >>> from viralsim.experiments import Estimation
    >>> s = Estimation.from_config({"n_sims": 500, "rng_seed": 3}, {})
    >>> s.kwargs()["n_sims"], s.kwargs()["rng"]
    (500, 3)
    """

    confidence: float = 0.95
    max_rounds: Any = None
    exposure: bool = True
    rng_seed: int = 0
    n_sims: Any = None
    precision: Any = None
    max_sims: Any = 1_000_000
    backend: Any = field(default=None, compare=False)

    @classmethod
    def from_config(cls, cfg, exp=None):
        """The settings of ``cfg``; the experiment's own ``n_sims``/``precision``
        (``exp``) win over the top-level ones when either is set.

        Parameters
        ----------
        cfg : mapping
            The composed config.
        exp : mapping, optional
            Its ``experiment`` node.

        Returns
        -------
        Estimation
        """
        exp = exp or {}
        n_sims, precision = exp.get("n_sims"), exp.get("precision")
        if n_sims is None and precision is None:
            n_sims, precision = cfg.get("n_sims"), cfg.get("precision")
        return cls(confidence=float(cfg.get("confidence", 0.95)),
                   max_rounds=cfg.get("max_rounds"), exposure=bool(cfg.get("exposure", True)),
                   rng_seed=int(cfg.get("rng_seed", 0)), n_sims=n_sims, precision=precision,
                   max_sims=cfg.get("max_sims", 1_000_000), backend=cfg.get("backend"))

    def kwargs(self, **over):
        """Keyword arguments for :func:`viralsim.estimate_reach` (``over`` added).

        Parameters
        ----------
        **over
            Added or replaced (``return_sizes=True``, say).

        Returns
        -------
        dict
            ``confidence``, ``max_rounds``, ``exposure``, ``rng``, and ``n_sims``
            or ``precision`` with ``max_sims``.

        Raises
        ------
        ValueError
            ``n_sims`` below 2 (no confidence interval).
        """
        kw = dict(confidence=self.confidence, max_rounds=self.max_rounds,
                  exposure=self.exposure, rng=self.rng_seed)
        n_sims = self.n_sims
        if n_sims is not None:
            if isinstance(n_sims, int) and not isinstance(n_sims, bool) and n_sims < 2:
                raise ValueError(f"n_sims={n_sims}: a confidence interval needs at least 2 "
                                 "worlds; give n_sims >= 2 (or precision=...).")
            kw["n_sims"] = int(n_sims)
        elif self.precision is not None:
            kw["precision"] = float(self.precision)
            kw["max_sims"] = int(self.max_sims)
        kw.update(over)
        return kw


@dataclass(frozen=True)
class RunInfo:
    """What every row of a run says about it, and where its figures go.

    Examples
    --------
    >>> from viralsim.experiments import RunInfo
    >>> info = RunInfo.from_config({"experiment": {"name": "estimate"},
    ...                             "graph": {"_target_": "viralsim.generators.holme_kim"}})
    >>> info.graph, info.model, info.probabilities
    ('holme_kim', 'IC', 'keep')
    """

    experiment: str
    graph: str
    probabilities: str
    model: str
    rng_seed: int = 0
    confidence: float = 0.95
    formats: Any = ("png", "svg")  # as configured; lower-cased when figures are saved
    keys: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_config(cls, cfg, keys=None):
        """The description of ``cfg``'s run.

        Parameters
        ----------
        cfg : mapping
            The composed config.
        keys : dict, optional
            Extra columns for every row (a sweep's overrides).

        Returns
        -------
        RunInfo
        """
        probs, model = probabilities_name(cfg.get("probabilities")), model_name(cfg)
        if is_fitted(cfg):
            probs = f"learned ({fit_of(cfg).method})"
            fitted = _fitted_model_quiet(cfg)
            model = type(fitted).__name__ if fitted is not None else model
        return cls(experiment=cfg["experiment"]["name"], graph=graph_name(cfg["graph"]),
                   probabilities=probs, model=model, rng_seed=int(cfg.get("rng_seed", 0)),
                   confidence=cfg.get("confidence", 0.95),
                   formats=cfg.get("formats", ("png", "svg")),
                   keys=dict(keys or {}))

    @property
    def report_settings(self):
        """What a report's header reads: ``confidence`` and ``rng_seed``."""
        return {"confidence": self.confidence, "rng_seed": self.rng_seed}


def check_formats(formats):
    """Figure formats matplotlib can write, checked before any work is done.

    Parameters
    ----------
    formats : list of str or None
        None or empty: nothing to check.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        A format matplotlib cannot write (the message lists those it can).

    Examples
    --------
    >>> from viralsim.experiments import check_formats
    >>> check_formats(["png", "SVG"])
    """
    if not formats:
        return
    from matplotlib.backend_bases import FigureCanvasBase

    known = FigureCanvasBase.get_supported_filetypes()
    bad = [f for f in formats if str(f).lower() not in known]
    if bad:
        raise ValueError(f"formats={list(formats)}: {bad} cannot be written; choose among "
                         f"{sorted(known)}.")
