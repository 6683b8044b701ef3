"""Diffusion models: small frozen descriptions that know which kernel runs them.

A model's ``_simulate`` runs a batch of worlds and returns a :class:`WorldBatch`
of per-world outcomes. Models hold parameters only; randomness comes from the
world key passed in (see DESIGN.md, "Randomness: worlds, not streams").
"""

from dataclasses import dataclass, field

import numba
import numpy as np

from ._kernels import ic as _ic
from ._kernels import lt as _lt
from ._kernels import wom as _wom
from ._kernels.config import readonly
from ._validation import check_float, check_probability, param_error, shown

__all__ = ["DiffusionModel", "IC", "WordOfMouth", "LinearThreshold", "WorldBatch"]


@dataclass
class WorldBatch:
    """Outcomes of worlds ``start .. start + n - 1``.

    Attributes
    ----------
    metrics : dict of str to ndarray (n,)
        Per-world values: ``"reach"`` (adopters) and ``"exposure"`` (distinct
        viewers) at least. The built-in models also give ``"segment_reach"``
        (adopters weighted by the target segment; equal to reach without
        one), ``"comments"`` (comments posted) and ``"impressions"`` (comment
        views: the follower counts of the commenters, summed).
    timelines : dict of str to (sum, sumsq) int64 arrays (tl_len,)
        Per-round totals over the batch: ``"adopters"`` at least; the
        built-in models add ``"comments"``, ``"impressions"`` and (with
        exposure tracking) ``"exposure"`` (new viewers per round).
    edge_visits : int
        Out-edges of commenting nodes, summed over worlds.
    """

    metrics: dict
    timelines: dict
    edge_visits: int = 0
    n_worlds: int = 0


class DiffusionModel:
    """Base class. Subclasses are frozen dataclasses."""

    name = "model"
    #: True when the model is equivalent to a distribution over live-edge graphs
    #: (so reach is monotone and submodular and reverse-reachable sampling applies).
    is_live_edge = False

    def _simulate(self, graph, seeds, key, start, n, *, max_rounds, tl_len, exposure):
        raise NotImplementedError

    def _validate_for(self, graph, func):
        """Check that ``graph`` has what the model needs; raise a clear error if not."""
        graph._require_probs(func)

    def _deterministic_on(self, graph):
        """True when every world is the same cascade by construction (no coin can
        come out either way); False when unsure."""
        return False


def _all_sure(graph):
    """Every edge probability is 0 or 1."""
    p = graph.probs
    return bool(np.all((p == 0.0) | (p == 1.0)))


# ---------------------------------------------------------------- shared plumbing
def _check_segment_attr_param(value, func):
    if value is not None and not isinstance(value, str):
        raise param_error("segment_attr", func, "None or the name of a node attribute", value,
                          exc=TypeError)
    return value


def segment_weights(graph, attr, func):
    """Per-node target weights in [0, 1] from node attribute ``attr`` (float64, is_bool).

    A boolean attribute marks the target segment (True = 1); a float one is a
    degree of membership in [0, 1]. Anything else raises, naming the fix.
    """
    attrs = graph.node_attrs
    if attr not in attrs:
        have = ", ".join(repr(k) for k in sorted(attrs)) or "none"
        raise param_error(
            "segment_attr", func, "the name of a node attribute of the graph", attr,
            fix=f"The graph's node attributes are: {have}. Add one with "
            "g.with_node_attr(name, values) or vs.generators.assign_segments.",
        )
    a = np.asarray(attrs[attr])
    if a.dtype.kind == "b":
        return a.astype(np.float64), True
    if a.dtype.kind == "f":
        w = a.astype(np.float64)
        if not np.all((w >= 0.0) & (w <= 1.0)):
            raise ValueError(
                f"The node attribute {attr!r} used as segment_attr of {func} must hold "
                f"booleans or weights in [0, 1]. Got values in [{shown(w.min())}, {shown(w.max())}] "
                "instead. Rescale it (e.g. w / w.max()) first."
            )
        return w, False
    raise TypeError(
        f"The node attribute {attr!r} used as segment_attr of {func} must be boolean "
        f"(in the target or not) or float weights in [0, 1]. Got dtype {a.dtype} instead. "
        f"For a segment index, mark the target, e.g. "
        f"g.with_node_attr('target', g.node_attrs[{attr!r}] == 0)."
    )


def _n_chunks(n):
    return max(1, min(numba.get_num_threads(), n))


def _outputs(n, tl_len):
    nt = _n_chunks(n)
    return dict(
        reach=np.empty(n, dtype=np.int64),
        exposure=np.empty(n, dtype=np.int64),
        comments=np.empty(n, dtype=np.int64),
        impressions=np.empty(n, dtype=np.int64),
        segment=np.zeros(n, dtype=np.float64),
        tl_sum=np.zeros((nt, 4, tl_len), dtype=np.int64),
        tl_sq=np.zeros((nt, 4, tl_len), dtype=np.int64),
        visits=np.zeros(nt, dtype=np.int64),
    )


def _segment_arrays(graph, attr, func):
    if attr is None:
        return np.zeros(1), False, True
    w, is_bool = segment_weights(graph, attr, func)
    return w, True, is_bool


def _batch(o, n, has_seg, seg_is_bool, exposure):
    if not has_seg:
        seg = o["reach"].copy()
    elif seg_is_bool:
        seg = o["segment"].astype(np.int64)
    else:
        seg = o["segment"]
    s = o["tl_sum"].sum(axis=0)
    s2 = o["tl_sq"].sum(axis=0)
    timelines = {
        name: (s[k], s2[k])
        for k, name in enumerate(_wom.SERIES)
        if exposure or name != "exposure"
    }
    return WorldBatch(
        metrics={
            "reach": o["reach"],
            "exposure": o["exposure"],
            "segment_reach": seg,
            "comments": o["comments"],
            "impressions": o["impressions"],
        },
        timelines=timelines,
        edge_visits=int(o["visits"].sum()),
        n_worlds=n,
    )


def _run_wom(graph, seeds, key, start, n, *, max_rounds, tl_len, exposure, comment_prob=1.0,
             reinforcement=0.0, amplification=0.0, segment_attr=None, off_target_factor=1.0,
             per_edge=None, func="WordOfMouth"):
    """Run :func:`viralsim._kernels.wom.wom_worlds`; ``per_edge=None`` picks the path.

    ``per_edge=True`` forces the per-edge world definition even when
    reinforcement and amplification are 0 (tests use it to compare
    parameters in the same worlds).
    """
    if per_edge is None:
        per_edge = reinforcement != 0.0 or amplification != 0.0
    segw, has_seg, seg_is_bool = _segment_arrays(graph, segment_attr, func)
    if has_seg and off_target_factor < 1.0:
        thin = segw + off_target_factor * (1.0 - segw)
        has_thin = bool(np.any(thin < 1.0))
        thin = np.append(thin, 1.0)  # the per-edge path's dummy node n reads it too
    else:
        thin, has_thin = np.ones(1), False
    if per_edge:  # 1 + beta j as a table (j < the in-degree), then -1 for adopted nodes
        top = graph._cache.get("max_in_degree")
        if top is None:
            top = graph._cache["max_in_degree"] = int(graph.in_degree().max(initial=0))
        mult = np.append(1.0 + float(reinforcement) * np.arange(top + 1, dtype=np.float64), -1.0)
    else:
        mult = np.ones(1)
    o = _outputs(n, tl_len)
    _wom.wom_worlds(
        graph.indptr, graph.indices, graph.probs,
        graph._derived("skip_row_none_live", _ic.skip_row_none_live),
        graph._derived("coin_thresholds", _ic.coin_thresholds), seeds, np.uint64(key), np.int64(start),
        np.int64(n), np.int64(-1 if max_rounds is None else max_rounds),
        float(comment_prob), mult, float(amplification), bool(per_edge),
        thin, has_thin, segw, has_seg, bool(exposure),
        o["reach"], o["exposure"], o["comments"], o["impressions"], o["segment"],
        o["tl_sum"], o["tl_sq"], o["visits"],
    )
    return _batch(o, n, has_seg, seg_is_bool, exposure)


# ---------------------------------------------------------------- models
@dataclass(frozen=True)
class IC(DiffusionModel):
    """Independent cascade (Kempe, Kleinberg & Tardos 2003).

    Each adopter ``u`` comments once, in the round after adopting; each
    follower ``v`` who has not adopted yet adopts with probability
    ``p(u, v)``, independently of everything else.

    Parameters
    ----------
    segment_attr : str, optional
        A boolean or [0, 1]-weight node attribute marking the target segment;
        the ``"segment_reach"`` metric then sums it over the adopters
        (without it, ``segment_reach`` equals reach). It does not change the
        cascade.

    Notes
    -----
    Live-edge model: equivalent to keeping each edge independently with its
    probability and taking everything reachable from the seeds, so reach is
    monotone and submodular in the seed set. Per world the model reports
    reach, exposure, segment reach, comments (every adopter within the
    horizon comments) and impressions (their follower counts, summed).

    References
    ----------
    D. Kempe, J. Kleinberg, É. Tardos. Maximizing the spread of influence
    through a social network. KDD 2003.

    Examples
    --------
    >>> import viralsim as vs
    >>> vs.IC().is_live_edge
    True
    """

    segment_attr: str = None
    name: str = field(default="ic", init=False, repr=False)
    is_live_edge = True

    def __post_init__(self):
        _check_segment_attr_param(self.segment_attr, "IC")

    def _validate_for(self, graph, func):
        graph._require_probs(func)
        _segment_arrays(graph, self.segment_attr, "IC")

    def _deterministic_on(self, graph):
        return _all_sure(graph)

    def _simulate(self, graph, seeds, key, start, n, *, max_rounds, tl_len, exposure):
        return _run_wom(graph, seeds, key, start, n, max_rounds=max_rounds, tl_len=tl_len,
                        exposure=exposure, segment_attr=self.segment_attr, per_edge=False,
                        func="IC")


@dataclass(frozen=True)
class WordOfMouth(DiffusionModel):
    r"""Word of mouth: independent cascade with comments, social proof and target segments.

    An adopter comments (and so spreads) with probability ``c``; the comment
    is seen by all its followers. A follower ``v`` who has not adopted yet,
    receiving in round ``t`` its ``j``-th comment, from ``u``, adopts with
    probability

    .. math::

        \min\bigl(1,\; p(u, v)\,(1 + \beta (j - 1))\,(1 + \alpha \ln(1 + C_{t-1}))\bigr)
        \cdot a_v, \qquad a_v = w_v + \gamma (1 - w_v),

    where ``C_{t-1}`` is the number of comments posted in rounds
    ``1 .. t - 1`` and ``w_v`` is v's membership of the target segment
    (1 for everyone without ``segment_attr``).

    Parameters
    ----------
    comment_prob : float in [0, 1], default 1
        ``c``: probability that an adopter comments, decided once per
        (world, consumer). Seeds always comment.
    reinforcement : float >= 0, default 0
        ``beta``: local social proof; each earlier comment a consumer has
        received adds ``beta`` times the base probability.
    amplification : float >= 0, default 0
        ``alpha``: the message grows more incisive with the whole
        conversation (the number of comments posted so far).
    segment_attr : str, optional
        Node attribute marking the target segment: boolean (in or out) or
        float weights in [0, 1] (degree of interest). Also weights the
        ``"segment_reach"`` metric.
    off_target_factor : float in [0, 1], default 1
        ``gamma``: consumers outside the target adopt with ``gamma`` times the
        probability. Needs ``segment_attr`` when below 1.

    Notes
    -----
    Reductions. With ``c = 1``, ``beta = alpha = 0`` and ``gamma = 1`` the
    model *is* :class:`IC`: it draws the same random numbers in the same
    worlds, and estimates are bit-identical. ``c < 1`` and ``gamma < 1`` keep
    the live-edge property (u's out-edges are live iff u comments and the
    edge's coin, thinned for off-target followers, succeeds; the comment
    coin comes from its own stream, so changing ``c`` moves no edge coin).
    Closed forms: from a star's hub the expected reach is ``1 + (n - 1) p``
    for any ``c`` (seeds always comment), ``1 + (n - 1) p (1 + gamma) / 2``
    when half the leaves are off-target; along a directed path of ``L``
    nodes from one end it is ``1 + sum_{i=1}^{L-1} p^i c^{i-1}``.

    With ``beta > 0`` or ``alpha > 0`` the model is not a live-edge model
    (the chance on an edge depends on the history), :attr:`is_live_edge` is
    False and reverse-influence sampling refuses it. Its worlds are then
    defined by one uniform ``U_e`` per (world, edge) (the coins of the
    forward stream of the edge's source): an edge fires when its comment is
    delivered and ``U_e`` is below the probability above. Raising ``beta``
    or ``alpha`` raises every threshold in the same worlds; the final reach
    is then monotone per world whenever the order in which comments arrive
    cannot change (e.g. comments only from the seeds for ``beta``, layered
    graphs for ``alpha``), and in expectation in general (tested
    statistically). The exact world definition is in
    :mod:`viralsim._kernels.wom`.

    References
    ----------
    D. Kempe, J. Kleinberg, É. Tardos. Maximizing the spread of influence
    through a social network. KDD 2003.

    D. Centola. The spread of behavior in an online social network
    experiment. Science 329 (5996), 2010 (reinforcement by multiple
    contacts).

    Examples
    --------
    A hub whose comments persuade every follower, half of them off-target:

    >>> import numpy as np
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 0, 0, 0], [1, 2, 3, 4], probs=1.0)
    >>> g = g.with_node_attr("target", np.array([True, True, True, False, False]))
    >>> m = vs.WordOfMouth(segment_attr="target", off_target_factor=0.0)
    >>> est = vs.estimate_reach(g, [0], model=m, n_sims=10, rng=0)
    >>> est.mean, est.metrics["impressions"].mean, est.exposure.mean
    (3.0, 4.0, 5.0)
    >>> vs.WordOfMouth(reinforcement=0.5).is_live_edge
    False
    """

    comment_prob: float = 1.0
    reinforcement: float = 0.0
    amplification: float = 0.0
    segment_attr: str = None
    off_target_factor: float = 1.0
    name: str = field(default="wom", init=False, repr=False)

    def __post_init__(self):
        f = "WordOfMouth"
        object.__setattr__(self, "comment_prob",
                           check_probability(self.comment_prob, "comment_prob", f))
        object.__setattr__(self, "reinforcement",
                           check_float(self.reinforcement, "reinforcement", f, low=0.0))
        object.__setattr__(self, "amplification",
                           check_float(self.amplification, "amplification", f, low=0.0))
        object.__setattr__(self, "off_target_factor",
                           check_probability(self.off_target_factor, "off_target_factor", f))
        _check_segment_attr_param(self.segment_attr, f)
        if self.segment_attr is None and self.off_target_factor < 1.0:
            raise ValueError(
                f"{f}: off_target_factor={self.off_target_factor} needs a target segment. "
                "Pass segment_attr='<node attribute>' (boolean or weights in [0, 1]), or "
                "leave off_target_factor at 1."
            )

    @property
    def is_live_edge(self):
        """True when ``reinforcement == amplification == 0``."""
        return self.reinforcement == 0.0 and self.amplification == 0.0

    def _validate_for(self, graph, func):
        graph._require_probs(func)
        _segment_arrays(graph, self.segment_attr, "WordOfMouth")

    def _deterministic_on(self, graph):
        # reinforcement and amplification only raise a threshold: p = 1 always
        # fires, p = 0 never
        return (self.comment_prob in (0.0, 1.0) and self.off_target_factor == 1.0
                and _all_sure(graph))

    def _simulate(self, graph, seeds, key, start, n, *, max_rounds, tl_len, exposure):
        return _run_wom(
            graph, seeds, key, start, n, max_rounds=max_rounds, tl_len=tl_len,
            exposure=exposure, comment_prob=self.comment_prob,
            reinforcement=self.reinforcement, amplification=self.amplification,
            segment_attr=self.segment_attr, off_target_factor=self.off_target_factor,
        )


LT_WEIGHTS = ("weighted_cascade", "probs")


@dataclass(frozen=True, eq=False)
class LinearThreshold(DiffusionModel):
    r"""Linear threshold model (Kempe, Kleinberg & Tardos 2003).

    Every consumer ``v`` draws a threshold ``theta_v`` uniform in [0, 1) once
    per world; each comment from a followed account ``u`` adds the weight
    ``b(u, v)`` to v's pressure, and ``v`` adopts in the round its pressure
    exceeds ``theta_v``. Every adopter comments.

    Parameters
    ----------
    weights : {"weighted_cascade", "probs"} or array-like, default "weighted_cascade"
        The in-weights ``b(u, v)``: ``1 / in_degree(v)`` (each follower's
        weights sum to 1); the graph's edge probabilities; or one
        non-negative weight per edge in the graph's edge order
        (:meth:`FollowerGraph.edges`). A follower whose in-weights sum to
        ``s > 1`` has them divided by ``s`` (normalised to sum 1); sums
        ``<= 1`` are kept.
    segment_attr : str, optional
        Boolean or [0, 1]-weight node attribute; weights ``"segment_reach"``.

    Notes
    -----
    Live-edge model: LT has the same distribution of active sets, round by
    round, as letting each consumer ``v`` pick at most one live in-edge,
    ``(u, v)`` with probability ``b(u, v)`` and none with probability
    ``1 - sum_u b(u, v)``, and spreading along live edges (Kempe et al. 2003,
    Claim 2.6). So reach is monotone and submodular and RR sets apply. The
    kernel simulates this live-edge form (one uniform per consumer and world,
    from its own stream ``DOMAIN_THRESHOLD``, picks the in-edge; see
    :mod:`viralsim._kernels.lt`): a weight-0 edge never persuades and a
    weight-1 edge always does.

    References
    ----------
    D. Kempe, J. Kleinberg, É. Tardos. Maximizing the spread of influence
    through a social network. KDD 2003.

    M. Granovetter. Threshold models of collective behavior. American
    Journal of Sociology 83 (6), 1978.

    Examples
    --------
    A follower of two seeds, weight 1/2 each, always adopts:

    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 1], [2, 2])
    >>> vs.estimate_reach(g, [0, 1], model=vs.LinearThreshold(), n_sims=10, rng=0).mean
    3.0
    """

    weights: object = "weighted_cascade"
    segment_attr: str = None
    name: str = field(default="lt", init=False, repr=False)
    is_live_edge = True

    def __post_init__(self):
        f = "LinearThreshold"
        w = self.weights
        if isinstance(w, str):
            if w not in LT_WEIGHTS:
                raise param_error("weights", f, f"one of {LT_WEIGHTS} or an array per edge", w)
        else:
            try:
                a = np.array(w, dtype=np.float64)
            except (TypeError, ValueError):
                raise param_error("weights", f, f"one of {LT_WEIGHTS} or an array per edge",
                                  w, exc=TypeError) from None
            if a.ndim != 1:
                raise param_error("weights", f, "a 1-D array with one weight per edge",
                                  f"array of shape {a.shape}")
            bad = np.flatnonzero(~(np.isfinite(a) & (a >= 0.0)))
            if bad.size:
                i = int(bad[0])
                raise ValueError(
                    f"The 'weights' parameter of {f} must hold finite weights >= 0 (they are "
                    f"normalised per follower to sum <= 1, which a negative weight breaks). "
                    f"Got {shown(a[i])} at edge {i} ({bad.size} bad value(s) in all) instead."
                )
            a.flags.writeable = False
            object.__setattr__(self, "weights", a)
        _check_segment_attr_param(self.segment_attr, f)

    def __eq__(self, other):
        if not isinstance(other, LinearThreshold):
            return NotImplemented
        a, b = self.weights, other.weights
        if isinstance(a, str) or isinstance(b, str):
            same = isinstance(a, str) and isinstance(b, str) and a == b
        else:
            same = np.array_equal(a, b)
        return same and self.segment_attr == other.segment_attr

    def __hash__(self):
        w = self.weights if isinstance(self.weights, str) else self.weights.tobytes()
        return hash(("lt", w, self.segment_attr))

    def __repr__(self):
        w = self.weights if isinstance(self.weights, str) else f"<{self.weights.size} weights>"
        return f"LinearThreshold(weights={w!r}, segment_attr={self.segment_attr!r})"

    def edge_weights(self, graph, func="LinearThreshold"):
        """The normalised in-weights, one per edge in CSR order (float64).

        Examples
        --------
        >>> import viralsim as vs
        >>> g = vs.FollowerGraph.from_edges([0, 1], [2, 2], probs=0.8)
        >>> vs.LinearThreshold(weights="probs").edge_weights(g).tolist()
        [0.5, 0.5]
        """
        m = graph.n_edges
        dst = graph.indices
        w = self.weights
        if isinstance(w, str):
            if w == "weighted_cascade":
                indeg = np.bincount(dst, minlength=graph.n_nodes)
                return 1.0 / indeg[dst] if m else np.zeros(0)
            b = graph._require_probs(func).astype(np.float64)
        else:
            if w.shape[0] != m:
                raise param_error("weights", "LinearThreshold",
                                  f"an array with one weight per edge ({m})",
                                  f"an array of {w.shape[0]} weights")
            b = w.astype(np.float64)
        s = np.bincount(dst, weights=b, minlength=graph.n_nodes)
        scale = np.where(s > 1.0, 1.0 / np.where(s > 1.0, s, 1.0), 1.0)
        return b * scale[dst]

    def _intervals(self, graph):
        """Each edge's interval of [0, 1) among its follower's in-edges (the live-edge draw).

        Kept on the graph for the named weight schemes; recomputed (O(edges))
        for an explicit weight array.
        """
        if not isinstance(self.weights, str):
            return _lt.lt_intervals(graph.indptr, graph.indices, self.edge_weights(graph))
        name = f"lt_intervals_{self.weights}"
        out = graph._cache.get(name)
        if out is None:
            out = _lt.lt_intervals(graph.indptr, graph.indices, self.edge_weights(graph))
            for a in out:
                a.flags.writeable = False
            graph._cache[name] = out
        return out

    def _validate_for(self, graph, func):
        self.edge_weights(graph, func)
        _segment_arrays(graph, self.segment_attr, "LinearThreshold")

    def _simulate(self, graph, seeds, key, start, n, *, max_rounds, tl_len, exposure):
        lo, hi = self._intervals(graph)
        segw, has_seg, seg_is_bool = _segment_arrays(graph, self.segment_attr,
                                                     "LinearThreshold")
        o = _outputs(n, tl_len)
        _lt.lt_worlds(
            graph.indptr, graph.indices, lo, hi, readonly(seeds), np.uint64(key), np.int64(start),
            np.int64(n), np.int64(-1 if max_rounds is None else max_rounds),
            segw, has_seg, bool(exposure),
            o["reach"], o["exposure"], o["comments"], o["impressions"], o["segment"],
            o["tl_sum"], o["tl_sq"], o["visits"],
        )
        return _batch(o, n, has_seg, seg_is_bool, exposure)
