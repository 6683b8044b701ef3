"""IMM and OPIM-C with the RR sets on Ray actors: the same seeds, gains and spreads as serial.

The driver-side logic (shares of every growth, counts gathered each round,
decrements sent back) is checked first with in-process actors (no Ray
needed); then on a local Ray with 2 CPUs; then on a simulated 2-node cluster
(``ray.cluster_utils.Cluster``, marked ``slow``; ``VIRALSIM_TEST_SCALE=full``
runs it on a larger graph).
"""

import os

import numpy as np
import pytest

import viralsim as vs
from viralsim._kernels import ic as _ic
from viralsim._kernels.rr import MODE_IC
from viralsim.distributed import ray_rr
from viralsim.strategies.ris import SECOND_BASE, RRCollection

FULL = os.environ.get("VIRALSIM_TEST_SCALE", "ci") == "full"

ray = None
try:  # the extra is optional
    import ray  # noqa: F811
except ImportError:
    pass

needs_ray = pytest.mark.skipif(ray is None, reason="ray not installed (extra 'ray')")


# ---------------------------------------------------------------------------- in-process actors
class _Call:
    def __init__(self, fn):
        self.remote = fn


class _Actor:
    """An :class:`ray_rr._RRWorker` called in this process (``.method.remote(...)`` -> value)."""

    def __init__(self):
        self.w = ray_rr._RRWorker(pin_threads=False)

    def __getattr__(self, name):
        return _Call(getattr(self.w, name))


class _NoRay:
    @staticmethod
    def get(x):
        return x


def _local(graph, key, n_workers, base=0, weights=None, gather=0, candidates=None):
    rev = graph.reverse_csr()
    none_live = _ic.skip_row_none_live(rev[0], rev[2])
    if weights is None:
        cum_w, total_w = np.zeros(0), float(graph.n_nodes)
    else:
        cum_w = np.cumsum(weights)
        total_w = float(cum_w[-1])
    spec = ((*rev, none_live), cum_w, total_w, MODE_IC, 1.0)
    workers = [_Actor() for _ in range(n_workers)]
    coll = ray_rr.RayRRCollection(_NoRay, workers, spec, graph.n_nodes, key, base, total_w,
                                  here=lambda: RRCollection(graph, key, base=base, weights=weights))
    coll.gather_members = gather  # 0: greedy by the distributed protocol whatever the size
    if candidates is not None:
        coll.candidates = candidates
    return coll, workers


def _ties_graph():
    """Stars with equal follower counts (probs 1): greedy meets exact ties at every pick."""
    src, dst = [], []
    for c in range(6):
        for j in range(4):
            src.append(10 * c)
            dst.append(10 * c + 1 + j)
    return vs.FollowerGraph.from_edges(src, dst, probs=1.0)


def _graphs():
    yield vs.generators.erdos_renyi(80, 0.06, rng=1, probabilities="weighted_cascade")
    yield vs.generators.barabasi_albert(300, 2, rng=2).with_probabilities(0.1)
    yield _ties_graph()


@pytest.mark.parametrize("first, count", [(0, 1), (0, 500), (37, 211), (SECOND_BASE + 5, 64)])
def test_generate_range_makes_the_collections_sets(first, count):
    g = next(_graphs())
    rev = g.reverse_csr()
    none_live = _ic.skip_row_none_live(rev[0], rev[2])
    sizes, members = ray_rr.generate_range(rev, none_live, 99, first, count, np.zeros(0),
                                           float(g.n_nodes), MODE_IC, 1.0, 3, mean=1.0)
    base = SECOND_BASE if first >= SECOND_BASE else 0
    want = RRCollection(g, 99, base=base).extend_to(first - base + count).sets()[first - base:]
    got = np.split(members, np.cumsum(sizes)[:-1])
    assert len(got) == count and all(a.tolist() == b.tolist() for a, b in zip(got, want))


@pytest.mark.parametrize("gi", range(3))
@pytest.mark.parametrize("n_workers, gather, candidates", [
    (1, 0, None), (2, 0, None), (3, 0, None), (3, 1 << 30, None), (2, 400, None),
    (2, 0, 1), (3, 0, 3), (2, 0, 70), (2, 0, 1000)])  # batches: short, 2-word masks, all nodes
def test_distributed_greedy_equals_serial(gi, n_workers, gather, candidates):
    """Shares of irregular growth steps; plain, bounded (OPIM-C) and budgeted greedy
    (by gain and by gain per cost); coverage: all equal the serial collection's, by the
    distributed protocol (batches of picks of any length) and with the sets gathered
    to the driver (kept up to date by each growth, and dropped once too large)."""
    g = list(_graphs())[gi]
    n = g.n_nodes
    dist, workers = _local(g, 7, n_workers, gather=gather, candidates=candidates)
    ser = RRCollection(g, 7)
    costs = 1.0 + np.random.default_rng(gi).integers(0, 3, n).astype(float)
    for size in (3, 50, 51, 400, 1200):
        dist.extend_to(size)
        ser.extend_to(size)
        assert dist.n_sets == ser.n_sets and dist.n_members == ser.n_members
        held = [w.w.stats(dist.token) for w in workers]
        assert sum(h[0] for h in held) == size and max(h[0] for h in held) - min(h[0] for h in held) <= 5
        for args in [(5,), (n, costs, 7.0, True), (n, costs, 7.0, False), (4, None, np.inf, False, True)]:
            a = ser.greedy(*args)
            b = dist.greedy(*args)
            np.testing.assert_array_equal(a[0], b[0])
            np.testing.assert_array_equal(a[1], b[1])
            assert a[0].dtype == b[0].dtype and a[1].dtype == b[1].dtype
            assert a[2] == b[2]
        seeds = a[0]
        before = dist.round_trips
        dist.greedy(5)
        if candidates is not None and candidates >= n:
            # every node a candidate: the counts, then all the picks in one round trip
            assert dist.round_trips - before == 2
        elif candidates is None and dist.n_members > gather:
            # the counts, then one round trip per pick but the last (a copy on the
            # driver is dropped once the collection outgrows the threshold)
            assert dist.round_trips - before == 5 and dist._here is None
        elif dist.n_members <= gather:
            # the driver's copy, made on the first greedy and grown with the collection
            # (the actors send the new sets with each growth): no round trip
            assert dist.round_trips - before == 0 and dist._here.n_sets == size
        assert dist.coverage(seeds) == ser.coverage(seeds) > 0
        assert dist.estimate(seeds) == ser.estimate(seeds)
    dist.close()
    assert all(not w.w.shards for w in workers)  # the sets are freed on the actors


@pytest.mark.parametrize("seed", range(6))
def test_distributed_greedy_equals_the_naive_twin(seed):
    """Random sets dealt to 3 actors in random order: the picks and gains of a full
    argmax greedy over all sets (tests/naive_strategies.py)."""
    from .naive_strategies import naive_max_cover

    gen = np.random.default_rng(seed)
    n, count = 12, 60
    sets = [gen.choice(n, size=gen.integers(1, 5), replace=False).astype(np.int32)
            for _ in range(count)]
    g = vs.FollowerGraph.from_edges(np.arange(n - 1), np.arange(1, n), probs=0.5)
    dist, workers = _local(g, 0, 3)
    owner = gen.integers(0, 3, count)
    for w, actor in enumerate(workers):
        mine = [sets[i] for i in gen.permutation(np.flatnonzero(owner == w))]
        sh = actor.w.shards[dist.token][0]
        sh.sizes = [np.array([len(x) for x in mine], dtype=np.int64)]
        sh.members = [np.concatenate(mine) if mine else np.zeros(0, dtype=np.int32)]
        sh.dirty = True
    dist.n_sets = count
    seeds, gains, _ = dist.greedy(4)
    picks, ref = naive_max_cover(sets, n, 4)
    assert seeds.tolist() == picks and gains.tolist() == ref
    assert dist.coverage(seeds) == sum(any(v in s for v in picks) for s in sets)


def test_weighted_roots_on_actors():
    g = vs.generators.barabasi_albert(300, 2, rng=2).with_probabilities(0.1)
    w = np.random.default_rng(0).integers(0, 3, size=g.n_nodes).astype(float)
    dist, _ = _local(g, 3, 2, weights=w)
    ser = RRCollection(g, 3, weights=w)
    dist.extend_to(900)
    ser.extend_to(900)
    assert dist.scale == ser.scale
    for x, y in zip(ser.greedy(6), dist.greedy(6)):
        np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------------------- local Ray
@pytest.fixture
def local_ray():
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"NUMBA_NUM_THREADS": "1"}})
    yield
    ray_rr.shutdown_pools()
    ray.shutdown()


def _same(a, b, bytes_too=False):
    assert a.seeds == b.seeds and a.spread == b.spread and a.notes == b.notes
    np.testing.assert_array_equal(a.gains, b.gains)
    np.testing.assert_array_equal(a.scores, b.scores)
    skip = {"rr_seconds", "rr_bytes", "bytes_per_member"}
    assert {k: v for k, v in a.info.items() if k not in skip} == \
        {k: v for k, v in b.info.items() if k not in skip}


def _cases(g):
    w = (np.arange(g.n_nodes) % 3).astype(float)
    gw = g.with_node_attr("w", w)
    yield g, dict(strategy="imm", k=5)
    yield g, dict(strategy="imm", k=5, eps=0.5, min_rr_sets=0)  # the paper's sampling phase
    yield g, dict(strategy="opim_c", k=5)
    yield g, dict(strategy="opim_c", k=5, eps=0.3, min_rr_sets=0)  # several rounds
    yield g, dict(strategy="imm", budget=6.0, costs=vs.strategies.cost_rule(1.0, 0.1, 1.0))
    yield gw, dict(strategy="imm", k=4, weight_attr="w")
    yield g, dict(strategy="opim_c", k=3, model=vs.LinearThreshold(weights="probs"))
    yield g, dict(strategy="imm", k=3, model=vs.WordOfMouth(comment_prob=0.5))


@needs_ray
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_ray_imm_and_opim_c_equal_serial(local_ray, monkeypatch):
    from viralsim.distributed.ray_backend import RayBackend

    made = []
    real = ray_rr.ray_collections

    def spy(*args, **kw):
        made.append(real(*args, **kw))
        return made[-1]

    monkeypatch.setattr(ray_rr, "ray_collections", spy)
    g = vs.generators.barabasi_albert(600, 3, rng=2).with_probabilities("weighted_cascade")
    rb = RayBackend()
    # small collections are gathered for greedy: the default path, once
    _same(vs.select_seeds(g, k=5, strategy="imm", rng=4),
          vs.select_seeds(g, k=5, strategy="imm", rng=4, backend=rb))
    coll, final = made.pop()
    assert final.round_trips == 2  # the final collection: one growth, one copy
    assert coll._here is not None and final._here is not None  # both copied, kept whole
    assert coll._here.n_sets == coll.n_sets and final._here.n_sets == final.n_sets
    monkeypatch.setattr(ray_rr, "GATHER_MEMBERS", 0)  # the rest: counts gathered per pick
    for graph, kw in _cases(g):
        a = vs.select_seeds(graph, rng=4, **kw)
        b = vs.select_seeds(graph, rng=4, backend=rb, **kw)
        _same(a, b)
        final = made.pop()[1]
        assert final.n_sets > 0  # the sets were on the actors
        if kw["strategy"] == "imm" and "k" in kw:  # growth, counts, a trip per pick but the last
            assert final.round_trips == 1 + len(b.seeds)
        if "min_rr_sets" in kw and kw["strategy"] == "opim_c":
            assert b.info["rounds"] > 1  # the growth between rounds ran on the actors
    # the graph's arrays went into the object store once for all those selections
    ref = ray_rr._ARRAYS[id(g)][2]
    vs.strategies.imm(g, k=2, rng=0, backend=rb, min_rr_sets=100)
    assert ray_rr._ARRAYS[id(g)][2] is ref
    # the strategy classes take it too, and "serial" is the serial path
    a = vs.strategies.IMM(eps=0.3).select(g, k=4, rng=1)
    b = vs.strategies.IMM(eps=0.3, backend=rb).select(g, k=4, rng=1)
    c = vs.strategies.OPIMC(backend="serial").select(g, k=4, rng=1)
    _same(a, b)
    assert c.seeds == vs.strategies.opim_c(g, k=4, rng=1).seeds
    assert b.params["backend"] is rb
    # a comparison run with backend= selects with it too (as for CELF)
    n_made = len(made)
    ta = vs.compare_strategies(g, ["imm", "opim_c"], k=[3], n_sims=500, rng=4)
    tb = vs.compare_strategies(g, ["imm", "opim_c"], k=[3], n_sims=500, rng=4, backend=rb)
    assert [r["seeds"] for r in ta.rows] == [r["seeds"] for r in tb.rows]
    assert len(made) == n_made + 2
    made.clear()
    # one actor per CPU, each holding its share of a collection (and nothing once it is gone)
    _, workers = ray_rr._pool(rb)
    assert len(workers) == 2
    coll, final = ray_rr.ray_collections(rb, g, 5, weights=None, mode=MODE_IC, comment_prob=1.0,
                                         bases=(0, SECOND_BASE))
    coll.extend_to(1001)
    held = ray.get([w.stats.remote(coll.token) for w in workers])
    assert sorted(h[0] for h in held) == [500, 501]
    assert sum(h[1] for h in held) == coll.n_members == RRCollection(g, 5).extend_to(1001).n_members
    tok = coll.token
    del coll
    made.clear()
    import gc

    gc.collect()
    assert ray.get([w.stats.remote(final.token) for w in workers]) == [(0, 0), (0, 0)]
    with pytest.raises(ray.exceptions.RayTaskError, match="KeyError"):
        ray.get(workers[0].stats.remote(tok))
    # an actor that died between selections (killed, out of memory) is replaced
    ray.kill(workers[1])
    _same(vs.strategies.imm(g, k=3, rng=2), vs.strategies.imm(g, k=3, rng=2, backend=rb))
    assert ray_rr._pool(rb)[1][0] is not workers[0]
    # one actor per node with the node's CPUs as Numba threads: the same again
    per_node = RayBackend()
    per_node.rr_actors = "per_node"
    for kw in (dict(strategy="imm", k=5), dict(strategy="opim_c", k=5, eps=0.3, min_rr_sets=0)):
        _same(vs.select_seeds(g, rng=4, **kw), vs.select_seeds(g, rng=4, backend=per_node, **kw))
    _, workers = ray_rr._pool(per_node)
    assert [t for _, t in ray.get([w.node.remote() for w in workers])] == [2]
    # batches of picks per round trip (rr_candidates): the same again, in fewer trips
    batched = RayBackend()
    batched.rr_candidates = 64
    for kw in (dict(strategy="imm", k=5), dict(strategy="opim_c", k=5, eps=0.3, min_rr_sets=0)):
        _same(vs.select_seeds(g, rng=4, **kw), vs.select_seeds(g, rng=4, backend=batched, **kw))
    batched.rr_candidates = -1
    with pytest.raises(ValueError, match="'rr_candidates' setting .* int >= 0"):
        vs.strategies.imm(g, k=2, backend=batched)
    batched.rr_candidates, batched.rr_gather_members = 0, "big"
    with pytest.raises(ValueError, match="'rr_gather_members' setting .* int >= 0"):
        vs.strategies.imm(g, k=2, backend=batched)
    per_node.rr_actors = "per_gpu"
    with pytest.raises(ValueError, match="'rr_actors' setting .* 'per_cpu' or 'per_node'"):
        vs.strategies.imm(g, k=2, backend=per_node)


# ---------------------------------------------------------------------------- simulated cluster
@needs_ray
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_ray_imm_on_a_simulated_two_node_cluster():
    """Two Ray nodes (1 CPU each) on this machine: one actor per node, the sets split
    between them, the same seeds and spreads as serial."""
    from ray.cluster_utils import Cluster

    from viralsim.distributed.ray_backend import RayBackend

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    if ray.is_initialized():
        ray.shutdown()
    env = {"env_vars": {"NUMBA_NUM_THREADS": "1"}}
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False, runtime_env=env)
        rb = RayBackend()
        n = 5_000 if FULL else 800
        g = vs.generators.barabasi_albert(n, 3, rng=5).with_probabilities("weighted_cascade")
        for kw in (dict(strategy="imm", k=8), dict(strategy="opim_c", k=8, eps=0.3, min_rr_sets=0)):
            _same(vs.select_seeds(g, rng=2, **kw), vs.select_seeds(g, rng=2, backend=rb, **kw))
        _, workers = ray_rr._pool(rb)
        nodes = ray.get([w.node.remote() for w in workers])
        assert len(workers) == 2 and len({nd for nd, _ in nodes}) == 2  # one actor on each node
    finally:
        ray_rr.shutdown_pools()
        ray.shutdown()
        cluster.shutdown()
