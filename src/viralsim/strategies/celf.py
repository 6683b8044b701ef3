"""Lazy greedy (CELF, with CELF++'s look-ahead) on fixed worlds."""

import heapq
import math

import numba
import numpy as np

from .. import _progress
from .._kernels import celf as _ck
from .._validation import check_int, seed_from_rng
from ..distributed.serial import run_worlds
from ._base import Strategy, check_goal, node_weights, register_strategy
from ._models import ic_equivalent, model_label

__all__ = ["CELFGreedy", "celf"]


class _IncrementalWorlds:
    """Reached bitmaps per world for an IC-equivalent model; gains by pruned searches."""

    def __init__(self, g, key, n_worlds, weights, lookahead, world_start=0):
        n = g.n_nodes
        self.g = g
        self.key = np.uint64(key)
        self.world_start = int(world_start)
        self.n_worlds = n_worlds
        self.weights = np.zeros(0) if weights is None else weights
        self.n_chunks = max(1, min(numba.get_num_threads(), n_worlds))
        nc = self.n_chunks
        self.reached = np.zeros((n_worlds, (n + 63) // 64), dtype=np.uint64)
        self.stamps = np.zeros((nc, n), dtype=np.int32)
        maxd = int(np.diff(g.indptr).max()) if n else 0
        self.queues = np.empty((nc, n + maxd), dtype=np.int32)  # expand_node scratch past the tail
        self.marks = np.zeros(nc, dtype=np.int64)
        self.stamps2 = np.zeros((nc, n) if lookahead else (1, 1), dtype=np.int32)
        self.out = np.empty(n_worlds)
        self.out2 = np.empty(n_worlds)
        self.evaluations = 0

    def reset(self):
        self.reached[:] = 0

    def singletons(self):
        g = self.g
        out = np.empty(g.n_nodes)
        n = g.n_nodes
        lo = 0
        # every node's spread is its own sum over the worlds: pieces of nodes (while
        # someone listens, for cancel and progress) give the same numbers
        for piece in _progress.pieces(n, max(1, n // 64), lambda d, t: (
                f"CELF: first pass, {d:,} of {t:,} candidates priced")):
            nc = max(1, min(4 * numba.get_num_threads(), piece))
            _ck.singleton_spreads(g.indptr, g.indices, g.probs, self.key,
                                  np.int64(self.world_start), np.int64(self.n_worlds),
                                  self.weights, nc, out, np.int64(lo), np.int64(lo + piece))
            lo += piece
        return out

    def _run(self, v, commit, best):
        g = self.g
        self.evaluations += 1
        _ck.marginal_gains(g.indptr, g.indices, g.probs, self.key, np.int64(self.world_start),
                           np.int64(v), self.reached,
                           self.weights, self.stamps, self.queues, self.marks, bool(commit),
                           np.int64(best), self.stamps2, self.out, self.out2)

    def gain(self, v, best=-1):
        self._run(v, False, best)
        return float(self.out.sum()), (float(self.out2.sum()) if best >= 0 else None)

    def commit(self, v):
        self._run(v, True, -1)
        return float(self.out.sum())

    def gains(self, nodes):
        """The gains of several nodes (what :func:`lazy_greedy` asks in a batch)."""
        return np.array([self.gain(v)[0] for v in nodes])


class _WorldShard:
    """Ray actor body: :class:`_IncrementalWorlds` for worlds ``start .. start + count - 1``."""

    def __init__(self, g, key, start, count, lookahead):
        numba.set_num_threads(1)  # parallelism comes from the shards
        self.e = _IncrementalWorlds(g, key, count, None, lookahead, world_start=start)

    def singletons(self):
        return self.e.singletons()

    def run(self, v, commit, best):
        self.e._run(v, commit, best)
        return self.e.out.copy(), (self.e.out2.copy() if best >= 0 else None)

    def reset(self):
        self.e.reset()

    def gains(self, nodes):
        """Each node's gain summed over this shard's worlds (integer-valued: exact)."""
        return self.e.gains(nodes)


class _RayWorlds:
    """:class:`_IncrementalWorlds` with the worlds split into shards held by Ray actors.

    Every gain is the sum over the same per-world values, concatenated in world
    order, so the picks, gains and spread equal the serial engine's bit for bit
    (node counts are integers; weighted reach is refused here).
    """

    def __init__(self, g, key, n_worlds, lookahead, backend):
        from ..distributed import split

        ray = backend._ensure()
        self.ray = ray
        n_cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        per = -(-n_worlds // n_cpus)
        actor = ray.remote(num_cpus=1)(_WorldShard)
        gref = backend.graph_ref(g)
        self.shards = [actor.remote(gref, int(key), s, c, bool(lookahead))
                       for s, c in split(0, n_worlds, per)]
        self.n_worlds = n_worlds
        self.evaluations = 0
        self.round_trips = 0  # of the greedy's gains and commits

    def reset(self):
        self.ray.get([s.reset.remote() for s in self.shards])

    def singletons(self):
        parts = self.ray.get([s.singletons.remote() for s in self.shards])
        return np.sum(parts, axis=0)

    def _run(self, v, commit, best):
        self.evaluations += 1
        self.round_trips += 1
        res = self.ray.get([s.run.remote(int(v), bool(commit), int(best)) for s in self.shards])
        out = np.concatenate([r[0] for r in res])
        out2 = np.concatenate([r[1] for r in res]) if best >= 0 else None
        return out, out2

    def gain(self, v, best=-1):
        out, out2 = self._run(v, False, best)
        return float(out.sum()), (float(out2.sum()) if best >= 0 else None)

    def commit(self, v):
        out, _ = self._run(v, True, -1)
        return float(out.sum())

    def gains(self, nodes):
        """The gains of several nodes in one round trip to every actor."""
        self.evaluations += len(nodes)
        self.round_trips += 1
        nodes = [int(v) for v in nodes]
        return np.sum(self.ray.get([s.gains.remote(nodes) for s in self.shards]), axis=0)


class _SimulatedWorlds:
    """Any model: gains by re-simulating S ∪ {v} in the same worlds with ``model._simulate``."""

    def __init__(self, g, key, n_worlds, model, max_rounds, backend=None, metric="reach"):
        self.g = g
        self.key = key
        self.n_worlds = n_worlds
        self.model = model
        self.max_rounds = max_rounds
        self.backend = backend
        self.metric = metric  # "reach" (adopters) or "exposure"
        self.seeds = []
        self.base = np.zeros(n_worlds)
        self.evaluations = 0

    def _sizes(self, seeds):
        self.evaluations += 1
        kw = dict(max_rounds=self.max_rounds, tl_len=2, exposure=self.metric == "exposure")
        seeds = np.asarray(seeds, dtype=np.int32)
        if self.backend is not None:
            batches = self.backend.simulate(self.model, self.g, seeds, self.key, 0,
                                            self.n_worlds, **kw)
            return np.concatenate([b.metrics[self.metric] for b in batches]).astype(np.float64)
        batch = run_worlds(self.model, self.g, seeds, self.key, 0, self.n_worlds, **kw)
        return batch.metrics[self.metric].astype(np.float64)

    def reset(self):
        self.seeds = []
        self.base = np.zeros(self.n_worlds)

    def singletons(self):
        n = self.g.n_nodes
        out = np.empty(n)
        for v in range(n):
            _progress.checkpoint(lambda v=v: f"CELF: first pass, {v:,} of {n:,} candidates "
                                             f"priced")
            out[v] = self._sizes([v]).sum()
        return out

    def gain(self, v, best=-1):
        g1 = float((self._sizes(self.seeds + [v]) - self.base).sum())
        if best < 0 or best == v:
            return g1, None
        both = self._sizes(self.seeds + [best, v])
        base_b = self._sizes(self.seeds + [best])
        return g1, float((both - base_b).sum())

    def commit(self, v):
        new = self._sizes(self.seeds + [v])
        gain = float((new - self.base).sum())
        self.seeds.append(v)
        self.base = new
        return gain


def lazy_greedy(engine, singles, k, costs, budget, ratio, lookahead, batch=1):
    """CELF (and CELF++) over an engine's gains. Returns (picks, gains, scores).

    Ties go to the smaller node index: the result equals plain greedy with
    ``argmax`` whenever gains are submodular (always, on the fixed worlds of
    a live-edge model).

    ``batch`` > 1 (CELF only, an engine with ``gains``): when the top of the
    queue is stale, up to ``batch`` stale candidates from the top are
    re-evaluated together (one round trip to remote workers instead of one
    each). With submodular gains the picks, gains and scores are the same:
    a candidate is picked only when fresh at the top, that is when no upper
    bound (stale or not) beats it, whatever was evaluated before.
    """
    # One loop on purpose (cyclomatic complexity ~27): the queue's state (flags,
    # prev_best, cur_best, mg1/mg2) is shared by the pick, the batched refresh and
    # CELF++'s look-ahead, and is what test_strategies checks against naive greedy;
    # split across functions it would travel as eight arguments per call.
    n = singles.shape[0]
    c = np.ones(n) if costs is None else costs
    engine.reset()
    score = (singles / c) if ratio else singles.copy()
    mg1 = singles.copy()
    mg2 = np.full(n, np.nan)
    prev_best = np.full(n, -1, dtype=np.int64)
    flag = np.zeros(n, dtype=np.int64)
    heap = [(-score[v], v) for v in range(n) if c[v] <= budget]
    heapq.heapify(heap)
    picks, gains, won = [], [], []
    left = budget
    last_seed = -1
    cur_best = -1
    while len(picks) < k and heap:
        _progress.checkpoint(lambda: f"CELF: {len(picks)} of at most {k} seeds picked "
                                     f"({engine.evaluations:,} evaluations)")
        neg, v = heapq.heappop(heap)
        if c[v] > left:
            continue  # never affordable again
        ns = len(picks)
        if flag[v] == ns:
            g = engine.commit(v)
            picks.append(v)
            gains.append(g)
            won.append(-neg)
            left -= c[v]
            last_seed = v
            cur_best = -1
            continue
        if batch > 1 and not lookahead:
            group = [v]
            while heap and len(group) < batch:
                _, u = heap[0]
                if flag[u] == ns:
                    break  # a fresh candidate: the next pop decides
                heapq.heappop(heap)
                if c[u] <= left:
                    group.append(u)  # (one no longer affordable is dropped, as above)
            for u, gu in zip(group, engine.gains(group)):
                mg1[u] = gu
                flag[u] = ns
                heapq.heappush(heap, (-_score(mg1, c, ratio, u), u))
            continue
        if lookahead and prev_best[v] == last_seed and last_seed >= 0 and flag[v] == ns - 1:
            mg1[v] = mg2[v]
        else:
            best = cur_best if (lookahead and cur_best >= 0 and cur_best != v) else -1
            mg1[v], g2 = engine.gain(v, best)
            prev_best[v] = best
            mg2[v] = np.nan if g2 is None else g2
        flag[v] = ns
        s = mg1[v] / c[v] if ratio else mg1[v]
        if cur_best < 0 or (s, -v) > (_score(mg1, c, ratio, cur_best), -cur_best):
            cur_best = v
        heapq.heappush(heap, (-s, v))
    return picks, gains, won


def _score(mg1, c, ratio, v):
    return mg1[v] / c[v] if ratio else mg1[v]


@register_strategy
class CELFGreedy(Strategy):
    """Greedy by Monte Carlo marginal gain on fixed worlds, with lazy evaluation.

    Parameters
    ----------
    n_worlds : int, default 1000
        Worlds the gains are averaged over. World ``r`` is the world
        :func:`viralsim.estimate_reach` runs as its simulation ``r`` under the
        same ``rng``, so ``spread`` equals ``estimate_reach(seeds,
        n_sims=n_worlds, rng=rng).mean``.
    lookahead : bool, default False
        CELF++'s look-ahead (Goyal et al. 2011): when re-evaluating a node,
        also compute its gain given the current best candidate, which is
        reused if that candidate is picked next. Same seeds either way; off
        by default because on the bench graphs the extra search costs more
        than the re-evaluations it saves (``python -m viralsim.bench
        --suite strategies``), as Arora et al. (2017) also found.
    weight_attr : str, optional
        Node attribute of weights (e.g. segment membership): maximise the
        weighted reach instead of the number of adopters.
    max_rounds : int, optional
        Campaign horizon. Only served by simulation (see Notes).
    backend : optional
        ``"ray"`` (or a backend from :func:`viralsim.distributed.get_backend`)
        splits the worlds into shards held by Ray actors, one per CPU of the
        cluster; gains are summed over the same per-world values, so the
        seeds, gains and spread equal the serial run's bit for bit. Models
        served by simulation send their batches of worlds through the
        backend. Weighted reach (``weight_attr``) is refused with a Ray backend.
    goal : {"adopters", "exposure"}, default "adopters"
        What to maximise: expected adopters, or expected exposure (people
        who see the campaign: adopters and the followers of commenting
        adopters). Exposure is priced by re-simulating each candidate in
        the same worlds with exposure counted (``spread`` then equals
        ``estimate_reach(seeds, n_sims=n_worlds, rng=rng).exposure.mean``):
        correct but slower than the incremental search; ``imm`` serves
        exposure with RR sets, faster on large graphs.
    batch : int, default 8
        With the worlds on Ray actors (CELF without look-ahead): when the top
        of the queue is stale, up to ``batch`` stale candidates from the top
        are re-evaluated in one round trip to the actors instead of one each.
        The seeds, gains and spread are the same for every value (with
        submodular gains a candidate is picked only when fresh at the top);
        larger values trade extra evaluations for fewer round trips. NetHEPT,
        k = 50, 1,000 worlds on 2 local actors: the greedy phase took 1.46 s
        with 1 (708 evaluations) and 0.52 s with 8 (739).

    Notes
    -----
    Lazy greedy (CELF, Leskovec et al. 2007): each node's gain is kept from
    the last time it was computed and recomputed only when it reaches the top
    of the queue; with submodular gains a fresh top is the true maximum, so
    the seeds equal plain greedy's (ties to the smaller index).

    Gains are incremental per world: for each world the set reached by the
    current seeds is kept as a bitmap, and the gain of ``v`` in world ``r``
    is found by a search from ``v`` that stops at reached nodes (parallel
    over worlds with Numba). This needs a model whose worlds are live-edge
    graphs of an independent cascade: ``vs.IC()`` (the very worlds of
    ``estimate_reach``), ``vs.WordOfMouth`` with ``comment_prob = 1`` and no
    reinforcement or amplification (off-target thinning folded into the
    probabilities: equal in distribution, not world by world), or a model
    defining ``_ic_equivalent`` (see :mod:`viralsim.strategies._models`).
    Any other model (linear threshold, comment probability below 1,
    reinforcement, amplification, a horizon) is served by re-simulating
    ``S ∪ {v}`` in the same worlds through the model's own kernel: correct
    on those worlds but much slower; for a non-submodular model
    (reinforcement, amplification) neither lazy evaluation nor the greedy
    guarantee holds, which the result's notes say.

    Guarantee: for a live-edge model the seeds are within ``1 − 1/e`` of the
    best ``k`` seeds *on the sampled worlds* (sample-average approximation);
    the true reach converges as ``n_worlds`` grows.

    Budgets: cost-effective lazy forward (CELF, Leskovec et al. 2007): greedy
    by gain per unit cost and greedy by gain, each while the cost fits; the
    better of the two is returned (both are reported in ``info``).

    Cost: the first pass computes every node's spread in every world
    (``n_nodes × n_worlds`` searches); later picks re-evaluate a few nodes.

    References
    ----------
    J. Leskovec, A. Krause, C. Guestrin, C. Faloutsos, J. VanBriesen,
    N. Glance. Cost-effective outbreak detection in networks. KDD 2007.

    A. Goyal, W. Lu, L. V. S. Lakshmanan. CELF++: optimizing the greedy
    algorithm for influence maximization in social networks. WWW 2011.

    A. Arora, S. Galhotra, S. Ranu. Debunking the myths of influence
    maximization. SIGMOD 2017.

    Examples
    --------
    >>> import viralsim as vs
    >>> g = vs.FollowerGraph.from_edges([0, 0, 1, 3], [1, 2, 2, 4], probs=1.0)
    >>> sel = vs.strategies.celf(g, k=2, n_worlds=10, rng=0)
    >>> sel.seeds, sel.spread
    ([0, 3], 5.0)
    """

    name = "celf"
    nested = True
    uses_model = True

    def __init__(self, n_worlds=1000, lookahead=False, weight_attr=None, max_rounds=None,
                 backend=None, batch=8, goal="adopters"):
        self.goal = goal
        self.n_worlds = n_worlds
        self.lookahead = lookahead
        self.weight_attr = weight_attr
        self.batch = batch
        self.max_rounds = max_rounds
        self.backend = backend

    def _select(self, req):
        func = "CELFGreedy"
        n_worlds = check_int(self.n_worlds, "n_worlds", func, low=1)
        batch = check_int(self.batch, "batch", func, low=1)
        max_rounds = check_int(self.max_rounds, "max_rounds", func, low=1, allow_none=True)
        engine, notes = self._engine(req, n_worlds, max_rounds)
        notes.append(_guarantee_note(req.model, n_worlds))
        if not isinstance(engine, _RayWorlds):
            batch = 1  # one process: no round trip to save
        W = float(n_worlds)
        info = {"n_worlds": n_worlds}
        picks, gains, won = self._greedy(req, engine, batch, info, notes)
        info["evaluations"] = engine.evaluations
        if isinstance(engine, _RayWorlds):
            info["round_trips"] = engine.round_trips
        return {
            "indices": np.asarray(picks, dtype=np.int64),
            "gains": np.asarray(gains) / W,
            "scores": np.asarray(won) / W,
            "spread": float(sum(gains) / W),
            "notes": notes,
            "info": info,
        }

    def _backend(self):
        """The distributed backend, or None for the serial one."""
        if self.backend is None:
            return None
        from ..distributed import get_backend

        backend = get_backend(self.backend)
        return None if getattr(backend, "name", "serial") == "serial" else backend

    def _engine(self, req, n_worlds, max_rounds):
        """``(engine, notes)``: the worlds that price the gains (incremental
        live-edge worlds, split over Ray actors, or re-simulation by the model)."""
        func = "CELFGreedy"
        g = req.graph
        key = seed_from_rng(req.gen)
        weights = node_weights(g, self.weight_attr, func)
        if check_goal(self.goal, func) == "exposure":
            if weights is not None:
                raise ValueError(
                    f"{func}: goal='exposure' with weight_attr (exposure within a segment) is "
                    "served by RR sets only: use strategy 'imm' for it, or drop weight_attr.")
            engine = _SimulatedWorlds(g, key, n_worlds, req.model, max_rounds, self._backend(),
                                      metric="exposure")
            return engine, ["optimised for exposure (people who see the campaign): gains by "
                            "re-simulating each candidate in the same worlds"]
        ic_graph = ic_equivalent(req.model, g) if max_rounds is None else None
        backend = self._backend()
        if ic_graph is not None and backend is not None and weights is not None:
            raise ValueError(
                f"{func}: weight_attr runs on the serial backend only (weighted gains summed "
                "across shards would not be bit-identical); drop backend= or weight_attr."
            )
        if ic_graph is not None and backend is not None:
            engine = _RayWorlds(ic_graph, key, n_worlds, bool(self.lookahead), backend)
            return engine, [f"worlds split over {len(engine.shards)} Ray actors"]
        if ic_graph is not None:
            return _IncrementalWorlds(ic_graph, key, n_worlds, weights, bool(self.lookahead)), []
        if weights is not None:
            raise ValueError(
                f"{func}: weight_attr needs a model with independent-cascade worlds; "
                f"{model_label(req.model)} (or a horizon) is served by simulation, which "
                "counts adopters only."
            )
        engine = _SimulatedWorlds(g, key, n_worlds, req.model, max_rounds, backend)
        return engine, ["gains by re-simulating each candidate in the same worlds with the "
                        "model's own kernel"]

    def _greedy(self, req, engine, batch, info, notes):
        """``(picks, gains, won)`` of lazy greedy; within a budget, the better of
        the benefit-per-cost and the benefit greedy (cost-effective lazy forward)."""
        singles = engine.singletons()
        if not req.budgeted:
            return lazy_greedy(engine, singles, req.k, None, math.inf, False,
                               bool(self.lookahead), batch)
        runs = {}
        for label, ratio in (("benefit_per_cost", True), ("benefit", False)):
            p, gn, w = lazy_greedy(engine, singles, req.k, req.costs_or_ones(), req.limit,
                                   ratio, bool(self.lookahead), batch)
            runs[label] = (p, gn, w)
            info[f"spread_{label}"] = sum(gn) / float(info["n_worlds"])
        best = max(runs, key=lambda lab: (sum(runs[lab][1]), lab == "benefit_per_cost"))
        notes.append(f"cost-effective lazy forward: the {best.replace('_', ' ')} greedy won")
        return runs[best]


def _guarantee_note(model, n_worlds):
    """What the greedy guarantees under ``model`` (nothing when it is not live-edge)."""
    if not model.is_live_edge:
        return (f"the model {model!r} is not a live-edge model: reach is not submodular, so "
                "lazy evaluation may skip better candidates and the greedy (1 - 1/e) guarantee "
                "does not hold")
    return f"greedy: within 1 - 1/e of the best seeds on the {n_worlds} sampled worlds"


def celf(graph, k=None, *, budget=None, costs=None, model=None, rng=None, **params):
    """Function form of :class:`CELFGreedy`: ``celf(graph, k, **params)``."""
    return CELFGreedy(**params).select(graph, k=k, budget=budget, costs=costs, model=model,
                                       rng=rng)
