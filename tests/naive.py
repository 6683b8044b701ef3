"""Slow, obviously-correct twins of the kernels, and exact oracles.

Nothing here imports the kernels: the twins re-derive each world from the
documented definition (``viralsim._kernels.rng`` docstring, ``expand_node``
Notes) in plain Python integers and floats.
"""

import itertools
import math
from collections import deque

import numpy as np

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
NODE_MULT = 0xD1B54A32D192ED03
DOMAIN_FORWARD = 0x0F0F0F0F0F0F0F0F
DOMAIN_REVERSE = 0x3C3C3C3C3C3C3C3C
SKIP_BELOW = 0.0625
BINOM_MAX_MEAN = 16.0


def mix64(z):
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def world_key(key, r, domain=DOMAIN_FORWARD):
    return mix64(key ^ mix64((r * GOLDEN + domain) & MASK64))


class NodeStream:
    """The random stream of one node in one world."""

    def __init__(self, wkey, u):
        self.state = mix64(wkey ^ (((u + 1) * NODE_MULT) & MASK64))

    def next(self):
        self.state = (self.state + GOLDEN) & MASK64
        return mix64(self.state)


def unit(x):
    return float(x >> 11) * 2.0**-53


def unit_open0(x):
    return (float(x >> 11) + 1.0) * 2.0**-53


def row_kind(p32):
    if p32[0] >= SKIP_BELOW:
        return "coin"
    if p32[0] > 0.0 and p32[-1] == p32[0] and len(p32) * p32[0] <= BINOM_MAX_MEAN:
        return "binomial"
    return "skip"


def bounded(s, bound):
    """Exact uniform integer in [0, bound) from 32-bit draws (Lemire's rejection)."""
    while True:
        m = (s.next() & 0xFFFFFFFF) * bound
        if (m & 0xFFFFFFFF) >= (2**32 - bound) % bound:
            return m >> 32


def live_followers(indptr, indices, probs, u, wkey):
    """Live out-edges of u in the world with key wkey, as edge positions (the definition)."""
    start, end = int(indptr[u]), int(indptr[u + 1])
    if start == end:
        return []
    p32 = [float(np.float32(p)) for p in probs[start:end]]
    d = len(p32)
    s = NodeStream(wkey, u)
    kind = row_kind(p32)
    if kind == "coin":
        live = []
        for e in range(d):
            if e % 2 == 0:
                x = s.next()
                half = x & 0xFFFFFFFF
            else:
                half = x >> 32
            if float(half) < p32[e] * 4294967296.0:
                live.append(start + e)
        return live
    if kind == "binomial":
        q = p32[0]
        z = math.exp(d * math.log1p(-q))
        uu = unit(s.next())
        if uu < z:
            return []
        k, pk, cdf = 0, z, z
        while uu >= cdf and k < d:
            pk *= (d - k) / (k + 1) * (q / (1.0 - q))
            k += 1
            cdf += pk
        chosen = []  # Floyd's algorithm, in draw order
        for j in range(d - k, d):
            t = bounded(s, j + 1)
            chosen.append(j if t in chosen else t)
        return [start + t for t in chosen]
    live = []
    pos = 0
    while pos < d:
        q = p32[pos]
        if q <= 0.0:
            break
        inv = 1.0 / math.log1p(-q)
        gap = math.floor(math.log(unit_open0(s.next())) * inv)
        if gap >= d - pos:
            break
        cand = pos + gap
        p = p32[cand]
        if p < q and unit(s.next()) * q >= p:
            pos = cand + 1
            continue
        live.append(start + cand)
        pos = cand + 1
    return live


def naive_ic_world(graph, seed_idx, key, r, max_rounds=None):
    """Reach, exposure and per-round adopters of world r, by breadth-first search."""
    indptr, indices, probs = graph.indptr, graph.indices, graph.probs
    wkey = world_key(key, r)
    active = set(int(s) for s in seed_idx)
    seen = set(active)
    frontier = [int(s) for s in seed_idx]
    rounds = [len(frontier)]
    t = 0
    while frontier and (max_rounds is None or t < max_rounds):
        new = []
        for u in frontier:
            for e in range(indptr[u], indptr[u + 1]):
                seen.add(int(indices[e]))
            for e in live_followers(indptr, indices, probs, u, wkey):
                v = int(indices[e])
                if v not in active:
                    active.add(v)
                    new.append(v)
        frontier = new
        t += 1
        rounds.append(len(new))
    while rounds and rounds[-1] == 0 and len(rounds) > 1:
        rounds.pop()
    return len(active), len(seen), rounds


# ---------------------------------------------------------------- exact oracles
def reachable(n, edges, seeds):
    """Nodes reachable from seeds over the given (u, v) edges."""
    adj = [[] for _ in range(n)]
    for u, v in edges:
        adj[u].append(v)
    seen = set(seeds)
    dq = deque(seeds)
    while dq:
        u = dq.popleft()
        for v in adj[u]:
            if v not in seen:
                seen.add(v)
                dq.append(v)
    return seen


def exact_ic_reach(graph, seed_idx, max_rounds=None):
    """Exact expected reach (and its variance) by enumerating all 2^m live-edge worlds.

    For m <= 16 edges. With ``max_rounds`` only nodes within that many hops
    over live edges count.
    """
    src = np.repeat(np.arange(graph.n_nodes), np.diff(graph.indptr))
    dst = graph.indices
    p = graph.probs.astype(np.float64)
    m = len(dst)
    assert m <= 16, "enumeration is for tiny graphs"
    mean = 0.0
    second = 0.0
    seeds = [int(s) for s in seed_idx]
    for mask in itertools.product((0, 1), repeat=m):
        w = 1.0
        edges = []
        for i, b in enumerate(mask):
            w *= p[i] if b else 1.0 - p[i]
            if b:
                edges.append((int(src[i]), int(dst[i])))
        if w == 0.0:
            continue
        if max_rounds is None:
            r = len(reachable(graph.n_nodes, edges, seeds))
        else:
            r = len(_within(graph.n_nodes, edges, seeds, max_rounds))
        mean += w * r
        second += w * r * r
    return mean, second - mean * mean


def _within(n, edges, seeds, h):
    adj = [[] for _ in range(n)]
    for u, v in edges:
        adj[u].append(v)
    dist = {s: 0 for s in seeds}
    dq = deque(seeds)
    while dq:
        u = dq.popleft()
        if dist[u] == h:
            continue
        for v in adj[u]:
            if v not in dist:
                dist[v] = dist[u] + 1
                dq.append(v)
    return dist


def plain_ic(graph, seed_idx, n_sims, gen):
    """Independent reference: textbook IC with a coin per edge from a numpy Generator."""
    indptr, indices, probs = graph.indptr, graph.indices, graph.probs
    out = np.empty(n_sims)
    for i in range(n_sims):
        active = set(int(s) for s in seed_idx)
        frontier = list(active)
        while frontier:
            new = []
            for u in frontier:
                for e in range(indptr[u], indptr[u + 1]):
                    v = int(indices[e])
                    if v not in active and gen.random() < probs[e]:
                        active.add(v)
                        new.append(v)
            frontier = new
        out[i] = len(active)
    return out
