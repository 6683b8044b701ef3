"""Synthetic follower graphs, built with NetworkX (the stochastic block model
directly with numpy: NetworkX's walks every candidate pair).

Every generator takes ``n_nodes``, its family's parameters and ``rng`` (anything
:func:`numpy.random.default_rng` accepts) and returns a
:class:`~viralsim.FollowerGraph` whose nodes are labelled ``0 .. n_nodes - 1``.
Optionally ``probabilities=`` sets edge probabilities right away (any scheme
of :meth:`FollowerGraph.with_probabilities`).
"""

import numbers
from collections import deque

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
    "assign_segments",
    "power_law",
    "power_law_expected_degrees",
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
        whole = [not isinstance(s, (bool, np.bool_)) and isinstance(s, numbers.Real)
                 and float(s).is_integer() for s in sizes]
        if not all(whole):  # 2.7 consumers: refused, not truncated to 2
            raise ValueError
        sizes = [int(s) for s in sizes]
    except (TypeError, ValueError):
        raise param_error("sizes", func, "a list of ints >= 1", sizes, exc=TypeError) from None
    if not sizes or min(sizes) < 1:
        raise param_error("sizes", func, "a non-empty list of ints >= 1", sizes)
    pin = check_probability(p_in, "p_in", func)
    pout = check_probability(p_out, "p_out", func)
    gen = check_rng(rng)
    directed = bool(directed)
    k = len(sizes)
    n = sum(sizes)
    start = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    src, dst = [], []
    for i in range(k):
        for j in range(k) if directed else range(i, k):
            u, v = _block_pairs(gen, sizes[i], sizes[j], pin if i == j else pout,
                                same=i == j, directed=directed)
            src.append(u + start[i])
            dst.append(v + start[j])
    src, dst = np.concatenate(src), np.concatenate(dst)
    if not directed:
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    segment = np.repeat(np.arange(k), sizes)
    g = FollowerGraph.from_edges(src, dst, n_nodes=n, node_attrs={"segment": segment})
    if probabilities is not None:
        g = g.with_probabilities(probabilities, rng=gen)
    return g


def _block_pairs(gen, a, b, p, *, same, directed):
    """Each candidate pair of a block pair independently with probability ``p``.

    Exact and O(edges): the number of edges is Binomial(N, p) over the N
    candidate pairs (ordered pairs ``u != v`` within a block when directed,
    unordered ones when not; all ``a * b`` pairs across two blocks), and which
    pairs is a uniform sample of that many distinct pair indices (numpy's
    sampling without replacement, Floyd's algorithm when the sample is small).
    NetworkX's ``stochastic_block_model`` walks every candidate pair, O(n^2):
    a minute for 50,000 consumers.
    """
    if same:
        N = a * (a - 1) if directed else a * (a - 1) // 2
    else:
        N = a * b
    if N >= 2**60:
        raise ValueError(f"stochastic_block: a block pair has {N:,} candidate pairs, more than "
                         "this generator indexes (2**60); use smaller segments.")
    m = int(gen.binomial(N, p)) if N else 0
    if m == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty
    idx = np.sort(gen.choice(N, size=m, replace=False)).astype(np.int64)
    if not same:
        return idx // b, idx % b
    if directed:  # row u holds v = 0..a-1 without u
        u, r = idx // (a - 1), idx % (a - 1)
        return u, r + (r >= u)
    # unordered: row u holds v = u+1..a-1 and starts at u*(2a-u-1)/2; invert
    # that by a float square root, then correct it exactly in integers
    u = np.floor((2 * a - 1 - np.sqrt((2.0 * a - 1) ** 2 - 8.0 * idx)) / 2).astype(np.int64)
    u = np.clip(u, 0, a - 2)
    for _ in range(2):
        u -= (u * (2 * a - u - 1) // 2 > idx)
        u += ((u + 1) * (2 * a - u - 2) // 2 <= idx) & (u < a - 2)
    return u, idx - u * (2 * a - u - 1) // 2 + u + 1


def assign_segments(graph, n_segments, homophily, *, attr="segment", rng=None):
    """Give every consumer an interest segment, with tunable homophily.

    Planted-partition style, in two steps, all driven by ``rng``:

    1. *Regions.* ``n_segments`` distinct random consumers start one region
       each; the regions grow in turns (round robin, one consumer per turn)
       by breadth-first search over follow ties in either direction, each
       claiming an unclaimed neighbour of the region (neighbours visited in
       random order). A segment whose region has no unclaimed neighbour left
       claims a random unclaimed consumer instead (a new patch), so the
       segment sizes differ by at most one; the segments are contiguous
       patches of the graph.
    2. *Mixing.* Each consumer independently keeps its region's segment with
       probability ``homophily`` and otherwise takes a segment uniformly at
       random.

    So ``homophily=1`` gives contiguous communities of interest (people
    follow people who share their interests) and ``homophily=0`` i.i.d.
    uniform segments (a tie is within a segment with probability
    ``1 / n_segments``). In between, a tie is within a segment with
    probability ``h**2 * s1 + (1 - h**2) / n_segments``, ``s1`` being the
    share at ``h = 1`` for the same ``rng`` (the regions do not depend on
    ``h``).

    Parameters
    ----------
    graph : FollowerGraph
    n_segments : int in [1, n_nodes]
    homophily : float in [0, 1]
    attr : str, default "segment"
        Name of the node attribute written (int64 segment index
        ``0 .. n_segments - 1``).
    rng : int, Generator, optional

    Returns
    -------
    FollowerGraph
        A copy with the attribute set. Mark a target segment for
        :class:`viralsim.WordOfMouth` with
        ``g.with_node_attr("target", g.node_attrs["segment"] == 0)``.

    Examples
    --------
    >>> import numpy as np
    >>> import viralsim as vs
    >>> g = vs.generators.watts_strogatz(12, 2, 0.0, rng=0)
    >>> s = vs.generators.assign_segments(g, 3, 1.0, rng=0).node_attrs["segment"]
    >>> sorted(np.bincount(s).tolist())
    [4, 4, 4]
    """
    from .graph import FollowerGraph

    func = "assign_segments"
    if not isinstance(graph, FollowerGraph):
        raise param_error("graph", func, "a FollowerGraph", type(graph).__name__, exc=TypeError)
    n = graph.n_nodes
    k = check_int(n_segments, "n_segments", func, low=1, high=max(n, 1))
    h = check_probability(homophily, "homophily", func)
    if not isinstance(attr, str):
        raise param_error("attr", func, "a str", attr, exc=TypeError)
    gen = check_rng(rng)
    # undirected neighbourhoods: followers and followees
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(graph.indptr))
    dst = graph.indices.astype(np.int64)
    a = np.concatenate([src, dst])
    b = np.concatenate([dst, src])
    order = np.argsort(a, kind="stable")
    nbr = b[order]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=ptr[1:])
    label = np.full(n, -1, dtype=np.int64)
    queues = [deque() for _ in range(k)]

    def claim(v, s):
        label[v] = s
        row = nbr[ptr[v] : ptr[v + 1]]
        if row.size:
            queues[s].extend(row[gen.permutation(row.size)].tolist())

    for s, v in enumerate(gen.choice(n, size=k, replace=False).tolist()):
        claim(v, s)
    left = n - k
    unclaimed_order = gen.permutation(n).tolist()
    cursor = 0
    while left:
        for s in range(k):
            q = queues[s]
            v = -1
            while q:
                x = q.popleft()
                if label[x] < 0:
                    v = x
                    break
            if v < 0:  # enclosed region: start a new patch
                while label[unclaimed_order[cursor]] >= 0:
                    cursor += 1
                v = unclaimed_order[cursor]
            claim(v, s)
            left -= 1
            if not left:
                break
    mix = gen.random(n) >= h
    label[mix] = gen.integers(0, k, size=int(mix.sum()))
    return graph.with_node_attr(attr, label)


def power_law_expected_degrees(n_nodes, avg_degree, exponent, *, max_degree=None):
    """Expected follower counts of :func:`power_law` (before self-draws and repeats).

    ``lam[u] = min(c * (u + 1) ** (-1 / (exponent - 1)), max_degree)``, with
    ``c`` such that ``lam.sum() == n_nodes * avg_degree``: the expected degree
    sequence of a power law with tail exponent ``exponent`` (Chung & Lu 2002),
    node 0 the most followed.

    Returns
    -------
    ndarray of float64, shape (n_nodes,), decreasing

    Examples
    --------
    >>> import viralsim as vs
    >>> lam = vs.generators.power_law_expected_degrees(1000, 10, 2.5)
    >>> round(float(lam.sum())), bool(lam[0] > lam[-1])
    (10000, True)
    """
    func = "power_law_expected_degrees"
    n = _n(n_nodes, func, low=2)
    d = check_float(avg_degree, "avg_degree", func, low=0.0)
    gamma = check_float(exponent, "exponent", func, low=1.0, low_open=True)
    cap = float(n - 1) if max_degree is None else check_float(
        max_degree, "max_degree", func, low=1.0, high=float(n - 1))
    m = n * d
    if m > n * cap * (1 - 1e-9):
        raise ValueError(
            f"{func}: avg_degree={d} needs more than max_degree={cap:g} follower draws per "
            "consumer; lower avg_degree or raise max_degree (at most n_nodes - 1)."
        )
    w = np.arange(1, n + 1, dtype=np.float64) ** (-1.0 / (gamma - 1.0))
    if m == 0:
        return np.zeros(n)
    cw = np.concatenate([[0.0], np.cumsum(w)])
    W = cw[-1]
    # c * w[i] >= cap for the first k nodes (clipped); find k exactly: sum(min(c w, cap)) = m
    k = 0
    while True:
        c = (m - k * cap) / (W - cw[k])
        if c * w[k] <= cap or k == n - 1:
            break
        k = int(np.searchsorted(-c * w, -cap, side="right"))  # all the nodes clipped at this c
    lam = c * w
    lam[:k] = cap
    return lam


def power_law(n_nodes, avg_degree, exponent=2.5, *, exponent_following=None, max_degree=None,
              probabilities=None, rng=None):
    """Power-law follower graph without NetworkX, for millions of consumers (Chung-Lu).

    Consumer ``u`` has ``lam[u]`` expected followers
    (:func:`power_law_expected_degrees`: a power law with tail exponent
    ``exponent``, node 0 the most followed) and follows accounts chosen in
    proportion to their own power-law weights (exponent
    ``exponent_following``, the same by default), assigned to the consumers
    in a random order: who follows many is not who is followed by many.
    Row ``u`` gets ``Poisson(lam[u])`` follower draws; a draw of ``u``
    itself is dropped and repeated draws are one edge, so ``v`` follows
    ``u`` with probability ``1 - exp(-lam[u] * q[v])`` (about ``lam[u] *
    q[v]``, ``q`` the following weights, normalised). Edges number slightly
    fewer than ``n_nodes * avg_degree`` (the repeats collapsed; the more so
    the heavier the tail). The graph has no clustering beyond chance (use
    :func:`holme_kim` for clustered ties at the sizes NetworkX serves).

    Built by a parallel Numba kernel straight into the CSR; every random
    number of row ``u`` comes from ``u``'s own counter-based stream, so the
    graph depends on ``rng`` only, not on the thread count. 10 million
    consumers and 100 million edges take about a minute on two cores and
    about 1.7 GB at the peak (two int32 edge arrays).

    Parameters
    ----------
    n_nodes : int >= 2
    avg_degree : float >= 0
        Expected follower draws per consumer.
    exponent : float > 1, default 2.5
        Tail exponent of the follower counts (social graphs: 2 to 3).
    exponent_following : float > 1, optional
        Tail exponent of the following counts; default ``exponent``.
    max_degree : float, optional
        Cap on the expected follower count of a consumer; default
        ``n_nodes - 1``.
    probabilities : float or str, optional
        A scheme for :meth:`FollowerGraph.with_probabilities`.
    rng : int, Generator, optional

    Returns
    -------
    FollowerGraph
        Nodes labelled ``0 .. n_nodes - 1``.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.generators.power_law(10_000, 10, 2.5, rng=0)
    >>> g.n_nodes, 90_000 < g.n_edges <= 100_000
    (10000, True)
    >>> int(g.out_degree().argmax())
    0
    """
    from ._kernels import gen as _gen
    from ._numba_threads import parallel_section

    func = "power_law"
    lam = power_law_expected_degrees(n_nodes, avg_degree, exponent, max_degree=max_degree)
    n = lam.shape[0]
    gin = exponent if exponent_following is None else check_float(
        exponent_following, "exponent_following", func, low=1.0, low_open=True)
    gen = check_rng(rng)
    key = np.uint64(int(gen.integers(0, 2**63 - 1, dtype=np.int64)))
    perm = gen.permutation(n).astype(np.int32)
    q = np.arange(1, n + 1, dtype=np.float64) ** (-1.0 / (float(gin) - 1.0))
    prob, alias = _gen.alias_table(q)
    del q
    with parallel_section():
        draws = _gen.row_draws(key, lam)
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(draws, out=ptr[1:])
        del draws
        tmp = np.empty(int(ptr[-1]), dtype=np.int32)
        kept = _gen.fill_rows(key, ptr, prob, alias, perm, tmp)
        del prob, alias, perm
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(kept, out=indptr[1:])
        del kept
        indices = np.empty(int(indptr[-1]), dtype=np.int32)
        _gen.compact_rows(ptr, tmp, indptr, indices)
    del tmp, ptr
    g = FollowerGraph._from_canonical(indptr, indices, None, np.arange(n, dtype=np.int64), {})
    if probabilities is not None:
        g = g.with_probabilities(probabilities, rng=gen)
    return g
