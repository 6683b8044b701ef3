"""The follower graph: an immutable CSR of "who hears whom".

An edge ``u -> v`` means *v follows u*: when u comments, v sees it and adopts
with probability ``p(u, v)``. All public functions speak node **labels** (the
ids the user gave); kernels speak node **indices** ``0 .. n_nodes - 1``.
"""

import numbers
import warnings
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ._validation import check_probability, param_error, shown
from .exceptions import AttributeNotFound, NodeNotFound, ViralsimWarning

# PROBABILITY_SCHEMES and TRIVALENCY_VALUES live in viralsim.probabilities; imported
# here, where they were first defined, so the old import path keeps working
from .probabilities import (  # noqa: F401
    PROBABILITY_SCHEMES,
    TRIVALENCY_VALUES,
    check_edge_probabilities,
    edge_probabilities,
)

__all__ = ["FollowerGraph", "PROBABILITY_SCHEMES"]

_MAX_NODES = 2**31 - 2  # int32 node indices; kernels also use index n as a dummy node


def _too_many_nodes(n, func):
    return ValueError(
        f"{func}: {n:,} nodes, more than the {_MAX_NODES:,} a FollowerGraph indexes (node "
        "indices are int32). Relabel the ids to 0..n-1 (read_edgelist does) or split the graph."
    )

def _readonly(a):
    """``a`` made contiguous and read-only (:func:`viralsim._kernels.config.readonly`:
    the flag is set on a view, never on an array someone else holds)."""
    from ._kernels.config import readonly

    return readonly(np.ascontiguousarray(a))


class FollowerGraph:
    """Immutable follower graph in compressed sparse row (CSR) form.

    Row ``u`` lists the followers of ``u`` (the people who see u's comments),
    each with the probability that u's comment makes them adopt.

    Build one with :meth:`from_edges`, :meth:`from_networkx`,
    :func:`viralsim.read_edgelist` or a generator in :mod:`viralsim.generators`;
    never from the constructor directly.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n_nodes + 1,)
    indices : ndarray of int32, shape (n_edges,)
        Followers, row by row. Within a row, edges are ordered by decreasing
        probability, then by follower index (the kernels rely on this order to
        skip dead edges).
    probs : ndarray of float32, shape (n_edges,) or None
        Edge probabilities aligned with ``indices``; ``None`` until set with
        :meth:`with_probabilities`.
    labels : ndarray, shape (n_nodes,)
        The user's node ids, by index.
    node_attrs : mapping of str to ndarray
        Per-node attributes (segments, costs, ...), by index.

    Notes
    -----
    Memory: 4 bytes per edge for ``indices`` and 4 for ``probs`` (8 in all),
    plus 8 bytes per node for ``indptr``; labels and attributes aside. The
    reverse CSR used by reverse-reachable sampling is built on first use and
    counted separately (:attr:`reverse_nbytes`).

    Policies on the way in: self-loops are dropped (counted in a
    :class:`~viralsim.ViralsimWarning`); duplicate edges are merged into one
    whose probability is ``1 - prod(1 - p_i)`` (also counted in a warning), the
    chance that at least one of the parallel edges fires.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges(["ann", "ann", "bob"], ["bob", "cid", "cid"], probs=[1.0, 0.5, 0.0])
    >>> g
    FollowerGraph(n_nodes=3, n_edges=3, probabilities='mixed')
    >>> g.followers("ann")
    ['bob', 'cid']
    """

    # __weakref__: backends hold graphs weakly (the Ray backend's object-store copies)
    __slots__ = ("_indptr", "_indices", "_probs", "_labels", "_attrs", "_cache", "__weakref__")

    def __init__(self, *args, **kwargs):
        raise TypeError(
            "FollowerGraph is not built directly: use FollowerGraph.from_edges, "
            "FollowerGraph.from_networkx, viralsim.read_edgelist or viralsim.generators."
        )

    # ------------------------------------------------------------------ construction
    @classmethod
    def _from_canonical(cls, indptr, indices, probs, labels, attrs):
        """Wrap arrays already in canonical CSR form. Prior validation is assumed."""
        self = object.__new__(cls)
        self._indptr = _readonly(np.asarray(indptr, dtype=np.int64))
        self._indices = _readonly(np.asarray(indices, dtype=np.int32))
        self._probs = None if probs is None else _readonly(np.asarray(probs, dtype=np.float32))
        self._labels = _readonly(np.asarray(labels))
        self._attrs = {k: _readonly(v) for k, v in (attrs or {}).items()}
        self._cache = {}
        return self

    @classmethod
    def _build(cls, src, dst, probs, n_nodes, labels, attrs, func):
        """src/dst are validated int64 indices in [0, n_nodes)."""
        loops = src == dst
        n_loops = int(loops.sum())
        if n_loops:
            warnings.warn(
                f"{func}: dropped {n_loops} self-loop(s) (a consumer does not follow "
                "themselves).",
                ViralsimWarning,
                stacklevel=3,
            )
            keep = ~loops
            src, dst = src[keep], dst[keep]
            probs = None if probs is None else probs[keep]
        # sort by (src, dst) to find duplicates: a counting sort by src and a stable sort
        # of each row by dst (O(n + m) plus the rows), the order of
        # np.argsort(src * n + dst, kind="stable") without its m-sized keys
        from ._kernels.csr import sort_by_row

        indptr, order, n_dup = sort_by_row(src, dst, n_nodes)
        dst = dst[order]
        if probs is not None:
            probs = probs[order]
        del order
        if not n_dup:
            return cls._canonical_rows(indptr, dst, probs, labels, attrs)
        warnings.warn(
            f"{func}: merged {n_dup} duplicate edge(s) into one edge each with "
            "probability 1 - prod(1 - p_i).",
            ViralsimWarning,
            stacklevel=3,
        )
        src = np.repeat(np.arange(n_nodes, dtype=np.int64), np.diff(indptr))
        new = np.ones(src.size, dtype=bool)
        new[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
        starts = np.flatnonzero(new)
        if probs is not None:
            with np.errstate(divide="ignore"):
                logq = np.log1p(-probs)
            probs = -np.expm1(np.add.reduceat(logq, starts))
        src, dst = src[starts], dst[starts]
        return cls._canonical_from_sorted(src, dst, probs, n_nodes, labels, attrs)

    @classmethod
    def _canonical_rows(cls, indptr, dst, probs, labels, attrs, own_probs=False):
        """Rows ``indptr`` of unique edges ``dst`` put in canonical order (decreasing
        float32 probability, ties by index) by a per-row sort, and wrapped.
        ``own_probs``: ``probs`` is a float32 array no one else holds (sorted in place)."""
        if probs is None:
            return cls._from_canonical(indptr, dst, None, labels, attrs)
        from ._kernels.csr import canonical_rows

        indices = np.asarray(dst).astype(np.int32)  # copies: sorted in place
        p32 = probs if own_probs else np.asarray(probs).astype(np.float32)
        canonical_rows(_readonly(indptr), indices, p32)
        return cls._from_canonical(indptr, indices, p32, labels, attrs)

    @classmethod
    def _canonical_from_sorted(cls, src, dst, probs, n_nodes, labels, attrs):
        """Edges unique, ``src`` non-decreasing; reorder each row by decreasing
        probability and build CSR (the order of ``np.lexsort((dst, -p32, src))``)."""
        from ._kernels.csr import rows_of_sorted

        indptr, ok = rows_of_sorted(np.asarray(src), n_nodes)
        if ok:
            return cls._canonical_rows(indptr, dst, probs, labels, attrs)
        if probs is not None:  # src out of order: the comparison sort
            order = np.lexsort((dst, -np.asarray(probs, dtype=np.float32), src))
            src, dst, probs = src[order], dst[order], probs[order]
        counts = np.bincount(src, minlength=n_nodes)
        indptr = np.zeros(n_nodes + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls._from_canonical(indptr, dst, probs, labels, attrs)

    @classmethod
    def from_edges(cls, src, dst, probs=None, n_nodes=None, labels=None, node_attrs=None):
        """Build a graph from parallel arrays of edges ``src[i] -> dst[i]``.

        Parameters
        ----------
        src, dst : array-like
            Edge ends: ``dst[i]`` follows ``src[i]``. Either integer node ids
            (then nodes are ``0 .. n_nodes - 1``, or indices into ``labels``
            when ``labels`` is given) or any other hashable labels (strings...),
            in which case nodes are labelled in order of first appearance.
        probs : array-like of float in [0, 1], optional
            Probability per edge; ``None`` leaves the graph without
            probabilities (set them with :meth:`with_probabilities`).
        n_nodes : int, optional
            Number of nodes for integer ids (isolated nodes allowed). Default:
            largest id + 1.
        labels : sequence, optional
            Label of each node index; ``src``/``dst`` are then indices into it.
        node_attrs : dict of str to array-like, optional
            Per-node values aligned with the node indices.

        Returns
        -------
        FollowerGraph

        Raises
        ------
        ValueError
            Length mismatches, ids outside ``[0, n_nodes)``, probabilities
            outside [0, 1] or NaN, duplicate labels.

        Examples
        --------
        >>> import viralsim as vs
        >>> g = vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2], probs=0.5)
        >>> g.n_nodes, g.n_edges
        (3, 3)
        """
        func = "FollowerGraph.from_edges"
        src_a, dst_a = _id_array(src), _id_array(dst)
        if src_a.ndim != 1 or dst_a.ndim != 1 or src_a.shape != dst_a.shape:
            raise ValueError(
                f"The 'src' and 'dst' parameters of {func} must be 1-D arrays of the same "
                f"length. Got shapes {src_a.shape} and {dst_a.shape} instead."
            )
        m = src_a.shape[0]
        int_ids = (src_a.dtype.kind in "iu" or m == 0) and (dst_a.dtype.kind in "iu" or m == 0)
        if labels is not None:
            labels_a = _given_labels(labels, n_nodes, int_ids, func)
        elif int_ids:
            labels_a = np.arange(_count_integer_ids(src_a, dst_a, n_nodes, func), dtype=np.int64)
        else:
            src_a, dst_a, labels_a = _labels_by_first_appearance(src_a, dst_a, n_nodes, func)
        n = labels_a.shape[0]
        if n > _MAX_NODES:
            raise _too_many_nodes(n, func)
        src_i = src_a.astype(np.int64, copy=False)
        dst_i = dst_a.astype(np.int64, copy=False)
        _check_edge_ends(src_a, dst_a, src_i, dst_i, n, func)
        if probs is None:
            probs_f = None
        elif np.ndim(probs) == 0:
            probs_f = np.full(m, check_probability(probs, "probs", func), dtype=np.float64)
        else:
            probs_f = check_edge_probabilities(probs, m, func)
        attrs = _check_node_attrs(node_attrs, n, func)
        return cls._build(src_i, dst_i, probs_f, n, labels_a, attrs, func)

    @classmethod
    def from_networkx(cls, G, *, prob_attr=None, both_directions=False):
        """Build a graph from a NetworkX graph.

        Parameters
        ----------
        G : networkx.DiGraph or networkx.Graph (or the Multi variants)
            For a directed graph, an edge ``u -> v`` means v follows u.
        prob_attr : str, optional
            Edge attribute holding the probability. Every edge must have it.
        both_directions : bool, default False
            Required for an undirected ``G``: each edge ``{u, v}`` becomes the
            two follower edges ``u -> v`` and ``v -> u``.

        Returns
        -------
        FollowerGraph
            Node attributes present on every node are copied.

        Examples
        --------
        >>> import networkx as nx, viralsim as vs
        >>> g = vs.FollowerGraph.from_networkx(nx.path_graph(3), both_directions=True)
        >>> g.n_edges
        4
        """
        import networkx as nx

        func = "FollowerGraph.from_networkx"
        if not isinstance(G, nx.Graph):
            raise TypeError(f"{func} expects a networkx graph. Got {type(G).__name__} instead.")
        if not G.is_directed() and not both_directions:
            raise ValueError(
                f"{func} got an undirected graph. Pass both_directions=True to store each "
                "edge {u, v} as the two follower edges u -> v and v -> u, or pass a DiGraph."
            )
        nodes = list(G.nodes)
        index = {u: i for i, u in enumerate(nodes)}
        edges = list(G.edges(data=True))
        src = np.fromiter((index[u] for u, _, _ in edges), dtype=np.int64, count=len(edges))
        dst = np.fromiter((index[v] for _, v, _ in edges), dtype=np.int64, count=len(edges))
        probs = None if prob_attr is None else _networkx_probs(edges, prob_attr, func)
        if not G.is_directed():
            src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
            if probs is not None:
                probs = np.concatenate([probs, probs])
        return cls.from_edges(src, dst, probs=probs, labels=_networkx_labels(nodes),
                              node_attrs=_networkx_node_attrs(G, nodes))

    def to_networkx(self):
        """The graph as a :class:`networkx.DiGraph`.

        Returns
        -------
        networkx.DiGraph
            Nodes are the labels, with the node attributes; edges ``u -> v``
            (v follows u) carry their probability as ``p`` when the graph has
            probabilities.

        Examples
        --------
        >>> import viralsim as vs
        >>> G = vs.FollowerGraph.from_edges(["a"], ["b"], probs=0.5).to_networkx()
        >>> list(G.edges(data=True))
        [('a', 'b', {'p': 0.5})]
        """
        import networkx as nx

        G = nx.DiGraph()
        labels = self._labels.tolist()
        for i, lab in enumerate(labels):
            G.add_node(lab, **{k: v[i].item() if hasattr(v[i], "item") else v[i] for k, v in self._attrs.items()})
        src = np.repeat(np.arange(self.n_nodes), np.diff(self._indptr))
        if self._probs is None:
            G.add_edges_from((labels[u], labels[v]) for u, v in zip(src.tolist(), self._indices.tolist()))
        else:
            G.add_edges_from(
                (labels[u], labels[v], {"p": float(p)})
                for u, v, p in zip(src.tolist(), self._indices.tolist(), self._probs.tolist())
            )
        return G

    # ------------------------------------------------------------------ probabilities
    def with_probabilities(self, scheme, *, rng=None, low=None, high=None):
        """Return a copy with edge probabilities set by ``scheme``.

        Parameters
        ----------
        scheme : float, str or array-like
            - a float in [0, 1]: the same probability on every edge;
            - ``"weighted_cascade"``: ``p(u, v) = 1 / in_degree(v)`` (each
              follower's in-probabilities sum to 1; Kempe et al. 2003);
            - ``"trivalency"``: uniform at random from {0.1, 0.01, 0.001}
              (Chen et al. 2010), drawn with ``rng``;
            - ``"uniform_random"``: uniform in ``[low, high]``, drawn with ``rng``;
            - an array with one probability per edge, aligned with the
              current edge order (:meth:`edges`).
        rng : int, Generator, optional
            For the random schemes. Values are assigned to edges in
            (source, follower) index order, so the result does not depend on
            the graph's earlier probabilities.
        low, high : float in [0, 1], optional
            Bounds of ``"uniform_random"`` (default 0 and 1).

        Returns
        -------
        FollowerGraph

        Raises
        ------
        ValueError, TypeError
            An unknown scheme (the valid ones listed), a value outside [0, 1]
            or NaN, an array of the wrong length, ``low > high``.

        See Also
        --------
        viralsim.probabilities : the schemes, one function each (this method
            delegates to :func:`viralsim.probabilities.edge_probabilities`).

        Examples
        --------
        >>> import viralsim as vs
        >>> g = vs.FollowerGraph.from_edges([0, 1, 2], [2, 2, 0])
        >>> g.with_probabilities("weighted_cascade").edges()[2].tolist()
        [0.5, 0.5, 1.0]
        """
        probs = edge_probabilities(self, scheme, rng=rng, low=low, high=high,
                                    func="with_probabilities")
        probs = np.asarray(probs).astype(np.float32)  # float64 freed before the rows' copy
        return FollowerGraph._canonical_rows(self._indptr, self._indices, probs, self._labels,
                                             self._attrs, own_probs=True)

    def with_node_attr(self, name, values):
        """Return a copy with node attribute ``name`` set.

        Parameters
        ----------
        name : str
        values : array-like or dict
            An array aligned with node indices (``labels`` order), or a dict
            from label to value covering every node.

        Returns
        -------
        FollowerGraph

        Raises
        ------
        ValueError
            Not one value per node (a dict missing nodes, an array of the
            wrong length), or NaN.
        NodeNotFound
            A dict key that is not a node.

        Examples
        --------
        >>> import viralsim as vs
        >>> g = vs.FollowerGraph.from_edges(["a"], ["b"])
        >>> g.with_node_attr("cost", {"b": 2.0, "a": 1.0}).node_attrs["cost"].tolist()
        [1.0, 2.0]
        """
        if not isinstance(name, str) or not name:
            raise param_error("name", "with_node_attr", "a non-empty str (the attribute's name)",
                              name, exc=TypeError if not isinstance(name, str) else ValueError)
        if isinstance(values, dict):
            idx = self.index_of(list(values), param="values", func="with_node_attr")
            if idx.size != self.n_nodes:
                raise ValueError(
                    f"with_node_attr: the dict for {name!r} covers {idx.size} of {self.n_nodes} "
                    "nodes; give a value for every node."
                )
            arr = np.empty(self.n_nodes, dtype=np.asarray(list(values.values())).dtype)
            arr[idx] = list(values.values())
        else:
            arr = values
        attrs = dict(self._attrs)
        attrs.update(_check_node_attrs({name: arr}, self.n_nodes, "with_node_attr"))
        return FollowerGraph._from_canonical(
            self._indptr, self._indices, self._probs, self._labels, attrs
        )

    # ------------------------------------------------------------------ properties
    @property
    def n_nodes(self):
        """Number of nodes (consumers)."""
        return self._indptr.shape[0] - 1

    @property
    def n_edges(self):
        """Number of follower edges."""
        return self._indices.shape[0]

    @property
    def indptr(self):
        """Row pointers of the CSR (int64, read-only): row ``u`` is
        ``indices[indptr[u]:indptr[u + 1]]``."""
        return self._indptr

    @property
    def indices(self):
        """Followers, row by row (int32, read-only)."""
        return self._indices

    @property
    def probs(self):
        """Edge probabilities aligned with :attr:`indices` (float32, read-only), or None."""
        return self._probs

    @property
    def labels(self):
        """The user's node ids, by index (read-only)."""
        return self._labels

    @property
    def node_attrs(self):
        """Per-node attributes, by index (a read-only mapping of read-only arrays)."""
        return MappingProxyType(self._attrs)

    @property
    def nbytes(self):
        """Bytes held by the forward CSR (indptr, indices, probs); labels aside."""
        n = self._indptr.nbytes + self._indices.nbytes
        return n + (0 if self._probs is None else self._probs.nbytes)

    @property
    def bytes_per_edge(self):
        """Bytes per edge of the edge arrays (indices + probs): 8 with probabilities."""
        per = self._indices.itemsize + (0 if self._probs is None else self._probs.itemsize)
        return float(per)

    @property
    def reverse_nbytes(self):
        """Bytes held by the reverse CSR and the tables of reverse-reachable sampling
        (each array once), 0 until something needed them."""
        arrays = {}
        for name in ("reverse", "reverse_rows", "rr_none_live"):
            got = self._cache.get(name)
            for a in (() if got is None else got if isinstance(got, tuple) else (got,)):
                arrays[id(a)] = a.nbytes
        return sum(arrays.values())

    @property
    def has_probabilities(self):
        """Whether edge probabilities are set."""
        return self._probs is not None

    @property
    def probability_summary(self):
        """``'unset'``, ``'uniform <p>'`` (every edge alike), or ``'mixed'``.

        Examples
        --------
        >>> import viralsim as vs
        >>> vs.FollowerGraph.from_edges([0], [1], probs=0.25).probability_summary
        'uniform 0.25'
        """
        if self._probs is None:
            return "unset"
        if self.n_edges == 0:
            return "uniform"
        lo, hi = float(self._probs.min()), float(self._probs.max())
        return f"uniform {lo:g}" if lo == hi else "mixed"

    def out_degree(self):
        """Number of followers of each node, by index.

        Returns
        -------
        ndarray of int64, shape (n_nodes,)

        Examples
        --------
        >>> import viralsim as vs
        >>> vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2]).out_degree().tolist()
        [2, 1, 0]
        """
        return np.diff(self._indptr)

    def in_degree(self):
        """Number of accounts each node follows, by index.

        Returns
        -------
        ndarray of int64, shape (n_nodes,)

        Examples
        --------
        >>> import viralsim as vs
        >>> vs.FollowerGraph.from_edges([0, 0, 1], [1, 2, 2]).in_degree().tolist()
        [0, 1, 2]
        """
        return np.bincount(self._indices, minlength=self.n_nodes)

    def edges(self):
        """The edges in the graph's order (rows by source index; within a row by
        decreasing probability, then follower index).

        Returns
        -------
        src_labels, dst_labels : ndarray
        probs : ndarray of float32 or None

        Examples
        --------
        >>> import viralsim as vs
        >>> src, dst, p = vs.FollowerGraph.from_edges(["a", "a"], ["b", "c"],
        ...                                           probs=[0.1, 0.9]).edges()
        >>> src.tolist(), dst.tolist(), p.tolist()
        (['a', 'a'], ['c', 'b'], [0.8999999761581421, 0.10000000149011612])
        """
        src = np.repeat(np.arange(self.n_nodes), np.diff(self._indptr))
        return self._labels[src], self._labels[self._indices], self._probs

    def followers(self, label):
        """Labels of the followers of ``label`` (edge order).

        Parameters
        ----------
        label : node label

        Returns
        -------
        list

        Raises
        ------
        NodeNotFound
            ``label`` is not a node.

        Examples
        --------
        >>> import viralsim as vs
        >>> vs.FollowerGraph.from_edges(["a", "a"], ["b", "c"]).followers("a")
        ['b', 'c']
        """
        (u,) = self.index_of([label], param="label", func="followers")
        return self._labels[self._indices[self._indptr[u] : self._indptr[u + 1]]].tolist()

    def __repr__(self):
        return (
            f"FollowerGraph(n_nodes={self.n_nodes}, n_edges={self.n_edges}, "
            f"probabilities={self.probability_summary!r})"
        )

    def __eq__(self, other):
        if not isinstance(other, FollowerGraph):
            return NotImplemented
        same_p = (self._probs is None and other._probs is None) or (
            self._probs is not None
            and other._probs is not None
            and np.array_equal(self._probs, other._probs)
        )
        return (
            same_p
            and np.array_equal(self._indptr, other._indptr)
            and np.array_equal(self._indices, other._indices)
            and np.array_equal(self._labels, other._labels)
            and self._attrs.keys() == other._attrs.keys()
            and all(np.array_equal(self._attrs[k], other._attrs[k]) for k in self._attrs)
        )

    __hash__ = None

    def __reduce__(self):  # pickle (Ray, multiprocessing) without the caches
        return (
            FollowerGraph._from_canonical,
            (self._indptr, self._indices, self._probs, self._labels, self._attrs),
        )

    # ------------------------------------------------------------------ labels
    def _label_index(self):
        idx = self._cache.get("label_index")
        if idx is None:
            labels = self._labels
            if labels.dtype.kind in "iu" and np.array_equal(labels, np.arange(self.n_nodes)):
                idx = "identity"
            else:
                idx = {lab: i for i, lab in enumerate(labels.tolist())}
            self._cache["label_index"] = idx
        return idx

    def index_of(self, labels, *, param="seeds", func="index_of", allow_duplicates=False):
        """Node indices (int32) of ``labels``; raises naming missing or repeated ones.

        Parameters
        ----------
        labels : sequence of node labels
        param, func : str
            The parameter and public function named in error messages.
        allow_duplicates : bool, default False

        Returns
        -------
        ndarray of int32, shape (len(labels),)

        Raises
        ------
        NodeNotFound
            Some labels are not in the graph (all counted, the first 10 named).
        ValueError
            A label is repeated (unless ``allow_duplicates``).
        TypeError
            A single label instead of a list.

        Examples
        --------
        >>> import viralsim as vs
        >>> g = vs.FollowerGraph.from_edges(["a", "b"], ["b", "c"])
        >>> g.index_of(["c", "a"]).tolist()
        [2, 0]
        >>> g.index_of(["z"])
        Traceback (most recent call last):
        ...
        viralsim.exceptions.NodeNotFound: The 'seeds' parameter of index_of names 1 node(s) not in the graph: 'z'. ...
        """
        if isinstance(labels, (str, bytes)) or np.ndim(labels) == 0:
            raise TypeError(
                f"The {param!r} parameter of {func} must be a list of node labels. "
                f"Got {shown(labels)} instead; wrap a single label in a list."
            )
        labs = list(labels.tolist() if isinstance(labels, np.ndarray) else labels)
        table, n = self._label_index(), self.n_nodes
        out = np.fromiter((_label_to_index(table, self._labels, n, lab) for lab in labs),
                          dtype=np.int32, count=len(labs))
        if (out < 0).any():
            raise _not_found([lab for lab, j in zip(labs, out.tolist()) if j < 0], param, func)
        if not allow_duplicates and np.unique(out).size != out.size:
            seen, dups = set(), []
            for lab, j in zip(labs, out.tolist()):
                if j in seen and lab not in dups:
                    dups.append(lab)
                seen.add(j)
            raise ValueError(
                f"The {param!r} parameter of {func} repeats node(s) "
                f"{', '.join(shown(x) for x in dups[:10])}. Give each node once."
            )
        return out

    # ------------------------------------------------------------------ reverse CSR
    def reverse_csr(self):
        """``(indptr, indices, probs)`` of in-edges (whom each node follows).

        Built on first use and kept; rows ordered by decreasing probability.

        Returns
        -------
        indptr : ndarray of int64, shape (n_nodes + 1,)
        indices : ndarray of int32, shape (n_edges,)
            Row ``v`` lists the nodes ``v`` follows.
        probs : ndarray of float32, shape (n_edges,)

        Raises
        ------
        ValueError
            The graph has no probabilities.

        Examples
        --------
        >>> import viralsim as vs
        >>> g = vs.FollowerGraph.from_edges([0, 1], [2, 2], probs=[0.1, 0.9])
        >>> indptr, indices, probs = g.reverse_csr()
        >>> indptr.tolist(), indices.tolist()
        ([0, 0, 0, 2], [1, 0])
        """
        rev = self._cache.get("reverse")
        if rev is None:
            if self._probs is None:
                raise ValueError(_NO_PROBS)
            rows = self._cache.pop("reverse_rows", None)
            self._cache.pop("reverse_split", None)
            if rows is not None:  # one probability per row (see _rr_reverse): spread out
                rindptr, *idx, q = rows
                rindices = idx[0] if len(idx) == 1 else _readonly(
                    (idx[1].astype(np.int32) << 16) | idx[0])  # SplitIndices' lo, hi
                rev = (_readonly(rindptr.astype(np.int64)), rindices,
                       _readonly(np.repeat(q, np.diff(rindptr))))
            else:
                from ._kernels.csr import transpose

                # a counting sort by follower (O(n + m), output-sized buffers only), the
                # arrays of np.lexsort((src, -probs, dst))
                rev = tuple(_readonly(a) for a in transpose(self._indptr, self._indices,
                                                            self._probs))
            self._cache["reverse"] = rev
        return rev

    def _rr_reverse(self):
        """``(rindptr, rindices, rprobs, none_live, per_row)``: what reverse-reachable
        sampling reads (:func:`viralsim._kernels.rr.rr_generate`), built once and kept.

        When every node's in-edges share one probability (weighted cascade, one
        probability everywhere) and :meth:`reverse_csr` was not asked for, ``rprobs``
        holds one probability per node (``per_row``: 4 bytes per node instead of 4 per
        edge, 0.4 GB at 100M edges) and ``none_live`` is empty (the sampler needs no
        table then); below 2**24 nodes and 2**31 edges ``rindptr`` is int32 and
        ``rindices`` a :class:`~viralsim._kernels.rr.SplitIndices` (3 bytes per edge,
        indexed like the int32 array; 0.17 GB less at 100M edges); otherwise the
        per-edge reverse CSR and its :func:`~viralsim._kernels.ic.skip_row_none_live`
        table. Either way the same RR
        sets, bit for bit.
        """
        from ._kernels import ic as _ic
        from ._kernels import rr as _rr
        from ._kernels.csr import in_row_probabilities, transpose_rows

        if self._probs is None:
            raise ValueError(_NO_PROBS)
        rows = self._cache.get("reverse_rows")
        if rows is None and "reverse" not in self._cache:
            n, m = self.n_nodes, self.n_edges
            if n <= _rr.SPLIT_MAX_NODES and m < 2**31:  # int32 row pointers, 3-byte indices
                q, ok = in_row_probabilities(self._indices, self._probs, n)
                rows = ((*_rr.reverse_rows_split(self._indptr, self._indices, n), q) if ok
                        else None)
            else:
                rows = transpose_rows(self._indptr, self._indices, self._probs)
            if rows is not None:
                rows = tuple(_readonly(a) for a in rows)
                self._cache["reverse_rows"] = rows
        if rows is not None and "reverse" not in self._cache:
            if len(rows) == 3:  # typed as the per-edge arrays: no other compiled sampler
                return (*rows, _NO_TABLE, True)
            split = self._cache.get("reverse_split")
            if split is None:
                split = self._cache["reverse_split"] = _rr.split_indices(rows[1], rows[2])
            return rows[0], split, rows[3], _NO_TABLE, True
        rindptr, rindices, rprobs = self.reverse_csr()
        none_live = self._cache.get("rr_none_live")
        if none_live is None:
            none_live = _readonly(_ic.skip_row_none_live(rindptr, rprobs))
            self._cache["rr_none_live"] = none_live
        return rindptr, rindices, rprobs, none_live, False

    def _derived(self, name, kernel):
        """``kernel(indptr, probs)`` computed once per graph and kept (kernel-side tables)."""
        out = self._cache.get(name)
        if out is None:
            out = _readonly(kernel(self._indptr, self._probs))
            self._cache[name] = out
        return out

    def _require_probs(self, func):
        if self._probs is None:
            raise ValueError(f"{func}: {_NO_PROBS}")
        return self._probs

    # ------------------------------------------------------------------ binary file
    def save(self, path):
        """Write the graph to a binary ``.npz`` file, or a Parquet edge list when
        ``path`` ends in ``.parquet``; read it back with :func:`viralsim.read_graph`
        (see :func:`viralsim.io.save_graph` and :func:`viralsim.io.write_parquet`).

        Returns
        -------
        str
            The path written (``.npz`` appended when missing).

        Examples
        --------
        >>> import os, tempfile, viralsim as vs
        >>> from viralsim.io import read_graph
        >>> g = vs.FollowerGraph.from_edges([0, 1], [1, 2])
        >>> path = g.save(os.path.join(tempfile.mkdtemp(), "g"))
        >>> path.endswith("g.npz"), read_graph(path) == g
        (True, True)
        """
        from .io import save_graph

        return save_graph(self, path)


_NO_TABLE = np.zeros(0)
_NO_TABLE.flags.writeable = False

_NO_PROBS = (
    "the graph has no edge probabilities. Set them first, e.g. "
    "g = g.with_probabilities(0.1) or g.with_probabilities('weighted_cascade')."
)


def _id_array(ids):
    """Edge ends as an array; a sequence of Python ids that numpy would turn
    into strings (ints mixed with strings) keeps its objects: 0 stays 0."""
    a = np.asarray(ids)
    if a.ndim == 1 and a.dtype.kind in "US" and not isinstance(ids, np.ndarray):
        a = np.empty(len(ids), dtype=object)
        a[:] = list(ids)
    return a


def _label_to_index(table, labels, n, lab):
    """The index of label ``lab`` (``table``: FollowerGraph._label_index()), or -1 when
    the graph has no such node."""
    if table == "identity":
        ok = isinstance(lab, (int, np.integer)) and not isinstance(lab, bool) and 0 <= lab < n
        return int(lab) if ok else -1
    if isinstance(lab, (bool, np.bool_)):
        return -1  # True is not consumer 1, whatever the labels
    try:
        j = table.get(lab, -1)
    except TypeError:  # unhashable
        return -1
    # 10.0 is not consumer 10 either (as with the integer labels 0 .. n-1)
    if j >= 0 and isinstance(lab, (float, np.floating)) and not isinstance(
            labels[j], (float, np.floating)):
        return -1
    return j


def _not_found(missing, param, func):
    """The error for labels not in the graph: all counted, the first 10 named."""
    names = ", ".join(shown(x) for x in missing[:10])
    more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
    return NodeNotFound(
        f"The {param!r} parameter of {func} names {len(missing)} node(s) not in the "
        f"graph: {names}{more}. Use the graph's own ids (graph.labels: those of "
        f"the follower list or edge list it was read from, 0 .. n_nodes - 1 for a "
        f"generated graph)."
    )


def _given_labels(labels, n_nodes, int_ids, func):
    """``labels`` as a 1-D array (a copy: the caller's array stays theirs, writable),
    checked against ``n_nodes``, the ids' type and duplicates."""
    labels_a = np.array(labels)
    if labels_a.ndim != 1:
        raise ValueError(f"The 'labels' parameter of {func} must be 1-D.")
    if n_nodes is not None and (isinstance(n_nodes, (bool, np.bool_))
                                or not isinstance(n_nodes, numbers.Integral)
                                or int(n_nodes) != labels_a.shape[0]):
        raise ValueError(
            f"The 'n_nodes' parameter of {func} must equal len(labels) = "
            f"{labels_a.shape[0]}. Got {shown(n_nodes)} instead."
        )
    if not int_ids:
        raise TypeError(
            f"With 'labels' given, 'src' and 'dst' of {func} must be integer indices "
            "into labels."
        )
    if len(set(labels_a.tolist())) != labels_a.shape[0]:
        raise ValueError(f"The 'labels' parameter of {func} has duplicate labels.")
    return labels_a


def _count_integer_ids(src_a, dst_a, n_nodes, func):
    """Nodes of a graph given by integer ids: ``n_nodes``, or the largest id + 1."""
    if n_nodes is None:
        # as Python ints: an unsigned array has no -1 to start from, and a
        # uint64 id above int64's max must not wrap before the size check
        n = max(int(src_a.max()), int(dst_a.max())) + 1 if src_a.shape[0] else 0
    else:
        if isinstance(n_nodes, bool) or not isinstance(n_nodes, numbers.Integral) or n_nodes < 0:
            raise param_error("n_nodes", func, "an int >= 0", n_nodes)
        n = int(n_nodes)
    if n > _MAX_NODES:  # before allocating the labels
        raise _too_many_nodes(n, func)
    return n


def _labels_by_first_appearance(src_a, dst_a, n_nodes, func):
    """``(src, dst, labels)`` for edges given by labels: nodes numbered in order of first
    appearance in edge order, interleaving src and dst."""
    if n_nodes is not None:
        raise ValueError(
            f"The 'n_nodes' parameter of {func} applies to integer ids only; "
            "with string labels every node must appear in an edge or in 'labels'."
        )
    m = src_a.shape[0]
    uniq, inverse = {}, np.empty(2 * m, dtype=np.int64)
    for i, x in enumerate(np.concatenate([src_a, dst_a]).tolist()):
        inverse[i] = uniq.setdefault(x, len(uniq))
    return inverse[:m], inverse[m:], np.asarray(list(uniq), dtype=object)


def _check_edge_ends(src_a, dst_a, src_i, dst_i, n, func):
    """Raise naming the first edge with an end outside ``0 .. n - 1``."""
    if not src_i.size:
        return
    bad = (src_i < 0) | (src_i >= n) | (dst_i < 0) | (dst_i >= n)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"Edge {i} ({shown(src_a[i])} -> {shown(dst_a[i])}) of {func} names a node outside "
            f"0..{n - 1} (n_nodes={n}). Raise n_nodes or fix the edge."
        )


def _networkx_probs(edges, prob_attr, func):
    """The ``prob_attr`` of every edge as float64, or an error naming an edge without
    one or with a value that is not a number."""
    missing = [(u, v) for u, v, d in edges if prob_attr not in d]
    if missing:
        raise AttributeNotFound(
            f"{len(missing)} edge(s) lack the {prob_attr!r} attribute given as "
            f"prob_attr to {func}, e.g. {shown(missing[0])}."
        )
    bad = next(((u, v, d[prob_attr]) for u, v, d in edges
                if isinstance(d[prob_attr], (bool, np.bool_))
                or not isinstance(d[prob_attr], numbers.Real)), None)
    if bad is not None:  # None, "0.5", True: not a probability, whatever numpy makes of it
        raise TypeError(
            f"The {shown(prob_attr)} attribute of edge ({shown(bad[0])}, {shown(bad[1])}) is "
            f"{shown(bad[2])}, not a number; {func} needs a float in [0, 1] on every edge."
        )
    return np.array([d[prob_attr] for _, _, d in edges], dtype=np.float64)


def _networkx_node_attrs(G, nodes):
    """The node attributes every node has, by index."""
    if not nodes:
        return {}
    common = set.intersection(*(set(G.nodes[u]) for u in nodes))
    return {str(key): np.asarray([G.nodes[u][key] for u in nodes])
            for key in sorted(common, key=str)}


def _networkx_labels(nodes):
    """The nodes as a label array: int64 when every node is an integer, else objects."""
    labels = np.empty(len(nodes), dtype=object)
    labels[:] = nodes
    if nodes and all(isinstance(u, (int, np.integer)) and not isinstance(u, bool) for u in nodes):
        labels = labels.astype(np.int64)
    return labels


def _check_node_attrs(node_attrs, n, func):
    attrs = {}
    if node_attrs is not None and not isinstance(node_attrs, Mapping):
        raise param_error("node_attrs", func, "None or a dict from attribute name to values",
                          node_attrs, exc=TypeError)
    for key, values in (node_attrs or {}).items():
        try:
            arr = np.array(values)  # a copy: the caller's array stays theirs, writable
        except (TypeError, ValueError) as exc:  # ragged lists, unconvertible objects
            raise ValueError(f"Node attribute {shown(key)} of {func} must be an array of "
                             f"one value per node ({n}). Got {shown(values)} instead.") from exc
        if arr.ndim != 1 or arr.shape[0] != n:
            raise ValueError(
                f"Node attribute {shown(key)} of {func} must have one value per node ({n}). "
                f"Got shape {arr.shape} instead."
            )
        if arr.dtype.kind == "f" and np.isnan(arr).any():
            raise ValueError(f"Node attribute {shown(key)} of {func} contains NaN.")
        attrs[str(key)] = arr
    return attrs
