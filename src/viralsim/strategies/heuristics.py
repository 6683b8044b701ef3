"""Baseline targeting heuristics: random, most followers, PageRank, degree discount.

Cheap, model-free rules a practitioner reaches for first, and the bar the
guaranteed strategies must clear.
"""

import numpy as np

from .._validation import check_float, check_int
from ._base import Strategy, rank_static, register_strategy, take_within_budget

__all__ = [
    "RandomSeeds",
    "MaxDegree",
    "PageRankSeeds",
    "DegreeDiscount",
    "SingleDiscount",
    "random",
    "degree",
    "pagerank",
    "degree_discount",
    "single_discount",
]


@register_strategy
class RandomSeeds(Strategy):
    """Seeds drawn uniformly at random: the baseline every plan must beat.

    Notes
    -----
    ``k`` seeds are the first ``k`` of one random permutation drawn from
    ``rng`` (so a smaller ``k`` is a prefix of a larger one). Under a budget,
    the permutation is walked and each seed whose cost still fits is taken.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.generators.erdos_renyi(20, 0.2, rng=0)
    >>> sel = vs.strategies.RandomSeeds().select(g, k=3, rng=0)
    >>> len(set(sel.seeds))
    3
    """

    name = "random"
    nested = True

    def __init__(self):
        pass

    def _select(self, req):
        n = req.graph.n_nodes
        order = req.gen.permutation(n)
        if not req.budgeted:
            return {"indices": order[: req.k], "scores": np.zeros(req.k)}
        picks = take_within_budget(order, req.costs_or_ones(), req.limit)
        return {"indices": picks, "scores": np.zeros(len(picks))}


@register_strategy
class MaxDegree(Strategy):
    """Most followers first (highest out-degree).

    Notes
    -----
    Score = number of followers (out-degree: edge ``u -> v`` means v
    follows u). Ties go to the smaller node index. Under a budget, nodes are
    taken by followers per unit cost while their cost fits. Deterministic:
    ``rng`` is not used.

    References
    ----------
    D. Kempe, J. Kleinberg, É. Tardos. Maximizing the spread of influence
    through a social network. KDD 2003 (the high-degree baseline).

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges(["a", "a", "b"], ["b", "c", "c"])
    >>> vs.strategies.degree(g, k=2).seeds
    ['a', 'b']
    """

    name = "degree"
    nested = True

    def __init__(self):
        pass

    def _select(self, req):
        return rank_static(req, req.graph.out_degree())


@register_strategy
class PageRankSeeds(Strategy):
    """Highest PageRank on the "who listens to whom" direction.

    Parameters
    ----------
    alpha : float, default 0.85
        Damping factor.
    use_probs : bool, default True
        Weight each vote by the edge probability (when the graph has them).
    tol : float, default 1e-10
        Stop when the L1 change of the rank vector is below ``tol``.
    max_iter : int, default 1000

    Notes
    -----
    Influence flows along ``u -> v`` (v follows u), so rank must flow the
    other way: the random surfer stands at a follower ``v`` and jumps to an
    account ``u`` that ``v`` follows, with probability proportional to
    ``p(u, v)`` (uniform over the followed accounts without probabilities).
    An account ranks high when it is followed by accounts that rank high:
    "who is listened to". This is PageRank on the reversed follower graph
    (under weighted cascade the vote weights are exactly ``p(u, v)``, since
    a follower's in-probabilities sum to 1). Followers who follow nobody
    jump uniformly (standard dangling-node rule). Power iteration with
    scipy.sparse; ties by smaller index; ``rng`` is not used.

    References
    ----------
    S. Brin, L. Page. The anatomy of a large-scale hypertextual web search
    engine. WWW 1998.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 0, 0, 1], [1, 2, 3, 2], probs=0.5)
    >>> vs.strategies.pagerank(g, k=1).seeds
    [0]
    """

    name = "pagerank"
    nested = True

    def __init__(self, alpha=0.85, use_probs=True, tol=1e-10, max_iter=1000):
        self.alpha = alpha
        self.use_probs = use_probs
        self.tol = tol
        self.max_iter = max_iter

    def scores(self, graph):
        """PageRank of every node (sums to 1), by index."""
        import scipy.sparse as sp

        func = "PageRankSeeds"
        alpha = check_float(self.alpha, "alpha", func, low=0.0, high=1.0)
        tol = check_float(self.tol, "tol", func, low=0.0, low_open=True)
        max_iter = check_int(self.max_iter, "max_iter", func, low=1)
        n = graph.n_nodes
        if n == 0:
            return np.zeros(0)
        w = (
            graph.probs.astype(np.float64)
            if (self.use_probs and graph.probs is not None)
            else np.ones(graph.n_edges)
        )
        wout = np.bincount(graph.indices, weights=w, minlength=n)  # a follower's total vote
        dangling = wout <= 0
        safe = np.where(dangling, 1.0, wout)
        A = sp.csr_matrix((w / safe[graph.indices], graph.indices, graph.indptr), shape=(n, n))
        r = np.full(n, 1.0 / n)
        for _ in range(max_iter):
            new = alpha * (A @ r) + (alpha * r[dangling].sum() + 1.0 - alpha) / n
            done = np.abs(new - r).sum() < tol
            r = new
            if done:
                break
        return r

    def _select(self, req):
        return rank_static(req, self.scores(req.graph))


def _uniform_p(graph, p, func):
    """The p of the paper's formula: given, or the graph's single probability, or None."""
    if p is not None:
        return check_float(p, "p", func, low=0.0, high=1.0)
    if graph.probs is None:
        raise ValueError(
            f"{func} needs edge probabilities: set them on the graph "
            "(g.with_probabilities(0.01)) or pass p=0.01."
        )
    if graph.n_edges == 0:
        return 0.0
    lo, hi = float(graph.probs.min()), float(graph.probs.max())
    return lo if lo == hi else None


def _pick_loop(req, score, update):
    """Repeated argmax of ``score`` (per cost under a budget); ``update(s)`` refreshes scores."""
    n = req.graph.n_nodes
    c = req.costs_or_ones()
    picked = np.zeros(n, dtype=bool)
    picks, won = [], []
    left = req.limit
    while len(picks) < req.k:
        crit = score / c if req.budgeted else score.copy()
        crit[picked | (c > left)] = -np.inf
        if not np.isfinite(crit).any():
            break
        s = int(np.argmax(crit))  # first maximum: ties to the smaller index
        picks.append(s)
        won.append(crit[s])
        picked[s] = True
        left -= c[s]
        update(s)
    return {"indices": np.asarray(picks, dtype=np.int64), "scores": np.asarray(won)}


@register_strategy
class DegreeDiscount(Strategy):
    """Degree discount (Chen, Wang & Yang 2009), directed.

    Parameters
    ----------
    p : float, optional
        Propagation probability of the paper's formula. Default: the graph's
        probability when all edges share one; otherwise the generalised
        score of the Notes.

    Notes
    -----
    The paper's undirected score for a node with degree ``d`` and ``t``
    neighbours already chosen is ``d − 2t − (d − t)·t·p``, the first-order
    expansion of ``(1 − p)^t · (1 + (d − t)·p)``: v is worth its own
    adoption if no chosen neighbour reaches it, plus its non-seed neighbours.
    On a follower graph the two roles of ``t`` split: ``a`` = seeds that v
    follows (who may already have reached v), ``b`` = v's followers that are
    seeds (wasted edges), ``d`` = v's followers, and the same expansion of
    ``(1 − p)^a · (1 + (d − b)·p)`` gives::

        dd(v) = d − a − b − a·(d − b)·p

    which is the paper's formula when every tie is mutual (a = b = t).

    With non-uniform probabilities (``p=None`` and edges that differ) the
    formula is used with the mean edge probability, so the first pick is
    the most-followed account, as in the paper (whose experiments use
    degree discount as a degree refinement also under weighted cascade).
    Picks are repeated argmax (ties: smaller index), per unit cost under a
    budget; ``rng`` is not used.

    References
    ----------
    W. Chen, Y. Wang, S. Yang. Efficient influence maximization in social
    networks. KDD 2009.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 1, 0, 2, 0, 3, 3, 4], [1, 0, 2, 0, 3, 0, 4, 3], probs=0.1)
    >>> vs.strategies.degree_discount(g, k=2).seeds  # 3 is discounted: it follows seed 0
    [0, 4]
    """

    name = "degree_discount"
    nested = True

    def __init__(self, p=None):
        self.p = p

    def _select(self, req):
        g = req.graph
        n = g.n_nodes
        p = _uniform_p(g, self.p, "DegreeDiscount")
        mean_note = ""
        if p is None:
            # mixed probabilities: the paper's formula with the mean edge probability, so the
            # first pick is still the most-followed account (as in Chen et al.'s experiments)
            p = float(np.mean(g.probs, dtype=np.float64)) if g.n_edges else 0.0
            mean_note = " (mean edge probability: the graph's probabilities differ)"
        d = g.out_degree().astype(np.float64)
        rindptr, rindices, _ = _reverse(g)
        a = np.zeros(n)
        b = np.zeros(n)
        score = d.copy()

        def update(s):
            fw = g.indices[g.indptr[s]: g.indptr[s + 1]]  # followers of s: they follow a seed
            a[fw] += 1
            bw = rindices[rindptr[s]: rindptr[s + 1]]  # accounts s follows: a follower is a seed
            b[bw] += 1
            touched = np.concatenate([fw, bw])
            score[touched] = (d - a - b - a * (d - b) * p)[touched]

        out = _pick_loop(req, score, update)
        out["notes"] = (
            f"degree discount with p = {p:g}{mean_note} (Chen et al. 2009, directed form)",
        )
        return out


def _reverse(g):
    if g.probs is not None:
        return g.reverse_csr()
    src = np.repeat(np.arange(g.n_nodes, dtype=np.int32), np.diff(g.indptr))
    order = np.lexsort((src, g.indices))
    rindptr = np.zeros(g.n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(g.indices, minlength=g.n_nodes), out=rindptr[1:])
    return rindptr, src[order], None


@register_strategy
class SingleDiscount(Strategy):
    """Single discount (Chen, Wang & Yang 2009), directed.

    Notes
    -----
    Score = followers minus followers already chosen as seeds (an edge into
    a seed reaches nobody new); on mutual ties this is the paper's "degree
    minus seed neighbours". Repeated argmax (ties: smaller index), per unit
    cost under a budget; model-free; ``rng`` is not used.

    References
    ----------
    W. Chen, Y. Wang, S. Yang. Efficient influence maximization in social
    networks. KDD 2009.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 1, 0, 2, 1, 2], [1, 0, 2, 0, 2, 1])
    >>> vs.strategies.single_discount(g, k=2).seeds
    [0, 1]
    """

    name = "single_discount"
    nested = True

    def __init__(self):
        pass

    def _select(self, req):
        g = req.graph
        score = g.out_degree().astype(np.float64)
        rindptr, rindices, _ = _reverse(g)

        def update(s):
            np.subtract.at(score, rindices[rindptr[s]: rindptr[s + 1]], 1.0)

        return _pick_loop(req, score, update)


def _twin(cls):
    def f(graph, k=None, *, budget=None, costs=None, model=None, rng=None, **params):
        return cls(**params).select(graph, k=k, budget=budget, costs=costs, model=model, rng=rng)

    f.__name__ = cls.name
    f.__qualname__ = cls.name
    f.__doc__ = (
        f"Function form of :class:`{cls.__name__}`: ``{cls.name}(graph, k, **params)`` is "
        f"``{cls.__name__}(**params).select(graph, k=k)``. See the class for details."
    )
    return f


random = _twin(RandomSeeds)
degree = _twin(MaxDegree)
pagerank = _twin(PageRankSeeds)
degree_discount = _twin(DegreeDiscount)
single_discount = _twin(SingleDiscount)
