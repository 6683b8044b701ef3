"""Learning influence probabilities from action logs, forecasting, backtesting.

:func:`fit_influence` learns the independent cascade's edge probabilities
(and an outside-influence rate) from an :class:`~viralsim.ActionLog`;
:func:`backtest` forecasts held-out cascades from their first adopters and
scores the forecasts against what happened, beside the fixed probability
schemes (weighted cascade, trivalency, the best uniform p).
"""

import contextlib
import functools
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_float, check_int, check_rng, param_error, shown
from .actionlog import ActionLog
from .exceptions import ViralsimError
from .graph import FollowerGraph
from .models import IC, DiffusionModel, _run_wom

__all__ = ["fit_influence", "InfluenceFit", "backtest", "BacktestResult", "OutsideIC",
           "shuffle_test", "load_fit", "fitted_graph", "FIT_FILE"]

METHODS = ("em", "frequency")
RULES = ("earlier", "previous_step")
PRIOR_GRID = (0.0, 0.5, 2.0, 8.0, 32.0, 128.0)


# ---------------------------------------------------------------- outside influence as a model
def _outside_graph(graph, rate):
    """``graph`` plus a virtual outside source (index ``n``) with an edge of
    probability ``rate`` to every consumer; kept in the graph's cache."""
    key = ("outside", float(rate))
    g = graph._cache.get(key)
    if g is None:
        n = graph.n_nodes
        src = np.concatenate([np.repeat(np.arange(n, dtype=np.int64), np.diff(graph.indptr)),
                              np.full(n, n, dtype=np.int64)])
        dst = np.concatenate([graph.indices.astype(np.int64), np.arange(n, dtype=np.int64)])
        probs = np.concatenate([graph.probs.astype(np.float64), np.full(n, float(rate))])
        labels = np.arange(n + 1)  # kernels only see indices
        g = FollowerGraph._canonical_from_sorted(src, dst, probs, n + 1, labels, {})
        graph._cache[key] = g
    return g


@dataclass(frozen=True)
class OutsideIC(DiffusionModel):
    """Independent cascade plus outside influence (Myers, Zhu & Leskovec, KDD 2012).

    Besides the cascade over the graph's edges, every consumer who has not
    adopted adopts from outside the graph (media, search, word of mouth the
    follower list does not hold) with probability ``rate`` per cascade,
    independently. Simulated exactly as an independent cascade on the graph
    plus one virtual seeded source with an edge of probability ``rate`` to
    every consumer; the source is not counted.

    Parameters
    ----------
    rate : float in [0, 1]

    Notes
    -----
    Exposure under this model is not tracked: the ``exposure`` metric equals
    ``reach`` (a lower bound). Comments and impressions count consumers only.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.learn import OutsideIC
    >>> g = vs.FollowerGraph.from_edges([0], [1], probs=0.0, n_nodes=3)
    >>> vs.estimate_reach(g, [0], model=OutsideIC(1.0), n_sims=10, rng=0).mean
    3.0
    """

    rate: float = 0.0
    name: str = field(default="outside_ic", init=False, repr=False)
    is_live_edge = True

    def __post_init__(self):
        check_float(self.rate, "rate", "OutsideIC", low=0.0, high=1.0)

    def _simulate(self, graph, seeds, key, start, n, *, max_rounds, tl_len, exposure):
        if self.rate == 0.0:
            return _run_wom(graph, seeds, key, start, n, max_rounds=max_rounds, tl_len=tl_len,
                            exposure=exposure, per_edge=False, func="OutsideIC")
        g = _outside_graph(graph, self.rate)
        s = np.append(np.asarray(seeds, dtype=np.int32), np.int32(graph.n_nodes))
        b = _run_wom(g, s, key, start, n, max_rounds=max_rounds, tl_len=tl_len, exposure=False,
                     per_edge=False, func="OutsideIC")
        met = b.metrics
        for k in ("reach", "comments", "segment_reach"):
            met[k] = met[k] - 1
        met["impressions"] = met["impressions"] - graph.n_nodes
        met["exposure"] = met["reach"].copy()
        tl = {}
        for k, (s1, s2) in b.timelines.items():
            s1, s2 = s1.copy(), s2.copy()
            sub = {"adopters": 1, "comments": 1, "impressions": graph.n_nodes}.get(k)
            if sub and tl_len:
                # round 0 counted the source in every world: (c - d)^2 = c^2 - 2dc + d^2
                s2[0] = s2[0] - 2 * sub * s1[0] + n * sub * sub
                s1[0] = s1[0] - n * sub
            tl[k] = (s1, s2)
        if exposure:
            tl["exposure"] = tl["adopters"]
        b.timelines = tl
        return b


# ---------------------------------------------------------------- trials
def _reverse(graph):
    """In-edges of each node with the forward edge id: (rptr, rsrc, reid)."""
    n = graph.n_nodes
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(graph.indptr))
    dst = graph.indices.astype(np.int64)
    order = np.argsort(dst, kind="stable")
    rptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst, minlength=n), out=rptr[1:])
    return rptr, src[order], order.astype(np.int64)


@dataclass
class _Trials:
    set_ptr: np.ndarray
    set_edges: np.ndarray
    set_casc: np.ndarray
    neg: np.ndarray
    pos: np.ndarray
    orphans: np.ndarray
    at_risk: np.ndarray
    n_first: np.ndarray
    adopted: np.ndarray


def _trials(graph, log, rule):
    from ._kernels import em

    rptr, rsrc, reid = _reverse(graph)
    out = em.build_trials(graph.indptr, graph.indices.astype(np.int64), rptr, rsrc, reid,
                          log.indptr, log.nodes, log.times,
                          em.RULE_EARLIER if rule == "earlier" else em.RULE_PREVIOUS_STEP,
                          graph.n_nodes)
    return _Trials(*out)


#: sweeps between log-likelihood evaluations (the stopping test compares the last two)
LL_EVERY = 5


def _run_em(tr, p0, r0, *, use_r, fit_p, prior_s, prior_m, max_iter, tol, every=LL_EVERY):
    """EM to convergence; returns p, r, resp, history of the log-likelihood, converged.

    The log-likelihood is evaluated every ``every`` sweeps (and recorded in
    the history); EM stops when it changed by at most ``every * tol`` times
    its size since the last evaluation, or after ``max_iter`` sweeps.
    """
    from ._kernels import em

    tried = np.flatnonzero((tr.pos + tr.neg) > 0)
    p, r = p0.copy(), r0.copy()
    if fit_p:
        untried = np.ones(p.size, dtype=bool)
        untried[tried] = False
        p[untried] = prior_m
    p_new, r_new = p.copy(), np.empty_like(r)
    resp = np.zeros_like(p)
    hist = []
    converged = False
    n_iter = 0
    for it in range(max_iter):
        want = it % every == 0
        ll = em.em_sweep(tr.set_ptr, tr.set_edges, tr.set_casc, tr.neg, tr.pos, tr.orphans,
                         tr.at_risk, p, r, use_r, fit_p, float(prior_s), float(prior_m),
                         p_new, r_new, resp, tried, want)
        n_iter += 1
        p, p_new = p_new, p
        r, r_new = r_new, r
        if want:
            hist.append(ll)
            if len(hist) > 1 and abs(hist[-1] - hist[-2]) <= every * tol * abs(hist[-1]):
                converged = True
                break
    ll = em.log_likelihood(tr.set_ptr, tr.set_edges, tr.set_casc, tr.neg, tr.orphans,
                           tr.at_risk, p, r, use_r)
    hist.append(ll)
    # responsibilities at the final parameters (for the posterior and the summary)
    em.em_sweep(tr.set_ptr, tr.set_edges, tr.set_casc, tr.neg, tr.pos, tr.orphans, tr.at_risk,
                p, r, use_r, False, 0.0, 0.0, p_new, r_new, resp, tried, False)
    return p, r, resp, hist, converged, n_iter


# ---------------------------------------------------------------- the fit
@dataclass(eq=False)
class InfluenceFit:
    """What :func:`fit_influence` learned.

    Attributes
    ----------
    graph : FollowerGraph
        The input graph with the learned probabilities.
    model : DiffusionModel
        What to simulate with: :class:`OutsideIC` at the median fitted
        outside rate when outside influence was fitted, else ``vs.IC()``.
        (:func:`backtest` and :meth:`forecast` draw the rate per forecast
        from the fitted per-cascade rates instead.)
    method, rule : str
    log_likelihood : float
        Of the training cascades at the fitted parameters (prior excluded).
    log_likelihood_history : list of float
        Every 5th EM sweep of the final fit, then at the end (non-decreasing
        in the objective: see Notes of :func:`fit_influence`).
    converged : bool
    n_iter : int
    probs : ndarray
        Learned probability per edge, in the *input* graph's edge order
        (``input_graph.edges()``).
    trials, successes : ndarray
        Per edge (input order): cascades in which the edge was tried (its
        source adopted and the follower either adopted in time with it as a
        possible influencer, or did not adopt), and the expected successes.
    prior_strength, prior_mean : float
        The Beta prior ``Beta(s m, s (1 - m))`` used for shrinkage (``s = 0``: none).
    outside_rates : ndarray
        The fitted per-cascade outside rate (adoptions per at-risk consumer),
        zeros when outside influence is not fitted.
    outside_share : float
        Share of the non-first adopters credited to outside influence.
    """

    graph: FollowerGraph
    model: DiffusionModel
    method: str
    rule: str
    log_likelihood: float
    log_likelihood_history: list
    converged: bool
    n_iter: int
    probs: np.ndarray
    trials: np.ndarray
    successes: np.ndarray
    prior_strength: float
    prior_mean: float
    outside_rates: np.ndarray
    outside_share: float
    outside: bool
    log: ActionLog = field(repr=False)
    input_graph: FollowerGraph = field(repr=False)
    counts: dict = field(default_factory=dict)
    elapsed: float = 0.0
    prior_scores: dict = field(default_factory=dict)
    #: where the fit came from and how it scored, kept by :meth:`save`: ``source`` (the
    #: action log's name), ``backtest`` (``n_items``, ``level``, ``coverage``, ``log_score``)
    notes: dict = field(default_factory=dict)

    def save(self, path):
        """Write the fit to one ``.npz`` file that :func:`load_fit` reads back.

        Everything needed to simulate, sample and forecast again is kept:
        the follower graph, the learned probabilities, the per-edge trials
        and successes, the prior, the outside rates, the training log and
        :attr:`notes`. No pickles: plain arrays and a JSON header.

        Parameters
        ----------
        path : str or os.PathLike
            The file; ``.npz`` is appended when the name lacks it.

        Returns
        -------
        str
            The path written.

        Examples
        --------
        >>> import os, tempfile, viralsim as vs
        >>> g = vs.FollowerGraph.from_edges([0, 0], [1, 2])
        >>> log = vs.ActionLog.from_arrays(g, [1, 1, 2, 3], [0, 1, 0, 0], [0, 1, 0, 0])
        >>> fit = vs.fit_influence(g, log, prior=0, outside=False)
        >>> path = fit.save(os.path.join(tempfile.mkdtemp(), "fit.npz"))
        >>> vs.load_fit(path).graph == fit.graph
        True
        """
        return _save_fit(self, path)

    def assumption(self, outside=True):
        """One plain sentence: where these probabilities come from and how well they forecast.

        What a report planning on this fit states (``graph=fitted``): the log,
        its size, the log-likelihood, the held-out coverage when
        :attr:`notes` holds a backtest (``experiment=learn`` saves it), and
        whether the outside influence is simulated.

        Parameters
        ----------
        outside : bool, default True
            Whether the simulation includes the fit's outside influence
            (``.model``); said only when the fit has any.

        Returns
        -------
        str

        Examples
        --------
        >>> import viralsim as vs
        >>> g = vs.FollowerGraph.from_edges([0, 0], [1, 2])
        >>> log = vs.ActionLog.from_arrays(g, [1, 1, 2], [0, 1, 0], [0, 1, 0])
        >>> fit = vs.fit_influence(g, log, prior=0, outside=False)
        >>> fit.notes = {"source": "adoptions.csv"}
        >>> fit.assumption()[:76]
        'Probabilities: learned from data by experiment=learn (em) from adoptions.csv'
        """
        notes = self.notes or {}
        c = self.counts
        src = notes.get("source") or "an action log"
        out = (f"Probabilities: learned from data by experiment=learn ({self.method}) from {src} "
               f"({c.get('items', 0):,} cascades, {c.get('actions', 0):,} adoptions; "
               f"log-likelihood {self.log_likelihood:,.1f})")
        bt = notes.get("backtest")
        if bt:
            out += (f"; on {bt['n_items']:,} campaigns it never saw, its "
                    f"{round(100 * bt['level'])}% forecast range held the real outcome "
                    f"{round(100 * bt['coverage'])} times in 100")
        out += "."
        if self.outside:
            rate = float(getattr(self.model, "rate", 0.0))
            rate = f"{rate:.3g}" if rate >= 1e-4 else "below 0.0001"
            out += (f" The outside influence it found ({100 * self.outside_share:.0f}% of the "
                    f"adoptions after the first; rate {rate} per consumer per campaign) is "
                    + ("simulated with it (exposure then counts the adopters only)."
                       if outside else "not simulated here (graph.outside=false)."))
        return out

    def sample(self, rng=None):
        """A plausible graph: each edge's probability drawn from its posterior.

        Edge ``e`` gets ``Beta(a_e, b_e)`` with ``a_e = successes_e + s' m``
        and ``b_e = trials_e - successes_e + s' (1 - m)``, ``s' = max(s, 2)``
        (the fitted prior, made proper when it was weaker); untried edges
        draw from the prior. With EM the successes are expected counts, so
        this is the posterior given the credit EM assigned (an
        approximation that ignores the uncertainty in that credit).
        """
        gen = check_rng(rng)
        s = max(self.prior_strength, 2.0)
        m = min(max(self.prior_mean, 1e-6), 1 - 1e-6)
        a = self.successes + s * m
        b = np.maximum(self.trials - self.successes, 0.0) + s * (1 - m)
        p = gen.beta(a, b)
        return self.input_graph.with_probabilities(np.clip(p, 0.0, 1.0))

    def intervals(self, confidence=0.95):
        """Per edge (input order): the ``confidence`` posterior interval of :meth:`sample`'s Beta."""
        from scipy.special import betaincinv

        s = max(self.prior_strength, 2.0)
        m = min(max(self.prior_mean, 1e-6), 1 - 1e-6)
        a = self.successes + s * m
        b = np.maximum(self.trials - self.successes, 0.0) + s * (1 - m)
        lo = betaincinv(a, b, (1 - confidence) / 2)
        hi = betaincinv(a, b, 1 - (1 - confidence) / 2)
        return lo, hi

    def forecast(self, seeds, *, n_sims=2000, n_draws=20, rng=None, outside=None):
        """Predictive cascade sizes from ``seeds``: parameter draws (:meth:`sample`),
        an outside rate drawn from the training cascades' rates per draw, and
        ``n_sims // n_draws`` simulated worlds per draw. Returns the sizes (int array)."""
        gen = check_rng(rng)
        draws = _Draws(self, n_draws, gen, outside=self.outside if outside is None else outside)
        idx = self.input_graph.index_of(seeds, func="InfluenceFit.forecast")
        return draws.sizes(idx, n_sims, gen)

    def edge_table(self):
        """``(src labels, dst labels, probs, trials, successes)`` in the input graph's edge order."""
        s, d, _ = self.input_graph.edges()
        return s, d, self.probs, self.trials, self.successes

    def summary(self):
        """What was learned, in plain words."""
        tried = self.trials > 0
        nt = int(tried.sum())
        m = self.input_graph.n_edges
        c = self.counts
        lines = [
            f"Learned influence probabilities ({self.method}, possible influencers: followed "
            f"accounts that adopted {'earlier' if self.rule == 'earlier' else 'one step earlier'}) "
            f"from {c.get('items', 0):,} cascades with {c.get('actions', 0):,} adoptions.",
            f"{nt:,} of {m:,} edges were ever tried ({c.get('trials', 0):,} trials); "
            f"{int((self.trials >= 5).sum()):,} were tried 5 times or more.",
        ]
        if nt:
            pt = self.probs[tried]
            lines.append(
                f"Tried edges: median probability {np.median(pt):.3g}, mean {pt.mean():.3g}, "
                f"90th percentile {np.quantile(pt, 0.9):.3g}; untried edges get the prior mean "
                f"{self.prior_mean:.3g}.")
        lines.append(
            "Shrinkage: none." if self.prior_strength == 0 else
            f"Shrinkage: a Beta prior worth {self.prior_strength:g} trials toward "
            f"{self.prior_mean:.3g}" + (" (chosen by held-out likelihood)." if self.prior_scores
                                        else "."))
        if self.outside:
            lines.append(
                f"Outside influence: {100 * self.outside_share:.0f}% of the adoptions after the "
                f"first are credited to sources outside the graph (median rate "
                f"{np.median(self.outside_rates):.3g} per consumer per cascade).")
        lines.append(f"Log-likelihood {self.log_likelihood:,.1f}; "
                     + (f"EM converged in {self.n_iter} iterations."
                        if self.method == "em" and self.converged else
                        f"EM stopped after {self.n_iter} iterations without converging."
                        if self.method == "em" else "closed form."))
        return "\n".join(lines)

    def __repr__(self):
        return (f"InfluenceFit(method={self.method!r}, log_likelihood={self.log_likelihood:.1f}, "
                f"converged={self.converged}, n_iter={self.n_iter}, "
                f"prior_strength={self.prior_strength:g}, outside_share={self.outside_share:.3f})")


#: the file name ``experiment=learn`` saves its fit under (read by :func:`load_fit`)
FIT_FILE = "fit.npz"
_FIT_FORMAT = "viralsim-fit-1"


def _text_array(a, what):
    """``a`` as an array ``np.load(allow_pickle=False)`` reads back: ints or unicode."""
    a = np.asarray(a)
    if a.dtype != object:
        return a
    if not all(isinstance(x, str) for x in a.tolist()):
        raise TypeError(f"InfluenceFit.save: the {what} must be ints or strings to be saved.")
    return a.astype(str)


def _save_fit(fit, path):
    import json
    import os

    from . import results as res

    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    g, log = fit.input_graph, fit.log
    meta = {"method": fit.method, "rule": fit.rule, "log_likelihood": fit.log_likelihood,
            "converged": fit.converged, "n_iter": fit.n_iter,
            "prior_strength": fit.prior_strength, "prior_mean": fit.prior_mean,
            "outside_share": fit.outside_share, "outside": fit.outside,
            "counts": {k: (v.item() if hasattr(v, "item") else v) for k, v in fit.counts.items()},
            "elapsed": fit.elapsed, "model_rate": float(getattr(fit.model, "rate", 0.0)),
            "prior_scores": {repr(float(k)): float(v) for k, v in fit.prior_scores.items()},
            "time_kind": log.time_kind, "notes": fit.notes}
    arrays = {"format": np.array(_FIT_FORMAT), "meta": np.array(json.dumps(meta)),
              "indptr": g.indptr, "indices": g.indices,
              "labels": _text_array(g.labels, "graph's labels"),
              "probs": np.asarray(fit.probs, dtype=np.float64), "trials": fit.trials,
              "successes": fit.successes, "outside_rates": fit.outside_rates,
              "ll_history": np.asarray(fit.log_likelihood_history, dtype=np.float64),
              "log_items": _text_array(log.items, "log's item ids"), "log_indptr": log.indptr,
              "log_nodes": log.nodes, "log_times": log.times}
    for name, arr in g.node_attrs.items():
        arrays["attr:" + name] = _text_array(arr, f"node attribute {name!r}")

    with res.atomic_write(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def load_fit(path):
    """Read a fit saved by :meth:`InfluenceFit.save` or by ``experiment=learn``.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file, or the run directory of ``viralsim experiment=learn``
        (which holds it as ``fit.npz``).

    Returns
    -------
    InfluenceFit
        The same fit: ``.graph`` (the follower graph with the learned
        probabilities), ``.model`` (what to simulate with: ``OutsideIC`` at the
        median fitted outside rate, or ``IC``), ``.sample(rng)``,
        ``.forecast(...)``, ``.summary()``, ``.log`` (the training log) and
        ``.notes`` (``source``: the log it was learned from; ``backtest``:
        how its forecasts scored on held-out items, when known).

    Raises
    ------
    ViralsimError
        A missing file, or a file that is not a saved fit (the message says
        what to give instead).

    Examples
    --------
    >>> import os, tempfile, viralsim as vs
    >>> g = vs.FollowerGraph.from_edges(["a", "a"], ["b", "c"])
    >>> log = vs.ActionLog.from_arrays(g, [1, 1, 2], ["a", "b", "a"], [0, 1, 0])
    >>> d = tempfile.mkdtemp()
    >>> _ = vs.fit_influence(g, log, prior=0).save(os.path.join(d, "fit.npz"))
    >>> fit = vs.load_fit(d)
    >>> fit.graph.n_edges, type(fit.model).__name__
    (2, 'OutsideIC')
    """
    import json
    import os

    path = os.fspath(path)
    if os.path.isdir(path):
        inside = os.path.join(path, FIT_FILE)
        if not os.path.exists(inside):
            raise ViralsimError(
                f"{path!r} holds no {FIT_FILE}: give the run directory of viralsim "
                f"experiment=learn (or the .npz file fit.save wrote). Runs made before fits "
                f"were saved: run experiment=learn again.")
        path = inside
    elif not os.path.exists(path):
        raise ViralsimError(f"Fit {path!r} does not exist. Check the path (relative paths are "
                            f"resolved from {os.getcwd()!r}).")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "format" not in z.files or str(z["format"]) != _FIT_FORMAT:
                raise ValueError
            a = {k: z[k] for k in z.files}
        meta = json.loads(str(a["meta"]))
    except (ValueError, OSError, KeyError):
        hint = (" It is a fitted edge list: give the run directory that holds it (its "
                f"{FIT_FILE})." if os.path.basename(path).startswith("fitted_") else "")
        raise ViralsimError(f"{path}: not a fit saved by viralsim (InfluenceFit.save or "
                            f"experiment=learn's {FIT_FILE}).{hint}") from None

    def text(x):
        return x.astype(object) if x.dtype.kind == "U" else x

    attrs = {k[5:]: text(v) for k, v in a.items() if k.startswith("attr:")}
    g = FollowerGraph._from_canonical(a["indptr"], a["indices"], None, text(a["labels"]), attrs)
    log = ActionLog(g, text(a["log_items"]), a["log_indptr"], a["log_nodes"], a["log_times"],
                    time_kind=meta["time_kind"])
    probs = a["probs"]
    rate = meta.get("model_rate", 0.0)
    return InfluenceFit(
        graph=g.with_probabilities(probs), model=OutsideIC(rate) if meta["outside"] else IC(),
        method=meta["method"], rule=meta["rule"], log_likelihood=meta["log_likelihood"],
        log_likelihood_history=a["ll_history"].tolist(), converged=meta["converged"],
        n_iter=meta["n_iter"], probs=probs, trials=a["trials"], successes=a["successes"],
        prior_strength=meta["prior_strength"], prior_mean=meta["prior_mean"],
        outside_rates=a["outside_rates"], outside_share=meta["outside_share"],
        outside=meta["outside"], log=log, input_graph=g, counts=meta["counts"],
        elapsed=meta["elapsed"],
        prior_scores={float(k): v for k, v in (meta.get("prior_scores") or {}).items()},
        notes=meta.get("notes") or {})


_LOADED = {}


def _load_cached(path):
    """:func:`load_fit`, remembered per file (its real path, size and modification time):
    the command line's ``graph=fitted`` reads the fit for the graph and for the model."""
    import os

    p = os.fspath(path)
    f = os.path.join(p, FIT_FILE) if os.path.isdir(p) else p
    try:
        st = os.stat(f)
        key = (os.path.realpath(f), st.st_size, st.st_mtime_ns)
    except OSError:
        return load_fit(path)  # the missing file's own message
    fit = _LOADED.get(key)
    if fit is None:
        fit = load_fit(path)
        _LOADED.clear()  # one fit at a time: a graph can be large
        _LOADED[key] = fit
    return fit


def fitted_graph(path, outside=True):
    """The follower graph with the probabilities a saved fit learned (``graph=fitted``).

    The command line's ``viralsim ... graph=fitted graph.path=<learn run directory>``
    builds its graph with this; the model it simulates with is the fit's
    (:class:`OutsideIC` at the fitted median rate when ``outside``, the fit
    had outside influence and the run's model is ``IC``).

    Parameters
    ----------
    path : str or os.PathLike
        As :func:`load_fit`.
    outside : bool, default True
        Read by the command line's model (the graph is the same either way).

    Returns
    -------
    FollowerGraph

    Examples
    --------
    >>> import os, tempfile, viralsim as vs
    >>> from viralsim.learn import fitted_graph
    >>> g = vs.FollowerGraph.from_edges([0, 0], [1, 2])
    >>> log = vs.ActionLog.from_arrays(g, [1, 1, 2], [0, 1, 0], [0, 1, 0])
    >>> path = vs.fit_influence(g, log, prior=0).save(os.path.join(tempfile.mkdtemp(), "f"))
    >>> fitted_graph(path).n_edges
    2
    """
    if not isinstance(outside, (bool, np.bool_)):
        raise TypeError(f"graph.outside={outside!r}: give true (simulate the outside influence "
                        "the fit found) or false.")
    return _load_cached(path).graph


def _check_log(graph, log, func):
    if not isinstance(graph, FollowerGraph):
        raise TypeError(f"The 'graph' parameter of {func} must be a FollowerGraph. Got "
                        f"{type(graph).__name__} instead.")
    if not isinstance(log, ActionLog):
        raise TypeError(f"The 'log' parameter of {func} must be an ActionLog (see "
                        f"vs.read_action_log). Got {type(log).__name__} instead.")
    if log.graph is not graph and not (log.graph.n_nodes == graph.n_nodes and np.array_equal(
            log.graph.labels, graph.labels)):
        raise ValueError(f"{func}: the action log was read for another graph (its consumers are "
                         "indexed by that graph's nodes). Read it again with graph=<this graph>.")


def fit_influence(graph, log, *, method="em", rule="earlier", outside=True, prior="auto",
                  max_iter=1000, tol=1e-8, holdout=0.2, rng=0):
    """Learn the independent cascade's edge probabilities from an action log.

    Parameters
    ----------
    graph : FollowerGraph
        Who follows whom (``u -> v``: v follows u). Existing probabilities are ignored.
    log : ActionLog
        Read for this graph (:func:`viralsim.read_action_log`).
    method : {"em", "frequency"}
        ``"em"``: maximum likelihood (or maximum a posteriori with a prior)
        by expectation maximization (Saito, Nakano & Kimura, KES 2008): an
        adopter's possible influencers are the accounts they follow that
        adopted earlier; which of them (or the outside) made them adopt is
        the hidden variable. ``"frequency"``: the Bernoulli partial-credit
        estimate of Goyal, Bonchi & Lakshmanan (WSDM 2010): each adoption's
        credit is split evenly among its possible influencers and an edge's
        probability is its credit over the number of cascades its source
        adopted in (fast, no iterations; the same prior shrinks it).
    rule : {"earlier", "previous_step"}
        Which followed accounts count as possible influencers. ``"earlier"``
        (default): those that adopted strictly earlier, at any time. This is
        the continuous-time reading, right for timestamps (seconds) and for
        coarse times (monthly data: ties are never influence, so an adopter
        whose only earlier neighbour adopted in the same month is credited
        to the outside). ``"previous_step"``: Saito et al.'s discrete-time
        model, where times are the IC's rounds and only accounts that adopted
        exactly one step earlier could have influenced (earlier ones had
        their chance and failed): exact for round-stamped IC cascades.
    outside : bool, default True
        Fit an outside-influence rate per cascade (Myers, Zhu & Leskovec,
        KDD 2012): each consumer adopts from outside the graph with
        probability ``r_c`` in cascade ``c``. Without it, adopters with no
        possible influencer are left out of the likelihood (counted).
    prior : "auto", float >= 0 or None
        Beta-prior shrinkage strength ``s`` (in pseudo-trials) toward the
        pooled rate ``m`` of the unshrunk fit: each edge's estimate is
        ``(successes + s m) / (trials + s)``. ``"auto"`` picks ``s`` from
        (0, 0.5, 2, 8, 32, 128) by the likelihood of a held-out ``holdout``
        share of the cascades (drawn with ``rng``). ``None`` or 0: none.
    max_iter : int, tol : float
        EM stops when the log-likelihood changes by at most ``tol`` times its
        size per sweep (checked every 5 sweeps), or after ``max_iter`` sweeps.
    holdout : float in (0, 1)
    rng : int or Generator
        For the held-out split only.

    Returns
    -------
    InfluenceFit

    Notes
    -----
    First adopters of each cascade (all those at its earliest time) are
    taken as given, not explained. Each EM sweep does not decrease the
    objective (log-likelihood plus the prior's log density: the
    log-likelihood itself when ``prior`` is 0), a property of EM that the
    tests check. Edges never tried get the prior mean ``m``.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 0], [1, 2])
    >>> log = vs.ActionLog.from_arrays(g, [1, 1, 2, 3], [0, 1, 0, 0], [0, 1, 0, 0])
    >>> fit = vs.fit_influence(g, log, prior=0, outside=False)
    >>> fit.edge_table()[2].round(3).tolist()
    [0.333, 0.0]
    """
    prior, max_iter, tol, holdout = _check_fit_args(graph, log, method, rule, outside, prior,
                                                    max_iter, tol, holdout)
    t0 = time.perf_counter()
    outside = bool(outside)
    tr = _trials(graph, log, rule)
    n_trials = int(tr.pos.sum() + tr.neg.sum())
    trials = (tr.pos + tr.neg).astype(np.float64)

    fit_once = functools.partial(_fit_once, graph=graph, method=method, outside=outside,
                                 max_iter=max_iter, tol=tol)

    # the pooled rate m and the prior grid need less precision than the final fit:
    # held-out log-likelihoods of neighbouring strengths differ by tens of nats
    rough = max(tol, 1e-6)

    # the pooled rate m: from the unshrunk fit
    p, r, resp, hist, conv, n_iter = fit_once(tr, 0.0, 0.0, tol=rough)
    tried = trials > 0
    m = _pooled_rate(method, graph, tr, resp, trials)
    scores = {}
    if isinstance(prior, str):
        s_best = _choose_prior(graph, log, method, rule, outside,
                               functools.partial(fit_once, tol=rough), m, holdout, rng, scores,
                               tr=tr)
    else:
        s_best = float(prior)
    if s_best > 0 or rough > tol:
        p, r, resp, hist, conv, n_iter = fit_once(tr, s_best, m, p0=p, r0=r)
    p = np.where(tried, p, m)
    ll = hist[-1]
    share = _outside_share(tr, p, r) if outside else 0.0
    fitted = graph.with_probabilities(p)
    model = OutsideIC(float(np.median(r))) if outside else IC()
    counts = dict(log.counts, trials=n_trials, tried_edges=int(tried.sum()),
                  orphans=int(tr.orphans.sum()), explained_sets=int(tr.set_ptr.size - 1))
    return InfluenceFit(
        graph=fitted, model=model, method=method, rule=rule, log_likelihood=float(ll),
        log_likelihood_history=[float(x) for x in hist], converged=bool(conv),
        n_iter=n_iter, probs=p, trials=trials,
        successes=np.minimum(resp, trials), prior_strength=float(s_best), prior_mean=m,
        outside_rates=np.asarray(r, dtype=np.float64), outside_share=share, outside=outside,
        log=log, input_graph=graph, counts=counts, elapsed=time.perf_counter() - t0,
        prior_scores=scores)


def _fit_once(trs, s, m, p0=None, r0=None, fit_p=True, *, graph, method, outside, max_iter,
              tol):
    """``(p, r, credits, log-likelihood history, converged, n_iter)``: one fit of
    :func:`fit_influence` to the trials ``trs`` with prior strength ``s`` and mean ``m``."""
    if method == "frequency":
        return _frequency_fit(graph, trs, s, m, outside)
    if p0 is None:
        p0 = np.full(graph.n_edges, 0.1)
    if r0 is None:
        r0 = ((trs.orphans + 1.0) / np.maximum(trs.at_risk, 1)) if outside else \
            np.zeros(trs.orphans.size)
        r0 = np.minimum(r0, 0.5)
    return _run_em(trs, p0, r0, use_r=outside, fit_p=fit_p, prior_s=s, prior_m=m,
                   max_iter=max_iter, tol=tol)


def _frequency_fit(graph, trs, s, m, outside):
    """The ``"frequency"`` method's fit (Goyal et al.'s partial credit, shrunk), in
    :func:`_fit_once`'s return form."""
    from ._kernels import em

    cr = em.credit(trs.set_ptr, trs.set_edges, graph.n_edges)
    src = np.repeat(np.arange(graph.n_nodes), np.diff(graph.indptr))
    denom = trs.adopted[src].astype(np.float64)
    p = np.where(denom + s > 0, (cr + s * m) / np.maximum(denom + s, 1e-300), m)
    p = np.where(trs.pos + trs.neg > 0, p, m)
    p = np.clip(p, 0.0, 1.0)
    r = (trs.orphans / np.maximum(trs.at_risk, 1)).astype(np.float64) if outside else \
        np.zeros(trs.orphans.size)
    ll = em.log_likelihood(trs.set_ptr, trs.set_edges, trs.set_casc, trs.neg,
                           trs.orphans, trs.at_risk, p, r, outside)
    return p, r, cr, [ll], True, 0


def _check_fit_args(graph, log, method, rule, outside, prior, max_iter, tol, holdout):
    """``(prior, max_iter, tol, holdout)`` of :func:`fit_influence`, checked."""
    func = "fit_influence"
    _check_log(graph, log, func)
    if method not in METHODS:
        raise ValueError(f"The 'method' parameter of {func} must be one of "
                         f"{', '.join(map(repr, METHODS))}. Got {shown(method)} instead.")
    if rule not in RULES:
        raise ValueError(f"The 'rule' parameter of {func} must be one of "
                         f"{', '.join(map(repr, RULES))}. Got {shown(rule)} instead.")
    if not isinstance(outside, (bool, np.bool_)):
        raise TypeError(f"The 'outside' parameter of {func} must be True or False. Got "
                        f"{shown(outside)} instead.")
    if prior is None:
        prior = 0.0
    if not (isinstance(prior, str) and prior == "auto"):
        prior = check_float(prior, "prior", func, low=0.0)
    max_iter = check_int(max_iter, "max_iter", func, low=1)
    tol = check_float(tol, "tol", func, low=0.0, low_open=True)
    holdout = check_float(holdout, "holdout", func, low=0.0, high=1.0, low_open=True,
                          high_open=True)
    if (log.nodes >= 0).sum() == 0:
        raise ViralsimError(f"{func}: the log has no adoption by a consumer in the graph.")
    return prior, max_iter, tol, holdout


def _pooled_rate(method, graph, tr, resp, trials):
    """The pooled rate ``m`` (the prior's mean) of an unshrunk fit's credits ``resp``."""
    tried = trials > 0
    if method == "frequency":
        src = np.repeat(np.arange(graph.n_nodes), np.diff(graph.indptr))
        a_u = tr.adopted[src].astype(np.float64)
        return float(resp.sum() / a_u[tried].sum()) if tried.any() else 0.0
    tot = float(trials[tried].sum())
    return float(resp[tried].sum() / tot) if tot > 0 else 0.0


def _outside_share(tr, p, r):
    """The share of the non-first adoptions credited to the outside (0 without any)."""
    non_first = int(tr.orphans.sum()) + int(tr.set_ptr.size - 1)
    if not non_first:
        return 0.0
    return float(tr.orphans.sum() + _outside_credit(tr, p, r)) / non_first


def _outside_credit(tr, p, r):
    """Expected adoptions credited to the outside among the sets (adopters with influencers)."""
    ns = tr.set_ptr.size - 1
    if ns == 0:
        return 0.0
    with np.errstate(divide="ignore"):
        lq = np.log1p(-p[tr.set_edges])
    per = np.add.reduceat(lq, tr.set_ptr[:-1]) if lq.size else np.zeros(ns)
    rc = r[tr.set_casc]
    q = (1 - rc) * np.exp(per)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(q < 1, rc / (1 - q), 0.0)
    return float(w.sum())


def _minus(tr, tr_b, test):
    """The trials of the cascades not in ``test`` (bool per cascade), from those of all
    cascades (``tr``) and of the ``test`` ones (``tr_b``): the same arrays as
    :func:`_trials` of that subset builds (sets in cascade order, per-edge counts)."""
    keep = ~test[tr.set_casc]
    sizes = np.diff(tr.set_ptr)[keep]
    set_ptr = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=set_ptr[1:])
    new_id = np.cumsum(~test) - 1
    return _Trials(set_ptr=set_ptr, set_edges=tr.set_edges[np.repeat(keep, np.diff(tr.set_ptr))],
                   set_casc=new_id[tr.set_casc[keep]].astype(np.int64),
                   neg=tr.neg - tr_b.neg, pos=tr.pos - tr_b.pos, orphans=tr.orphans[~test],
                   at_risk=tr.at_risk[~test], n_first=tr.n_first[~test],
                   adopted=tr.adopted - tr_b.adopted)


def _choose_prior(graph, log, method, rule, outside, fit_once, m, holdout, rng, scores, tr=None):
    """Prior strength with the best held-out log-likelihood (outside rates refitted per
    held-out cascade with the edge probabilities fixed)."""
    from ._kernels import em

    gen = check_rng(rng)
    n = log.n_items
    if n < 5:
        return 0.0
    k = max(1, int(round(holdout * n)))
    test = np.zeros(n, dtype=bool)
    test[gen.choice(n, size=k, replace=False)] = True
    tr_b = _trials(graph, log.subset(test), rule)
    # the training part's trials are the whole log's minus the held-out part's: no second
    # pass over the (larger) training cascades
    tr_a = _trials(graph, log.subset(~test), rule) if tr is None else _minus(tr, tr_b, test)
    ta = (tr_a.pos + tr_a.neg) > 0
    tot = float((tr_a.pos + tr_a.neg)[ta].sum())
    best, best_ll = 0.0, -math.inf
    p_prev = r_prev = None
    for s in PRIOR_GRID:
        p, r_prev, resp, _, _, _ = fit_once(tr_a, s, m, p0=p_prev, r0=r_prev)
        p_prev = p
        p = np.where(ta, p, m if tot > 0 else 0.0)
        p = np.clip(p, 1e-9, 1 - 1e-9)
        # held-out outside rates: each cascade's exact maximum with p fixed (concave in r;
        # the limit the EM sweeps with fit_p=False approach)
        rb = (em.outside_rates(tr_b.set_ptr, tr_b.set_edges, tr_b.set_casc, tr_b.orphans,
                               tr_b.at_risk, p) if outside else np.zeros(tr_b.orphans.size))
        ll = em.log_likelihood(tr_b.set_ptr, tr_b.set_edges, tr_b.set_casc, tr_b.neg,
                               tr_b.orphans, tr_b.at_risk, p, rb, outside)
        scores[s] = float(ll)
        if ll > best_ll:
            best, best_ll = s, ll
    return best


# ---------------------------------------------------------------- forecasting
@contextlib.contextmanager
def _few_threads(n_worlds):
    """One Numba thread for calls of a few hundred worlds: there, starting the
    threads costs more than they save (6x on a busy 2-core machine). Results do
    not depend on the thread count."""
    import numba

    before = numba.get_num_threads()
    if n_worlds <= 512 and before > 1:
        numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


class _Draws:
    """Parameter draws of a fit for forecasting: graphs and outside rates."""

    def __init__(self, fit, n_draws, gen, *, outside=True, sample=True):
        self.graphs, self.models = [], []
        rates = fit.outside_rates if (outside and fit.outside) else np.zeros(1)
        for _ in range(n_draws):
            g = fit.sample(gen) if sample else fit.graph
            rate = float(rates[gen.integers(rates.size)]) if rates.size else 0.0
            self.graphs.append(g)
            self.models.append(OutsideIC(rate) if rate > 0 else IC())

    def sizes(self, seeds_idx, n_sims, gen):
        from .estimate import estimate_reach

        per = max(1, n_sims // len(self.graphs))
        out = []
        with _few_threads(per):
            for g, mdl in zip(self.graphs, self.models):
                est = estimate_reach(g, g.labels[seeds_idx].tolist(), model=mdl, n_sims=per,
                                     rng=int(gen.integers(2**63)), exposure=False,
                                     return_sizes=True)
                out.append(est.sizes)
        return np.concatenate(out)


def _fixed_sizes(graph, seeds_idx, n_sims, gen):
    from .estimate import estimate_reach

    with _few_threads(n_sims):
        est = estimate_reach(graph, graph.labels[seeds_idx].tolist(), n_sims=n_sims,
                             rng=int(gen.integers(2**63)), exposure=False, return_sizes=True)
    return est.sizes


def _fixed_call(graph, seeds_idx, *, n_sims, gen):
    return _fixed_sizes(graph, seeds_idx, n_sims, gen)


SMOOTHING = 1.0


def score_sizes(sizes, observed, n_seeds, n_nodes, *, smoothing=SMOOTHING, level=0.9):
    """Scores of one forecast (simulated sizes) against the observed size.

    The predictive probability of size ``y`` is ``(count(sizes == y) + a /
    K) / (N + a)``: the simulated frequency with ``a = smoothing`` pseudo-worlds
    spread evenly over the ``K = n_nodes - n_seeds + 1`` possible sizes, so
    that an outcome no world produced has a small, finite probability.

    Returns a dict: ``mean``, ``low``, ``high`` (the central ``level``
    interval of the simulated sizes, empirical quantiles), ``covered``,
    ``log_score`` (natural log of the predictive probability of the observed
    size: higher is better), ``abs_error`` (``|mean - observed|``), ``pit``
    (the mid-PIT ``P(S < y) + P(S = y) / 2`` under the simulated sizes).
    """
    s = np.asarray(sizes)
    N = s.size
    K = max(n_nodes - n_seeds + 1, 1)
    hit = int((s == observed).sum())
    prob = (hit + smoothing / K) / (N + smoothing)
    lo, hi = np.quantile(s, [(1 - level) / 2, 1 - (1 - level) / 2], method="inverted_cdf")
    return {
        "mean": float(s.mean()),
        "low": float(lo),
        "high": float(hi),
        "covered": bool(lo <= observed <= hi),
        "log_score": float(math.log(prob)),
        "abs_error": float(abs(s.mean() - observed)),
        "pit": float(((s < observed).sum() + 0.5 * hit) / N),
    }


@dataclass(eq=False)
class BacktestResult:
    """What :func:`backtest` found.

    Attributes
    ----------
    rows : list of dict
        One per (item, method): ``item``, ``method``, ``n_seeds``,
        ``observed``, and the keys of :func:`score_sizes`.
    scores : dict of str to dict
        Per method: ``log_score`` (mean), ``mae``, ``coverage`` (of the
        ``level`` intervals), ``pit_hist`` (counts in 10 bins), ``n_items``.
    level : float
    skipped : int
        Held-out items with no adopter in the graph (nothing to forecast from).
    """

    rows: list
    scores: dict
    level: float
    skipped: int = 0
    uniform_p: float = None
    elapsed: float = 0.0

    def table(self):
        """The scores as text, one line per method (best log score first)."""
        lines = [f"{'method':<28}{'log score':>10}{'MAE':>10}{'coverage':>10}{'items':>7}"]
        for name, sc in sorted(self.scores.items(), key=lambda kv: -kv[1]["log_score"]):
            lines.append(f"{name:<28}{sc['log_score']:>10.3f}{sc['mae']:>10.2f}"
                         f"{100 * sc['coverage']:>9.1f}%{sc['n_items']:>7}")
        return "\n".join(lines)

    def summary(self):
        learned = [k for k in self.scores if k.startswith("learned")]
        if not learned:
            return self.table()
        k = learned[0]
        sc = self.scores[k]
        n = sc["n_items"]
        return (f"On {n} cascades it never saw, the forecast's {round(100 * self.level)}% range "
                f"held the real outcome {round(100 * sc['coverage'])} times in 100 "
                f"(mean log score {sc['log_score']:.2f}, mean absolute error "
                f"{sc['mae']:.1f} adopters).\n" + self.table())

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows)


def _best_uniform(graph, log, n_sims, gen, max_items=100,
                  grid=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)):
    """The uniform p with the best mean log score on (up to ``max_items``) training items."""
    sizes = log.sizes()
    items = np.flatnonzero(sizes > 0)
    if items.size > max_items:
        items = np.sort(gen.choice(items, size=max_items, replace=False))
    best, best_sc = grid[0], -math.inf
    for p in grid:
        g = graph.with_probabilities(p)
        tot = 0.0
        for i in items.tolist():
            seeds = log.first_adopters(i)
            s = _fixed_sizes(g, seeds, n_sims, gen)
            tot += score_sizes(s, int(sizes[i]), seeds.size, graph.n_nodes)["log_score"]
        if tot > best_sc:
            best, best_sc = p, tot
    return best


def backtest(fit, test_log, *, n_sims=1000, rng=None, n_draws=20, level=0.9,
             baselines=("weighted_cascade", "trivalency", "uniform"), max_items=None):
    """Forecast each held-out item from its first adopters and score the forecasts.

    For each item of ``test_log``: the seeds are its first adopters in the
    graph (all those at its earliest in-graph time); the observed size is its
    number of adopters in the graph. Each method simulates ``n_sims`` worlds
    from the seeds and is scored by :func:`score_sizes` (log score, absolute
    error, coverage of the central ``level`` interval, PIT).

    Methods: ``"learned"``: ``n_draws`` graphs drawn from the fit's posterior
    (:meth:`InfluenceFit.sample`), each with an outside rate drawn from the
    training cascades' fitted rates (:class:`OutsideIC`), ``n_sims //
    n_draws`` worlds each, so the interval carries parameter, outside and
    simulation uncertainty; ``"learned, no outside"`` (when the fit has
    outside influence): the same graphs without it; and the fixed schemes:
    weighted cascade, trivalency (drawn once with ``rng``) and the uniform p
    of (0.001 ... 0.2) with the best mean log score on up to 100 of the
    fit's training items (200 worlds each), all plain IC.

    Parameters
    ----------
    fit : InfluenceFit
    test_log : ActionLog
        Held-out items, read for the same graph.
    n_sims : int, default 1000
    rng : int or Generator
    n_draws : int, default 20
    level : float, default 0.9
    baselines : sequence of {"weighted_cascade", "trivalency", "uniform"}
    max_items : int, optional
        Score only the first ``max_items`` items (for quick looks).

    Returns
    -------
    BacktestResult
    """
    func = "backtest"
    if not isinstance(fit, InfluenceFit):
        raise TypeError(f"The 'fit' parameter of {func} must be an InfluenceFit (from "
                        f"vs.fit_influence). Got {type(fit).__name__} instead.")
    _check_log(fit.input_graph, test_log, func)
    n_sims = check_int(n_sims, "n_sims", func, low=1)
    n_draws = check_int(n_draws, "n_draws", func, low=1)
    level = check_float(level, "level", func, low=0.0, high=1.0, low_open=True, high_open=True)
    if isinstance(baselines, str):
        baselines = (baselines,)
    if isinstance(baselines, (bytes, Mapping)) or not isinstance(baselines, Iterable):
        raise param_error("baselines", func, "a list of baseline names", baselines,
                          exc=TypeError)
    for b in baselines:
        if not isinstance(b, str) or b not in ("weighted_cascade", "trivalency", "uniform"):
            raise ValueError(f"The 'baselines' parameter of {func} names {shown(b)}; use "
                             "'weighted_cascade', 'trivalency' or 'uniform'.")
    gen = check_rng(rng)
    t0 = time.perf_counter()
    methods, uniform_p = _backtest_methods(fit, baselines, n_sims, min(n_draws, n_sims), gen)
    rows, skipped = _score_items(test_log, methods, fit.input_graph.n_nodes, level, max_items)
    return BacktestResult(rows=rows, scores=_method_scores(rows, methods), level=level,
                          skipped=skipped, uniform_p=uniform_p,
                          elapsed=time.perf_counter() - t0)


def _backtest_methods(fit, baselines, n_sims, n_draws, gen):
    """``(methods, uniform_p)``: ``{name: seeds -> simulated sizes}`` for the
    learned graphs and the fixed ``baselines`` (drawn from ``gen`` in this
    order), and the uniform baseline's p (None without it)."""
    g = fit.input_graph
    methods = {}
    draws = _Draws(fit, n_draws, gen, outside=True)
    methods["learned"] = lambda seeds: draws.sizes(seeds, n_sims, gen)
    if fit.outside:
        plain = _Draws.__new__(_Draws)
        plain.graphs, plain.models = draws.graphs, [IC()] * len(draws.graphs)
        methods["learned, no outside"] = lambda seeds: plain.sizes(seeds, n_sims, gen)
    fixed = {}
    uniform_p = None
    if "weighted_cascade" in baselines:
        fixed["weighted cascade"] = g.with_probabilities("weighted_cascade")
    if "trivalency" in baselines:
        fixed["trivalency"] = g.with_probabilities("trivalency", rng=gen)
    if "uniform" in baselines:
        uniform_p = _best_uniform(g, fit.log, 200, gen)
        fixed[f"uniform p={uniform_p:g}"] = g.with_probabilities(uniform_p)
    for name, gg in fixed.items():
        methods[name] = functools.partial(_fixed_call, gg, n_sims=n_sims, gen=gen)
    return methods, uniform_p


def _score_items(test_log, methods, n_nodes, level, max_items):
    """``(rows, skipped)``: one row per (item, method) with the forecast's scores
    (:func:`score_sizes`); items without a first adopter in the graph skipped."""
    sizes = test_log.sizes()
    rows, skipped = [], 0
    n_items = test_log.n_items if max_items is None else min(max_items, test_log.n_items)
    for i in range(n_items):
        seeds = test_log.first_adopters(i)
        if seeds.size == 0:
            skipped += 1
            continue
        y = int(sizes[i])
        item = test_log.items[i]
        item = item.item() if hasattr(item, "item") else item
        for name, fn in methods.items():
            sc = score_sizes(fn(seeds), y, seeds.size, n_nodes, level=level)
            rows.append({"item": item, "method": name, "n_seeds": int(seeds.size),
                         "observed": y, **sc})
    return rows, skipped


def _method_scores(rows, methods):
    """Each method's mean scores over its rows, and its PIT histogram."""
    scores = {}
    for name in methods:
        rs = [r for r in rows if r["method"] == name]
        if not rs:
            continue
        pit = np.array([r["pit"] for r in rs])
        scores[name] = {
            "log_score": float(np.mean([r["log_score"] for r in rs])),
            "mae": float(np.mean([r["abs_error"] for r in rs])),
            "coverage": float(np.mean([r["covered"] for r in rs])),
            "pit_hist": np.histogram(pit, bins=10, range=(0.0, 1.0))[0].tolist(),
            "n_items": len(rs),
        }
    return scores


def shuffle_test(graph, log, *, n_shuffles=5, rng=None, **fit_kwargs):
    """Is there influence in the log, or only correlation? The shuffle test.

    Anagnostopoulos, Kumar & Mahdian (KDD 2008): if adoptions spread by
    influence, their order along the follower edges matters; if friends
    merely like the same things (homophily, popularity), shuffling the
    adoption times within each cascade changes nothing. This fits the model
    to the log and to ``n_shuffles`` logs whose times are permuted within
    each cascade (same adopters, same times, random order), and compares the
    share of the non-first adoptions credited to the graph's edges
    (``1 - outside_share``).

    Returns
    -------
    dict
        ``graph_share`` (real log), ``shuffled_shares`` (list),
        ``excess`` (real minus the shuffled mean), ``z`` (excess over the
        shuffled standard deviation; nan with one shuffle), ``fit`` (of the
        real log).
    """
    gen = check_rng(rng)
    fit_kwargs.setdefault("outside", True)
    fit = fit_influence(graph, log, **fit_kwargs)
    shares = []
    sizes = np.diff(log.indptr)
    for _ in range(n_shuffles):
        # a random order within each cascade: sort by (cascade, random key), then give the
        # cascade's sorted times back in that order
        key = gen.random(log.nodes.size)
        cidx = np.repeat(np.arange(log.n_items), sizes)
        order = np.lexsort((key, cidx))
        sh = ActionLog(log.graph, log.items, log.indptr, log.nodes[order], log.times,
                       time_kind=log.time_kind)
        shares.append(1.0 - fit_influence(graph, sh, **fit_kwargs).outside_share)
    real = 1.0 - fit.outside_share
    mu = float(np.mean(shares))
    sd = float(np.std(shares, ddof=1)) if len(shares) > 1 else math.nan
    return {"graph_share": real, "shuffled_shares": shares, "excess": real - mu,
            "z": (real - mu) / sd if sd and sd > 0 else math.nan, "fit": fit}
