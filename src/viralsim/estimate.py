"""Expected reach of a seed set, with confidence intervals.

:func:`estimate_reach` runs worlds ``0 .. n_sims - 1`` (see DESIGN.md,
"Randomness: worlds, not streams"): the same ``rng`` gives the same numbers on
any machine and thread count, and two seed sets estimated with the same
``rng`` meet the same worlds.
"""

import math
import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import _progress
from ._limits import MAX_WORLDS_PER_BATCH, check_run_size, rounds_that_can_happen
from ._validation import check_float, check_int, seed_from_rng, shown
from .distributed.serial import run_worlds
from .formatting import plus_minus
from .graph import FollowerGraph
from .models import IC, DiffusionModel
from .stats import (
    MIN_SPREAD,
    few_cascades_interval,
    mean_interval,
    normal_quantile,
    rule_of_three,
    t_quantile,
)

__all__ = ["Estimate", "ReachEstimate", "estimate_reach", "DEFAULT_N_SIMS", "DEFAULT_MAX_SIMS"]

DEFAULT_N_SIMS = 10_000
DEFAULT_MAX_SIMS = 1_000_000
FIRST_BATCH = 1_000
MAX_TIMELINE = 1_024


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo mean with its standard error and confidence interval.

    Parameters
    ----------
    mean, stderr, ci_low, ci_high : float
    confidence : float in (0, 1)

    Examples
    --------
    >>> from viralsim.estimate import Estimate
    >>> e = Estimate(10.0, 0.5, 9.0, 11.0, 0.95)
    >>> e.half_width, str(e)
    (1.0, '10.00 ± 1.00')
    >>> str(Estimate(1.0, 0.0, 1.0, 1.12, 0.95))  # one-sided: both ends written
    '1.00 (1.00 to 1.12)'
    """

    mean: float
    stderr: float
    ci_low: float
    ci_high: float
    confidence: float

    @property
    def half_width(self):
        """Half the interval's width."""
        return (self.ci_high - self.ci_low) / 2.0

    def __str__(self):
        return _pm2(self.mean, self.ci_low, self.ci_high)


def _pm2(mean, low, high):
    """``"12.34 ± 0.56"``, or ``"1.00 (1.00 to 1.12)"`` for an interval that is not
    symmetric about the mean (the rule of three's, or few cascades spreading)."""
    return plus_minus(mean, low, high, digits=2)


def _worlds_to_trust_no_variation(x, n_seeds, n_nodes, precision, confidence):
    """Worlds after which no world differing from reach ``x`` bounds the error of the
    mean within ``precision * x`` (the rule of three).

    With none of ``n`` worlds differing, ``P(reach != x) <= -ln(1 - confidence) / n``
    at that confidence ("3 / n" at 95%), and reach lies in ``[n_seeds, n_nodes]``
    (``n_nodes``: those the seeds could reach at all, see :func:`_reachable`),
    so ``|E[reach] - x| <= P(reach != x) * max(x - n_seeds, n_nodes - x)``. A rare
    cascade (one world in 10^4 spreading) looks constant over the first 1,000
    worlds; this keeps precision mode from calling that precise.
    """
    span = max(x - n_seeds, n_nodes - x)
    if span <= 0 or n_seeds == 0:
        return 0
    return math.ceil(rule_of_three(confidence, 1) * span / (precision * x))


def _few_spread_interval(est, usual, m, n, confidence):
    """``est`` with its interval widened by :func:`viralsim.stats.few_cascades_interval`."""
    low, high = few_cascades_interval(est.mean, est.ci_low, est.ci_high, usual, m, n, confidence)
    return Estimate(est.mean, est.stderr, low, high, est.confidence)


def _reachable(graph, seeds_idx):
    """How many consumers the seeds could reach at all: the seeds and everyone a
    path of follower edges leads to, whatever the probabilities (an upper bound
    on reach in every world, for every model). Breadth-first, a frontier at a
    time, in numpy."""
    indptr, indices = graph.indptr, graph.indices
    seen = np.zeros(graph.n_nodes, dtype=bool)
    seen[seeds_idx] = True
    frontier = np.asarray(seeds_idx, dtype=np.int64)
    while frontier.size:
        starts, ends = indptr[frontier], indptr[frontier + 1]
        lens = ends - starts
        total = int(lens.sum())
        if total == 0:
            break
        # the edges of every frontier row, as one index array
        first = np.repeat(starts - np.cumsum(lens) + lens, lens)
        nbrs = indices[first + np.arange(total)]
        nbrs = np.unique(nbrs[~seen[nbrs]])
        seen[nbrs] = True
        frontier = nbrs.astype(np.int64)
    return int(seen.sum())


def _estimate(total, total_sq, n, confidence):
    """An :class:`Estimate` from the sums (:func:`viralsim.stats.mean_interval`)."""
    return Estimate(*mean_interval(total, total_sq, n, confidence), confidence)


@dataclass(frozen=True, eq=False)  # equality by identity: it holds arrays (as numpy's results do)
class ReachEstimate:
    """Result of :func:`estimate_reach`.

    Attributes
    ----------
    mean, stderr, ci_low, ci_high : float
        Expected number of adopters (seeds included), its standard error and
        its confidence interval (Student's t, widened where noted in
        :func:`estimate_reach`).
    n_sims : int
        Worlds simulated (worlds ``0 .. n_sims - 1`` of the rng's key).
    confidence : float
    timeline : ndarray
        Mean number of new adopters per round (round 0 = the seeds). With
        ``max_rounds=None`` a last entry at index 1024 would collect that
        round and every later one.
    timeline_ci : (ndarray, ndarray)
        Pointwise confidence band of ``timeline``.
    exposure : Estimate
        Distinct consumers who saw the product: the seeds and everyone shown
        at least one comment (adopters included).
    metrics : dict of str to Estimate
        Every per-world quantity the model reports ("reach", "exposure", ...).
    sizes : ndarray or None
        Per-world adopter counts, when ``return_sizes=True``.
    precision, converged : float or None, bool or None
        The relative half-width asked for, and whether it was reached before
        ``max_sims``; ``None`` for a fixed ``n_sims``.
    edge_visits : int
        Out-edges of commenters summed over worlds (what a per-edge-coin kernel
        would flip).
    elapsed : float
        Seconds spent simulating.
    rng_key : int
        The key the worlds were drawn with (another estimate with
        ``rng=rng_key`` meets the same worlds).
    timelines : dict of str to (ndarray, ndarray, ndarray)
        Every per-round quantity the model reports ("adopters", ...) as
        ``(mean, low, high)``.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=1.0)
    >>> est = vs.estimate_reach(g, [0], n_sims=10, rng=0, return_sizes=True)
    >>> est.timeline.tolist(), est.sizes.tolist()[:3], est.reach.mean
    ([1.0, 1.0, 1.0], [3, 3, 3], 3.0)
    >>> print(est)
    reach 3.00 ± 0.00 (95% CI), exposure 3.00 ± 0.00, 10 worlds
    """

    mean: float
    stderr: float
    ci_low: float
    ci_high: float
    n_sims: int
    confidence: float
    timeline: np.ndarray
    timeline_ci: tuple
    exposure: Estimate
    metrics: dict = field(repr=False)
    sizes: np.ndarray = field(default=None, repr=False)
    precision: float = None
    converged: bool = None
    edge_visits: int = field(default=0, repr=False)
    elapsed: float = field(default=0.0, repr=False)
    rng_key: int = field(default=0, repr=False)
    timelines: dict = field(default=None, repr=False)

    @property
    def half_width(self):
        """Half the reach interval's width."""
        return (self.ci_high - self.ci_low) / 2.0

    @property
    def reach(self):
        """Reach as an :class:`Estimate`."""
        return self.metrics["reach"]

    def __str__(self):
        pct = round(100 * self.confidence)
        s = (
            f"reach {_pm2(self.mean, self.ci_low, self.ci_high)} ({pct}% CI), "
            + (f"exposure {self.exposure}, " if self.exposure is not None else "")
            + f"{self.n_sims:,} world{'s' if self.n_sims != 1 else ''}"
        )
        if self.precision is not None:
            s += ", precision reached" if self.converged else ", precision NOT reached"
        return s


def _seed_indices(graph, seeds, func):
    if not isinstance(graph, FollowerGraph):
        raise TypeError(
            f"The 'graph' parameter of {func} must be a FollowerGraph. Got "
            f"{type(graph).__name__} instead; convert with FollowerGraph.from_networkx."
        )
    return graph.index_of(seeds, param="seeds", func=func)


def check_model(model, func):
    """``model`` when it is a viralsim model, else a TypeError naming ``func``.

    Parameters
    ----------
    model : object
    func : str
        The public function named in the error.

    Returns
    -------
    DiffusionModel

    Raises
    ------
    TypeError
        Not a :class:`~viralsim.DiffusionModel`.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.estimate import check_model
    >>> check_model(vs.IC(), "f")
    IC(segment_attr=None)
    >>> check_model("ic", "f")
    Traceback (most recent call last):
    ...
    TypeError: The 'model' parameter of f must be a viralsim model such as vs.IC(). Got 'ic' instead.
    """
    if not isinstance(model, DiffusionModel):
        raise TypeError(
            f"The 'model' parameter of {func} must be a viralsim model such as vs.IC(). "
            f"Got {shown(model)} instead."
        )
    return model


def check_max_rounds(max_rounds, func):
    """``max_rounds`` checked: None (no horizon) or an int >= 1.

    Parameters
    ----------
    max_rounds : int or None
    func : str
        The public function named in errors.

    Returns
    -------
    int or None

    Raises
    ------
    ValueError, TypeError
        Not None and not an int >= 1.

    Examples
    --------
    >>> from viralsim.estimate import check_max_rounds
    >>> check_max_rounds(3, "f"), check_max_rounds(None, "f")
    (3, None)
    """
    return check_int(max_rounds, "max_rounds", func, low=1, allow_none=True)


def _int_sums(v):
    """Exact ``(sum, sum of squares)`` of an integer array as Python ints."""
    top = int(np.abs(v).max(initial=0))
    if top * top * max(len(v), 1) < 2**62:
        return int(v.sum()), int(np.dot(v, v))
    w = v.astype(object)  # rare: huge counts, where int64 squares would overflow
    return int(w.sum()), int((w * w).sum())


class _Accumulator:
    """Sums over batches of worlds that do not depend on how worlds were batched.

    Integer metrics are summed exactly as Python ints; float metrics (weighted
    segment reach) are kept per world and summed once with ``math.fsum``
    (correctly rounded), so batch sizes, threads and backends cannot change a
    single bit of the result.
    """

    def __init__(self, keep_sizes):
        self.n = 0
        self.sums = {}
        self.sumsq = {}
        self.floats = {}
        self.tl = {}
        self.visits = 0
        self.sizes = [] if keep_sizes else None
        self.counts = {}  # reach value -> worlds, while there are few distinct values
        self.varied = False  # more than 2 * MIN_SPREAD distinct values: not rare at all

    @property
    def usual(self):
        """``(the most common reach, worlds whose reach differs from it)``; the first
        is None once reach took too many values for that to matter."""
        if self.varied or not self.counts:
            return None, self.n
        value, worlds = max(self.counts.items(), key=lambda vc: (vc[1], -vc[0]))
        return value, self.n - worlds

    def add(self, batch):
        self.n += batch.n_worlds
        reach = batch.metrics["reach"]
        if not self.varied and reach.size:
            values, worlds = np.unique(reach, return_counts=True)
            for v, c in zip(values.tolist(), worlds.tolist()):
                self.counts[v] = self.counts.get(v, 0) + c
            if len(self.counts) > 2 * MIN_SPREAD:  # then > MIN_SPREAD worlds differ from any
                self.varied, self.counts = True, {}
        for k, v in batch.metrics.items():
            if v.dtype.kind == "f":
                self.floats.setdefault(k, []).append(np.asarray(v, dtype=np.float64))
                self.sums[k] = None
                continue
            s, s2 = _int_sums(v)
            self.sums[k] = self.sums.get(k, 0) + s
            self.sumsq[k] = self.sumsq.get(k, 0) + s2
        for k, (s, s2) in batch.timelines.items():
            if k in self.tl:
                self.tl[k][0] += s
                self.tl[k][1] += s2
            else:
                self.tl[k] = [s.copy(), s2.copy()]
        self.visits += batch.edge_visits
        if self.sizes is not None:
            self.sizes.append(batch.metrics["reach"])

    def estimate(self, name, confidence):
        if name in self.floats:
            v = np.concatenate(self.floats[name])
            return _estimate(math.fsum(v), math.fsum(v * v), self.n, confidence)
        return _estimate(self.sums[name], self.sumsq[name], self.n, confidence)


def estimate_reach(
    graph,
    seeds,
    *,
    model=None,
    n_sims=None,
    precision=None,
    confidence=0.95,
    max_rounds=None,
    rng=None,
    max_sims=DEFAULT_MAX_SIMS,
    exposure=True,
    return_sizes=False,
    backend=None,
):
    """Estimate the expected reach (number of adopters) of a seed set.

    Parameters
    ----------
    graph : FollowerGraph
        With edge probabilities set.
    seeds : sequence of node labels
        The consumers who get the product first. Distinct; may be empty.
    model : DiffusionModel, default ``vs.IC()``
    n_sims : int, optional
        Number of worlds (Monte Carlo simulations). Default 10,000 unless
        ``precision`` is given.
    precision : float, optional
        Target relative half-width of the confidence interval: ``0.01`` runs
        batches of worlds until the CI half-width is at most 1% of the mean,
        or until ``max_sims`` worlds (see ``converged`` in the result). When
        every world so far has the same reach (a rare cascade, or none), the
        normal interval has zero width; the run then goes on until the rule of
        three bounds the error within the target (immediately when the model's
        worlds are all alike by construction, e.g. IC with every probability
        0 or 1). The reach interval reported in that case (with ``n_sims``
        too) is the rule of three's: ``P(reach != x) <= -ln(1 - confidence) /
        n`` over reach's range: from ``len(seeds)`` to the number of consumers
        a path of follower edges leads to from the seeds (seeds with no such
        path reach exactly ``len(seeds)``: no width). When fewer than 30
        worlds differ from the most common reach (rare cascades), the normal
        interval misjudges how often they happen: the reach interval then also
        covers the Clopper-Pearson interval of that frequency times the mean
        difference observed, and precision mode runs on until 30 worlds
        differ (or ``max_sims``). Reach and exposure intervals never leave
        ``[len(seeds), n_nodes]``.
    confidence : float in (0, 1), default 0.95
    max_rounds : int >= 1, optional
        Campaign horizon: rounds of comments after seeding ("reach within 3
        rounds"). ``None``: until the cascade stops.
    rng : int, numpy Generator, optional
        Defines the worlds. The same value gives the same numbers on any
        machine and thread count.
    max_sims : int, default 1,000,000
        Cap on worlds when ``precision`` is given.
    exposure : bool, default True
        Also count distinct viewers. It costs a scan of every commenter's
        followers; turn it off for reach-only speed.
    return_sizes : bool, default False
        Keep the per-world adopter counts in ``result.sizes``.
    backend : optional
        Where batches of worlds run: ``None`` (this process, Numba threads)
        or a backend from :func:`viralsim.distributed.get_backend` (``"serial"``
        with progress bars, ``"ray"``). Results are bit-identical for every
        backend: worlds are pure functions of (rng, world index) and batch
        results are merged as exact integer sums, in world order (a
        float-valued metric, such as a weighted segment reach, agrees to
        rounding, since its per-batch float sums depend on the split).

    Returns
    -------
    ReachEstimate

    Raises
    ------
    NodeNotFound
        Seeds not in the graph (all named).
    ValueError, TypeError
        Repeated seeds, ``n_sims <= 0``, ``precision <= 0``, both ``n_sims``
        and ``precision``, a graph without probabilities or nodes, bad
        ``confidence`` (also one so close to 1 that the interval would be
        infinite) or ``max_rounds``, a ``model`` that is not a viralsim model.

    Notes
    -----
    The interval is ``mean ± t·s/√n`` with the sample standard deviation
    ``s`` and Student's quantile ``t`` for ``n - 1`` degrees of freedom
    (1.96 at 95% for many worlds; 2.05 for 30). Cost per world is proportional to the
    live edges leaving adopters (plus all their out-edges when ``exposure``).

    Examples
    --------
    A star whose hub reaches every follower for sure:

    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 0, 0], [1, 2, 3], probs=1.0)
    >>> est = vs.estimate_reach(g, [0], n_sims=100, rng=0)
    >>> est.mean, est.stderr, est.exposure.mean
    (4.0, 0.0, 4.0)
    """
    func = "estimate_reach"
    seeds_idx = _seed_indices(graph, seeds, func)
    model, confidence, max_rounds, n_sims, precision, max_sims = _check_arguments(
        graph, model, n_sims, precision, confidence, max_rounds, max_sims, func)
    run = _Worlds(graph, seeds_idx, model, seed_from_rng(rng), max_rounds, exposure,
                  return_sizes, backend)
    t0 = time.perf_counter()
    if precision is None:
        run.more(n_sims)
        converged = None
    else:
        converged = _run_to_precision(run, precision, confidence, max_sims)
    elapsed = time.perf_counter() - t0
    return _result(run, confidence, precision, converged, elapsed)


def _check_arguments(graph, model, n_sims, precision, confidence, max_rounds, max_sims, func):
    """Validated ``(model, confidence, max_rounds, n_sims, precision, max_sims)``."""
    if graph.n_nodes == 0:
        raise ValueError(f"{func}: the graph has no nodes; there is nobody to reach.")
    model = IC() if model is None else check_model(model, func)
    model._validate_for(graph, func)
    confidence = check_float(confidence, "confidence", func, low=0.0, high=1.0, low_open=True,
                             high_open=True)
    normal_quantile(confidence)  # before any world: a confidence so close to 1 the interval is infinite
    max_rounds = check_max_rounds(max_rounds, func)
    if precision is not None and n_sims is not None:
        raise ValueError(
            f"{func} takes either 'n_sims' (a fixed number of worlds) or 'precision' "
            "(run until the CI is that tight), not both. Use max_sims to cap a precision run."
        )
    if precision is not None:
        precision = check_float(precision, "precision", func, low=0.0, low_open=True)
        max_sims = check_int(max_sims, "max_sims", func, low=1)
    else:
        n_sims = check_int(DEFAULT_N_SIMS if n_sims is None else n_sims, "n_sims", func, low=1)
    # what no run can do (2**63 worlds, a horizon beyond int64), refused before any work
    check_run_size(n_sims=n_sims, max_rounds=max_rounds, max_sims=max_sims if precision else None,
                   precision=precision, func=func)
    return model, confidence, max_rounds, n_sims, precision, max_sims


class _Worlds:
    """The worlds of one :func:`estimate_reach` call: how the next batch runs, what the
    batches so far gave (``acc``), and two facts about the seeds computed at most once,
    and only when needed (each costs a pass over the edges)."""

    def __init__(self, graph, seeds_idx, model, key, max_rounds, exposure, keep_sizes, backend):
        self.graph, self.seeds_idx, self.model, self.key = graph, seeds_idx, model, key
        # a cascade cannot last more rounds than the graph has consumers: the horizon (and
        # the timelines sized by it) capped there changes no outcome (max_rounds=10**9 on
        # 5 consumers asked for 60 GiB)
        max_rounds = rounds_that_can_happen(max_rounds, graph.n_nodes)
        tl_len = (max_rounds if max_rounds is not None else min(graph.n_nodes, MAX_TIMELINE)) + 1
        self.kw = dict(max_rounds=max_rounds, tl_len=max(tl_len, 2), exposure=exposure)
        self.exposure = exposure
        if backend is not None:
            from .distributed import get_backend

            backend = get_backend(backend)
        self.backend = backend
        self.acc = _Accumulator(keep_sizes)

    def more(self, count):
        """Run worlds ``acc.n .. acc.n + count - 1`` and add them up."""
        acc = self.acc
        if self.backend is None:  # bounded batches: memory does not grow with n_sims
            while count > 0:
                c = min(count, MAX_WORLDS_PER_BATCH)
                # one batch, or pieces with cancel/progress between them when someone
                # listens (worlds are pure functions of their index: the same sums)
                start = acc.n
                for piece in _progress.pieces(c, 64, lambda d, t, s=start: (
                        f"simulating worlds: {s + d:,} of {s + t:,} done")):
                    acc.add(run_worlds(self.model, self.graph, self.seeds_idx, self.key, acc.n,
                                       piece, **self.kw))
                count -= c
        else:
            for batch in self.backend.simulate(self.model, self.graph, self.seeds_idx,
                                               self.key, acc.n, count, **self.kw):
                acc.add(batch)

    @cached_property
    def reachable(self):
        """Reach's upper end in every world (see :func:`_reachable`)."""
        return _reachable(self.graph, self.seeds_idx)

    @cached_property
    def alike(self):
        """Whether every world has the same reach by construction (the model's coins are
        all 0 or 1 here, or the seeds reach nobody)."""
        return self.model._deterministic_on(self.graph) or self.reachable == self.seeds_idx.size


def _worlds_needed(run, precision, confidence):
    """How many worlds in all the reach interval needs to be ``precision`` tight, or
    None when those run so far are enough."""
    acc = run.acc
    est = acc.estimate("reach", confidence)
    if est.stderr > 0.0:
        usual, m = acc.usual
        wide = _few_spread_interval(est, usual, m, acc.n, confidence)
        if max(est.mean - wide.ci_low, wide.ci_high - est.mean) <= precision * est.mean \
                and m >= min(MIN_SPREAD, acc.n):
            return None
        sd = est.stderr * math.sqrt(acc.n)
        z = t_quantile(confidence, acc.n)
        needed = math.ceil(1.1 * (z * sd / (precision * max(est.mean, 1e-300))) ** 2)
        if m < MIN_SPREAD:  # too few cascades to judge the spread: about MIN_SPREAD
            needed = max(needed, math.ceil(1.1 * acc.n * MIN_SPREAD / m))
        return needed
    if est.stderr == 0.0:  # every world alike so far: not yet evidence of precision
        needed = 0 if run.alike else _worlds_to_trust_no_variation(
            est.mean, run.seeds_idx.size, run.reachable, precision, confidence)
        return None if acc.n >= needed else needed
    return 2  # one world: no variance yet


def _run_to_precision(run, precision, confidence, max_sims):
    """Run batches of worlds until the reach interval is ``precision`` tight (True) or
    ``max_sims`` worlds ran (False). Each batch aims at the worlds still needed, at least
    FIRST_BATCH and at most four times those run so far."""
    run.more(min(FIRST_BATCH, max_sims))
    while True:
        needed = _worlds_needed(run, precision, confidence)
        if needed is None:
            return True
        n = run.acc.n
        if n >= max_sims:
            return False
        run.more(int(min(max(needed - n, FIRST_BATCH), n * 4, max_sims - n)))


def _reach_interval(run, r, confidence):
    """Reach's estimate ``r`` with its interval as :func:`estimate_reach` reports it: widened
    when few worlds spread, the rule of three's when none varied."""
    acc, n_seeds = run.acc, run.seeds_idx.size
    if r.stderr > 0.0:
        usual, m = acc.usual
        r = _few_spread_interval(r, usual, m, acc.n, confidence)
    if (r.stderr == 0.0 and acc.n > 1 and n_seeds > 0  # no seeds: nothing can happen
            and not run.alike):
        # every world had the same reach, yet some could differ: the t interval has
        # no width; the rule of three bounds P(reach != x)
        q = min(1.0, rule_of_three(confidence, acc.n))
        r = Estimate(r.mean, r.stderr, r.mean - q * (r.mean - n_seeds),
                     r.mean + q * (run.reachable - r.mean), confidence)
    return r


def _metrics(run, confidence):
    """Every per-world metric's :class:`Estimate`; reach's and exposure's intervals kept
    within ``[len(seeds), n_nodes]`` (both count people)."""
    metrics = {k: run.acc.estimate(k, confidence) for k in run.acc.sums}
    metrics["reach"] = _reach_interval(run, metrics["reach"], confidence)
    lo, hi = run.seeds_idx.size, run.graph.n_nodes
    for name in ("reach", "exposure"):
        m = metrics.get(name)
        if m is not None and (m.ci_low < lo or m.ci_high > hi):
            metrics[name] = Estimate(m.mean, m.stderr, max(m.ci_low, lo), min(m.ci_high, hi),
                                     m.confidence)
    if not run.exposure:
        metrics.pop("exposure", None)
    return metrics


def _timelines(acc, confidence):
    """Per-round means with pointwise t bands, ``{name: (mean, low, high)}``, cut after
    the last round anyone adopted (or was shown) in any world."""
    timelines = {}
    n = acc.n
    for k, (s, s2) in acc.tl.items():
        mean = s / n
        if n > 1:
            var = np.maximum((s2 - s.astype(np.float64) ** 2 / n) / (n - 1), 0.0)
        else:
            var = np.full(s.shape, np.nan)
        h = t_quantile(confidence, n) * np.sqrt(var / n)
        last = int(np.flatnonzero(s)[-1]) + 1 if s.any() else 1
        timelines[k] = (mean[:last], mean[:last] - h[:last], mean[:last] + h[:last])
    return timelines


def _result(run, confidence, precision, converged, elapsed):
    acc = run.acc
    metrics = _metrics(run, confidence)
    timelines = _timelines(acc, confidence)
    r = metrics["reach"]
    tl = timelines["adopters"]
    return ReachEstimate(
        mean=r.mean,
        stderr=r.stderr,
        ci_low=r.ci_low,
        ci_high=r.ci_high,
        n_sims=acc.n,
        confidence=confidence,
        timeline=tl[0],
        timeline_ci=(tl[1], tl[2]),
        exposure=metrics.get("exposure"),
        metrics=metrics,
        sizes=np.concatenate(acc.sizes) if acc.sizes is not None else None,
        precision=precision,
        converged=converged,
        edge_visits=acc.visits,
        elapsed=elapsed,
        rng_key=run.key,
        timelines=timelines,
    )
