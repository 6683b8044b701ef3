"""IMM and OPIM-C on several platforms: the multiplex model as one coupled graph.

The multiplex campaign model (:class:`viralsim.MultiplexGraph`, the kernel
:func:`viralsim._kernels.campaign.multiplex_worlds`) is, world by world:

- an adopter ``u`` comments on each platform ``l`` it is a member of: a
  seed always, anyone else iff the coin of ``(world, u, l)`` succeeds
  (probability ``c_l``, the platform's comment probability);
- the comment persuades each follower ``v`` of u on ``l`` iff the edge's
  coin of ``(world, l, u -> v)`` succeeds (the layer's edge probability).

All coins are independent, so it is a live-edge model on the **coupled
graph** (in the spirit of Nguyen et al., ICDM 2013, who couple the layers
of a multiplex network into one graph): the ``n`` consumers, plus one
*comment node* ``(u, l)`` per member ``u`` of each platform ``l`` with
``c_l < 1`` (and followers on ``l``), with edges

- ``u -> (u, l)`` with probability ``c_l`` (u's comment on l; no edge when
  ``c_l = 0``),
- ``(u, l) -> v`` with the edge's probability, for each follower v of u on l;

and, on a platform with ``c_l = 1`` (a comment is certain), the edges
``u -> v`` directly (parallel edges of several such platforms merged into one
with probability ``1 - prod(1 - p)``, the chance that one fires). Seeding
consumer u seeds u and its comment nodes (a seed always comments); the
reach is the number of consumers reached. Exposure: consumer v sees the
campaign iff v is reached or a reached node has an edge into v.

Reverse influence sampling then applies as on one graph (Borgs et al. 2014):
RR sets rooted at consumers only (comment nodes have root weight 0), each
member replaced by the consumer it belongs to (``(u, l)`` by ``u``, repeats
dropped), so a consumer set meets an RR set iff seeding it reaches the root,
and ``n`` times the fraction of sets met estimates the reach without bias.
IMM's and OPIM-C's bounds use ``n`` consumers (comment nodes are never
seeds), and their guarantees hold as on one graph.

One platform needs no comment nodes: its RR sets are those of
:func:`viralsim.strategies.imm` on the layer (its comment probability as
``vs.WordOfMouth(comment_prob=c)``'s, a seed always commenting), so a
one-platform MultiplexGraph gives the single graph's seeds bit for bit.

References
----------
D. T. Nguyen, H. Zhang, S. Das, M. T. Thai, T. N. Dinh. Least cost influence
in multiplex social networks: model representation and analysis. ICDM 2013.

C. Borgs, M. Brautbar, J. Chayes, B. Lucier. Maximizing social influence in
nearly optimal time. SODA 2014.
"""

import copy
import dataclasses
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._kernels import rr as _rr
from ._kernels.config import NJIT
from ._validation import shown
from .exceptions import ModelNotSupported
from .graph import FollowerGraph
from .models import IC, WordOfMouth
from .strategies.ris import RRCollection

__all__ = ["CoupledGraph", "couple"]


@dataclass(frozen=True, eq=False)
class CoupledGraph:
    """A :class:`~viralsim.MultiplexGraph` as one independent-cascade graph.

    Attributes
    ----------
    graph : FollowerGraph
        Nodes ``0 .. n_consumers - 1`` are the consumers (same order as the
        multiplex graph), then the comment nodes; labels are the node indices.
    is_consumer : ndarray of bool, shape (graph.n_nodes,)
    owner : ndarray of int32, shape (graph.n_nodes,)
        The consumer each node belongs to (itself for a consumer).
    platform : ndarray of int32, shape (graph.n_nodes,)
        A comment node's platform index (-1 for consumers).
    n_consumers : int
    comment_probs : tuple of float
        Each platform's comment probability, as used.

    Notes
    -----
    Under ``vs.IC()`` on ``graph``, seeding :meth:`seeds_of` of a consumer
    set reaches, in distribution, the consumers the multiplex model reaches
    from that set (see :mod:`viralsim.multiplex_ris`).

    Examples
    --------
    >>> import viralsim as vs
    >>> a = vs.FollowerGraph.from_edges([0, 1], [1, 2], probs=0.5)
    >>> b = vs.FollowerGraph.from_edges([2], [0], n_nodes=3, probs=0.5)
    >>> cg = vs.MultiplexGraph({"a": a, "b": b}, comment_probs={"a": 0.25}).coupled()
    >>> cg.owner.tolist(), cg.platform.tolist()
    ([0, 1, 2, 0, 1], [-1, -1, -1, 0, 0])
    >>> cg.seeds_of([1]).tolist()
    [1, 4]
    """

    graph: FollowerGraph
    is_consumer: np.ndarray = field(repr=False)
    owner: np.ndarray = field(repr=False)
    platform: np.ndarray = field(repr=False)
    n_consumers: int = 0
    comment_probs: tuple = ()

    def seeds_of(self, consumers):
        """Coupled node indices of seeding ``consumers`` (indices): each with its
        comment nodes (a seed always comments)."""
        c = np.unique(np.asarray(consumers, dtype=np.int64))
        if c.size and (c[0] < 0 or c[-1] >= self.n_consumers):
            raise ValueError(f"CoupledGraph.seeds_of: consumer indices must be in [0, "
                             f"{self.n_consumers}). Got {int(c[0] if c[0] < 0 else c[-1])}; "
                             "pass node indices (graph.index_of(labels)), not labels.")
        return np.flatnonzero(np.isin(self.owner, c)).astype(np.int64)


def _comment_probs(mg, model):
    c = float(getattr(model, "comment_prob", 1.0))
    return tuple(float(mg.comment_probs.get(p, c)) for p in mg.platforms)


def check_multiplex_model(model, func):
    """``model`` (default IC) checked for a MultiplexGraph: IC or live-edge
    WordOfMouth without off-target thinning."""
    model = IC() if model is None else model
    ok = type(model) is IC or (type(model) is WordOfMouth and model.is_live_edge
                               and model.off_target_factor == 1.0)
    if not ok:
        raise ModelNotSupported(
            f"{func}: a MultiplexGraph's platforms are coupled into one independent cascade, "
            "for vs.IC() or vs.WordOfMouth without reinforcement, amplification and "
            f"off-target thinning. Got {shown(model)} instead; pass model=vs.IC() and give "
            "each platform its comment probability with MultiplexGraph(comment_probs=...)."
        )
    return model


def couple(mg, model=None):
    """The coupled graph of ``mg`` under ``model`` (see :class:`CoupledGraph`)."""
    model = check_multiplex_model(model, "MultiplexGraph.coupled")
    cps = _comment_probs(mg, model)
    n = mg.n_nodes
    src, dst, prob = [], [], []
    owner = [np.arange(n, dtype=np.int32)]
    plat = [np.full(n, -1, dtype=np.int32)]
    nxt = n
    for lay, name in enumerate(mg.platforms):
        g, mem, c = mg.layers[name], mg.members[name], cps[lay]
        deg = np.diff(g.indptr)
        u = np.repeat(np.arange(n, dtype=np.int64), deg)
        keep = mem[u]
        u, v, p = u[keep], g.indices[keep].astype(np.int64), g.probs[keep].astype(np.float64)
        if c >= 1.0:
            src.append(u), dst.append(v), prob.append(p)
            continue
        who = np.flatnonzero(mem & (deg > 0))  # a comment nobody sees: no node
        node = np.full(n, -1, dtype=np.int64)
        node[who] = nxt + np.arange(who.size)
        owner.append(who.astype(np.int32))
        plat.append(np.full(who.size, lay, dtype=np.int32))
        if c > 0.0:
            src.append(who.astype(np.int64)), dst.append(node[who])
            prob.append(np.full(who.size, c))
        src.append(node[u]), dst.append(v), prob.append(p)
        nxt += who.size
    src = np.concatenate(src) if src else np.zeros(0, dtype=np.int64)
    dst = np.concatenate(dst) if dst else np.zeros(0, dtype=np.int64)
    prob = np.concatenate(prob) if prob else np.zeros(0)
    # parallel edges (several sure-comment platforms) merged: one fires iff any does
    key = src * nxt + dst
    uniq, inv = np.unique(key, return_inverse=True)
    if uniq.size < key.size:
        with np.errstate(divide="ignore"):
            logq = np.zeros(uniq.size)
            np.add.at(logq, inv, np.log1p(-prob))
        prob = -np.expm1(logq)
        src, dst = uniq // nxt, uniq % nxt
    graph = FollowerGraph.from_edges(src, dst, probs=prob, n_nodes=nxt)
    owner = np.concatenate(owner)
    return CoupledGraph(graph=graph, is_consumer=np.arange(nxt) < n, owner=owner,
                        platform=np.concatenate(plat), n_consumers=n, comment_probs=cps)


@njit(**NJIT)
def _map_sets(sizes, members, owner, stamp, mark):
    """Each set's members (``sizes[s]`` consecutive ones a set) replaced by their
    owners, repeats dropped (first kept): ``(sizes, members, mark)``.

    ``stamp`` (int64, one per owner) holds no mark above ``mark``; each set takes
    the next mark, and the last one is returned (so one ``stamp`` serves many calls).
    """
    out = np.empty(members.shape[0], dtype=np.int32)
    kept = np.zeros(sizes.shape[0], dtype=np.int64)
    pos = 0
    j = 0
    for s in range(sizes.shape[0]):
        mark += 1
        first = pos
        for _ in range(sizes[s]):
            o = owner[members[j]]
            j += 1
            if stamp[o] != mark:
                stamp[o] = mark
                out[pos] = o
                pos += 1
        kept[s] = pos - first
    return kept, out[:pos].copy(), mark


class CoupledRRCollection(RRCollection):
    """RR sets of a multiplex graph over its consumers: the
    :class:`~viralsim.strategies.RRCollection` of the coupled graph, roots drawn
    among the consumers by their weights, each set's members replaced by their
    consumers (repeats dropped, first kept).

    Set ``i`` is RR set ``base + i`` of the coupled graph so mapped: a pure
    function of ``(graph, key, base, weights, mode)`` and ``i``, whatever the
    order in which the collection grew. ``n`` is the number of consumers.

    Examples
    --------
    >>> import viralsim as vs
    >>> from viralsim.multiplex_ris import CoupledRRCollection
    >>> a = vs.FollowerGraph.from_edges([0], [1], n_nodes=3, probs=1.0)
    >>> b = vs.FollowerGraph.from_edges([1], [2], n_nodes=3, probs=1.0)
    >>> mg = vs.MultiplexGraph({"a": a, "b": b}, comment_probs={"a": 0.5, "b": 0.5})
    >>> rr = CoupledRRCollection(mg.coupled(), key=0).extend_to(4000)
    >>> round(rr.estimate([0]), 1)  # 1 + 1 (a seed comments) + 0.5 (node 1 comments on b)
    2.5
    """

    def __init__(self, coupled, key, *, base=0, weights=None, mode=_rr.MODE_IC):
        n = coupled.n_consumers
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
        # comment nodes have root weight 0
        super().__init__(coupled.graph, key, base=base, mode=mode,
                         weights=np.concatenate([w, np.zeros(coupled.graph.n_nodes - n)]))
        self.coupled = coupled
        self.n = n
        self.total_w = float(w.sum())
        self._stamp = None

    def extend_to(self, n_sets):
        """Grow to ``n_sets`` sets (no-op if already that large)."""
        if int(n_sets) <= self.n_sets:
            return self
        # one stamp (8 bytes a consumer) for all the pieces of this growth, freed after
        self._stamp, self._mark = np.zeros(self.n, dtype=np.int64), 0
        try:
            return super().extend_to(n_sets)
        finally:
            self._stamp = None

    def _map_members(self, sizes, members):
        """Members replaced by their consumers, repeats dropped (:func:`_map_sets`)."""
        if self._stamp is None:  # grown other than by extend_to
            self._stamp, self._mark = np.zeros(self.n, dtype=np.int64), 0
            try:
                return self._map_members(sizes, members)
            finally:
                self._stamp = None
        kept, mem, self._mark = _map_sets(sizes, members, self.coupled.owner, self._stamp,
                                          np.int64(self._mark))
        return kept, mem


class _Coupling:
    """What IMM/OPIM-C's ``_collections`` needs of a MultiplexGraph."""

    def __init__(self, mg, model):
        self.mg = mg
        self.model = model
        self.cps = _comment_probs(mg, model)
        self.nodes = None  # the coupled graph's, once built

    def _single_layer(self):
        """``(mode, graph, comment_prob)`` when one platform needs no comment nodes."""
        if len(self.mg.platforms) != 1:
            return None
        name = self.mg.platforms[0]
        g, mem, c = self.mg.layers[name], self.mg.members[name], self.cps[0]
        if not mem.all():  # non-members do not comment there: their rows dropped
            deg = np.diff(g.indptr)
            u = np.repeat(np.arange(g.n_nodes), deg)
            keep = mem[u]
            g = FollowerGraph.from_edges(u[keep], g.indices[keep], probs=g.probs[keep],
                                         n_nodes=g.n_nodes)
        return (_rr.MODE_IC if c >= 1.0 else _rr.MODE_IC_COMMENT), g, c

    def collections(self, strategy, req, func, key):
        from .strategies._base import check_goal, node_weights
        from .strategies.ris import SECOND_BASE

        if strategy.backend is not None:
            from .distributed import get_backend

            if getattr(get_backend(strategy.backend), "name", "serial") != "serial":
                raise ValueError(f"{func}: backend={shown(strategy.backend)} is not supported on "
                                 "a MultiplexGraph yet. Leave backend=None (RR sets in this "
                                 "process).")
        expo = _rr.MODE_EXPOSURE if check_goal(strategy.goal, func) == "exposure" else 0
        weights = node_weights(req.graph, strategy.weight_attr, func)
        single = self._single_layer()
        if single is not None:
            mode, g, c = single
            self.nodes = g.n_nodes
            return (RRCollection(g, key, weights=weights, mode=mode | expo, comment_prob=c),
                    RRCollection(g, key, base=SECOND_BASE, weights=weights, mode=mode | expo,
                                 comment_prob=c),
                    weights)
        cg = couple(self.mg, self.model)
        self.nodes = cg.graph.n_nodes
        return (CoupledRRCollection(cg, key, weights=weights, mode=_rr.MODE_IC | expo),
                CoupledRRCollection(cg, key, base=SECOND_BASE, weights=weights,
                                    mode=_rr.MODE_IC | expo),
                weights)


def select_multiplex(strategy, mg, *, k, budget, costs, model, rng):
    """``strategy.select`` (IMM or OPIM-C) on a MultiplexGraph: the seeds among its
    consumers (labels of its layers), node attributes (costs, weights) from
    :attr:`~viralsim.MultiplexGraph.base`."""
    func = f"{type(strategy).__name__}.select"
    model = check_multiplex_model(model, func)
    for name, g in mg.layers.items():
        model._validate_for(g, f"{func} (platform {name!r})")
    clone = copy.copy(strategy)
    clone._coupling = coupling = _Coupling(mg, model)
    from .strategies._base import Strategy

    sel = Strategy.select(clone, mg.base, k=k, budget=budget, costs=costs, model=model,
                          rng=rng)
    if coupling.nodes is None:  # k = 0: nothing sampled
        return sel
    n_pl = len(mg.platforms)
    how = ("RR sets of its one layer" if coupling.nodes == mg.n_nodes and n_pl == 1 else
           f"RR sets of its coupled graph ({coupling.nodes:,} nodes: consumers and comment "
           "nodes)")
    note = f"MultiplexGraph of {n_pl} platform{'' if n_pl == 1 else 's'}: {how}"
    info = dict(sel.info, coupled_nodes=coupling.nodes)
    return dataclasses.replace(sel, notes=sel.notes + (note,), info=info)
