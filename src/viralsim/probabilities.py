"""Edge-probability schemes: one function per scheme, and the registry that names them.

Each scheme function takes a :class:`~viralsim.FollowerGraph` and returns a
float64 array with one probability per edge, aligned with the graph's current
edge order (:meth:`~viralsim.FollowerGraph.edges`); it never changes the graph.
:meth:`FollowerGraph.with_probabilities <viralsim.FollowerGraph.with_probabilities>`
builds the new graph from :func:`edge_probabilities`, and the command line's
``probabilities=<scheme>`` config goes through :func:`apply`.

The random schemes assign their draws to edges in (source, follower) index
order, so the result depends on ``rng`` and the edges only, never on the
graph's earlier probabilities (which reorder each row).
"""

import logging

import numpy as np

from ._validation import check_probability, check_rng, shown

__all__ = [
    "SCHEMES",
    "PROBABILITY_SCHEMES",
    "TRIVALENCY_VALUES",
    "weighted_cascade",
    "trivalency",
    "uniform",
    "uniform_random",
    "per_edge",
    "check_edge_probabilities",
    "edge_probabilities",
    "apply",
]

log = logging.getLogger(__name__)

#: the schemes named by a string in FollowerGraph.with_probabilities
PROBABILITY_SCHEMES = ("weighted_cascade", "trivalency", "uniform_random")
#: the values of the trivalency model (Chen et al. 2010)
TRIVALENCY_VALUES = (0.1, 0.01, 0.001)
#: schemes that keep the probabilities the graph was read with (the command line's)
KEEP = (None, "keep", "file")


def _canonical_order(graph):
    """Edge positions in (source, follower) index order: where the i-th draw goes."""
    from ._kernels.csr import index_order

    # rows hold distinct followers: a sort of each row, not of all edges
    return index_order(graph.indptr, graph.indices)


def weighted_cascade(graph):
    """``p(u, v) = 1 / in_degree(v)``: each follower's in-probabilities sum to 1.

    Parameters
    ----------
    graph : FollowerGraph

    Returns
    -------
    ndarray of float64, shape (n_edges,)

    References
    ----------
    Kempe, Kleinberg and Tardos, "Maximizing the spread of influence through a
    social network", KDD 2003.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim import probabilities
    >>> g = vs.FollowerGraph.from_edges([0, 1, 2], [2, 2, 0])
    >>> probabilities.weighted_cascade(g).tolist()
    [0.5, 0.5, 1.0]
    """
    dst = graph.indices
    if not graph.n_edges:
        return np.zeros(0)
    indeg = np.bincount(dst, minlength=graph.n_nodes)
    # 1 / in-degree once per node, then gathered: the same divisions as per edge, with
    # no edge-sized integer temporary (0.8 GB at 100M edges)
    with np.errstate(divide="ignore"):
        inv = 1.0 / indeg
    return inv[dst]


def trivalency(graph, *, rng=None):
    """Each edge's probability drawn uniformly from {0.1, 0.01, 0.001}.

    Parameters
    ----------
    graph : FollowerGraph
    rng : int, Generator, optional
        Draws one integer in [0, 3) per edge, in (source, follower) order.

    Returns
    -------
    ndarray of float64, shape (n_edges,)

    References
    ----------
    Chen, Wang and Wang, "Scalable influence maximization for prevalent viral
    marketing in large-scale social networks", KDD 2010.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim import probabilities
    >>> g = vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2])
    >>> p = probabilities.trivalency(g, rng=0)
    >>> set(p.tolist()) <= {0.1, 0.01, 0.001}, bool((p == probabilities.trivalency(g, rng=0)).all())
    (True, True)
    """
    gen = check_rng(rng)
    m = graph.n_edges
    probs = np.empty(m, dtype=np.float64)
    probs[_canonical_order(graph)] = np.asarray(TRIVALENCY_VALUES)[gen.integers(0, 3, size=m)]
    return probs


def uniform_random(graph, *, rng=None, low=None, high=None, func="with_probabilities"):
    """Each edge's probability drawn uniformly from ``[low, high]``.

    Parameters
    ----------
    graph : FollowerGraph
    rng : int, Generator, optional
        Draws one float per edge, in (source, follower) order.
    low, high : float in [0, 1], default 0 and 1
    func : str, default "with_probabilities"
        The public function named in error messages.

    Returns
    -------
    ndarray of float64, shape (n_edges,)

    Raises
    ------
    ValueError, TypeError
        ``low`` or ``high`` not a probability, or ``low > high``.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim import probabilities
    >>> g = vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2])
    >>> p = probabilities.uniform_random(g, rng=0, low=0.2, high=0.4)
    >>> bool(((p >= 0.2) & (p <= 0.4)).all())
    True
    >>> probabilities.uniform_random(g, low=0.5, high=0.1)
    Traceback (most recent call last):
    ...
    ValueError: with_probabilities: low=0.5 must be <= high=0.1.
    """
    gen = check_rng(rng)
    lo = check_probability(0.0 if low is None else low, "low", func)
    hi = check_probability(1.0 if high is None else high, "high", func)
    if lo > hi:
        raise ValueError(f"{func}: low={lo} must be <= high={hi}.")
    probs = np.empty(graph.n_edges, dtype=np.float64)
    probs[_canonical_order(graph)] = gen.uniform(lo, hi, size=graph.n_edges)
    return probs


def uniform(graph, p, *, name="p", func="uniform"):
    """The same probability ``p`` on every edge.

    Parameters
    ----------
    graph : FollowerGraph
    p : float in [0, 1]
    name, func : str
        The parameter and the public function named in error messages.

    Returns
    -------
    ndarray of float64, shape (n_edges,)

    Raises
    ------
    ValueError, TypeError
        ``p`` not a float in [0, 1].

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim import probabilities
    >>> g = vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2])
    >>> probabilities.uniform(g, 0.25).tolist()
    [0.25, 0.25, 0.25]
    >>> probabilities.uniform(g, 1.5)
    Traceback (most recent call last):
    ...
    ValueError: The 'p' parameter of uniform must be a float in [0, 1]. Got 1.5 instead.
    """
    return np.full(graph.n_edges, check_probability(p, name, func))


def check_edge_probabilities(probs, m, func, name="probs"):
    """``probs`` as float64 after checking it holds one probability in [0, 1] per edge.

    Parameters
    ----------
    probs : array-like
    m : int
        Number of edges.
    func, name : str
        The public function and its parameter named in error messages.

    Returns
    -------
    ndarray of float64, shape (m,)

    Raises
    ------
    ValueError
        Wrong shape, or a value outside [0, 1] or NaN (the first one named).
    TypeError
        A non-numeric dtype.

    Examples
    --------
    >>> from viralsim.probabilities import check_edge_probabilities
    >>> check_edge_probabilities([0, 0.5], 2, "f").tolist()
    [0.0, 0.5]
    >>> check_edge_probabilities([0.5, 2.0], 2, "f")
    Traceback (most recent call last):
    ...
    ValueError: The 'probs' parameter of f must hold probabilities in [0, 1]. Got 2.0 at edge 1 (1 bad value(s) in all). Rescale or clip the values before building the graph.
    """
    probs = np.asarray(probs)
    if probs.ndim != 1 or probs.shape[0] != m:
        raise ValueError(
            f"The {name!r} parameter of {func} must have one value per edge ({m}). "
            f"Got an array of shape {probs.shape} instead."
        )
    if probs.dtype.kind not in "fiub":
        raise TypeError(
            f"The {name!r} parameter of {func} must be numeric. Got dtype {probs.dtype} instead."
        )
    p = probs.astype(np.float64)
    bad = np.flatnonzero(~((p >= 0.0) & (p <= 1.0)))  # also catches NaN
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"The {name!r} parameter of {func} must hold probabilities in [0, 1]. "
            f"Got {shown(probs[i].item())} at edge {i} ({bad.size} bad value(s) in all). "
            "Rescale or clip the values before building the graph."
        )
    return p


def per_edge(graph, probs, *, name="probs", func="per_edge"):
    """Given probabilities, one per edge in the graph's edge order, checked.

    Parameters
    ----------
    graph : FollowerGraph
    probs : array-like of float in [0, 1], shape (n_edges,)
    name, func : str
        The parameter and the public function named in error messages.

    Returns
    -------
    ndarray of float64, shape (n_edges,)

    Raises
    ------
    ValueError, TypeError
        See :func:`check_edge_probabilities`.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim import probabilities
    >>> g = vs.FollowerGraph.from_edges([0, 0], [1, 2])
    >>> probabilities.per_edge(g, [0.5, 1]).tolist()
    [0.5, 1.0]
    """
    return check_edge_probabilities(probs, graph.n_edges, func, name=name)


#: scheme name -> function(graph, ...) returning one probability per edge
SCHEMES = {
    "weighted_cascade": weighted_cascade,
    "trivalency": trivalency,
    "uniform_random": uniform_random,
    "uniform": uniform,
}


def edge_probabilities(graph, scheme, *, rng=None, low=None, high=None,
                       func="with_probabilities"):
    """One probability per edge from a scheme as :meth:`FollowerGraph.with_probabilities` takes it.

    Parameters
    ----------
    graph : FollowerGraph
    scheme : float, str or array-like
        A float in [0, 1] (:func:`uniform`), a name in
        :data:`PROBABILITY_SCHEMES`, or an array with one probability per
        edge (:func:`per_edge`).
    rng : int, Generator, optional
        For the random schemes (ignored by the others).
    low, high : float, optional
        Bounds of ``"uniform_random"`` (ignored by the others).
    func : str, default "with_probabilities"
        The public function named in error messages.

    Returns
    -------
    ndarray of float64, shape (n_edges,)
        Aligned with the graph's current edge order.

    Raises
    ------
    ValueError, TypeError
        An unknown scheme name (the valid ones listed), a float or array
        value outside [0, 1], an array of the wrong length.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.probabilities import edge_probabilities
    >>> g = vs.FollowerGraph.from_edges([0, 1, 2], [2, 2, 0])
    >>> edge_probabilities(g, "weighted_cascade").tolist(), edge_probabilities(g, 0.5).tolist()
    ([0.5, 0.5, 1.0], [0.5, 0.5, 0.5])
    """
    if isinstance(scheme, str):
        if scheme not in PROBABILITY_SCHEMES:
            raise ValueError(
                f"Unknown probability scheme {scheme!r} for {func}. Valid "
                f"schemes: a float in [0, 1], an array per edge, or one of "
                f"{', '.join(map(repr, PROBABILITY_SCHEMES))}."
            )
        if scheme == "weighted_cascade":
            return weighted_cascade(graph)
        if scheme == "trivalency":
            return trivalency(graph, rng=rng)
        return uniform_random(graph, rng=rng, low=low, high=high, func=func)
    if np.ndim(scheme) == 0:
        return uniform(graph, scheme, name="scheme", func=func)
    return per_edge(graph, scheme, name="scheme", func=func)


def apply(graph, scheme, *, rng=None, p=None, low=None, high=None):
    """The graph with probabilities set as a ``probabilities`` config names them.

    The command line's entry point: its messages speak the config's keys
    (``probabilities=<scheme>``, ``probabilities.p``).

    Parameters
    ----------
    graph : FollowerGraph
    scheme : str or None
        ``"keep"`` (also ``"file"`` or None: the probabilities the graph was
        read with), ``"uniform"`` (needs ``p``), ``"uniform_random"`` (``low``,
        ``high``), ``"weighted_cascade"`` or ``"trivalency"``.
    rng : int, Generator, optional
        For the random schemes.
    p : float, optional
        The probability of ``"uniform"`` (ignored by the other schemes).
    low, high : float, optional
        The bounds of ``"uniform_random"`` (ignored by the other schemes).

    Returns
    -------
    FollowerGraph
        ``graph`` itself for ``"keep"``; otherwise a copy. Replacing
        probabilities the graph already had is logged (INFO, logger
        ``viralsim.probabilities``).

    Raises
    ------
    ValueError
        ``"keep"`` on a graph without probabilities (the fix named in
        command-line terms), an unknown scheme, a bad ``p``, ``low`` or
        ``high``.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim import probabilities
    >>> g = vs.FollowerGraph.from_edges([0, 1, 2], [2, 2, 0])
    >>> probabilities.apply(g, "uniform", p=0.25).probs.tolist()
    [0.25, 0.25, 0.25]
    >>> probabilities.apply(g, "keep")
    Traceback (most recent call last):
    ...
    ValueError: probabilities=keep uses the input file's probabilities, and this graph has none: ...

    The command line's ``apply_probabilities(graph, pcfg, rng)`` is
    ``graph if not pcfg else apply(graph, pcfg.get("scheme", "keep"), rng=rng,
    p=pcfg.get("p"), low=pcfg.get("low"), high=pcfg.get("high"))``.
    """
    if scheme in KEEP:
        if not graph.has_probabilities:
            raise ValueError(
                "probabilities=keep uses the input file's probabilities, and this graph has "
                "none: give the follower CSV a 'probability' column (or name yours with "
                "graph.probability=<column>), give the edge list a third column, or choose a "
                "scheme, e.g. probabilities=weighted_cascade or probabilities=uniform "
                "probabilities.p=0.05.")
        return graph
    if graph.has_probabilities:
        log.info("probabilities=%s replaces the probabilities read with the graph "
                 "(probabilities=keep uses them)", scheme)
    if scheme == "uniform":
        return graph.with_probabilities(
            check_probability(p, "probabilities.p", "probabilities=uniform"))
    if scheme == "uniform_random":
        return graph.with_probabilities("uniform_random", low=low, high=high, rng=rng)
    return graph.with_probabilities(scheme, rng=rng)
