"""Reverse-reachable sets kept on Ray actors: IMM and OPIM-C with ``backend=ray``.

The model is Ripples' distributed IMM (Minutoli et al., IEEE Cluster 2019):

- **Sampling where the sets live.** One actor per CPU of each node (Numba one
  thread each; or one per node with its CPUs as threads, ``rr_actors``),
  pinned to its node and reserving no CPU so the session's other
  tasks still run; started once per Ray session). When a collection grows
  from ``a`` to ``b`` sets, actor ``w`` of ``W`` makes RR indices
  ``a + (b - a) w / W .. a + (b - a)(w + 1) / W`` and keeps them: the sets
  never leave the actors. The reverse CSR of the graph (and its sampling
  table) is put into the object store once per graph and Ray session and
  read zero-copy by every actor of a node.
- **Greedy with gathered counts.** Greedy maximum coverage needs, each round,
  every node's number of uncovered sets. Each actor counts over its own sets;
  the driver sums the counts (exact integers), picks the best node (ties to
  the smaller index), and tells the actors, which mark the sets it covers and
  send back only the decrements (the members of the newly covered sets,
  counted). One round trip to every actor per pick (or, with
  ``rr_candidates``, a batch of exact picks per round trip).
- **Small collections on the driver.** A collection of at most
  ``GATHER_MEMBERS`` members (``GATHER_MEMBERS_CLUSTER`` when the actors
  span several machines; a backend's ``rr_gather_members`` overrides both)
  is instead copied to the driver on its first greedy (one round trip) and
  greedy is the serial collection's own (the same result: greedy depends on
  the counts only). The copy then grows with the collection: the actors send
  the new sets back with each growth, so IMM's sampling rounds cost one round
  trip each.

RR set ``i`` is a pure function of ``(key, i)`` and the graph
(:mod:`viralsim._kernels.rr`), counts are integer sums and the pick is the
argmax the serial lazy greedy makes, so the seeds, gains, spreads and OPIM-C's
bounds equal the serial ones bit for bit, for any number of actors.

:class:`RayRRCollection` has the methods of
:class:`viralsim.strategies.RRCollection` that IMM and OPIM-C use
(``extend_to``, ``greedy``, ``coverage``, ``n_sets``, ``scale``,
``n_members``, ``nbytes``, ``gen_seconds``).
"""

import functools
import itertools
import math
import threading
import time
import weakref

import numpy as np
from numba import njit

from .._kernels import rr as _rr
from .._kernels.config import NJIT, readonly
from .._validation import shown

__all__ = ["RayRRCollection", "ray_collections", "generate_range"]


# ---------------------------------------------------------------------------- kernels
@njit(**NJIT)
def _cover(v, node_ptr, node_sets, offsets, members, covered, dec, touched):
    """Mark the uncovered sets holding ``v`` covered and count their members.

    Parameters
    ----------
    v : int64, the node picked.
    node_ptr, node_sets : this share's node -> sets index (:func:`viralsim._kernels.rr.invert`).
    offsets, members : this share's sets, flat.
    covered : bool (n_sets,), updated in place.
    dec : int64 (n,), all zero on entry; on return ``dec[u]`` is the number of
        newly covered sets holding ``u`` (the caller reads and re-zeroes it).
    touched : int32 (n,), scratch.

    Returns
    -------
    m : int, ``touched[:m]`` are the nodes met (first-met order).

    Notes
    -----
    O(members of the newly covered sets): no sort, and ``dec`` is re-zeroed
    only where it was touched.
    """
    m = 0
    for j in range(node_ptr[v], node_ptr[v + 1]):
        s = node_sets[j]
        if not covered[s]:
            covered[s] = True
            for t in range(offsets[s], offsets[s + 1]):
                u = members[t]
                if dec[u] == 0:
                    touched[m] = u
                    m += 1
                dec[u] += 1
    return m


@njit(**NJIT)
def _best(deg, picked, costs, left, ratio):
    """The node :func:`viralsim._kernels.rr.greedy_cover` picks next, or -1.

    Parameters
    ----------
    deg : int64 (n,), uncovered sets holding each node (summed over the actors).
    picked : bool (n,), nodes already picked.
    costs : float64 (n,) or empty (unit costs).
    left : float, budget left (``inf`` for k seeds).
    ratio : bool, rank by count per unit cost.

    Returns
    -------
    int : among nodes not picked whose cost fits ``left``, the largest count
    (per unit cost when ``ratio``), ties to the smaller index -- the
    full-scan argmax that the serial lazy heap reproduces; -1 when none fits.
    """
    unit = costs.shape[0] == 0
    best = -1
    best_sc = 0.0
    for v in range(deg.shape[0]):
        if picked[v]:
            continue
        c = 1.0 if unit else costs[v]
        if c > left:
            continue
        sc = np.float64(deg[v]) / c if ratio else np.float64(deg[v])
        if best < 0 or sc > best_sc:
            best = v
            best_sc = sc
    return best


@njit(**NJIT)
def _multi_masks(cands, node_ptr, node_sets, covered, slot, words):
    """Uncovered sets holding two or more candidates, as bit masks over the candidates.

    Parameters
    ----------
    cands : int64 (L,), candidate nodes; candidate ``b`` is bit ``b % 64`` of word ``b // 64``.
    node_ptr, node_sets : this share's node -> sets index.
    covered : bool (n_sets,), sets covered so far.
    slot : int32 (n_sets,), all -1 on entry; -1 again on return (scratch).
    words : int, ``ceil(L / 64)``.

    Returns
    -------
    rows : uint64 (m, words), one row per uncovered set holding >= 2 candidates
        (the candidates it holds), in no particular order. Sets holding one
        candidate only are left out: they change no other candidate's count
        when that one is picked, and the driver knows every node's count.
    """
    m = 0
    for b in range(cands.shape[0]):
        c = cands[b]
        for j in range(node_ptr[c], node_ptr[c + 1]):
            s = node_sets[j]
            if not covered[s] and slot[s] < 0:
                slot[s] = m
                m += 1
    rows = np.zeros((m, words), dtype=np.uint64)
    nbits = np.zeros(m, dtype=np.int32)
    sets = np.empty(m, dtype=np.int64)
    for b in range(cands.shape[0]):
        c = cands[b]
        bit = np.uint64(1) << np.uint64(b & 63)
        for j in range(node_ptr[c], node_ptr[c + 1]):
            s = node_sets[j]
            if not covered[s]:
                r = slot[s]
                rows[r, b >> 6] |= bit
                nbits[r] += 1
                sets[r] = s
    q = 0
    for r in range(m):
        slot[sets[r]] = -1
        if nbits[r] >= 2:
            for w in range(words):
                rows[q, w] = rows[r, w]
            q += 1
    return rows[:q]


@njit(**NJIT)
def _distinct_rows(rows):
    """``(distinct rows, how many times each)`` of a uint64 (m, words) array, in
    first-met order (open addressing on a hash of the row's words)."""
    m, words = rows.shape
    cap = 16
    while cap < 2 * m:
        cap *= 2
    table = np.full(cap, -1, dtype=np.int64)
    out = np.empty((m, words), dtype=np.uint64)
    counts = np.zeros(m, dtype=np.int64)
    q = 0
    mult = np.uint64(0x9E3779B97F4A7C15)
    for r in range(m):
        h = np.uint64(0)
        for w in range(words):
            h = (h ^ rows[r, w]) * mult
            h ^= h >> np.uint64(29)
        i = np.int64(h & np.uint64(cap - 1))
        while True:
            t = table[i]
            if t < 0:
                table[i] = q
                for w in range(words):
                    out[q, w] = rows[r, w]
                counts[q] = 1
                q += 1
                break
            same = True
            for w in range(words):
                if out[t, w] != rows[r, w]:
                    same = False
                    break
            if same:
                counts[t] += 1
                break
            i = (i + 1) & (cap - 1)
    return out[:q], counts[:q]


@njit(**NJIT)
def _batch_picks(est, picked, costs, left, ratio, cands, bit_of, rows, counts, start, k, seeds,
                 gains):
    """Greedy picks made on the driver without a round trip, exact while they last.

    Parameters
    ----------
    est : int64 (n,), every node's count: exact for the candidates, an upper
        bound for the others (counts only fall); updated in place.
    picked, costs, left, ratio : as for :func:`_best` (``picked`` updated).
    cands : int64 (L,), the candidates; ``bit_of[v]`` is ``v``'s bit (its
        index in ``cands``), -1 for a node that is not one.
    rows, counts : uint64 (m, words) and int64 (m,): the uncovered sets holding
        two or more candidates (:func:`_multi_masks`), with multiplicities.
    start, k : picks made before this batch, and the most in all.
    seeds, gains : int64 (k,), written from ``start`` on.

    Returns
    -------
    (n_new, over, left) : picks made here, whether greedy is over (nothing
    fits the budget left), the budget left.

    Notes
    -----
    Each step takes the full argmax of :func:`_best` over ``est``. When it is
    a candidate, its count is exact and no other node can beat it (their true
    counts are at most their ``est``): it is the serial greedy's pick. It is
    taken, and the other candidates' counts lowered by the multi-candidate
    sets it covers (a set holding one candidate only changes that one's count
    alone). At a node that is not a candidate the batch stops (the caller makes
    a round trip and starts a new batch with exact counts).
    """
    n_rows = rows.shape[0]
    words = rows.shape[1]
    rcov = np.zeros(n_rows, dtype=np.bool_)
    unit = costs.shape[0] == 0
    one = np.uint64(1)
    n_new = 0
    while start + n_new < k:
        v = _best(est, picked, costs, left, ratio)
        if v < 0:
            return n_new, True, left
        b = bit_of[v]
        if b < 0:
            break
        seeds[start + n_new] = v
        gains[start + n_new] = est[v]
        n_new += 1
        picked[v] = True
        left -= 1.0 if unit else costs[v]
        w = b >> 6
        bit = one << np.uint64(b & 63)
        for r in range(n_rows):
            if rcov[r] or (rows[r, w] & bit) == 0:
                continue
            rcov[r] = True
            cnt = counts[r]
            for ww in range(words):
                x = rows[r, ww]
                pos = 0
                while x != 0:
                    if x & one:
                        est[cands[ww * 64 + pos]] -= cnt
                    x >>= one
                    pos += 1
    return n_new, False, left


def generate_range(rev, none_live, key, first, count, cum_w, total_w, mode, comment_prob,
                   n_threads, mean=4.0):
    """RR indices ``first .. first + count - 1``: ``(sizes int64, members int32)`` in index order.

    The same sets :class:`~viralsim.strategies.RRCollection` makes for those
    indices (the kernel is :func:`viralsim._kernels.rr.rr_generate`; blocks
    that run out of room are redone in further calls).
    """
    sizes, members = _generate_pieces(rev, none_live, key, first, count, cum_w, total_w, mode,
                                      comment_prob, n_threads, mean)
    if not sizes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
    return np.concatenate(sizes), np.concatenate(members)


def _generate_pieces(rev, none_live, key, first, count, cum_w, total_w, mode, comment_prob,
                     n_threads, mean=4.0):
    """:func:`generate_range` as lists ``(sizes, members)`` of consecutive pieces in index
    order, not joined (views of the kernel's blocks: no copy)."""
    rindptr, rindices, rprobs = rev
    n = rindptr.shape[0] - 1
    todo = [(int(first), int(count))]
    pieces = []
    while todo:
        start, cnt = todo.pop()
        nc = max(1, min(4 * n_threads, cnt))
        cap = int(math.ceil(cnt / nc * mean * 1.25)) + n + 64
        members = np.empty(nc * cap, dtype=np.int32)
        sizes = np.zeros(cnt, dtype=np.int64)
        done = np.zeros(nc, dtype=np.int64)
        used = np.zeros(nc, dtype=np.int64)
        _rr.rr_generate(rindptr, rindices, rprobs, readonly(none_live), np.uint64(key),
                        np.int64(start), np.int64(cnt), readonly(cum_w), float(total_w), int(mode), float(comment_prob),
                        nc, np.int64(cap), members, sizes, done, used)
        got = 0
        for c in range(nc):
            lo = cnt * c // nc
            hi = cnt * (c + 1) // nc
            d = int(done[c])
            if d:
                pieces.append((start + lo, sizes[lo: lo + d], members[c * cap: c * cap + int(used[c])]))
                got += int(used[c])
            if lo + d < hi:
                todo.append((start + lo + d, hi - lo - d))
        mean = max(mean, got / max(1, int(done.sum())))
    pieces.sort(key=lambda p: p[0])
    return [p[1] for p in pieces], [p[2] for p in pieces]


# ---------------------------------------------------------------------------- the actor
class _Shard:
    """One collection's share on one actor: flat sets, grown by appending."""

    def __init__(self, base):
        self.base = int(base)
        self.sizes = []
        self.members = []
        self.offsets = np.zeros(1, dtype=np.int64)
        self.flat = np.zeros(0, dtype=np.int32)
        self.dirty = False
        self.index = None
        self.covered = None
        self.dec = None
        self.touched = None
        self.slot = None

    def arrays(self):
        if self.dirty:  # (one piece, as for a collection grown once: no copy)
            sizes = self.sizes[0] if len(self.sizes) == 1 else np.concatenate(self.sizes)
            self.flat = self.members[0] if len(self.members) == 1 else np.concatenate(self.members)
            self.sizes, self.members = [sizes], [self.flat]
            self.offsets = np.zeros(sizes.shape[0] + 1, dtype=np.int64)
            np.cumsum(sizes, out=self.offsets[1:])
            self.dirty = False
            self.index = None
            self.slot = None
        return self.offsets, self.flat

    def cover(self, v, n):
        """Cover the uncovered sets holding ``v``: ``(nodes, decrements)`` of their members
        (:func:`_cover`; the index and ``covered`` are set up by ``counts``)."""
        offsets, members = self.arrays()
        node_ptr, node_sets = self.index
        if self.dec is None:
            self.dec = np.zeros(n, dtype=np.int64)
            self.touched = np.empty(n, dtype=np.int32)
        m = _cover(np.int64(v), node_ptr, node_sets, offsets, members, self.covered, self.dec,
                   self.touched)
        nodes = self.touched[:m].copy()
        dec = self.dec[nodes]
        self.dec[nodes] = 0
        return nodes, dec


class _RRWorker:
    """Ray actor body: holds the shares of RR collections (by token) made on it."""

    def __init__(self, pin_threads=True, threads=1):
        import numba

        if pin_threads:  # one thread per actor, or (one actor per node) the node's CPUs
            numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
        self.n_threads = numba.get_num_threads()
        self.shards = {}

    def ping(self):
        return True

    def node(self):
        """``(Ray node id, Numba threads)`` of this actor."""
        import ray

        return ray.get_runtime_context().get_node_id(), self.n_threads

    def open(self, token, base, spec):
        """A new (empty) share. ``spec`` is ``(arrays, cum_w, total_w, mode, comment_prob)``,
        ``arrays`` the graph's reverse CSR and table: an object-store reference, read
        here as zero-copy views (or the arrays themselves, in-process)."""
        arrays, cum_w, total_w, mode, comment_prob = spec
        if not isinstance(arrays, tuple):
            import ray

            arrays = ray.get(arrays)
        self.shards[token] = (_Shard(base), (*arrays, cum_w, total_w, mode, comment_prob))

    def close(self, token):
        self.shards.pop(token, None)

    def extend(self, token, first, count, key, mean, send=False):
        """Make RR indices ``base + first .. base + first + count - 1`` and keep them.

        Returns their number of members, and with ``send`` also the sets themselves,
        ``(members, sizes pieces, members pieces)`` in index order (for the driver's
        copy of a small collection: no round trip of its own)."""
        sh, spec = self.shards[token]
        rindptr, rindices, rprobs, none_live, cum_w, total_w, mode, comment_prob = spec
        sizes, members = _generate_pieces((rindptr, rindices, rprobs), none_live, key,
                                          sh.base + first, count, cum_w, total_w, mode,
                                          comment_prob, self.n_threads, mean)
        sh.sizes += sizes
        sh.members += members
        sh.dirty = True
        got = sum(int(m.shape[0]) for m in members)
        return (got, sizes, members) if send else got

    def counts(self, token):
        """Per node, the number of this share's sets holding it; resets coverage."""
        sh, spec = self.shards[token]
        offsets, members = sh.arrays()
        n = spec[0].shape[0] - 1
        if sh.index is None:
            # parallel blocks while their counts (8 n bytes each) stay below the members'
            nc = max(1, min(self.n_threads, members.shape[0] // (8 * max(n, 1))))
            sh.index = _rr.invert(offsets, members, n, nc)
        sh.covered = np.zeros(offsets.shape[0] - 1, dtype=np.bool_)
        node_ptr = sh.index[0]
        return np.diff(node_ptr)

    def step(self, token, picks, cands):
        """One round of the batched greedy: cover ``picks`` in order, then describe
        how the candidates ``cands`` share the sets still uncovered.

        Returns
        -------
        ptr, nodes, dec : the decrements of each pick in turn: pick ``j``
            lowered ``nodes[ptr[j]:ptr[j + 1]]`` by ``dec[ptr[j]:ptr[j + 1]]``.
        rows, counts : the distinct candidate masks of the uncovered sets holding
            two or more candidates, and how many sets have each
            (:func:`_multi_masks`).
        """
        sh, spec = self.shards[token]
        offsets, _ = sh.arrays()
        node_ptr, node_sets = sh.index
        ptr = np.zeros(len(picks) + 1, dtype=np.int64)
        nodes, dec = [], []
        for j, v in enumerate(picks):
            got, d = sh.cover(v, spec[0].shape[0] - 1)
            nodes.append(got)
            dec.append(d)
            ptr[j + 1] = ptr[j] + got.shape[0]
        nodes = np.concatenate(nodes) if nodes else np.zeros(0, dtype=np.int32)
        dec = np.concatenate(dec) if dec else np.zeros(0, dtype=np.int64)
        cands = np.asarray(cands, dtype=np.int64)
        words = max(1, (cands.shape[0] + 63) // 64)
        rows = np.zeros((0, words), dtype=np.uint64)
        counts = np.zeros(0, dtype=np.int64)
        if cands.shape[0]:
            if sh.slot is None:
                sh.slot = np.full(offsets.shape[0] - 1, -1, dtype=np.int32)
            rows = _multi_masks(readonly(cands), node_ptr, node_sets, sh.covered, sh.slot, words)
            rows, counts = _distinct_rows(rows)
        return ptr, nodes, dec, rows, counts

    def coverage(self, token, seeds):
        sh, spec = self.shards[token]
        offsets, members = sh.arrays()
        n = spec[0].shape[0] - 1
        if offsets.shape[0] == 1:
            return 0
        nc = max(1, min(4 * self.n_threads, offsets.shape[0] - 1))
        return int(_rr.coverage(offsets, members, n, readonly(np.asarray(seeds, dtype=np.int64)),
                                nc))

    def share(self, token):
        """This share's sets: ``(sizes pieces, members pieces)``, not joined (for the
        driver's copy of a small collection)."""
        sh, _ = self.shards[token]
        return sh.sizes, sh.members

    def stats(self, token):
        sh, _ = self.shards[token]
        offsets, members = sh.arrays()
        return int(offsets.shape[0] - 1), int(members.shape[0])


# ---------------------------------------------------------------------------- actor pool
_POOL = {}  # the current Ray session's actors: {"session", "n_cpus", "workers"}
_POOL_LOCK = threading.Lock()
_TOKENS = itertools.count()


def _layout(ray):
    """``((node id, CPUs), ...)`` of the cluster's live nodes that have CPUs, sorted."""
    out = []
    for node in ray.nodes():
        cpus = int(node.get("Resources", {}).get("CPU", 0))
        if node.get("Alive") and cpus > 0:
            out.append((node["NodeID"], cpus))
    return tuple(sorted(out))


#: where the RR actors go: "per_cpu" (one per CPU of each node, Numba 1 thread
#: each) or "per_node" (one per node, Numba threads = the node's CPUs); a
#: RayBackend's ``rr_actors`` attribute overrides it
RR_ACTORS = "per_cpu"


def _placement(backend):
    mode = getattr(backend, "rr_actors", None) or RR_ACTORS
    if mode not in ("per_cpu", "per_node"):
        raise ValueError(f"The 'rr_actors' setting of the ray backend must be 'per_cpu' or "
                         f"'per_node'. Got {shown(mode)} instead.")
    return mode


def _pool(backend):
    """The RR actors of the current Ray session, started once.

    One per CPU of each node (Numba 1 thread each), or with
    ``rr_actors="per_node"`` one per node (Numba threads = its CPUs: the
    kernels give the same sets for any thread count). The actors are pinned
    to their nodes and reserve no CPU (``num_cpus=0``), so the backend's
    simulation tasks and CELF's actors still find CPUs while they idle; they
    are busy only while a selection runs. Any backend of the session shares
    them (each collection's sets are kept under its own token); a new
    session, nodes joining or leaving, or another placement gets new actors.
    """
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    mode = _placement(backend)
    ray = backend._ensure()
    ctx = ray.get_runtime_context()
    session = (ctx.get_node_id(), ctx.get_job_id())
    layout = (mode, _layout(ray) or ((ctx.get_node_id(), 1),))
    with _POOL_LOCK:
        if _POOL.get("session") == session and _POOL.get("layout") == layout:
            return ray, _POOL["workers"]
        if _POOL.get("session") == session:  # same session, new nodes: retire the old actors
            for w in _POOL["workers"]:
                ray.kill(w)
        actor = ray.remote(num_cpus=0)(_RRWorker)
        workers = []
        for node, cpus in layout[1]:
            where = NodeAffinitySchedulingStrategy(node, soft=False)
            if mode == "per_cpu":
                workers += [actor.options(scheduling_strategy=where).remote() for _ in range(cpus)]
            else:
                env = {"env_vars": {"NUMBA_NUM_THREADS": str(cpus)}}
                workers.append(actor.options(scheduling_strategy=where, runtime_env=env)
                               .remote(threads=cpus))
        ray.get([w.ping.remote() for w in workers])
        local = all(node == ctx.get_node_id() for node, _ in layout[1])
        _POOL.update(session=session, layout=layout, workers=workers, local=local)
        return ray, workers


def shutdown_pools():
    """Forget the actors (they end with the Ray session; for tests that restart Ray)."""
    with _POOL_LOCK:
        _POOL.clear()


# ---------------------------------------------------------------------------- driver side
#: a collection with at most this many members (128 MB) is copied to the driver for
#: greedy when every actor is on the driver's machine: one transfer (a memory copy
#: through the object store, tens of ms) beats k round trips (each 2-4 ms here, and
#: the wait for the slower actor); it takes IMM's and OPIM-C's collections on
#: NetHEPT (14M members) and leaves email-Enron's (68M) on the actors. Once copied,
#: the driver's copy is kept up to date as the collection grows (the actors send
#: the new sets with their growth: no round trip of its own)
GATHER_MEMBERS = 1 << 25

#: the same when the actors span several machines (a copy crosses the network)
GATHER_MEMBERS_CLUSTER = 1 << 23

#: candidates per round trip of the batched greedy
#: (:meth:`RayRRCollection._greedy_on_actors`): 0 makes one round trip per
#: pick; more make fewer round trips, each with more work on the actors (worth
#: it where a round trip costs more than covering; 64 is one mask word); a
#: RayBackend's ``rr_candidates`` attribute overrides it
CANDIDATES = 0


def _top_candidates(est, picked, costs, left, ratio, L, v0):
    """The ``L`` nodes with the best scores (as :func:`_best` ranks them) among
    those not picked whose cost fits ``left``; always holds ``v0`` (the best)."""
    score = est.astype(np.float64)
    if costs.shape[0]:
        if ratio:
            score = score / costs
        score[costs > left] = -np.inf
    score[picked] = -np.inf
    if L < score.shape[0]:
        top = np.argpartition(-score, L - 1)[:L]
    else:
        top = np.arange(score.shape[0])
    top = top[np.isfinite(score[top])]
    if not np.any(top == v0):
        top = np.concatenate([top[: L - 1], [v0]])
    return np.sort(top).astype(np.int64)


class RayRRCollection:
    """A collection of RR sets whose sets live on Ray actors; see the module docstring.

    RR set ``i`` of the collection is RR index ``base + i`` of ``key``, as in
    :class:`viralsim.strategies.RRCollection`, and greedy, coverage and
    estimates equal that class's bit for bit.
    """

    def __init__(self, ray, workers, spec, n, key, base, total_w, here=None, wait=True):
        self.ray = ray
        self.workers = workers
        self.n = int(n)
        self.key = int(key)
        self.base = int(base)
        self.total_w = float(total_w)
        self.n_sets = 0
        self.gen_seconds = 0.0
        self.round_trips = 0
        self._members = 0
        self._mean = 4.0
        self.gather_members = GATHER_MEMBERS
        self.candidates = CANDIDATES
        #: an empty serial RRCollection for the driver's copy (None: never copied)
        self._make_here = here
        self._here = None  # the driver's copy of every set (kept complete) or None
        self.token = next(_TOKENS)
        self._opened = [w.open.remote(self.token, self.base, spec) for w in workers]
        if wait:
            ray.get(self._opened)
        self._finalizer = weakref.finalize(self, _close_remote, workers, self.token)

    @property
    def scale(self):
        return self.total_w

    def extend_to(self, n_sets):
        """Grow to ``n_sets`` sets, each actor making and keeping an equal share of the new ones."""
        extend_together([self], n_sets)
        return self

    def _extend_calls(self, n_sets):
        """The actor calls that grow this collection to ``n_sets`` sets (none if it is
        that large). While the driver holds a copy and the grown collection is
        expected to stay within ``gather_members``, the actors send the new sets
        back too; else the copy is dropped."""
        a, add, W = self.n_sets, n_sets - self.n_sets, len(self.workers)
        if self._here is not None and self._members + add * self._mean > self.gather_members:
            self._here = None
        send = self._here is not None
        futs = []
        for w, actor in enumerate(self.workers):
            lo, hi = add * w // W, add * (w + 1) // W
            if hi > lo:
                futs.append(actor.extend.remote(self.token, a + lo, hi - lo, self.key, self._mean,
                                                send))
        return futs

    def _extended(self, n_sets, got, seconds):
        """Book a growth to ``n_sets``; ``got`` are the actors' answers in worker order
        (member counts, or ``(count, sizes, members)`` with the sets sent)."""
        t0 = time.perf_counter()
        self.round_trips += 1
        self._members += sum(g if isinstance(g, int) else g[0] for g in got)
        self.n_sets = n_sets
        self._mean = max(4.0, self._members / n_sets)
        if self._here is not None:
            if self._members > self.gather_members:
                self._here = None
            else:  # worker w made the w-th run of the new indices: index order
                _append_sets(self._here, [p for g in got for p in g[1]],
                             [p for g in got for p in g[2]])
        self.gen_seconds += seconds + time.perf_counter() - t0

    def greedy(self, k, costs=None, budget=math.inf, ratio=False, upper=False):
        """Greedy max coverage ``(seeds, gains, upper_bound)`` as :func:`viralsim._kernels.rr.greedy_cover`.

        A collection of at most ``gather_members`` members is copied here once
        (IMM's sampling phase and, on one machine, small final collections) and
        greedy is the serial collection's own; the copy then grows with the
        collection. Larger ones stay on the actors: counts gathered once, then
        one round trip per pick. Same result either way (greedy depends on the
        counts only, not on where the sets are or in which order).
        """
        c = np.zeros(0) if costs is None else np.asarray(costs, dtype=np.float64)
        if self._members <= self.gather_members and self._make_here is not None:
            return self._copy_here().greedy(k, c, budget, ratio, upper)
        return self._greedy_on_actors(k, c, budget, ratio, upper)

    def _copy_here(self):
        """The driver's copy of the collection (a serial RRCollection), made on first use
        with one round trip."""
        if self._here is None:
            parts = self.ray.get([w.share.remote(self.token) for w in self.workers])
            self.round_trips += 1
            here = self._make_here()
            _append_sets(here, [p for s, _ in parts for p in s], [p for _, m in parts for p in m])
            self._here = here
        return self._here

    def _greedy_on_actors(self, k, c, budget, ratio, upper):
        """:meth:`greedy` with the sets left on the actors.

        One round trip gathers every node's count. Then each round trip tells
        the actors the picks made since the last one (they cover those sets, in
        order, and send back each pick's decrements, which the driver subtracts
        from the counts).

        - ``candidates == 0`` (the default): one pick per round trip, the
          argmax of the exact counts (no trip after the last pick).
        - ``candidates == L > 0``: each round trip also asks, for the ``L``
          nodes with the largest counts, which uncovered sets hold two or more
          of them (distinct bit masks with multiplicities). With that the
          driver makes the serial greedy's picks exactly while they fall among
          the candidates (:func:`_batch_picks`), often tens per round trip; a
          pick outside them starts the next one. The masks cost about as much
          as covering the candidates' sets, so this pays only where a round
          trip costs more than that (small sets, slow network).

        OPIM-C's bound (``upper``) is replayed pick by pick from the
        decrements, so it too equals the serial one.
        """
        ray, ws, tok = self.ray, self.workers, self.token
        n = self.n
        k = int(k)
        deg = np.zeros(n, dtype=np.int64)
        for part in ray.get([w.counts.remote(tok) for w in ws]):
            deg += part
        self.round_trips += 1
        picked = np.zeros(n, dtype=np.bool_)  # in step with deg (the actors' coverage)
        seeds = np.full(max(k, 0), -1, dtype=np.int64)
        gains = np.zeros(max(k, 0), dtype=np.int64)
        left = float(budget)
        cov = 0
        bound = float(_rr._top_sum(deg, picked, k)) if upper else math.inf
        est, pk = deg.copy(), picked.copy()  # the batch's view: est exact for candidates
        n_pick, pending, over = 0, [], False
        L = max(0, min(int(self.candidates), n))
        bit_of = np.full(n, -1, dtype=np.int64)
        none = np.zeros(0, dtype=np.int64)
        while True:
            more = n_pick < k and not over
            cands = none
            if more and not L:  # one pick per round trip: deg is exact here
                v = int(_best(deg, picked, c, left, bool(ratio)))
                if v < 0:
                    over = more = False
                else:
                    seeds[n_pick], gains[n_pick] = v, deg[v]
                    n_pick += 1
                    left -= 1.0 if c.shape[0] == 0 else float(c[v])
                    pending = [v]
                    more = n_pick < k
            elif more:
                v0 = int(_best(est, pk, c, left, bool(ratio)))
                if v0 < 0:
                    over = more = False
                else:
                    cands = _top_candidates(est, pk, c, left, ratio, L, v0)
            if not more and not (upper and pending):
                break  # the actors need not hear of the last picks
            parts = ray.get([w.step.remote(tok, pending, cands) for w in ws])
            self.round_trips += 1
            for j, v in enumerate(pending):  # the serial greedy's state after each pick
                cov += int(deg[v])
                for ptr, nodes, dec, _, _ in parts:
                    a, b = int(ptr[j]), int(ptr[j + 1])
                    deg[nodes[a:b]] -= dec[a:b]
                picked[v] = True
                if upper:
                    bound = min(bound, cov + float(_rr._top_sum(deg, picked, k)))
            pending = []
            if not more or not L:
                continue
            est, pk = deg.copy(), picked.copy()
            rows = np.concatenate([p[3] for p in parts])
            counts = np.concatenate([p[4] for p in parts])
            bit_of[cands] = np.arange(cands.shape[0])
            made, over, left = _batch_picks(est, pk, c, left, bool(ratio), cands, bit_of, rows,
                                            counts, n_pick, k, seeds, gains)
            bit_of[cands] = -1
            pending = seeds[n_pick:n_pick + made].tolist()
            n_pick += made
        return (seeds[:n_pick].astype(np.int32), gains[:n_pick].copy(), bound)

    def coverage(self, seeds):
        """Number of sets hit by ``seeds`` (summed over the actors, or from the driver's copy)."""
        if self._here is not None:
            return self._here.coverage(seeds)
        seeds = np.asarray(seeds, dtype=np.int64)
        self.round_trips += 1
        return int(sum(self.ray.get([w.coverage.remote(self.token, seeds) for w in self.workers])))

    def estimate(self, seeds):
        return self.scale * self.coverage(seeds) / max(1, self.n_sets)

    @property
    def n_members(self):
        return int(self._members)

    @property
    def nbytes(self):
        """Bytes of the flat storage over all actors (offsets + members)."""
        return 8 * (self.n_sets + len(self.workers)) + 4 * self._members

    def close(self):
        """Free the sets on the actors now (else when this object is collected)."""
        self._finalizer()


def extend_together(collections, n_sets):
    """Grow each collection to ``n_sets`` sets, with every actor call of all of them in
    flight at once and one wait (OPIM-C's two collections per round: one barrier, not
    two). Serial collections (no ``_extend_calls``) are grown one after the other. The
    sets are those of growing each alone: set ``i`` is a function of its index."""
    n_sets = int(n_sets)
    ray_colls = [c for c in collections if hasattr(c, "_extend_calls")]
    for c in collections:
        if not hasattr(c, "_extend_calls"):
            c.extend_to(n_sets)
    todo = [c for c in ray_colls if n_sets > c.n_sets]
    if not todo:
        return
    t0 = time.perf_counter()
    calls = [c._extend_calls(n_sets) for c in todo]
    got = todo[0].ray.get([f for fs in calls for f in fs])
    seconds = (time.perf_counter() - t0) / len(todo)  # the wall time, shared out
    i = 0
    for c, fs in zip(todo, calls):
        c._extended(n_sets, got[i:i + len(fs)], seconds)
        i += len(fs)


def _append_sets(coll, sizes, members):
    """Append sets (pieces ``sizes``, ``members`` of consecutive sets) to a serial
    :class:`~viralsim.strategies.RRCollection`'s flat storage."""
    off, mem = coll.arrays()
    sizes = np.concatenate(sizes) if sizes else np.zeros(0, dtype=np.int64)
    offsets = np.empty(off.shape[0] + sizes.shape[0], dtype=np.int64)
    offsets[: off.shape[0]] = off
    np.cumsum(sizes, out=offsets[off.shape[0]:])
    offsets[off.shape[0]:] += off[-1]
    coll._members = np.concatenate([mem, *members]) if members else mem
    coll._offsets = offsets
    coll.n_sets += sizes.shape[0]
    coll._index = None


def _close_remote(workers, token):
    for w in workers:
        try:
            w.close.remote(token)
        except Exception:  # the Ray session is gone: so are the sets
            pass


_ARRAYS = {}  # id(graph) -> (weakref to graph, Ray session, object-store reference)
_ARRAYS_LOCK = threading.Lock()


def _graph_arrays_ref(ray, graph):
    """``(reference, per_row)``: the object-store reference of what ``graph``'s RR
    sampling reads (``graph._rr_reverse()``: the reverse CSR, with one probability per
    row where a node's in-edges share one, and its sampling table), as the serial
    collections read it.

    Put once per graph and Ray session (a comparison's many selections on one
    graph share it), released for Ray to free when the graph is collected.
    """
    ctx = ray.get_runtime_context()
    session = (ctx.get_node_id(), ctx.get_job_id())
    key = id(graph)
    with _ARRAYS_LOCK:
        hit = _ARRAYS.get(key)
        if hit is not None and hit[0]() is graph and hit[1] == session:
            return hit[2], hit[3]
        *arrays, per_row = graph._rr_reverse()

        def forget(wr, key=key):
            with _ARRAYS_LOCK:
                if _ARRAYS.get(key, (None,))[0] is wr:
                    _ARRAYS.pop(key, None)

        ref = ray.put(tuple(arrays))
        _ARRAYS[key] = (weakref.ref(graph, forget), session, ref, bool(per_row))
        return ref, bool(per_row)


def _setting(backend, name, default):
    """The backend's ``name`` attribute (an int >= 0), or ``default`` when it has none."""
    value = getattr(backend, name, None)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"The '{name}' setting of the ray backend must be an int >= 0. "
                         f"Got {shown(value)} instead.")
    return int(value)


def ray_collections(backend, graph, key, *, weights, mode, comment_prob, bases):
    """One :class:`RayRRCollection` per base, sharing ``graph``'s arrays in the object store."""
    from ..strategies.ris import RRCollection

    if weights is None:
        cum_w, total_w = np.zeros(0), float(graph.n_nodes)
    else:
        cum_w = np.cumsum(np.asarray(weights, dtype=np.float64))
        total_w = float(cum_w[-1])
    cands = _setting(backend, "rr_candidates", CANDIDATES)
    for attempt in (0, 1):
        ray, workers = _pool(backend)
        gather = _setting(backend, "rr_gather_members",
                          GATHER_MEMBERS if _POOL.get("local", True) else GATHER_MEMBERS_CLUSTER)
        ref, per_row = _graph_arrays_ref(ray, graph)
        kernel_mode = int(mode) | (_rr.MODE_ROW_PROBS if per_row else 0)
        spec = (ref, cum_w, total_w, kernel_mode, float(comment_prob))
        try:
            out = [RayRRCollection(ray, workers, spec, graph.n_nodes, key, b, total_w,
                                   here=functools.partial(RRCollection, graph, key, base=b,
                                                          weights=weights, mode=mode,
                                                          comment_prob=comment_prob),
                                   wait=False)
                   for b in bases]
            ray.get([f for c in out for f in c._opened])  # one round trip for all
            for c in out:
                c.candidates = cands
                c.gather_members = gather
            return out
        except ray.exceptions.RayActorError:
            # an actor died since the last selection (killed, out of memory, its node
            # gone): start a new pool once; a selection in flight fails with Ray's error
            if attempt:
                raise
            with _POOL_LOCK:
                for w in _POOL.get("workers", ()):
                    ray.kill(w)
                _POOL.clear()
