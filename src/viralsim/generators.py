"""Synthetic follower graphs, built with NetworkX.

Every generator takes ``n_nodes``, its family's parameters and ``rng`` (anything
:func:`numpy.random.default_rng` accepts) and returns a
:class:`~viralsim.FollowerGraph` whose nodes are labelled ``0 .. n_nodes - 1``.
Optionally ``probabilities=`` sets edge probabilities right away (any scheme
of :meth:`FollowerGraph.with_probabilities`).
"""

import networkx as nx
import numpy as np

from ._validation import check_float, check_int, check_probability, check_rng, param_error
from .graph import FollowerGraph

__all__ = [
    "barabasi_albert",
    "holme_kim",
    "watts_strogatz",
    "erdos_renyi",
    "scale_free",
    "stochastic_block",
]


def _nx_seed(gen):
    return int(gen.integers(0, 2**31 - 1))


def _finish(G, n, *, both, reverse=False, probabilities, gen, node_attrs=None):
    """NetworkX graph on nodes 0..n-1 -> FollowerGraph (self-loops and parallel edges removed)."""
    e = np.array(list(G.edges()), dtype=np.int64).reshape(-1, 2)
    e = e[e[:, 0] != e[:, 1]]
    src, dst = (e[:, 1], e[:, 0]) if reverse else (e[:, 0], e[:, 1])
    if both:
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    # parallel edges (multigraph generators) are collapsed here, quietly: they are an
    # artefact of the generator, not data the user gave
    key = np.unique(src * n + dst)
    g = FollowerGraph.from_edges(key // n, key % n, n_nodes=n, node_attrs=node_attrs)
    if probabilities is not None:
        g = g.with_probabilities(probabilities, rng=gen)
    return g


def _n(n_nodes, func, low=1):
    return check_int(n_nodes, "n_nodes", func, low=low)


def barabasi_albert(n_nodes, m, *, probabilities=None, rng=None):
    """Preferential attachment (Barabási & Albert 1999), mutual ties.

    Each newcomer befriends ``m`` existing accounts chosen in proportion to
    their degree; every tie is mutual, so it is stored as two follower edges
    (about ``2·m·n_nodes`` edges). Popular accounts get more popular: the
    degree distribution has a power-law tail (exponent 3), as follower counts
    do.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.generators.barabasi_albert(100, 2, rng=0)
    >>> g.n_nodes, g.n_edges
    (100, 392)
    """
    func = "barabasi_albert"
    n = _n(n_nodes, func, low=2)
    m = check_int(m, "m", func, low=1)
    if m >= n:
        raise param_error("m", func, f"an int in [1, n_nodes - 1] = [1, {n - 1}]", m)
    gen = check_rng(rng)
    G = nx.barabasi_albert_graph(n, m, seed=_nx_seed(gen))
    return _finish(G, n, both=True, probabilities=probabilities, gen=gen)


def holme_kim(n_nodes, m, p_triangle, *, probabilities=None, rng=None):
    """Power-law graph with clustering (Holme & Kim 2002), mutual ties.

    Preferential attachment as in :func:`barabasi_albert`, but after each
    attachment the newcomer also befriends a friend of that account with
    probability ``p_triangle`` (triadic closure): friends of friends become
    friends, which gives the high clustering of real social networks. Ties
    are mutual (two follower edges each).

    Examples
    --------
    >>> import viralsim as vs
    >>> vs.generators.holme_kim(200, 3, 0.3, rng=1).n_nodes
    200
    """
    func = "holme_kim"
    n = _n(n_nodes, func, low=2)
    m = check_int(m, "m", func, low=1)
    if m >= n:
        raise param_error("m", func, f"an int in [1, n_nodes - 1] = [1, {n - 1}]", m)
    p = check_probability(p_triangle, "p_triangle", func)
    gen = check_rng(rng)
    G = nx.powerlaw_cluster_graph(n, m, p, seed=_nx_seed(gen))
    return _finish(G, n, both=True, probabilities=probabilities, gen=gen)


def watts_strogatz(n_nodes, k, p_rewire, *, probabilities=None, rng=None):
    """Small world (Watts & Strogatz 1998), mutual ties.

    A ring where each consumer knows their ``k`` nearest neighbours (local
    circles, high clustering), with each tie rewired to a random consumer
    with probability ``p_rewire`` (a few long-range acquaintances make the
    world small). Ties are mutual.

    Examples
    --------
    >>> import viralsim as vs
    >>> vs.generators.watts_strogatz(10, 2, 0.0, rng=0).n_edges
    20
    """
    func = "watts_strogatz"
    n = _n(n_nodes, func, low=3)
    k = check_int(k, "k", func, low=2)
    if k >= n or k % 2:
        raise param_error("k", func, f"an even int in [2, n_nodes - 1] = [2, {n - 1}]", k)
    p = check_probability(p_rewire, "p_rewire", func)
    gen = check_rng(rng)
    G = nx.watts_strogatz_graph(n, k, p, seed=_nx_seed(gen))
    return _finish(G, n, both=True, probabilities=probabilities, gen=gen)


def erdos_renyi(n_nodes, p_edge, *, directed=True, probabilities=None, rng=None):
    """Random follows (Erdős & Rényi 1959; Gilbert 1959).

    Each ordered pair ``(u, v)`` is a follower edge independently with
    probability ``p_edge`` (each unordered pair a mutual tie when
    ``directed=False``). No structure at all: the null model against which
    the effect of hubs and communities is measured; its cascades have a
    closed-form giant component.

    Examples
    --------
    >>> import viralsim as vs
    >>> vs.generators.erdos_renyi(50, 0.0, rng=0).n_edges
    0
    """
    func = "erdos_renyi"
    n = _n(n_nodes, func)
    p = check_probability(p_edge, "p_edge", func)
    gen = check_rng(rng)
    G = nx.fast_gnp_random_graph(n, p, seed=_nx_seed(gen), directed=bool(directed))
    return _finish(G, n, both=not directed, probabilities=probabilities, gen=gen)


def scale_free(
    n_nodes,
    *,
    alpha=0.41,
    beta=0.54,
    gamma=0.05,
    delta_in=0.2,
    delta_out=0.0,
    probabilities=None,
    rng=None,
):
    """Directed scale-free follower graph (Bollobás, Borgs, Chayes & Riordan 2003).

    Accounts follow popular accounts (chosen by follower count) and active
    accounts follow more (chosen by following count): both the follower and
    the following counts have power-law tails, and ties are one-way, as on
    Twitter. NetworkX's edge ``a -> b`` ("a follows b") is stored as the
    follower edge ``b -> a``; parallel edges and self-loops are removed.

    Examples
    --------
    >>> import viralsim as vs
    >>> vs.generators.scale_free(100, rng=0).n_nodes
    100
    """
    func = "scale_free"
    n = _n(n_nodes, func)
    a = check_probability(alpha, "alpha", func)
    b = check_probability(beta, "beta", func)
    c = check_probability(gamma, "gamma", func)
    if abs(a + b + c - 1.0) > 1e-9:
        raise ValueError(
            f"The 'alpha', 'beta', 'gamma' parameters of {func} must sum to 1. "
            f"Got {a} + {b} + {c} = {a + b + c} instead."
        )
    din = check_float(delta_in, "delta_in", func, low=0.0)
    dout = check_float(delta_out, "delta_out", func, low=0.0)
    gen = check_rng(rng)
    G = nx.scale_free_graph(
        n, alpha=a, beta=b, gamma=c, delta_in=din, delta_out=dout, seed=_nx_seed(gen)
    )
    return _finish(G, n, both=False, reverse=True, probabilities=probabilities, gen=gen)


def stochastic_block(sizes, p_in, p_out, *, directed=True, probabilities=None, rng=None):
    """Communities of interest (stochastic block model; Holland et al. 1983).

    Consumers fall into segments of the given ``sizes``; a consumer follows
    someone in their own segment with probability ``p_in`` and someone
    outside with probability ``p_out`` (``p_in > p_out`` is homophily:
    people follow people who share their interests). The segment index of
    each node is stored in the ``segment`` node attribute.

    Parameters
    ----------
    sizes : sequence of int
        Segment sizes; ``n_nodes = sum(sizes)``.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.generators.stochastic_block([3, 2], 1.0, 0.0, rng=0)
    >>> g.node_attrs["segment"].tolist(), g.n_edges
    ([0, 0, 0, 1, 1], 8)
    """
    func = "stochastic_block"
    try:
        sizes = [int(s) for s in sizes]
    except (TypeError, ValueError):
        raise param_error("sizes", func, "a list of ints >= 1", sizes, exc=TypeError) from None
    if not sizes or min(sizes) < 1:
        raise param_error("sizes", func, "a non-empty list of ints >= 1", sizes)
    pin = check_probability(p_in, "p_in", func)
    pout = check_probability(p_out, "p_out", func)
    gen = check_rng(rng)
    k = len(sizes)
    P = [[pin if i == j else pout for j in range(k)] for i in range(k)]
    G = nx.stochastic_block_model(sizes, P, seed=_nx_seed(gen), directed=bool(directed))
    n = sum(sizes)
    segment = np.repeat(np.arange(k), sizes)
    return _finish(
        G, n, both=not directed, probabilities=probabilities, gen=gen,
        node_attrs={"segment": segment},
    )
